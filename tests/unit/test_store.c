/* test_store.c - the SQLite store: schema, de-duplication, transactions,
 * queries. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

#include "split.h"
#include "store.h"
#include "util.h"

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/bulletin-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bulletin.db", f->dir);
	if (store_open(f->path, &f->st, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(&f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Adds a message with the given raw text; returns store_add_message's
 * result. */
static int
add_msg(struct store *st, const char *raw, const char *mid, int64_t recv,
    int64_t *id_r)
{
	char hash[65];
	struct store_msg m = {
		.hash = hash,
		.message_id = mid,
		.source = "tests/fixtures/inbox",
		.subject = "Weekly notes",
		.from = "clerk@parish.example",
		.date = recv - 60,
		.received = recv,
		.raw = raw,
		.raw_len = strlen(raw),
	};

	store_hash(raw, strlen(raw), hash);
	return store_add_message(st, &m, id_r);
}

static void
add_item(struct store *st, int64_t msg_id, unsigned seq, const char *title,
    const char *url, const char *l1, const char *l2)
{
	struct label labels[2] = { { l1, 3 }, { l2, 1 } };
	struct item it = {
		.title = (char *)(uintptr_t)title,
		.date = 1700000000,
		.url = (char *)(uintptr_t)url,
		.text = (char *)(uintptr_t)"Some words about it.",
		.source = (char *)(uintptr_t)"Parish News",
		.words = 4,
		.labels = labels,
		.n_labels = l2 ? 2 : l1 ? 1 : 0,
	};

	assert_int_equal(store_add_item(st, msg_id, seq, &it), 0);
}

/* An item's text in the raw file: its tag and "Some words about it." */
#define ITEM_BYTES (16 + 20)

/* Three messages at received 100, 200, 300 with 2, 1, 1 items. */
static void
fill(struct store *st, int64_t ids[3])
{
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(add_msg(st, "Subject: a\n\nalpha\n", "a@example",
	    100, &ids[0]), 0);
	add_item(st, ids[0], 0, "Road closure", "https://example.org/road",
	    "transport", "council");
	add_item(st, ids[0], 1, "Bin days", NULL, "council", NULL);
	assert_int_equal(add_msg(st, "Subject: b\n\nbeta\n", NULL, 200,
	    &ids[1]), 0);
	add_item(st, ids[1], 0, "Bus timetable", NULL, "transport", NULL);
	assert_int_equal(add_msg(st, "Subject: c\n\ngamma\n", "c@example",
	    300, &ids[2]), 0);
	add_item(st, ids[2], 0, "Quiz night", NULL, NULL, NULL);
	assert_int_equal(store_commit(st), 0);
}

static void
test_hash(void **state)
{
	char hex[65];

	(void)state;
	store_hash("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	store_hash(NULL, 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}

static void
test_duplicate(void **state)
{
	struct fx *f = *state;
	int64_t ids[3], id = 0, n = 0;
	char hash[65];

	fill(f->st, ids);
	assert_true(ids[0] != ids[1] && ids[1] != ids[2]);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: b\n\nbeta\n", "other",
	    999, &id), 1);
	assert_int_equal(id, ids[1]);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_count_messages(f->st, &n), 0);
	assert_int_equal(n, 3);

	store_hash("Subject: c\n\ngamma\n", 18, hash);
	assert_int_equal(store_has_message(f->st, hash), 1);
	store_hash("Subject: d\n\ndelta\n", 18, hash);
	assert_int_equal(store_has_message(f->st, hash), 0);
}

static void
test_rollback(void **state)
{
	struct fx *f = *state;
	int64_t ids[3], id, n = 0;
	char hash[65];

	fill(f->st, ids);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: d\n\ndelta\n", NULL, 400,
	    &id), 0);
	add_item(f->st, id, 0, "Gone", NULL, "council", NULL);
	assert_int_equal(store_rollback(f->st), 0);
	/* rolling back twice is harmless */
	assert_int_equal(store_rollback(f->st), 0);

	store_hash("Subject: d\n\ndelta\n", 18, hash);
	assert_int_equal(store_has_message(f->st, hash), 0);
	assert_int_equal(store_count_messages(f->st, &n), 0);
	assert_int_equal(n, 3);

	/* a second item with the same seq breaks UNIQUE(msg_id, seq) */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: e\n\nepsilon\n", NULL, 500,
	    &id), 0);
	add_item(f->st, id, 0, "First", NULL, NULL, NULL);
	{
		struct item it = { .title = (char *)(uintptr_t)"Again" };

		assert_int_equal(store_add_item(f->st, id, 0, &it), -1);
	}
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_count_messages(f->st, &n), 0);
	assert_int_equal(n, 3);
}

