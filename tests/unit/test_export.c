/* test_export.c - export --json and import: base64, a round trip that
 * gives the same file again, idempotent imports, ids kept or moved, and
 * hostile files refused without a crash.  --mbox read back by the mbox
 * source. */
#include <sys/stat.h>
#include <fcntl.h>
#include <sysexits.h>
#include <unistd.h>

#include "unit.h"

#include "export.h"
#include "log.h"
#include "source.h"
#include "store.h"
#include "util.h"

static void
test_b64(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "\xff\xfe\x00\x01", "//4AAQ==" },
	};
	static const char *const bad[] = { "Zg=", "Zg=a", "Z===", "Zh==",
	    "Zm9=", "@@@@", "Zm 9", "====", "Zg==Zg==", "Zm9v\n" };
	char out[64], back[64];
	size_t i, n, len;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		size_t in_len = i == 7 ? 4 : strlen(v[i].in);

		n = export_b64_encode(v[i].in, in_len, out);
		assert_int_equal(n, strlen(v[i].out));
		assert_memory_equal(out, v[i].out, n);
		assert_int_equal(export_b64_decode(out, n, back, &len), 0);
		assert_int_equal(len, in_len);
		assert_memory_equal(back, v[i].in, len);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (export_b64_decode(bad[i], strlen(bad[i]), back, &len) == 0)
			fail_msg("'%s' decoded", bad[i]);
	/* every byte value survives */
	{
		unsigned char all[256], dec[256];
		char enc[344];

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		n = export_b64_encode(all, 256, enc);
		assert_int_equal(n, 344);
		assert_int_equal(export_b64_decode(enc, n, dec, &len), 0);
		assert_int_equal(len, 256);
		assert_memory_equal(dec, all, 256);
	}
}

