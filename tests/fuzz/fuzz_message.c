/*
 * fuzz_message.c - a raw message through parse, split and classify with
 * the shipped filters/ (what `classify`, `ingest` and `fetch` do with
 * every message), once with the default limits and once with tight ones
 * so the cut-off paths run too; then built into an instant forward
 * (compose_forward) as `forward` would.  Checks what the headers
 * promise: strings are UTF-8, items have titles and stay within the
 * limits, labels are categories of the set, the forward has no stray
 * header and no over-long or bare-LF line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "compose.h"
#include "fuzz.h"
#include "json.h"
#include "process.h"
#include "util.h"

static struct classifier *cl;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	if (!(cl = classifier_new(fuzz_rules())))
		fuzz_fail(__FILE__, __LINE__, "no classifier");
	return 0;
}

static void
check_message(const struct message *m)
{
	size_t i;

	FUZZ_CHECK(m->subject != NULL, "subject is NULL");
	fuzz_check_utf8(m->subject, "subject not UTF-8");
	fuzz_check_utf8(m->message_id, "message_id not UTF-8");
	fuzz_check_utf8(m->envelope_id, "envelope_id not UTF-8");
	fuzz_check_utf8(m->from_name, "from_name not UTF-8");
	fuzz_check_utf8(m->from_addr, "from_addr not UTF-8");
	fuzz_check_utf8(m->list_id, "list_id not UTF-8");
	fuzz_check_utf8(m->fwd_from, "fwd_from not UTF-8");
	fuzz_check_utf8(m->fwd_subject, "fwd_subject not UTF-8");
	fuzz_check_utf8(m->note, "note not UTF-8");
	fuzz_check_utf8(m->problem, "problem not UTF-8");
	for (i = 0; i < m->body.n; i++) {
		FUZZ_CHECK(m->body.blocks[i].text != NULL, "block text NULL");
		fuzz_check_utf8(m->body.blocks[i].text, "block not UTF-8");
		fuzz_check_utf8(m->body.blocks[i].url, "block url not UTF-8");
	}
	for (i = 0; i < m->n_atts; i++) {
		fuzz_check_utf8(m->atts[i].filename, "filename not UTF-8");
		fuzz_check_utf8(m->atts[i].content_type,
		    "content type not UTF-8");
	}
}

static void
check_items(const struct item_list *l, const struct limits *lim)
{
	struct ruleset *rs = fuzz_rules();
	size_t i, k;

	FUZZ_CHECK(l->n <= lim->max_items, "more items than max_items");
	for (i = 0; i < l->n; i++) {
		const struct item *it = &l->v[i];

		FUZZ_CHECK(it->title && *it->title, "item without a title");
		fuzz_check_utf8(it->title, "title not UTF-8");
		FUZZ_CHECK(it->text != NULL, "item text NULL");
		fuzz_check_utf8(it->text, "item text not UTF-8");
		FUZZ_CHECK(strlen(it->text) <= lim->max_item_text,
		    "item text over max_item_text");
		FUZZ_CHECK(it->source != NULL, "item source NULL");
		fuzz_check_utf8(it->source, "item source not UTF-8");
		fuzz_check_utf8(it->url, "item url not UTF-8");
		FUZZ_CHECK(!it->url || !strncasecmp(it->url, "http://", 7) ||
		    !strncasecmp(it->url, "https://", 8),
		    "item url not http(s)");
		for (k = 0; k < it->n_labels; k++)
			FUZZ_CHECK(rules_category_find(rs,
			    it->labels[k].id) >= 0, "label not a category");
	}
}

/* What `classify --json` writes, into memory. */
static void
write_json(const struct processed *p)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return;
	json_kstr(f, 1, "subject", p->msg->subject);
	json_kstr(f, 0, "note", p->msg->note);
	json_kdate(f, 0, "date", p->msg->date);
	for (i = 0; i < p->items.n; i++) {
		json_kstr(f, 0, "title", p->items.v[i].title);
		json_kstr(f, 0, "url", p->items.v[i].url);
		json_kstr(f, 0, "text", p->items.v[i].text);
		json_kdate(f, 0, "date", p->items.v[i].date);
	}
	fclose(f);
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)out[i] >= 0x20,
		    "control character in JSON output");
	free(out);
}

static void
forward(const struct processed *p, const char *raw, size_t len)
{
	struct compose_head h;
	char *msg = NULL, *id = NULL, *err = NULL;
	size_t mlen = 0;

	memset(&h, 0, sizeof(h));
	h.from = "Bulletin <digest@example.org>";
	h.to = "member@example.org";
	h.subject = p->msg->subject;
	h.list_id = "Bulletin <bulletin.example.org>";
	h.unsub_mailto = "mailto:digest@example.org?subject=unsubscribe";
	h.msgid_domain = "example.org";
	h.date = 1795000000;
	if (compose_forward(&h, "NAO", p->items.n ? p->items.v[0].title :
	    "note", raw, len, &msg, &mlen, &id, &err) == 0)
		fuzz_check_composed(msg, mlen);
	free(msg);
	free(id);
	free(err);
}

static void
one(const struct limits *lim, const char *raw, size_t len, int full)
{
	struct processed p;
	struct buf explain = BUF_INIT(0);
	char *err = NULL;

	if (process_message(cl, lim, raw, len, &p, full ? &explain : NULL,
	    &err) == 0) {
		FUZZ_CHECK(p.msg != NULL, "parsed without a message");
		check_message(p.msg);
		check_items(&p.items, lim);
		if (full) {
			write_json(&p);
			forward(&p, raw, len);
		}
	} else {
		FUZZ_CHECK(err != NULL, "failure without a reason");
	}
	processed_free(&p);
	buf_free(&explain);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* every cap small enough for a fuzz input to reach it */
	static const struct limits tight = {
		.max_message_size = 2048, .max_parts = 4, .max_depth = 2,
		.max_items = 2, .max_item_text = 256, .max_html = 1024,
	};

	one(&limits_default, (const char *)data, size, 1);
	one(&tight, (const char *)data, size, 0);
	return 0;
}