struct seen {
	size_t n;
	char titles[8][32];
	char labels[8][64];
	int64_t received[8];
	int stop_at;
	struct store *st;
	int nested;
};

static int
collect(void *ctx, const struct store_item *it)
{
	struct seen *s = ctx;
	struct store_query q = { 0 };
	size_t i;

	assert_true(s->n < 8);
	snprintf(s->titles[s->n], sizeof(s->titles[0]), "%s", it->title);
	s->labels[s->n][0] = '\0';
	for (i = 0; i < it->n_labels; i++) {
		size_t l = strlen(s->labels[s->n]);

		snprintf(s->labels[s->n] + l, sizeof(s->labels[0]) - l,
		    "%s%s", i ? "," : "", it->labels[i]);
	}
	s->received[s->n] = it->received;
	assert_string_equal(it->text, "Some words about it.");
	assert_string_equal(it->source, "Parish News");
	assert_string_equal(it->subject, "Weekly notes");
	assert_string_equal(it->from, "clerk@parish.example");
	assert_string_equal(it->msg_source, "tests/fixtures/inbox");
	assert_int_equal(it->words, 4);
	assert_int_equal(it->date, 1700000000);
	if (strcmp(it->title, "Road closure") == 0) {
		assert_string_equal(it->url, "https://example.org/road");
		assert_string_equal(it->message_id, "a@example");
	}
	if (strcmp(it->title, "Bus timetable") == 0) {
		assert_null(it->url);
		assert_null(it->message_id);
	}
	if (s->nested)
		assert_int_equal(store_items(s->st, &q, collect, s), -1);
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at ? 42 : 0;
}

static void
test_items(void **state)
{
	struct fx *f = *state;
	struct store_query q = { 0 };
	struct seen s = { 0 };
	int64_t ids[3];

	fill(f->st, ids);
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.titles[0], "Road closure");
	assert_string_equal(s.labels[0], "council,transport");
	assert_string_equal(s.titles[1], "Bin days");
	assert_string_equal(s.labels[1], "council");
	assert_string_equal(s.titles[2], "Bus timetable");
	assert_string_equal(s.labels[2], "transport");
	assert_string_equal(s.titles[3], "Quiz night");
	assert_string_equal(s.labels[3], "");
	assert_int_equal(s.received[0], 100);
	assert_int_equal(s.received[3], 300);

	/* by label */
	memset(&s, 0, sizeof(s));
	q.label = "transport";
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.titles[0], "Road closure");
	assert_string_equal(s.labels[0], "council,transport");
	assert_string_equal(s.titles[1], "Bus timetable");

	memset(&s, 0, sizeof(s));
	q.label = "no-such-label";
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 0);

	/* received in [since, until) */
	memset(&s, 0, sizeof(s));
	q.label = NULL;
	q.since = 200;
	q.until = 300;
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.titles[0], "Bus timetable");

	memset(&s, 0, sizeof(s));
	q.since = 0;
	q.until = 200;
	q.label = "council";
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 2);

	memset(&s, 0, sizeof(s));
	q.since = 150;
	q.until = 0;
	q.label = NULL;
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.titles[1], "Quiz night");

	/* the callback stops the walk; its value comes back */
	memset(&s, 0, sizeof(s));
	memset(&q, 0, sizeof(q));
	s.stop_at = 2;
	assert_int_equal(store_items(f->st, &q, collect, &s), 42);
	assert_int_equal(s.n, 2);

	/* nesting is refused, and the outer walk carries on */
	memset(&s, 0, sizeof(s));
	s.st = f->st;
	s.nested = 1;
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 4);
}

