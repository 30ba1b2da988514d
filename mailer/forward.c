/*
 * forward.c - see forward.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "compose.h"
#include "digest.h"
#include "forward.h"
#include "log.h"
#include "outbox.h"
#include "template.h"
#include "util.h"

#define BATCH 100
#define MAX_TAG 32

struct fwd {
	const struct config *cfg;
	const struct ruleset *rs;
	struct store *st;
	struct sender snd;
	struct tpl *note;
	const char **order;
	size_t n_order;
	struct store_sub *subs;
	size_t n_subs;
	int64_t now;
	/* the batch */
	int64_t *ids, *received;
	char **subjects;
	size_t n, cap;
	/* one message */
	struct item_copy *items;
	size_t n_items, cap_items;
	char *raw;
	size_t raw_len;
	size_t queued;
};

static int
collect(void *ctx, int64_t id, const char *subject, const char *from,
    int64_t received)
{
	struct fwd *f = ctx;
	size_t c = f->cap, c2 = f->cap;

	(void)from;
	if (f->n == f->cap) {
		xgrow(&f->ids, f->n, &f->cap, sizeof(*f->ids));
		xgrow(&f->received, f->n, &c2, sizeof(*f->received));
		xgrow(&f->subjects, f->n, &c, sizeof(*f->subjects));
	}
	f->ids[f->n] = id;
	f->received[f->n] = received;
	f->subjects[f->n] = xstrdup(subject);
	f->n++;
	return 0;
}

static int
load_item(void *ctx, const struct store_item *it)
{
	struct fwd *f = ctx;

	xgrow(&f->items, f->n_items, &f->cap_items, sizeof(*f->items));
	digest_item_copy(&f->items[f->n_items++], it, 60);
	return 0;
}

static void
items_clear(struct fwd *f)
{
	size_t i;

	for (i = 0; i < f->n_items; i++)
		digest_item_clear(&f->items[i]);
	f->n_items = 0;
	free(f->raw);
	f->raw = NULL;
	f->raw_len = 0;
}

static int
copy_raw(void *ctx, int64_t id, const char *raw, size_t len)
{
	struct fwd *f = ctx;

	(void)id;
	f->raw = xmalloc(len + 1);
	memcpy(f->raw, raw, len);
	f->raw[len] = '\0';
	f->raw_len = len;
	return 0;
}

static int
has_label(const struct item_copy *it, const char *cat)
{
	size_t i;

	for (i = 0; i < it->n_labels; i++)
		if (!strcmp(it->labels[i], cat))
			return 1;
	return 0;
}

static int
sub_instant(const struct store_sub *s, const char *cat)
{
	size_t i;

	for (i = 0; i < s->n_cats; i++)
		if (!strcmp(s->cats[i].category, cat) &&
		    !strcmp(s->cats[i].mode, "instant"))
			return 1;
	return 0;
}

static void
format_date(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(out, size, "undated");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, size, "%d %b %Y", &tm);
}

/* Queues message id for subscriber s if one of its items is in one of
 * s's instant categories.  0, or -1 on a store error; a message that
 * cannot be composed is logged and skipped. */
