/*
 * export.c - see export.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "export.h"
#include "json.h"
#include "log.h"
#include "subscribers.h"
#include "util.h"

/* Records per import transaction, and bytes of lines. */
#define IMPORT_BATCH 100
#define IMPORT_BATCH_BYTES (32u << 20)
/* Caps on what one record may hold: far above anything stored. */
#define IMPORT_MAX_ITEMS 100000
#define IMPORT_MAX_LABELS 1000
#define IMPORT_MAX_KEY 256
/* Subscribers per page when exporting. */
#define EXPORT_SUB_PAGE 256

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
export_b64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
export_b64_decode(const char *in, size_t n, void *out, size_t *len_r)
{
	unsigned char *q = out;
	size_t i, o = 0, pad = 0;
	int d[4], k;

	*len_r = 0;
	if (n % 4)
		return -1;
	if (n && in[n - 1] == '=')
		pad = n >= 2 && in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		int last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				d[k] = 0;
				continue;
			}
			if ((d[k] = b64_value(in[i + k])) < 0)
				return -1;
		}
		/* the bits padding drops must be zero: one encoding each */
		if (last && pad == 1 && (d[2] & 3))
			return -1;
		if (last && pad == 2 && (d[1] & 15))
			return -1;
		q[o++] = (unsigned char)(d[0] << 2 | d[1] >> 4);
		if (!last || pad < 2)
			q[o++] = (unsigned char)((d[1] & 15) << 4 | d[2] >> 2);
		if (!last || pad < 1)
			q[o++] = (unsigned char)((d[2] & 3) << 6 | d[3]);
	}
	*len_r = o;
	return 0;
}

/* Writes data as a base64 JSON string, a chunk at a time. */
static void
b64_write(FILE *f, const void *data, size_t len)
{
	const char *p = data;
	char out[4096];
	size_t chunk = sizeof(out) / 4 * 3, n;

	putc('"', f);
	while (len) {
		n = len < chunk ? len : chunk;
		fwrite(out, 1, export_b64_encode(p, n, out), f);
		p += n;
		len -= n;
	}
	putc('"', f);
}

/* --- export --- */

struct exp {
	struct store *st;
	FILE *f;
	int64_t n_msgs, n_subs, n_out, n_marks, n_folders;
};

/* The mboxrd body: >*"From " lines quoted once more, a final newline,
 * then the blank line that ends the message. */
static void
mbox_body(FILE *f, const char *p, size_t n)
{
	const char *end = p + n, *nl, *q;
	size_t len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		for (q = p; q < p + len && *q == '>'; q++)
			;
		if ((size_t)(p + len - q) >= 5 && !memcmp(q, "From ", 5))
			putc('>', f);
		fwrite(p, 1, len, f);
		p += len;
	}
	if (n && end[-1] != '\n')
		putc('\n', f);
	putc('\n', f);
}

static int
mbox_message(void *ctx, int64_t id, const struct store_msg *m,
    const char *command)
{
	struct exp *e = ctx;
	char *sender = subscribers_address_of(m->from ? m->from : "");
	time_t t = (time_t)m->received;
	struct tm tm;
	char date[64];

	(void)id;
	(void)command;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(e->f, "From %s %s\n", sender ? sender : "MAILER-DAEMON",
	    date);
	free(sender);
	mbox_body(e->f, m->raw, m->raw_len);
	e->n_msgs++;
	return ferror(e->f) ? -2 : 0;
}

static int
json_item(void *ctx, unsigned seq, const struct item *it)
{
	struct exp *e = ctx;
	size_t i;

	putc('{', e->f);
	json_kint(e->f, 1, "seq", seq);
	json_kstr(e->f, 0, "title", it->title);
	json_kint(e->f, 0, "date", it->date);
	json_kstr(e->f, 0, "url", it->url);
	json_kstr(e->f, 0, "source", it->source);
	json_kstr(e->f, 0, "text", it->text);
	json_kint(e->f, 0, "words", it->words);
	fputs(",\"labels\":{", e->f);
	for (i = 0; i < it->n_labels; i++)
		json_kint(e->f, i == 0, it->labels[i].id, it->labels[i].score);
	fputs("}}", e->f);
	return 0;
}

/* Items are separated by commas: the callback cannot tell the first. */
struct item_sep {
	struct exp *e;
	int first;
};

static int
json_item_sep(void *ctx, unsigned seq, const struct item *it)
{
	struct item_sep *s = ctx;

	if (!s->first)
		putc(',', s->e->f);
	s->first = 0;
	return json_item(s->e, seq, it);
}

