/* test_template.c - the template language, escaping, errors, shipped
 * templates. */
#include "unit.h"

#include <unistd.h>

#include "template.h"
#include "util.h"

/* Parses src (named "t.html" / "t.txt"), renders d, returns the output
 * (caller frees); fails the test on any error. */
static char *
render(const char *src, enum tpl_mode mode, const struct tpl_data *d)
{
	struct tpl *t = NULL;
	char *out = NULL, *err = NULL;

	if (tpl_parse(mode == TPL_HTML ? "t.html" : "t.txt", src, strlen(src),
	    mode, &t, &err) < 0)
		fail_msg("parse: %s", err);
	if (tpl_render(t, d, &out, NULL, &err) < 0)
		fail_msg("render: %s", err);
	tpl_free(&t);
	return out;
}

/* The parse error for src, or fails. Caller frees. */
static char *
parse_error(const char *name, const char *src)
{
	struct tpl *t = NULL;
	char *err = NULL;

	assert_int_equal(tpl_parse(name, src, strlen(src), TPL_TEXT, &t, &err),
	    -1);
	assert_null(t);
	assert_non_null(err);
	return err;
}

static void
test_variables(void **state)
{
	struct tpl_data *d = tpl_data_new();
	char *out;

	(void)state;
	tpl_data_set(d, "name", "world");
	tpl_data_set_int(d, "n", 42);
	tpl_data_set_bool(d, "flag", 1);
	out = render("hello {{name}}, {{ n }}!{{flag}}", TPL_TEXT, d);
	assert_string_equal(out, "hello world, 42!");
	free(out);
	/* Setting again replaces. */
	tpl_data_set(d, "name", "again");
	out = render("{{! a comment }}{{name}}", TPL_TEXT, d);
	assert_string_equal(out, "again");
	free(out);
	tpl_data_free(&d);
	assert_null(d);
}

static void
test_html_escaping(void **state)
{
	struct tpl_data *d = tpl_data_new();
	char *out;

	(void)state;
	tpl_data_set(d, "title", "<script>alert(1)</script>");
	tpl_data_set(d, "attr", "\"><img src=x onerror=alert(1)>");
	tpl_data_set(d, "amp", "Tom & Jerry's");
	out = render("<h2>{{title}}</h2><a title=\"{{attr}}\">{{amp}}</a>",
	    TPL_HTML, d);
	assert_string_equal(out, "<h2>&lt;script&gt;alert(1)&lt;/script&gt;"
	    "</h2><a title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">"
	    "Tom &amp; Jerry&#39;s</a>");
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<img"));
	free(out);
	/* The same values in a text template are left as they are. */
	out = render("{{title}}", TPL_TEXT, d);
	assert_string_equal(out, "<script>alert(1)</script>");
	free(out);
	tpl_data_free(&d);
}

static void
test_urls(void **state)
{
	static const struct { const char *url; int ok; } cases[] = {
		{ "https://www.nao.org.uk/reports/x/", 1 },
		{ "HTTP://example.org/a?b=1&c=2", 1 },
		{ "mailto:stop@example.org?subject=stop%20abc", 1 },
		{ "javascript:alert(1)", 0 },
		{ "JavaScript:alert(1)", 0 },
		{ " javascript:alert(1)", 0 },
		{ "data:text/html,<script>alert(1)</script>", 0 },
		{ "vbscript:x", 0 },
		/* only http, https and mailto: no other scheme, no scheme
		 * spelt with a control character or an entity */
		{ "ftp://example.org/report.pdf", 0 },
		{ "file:///etc/passwd", 0 },
		{ "java\tscript:alert(1)", 0 },
		{ "javascript&#58;alert(1)", 0 },
		{ "\x01https://example.org/", 0 },
		{ "https://example.org/\x7f", 0 },
		{ "mailto:x@example.org\r\nBcc: y@example.org", 0 },
		{ "https://", 0 },
		{ "https://ex ample.org", 0 },
		{ "https://example.org/\r\nX: y", 0 },
		{ "//example.org", 0 },
		{ "", 0 },
		/* found by fuzz_template: written as it is into UTF-8 */
		{ "https://example.org/caf\xc3\xa9", 1 },
		{ "https://example.org/caf\xe9", 0 },
	};
	const char *src = "{{#url}}<a href=\"{{url}}\">link</a>{{/url}}"
	    "{{^url}}no link{{/url}}";
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tpl_data *d = tpl_data_new();
		char *out;

		assert_int_equal(tpl_data_set_url(d, "url", cases[i].url),
		    cases[i].ok ? 0 : -1);
		assert_int_equal(tpl_url_ok(cases[i].url), cases[i].ok);
		out = render(src, TPL_HTML, d);
		if (cases[i].ok) {
			assert_non_null(strstr(out, "<a href=\""));
		} else {
			assert_string_equal(out, "no link");
		}
		free(out);
		tpl_data_free(&d);
	}
	{
		struct tpl_data *d = tpl_data_new();
		char *out;

		tpl_data_set_url(d, "url", "https://e.org/?a=1&b=\"2\"");
		out = render(src, TPL_HTML, d);
		assert_string_equal(out, "<a href=\"https://e.org/?a=1&amp;"
		    "b=&quot;2&quot;\">link</a>");
		free(out);
		tpl_data_free(&d);
	}
	assert_int_equal(tpl_url_ok(NULL), 0);
}

