/* test_status.c - the verdict `status` exits with, and the record of
 * runs behind it (store_run_*, status_run_begin/end, log_problem). */
#include <errno.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "unit.h"

#include "log.h"
#include "status.h"
#include "store.h"
#include "util.h"

#define NOW 1795176000

static struct store_run
run(int64_t id, const char *cmd, int64_t started, int64_t finished,
    int result)
{
	struct store_run r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.command = cmd;
	r.started = started;
	r.finished = finished;
	r.result = result;
	r.message = "";
	return r;
}

static void
test_verdict(void **state)
{
	struct store_run v[6] = { { 0 } };
	size_t c = 99;

	(void)state;
	assert_int_equal(status_verdict(v, 0, NOW, &c), EX_OK);
	v[0] = run(1, "run", NOW - 60, NOW - 50, 0);
	v[1] = run(2, "fetch", NOW - 40, NOW - 30, 0);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);

	/* a failed run */
	v[0].result = EX_UNAVAILABLE;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_UNAVAILABLE);
	assert_int_equal(c, 0);
	/* deferred mail only */
	v[0].result = EX_TEMPFAIL;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_TEMPFAIL);
	assert_int_equal(c, 0);
	/* a failure beats a deferral, whatever the order */
	v[1].result = EX_CONFIG;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_UNAVAILABLE);
	assert_int_equal(c, 1);

	/* a later run covers an earlier fetch, send or prune */
	v[0] = run(1, "fetch", NOW - 90, NOW - 80, EX_UNAVAILABLE);
	v[1] = run(2, "send", NOW - 90, NOW - 80, EX_TEMPFAIL);
	v[2] = run(3, "prune", NOW - 90, NOW - 80, EX_SOFTWARE);
	v[3] = run(4, "run", NOW - 60, NOW - 50, 0);
	assert_int_equal(status_verdict(v, 4, NOW, &c), EX_OK);
	/* but not an earlier digest, nor a later fetch */
	v[4] = run(5, "digest", NOW - 95, NOW - 94, EX_DATAERR);
	assert_int_equal(status_verdict(v, 5, NOW, &c), EX_UNAVAILABLE);
	assert_int_equal(c, 4);
	v[4].command = "fetch";
	v[4].id = 6;
	v[4].result = EX_NOPERM;
	v[0].id = 5;
	/* fetch 6 is the latest fetch in the list; fetch 5 is covered */
	assert_int_equal(status_verdict(v, 5, NOW, &c), EX_UNAVAILABLE);
	assert_int_equal(c, 4);
	/* a digest covers send */
	v[0] = run(1, "send", NOW - 90, NOW - 80, EX_TEMPFAIL);
	v[1] = run(2, "digest", NOW - 60, NOW - 50, 0);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);
	/* whatever sends next retries deferred mail: it covers a 75 */
	v[0] = run(1, "digest", NOW - 90, NOW - 80, EX_TEMPFAIL);
	v[1] = run(2, "send", NOW - 60, NOW - 50, 0);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);
	v[0].result = EX_CONFIG;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_UNAVAILABLE);
	v[0] = run(1, "run", NOW - 90, NOW - 80, EX_TEMPFAIL);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);
	v[0].result = EX_UNAVAILABLE;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_UNAVAILABLE);
	/* ids order runs, not seconds: the same second is fine */
	v[0] = run(1, "fetch", NOW, NOW, EX_UNAVAILABLE);
	v[1] = run(2, "run", NOW, NOW, 0);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);

	/* unfinished: running, or killed when stale */
	v[0] = run(1, "run", NOW - 600, NOW - 590, 0);
	v[1] = run(2, "run", NOW - 60, 0, -1);
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_OK);
	v[1].started = NOW - STATUS_STALE - 1;
	assert_int_equal(status_verdict(v, 2, NOW, &c), EX_UNAVAILABLE);
	assert_int_equal(c, 1);
	/* killed, but a later finished run of the same work clears it */
	v[2] = run(3, "run", NOW - 30, NOW - 20, 0);
	assert_int_equal(status_verdict(v, 3, NOW, &c), EX_OK);
}