static int
json_message(void *ctx, int64_t id, const struct store_msg *m,
    const char *command)
{
	struct exp *e = ctx;
	struct item_sep sep = { e, 1 };
	FILE *f = e->f;

	putc('{', f);
	json_kstr(f, 1, "type", "message");
	json_kint(f, 0, "id", id);
	json_kstr(f, 0, "hash", m->hash);
	json_kstr(f, 0, "message_id", m->message_id);
	json_kstr(f, 0, "source", m->source);
	json_kstr(f, 0, "subject", m->subject);
	json_kstr(f, 0, "from", m->from);
	json_kint(f, 0, "date", m->date);
	json_kint(f, 0, "received", m->received);
	json_kstr(f, 0, "command", command);
	fputs(",\"raw\":", f);
	b64_write(f, m->raw, m->raw_len);
	fputs(",\"items\":[", f);
	if (store_message_items(e->st, id, json_item_sep, &sep) != 0)
		return -1;
	fputs("]}\n", f);
	e->n_msgs++;
	return ferror(f) ? -2 : 0;
}

static int
json_sub(struct exp *e, const struct store_sub *s)
{
	FILE *f = e->f;
	size_t i;

	putc('{', f);
	json_kstr(f, 1, "type", "subscriber");
	json_kstr(f, 0, "address", s->address);
	json_kstr(f, 0, "name", s->name);
	fprintf(f, ",\"confirmed\":%s", s->confirmed ? "true" : "false");
	json_kstr(f, 0, "token", s->token);
	json_kint(f, 0, "created", s->created);
	json_kint(f, 0, "changed", s->changed);
	fputs(",\"categories\":{", f);
	for (i = 0; i < s->n_cats; i++)
		json_kstr(f, i == 0, s->cats[i].category, s->cats[i].mode);
	fputs("}}\n", f);
	e->n_subs++;
	return ferror(f) ? -2 : 0;
}

static int
json_out(void *ctx, const struct store_out_row *o)
{
	struct exp *e = ctx;
	FILE *f = e->f;

	putc('{', f);
	json_kstr(f, 1, "type", "outbox");
	json_kstr(f, 0, "address", o->address);
	json_kstr(f, 0, "kind", o->kind);
	json_kstr(f, 0, "key", o->key);
	json_kstr(f, 0, "msg_hash", o->msg_hash);
	json_kstr(f, 0, "rcpt", o->rcpt);
	json_kstr(f, 0, "state", o->state);
	json_kint(f, 0, "attempts", o->attempts);
	json_kint(f, 0, "next_try", o->next_try);
	json_kstr(f, 0, "reply", o->reply);
	json_kint(f, 0, "created", o->created);
	json_kint(f, 0, "sent", o->sent);
	fputs(",\"body\":", f);
	b64_write(f, o->body, o->len);
	fputs("}\n", f);
	e->n_out++;
	return ferror(f) ? -2 : 0;
}

static int
json_mark(void *ctx, const char *name, int64_t v)
{
	struct exp *e = ctx;

	putc('{', e->f);
	json_kstr(e->f, 1, "type", "mark");
	json_kstr(e->f, 0, "name", name);
	json_kint(e->f, 0, "value", v);
	fputs("}\n", e->f);
	e->n_marks++;
	return ferror(e->f) ? -2 : 0;
}

static int
json_folder(void *ctx, const struct store_folder *fo)
{
	struct exp *e = ctx;
	FILE *f = e->f;

	putc('{', f);
	json_kstr(f, 1, "type", "folder");
	json_kstr(f, 0, "account", fo->account);
	json_kstr(f, 0, "folder", fo->folder);
	json_kint(f, 0, "uidvalidity", fo->uidvalidity);
	json_kint(f, 0, "last_uid", fo->last_uid);
	json_kint(f, 0, "last_run", fo->last_run);
	json_kstr(f, 0, "last_result", fo->last_result);
	fputs("}\n", f);
	e->n_folders++;
	return ferror(f) ? -2 : 0;
}

