/*
 * mime.c - raw message bytes to struct message with GMime 3.
 *
 * The only file that reads MIME.  One set of parser options lives for the
 * process; the parser reads the caller's bytes in place.  Text leaves are
 * decoded from their transfer encoding into a scratch stream reused for
 * the whole message, turned into UTF-8 once, and handed to
 * doc_from_text() or html_to_doc(); every other leaf is listed, not kept.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <gmime/gmime.h>

#include "log.h"
#include "message.h"

static GMimeParserOptions *parser_options;
static unsigned init_count;
/* the message being parsed, for the warning callback of the shared
 * options */
static _Thread_local struct message *parsing;

static const char *fallback_charsets[] = { "utf-8", "windows-1252", NULL };

static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data)
{
	(void)data;
	log_debug("mime: warning %d at offset %lld%s%s", (int)code,
	    (long long)offset, item ? ": " : "", item ? item : "");
	if (!parsing)
		return;
	parsing->warnings++;
	/* the ones that lose content are worth reporting */
	if (!parsing->problem && (code == GMIME_WARN_TRUNCATED_MESSAGE ||
	    code == GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY ||
	    code == GMIME_CRIT_NESTING_OVERFLOW ||
	    code == GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT))
		parsing->problem = code == GMIME_WARN_TRUNCATED_MESSAGE ?
		    xstrdup("message truncated") :
		    code == GMIME_CRIT_NESTING_OVERFLOW ?
		    xstrdup("mime nesting overflow") :
		    code == GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY ?
		    xstrdup("multipart without boundary") :
		    xstrdup("part without headers or content");
}