/* user_version, big-endian at offset 60 of the database header */
static uint32_t
file_user_version(const char *path)
{
	unsigned char h[100];
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(h, 1, sizeof(h), fp), sizeof(h));
	fclose(fp);
	assert_memory_equal(h, "SQLite format 3", 16);
	/* file format versions 2: WAL */
	assert_int_equal(h[18], 2);
	return (uint32_t)h[60] << 24 | (uint32_t)h[61] << 16 |
	    (uint32_t)h[62] << 8 | h[63];
}

static void
test_reopen(void **state)
{
	struct fx *f = *state;
	struct store_query q = { 0 };
	struct seen s = { 0 };
	int64_t ids[3], n = 0;
	uint32_t v;
	char *err = NULL;
	FILE *fp;
	unsigned char big[4] = { 0, 0, 0, 99 };

	fill(f->st, ids);
	store_close(&f->st);
	assert_null(f->st);
	v = file_user_version(f->path);
	assert_true(v >= 1);

	assert_int_equal(store_open(f->path, &f->st, &err), 0);
	assert_int_equal(store_count_messages(f->st, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_items(f->st, &q, collect, &s), 0);
	assert_int_equal(s.n, 4);
	store_close(&f->st);
	assert_int_equal(file_user_version(f->path), v);

	/* a store from a newer program is refused, not downgraded */
	fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 60, SEEK_SET), 0);
	assert_int_equal(fwrite(big, 1, 4, fp), 4);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(store_open(f->path, &f->st, &err), -1);
	assert_null(f->st);
	assert_non_null(strstr(err, "newer"));
	free(err);
}

/* kill -9 in the middle of a transaction: what was committed stays,
 * the rest is gone, and the store opens cleanly */
static void
test_killed(void **state)
{
	struct fx *f = *state;
	int64_t ids[3], id, n = 0;
	int status;
	pid_t pid;
	char *err = NULL;

	store_close(&f->st);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st;

		if (store_open(f->path, &st, &err) < 0)
			_exit(1);
		fill(st, ids);
		if (store_begin(st) < 0 || add_msg(st, "Subject: k\n\nkilled\n",
		    NULL, 400, &id) != 0)
			_exit(1);
		add_item(st, id, 0, "Never seen", NULL, "council", NULL);
		raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	assert_int_equal(store_open(f->path, &f->st, &err), 0);
	assert_int_equal(store_count_messages(f->st, &n), 0);
	assert_int_equal(n, 3);
	/* and it takes writes again */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: k\n\nkilled\n", NULL, 400,
	    &id), 0);
	assert_int_equal(store_commit(f->st), 0);
}

static void
test_open_error(void **state)
{
	struct store *st = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(store_open("/nonexistent/dir/bulletin.db", &st,
	    &err), -1);
	assert_null(st);
	assert_non_null(err);
	assert_non_null(strstr(err, "/nonexistent/dir/bulletin.db"));
	free(err);
}

static void
test_empty_message(void **state)
{
	struct fx *f = *state;
	struct store_msg m = { 0 };
	char hash[65];
	int64_t id = 0, id2 = 0;

	store_hash("", 0, hash);
	m.hash = hash;
	m.received = 1;
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_add_message(f->st, &m, &id), 0);
	assert_int_equal(store_add_message(f->st, &m, &id2), 1);
	assert_int_equal(id, id2);
	assert_int_equal(store_commit(f->st), 0);
}

/* store_raw_batch's bytes, concatenated with '|' between messages */
static int
raw_cat(void *ctx, int64_t id, const char *raw, size_t len)
{
	struct buf *b = ctx;

	(void)id;
	if (b->len)
		buf_addc(b, '|');
	buf_add(b, raw, len);
	return 0;
}