struct fx {
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/bulletin-status-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bulletin.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

struct seen {
	size_t n;
	struct store_run r[8];
	char cmd[8][16], msg[8][128];
};

static int
collect(void *ctx, const struct store_run *r)
{
	struct seen *s = ctx;

	assert_true(s->n < 8);
	s->r[s->n] = *r;
	snprintf(s->cmd[s->n], sizeof(s->cmd[0]), "%s", r->command);
	snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", r->message);
	s->n++;
	return 0;
}

static struct seen
latest(const char *path, int finished_only)
{
	struct store *st = NULL;
	struct seen s;
	char *err = NULL;

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_open(path, &st, &err), 0);
	assert_int_equal(store_runs_latest(st, finished_only, collect, &s),
	    0);
	store_close(&st);
	return s;
}

static void
test_record(void **state)
{
	struct fx *f = *state;
	struct status_rec *rec;
	struct store *st = NULL;
	struct stat sb;
	struct seen s;
	char *err = NULL;

	log_init(LOG_ERR, 0);
	/* no store: nothing recorded, nothing created */
	rec = status_run_begin(f->path, "fetch", NOW);
	assert_non_null(rec);
	assert_int_equal(stat(f->path, &sb), -1);
	status_run_end(&rec, 0, NOW + 1);
	assert_null(rec);
	assert_int_equal(stat(f->path, &sb), -1);
	status_run_end(&rec, 0, NOW + 1);

	/* the command made the store: the whole run is recorded at the end */
	rec = status_run_begin(f->path, "fetch", NOW);
	assert_int_equal(store_open(f->path, &st, &err), 0);
	store_close(&st);
	log_msg(LOG_WARN, "a warning");
	log_msg(LOG_ERR, "'imap.example.org:993': login refused");
	log_msg(LOG_WARN, "a later warning");
	status_run_end(&rec, EX_NOPERM, NOW + 2);
	s = latest(f->path, 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.cmd[0], "fetch");
	assert_int_equal(s.r[0].result, EX_NOPERM);
	assert_true(s.r[0].started == NOW && s.r[0].finished == NOW + 2);
	/* the error, not the later warning */
	assert_string_equal(s.msg[0], "'imap.example.org:993': login refused");

	/* begin clears the last problem; the row is there while it runs */
	rec = status_run_begin(f->path, "run", NOW + 10);
	assert_string_equal(log_problem(), "");
	s = latest(f->path, 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.cmd[1], "run");
	assert_true(s.r[1].finished == 0 && s.r[1].result == -1);
	log_msg(LOG_WARN, "deferred: 451 try later");
	status_run_end(&rec, EX_TEMPFAIL, NOW + 20);
	s = latest(f->path, 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.r[1].result, EX_TEMPFAIL);
	assert_string_equal(s.msg[1], "deferred: 451 try later");

	/* a run that goes well keeps no message */
	rec = status_run_begin(f->path, "run", NOW + 30);
	log_msg(LOG_WARN, "noise");
	status_run_end(&rec, EX_OK, NOW + 40);
	s = latest(f->path, 1);
	assert_int_equal(s.r[1].result, EX_OK);
	assert_string_equal(s.msg[1], "");

	/* a usage error is no run */
	rec = status_run_begin(f->path, "digest", NOW + 50);
	status_run_end(&rec, EX_USAGE, NOW + 51);
	s = latest(f->path, 0);
	assert_int_equal(s.n, 2);
	log_problem_clear();
}

/* The last problem keeps a long message, cut, and errno's text. */
static void
test_problem(void **state)
{
	char big[600];

	(void)state;
	log_init(LOG_ERR, 0);
	log_problem_clear();
	assert_string_equal(log_problem(), "");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_msg(LOG_ERR, "%s", big);
	assert_true(strlen(log_problem()) < 512);
	errno = ENOENT;
	log_errno(LOG_ERR, "cannot open '%s'", "f");
	assert_string_equal(log_problem(), "cannot open 'f': No such file or "
	    "directory");
	log_msg(LOG_INFO, "not a problem");
	assert_string_equal(log_problem(), "cannot open 'f': No such file or "
	    "directory");
	log_problem_clear();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict),
		cmocka_unit_test_setup_teardown(test_record, setup, teardown),
		cmocka_unit_test(test_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