void
message_init(void)
{
	if (init_count++)
		return;
	g_mime_init();
	parser_options = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(parser_options,
	    parser_warning, NULL);
	g_mime_parser_options_set_fallback_charsets(parser_options,
	    fallback_charsets);
	g_mime_parser_options_set_rfc2047_compliance_mode(parser_options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(parser_options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(parser_options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
}

void
message_shutdown(void)
{
	if (init_count == 0 || --init_count)
		return;
	g_mime_parser_options_free(parser_options);
	parser_options = NULL;
	g_mime_shutdown();
}

/* ---------------------------------------------------------------------
 * Charsets
 */

/* windows-1252 0x80..0x9f; 0 where the code page has a hole */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

static void
put_utf8(struct buf *b, unsigned cp)
{
	char u[3];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	}
}

/* windows-1252 to clean UTF-8 (controls as utf8_clean treats them).
 * Caller frees. */
static char *
cp1252_to_utf8(const char *s, size_t n, size_t *len_r)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	char *out = xmalloc(n * 3 + 1), *o = out;
	unsigned cp;

	for (; p < end; p++) {
		cp = *p;
		if (cp >= 0x80 && cp < 0xa0) {
			cp = cp1252_high[cp - 0x80];
			if (!cp)
				continue;
		} else if (cp < 0x20 && cp != '\n' && cp != '\t') {
			if (cp == '\r' && (p + 1 == end || p[1] != '\n'))
				*o++ = '\n';
			continue;
		}
		if (cp < 0x80) {
			*o++ = (char)cp;
		} else if (cp < 0x800) {
			*o++ = (char)(0xc0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xe0 | cp >> 12);
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

/*
 * Valid UTF-8 that utf8_clean would leave alone but for CRs, which both
 * readers of our text treat as white space: nothing to copy.  Checks
 * validity too, so it replaces g_utf8_validate on the common path.
 */
static int
utf8_plain(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
#ifdef __SSE2__
		/* printable ASCII sixteen bytes at a time: a signed compare
		 * flags both the controls and the bytes with the high bit */
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
			int mask = _mm_movemask_epi8(_mm_cmplt_epi8(v,
			    _mm_set1_epi8(0x20)));

			if (mask) {
				p += __builtin_ctz((unsigned)mask);
				break;
			}
			p += 16;
		}
#endif
		/* ASCII eight bytes at a time */
		while (end - p >= 8) {
			uint64_t v;

			memcpy(&v, p, 8);
			/* any high bit, or any byte < 0x20 */
			if ((v & 0x8080808080808080ull) ||
			    ((v - 0x2020202020202020ull) & ~v &
			    0x8080808080808080ull))
				break;
			p += 8;
		}
		if (p == end)
			break;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
				return 0;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			if (end - p < 2 || (p[1] & 0xc0) != 0x80 ||
			    (*p == 0xc2 && p[1] < 0xa0))   /* C1 */
				return 0;
			p += 2;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			if (end - p < 3 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 ||
			    (*p == 0xe0 && p[1] < 0xa0) ||
			    (*p == 0xed && p[1] >= 0xa0))
				return 0;
			p += 3;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			if (end - p < 4 || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80 ||
			    (*p == 0xf0 && p[1] < 0x90) ||
			    (*p == 0xf4 && p[1] >= 0x90))
				return 0;
			p += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

/* Labels browsers read as windows-1252: Latin-1 and ASCII mail is
 * routinely written by Windows clients with curly quotes in it. */
static int
is_cp1252_label(const char *cs)
{
	static const char *const labels[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1",
		"l1", "us-ascii", "ascii", "ansi_x3.4-1968", "windows-1252",
		"cp1252", "x-cp1252", "cp819", "ibm819", "iso-ir-100",
		"iso_8859-1:1987", "csisolatin1", "iso-8859-15", "latin9",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(labels); i++)
		if (strcasecmp(cs, labels[i]) == 0)
			return 1;
	return 0;
}

static void
note_problem(struct message *m, char *msg)
{
	log_debug("mime: %s", msg);
	if (!m->problem)
		m->problem = msg;
	else
		free(msg);
}

/*
 * Converts n bytes labelled cs (NULL when unlabelled) to clean UTF-8.
 * Returns s itself when it already is (*copy_r = 0), else a new string
 * (*copy_r = 1, caller frees); *len_r is the length either way.
 */
static const char *
to_utf8(struct message *m, const char *s, size_t n, const char *cs,
    size_t *len_r, int *copy_r)
{
	const char *iconv_name;
	char *r, *conv;
	gsize out_len = 0;
	GError *err = NULL;
	int utf8_label = !cs || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0;

	*copy_r = 1;
	/* valid UTF-8 under a UTF-8, ASCII or Latin-1 label (or none) is
	 * what it looks like: 8-bit bytes in valid UTF-8 are almost never
	 * really Latin-1, so a mislabel is read as what it is */
	if ((utf8_label || is_cp1252_label(cs)) && utf8_plain(s, n)) {
		*copy_r = 0;
		*len_r = n;
		return s;
	}
	if (cs && is_cp1252_label(cs)) {
		if (g_utf8_validate(s, (gssize)n, NULL)) {
			r = utf8_clean(s, n);
			*len_r = strlen(r);
			return r;
		}
		return cp1252_to_utf8(s, n, len_r);
	}
	if (utf8_label)
		goto guess;
	iconv_name = g_mime_charset_iconv_name(cs);
	conv = g_convert(s, (gssize)n, "UTF-8", iconv_name, NULL, &out_len, &err);
	if (conv) {
		r = utf8_clean(conv, out_len);
		g_free(conv);
		*len_r = strlen(r);
		return r;
	}
	m->warnings++;
	note_problem(m, xasprintf("cannot decode charset '%s': %s", cs,
	    err ? err->message : "unknown error"));
	g_clear_error(&err);
guess:
	/* a utf-8 label, none, or one we could not use: keep valid UTF-8,
	 * read anything else as windows-1252 */
	if (g_utf8_validate(s, (gssize)n, NULL)) {
		r = utf8_clean(s, n);
		*len_r = strlen(r);
		return r;
	}
	if (cs)
		m->warnings++;
	return cp1252_to_utf8(s, n, len_r);
}

/* A decoded header: C1 controls from a mislabelled Latin-1 encoded word
 * read as windows-1252, then cleaned and squeezed.  Caller frees. */
static char *
clean_header(const char *s)
{
	const unsigned char *p;
	struct buf b = BUF_INIT(0);
	char *c, *r;

	if (!s)
		return NULL;
	buf_add(&b, "", 0);
	for (p = (const unsigned char *)s; *p; p++) {
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) {
			if (cp1252_high[p[1] - 0x80])
				put_utf8(&b, cp1252_high[p[1] - 0x80]);
			p++;
			continue;
		}
		buf_addc(&b, (char)*p);
	}
	c = utf8_clean(b.data, b.len);
	r = str_squeeze(c, strlen(c));
	free(c);
	buf_free(&b);
	return r;
}

/* As clean_header, NULL for NULL or what cleans down to "". */
static char *
clean_or_null(const char *s)
{
	char *r = clean_header(s);

	if (r && !*r) {
		free(r);
		r = NULL;
	}
	return r;
}

/* ---------------------------------------------------------------------
 * The walk
 */

struct parse {
	struct message *m;
	const struct limits *lim;
	unsigned parts;
	size_t atts_cap;
	int stop;             /* part limit reached */
	struct doc outer;     /* the forwarder's text once forwarded */
	GMimeStream *scratch; /* decoded leaf, reused; made when first
				 needed */
};

static struct doc *
target(struct parse *p, int inner)
{
	return inner || !p->m->forwarded ? &p->m->body : &p->outer;
}

/*
 * The encoded bytes of a parsed leaf where they lie: the parser keeps
 * each leaf as a bounded window on its memory stream, so the bytes can
 * be read in place instead of through a filter stream and a copy.
 * Returns 0 and sets *enc_r when that holds and we decode the encoding
 * ourselves, -1 to go the general way.
 */
static int
leaf_raw(GMimeDataWrapper *dw, const char **raw_r, size_t *len_r,
    GMimeContentEncoding *enc_r)
{
	GMimeStream *st;
	GByteArray *arr;
	gint64 start, end;

	if (G_OBJECT_TYPE(dw) != GMIME_TYPE_DATA_WRAPPER)
		return -1;
	*enc_r = g_mime_data_wrapper_get_encoding(dw);
	if (*enc_r == GMIME_CONTENT_ENCODING_UUENCODE)
		return -1;
	st = dw->stream;
	if (!st || !GMIME_IS_STREAM_MEM(st) ||
	    !(arr = GMIME_STREAM_MEM(st)->buffer))
		return -1;
	start = st->bound_start;
	end = st->bound_end;
	if (end < 0 || end > (gint64)arr->len)
		end = (gint64)arr->len;
	/* a GByteArray counts in guint */
	if (start < 0 || start > end || end - start > G_MAXUINT / 2)
		return -1;
	*raw_r = arr->data ? (const char *)arr->data + start : "";
	*len_r = (size_t)(end - start);
	return 0;
}

/* Decodes base64 or quoted-printable in one step into arr, as GMime's
 * decoding filter would in chunks; anything else is taken as it is.
 * Sets *data_r to arr's bytes or raw itself. */
static void
decode_raw(GByteArray *arr, GMimeContentEncoding enc, const char *raw,
    size_t len, const char **data_r, size_t *len_r)
{
	GMimeEncoding state;
	size_t out;

	if (enc != GMIME_CONTENT_ENCODING_BASE64 &&
	    enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
		*data_r = raw;
		*len_r = len;
		return;
	}
	g_mime_encoding_init_decode(&state, enc);
	g_byte_array_set_size(arr, (guint)g_mime_encoding_outlen(&state, len));
	/* GMime's own decoder, on the whole part in one step */
	out = g_mime_encoding_step(&state, raw, len, (char *)arr->data);
	g_byte_array_set_size(arr, (guint)out);
	*data_r = arr->data ? (const char *)arr->data : "";
	*len_r = out;
}

/* Decodes the transfer encoding of a leaf, into p->scratch when it
 * needs decoding.  The bytes stay valid until the next call. */
static void
decode_leaf(struct parse *p, GMimeDataWrapper *dw, const char **data_r,
    size_t *len_r)
{
	GByteArray *arr;
	GMimeContentEncoding enc;
	const char *raw;
	size_t len;

	*data_r = "";
	*len_r = 0;
	if (!dw)
		return;
	if (!p->scratch)
		p->scratch = g_mime_stream_mem_new();
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(p->scratch));
	g_byte_array_set_size(arr, 0);
	if (leaf_raw(dw, &raw, &len, &enc) == 0) {
		decode_raw(arr, enc, raw, len, data_r, len_r);
		return;
	}
	g_mime_stream_reset(p->scratch);
	g_mime_data_wrapper_write_to_stream(dw, p->scratch);
	if (arr->data)
		*data_r = (const char *)arr->data;
	*len_r = arr->len;
}

static void
text_to_doc(struct parse *p, GMimePart *part, const char *data, size_t len,
    int html, int inner)
{
	const char *cs = g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(part), "charset");
	size_t ulen;
	int copy;
	const char *u;

	if (len == 0)
		return;
	u = to_utf8(p->m, data, len, cs, &ulen, &copy);
	if (html) {
		if (html_to_doc(target(p, inner), u, ulen, p->lim) < 0) {
			note_problem(p->m, xstrdup("unreadable html part"));
			doc_from_text(target(p, inner), u, ulen);
		}
	} else {
		doc_from_text(target(p, inner), u, ulen);
	}
	if (copy)
		free((char *)(uintptr_t)u);
}

static void
add_attachment(struct parse *p, GMimePart *part)
{
	struct message *m = p->m;
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	const char *fn = g_mime_part_get_filename(part);
	struct attachment *a;
	char *type, *t;
	gint64 n = 0;

	xgrow(&m->atts, m->n_atts, &p->atts_cap, sizeof(*m->atts));
	a = &m->atts[m->n_atts++];
	memset(a, 0, sizeof(*a));
	a->filename = fn ? clean_header(fn) : NULL;
	type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	a->content_type = clean_header(type ? type : "application/octet-stream");
	g_free(type);
	for (t = a->content_type; *t; t++)
		if (*t >= 'A' && *t <= 'Z')
			*t = (char)(*t + 32);
	/* the decoded size is worth having for "report.pdf (2 MB)" */
	if (dw) {
		const char *data;
		size_t len;

		decode_leaf(p, dw, &data, &len);
		n = (gint64)len;
	}
	a->size = n > 0 ? (size_t)n : 0;
}

static int
is_type(GMimeObject *o, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static int
is_attachment(GMimeObject *o)
{
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);

	return cd && g_mime_content_disposition_is_attachment(cd) &&
	    g_mime_part_get_filename(GMIME_PART(o));
}

/* Counts the tags that make HTML worth preferring to its plain twin. */
static unsigned
html_structure(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	unsigned count = 0;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
		p++;
		if (end - p < 3)
			break;
		if (((p[0] == 'h' || p[0] == 'H') && p[1] >= '1' && p[1] <= '6') ||
		    ((p[0] == 'a' || p[0] == 'A') && p[1] == ' ') ||
		    ((p[0] == 'p' || p[0] == 'P') && (p[1] == '>' || p[1] == ' ')) ||
		    ((p[0] == 'l' || p[0] == 'L') && (p[1] == 'i' || p[1] == 'I')) ||
		    g_ascii_strncasecmp(p, "table", 5) == 0)
			count++;
		if (count >= 3)
			break;
	}
	return count;
}

