/*
 * compose.c - building the messages we send, with GMime (see compose.h).
 *
 * GMime objects live only inside one call; strings go in as plain C and
 * the result comes out as malloc'd bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "util.h"

#define MAX_TAG 32

static int
has_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/*
 * A header value we were given (configuration, addresses): refused when
 * it holds CR or LF, as it is or once its encoded words are decoded
 * ("=?utf-8?q?a=0D=0ABcc:...?=").  NUL cannot be in a C string, and
 * GMime's decoder turns an encoded NUL into '?'.  Returns 0 or -1 with
 * *err_r.
 */
static int
check_value(const char *header, const char *value, char **err_r)
{
	char *dec;
	int bad;

	if (has_break(value)) {
		*err_r = xasprintf("%s header contains a line break", header);
		return -1;
	}
	if (!strstr(value, "=?"))
		return 0;
	dec = g_mime_utils_header_decode_text(NULL, value);
	bad = !dec || has_break(dec);
	g_free(dec);
	if (bad) {
		*err_r = xasprintf("%s header contains a line break once "
		    "decoded", header);
		return -1;
	}
	return 0;
}

/* Line breaks, tabs and controls to spaces, runs of space squeezed. */
static char *
one_line(const char *s)
{
	char *c = utf8_clean(s, strlen(s)), *q, *out;

	for (q = c; *q; q++)
		if (*q == '\n' || *q == '\t' || *q == 0x7f)
			*q = ' ';
	out = str_squeeze(c, strlen(c));
	free(c);
	return out;
}

/*
 * The subject may carry text from mail: cleaned, never refused.  Encoded
 * words are decoded first so that an encoded CR LF is caught as well;
 * GMime encodes the result again where needed.  Caller frees.
 */
static char *
clean_subject(const char *subject, const char *prefix)
{
	char *s = one_line(subject ? subject : ""), *t;

	if (strstr(s, "=?")) {
		char *dec = g_mime_utils_header_decode_text(NULL, s);

		free(s);
		s = one_line(dec ? dec : "");
		g_free(dec);
	}
	if (prefix) {
		t = xasprintf("%s %s", prefix, s[0] ? s : "(no subject)");
		free(s);
		s = t;
	}
	utf8_truncate(s, COMPOSE_MAX_SUBJECT);
	return s;
}

/* One mailbox, parsed by GMime; its decoded name and address checked. */
static InternetAddressList *
parse_mailbox(const char *header, const char *value, char **err_r)
{
	InternetAddressList *list;
	InternetAddress *ia;
	const char *name, *addr;

	if (!value || !value[0]) {
		*err_r = xasprintf("%s address missing", header);
		return NULL;
	}
	if (check_value(header, value, err_r) < 0)
		return NULL;
	list = internet_address_list_parse(NULL, value);
	if (!list || internet_address_list_length(list) != 1) {
		*err_r = xasprintf("%s must be one address: '%s'", header,
		    value);
		goto bad;
	}
	ia = internet_address_list_get_address(list, 0);
	if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
		*err_r = xasprintf("%s must be one address: '%s'", header,
		    value);
		goto bad;
	}
	name = internet_address_get_name(ia);
	addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
	if (!addr || !strchr(addr, '@') || has_break(addr) ||
	    (name && has_break(name))) {
		*err_r = xasprintf("%s must be one address: '%s'", header,
		    value);
		goto bad;
	}
	return list;
bad:
	if (list)
		g_object_unref(list);
	return NULL;
}

/* Replaces the folded value GMime made for name with value, unfolded. */
static void
set_raw_header(GMimeObject *obj, const char *name, const char *value)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	GMimeHeader *hdr = g_mime_header_list_get_header(list, name);
	char *raw;

	if (!hdr)
		return;
	raw = xasprintf(" %s\n", value);
	g_mime_header_set_raw_value(hdr, raw);
	free(raw);
}

/* A URI for List-Unsubscribe: the scheme asked for, printable ASCII, and
 * nothing that would end the <...> or start an encoded word. */
