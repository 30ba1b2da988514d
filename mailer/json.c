/* json.c - see json.h */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

void
json_str(FILE *f, const char *s)
{
	const char *run;
	char *clean = NULL;

	if (!s) {
		fputs("null", f);
		return;
	}
	/* JSON is UTF-8: a stray byte (a Latin-1 file name, a name typed in
	 * another charset) becomes U+FFFD rather than an unreadable file */
	if (!utf8_valid(s, strlen(s)))
		s = clean = utf8_clean(s, strlen(s));
	putc('"', f);
	for (;;) {
		/* copy runs that need no escape in one write */
		for (run = s; (unsigned char)*s >= 0x20 && *s != '"' &&
		    *s != '\\'; s++)
			;
		if (s > run)
			fwrite(run, 1, (size_t)(s - run), f);
		if (!*s)
			break;
		switch (*s) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default: fprintf(f, "\\u%04x", (unsigned char)*s);
		}
		s++;
	}
	putc('"', f);
	free(clean);
}

static void
key(FILE *f, int first, const char *k)
{
	if (!first)
		putc(',', f);
	json_str(f, k);
	putc(':', f);
}

void
json_kstr(FILE *f, int first, const char *k, const char *s)
{
	key(f, first, k);
	json_str(f, s);
}

void
json_kint(FILE *f, int first, const char *k, int64_t v)
{
	key(f, first, k);
	fprintf(f, "%" PRId64, v);
}

void
json_kdate(FILE *f, int first, const char *k, int64_t t)
{
	char d[32];

	time_rfc3339(t, d);
	key(f, first, k);
	json_str(f, t ? d : NULL);
}
