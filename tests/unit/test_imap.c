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

/* Found by fuzz_imap: a NO to UID FETCH made us free the fetch list
 * libetpan had already freed (tests/fuzz/imap/crashes/). */
static void
test_uid_fetch_refused(void **state)
{
	static const char server[] =
	    "* OK ready\r\n"
	    "1 OK Logged in\r\n"
	    "* 2 EXISTS\r\n"
	    "* OK [UIDVALIDITY 5] UIDs valid\r\n"
	    "* OK [UIDNEXT 3] Predicted next UID\r\n"
	    "2 OK [READ-ONLY] Examine completed.\r\n"
	    "3 NO [SERVERBUG] Internal error occurred.\r\n"
	    "4 NO [LIMIT] Too many messages.\r\n";
	char host[] = "127.0.0.1", user[] = "u";
	struct imap_config ic;
	struct imap *im = NULL;
	uint32_t uv, next, *uids = NULL, *sizes = NULL, one = 1;
	size_t n;
	char *err = NULL;

	(void)state;
	memset(&ic, 0, sizeof(ic));
	ic.host = host;
	ic.user = user;
	ic.tls = IMAP_TLS_NONE;
	ic.port = 143;
	ic.timeout = 5;
	imap_set_replay(server, sizeof(server) - 1);
	assert_int_equal(imap_open(&ic, "p", &im, &err), IMAP_OK);
	assert_int_equal(imap_select(im, "INBOX", 1, &uv, &next, &err),
	    IMAP_OK);
	assert_int_equal(uv, 5);
	assert_int_equal(next, 3);
	assert_int_equal(imap_uids_range(im, 1, 0, &uids, &sizes, &n, &err),
	    IMAP_NO);
	assert_non_null(strstr(err, "Internal error"));
	free(err);
	assert_int_equal(imap_fetch(im, &one, 1, 0, NULL, NULL, &err),
	    IMAP_NO);
	assert_non_null(strstr(err, "Too many"));
	free(err);
	imap_close(&im);
	imap_set_replay(NULL, 0);
}

static struct imap_config
replay_config(void)
{
	static char host[] = "127.0.0.1", user[] = "u";
	struct imap_config ic;

	memset(&ic, 0, sizeof(ic));
	ic.host = host;
	ic.user = user;
	ic.tls = IMAP_TLS_NONE;
	ic.port = 143;
	ic.timeout = 5;
	return ic;
}

/* A message whose body holds what the guard refuses in a response:
 * inside a literal it is data. */
static int
got_body(void *ctx, uint32_t uid, const char *raw, size_t len,
    int truncated)
{
	(void)truncated;
	assert_memory_equal(raw, "* OK [PERM", 10);
	*(size_t *)ctx = len;
	return uid == 7 ? 0 : -1;
}

/* Answers libetpan 1.9.4 cannot take (found by fuzz_imap) are refused
 * by the guard as protocol errors instead of crashing or allocating
 * what the server announces. */
static void
test_guard(void **state)
{
	static const char perm_greeting[] = "* OK [PERMANENTFLAGS (\r\n";
	static const char perm_select[] =
	    "* OK ready\r\n1 OK Logged in\r\n"
	    "* OK [PERMANENTFLAGS (\\Seen \\Draft $Junk \\*)] ok\r\n"
	    "* OK [UIDVALIDITY 5] v\r\n2 OK [READ-WRITE] done\r\n"
	    "* OK [PERMANENTFLAGS (\\Seen \\)] ok\r\n"
	    "3 OK [READ-WRITE] done\r\n";
#define BODY "* OK [PERMANENTFLAGS (\r\n{4294967295}\r\n"
	static const char huge[] =
	    "* OK ready\r\n1 OK Logged in\r\n"
	    "* OK [UIDVALIDITY 5] v\r\n2 OK [READ-WRITE] done\r\n"
	    "* 1 FETCH (UID 7 BODY[] {38}\r\n" BODY ")\r\n"
	    "3 OK done\r\n"
	    "* 1 FETCH (UID 7 BODY[] {4294967295}\r\n";
	struct imap_config ic = replay_config();
	struct imap *im = NULL;
	uint32_t uv, next, seven = 7;
	size_t len = 0;
	char *err = NULL;

	(void)state;
	imap_set_replay(perm_greeting, sizeof(perm_greeting) - 1);
	assert_int_equal(imap_open(&ic, "p", &im, &err), IMAP_PROTOCOL);
	assert_non_null(strstr(err, "PERMANENTFLAGS"));
	free(err);

	imap_set_replay(perm_select, sizeof(perm_select) - 1);
	assert_int_equal(imap_open(&ic, "p", &im, &err), IMAP_OK);
	assert_int_equal(imap_select(im, "INBOX", 0, &uv, &next, &err),
	    IMAP_OK);
	assert_int_equal(imap_select(im, "INBOX", 0, &uv, &next, &err),
	    IMAP_PROTOCOL);
	assert_non_null(strstr(err, "PERMANENTFLAGS"));
	free(err);
	imap_close(&im);

	imap_set_replay(huge, sizeof(huge) - 1);
	assert_int_equal(imap_open(&ic, "p", &im, &err), IMAP_OK);
	assert_int_equal(imap_select(im, "INBOX", 0, &uv, &next, &err),
	    IMAP_OK);
	assert_int_equal(imap_fetch(im, &seven, 1, 0, got_body, &len, &err),
	    IMAP_OK);
	assert_int_equal(len, sizeof(BODY) - 1);
#undef BODY
	assert_int_equal(imap_fetch(im, &seven, 1, 0, got_body, &len, &err),
	    IMAP_PROTOCOL);
	assert_non_null(strstr(err, "literal over"));
	free(err);
	imap_close(&im);
	imap_set_replay(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folder_encode),
		cmocka_unit_test(test_uid_fetch_refused),
		cmocka_unit_test(test_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
