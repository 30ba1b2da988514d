/*
 * ingest.c - see ingest.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "log.h"
#include "process.h"

void
tally_init(struct tally *t, const struct ruleset *rs)
{
	memset(t, 0, sizeof(*t));
	t->ncat = rules_ncategories(rs);
	t->cat = xcalloc(t->ncat + 1, sizeof(*t->cat));
}

void
tally_free(struct tally *t)
{
	free(t->cat);
	memset(t, 0, sizeof(*t));
}

void
tally_items(struct tally *t, const struct ruleset *rs,
    const struct item_list *items)
{
	size_t i, j;
	long c;

	t->items += items->n;
	for (i = 0; i < items->n; i++)
		for (j = 0; j < items->v[i].n_labels; j++)
			if ((c = rules_category_find(rs,
			    items->v[i].labels[j].id)) >= 0 &&
			    (size_t)c < t->ncat)
				t->cat[c]++;
}

void
tally_print(FILE *f, const struct tally *t,
    const struct ruleset *rs)
{
	size_t i;
	int first = 1;

	for (i = 0; i < t->ncat; i++) {
		if (!t->cat[i])
			continue;
		fprintf(f, "%s%s %zu", first ? ": " : ", ",
		    rules_category_id(rs, i), t->cat[i]);
		first = 0;
	}
	fputc('\n', f);
}

/*
 * Stores one processed job: the message (raw when it could not be
 * parsed, so nothing is lost and `process` can retry it) with its items
 * and labels.  source goes into the store.  Returns 0 stored, 1 already
 * there, -1 on a store error (logged).
 */
int
ingest_job(struct store *st, const struct ruleset *rs, struct job *j,
    const char *source, int64_t received, struct tally *t)
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
	if (m)
		from = process_from(m);
	memset(&sm, 0, sizeof(sm));
	sm.hash = j->hash;
	sm.message_id = m ? m->envelope_id : NULL;
	sm.source = source;
	sm.subject = m ? m->subject : NULL;
	sm.from = from;
	sm.date = m ? m->date : 0;
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
	tally_items(t, rs, &j->p.items);
	ret = 0;
out:
	free(from);
	return ret;
}