/* The JSON records in export.h's order.  0, -1 store, -2 write. */
static int
export_json(struct exp *e)
{
	struct store_sub *subs = NULL;
	size_t n = 0, i;
	int64_t after = 0;
	int r;

	fprintf(e->f, "{\"type\":\"header\",\"format\":\"bulletin-export\","
	    "\"version\":%d}\n", EXPORT_VERSION);
	if ((r = store_marks(e->st, json_mark, e)) != 0 ||
	    (r = store_export_messages(e->st, json_message, e)) != 0)
		return r;
	for (;;) {
		if (store_sub_page(e->st, after, EXPORT_SUB_PAGE, &subs, &n)
		    < 0)
			return -1;
		if (!n)
			break;
		after = subs[n - 1].id;
		for (i = 0, r = 0; i < n && !r; i++)
			r = json_sub(e, &subs[i]);
		store_sub_free(&subs, n);
		if (r)
			return r;
	}
	if ((r = store_outbox_rows(e->st, json_out, e)) != 0 ||
	    (r = store_folders(e->st, json_folder, e)) != 0)
		return r;
	fprintf(e->f, "{\"type\":\"end\",\"marks\":%" PRId64 ",\"messages\":%"
	    PRId64 ",\"subscribers\":%" PRId64 ",\"outbox\":%" PRId64
	    ",\"folders\":%" PRId64 "}\n", e->n_marks, e->n_msgs, e->n_subs,
	    e->n_out, e->n_folders);
	return ferror(e->f) ? -2 : 0;
}

int
export_run(struct store *st, enum export_format fmt, const char *path)
{
	struct exp e;
	int to_stdout = !path || !strcmp(path, "-");
	int fd, r, in_txn = 0;
	int ret = EX_SOFTWARE;

	memset(&e, 0, sizeof(e));
	e.st = st;
	if (to_stdout) {
		e.f = stdout;
	} else {
		/* the subscribers' tokens are secrets, the mail private */
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (fd < 0 || !(e.f = fdopen(fd, "w"))) {
			log_errno(LOG_ERR, "cannot create '%s'", path);
			if (fd >= 0)
				close(fd);
			return EX_CANTCREAT;
		}
	}
	if (store_begin_read(st) < 0)
		goto out;
	in_txn = 1;
	if (fmt == EXPORT_MBOX)
		r = store_export_messages(st, mbox_message, &e);
	else
		r = export_json(&e);
	if (r == -2 || fflush(e.f) != 0 || ferror(e.f)) {
		log_errno(LOG_ERR, "cannot write '%s'", to_stdout ? "stdout" :
		    path);
		ret = EX_IOERR;
		goto out;
	}
	if (r != 0)
		goto out;
	if (fmt == EXPORT_MBOX)
		log_info("exported %" PRId64 " messages", e.n_msgs);
	else
		log_info("exported %" PRId64 " messages, %" PRId64
		    " subscribers, %" PRId64 " outbox rows", e.n_msgs,
		    e.n_subs, e.n_out);
	ret = EX_OK;
out:
	if (in_txn)
		store_rollback(st);
	if (!to_stdout && fclose(e.f) != 0 && ret == EX_OK) {
		log_errno(LOG_ERR, "cannot write '%s'", path);
		ret = EX_IOERR;
	}
	return ret;
}

/* --- import --- */

int
export_detect(const char *path, enum export_format *fmt_r)
{
	char head[5];
	size_t n;
	FILE *f;

	if (!strcmp(path, "-")) {
		int c = getc(stdin);

		if (c == EOF || ungetc(c, stdin) == EOF || c != '{') {
			fprintf(stderr, "-:1: not a bulletin JSON export (an "
			    "mbox must be a file)\n");
			return EX_DATAERR;
		}
		*fmt_r = EXPORT_JSON;
		return EX_OK;
	}
	if (!(f = fopen(path, "rb"))) {
		log_errno(LOG_ERR, "cannot open '%s'", path);
		return EX_NOINPUT;
	}
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n == sizeof(head) && !memcmp(head, "From ", 5)) {
		*fmt_r = EXPORT_MBOX;
		return EX_OK;
	}
	if (n && head[0] == '{') {
		*fmt_r = EXPORT_JSON;
		return EX_OK;
	}
	fprintf(stderr, "%s:1: %s\n", path, n ? "neither a bulletin JSON "
	    "export nor an mbox" : "empty file: nothing to import");
	return EX_DATAERR;
}

/* Lines of a stream, each at most max bytes, NUL bytes and all. */
struct reader {
	FILE *f;
	char blk[65536];
	size_t pos, end;
	int eof;
};

/* The next line (without its newline) in b.  1, 0 at end, -1 too long
 * (*too_long_r) or unreadable. */
static int
read_line(struct reader *r, struct buf *b, int *too_long_r)
{
	char *nl;
	size_t n;
	int any = 0;

	buf_reset(b);
	*too_long_r = 0;
	for (;;) {
		if (r->pos == r->end) {
			if (r->eof)
				return any ? 1 : 0;
			r->pos = 0;
			r->end = fread(r->blk, 1, sizeof(r->blk), r->f);
			if (r->end == 0) {
				if (ferror(r->f))
					return -1;
				r->eof = 1;
				continue;
			}
		}
		any = 1;
		nl = memchr(r->blk + r->pos, '\n', r->end - r->pos);
		n = nl ? (size_t)(nl - r->blk) - r->pos : r->end - r->pos;
		if (buf_add(b, r->blk + r->pos, n) < 0) {
			*too_long_r = 1;
			return -1;
		}
		r->pos += n;
		if (nl) {
			r->pos++;
			return 1;
		}
	}
}

