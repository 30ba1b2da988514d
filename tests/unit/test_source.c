/* test_source.c - the local message sources: .eml, Maildir, mbox. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#include "source.h"
#include "util.h"

#define SRC FIXTURES "source/"

struct tmp {
	char dir[64];
};

static void
tmp_path(const struct tmp *t, const char *name, char *out, size_t n)
{
	int r = snprintf(out, n, "%s/%s", t->dir, name);

	assert_true(r > 0 && (size_t)r < n);
}

static void
write_file(const struct tmp *t, const char *name, const char *data,
    size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	tmp_path(t, name, path, sizeof(path));
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
make_dir(const struct tmp *t, const char *name)
{
	char path[PATH_MAX];

	tmp_path(t, name, path, sizeof(path));
	assert_int_equal(mkdir(path, 0700), 0);
}

static int
setup_tmp(void **state)
{
	struct tmp *t = xcalloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/bulletin-source-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Opens path, expecting success. */
static struct source *
open_ok(const char *path, size_t max)
{
	struct source *src = NULL;
	char *err = NULL;

	if (source_open(path, max, &src, &err) < 0)
		fail_msg("source_open '%s': %s", path, err);
	assert_non_null(src);
	return src;
}

static void
next_ok(struct source *src, struct raw_msg *m)
{
	char *err = NULL;
	int r = source_next(src, m, &err);

	if (r != 1)
		fail_msg("source_next returned %d: %s", r, err ? err : "");
	assert_null(err);
}

static void
next_end(struct source *src)
{
	struct raw_msg m;
	char *err = NULL;

	assert_int_equal(source_next(src, &m, &err), 0);
	assert_null(err);
	/* the end stays the end */
	assert_int_equal(source_next(src, &m, &err), 0);
}

static void
assert_msg(const struct raw_msg *m, const char *want)
{
	size_t n = strlen(want);

	if (m->len != n || memcmp(m->data, want, n) != 0)
		fail_msg("message '%s' is\n[%.*s]\nwant\n[%s]", m->name,
		    (int)m->len, m->data, want);
}

static void
test_eml(void **state)
{
	struct source *src;
	struct raw_msg m;
	size_t len;
	char *want = unit_read_file(SRC "one.eml", &len);

	(void)state;
	src = open_ok(SRC "one.eml", 1 << 20);
	next_ok(src, &m);
	assert_int_equal(m.len, len);
	assert_memory_equal(m.data, want, len);
	assert_string_equal(m.name, SRC "one.eml");
	assert_int_equal(m.truncated, 0);
	next_end(src);
	source_close(&src);
	assert_null(src);
	source_close(&src);     /* NULL is fine */
	free(want);
}

static void
test_eml_truncated(void **state)
{
	struct source *src;
	struct raw_msg m;
	size_t len;
	char *want = unit_read_file(SRC "one.eml", &len);

	(void)state;
	src = open_ok(SRC "one.eml", 20);
	next_ok(src, &m);
	assert_int_equal(m.len, 20);
	assert_memory_equal(m.data, want, 20);
	assert_int_equal(m.truncated, 1);
	next_end(src);
	source_close(&src);

	/* exactly max_size is not cut */
	src = open_ok(SRC "one.eml", len);
	next_ok(src, &m);
	assert_int_equal(m.len, len);
	assert_int_equal(m.truncated, 0);
	source_close(&src);
	free(want);
}

static const char *const mbox_msgs[] = {
	"From: Parish Council <clerk@parish.example>\n"
	"Subject: First notice\n"
	"Message-ID: <first@parish.example>\n"
	"\n"
	"The library van calls on Fridays from now on.\n",

	"From: Harbour Office <news@harbour.example>\n"
	"Subject: Second notice\n"
	"Message-ID: <second@harbour.example>\n"
	"\n"
	"Tide tables for December are pinned at the slipway.\n"
	"From the harbour master: mind the new buoys.\n"
	">From the archive, a quoted quote.\n"
	"Not a separator:\n"
	"From here the line stays as it is.\n",

	"From: Market Bakery <bakery@market.example>\n"
	"Subject: Third notice\n"
	"Message-ID: <third@market.example>\n"
	"\n"
	"Sourdough is back on Saturday stalls.\n",
};

