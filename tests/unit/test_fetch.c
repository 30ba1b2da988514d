/*
 * test_fetch.c - fetch_run() over a scripted server (imap_set_replay):
 * the new UIDs are listed a window at a time, so a large folder's
 * listing never sits in memory whole.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "config.h"
#include "fetch.h"
#include "imap.h"
#include "rules.h"
#include "store.h"
#include "util.h"

#define MSG(subject) \
	"Subject: " subject "\r\nFrom: a@example.org\r\n\r\nbody\r\n"

/*
 * UIDNEXT 9000, the first window (1:4096) holds UID 5, the second
 * (4097:8192) nothing, so the third is twice as wide and UIDNEXT cuts it
 * (8193:8999): it holds UID 8500.  The replay checks no command, only
 * the tags; the mark shows how far the listing went.
 */
static const char server[] =
    "* OK ready\r\n"
    "1 OK Logged in\r\n"
    "* 2 EXISTS\r\n"
    "* OK [UIDVALIDITY 7] UIDs valid\r\n"
    "* OK [UIDNEXT 9000] Predicted next UID\r\n"
    "2 OK [READ-ONLY] Examine completed.\r\n"
    "* 1 FETCH (UID 5 RFC822.SIZE 60)\r\n"
    "3 OK Fetch completed.\r\n"
    "* 1 FETCH (UID 5 BODY[] {60}\r\n" MSG("first window .......") ")\r\n"
    "4 OK Fetch completed.\r\n"
    "5 OK Fetch completed.\r\n"
    "* 2 FETCH (UID 8500 RFC822.SIZE 60)\r\n"
    "6 OK Fetch completed.\r\n"
    "* 2 FETCH (UID 8500 BODY[] {60}\r\n" MSG("third window .......") ")\r\n"
    "7 OK Fetch completed.\r\n"
    "* BYE Logging out\r\n"
    "8 OK Logout completed.\r\n";

static void
test_windows(void **state)
{
	char dir[] = "/tmp/test_fetch.XXXXXX", *conf, *pass, *text;
	char *err = NULL;
	struct config cfg;
	struct ruleset *rs = NULL;
	struct store *st = NULL;
	uint32_t uv = 0, last = 0;
	int64_t n = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	pass = xasprintf("%s/imap.pass", dir);
	conf = xasprintf("%s/bulletin.conf", dir);
	assert_non_null(f = fopen(pass, "w"));
	fputs("secret\n", f);
	fclose(f);
	assert_int_equal(chmod(pass, 0600), 0);
	text = xasprintf("[imap]\nhost = 127.0.0.1\nport = 143\ntls = none\n"
	    "user = u\npassword_file = %s\nfolders = INBOX\n", pass);
	assert_non_null(f = fopen(conf, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(config_load(conf, &cfg, &err), 0);
	assert_int_equal(rules_load("filters", &rs, &err), 0);
	assert_int_equal(store_open(":memory:", &st, &err), 0);

	imap_set_replay(server, sizeof(server) - 1);
	assert_int_equal(fetch_run(&cfg, rs, st), 0);
	imap_set_replay(NULL, 0);
	assert_int_equal(store_count_messages(st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_folder_get(st, "u@127.0.0.1:143", "INBOX",
	    &uv, &last), 0);
	assert_int_equal(uv, 7);
	assert_int_equal(last, 8999);

	store_close(&st);
	rules_free(&rs);
	config_free(&cfg);
	unlink(pass);
	unlink(conf);
	rmdir(dir);
	free(pass);
	free(conf);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
