/*
 * util.h - checked allocation, number parsing, a bounded growable buffer,
 * small UTF-8 string helpers and the input limits every stage honours.
 *
 * Allocation failure aborts: a mail filter that runs out of memory has no
 * sensible way on, and the limits below keep honest input far from it.
 */
#ifndef BULLETIN_UTIL_H
#define BULLETIN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *v (n elements of size bytes in use, *cap allocated) to hold one
 * more; doubles the capacity. */
void xgrow(void *v_r, size_t n, size_t *cap, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a whole decimal number in [min, max].  Returns 0, or -1 when s is
 * empty, has trailing characters or is out of range. */
int parse_long(const char *s, long min, long max, long *val_r);

/*
 * A growable byte buffer with a ceiling.  data is always NUL-terminated
 * (when not NULL).  Adding past max fails with -1 and leaves the buffer
 * as it was; max 0 means SIZE_MAX / 2.
 */
struct buf {
	char *data;
	size_t len, cap, max;
};
#define BUF_INIT(m) { NULL, 0, 0, (m) }
void buf_init(struct buf *b, size_t max);
int buf_add(struct buf *b, const void *p, size_t n);
int buf_addc(struct buf *b, char c);
int buf_addstr(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);           /* len = 0, memory kept */
char *buf_detach(struct buf *b);         /* caller frees; never NULL */
void buf_free(struct buf *b);

/* Strings (UTF-8 in, UTF-8 out). */
/* Returns a copy of s[0..n) with runs of white space (ASCII and U+00A0)
 * collapsed to one space and both ends trimmed.  Caller frees. */
char *str_squeeze(const char *s, size_t n);
int str_has_prefix_ci(const char *s, const char *prefix);   /* ASCII case */
int str_contains_ci(const char *hay, const char *needle);   /* ASCII case */
/* Number of words (runs of non-space) in s. */
unsigned str_words(const char *s);
/* Copy of at most the first max_words words of s, with "…" appended when
 * cut.  Caller frees. */
char *str_first_words(const char *s, unsigned max_words);
/* 1 when s[0..n) is strict UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF), else 0.  Vectorscan's UTF-8 mode is undefined on anything
 * else. */
int utf8_valid(const char *s, size_t n);
/* Replaces invalid UTF-8 sequences with U+FFFD and drops C0 controls other
 * than \n and \t.  Returns a new string; caller frees. */
char *utf8_clean(const char *s, size_t n);
/* Truncates s in place to at most max bytes without splitting a UTF-8
 * sequence. */
void utf8_truncate(char *s, size_t max);

/* Formats t (unix seconds, UTC) as RFC 3339 into out; "" when t == 0. */
void time_rfc3339(int64_t t, char out[32]);

/*
 * Caps that keep hostile input from exhausting memory or time.  A message
 * over a limit is cut down to it (and the problem reported), never
 * allocated for.
 */
struct limits {
	size_t max_message_size;   /* bytes of raw message read */
	unsigned max_parts;        /* MIME parts walked per message */
	unsigned max_depth;        /* MIME nesting walked */
	unsigned max_items;        /* items kept per message */
	size_t max_item_text;      /* bytes of text kept per item */
	size_t max_html;           /* bytes of one HTML part given to libxml2 */
	size_t max_header;         /* bytes of one header block */
	unsigned max_seconds;      /* fetch: seconds bulletin-work may take
				      over the message it is late with; 0 no
				      limit */
};
extern const struct limits limits_default;

#endif