struct imp {
	struct store *st;
	const char *name;
	unsigned long line;
	char *err;                /* what is wrong with the line */
	int header, end;
	int in_txn;
	size_t batch, batch_bytes;
	/* records seen, for the end record */
	int64_t n_msgs, n_subs, n_out, n_marks, n_folders;
	/* what they did */
	size_t msgs, msgs_dup, msgs_moved, items, subs, subs_dup, outs,
	    outs_dup;
	char *raw;                /* decode buffer, reused */
	size_t raw_cap;
};

static int bad(struct imp *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records what is wrong with this line; returns -2 (a data error). */
static int
bad(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	if (im->err)
		return -2;
	va_start(ap, fmt);
	if (vasprintf(&im->err, fmt, ap) < 0)
		im->err = NULL;
	va_end(ap);
	if (!im->err)
		im->err = xstrdup("bad record");
	return -2;
}

/* Strings hold no NUL: json_loadb() refuses \u0000 without
 * JSON_ALLOW_NUL.  Borrowed from o. */
static int
get_str(struct imp *im, json_t *o, const char *key, int nullable,
    const char **s_r)
{
	json_t *v = json_object_get(o, key);

	*s_r = NULL;
	if (json_is_string(v)) {
		*s_r = json_string_value(v);
		return 0;
	}
	if (nullable && (!v || json_is_null(v)))
		return 0;
	return bad(im, "'%s' must be a string%s", key,
	    nullable ? " or null" : "");
}

static int
get_int(struct imp *im, json_t *o, const char *key, int64_t min,
    int64_t max, int64_t *v_r)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	*v_r = 0;
	/* Jansson reads a fraction or an exponent as a real */
	if (!json_is_integer(v))
		return bad(im, "'%s' must be an integer", key);
	i = json_integer_value(v);
	if (i < min || i > max)
		return bad(im, "'%s' out of range (%" PRId64 " to %" PRId64 ")",
		    key, min, max);
	*v_r = i;
	return 0;
}

static int
get_bool(struct imp *im, json_t *o, const char *key, int *b_r)
{
	json_t *v = json_object_get(o, key);

	*b_r = 0;
	if (!json_is_boolean(v))
		return bad(im, "'%s' must be true or false", key);
	*b_r = json_is_true(v);
	return 0;
}

/* An array or an object member; borrowed from o. */
static json_t *
get_kind(struct imp *im, json_t *o, const char *key, json_type t,
    const char *what)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_typeof(v) != t) {
		bad(im, "'%s' must be %s", key, what);
		return NULL;
	}
	return v;
}

static int
hash_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return i == 64;
}

/* A category id as rules.c takes it: [a-z0-9-]{1,64}. */
static int
category_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return n > 0 && n <= 64;
}

/* A mark or kind name: [a-z_]{1,64}. */
static int
name_ok(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return n > 0 && n <= 64;
}

/* Decodes a base64 string member into im->raw. */
static int
get_b64(struct imp *im, json_t *o, const char *key, size_t *len_r)
{
	const char *s;
	size_t len, need;

	if (get_str(im, o, key, 0, &s) < 0)
		return -2;
	len = json_string_length(json_object_get(o, key));
	need = len / 4 * 3 + 1;
	if (need > im->raw_cap) {
		im->raw = xrealloc(im->raw, need);
		im->raw_cap = need;
	}
	if (export_b64_decode(s, len, im->raw, len_r) < 0)
		return bad(im, "'%s' is not base64", key);
	im->raw[*len_r] = '\0';
	return 0;
}

