/*
 * fuzz_template.c - the template engine (template.c) with hostile
 * templates and hostile values.  Input: one flag byte (bit 0: the
 * template is HTML; bits 1-3: sections; bits 4-7: items per section),
 * then NUL-separated fields: a template, then the values, dealt out in
 * turn to every name digest.c and forward.c set.  Renders that
 * template, the shipped templates/ (as digests and forwards use them)
 * and builds a digest from the shipped ones with compose_digest().
 * Checks the escaping promises: a value in HTML never carries & < > " '
 * unescaped, a one-line value no control character, a kept URL passes
 * tpl_url_ok(), output is UTF-8 when the template is, and the composed
 * message has no stray header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "fuzz.h"
#include "template.h"
#include "util.h"

#define MAX_VALUES 64

static struct tpl *shipped[4];
static const enum tpl_mode shipped_mode[4] = { TPL_TEXT, TPL_HTML, TPL_TEXT,
	TPL_TEXT };
static struct tpl *one_html, *one_text;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const names[4] = { "templates/digest.txt",
		"templates/digest.html", "templates/confirm.txt",
		"templates/forward.txt" };
	char *path, *err = NULL;
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_init();
	for (i = 0; i < 4; i++) {
		path = fuzz_src(names[i]);
		if (tpl_load(path, shipped_mode[i], &shipped[i], &err) < 0) {
			fprintf(stderr, "%s\n", err);
			fuzz_fail(__FILE__, __LINE__, "shipped template");
		}
		free(path);
	}
	if (tpl_parse("one", "{{v}}", 5, TPL_HTML, &one_html, &err) < 0 ||
	    tpl_parse("one", "{{v}}", 5, TPL_TEXT, &one_text, &err) < 0)
		fuzz_fail(__FILE__, __LINE__, "one-value template");
	return 0;
}

struct values {
	char *v[MAX_VALUES];
	size_t n, next;
};

static const char *
val(struct values *vs)
{
	if (!vs->n)
		return "";
	return vs->v[vs->next++ % vs->n];
}

static struct tpl_data *
build(struct values *vs, unsigned nsec, unsigned nitems)
{
	struct tpl_data *d = tpl_data_new(), *sec, *it;
	unsigned i, k;

	tpl_data_set(d, "list_name", val(vs));
	tpl_data_set(d, "frequency", val(vs));
	tpl_data_set(d, "period", val(vs));
	tpl_data_set(d, "to", val(vs));
	tpl_data_set_int(d, "total", (long)(nsec * nitems));
	tpl_data_set_url(d, "unsubscribe_url", val(vs));
	tpl_data_set_url(d, "confirm_url", val(vs));
	tpl_data_set_url(d, "manage_url", val(vs));
	tpl_data_set_text(d, "note", val(vs));
	/* forward.txt's names, at the top */
	tpl_data_set(d, "label", val(vs));
	tpl_data_set(d, "name", val(vs));
	tpl_data_set(d, "title", val(vs));
	tpl_data_set(d, "source", val(vs));
	tpl_data_set(d, "date", val(vs));
	tpl_data_set(d, "excerpt", val(vs));
	if (tpl_data_set_url(d, "url", val(vs)) < 0)
		tpl_data_set_bool(d, "url", 0);
	tpl_data_set_url(d, "stop_url", val(vs));
	it = tpl_data_add(d, "categories");
	tpl_data_set(it, "label", val(vs));
	tpl_data_set(it, "name", val(vs));
	for (i = 0; i < nsec; i++) {
		sec = tpl_data_add(d, "sections");
		tpl_data_set(sec, "label", val(vs));
		tpl_data_set(sec, "name", val(vs));
		tpl_data_set_int(sec, "count", (long)nitems);
		tpl_data_set(sec, "anchor", val(vs));
		tpl_data_set_url(sec, "stop_url", val(vs));
		for (k = 0; k < nitems; k++) {
			it = tpl_data_add(sec, "items");
			tpl_data_set(it, "title", val(vs));
			tpl_data_set(it, "source", val(vs));
			tpl_data_set(it, "date", val(vs));
			tpl_data_set(it, "excerpt", val(vs));
			if (tpl_data_set_url(it, "url", val(vs)) < 0)
				tpl_data_set_bool(it, "url", 0);
			tpl_data_set_bool(it, "attached", (int)(k & 1));
			tpl_data_set(it, "other_labels", val(vs));
			tpl_data_set_bool(it, "forwarded", (int)(k & 2));
		}
	}
	return d;
}

