/*
 * status.c - see status.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "digest.h"
#include "json.h"
#include "log.h"
#include "status.h"
#include "util.h"

/* Opens an existing store; 0, or -1 (quietly) when there is none or it
 * cannot be opened. */
static int
open_existing(const char *path, struct store **st_r)
{
	struct stat sb;
	char *err = NULL;

	*st_r = NULL;
	if (stat(path, &sb) < 0)
		return -1;
	if (store_open(path, st_r, &err) < 0) {
		log_debug("not recording the run: %s", err);
		free(err);
		return -1;
	}
	return 0;
}

struct status_rec {
	char *path, *command;
	int64_t id, started;
	struct store *st;         /* open from begin to end, or NULL */
};

struct status_rec *
status_run_begin(const char *path, const char *command, int64_t now)
{
	struct status_rec *rec = xcalloc(1, sizeof(*rec));
	struct store_run r;

	rec->path = xstrdup(path);
	rec->command = xstrdup(command);
	rec->started = now;
	if (open_existing(path, &rec->st) == 0) {
		memset(&r, 0, sizeof(r));
		r.command = command;
		r.started = now;
		r.result = -1;
		r.message = "";
		if (store_run_add(rec->st, &r, &rec->id) < 0)
			rec->id = 0;
	}
	/* the run's own problems start here */
	log_problem_clear();
	return rec;
}

void
status_run_end(struct status_rec **recp, int code, int64_t now)
{
	struct status_rec *rec = *recp;
	struct store_run r;
	char *msg;

	if (!rec)
		return;
	/* copied first: the store's own messages would replace it */
	msg = xstrdup(code ? log_problem() : "");
	if (!rec->st && open_existing(rec->path, &rec->st) < 0)
		goto out;
	if (code == EX_USAGE) {
		if (rec->id)
			store_run_del(rec->st, rec->id);
	} else if (rec->id) {
		store_run_end(rec->st, rec->id, now, code, msg);
	} else {
		memset(&r, 0, sizeof(r));
		r.command = rec->command;
		r.started = rec->started;
		r.finished = now;
		r.result = code;
		r.message = msg;
		store_run_add(rec->st, &r, &rec->id);
	}
out:
	store_close(&rec->st);
	free(rec->path);
	free(rec->command);
	free(rec);
	free(msg);
	*recp = NULL;
}

/* 1 when the later run does the work of r (status.h). */
static int
covers(const struct store_run *later, const struct store_run *r)
{
	const char *d = later->command, *c = r->command;

	if (!strcmp(d, c))
		return 1;
	if (!strcmp(d, "run") && (!strcmp(c, "fetch") ||
	    !strcmp(c, "send") || !strcmp(c, "prune")))
		return 1;
	if (!strcmp(d, "digest") && !strcmp(c, "send"))
		return 1;
	/* deferred mail is retried by whatever sends next */
	return r->finished && r->result == EX_TEMPFAIL && (!strcmp(d, "send")
	    || !strcmp(d, "run") || !strcmp(d, "digest"));
}

int
status_verdict(const struct store_run *v, size_t n, int64_t now,
    size_t *culprit_r)
{
	int ret = EX_OK, bad;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (v[j].finished && v[j].id > v[i].id &&
			    covers(&v[j], &v[i]))
				break;
		if (j < n)
			continue;   /* done again since */
		if (!v[i].finished)
			bad = now - v[i].started > STATUS_STALE ?
			    EX_UNAVAILABLE : EX_OK;
		else if (v[i].result == EX_OK)
			bad = EX_OK;
		else if (v[i].result == EX_TEMPFAIL)
			bad = EX_TEMPFAIL;
		else
			bad = EX_UNAVAILABLE;
		if (bad == EX_OK)
			continue;
		/* the worse kind wins; between equals, the latest */
		if (ret == EX_OK || (bad == EX_UNAVAILABLE &&
		    ret == EX_TEMPFAIL) || (bad == ret &&
		    v[i].id > v[*culprit_r].id)) {
			ret = bad;
			*culprit_r = i;
		}
	}
	return ret;
}

/* The runs status looks at, copied out of the store. */
struct runs {
	struct store_run *v;
	size_t n, cap;
	int unfinished_only;
};

static int
add_run(void *ctx, const struct store_run *r)
{
	struct runs *rs = ctx;
	struct store_run *c;

	if (rs->unfinished_only && r->finished)
		return 0;
	xgrow(&rs->v, rs->n, &rs->cap, sizeof(*rs->v));
	c = &rs->v[rs->n++];
	*c = *r;
	c->command = xstrdup(r->command);
	c->message = xstrdup(r->message);
	return 0;
}