static int
import_items(struct imp *im, int64_t msg_id, json_t *items)
{
	struct label *labels = NULL;
	int64_t seq, prev = -1, date, words;
	const char *title, *url, *source, *text, *id;
	json_t *o, *lv, *score;
	json_int_t sc;
	size_t i, k;
	int ret = -2;

	if (json_array_size(items) > IMPORT_MAX_ITEMS)
		return bad(im, "more than %d items", IMPORT_MAX_ITEMS);
	labels = xcalloc(IMPORT_MAX_LABELS, sizeof(*labels));
	json_array_foreach(items, i, o) {
		if (!json_is_object(o)) {
			bad(im, "items must be objects");
			goto out;
		}
		if (get_int(im, o, "seq", 0, INT32_MAX, &seq) < 0 ||
		    get_str(im, o, "title", 0, &title) < 0 ||
		    get_int(im, o, "date", INT64_MIN, INT64_MAX, &date) < 0 ||
		    get_str(im, o, "url", 1, &url) < 0 ||
		    get_str(im, o, "source", 0, &source) < 0 ||
		    get_str(im, o, "text", 0, &text) < 0 ||
		    get_int(im, o, "words", 0, UINT32_MAX, &words) < 0 ||
		    !(lv = get_kind(im, o, "labels", JSON_OBJECT,
		    "an object")))
			goto out;
		if (seq <= prev) {
			bad(im, "items out of order (seq %" PRId64 ")", seq);
			goto out;
		}
		prev = seq;
		if (json_object_size(lv) > IMPORT_MAX_LABELS) {
			bad(im, "more than %d labels", IMPORT_MAX_LABELS);
			goto out;
		}
		/* in the file's order: Jansson keeps insertion order */
		k = 0;
		json_object_foreach(lv, id, score) {
			if (!category_ok(id) || !json_is_integer(score) ||
			    (sc = json_integer_value(score)) < INT32_MIN ||
			    sc > INT32_MAX) {
				bad(im, "bad label in item %" PRId64, seq);
				goto out;
			}
			labels[k].id = id;
			labels[k++].score = (int)sc;
		}
		{
			struct item it = {
				.title = (char *)(uintptr_t)title,
				.date = date,
				.url = (char *)(uintptr_t)url,
				.text = (char *)(uintptr_t)text,
				.source = (char *)(uintptr_t)source,
				.words = (unsigned)words,
				.labels = labels,
				.n_labels = k,
			};

			if (store_add_item(im->st, msg_id, (unsigned)seq, &it)
			    < 0) {
				ret = -1;
				goto out;
			}
		}
		im->items++;
	}
	ret = 0;
out:
	free(labels);
	return ret;
}

static int
import_message(struct imp *im, json_t *o)
{
	const char *hash, *mid, *source, *subject, *from, *command;
	json_t *items;
	struct store_msg m;
	int64_t want, date, received, id;
	char check[65];
	size_t len;
	int r;

	im->n_msgs++;
	if (get_int(im, o, "id", 1, INT64_MAX, &want) < 0 ||
	    get_str(im, o, "hash", 0, &hash) < 0 ||
	    get_str(im, o, "message_id", 1, &mid) < 0 ||
	    get_str(im, o, "source", 0, &source) < 0 ||
	    get_str(im, o, "subject", 0, &subject) < 0 ||
	    get_str(im, o, "from", 0, &from) < 0 ||
	    get_int(im, o, "date", INT64_MIN, INT64_MAX, &date) < 0 ||
	    get_int(im, o, "received", INT64_MIN, INT64_MAX, &received) < 0 ||
	    get_str(im, o, "command", 1, &command) < 0 ||
	    !(items = get_kind(im, o, "items", JSON_ARRAY, "an array")) ||
	    get_b64(im, o, "raw", &len) < 0)
		return -2;
	if (!hash_ok(hash))
		return bad(im, "'hash' must be 64 lower-case hex digits");
	store_hash(im->raw, len, check);
	if (strcmp(check, hash))
		return bad(im, "'raw' does not match 'hash'");
	memset(&m, 0, sizeof(m));
	m.hash = hash;
	m.message_id = mid;
	m.source = source;
	m.subject = subject;
	m.from = from;
	m.date = date;
	m.received = received;
	m.raw = im->raw;
	m.raw_len = len;
	r = store_import_message(im->st, &m, want, &id);
	if (r < 0)
		return -1;
	if (r == 1) {
		im->msgs_dup++;
		return 0;
	}
	im->msgs++;
	if (r == 2) {
		/* another id: the passes after fetch must not take it for
		 * new mail (export.h) */
		im->msgs_moved++;
		if (store_mark_raise(im->st, "commands", id) < 0 ||
		    store_mark_raise(im->st, "forwards", id) < 0)
			return -1;
	}
	if ((r = import_items(im, id, items)) < 0)
		return r;
	if (command && store_mark_command(im->st, id, command) < 0)
		return -1;
	return 0;
}