static void walk(struct parse *p, GMimeObject *o, unsigned depth, int inner);

/*
 * A multipart without a usable boundary leaves its parts in the prologue.
 * When that starts with a boundary line, skip it and the part's header
 * and stop at the next boundary; otherwise take the prologue as it is.
 */
static void
lost_parts(struct parse *p, GMimeMultipart *mp, int inner)
{
	const char *pro = g_mime_multipart_get_prologue(mp), *s, *e, *nl;
	size_t blen, ulen;
	const char *u;
	int copy;

	if (!pro || !*pro)
		return;
	s = pro;
	e = pro + strlen(pro);
	if (s[0] == '-' && s[1] == '-' && (nl = strchr(s, '\n'))) {
		const char *hdr_end = strstr(nl, "\n\n");
		const char *hdr_end_cr = strstr(nl, "\n\r\n");

		blen = (size_t)(nl - s);
		while (blen && (s[blen - 1] == '\r' || s[blen - 1] == ' '))
			blen--;
		if (hdr_end_cr && (!hdr_end || hdr_end_cr < hdr_end))
			hdr_end = hdr_end_cr + 1;
		/* the header only when it reads as one */
		if (hdr_end && nl[1] != '\n' && nl[1] != '\r' &&
		    memchr(nl, ':', (size_t)(hdr_end - nl)))
			s = hdr_end + 1;
		else
			s = nl + 1;
		while (*s == '\r' || *s == '\n')
			s++;
		if (blen > 2) {
			const char *b = s;
			char *tok = xstrndup(pro, blen);

			while ((b = strstr(b, tok))) {
				if (b == s || b[-1] == '\n') {
					e = b;
					break;
				}
				b++;
			}
			free(tok);
		}
	}
	u = to_utf8(p->m, s, (size_t)(e - s), NULL, &ulen, &copy);
	doc_from_text(target(p, inner), u, ulen);
	if (copy)
		free((char *)(uintptr_t)u);
}