struct fx {
	char dir[64];
	char a[128], b[128], file[128], file2[128];
	struct store *sa, *sb;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	log_init(LOG_ERR, 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bulletin-export-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->a, sizeof(f->a), "%s/a.db", f->dir);
	snprintf(f->b, sizeof(f->b), "%s/b.db", f->dir);
	snprintf(f->file, sizeof(f->file), "%s/export.jsonl", f->dir);
	snprintf(f->file2, sizeof(f->file2), "%s/again.jsonl", f->dir);
	if (store_open(f->a, &f->sa, &err) < 0 ||
	    store_open(f->b, &f->sb, &err) < 0) {
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

	store_close(&f->sa);
	store_close(&f->sb);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int64_t
add_msg(struct store *st, const char *raw, size_t len, int64_t recv,
    int n_items)
{
	struct label labels[2] = { { "nao", 3 }, { "union-news", -1 } };
	struct item it = {
		.title = (char *)(uintptr_t)"Title \"quoted\" \xc2\xa3",
		.date = 1700000000,
		.url = (char *)(uintptr_t)"https://example.org/a?b=c&d",
		.text = (char *)(uintptr_t)"Line one\n\nline two\ttab",
		.source = (char *)(uintptr_t)"Source",
		.words = 5,
		.labels = labels,
		.n_labels = 2,
	};
	struct store_msg m;
	char hash[65];
	int64_t id = 0;
	int i;

	store_hash(raw, len, hash);
	memset(&m, 0, sizeof(m));
	m.hash = hash;
	m.message_id = n_items ? "id@example.org" : NULL;
	m.source = "tests";
	m.subject = "Subject";
	m.from = "Name <from@example.org>";
	m.date = recv - 60;
	m.received = recv;
	m.raw = raw;
	m.raw_len = len;
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_add_message(st, &m, &id), 0);
	for (i = 0; i < n_items; i++) {
		it.url = i ? NULL : it.url;
		it.n_labels = (size_t)(i % 3);
		assert_int_equal(store_add_item(st, id, (unsigned)(i * 2), &it),
		    0);
	}
	assert_int_equal(store_commit(st), 0);
	return id;
}

/* A store with a bit of everything. */
static void
fill(struct store *st)
{
	static const char bin[] = "Subject: bin\r\n\r\n\x00\x01\xff From x\r\n";
	const char *cats[] = { "nao", "pac" }, *modes[] = { "weekly",
	    "instant" };
	struct store_folder fo = { "u@h:993", "INBOX", 7, 42, 1000, "ok" };
	int64_t m1, m3, ann, bob;

	m1 = add_msg(st, "Subject: one\n\nFrom here\n", 24, 100, 3);
	add_msg(st, bin, sizeof(bin) - 1, 200, 0);
	m3 = add_msg(st, "Subject: subscribe\n\n", 20, 300, 1);
	assert_int_equal(store_mark_command(st, m3, "subscribed a@b.org"), 0);
	assert_int_equal(store_sub_add(st, "ann@example.org", "Ann \"A\"", 1,
	    "0123456789abcdef0123456789abcdef", 10, &ann), 0);
	assert_int_equal(store_sub_set_cats(st, ann, cats, modes, 2), 0);
	assert_int_equal(store_sub_set_name(st, ann, "Ann \"A\"", 20), 0);
	assert_int_equal(store_sub_add(st, "bob@example.org", "", 0,
	    "fedcba9876543210fedcba9876543210", 30, &bob), 0);
	assert_int_equal(store_outbox_add(st, ann, "forward", "msg:1", m1,
	    "ann@example.org", "body\x00one", 8, 50), 0);
	assert_int_equal(store_outbox_add(st, ann, "digest",
	    "weekly:2026-W47", 0, "ann@example.org", "digest", 6, 60), 0);
	assert_int_equal(store_outbox_add(st, bob, "confirm", "confirm", 0,
	    "bob@example.org", "", 0, 70), 0);
	assert_int_equal(store_outbox_sent(st, 1, 55, "250 2.0.0 ok"), 0);
	assert_int_equal(store_outbox_retry(st, 2, 99, "451 later"), 0);
	assert_int_equal(store_outbox_failed(st, 3, "550 no"), 0);
	assert_int_equal(store_mark_set(st, "commands", 3), 0);
	assert_int_equal(store_mark_set(st, "forwards", 2), 0);
	assert_int_equal(store_folder_set(st, fo.account, fo.folder,
	    fo.uidvalidity, fo.last_uid, fo.last_run, fo.last_result), 0);
}

static char *
slurp(const char *path, size_t *len_r)
{
	return unit_read_file(path, len_r);
}

static void
assert_same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = slurp(a, &la), *y = slurp(b, &lb);

	if (la != lb || memcmp(x, y, la))
		fail_msg("'%s' and '%s' differ", a, b);
	free(x);
	free(y);
}

