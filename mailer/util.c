/* util.c - see util.h */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

const struct limits limits_default = {
	.max_message_size = 64u << 20,
	.max_parts = 1000,
	.max_depth = 32,
	.max_items = 200,
	.max_item_text = 256u << 10,
	.max_html = 8u << 20,
	.max_header = 256u << 10,
	.max_seconds = 120,
};

static void
oom(void)
{
	fputs("bulletin: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void
xgrow(void *v_r, size_t n, size_t *cap, size_t size)
{
	void **v = v_r;

	if (n < *cap)
		return;
	*cap = *cap ? *cap * 2 : 8;
	if (*cap > SIZE_MAX / size)
		oom();
	*v = xrealloc(*v, *cap * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
parse_long(const char *s, long min, long max, long *val_r)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*val_r = v;
	return 0;
}

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

static int
buf_reserve(struct buf *b, size_t n)
{
	size_t max = b->max ? b->max : SIZE_MAX / 2;
	size_t cap;

	if (n > max || b->len > max - n)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	b->data[b->len] = '\0';   /* a buffer that stays empty is still a string */
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Length of a white-space character at s (ASCII space or U+00A0), else 0. */
static size_t
space_len(const char *s, const char *end)
{
	unsigned char c = (unsigned char)*s;

	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v')
		return 1;
	if (c == 0xc2 && s + 1 < end && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

char *
str_squeeze(const char *s, size_t n)
{
	const char *end = s + n;
	char *out = xmalloc(n + 1), *o = out;
	int pending = 0;
	size_t k;

	while (s < end) {
		if ((k = space_len(s, end))) {
			pending = o != out;
			s += k;
			continue;
		}
		if (pending)
			*o++ = ' ';
		pending = 0;
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
str_has_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (lower((unsigned char)*s) != lower((unsigned char)*prefix))
			return 0;
	return 1;
}

int
str_contains_ci(const char *hay, const char *needle)
{
	if (!*needle)
		return 1;
	for (; *hay; hay++)
		if (lower((unsigned char)*hay) == lower((unsigned char)*needle) &&
		    str_has_prefix_ci(hay, needle))
			return 1;
	return 0;
}

unsigned
str_words(const char *s)
{
	const char *end = s + strlen(s);
	unsigned n = 0;
	int in = 0;
	size_t k;

	while (s < end) {
		if ((k = space_len(s, end))) {
			in = 0;
			s += k;
			continue;
		}
		if (!in)
			n++;
		in = 1;
		s++;
	}
	return n;
}

char *
str_first_words(const char *s, unsigned max_words)
{
	const char *p = s, *end = s + strlen(s);
	unsigned n = 0;
	int in = 0;
	size_t k;

	while (p < end) {
		if ((k = space_len(p, end))) {
			in = 0;
			p += k;
			continue;
		}
		if (!in && n++ == max_words) {
			char *cut = str_squeeze(s, (size_t)(p - s));
			char *r = xasprintf("%s\xe2\x80\xa6", cut);

			free(cut);
			return r;
		}
		in = 1;
		p++;
	}
	return str_squeeze(s, (size_t)(end - s));
}

int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, len, k;
	unsigned c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			uint64_t w;

			/* runs of ASCII, most of any text: 8 bytes a step */
			i++;
			while (n - i >= 8) {
				memcpy(&w, s + i, 8);
				if (w & UINT64_C(0x8080808080808080))
					break;
				i += 8;
			}
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && s[i + 1] < 0xa0) ||
		    (c == 0xed && s[i + 1] > 0x9f) ||
		    (c == 0xf0 && s[i + 1] < 0x90) ||
		    (c == 0xf4 && s[i + 1] > 0x8f))
			return 0;
		i += len;
	}
	return 1;
}

/* Writes straight into one allocation of the worst case (every byte
 * becoming U+FFFD): this runs on every text part. */
char *
utf8_clean(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	char *out = xmalloc(n * 3 + 1), *o = out;
	size_t len, i;
	uint32_t cp;

	while (p < end) {
		unsigned char c = *p;

		if (c < 0x80) {
			if (c >= 0x20 || c == '\n' || c == '\t')
				*o++ = (char)c;
			else if (c == '\r' && (p + 1 == end || p[1] != '\n'))
				*o++ = '\n';
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if ((size_t)(end - p) < len)
			goto bad;
		for (i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		if (!(cp >= 0x80 && cp < 0xa0)) {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
		continue;
bad:
		memcpy(o, "\xef\xbf\xbd", 3);
		o += 3;
		p++;
	}
	*o = '\0';
	return out;
}

void
utf8_truncate(char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

void
time_rfc3339(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	out[0] = '\0';
	if (t == 0 || !gmtime_r(&tt, &tm))
		return;
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