static int
check_uri(const char *header, const char *uri, const char *scheme,
    char **err_r)
{
	const unsigned char *q;
	size_t len = strlen(uri);

	if (!str_has_prefix_ci(uri, scheme) || len == strlen(scheme) ||
	    len > COMPOSE_MAX_URI || strstr(uri, "=?"))
		goto bad;
	for (q = (const unsigned char *)uri; *q; q++)
		if (*q <= 0x20 || *q >= 0x7f || *q == '<' || *q == '>' ||
		    *q == ',' || *q == '"')
			goto bad;
	return 0;
bad:
	/* Not quoted back: it may hold a token or a line break. */
	*err_r = xasprintf("%s: not a usable %s URI", header, scheme);
	return -1;
}

/* "Name <id.example.org>" or "<id.example.org>"; the phrase may be
 * UTF-8, the id is a dot-atom. */
static int
check_list_id(const char *v, char **err_r)
{
	const char *lt = strrchr(v, '<'), *q;
	size_t len = strlen(v);

	if (check_value("List-Id", v, err_r) < 0)
		return -1;
	if (!lt || len < 3 || v[len - 1] != '>' || lt + 2 >= v + len)
		goto bad;
	for (q = lt + 1; q < v + len - 1; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '.' || *q == '-' ||
		    *q == '_'))
			goto bad;
	if (!memchr(lt + 1, '.', (size_t)(v + len - 1 - (lt + 1))))
		goto bad;
	return 0;
bad:
	*err_r = xasprintf("List-Id must look like 'Name <id.example.org>': "
	    "'%s'", v);
	return -1;
}

static int
check_domain(const char *d, char **err_r)
{
	const char *q;

	if (!d || !d[0] || strlen(d) > 253 || d[0] == '.' || d[0] == '-')
		goto bad;
	for (q = d; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || *q == '.' || *q == '-'))
			goto bad;
	return 0;
bad:
	/* Not quoted back: it may hold a line break. */
	*err_r = xstrdup("invalid Message-ID domain");
	return -1;
}

/* "<32 hex>.<unix time>@domain": random enough to be unique without
 * keeping state.  Caller frees. */
static char *
new_message_id(const char *domain, int64_t now, char **err_r)
{
	unsigned char r[16];
	char hex[sizeof(r) * 2 + 1];
	size_t i, got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err_r = xasprintf("cannot get random bytes: %s",
			    strerror(errno));
			return NULL;
		}
		got += (size_t)n;
	}
	for (i = 0; i < sizeof(r); i++) {
		hex[2 * i] = "0123456789abcdef"[r[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[r[i] & 15];
	}
	hex[sizeof(hex) - 1] = '\0';
	return xasprintf("%s.%lld@%s", hex, (long long)now, domain);
}

/* 7bit when every byte is ASCII and every line short enough to need no
 * folding; quoted-printable otherwise (never 8bit: not every relay
 * speaks 8BITMIME, and QP keeps lines under 998 octets). */
static GMimeContentEncoding
text_encoding(const char *s, size_t len)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			col = 0;
			continue;
		}
		if (c >= 0x80 || c == '\r' || ++col > 76)
			return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	}
	/* A line starting "From " or a lone "." is fine over SMTP: curl
	 * dot-stuffs, and we never write mbox. */
	return GMIME_CONTENT_ENCODING_7BIT;
}

static void
set_content(GMimePart *part, const char *data, size_t len)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_object_unref(st);
}

/* A UTF-8 text part; text is cleaned (CRLF to LF, controls dropped). */
static GMimeObject *
text_part(const char *subtype, const char *text)
{
	GMimePart *part = g_mime_part_new_with_type("text", subtype);
	char *c = utf8_clean(text, strlen(text));
	size_t len = strlen(c);

	set_content(part, c, len);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
	    "charset", "utf-8");
	g_mime_part_set_content_encoding(part, text_encoding(c, len));
	free(c);
	return GMIME_OBJECT(part);
}

/* 1 when t is "type/subtype" of token characters, else 0. */
static int
mime_type_ok(const char *t)
{
	const char *q, *slash = strchr(t, '/');

	if (!slash || slash == t || !slash[1] || strchr(slash + 1, '/'))
		return 0;
	for (q = t; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    (*q >= '0' && *q <= '9') || strchr("/.+-_", *q)))
			return 0;
	return 1;
}

