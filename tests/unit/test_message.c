/* test_message.c - message_parse on fixtures and generated hostile input,
 * doc_from_text, inline forwards, dates. */
#include "unit.h"

#include <time.h>

#include "message.h"

#define P FIXTURES "parse/"

static struct message *
parse_file(const char *name)
{
	char *raw, *err = NULL;
	size_t len;
	struct message *m;

	raw = unit_read_file(name, &len);
	m = message_parse(raw, len, &limits_default, &err);
	if (!m)
		fail_msg("'%s': %s", name, err ? err : "no error");
	free(raw);
	return m;
}

/* All block text joined by "\n\n". */
static char *
body_text(const struct message *m)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	buf_add(&b, "", 0);
	for (i = 0; i < m->body.n; i++) {
		if (i)
			buf_addstr(&b, "\n\n");
		buf_addstr(&b, m->body.blocks[i].text);
	}
	return buf_detach(&b);
}

static void
assert_clean(const char *s)
{
	static const char *const residue[] = {
		"=20", "=E2", "=C2", "&amp;", "&pound;", "&rsquo;", "<p", "<div",
		"&#", "<br", "\xef\xbf\xbd", "\xc3\xa2\xe2\x82\xac",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(residue); i++)
		if (strstr(s, residue[i]))
			fail_msg("residue '%s' in '%s'", residue[i], s);
}

static const struct block *
find_block(const struct message *m, const char *needle)
{
	size_t i;

	for (i = 0; i < m->body.n; i++)
		if (strstr(m->body.blocks[i].text, needle))
			return &m->body.blocks[i];
	return NULL;
}

static size_t
count_blocks(const struct message *m, const char *needle)
{
	size_t i, n = 0;

	for (i = 0; i < m->body.n; i++)
		if (strstr(m->body.blocks[i].text, needle))
			n++;
	return n;
}

static int
setup(void **state)
{
	(void)state;
	message_init();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	message_shutdown();
	return 0;
}

/* ---- plain text */

static void
test_text_7bit_feed(void **state)
{
	struct message *m = parse_file(P "text-7bit.eml");
	const struct block *b;
	char *t = body_text(m);

	(void)state;
	assert_string_equal(m->message_id, "t7@example.org");
	assert_string_equal(m->subject, "New posts on the probation blog");
	assert_string_equal(m->from_name, "Probation Branch");
	assert_string_equal(m->from_addr, "branch@union.example.org");
	assert_string_equal(m->list_id, "blog.probation.example.org");
	assert_int_equal(m->date, 1763370720);	/* 2025-11-17T09:12:00Z */
	assert_int_equal(m->forwarded, 0);
	b = find_block(m, "New posts this week");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_HEADING);
	assert_int_equal(b->level, 2);
	b = find_block(m, "Caseloads in the South West");
	assert_non_null(b);
	assert_string_equal(b->text, "Caseloads in the South West");
	assert_string_equal(b->url, "https://blog.example.org/2025/11/caseloads");
	assert_true(b->link_only);
	b = find_block(m, "Training for new starters");
	assert_non_null(b);
	assert_string_equal(b->text, "Training for new starters");
	assert_string_equal(b->url, "https://blog.example.org/2025/11/training");
	/* signature gone, the URLs not left as paragraphs of their own */
	assert_null(strstr(t, "subscribed"));
	assert_int_equal(count_blocks(m, "https://"), 0);
	assert_clean(t);
	free(t);
	message_free(&m);
	assert_null(m);
}

static void
test_text_8bit(void **state)
{
	struct message *m = parse_file(P "text-8bit.eml");
	const struct block *b;
	char *t = body_text(m);

	(void)state;
	assert_non_null(strstr(t,
	    "employer\xe2\x80\x99s offer is worth \xc2\xa3" "1,250"));
	assert_non_null(strstr(t, "\xe2\x80\x9c" "fair\xe2\x80\x9d"));
	b = find_block(m, "Ballot opens");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_LIST_ITEM);
	assert_string_equal(b->text, "Ballot opens on 1 December");
	b = find_block(m, "The offer is final");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_QUOTE);
	assert_clean(t);
	free(t);
	message_free(&m);
}

static void
test_text_qp(void **state)
{
	struct message *m = parse_file(P "text-qp.eml");
	char *t = body_text(m);

	(void)state;
	assert_clean(t);
	assert_non_null(strstr(t, "National Audit Office\xe2\x80\x99s report"));
	/* soft line breaks joined: the sentence is whole */
	assert_non_null(strstr(t, "faster than they leave."));
	assert_non_null(strstr(t, "says = signs"));
	free(t);
	message_free(&m);
}