static void
runs_free(struct runs *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free((char *)(uintptr_t)rs->v[i].command);
		free((char *)(uintptr_t)rs->v[i].message);
	}
	free(rs->v);
}

static int
cmp_run(const void *a, const void *b)
{
	const struct store_run *x = a, *y = b;
	int c = strcmp(x->command, y->command);

	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* What one status run prints from. */
struct st_out {
	FILE *f;
	int json;
	int first;               /* the next JSON element is the first */
	int64_t now;
	struct buf line;         /* the text form's "nao 2, pac 1" */
};

static const char *
date_of(int64_t t, char d[32])
{
	time_rfc3339(t, d);
	return t ? d : "never";
}

static int
print_folder(void *ctx, const struct store_folder *fo)
{
	struct st_out *o = ctx;
	char d[32];

	if (o->json) {
		fputs(o->first ? "{" : ",{", o->f);
		json_kstr(o->f, 1, "account", fo->account);
		json_kstr(o->f, 0, "folder", fo->folder);
		json_kdate(o->f, 0, "last_fetch", fo->last_run);
		json_kstr(o->f, 0, "result", fo->last_result);
		putc('}', o->f);
	} else {
		fprintf(o->f, "  %s %s: %s %s\n", fo->account, fo->folder,
		    date_of(fo->last_run, d), *fo->last_result ?
		    fo->last_result : "-");
	}
	o->first = 0;
	return 0;
}

static int
print_label(void *ctx, const char *category, int64_t n)
{
	struct st_out *o = ctx;

	if (o->json)
		json_kint(o->f, o->first, category, n);
	else
		buf_printf(&o->line, "%s%s %" PRId64, o->first ? ": " : ", ",
		    category, n);
	o->first = 0;
	return 0;
}

static int
print_problem(void *ctx, const struct store_out_row *r)
{
	struct st_out *o = ctx;
	int retry = !strcmp(r->state, "queued");
	char d[32];

	if (o->json) {
		fputs(o->first ? "{" : ",{", o->f);
		json_kstr(o->f, 1, "kind", r->kind);
		json_kstr(o->f, 0, "key", r->key);
		json_kstr(o->f, 0, "rcpt", r->rcpt);
		json_kstr(o->f, 0, "state", retry ? "retrying" : "failed");
		json_kint(o->f, 0, "attempts", r->attempts);
		json_kdate(o->f, 0, "next_try", retry ? r->next_try : 0);
		json_kstr(o->f, 0, "reply", r->reply);
		putc('}', o->f);
	} else if (retry) {
		fprintf(o->f, "  retrying: %s to %s (%s), %u attempts, next "
		    "%s: %s\n", r->kind, r->rcpt, r->key, r->attempts,
		    date_of(r->next_try, d), *r->reply ? r->reply : "-");
	} else {
		fprintf(o->f, "  failed: %s to %s (%s): %s\n", r->kind,
		    r->rcpt, r->key, *r->reply ? r->reply : "-");
	}
	o->first = 0;
	return 0;
}

/* Subscribers: [mode][confirmed], mode 0 all of them. */
static const char *const sub_modes[] = { "", "weekly", "daily", "instant" };
struct sub_table {
	int64_t n[4][2];
};

static int
count_sub(void *ctx, const char *mode, int confirmed, int64_t n)
{
	struct sub_table *t = ctx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sub_modes); i++)
		if (!strcmp(mode, sub_modes[i]))
			t->n[i][confirmed ? 1 : 0] += n;
	return 0;
}

/* "the last run of 'run' (DATE) exited 69: MESSAGE"; caller frees. */
static char *
problem_text(const struct store_run *r)
{
	char d[32];

	time_rfc3339(r->started, d);
	if (!r->finished)
		return xasprintf("the run of '%s' started %s has not finished "
		    "(killed?)", r->command, d);
	return xasprintf("the last run of '%s' (%s) exited %d%s%s",
	    r->command, d, r->result, *r->message ? ": " : "", r->message);
}

static const char *
verdict_name(int code)
{
	return code == EX_OK ? "ok" : code == EX_TEMPFAIL ? "deferred" :
	    "failed";
}

/* Status without a store: the verdict alone. */
static int
no_store(int json, int code, const char *problem)
{
	if (json) {
		putchar('{');
		json_kstr(stdout, 1, "status", "failed");
		json_kint(stdout, 0, "exit", code);
		json_kstr(stdout, 0, "problem", problem);
		fputs("}\n", stdout);
	} else {
		printf("status: failed: %s\n", problem);
	}
	return code;
}

