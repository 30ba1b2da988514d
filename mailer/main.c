/*
 * main.c - options and one run of the chosen command; the only exit().
 *
 *   bulletin classify [--json] [--explain] PATH...
 *   bulletin [--config FILE] ingest PATH...
 *   bulletin [--config FILE] items [--json] [--since D] [--until D]
 *            [--label ID]
 *   bulletin [--config FILE] fetch | process | check-config
 *   bulletin [--config FILE] subscriber add|set|remove|list ...
 *   bulletin [--config FILE] digest [--period W | --day D] [--dry-run]
 *            [--out DIR] [--to ADDRESS]
 *   bulletin [--config FILE] send | run
 *   bulletin [--config FILE] status [--json] | prune [--dry-run]
 *   bulletin [--config FILE] export --mbox|--json [FILE|-] | import FILE
 *   bulletin check-rules
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "classify.h"
#include "conf_example.h"   /* generated: CONF_EXAMPLE */
#include "config.h"
#include "digest.h"
#include "export.h"
#include "fetch.h"
#include "forward.h"
#include "helper.h"
#include "ingest.h"
#include "json.h"
#include "lock.h"
#include "log.h"
#include "message.h"
#include "outbox.h"
#include "pipeline.h"
#include "process.h"
#include "retention.h"
#include "rules.h"
#include "source.h"
#include "split.h"
#include "status.h"
#include "store.h"
#include "subscribers.h"

/* Messages per store transaction: big enough that commits are cheap,
 * small enough that a kill loses little work (never data: the rest is
 * ingested again by the next run). */
#define INGEST_BATCH 1024
#define INGEST_BATCH_BYTES (32u << 20)
#define EXCERPT_WORDS 40

struct opts {
	const char *config, *store, *rules;
	int json, explain;
	int64_t since, until;
	const char *label;
	struct sub_opts sub;
	struct digest_opts dig;
	int mbox;               /* export --mbox */
	int connect;            /* check-config --connect */
	long wait;              /* --wait SECONDS, or -1 for [store] lock_wait */
	int verbosity;          /* -1 -q, 0, 1 -v */
};

/* The store's lock, which a bulletin-fetch child inherits. */
static struct lock *held_lock;
static int spawn_fetch(const struct opts *o);

static void
usage(FILE *f)
{
	fputs(
"usage: bulletin [options] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  init                    write a starter configuration (never over an\n"
"                          existing one) and create the store it names\n"
"  classify [--json] [--explain] PATH...  parse, split and classify mail in\n"
"                          .eml files, Maildirs or mboxes; needs no store\n"
"  ingest PATH...          the same, into the store\n"
"  items [--json] [--since DATE] [--until DATE] [--label ID]\n"
"                          list stored items (DATE: YYYY-MM-DD or RFC 3339)\n"
"  fetch                   pull new mail from the [imap] folders, process\n"
"                          and store it\n"
"  process                 run every stored message through the rules again\n"
"  check-config [--connect]  check the configuration, password files,\n"
"                          rules, templates and store; --connect also logs\n"
"                          in to IMAP and SMTP\n"
"  check-rules             load the rule files and report errors\n"
"  subscriber add ADDRESS [--name N] [--categories LIST|all]\n"
"             [--mode weekly|daily] [--instant LIST]\n"
"                          add a subscriber (confirmed at once)\n"
"  subscriber set ADDRESS [same options]   change one\n"
"  subscriber remove ADDRESS               remove one\n"
"  subscriber list [--json]                list them (--json shows tokens)\n"
"  digest [--period YYYY-Www | --day YYYY-MM-DD|last] [--dry-run] [--out DIR]\n"
"         [--to ADDRESS]  build the digests due (default: last complete\n"
"                          ISO week), queue and send them; --dry-run only\n"
"                          writes DIR/ADDRESS.eml and .html\n"
"  send                    send what is queued\n"
"  commands                act on (un)subscribe commands among the stored\n"
"                          messages (for mail that came by ingest)\n"
"  forward                 queue instant forwards of new stored messages\n"
"  run                     fetch, then subscription commands by mail,\n"
"                          instant forwards, send, and prune\n"
"  status [--json]         last runs and fetches, store size, this week's\n"
"                          items, outbox, subscribers; exits 69 when the\n"
"                          last run failed, 75 when it only deferred mail\n"
"  prune [--dry-run]       remove mail older than [store] keep_days that\n"
"                          no digest or queued message still needs\n"
"  export --mbox|--json [FILE|-]  write the store out (default stdout)\n"
"  import FILE|-           read an export back in (an mbox is ingested)\n"
"\n"
"options:\n"
"  -c, --config FILE       configuration (default $BULLETIN_CONFIG, else\n"
"                          " CONFIG_DEFAULT_PATH ")\n"
"      --store FILE        the SQLite store (overrides [store] path)\n"
"  -r, --rules DIR         rule files (overrides [rules] dir)\n"
"      --json              JSON Lines output\n"
"      --explain           show which rules fired for each item\n"
"      --wait SECONDS      wait this long for another run holding the\n"
"                          store (default [store] lock_wait), then exit 0\n"
"  -v, --verbose           debug messages\n"
"  -q, --quiet             errors only\n"
"  -h, --help              this text\n"
"  -V, --version           the version\n", f);
}

/* YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ; end_of_day moves a bare date to
 * the next midnight, so --until includes the day it names. */
static int
parse_when(const char *s, int end_of_day, int64_t *t_r)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && !*end) {
		*t_r = (int64_t)timegm(&tm);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	*t_r = (int64_t)timegm(&tm) + (end_of_day ? 86400 : 0);
	return 0;
}

static int
load_rules(const struct opts *o, const struct config *cfg,
    struct ruleset **rs_r)
{
	const char *dir = o->rules ? o->rules : cfg->rules_dir;
	char *err = NULL;
	int r;

	/* the local directory over the shipped one, when both are there
	 * and differ; --rules names exactly what to load */
	r = rules_load_dirs(cfg->rules_shipped, dir, o->rules != NULL, rs_r,
	    &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err ? err : "cannot load rules");
		log_err("refusing to run with a broken rule set in '%s'", dir);
		free(err);
		return -1;
	}
	return 0;
}

static void
print_item_json(FILE *f, const char *title, int64_t date, const char *url,
    const char *const *labels, size_t n_labels, const char *text,
    const char *source, unsigned words)
{
	char *excerpt = str_first_words(text ? text : "", EXCERPT_WORDS);
	size_t i;

	putc('{', f);
	json_kstr(f, 1, "title", title);
	json_kdate(f, 0, "date", date);
	json_kstr(f, 0, "url", url);
	fputs(",\"labels\":[", f);
	for (i = 0; i < n_labels; i++) {
		if (i)
			putc(',', f);
		json_str(f, labels[i]);
	}
	putc(']', f);
	json_kstr(f, 0, "excerpt", excerpt);
	json_kint(f, 0, "words", words);
	json_kstr(f, 0, "source", source);
	putc('}', f);
	free(excerpt);
}

static const char **
label_ids(const struct item *it)
{
	const char **v = xcalloc(it->n_labels + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < it->n_labels; i++)
		v[i] = it->labels[i].id;
	return v;
}

static void
print_message_json(FILE *f, const char *name, const struct processed *p)
{
	const struct message *m = p->msg;
	char *from = message_from(m);
	size_t i;

	putc('{', f);
	json_kstr(f, 1, "source", name);
	json_kstr(f, 0, "message_id", m->message_id);
	json_kstr(f, 0, "subject", m->subject);
	json_kstr(f, 0, "from", from);
	json_kdate(f, 0, "date", m->date);
	if (m->forwarded) {
		json_kstr(f, 0, "forwarded_by", m->fwd_from);
		json_kstr(f, 0, "note", m->note);
	}
	if (m->n_atts) {
		fputs(",\"attachments\":[", f);
		for (i = 0; i < m->n_atts; i++) {
			if (i)
				putc(',', f);
			putc('{', f);
			json_kstr(f, 1, "filename", m->atts[i].filename);
			json_kstr(f, 0, "type", m->atts[i].content_type);
			json_kint(f, 0, "size", (int64_t)m->atts[i].size);
			putc('}', f);
		}
		putc(']', f);
	}
	if (m->problem)
		json_kstr(f, 0, "problem", m->problem);
	fputs(",\"items\":[", f);
	for (i = 0; i < p->items.n; i++) {
		const struct item *it = &p->items.v[i];
		const char **ids = label_ids(it);

		if (i)
			putc(',', f);
		print_item_json(f, it->title, it->date, it->url, ids,
		    it->n_labels, it->text, it->source, it->words);
		free(ids);
	}
	fputs("]}\n", f);
	free(from);
}

static void
print_labels(FILE *f, const char *const *labels, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "," : "", labels[i]);
	fputs("] ", f);
}

static void
print_message_text(FILE *f, const char *name, const struct processed *p,
    const char *explain)
{
	const struct message *m = p->msg;
	char *from = message_from(m);
	char date[32];
	size_t i;

	time_rfc3339(m->date, date);
	fprintf(f, "%s\n  subject: %s\n  from:    %s\n  date:    %s\n", name,
	    m->subject, from, *date ? date : "unknown");
	if (m->forwarded) {
		char *note = str_first_words(m->note ? m->note : "", 25);

		fprintf(f, "  forwarded by %s%s%s\n", m->fwd_from ?
		    m->fwd_from : "unknown", *note ? ": " : "", note);
		free(note);
	}
	for (i = 0; i < m->n_atts; i++)
		fprintf(f, "  attachment: %s (%s)\n", m->atts[i].filename ?
		    m->atts[i].filename : "unnamed", m->atts[i].content_type);
	for (i = 0; i < p->items.n; i++) {
		const struct item *it = &p->items.v[i];
		const char **ids = label_ids(it);
		char *ex = str_first_words(it->text, 25);

		fprintf(f, "  %zu. ", i + 1);
		print_labels(f, ids, it->n_labels);
		fprintf(f, "%s\n", it->title);
		if (it->url)
			fprintf(f, "     <%s>\n", it->url);
		if (*ex)
			fprintf(f, "     %s\n", ex);
		free(ex);
		free(ids);
	}
	if (explain && *explain)
		fprintf(f, "  explain:\n%s", explain);
	fputc('\n', f);
	free(from);
}