static void
test_text_base64(void **state)
{
	struct message *m = parse_file(P "text-base64.eml");
	char *t = body_text(m);

	(void)state;
	assert_clean(t);
	assert_non_null(strstr(t, "HMIP found that risk assessments"));
	assert_non_null(strstr(t, "60 pages \xe2\x80\x93 about \xc2\xa3" "0"));
	free(t);
	message_free(&m);
}

/* ---- HTML and alternatives */

static void
test_html_only(void **state)
{
	struct message *m = parse_file(P "html-only.eml");
	const struct block *b;
	char *t = body_text(m);

	(void)state;
	assert_clean(t);
	assert_null(strstr(t, "alert"));
	assert_null(strstr(t, "color: red"));
	assert_null(strstr(t, "Do not show"));
	assert_null(strstr(t, "Preheader"));
	b = find_block(m, "Public Accounts Committee update");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_HEADING);
	assert_int_equal(b->level, 1);
	b = find_block(m, "The Committee\xe2\x80\x99s report");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_PARA);
	assert_non_null(strstr(b->text, "\xc2\xa3" "1.2bn more than planned & recovery"));
	b = find_block(m, "Publish a workforce plan");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_LIST_ITEM);
	assert_int_equal(b->level, 1);
	b = find_block(m, "Read the full report");
	assert_non_null(b);
	assert_string_equal(b->url, "https://committees.example.org/pac/probation");
	assert_true(b->link_only);
	b = find_block(m, "not a link");
	assert_non_null(b);
	assert_null(b->url);
	b = find_block(m, "signed up");
	assert_non_null(b);
	assert_string_equal(b->text,
	    "You received this because you signed up.\nUnsubscribe any time.");
	free(t);
	message_free(&m);
}

static void
test_alternative_not_duplicated(void **state)
{
	struct message *m = parse_file(P "alternative.eml");
	const struct block *b;

	(void)state;
	assert_int_equal(count_blocks(m, "branch meeting moves"), 1);
	/* the HTML has headings and links: it wins */
	b = find_block(m, "Union news");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_HEADING);
	b = find_block(m, "Details");
	assert_non_null(b);
	assert_string_equal(b->url, "https://union.example.org/meeting");
	assert_int_equal(m->n_atts, 0);
	message_free(&m);
}

static void
test_mixed_attachments(void **state)
{
	struct message *m = parse_file(P "mixed-attachments.eml");
	char *t = body_text(m);

	(void)state;
	assert_non_null(strstr(t, "minutes of the November meeting"));
	assert_null(strstr(t, "PDF"));
	assert_null(strstr(t, "PNG"));
	assert_int_equal(m->n_atts, 2);
	assert_string_equal(m->atts[0].filename, "minutes-november.pdf");
	assert_string_equal(m->atts[0].content_type, "application/pdf");
	assert_int_equal(m->atts[0].size, 1540);
	assert_string_equal(m->atts[1].filename, "picket.png");
	assert_string_equal(m->atts[1].content_type, "image/png");
	assert_int_equal(m->atts[1].size, 264);
	free(t);
	message_free(&m);
}

/* ---- charsets */

static void
check_body(const char *file, const char *want)
{
	struct message *m = parse_file(file);
	char *t = body_text(m);

	if (!strstr(t, want))
		fail_msg("'%s': want '%s' in '%s'", file, want, t);
	assert_clean(t);
	free(t);
	message_free(&m);
}

static void
test_charsets(void **state)
{
	(void)state;
	check_body(P "latin1.eml", "Caf\xc3\xa9 meeting costs \xc2\xa3" "5");
	/* Latin-1 label, windows-1252 bytes: the quotes survive */
	check_body(P "latin1.eml", "The \xe2\x80\x9cnew\xe2\x80\x9d rota starts "
	    "Monday \xe2\x80\x93 see");
	check_body(P "cp1252.eml", "The \xe2\x80\x9cpay offer\xe2\x80\x9d "
	    "isn\xe2\x80\x99t enough: \xc2\xa3" "900 or \xe2\x82\xac" "900.");
	check_body(P "utf8-as-ascii.eml",
	    "The employer\xe2\x80\x99s offer: \xc2\xa3" "1,250.");
	check_body(P "utf8-as-latin1.eml", "We won\xe2\x80\x99t accept "
	    "\xe2\x80\x9c" "final\xe2\x80\x9d offers.");
	check_body(P "unlabelled-8bit.eml",
	    "Members\xe2\x80\x99 meeting: \xc2\xa3" "10 lunch.");
}

static void
test_unknown_charset(void **state)
{
	struct message *m = parse_file(P "unknown-charset.eml");

	(void)state;
	assert_non_null(m->problem);
	assert_non_null(strstr(m->problem, "x-made-up-42"));
	assert_non_null(find_block(m, "pound sign \xc2\xa3 in it"));
	message_free(&m);
}