static int
one(struct fwd *f, const struct store_sub *s, int64_t id, const char *subj)
{
	const char *cat = NULL;
	const struct item_copy *first = NULL;
	struct tpl_data *d = NULL;
	struct compose_head h;
	struct buf note = BUF_INIT(0);
	char tag[MAX_TAG + 1], date[48];
	char *key = NULL, *text = NULL, *msg = NULL, *err = NULL;
	char *tmp = NULL, *stop = NULL;
	size_t k, i, len, n_match = 0;
	long ci;
	int rc, ret = -1;

	for (k = 0; k < f->n_order && !cat; k++) {
		if (!sub_instant(s, f->order[k]))
			continue;
		for (i = 0; i < f->n_items; i++) {
			if (has_label(&f->items[i], f->order[k])) {
				cat = f->order[k];
				first = &f->items[i];
				break;
			}
		}
	}
	if (!cat) {
		ret = 0;
		goto out;
	}
	key = xasprintf("msg:%lld", (long long)id);
	rc = store_outbox_has(f->st, s->id, "forward", key);
	if (rc != 0) {
		ret = rc < 0 ? -1 : 0;
		goto out;
	}
	if (!f->raw && store_raw_batch(f->st, id - 1, 1, copy_raw, f, &(int64_t){ 0 },
	    &(size_t){ 0 }) != 0)
		goto out;
	if (!f->raw) {
		ret = 0;
		goto out;
	}
	for (i = 0; i < f->n_items; i++) {
		const struct item_copy *it = &f->items[i];

		for (k = 0; k < it->n_labels; k++)
			if (sub_instant(s, it->labels[k]))
				break;
		if (k == it->n_labels)
			continue;
		if (!n_match++)
			buf_addstr(&note, "In this bulletin for you:\n");
		buf_printf(&note, "  - %s\n", it->title);
	}
	if (n_match > 1)
		buf_addc(&note, '\n');
	else
		buf_reset(&note);
	ci = rules_category_find(f->rs, cat);
	tmp = xasprintf("unsubscribe %s %s", s->token, cat);
	stop = outbox_mailto(f->snd.request, tmp);
	format_date(first->when, date, sizeof(date));
	d = tpl_data_new();
	tpl_data_set(d, "list_name", f->cfg->digest.name);
	tpl_data_set(d, "label", cat);
	tpl_data_set(d, "name", ci >= 0 ?
	    rules_category_name(f->rs, (size_t)ci) : cat);
	tpl_data_set(d, "title", first->title);
	tpl_data_set(d, "source", first->source);
	tpl_data_set(d, "date", date);
	tpl_data_set(d, "excerpt", first->excerpt);
	if (!first->url || tpl_data_set_url(d, "url", first->url) < 0)
		tpl_data_set_bool(d, "url", 0);
	tpl_data_set_url(d, "stop_url", stop);
	if (tpl_render(f->note, d, &text, NULL, &err) < 0) {
		log_err("%s", err);
		goto out;
	}
	buf_addstr(&note, text);
	for (i = 0; cat[i] && i < MAX_TAG; i++)
		tag[i] = (char)toupper((unsigned char)cat[i]);
	tag[i] = '\0';
	free(tmp);
	tmp = xasprintf("unsubscribe %s", s->token);
	free(stop);
	stop = outbox_mailto(f->snd.request, tmp);
	memset(&h, 0, sizeof(h));
	h.from = f->snd.from_hdr;
	h.to = s->address;
	h.subject = subj;
	h.list_id = f->snd.list_id;
	h.unsub_mailto = stop;
	h.msgid_domain = f->snd.domain;
	h.date = f->now;
	if (compose_forward(&h, tag, note.data ? note.data : "", f->raw,
	    f->raw_len, &msg, &len, NULL, &err) < 0) {
		log_warn("message %lld: cannot forward to %s: %s",
		    (long long)id, s->address, err);
		ret = 0;
		goto out;
	}
	if (store_outbox_add(f->st, s->id, "forward", key, id, s->address,
	    msg, len, f->now) < 0)
		goto out;
	f->queued++;
	ret = 0;
out:
	free(key);
	free(text);
	free(msg);
	free(err);
	free(tmp);
	free(stop);
	buf_free(&note);
	tpl_data_free(&d);
	return ret;
}

int
forward_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, int64_t now)
{
	struct fwd f;
	struct store_query q;
	char *err = NULL, *path = NULL;
	size_t i, j, n_instant = 0;
	int64_t mark;
	int in_txn = 0;
	int ret = EX_SOFTWARE;

	memset(&f, 0, sizeof(f));
	f.cfg = cfg;
	f.rs = rs;
	f.st = st;
	f.now = now;
	if (store_sub_list(st, &f.subs, &f.n_subs) < 0)
		goto out;
	for (i = 0; i < f.n_subs; i++)
		for (j = 0; f.subs[i].confirmed && j < f.subs[i].n_cats; j++)
			if (!strcmp(f.subs[i].cats[j].mode, "instant")) {
				n_instant++;
				break;
			}
	if (n_instant) {
		if (outbox_sender(cfg, 0, &f.snd, &err) < 0) {
			log_err("%s", err);
			ret = EX_CONFIG;
			goto out;
		}
		path = outbox_template(cfg, "forward.txt");
		if (tpl_load(path, TPL_TEXT, &f.note, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			ret = EX_CONFIG;
			goto out;
		}
		f.n_order = digest_order(cfg, rs, &f.order);
	}
	for (;;) {
		if (store_mark_get(st, "forwards", &mark) < 0)
			goto out;
		for (i = 0; i < f.n; i++)
			free(f.subjects[i]);
		f.n = 0;
		if (store_messages_after(st, mark, BATCH, collect, &f) != 0)
			goto out;
		if (!f.n)
			break;
		if (store_begin(st) < 0)
			goto out;
		in_txn = 1;
		for (i = 0; n_instant && i < f.n; i++) {
			items_clear(&f);
			memset(&q, 0, sizeof(q));
			q.msg_id = f.ids[i];
			/* lets the received index narrow the scan */
			q.since = f.received[i];
			q.until = f.received[i] + 1;
			if (store_items(st, &q, load_item, &f) != 0)
				goto out;
			for (j = 0; f.n_items && j < f.n_subs; j++) {
				if (!f.subs[j].confirmed)
					continue;
				if (one(&f, &f.subs[j], f.ids[i],
				    f.subjects[i]) < 0)
					goto out;
			}
		}
		/* the batch's forwards and the mark move together */
		if (store_mark_set(st, "forwards", f.ids[f.n - 1]) < 0 ||
		    store_commit(st) < 0)
			goto out;
		in_txn = 0;
	}
	if (f.queued)
		printf("queued %zu instant forwards\n", f.queued);
	ret = EX_OK;
out:
	if (in_txn)
		store_rollback(st);
	items_clear(&f);
	free(f.items);
	for (i = 0; i < f.n; i++)
		free(f.subjects[i]);
	free(f.subjects);
	free(f.ids);
	free(f.received);
	store_sub_free(&f.subs, f.n_subs);
	free(f.order);
	tpl_free(&f.note);
	outbox_sender_clear(&f.snd);
	free(path);
	free(err);
	return ret;
}