static void
take_headers(struct message *m, GMimeMessage *msg)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	InternetAddressList *from = g_mime_message_get_from(msg);
	InternetAddress *a = NULL;
	GDateTime *dt = g_mime_message_get_date(msg);
	const char *v, *lt, *gt;

	free(m->message_id);
	free(m->subject);
	free(m->from_name);
	free(m->from_addr);
	free(m->list_id);
	m->message_id = m->from_name = m->from_addr = m->list_id = NULL;

	m->message_id = clean_or_null(g_mime_message_get_message_id(msg));
	m->subject = clean_header(g_mime_message_get_subject(msg));
	if (!m->subject)
		m->subject = xstrdup("");

	if (from && internet_address_list_length(from) > 0)
		a = internet_address_list_get_address(from, 0);
	/* a group: its first member */
	while (a && INTERNET_ADDRESS_IS_GROUP(a)) {
		InternetAddressList *mb = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(a));

		a = mb && internet_address_list_length(mb) > 0 ?
		    internet_address_list_get_address(mb, 0) : NULL;
	}
	if (a) {
		m->from_name = clean_or_null(internet_address_get_name(a));
		m->from_addr = clean_or_null(internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(a)));
	}

	v = g_mime_object_get_header(o, "List-Id");
	if (v) {
		lt = strchr(v, '<');
		gt = lt ? strchr(lt, '>') : NULL;
		if (lt && gt) {
			char *id = xstrndup(lt + 1, (size_t)(gt - lt - 1));

			m->list_id = clean_or_null(id);
			free(id);
		} else {
			m->list_id = clean_or_null(v);
		}
	}

	if (dt)
		m->date = g_date_time_to_unix(dt);
	else
		m->date = message_parse_date(g_mime_object_get_header(o, "Date"));
}

