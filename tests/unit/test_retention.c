/* test_retention.c - [store] keep_days: the prune rule (old mail goes;
 * what a digest, a queued message or the passes after fetch still need
 * stays), its batches, and the store queries behind it. */
#include <sqlite3.h>
#include <sysexits.h>
#include <time.h>

#include "unit.h"

#include "config.h"
#include "digest.h"
#include "retention.h"
#include "store.h"
#include "util.h"

#define DAY 86400

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
	struct config cfg;
	int64_t now;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/bulletin-ret-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bulletin.db", f->dir);
	if (store_open(f->path, &f->st, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	f->cfg.keep_days = 400;
	/* Friday 2026-11-20 12:00 UTC */
	f->now = 1795176000;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A message arriving at recv with two items (labels nao, pac). */
static int64_t
add_msg(struct store *st, int n, int64_t recv)
{
	char raw[64], hash[65];
	struct label labels[2] = { { "nao", 3 }, { "pac", 1 } };
	struct item it = {
		.title = (char *)(uintptr_t)"An item",
		.text = (char *)(uintptr_t)"Some words.",
		.source = (char *)(uintptr_t)"Source",
		.words = 2,
		.labels = labels,
		.n_labels = 2,
	};
	struct store_msg m;
	int64_t id = 0;

	snprintf(raw, sizeof(raw), "Subject: m%d\n\nbody %d\n", n, n);
	store_hash(raw, strlen(raw), hash);
	memset(&m, 0, sizeof(m));
	m.hash = hash;
	m.subject = "a subject";
	m.received = recv;
	m.raw = raw;
	m.raw_len = strlen(raw);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_add_message(st, &m, &id), 0);
	assert_int_equal(store_add_item(st, id, 0, &it), 0);
	assert_int_equal(store_add_item(st, id, 1, &it), 0);
	assert_int_equal(store_commit(st), 0);
	return id;
}

static int64_t
add_sub(struct store *st, const char *addr, int confirmed,
    const char *mode)
{
	static int k;
	const char *cats[] = { "nao" }, *modes[] = { mode };
	char token[33];
	int64_t id = 0;

	snprintf(token, sizeof(token), "%032x", ++k);
	assert_int_equal(store_sub_add(st, addr, "", confirmed, token, 1,
	    &id), 0);
	assert_int_equal(store_sub_set_cats(st, id, cats, modes, 1), 0);
	return id;
}

static int64_t
count_msgs(struct store *st)
{
	int64_t n = 0;

	assert_int_equal(store_count_messages(st, &n), 0);
	return n;
}

static int64_t
count_items(struct store *st)
{
	int64_t n = 0;

	assert_int_equal(store_count_items(st, INT64_MIN, INT64_MAX, &n), 0);
	return n;
}

static int
sum_labels(void *ctx, const char *category, int64_t n)
{
	(void)category;
	*(int64_t *)ctx += n;
	return 0;
}

static int64_t
count_labels(struct store *st)
{
	int64_t n = 0;

	assert_int_equal(store_count_labels(st, INT64_MIN, INT64_MAX,
	    sum_labels, &n), 0);
	return n;
}

/* Runs retention_prune, its listing into *out (caller frees). */
static int
prune(struct fx *f, int dry_run, char **out)
{
	size_t n = 0;
	FILE *m = open_memstream(out, &n);
	int r;

	assert_non_null(m);
	r = retention_prune(&f->cfg, f->st, f->now, dry_run, m);
	fclose(m);
	return r;
}

static void
test_before(void **state)
{
	const int64_t fri = 1795176000;          /* 2026-11-20 12:00 */
	const int64_t week = 1794787200;         /* Mon 2026-11-16 */
	const int64_t last_week = week - 7 * DAY;
	const int64_t mon = week + 10 * 3600;    /* Mon 2026-11-16 10:00 */

	(void)state;
	assert_true(retention_before(0, fri, 1, 1) == INT64_MIN);
	assert_true(retention_before(400, fri, 0, 0) == fri - 400 * DAY);
	assert_true(retention_before(400, fri, 1, 1) == fri - 400 * DAY);
	/* the current week is always kept */
	assert_true(retention_before(1, fri, 0, 0) == week);
	/* the last complete week while its digest is owed */
	assert_true(retention_before(1, fri, 1, 0) == last_week);
	/* yesterday lies inside this week on a Friday */
	assert_true(retention_before(1, fri, 0, 1) == week);
	/* on a Monday yesterday is last week's Sunday */
	assert_true(retention_before(1, mon, 0, 0) == mon - DAY);
	assert_true(retention_before(1, mon, 0, 1) == week - DAY);
	assert_true(retention_before(1, mon, 1, 1) == last_week);
	assert_true(retention_before(30, mon, 1, 1) == mon - 30 * DAY);
}

/* Old mail goes with its items and labels; a queued forward, the marks
 * and keep_days keep the rest. */
static void
test_prune_rule(void **state)
{
	struct fx *f = *state;
	int64_t old = f->now - 500 * DAY, m1, m2, m3, m4, m5, sub;
	char *out = NULL;

	m1 = add_msg(f->st, 1, old);
	m2 = add_msg(f->st, 2, old);
	m3 = add_msg(f->st, 3, old);
	m4 = add_msg(f->st, 4, f->now - 10 * DAY);
	m5 = add_msg(f->st, 5, old);
	sub = add_sub(f->st, "ann@example.org", 1, "instant");
	/* m2 waits in the outbox; m3 went out already */
	assert_int_equal(store_outbox_add(f->st, sub, "forward", "msg:2", m2,
	    "ann@example.org", "x", 1, f->now), 0);
	assert_int_equal(store_outbox_add(f->st, sub, "forward", "msg:3", m3,
	    "ann@example.org", "x", 1, f->now), 0);
	assert_int_equal(store_outbox_sent(f->st, 2, f->now, "250 ok"), 0);
	/* the passes have seen up to m4, not m5 */
	assert_int_equal(store_mark_set(f->st, "commands", m4), 0);
	assert_int_equal(store_mark_set(f->st, "forwards", m5), 0);

	assert_int_equal(prune(f, 1, &out), EX_OK);
	assert_non_null(strstr(out, "would remove message 1 "));
	assert_non_null(strstr(out, "would remove message 3 "));
	assert_null(strstr(out, "message 2 "));
	assert_null(strstr(out, "message 4 "));
	assert_null(strstr(out, "message 5 "));
	free(out);
	assert_int_equal(count_msgs(f->st), 5);

	assert_int_equal(prune(f, 0, &out), EX_OK);
	assert_non_null(strstr(out, "removed message 1 "));
	assert_non_null(strstr(out, "removed message 3 "));
	free(out);
	assert_int_equal(count_msgs(f->st), 3);
	assert_int_equal(count_items(f->st), 6);
	assert_int_equal(count_labels(f->st), 12);
	{
		int64_t id;
		char hash[65];

		store_hash("Subject: m1\n\nbody 1\n", 20, hash);
		assert_int_equal(store_message_id(f->st, hash, &id), 1);
	}
	/* sent: m2 may go now; the mark moves past m5 */
	assert_int_equal(store_outbox_sent(f->st, 1, f->now, "250 ok"), 0);
	assert_int_equal(store_mark_set(f->st, "commands", m5), 0);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	free(out);
	assert_int_equal(count_msgs(f->st), 1);
	assert_int_equal(count_items(f->st), 2);
	(void)m1;

	/* keep_days = 0 keeps everything */
	f->cfg.keep_days = 0;
	assert_int_equal(store_mark_set(f->st, "commands", 1000), 0);
	assert_int_equal(store_mark_set(f->st, "forwards", 1000), 0);
	add_msg(f->st, 6, f->now - 5000 * DAY);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	assert_non_null(strstr(out, "nothing is pruned"));
	free(out);
	assert_int_equal(count_msgs(f->st), 2);
}

/* Items of a period whose digest is still owed to a confirmed
 * subscriber stay, until that digest is queued. */
static void
test_digest_owed(void **state)
{
	struct fx *f = *state;
	struct digest_period last, yday;
	int64_t before, ann, dan, m;
	char *out = NULL;

	f->cfg.keep_days = 1;
	digest_week_of(f->now, 1, &last);
	digest_day_of(f->now, 1, &yday);
	assert_int_equal(store_digest_owed(f->st, "weekly", last.key), 0);
	/* an unconfirmed weekly subscriber is owed nothing */
	add_sub(f->st, "uma@example.org", 0, "weekly");
	assert_int_equal(store_digest_owed(f->st, "weekly", last.key), 0);
	ann = add_sub(f->st, "ann@example.org", 1, "weekly");
	assert_int_equal(store_digest_owed(f->st, "weekly", last.key), 1);
	assert_int_equal(store_digest_owed(f->st, "daily", yday.key), 0);
	assert_int_equal(retention_cutoff(f->st, 1, f->now, &before), 0);
	assert_true(before == last.since);

	m = add_msg(f->st, 1, last.since + 3600);
	add_msg(f->st, 2, last.since - 3600);
	assert_int_equal(store_mark_set(f->st, "commands", 100), 0);
	assert_int_equal(store_mark_set(f->st, "forwards", 100), 0);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	assert_non_null(strstr(out, "removed message 2 "));
	assert_null(strstr(out, "message 1 "));
	free(out);
	assert_int_equal(count_msgs(f->st), 1);

	/* the digest is queued: its body is rendered, the items may go */
	assert_int_equal(store_outbox_add(f->st, ann, "digest", last.key, 0,
	    "ann@example.org", "x", 1, f->now), 0);
	assert_int_equal(store_digest_owed(f->st, "weekly", last.key), 0);
	assert_int_equal(retention_cutoff(f->st, 1, f->now, &before), 0);
	assert_true(before > last.since);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	assert_non_null(strstr(out, "removed message 1 "));
	free(out);
	assert_int_equal(count_msgs(f->st), 0);
	(void)m;

	/* a confirmed daily subscriber without yesterday's digest */
	dan = add_sub(f->st, "dan@example.org", 1, "daily");
	assert_int_equal(store_digest_owed(f->st, "daily", yday.key), 1);
	assert_int_equal(store_outbox_add(f->st, dan, "digest", yday.key, 0,
	    "dan@example.org", "x", 1, f->now), 0);
	assert_int_equal(store_digest_owed(f->st, "daily", yday.key), 0);
}

/* More than a batch: every one goes, a transaction per batch. */
static void
test_batches(void **state)
{
	struct fx *f = *state;
	int64_t old = f->now - 500 * DAY;
	char *out = NULL;
	int i, n = RETENTION_BATCH * 2 + 7;

	for (i = 0; i < n; i++)
		add_msg(f->st, i, old);
	assert_int_equal(store_mark_set(f->st, "commands", n), 0);
	assert_int_equal(store_mark_set(f->st, "forwards", n), 0);
	assert_int_equal(prune(f, 1, &out), EX_OK);
	free(out);
	assert_int_equal(count_msgs(f->st), n);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	assert_non_null(strstr(out, "pruned 407 messages, 814 items"));
	free(out);
	assert_int_equal(count_msgs(f->st), 0);
	assert_int_equal(count_labels(f->st), 0);
}

/* Rows of a table, read beside the store's own connection. */
static int
count_rows(const char *path, const char *table)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	char sql[64];
	int n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static int
count_runs(void *ctx, const struct store_run *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

/* Old runs go too, but never a command's latest. */
static void
test_runs_pruned(void **state)
{
	struct fx *f = *state;
	struct store_run r;
	int64_t id;
	char *out = NULL;
	int n = 0, i;

	memset(&r, 0, sizeof(r));
	r.message = "";
	for (i = 0; i < 3; i++) {
		r.command = "fetch";
		r.started = f->now - (500 - i) * DAY;
		r.finished = r.started + 1;
		assert_int_equal(store_run_add(f->st, &r, &id), 0);
	}
	r.command = "digest";
	assert_int_equal(store_run_add(f->st, &r, &id), 0);
	/* a recent one stays whatever */
	r.command = "send";
	r.started = f->now - DAY;
	assert_int_equal(store_run_add(f->st, &r, &id), 0);
	r.started = f->now;
	assert_int_equal(store_run_add(f->st, &r, &id), 0);
	assert_int_equal(count_rows(f->path, "runs"), 6);
	assert_int_equal(prune(f, 0, &out), EX_OK);
	free(out);
	/* the latest fetch, the digest, both sends */
	assert_int_equal(count_rows(f->path, "runs"), 4);
	assert_int_equal(store_runs_latest(f->st, 0, count_runs, &n), 0);
	assert_int_equal(n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before),
		cmocka_unit_test_setup_teardown(test_prune_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_digest_owed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_pruned, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
