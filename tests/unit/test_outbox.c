/* test_outbox.c - the sender's address and name from [smtp] from. */
#include "unit.h"

#include "outbox.h"

static void
check(const char *from, const char *want_addr, const char *want_name)
{
	char *addr, *name;

	outbox_split_from(from, &addr, &name);
	assert_string_equal(addr, want_addr);
	if (want_name)
		assert_string_equal(name, want_name);
	else
		assert_null(name);
	free(addr);
	free(name);
}

static void
test_split_from(void **state)
{
	(void)state;
	check("digest@example.org", "digest@example.org", NULL);
	check(" digest@example.org ", "digest@example.org", NULL);
	check("Branch Digest <digest@example.org>", "digest@example.org",
	    "Branch Digest");
	check("\"Branch, Digest\" <digest@example.org>", "digest@example.org",
	    "Branch, Digest");
	check("<digest@example.org>", "digest@example.org", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_from),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
