/* test_config.c - the configuration file: the [imap] section, its values
 * and their FILE:LINE errors, the password file and its permissions,
 * plain text only to loopback. */
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "config.h"
#include "util.h"

struct fx {
	char dir[64];
	char conf[128];
	char pass[128];
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/bulletin-config-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/bulletin.conf", f->dir);
	snprintf(f->pass, sizeof(f->pass), "%s/imap.pass", f->dir);
	unsetenv("CREDENTIALS_DIRECTORY");
	unsetenv("BULLETIN_CONFIG");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Writes the config text (with "@PASS@" replaced by the password file's
 * path) and loads it; returns config_load's result. */
static int
load(struct fx *f, const char *text, struct config *cfg, char **err_r)
{
	struct buf b = BUF_INIT(0);
	const char *at = strstr(text, "@PASS@");
	int r;

	if (at) {
		buf_add(&b, text, (size_t)(at - text));
		buf_addstr(&b, f->pass);
		buf_addstr(&b, at + 6);
	} else {
		buf_addstr(&b, text);
	}
	write_file(f->conf, b.data, 0644);
	buf_free(&b);
	*err_r = NULL;
	r = config_load(f->conf, cfg, err_r);
	return r;
}

static void
test_imap_full(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL;

	assert_int_equal(load(f,
	    "[store]\npath = /tmp/x.db\n"
	    "[imap]\n"
	    "host = imap.example.org\n"
	    "port = 1993\n"
	    "tls = starttls\n"
	    "user = bulletins\n"
	    "password_file = @PASS@\n"
	    "folders = INBOX, Lists/Probation ,Union\n"
	    "after = move:Archive/Done\n"
	    "allow_plaintext = false\n"
	    "timeout = 30\n"
	    "batch = 100\n", &cfg, &err), 0);
	assert_null(err);
	assert_int_equal(cfg.imap.enabled, 1);
	assert_string_equal(cfg.imap.host, "imap.example.org");
	assert_int_equal(cfg.imap.port, 1993);
	assert_int_equal(cfg.imap.tls, IMAP_TLS_STARTTLS);
	assert_string_equal(cfg.imap.user, "bulletins");
	assert_string_equal(cfg.imap.password_file, f->pass);
	assert_int_equal(cfg.imap.n_folders, 3);
	assert_string_equal(cfg.imap.folders[0], "INBOX");
	assert_string_equal(cfg.imap.folders[1], "Lists/Probation");
	assert_string_equal(cfg.imap.folders[2], "Union");
	assert_int_equal(cfg.imap.after, IMAP_AFTER_MOVE);
	assert_string_equal(cfg.imap.after_folder, "Archive/Done");
	assert_int_equal(cfg.imap.allow_plaintext, 0);
	assert_int_equal(cfg.imap.timeout, 30);
	assert_int_equal(cfg.imap.batch, 100);
	assert_int_equal(cfg.imap.line_section, 3);
	assert_int_equal(cfg.imap.line_tls, 6);
	config_free(&cfg);
}

static void
test_imap_defaults(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL;

	assert_int_equal(load(f, "[imap]\nhost = h\nuser = u\n", &cfg, &err),
	    0);
	assert_int_equal(cfg.imap.enabled, 1);
	assert_int_equal(cfg.imap.tls, IMAP_TLS_IMAPS);
	assert_int_equal(cfg.imap.port, 993);
	assert_int_equal(cfg.imap.n_folders, 1);
	assert_string_equal(cfg.imap.folders[0], "INBOX");
	assert_int_equal(cfg.imap.after, IMAP_AFTER_KEEP);
	assert_null(cfg.imap.after_folder);
	assert_int_equal(cfg.imap.timeout, 60);
	assert_int_equal(cfg.imap.batch, 100);
	config_free(&cfg);

	assert_int_equal(load(f, "[imap]\ntls = starttls\n", &cfg, &err), 0);
	assert_int_equal(cfg.imap.port, 143);
	config_free(&cfg);
	assert_int_equal(load(f, "[imap]\ntls = none\nafter = seen\n", &cfg,
	    &err), 0);
	assert_int_equal(cfg.imap.port, 143);
	assert_int_equal(cfg.imap.after, IMAP_AFTER_SEEN);
	config_free(&cfg);

	/* no [imap] at all: disabled, and nothing to check */
	assert_int_equal(load(f, "[store]\npath = /tmp/x.db\n", &cfg, &err), 0);
	assert_int_equal(cfg.imap.enabled, 0);
	assert_int_equal(config_check(&cfg, &err), 0);
	assert_null(err);
	config_free(&cfg);
}

/* Each bad value is reported at its own line. */
static void
test_imap_bad_values(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[imap]\nhost = h\ntls = ssl\n",
		  ":3: tls must be imaps, starttls or none, not 'ssl'" },
		{ "[imap]\n\nport = 0\n", ":3: port must be a number from 1 to "
		  "65535" },
		{ "[imap]\nport = 99999\n", ":2: port must be a number" },
		{ "[imap]\nport = 14x\n", ":2: port must be a number" },
		{ "[imap]\ntimeout = 0\n", ":2: timeout must be a number" },
		{ "[imap]\nbatch = -1\n", ":2: batch must be a number" },
		{ "[imap]\nallow_plaintext = maybe\n",
		  ":2: allow_plaintext must be true or false" },
		{ "[imap]\nafter = delete\n", ":2: after must be keep, seen or "
		  "move:FOLDER, not 'delete'" },
		{ "[imap]\nafter = move:\n", ":2: after must be keep" },
		{ "[imap]\nfolders = INBOX,,Lists\n", ":2: folders must be a "
		  "comma-separated list" },
		{ "[imap]\nhost = h\npasword_file = /x\n",
		  ":3: unknown key 'pasword_file' in section 'imap'" },
		/* GKeyFile has no comments after a value */
		{ "[imap]\nport = 993  # imaps\n",
		  ":2: a comment goes on a line of its own" },
		{ "[smtp]\nurl = smtp://h\nfrom = a@b.example\t# ours\n",
		  ":3: a comment goes on a line of its own" },
		/* found by fuzz_config: an escaped newline stays on the line */
		{ "[imap]\ntls = n\\ne\n",
		  ":2: tls must be imaps, starttls or none, not 'n?e'\n" },
	};
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL, *want;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(load(f, cases[i].text, &cfg, &err), -1);
		assert_non_null(err);
		want = xasprintf("%s%s", f->conf, cases[i].want);
		if (!strstr(err, want))
			fail_msg("case %zu: want '%s' in '%s'", i, want, err);
		free(want);
		free(err);
		config_free(&cfg);
	}
}

