/*
 * fetch.c - see fetch.h.  The order of things, not the protocol: that is
 * source_imap.c behind imap.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "fetch.h"
#include "ingest.h"
#include "imap.h"
#include "log.h"
#include "pipeline.h"
#include "process.h"
#include "util.h"

/* Progress on a terminal only from this many new messages in a folder. */
#define PROGRESS_MIN 200
/* A batch also ends at this many bytes: libetpan holds a whole FETCH
 * answer in memory, each message in a buffer rounded up to a power of
 * two, so about 1.5 times this.  2 MB is the default batch of 100
 * messages of 20 KB.  8 MB put the peak of a fetch 4 MB higher for 4%
 * more speed; 1 MB saved one more MB but cost 10% (each commit rewrites
 * the index pages it touched, and there are twice as many). */
#define FETCH_BATCH_BYTES (2u << 20)
/* SQLite's page cache for a fetch, in KB (its default is 2000): a fetch
 * appends, and the pages it looks up come back from the OS cache.  Half
 * of this cost time. */
#define FETCH_CACHE_KB 1024
/* UIDs listed per command, and the most after windows with nothing in
 * them (see fetch_folder) */
#define LIST_WINDOW 4096u
#define LIST_WINDOW_MAX (LIST_WINDOW * 64)

/* What one run shares between folders. */
struct run {
	const struct config *cfg;
	const struct imap_config *ic;
	struct ruleset *rs;
	struct store *st;
	struct imap *im;
	struct pipeline *pl;    /* parse, split, classify on workers */
	char *account;          /* user@host:port */
	char *where;            /* 'host:port' for messages */
	size_t lost;            /* stored unprocessed: the child died */
	int64_t now;
	int progress;           /* stderr is a terminal */
};

/* One folder's fetch, handed to the message callback. */
struct folder_ctx {
	struct run *run;
	const char *folder;
	uint32_t uidvalidity;
	struct tally *t;
	uint32_t *got;          /* UIDs received in this batch */
	size_t n_got, cap_got;
	size_t done, total;     /* for the progress line */
	int store_failed;
	int in_txn;
};

/* Stores processed jobs in order: until the pipeline has room, or all of
 * them.  After a store failure the rest are dropped (the batch is rolled
 * back anyway). */
static void
drain(struct folder_ctx *fc, int all)
{
	struct run *run = fc->run;
	struct job *j;

	if (!run->pl)
		return;
	while ((all || pipeline_full(run->pl)) &&
	    (j = pipeline_pop(run->pl))) {
		if (!fc->store_failed && ingest_job(run->st, j, j->name,
		    run->now, fc->t) < 0)
			fc->store_failed = 1;
		run->lost += j->lost;
		pipeline_done(run->pl, j);
	}
}

static int
on_message(void *data, uint32_t uid, const char *raw, size_t len,
    int truncated)
{
	struct folder_ctx *fc = data;
	struct run *run = fc->run;
	char hash[65], *source;
	int r;

	if (fc->store_failed)
		return -1;
	/* begun here, once the answer is in: the write lock is not held
	 * while we wait for the network */
	if (!fc->in_txn) {
		if (store_begin(run->st) < 0) {
			fc->store_failed = 1;
			return -1;
		}
		fc->in_txn = 1;
	}
	store_hash(raw, len, hash);
	if ((r = store_has_message(run->st, hash)) < 0) {
		fc->store_failed = 1;
		return -1;
	}
	if (r > 0) {
		fc->t->dups++;
	} else {
		/* made on the first new message: a run with nothing new
		 * never pays for compiling the rules */
		if (!run->pl && !(run->pl = pipeline_new(run->rs,
		    &run->cfg->lim, 0, 0))) {
			fc->store_failed = 1;
			return -1;
		}
		drain(fc, 0);
		source = xasprintf("imap://%s@%s/%s;UIDVALIDITY=%u;UID=%u",
		    run->ic->user, run->ic->host, fc->folder,
		    fc->uidvalidity, uid);
		pipeline_push(run->pl, raw, len, source, hash, truncated);
		free(source);
	}
	xgrow(&fc->got, fc->n_got, &fc->cap_got, sizeof(*fc->got));
	fc->got[fc->n_got++] = uid;
	fc->done++;
	if (run->progress && fc->total >= PROGRESS_MIN &&
	    (fc->done % 50 == 0 || fc->done == fc->total))
		fprintf(stderr, "\r%s: %zu/%zu", fc->folder, fc->done,
		    fc->total);
	return fc->store_failed ? -1 : 0;
}

