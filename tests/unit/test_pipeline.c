/* test_pipeline.c - worker threads give the same results as a direct
 * call, in push order, with the pipeline filled past its depth. */
#include "unit.h"

#include "classify.h"
#include "message.h"
#include "pipeline.h"
#include "process.h"
#include "rules.h"

static const char *const files[] = {
	FIXTURES "parse/html-only.eml",
	FIXTURES "parse/alternative.eml",
	FIXTURES "split/wordpress-new-posts.eml",
	FIXTURES "split/union-newsletter.eml",
	FIXTURES "parse/forward-rfc822.eml",
	FIXTURES "parse/empty.eml",
};

/* "title [labels]\n" per item: what must match. */
static char *
summary(const struct processed *p, int rc)
{
	struct buf b = BUF_INIT(0);
	size_t i, k;

	buf_printf(&b, "rc %d\n", rc);
	for (i = 0; rc == 0 && i < p->items.n; i++) {
		buf_printf(&b, "%s [", p->items.v[i].title);
		for (k = 0; k < p->items.v[i].n_labels; k++)
			buf_printf(&b, "%s,", p->items.v[i].labels[k].id);
		buf_addstr(&b, "]\n");
	}
	return buf_detach(&b);
}

static void
test_order_and_results(void **state)
{
	struct ruleset *rs = NULL;
	struct classifier *cl;
	struct pipeline *pl;
	char *err = NULL, *raw[ARRAY_SIZE(files)], *want[ARRAY_SIZE(files)];
	size_t len[ARRAY_SIZE(files)], i, pushed = 0, popped = 0;
	const size_t total = 300;   /* several times the ring's depth */
	struct job *j;

	(void)state;
	message_init();
	assert_int_equal(rules_load("filters", &rs, &err), 0);
	cl = classifier_new(rs);
	assert_non_null(cl);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		struct processed p;
		int rc;

		raw[i] = unit_read_file(files[i], &len[i]);
		rc = process_message(cl, &limits_default, raw[i], len[i], &p,
		    NULL, &err);
		want[i] = summary(&p, rc);
		free(err);
		err = NULL;
		processed_free(&p);
	}
	classifier_free(&cl);

	pl = pipeline_new(rs, &limits_default, 3, 0);
	assert_non_null(pl);
	while (pushed < total) {
		while (pipeline_full(pl)) {
			char *got;

			j = pipeline_pop(pl);
			assert_non_null(j);
			got = summary(&j->p, j->rc);
			assert_string_equal(got,
			    want[popped % ARRAY_SIZE(files)]);
			assert_string_equal(j->name,
			    files[popped % ARRAY_SIZE(files)]);
			free(got);
			pipeline_done(pl, j);
			popped++;
		}
		i = pushed % ARRAY_SIZE(files);
		pipeline_push(pl, raw[i], len[i], files[i], NULL, 0);
		pushed++;
	}
	while ((j = pipeline_pop(pl))) {
		char *got = summary(&j->p, j->rc);

		assert_string_equal(got, want[popped % ARRAY_SIZE(files)]);
		free(got);
		pipeline_done(pl, j);
		popped++;
	}
	assert_int_equal(popped, total);
	/* freeing with work in flight must not leak or hang */
	pipeline_push(pl, raw[0], len[0], files[0], NULL, 0);
	pipeline_free(&pl);
	assert_null(pl);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		free(raw[i]);
		free(want[i]);
	}
	rules_free(&rs);
	message_shutdown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
