/*
 * ingest.c - see ingest.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"

void
tally_init(struct tally *t)
{
	memset(t, 0, sizeof(*t));
}

void
tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->ncat; i++)
		free(t->cat[i].id);
	free(t->cat);
	memset(t, 0, sizeof(*t));
}

static void
tally_label(struct tally *t, const char *id)
{
	size_t i;

	for (i = 0; i < t->ncat; i++)
		if (!strcmp(t->cat[i].id, id)) {
			t->cat[i].n++;
			return;
		}
	xgrow(&t->cat, t->ncat, &t->capcat, sizeof(*t->cat));
	t->cat[t->ncat].id = xstrdup(id);
	t->cat[t->ncat++].n = 1;
}

void
tally_items(struct tally *t, const struct item_list *items)
{
	size_t i, j;

	t->items += items->n;
	for (i = 0; i < items->n; i++)
		for (j = 0; j < items->v[i].n_labels; j++)
			if (items->v[i].labels[j].id)
				tally_label(t, items->v[i].labels[j].id);
}

static void
tally_put(FILE *f, const struct tally_cat *c, int *first)
{
	if (!c->n)
		return;
	fprintf(f, "%s%s %zu", *first ? ": " : ", ", c->id, c->n);
	*first = 0;
}

void
tally_print(FILE *f, const struct tally *t, const char *const *ids,
    size_t n_ids)
{
	size_t i, k;
	int first = 1;

	for (k = 0; k < n_ids; k++)
		for (i = 0; i < t->ncat; i++)
			if (!strcmp(t->cat[i].id, ids[k]))
				tally_put(f, &t->cat[i], &first);
	for (i = 0; i < t->ncat; i++) {
		for (k = 0; k < n_ids; k++)
			if (!strcmp(t->cat[i].id, ids[k]))
				break;
		if (k == n_ids)
			tally_put(f, &t->cat[i], &first);
	}
	fputc('\n', f);
}

void
tally_print_by(FILE *f, const struct tally *t, const struct pipeline *pl)
{
	const char *const *ids = NULL;
	size_t n = 0;

	if (pl)
		ids = pipeline_categories(pl, &n);
	tally_print(f, t, ids, n);
}

char *
ingest_fields(struct store_msg *sm, const struct message *m)
{
	char *from;

	if (!m)
		return NULL;
	from = message_from(m);
	/* the store knows a message by the Message-ID it arrived with */
	sm->message_id = m->envelope_id;
	sm->subject = m->subject;
	sm->from = from;
	sm->date = m->date;
	return from;
}

/*
 * Stores one processed job: the message (raw when it could not be
 * parsed, so nothing is lost and `process` can retry it) with its items
 * and labels.  source goes into the store.  Returns 0 stored, 1 already
 * there, -1 on a store error (logged).
 */
int
ingest_job(struct store *st, struct job *j, const char *source,
    int64_t received, struct tally *t)
{
	const struct message *m = j->p.msg;
	struct store_msg sm;
	char *from = NULL;
	int64_t id;
	size_t k;
	int r, ret = -1;

	if (j->rc < 0) {
		log_err("%s: %s", j->name, j->err ? j->err : "cannot parse");
		t->failed++;
	} else if (m && m->problem) {
		log_warn("%s: %s", j->name, m->problem);
	}
	if (j->truncated)
		log_warn("%s: cut to %zu bytes", j->name, j->len);
	memset(&sm, 0, sizeof(sm));
	from = ingest_fields(&sm, m);
	sm.hash = j->hash;
	sm.source = source;
	sm.received = received;
	sm.raw = j->raw;
	sm.raw_len = j->len;
	r = store_add_message(st, &sm, &id);
	if (r < 0)
		goto out;
	if (r > 0) {
		/* the same bytes twice in this batch */
		t->dups++;
		ret = 1;
		goto out;
	}
	for (k = 0; k < j->p.items.n; k++)
		if (store_add_item(st, id, (unsigned)k, &j->p.items.v[k]) < 0)
			goto out;
	t->msgs++;
	tally_items(t, &j->p.items);
	ret = 0;
out:
	free(from);
	return ret;
}