static void
print_runs(struct st_out *o, const struct runs *all)
{
	char d[32];
	size_t i;

	for (i = 0; i < all->n; i++) {
		const struct store_run *r = &all->v[i];

		if (o->json) {
			fputs(i ? ",{" : "{", o->f);
			json_kstr(o->f, 1, "command", r->command);
			json_kdate(o->f, 0, "started", r->started);
			json_kdate(o->f, 0, "finished", r->finished);
			if (r->finished)
				json_kint(o->f, 0, "result", r->result);
			else
				fputs(",\"result\":null", o->f);
			json_kstr(o->f, 0, "message", r->message);
			putc('}', o->f);
			continue;
		}
		fprintf(o->f, "  %-7s %s  ", r->command,
		    date_of(r->started, d));
		if (!r->finished)
			fprintf(o->f, "unfinished (%s)\n", o->now -
			    r->started > STATUS_STALE ? "killed?" :
			    "running?");
		else if (r->result == 0)
			fprintf(o->f, "ok, %" PRId64 " s\n",
			    r->finished - r->started);
		else
			fprintf(o->f, "%s (exit %d)%s%s\n", r->result ==
			    EX_TEMPFAIL ? "deferred" : "failed", r->result,
			    *r->message ? ": " : "", r->message);
	}
	if (!o->json && !all->n)
		fprintf(o->f, "  none recorded\n");
}

