/* test_html.c - html_to_doc: structure, links, invisible content, layout
 * tables and hostile nesting. */
#include "unit.h"

#include <time.h>

#include "message.h"

static void
to_doc(struct doc *d, const char *html)
{
	doc_init(d);
	assert_int_equal(html_to_doc(d, html, strlen(html), &limits_default), 0);
}

static const struct block *
find(const struct doc *d, const char *needle)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->blocks[i].text, needle))
			return &d->blocks[i];
	return NULL;
}

static void
test_structure(void **state)
{
	struct doc d;

	(void)state;
	to_doc(&d, "<h3>Three</h3><p>One  \n two</p><ol><li>a<ul><li>b</li>"
	    "</ul></li></ol><blockquote><p>said</p></blockquote><hr/>"
	    "<pre>x  y\n  z</pre>");
	assert_int_equal(d.n, 7);
	assert_int_equal(d.blocks[0].kind, BLOCK_HEADING);
	assert_int_equal(d.blocks[0].level, 3);
	assert_string_equal(d.blocks[1].text, "One two");
	assert_int_equal(d.blocks[2].kind, BLOCK_LIST_ITEM);
	assert_int_equal(d.blocks[2].level, 1);
	assert_string_equal(d.blocks[2].text, "a");
	assert_int_equal(d.blocks[3].level, 2);
	assert_string_equal(d.blocks[3].text, "b");
	assert_int_equal(d.blocks[4].kind, BLOCK_QUOTE);
	assert_string_equal(d.blocks[4].text, "said");
	assert_int_equal(d.blocks[5].kind, BLOCK_RULE);
	assert_string_equal(d.blocks[6].text, "x  y\n  z");
	doc_free(&d);
}

static void
test_links_and_strong(void **state)
{
	struct doc d;
	const struct block *b;

	(void)state;
	to_doc(&d, "<p><a href=\"https://a.example/1\">Whole link</a></p>"
	    "<p>Before <a href=\"http://a.example/2\">link</a> after</p>"
	    "<p><a href=\"javascript:alert(1)\">js</a> then "
	    "<a href=\"mailto:x@example.org\">mail</a></p>"
	    "<p><a href=\"/relative\">rel</a></p>"
	    "<p><b>All bold</b> <strong>still</strong></p>"
	    "<p><b>Half</b> not</p>"
	    "<p><a href=\"https://a.example/3\"><b>Bold link</b></a></p>");
	b = find(&d, "Whole link");
	assert_string_equal(b->url, "https://a.example/1");
	assert_true(b->link_only);
	assert_false(b->strong);
	b = find(&d, "Before");
	assert_string_equal(b->text, "Before link after");
	assert_string_equal(b->url, "http://a.example/2");
	assert_false(b->link_only);
	b = find(&d, "js then");
	assert_string_equal(b->url, "mailto:x@example.org");
	assert_false(b->link_only);
	b = find(&d, "rel");
	assert_null(b->url);
	b = find(&d, "All bold");
	assert_true(b->strong);
	b = find(&d, "Half");
	assert_false(b->strong);
	b = find(&d, "Bold link");
	assert_true(b->strong);
	assert_true(b->link_only);
	doc_free(&d);
}

static void
test_invisible_dropped(void **state)
{
	struct doc d;
	size_t i;

	(void)state;
	to_doc(&d, "<html><head><title>T</title><style>p{}</style>"
	    "<script>var x = '<p>no</p>';</script></head><body>"
	    "<div style=\"DISPLAY: none\">pre</div><p hidden>hid</p>"
	    "<noscript>ns</noscript><template><p>tp</p></template>"
	    "<span style=\"visibility:hidden\">vh</span>"
	    "<!-- a comment --><p>shown</p></body></html>");
	assert_int_equal(d.n, 1);
	assert_string_equal(d.blocks[0].text, "shown");
	for (i = 0; i < d.n; i++)
		assert_null(strstr(d.blocks[i].text, "<"));
	doc_free(&d);
}

