/*
 * fuzz_imap.c - the IMAP side of `fetch` against a hostile server: the
 * input is what the server says, and the whole of fetch_run() runs on
 * it (libetpan's response parser, then source_imap.c and fetch.c
 * consuming the greeting, capabilities, UIDVALIDITY, UIDNEXT, the UID
 * and size listing and the fetched bodies, batching, the pending
 * flag/move actions) with an in-memory store and the shipped rules.
 * imap_set_replay() stands in for the socket.
 *
 * Input: one byte choosing `after` (keep, seen, move:Done) and whether
 * the server listing reaches the batch size, then up to three sessions
 * separated by a line "--8<--": successive runs over the same store, so
 * a changed UIDVALIDITY, a resumed mark and actions left by a run that
 * failed are exercised too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fetch.h"
#include "fuzz.h"
#include "imap.h"
#include "store.h"
#include "util.h"

static struct config cfg[3];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const after[3] = { "keep", "seen", "move:Done" };
	char *pass, *text, *path, *err = NULL;
	size_t i;

	(void)argc;
	(void)argv;
	fuzz_init();
	unsetenv("CREDENTIALS_DIRECTORY");
	pass = fuzz_write("imap.pass", "secret\n", 7);
	for (i = 0; i < 3; i++) {
		/* small batches so one answer spans several of them */
		text = xasprintf("[imap]\nhost = 127.0.0.1\nport = 143\n"
		    "tls = none\nuser = fuzz\npassword_file = %s\n"
		    "folders = INBOX, Lists/Napo\nafter = %s\ntimeout = 1\n"
		    "batch = 3\n[limits]\nmax_message_size = 65536\n",
		    pass, after[i]);
		path = fuzz_write("bulletin.conf", text, strlen(text));
		if (config_load(path, &cfg[i], &err) < 0) {
			fprintf(stderr, "%s", err);
			fuzz_fail(__FILE__, __LINE__, "config");
		}
		free(path);
		free(text);
	}
	free(pass);
	fuzz_rules();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = NULL;
	const uint8_t *part;
	char *err = NULL;
	size_t plen;
	int i;
	unsigned which;

	if (size < 1)
		return 0;
	which = data[0] % 3;
	data++;
	size--;
	if (store_open(":memory:", &st, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		fuzz_fail(__FILE__, __LINE__, "store");
	}
	for (i = 0; i < 3 && fuzz_next_part(&data, &size, "\n--8<--\n",
	    &part, &plen); i++) {
		imap_set_replay((const char *)part, plen);
		(void)fetch_run(&cfg[which], fuzz_rules(), st);
		imap_set_replay(NULL, 0);
	}
	store_close(&st);
	return 0;
}