int
status_run(const char *path, int json, int64_t now)
{
	struct store *st = NULL;
	struct st_out o;
	struct runs all, fin;
	struct store_outbox_counts oc;
	struct sub_table subs;
	struct digest_period week;
	struct stat sb;
	int64_t wal = 0, raw = 0, n_msgs = 0, n_items = 0, total, unconf;
	char *path_wal = NULL, *path_raw = NULL, *problem = NULL, *err = NULL;
	size_t culprit = 0, i;
	int verdict, ret = EX_SOFTWARE;

	memset(&o, 0, sizeof(o));
	memset(&all, 0, sizeof(all));
	memset(&fin, 0, sizeof(fin));
	memset(&subs, 0, sizeof(subs));
	buf_init(&o.line, 0);
	o.f = stdout;
	o.json = json;
	o.now = now;
	if (stat(path, &sb) < 0) {
		problem = xasprintf("there is no store at '%s'", path);
		ret = no_store(json, EX_NOINPUT, problem);
		goto out;
	}
	if (store_open(path, &st, &err) < 0) {
		log_err("%s", err);
		ret = no_store(json, EX_CANTCREAT, err);
		goto out;
	}
	/* sizes after the open, which may have made the WAL */
	if (stat(path, &sb) < 0)
		sb.st_size = 0;
	path_wal = xasprintf("%s-wal", path);
	{
		struct stat ws;

		if (stat(path_wal, &ws) == 0)
			wal = (int64_t)ws.st_size;
		/* the disk it takes: pruned messages leave holes */
		path_raw = xasprintf("%s%s", path, STORE_RAW_SUFFIX);
		if (stat(path_raw, &ws) == 0)
			raw = (int64_t)ws.st_blocks * 512;
	}
	/* the latest run of each command; and its latest finished one */
	all.unfinished_only = 0;
	fin.unfinished_only = 0;
	if (store_runs_latest(st, 0, add_run, &all) != 0 ||
	    store_runs_latest(st, 1, add_run, &fin) != 0)
		goto out;
	for (i = 0; i < all.n; i++)
		if (!all.v[i].finished)
			add_run(&fin, &all.v[i]);
	qsort(fin.v, fin.n, sizeof(*fin.v), cmp_run);
	if (store_count_messages(st, &n_msgs) < 0 ||
	    store_outbox_count(st, &oc) < 0 ||
	    store_sub_counts(st, count_sub, &subs) != 0)
		goto out;
	verdict = status_verdict(fin.v, fin.n, now, &culprit);
	if (verdict != EX_OK)
		problem = problem_text(&fin.v[culprit]);
	else if (oc.retrying) {
		/* runs that sent nothing yet while mail waits to be retried */
		verdict = EX_TEMPFAIL;
		problem = xasprintf("%" PRId64 " messages deferred by the "
		    "server wait to be retried", oc.retrying);
	}
	digest_week_of(now, 0, &week);
	if (store_count_items(st, week.since, week.until, &n_items) < 0)
		goto out;

	if (json) {
		putchar('{');
		json_kstr(stdout, 1, "status", verdict_name(verdict));
		json_kint(stdout, 0, "exit", verdict);
		json_kstr(stdout, 0, "problem", problem);
		fputs(",\"store\":{", stdout);
		json_kstr(stdout, 1, "path", path);
		json_kint(stdout, 0, "bytes", (int64_t)sb.st_size + wal + raw);
		json_kint(stdout, 0, "file_bytes", (int64_t)sb.st_size);
		json_kint(stdout, 0, "wal_bytes", wal);
		json_kint(stdout, 0, "raw_bytes", raw);
		json_kint(stdout, 0, "messages", n_msgs);
		fputs("},\"runs\":[", stdout);
		print_runs(&o, &fin);
		fputs("],\"folders\":[", stdout);
	} else {
		printf("status: %s%s%s\n", verdict_name(verdict),
		    problem ? ": " : "", problem ? problem : "");
		printf("store: %s, %" PRId64 " bytes (file %" PRId64 ", wal %"
		    PRId64 ", raw %" PRId64 "), %" PRId64 " messages\n", path,
		    (int64_t)sb.st_size + wal + raw, (int64_t)sb.st_size, wal,
		    raw, n_msgs);
		printf("runs:\n");
		print_runs(&o, &fin);
		printf("folders:\n");
	}
	o.first = 1;
	if (store_folders(st, print_folder, &o) != 0)
		goto out;
	if (json) {
		fputs("],\"week\":{", stdout);
		json_kstr(stdout, 1, "period", week.key + 7);
		json_kdate(stdout, 0, "since", week.since);
		json_kdate(stdout, 0, "until", week.until);
		json_kint(stdout, 0, "items", n_items);
		fputs(",\"categories\":{", stdout);
	} else if (o.first) {
		printf("  none fetched\n");
	}
	o.first = 1;
	if (store_count_labels(st, week.since, week.until, print_label, &o)
	    != 0)
		goto out;
	if (json) {
		fputs("}},\"outbox\":{", stdout);
		json_kint(stdout, 1, "queued", oc.queued);
		json_kint(stdout, 0, "retrying", oc.retrying);
		json_kint(stdout, 0, "failed", oc.failed);
		json_kint(stdout, 0, "sent", oc.sent);
		fputs(",\"problems\":[", stdout);
	} else {
		printf("items this week (%s): %" PRId64 "%s\n", week.key + 7,
		    n_items, o.line.data ? o.line.data : "");
		printf("outbox: %" PRId64 " queued, %" PRId64 " retrying, %"
		    PRId64 " failed, %" PRId64 " sent\n", oc.queued,
		    oc.retrying, oc.failed, oc.sent);
	}
	o.first = 1;
	if (store_outbox_problems(st, STATUS_MAX_PROBLEMS, print_problem, &o)
	    != 0)
		goto out;
	if (oc.retrying + oc.failed > STATUS_MAX_PROBLEMS && !json)
		printf("  (the latest %d of them)\n", STATUS_MAX_PROBLEMS);
	if (json) {
		fputs("]},\"subscribers\":{", stdout);
		json_kint(stdout, 1, "total", subs.n[0][0] + subs.n[0][1]);
		json_kint(stdout, 0, "unconfirmed", subs.n[0][0]);
		for (i = 1; i < ARRAY_SIZE(sub_modes); i++) {
			printf(",\"%s\":{", sub_modes[i]);
			json_kint(stdout, 1, "confirmed", subs.n[i][1]);
			json_kint(stdout, 0, "unconfirmed", subs.n[i][0]);
			putchar('}');
		}
		fputs("}}\n", stdout);
	} else {
		total = subs.n[0][0] + subs.n[0][1];
		printf("subscribers: %" PRId64 " (%" PRId64 " unconfirmed)",
		    total, subs.n[0][0]);
		for (i = 1; i < ARRAY_SIZE(sub_modes); i++) {
			unconf = subs.n[i][0];
			printf("%s %s %" PRId64, i == 1 ? ";" : ",",
			    sub_modes[i], subs.n[i][1] + unconf);
			if (unconf)
				printf(" (%" PRId64 " unconfirmed)", unconf);
		}
		putchar('\n');
	}
	ret = verdict;
out:
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	store_close(&st);
	runs_free(&all);
	runs_free(&fin);
	buf_free(&o.line);
	free(path_wal);
	free(path_raw);
	free(problem);
	free(err);
	return ret;
}