static int
import_subscriber(struct imp *im, json_t *o)
{
	const char **ids = NULL, **modes = NULL;
	const char *address, *name, *token, *cat;
	struct store_sub s, have;
	enum sub_mode mode;
	json_t *cats, *v;
	int64_t id;
	size_t i, n;
	int r, ret = -2;

	im->n_subs++;
	memset(&s, 0, sizeof(s));
	memset(&have, 0, sizeof(have));
	if (get_str(im, o, "address", 0, &address) < 0 ||
	    get_str(im, o, "name", 0, &name) < 0 ||
	    get_str(im, o, "token", 0, &token) < 0 ||
	    get_int(im, o, "created", INT64_MIN, INT64_MAX, &s.created) < 0 ||
	    get_int(im, o, "changed", INT64_MIN, INT64_MAX, &s.changed) < 0 ||
	    get_bool(im, o, "confirmed", &s.confirmed) < 0 ||
	    !(cats = get_kind(im, o, "categories", JSON_OBJECT, "an object")))
		return -2;
	/* borrowed from o; s is never cleared */
	s.address = (char *)(uintptr_t)address;
	s.name = (char *)(uintptr_t)name;
	s.token = (char *)(uintptr_t)token;
	if (!subscribers_address_ok(s.address))
		return bad(im, "'%s' is not an e-mail address", s.address);
	/* never echo a token: it is the subscriber's secret */
	if (!subscribers_token_ok(s.token))
		return bad(im, "subscriber '%s' has a malformed token",
		    s.address);
	if ((n = json_object_size(cats)) > IMPORT_MAX_LABELS)
		return bad(im, "too many categories");
	ids = xcalloc(n + 1, sizeof(*ids));
	modes = xcalloc(n + 1, sizeof(*modes));
	i = 0;
	json_object_foreach(cats, cat, v) {
		if (!category_ok(cat) || !json_is_string(v) ||
		    subscribers_mode_parse(json_string_value(v), &mode) < 0 ||
		    mode == SUB_NONE) {
			bad(im, "subscriber '%s': bad category or mode",
			    s.address);
			goto out;
		}
		ids[i] = cat;
		modes[i++] = json_string_value(v);
	}
	r = store_sub_get(im->st, s.address, &have);
	if (r < 0) {
		ret = -1;
		goto out;
	}
	if (r == 0) {
		im->subs_dup++;
		ret = 0;
		goto out;
	}
	r = store_sub_by_token(im->st, s.token, &have);
	if (r < 0) {
		ret = -1;
		goto out;
	}
	if (r == 0) {
		bad(im, "subscriber '%s' has the token of '%s'", s.address,
		    have.address);
		goto out;
	}
	r = store_sub_import(im->st, &s, &id);
	if (r != 0 || store_sub_set_cats(im->st, id, ids, modes, n) < 0) {
		ret = -1;
		goto out;
	}
	im->subs++;
	ret = 0;
out:
	store_sub_clear(&have);
	free(ids);
	free(modes);
	return ret;
}

static int
import_outbox(struct imp *im, json_t *o)
{
	static const char *const kinds[] = { "digest", "forward", "confirm" };
	static const char *const states[] = { "queued", "sent", "failed" };
	struct store_out_row row;
	struct store_sub sub;
	const char *address, *hash;
	char *key = NULL;
	int64_t attempts, msg_id = 0;
	size_t i, j;
	int r, ret = -2;

	im->n_out++;
	memset(&row, 0, sizeof(row));
	memset(&sub, 0, sizeof(sub));
	if (get_str(im, o, "address", 0, &address) < 0 ||
	    get_str(im, o, "kind", 0, &row.kind) < 0 ||
	    get_str(im, o, "key", 0, &row.key) < 0 ||
	    get_str(im, o, "msg_hash", 1, &hash) < 0 ||
	    get_str(im, o, "rcpt", 0, &row.rcpt) < 0 ||
	    get_str(im, o, "state", 0, &row.state) < 0 ||
	    get_int(im, o, "attempts", 0, 1000000, &attempts) < 0 ||
	    get_int(im, o, "next_try", INT64_MIN, INT64_MAX, &row.next_try)
	    < 0 ||
	    get_str(im, o, "reply", 0, &row.reply) < 0 ||
	    get_int(im, o, "created", INT64_MIN, INT64_MAX, &row.created) < 0 ||
	    get_int(im, o, "sent", INT64_MIN, INT64_MAX, &row.sent) < 0 ||
	    get_b64(im, o, "body", &row.len) < 0)
		return -2;
	row.attempts = (unsigned)attempts;
	row.body = im->raw;
	for (i = 0; i < ARRAY_SIZE(kinds) && strcmp(row.kind, kinds[i]); i++)
		;
	for (j = 0; j < ARRAY_SIZE(states) && strcmp(row.state, states[j]);
	    j++)
		;
	if (i == ARRAY_SIZE(kinds) || j == ARRAY_SIZE(states))
		return bad(im, "unknown outbox kind or state");
	if (!*row.key || strlen(row.key) > IMPORT_MAX_KEY)
		return bad(im, "bad outbox key");
	if (!subscribers_address_ok(row.rcpt))
		return bad(im, "'%s' is not an e-mail address", row.rcpt);
	if (hash && !hash_ok(hash))
		return bad(im, "'msg_hash' must be 64 lower-case hex digits");
	r = store_sub_get(im->st, address, &sub);
	if (r < 0)
		return -1;
	if (r == 1)
		return bad(im, "outbox row for '%s', who is not a subscriber",
		    address);
	if (hash && (r = store_message_id(im->st, hash, &msg_id)) < 0) {
		ret = -1;
		goto out;
	}
	/* a forward's key names the message by id: this store's id */
	if (msg_id && !strcmp(row.kind, "forward") &&
	    !strncmp(row.key, "msg:", 4)) {
		key = xasprintf("msg:%" PRId64, msg_id);
		row.key = key;
	}
	r = store_outbox_import(im->st, sub.id, msg_id, &row);
	if (r < 0) {
		ret = -1;
		goto out;
	}
	if (r == 1)
		im->outs_dup++;
	else
		im->outs++;
	ret = 0;
out:
	free(key);
	store_sub_clear(&sub);
	return ret;
}