static void
test_line_breaks_in_values(void **state)
{
	struct tpl_data *d = tpl_data_new();
	char *out;

	(void)state;
	tpl_data_set(d, "title", "Report\r\nBcc: victim@example.org\n\tend");
	tpl_data_set(d, "bad", "a\x01" "b\x7f" "c\xff" "d");
	tpl_data_set_text(d, "body", "one\r\ntwo\rthree\n");
	tpl_data_set(d, "null", NULL);
	out = render("[{{title}}][{{bad}}][{{body}}][{{null}}]", TPL_TEXT, d);
	assert_string_equal(out, "[Report Bcc: victim@example.org  end]"
	    "[abc\xef\xbf\xbd" "d][one\ntwo\nthree\n][]");
	free(out);
	tpl_data_free(&d);
}

static void
test_sections(void **state)
{
	struct tpl_data *d = tpl_data_new(), *s, *it;
	const char *src =
	    "{{#sections}}\n"
	    "== {{label}} ({{count}}) ==\n"
	    "{{#items}}\n"
	    "- {{title}} [{{label}}]{{#forwarded}} (sent){{/forwarded}}\n"
	    "{{/items}}\n"
	    "{{^items}}\n"
	    "  nothing\n"
	    "{{/items}}\n"
	    "{{/sections}}\n"
	    "{{^sections}}\n"
	    "no sections\n"
	    "{{/sections}}\n"
	    "end {{period}}\n";
	char *out;

	(void)state;
	tpl_data_set(d, "period", "week 47");
	out = render(src, TPL_TEXT, d);
	assert_string_equal(out, "no sections\nend week 47\n");
	free(out);

	s = tpl_data_add(d, "sections");
	tpl_data_set(s, "label", "NAO");
	tpl_data_set_int(s, "count", 2);
	it = tpl_data_add(s, "items");
	tpl_data_set(it, "title", "First");
	tpl_data_set_bool(it, "forwarded", 1);
	it = tpl_data_add(s, "items");
	tpl_data_set(it, "title", "Second");
	/* label is looked up outwards from the item */
	tpl_data_set_bool(it, "forwarded", 0);
	s = tpl_data_add(d, "sections");
	tpl_data_set(s, "label", "PAC");
	tpl_data_set_int(s, "count", 0);
	out = render(src, TPL_TEXT, d);
	assert_string_equal(out,
	    "== NAO (2) ==\n"
	    "- First [NAO] (sent)\n"
	    "- Second [NAO]\n"
	    "== PAC (0) ==\n"
	    "  nothing\n"
	    "end week 47\n");
	free(out);

	/* Scalars as conditions: empty string and 0 are false. */
	tpl_data_set(d, "e", "");
	tpl_data_set_int(d, "z", 0);
	tpl_data_set(d, "y", "x");
	out = render("{{#e}}E{{/e}}{{^e}}e{{/e}}{{#z}}Z{{/z}}{{^z}}z{{/z}}"
	    "{{#y}}Y{{/y}}{{#absent}}A{{/absent}}{{^absent}}a{{/absent}}",
	    TPL_TEXT, d);
	assert_string_equal(out, "ezYa");
	free(out);
	/* A list replaced by a scalar and back. */
	tpl_data_set(d, "sections", "plain");
	out = render("{{sections}}", TPL_TEXT, d);
	assert_string_equal(out, "plain");
	free(out);
	tpl_data_free(&d);
}

