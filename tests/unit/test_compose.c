/* test_compose.c - digests and forwards built with GMime parse back with
 * the right headers, and nothing from mail gets into a header. */
#include "unit.h"

#include <gmime/gmime.h>

#include "compose.h"
#include "message.h"
#include "util.h"

static const char text_body[] =
    "Probation bulletin: your weekly digest\n\n* A report\n"
    "  https://www.nao.org.uk/r\n";
static const char html_body[] =
    "<!DOCTYPE html>\n<html><body><h1>Digest</h1>"
    "<p>caf\xc3\xa9</p></body></html>\n";

static struct compose_head
head(void)
{
	struct compose_head h = {
		.from = "Probation bulletin <digest@example.org>",
		.to = "member@example.org",
		.subject = "Weekly digest 17-23 November 2025: 3 items",
		.list_id = "Probation bulletin <digest.example.org>",
		/* long enough (over 78 octets) that GMime would fold it */
		.unsub_mailto = "mailto:bulletin-request@example.org?subject="
		    "unsubscribe%20d4073d28cd5fa08456793091f6cb9eb1",
		.unsub_url = NULL,
		.msgid_domain = "example.org",
		.date = 1763370000,   /* 2025-11-17 09:00:00 UTC */
	};

	return h;
}

static GMimeMessage *
parse(const char *raw, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(st);
	assert_non_null(m);
	return m;
}

static const char *
header(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

/* Decoded content of a leaf part, CRs dropped; caller frees. */
static char *
part_text(GMimeObject *o)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeDataWrapper *dw;
	GByteArray *ba;
	char *s, *r, *w;

	assert_true(GMIME_IS_PART(o));
	dw = g_mime_part_get_content(GMIME_PART(o));
	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	s = xstrndup((const char *)ba->data, ba->len);
	g_object_unref(mem);
	for (r = w = s; *r; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
	return s;
}

/* Every line ends in CRLF and is at most 998 octets before it. */
static void
assert_wire_format(const char *raw, size_t len)
{
	size_t i, col = 0;

	assert_true(len > 2);
	for (i = 0; i < len; i++) {
		if (raw[i] == '\n') {
			assert_true(i > 0 && raw[i - 1] == '\r');
			col = 0;
			continue;
		}
		if (raw[i] == '\r') {
			assert_true(i + 1 < len && raw[i + 1] == '\n');
			continue;
		}
		assert_true(raw[i] != '\0');
		col++;
		assert_true(col <= 998);
	}
}

/* The header block (up to the first empty line); caller frees. */
static char *
header_block(const char *raw)
{
	const char *end = strstr(raw, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(raw, (size_t)(end - raw) + 2);
}

/* 1 when some header line of raw starts with name (e.g. "Bcc:"). */
static int
has_header_line(const char *raw, const char *name)
{
	char *hb = header_block(raw);
	const char *l;
	int found = 0;

	for (l = hb; l && *l; l = strstr(l, "\r\n"), l = l ? l + 2 : NULL)
		if (str_has_prefix_ci(l, name))
			found = 1;
	free(hb);
	return found;
}

static void
test_digest_headers(void **state)
{
	struct compose_head h = head();
	GMimeMessage *m;
	GMimeObject *body;
	GMimeMultipart *mp;
	GMimeContentType *ct;
	char *raw = NULL, *id = NULL, *err = NULL, *want, *s;
	size_t len;
	InternetAddressList *l;

	(void)state;
	assert_int_equal(compose_digest(&h, text_body, html_body, NULL, 0,
	    &raw, &len, &id, &err), 0);
	assert_non_null(raw);
	assert_int_equal(strlen(raw), len);
	assert_wire_format(raw, len);
	m = parse(raw, len);

	l = g_mime_message_get_from(m);
	assert_int_equal(internet_address_list_length(l), 1);
	assert_string_equal(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(l, 0))),
	    "digest@example.org");
	l = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	assert_int_equal(internet_address_list_length(l), 1);
	assert_string_equal(g_mime_message_get_subject(m), h.subject);
	assert_non_null(header(m, "Date"));
	assert_non_null(strstr(header(m, "Date"), "17 Nov 2025 09:00:00"));
	assert_string_equal(g_mime_message_get_message_id(m), id);
	assert_non_null(strstr(id, "@example.org"));
	assert_string_equal(header(m, "List-Id"), h.list_id);
	want = xasprintf("<%s>", h.unsub_mailto);
	assert_string_equal(header(m, "List-Unsubscribe"), want);
	free(want);
	/* on the wire as it is: mail clients read it as structured, so an
	 * RFC 2047 encoded word would break the link */
	want = xasprintf("\r\nList-Unsubscribe: <%s>\r\n", h.unsub_mailto);
	assert_non_null(strstr(raw, want));
	free(want);
	assert_null(header(m, "List-Unsubscribe-Post"));
	assert_string_equal(header(m, "Precedence"), "bulk");
	assert_string_equal(header(m, "Auto-Submitted"), "auto-generated");
	assert_string_equal(header(m, "MIME-Version"), "1.0");

	body = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART(body));
	ct = g_mime_object_get_content_type(body);
	assert_true(g_mime_content_type_is_type(ct, "multipart",
	    "alternative"));
	mp = GMIME_MULTIPART(body);
	assert_int_equal(g_mime_multipart_get_count(mp), 2);
	ct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, 0));
	assert_true(g_mime_content_type_is_type(ct, "text", "plain"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "charset"),
	    "utf-8");
	ct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, 1));
	assert_true(g_mime_content_type_is_type(ct, "text", "html"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "charset"),
	    "utf-8");
	s = part_text(g_mime_multipart_get_part(mp, 0));
	assert_string_equal(s, text_body);
	free(s);
	s = part_text(g_mime_multipart_get_part(mp, 1));
	assert_string_equal(s, html_body);
	free(s);
	/* ASCII text with short lines goes as it is; HTML with é as QP. */
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(
	    g_mime_multipart_get_part(mp, 0))), GMIME_CONTENT_ENCODING_7BIT);
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(
	    g_mime_multipart_get_part(mp, 1))),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);

	g_object_unref(m);
	free(raw);
	free(id);
}