static void
test_round_trip(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	int64_t n;

	fill(f->sa);
	assert_int_equal(export_run(f->sa, EXPORT_JSON, f->file), EX_OK);
	assert_int_equal(stat(f->file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(export_import_json(f->sb, f->file, 1 << 20), EX_OK);
	assert_int_equal(export_run(f->sb, EXPORT_JSON, f->file2), EX_OK);
	assert_same_file(f->file, f->file2);
	assert_int_equal(store_count_messages(f->sb, &n), 0);
	assert_int_equal(n, 3);
	/* twice changes nothing */
	assert_int_equal(export_import_json(f->sb, f->file, 1 << 20), EX_OK);
	assert_int_equal(export_run(f->sb, EXPORT_JSON, f->file2), EX_OK);
	assert_same_file(f->file, f->file2);
	/* into the store it came from: nothing either */
	assert_int_equal(export_import_json(f->sa, f->file, 1 << 20), EX_OK);
	assert_int_equal(export_run(f->sa, EXPORT_JSON, f->file2), EX_OK);
	assert_same_file(f->file, f->file2);
}

static int
get_mark(void *ctx, const char *name, int64_t v)
{
	if (!strcmp(name, "forwards"))
		*(int64_t *)ctx = v;
	return 0;
}

/* A store whose ids are taken: messages move, the marks pass them and a
 * forward's key follows its message. */
static void
test_moved_ids(void **state)
{
	struct fx *f = *state;
	struct store_sub s;
	struct store_out o;
	int64_t id, mark = 0;
	char hash[65];

	fill(f->sa);
	assert_int_equal(export_run(f->sa, EXPORT_JSON, f->file), EX_OK);
	add_msg(f->sb, "Subject: other\n\n", 16, 5, 0);
	add_msg(f->sb, "Subject: other 2\n\n", 18, 6, 0);
	assert_int_equal(export_import_json(f->sb, f->file, 1 << 20), EX_OK);
	store_hash("Subject: one\n\nFrom here\n", 24, hash);
	assert_int_equal(store_message_id(f->sb, hash, &id), 0);
	/* ids 1 and 2 are taken: the next free one */
	assert_int_equal(id, 3);
	assert_int_equal(store_marks(f->sb, get_mark, &mark), 0);
	assert_true(mark >= 5);
	/* the retrying digest is queued; the forward, sent, kept its key */
	assert_int_equal(store_sub_get(f->sb, "ann@example.org", &s), 0);
	assert_int_equal(s.n_cats, 2);
	assert_string_equal(s.cats[1].mode, "instant");
	assert_int_equal(store_outbox_has(f->sb, s.id, "forward", "msg:3"), 1);
	assert_int_equal(store_outbox_has(f->sb, s.id, "forward", "msg:1"), 0);
	assert_int_equal(store_outbox_next(f->sb, 1000, 0, &o), 0);
	assert_string_equal(o.key, "weekly:2026-W47");
	assert_int_equal(o.attempts, 1);
	store_out_clear(&o);
	store_sub_clear(&s);
	/* and again: nothing new */
	assert_int_equal(export_import_json(f->sb, f->file, 1 << 20), EX_OK);
	assert_int_equal(store_count_messages(f->sb, &id), 0);
	assert_int_equal(id, 5);
}

/* Writes text to f->file2 and imports it into b. */
static int
import_text(struct fx *f, const char *text, size_t len)
{
	FILE *o = fopen(f->file2, "wb");

	assert_non_null(o);
	assert_int_equal(fwrite(text, 1, len, o), len);
	fclose(o);
	return export_import_json(f->sb, f->file2, 1 << 20);
}

static void
test_hostile(void **state)
{
	static const char hdr[] = "{\"type\":\"header\",\"format\":"
	    "\"bulletin-export\",\"version\":1}\n";
	static const char end[] = "{\"type\":\"end\",\"marks\":0,\"messages\":"
	    "0,\"subscribers\":0,\"outbox\":0,\"folders\":0}\n";
	static const char *const bodies[] = {
		"",                                     /* no end */
		"garbage\n",
		"{\"type\":\"message\"}\n",
		"{\"type\":\"mark\",\"name\":\"x\",\"value\":-1}\n",
		"{\"type\":\"mark\",\"name\":\"BAD NAME\",\"value\":1}\n",
		"{\"type\":\"nonsense\"}\n",
		"[1,2,3]\n",
		"{\"type\":\"subscriber\",\"address\":\"not an address\","
		"\"name\":\"\",\"token\":\"0123456789abcdef0123456789abcdef\","
		"\"created\":1,\"changed\":1,\"confirmed\":true,"
		"\"categories\":{}}\n",
		"{\"type\":\"subscriber\",\"address\":\"a@b.org\",\"name\":\"\","
		"\"token\":\"short\",\"created\":1,\"changed\":1,"
		"\"confirmed\":true,\"categories\":{}}\n",
		"{\"type\":\"subscriber\",\"address\":\"a@b.org\",\"name\":\"\","
		"\"token\":\"0123456789abcdef0123456789abcdef\",\"created\":1,"
		"\"changed\":1,\"confirmed\":true,\"categories\":"
		"{\"nao\":\"hourly\"}}\n",
		"{\"type\":\"outbox\",\"address\":\"nobody@b.org\",\"kind\":"
		"\"digest\",\"key\":\"k\",\"msg_hash\":null,\"rcpt\":"
		"\"nobody@b.org\",\"state\":\"queued\",\"attempts\":0,"
		"\"next_try\":0,\"reply\":\"\",\"created\":0,\"sent\":0,"
		"\"body\":\"\"}\n",
		/* raw that does not match its hash, and bad base64 */
		"{\"type\":\"message\",\"id\":1,\"hash\":\"e3b0c44298fc1c149afbf4"
		"c8996fb92427ae41e4649b934ca495991b7852b855\",\"message_id\":"
		"null,\"source\":\"\",\"subject\":\"\",\"from\":\"\",\"date\":0,"
		"\"received\":0,\"command\":null,\"raw\":\"Zm9v\",\"items\":[]}\n",
		"{\"type\":\"message\",\"id\":1,\"hash\":\"e3b0c44298fc1c149afbf4"
		"c8996fb92427ae41e4649b934ca495991b7852b855\",\"message_id\":"
		"null,\"source\":\"\",\"subject\":\"\",\"from\":\"\",\"date\":0,"
		"\"received\":0,\"command\":null,\"raw\":\"!!!!\",\"items\":[]}\n",
		/* items out of order, and a bad label */
		"{\"type\":\"message\",\"id\":1,\"hash\":\"e3b0c44298fc1c149afbf4"
		"c8996fb92427ae41e4649b934ca495991b7852b855\",\"message_id\":"
		"null,\"source\":\"\",\"subject\":\"\",\"from\":\"\",\"date\":0,"
		"\"received\":0,\"command\":null,\"raw\":\"\",\"items\":["
		"{\"seq\":1,\"title\":\"t\",\"date\":0,\"url\":null,\"source\":"
		"\"\",\"text\":\"\",\"words\":0,\"labels\":{}},"
		"{\"seq\":1,\"title\":\"t\",\"date\":0,\"url\":null,\"source\":"
		"\"\",\"text\":\"\",\"words\":0,\"labels\":{}}]}\n",
		"{\"type\":\"message\",\"id\":1,\"hash\":\"e3b0c44298fc1c149afbf4"
		"c8996fb92427ae41e4649b934ca495991b7852b855\",\"message_id\":"
		"null,\"source\":\"\",\"subject\":\"\",\"from\":\"\",\"date\":0,"
		"\"received\":0,\"command\":null,\"raw\":\"\",\"items\":["
		"{\"seq\":1,\"title\":\"t\",\"date\":0,\"url\":null,\"source\":"
		"\"\",\"text\":\"\",\"words\":0,\"labels\":{\"N A O\":1}}]}\n",
	};
	struct fx *f = *state;
	struct buf b = BUF_INIT(0);
	int64_t n;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bodies); i++) {
		buf_reset(&b);
		buf_addstr(&b, hdr);
		buf_addstr(&b, bodies[i]);
		if (i)
			buf_addstr(&b, end);
		if (import_text(f, b.data, b.len) != EX_DATAERR)
			fail_msg("accepted: %s", bodies[i]);
	}
	/* no header; a newer version; data after the end; counts off */
	assert_int_equal(import_text(f, end, strlen(end)), EX_DATAERR);
	assert_int_equal(import_text(f, "{\"type\":\"header\",\"format\":"
	    "\"bulletin-export\",\"version\":2}\n", 57), EX_DATAERR);
	buf_reset(&b);
	buf_addstr(&b, hdr);
	buf_addstr(&b, end);
	assert_int_equal(import_text(f, b.data, b.len), EX_OK);
	buf_addstr(&b, end);
	assert_int_equal(import_text(f, b.data, b.len), EX_DATAERR);
	buf_reset(&b);
	buf_addstr(&b, hdr);
	buf_addstr(&b, "{\"type\":\"mark\",\"name\":\"x\",\"value\":1}\n");
	buf_addstr(&b, end);
	assert_int_equal(import_text(f, b.data, b.len), EX_DATAERR);
	/* a NUL, a line over the limit, a file that is not there */
	assert_int_equal(import_text(f, "{\"type\"\0:1}\n", 12),
	    EX_DATAERR);
	{
		char *big = xmalloc((1 << 20) + 10);

		memset(big, ' ', (1 << 20) + 10);
		big[(1 << 20) + 9] = '\n';
		assert_int_equal(import_text(f, big, (1 << 20) + 10),
		    EX_DATAERR);
		free(big);
	}
	assert_int_equal(export_import_json(f->sb, "/nonexistent/x",
	    1024), EX_NOINPUT);
	assert_int_equal(store_count_messages(f->sb, &n), 0);
	assert_int_equal(n, 0);
	buf_free(&b);
}