/*
 * Every message of every path through the pipeline; use() takes each
 * result in order and returns -1 to stop everything (a store error).
 * With st set, messages already stored are counted in *ndup and skipped
 * before any parsing.  Returns the number of inputs that could not be
 * read, or -1 when use() stopped the run.
 */
static long
feed(struct pipeline *pl, char **paths, int npaths, const struct config *cfg,
    struct store *st, size_t *ndup, int (*use)(void *ctx, struct job *j),
    void *ctx)
{
	struct job *j;
	long failed = 0;
	int i, r;

	for (i = 0; i < npaths; i++) {
		struct source *src = NULL;
		struct raw_msg raw;
		char *err = NULL, hash[65];

		if (source_open(paths[i], cfg->lim.max_message_size, &src,
		    &err) < 0) {
			log_err("%s", err);
			free(err);
			failed++;
			continue;
		}
		while ((r = source_next(src, &raw, &err)) != 0) {
			if (r < 0) {
				log_err("%s", err);
				free(err);
				err = NULL;
				failed++;
				continue;
			}
			if (st) {
				store_hash(raw.data, raw.len, hash);
				if ((r = store_has_message(st, hash)) != 0) {
					if (r < 0)
						goto stop;
					(*ndup)++;
					continue;
				}
			}
			while (pipeline_full(pl)) {
				j = pipeline_pop(pl);
				r = use(ctx, j);
				pipeline_done(pl, j);
				if (r < 0)
					goto stop;
			}
			pipeline_push(pl, raw.data, raw.len, raw.name,
			    st ? hash : NULL, raw.truncated);
		}
		source_close(&src);
	}
	while ((j = pipeline_pop(pl))) {
		r = use(ctx, j);
		pipeline_done(pl, j);
		if (r < 0)
			return -1;
	}
	return failed;
stop:
	return -1;
}

/* Reports what a worker found; 0 when the message was parsed. */
static int
job_report(const struct config *cfg, const struct job *j)
{
	if (j->truncated)
		log_warn("%s: cut to %zu bytes", j->name,
		    cfg->lim.max_message_size);
	if (j->rc < 0) {
		log_err("%s: %s", j->name, j->err ? j->err : "cannot parse");
		return -1;
	}
	if (j->p.msg->problem)
		log_warn("%s: %s", j->name, j->p.msg->problem);
	return 0;
}

struct classify_run {
	const struct opts *o;
	const struct config *cfg;
	const struct ruleset *rs;
	struct tally t;
};

static int
classify_use(void *ctx, struct job *j)
{
	struct classify_run *c = ctx;

	if (job_report(c->cfg, j) < 0) {
		c->t.failed++;
		return 0;
	}
	c->t.msgs++;
	tally_items(&c->t, &j->p.items);
	if (c->o->json)
		print_message_json(stdout, j->name, &j->p);
	else
		print_message_text(stdout, j->name, &j->p, j->explain.data);
	return 0;
}

