/* unit.h - what every cmocka unit test includes. */
#ifndef BULLETIN_UNIT_H
#define BULLETIN_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Where fixtures live; tests run from the repository root. */
#define FIXTURES "tests/fixtures/"

/* Reads a whole fixture file; caller frees.  Fails the test if missing. */
static inline char *
unit_read_file(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		fail_msg("cannot open '%s'", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len_r)
		*len_r = (size_t)n;
	return p;
}

#endif
