/* test_json.c - JSON string escaping. */
#include "unit.h"

#include "json.h"
#include "util.h"

static char *
render(const char *s)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	json_str(f, s);
	fclose(f);
	return out;
}

static void
test_escapes(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "plain", "\"plain\"" },
		{ "", "\"\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"" },
		{ "\x01x\x1f", "\"\\u0001x\\u001f\"" },
		{ "\xc2\xa3 caf\xc3\xa9", "\"\xc2\xa3 caf\xc3\xa9\"" },
		/* not UTF-8 (a Latin-1 name): U+FFFD, so the output stays
		 * JSON that a strict reader (Jansson, on import) takes */
		{ "Ren\xe9" "e", "\"Ren\xef\xbf\xbd" "e\"" },
		{ "\xff\xfe\"", "\"\xef\xbf\xbd\xef\xbf\xbd\\\"\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = render(cases[i].in);

		assert_string_equal(got, cases[i].want);
		free(got);
	}
	{
		char *got = render(NULL);

		assert_string_equal(got, "null");
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
