/* test_worker.c - the frame codec between bulletin-fetch and
 * bulletin-work: round trips, and malformed frames refused. */
#include "unit.h"

#include "message.h"
#include "pipeline.h"
#include "split.h"
#include "util.h"
#include "worker.h"

#define MSG_DATE ((int64_t)1795000000)

static const char *const ids[] = { "nao", "pac", "hmip" };

/* The frame at b->data + at: its payload and length (checked against
 * the bytes that follow it). */
static const char *
payload(const struct buf *b, size_t at, size_t *len_r)
{
	uint32_t n;

	assert_true(b->len - at >= sizeof(n));
	memcpy(&n, b->data + at, sizeof(n));
	assert_int_equal(n, b->len - at - sizeof(n));
	*len_r = n;
	return b->data + at + sizeof(n);
}

/* Copies of ids, so that decoded label ids can be told from the
 * encoder's by pointer. */
static char **
ids_copy(void)
{
	char **v = xcalloc(ARRAY_SIZE(ids), sizeof(*v));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ids); i++)
		v[i] = xstrdup(ids[i]);
	return v;
}

static void
ids_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
add_item(struct item_list *l, const char *title, const char *url,
    const char *text, const char *source, int64_t date, unsigned words)
{
	struct item *it;

	xgrow(&l->v, l->n, &l->cap, sizeof(*l->v));
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->title = xstrdup(title);
	it->url = url ? xstrdup(url) : NULL;
	it->text = xstrdup(text);
	it->source = xstrdup(source);
	it->date = date;
	it->words = words;
}

static void
add_label(struct item *it, const char *id, int score)
{
	it->labels = xrealloc(it->labels,
	    (it->n_labels + 1) * sizeof(*it->labels));
	it->labels[it->n_labels].id = id;
	it->labels[it->n_labels].score = score;
	it->n_labels++;
}

/* The job of test 2: a message, two items, labels on the first. */
static void
job_make(struct job *j)
{
	struct message *m = xcalloc(1, sizeof(*m));

	memset(j, 0, sizeof(*j));
	m->envelope_id = xstrdup("abc@example.org");
	m->subject = xstrdup("Subject \xc2\xa3 UTF-8");
	m->from_name = xstrdup("Napo");
	m->from_addr = xstrdup("a@example.org");
	m->date = MSG_DATE;
	j->p.msg = m;
	add_item(&j->p.items, "First article", "https://example.org/1",
	    "Some text.\n\nMore text.", "Napo", MSG_DATE - 3600, 4);
	add_item(&j->p.items, "Second article", NULL, "Other text.",
	    "Napo news", 0, 2);
	add_label(&j->p.items.v[0], ids[1], 3);
	add_label(&j->p.items.v[0], ids[0], 1);
}

static void
job_free(struct job *j)
{
	message_free(&j->p.msg);
	item_list_free(&j->p.items);
	free(j->err);
	j->err = NULL;
}

/* A decode that failed left nothing behind. */
static void
assert_job_empty(const struct job *j)
{
	assert_null(j->err);
	assert_null(j->p.msg);
	assert_null(j->p.items.v);
	assert_int_equal(j->p.items.n, 0);
}

static void
test_header_round_trip(void **state)
{
	struct buf b = BUF_INIT(0);
	const char *p;
	size_t len, depth = 0, bytes = 0, n = 0, i;
	char **got = NULL;

	(void)state;
	wire_put_header(&b, 8, 16u << 20, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);
	assert_int_equal(wire_get_header(p, len, &depth, &bytes, &got, &n),
	    0);
	assert_int_equal(depth, 8);
	assert_int_equal(bytes, 16u << 20);
	assert_int_equal(n, ARRAY_SIZE(ids));
	for (i = 0; i < n; i++)
		assert_string_equal(got[i], ids[i]);
	ids_free(got, n);
	buf_free(&b);
}

static void
test_result_round_trip(void **state)
{
	struct buf b = BUF_INIT(0);
	struct job j, j2;
	char **dec = ids_copy();
	const char *p;
	size_t len, i, k;

	(void)state;
	job_make(&j);
	wire_put_result(&b, &j, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, (const char *const *)dec,
	    ARRAY_SIZE(ids), &j2), 0);

	assert_int_equal(j2.rc, 0);
	assert_null(j2.err);
	assert_non_null(j2.p.msg);
	assert_string_equal(j2.p.msg->envelope_id, "abc@example.org");
	assert_string_equal(j2.p.msg->subject, "Subject \xc2\xa3 UTF-8");
	assert_string_equal(j2.p.msg->from_name, "Napo");
	assert_string_equal(j2.p.msg->from_addr, "a@example.org");
	assert_null(j2.p.msg->problem);
	assert_true(j2.p.msg->date == MSG_DATE);

	assert_int_equal(j2.p.items.n, j.p.items.n);
	for (i = 0; i < j.p.items.n; i++) {
		const struct item *a = &j.p.items.v[i], *c = &j2.p.items.v[i];

		assert_string_equal(c->title, a->title);
		if (a->url)
			assert_string_equal(c->url, a->url);
		else
			assert_null(c->url);
		assert_string_equal(c->text, a->text);
		assert_string_equal(c->source, a->source);
		assert_true(c->date == a->date);
		assert_int_equal(c->words, a->words);
		assert_int_equal(c->n_labels, a->n_labels);
		for (k = 0; k < a->n_labels; k++) {
			assert_string_equal(c->labels[k].id, a->labels[k].id);
			assert_int_equal(c->labels[k].score,
			    a->labels[k].score);
		}
	}
	/* label ids are the decoder's own strings */
	assert_ptr_equal(j2.p.items.v[0].labels[0].id, dec[1]);
	assert_ptr_equal(j2.p.items.v[0].labels[1].id, dec[0]);
	assert_null(j2.p.items.v[1].url);
	assert_int_equal(j2.p.items.v[1].n_labels, 0);

	job_free(&j2);
	job_free(&j);
	ids_free(dec, ARRAY_SIZE(ids));
	buf_free(&b);
}