int
fetch_exit_code(enum imap_status s)
{
	switch (s) {
	case IMAP_OK:
		return EX_OK;
	case IMAP_AUTH:
		return EX_NOPERM;
	case IMAP_PROTOCOL:
		return EX_PROTOCOL;
	case IMAP_UNAVAILABLE:
	case IMAP_NO:
	default:
		return EX_UNAVAILABLE;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Does action ("seen" or "move:FOLDER") on the n UIDs and deletes their
 * pending rows.  The server refusing is a warning (the rows stay for the
 * next run); a dead connection is returned.
 */
static enum imap_status
do_action(struct run *run, const char *folder, const char *action,
    uint32_t *uids, size_t n)
{
	enum imap_status s;
	char *err = NULL;
	size_t i;

	if (!n)
		return IMAP_OK;
	qsort(uids, n, sizeof(*uids), cmp_u32);
	if (!strcmp(action, "seen")) {
		s = imap_mark_seen(run->im, uids, n, &err);
	} else if (!strncmp(action, "move:", 5)) {
		s = imap_move(run->im, uids, n, action + 5, &err);
	} else {
		log_warn("%s: '%s': unknown pending action '%s' dropped",
		    run->where, folder, action);
		s = IMAP_OK;
	}
	if (s != IMAP_OK) {
		log_msg(s == IMAP_NO ? LOG_WARN : LOG_ERR, "%s: '%s': %s",
		    run->where, folder, err);
		free(err);
		return s == IMAP_NO ? IMAP_OK : s;
	}
	if (store_begin(run->st) < 0)
		return IMAP_OK;
	for (i = 0; i < n; i++)
		if (store_pending_del(run->st, run->account, folder,
		    uids[i]) < 0) {
			store_rollback(run->st);
			return IMAP_OK;
		}
	store_commit(run->st);
	return IMAP_OK;
}

/* Replays what a previous run recorded but did not get done. */
static enum imap_status
replay_pending(struct run *run, const char *folder, uint32_t uidvalidity)
{
	struct store_pending *v = NULL;
	uint32_t *uids = NULL;
	enum imap_status s = IMAP_OK;
	size_t n = 0, i, j, k;

	if (store_pending_drop_stale(run->st, run->account, folder,
	    uidvalidity) < 0 ||
	    store_pending_list(run->st, run->account, folder, &v, &n) < 0)
		return IMAP_OK;
	if (n)
		log_info("%s: '%s': finishing %zu flag or move actions left by "
		    "an earlier run", run->where, folder, n);
	uids = xcalloc(n + 1, sizeof(*uids));
	/* rows come sorted by action: one command per action */
	for (i = 0; i < n && s == IMAP_OK; i = j) {
		for (j = i, k = 0; j < n && !strcmp(v[j].action, v[i].action);
		    j++)
			uids[k++] = v[j].uid;
		s = do_action(run, folder, v[i].action, uids, k);
	}
	free(uids);
	store_pending_free(&v, n);
	return s;
}

/* The action `after` asks for in folder, or NULL for keep; caller
 * frees. */
static char *
after_action(const struct imap_config *ic, const char *folder)
{
	switch (ic->after) {
	case IMAP_AFTER_SEEN:
		return xstrdup("seen");
	case IMAP_AFTER_MOVE:
		/* moving a folder into itself would give every message a
		 * new UID, to be fetched and moved again, forever */
		if (!strcmp(folder, ic->after_folder))
			return NULL;
		return xasprintf("move:%s", ic->after_folder);
	case IMAP_AFTER_KEEP:
	default:
		return NULL;
	}
}

/*
 * Fetches one folder, prints its summary line.  Returns the IMAP status
 * (IMAP_NO: this folder failed, the session lives on); a store failure
 * sets *store_err_r (the run stops).
 */
static enum imap_status
fetch_folder(struct run *run, const char *folder, int *store_err_r)
{
	const struct imap_config *ic = run->ic;
	struct tally t;
	struct folder_ctx fc;
	struct store_pending *pend = NULL;
	uint32_t uidvalidity, uidnext, old_uv, last_uid, *uids = NULL;
	uint32_t *sizes = NULL;
	size_t n = 0, n_pend = 0, i, k, kept_msgs = 0, kept_items = 0;
	uint64_t from, to, win;
	char *err = NULL, *action = after_action(ic, folder);
	enum imap_status s;
	int r, in_txn = 0, readonly, more;

	tally_init(&t);
	memset(&fc, 0, sizeof(fc));
	*store_err_r = 0;
	/* actions owed from a crash need a writable selection */
	if (store_pending_list(run->st, run->account, folder, &pend, &n_pend)
	    < 0)
		goto store_fail;
	store_pending_free(&pend, n_pend);
	readonly = !action && !n_pend;
	s = imap_select(run->im, folder, readonly, &uidvalidity, &uidnext,
	    &err);
	if (s != IMAP_OK)
		goto fail;
	r = store_folder_get(run->st, run->account, folder, &old_uv,
	    &last_uid);
	if (r < 0)
		goto store_fail;
	/* uidvalidity 0: the row only holds a failed run's result */
	if (r == 0 && old_uv && old_uv != uidvalidity) {
		/* UIDs now name other messages: start again from 1; what is
		 * stored is recognised by its hash */
		log_warn("%s: '%s': uidvalidity changed from %u to %u; "
		    "reading the folder again", run->where, folder, old_uv,
		    uidvalidity);
		last_uid = 0;
	}
	if (n_pend && (s = replay_pending(run, folder, uidvalidity)) !=
	    IMAP_OK)
		goto fail;

	fc.run = run;
	fc.folder = folder;
	fc.uidvalidity = uidvalidity;
	fc.t = &t;
	/*
	 * The new UIDs are listed a window at a time, each window fetched
	 * before the next is listed: libetpan parses a whole answer, so one
	 * listing of a large folder would cost memory in proportion to it.
	 * UIDNEXT bounds the windows and says whether anything is new at
	 * all; a window with nothing in it doubles the next (UIDs may be
	 * sparse), up to LIST_WINDOW_MAX.  Without UIDNEXT one "first:*".
	 */
	more = !uidnext || uidnext - 1 > last_uid;
	fc.total = more && uidnext ? uidnext - 1 - last_uid : 0;
	from = (uint64_t)last_uid + 1;
	win = LIST_WINDOW;
	while (more) {
		to = uidnext ? from + win - 1 : 0;
		if (uidnext && to > uidnext - 1)
			to = uidnext - 1;
		free(uids);
		free(sizes);
		uids = sizes = NULL;
		n = 0;
		s = imap_uids_range(run->im, (uint32_t)from, (uint32_t)to,
		    &uids, &sizes, &n, &err);
		if (s != IMAP_OK)
			goto fail;
		if (!uidnext)
			fc.total = n;
		for (i = 0; i < n; i += k) {
			uint32_t top;
			size_t bytes = sizes[i];

			for (k = 1; i + k < n && k < ic->batch &&
			    bytes + sizes[i + k] <= FETCH_BATCH_BYTES; k++)
				bytes += sizes[i + k];
			top = uids[i + k - 1];
			fc.n_got = 0;
			fc.in_txn = 0;
			s = imap_fetch(run->im, uids + i, k,
			    run->cfg->lim.max_message_size, on_message, &fc,
			    &err);
			drain(&fc, 1);
			in_txn = fc.in_txn;
			if (fc.store_failed)
				goto store_fail;
			if (s != IMAP_OK)
				goto fail;
			/* all of them expunged meanwhile: the mark moves
			 * all the same */
			if (!in_txn) {
				if (store_begin(run->st) < 0)
					goto store_fail;
				in_txn = 1;
			}
			/* the mark moves with the messages, in their
			 * transaction */
			if (store_folder_set(run->st, run->account, folder,
			    uidvalidity, top, run->now, "ok") < 0)
				goto store_fail;
			for (r = 0; action && (size_t)r < fc.n_got; r++)
				if (store_pending_add(run->st, run->account,
				    folder, uidvalidity, fc.got[r], action) < 0)
					goto store_fail;
			if (store_commit(run->st) < 0)
				goto store_fail;
			in_txn = 0;
			last_uid = top;
			kept_msgs = t.msgs;
			kept_items = t.items;
			if (action && (s = do_action(run, folder, action,
			    fc.got, fc.n_got)) != IMAP_OK)
				goto fail;
		}
		/* what was not listed below UIDNEXT is gone for good: no
		 * need to ask again next time */
		if (uidnext && last_uid < to)
			last_uid = (uint32_t)to;
		more = uidnext && to < uidnext - 1;
		win = n ? LIST_WINDOW : win * 2 > LIST_WINDOW_MAX ?
		    LIST_WINDOW_MAX : win * 2;
		from = to + 1;
	}
	if (run->progress && fc.total >= PROGRESS_MIN)
		fputc('\n', stderr);
	/* nothing new, or a new UIDVALIDITY on an empty folder */
	if (store_folder_set(run->st, run->account, folder, uidvalidity,
	    last_uid, run->now, "ok") < 0)
		goto store_fail;
	if (t.msgs) {
		printf("fetched %zu messages from %s, %zu items", t.msgs,
		    folder, t.items);
		tally_print_by(stdout, &t, run->pl);
	} else {
		printf("fetched 0 messages from %s\n", folder);
	}
	fflush(stdout);
	s = IMAP_OK;
	goto out;
store_fail:
	*store_err_r = 1;
	s = IMAP_NO;
	free(err);
	err = xstrdup("store failed");
	/* FALLTHROUGH */
fail:
	if (in_txn)
		store_rollback(run->st);
	in_txn = 0;
	if (run->progress && fc.total >= PROGRESS_MIN)
		fputc('\n', stderr);
	/* without err, do_action() has said what went wrong */
	if (err)
		log_err("%s: '%s': %s", run->where, folder, err);
	if (kept_msgs)
		printf("fetched %zu messages from %s before the error, %zu "
		    "items\n", kept_msgs, folder, kept_items);
	store_folder_result(run->st, run->account, folder, run->now,
	    err ? err : "failed");
out:
	free(err);
	free(uids);
	free(sizes);
	free(fc.got);
	free(action);
	tally_free(&t);
	return s;
}

int
fetch_run(const struct config *cfg, struct ruleset *rs, struct store *st)
{
	const struct imap_config *ic = &cfg->imap;
	struct run run;
	char *ppath = NULL, *pass = NULL, *err = NULL;
	void (*old_pipe)(int) = SIG_ERR;
	enum imap_status s;
	size_t i;
	int ret = EX_CONFIG, store_err, folder_failed = 0;

	memset(&run, 0, sizeof(run));
	if (fetch_precheck(cfg) != EX_OK)
		goto out;
	ppath = config_password_path(cfg);
	if (!ppath || config_password_read(ppath, &pass, &err) < 0) {
		log_err("%s", err ? err : "no password file");
		goto out;
	}
	if (store_set_cache(st, FETCH_CACHE_KB) < 0) {
		ret = EX_IOERR;
		goto out;
	}
	run.cfg = cfg;
	run.ic = ic;
	run.rs = rs;
	run.st = st;
	run.now = (int64_t)time(NULL);
	run.progress = isatty(STDERR_FILENO);
	run.account = xasprintf("%s@%s:%u", ic->user, ic->host, ic->port);
	run.where = xasprintf("'%s:%u'", ic->host, ic->port);
	/* a server hanging up must be an error return, not a signal */
	old_pipe = signal(SIGPIPE, SIG_IGN);

	s = imap_open(ic, pass, &run.im, &err);
	config_password_free(&pass);
	if (s != IMAP_OK) {
		log_err("%s: %s", run.where, err);
		/* every folder's last fetch failed with it (`status`) */
		for (i = 0; i < ic->n_folders; i++)
			store_folder_result(st, run.account, ic->folders[i],
			    run.now, err);
		ret = fetch_exit_code(s);
		goto out;
	}
	ret = EX_OK;
	for (i = 0; i < ic->n_folders; i++) {
		s = fetch_folder(&run, ic->folders[i], &store_err);
		if (store_err) {
			ret = EX_IOERR;
			break;
		}
		if (s == IMAP_NO) {
			/* this folder only; the others still run */
			folder_failed = 1;
			continue;
		}
		if (s != IMAP_OK) {
			ret = fetch_exit_code(s);
			break;
		}
	}
	if (ret == EX_OK && folder_failed)
		ret = EX_UNAVAILABLE;
	if (run.lost) {
		log_err("%zu messages stored without their items (the "
		    "processing stopped); 'bulletin process' makes them",
		    run.lost);
		if (ret == EX_OK)
			ret = EX_SOFTWARE;
	}
out:
	imap_close(&run.im);
	pipeline_free(&run.pl);
	if (old_pipe != SIG_ERR)
		signal(SIGPIPE, old_pipe);
	config_password_free(&pass);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	free(run.account);
	free(run.where);
	free(ppath);
	free(err);
	return ret;
}

/* `process`: the run's state for the batch callback.  Jobs come back
 * in push order, so a FIFO of message ids says whose each one is. */
struct reprocess {
	struct ruleset *rs;
	struct store *st;
	struct pipeline *pl;
	struct tally *t;
	int64_t *ids;           /* ids[head..tail) are in the pipeline */
	size_t head, tail, cap;
	int failed;             /* a store error: drop the rest */
};

/* Replaces the items of the oldest message in flight. */
static void
reprocess_store(struct reprocess *rp, struct job *j)
{
	int64_t id = rp->ids[rp->head++];
	size_t k;

	if (rp->head == rp->tail)
		rp->head = rp->tail = 0;
	if (rp->failed)
		return;
	if (j->rc < 0) {
		log_err("stored message %lld: %s", (long long)id,
		    j->err ? j->err : "cannot parse");
		rp->t->failed++;
	}
	/* a message stored raw (unparsed) gets its fields now */
	if (j->p.msg) {
		struct store_msg sm;
		char *from;
		int r;

		memset(&sm, 0, sizeof(sm));
		from = ingest_fields(&sm, j->p.msg);
		r = store_set_fields(rp->st, id, &sm);
		free(from);
		if (r < 0) {
			rp->failed = 1;
			return;
		}
	}
	if (store_delete_items(rp->st, id) < 0) {
		rp->failed = 1;
		return;
	}
	for (k = 0; k < j->p.items.n; k++)
		if (store_add_item(rp->st, id, (unsigned)k,
		    &j->p.items.v[k]) < 0) {
			rp->failed = 1;
			return;
		}
	rp->t->msgs++;
	tally_items(rp->t, &j->p.items);
}

static void
reprocess_drain(struct reprocess *rp, int all)
{
	struct job *j;

	while ((all || pipeline_full(rp->pl)) && (j = pipeline_pop(rp->pl))) {
		reprocess_store(rp, j);
		pipeline_done(rp->pl, j);
	}
}

static int
reprocess_one(void *data, int64_t id, const char *raw, size_t len)
{
	struct reprocess *rp = data;

	reprocess_drain(rp, 0);
	if (rp->failed)
		return -1;
	xgrow(&rp->ids, rp->tail, &rp->cap, sizeof(*rp->ids));
	rp->ids[rp->tail++] = id;
	pipeline_push(rp->pl, raw, len, "stored message", NULL, 0);
	return 0;
}

int
fetch_process(const struct config *cfg, struct ruleset *rs,
    struct store *st)
{
	struct tally t;
	struct reprocess rp;
	int64_t after = 0;
	size_t n;
	int r, ret = EX_IOERR;

	tally_init(&t);
	memset(&rp, 0, sizeof(rp));
	rp.rs = rs;
	rp.st = st;
	rp.t = &t;
	if (!(rp.pl = pipeline_new(rs, &cfg->lim, 0, PIPELINE_DEEP))) {
		ret = EX_SOFTWARE;
		goto out;
	}
	do {
		if (store_begin(st) < 0)
			goto out;
		r = store_raw_batch(st, after, cfg->imap.batch, reprocess_one,
		    &rp, &after, &n);
		reprocess_drain(&rp, 1);
		if (r != 0 || rp.failed) {
			store_rollback(st);
			goto out;
		}
		if (store_commit(st) < 0)
			goto out;
	} while (n == cfg->imap.batch);
	printf("processed %zu messages, %zu items", t.msgs, t.items);
	tally_print_by(stdout, &t, rp.pl);
	ret = EX_OK;
out:
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	pipeline_free(&rp.pl);
	free(rp.ids);
	tally_free(&t);
	return ret;
}

int
fetch_precheck(const struct config *cfg)
{
	char *report = NULL;

	if (!cfg->imap.enabled) {
		log_err("no [imap] section in '%s'", cfg->path ? cfg->path :
		    CONFIG_DEFAULT_PATH);
		return EX_CONFIG;
	}
	/* config_check() also reads the password file once */
	if (config_check(cfg, &report) < 0) {
		fputs(report, stderr);
		free(report);
		return EX_CONFIG;
	}
	return EX_OK;
}