static void
test_rfc2047(void **state)
{
	struct message *m = parse_file(P "rfc2047.eml");

	(void)state;
	assert_string_equal(m->subject, "The employer\xe2\x80\x99s \xc2\xa3"
	    "1,250 offer \xe2\x80\x9c" "explained\xe2\x80\x9d");
	assert_string_equal(m->from_name, "Si\xc3\xa2n O\xe2\x80\x99" "Brien");
	assert_string_equal(m->from_addr, "sian@union.example.org");
	assert_int_equal(m->date, 1763470800);	/* 13:00Z */
	message_free(&m);
}

static void
test_rfc2047_awkward(void **state)
{
	const char *raw =
	    "Subject: =?utf-8?Q?caf=C3?= =?utf-8?Q?=A9_closes?=\n"
	    "From: =?iso-8859-1?Q?Pat_O=92Neill?= <pat@example.org>\n"
	    "\nBody.\n";
	struct message *m = message_parse(raw, strlen(raw), NULL, NULL);

	(void)state;
	assert_non_null(m);
	/* a character split across two encoded words */
	assert_string_equal(m->subject, "caf\xc3\xa9 closes");
	/* Latin-1 label, windows-1252 byte */
	assert_string_equal(m->from_name, "Pat O\xe2\x80\x99Neill");
	message_free(&m);
}

/* ---- forwards */

static void
test_forward_rfc822(void **state)
{
	struct message *m = parse_file(P "forward-rfc822.eml");
	char *t = body_text(m);

	(void)state;
	assert_true(m->forwarded);
	assert_string_equal(m->subject, "Probation workforce report published");
	assert_string_equal(m->from_name, "NAO Press Office");
	assert_string_equal(m->from_addr, "press@nao.example.org");
	assert_string_equal(m->message_id, "original-77@nao.example.org");
	assert_string_equal(m->list_id, "news.nao.example.org");
	assert_int_equal(m->date, 1762943400);
	assert_string_equal(m->fwd_from, "alex@members.example.org");
	assert_string_equal(m->fwd_subject,
	    "Fwd: Probation workforce report published");
	assert_int_equal(m->fwd_date, 1763020800);
	assert_string_equal(m->note, "Thought the branch should see this one.");
	assert_null(strstr(t, "Thought the branch"));
	assert_non_null(strstr(t, "enough qualified officers"));
	assert_int_equal(m->n_atts, 0);
	free(t);
	message_free(&m);
}

static void
check_forward(const char *file, const char *subject, const char *name,
    const char *addr, int64_t date, const char *note, const char *body)
{
	struct message *m = parse_file(file);
	char *t = body_text(m);

	assert_true(m->forwarded);
	assert_string_equal(m->subject, subject);
	if (name)
		assert_string_equal(m->from_name, name);
	else
		assert_null(m->from_name);
	if (addr)
		assert_string_equal(m->from_addr, addr);
	else
		assert_null(m->from_addr);
	assert_int_equal(m->date, date);
	assert_non_null(m->fwd_from);
	assert_non_null(m->fwd_subject);
	assert_true(m->fwd_date > 0);
	assert_string_equal(m->note, note);
	if (!strstr(t, body))
		fail_msg("'%s': want '%s' in '%s'", file, body, t);
	assert_null(strstr(t, note));
	assert_null(strstr(t, "From:"));
	assert_null(strstr(t, "Subject:"));
	assert_null(strstr(t, "orwarded message"));
	assert_null(strstr(t, "Original Message"));
	assert_clean(t);
	free(t);
	message_free(&m);
}

static void
test_forward_inline(void **state)
{
	(void)state;
	check_forward(P "forward-gmail.eml", "Branch letter on office closures",
	    "Branch Secretary", "secretary@union.example.org", 1762765920,
	    "Worth reading before Thursday.",
	    "close two offices next spring");
	check_forward(P "forward-apple.eml", "Caseloads keep rising",
	    "Probation Blog", "blog@blog.example.org", 1763370720,
	    "See below.", "Three offices reported higher caseloads");
	check_forward(P "forward-outlook.eml", "HMIP annual report",
	    "HMIP Communications", "comms@hmip.example.org", 1763370720,
	    "For the agenda.", "covers every region");
	check_forward(P "forward-quoted.eml", "Pay update", "National Office",
	    "office@union.example.org", 1763370720,
	    "FYI, from the national office.", "Talks resume next week.");
}

static void
test_forward_gmail_html_keeps_structure(void **state)
{
	struct message *m = parse_file(P "forward-gmail.eml");
	const struct block *b;

	(void)state;
	b = find_block(m, "Office closures");
	assert_non_null(b);
	assert_int_equal(b->kind, BLOCK_HEADING);
	b = find_block(m, "Read the letter");
	assert_non_null(b);
	assert_string_equal(b->url, "https://union.example.org/closures");
	assert_string_equal(m->fwd_from, "jo@members.example.org");
	assert_string_equal(m->fwd_subject,
	    "Fwd: Branch letter on office closures");
	message_free(&m);
}