static void
test_standalone_lines(void **state)
{
	struct tpl_data *d = tpl_data_new();
	char *out;

	(void)state;
	tpl_data_set_bool(d, "a", 1);
	out = render("x\n  {{#a}}  \r\ny\n\t{{/a}}\n{{! gone\nacross lines }}\n"
	    "z {{#a}}inline{{/a}} w\n", TPL_TEXT, d);
	assert_string_equal(out, "x\ny\nz inline w\n");
	free(out);
	out = render("{{#a}}\nlast\n{{/a}}", TPL_TEXT, d);
	assert_string_equal(out, "last\n");
	free(out);
	tpl_data_free(&d);
}

static void
test_parse_errors(void **state)
{
	static const struct { const char *src, *want; } cases[] = {
		{ "a\nb {{name\n", "t.txt:2: unclosed tag '{{'" },
		{ "\n\n{{#s}}\nx\n", "t.txt:3: section 's' is never closed" },
		{ "{{#a}}\n{{#b}}\n{{/a}}\n",
		  "t.txt:3: '{{/a}}' closes section 'b' opened on line 2" },
		{ "x\n{{/a}}", "t.txt:2: '{{/a}}' closes no section" },
		{ "\n\n\n{{}}", "t.txt:4: empty tag" },
		{ "{{ two words }}", "t.txt:1: invalid name in tag "
		  "'{{ two words }}'" },
		{ "\n{{{raw}}}", "t.txt:2: unescaped output '{{{' is not "
		  "supported" },
		{ "{{> partial}}", "t.txt:1: unsupported tag '{{>'" },
		{ "{{&raw}}", "t.txt:1: unsupported tag '{{&'" },
		{ "{{=<% %>=}}", "t.txt:1: unsupported tag '{{='" },
		{ "{{! multi\nline }}\n\n{{#x}}", "t.txt:4: section 'x' is "
		  "never closed" },
		{ "\n{{! see {{name}} }}", "t.txt:2: '{{' inside a comment "
		  "(it ends at the first '}}')" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *err = parse_error("t.txt", cases[i].src);

		assert_string_equal(err, cases[i].want);
		free(err);
	}
	{
		struct tpl *t = NULL;
		char *err = NULL;
		struct buf b = BUF_INIT(0);

		for (i = 0; i < TPL_MAX_DEPTH + 1; i++)
			buf_printf(&b, "{{#s%zu}}\n", i);
		assert_int_equal(tpl_parse("deep", b.data, b.len, TPL_TEXT, &t,
		    &err), -1);
		assert_string_equal(err, "deep:17: sections nested deeper "
		    "than 16");
		free(err);
		buf_free(&b);
		assert_int_equal(tpl_parse("nul", "a\nb\0c", 5, TPL_TEXT, &t,
		    &err), -1);
		assert_string_equal(err, "nul:2: NUL byte in template");
		free(err);
	}
}

static void
test_render_errors(void **state)
{
	struct tpl_data *d = tpl_data_new();
	struct tpl *t = NULL;
	char *out = NULL, *err = NULL;
	const char *src = "ok {{known}}\n{{#list}}\n{{tilte}}\n{{/list}}\n";

	(void)state;
	tpl_data_set(d, "known", "k");
	tpl_data_add(d, "list");
	assert_int_equal(tpl_parse("d.txt", src, strlen(src), TPL_TEXT, &t,
	    &err), 0);
	assert_int_equal(tpl_render(t, d, &out, NULL, &err), -1);
	assert_null(out);
	assert_string_equal(err, "d.txt:3: unknown variable 'tilte'");
	free(err);
	tpl_free(&t);

	src = "\n{{list}}";
	assert_int_equal(tpl_parse("d.txt", src, strlen(src), TPL_TEXT, &t,
	    &err), 0);
	assert_int_equal(tpl_render(t, d, &out, NULL, &err), -1);
	assert_string_equal(err, "d.txt:2: 'list' is a list; use {{#list}}");
	free(err);
	tpl_free(&t);
	tpl_free(&t);
	tpl_data_free(&d);
	tpl_data_free(&d);

	/* Sections nested over one list of 8: 8^12 passes and no output.
	 * Found with fuzz_template; it used to run for hours. */
	{
		struct buf b = BUF_INIT(0);
		size_t i;

		d = tpl_data_new();
		for (i = 0; i < 8; i++)
			tpl_data_add(d, "list");
		for (i = 0; i < 12; i++)
			buf_addstr(&b, "{{#list}}");
		for (i = 0; i < 12; i++)
			buf_addstr(&b, "{{/list}}");
		assert_int_equal(tpl_parse("n.txt", b.data, b.len, TPL_TEXT,
		    &t, &err), 0);
		assert_int_equal(tpl_render(t, d, &out, NULL, &err), -1);
		assert_non_null(strstr(err, "steps to render"));
		free(err);
		tpl_free(&t);
		tpl_data_free(&d);
		buf_free(&b);
	}
}

static void
test_load(void **state)
{
	struct tpl *t = NULL;
	char *err = NULL;
	char path[] = "/tmp/test_template_XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	assert_int_equal(tpl_load("/nonexistent/x.txt", TPL_TEXT, &t, &err),
	    -1);
	assert_string_equal(err, "/nonexistent/x.txt: cannot open: No such "
	    "file or directory");
	free(err);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("line 1\nline 2 {{#open}}\n", f);
	fclose(f);
	assert_int_equal(tpl_load(path, TPL_TEXT, &t, &err), -1);
	{
		char *want = xasprintf("%s:2: section 'open' is never closed",
		    path);

		assert_string_equal(err, want);
		free(want);
	}
	free(err);
	unlink(path);
}