static void
test_mbox(void **state)
{
	struct source *src;
	struct raw_msg m;
	char name[PATH_MAX];
	size_t len, i;
	char *file = unit_read_file(SRC "three.mbox", &len);
	const char *p = file;

	(void)state;
	src = open_ok(SRC "three.mbox", 1 << 20);
	for (i = 0; i < ARRAY_SIZE(mbox_msgs); i++) {
		next_ok(src, &m);
		assert_msg(&m, mbox_msgs[i]);
		assert_int_equal(m.truncated, 0);
		/* the name points at the message's From_ line */
		snprintf(name, sizeof(name), SRC "three.mbox:%zu",
		    (size_t)(p - file));
		assert_string_equal(m.name, name);
		assert_memory_equal(p, "From ", 5);
		p = strstr(p + 1, "\n\nFrom ");
		if (p)
			p += 2;
	}
	next_end(src);
	source_close(&src);
	free(file);
}

static void
test_mbox_crlf(void **state)
{
	static const char mbox[] =
	    "From a@example.org Mon Jan  1 00:00:00 2024\r\n"
	    "Subject: one\r\n\r\nfirst body\r\n\r\n"
	    "From b@example.org Mon Jan  1 00:00:01 2024\r\n"
	    "Subject: two\r\n\r\n>From the top\r\n>>From deeper\r\n"
	    "From inside\r\n\r\n"
	    "From c@example.org Mon Jan  1 00:00:02 2024\r\n"
	    "Subject: three\r\n\r\nlast, no blank line at the end\r\n";
	struct tmp *t = *state;
	struct source *src;
	struct raw_msg m;
	char path[PATH_MAX];

	write_file(t, "crlf.mbox", mbox, sizeof(mbox) - 1);
	tmp_path(t, "crlf.mbox", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_ok(src, &m);
	assert_msg(&m, "Subject: one\r\n\r\nfirst body\r\n");
	next_ok(src, &m);
	assert_msg(&m, "Subject: two\r\n\r\nFrom the top\r\n>From deeper\r\n"
	    "From inside\r\n");
	next_ok(src, &m);
	assert_msg(&m, "Subject: three\r\n\r\nlast, no blank line at the"
	    " end\r\n");
	next_end(src);
	source_close(&src);
}

static void
test_mbox_truncated(void **state)
{
	struct source *src;
	struct raw_msg m;
	size_t i;

	(void)state;
	src = open_ok(SRC "three.mbox", 30);
	for (i = 0; i < ARRAY_SIZE(mbox_msgs); i++) {
		next_ok(src, &m);
		assert_int_equal(m.len, 30);
		assert_int_equal(m.truncated, 1);
		assert_memory_equal(m.data, mbox_msgs[i], 30);
	}
	next_end(src);
	source_close(&src);
}

static void
test_mbox_odd(void **state)
{
	/* a From_ line with nothing after it, then one whose message is
	 * empty, then one without a final newline */
	static const char mbox[] =
	    "From x\n\nFrom y\n\n\nFrom z\nSubject: z";
	struct tmp *t = *state;
	struct source *src;
	struct raw_msg m;
	char path[PATH_MAX];

	write_file(t, "odd", mbox, sizeof(mbox) - 1);
	tmp_path(t, "odd", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_ok(src, &m);
	assert_int_equal(m.len, 0);
	next_ok(src, &m);
	assert_msg(&m, "\n");
	next_ok(src, &m);
	assert_msg(&m, "Subject: z");
	next_end(src);
	source_close(&src);

	write_file(t, "bare", "From ", 5);
	tmp_path(t, "bare", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_ok(src, &m);
	assert_int_equal(m.len, 0);
	next_end(src);
	source_close(&src);
}

static void
test_maildir_fixture(void **state)
{
	static const char *const order[] = {
		"new/1700000001.M1P100.example",
		"cur/1700000002.M2P100.example:2,S",
		"new/1700000003.M3P100.example",
	};
	struct source *src;
	struct raw_msg m;
	char path[PATH_MAX];
	size_t i, len;
	char *want;

	(void)state;
	/* no tmp/ in the fixture: that is fine; the dot file is skipped */
	src = open_ok(SRC "maildir/", 1 << 20);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		next_ok(src, &m);
		snprintf(path, sizeof(path), SRC "maildir/%s", order[i]);
		assert_string_equal(m.name, path);
		want = unit_read_file(path, &len);
		assert_int_equal(m.len, len);
		assert_memory_equal(m.data, want, len);
		assert_int_equal(m.truncated, 0);
		free(want);
	}
	next_end(src);
	source_close(&src);
}

static void
test_maildir_tmp(void **state)
{
	struct tmp *t = *state;
	struct source *src;
	struct raw_msg m;
	char path[PATH_MAX];
	char *err = NULL;

	make_dir(t, "md");
	make_dir(t, "md/new");
	make_dir(t, "md/tmp");
	make_dir(t, "md/new/subdir");
	write_file(t, "md/tmp/1.in-progress", "Subject: no\n\n", 13);
	write_file(t, "md/new/.dotfile", "Subject: no\n\n", 13);
	write_file(t, "md/new/2.b", "Subject: b\n\nbee\n", 16);
	write_file(t, "md/new/1.a", "Subject: a\n\nlong body here\n", 27);
	/* an entry that cannot be read: reported, then the next one */
	tmp_path(t, "md/new/1.b", path, sizeof(path));
	assert_int_equal(symlink("/nonexistent/bulletin", path), 0);

	tmp_path(t, "md", path, sizeof(path));
	src = open_ok(path, 16);
	next_ok(src, &m);
	assert_msg(&m, "Subject: a\n\nlong");
	assert_int_equal(m.truncated, 1);
	assert_non_null(strstr(m.name, "/md/new/1.a"));

	assert_int_equal(source_next(src, &m, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "1.b"));
	free(err);
	err = NULL;

	next_ok(src, &m);
	assert_msg(&m, "Subject: b\n\nbee\n");
	assert_int_equal(m.truncated, 0);
	next_end(src);
	source_close(&src);
}

static void
test_empty(void **state)
{
	struct tmp *t = *state;
	struct source *src;
	struct raw_msg m;
	char path[PATH_MAX];

	/* an empty spool is an empty mailbox */
	write_file(t, "spool", "", 0);
	tmp_path(t, "spool", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_end(src);
	source_close(&src);

	/* an empty .eml is one empty message, for the parser to report */
	write_file(t, "empty.eml", "", 0);
	tmp_path(t, "empty.eml", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_ok(src, &m);
	assert_int_equal(m.len, 0);
	assert_non_null(m.data);
	next_end(src);
	source_close(&src);

	/* a Maildir with only cur/ */
	make_dir(t, "emd");
	make_dir(t, "emd/cur");
	tmp_path(t, "emd", path, sizeof(path));
	src = open_ok(path, 1 << 20);
	next_end(src);
	source_close(&src);
}

static void
test_errors(void **state)
{
	struct tmp *t = *state;
	struct source *src = NULL;
	char path[PATH_MAX];
	char *err = NULL;

	assert_int_equal(source_open("/nonexistent/bulletin.mbox", 1 << 20,
	    &src, &err), -1);
	assert_null(src);
	assert_non_null(err);
	assert_string_equal(err, "cannot open '/nonexistent/bulletin.mbox':"
	    " No such file or directory");
	free(err);
	err = NULL;

	/* a directory that is no Maildir */
	make_dir(t, "plain");
	tmp_path(t, "plain", path, sizeof(path));
	assert_int_equal(source_open(path, 1 << 20, &src, &err), -1);
	assert_non_null(strstr(err, "is not a message file, mbox or"
	    " Maildir"));
	free(err);
	err = NULL;

	assert_int_equal(source_open("/dev/null", 1 << 20, &src, &err), -1);
	assert_string_equal(err, "'/dev/null' is not a message file, mbox or"
	    " Maildir");
	free(err);
	assert_null(src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eml),
		cmocka_unit_test(test_eml_truncated),
		cmocka_unit_test(test_mbox),
		cmocka_unit_test_setup_teardown(test_mbox_crlf, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_mbox_truncated),
		cmocka_unit_test_setup_teardown(test_mbox_odd, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test(test_maildir_fixture),
		cmocka_unit_test_setup_teardown(test_maildir_tmp, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test_setup_teardown(test_empty, setup_tmp,
		    teardown_tmp),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp,
		    teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