static int
read_all(struct store *st, struct buf *b)
{
	int64_t last;
	size_t n;

	buf_reset(b);
	return store_raw_batch(st, 0, 100, raw_cat, b, &last, &n);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* Raw bytes live in STORE.raw: written once, named by the commit, cut
 * back after a writer that never committed, freed on delete, checked
 * against the hash on the way out. */
static void
test_raw_file(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT(0);
	char raw[160], zeros[18] = { 0 }, got[18];
	int64_t ids[3], id;
	int fd;

	snprintf(raw, sizeof(raw), "%s.raw", f->path);
	fill(f->st, ids);
	/* in the file, and not in the database; each message's items'
	 * text after it */
	assert_int_equal(file_size(raw), 18 + 17 + 18 + 4 * ITEM_BYTES);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_string_equal(b.data, "Subject: a\n\nalpha\n|Subject: b\n\n"
	    "beta\n|Subject: c\n\ngamma\n");

	/* a writer killed before its commit, and one that rolled back,
	 * leave bytes past the end: the next writer starts over them */
	fd = open(raw, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "GARBAGE", 7), 7);
	close(fd);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: x\n\nrolled back\n", NULL,
	    350, &id), 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: d\n\ndelta\n", NULL, 400,
	    &id), 0);
	/* a duplicate writes nothing that stays */
	assert_int_equal(add_msg(f->st, "Subject: a\n\nalpha\n", NULL, 400,
	    &id), 1);
	assert_int_equal(store_commit(f->st), 0);
	/* the duplicate's bytes lie past the end until the next write */
	assert_int_equal(file_size(raw), 18 + 17 + 18 + 4 * ITEM_BYTES +
	    18 + 18);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_string_equal(b.data, "Subject: a\n\nalpha\n|Subject: b\n\n"
	    "beta\n|Subject: c\n\ngamma\n|Subject: d\n\ndelta\n");

	/* outside a transaction a message still goes in its row */
	assert_int_equal(add_msg(f->st, "Subject: e\n\nepsilon\n", NULL, 500,
	    &id), 0);
	assert_int_equal(file_size(raw), 18 + 17 + 18 + 4 * ITEM_BYTES +
	    18 + 18);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_non_null(strstr(b.data, "|Subject: e\n\nepsilon\n"));

	/* a deleted message's bytes read as zeros once it commits (where
	 * the file system frees space; tmpfs and ext4 do) */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_delete_message(f->st, ids[0]), 0);
	fd = open(raw, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, 18, 0), 18);
	assert_memory_equal(got, "Subject: a\n\nalpha\n", 18);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(pread(fd, got, 18, 0), 18);
	assert_memory_equal(got, zeros, 18);
	close(fd);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_string_equal(b.data, "Subject: b\n\nbeta\n|Subject: c\n\n"
	    "gamma\n|Subject: d\n\ndelta\n|Subject: e\n\nepsilon\n");

	/* bytes that are not the ones stored: an error, not wrong mail */
	fd = open(raw, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "B", 1, 18 + 2 * ITEM_BYTES + 9), 1);
	close(fd);
	assert_int_equal(read_all(f->st, &b), -1);
	/* and a raw file gone */
	assert_int_equal(unlink(raw), 0);
	store_close(&f->st);
	{
		char *err = NULL;

		assert_int_equal(store_open(f->path, &f->st, &err), 0);
	}
	assert_int_equal(read_all(f->st, &b), -1);
	buf_free(&b);
}

/* What a transaction wrote but kept none of (a duplicate; a rollback) is
 * forgotten at its end: a later read must not write it over what
 * another writer committed there since. */
static void
test_raw_not_kept(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT(0);
	struct store *st2 = NULL;
	char *err = NULL;
	int64_t ids[3], id;

	fill(f->st, ids);
	assert_int_equal(store_open(f->path, &st2, &err), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: a\n\nalpha\n", NULL, 400,
	    &id), 1);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_begin(st2), 0);
	assert_int_equal(add_msg(st2, "Subject: d\n\ndelta\n", NULL, 400,
	    &id), 0);
	assert_int_equal(store_commit(st2), 0);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_non_null(strstr(b.data, "|Subject: d\n\ndelta\n"));

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: x\n\nrolled\n", NULL, 500,
	    &id), 0);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(store_begin(st2), 0);
	assert_int_equal(add_msg(st2, "Subject: e\n\nepsi\n", NULL, 500,
	    &id), 0);
	assert_int_equal(store_commit(st2), 0);
	assert_int_equal(read_all(f->st, &b), 0);
	assert_non_null(strstr(b.data, "|Subject: e\n\nepsi\n"));
	store_close(&st2);
	buf_free(&b);
}

static int
text_cat(void *ctx, unsigned seq, const struct item *it)
{
	buf_printf(ctx, "%u:%s|", seq, it->text);
	return 0;
}

static int
count_items(void *ctx, const struct store_item *it)
{
	(void)it;
	(*(int *)ctx)++;
	return 0;
}