/* ---- bad input */

static void
test_bad_input(void **state)
{
	struct message *m;
	char *raw, *err = NULL;
	size_t len;

	(void)state;
	m = parse_file(P "bad-no-boundary.eml");
	assert_non_null(m->problem);
	assert_non_null(find_block(m, "Text that sits in a multipart"));
	message_free(&m);

	m = parse_file(P "bad-truncated-base64.eml");
	assert_true(m->warnings > 0);
	assert_non_null(find_block(m, "The beginning of a message"));
	message_free(&m);

	raw = unit_read_file(P "bad-binary.eml", &len);
	m = message_parse(raw, len, NULL, &err);
	assert_null(m);
	assert_non_null(err);
	free(err);
	err = NULL;
	free(raw);

	raw = unit_read_file(P "empty.eml", &len);
	assert_int_equal(len, 0);
	m = message_parse(raw, len, NULL, &err);
	assert_null(m);
	assert_non_null(err);
	free(err);
	free(raw);

	/* no header at all, just words */
	m = message_parse("just some words\n", 16, NULL, NULL);
	assert_non_null(m);
	assert_non_null(m->subject);
	message_free(&m);
}

/* ---- generated hostile input */

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_many_parts(void **state)
{
	struct buf b = BUF_INIT(0);
	struct message *m;
	double t0 = now();
	int i;

	(void)state;
	buf_addstr(&b, "Subject: many\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n");
	for (i = 0; i < 10000; i++)
		buf_printf(&b, "--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i);
	buf_addstr(&b, "--B--\r\n");
	m = message_parse(b.data, b.len, &limits_default, NULL);
	assert_non_null(m);
	assert_non_null(m->problem);
	assert_non_null(strstr(m->problem, "part limit"));
	assert_true(m->body.n <= limits_default.max_parts);
	assert_true(m->body.n > 100);
	assert_true(now() - t0 < 20);
	message_free(&m);
	buf_free(&b);
}

static void
test_deep_nesting(void **state)
{
	struct buf b = BUF_INIT(0);
	struct message *m;
	int i;

	(void)state;
	buf_addstr(&b, "Subject: deep\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
	for (i = 1; i < 100; i++)
		buf_printf(&b, "--b%d\r\nContent-Type: multipart/mixed; "
		    "boundary=\"b%d\"\r\n\r\n", i - 1, i);
	buf_addstr(&b, "--b99\r\nContent-Type: text/plain\r\n\r\nthe bottom\r\n");
	for (i = 99; i >= 0; i--)
		buf_printf(&b, "--b%d--\r\n", i);
	m = message_parse(b.data, b.len, &limits_default, NULL);
	assert_non_null(m);
	assert_non_null(m->problem);
	message_free(&m);

	/* forwards inside forwards */
	buf_reset(&b);
	for (i = 0; i < 100; i++)
		buf_addstr(&b, "Subject: wrap\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: message/rfc822\r\n\r\n");
	buf_addstr(&b, "Subject: core\r\n\r\ncore text\r\n");
	m = message_parse(b.data, b.len, &limits_default, NULL);
	assert_non_null(m);
	message_free(&m);
	buf_free(&b);
}

static void
test_huge_message(void **state)
{
	size_t i, n = 50u << 20;
	char *raw = malloc(n), *p;
	const char *hdr = "Subject: big\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"Z\"\r\n\r\n"
	    "--Z\r\nContent-Type: text/plain\r\n\r\nA short note.\r\n"
	    "--Z\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n";
	struct message *m;
	double t0 = now();

	(void)state;
	assert_non_null(raw);
	memcpy(raw, hdr, strlen(hdr));
	p = raw + strlen(hdr);
	for (i = 0; p + 78 < raw + n - 16; i++) {
		memset(p, 'Q', 76);
		p[76] = '\r';
		p[77] = '\n';
		p += 78;
	}
	memcpy(p, "--Z--\r\n", 7);
	p += 7;
	m = message_parse(raw, (size_t)(p - raw), &limits_default, NULL);
	assert_non_null(m);
	assert_non_null(find_block(m, "A short note."));
	assert_int_equal(m->n_atts, 1);
	assert_true(m->atts[0].size > 30u << 20);
	assert_true(now() - t0 < 30);
	message_free(&m);

	/* one 50 MB text part */
	memcpy(raw, "Subject: big text\r\n\r\n", 21);
	for (p = raw + 21; p + 60 < raw + n; p += 60) {
		memset(p, 'w', 58);
		p[58] = p[59] = '\n';
	}
	m = message_parse(raw, (size_t)(p - raw), &limits_default, NULL);
	assert_non_null(m);
	assert_true(m->body.n > 0);
	assert_true(now() - t0 < 60);
	message_free(&m);
	free(raw);
}

static void
test_html_deep_in_message(void **state)
{
	struct buf b = BUF_INIT(0);
	struct message *m;
	int i;

	(void)state;
	buf_addstr(&b, "Subject: deep html\r\nContent-Type: text/html\r\n\r\n");
	for (i = 0; i < 100000; i++)
		buf_addstr(&b, "<div>");
	buf_addstr(&b, "bottom");
	m = message_parse(b.data, b.len, &limits_default, NULL);
	assert_non_null(m);
	message_free(&m);
	buf_free(&b);
}

static void
test_garbage_no_crash(void **state)
{
	char raw[4096];
	unsigned seed = 1;
	size_t i;
	int round;
	struct message *m;
	char *err;

	(void)state;
	for (round = 0; round < 50; round++) {
		/* header-ish garbage: mostly printable, some structure */
		for (i = 0; i < sizeof(raw); i++) {
			seed = seed * 1103515245 + 12345;
			raw[i] = "ab:\r\n-=<>; \"?QB\x92\xa3"[(seed >> 16) % 18];
		}
		err = NULL;
		m = message_parse(raw, sizeof(raw), NULL, &err);
		message_free(&m);
		free(err);
	}
}

/* ---- doc_from_text */

static void
test_doc_from_text(void **state)
{
	struct doc d;
	const char *t =
	    "Weekly digest\n"
	    "\n"
	    "## Reports\n"
	    "\n"
	    "NAO REPORT PUBLISHED\n"
	    "The report came out on Tuesday.\n"
	    "\n"
	    "Probation caseloads\n"
	    "-------------------\n"
	    "\n"
	    "* first point\n"
	    "  carried on\n"
	    "2. second point\n"
	    "\xe2\x80\xa2 third point\n"
	    "\n"
	    "****\n"
	    "\n"
	    "A sentence that ends with a full stop.\n"
	    "\n"
	    "https://example.org/alone\n"
	    "\n"
	    "> quoted one\n"
	    "> quoted two\n"
	    "\n"
	    "-- \n"
	    "Sig line\n";

	(void)state;
	doc_init(&d);
	assert_int_equal(doc_from_text(&d, t, strlen(t)), 0);
	assert_int_equal(d.n, 12);
	assert_int_equal(d.blocks[0].kind, BLOCK_HEADING);
	assert_string_equal(d.blocks[0].text, "Weekly digest");
	assert_int_equal(d.blocks[1].kind, BLOCK_HEADING);
	assert_int_equal(d.blocks[1].level, 3);
	assert_string_equal(d.blocks[1].text, "Reports");
	assert_int_equal(d.blocks[2].kind, BLOCK_HEADING);
	assert_string_equal(d.blocks[2].text, "NAO REPORT PUBLISHED");
	assert_int_equal(d.blocks[3].kind, BLOCK_PARA);
	assert_string_equal(d.blocks[3].text, "The report came out on Tuesday.");
	assert_int_equal(d.blocks[4].kind, BLOCK_HEADING);
	assert_int_equal(d.blocks[4].level, 3);
	assert_string_equal(d.blocks[4].text, "Probation caseloads");
	assert_int_equal(d.blocks[5].kind, BLOCK_LIST_ITEM);
	assert_string_equal(d.blocks[5].text, "first point carried on");
	assert_string_equal(d.blocks[6].text, "second point");
	assert_string_equal(d.blocks[7].text, "third point");
	assert_int_equal(d.blocks[8].kind, BLOCK_RULE);
	assert_int_equal(d.blocks[9].kind, BLOCK_PARA);
	/* a URL after a sentence stays a link paragraph */
	assert_int_equal(d.blocks[10].kind, BLOCK_PARA);
	assert_string_equal(d.blocks[10].url, "https://example.org/alone");
	assert_true(d.blocks[10].link_only);
	assert_int_equal(d.blocks[11].kind, BLOCK_QUOTE);
	assert_null(strstr(d.blocks[11].text, "Sig line"));
	doc_free(&d);

	/* empty text: no blocks (and no arithmetic on a NULL array) */
	doc_init(&d);
	assert_int_equal(doc_from_text(&d, "", 0), 0);
	assert_int_equal(d.n, 0);
	doc_free(&d);

	/* quotes come last here; "-- " cut the signature */
	doc_init(&d);
	t = "Intro.\n\n> quoted one\n> quoted two\n\n-- \nSig line\n";
	doc_from_text(&d, t, strlen(t));
	assert_int_equal(d.n, 2);
	assert_int_equal(d.blocks[1].kind, BLOCK_QUOTE);
	assert_string_equal(d.blocks[1].text, "quoted one\nquoted two");
	doc_free(&d);

	/* CRLF, title with URL in <> */
	doc_init(&d);
	t = "Caseloads rise <https://example.org/c>\r\nA summary line.\r\n";
	doc_from_text(&d, t, strlen(t));
	assert_int_equal(d.n, 2);
	assert_string_equal(d.blocks[0].text, "Caseloads rise");
	assert_string_equal(d.blocks[0].url, "https://example.org/c");
	assert_true(d.blocks[0].link_only);
	assert_string_equal(d.blocks[1].text, "A summary line.");
	doc_free(&d);

	/* a URL at the end of a paragraph or inside it names the block */
	doc_init(&d);
	t = "The full report runs to 60 pages.\nhttps://example.org/r\n\n"
	    "See (https://example.org/s). Or mailto.\n\n"
	    "- item at https://example.org/i, today\n";
	doc_from_text(&d, t, strlen(t));
	assert_int_equal(d.n, 3);
	assert_string_equal(d.blocks[0].text, "The full report runs to 60 pages.");
	assert_string_equal(d.blocks[0].url, "https://example.org/r");
	assert_false(d.blocks[0].link_only);
	assert_string_equal(d.blocks[1].url, "https://example.org/s");
	assert_string_equal(d.blocks[2].url, "https://example.org/i");
	doc_free(&d);

	/* sign-offs and lower-case lines are not titles */
	doc_init(&d);
	t = "Kind regards\n\nsee you there\n\nSee you there\n";
	doc_from_text(&d, t, strlen(t));
	assert_int_equal(d.n, 3);
	assert_int_equal(d.blocks[0].kind, BLOCK_PARA);
	assert_int_equal(d.blocks[1].kind, BLOCK_PARA);
	assert_int_equal(d.blocks[2].kind, BLOCK_HEADING);
	doc_free(&d);

	doc_init(&d);
	doc_from_text(&d, "", 0);
	assert_int_equal(d.n, 0);
	doc_free(&d);
}

/* ---- inline unwrapping on a hand-built message */

static void
test_unwrap_none(void **state)
{
	struct message m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.subject = xstrdup("Plain");
	doc_init(&m.body);
	doc_add(&m.body, BLOCK_PARA, 0, "Nothing forwarded here.", NULL);
	assert_int_equal(message_unwrap_inline(&m), 0);
	assert_int_equal(m.forwarded, 0);
	assert_string_equal(m.subject, "Plain");
	doc_free(&m.body);
	free(m.subject);
}

static void
test_unwrap_separate_blocks(void **state)
{
	struct message *m = xcalloc(1, sizeof(*m));

	(void)state;
	m->subject = xstrdup("Fwd: x");
	m->from_addr = xstrdup("me@example.org");
	m->date = 100;
	doc_init(&m->body);
	doc_add(&m->body, BLOCK_PARA, 0, "Note one.", NULL);
	doc_add(&m->body, BLOCK_PARA, 0,
	    "Note two.\n-------- Forwarded Message --------", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "Subject: The original\n"
	    "Date: 17 November 2025 09:12\nFrom: orig@example.org", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "Original body.", NULL);
	assert_int_equal(message_unwrap_inline(m), 1);
	assert_string_equal(m->note, "Note one.\n\nNote two.");
	assert_string_equal(m->subject, "The original");
	assert_null(m->from_name);
	assert_string_equal(m->from_addr, "orig@example.org");
	assert_string_equal(m->fwd_from, "me@example.org");
	assert_string_equal(m->fwd_subject, "Fwd: x");
	assert_int_equal(m->fwd_date, 100);
	assert_int_equal(m->date, 1763370720);
	assert_int_equal(m->body.n, 1);
	assert_string_equal(m->body.blocks[0].text, "Original body.");
	message_free(&m);
}

/* Outlook wraps a long From: line: the address lands on a line of its own
 * and the Sent: line after it must still be read. */
static void
test_unwrap_wrapped_header(void **state)
{
	struct message *m = xcalloc(1, sizeof(*m));

	(void)state;
	m->subject = xstrdup("FW: report");
	doc_init(&m->body);
	doc_add(&m->body, BLOCK_PARA, 0, "For info.", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "-----Original Message-----\n"
	    "From: Eastfield Branch Secretary\n"
	    "<secretary@eastfield.example.com>\n"
	    "Sent: 13 November 2026 17:42\n"
	    "To: Members <members@eastfield.example.com>\n"
	    "Subject: Eastfield Branch Report", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "Dear colleagues,", NULL);
	assert_int_equal(message_unwrap_inline(m), 1);
	assert_string_equal(m->from_name, "Eastfield Branch Secretary");
	assert_string_equal(m->from_addr, "secretary@eastfield.example.com");
	assert_string_equal(m->subject, "Eastfield Branch Report");
	assert_int_equal(m->date, 1794591720);
	assert_string_equal(m->note, "For info.");
	assert_string_equal(m->body.blocks[0].text, "Dear colleagues,");
	message_free(&m);
}

static void
test_unwrap_prose_and_fallback_subject(void **state)
{
	struct message *m = xcalloc(1, sizeof(*m));

	(void)state;
	/* the words alone, with no header lines after: not a forward */
	m->subject = xstrdup("Minutes");
	doc_init(&m->body);
	doc_add(&m->body, BLOCK_PARA, 0, "We discussed the -----Original "
	    "Message----- habit of Outlook.\nNothing else.", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "Next item.", NULL);
	assert_int_equal(message_unwrap_inline(m), 0);
	assert_int_equal(m->body.n, 2);
	message_free(&m);

	/* no quoted Subject: the outer one without its Fwd: */
	m = xcalloc(1, sizeof(*m));
	m->subject = xstrdup("Fwd: FW: Office moves");
	doc_init(&m->body);
	doc_add(&m->body, BLOCK_PARA, 0, "Begin forwarded message:", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "From: someone@example.org", NULL);
	doc_add(&m->body, BLOCK_PARA, 0, "Body.", NULL);
	assert_int_equal(message_unwrap_inline(m), 1);
	assert_string_equal(m->subject, "Office moves");
	assert_string_equal(m->fwd_subject, "Fwd: FW: Office moves");
	assert_null(m->note);
	assert_string_equal(m->from_addr, "someone@example.org");
	assert_null(m->fwd_from);
	assert_int_equal(m->body.n, 1);
	message_free(&m);
}

static void
test_odd_shapes(void **state)
{
	struct message *m;
	const char *raw;

	(void)state;
	/* an mbox envelope line left on */
	raw = "From branch@union.example.org Mon Nov 17 09:12:00 2025\n"
	    "Subject: With envelope\nFrom: A <a@example.org>\n\nBody.\n";
	m = message_parse(raw, strlen(raw), NULL, NULL);
	assert_non_null(m);
	assert_string_equal(m->subject, "With envelope");
	assert_string_equal(m->from_addr, "a@example.org");
	message_free(&m);

	/* a signed message: the text, and no signature "attachment"; a
	 * group as sender */
	raw = "Subject: Signed\nFrom: Officers: Chair <chair@example.org>;\n"
	    "Content-Type: multipart/signed; boundary=S; "
	    "protocol=\"application/pgp-signature\"\n\n"
	    "--S\nContent-Type: text/plain\n\nSigned words.\n"
	    "--S\nContent-Type: application/pgp-signature\n\nxyz\n--S--\n";
	m = message_parse(raw, strlen(raw), NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->n_atts, 0);
	assert_int_equal(m->body.n, 1);
	assert_string_equal(m->body.blocks[0].text, "Signed words.");
	assert_string_equal(m->from_addr, "chair@example.org");
	message_free(&m);

	/* headers only */
	raw = "Subject: Nothing inside\n\n";
	m = message_parse(raw, strlen(raw), NULL, NULL);
	assert_non_null(m);
	assert_string_equal(m->subject, "Nothing inside");
	assert_int_equal(m->body.n, 0);
	assert_null(m->from_addr);
	assert_null(m->message_id);
	assert_int_equal(m->date, 0);
	message_free(&m);

	/* an undecodable Date header falls back to our parser */
	raw = "Subject: d\nDate: 17 November 2025 09:12\n\nx\n";
	m = message_parse(raw, strlen(raw), NULL, NULL);
	assert_non_null(m);
	assert_int_equal(m->date, 1763370720);
	message_free(&m);
}

/* ---- dates */

static void
test_dates(void **state)
{
	(void)state;
	assert_int_equal(message_parse_date("Mon, 17 Nov 2025 09:12:00 +0000"),
	    1763370720);
	assert_int_equal(message_parse_date("Mon, 17 Nov 2025 10:12:00 +0100"),
	    1763370720);
	assert_int_equal(message_parse_date("17 Nov 2025 04:12:00 -0500 (EST)"),
	    1763370720);
	assert_int_equal(message_parse_date("Mon, 17 Nov 2025 at 09:12"),
	    1763370720);
	assert_int_equal(message_parse_date("17 November 2025 09:12"),
	    1763370720);
	assert_int_equal(message_parse_date("17 November 2025 at 09:12:00 GMT"),
	    1763370720);
	assert_int_equal(message_parse_date("Monday, November 17, 2025 9:12 AM"),
	    1763370720);
	assert_int_equal(message_parse_date("Monday, November 17, 2025 9:12 PM"),
	    1763370720 + 12 * 3600);
	assert_int_equal(message_parse_date("17/11/2025 09:12"), 1763370720);
	assert_int_equal(message_parse_date("2025-11-17 09:12:00"), 1763370720);
	assert_int_equal(message_parse_date("Mon, 17 Nov 25 09:12:00 GMT"),
	    1763370720);
	assert_int_equal(message_parse_date("29 Feb 2024 00:00:00 +0000"),
	    1709164800);
	assert_int_equal(message_parse_date("30 Feb 2024 00:00:00"), 0);
	assert_int_equal(message_parse_date("yesterday"), 0);
	assert_int_equal(message_parse_date(""), 0);
	assert_int_equal(message_parse_date(NULL), 0);
	assert_int_equal(message_parse_date("17 Nov 2025 25:00"), 0);
}

/* Transfer encodings decoded in place: quoted-printable soft breaks
 * (CRLF and bare LF), malformed escapes kept, a cut "=" at the end lost;
 * attachment sizes decoded from QP, base64 and none. */
static void
test_transfer_encodings(void **state)
{
	static const char raw[] =
	    "From: a@example.org\r\nSubject: qp\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a=3Db soft=\r\nbreak unix=\nsoft bad=4x =zz ==41 caf=C3=A9 "
	    "low=e2=80=99s end=\r\n"
	    "--b\r\nContent-Type: application/pdf; name=x.pdf\r\n"
	    "Content-Disposition: attachment; filename=x.pdf\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "ab=3D=\r\ncd=\r\n"
	    "--b\r\nContent-Type: application/octet-stream; name=y.bin\r\n"
	    "Content-Disposition: attachment; filename=y.bin\r\n\r\n"
	    "0123456789\r\n"
	    "--b\r\nContent-Type: image/png; name=z.png\r\n"
	    "Content-Disposition: attachment; filename=z.png\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "aGVsbG8gd29y\r\nbGQ=\r\n"
	    "--b--\r\n";
	char *err = NULL;
	struct message *m = message_parse(raw, sizeof(raw) - 1, NULL, &err);

	(void)state;
	assert_non_null(m);
	assert_int_equal(m->body.n, 1);
	assert_string_equal(m->body.blocks[0].text,
	    "a=b softbreak unixsoft bad=4x =zz ==41 caf\xc3\xa9 "
	    "low\xe2\x80\x99s end");
	assert_int_equal(m->n_atts, 3);
	assert_int_equal(m->atts[0].size, 5);     /* "ab=cd" */
	assert_int_equal(m->atts[1].size, 10);
	assert_int_equal(m->atts[2].size, 11);    /* "hello world" */
	message_free(&m);
}

/* A header block past max_header is cut there (GMime has no limit and
 * spends ~500 bytes per field), the rest of the message kept readable. */
static void
test_header_flood(void **state)
{
	struct limits lim = limits_default;
	struct buf b = BUF_INIT(0);
	struct message *m;
	char *err = NULL;
	int i;

	(void)state;
	lim.max_header = 4096;
	buf_addstr(&b, "From: a@b.example\r\nSubject: Flood\r\n");
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "X-F%d: v\r\n", i);
	buf_addstr(&b, "\r\nbody text\r\n");
	m = message_parse(b.data, b.len, &lim, &err);
	assert_non_null(m);
	assert_string_equal(m->subject, "Flood");
	assert_non_null(m->problem);
	assert_non_null(strstr(m->problem, "header block over 4096 bytes"));
	message_free(&m);
	/* the same under the default limit: nothing cut */
	m = message_parse(b.data, b.len, NULL, &err);
	assert_non_null(m);
	assert_true(!m->problem || !strstr(m->problem, "header block"));
	message_free(&m);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_7bit_feed),
		cmocka_unit_test(test_text_8bit),
		cmocka_unit_test(test_text_qp),
		cmocka_unit_test(test_text_base64),
		cmocka_unit_test(test_html_only),
		cmocka_unit_test(test_alternative_not_duplicated),
		cmocka_unit_test(test_mixed_attachments),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_unknown_charset),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_rfc2047_awkward),
		cmocka_unit_test(test_forward_rfc822),
		cmocka_unit_test(test_forward_inline),
		cmocka_unit_test(test_forward_gmail_html_keeps_structure),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_message),
		cmocka_unit_test(test_html_deep_in_message),
		cmocka_unit_test(test_garbage_no_crash),
		cmocka_unit_test(test_doc_from_text),
		cmocka_unit_test(test_unwrap_none),
		cmocka_unit_test(test_unwrap_separate_blocks),
		cmocka_unit_test(test_unwrap_wrapped_header),
		cmocka_unit_test(test_unwrap_prose_and_fallback_subject),
		cmocka_unit_test(test_odd_shapes),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_transfer_encodings),
		cmocka_unit_test(test_header_flood),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
