/* test_digest.c - periods (ISO weeks, days, half-open), grouping into
 * sections, order, de-duplication, other labels. */
#include "unit.h"

#include <time.h>

#include "digest.h"
#include "util.h"

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static void
test_week(void **state)
{
	struct digest_period p;

	(void)state;
	assert_int_equal(digest_parse_week("2026-W47", &p), 0);
	assert_int_equal(p.since, utc(2026, 11, 16, 0, 0, 0));
	assert_int_equal(p.until, utc(2026, 11, 23, 0, 0, 0));
	assert_false(p.daily);
	assert_string_equal(p.key, "weekly:2026-W47");
	assert_string_equal(p.label, "16\xe2\x80\x93" "22 November 2026");

	/* week 1 may start in the year before */
	assert_int_equal(digest_parse_week("2026-W01", &p), 0);
	assert_int_equal(p.since, utc(2025, 12, 29, 0, 0, 0));
	assert_string_equal(p.label,
	    "29 December 2025 \xe2\x80\x93 4 January 2026");
	/* 2026 has 53 ISO weeks, 2025 has 52 */
	assert_int_equal(digest_parse_week("2026-W53", &p), 0);
	assert_int_equal(p.since, utc(2026, 12, 28, 0, 0, 0));
	assert_int_equal(digest_parse_week("2025-W53", &p), -1);
	assert_int_equal(digest_parse_week("2025-W00", &p), -1);
	assert_int_equal(digest_parse_week("2025-W54", &p), -1);
	assert_int_equal(digest_parse_week("2025-47", &p), -1);
	assert_int_equal(digest_parse_week("2025-W4", &p), -1);
	assert_int_equal(digest_parse_week("2025-W477", &p), -1);
	assert_int_equal(digest_parse_week("", &p), -1);
	/* across months */
	assert_int_equal(digest_parse_week("2026-W49", &p), 0);
	assert_string_equal(p.label,
	    "30 November \xe2\x80\x93 6 December 2026");
}

static void
test_week_of(void **state)
{
	struct digest_period p, q;

	(void)state;
	/* Sunday 22 Nov 2026 23:59:59 is still W47; Monday 00:00 is W48 */
	digest_week_of(utc(2026, 11, 22, 23, 59, 59), 0, &p);
	assert_string_equal(p.key, "weekly:2026-W47");
	digest_week_of(utc(2026, 11, 23, 0, 0, 0), 0, &q);
	assert_string_equal(q.key, "weekly:2026-W48");
	/* half-open: one ends where the next begins */
	assert_int_equal(p.until, q.since);
	/* the last complete week */
	digest_week_of(utc(2026, 11, 23, 0, 0, 0), 1, &q);
	assert_string_equal(q.key, "weekly:2026-W47");
	digest_week_of(utc(2026, 11, 18, 12, 0, 0), 1, &q);
	assert_string_equal(q.key, "weekly:2026-W46");
}

static void
test_day(void **state)
{
	struct digest_period p;

	(void)state;
	assert_int_equal(digest_parse_day("2026-11-20", &p), 0);
	assert_true(p.daily);
	assert_int_equal(p.since, utc(2026, 11, 20, 0, 0, 0));
	assert_int_equal(p.until, utc(2026, 11, 21, 0, 0, 0));
	assert_string_equal(p.key, "daily:2026-11-20");
	assert_string_equal(p.label, "20 November 2026");
	assert_int_equal(digest_parse_day("2026-02-30", &p), -1);
	assert_int_equal(digest_parse_day("2026-11-20x", &p), -1);
	assert_int_equal(digest_parse_day("20-11-2026", &p), -1);
	digest_day_of(utc(2026, 11, 20, 0, 0, 0), 1, &p);
	assert_string_equal(p.key, "daily:2026-11-19");
}

static const char *const order[] = { "pac", "nao", "hmip", "press" };

static void
test_group(void **state)
{
	static const char *const l_nao[] = { "nao" };
	static const char *const l_nao_pac[] = { "nao", "pac" };
	static const char *const l_press[] = { "press" };
	static const char *const l_hmip_nao[] = { "hmip", "nao" };
	static const char *const l_none[] = { "x" };
	const struct digest_item items[] = {
		{ 1, 100, l_nao, 1 },
		{ 2, 300, l_nao_pac, 2 },
		{ 3, 200, l_press, 1 },
		{ 4, 400, l_hmip_nao, 2 },
		{ 5, 300, l_nao, 1 },
		{ 6, 500, l_none, 1 },
	};
	const char *const wanted[] = { "nao", "hmip", "pac" };
	struct digest_section *s = NULL;
	char *other;
	size_t n;

	(void)state;
	n = digest_group(items, ARRAY_SIZE(items), order, ARRAY_SIZE(order),
	    wanted, ARRAY_SIZE(wanted), &s);
	/* in the configured order, not the wanted one; press not wanted */
	assert_int_equal(n, 2);
	assert_string_equal(s[0].category, "pac");
	assert_int_equal(s[0].n, 1);
	assert_int_equal(s[0].items[0], 1);    /* item 2, once, under pac */
	assert_string_equal(s[1].category, "nao");
	assert_int_equal(s[1].n, 3);
	/* newest first, ties by id; item 2 is under pac only */
	assert_int_equal(items[s[1].items[0]].id, 4);
	assert_int_equal(items[s[1].items[1]].id, 5);
	assert_int_equal(items[s[1].items[2]].id, 1);
	digest_sections_free(&s, n);
	assert_null(s);

	/* without pac wanted, item 2 moves to nao; order puts nao before
	 * hmip, so item 4 stays in nao */
	n = digest_group(items, ARRAY_SIZE(items), order, ARRAY_SIZE(order),
	    wanted, 2, &s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].category, "nao");
	assert_int_equal(s[0].n, 4);
	assert_int_equal(items[s[0].items[0]].id, 4);
	assert_int_equal(items[s[0].items[1]].id, 2);
	assert_int_equal(items[s[0].items[2]].id, 5);
	digest_sections_free(&s, n);

	/* nothing wanted, nothing shown */
	n = digest_group(items, ARRAY_SIZE(items), order, ARRAY_SIZE(order),
	    wanted, 0, &s);
	assert_int_equal(n, 0);
	assert_null(s);
	n = digest_group(NULL, 0, order, ARRAY_SIZE(order), wanted, 3, &s);
	assert_int_equal(n, 0);

	/* other labels: the subscriber's, upper-case, in order */
	other = digest_other_labels(&items[3], order, ARRAY_SIZE(order),
	    wanted, ARRAY_SIZE(wanted), "nao");
	assert_string_equal(other, "HMIP");
	free(other);
	other = digest_other_labels(&items[1], order, ARRAY_SIZE(order),
	    wanted, ARRAY_SIZE(wanted), "pac");
	assert_string_equal(other, "NAO");
	free(other);
	other = digest_other_labels(&items[1], order, ARRAY_SIZE(order),
	    wanted, 1, "pac");
	assert_string_equal(other, "NAO");
	free(other);
	other = digest_other_labels(&items[0], order, ARRAY_SIZE(order),
	    wanted, ARRAY_SIZE(wanted), "nao");
	assert_string_equal(other, "");
	free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_week),
		cmocka_unit_test(test_week_of),
		cmocka_unit_test(test_day),
		cmocka_unit_test(test_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