static void
test_one_click(void **state)
{
	struct compose_head h = head();
	GMimeMessage *m;
	char *raw = NULL, *err = NULL;
	size_t len;

	(void)state;
	h.unsub_url = "https://example.org/unsubscribe/tok123";
	assert_int_equal(compose_digest(&h, text_body, html_body, NULL, 0,
	    &raw, &len, NULL, &err), 0);
	m = parse(raw, len);
	assert_string_equal(header(m, "List-Unsubscribe"),
	    "<mailto:bulletin-request@example.org?subject=unsubscribe"
	    "%20d4073d28cd5fa08456793091f6cb9eb1>, "
	    "<https://example.org/unsubscribe/tok123>");
	assert_string_equal(header(m, "List-Unsubscribe-Post"),
	    "List-Unsubscribe=One-Click");
	g_object_unref(m);
	free(raw);
}

static void
test_non_ascii_subject(void **state)
{
	struct compose_head h = head();
	GMimeMessage *m;
	char *raw = NULL, *err = NULL, *hb;
	size_t len, i;

	(void)state;
	h.subject = "Digest 17\xe2\x80\x93" "23 November: caf\xc3\xa9s and "
	    "\xc5\xbc\xc3\xb3\xc5\x82w, 3 items";
	h.from = "Bullet\xc3\xafn <digest@example.org>";
	h.list_id = "Probation bullet\xc3\xafn <digest.example.org>";
	assert_int_equal(compose_digest(&h, text_body, NULL, NULL, 0, &raw,
	    &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	hb = header_block(raw);
	/* Headers are pure ASCII, encoded words carry the rest. */
	for (i = 0; hb[i]; i++)
		assert_true((unsigned char)hb[i] < 0x80);
	assert_non_null(strstr(hb, "\r\nSubject: "));
	assert_non_null(strcasestr(hb, "=?utf-8?"));
	free(hb);
	m = parse(raw, len);
	assert_string_equal(g_mime_message_get_subject(m), h.subject);
	assert_string_equal(internet_address_get_name(
	    internet_address_list_get_address(g_mime_message_get_from(m), 0)),
	    "Bullet\xc3\xafn");
	/* Text only: a single text/plain part. */
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_message_get_mime_part(m)), "text", "plain"));
	g_object_unref(m);
	free(raw);
}