static void
test_entities(void **state)
{
	struct doc d;

	(void)state;
	to_doc(&d, "<p>&pound;5 &amp; the union&rsquo;s &ldquo;view&rdquo;"
	    "&nbsp;&#8364;3 &#x2014; done</p>");
	assert_string_equal(d.blocks[0].text, "\xc2\xa3" "5 & the union"
	    "\xe2\x80\x99s \xe2\x80\x9cview\xe2\x80\x9d \xe2\x82\xac" "3 "
	    "\xe2\x80\x94 done");
	doc_free(&d);

	/* our bytes are UTF-8 whatever the page claims */
	to_doc(&d, "<html><head><meta charset=\"iso-8859-1\"></head><body>"
	    "<p>\xc2\xa3" "5 \xe2\x80\x99</p></body></html>");
	assert_string_equal(d.blocks[0].text, "\xc2\xa3" "5 \xe2\x80\x99");
	doc_free(&d);
}

/* A newsletter laid out in nested tables: each cell its own paragraph,
 * never one soup of every cell. */
static void
test_layout_tables(void **state)
{
	struct doc d;
	const struct block *b;

	(void)state;
	to_doc(&d, "<table width=\"100%\"><tr><td align=\"center\">"
	    "<table width=\"600\"><tr><td><img src=\"logo.png\" alt=\"Logo\">"
	    "</td></tr><tr><td><h1>Branch bulletin</h1></td></tr>"
	    "<tr><td style=\"padding:10px\"><a href=\"https://u.example/a\">"
	    "Pay talks resume</a><br>Negotiators meet on Friday.</td></tr>"
	    "<tr><td>Office closures paused.</td><td>Ballot result due.</td>"
	    "</tr></table></td></tr></table>");
	b = find(&d, "Branch bulletin");
	assert_int_equal(b->kind, BLOCK_HEADING);
	b = find(&d, "Pay talks resume");
	assert_string_equal(b->text, "Pay talks resume\nNegotiators meet on Friday.");
	assert_string_equal(b->url, "https://u.example/a");
	assert_false(b->link_only);
	b = find(&d, "Office closures paused.");
	assert_string_equal(b->text, "Office closures paused.");
	b = find(&d, "Ballot result due.");
	assert_string_equal(b->text, "Ballot result due.");
	assert_null(find(&d, "Logo"));
	doc_free(&d);
}