/* A full digest model, shared by the shipped-template tests. */
static struct tpl_data *
digest_model(void)
{
	struct tpl_data *d = tpl_data_new(), *s, *it;

	tpl_data_set(d, "list_name", "Probation bulletin");
	tpl_data_set(d, "period", "17\xe2\x80\x93" "23 November 2025");
	tpl_data_set(d, "frequency", "weekly");
	tpl_data_set(d, "to", "member@example.org");
	tpl_data_set_int(d, "total", 3);
	tpl_data_set_url(d, "unsubscribe_url",
	    "mailto:stop@example.org?subject=stop%20tok123");
	tpl_data_set_url(d, "manage_url", "https://example.org/m/tok123");

	s = tpl_data_add(d, "sections");
	tpl_data_set(s, "label", "nao");
	tpl_data_set(s, "name", "National Audit Office");
	tpl_data_set_int(s, "count", 2);
	tpl_data_set(s, "anchor", "nao");
	tpl_data_set_url(s, "stop_url",
	    "mailto:stop@example.org?subject=stop%20nao%20tok123");
	it = tpl_data_add(s, "items");
	tpl_data_set(it, "title", "<script>alert('x')</script> Probation "
	    "\"reform\"\r\nBcc: evil@example.org");
	tpl_data_set(it, "source", "NAO press");
	tpl_data_set(it, "date", "18 Nov 2025");
	tpl_data_set(it, "excerpt", "\"><img src=x onerror=alert(1)> text");
	tpl_data_set_url(it, "url", "javascript:alert(document.cookie)");
	tpl_data_set(it, "other_labels", "PAC, HMIP");
	tpl_data_set_bool(it, "forwarded", 1);
	tpl_data_set_bool(it, "attached", 1);
	it = tpl_data_add(s, "items");
	tpl_data_set(it, "title", "Value for money: caf\xc3\xa9s");
	tpl_data_set(it, "source", "NAO");
	tpl_data_set(it, "date", "17 Nov 2025");
	tpl_data_set(it, "excerpt", "An ordinary excerpt.");
	tpl_data_set_url(it, "url", "https://www.nao.org.uk/reports/x/?a=1&b=2");
	tpl_data_set(it, "other_labels", "");
	tpl_data_set_bool(it, "forwarded", 0);
	tpl_data_set_bool(it, "attached", 0);

	s = tpl_data_add(d, "sections");
	tpl_data_set(s, "label", "pac");
	tpl_data_set(s, "name", "Public Accounts Committee");
	tpl_data_set_int(s, "count", 1);
	tpl_data_set(s, "anchor", "pac");
	tpl_data_set_url(s, "stop_url",
	    "mailto:stop@example.org?subject=stop%20pac%20tok123");
	it = tpl_data_add(s, "items");
	tpl_data_set(it, "title", "PAC session");
	tpl_data_set(it, "source", "PAC");
	tpl_data_set(it, "date", "19 Nov 2025");
	tpl_data_set(it, "excerpt", "Evidence session.");
	tpl_data_set_url(it, "url", "https://committees.parliament.uk/x");
	tpl_data_set(it, "other_labels", "");
	tpl_data_set_bool(it, "forwarded", 0);
	tpl_data_set_bool(it, "attached", 0);
	return d;
}