static GMimeObject *
attachment_part(const struct compose_attachment *a, char **err_r)
{
	const char *ct = a->content_type ? a->content_type :
	    "application/octet-stream";
	char *type, *sub, *name, *q;
	GMimePart *part;
	int is_text;

	if (!mime_type_ok(ct)) {
		*err_r = xasprintf("invalid attachment type '%s'", ct);
		return NULL;
	}
	type = xstrdup(ct);
	sub = strchr(type, '/');
	*sub++ = '\0';
	part = g_mime_part_new_with_type(type, sub);
	is_text = strcmp(type, "text") == 0;
	free(type);
	set_content(part, a->data ? a->data : "", a->data ? a->len : 0);
	if (is_text) {
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
		    "charset", "utf-8");
		g_mime_part_set_content_encoding(part,
		    memchr(a->data ? a->data : "", '\0', a->data ? a->len :
		    0) ? GMIME_CONTENT_ENCODING_BASE64 :
		    text_encoding(a->data ? a->data : "", a->data ? a->len :
		    0));
	} else {
		g_mime_part_set_content_encoding(part,
		    GMIME_CONTENT_ENCODING_BASE64);
	}
	/* The name may come from an item title: one line, no path. */
	name = one_line(a->filename && a->filename[0] ? a->filename :
	    "attachment");
	for (q = name; *q; q++)
		if (*q == '/' || *q == '\\')
			*q = '_';
	utf8_truncate(name, 100);
	g_mime_part_set_filename(part, name);
	free(name);
	return GMIME_OBJECT(part);
}

/* The headers both kinds of message share.  *msgid_r: caller frees. */
static int
set_headers(GMimeMessage *msg, const struct compose_head *h,
    const char *subject_prefix, int need_list, char **msgid_r,
    char **err_r)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	InternetAddressList *from = NULL, *to = NULL;
	GDateTime *dt = NULL;
	char *subject = NULL, *id = NULL, *unsub = NULL;
	int64_t when = h->date ? h->date : (int64_t)time(NULL);
	int ret = -1;

	from = parse_mailbox("From", h->from, err_r);
	if (!from)
		goto out;
	to = parse_mailbox("To", h->to, err_r);
	if (!to)
		goto out;
	if (check_domain(h->msgid_domain, err_r) < 0)
		goto out;
	if (need_list && (!h->list_id || !h->unsub_mailto)) {
		*err_r = xstrdup("List-Id and a mailto unsubscribe address "
		    "are required");
		goto out;
	}
	if (h->list_id && check_list_id(h->list_id, err_r) < 0)
		goto out;
	if (h->unsub_mailto && check_uri("List-Unsubscribe", h->unsub_mailto,
	    "mailto:", err_r) < 0)
		goto out;
	if (h->unsub_url && check_uri("List-Unsubscribe", h->unsub_url,
	    "https://", err_r) < 0)
		goto out;
	if (h->unsub_url && !h->unsub_mailto) {
		*err_r = xstrdup("an unsubscribe URL needs a mailto address "
		    "as well");
		goto out;
	}
	id = new_message_id(h->msgid_domain, when, err_r);
	if (!id)
		goto out;

	internet_address_list_append(g_mime_message_get_from(msg), from);
	internet_address_list_append(g_mime_message_get_addresses(msg,
	    GMIME_ADDRESS_TYPE_TO), to);
	subject = clean_subject(h->subject, subject_prefix);
	g_mime_message_set_subject(msg, subject, "utf-8");
	dt = g_date_time_new_from_unix_utc(when);
	if (!dt) {
		*err_r = xasprintf("date %lld out of range", (long long)when);
		goto out;
	}
	g_mime_message_set_date(msg, dt);
	g_mime_message_set_message_id(msg, id);
	if (h->list_id)
		g_mime_object_set_header(obj, "List-Id", h->list_id, "utf-8");
	if (h->unsub_mailto) {
		if (h->unsub_url)
			unsub = xasprintf("<%s>, <%s>", h->unsub_mailto,
			    h->unsub_url);
		else
			unsub = xasprintf("<%s>", h->unsub_mailto);
		g_mime_object_set_header(obj, "List-Unsubscribe", unsub, NULL);
		/* GMime folds a long unstructured value by turning it into
		 * RFC 2047 encoded words, which breaks the URI for every
		 * client that reads this header as structured (RFC 2369):
		 * write it as it is, on one line (check_uri() allowed only
		 * printable ASCII, and the line stays under 998 octets) */
		set_raw_header(obj, "List-Unsubscribe", unsub);
	}
	/* RFC 8058: one-click only where a POST can be received. */
	if (h->unsub_url)
		g_mime_object_set_header(obj, "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click", NULL);
	g_mime_object_set_header(obj, "Precedence", "bulk", NULL);
	g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated",
	    NULL);
	if (msgid_r) {
		*msgid_r = id;
		id = NULL;
	}
	ret = 0;