static int
import_mark(struct imp *im, json_t *o)
{
	const char *name;
	int64_t v;

	im->n_marks++;
	if (get_str(im, o, "name", 0, &name) < 0 ||
	    get_int(im, o, "value", 0, INT64_MAX, &v) < 0)
		return -2;
	if (!name_ok(name))
		return bad(im, "bad mark name");
	return store_mark_raise(im->st, name, v) < 0 ? -1 : 0;
}

static int
import_folder(struct imp *im, json_t *o)
{
	struct store_folder f;
	int64_t uv, uid;

	im->n_folders++;
	memset(&f, 0, sizeof(f));
	if (get_str(im, o, "account", 0, &f.account) < 0 ||
	    get_str(im, o, "folder", 0, &f.folder) < 0 ||
	    get_int(im, o, "uidvalidity", 0, UINT32_MAX, &uv) < 0 ||
	    get_int(im, o, "last_uid", 0, UINT32_MAX, &uid) < 0 ||
	    get_int(im, o, "last_run", INT64_MIN, INT64_MAX, &f.last_run) < 0 ||
	    get_str(im, o, "last_result", 0, &f.last_result) < 0)
		return -2;
	f.uidvalidity = (uint32_t)uv;
	f.last_uid = (uint32_t)uid;
	return store_folder_import(im->st, &f) < 0 ? -1 : 0;
}

static int
import_end(struct imp *im, json_t *o)
{
	static const char *const keys[] = { "marks", "messages",
	    "subscribers", "outbox", "folders" };
	int64_t seen[5], v;
	size_t i;

	seen[0] = im->n_marks;
	seen[1] = im->n_msgs;
	seen[2] = im->n_subs;
	seen[3] = im->n_out;
	seen[4] = im->n_folders;
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (get_int(im, o, keys[i], 0, INT64_MAX, &v) < 0)
			return -2;
		if (v != seen[i])
			return bad(im, "the end record counts %" PRId64 " %s, "
			    "the file holds %" PRId64 ": records are missing",
			    v, keys[i], seen[i]);
	}
	im->end = 1;
	return 0;
}

/*
 * Jansson's allocations for one line, capped: a line of "{},{},..." costs
 * it some 80 bytes of objects per input byte, so without a cap a long
 * hostile line takes gigabytes.  A real record holds little more than
 * its own text (the raw message as one string), so four times the line
 * plus a little is plenty.  Import is single-threaded.
 */
static size_t jbudget, jused;
static int jrefused;

static void *
jalloc(size_t n)
{
	size_t *p;

	if (n > jbudget - jused || !(p = malloc(sizeof(size_t) + n))) {
		jrefused = 1;
		return NULL;
	}
	jused += n;
	*p = n;
	return p + 1;
}

static void
jfree(void *v)
{
	size_t *p = v;

	if (!p)
		return;
	jused -= p[-1];
	free(p - 1);
}