static void
test_newsletter_habits(void **state)
{
	struct doc d;
	const struct block *b;

	(void)state;
	/* a link wrapped round a heading and its summary names both */
	to_doc(&d, "<a href=\"https://u.example/p\"> <h2>Post title</h2>"
	    "<p>Its summary.</p></a><p>After.</p>");
	assert_int_equal(d.n, 3);
	assert_string_equal(d.blocks[0].url, "https://u.example/p");
	assert_int_equal(d.blocks[0].kind, BLOCK_HEADING);
	assert_string_equal(d.blocks[1].url, "https://u.example/p");
	assert_null(d.blocks[2].url);
	doc_free(&d);

	/* an image link does not name the block; the text link does */
	to_doc(&d, "<td><a href=\"https://u.example/logo\"><img src=\"l.png\">"
	    "</a> <a href=\"https://u.example/read\">Read it</a></td>");
	assert_int_equal(d.n, 1);
	assert_string_equal(d.blocks[0].url, "https://u.example/read");
	assert_true(d.blocks[0].link_only);
	doc_free(&d);

	/* <br><br> ends a paragraph, one <br> a line */
	to_doc(&d, "<td>Line one<br>line two<br> <br>New paragraph</td>");
	assert_int_equal(d.n, 2);
	b = &d.blocks[0];
	assert_string_equal(b->text, "Line one\nline two");
	assert_string_equal(d.blocks[1].text, "New paragraph");
	doc_free(&d);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
deep(const char *open, const char *close, int n)
{
	struct buf b = BUF_INIT(0);
	struct doc d;
	double t0 = now();
	int i;

	for (i = 0; i < n; i++)
		buf_addstr(&b, open);
	buf_addstr(&b, "deep text");
	for (i = 0; close && i < n; i++)
		buf_addstr(&b, close);
	doc_init(&d);
	html_to_doc(&d, b.data, b.len, &limits_default);
	doc_free(&d);
	buf_free(&b);
	assert_true(now() - t0 < 20);
}

static void
test_hostile_nesting(void **state)
{
	(void)state;
	deep("<div>", "</div>", 100000);
	deep("<div>", NULL, 100000);
	deep("<span><b>", NULL, 100000);
	deep("<table><tr><td>", NULL, 30000);
	deep("<ul><li>", NULL, 100000);
	deep("<blockquote>", NULL, 100000);
	deep("<a href=\"https://x.example/\">", NULL, 100000);
}

static void
test_limits_and_junk(void **state)
{
	struct limits lim = limits_default;
	struct doc d;
	const char *h = "<p>first paragraph</p><p>second paragraph</p>";

	(void)state;
	lim.max_html = 24;
	doc_init(&d);
	assert_int_equal(html_to_doc(&d, h, strlen(h), &lim), 0);
	assert_non_null(find(&d, "first"));
	assert_null(find(&d, "second"));
	doc_free(&d);

	/* found by fuzz_message: the cut falls inside "é", which must
	 * not be left half there */
	h = "<p>caf\xc3\xa9</p>";
	lim.max_html = 7;
	doc_init(&d);
	assert_int_equal(html_to_doc(&d, h, strlen(h), &lim), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.blocks[0].text, "caf");
	doc_free(&d);

	doc_init(&d);
	html_to_doc(&d, "", 0, &limits_default);
	assert_int_equal(d.n, 0);
	doc_free(&d);

	doc_init(&d);
	h = "<<<>>>&&&;;</p></div><td>\x01\x02 plain words";
	html_to_doc(&d, h, strlen(h), NULL);
	assert_non_null(find(&d, "plain words"));
	doc_free(&d);
}

/* White space as squeeze_text collapses it: ends trimmed, runs (with
 * U+00A0) to one space, <br> to '\n' with the spaces around it gone, a
 * 0xc2 that starts another character kept, <pre> spacing kept. */
static void
test_white_space(void **state)
{
	static const struct {
		const char *html, *want[3];
	} cases[] = {
		{ "  <p> \n lead  and\ttrail \n </p>", { "lead and trail" } },
		{ "<p>a\xc2\xa0\xc2\xa0 b \xc2\xa9 c</p>",
		    { "a b \xc2\xa9 c" } },
		{ "<p> x <br> \n <br>  y</p><p>one<br> two <br></p>",
		    { "x", "y", "one\ntwo" } },
		{ "<p>\xc2\xa0</p><p> <b> bold </b> <i>it</i> </p>",
		    { "bold it" } },
		{ "<pre> a  b\n\n c </pre><p>after  pre</p>",
		    { " a  b\n c ", "after pre" } },
		{ "<div>a\r\nb\fc\x01" "d</div>", { "a bcd" } },
	};
	struct doc d;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		to_doc(&d, cases[i].html);
		for (j = 0; j < 3 && cases[i].want[j]; j++) {
			if (j >= d.n)
				fail_msg("case %zu: %zu blocks", i, d.n);
			assert_string_equal(d.blocks[j].text, cases[i].want[j]);
		}
		assert_int_equal(d.n, j);
		doc_free(&d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_links_and_strong),
		cmocka_unit_test(test_invisible_dropped),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_layout_tables),
		cmocka_unit_test(test_newsletter_habits),
		cmocka_unit_test(test_hostile_nesting),
		cmocka_unit_test(test_limits_and_junk),
		cmocka_unit_test(test_white_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
