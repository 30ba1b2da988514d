/*
 * fuzz_rules.c - the rule-file parser (rules.c) and, when a set loads,
 * its compilation for Vectorscan and PCRE2 (classify.c) and one item
 * classified with --explain.  The input is up to three files separated
 * by a line "--8<--": a.rules, b.rules and x.inc (which either may
 * include), in a directory that also holds the shipped passing.inc.
 * Checks that a failed load says why, in at most RULES_MAX_ERRORS
 * lines, and that labels are categories of the set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "fuzz.h"
#include "rules.h"
#include "split.h"
#include "util.h"

static char *dir;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *src, *inc, *p;
	size_t len = 0;
	FILE *f;

	(void)argc;
	(void)argv;
	fuzz_init();
	dir = xasprintf("%s/rules", fuzz_tmpdir());
	if (mkdir(dir, 0700) < 0)
		fuzz_fail(__FILE__, __LINE__, "cannot make the rules directory");
	src = fuzz_src("filters/passing.inc");
	inc = xmalloc(1 << 16);
	if ((f = fopen(src, "rb"))) {
		len = fread(inc, 1, 1 << 16, f);
		fclose(f);
	}
	p = fuzz_write("rules/passing.inc", inc, len);
	free(p);
	free(inc);
	free(src);
	return 0;
}

static void
put(const char *name, const uint8_t *data, size_t len, int present)
{
	char *path;

	if (!present) {
		path = xasprintf("%s/%s", fuzz_tmpdir(), name);
		unlink(path);
	} else {
		path = fuzz_write(name, data, len);
	}
	free(path);
}

static void
classify_one(struct ruleset *rs)
{
	static const struct classify_input in = {
		.title = "National Audit Office report on probation caseloads",
		.text = "The NAO published its findings today: Napo members "
		    "in every region report unpaid work backlogs.\n\n"
		    "The Public Accounts Committee will hold a consultation.",
		.subject = "[napo-news] Branch report: NAO and PAC",
		.from = "Napo News <news@napo.example>",
	};
	struct classifier *cl = classifier_new(rs);
	struct buf explain = BUF_INIT(0);
	struct item it;
	size_t k;

	if (!cl)
		return;
	memset(&it, 0, sizeof(it));
	if (classify_item(cl, &in, &it, &explain) == 0)
		for (k = 0; k < it.n_labels; k++)
			FUZZ_CHECK(rules_category_find(rs, it.labels[k].id) >=
			    0, "label not a category");
	free(it.labels);
	buf_free(&explain);
	classifier_free(&cl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "rules/a.rules",
		"rules/b.rules", "rules/x.inc" };
	const uint8_t *part;
	size_t plen, i, lines;
	struct ruleset *rs = NULL;
	char *err = NULL;

	for (i = 0; i < 3; i++) {
		int got = fuzz_next_part(&data, &size, "\n--8<--\n", &part,
		    &plen);

		put(names[i], part, plen, got);
	}
	if (rules_load(dir, &rs, &err) == 0) {
		FUZZ_CHECK(rs != NULL, "loaded without a rule set");
		classify_one(rs);
		rules_free(&rs);
	} else {
		FUZZ_CHECK(err && *err, "failed without a reason");
		for (i = 0, lines = 1; err[i]; i++)
			lines += err[i] == '\n';
		FUZZ_CHECK(lines <= 100, "more than RULES_MAX_ERRORS lines");
	}
	free(err);
	return 0;
}