out:
	if (from)
		g_object_unref(from);
	if (to)
		g_object_unref(to);
	if (dt)
		g_date_time_unref(dt);
	free(subject);
	free(id);
	free(unsub);
	return ret;
}

/* Serializes msg with CRLF line endings into malloc'd bytes. */
static void
serialize(GMimeMessage *msg, char **msg_r, size_t *len_r)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	const char *in;
	char *out;
	size_t i, n, col, bare_lf = 0;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
	g_mime_stream_flush(mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	in = (const char *)ba->data;
	/*
	 * GMime's DOS newlines miss a bare CR (a forwarded original's
	 * header or 7-bit text) and the LF of a multipart it could not
	 * split (no boundary), and it copies such a multipart's text and an
	 * original's headers as they came, however long their lines: SMTP
	 * allows CRLF only and lines of 998 octets, and CR/LF oddities
	 * around a "." are what SMTP smuggling uses.  A bare LF becomes
	 * CRLF, a bare CR or a NUL a space, and a line is folded ("CRLF SP")
	 * at 998 octets.  What we compose ourselves never needs any of it.
	 */
	for (i = 0; i < ba->len; i++)
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			bare_lf++;
	out = xmalloc(ba->len + bare_lf + 3 * (ba->len / 997 + 1) + 1);
	for (i = n = col = 0; i < ba->len; i++) {
		char c = in[i];

		if ((c == '\r' && (i + 1 == ba->len || in[i + 1] != '\n')) ||
		    c == '\0')
			c = ' ';
		if (c == '\n') {
			if (i == 0 || in[i - 1] != '\r')
				out[n++] = '\r';
			out[n++] = '\n';
			col = 0;
			continue;
		}
		if (c != '\r' && col == 998) {
			out[n++] = '\r';
			out[n++] = '\n';
			out[n++] = ' ';
			col = 1;
		}
		if (c != '\r')
			col++;
		out[n++] = c;
	}
	out[n] = '\0';
	*msg_r = out;
	*len_r = n;
	g_object_unref(mem);
	g_mime_format_options_free(fo);
}

