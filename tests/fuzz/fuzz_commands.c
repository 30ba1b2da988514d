/*
 * fuzz_commands.c - subscription commands by mail (subscribers.c): the
 * input is a raw message, stored as `ingest` stores it, then
 * subscribers_mail_run() acts on it as `run` and `commands` do, in an
 * in-memory store that already has one confirmed and one unconfirmed
 * subscriber with known tokens (in the seeds and the dictionary), so
 * subscribe, confirm and unsubscribe all get as far as the store and
 * the confirmation message (templates/confirm.txt, compose_digest).
 * The first line is also given to subscribers_parse_command() and the
 * From line to subscribers_address_of() directly.  Checks: a parsed
 * token is a token, an address found passes subscribers_address_ok(),
 * a queued confirmation has no stray header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "fuzz.h"
#include "ingest.h"
#include "pipeline.h"
#include "process.h"
#include "store.h"
#include "subscribers.h"
#include "util.h"

#define TOKEN_A "0123456789abcdef0123456789abcdef"
#define TOKEN_B "fedcba9876543210fedcba9876543210"

static struct config cfg;
static struct classifier *cl;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *tdir, *text, *path, *err = NULL;

	(void)argc;
	(void)argv;
	fuzz_init();
	tdir = fuzz_src("templates");
	text = xasprintf("[smtp]\nurl = smtp://127.0.0.1:2525\ntls = none\n"
	    "from = Branch Digest <digest@example.org>\n[digest]\n"
	    "name = Fuzz Bulletin\ntemplates = %s\n", tdir);
	path = fuzz_write("bulletin.conf", text, strlen(text));
	if (config_load(path, &cfg, &err) < 0) {
		fprintf(stderr, "%s", err);
		fuzz_fail(__FILE__, __LINE__, "config");
	}
	free(path);
	free(text);
	free(tdir);
	if (!(cl = classifier_new(fuzz_rules())))
		fuzz_fail(__FILE__, __LINE__, "no classifier");
	return 0;
}

static struct store *
fresh_store(void)
{
	static const char *const cats[] = { "nao", "pac" };
	static const char *const modes[] = { "weekly", "instant" };
	struct store *st = NULL;
	char *err = NULL;
	int64_t id;

	if (store_open(":memory:", &st, &err) < 0 ||
	    store_sub_add(st, "member@example.org", "Member", 1, TOKEN_A,
	    1795000000, &id) != 0 ||
	    store_sub_set_cats(st, id, cats, modes, 2) < 0 ||
	    store_sub_add(st, "new@example.org", "", 0, TOKEN_B,
	    1795000000, &id) != 0 ||
	    store_sub_set_cats(st, id, cats, modes, 1) < 0) {
		fprintf(stderr, "%s\n", err ? err : "store");
		fuzz_fail(__FILE__, __LINE__, "store");
	}
	return st;
}

/* The first line as a subject, the line after "From:" as a sender. */
static void
direct(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size), *nl, *from, *a;
	struct sub_command c;

	if ((nl = strchr(s, '\n')))
		*nl = '\0';
	if (subscribers_parse_command(s, &c) == SUB_CMD_CONFIRM ||
	    c.cmd == SUB_CMD_UNSUBSCRIBE)
		FUZZ_CHECK(subscribers_token_ok(c.token), "bad token parsed");
	subscribers_command_clear(&c);
	if (nl && (from = strstr(nl + 1, "From:"))) {
		if ((nl = strchr(from, '\n')))
			*nl = '\0';
		if ((a = subscribers_address_of(from + 5)))
			FUZZ_CHECK(subscribers_address_ok(a), "bad address");
		free(a);
	}
	free(s);
}

static void
check_outbox(struct store *st)
{
	struct store_out o;
	int64_t after = 0;

	while (store_outbox_next(st, 1900000000, after, &o) == 0) {
		FUZZ_CHECK(subscribers_address_ok(o.rcpt), "bad recipient");
		fuzz_check_composed(o.body, o.len);
		after = o.id;
		store_out_clear(&o);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fresh_store();
	struct tally t;
	struct job j;

	direct(data, size);
	memset(&j, 0, sizeof(j));
	j.raw = xmalloc(size + 1);
	memcpy(j.raw, data, size);
	j.raw[size] = '\0';
	j.len = size;
	j.name = xstrdup("fuzz");
	store_hash(data, size, j.hash);
	j.rc = process_message(cl, &cfg.lim, j.raw, j.len, &j.p, NULL,
	    &j.err);
	tally_init(&t);
	if (store_begin(st) < 0 ||
	    ingest_job(st, &j, "fuzz", 1795000100, &t) < 0 ||
	    store_commit(st) < 0)
		fuzz_fail(__FILE__, __LINE__, "ingest");
	(void)subscribers_mail_run(&cfg, fuzz_rules(), st, 1795000200);
	check_outbox(st);
	tally_free(&t);
	processed_free(&j.p);
	free(j.err);
	free(j.raw);
	free(j.name);
	store_close(&st);
	return 0;
}