/* Imports hdr, line and the end record (counting one mark when marks)
 * with stderr caught; returns the exit code and what was printed
 * (caller frees). */
static int
import_line_err(struct fx *f, const char *line, size_t len, int marks,
    char **err_r)
{
	struct buf b = BUF_INIT(0);
	char path[160];
	int fd, saved, r;

	buf_addstr(&b, "{\"type\":\"header\",\"format\":\"bulletin-export\","
	    "\"version\":1}\n");
	buf_add(&b, line, len);
	buf_printf(&b, "\n{\"type\":\"end\",\"marks\":%d,\"messages\":0,"
	    "\"subscribers\":0,\"outbox\":0,\"folders\":0}\n", marks);
	snprintf(path, sizeof(path), "%s/err", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	r = import_text(f, b.data, b.len);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*err_r = slurp(path, NULL);
	buf_free(&b);
	return r;
}

/* Lines Jansson or the checks after it refuse, each at its line with
 * what is wrong; none echoes the text it choked on. */
static void
test_hostile_json(void **state)
{
	static const struct { const char *line; size_t len; const char *want; }
	    cases[] = {
		/* integers only where integers are expected */
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1.5}", 0,
		    "'value' must be an integer" },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1e3}", 0,
		    "'value' must be an integer" },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":true}", 0,
		    "'value' must be an integer" },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":\"1\"}", 0,
		    "'value' must be an integer" },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":null}", 0,
		    "'value' must be an integer" },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":01}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":"
		    "9223372036854775808}", 0, "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":"
		    "-9223372036854775809}", 0, "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":-}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":1,\"value\":1}", 0,
		    "'name' must be a string" },
		{ "{\"type\":\"subscriber\",\"address\":\"a@b.org\",\"name\":"
		    "\"\",\"token\":\"0123456789abcdef0123456789abcdef\","
		    "\"created\":1,\"changed\":1,\"confirmed\":1,"
		    "\"categories\":{}}", 0,
		    "'confirmed' must be true or false" },
		{ "{\"type\":\"message\",\"id\":1,\"hash\":\"e3b0c44298fc1c149a"
		    "fbf4c8996fb92427ae41e4649b934ca495991b7852b855\","
		    "\"message_id\":null,\"source\":\"\",\"subject\":\"\","
		    "\"from\":\"\",\"date\":0,\"received\":0,\"command\":null,"
		    "\"raw\":\"\",\"items\":{}}", 0, "'items' must be an array" },
		/* NUL, as an escape or a byte, in a value or a key */
		{ "{\"type\":\"mark\",\"name\":\"x\\u0000\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"na\\u0000me\":\"x\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"a\0b\",\"value\":1}", 38,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1}\0x", 38,
		    "not JSON: column " },
		/* escapes and strings */
		{ "{\"type\":\"mark\",\"name\":\"\\ud800\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"\\udc00\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"\\ud800\\u0041\",\"value\":1}",
		    0, "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"\\u12\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"\\u12zz\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"\\x\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"a\tb\",\"value\":1}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x", 0, "not JSON: column " },
		/* structure */
		{ "{\"type\":\"mark\",\"name\"", 0, "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1,}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1} {}", 0,
		    "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"name\":\"y\","
		    "\"value\":1}", 0, "not JSON: column " },
		{ "{\"type\":\"mark\",\"name\":\"x\",\"value\":1,\"value\":2}",
		    0, "not JSON: column " },
		{ "tru", 0, "not JSON: column " },
		{ "nul", 0, "not JSON: column " },
		{ "@", 0, "not JSON: column " },
		{ "\"a record\"", 0, "not JSON: column " },
		{ "[1,2,3]", 0, "a record must be an object" },
		/* a subscriber's token is never echoed */
		{ "{\"type\":\"subscriber\",\"token\" "
		    "\"0123456789abcdef0123456789abcdef\"}", 0,
		    "not JSON: column " },
	};
	struct fx *f = *state;
	char want[256], *err;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].line);
		snprintf(want, sizeof(want), "%s:2: %s", f->file2,
		    cases[i].want);
		if (import_line_err(f, cases[i].line, len, 0, &err) !=
		    EX_DATAERR || strncmp(err, want, strlen(want)) ||
		    strstr(err, " near ") || strstr(err, "0123456789abcdef"))
			fail_msg("%s: got '%s', want '%s'", cases[i].line, err,
			    want);
		free(err);
	}
	/* nesting is capped, not recursed without end */
	{
		size_t big = 200000;
		char *p = xmalloc(big);

		memset(p, '[', big);
		assert_int_equal(import_line_err(f, p, big, 0, &err),
		    EX_DATAERR);
		assert_non_null(strstr(err, ":2: not JSON: column "));
		free(err);
		memset(p, '{', big);
		assert_int_equal(import_line_err(f, p, big, 0, &err),
		    EX_DATAERR);
		assert_non_null(strstr(err, ":2: not JSON: column "));
		free(err);
		free(p);
	}
	/* many small objects: Jansson's memory is capped per line (it
	 * would take ~80 bytes per input byte), so this fails cleanly */
	{
		size_t n = 300000, k, at;
		char *p = xmalloc(3 * n + 32);

		at = (size_t)sprintf(p, "{\"type\":\"mark\",\"a\":[");
		for (k = 0; k < n; k++) {
			memcpy(p + at, "{},", 3);
			at += 3;
		}
		memcpy(p + at - 1, "]}", 2);
		at++;
		assert_int_equal(import_line_err(f, p, at, 0, &err),
		    EX_DATAERR);
		if (!strstr(err, ":2: not JSON: ") || !strstr(err, "memory"))
			fail_msg("got '%s'", err);
		free(err);
		free(p);
	}
}