/* The first message/rfc822 met in the outer message: a forward as
 * attachment.  The original becomes the bulletin. */
static void
take_forward(struct parse *p, GMimeMessage *inner, unsigned depth)
{
	struct message *m = p->m;

	m->forwarded = 1;
	p->outer = m->body;
	doc_init(&m->body);
	free(m->fwd_from);
	free(m->fwd_subject);
	m->fwd_from = m->from_addr;
	m->from_addr = NULL;
	m->fwd_subject = m->subject;
	m->subject = NULL;
	m->fwd_date = m->date;
	m->date = 0;
	take_headers(m, inner);
	walk(p, g_mime_message_get_mime_part(inner), depth + 1, 1);
}

static void
walk_alternative(struct parse *p, GMimeMultipart *mp, unsigned depth,
    int inner)
{
	GMimeObject *plain = NULL, *rich = NULL, *c;
	const char *data;
	size_t len;
	int i, n = g_mime_multipart_get_count(mp);

	for (i = 0; i < n; i++) {
		c = g_mime_multipart_get_part(mp, i);
		if (GMIME_IS_PART(c) && is_type(c, "text", "plain")) {
			if (!plain)
				plain = c;
		} else if ((GMIME_IS_PART(c) && is_type(c, "text", "html")) ||
		    GMIME_IS_MULTIPART(c)) {
			rich = c;    /* the last is the richest, RFC 2046 */
		}
	}
	if (rich && GMIME_IS_PART(rich)) {
		p->parts++;
		decode_leaf(p, g_mime_part_get_content(GMIME_PART(rich)), &data,
		    &len);
		if (!plain || html_structure(data, len) >= 2) {
			text_to_doc(p, GMIME_PART(rich), data, len, 1, inner);
			return;
		}
		rich = NULL;
	}
	if (rich) {
		walk(p, rich, depth + 1, inner);
	} else if (plain) {
		walk(p, plain, depth + 1, inner);
	} else if (n > 0) {
		walk(p, g_mime_multipart_get_part(mp, 0), depth + 1, inner);
	}
}