static void
test_long_lines(void **state)
{
	struct compose_head h = head();
	struct buf t = BUF_INIT(0), x = BUF_INIT(0);
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *raw = NULL, *err = NULL, *s;
	size_t len, i;

	(void)state;
	/* One 5000-octet line each, ASCII and not: QP must fold them. */
	for (i = 0; i < 1000; i++) {
		buf_addstr(&t, "word ");
		buf_addstr(&x, "<b>\xc3\xa9</b>");
	}
	buf_addstr(&t, "\n");
	assert_int_equal(compose_digest(&h, t.data, x.data, NULL, 0, &raw,
	    &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	m = parse(raw, len);
	mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(
	    g_mime_multipart_get_part(mp, 0))),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	s = part_text(g_mime_multipart_get_part(mp, 0));
	assert_string_equal(s, t.data);
	free(s);
	s = part_text(g_mime_multipart_get_part(mp, 1));
	assert_string_equal(s, x.data);
	free(s);
	g_object_unref(m);
	free(raw);
	buf_free(&t);
	buf_free(&x);
}

static void
test_subject_injection(void **state)
{
	static const char *const subjects[] = {
		"Report\r\nBcc: victim@example.org",
		"Report\nBcc: victim@example.org",
		"Report\rBcc: victim@example.org",
		"=?utf-8?q?Report=0D=0ABcc=3A_victim=40example=2Eorg?=",
		"=?utf-8?b?UmVwb3J0DQpCY2M6IHZpY3RpbUBleGFtcGxlLm9yZw==?=",
		"Report\r\n\r\n<html>body</html>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(subjects); i++) {
		struct compose_head h = head();
		GMimeMessage *m;
		const char *subj;
		char *raw = NULL, *err = NULL;
		size_t len;

		h.subject = subjects[i];
		assert_int_equal(compose_digest(&h, text_body, html_body, NULL,
		    0, &raw, &len, NULL, &err), 0);
		assert_wire_format(raw, len);
		assert_false(has_header_line(raw, "Bcc:"));
		assert_false(has_header_line(raw, "<html>"));
		m = parse(raw, len);
		assert_null(header(m, "Bcc"));
		subj = g_mime_message_get_subject(m);
		assert_non_null(subj);
		assert_null(strpbrk(subj, "\r\n"));
		assert_true(strncmp(subj, "Report ", 7) == 0);
		g_object_unref(m);
		free(raw);
	}
}

static void
test_refused_headers(void **state)
{
	enum { FROM, TO, LIST_ID, MAILTO, URL, DOMAIN };
	static const struct { int field; const char *value; } cases[] = {
		{ FROM, "digest@example.org\r\nBcc: victim@example.org" },
		{ FROM, "=?utf-8?q?a=0D=0ABcc=3A_x?= <digest@example.org>" },
		{ FROM, "" },
		{ FROM, "not an address" },
		{ TO, "a@example.org, b@example.org" },
		{ TO, "member@example.org\nBcc: victim@example.org" },
		{ TO, "group: a@example.org;" },
		{ LIST_ID, "Digest <digest.example.org>\r\nBcc: x@y.org" },
		{ LIST_ID, "=?utf-8?q?a=0AB?= <digest.example.org>" },
		{ LIST_ID, "no angle brackets" },
		{ LIST_ID, "Digest <not an id>" },
		{ LIST_ID, NULL },
		{ MAILTO, "javascript:alert(1)" },
		{ MAILTO, "mailto:stop@example.org>, <https://evil.example" },
		{ MAILTO, "mailto:stop@example.org\r\nBcc: x@y.org" },
		{ MAILTO, "mailto:" },
		{ MAILTO, NULL },
		{ URL, "http://example.org/plain-http" },
		{ URL, "https://example.org/a b" },
		{ DOMAIN, "example.org>\r\nBcc: x" },
		{ DOMAIN, "" },
		{ DOMAIN, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct compose_head h = head();
		static char unset[] = "unset";
		char *raw = unset, *id = unset, *err = NULL;
		size_t len = 1;

		switch (cases[i].field) {
		case FROM: h.from = cases[i].value; break;
		case TO: h.to = cases[i].value; break;
		case LIST_ID: h.list_id = cases[i].value; break;
		case MAILTO: h.unsub_mailto = cases[i].value; break;
		case URL: h.unsub_url = cases[i].value; break;
		case DOMAIN: h.msgid_domain = cases[i].value; break;
		}
		if (compose_digest(&h, text_body, html_body, NULL, 0, &raw,
		    &len, &id, &err) != -1)
			fail_msg("case %zu accepted", i);
		assert_null(raw);
		assert_null(id);
		assert_int_equal(len, 0);
		assert_non_null(err);
		/* The error never quotes a line break back. */
		assert_null(strpbrk(err, "\r\n"));
		free(err);
	}
}

static void
test_message_ids_unique(void **state)
{
	struct compose_head h = head();
	char *ids[16];
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		char *raw = NULL, *err = NULL;
		size_t len;

		assert_int_equal(compose_digest(&h, text_body, NULL, NULL, 0,
		    &raw, &len, &ids[i], &err), 0);
		assert_int_equal(strlen(ids[i]), 32 + 1 + 10 + 1 +
		    strlen("example.org"));
		free(raw);
		for (j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		free(ids[i]);
}

static void
test_attachments(void **state)
{
	struct compose_head h = head();
	struct compose_attachment a[2] = {
		{ "Full text: report/2025\r\nX-Evil: 1.txt", "text/plain",
		  "The full text.\n", 15 },
		{ NULL, NULL, "\x00\x01\x02", 3 },
	};
	GMimeMessage *m;
	GMimeMultipart *mixed;
	GMimeObject *o;
	const char *fn;
	char *raw = NULL, *err = NULL, *s;
	size_t len;

	(void)state;
	assert_int_equal(compose_digest(&h, text_body, html_body, a, 2, &raw,
	    &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	assert_false(has_header_line(raw, "X-Evil"));
	m = parse(raw, len);
	o = g_mime_message_get_mime_part(m);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    o), "multipart", "mixed"));
	mixed = GMIME_MULTIPART(o);
	assert_int_equal(g_mime_multipart_get_count(mixed), 3);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mixed, 0)), "multipart", "alternative"));
	o = g_mime_multipart_get_part(mixed, 1);
	fn = g_mime_part_get_filename(GMIME_PART(o));
	assert_non_null(fn);
	assert_null(strpbrk(fn, "\r\n/"));
	s = part_text(o);
	assert_string_equal(s, "The full text.\n");
	free(s);
	o = g_mime_multipart_get_part(mixed, 2);
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    o), "application", "octet-stream"));
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(o)),
	    GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(m);
	free(raw);

	a[1].content_type = "text/html\r\nX-Evil: 1";
	assert_int_equal(compose_digest(&h, text_body, html_body, a, 2, &raw,
	    &len, NULL, &err), -1);
	free(err);
}