/* Every prefix of a record is refused cleanly (a cut line); the whole
 * of it is taken, members the record does not use included. */
static void
test_prefixes(void **state)
{
	static const char s[] = "{\"type\":\"mark\",\"name\":\"x\",\"value\":"
	    "12,\"x\":[1,{\"y\":null,\"z\":\"\\u00e9\\ud83d\\ude00\"}],"
	    "\"t\":true}";
	struct fx *f = *state;
	char *err;
	size_t n;

	for (n = 1; n < sizeof(s) - 1; n++) {
		if (import_line_err(f, s, n, 1, &err) != EX_DATAERR)
			fail_msg("a cut at %zu was accepted", n);
		free(err);
	}
	assert_int_equal(import_line_err(f, s, sizeof(s) - 1, 1, &err),
	    EX_OK);
	free(err);
}

/* Escapes come back as the bytes they stand for, the integers' extremes
 * as they were, and what json.c writes (control characters, bytes from
 * 0x80 up) as it was stored. */
static void
test_escapes(void **state)
{
	static const char sub[] = "{\"type\":\"subscriber\",\"address\":"
	    "\"a@b.org\",\"name\":\"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\\u00e9"
	    "\\ud83d\\ude00\\u0001\",\"token\":"
	    "\"0123456789abcdef0123456789abcdef\",\"created\":"
	    "-9223372036854775808,\"changed\":9223372036854775807,"
	    "\"confirmed\":false,\"categories\":{\"pac\":\"instant\","
	    "\"nao\":\"weekly\"}}\n";
	static const char name[] = "tab\there \x01 \x1f quote\" back\\ "
	    "\xc2\xa3 \x7f end";
	struct fx *f = *state;
	struct store_sub s;
	struct buf b = BUF_INIT(0);
	int64_t id;

	buf_addstr(&b, "{\"type\":\"header\",\"format\":\"bulletin-export\","
	    "\"version\":1}\n");
	buf_addstr(&b, sub);
	buf_addstr(&b, "{\"type\":\"end\",\"marks\":0,\"messages\":0,"
	    "\"subscribers\":1,\"outbox\":0,\"folders\":0}\n");
	assert_int_equal(import_text(f, b.data, b.len), EX_OK);
	assert_int_equal(store_sub_get(f->sb, "a@b.org", &s), 0);
	assert_string_equal(s.name, "x\"y\\z/\b\f\n\r\t\xc3\xa9"
	    "\xf0\x9f\x98\x80\x01");
	assert_true(s.created == INT64_MIN);
	assert_true(s.changed == INT64_MAX);
	assert_int_equal(s.confirmed, 0);
	assert_int_equal(s.n_cats, 2);
	store_sub_clear(&s);
	buf_free(&b);

	assert_int_equal(store_sub_add(f->sa, "c@d.org", name, 1,
	    "fedcba9876543210fedcba9876543210", 10, &id), 0);
	assert_int_equal(export_run(f->sa, EXPORT_JSON, f->file), EX_OK);
	assert_int_equal(export_import_json(f->sb, f->file, 1 << 20), EX_OK);
	assert_int_equal(store_sub_get(f->sb, "c@d.org", &s), 0);
	assert_string_equal(s.name, name);
	store_sub_clear(&s);
}