static char *
render_file(const char *path, enum tpl_mode mode, const struct tpl_data *d)
{
	struct tpl *t = NULL;
	char *out = NULL, *err = NULL;

	if (tpl_load(path, mode, &t, &err) < 0)
		fail_msg("%s", err);
	if (tpl_render(t, d, &out, NULL, &err) < 0)
		fail_msg("%s", err);
	tpl_free(&t);
	return out;
}

static void
test_shipped_digest_html(void **state)
{
	struct tpl_data *d = digest_model();
	char *out = render_file("templates/digest.html", TPL_HTML, d);

	(void)state;
	assert_true(strncmp(out, "<!DOCTYPE html>\n", 16) == 0);
	assert_null(strstr(out, "<script"));
	assert_null(strstr(out, "<img"));
	assert_null(strstr(out, "javascript:"));
	assert_null(strstr(out, "{{"));
	assert_non_null(strstr(out, "&lt;script&gt;"));
	assert_non_null(strstr(out, "National Audit Office"));
	assert_non_null(strstr(out, "href=\"https://www.nao.org.uk/reports/x/"
	    "?a=1&amp;b=2\""));
	assert_non_null(strstr(out, "mailto:stop@example.org?subject=stop%20"
	    "pac%20tok123"));
	assert_non_null(strstr(out, "PAC, HMIP"));
	/* Newline inside the title became a space. */
	assert_non_null(strstr(out, "&quot;reform&quot; Bcc:"));
	free(out);
	tpl_data_free(&d);
}

static void
test_shipped_digest_text(void **state)
{
	struct tpl_data *d = digest_model();
	char *out = render_file("templates/digest.txt", TPL_TEXT, d), *line;

	(void)state;
	assert_true(strncmp(out, "Probation bulletin: your weekly", 31) == 0);
	assert_null(strstr(out, "{{"));
	assert_null(strstr(out, "javascript:"));
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "https://www.nao.org.uk/reports/x/?a=1&b=2"));
	assert_non_null(strstr(out, "Public Accounts Committee"));
	/* No line of the output starts with an injected header. */
	for (line = out; line; line = strchr(line, '\n'), line = line ?
	    line + 1 : NULL)
		assert_false(strncmp(line, "Bcc:", 4) == 0);
	free(out);
	tpl_data_free(&d);
}

static void
test_shipped_other_templates(void **state)
{
	struct tpl_data *d = tpl_data_new(), *c;
	char *out;

	(void)state;
	tpl_data_set(d, "list_name", "Probation bulletin");
	tpl_data_set(d, "to", "member@example.org");
	tpl_data_set(d, "frequency", "weekly");
	tpl_data_set_url(d, "confirm_url",
	    "mailto:join@example.org?subject=confirm%20tok");
	c = tpl_data_add(d, "categories");
	tpl_data_set(c, "label", "nao");
	tpl_data_set(c, "name", "National Audit Office");
	out = render_file("templates/confirm.txt", TPL_TEXT, d);
	assert_non_null(strstr(out, "confirm%20tok"));
	assert_non_null(strstr(out, "National Audit Office"));
	free(out);
	tpl_data_free(&d);

	d = tpl_data_new();
	tpl_data_set(d, "list_name", "Probation bulletin");
	tpl_data_set(d, "label", "nao");
	tpl_data_set(d, "name", "National Audit Office");
	tpl_data_set(d, "title", "A report");
	tpl_data_set(d, "source", "NAO");
	tpl_data_set(d, "date", "18 Nov 2025");
	tpl_data_set(d, "excerpt", "Excerpt.");
	tpl_data_set_url(d, "url", "https://www.nao.org.uk/r");
	tpl_data_set_url(d, "stop_url",
	    "mailto:stop@example.org?subject=stop%20nao%20tok");
	out = render_file("templates/forward.txt", TPL_TEXT, d);
	assert_non_null(strstr(out, "A report"));
	assert_non_null(strstr(out, "stop%20nao%20tok"));
	free(out);
	tpl_data_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_html_escaping),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_line_breaks_in_values),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_standalone_lines),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_shipped_digest_html),
		cmocka_unit_test(test_shipped_digest_text),
		cmocka_unit_test(test_shipped_other_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