static void
test_forward(void **state)
{
	struct compose_head h = head();
	struct buf orig = BUF_INIT(0);
	GMimeMessage *m, *inner;
	GMimeMultipart *mixed;
	GMimeObject *o;
	char *raw = NULL, *id = NULL, *err = NULL, *s;
	size_t len, i;

	(void)state;
	buf_addstr(&orig,
	    "From: NAO <news@nao.org.uk>\n"
	    "To: branch@example.org\n"
	    "Subject: =?utf-8?q?New_report=3A_probation_caf=C3=A9s?=\n"
	    "Date: Mon, 17 Nov 2025 09:12:00 +0000\n"
	    "Message-ID: <orig-1@nao.org.uk>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "Caf\xc3\xa9 report. ");
	/* A 3000-octet line: must not reach the wire as it is. */
	for (i = 0; i < 300; i++)
		buf_addstr(&orig, "0123456789");
	buf_addstr(&orig, "\n");

	h.subject = "New report: probation caf\xc3\xa9s";
	h.list_id = NULL;
	h.unsub_mailto = NULL;
	assert_int_equal(compose_forward(&h, "NAO", "New in NAO:\n\n  A "
	    "report\n", orig.data, orig.len, &raw, &len, &id, &err), 0);
	assert_wire_format(raw, len);
	m = parse(raw, len);
	assert_string_equal(g_mime_message_get_subject(m),
	    "[NAO] New report: probation caf\xc3\xa9s");
	assert_string_equal(g_mime_message_get_message_id(m), id);
	assert_string_equal(header(m, "Auto-Submitted"), "auto-generated");
	assert_null(header(m, "List-Id"));
	assert_null(header(m, "List-Unsubscribe"));
	o = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART(o));
	mixed = GMIME_MULTIPART(o);
	assert_int_equal(g_mime_multipart_get_count(mixed), 2);
	s = part_text(g_mime_multipart_get_part(mixed, 0));
	assert_string_equal(s, "New in NAO:\n\n  A report\n");
	free(s);
	o = g_mime_multipart_get_part(mixed, 1);
	assert_true(GMIME_IS_MESSAGE_PART(o));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    o), "message", "rfc822"));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
	assert_non_null(inner);
	assert_string_equal(g_mime_message_get_message_id(inner),
	    "orig-1@nao.org.uk");
	assert_string_equal(g_mime_message_get_subject(inner),
	    "New report: probation caf\xc3\xa9s");
	s = part_text(g_mime_message_get_mime_part(inner));
	assert_true(strncmp(s, "Caf\xc3\xa9 report. 0123456789", 24) == 0);
	assert_int_equal(strlen(s), orig.len - (size_t)(strstr(orig.data,
	    "\n\n") + 2 - orig.data));
	free(s);
	g_object_unref(m);
	free(raw);
	free(id);

	/* Bad tags and originals are refused. */
	assert_int_equal(compose_forward(&h, "NA O", "n", orig.data, orig.len,
	    &raw, &len, NULL, &err), -1);
	free(err);
	assert_int_equal(compose_forward(&h, "NAO]\r\nBcc: x", "n", orig.data,
	    orig.len, &raw, &len, NULL, &err), -1);
	assert_null(strpbrk(err, "\r\n"));
	free(err);
	assert_int_equal(compose_forward(&h, "NAO", "n", NULL, 0, &raw, &len,
	    NULL, &err), -1);
	free(err);

	/* An empty subject still gets a readable one. */
	h.subject = "";
	assert_int_equal(compose_forward(&h, "PAC", NULL, orig.data, orig.len,
	    &raw, &len, NULL, &err), 0);
	m = parse(raw, len);
	assert_string_equal(g_mime_message_get_subject(m), "[PAC] (no subject)");
	g_object_unref(m);
	free(raw);
	buf_free(&orig);
}