int
compose_digest(const struct compose_head *h, const char *text,
    const char *html, const struct compose_attachment *atts, size_t n_atts,
    char **msg_r, size_t *len_r, char **msgid_r, char **err_r)
{
	GMimeMessage *msg = NULL;
	GMimeObject *body = NULL, *part;
	GMimeMultipart *mixed = NULL;
	size_t i;
	int ret = -1;

	*msg_r = NULL;
	*len_r = 0;
	if (msgid_r)
		*msgid_r = NULL;
	if (!text) {
		*err_r = xstrdup("digest has no text part");
		goto out;
	}
	msg = g_mime_message_new(TRUE);
	if (set_headers(msg, h, NULL, 1, msgid_r, err_r) < 0)
		goto out;
	if (html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype(
		    "alternative");

		/* Last is preferred (RFC 2046 5.1.4): HTML. */
		part = text_part("plain", text);
		g_mime_multipart_add(alt, part);
		g_object_unref(part);
		part = text_part("html", html);
		g_mime_multipart_add(alt, part);
		g_object_unref(part);
		body = GMIME_OBJECT(alt);
	} else {
		body = text_part("plain", text);
	}
	if (n_atts) {
		mixed = g_mime_multipart_new_with_subtype("mixed");
		g_mime_multipart_add(mixed, body);
		for (i = 0; i < n_atts; i++) {
			part = attachment_part(&atts[i], err_r);
			if (!part)
				goto out;
			g_mime_multipart_add(mixed, part);
			g_object_unref(part);
		}
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	} else {
		g_mime_message_set_mime_part(msg, body);
	}
	serialize(msg, msg_r, len_r);
	ret = 0;
out:
	if (ret < 0 && msgid_r) {
		free(*msgid_r);
		*msgid_r = NULL;
	}
	if (mixed)
		g_object_unref(mixed);
	if (body)
		g_object_unref(body);
	if (msg)
		g_object_unref(msg);
	return ret;
}

/* 1 when the bytes of s could go on the wire as they are: no NUL, no
 * 8-bit byte, no CR without LF, no line over 998 octets. */
static int
raw_wire_safe(GMimeStream *s)
{
	char buf[4096];
	gssize n, i;
	size_t col = 0;
	int cr = 0, ok = 1;

	g_mime_stream_reset(s);
	while (ok && (n = g_mime_stream_read(s, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n && ok; i++) {
			unsigned char c = (unsigned char)buf[i];

			if (c == '\n') {
				col = 0;
				cr = 0;
			} else if (cr || c == 0 || c >= 0x80 || ++col > 998) {
				ok = 0;
			} else if (c == '\r') {
				cr = 1;
				col--;
			}
		}
	}
	g_mime_stream_reset(s);
	return ok && !cr;
}

/*
 * The original's header lines are copied as they came too: one over 998
 * octets, or with a NUL, a bare CR or an 8-bit byte, would go on the
 * wire so.  Such a header is set again from its decoded value, which
 * GMime folds (and encodes where it must).
 */
static void
headers_wire_safe(GMimeObject *o)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(o);
	int i, n = list ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *hdr = g_mime_header_list_get_header_at(list, i);
		const char *raw = g_mime_header_get_raw_value(hdr);
		const char *name = g_mime_header_get_name(hdr);
		const unsigned char *q;
		size_t col = strlen(name) + 1;
		int ok = 1;
		char *v;

		for (q = (const unsigned char *)raw; q && *q && ok; q++) {
			if (*q == '\n')
				col = 0;
			else if (*q >= 0x80 || ++col > 998 ||
			    (*q == '\r' && q[1] != '\n'))
				ok = 0;
		}
		if (ok)
			continue;
		v = xstrdup(g_mime_header_get_value(hdr));
		g_mime_header_set_value(hdr, NULL, v, "utf-8");
		free(v);
	}
}

/*
 * g_mime_object_encode() leaves a part alone when its header says base64
 * or quoted-printable (or 7bit), and GMime then copies its bytes as they
 * came: a NUL, raw 8-bit text or a 5,000-octet line would go out as
 * they are.  Such a part is decoded and encoded again, as
 * quoted-printable if it claimed base64, else as base64.
 */
static void
wire_safe(GMimeObject *o)
{
	GMimeContentEncoding enc;
	GMimeDataWrapper *w;
	GMimeObject *sub;
	int i, n;

	headers_wire_safe(o);
	if (GMIME_IS_MESSAGE(o)) {
		if ((sub = g_mime_message_get_mime_part(GMIME_MESSAGE(o))))
			wire_safe(sub);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(o));

		if (m)
			wire_safe(GMIME_OBJECT(m));
	} else if (GMIME_IS_MULTIPART(o)) {
		n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
		for (i = 0; i < n; i++)
			wire_safe(g_mime_multipart_get_part(GMIME_MULTIPART(o),
			    i));
	} else if (GMIME_IS_PART(o) &&
	    (w = g_mime_part_get_content(GMIME_PART(o)))) {
		enc = g_mime_part_get_content_encoding(GMIME_PART(o));
		/* written through an encoder: safe whatever came in */
		if ((enc == GMIME_CONTENT_ENCODING_BASE64 ||
		    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
		    enc == GMIME_CONTENT_ENCODING_UUENCODE) &&
		    g_mime_data_wrapper_get_encoding(w) != enc)
			return;
		if (!raw_wire_safe(g_mime_data_wrapper_get_stream(w)))
			g_mime_part_set_content_encoding(GMIME_PART(o),
			    enc == GMIME_CONTENT_ENCODING_BASE64 ?
			    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE :
			    GMIME_CONTENT_ENCODING_BASE64);
	}
}

