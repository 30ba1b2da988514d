/* test_imap.c - folder names in IMAP's modified UTF-7 (RFC 3501 5.1.3). */
#include "unit.h"

#include "imap.h"
#include "util.h"

static void
test_folder_encode(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "INBOX", "INBOX" },
		{ "Press Releases", "Press Releases" },
		{ "A&B", "A&-B" },
		{ "B\xc3\xbclletins", "B&APw-lletins" },
		/* Входящие: '+' stays inside the base64 */
		{ "\xd0\x92\xd1\x85\xd0\xbe\xd0\xb4\xd1\x8f\xd1\x89\xd0\xb8\xd0\xb5",
		  "&BBIERQQ+BDQETwRJBDgENQ-" },
		/* a character outside the BMP: a surrogate pair */
		{ "\xf0\x9f\x98\x80", "&2D3eAA-" },
		/* "/" in the base64 alphabet becomes "," */
		{ "\xe3\x80\x80", "&MAA-" },
		{ "\xef\xbf\xbf", "&,,8-" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = imap_folder_encode(cases[i].in);

		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	assert_null(imap_folder_encode("bad \xff utf-8"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