static int
cmd_classify(const struct opts *o, const struct config *cfg, char **paths,
    int npaths)
{
	struct ruleset *rs = NULL;
	struct pipeline *pl = NULL;
	struct classify_run c;
	long failed;
	int ret = EX_SOFTWARE;

	memset(&c, 0, sizeof(c));
	if (load_rules(o, cfg, &rs) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (!(pl = pipeline_new(rs, &cfg->lim, 0, PIPELINE_DEEP |
	    (o->explain ? PIPELINE_EXPLAIN : 0))))
		goto out;
	c.o = o;
	c.cfg = cfg;
	c.rs = rs;
	tally_init(&c.t);
	failed = feed(pl, paths, npaths, cfg, NULL, NULL, classify_use, &c);
	if (!o->json) {
		printf("%zu messages, %zu items", c.t.msgs, c.t.items);
		tally_print_by(stdout, &c.t, pl);
	}
	ret = failed || c.t.failed ? EX_DATAERR : EX_OK;
out:
	if (fflush(stdout) != 0) {
		log_errno(LOG_ERR, "cannot write output");
		ret = EX_IOERR;
	}
	tally_free(&c.t);
	pipeline_free(&pl);
	rules_free(&rs);
	return ret;
}

/* The compiled rules are kept beside the store (rules_set_cache). */
static void
set_rules_cache(const struct opts *o, const struct config *cfg,
    struct ruleset *rs)
{
	char *path = xasprintf("%s.rules-cache",
	    o->store ? o->store : cfg->store_path);

	rules_set_cache(rs, path);
	free(path);
}

static int
open_store(const struct opts *o, const struct config *cfg,
    struct store **st_r)
{
	const char *path = o->store ? o->store : cfg->store_path;
	char *err = NULL;

	if (store_open(path, st_r, &err) < 0) {
		log_err("%s", err);
		free(err);
		return -1;
	}
	return 0;
}

struct ingest_run {
	const struct config *cfg;
	const struct ruleset *rs;
	struct store *st;
	struct tally t;
	size_t batch, batch_bytes;
	int in_txn;
	int64_t now;
};

/* Stores each result, committing every INGEST_BATCH messages. */
static int
ingest_use(void *ctx, struct job *j)
{
	struct ingest_run *g = ctx;

	if (!g->in_txn) {
		if (store_begin(g->st) < 0)
			return -1;
		g->in_txn = 1;
	}
	if (ingest_job(g->st, j, j->name, g->now, &g->t) < 0)
		return -1;
	g->batch_bytes += j->len;
	if (++g->batch >= INGEST_BATCH ||
	    g->batch_bytes >= INGEST_BATCH_BYTES) {
		if (store_commit(g->st) < 0)
			return -1;
		g->in_txn = 0;
		g->batch = g->batch_bytes = 0;
	}
	return 0;
}

static int
cmd_ingest(const struct opts *o, const struct config *cfg, char **paths,
    int npaths)
{
	struct ruleset *rs = NULL;
	struct pipeline *pl = NULL;
	struct ingest_run g;
	long failed;
	int ret = EX_SOFTWARE;

	memset(&g, 0, sizeof(g));
	if (load_rules(o, cfg, &rs) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (open_store(o, cfg, &g.st) < 0) {
		ret = EX_CANTCREAT;
		goto out;
	}
	set_rules_cache(o, cfg, rs);
	if (!(pl = pipeline_new(rs, &cfg->lim, 0, PIPELINE_DEEP)))
		goto out;
	/* from here on what fails is writing the store (a full disk, a raw
	 * file that cannot be written): each error is already logged */
	ret = EX_IOERR;
	/*
	 * The batches commit without waiting for SQLite's log to reach the
	 * disk (an fsync of it per batch stalled the whole pipeline; the raw
	 * file's, which store_commit makes, is short) and store_sync makes
	 * them all durable at the end.  A batch is one transaction: kill -9
	 * loses nothing committed, a power cut at most the batches since
	 * the last checkpoint, whole, and the next run ingests them again.
	 */
	if (store_set_durable(g.st, 0) < 0)
		goto out;
	/* failing that, checkpoints stay in the commits: slower, no worse */
	store_checkpointer_start(g.st);
	g.cfg = cfg;
	g.rs = rs;
	g.now = (int64_t)time(NULL);
	tally_init(&g.t);
	failed = feed(pl, paths, npaths, cfg, g.st, &g.t.dups, ingest_use, &g);
	if (failed < 0)
		goto out;
	if (g.in_txn) {
		if (store_commit(g.st) < 0)
			goto out;
		g.in_txn = 0;
	}
	if (store_set_durable(g.st, 1) < 0 || store_sync(g.st) < 0)
		goto out;
	printf("ingested %zu new, %zu duplicate, %zu failed messages; "
	    "%zu items", g.t.msgs, g.t.dups, g.t.failed + (size_t)failed,
	    g.t.items);
	tally_print_by(stdout, &g.t, pl);
	ret = failed || g.t.failed ? EX_DATAERR : EX_OK;
out:
	pipeline_free(&pl);
	if (g.in_txn)
		store_rollback(g.st);
	tally_free(&g.t);
	store_close(&g.st);
	rules_free(&rs);
	return ret;
}

static int
print_stored(void *ctx, const struct store_item *it)
{
	const struct opts *o = ctx;
	char date[32];

	if (o->json) {
		print_item_json(stdout, it->title, it->date, it->url,
		    it->labels, it->n_labels, it->text, it->source,
		    it->words);
		putchar('\n');
		return 0;
	}
	time_rfc3339(it->date, date);
	print_labels(stdout, it->labels, it->n_labels);
	printf("%s\n    %s, %s%s%s\n", it->title, it->source,
	    *date ? date : "undated", it->url ? " <" : "",
	    it->url ? it->url : "");
	if (it->url)
		putchar('>');
	putchar('\n');
	return 0;
}

static int
cmd_items(const struct opts *o, const struct config *cfg)
{
	struct store *st = NULL;
	struct store_query q;
	struct opts copy = *o;   /* the callback's context is not const */
	int ret = EX_SOFTWARE;

	if (open_store(o, cfg, &st) < 0)
		return EX_CANTCREAT;
	memset(&q, 0, sizeof(q));
	q.since = o->since;
	q.until = o->until;
	q.label = o->label;
	if (store_items(st, &q, print_stored, &copy) == 0)
		ret = EX_OK;
	store_close(&st);
	if (fflush(stdout) != 0)
		ret = EX_IOERR;
	return ret;
}

/* fetch and process: the rules and the store here, the rest in fetch.c */
static int
cmd_store_job(const struct opts *o, const struct config *cfg,
    int (*job)(const struct config *, struct ruleset *, struct store *))
{
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	int ret;

	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	if (open_store(o, cfg, &st) < 0) {
		rules_free(&rs);
		return EX_CANTCREAT;
	}
	set_rules_cache(o, cfg, rs);
	ret = job(cfg, rs, st);
	store_close(&st);
	rules_free(&rs);
	return ret;
}

/* subscriber and digest: the rules (for category ids) and the store */
static int
cmd_subscriber(const struct opts *o, const struct config *cfg, char **args,
    int nargs)
{
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	int ret;

	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	if (open_store(o, cfg, &st) < 0) {
		rules_free(&rs);
		return EX_CANTCREAT;
	}
	ret = subscribers_cli(st, rs, &o->sub, args, nargs);
	store_close(&st);
	rules_free(&rs);
	if (fflush(stdout) != 0)
		ret = EX_IOERR;
	return ret;
}

static int
cmd_digest(const struct opts *o, const struct config *cfg)
{
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	int64_t now = (int64_t)time(NULL);
	int ret;

	if (o->dig.dry_run && !o->dig.out_dir) {
		fprintf(stderr, "bulletin: --dry-run needs --out DIR\n");
		return EX_USAGE;
	}
	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	if (open_store(o, cfg, &st) < 0) {
		rules_free(&rs);
		return EX_CANTCREAT;
	}
	ret = digest_run(cfg, rs, st, &o->dig, now);
	if (ret == EX_OK && !o->dig.dry_run)
		ret = outbox_send(cfg, st, now);
	store_close(&st);
	rules_free(&rs);
	if (fflush(stdout) != 0)
		ret = EX_IOERR;
	return ret;
}

/* commands and forward: the passes run does after fetch, alone */
static int
cmd_pass(const struct opts *o, const struct config *cfg,
    int (*pass)(const struct config *, const struct ruleset *,
    struct store *, int64_t))
{
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	int ret;

	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	if (open_store(o, cfg, &st) < 0) {
		rules_free(&rs);
		return EX_CANTCREAT;
	}
	ret = pass(cfg, rs, st, (int64_t)time(NULL));
	store_close(&st);
	rules_free(&rs);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	return ret;
}

static int
cmd_send(const struct opts *o, const struct config *cfg)
{
	struct store *st = NULL;
	int ret;

	if (open_store(o, cfg, &st) < 0)
		return EX_CANTCREAT;
	ret = outbox_send(cfg, st, (int64_t)time(NULL));
	store_close(&st);
	return ret;
}

/*
 * fetch, then the subscription commands that came with it, then instant
 * forwards, then send.  A failed fetch does not keep what is already
 * stored or queued from going out; the first failure is the exit code.
 */
static int
cmd_run(const struct opts *o, const struct config *cfg)
{
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	int ret, r;

	if (!*cfg->smtp.from || !*cfg->smtp.url) {
		fprintf(stderr, "bulletin: run sends mail: set [smtp] url and "
		    "from\n");
		return EX_CONFIG;
	}
	ret = fetch_precheck(cfg);
	if (ret != EX_OK)
		return ret;
	/* first: a stale rules cache is compiled here, not in the child */
	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	if (open_store(o, cfg, &st) < 0) {
		rules_free(&rs);
		return EX_CANTCREAT;
	}
	set_rules_cache(o, cfg, rs);
	{
		struct classifier *cl = classifier_new(rs);

		classifier_free(&cl);
	}
	ret = spawn_fetch(o);
	r = subscribers_mail_run(cfg, rs, st, (int64_t)time(NULL));
	if (ret == EX_OK)
		ret = r;
	r = forward_run(cfg, rs, st, (int64_t)time(NULL));
	if (ret == EX_OK)
		ret = r;
	r = outbox_send(cfg, st, (int64_t)time(NULL));
	if (ret == EX_OK)
		ret = r;
	r = retention_prune(cfg, st, (int64_t)time(NULL), 0, NULL);
	if (ret == EX_OK)
		ret = r;
	store_close(&st);
	rules_free(&rs);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	return ret;
}

static int
check_rules_loadable(const struct opts *o, const struct config *cfg)
{
	struct ruleset *rs = NULL;

	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	rules_free(&rs);
	return EX_OK;
}

/*
 * The IMAP part of fetch and run: bulletin-fetch (main_fetch.c), with
 * our options, holding our lock; we wait for it.  It dies with us.
 */
static int
spawn_fetch(const struct opts *o)
{
	char **argv, msg[512];
	pid_t pid, parent = getpid();
	int st, fd = lock_fd(held_lock), rep[2];
	ssize_t n;

	if (pipe2(rep, O_CLOEXEC) < 0) {
		log_errno(LOG_ERR, "pipe");
		return EX_OSERR;
	}
	argv = helper_argv("bulletin-fetch", o->verbosity, o->config,
	    o->store, o->rules, rep[1]);

	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_errno(LOG_ERR, "fork");
		argv_free(argv);
		close(rep[0]);
		close(rep[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(EX_SOFTWARE);
		/* the lock stays held while the child lives, even alone */
		if (fd >= 0)
			fcntl(fd, F_SETFD, 0);
		fcntl(rep[1], F_SETFD, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(rep[1]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			log_errno(LOG_ERR, "waitpid");
			st = EX_OSERR << 8;
			break;
		}
	if (WIFSIGNALED(st)) {
		log_err("bulletin-fetch died of signal %d", WTERMSIG(st));
		st = EX_SOFTWARE << 8;
	} else if (WEXITSTATUS(st) == 127) {
		log_err("cannot run %s", argv[0]);
		st = EX_UNAVAILABLE << 8;
	}
	/* its problem (it printed it) is this run's, for `status` */
	while ((n = read(rep[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
		;
	close(rep[0]);
	if (n > 0 && WEXITSTATUS(st) != EX_OK) {
		msg[n] = '\0';
		log_problem_set(msg);
	}
	argv_free(argv);
	return WEXITSTATUS(st);
}

/* check-config: the rules as every run loads them, then the rest */
static int
cmd_check_config(const struct opts *o, const struct config *cfg)
{
	struct ruleset *rs = NULL;
	int ret, r;

	r = load_rules(o, cfg, &rs) < 0 ? EX_CONFIG : EX_OK;
	rules_free(&rs);
	ret = check_run(cfg, o->store ? o->store : cfg->store_path,
	    o->connect);
	if (r != EX_OK)
		ret = r;
	if (ret == EX_OK)
		puts("ok");
	return ret;
}

static int
cmd_prune(const struct opts *o, const struct config *cfg)
{
	struct store *st = NULL;
	int ret;

	if (open_store(o, cfg, &st) < 0)
		return EX_CANTCREAT;
	ret = retention_prune(cfg, st, (int64_t)time(NULL), o->dig.dry_run,
	    stdout);
	store_close(&st);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	return ret;
}

/* export --mbox|--json [FILE|-] */
static int
cmd_export(const struct opts *o, const struct config *cfg, char **args,
    int nargs)
{
	struct store *st = NULL;
	int ret;

	if (o->mbox == o->json || nargs > 1) {
		fprintf(stderr, "bulletin: export needs --mbox or --json, and "
		    "at most a FILE\n");
		return EX_USAGE;
	}
	if (open_store(o, cfg, &st) < 0)
		return EX_CANTCREAT;
	ret = export_run(st, o->mbox ? EXPORT_MBOX : EXPORT_JSON,
	    nargs ? args[0] : NULL);
	store_close(&st);
	return ret;
}

/* import FILE: an mbox goes the ingest path, a JSON export is restored */
static int
cmd_import(const struct opts *o, const struct config *cfg, char **args,
    int nargs)
{
	enum export_format fmt;
	struct store *st = NULL;
	int ret;

	if (nargs != 1) {
		fprintf(stderr, "bulletin: import needs one FILE\n");
		return EX_USAGE;
	}
	ret = export_detect(args[0], &fmt);
	if (ret != EX_OK)
		return ret;
	if (fmt == EXPORT_MBOX)
		return cmd_ingest(o, cfg, args, 1);
	if (open_store(o, cfg, &st) < 0)
		return EX_CANTCREAT;
	/* a line holds a message in base64 with its items' text */
	ret = export_import_json(st, args[0],
	    cfg->lim.max_message_size / 3 * 4 * 2 + (16u << 20));
	store_close(&st);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
	return ret;
}

/* The commands `status` reports on (status.h), or NULL. */
static const char *
recorded_run(const char *cmd, const struct opts *o)
{
	static const char *const v[] = { "fetch", "run", "digest", "send",
	    "prune" };
	size_t i;

	if (o->dig.dry_run)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(v); i++)
		if (!strcmp(cmd, v[i]))
			return v[i];
	return NULL;
}

static int
cmd_check_rules(const struct opts *o, const struct config *cfg)
{
	struct ruleset *rs = NULL;
	struct classifier *cl = NULL;

	if (load_rules(o, cfg, &rs) < 0)
		return EX_CONFIG;
	/* compiles the databases too, so every rule is really checked */
	if (!(cl = classifier_new(rs))) {
		rules_free(&rs);
		return EX_CONFIG;
	}
	classifier_free(&cl);
	printf("%zu categories, %zu rules: ok\n", rules_ncategories(rs),
	    rules_count(rs));
	rules_free(&rs);
	return EX_OK;
}

/* mkdir -p for the directories above path, mode for the new ones. */
static int
make_parents(const char *path, mode_t mode)
{
	char *dir = xstrdup(path), *p;
	int ret = 0;

	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, mode) < 0 && errno != EEXIST) {
			log_errno(LOG_ERR, "cannot create '%s'", dir);
			ret = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return ret;
}

/* Writes the starter configuration to path, which must not exist. */
static int
write_starter(const char *path, const char *store)
{
	static const char text[] = CONF_EXAMPLE;
	static const char dflt[] = "/var/lib/bulletin/bulletin.db";
	const char *at = strstr(text, dflt);
	FILE *f;
	int fd, ok;

	if (make_parents(path, 0755) < 0)
		return -1;
	/* no secrets in it (passwords live in their own files): 0644 lets
	 * a service's dynamic user read it */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
		log_errno(LOG_ERR, "cannot create '%s'", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (store && at)
		ok = fprintf(f, "%.*s%s%s", (int)(at - text), text, store,
		    at + sizeof(dflt) - 1) > 0;
	else
		ok = fputs(text, f) >= 0;
	if (fclose(f) != 0 || !ok) {
		log_errno(LOG_ERR, "cannot write '%s'", path);
		unlink(path);
		return -1;
	}
	printf("wrote a starter configuration to %s\n", path);
	return 0;
}

/*
 * init: the starter configuration (never over an existing one), then the
 * store it names, created with its directory and schema.
 */
static int
cmd_init(const struct opts *o)
{
	const char *env = getenv("BULLETIN_CONFIG");
	const char *path = o->config ? o->config :
	    env && *env ? env : CONFIG_DEFAULT_PATH;
	struct config cfg;
	struct store *st = NULL;
	char *err = NULL;
	int ret = EX_CANTCREAT;

	if (access(path, F_OK) == 0)
		printf("%s exists; left as it is\n", path);
	else if (write_starter(path, o->store) < 0)
		return EX_CANTCREAT;
	if (config_load(path, &cfg, &err) < 0) {
		fputs(err, stderr);
		free(err);
		config_free(&cfg);
		return EX_CONFIG;
	}
	if (make_parents(o->store ? o->store : cfg.store_path, 0750) == 0 &&
	    open_store(o, &cfg, &st) == 0) {
		printf("store ready: %s\n", o->store ? o->store :
		    cfg.store_path);
		printf("next: edit %s, put the IMAP and SMTP passwords in "
		    "files of mode 0600, and run 'bulletin check-config "
		    "--connect'\n", path);
		ret = EX_OK;
	}
	store_close(&st);
	config_free(&cfg);
	return ret;
}

/* Commands that change the store run one at a time (lock.h); reading
 * ones (items, subscriber list, classify) need no lock: SQLite's WAL
 * gives them a consistent snapshot beside a writer. */
static int
writes_store(const char *cmd, char **args, int nargs)
{
	static const char *const writers[] = { "ingest", "fetch", "process",
	    "digest", "send", "commands", "forward", "run", "prune",
	    "import" };
	size_t i;

	if (!strcmp(cmd, "subscriber"))
		return nargs > 0 && strcmp(args[0], "list") != 0;
	for (i = 0; i < ARRAY_SIZE(writers); i++)
		if (!strcmp(cmd, writers[i]))
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	enum { O_STORE = 256, O_JSON, O_EXPLAIN, O_SINCE, O_UNTIL, O_LABEL,
		O_NAME, O_CATEGORIES, O_MODE, O_INSTANT, O_PERIOD, O_DAY, O_WAIT, O_CONNECT,
		O_DRY_RUN, O_OUT, O_TO, O_MBOX };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, O_STORE },
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, O_JSON },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "since", required_argument, NULL, O_SINCE },
		{ "until", required_argument, NULL, O_UNTIL },
		{ "label", required_argument, NULL, O_LABEL },
		{ "name", required_argument, NULL, O_NAME },
		{ "categories", required_argument, NULL, O_CATEGORIES },
		{ "mode", required_argument, NULL, O_MODE },
		{ "instant", required_argument, NULL, O_INSTANT },
		{ "period", required_argument, NULL, O_PERIOD },
		{ "day", required_argument, NULL, O_DAY },
		{ "dry-run", no_argument, NULL, O_DRY_RUN },
		{ "out", required_argument, NULL, O_OUT },
		{ "to", required_argument, NULL, O_TO },
		{ "mbox", no_argument, NULL, O_MBOX },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "connect", no_argument, NULL, O_CONNECT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct config cfg;
	struct lock *lk = NULL;
	enum log_level lvl = LOG_INFO;
	struct status_rec *rec = NULL;
	const char *run_cmd;
	const char *cmd;
	char *err = NULL;
	int c, ret;

	/* the store holds subscribers' addresses and tokens: not for
	 * others to read, whatever the caller's umask */
	umask(umask(027) | 027);
	memset(&o, 0, sizeof(o));
	o.wait = -1;
	while ((c = getopt_long(argc, argv, "c:r:vqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case O_STORE: o.store = optarg; break;
		case 'r': o.rules = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_EXPLAIN: o.explain = 1; break;
		case O_LABEL: o.label = optarg; break;
		case O_NAME: o.sub.name = optarg; break;
		case O_CATEGORIES: o.sub.categories = optarg; break;
		case O_MODE: o.sub.mode = optarg; break;
		case O_INSTANT: o.sub.instant = optarg; break;
		case O_PERIOD: o.dig.period = optarg; break;
		case O_DAY: o.dig.day = optarg; break;
		case O_DRY_RUN: o.dig.dry_run = 1; break;
		case O_OUT: o.dig.out_dir = optarg; break;
		case O_TO: o.dig.to = optarg; break;
		case O_MBOX: o.mbox = 1; break;
		case O_CONNECT: o.connect = 1; break;
		case O_WAIT:
			if (parse_long(optarg, 0, 86400, &o.wait) < 0) {
				fprintf(stderr, "bulletin: bad --wait '%s' "
				    "(want seconds, 0-86400)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'v': lvl = LOG_DEBUG; o.verbosity = 1; break;
		case 'q': lvl = LOG_ERR; o.verbosity = -1; break;
		case 'h': usage(stdout); return EX_OK;
		case 'V': printf("bulletin %s\n", BULLETIN_VERSION);
			return EX_OK;
		case O_SINCE:
		case O_UNTIL:
			if (parse_when(optarg, c == O_UNTIL, c == O_SINCE ?
			    &o.since : &o.until) < 0) {
				fprintf(stderr, "bulletin: bad date '%s' "
				    "(want YYYY-MM-DD)\n", optarg);
				return EX_USAGE;
			}
			break;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	/* under systemd, stderr goes to the journal: prefix priorities */
	log_init(lvl, getenv("JOURNAL_STREAM") != NULL);
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind++];
	if (!strcmp(cmd, "init"))   /* before the file it writes is read */
		return optind == argc ? cmd_init(&o) : EX_USAGE;
	if (config_load(o.config, &cfg, &err) < 0) {
		fputs(err, stderr);
		free(err);
		config_free(&cfg);
		return EX_CONFIG;
	}
	if (writes_store(cmd, argv + optind, argc - optind)) {
		const char *sp = o.store ? o.store : cfg.store_path;

		c = lock_store(sp, o.wait >= 0 ? (unsigned)o.wait :
		    cfg.lock_wait, &lk);
		held_lock = lk;
		if (c != 0) {
			if (c > 0)
				log_warn("another run holds '%s.lock'; exiting",
				    sp);
			config_free(&cfg);
			return c > 0 ? EX_OK : EX_CANTCREAT;
		}
	}
	message_init();
	/* a row in the store's runs table for `status` */
	if ((run_cmd = recorded_run(cmd, &o)))
		rec = status_run_begin(o.store ? o.store : cfg.store_path,
		    run_cmd, (int64_t)time(NULL));
	if (!strcmp(cmd, "classify") || !strcmp(cmd, "ingest")) {
		if (optind >= argc) {
			fprintf(stderr, "bulletin: %s needs a PATH "
			    "(.eml file, Maildir or mbox)\n", cmd);
			ret = EX_USAGE;
		} else if (cmd[0] == 'c') {
			ret = cmd_classify(&o, &cfg, argv + optind,
			    argc - optind);
		} else {
			ret = cmd_ingest(&o, &cfg, argv + optind,
			    argc - optind);
		}
	} else if (!strcmp(cmd, "items") && optind == argc) {
		ret = cmd_items(&o, &cfg);
	} else if (!strcmp(cmd, "fetch") && optind == argc) {
		/* a broken [imap] is reported before rules and store */
		/* a broken [imap] or rule set is reported before any
		 * connection (bulletin-work loads the rules again: they are
		 * parsed here, not compiled) */
		ret = fetch_precheck(&cfg);
		if (ret == EX_OK)
			ret = check_rules_loadable(&o, &cfg);
		if (ret == EX_OK)
			ret = spawn_fetch(&o);
	} else if (!strcmp(cmd, "process") && optind == argc) {
		ret = cmd_store_job(&o, &cfg, fetch_process);
	} else if (!strcmp(cmd, "check-config") && optind == argc) {
		ret = cmd_check_config(&o, &cfg);
	} else if (!strcmp(cmd, "subscriber")) {
		o.sub.json = o.json;
		ret = cmd_subscriber(&o, &cfg, argv + optind, argc - optind);
	} else if (!strcmp(cmd, "digest") && optind == argc) {
		ret = cmd_digest(&o, &cfg);
	} else if (!strcmp(cmd, "send") && optind == argc) {
		ret = cmd_send(&o, &cfg);
	} else if (!strcmp(cmd, "commands") && optind == argc) {
		ret = cmd_pass(&o, &cfg, subscribers_mail_run);
	} else if (!strcmp(cmd, "forward") && optind == argc) {
		ret = cmd_pass(&o, &cfg, forward_run);
	} else if (!strcmp(cmd, "run") && optind == argc) {
		ret = cmd_run(&o, &cfg);
	} else if (!strcmp(cmd, "status") && optind == argc) {
		ret = status_run(o.store ? o.store : cfg.store_path, o.json,
		    (int64_t)time(NULL));
	} else if (!strcmp(cmd, "prune") && optind == argc) {
		ret = cmd_prune(&o, &cfg);
	} else if (!strcmp(cmd, "export")) {
		ret = cmd_export(&o, &cfg, argv + optind, argc - optind);
	} else if (!strcmp(cmd, "import")) {
		ret = cmd_import(&o, &cfg, argv + optind, argc - optind);
	} else if (!strcmp(cmd, "check-rules") && optind == argc) {
		ret = cmd_check_rules(&o, &cfg);
	} else {
		fprintf(stderr, "bulletin: unknown command or extra "
		    "arguments: '%s'\n", cmd);
		usage(stderr);
		ret = EX_USAGE;
	}
	status_run_end(&rec, ret, (int64_t)time(NULL));
	message_shutdown();
	lock_free(&lk);
	config_free(&cfg);
	return ret;
}
