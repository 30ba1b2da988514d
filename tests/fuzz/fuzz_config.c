/*
 * fuzz_config.c - the configuration file (config.c over GKeyFile):
 * config_load() on the input, then what the commands do with the
 * result: config_check(), the password paths, the folder names as IMAP
 * wants them, the sender headers and the mailto: links of outbox.c.
 * The same bytes are also read as a password file.  Checks that a
 * failed load reports "FILE:LINE: message" lines, that a loaded
 * configuration keeps its bounds and that a value bound for a header or
 * an IMAP command holds no control character.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "imap.h"
#include "outbox.h"
#include "util.h"

static char *conf, *pass;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init();
	/* $CREDENTIALS_DIRECTORY would make the checks read outside */
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("STATE_DIRECTORY");
	conf = xasprintf("%s/bulletin.conf", fuzz_tmpdir());
	pass = xasprintf("%s/pass", fuzz_tmpdir());
	return 0;
}

static void
no_controls(const char *s, const char *what)
{
	for (; s && *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f, what);
}

static void
use(const struct config *cfg)
{
	const struct imap_config *ic = &cfg->imap;
	struct sender snd;
	char *report = NULL, *err = NULL, *p, *m;
	size_t i;

	FUZZ_CHECK(ic->port >= 1 && ic->port <= 65535, "port out of range");
	FUZZ_CHECK(ic->n_folders >= 1, "no folder");
	FUZZ_CHECK(ic->batch >= 1, "batch 0");
	FUZZ_CHECK(cfg->lim.max_parts >= 1 && cfg->lim.max_depth >= 1,
	    "limit 0");
	for (i = 0; i < ic->n_folders; i++) {
		no_controls(ic->folders[i], "control in a folder name");
		p = imap_folder_encode(ic->folders[i]);
		no_controls(p, "control in an encoded folder name");
		free(p);
	}
	if (ic->after == IMAP_AFTER_MOVE) {
		no_controls(ic->after_folder, "control in the move folder");
		p = imap_folder_encode(ic->after_folder);
		free(p);
	}
	no_controls(cfg->smtp.from, "control in [smtp] from");
	no_controls(cfg->digest.request_address, "control in request_address");
	no_controls(cfg->digest.list_id, "control in list_id");
	no_controls(cfg->digest.name, "control in [digest] name");
	for (i = 0; i < cfg->digest.n_order; i++)
		no_controls(cfg->digest.order[i], "control in order");
	(void)config_host_is_loopback(ic->host);
	free(config_password_path(cfg));
	free(config_smtp_password_path(cfg));
	if (config_check(cfg, &report) < 0)
		FUZZ_CHECK(report && *report, "check failed without a reason");
	free(report);
	if (outbox_sender(cfg, 1, &snd, &err) == 0) {
		no_controls(snd.from_hdr, "control in the From header");
		no_controls(snd.list_id, "control in the List-Id header");
		m = outbox_mailto(snd.request, "confirm 0123456789abcdef");
		no_controls(m, "control in a mailto: link");
		free(m);
	}
	outbox_sender_clear(&snd);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char *err = NULL, *pw = NULL, *p;

	p = fuzz_write("bulletin.conf", data, size);
	free(p);
	if (config_load(conf, &cfg, &err) == 0) {
		use(&cfg);
	} else {
		FUZZ_CHECK(err && *err, "failed without a reason");
		FUZZ_CHECK(err[strlen(err) - 1] == '\n', "error not a line");
		for (p = err; *p; p = strchr(p, '\n') + 1)
			FUZZ_CHECK(!strncmp(p, conf, strlen(conf)) &&
			    p[strlen(conf)] == ':',
			    "error not FILE:LINE: message");
	}
	config_free(&cfg);
	free(err);
	err = NULL;

	p = fuzz_write("pass", data, size);
	free(p);
	if (config_password_read(pass, &pw, &err) == 0) {
		FUZZ_CHECK(*pw && !strpbrk(pw, "\r\n"), "bad password kept");
		config_password_free(&pw);
	} else {
		FUZZ_CHECK(err != NULL, "password refused without a reason");
		FUZZ_CHECK(size <= 8 || !memmem(err, strlen(err), data, size),
		    "password in an error message");
	}
	free(err);
	return 0;
}