static void
test_password_file(void **state)
{
	struct fx *f = *state;
	char *pass = NULL, *err = NULL;
	char big[CONFIG_PASSWORD_MAX + 10];

	write_file(f->pass, "s3cret word\n", 0600);
	assert_int_equal(config_password_read(f->pass, &pass, &err), 0);
	assert_string_equal(pass, "s3cret word");
	config_password_free(&pass);
	assert_null(pass);

	write_file(f->pass, "crlf\r\n", 0400);
	assert_int_equal(config_password_read(f->pass, &pass, &err), 0);
	assert_string_equal(pass, "crlf");
	config_password_free(&pass);

	write_file(f->pass, "nonewline", 0600);
	assert_int_equal(config_password_read(f->pass, &pass, &err), 0);
	assert_string_equal(pass, "nonewline");
	config_password_free(&pass);

	/* readable by group or others: refused, and the password is not in
	 * the message */
	write_file(f->pass, "s3cret\n", 0644);
	assert_int_equal(config_password_read(f->pass, &pass, &err), -1);
	assert_null(pass);
	assert_non_null(strstr(err, "readable by others"));
	assert_null(strstr(err, "s3cret"));
	free(err);
	write_file(f->pass, "s3cret\n", 0640);
	assert_int_equal(config_password_read(f->pass, &pass, &err), -1);
	free(err);

	write_file(f->pass, "\n", 0600);
	assert_int_equal(config_password_read(f->pass, &pass, &err), -1);
	assert_non_null(strstr(err, "empty"));
	free(err);

	write_file(f->pass, "two\nlines\n", 0600);
	assert_int_equal(config_password_read(f->pass, &pass, &err), -1);
	free(err);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file(f->pass, big, 0600);
	assert_int_equal(config_password_read(f->pass, &pass, &err), -1);
	assert_non_null(strstr(err, "longer than"));
	free(err);

	assert_int_equal(config_password_read("/nonexistent/pass", &pass,
	    &err), -1);
	assert_non_null(strstr(err, "cannot read password file"));
	free(err);
}

static void
test_check_password(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL, *want;
	const char *text = "[imap]\nhost = imap.example.org\nuser = u\n"
	    "password_file = @PASS@\n";

	write_file(f->pass, "pw\n", 0600);
	assert_int_equal(load(f, text, &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), 0);
	assert_null(err);
	config_free(&cfg);

	write_file(f->pass, "pw\n", 0644);
	assert_int_equal(load(f, text, &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), -1);
	want = xasprintf("%s:4: password file '%s' is readable by others",
	    f->conf, f->pass);
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
	config_free(&cfg);

	/* no password_file: $CREDENTIALS_DIRECTORY/imap.pass, else
	 * imap.pass beside the config file (here both are f->pass) */
	write_file(f->pass, "pw\n", 0600);
	assert_int_equal(load(f, "[imap]\nhost = h.example\nuser = u\n", &cfg,
	    &err), 0);
	assert_int_equal(config_check(&cfg, &err), 0);
	want = config_password_path(&cfg);
	assert_string_equal(want, f->pass);
	free(want);
	setenv("CREDENTIALS_DIRECTORY", "/run/credentials/x", 1);
	want = config_password_path(&cfg);
	assert_string_equal(want, "/run/credentials/x/imap.pass");
	free(want);
	want = config_smtp_password_path(&cfg);
	assert_string_equal(want, "/run/credentials/x/smtp.pass");
	free(want);
	assert_int_equal(config_check(&cfg, &err), -1);
	assert_non_null(strstr(err, "/run/credentials/x/imap.pass"));
	free(err);
	unsetenv("CREDENTIALS_DIRECTORY");
	config_free(&cfg);
	/* built-in defaults name no directory to look in */
	assert_int_equal(config_load(NULL, &cfg, &err), 0);
	assert_null(config_password_path(&cfg));
	config_free(&cfg);
}