static void
walk(struct parse *p, GMimeObject *o, unsigned depth, int inner)
{
	struct message *m = p->m;
	const char *data;
	size_t len;
	int i, n;

	if (!o || p->stop)
		return;
	if (++p->parts > p->lim->max_parts) {
		note_problem(m, xasprintf("part limit %u reached",
		    p->lim->max_parts));
		p->stop = 1;
		return;
	}
	if (depth > p->lim->max_depth) {
		note_problem(m, xasprintf("nesting limit %u reached",
		    p->lim->max_depth));
		return;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *im = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(o));

		if (!im)
			return;
		if (!inner && !m->forwarded)
			take_forward(p, im, depth);
		else
			walk(p, g_mime_message_get_mime_part(im), depth + 1,
			    inner);
		return;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);

		if (is_type(o, "multipart", "alternative")) {
			walk_alternative(p, mp, depth, inner);
			return;
		}
		n = g_mime_multipart_get_count(mp);
		if (n == 0) {
			lost_parts(p, mp, inner);
			return;
		}
		for (i = 0; i < n && !p->stop; i++)
			walk(p, g_mime_multipart_get_part(mp, i), depth + 1, inner);
		return;
	}
	if (!GMIME_IS_PART(o))
		return;
	if ((is_type(o, "text", "plain") || is_type(o, "text", "html")) &&
	    !is_attachment(o)) {
		decode_leaf(p, g_mime_part_get_content(GMIME_PART(o)), &data,
		    &len);
		text_to_doc(p, GMIME_PART(o), data, len,
		    is_type(o, "text", "html"), inner);
		return;
	}
	/* a signature is no attachment a reader would want listed */
	if (is_type(o, "application", "pgp-signature") ||
	    is_type(o, "application", "pkcs7-signature") ||
	    is_type(o, "application", "x-pkcs7-signature"))
		return;
	add_attachment(p, GMIME_PART(o));
}

/* Joins the forwarder's blocks into the note; NULL when there are none. */
static char *
doc_join(const struct doc *d)
{
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->blocks[i].kind == BLOCK_RULE || !*d->blocks[i].text)
			continue;
		if (b.len)
			buf_addstr(&b, "\n\n");
		buf_addstr(&b, d->blocks[i].text);
	}
	if (!b.len)
		return NULL;
	return buf_detach(&b);
}

/* More than 1% of control bytes in the first 64 KiB: not text. */
static int
looks_binary(const char *s, size_t n)
{
	size_t i, ctl = 0;

	if (n > 65536)
		n = 65536;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' &&
		    c != '\f')
			ctl++;
	}
	return ctl * 100 > n;
}

/*
 * Where a header block grows past cap: the offset of the line that does
 * it, or len.  GMime keeps every header field with its own allocations
 * (a million short fields cost it half a gigabyte) and has no limit of
 * its own, so the message is cut there, as an oversized one is.  A block
 * is the top one, or the lines after a "--" line (a part's, once a
 * boundary) up to a blank line; a body line starting with "--" only opens
 * a short false block.
 */