/* Items' text lives in STORE.raw too, after a tag naming the message:
 * read back by both readers, freed when the items go, and an error,
 * not another text, when the tag is not its message's. */
static void
test_item_text(void **state)
{
	struct fx *f = *state;
	struct store_query q = { 0 };
	struct buf b = BUF_INIT(0);
	char raw[160], got[ITEM_BYTES], zeros[ITEM_BYTES] = { 0 };
	struct item empty = {
		.title = (char *)(uintptr_t)"Nothing", .text = NULL,
		.source = (char *)(uintptr_t)"Parish News",
	};
	int64_t ids[3], bt = 18 + 2 * ITEM_BYTES + 17;
	int fd, n = 0;

	snprintf(raw, sizeof(raw), "%s.raw", f->path);
	fill(f->st, ids);
	assert_int_equal(store_message_items(f->st, ids[0], text_cat, &b), 0);
	assert_string_equal(b.data, "0:Some words about it.|"
	    "1:Some words about it.|");
	fd = open(raw, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, ITEM_BYTES, 18), ITEM_BYTES);
	assert_memory_equal(got, "item", 4);
	assert_memory_equal(got + 16, "Some words about it.", 20);

	/* items made again (reprocess): the old texts' bytes are freed,
	 * an empty text stays in its row */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_delete_items(f->st, ids[0]), 0);
	add_item(f->st, ids[0], 0, "Road closure", NULL, "transport", NULL);
	assert_int_equal(store_add_item(f->st, ids[0], 1, &empty), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(pread(fd, got, ITEM_BYTES, 18), ITEM_BYTES);
	assert_memory_equal(got, zeros, ITEM_BYTES);
	assert_int_equal(file_size(raw), bt + ITEM_BYTES + 18 + 2 * ITEM_BYTES);
	buf_reset(&b);
	assert_int_equal(store_message_items(f->st, ids[0], text_cat, &b), 0);
	assert_string_equal(b.data, "0:Some words about it.|1:|");
	/* outside a transaction the text goes in its row, as in a store
	 * from before the raw file took texts */
	add_item(f->st, ids[0], 2, "Hall hire", NULL, NULL, NULL);
	assert_int_equal(file_size(raw), bt + ITEM_BYTES + 18 + 2 * ITEM_BYTES);
	buf_reset(&b);
	assert_int_equal(store_message_items(f->st, ids[0], text_cat, &b), 0);
	assert_string_equal(b.data, "0:Some words about it.|1:|"
	    "2:Some words about it.|");

	/* another message's tag (a raw file from elsewhere), bytes freed
	 * under a reader: errors.  (A changed byte of the text is not
	 * found out, no more than in SQLite's own file.) */
	assert_int_equal(store_items(f->st, &q, count_items, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(pwrite(fd, "0", 1, bt + 5), 1);
	assert_int_equal(store_items(f->st, &q, count_items, &n), -1);
	assert_int_equal(pwrite(fd, zeros, ITEM_BYTES, bt), ITEM_BYTES);
	buf_reset(&b);
	assert_int_equal(store_message_items(f->st, ids[1], text_cat, &b),
	    -1);
	close(fd);

	/* a deleted message's items go with it, and their bytes too */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_delete_message(f->st, ids[2]), 0);
	assert_int_equal(store_commit(f->st), 0);
	fd = open(raw, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, got, ITEM_BYTES, bt + ITEM_BYTES + 18),
	    ITEM_BYTES);
	assert_memory_equal(got, zeros, ITEM_BYTES);
	close(fd);
	buf_free(&b);
}

/* The raw file is not opened through a symbolic link (nor is the store,
 * by SQLite): a link planted beside the store fails the write. */
static void
test_raw_symlink(void **state)
{
	struct fx *f = *state;
	char raw[160], target[160];
	struct stat sb;
	int64_t id;

	snprintf(raw, sizeof(raw), "%s.raw", f->path);
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, raw), 0);
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(add_msg(f->st, "Subject: a\n\nalpha\n", NULL, 100,
	    &id), -1);
	assert_int_equal(store_rollback(f->st), 0);
	assert_int_equal(lstat(target, &sb), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test_setup_teardown(test_duplicate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed, setup, teardown),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test_setup_teardown(test_empty_message, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_raw_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_item_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_raw_not_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_raw_symlink, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