/* One line.  0, -1 store error, -2 data error (im->err). */
static int
import_line(struct imp *im, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *o;
	const char *type;
	char *near;
	int64_t ver;
	int r;

	if (im->end)
		return bad(im, "data after the end record");
	/* Without JSON_ALLOW_NUL a \u0000 is refused: every string becomes
	 * a C string.  Jansson caps the nesting (JSON_PARSER_MAX_DEPTH,
	 * 2048 levels) and read_line the length. */
	jbudget = 4 * len + (1u << 20);
	jused = 0;
	jrefused = 0;
	json_set_alloc_funcs(jalloc, jfree);
	if (!(o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr))) {
		/* "... near '<text>'" may quote a subscriber's token: the
		 * column says where instead */
		if ((near = strstr(jerr.text, " near ")))
			*near = '\0';
		if (jrefused)
			return bad(im, "not JSON: too many values for the "
			    "line's length (memory cap)");
		if (jerr.column > 0)
			return bad(im, "not JSON: column %d: %s", jerr.column,
			    jerr.text);
		return bad(im, "not JSON: %s", jerr.text);
	}
	if (!json_is_object(o)) {
		r = bad(im, "a record must be an object");
		goto out;
	}
	if ((r = get_str(im, o, "type", 0, &type)) < 0)
		goto out;
	if (!im->header) {
		const char *fmt = NULL;

		if (strcmp(type, "header") || get_str(im, o, "format", 0,
		    &fmt) < 0 || strcmp(fmt, "bulletin-export")) {
			r = bad(im, "not a bulletin JSON export (no header)");
			goto out;
		}
		if ((r = get_int(im, o, "version", 1, INT64_MAX, &ver)) < 0)
			goto out;
		if (ver > EXPORT_VERSION) {
			r = bad(im, "export version %" PRId64 " is newer than "
			    "this program's %d", ver, EXPORT_VERSION);
			goto out;
		}
		im->header = 1;
		r = 0;
		goto out;
	}
	if (!im->in_txn) {
		if (store_begin(im->st) < 0) {
			r = -1;
			goto out;
		}
		im->in_txn = 1;
	}
	if (!strcmp(type, "message"))
		r = import_message(im, o);
	else if (!strcmp(type, "subscriber"))
		r = import_subscriber(im, o);
	else if (!strcmp(type, "outbox"))
		r = import_outbox(im, o);
	else if (!strcmp(type, "mark"))
		r = import_mark(im, o);
	else if (!strcmp(type, "folder"))
		r = import_folder(im, o);
	else if (!strcmp(type, "end"))
		r = import_end(im, o);
	else
		r = bad(im, "unknown record type '%.40s'", type);
out:
	json_decref(o);
	return r;
}

int
export_import_json(struct store *st, const char *path, size_t max_line)
{
	struct reader *rd = xcalloc(1, sizeof(*rd));
	struct buf line = BUF_INIT(max_line);
	struct imp im;
	int r, too_long, ret = EX_SOFTWARE;

	memset(&im, 0, sizeof(im));
	im.st = st;
	im.name = path;
	if (!strcmp(path, "-")) {
		rd->f = stdin;
	} else if (!(rd->f = fopen(path, "rb"))) {
		log_errno(LOG_ERR, "cannot open '%s'", path);
		ret = EX_NOINPUT;
		goto out;
	}
	for (;;) {
		r = read_line(rd, &line, &too_long);
		if (r == 0)
			break;
		im.line++;
		if (r < 0) {
			if (!too_long) {
				log_errno(LOG_ERR, "cannot read '%s'", path);
				ret = EX_NOINPUT;
				goto out;
			}
			bad(&im, "line longer than %zu bytes", max_line);
			ret = EX_DATAERR;
			goto out;
		}
		/* a blank line (the last one, say) is no record */
		if (!line.len)
			continue;
		r = import_line(&im, line.data, line.len);
		if (r == -2) {
			ret = EX_DATAERR;
			goto out;
		}
		if (r < 0)
			goto out;
		im.batch_bytes += line.len;
		if (im.in_txn && (++im.batch >= IMPORT_BATCH ||
		    im.batch_bytes >= IMPORT_BATCH_BYTES)) {
			if (store_commit(st) < 0)
				goto out;
			im.in_txn = 0;
			im.batch = im.batch_bytes = 0;
		}
	}
	if (!im.header || !im.end) {
		im.line++;
		bad(&im, "the file ends %s: cut short?", im.header ?
		    "before its end record" : "before its header");
		ret = EX_DATAERR;
		goto out;
	}
	if (im.in_txn) {
		if (store_commit(st) < 0)
			goto out;
		im.in_txn = 0;
	}
	printf("imported %zu messages (%zu already there, %zu under a new id), "
	    "%zu items, %zu subscribers (%zu already there), %zu outbox rows "
	    "(%zu already there)\n", im.msgs, im.msgs_dup, im.msgs_moved,
	    im.items, im.subs, im.subs_dup, im.outs, im.outs_dup);
	ret = EX_OK;
out:
	if (im.err)
		fprintf(stderr, "%s:%lu: %s\n", path, im.line, im.err);
	if (im.in_txn)
		store_rollback(st);
	if (rd->f && rd->f != stdin)
		fclose(rd->f);
	free(rd);
	buf_free(&line);
	free(im.err);
	free(im.raw);
	return ret;
}