/* Every cut of a real export is refused, and leaves nothing half
 * done: the batch in flight is rolled back. */
static void
test_cut(void **state)
{
	struct fx *f = *state;
	char *text, *err = NULL;
	size_t len, k;
	int64_t n;

	fill(f->sa);
	assert_int_equal(export_run(f->sa, EXPORT_JSON, f->file), EX_OK);
	text = slurp(f->file, &len);
	for (k = 0; k + 1 < len; k += 3) {
		if (import_text(f, text, k) != EX_DATAERR)
			fail_msg("a cut at %zu of %zu was accepted", k, len);
	}
	assert_int_equal(store_count_messages(f->sb, &n), 0);
	assert_int_equal(n, 0);
	/* without its final newline it is whole */
	assert_int_equal(import_text(f, text, len - 1), EX_OK);
	free(text);
	free(err);
}

/* --mbox: what the mbox source reads back is what was stored (a final
 * newline added where one was missing). */
static void
test_mbox(void **state)
{
	static const char *const raw[] = {
		"Subject: a\n\nFrom the start\n>From once\n>>From twice\n",
		"From: x@example.org\r\nSubject: b\r\n\r\nFrom crlf\r\n",
		"Subject: c\n\nno final newline",
		"",
	};
	struct fx *f = *state;
	struct source *src = NULL;
	struct raw_msg m;
	char *err = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(raw); i++)
		add_msg(f->sa, raw[i], strlen(raw[i]), 100 + (int64_t)i, 0);
	assert_int_equal(export_run(f->sa, EXPORT_MBOX, f->file), EX_OK);
	assert_int_equal(source_open(f->file, 1 << 20, &src, &err), 0);
	for (i = 0; i < ARRAY_SIZE(raw); i++) {
		assert_int_equal(source_next(src, &m, &err), 1);
		if (i == 2) {
			assert_int_equal(m.len, strlen(raw[i]) + 1);
			assert_memory_equal(m.data, raw[i], strlen(raw[i]));
			assert_int_equal(m.data[m.len - 1], '\n');
		} else {
			assert_int_equal(m.len, strlen(raw[i]));
			assert_memory_equal(m.data, raw[i], m.len);
		}
	}
	assert_int_equal(source_next(src, &m, &err), 0);
	source_close(&src);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_moved_ids, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_json, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_prefixes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbox, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