static void
test_result_unknown_label(void **state)
{
	struct buf b = BUF_INIT(0);
	struct job j, j2;
	const struct item *it;
	const char *p;
	size_t len;

	(void)state;
	job_make(&j);
	add_label(&j.p.items.v[0], "unknown", 7);
	add_label(&j.p.items.v[0], ids[2], 2);
	assert_int_equal(j.p.items.v[0].n_labels, 4);
	wire_put_result(&b, &j, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, ids, ARRAY_SIZE(ids), &j2),
	    0);
	it = &j2.p.items.v[0];
	assert_int_equal(it->n_labels, 3);
	assert_ptr_equal(it->labels[0].id, ids[1]);
	assert_ptr_equal(it->labels[1].id, ids[0]);
	assert_ptr_equal(it->labels[2].id, ids[2]);
	assert_int_equal(it->labels[2].score, 2);
	job_free(&j2);
	job_free(&j);
	buf_free(&b);
}

static void
test_result_failed_job(void **state)
{
	struct buf b = BUF_INIT(0);
	struct job j, j2;
	const char *p;
	size_t len;

	(void)state;
	memset(&j, 0, sizeof(j));
	j.rc = -1;
	j.err = xstrdup("cannot parse");
	wire_put_result(&b, &j, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, ids, ARRAY_SIZE(ids), &j2),
	    0);
	assert_int_equal(j2.rc, -1);
	assert_string_equal(j2.err, "cannot parse");
	assert_null(j2.p.msg);
	assert_int_equal(j2.p.items.n, 0);
	job_free(&j2);
	job_free(&j);
	buf_free(&b);
}

static void
test_result_malformed(void **state)
{
	struct buf b = BUF_INIT(0), x = BUF_INIT(0);
	struct job j, j2;
	const char *p;
	size_t len, cut;
	uint32_t big = 0xffffffffu;

	(void)state;
	job_make(&j);
	wire_put_result(&b, &j, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);

	for (cut = 0; cut < len; cut++) {
		memset(&j2, 0, sizeof(j2));
		if (wire_get_result(p, cut, ids, ARRAY_SIZE(ids), &j2) != -1)
			fail_msg("truncated to %zu of %zu accepted", cut, len);
		assert_job_empty(&j2);
	}

	/* one byte too many */
	assert_int_equal(buf_add(&x, p, len), 0);
	assert_int_equal(buf_addc(&x, 0), 0);
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(x.data, x.len, ids,
	    ARRAY_SIZE(ids), &j2), -1);
	assert_job_empty(&j2);

	/* category index 1 (pac) past n */
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, ids, 1, &j2), -1);
	assert_job_empty(&j2);
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, ids, 0, &j2), -1);
	assert_job_empty(&j2);

	/* an item count of 0xffffffff: the last word of a job without
	 * items */
	item_list_free(&j.p.items);
	buf_reset(&b);
	wire_put_result(&b, &j, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);
	memcpy(b.data + b.len - sizeof(big), &big, sizeof(big));
	memset(&j2, 0, sizeof(j2));
	assert_int_equal(wire_get_result(p, len, ids, ARRAY_SIZE(ids), &j2),
	    -1);
	assert_job_empty(&j2);

	job_free(&j);
	buf_free(&x);
	buf_free(&b);
}

static void
test_header_malformed(void **state)
{
	struct buf b = BUF_INIT(0), x = BUF_INIT(0);
	const char *p;
	size_t len, cut, depth, bytes, n;
	char **got;
	uint32_t zero = 0;

	(void)state;
	wire_put_header(&b, 8, 16u << 20, ids, ARRAY_SIZE(ids));
	p = payload(&b, 0, &len);

	for (cut = 0; cut < len; cut++) {
		got = NULL;
		if (wire_get_header(p, cut, &depth, &bytes, &got, &n) != -1)
			fail_msg("truncated to %zu of %zu accepted", cut, len);
		assert_null(got);
	}

	/* one byte too many */
	assert_int_equal(buf_add(&x, p, len), 0);
	assert_int_equal(buf_addc(&x, 0), 0);
	got = NULL;
	assert_int_equal(wire_get_header(x.data, x.len, &depth, &bytes, &got,
	    &n), -1);
	assert_null(got);

	/* depth 0 */
	buf_reset(&x);
	assert_int_equal(buf_add(&x, p, len), 0);
	memcpy(x.data, &zero, sizeof(zero));
	assert_int_equal(wire_get_header(x.data, x.len, &depth, &bytes, &got,
	    &n), -1);
	assert_null(got);

	buf_free(&x);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_result_round_trip),
		cmocka_unit_test(test_result_unknown_label),
		cmocka_unit_test(test_result_failed_job),
		cmocka_unit_test(test_result_malformed),
		cmocka_unit_test(test_header_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
