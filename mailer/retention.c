/*
 * retention.c - see retention.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "digest.h"
#include "log.h"
#include "retention.h"
#include "util.h"

#define DAY 86400

int64_t
retention_before(unsigned keep_days, int64_t now, int weekly_owed,
    int daily_owed)
{
	struct digest_period p;
	int64_t before;

	if (!keep_days)
		return INT64_MIN;
	before = now - (int64_t)keep_days * DAY;
	digest_week_of(now, 0, &p);
	if (p.since < before)
		before = p.since;
	if (weekly_owed) {
		digest_week_of(now, 1, &p);
		if (p.since < before)
			before = p.since;
	}
	if (daily_owed) {
		digest_day_of(now, 1, &p);
		if (p.since < before)
			before = p.since;
	}
	return before;
}

int
retention_cutoff(struct store *st, unsigned keep_days, int64_t now,
    int64_t *before_r)
{
	struct digest_period w, d;
	int wo, dq;

	*before_r = INT64_MIN;
	if (!keep_days)
		return 0;
	digest_week_of(now, 1, &w);
	digest_day_of(now, 1, &d);
	if ((wo = store_digest_owed(st, "weekly", w.key)) < 0 ||
	    (dq = store_digest_owed(st, "daily", d.key)) < 0)
		return -1;
	*before_r = retention_before(keep_days, now, wo, dq);
	return 0;
}

/* One batch of candidates, copied out of the statement. */
struct victim {
	int64_t id, received, size, n_items;
	char *subject;
};

struct batch {
	struct victim v[RETENTION_BATCH];
	size_t n;
};

static int
collect(void *ctx, const struct store_prune_msg *m)
{
	struct batch *b = ctx;
	struct victim *v = &b->v[b->n++];

	v->id = m->id;
	v->received = m->received;
	v->size = m->size;
	v->n_items = m->n_items;
	v->subject = xstrdup(m->subject);
	return 0;
}

static void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i].subject);
	b->n = 0;
}

int
retention_prune(const struct config *cfg, struct store *st, int64_t now,
    int dry_run, FILE *list)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	int64_t before, max_id, m_cmd, m_fwd, after = 0;
	int64_t n_msgs = 0, n_items = 0, n_bytes = 0;
	char date[32], when[32];
	size_t i;
	int in_txn = 0, ret = EX_SOFTWARE;

	if (retention_cutoff(st, cfg->keep_days, now, &before) < 0 ||
	    store_mark_get(st, "commands", &m_cmd) < 0 ||
	    store_mark_get(st, "forwards", &m_fwd) < 0)
		goto out;
	max_id = m_cmd < m_fwd ? m_cmd : m_fwd;
	if (!cfg->keep_days) {
		if (list)
			fprintf(list, "keep_days = 0: nothing is pruned\n");
		ret = EX_OK;
		goto out;
	}
	for (;;) {
		/* listed and deleted under one write lock, so nothing can
		 * come to need a message in between */
		if (!dry_run) {
			if (store_begin(st) < 0)
				goto out;
			in_txn = 1;
		}
		if (store_prune_list(st, before, after, max_id,
		    RETENTION_BATCH, collect, b) != 0)
			goto out;
		if (!b->n)
			break;
		for (i = 0; !dry_run && i < b->n; i++)
			if (store_delete_message(st, b->v[i].id) < 0)
				goto out;
		if (!dry_run) {
			if (store_commit(st) < 0)
				goto out;
			in_txn = 0;
		}
		for (i = 0; i < b->n; i++) {
			const struct victim *v = &b->v[i];

			n_msgs++;
			n_items += v->n_items;
			n_bytes += v->size;
			if (!list)
				continue;
			time_rfc3339(v->received, when);
			fprintf(list, "%s message %" PRId64 " of %s (%" PRId64
			    " items): %s\n", dry_run ? "would remove" :
			    "removed", v->id, when, v->n_items, v->subject);
		}
		after = b->v[b->n - 1].id;
		batch_clear(b);
	}
	if (in_txn) {
		store_rollback(st);
		in_txn = 0;
	}
	if (!dry_run && store_runs_prune(st, now - (int64_t)cfg->keep_days *
	    DAY) < 0)
		goto out;
	time_rfc3339(before, date);
	if (list || n_msgs)
		fprintf(list ? list : stdout, "%s %" PRId64 " messages, %" PRId64 " items, %" PRId64
		    " bytes that arrived before %s\n", dry_run ?
		    "would prune" : "pruned", n_msgs, n_items, n_bytes, date);
	ret = EX_OK;
out:
	if (in_txn)
		store_rollback(st);
	batch_clear(b);
	free(b);
	return ret;
}
