/*
 * test_classify.c - the shipped filters/ against short items.  The texts
 * are made up for these tests.
 */
#include "unit.h"

#include "classify.h"
#include "rules.h"
#include "util.h"


/* One item through a fresh classifier of rs. */
static int
classify_rs(struct ruleset *rs, const struct classify_input *in,
    struct item *it, struct buf *ex)
{
	struct classifier *cl = classifier_new(rs);
	int r;

	assert_non_null(cl);
	r = classify_item(cl, in, it, ex);
	classifier_free(&cl);
	return r;
}

static struct ruleset *rs;

static int
setup(void **state)
{
	char *err = NULL;

	(void)state;
	if (rules_load("filters", &rs, &err) < 0) {
		fprintf(stderr, "# %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rules_free(&rs);
	return 0;
}

/* Checks that the item gets exactly the labels in want ("a,b" in category
 * order, "" for none); shows the explanation when it does not. */
static void
check(const char *want, const char *title, const char *text,
    const char *subject, const char *from)
{
	struct classify_input in = { title, text, subject, from };
	struct buf got = BUF_INIT(0), ex = BUF_INIT(0);
	struct item it = { 0 };
	size_t i;

	assert_int_equal(classify_rs(rs, &in, &it, &ex), 0);
	buf_addstr(&got, "");
	for (i = 0; i < it.n_labels; i++)
		buf_printf(&got, "%s%s", i ? "," : "", it.labels[i].id);
	if (strcmp(got.data, want) != 0)
		fail_msg("'%s': want '%s', got '%s'\n%s", title, want, got.data,
		    ex.data ? ex.data : "");
	free(it.labels);
	buf_free(&got);
	buf_free(&ex);
}

static void
test_shipped_set(void **state)
{
	(void)state;
	assert_true(rules_ncategories(rs) >= 7);
	assert_true(rules_category_find(rs, "nao") >= 0);
	assert_true(rules_category_find(rs, "pac") >= 0);
	assert_true(rules_category_find(rs, "branch-report") >= 0);
	assert_true(rules_category_find(rs, "hmip") >= 0);
	assert_true(rules_category_find(rs, "union-news") >= 0);
	assert_true(rules_category_find(rs, "press") >= 0);
	assert_true(rules_category_find(rs, "consultation") >= 0);
}

static void
test_nao(void **state)
{
	(void)state;
	check("nao", "Auditors question the cost of probation contracts",
	    "The National Audit Office has published a study of how "
	    "rehabilitation contracts were let. The NAO found that the "
	    "ministry could not show what it had bought, and the NAO "
	    "estimates that oversight cost more than planned.",
	    NULL, "Audit Watch <news@example.org>");
	check("nao", "NAO: probation caseloads still too high",
	    "Officers carry more cases than the ministry's own target.",
	    NULL, NULL);
	/* Passing mentions. */
	check("", "Staff survey shows low morale",
	    "Their findings build on an NAO report from two years ago, "
	    "which looked at workloads in the service.", NULL, NULL);
	check("", "Minister visits approved premises",
	    "Staffing remains a worry, as the NAO noted last year.", NULL,
	    NULL);
	check("", "Office move for the Cardiff team",
	    "Naomi from the Nao Valley office and a dinao project.", NULL,
	    NULL);
}

static void
test_pac(void **state)
{
	(void)state;
	check("pac", "MPs grill officials over electronic tagging",
	    "At a Public Accounts Committee evidence session on Monday, "
	    "the permanent secretary told MPs the tagging backlog had been "
	    "cleared. The committee chair asked when the PAC would get "
	    "the figures.", NULL, NULL);
	check("pac", "Public Accounts Committee report on prison places",
	    "The report sets out six recommendations.", NULL, NULL);
	check("", "Probation staffing debate",
	    "Members raised the issue, building on a Public Accounts "
	    "Committee report.", NULL, NULL);
}

static void
test_hmip(void **state)
{
	(void)state;
	check("hmip", "An inspection of probation services in the North West",
	    "HM Inspectorate of Probation has rated the region as "
	    "Requires improvement. Inspectors found that risk assessments "
	    "were late in half the cases we looked at.", NULL, NULL);
	check("hmip", "Annual report on the service",
	    "The Chief Inspector of Probation said the service was "
	    "stretched. The Inspectorate of Probation published ratings "
	    "for each region, and two were rated Inadequate.", NULL, NULL);
	check("", "Recruitment fair next month",
	    "Improvement in recruitment requires patience.", NULL, NULL);
}

static void
test_branch(void **state)
{
	(void)state;
	check("branch-report", "Branch report: November",
	    "Dear members, the branch executive met last week. Your "
	    "branch secretary will circulate the minutes.", NULL,
	    "Napo Example Branch <branch@example.org>");
	check("branch-report", "Notes from our meeting",
	    "Dear members,\n\nThe branch AGM will be held on the 3rd. "
	    "Motions to the AGM are welcome.\n\nIn solidarity, the branch "
	    "secretary", NULL, NULL);
}

static void
test_two_categories(void **state)
{
	(void)state;
	check("branch-report,union-news", "Branch report: pay ballot",
	    "Dear members, the national pay offer is out and Napo is "
	    "balloting members on industrial action. The branch secretary "
	    "urges everyone to vote.", NULL, NULL);
	check("nao,pac", "Public Accounts Committee to examine NAO findings",
	    "The National Audit Office published its report on "
	    "probation in March.", NULL, NULL);
}

static void
test_other_categories(void **state)
{
	(void)state;
	check("union-news", "Napo conference backs pay claim",
	    "Delegates at the annual conference voted for a new pay claim "
	    "and a strike ballot if talks fail.", NULL, NULL);
	check("press", "Press release: union warns of court backlog",
	    "For immediate release. The union said delays hurt victims.\n\n"
	    "Notes to editors: figures are from the ministry.", NULL, NULL);
	check("press", "Probation in the press this week",
	    "A round of coverage on hostel closures.", NULL, NULL);
	check("press", "Union comments on new figures",
	    "The general secretary told the Guardian the figures were "
	    "alarming. For immediate release.", NULL,
	    "Union Press Office <press@example.org>");
	check("consultation", "Call for evidence: unpaid work",
	    "Responses are invited by the end of the month.", NULL, NULL);
	check("consultation", "Consultation on probation supervision fees",
	    "The Ministry of Justice consultation closes on 1 March.", NULL,
	    NULL);
	check("consultation", "Have your say",
	    "The MoJ has issued a call for evidence on community sentences; "
	    "the consultation period ends in spring.", NULL, NULL);
}

static void
test_unrelated(void **state)
{
	(void)state;
	check("", "Bake sale on Friday",
	    "Bring cakes to the staff room. All proceeds to the food bank.",
	    NULL, "Social committee <social@example.org>");
	check("", "x", NULL, NULL, NULL);
	check("", "x", "", "", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_set),
		cmocka_unit_test(test_nao),
		cmocka_unit_test(test_pac),
		cmocka_unit_test(test_hmip),
		cmocka_unit_test(test_branch),
		cmocka_unit_test(test_two_categories),
		cmocka_unit_test(test_other_categories),
		cmocka_unit_test(test_unrelated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