static size_t
header_flood(const char *raw, size_t len, size_t cap)
{
	const char *p = raw, *end = raw + len, *nl, *start = raw;
	int in_hdr = 1;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (in_hdr) {
			if (nl == p || (nl == p + 1 && *p == '\r'))
				in_hdr = 0;
			else if ((size_t)(nl - start) > cap)
				return (size_t)(p - raw);
		} else if (nl - p >= 2 && p[0] == '-' && p[1] == '-') {
			in_hdr = 1;
			start = nl;
		}
		p = nl + 1;
	}
	return len;
}

struct message *
message_parse(const char *raw, size_t len, const struct limits *lim,
    char **err_r)
{
	size_t flood;
	struct message *m = NULL;
	struct parse p;
	GByteArray *arr = NULL;
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	size_t cut = 0;

	if (err_r)
		*err_r = NULL;
	if (!lim)
		lim = &limits_default;
	/* an mbox envelope line that a source left on */
	if (raw && len > 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);

		len = nl ? len - (size_t)(nl + 1 - raw) : 0;
		raw = nl ? nl + 1 : raw;
	}
	if (!raw || len == 0) {
		if (err_r)
			*err_r = xstrdup("empty message");
		return NULL;
	}
	if (!init_count)
		message_init();
	if (lim->max_message_size && len > lim->max_message_size) {
		cut = len;
		len = lim->max_message_size;
	}
	m = xcalloc(1, sizeof(*m));
	doc_init(&m->body);
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.lim = lim;
	doc_init(&p.outer);
	if (cut)
		note_problem(m, xasprintf("message cut from %zu to %zu bytes",
		    cut, len));
	if (lim->max_header && (flood = header_flood(raw, len,
	    lim->max_header)) < len) {
		note_problem(m, xasprintf("header block over %zu bytes: "
		    "message cut at byte %zu", lim->max_header, flood));
		len = flood;
	}

	/* The memory stream reads the caller's bytes where they are: the
	 * array is ours, its data is not, and the stream never writes to
	 * it (we drop the array with free_segment FALSE). */
	arr = g_byte_array_new();
	arr->data = (guint8 *)(uintptr_t)raw;
	arr->len = (guint)len;
	if ((size_t)arr->len != len) {
		arr->len = G_MAXUINT;
		note_problem(m, xstrdup("message too large"));
	}
	stream = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);

	parsing = m;
	msg = g_mime_parser_construct_message(parser, parser_options);
	if (!msg && looks_binary(raw, len)) {
		if (err_r)
			*err_r = xstrdup("not a mail message: binary data");
		message_free(&m);
		goto out;
	}
	if (!msg) {
		/* not even a header: keep the bytes as text */
		size_t ulen;
		int copy;
		const char *u = to_utf8(m, raw, len, NULL, &ulen, &copy);

		m->subject = xstrdup("");
		note_problem(m, xstrdup("not a mail message"));
		doc_from_text(&m->body, u, ulen);
		if (copy)
			free((char *)(uintptr_t)u);
		goto out;
	}
	take_headers(m, msg);
	if (m->message_id)
		m->envelope_id = xstrdup(m->message_id);
	walk(&p, g_mime_message_get_mime_part(msg), 1, 0);
	if (m->forwarded) {
		m->note = doc_join(&p.outer);
	} else {
		message_unwrap_inline(m);
	}
	if (m->body.n == 0 && m->n_atts == 0 && !*m->subject && !m->from_addr &&
	    !m->message_id && m->problem) {
		/* nothing at all came of it */
		if (err_r)
			*err_r = xasprintf("unreadable message: %s", m->problem);
		message_free(&m);
	}
out:
	parsing = NULL;
	doc_free(&p.outer);
	if (p.scratch)
		g_object_unref(p.scratch);
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	if (arr)
		g_byte_array_free(arr, FALSE);
	return m;
}