static void
test_check_missing(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL, *want;

	write_file(f->pass, "pw\n", 0600);
	assert_int_equal(load(f, "# bulletin\n\n[imap]\npassword_file = "
	    "@PASS@\n", &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), -1);
	want = xasprintf("%s:3: [imap] needs a host", f->conf);
	assert_non_null(strstr(err, want));
	free(want);
	want = xasprintf("%s:3: [imap] needs a user", f->conf);
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
	config_free(&cfg);
}

static void
test_check_plaintext(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL, *want;

	write_file(f->pass, "pw\n", 0600);
	assert_int_equal(load(f, "[imap]\nhost = imap.example.org\nuser = u\n"
	    "tls = none\npassword_file = @PASS@\n", &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), -1);
	want = xasprintf("%s:4: tls = none would send the password in clear "
	    "to 'imap.example.org'", f->conf);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "needs"));
	free(want);
	free(err);
	config_free(&cfg);

	assert_int_equal(load(f, "[imap]\nhost = imap.example.org\nuser = u\n"
	    "tls = none\nallow_plaintext = true\npassword_file = @PASS@\n",
	    &cfg, &err), 0);
	assert_int_equal(cfg.imap.allow_plaintext, 1);
	assert_int_equal(config_check(&cfg, &err), 0);
	config_free(&cfg);

	assert_int_equal(load(f, "[imap]\nhost = 127.0.0.1\nuser = u\n"
	    "tls = none\npassword_file = @PASS@\n", &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), 0);
	config_free(&cfg);

	/* TLS to anywhere is fine */
	assert_int_equal(load(f, "[imap]\nhost = imap.example.org\nuser = u\n"
	    "tls = starttls\npassword_file = @PASS@\n", &cfg, &err), 0);
	assert_int_equal(config_check(&cfg, &err), 0);
	config_free(&cfg);
}

/* [store] keep_days and lock_wait: defaults, values, bounds. */
static void
test_store_keys(void **state)
{
	struct fx *f = *state;
	struct config cfg;
	char *err = NULL;

	assert_int_equal(load(f, "[store]\npath = /tmp/x.db\n", &cfg, &err),
	    0);
	assert_int_equal(cfg.keep_days, 400);
	assert_int_equal(cfg.lock_wait, 30);
	config_free(&cfg);
	assert_int_equal(load(f, "[store]\nkeep_days = 0\nlock_wait = 3600\n",
	    &cfg, &err), 0);
	assert_int_equal(cfg.keep_days, 0);
	assert_int_equal(cfg.lock_wait, 3600);
	config_free(&cfg);
	assert_int_equal(load(f, "[store]\nkeep_days = -1\nlock_wait = 3601\n",
	    &cfg, &err), -1);
	assert_non_null(strstr(err, ":2: keep_days must be a number"));
	assert_non_null(strstr(err, ":3: lock_wait must be a number from 0 "
	    "to 3600"));
	free(err);
	config_free(&cfg);
	err = NULL;
	assert_int_equal(load(f, "[store]\nkeep_days = forever\n", &cfg,
	    &err), -1);
	free(err);
	config_free(&cfg);
}

static void
test_loopback(void **state)
{
	static const char *const yes[] = { "localhost", "LOCALHOST",
	    "localhost.", "127.0.0.1", "127.1.2.3", "127.255.255.254", "::1",
	    "[::1]", "0:0:0:0:0:0:0:1" };
	static const char *const no[] = { "", "example.org", "128.0.0.1",
	    "10.0.0.1", "::2", "::", "localhost.example.org",
	    "127.0.0.1.nip.io",
	    "::ffff:127.0.0.1x", "[::1", "1.2.3.4" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(yes); i++)
		if (!config_host_is_loopback(yes[i]))
			fail_msg("'%s' should be loopback", yes[i]);
	for (i = 0; i < ARRAY_SIZE(no); i++)
		if (config_host_is_loopback(no[i]))
			fail_msg("'%s' should not be loopback", no[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imap_full, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_imap_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_imap_bad_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_password_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_password, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_plaintext, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_keys, setup,
		    teardown),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