/* The promises of tpl_data_set*, one value at a time. */
static void
check_value(const char *v)
{
	struct tpl_data *d = tpl_data_new();
	char *out = NULL, *err = NULL;
	size_t i;

	tpl_data_set(d, "v", v);
	if (tpl_render(one_html, d, &out, NULL, &err) == 0) {
		FUZZ_CHECK(!strpbrk(out, "<>\"'"), "HTML special unescaped");
		for (i = 0; out[i]; i++)
			if (out[i] == '&')
				FUZZ_CHECK(!strncmp(out + i, "&amp;", 5) ||
				    !strncmp(out + i, "&lt;", 4) ||
				    !strncmp(out + i, "&gt;", 4) ||
				    !strncmp(out + i, "&quot;", 6) ||
				    !strncmp(out + i, "&#39;", 5),
				    "bare & in HTML");
		fuzz_check_utf8(out, "HTML value not UTF-8");
	}
	free(out);
	out = NULL;
	if (tpl_render(one_text, d, &out, NULL, &err) == 0) {
		for (i = 0; out[i]; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 &&
			    out[i] != 0x7f, "control in a one-line value");
		fuzz_check_utf8(out, "text value not UTF-8");
	}
	free(out);
	out = NULL;
	tpl_data_set_text(d, "v", v);
	if (tpl_render(one_text, d, &out, NULL, &err) == 0) {
		for (i = 0; out[i]; i++)
			FUZZ_CHECK((unsigned char)out[i] >= 0x20 ||
			    out[i] == '\n' || out[i] == '\t',
			    "control in a text value");
		fuzz_check_utf8(out, "text value not UTF-8");
	}
	free(out);
	out = NULL;
	if (tpl_data_set_url(d, "v", v) == 0) {
		FUZZ_CHECK(tpl_url_ok(v), "URL kept that is not ok");
		if (tpl_render(one_html, d, &out, NULL, &err) == 0)
			FUZZ_CHECK(!strpbrk(out, "<>\"' "), "URL breaks out");
	}
	free(out);
	free(err);
	tpl_data_free(&d);
}

static void
compose(const char *subject, const char *text, const char *html)
{
	struct compose_head h;
	char *msg = NULL, *id = NULL, *err = NULL;
	size_t len = 0;

	memset(&h, 0, sizeof(h));
	h.from = "Bulletin <digest@example.org>";
	h.to = "member@example.org";
	h.subject = subject;
	h.list_id = "Bulletin <bulletin.example.org>";
	h.unsub_mailto = "mailto:digest@example.org?subject=unsubscribe";
	h.unsub_url = "https://example.org/unsubscribe?token=0123";
	h.msgid_domain = "example.org";
	h.date = 1795000000;
	if (compose_digest(&h, text, html, NULL, 0, &msg, &len, &id,
	    &err) == 0)
		fuzz_check_composed(msg, len);
	free(msg);
	free(id);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct values vs;
	struct tpl_data *d;
	struct tpl *t = NULL;
	const uint8_t *part, *nul;
	char *out[4] = { NULL }, *fout = NULL, *err = NULL;
	size_t plen, i, flen = 0;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	memset(&vs, 0, sizeof(vs));
	/* the template: up to the first NUL */
	part = data;
	nul = memchr(data, '\0', size);
	plen = nul ? (size_t)(nul - data) : size;
	data = nul ? nul + 1 : NULL;
	size = nul ? size - plen - 1 : 0;
	while (data && vs.n < MAX_VALUES) {
		size_t n;

		nul = memchr(data, '\0', size);
		n = nul ? (size_t)(nul - data) : size;
		vs.v[vs.n++] = xstrndup((const char *)data, n);
		data = nul ? nul + 1 : NULL;
		size = nul ? size - n - 1 : 0;
	}
	for (i = 0; i < vs.n && i < 8; i++)
		check_value(vs.v[i]);

	d = build(&vs, (flags >> 1) & 7, flags >> 4);
	if (tpl_parse("fuzz", (const char *)part, plen, flags & 1 ? TPL_HTML :
	    TPL_TEXT, &t, &err) == 0) {
		if (tpl_render(t, d, &fout, &flen, &err) == 0) {
			FUZZ_CHECK(strlen(fout) == flen, "length wrong");
			if (utf8_valid((const char *)part, plen))
				fuzz_check_utf8(fout, "output not UTF-8");
		}
		tpl_free(&t);
	} else {
		FUZZ_CHECK(err && *err, "parse failed without a reason");
	}
	free(err);
	err = NULL;
	for (i = 0; i < 4; i++) {
		if (tpl_render(shipped[i], d, &out[i], NULL, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			fuzz_fail(__FILE__, __LINE__,
			    "shipped template failed to render");
		}
		fuzz_check_utf8(out[i], "shipped output not UTF-8");
	}
	compose(vs.n ? vs.v[0] : "", out[0], out[1]);
	compose(vs.n > 1 ? vs.v[1] : "", out[2], NULL);
	for (i = 0; i < 4; i++)
		free(out[i]);
	free(fout);
	tpl_data_free(&d);
	for (i = 0; i < vs.n; i++)
		free(vs.v[i]);
	return 0;
}