/* Found by fuzz_message: GMime's DOS newlines left a bare CR from the
 * original's header and the LF lines of a multipart it could not split
 * (tests/fuzz/message/crashes/). */
static void
test_forward_line_ends(void **state)
{
	static const char *const origs[] = {
		"From: a@example.org\r\nSubject: Missing boundary\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n"
		"--XYZ\r\nContent-Type: text/plain\r\n\r\ntext\r\n--XYZ--\r\n",
		"From: a@example.org\nSubject: one\rtwo\n\nbody\r.\rend\n",
		"\n\r",
	};
	static const char qp_nul[] = "Subject: x\r\nMIME-Version: 1.0\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "NUL \0 and 8-bit \xff\xfe inside quoted-printable\r\n";
	struct compose_head h = head();
	struct buf b64 = BUF_INIT(0);
	char *raw = NULL, *err = NULL;
	size_t len, i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(origs); i++) {
		assert_int_equal(compose_forward(&h, "NAO", "note", origs[i],
		    strlen(origs[i]), &raw, &len, NULL, &err), 0);
		assert_wire_format(raw, len);
		free(raw);
	}
	/* a part whose bytes are not what its encoding claims (found by
	 * fuzz_message) is encoded again */
	assert_int_equal(compose_forward(&h, "NAO", "note", qp_nul,
	    sizeof(qp_nul) - 1, &raw, &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	free(raw);
	buf_addstr(&b64, "Subject: x\nContent-Type: application/pdf\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (i = 0; i < 400; i++)
		buf_addstr(&b64, "QUJD");
	buf_addstr(&b64, "\n");
	assert_int_equal(compose_forward(&h, "NAO", "note", b64.data, b64.len,
	    &raw, &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	free(raw);
	/* over-long lines GMime copies as they came: an original's header
	 * and the text of a multipart whose boundary never comes */
	buf_reset(&b64);
	buf_addstr(&b64, "Subject: x\nX-Long: ");
	for (i = 0; i < 150; i++)
		buf_addstr(&b64, "0123456789");
	buf_addstr(&b64, "\nContent-Type: multipart/mixed; boundary=nope\n\n");
	for (i = 0; i < 150; i++)
		buf_addstr(&b64, "0123456789");
	buf_addstr(&b64, "\n");
	assert_int_equal(compose_forward(&h, "NAO", "note", b64.data, b64.len,
	    &raw, &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	free(raw);
	buf_free(&b64);
}

/* The original's own header lines, one of 5,000 octets and one with raw
 * 8-bit bytes, are folded or encoded, not copied onto the wire as they
 * came; their values survive. */
static void
test_forward_original_headers(void **state)
{
	struct compose_head h = head();
	struct buf orig = BUF_INIT(0);
	GMimeMessage *m, *inner;
	GMimeObject *o;
	char *raw = NULL, *err = NULL;
	const char *subj;
	size_t len, i;

	(void)state;
	buf_addstr(&orig, "From: NAO <news@nao.org.uk>\r\nSubject: Report ");
	for (i = 0; i < 500; i++)
		buf_addstr(&orig, "0123456789");
	buf_addstr(&orig, "\r\nX-Note: caf\xc3\xa9 \xff\r\n"
	    "Message-ID: <long-1@nao.org.uk>\r\n\r\nBody.\r\n");
	h.subject = "Report";
	h.list_id = NULL;
	h.unsub_mailto = NULL;
	assert_int_equal(compose_forward(&h, "NAO", "n", orig.data, orig.len,
	    &raw, &len, NULL, &err), 0);
	assert_wire_format(raw, len);
	m = parse(raw, len);
	o = g_mime_multipart_get_part(GMIME_MULTIPART(
	    g_mime_message_get_mime_part(m)), 1);
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
	subj = g_mime_message_get_subject(inner);
	assert_non_null(subj);
	assert_int_equal(strlen(subj), strlen("Report ") + 5000);
	assert_string_equal(g_mime_message_get_message_id(inner),
	    "long-1@nao.org.uk");
	g_object_unref(m);
	free(raw);
	buf_free(&orig);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_headers),
		cmocka_unit_test(test_one_click),
		cmocka_unit_test(test_non_ascii_subject),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_subject_injection),
		cmocka_unit_test(test_refused_headers),
		cmocka_unit_test(test_message_ids_unique),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_forward_line_ends),
		cmocka_unit_test(test_forward_original_headers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