static int
tag_ok(const char *tag)
{
	size_t n = 0;

	for (; tag && tag[n]; n++)
		if (!((tag[n] >= 'a' && tag[n] <= 'z') ||
		    (tag[n] >= 'A' && tag[n] <= 'Z') ||
		    (tag[n] >= '0' && tag[n] <= '9') || tag[n] == '_' ||
		    tag[n] == '-'))
			return 0;
	return n > 0 && n <= MAX_TAG;
}

int
compose_forward(const struct compose_head *h, const char *tag,
    const char *note, const char *orig, size_t orig_len, char **msg_r,
    size_t *len_r, char **msgid_r, char **err_r)
{
	GMimeMessage *msg = NULL, *original = NULL;
	GMimeMultipart *mixed = NULL;
	GMimeMessagePart *mp = NULL;
	GMimeContentDisposition *disp = NULL;
	GMimeParser *parser = NULL;
	GMimeStream *st = NULL;
	GMimeObject *part;
	char *prefix = NULL;
	int ret = -1;

	*msg_r = NULL;
	*len_r = 0;
	if (msgid_r)
		*msgid_r = NULL;
	if (!tag_ok(tag)) {
		*err_r = xstrdup("invalid forward tag: 1 to 32 of "
		    "[A-Za-z0-9_-] wanted");
		goto out;
	}
	if (!orig || !orig_len) {
		*err_r = xstrdup("no original message to forward");
		goto out;
	}
	st = g_mime_stream_mem_new_with_buffer(orig, orig_len);
	parser = g_mime_parser_new_with_stream(st);
	original = g_mime_parser_construct_message(parser, NULL);
	if (!original) {
		*err_r = xstrdup("cannot parse the original message");
		goto out;
	}
	/* Raw 8bit parts of the original would break 7-bit relays and the
	 * 998-octet line limit; base64 and QP parts are left alone unless
	 * their bytes are not what they claim. */
	g_mime_object_encode(GMIME_OBJECT(original),
	    GMIME_ENCODING_CONSTRAINT_7BIT);
	wire_safe(GMIME_OBJECT(original));

	msg = g_mime_message_new(TRUE);
	prefix = xasprintf("[%s]", tag);
	if (set_headers(msg, h, prefix, 0, msgid_r, err_r) < 0)
		goto out;
	mixed = g_mime_multipart_new_with_subtype("mixed");
	part = text_part("plain", note ? note : "");
	g_mime_multipart_add(mixed, part);
	g_object_unref(part);
	mp = g_mime_message_part_new_with_message("rfc822", original);
	disp = g_mime_content_disposition_new();
	g_mime_content_disposition_set_disposition(disp,
	    GMIME_DISPOSITION_INLINE);
	g_mime_object_set_content_disposition(GMIME_OBJECT(mp), disp);
	g_mime_multipart_add(mixed, GMIME_OBJECT(mp));
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mixed));
	serialize(msg, msg_r, len_r);
	ret = 0;
out:
	if (ret < 0 && msgid_r) {
		free(*msgid_r);
		*msgid_r = NULL;
	}
	free(prefix);
	if (disp)
		g_object_unref(disp);
	if (mp)
		g_object_unref(mp);
	if (mixed)
		g_object_unref(mixed);
	if (msg)
		g_object_unref(msg);
	if (original)
		g_object_unref(original);
	if (parser)
		g_object_unref(parser);
	if (st)
		g_object_unref(st);
	return ret;
}
