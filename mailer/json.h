/* json.h - writing JSON Lines output.  Strings are UTF-8 already. */
#ifndef BULLETIN_JSON_H
#define BULLETIN_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string (null when s is NULL), escaping quotes,
 * backslashes and control characters. */
void json_str(FILE *f, const char *s);
/* Writes "key": value pairs; comma is written before the key when
 * first is 0. */
void json_kstr(FILE *f, int first, const char *key, const char *s);
void json_kint(FILE *f, int first, const char *key, int64_t v);
/* A date as an RFC 3339 string, or null when t is 0. */
void json_kdate(FILE *f, int first, const char *key, int64_t t);

#endif
