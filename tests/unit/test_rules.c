/* test_rules.c - the rule language: parsing, errors, matching semantics. */
#include "unit.h"

#include <unistd.h>

#include "classify.h"
#include "rules.h"
#include "util.h"

#define RDIR FIXTURES "rules/"

/* Writes text to a temporary file and loads it; fails the test on error. */

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

static struct ruleset *
load_text(const char *text)
{
	char path[] = "/tmp/test_rules_XXXXXX";
	struct ruleset *rs = NULL;
	char *err = NULL;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (rules_load(path, &rs, &err) < 0) {
		unlink(path);
		fail_msg("load failed: %s", err);
	}
	unlink(path);
	assert_null(err);
	return rs;
}

/* Loads a file expected to be broken; returns the error text. */
static char *
load_bad(const char *path)
{
	struct ruleset *rs = NULL;
	char *err = NULL;

	assert_int_equal(rules_load(path, &rs, &err), -1);
	assert_null(rs);
	assert_non_null(err);
	return err;
}

static void
assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected '%s' in:\n%s", needle, hay);
}

static size_t
count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Score of category id for the input, or -1 when not labelled. */
static int
score_in(struct ruleset *rs, const char *id, const char *title,
    const char *text, const char *subject, const char *from)
{
	struct classify_input in = { title, text, subject, from };
	struct item it = { 0 };
	int score = -1;
	size_t i;

	assert_int_equal(classify_rs(rs, &in, &it, NULL), 0);
	for (i = 0; i < it.n_labels; i++)
		if (strcmp(it.labels[i].id, id) == 0)
			score = it.labels[i].score;
	free(it.labels);
	return score;
}

static int
score_text(struct ruleset *rs, const char *text)
{
	return score_in(rs, "t", NULL, text, NULL, NULL);
}

static void
test_good_dir(void **state)
{
	struct ruleset *rs = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(rules_load(RDIR "good", &rs, &err), 0);
	assert_null(err);
	assert_int_equal(rules_ncategories(rs), 2);
	assert_int_equal(rules_count(rs), 5);
	assert_string_equal(rules_category_id(rs, 0), "alpha");
	assert_string_equal(rules_category_name(rs, 0), "Alpha things");
	assert_string_equal(rules_category_id(rs, 1), "beta-2");
	assert_string_equal(rules_category_name(rs, 1), "beta-2");
	assert_int_equal(rules_category_find(rs, "beta-2"), 1);
	assert_int_equal(rules_category_find(rs, "gamma"), -1);
	/* The included rule belongs to alpha. */
	assert_int_equal(score_in(rs, "alpha", NULL,
	    "a shared  phrase and ALF", NULL, NULL), -1);
	assert_int_equal(score_in(rs, "alpha", "Alpha Report", NULL,
	    "alpha report", NULL), 5);
	assert_int_equal(score_in(rs, "alpha", "Alpha Report",
	    "shared phrase, ALF ALF ALF ALF, beta gamma", NULL, NULL),
	    5 + 1 + 6 - 1);
	assert_int_equal(score_in(rs, "beta-2", NULL, NULL, NULL,
	    "Beta List <beta@example.org>"), 3);
	rules_free(&rs);
	assert_null(rs);
	rules_free(&rs);
}

static void
test_single_file(void **state)
{
	struct ruleset *rs = NULL;
	char *err = NULL;

	(void)state;
	assert_int_equal(rules_load(RDIR "good/b-second.rules", &rs, &err), 0);
	assert_int_equal(rules_ncategories(rs), 1);
	rules_free(&rs);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
		{ "keyword.rules", "keyword.rules:3: unknown keyword 'phrasee'" },
		{ "weight.rules", "weight.rules:4: bad weight '5'" },
		{ "weight.rules", "weight.rules:5: bad weight '+x'" },
		{ "weight.rules", "weight.rules:6: bad weight '+1001'" },
		{ "quote.rules", "quote.rules:5: unterminated quote" },
		{ "regex.rules", "regex.rules:4: bad regex: missing closing "
		    "parenthesis at offset 17" },
		{ "regex.rules", "regex.rules:5: regex can match the empty" },
		{ "before.rules", "before.rules:2: word rule before any category" },
		{ "duplicate.rules", "duplicate.rules:5: duplicate category 'one' "
		    "(first at " RDIR "bad/duplicate.rules:1)" },
		{ "include.rules", "include.rules:4: cannot include '" RDIR
		    "bad/does-not-exist.inc': No such file or directory" },
		{ "empty.rules", "empty.rules:4: category 'empty-one' has no "
		    "rules" },
		{ "cycle-a.rules", "cycle-b.inc:2: include cycle: '" RDIR
		    "bad/cycle-a.rules' is already being read" },
	};
	size_t i;
	char *err, *path;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		path = xasprintf(RDIR "bad/%s", cases[i].file);
		err = load_bad(path);
		assert_has(err, cases[i].want);
		/* Every line is FILE:LINE: message. */
		assert_true(strncmp(err, RDIR "bad/", strlen(RDIR "bad/")) == 0);
		free(err);
		free(path);
	}
	err = load_bad(RDIR "bad/weight.rules");
	assert_int_equal(count_lines(err), 3);
	free(err);
}

static void
test_errors_collected(void **state)
{
	char *err;

	(void)state;
	err = load_bad(RDIR "bad/many.rules");
	assert_has(err, "many.rules:1: bad category id 'Bad_Id'");
	assert_has(err, "many.rules:3: bad threshold 'zero'");
	assert_has(err, "many.rules:4: unknown field 'nowhere'");
	assert_has(err, "many.rules:5: bad max '0'");
	assert_has(err, "many.rules:6: word rule has no pattern");
	assert_has(err, "many.rules:7: regex must be written /like this/");
	assert_has(err, "many.rules:2: category 'ok' has no rules");
	assert_has(err, "many.rules:2: category 'ok' has no threshold");
	assert_int_equal(count_lines(err), 8);
	assert_true(err[strlen(err) - 1] != '\n');
	free(err);
	err = load_bad(RDIR "does-not-exist");
	assert_has(err, "does-not-exist: cannot read: No such file");
	free(err);
	err = load_bad(RDIR "bad/cycle-b.inc");
	assert_has(err, "rule before any category");
	free(err);
}

/* A chain of includes in a fresh directory: dir/f0.rules includes f1.inc,
 * which includes f2.inc, ... up to f<n>.inc. */
static char *
make_chain(char *dir, int n, int loop_back)
{
	char *path;
	FILE *f;
	int i;

	assert_non_null(mkdtemp(dir));
	for (i = 0; i <= n; i++) {
		path = i ? xasprintf("%s/f%d.inc", dir, i) :
		    xasprintf("%s/f0.rules", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		if (i == 0)
			fputs("category t\nthreshold 1\n", f);
		fprintf(f, "word text +1 w%d\n", i);
		if (i < n)
			fprintf(f, "include f%d.inc\n", i + 1);
		else if (loop_back)
			fputs("include f1.inc\n", f);
		fclose(f);
		free(path);
	}
	return xasprintf("%s/f0.rules", dir);
}

static void
remove_chain(const char *dir, int n)
{
	char *path;
	int i;

	for (i = 0; i <= n; i++) {
		path = i ? xasprintf("%s/f%d.inc", dir, i) :
		    xasprintf("%s/f0.rules", dir);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

static void
test_include_limits(void **state)
{
	char dir[] = "/tmp/test_rules_inc_XXXXXX";
	struct ruleset *rs = NULL;
	char *path, *err = NULL;

	(void)state;
	/* Eight levels are fine. */
	path = make_chain(dir, 8, 0);
	assert_int_equal(rules_load(path, &rs, &err), 0);
	assert_int_equal(rules_count(rs), 9);
	assert_int_equal(score_text(rs, "w8"), 1);
	rules_free(&rs);
	remove_chain(dir, 8);
	free(path);
	/* Nine are not. */
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	path = make_chain(dir, 9, 0);
	err = load_bad(path);
	assert_has(err, "f8.inc:2: includes nested deeper than 8");
	free(err);
	remove_chain(dir, 9);
	free(path);
	/* A loop deep down is a cycle. */
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	path = make_chain(dir, 3, 1);
	err = load_bad(path);
	assert_has(err, "f3.inc:2: include cycle: '");
	assert_has(err, "/f1.inc' is already being read");
	assert_int_equal(count_lines(err), 1);
	free(err);
	remove_chain(dir, 3);
	free(path);
}

static void
test_case_flag(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\nword text +1 case NAO\n");
	assert_int_equal(score_text(rs, "the NAO said"), 1);
	assert_int_equal(score_text(rs, "NAO"), 1);
	assert_int_equal(score_text(rs, "the Nao said"), -1);
	assert_int_equal(score_text(rs, "the nao said"), -1);
	assert_int_equal(score_text(rs, "dinao and DINAO"), -1);
	rules_free(&rs);
	rs = load_text("category t\nthreshold 1\nword text +1 nao\n");
	assert_int_equal(score_text(rs, "the Nao said"), 1);
	assert_int_equal(score_text(rs, "NAO’s report"), 1);
	assert_int_equal(score_text(rs, "dinao"), -1);
	assert_int_equal(score_text(rs, "naomi"), -1);
	assert_int_equal(score_text(rs, "éNAO"), -1);
	rules_free(&rs);
	/* A phrase is a substring match: no boundaries. */
	rs = load_text("category t\nthreshold 1\nphrase text +1 nao\n");
	assert_int_equal(score_text(rs, "dinao"), 1);
	rules_free(&rs);
}

static void
test_word_boundaries(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "word text +1 \"pay award\"\n"
	    "word text +10 £5\n");
	assert_int_equal(score_text(rs, "the pay award."), 1);
	assert_int_equal(score_text(rs, "(pay award)"), 1);
	assert_int_equal(score_text(rs, "the pay awards"), -1);
	assert_int_equal(score_text(rs, "prepay award"), -1);
	assert_int_equal(score_text(rs, "“pay\naward”"), 1);
	/* Only the word-character end of "£5" needs a boundary. */
	assert_int_equal(score_text(rs, "a£5 rise"), 10);
	assert_int_equal(score_text(rs, "£50"), -1);
	rules_free(&rs);
}

static void
test_phrase_spacing(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "phrase text +1 \"National Audit Office\"\n"
	    "phrase text +2 \"the office's view\"\n"
	    "phrase text +4 \"(a.b)*\"\n");
	assert_int_equal(score_text(rs, "the National\nAudit  \t Office"), 1);
	assert_int_equal(score_text(rs, "National\r\n\r\nAudit Office"), 1);
	assert_int_equal(score_text(rs, "NationalAudit Office"), -1);
	assert_int_equal(score_text(rs, "the office’s view"), 2);
	assert_int_equal(score_text(rs, "The Office's View"), 2);
	/* Regex characters in a phrase are literal. */
	assert_int_equal(score_text(rs, "x (a.b)* y"), 4);
	assert_int_equal(score_text(rs, "ab"), -1);
	rules_free(&rs);
}

/*
 * A phrase's space matches a run of any length, of any white space: also
 * past the few characters the text's faster database takes (classify.c,
 * ws_short), at every offset of its sixteen-byte blocks, and when the
 * long run is elsewhere in the text.
 */
static void
test_phrase_long_space(void **state)
{
	static const char *const spaces[] = {
		" ", "\t", "\n", "\r\n", "\xc2\xa0", "\xe2\x80\x83",
		"\xe3\x80\x80", "\xe1\x9a\x80",
	};
	struct ruleset *rs;
	struct buf t = BUF_INIT(0), run = BUF_INIT(0);
	size_t k, n, pad, i;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "phrase text +1 max 9 \"audit office\"\n"
	    "word text +100 \"pay award\"\n");
	for (k = 0; k < ARRAY_SIZE(spaces); k++) {
		for (n = 1; n <= 9; n++) {
			buf_reset(&run);
			for (i = 0; i < n; i++)
				buf_addstr(&run, spaces[k]);
			/* the run in a block, across two, and in the tail */
			for (pad = 0; pad < 40; pad++) {
				buf_reset(&t);
				for (i = 0; i < pad; i++)
					buf_addc(&t, 'x');
				buf_printf(&t, " audit%soffice", run.data);
				if (score_text(rs, t.data) != 1)
					fail_msg("space %zu x%zu at %zu: %d", k,
					    n, pad, score_text(rs, t.data));
				buf_reset(&t);
				for (i = 0; i < pad; i++)
					buf_addc(&t, 'x');
				buf_printf(&t, " pay%saward.", run.data);
				if (score_text(rs, t.data) != 100)
					fail_msg("word: space %zu x%zu at %zu",
					    k, n, pad);
			}
		}
	}
	/* every character Vectorscan takes for white space (a match with
	 * one of it) is one ws_short() knows (a match with nine) */
	for (i = 1; i < 0x3100; i++) {
		char one[16], nine[64];
		unsigned char u[4];
		size_t m = 0, j, o;

		if (i >= 0xd800 && i < 0xe000)
			continue;
		if (i < 0x80) {
			u[m++] = (unsigned char)i;
		} else if (i < 0x800) {
			u[m++] = (unsigned char)(0xc0 | i >> 6);
			u[m++] = (unsigned char)(0x80 | (i & 0x3f));
		} else {
			u[m++] = (unsigned char)(0xe0 | i >> 12);
			u[m++] = (unsigned char)(0x80 | (i >> 6 & 0x3f));
			u[m++] = (unsigned char)(0x80 | (i & 0x3f));
		}
		memcpy(one, "audit", 5);
		memcpy(one + 5, u, m);
		memcpy(one + 5 + m, "office", 7);
		memcpy(nine, "audit", 5);
		for (j = 0, o = 5; j < 9; j++, o += m)
			memcpy(nine + o, u, m);
		memcpy(nine + o, "office", 7);
		if (score_text(rs, one) != score_text(rs, nine))
			fail_msg("U+%04zX: %d once, %d nine times", i,
			    score_text(rs, one), score_text(rs, nine));
	}
	/* the long run elsewhere; the phrase's own space is short */
	assert_int_equal(score_text(rs, "audit office\n\n\n\n\n\n\n"
	    "audit office, audit\t\t\toffice"), 3);
	assert_int_equal(score_text(rs, "audit\xc2\xa0office \xe2\x80\x83 "
	    "audit office"), 2);
	assert_int_equal(score_text(rs, "audit   ,   office"), -1);
	buf_free(&t);
	buf_free(&run);
	rules_free(&rs);
}

static void
test_max_hits(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "word text +2 max 3 case NAO\n"
	    "phrase text,title +5 \"audit\"\n"
	    "regex text +1 max 10 /[0-9]+ staff/\n");
	assert_int_equal(score_text(rs, "NAO"), 2);
	assert_int_equal(score_text(rs, "NAO NAO"), 4);
	assert_int_equal(score_text(rs, "NAO NAO NAO NAO NAO"), 6);
	assert_int_equal(score_text(rs, "NAO dinao NAO"), 4);
	/* Without max a rule counts once, over all its fields. */
	assert_int_equal(score_in(rs, "t", "audit audit", "audit audit",
	    NULL, NULL), 5);
	/* A regex occurrence counts once however many ends it has. */
	assert_int_equal(score_text(rs, "12345 staff and 6 staff"), 2);
	rules_free(&rs);
}

static void
test_fields(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "phrase title +1 x-title\n"
	    "phrase text +2 x-text\n"
	    "phrase subject +4 x-subject\n"
	    "phrase from +8 x-from\n"
	    "phrase any +16 x-any\n");
	/* Each rule reads its own fields only. */
	assert_int_equal(score_in(rs, "t", "x-title x-text", "x-subject",
	    "x-from", "x-title"), 1);
	assert_int_equal(score_in(rs, "t", "x-title", "x-text", "x-subject",
	    "x-from <a@b>"), 15);
	assert_int_equal(score_in(rs, "t", NULL, NULL, NULL, "x-any"), 16);
	rules_free(&rs);
}

/* lead: the first CLASSIFY_LEAD_BYTES of the text, cut at a space; "any"
 * does not include it, so nothing counts twice. */
static void
test_lead(void **state)
{
	struct ruleset *rs;
	char text[1200];
	size_t i;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "phrase lead +1 early\n"
	    "phrase lead +4 late\n"
	    "word any +16 early\n");
	for (i = 0; i + 6 < sizeof(text); i += 6)
		memcpy(text + i, "words ", 6);
	memcpy(text, "early ", 6);
	memcpy(text + 900, "late  ", 6);
	text[i] = '\0';
	assert_int_equal(score_text(rs, text), 17);
	/* a word cut by the lead's end is not seen there */
	memcpy(text + 316, "lateness ", 9);
	assert_int_equal(score_text(rs, text), 17);
	rules_free(&rs);
}

/* The compiled databases kept in a file give the same results, and a
 * damaged or stale file only means a compile. */
static void
test_cache(void **state)
{
	char dir[] = "/tmp/test_rules_cacheXXXXXX", path[64], rpath[64];
	static const char *const texts[] = {
		"The National Audit Office found costs rose",
		"nothing here", "dinao and NAO",
	};
	int want[ARRAY_SIZE(texts)], round;
	struct ruleset *rs;
	char *err = NULL;
	FILE *f;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache", dir);
	snprintf(rpath, sizeof(rpath), "%s/t.rules", dir);
	f = fopen(rpath, "w");
	assert_non_null(f);
	fputs("category t\nthreshold 1\nphrase text +2 \"audit office\"\n"
	    "word text +3 case NAO\nregex text +5 /(costs|prices) rose/\n"
	    "regex text +7 /(\\w)\\1x/\n", f);
	fclose(f);
	for (round = 0; round < 4; round++) {
		if (round == 2) {
			/* damage the file */
			f = fopen(path, "r+");
			assert_non_null(f);
			fseek(f, 40, SEEK_SET);
			fputs("garbage garbage garbage", f);
			fclose(f);
		}
		if (round == 3)
			truncate(path, 30);
		assert_int_equal(rules_load(rpath, &rs, &err), 0);
		rules_set_cache(rs, path);
		for (i = 0; i < ARRAY_SIZE(texts); i++) {
			int got = score_text(rs, texts[i]);

			if (round == 0)
				want[i] = got;
			else
				assert_int_equal(got, want[i]);
		}
		rules_free(&rs);
		assert_int_equal(access(path, R_OK), 0);
	}
	assert_int_equal(want[0], 7);
	assert_int_equal(want[2], 3);
	unlink(path);
	rmdir(dir);
}

/* The engines kept in the cache belong to the rule set they were picked
 * for: when the rules change under the same file, each is placed anew. */
static void
test_cache_rules_changed(void **state)
{
	char dir[] = "/tmp/test_rules_cacheXXXXXX", path[64], rpath[64];
	static const char *const sets[] = {
		"category t\nthreshold 1\nregex text +5 /(\\w)\\1x/\n"
		"regex text +7 /costs rose/\nword text +1 NAO\n",
		"category t\nthreshold 1\nregex text +7 /costs rose/\n"
		"regex text +5 /(\\w)\\1x/\nword text +1 NAO\n",
	};
	static const struct {
		const char *text;
		int score;
	} want[] = {
		{ "aax", 5 }, { "the costs rose", 7 },
		{ "aax and costs rose, NAO", 13 }, { "nothing here", -1 },
	};
	struct ruleset *rs;
	char *err = NULL;
	FILE *f;
	size_t i;
	int round;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache", dir);
	snprintf(rpath, sizeof(rpath), "%s/t.rules", dir);
	for (round = 0; round < 4; round++) {
		f = fopen(rpath, "w");
		assert_non_null(f);
		fputs(sets[round % 2], f);
		fclose(f);
		assert_int_equal(rules_load(rpath, &rs, &err), 0);
		rules_set_cache(rs, path);
		for (i = 0; i < ARRAY_SIZE(want); i++)
			assert_int_equal(score_text(rs, want[i].text),
			    want[i].score);
		rules_free(&rs);
		assert_int_equal(access(path, R_OK), 0);
	}
	unlink(path);
	unlink(rpath);
	rmdir(dir);
}

static void
test_pcre_fallback(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\n"
	    "regex text +5 /\\b(\\w+) \\1\\b/\n"
	    "regex text +20 max 2 case /(?<=HM )Inspectorate/\n"
	    "regex text +100 /\\bNAO\\b/\n");
	assert_int_equal(score_text(rs, "said the the report"), 5);
	assert_int_equal(score_text(rs, "said the report"), -1);
	assert_int_equal(score_text(rs, "the inspectorate"), -1);
	assert_int_equal(score_text(rs, "HM Inspectorate and HM Inspectorate "
	    "and HM Inspectorate"), 40);
	/* \b in a regex (Vectorscan without UCP) still bounds words. */
	assert_int_equal(score_text(rs, "dinao"), -1);
	assert_int_equal(score_text(rs, "the nao"), 100);
	rules_free(&rs);
}

static void
test_negative_and_threshold(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 5\n"
	    "word text +5 report\n"
	    "word text +4 audit\n"
	    "phrase text -3 \"in passing\"\n");
	assert_int_equal(score_text(rs, "a report"), 5);
	assert_int_equal(score_text(rs, "an audit"), -1);
	assert_int_equal(score_text(rs, "a report, in passing"), -1);
	assert_int_equal(score_text(rs, "a report and audit, in passing"), 6);
	rules_free(&rs);
}

static void
test_explain(void **state)
{
	struct ruleset *rs;
	struct buf ex = BUF_INIT(0);
	struct classify_input in = { "National Audit Office report",
		"The NAO found it. NAO again.", NULL, NULL };
	struct item it = { 0 };

	(void)state;
	rs = load_text("category nao \"NAO\"\nthreshold 10\n"
	    "phrase title,subject +10 \"National Audit Office\"\n"
	    "word text +3 max 3 case NAO\n"
	    "category pac\nthreshold 10\n"
	    "word text +4 found\n"
	    "category none\nthreshold 1\n"
	    "word text +1 absent\n");
	assert_int_equal(classify_rs(rs, &in, &it, &ex), 0);
	assert_int_equal(it.n_labels, 1);
	assert_string_equal(it.labels[0].id, "nao");
	assert_int_equal(it.labels[0].score, 16);
	assert_has(ex.data, ":3 phrase title,subject \"National Audit Office\" "
	    "+10 x1\n");
	assert_has(ex.data, ":4 word text \"NAO\" +3 x2\n");
	assert_has(ex.data, "  nao: 16 >= 10 \xe2\x86\x92 label\n");
	assert_has(ex.data, "  pac: 4 < 10\n");
	assert_null(strstr(ex.data, "none"));
	/* Labels are replaced, not added to. */
	in.title = "x";
	in.text = "nothing";
	assert_int_equal(classify_rs(rs, &in, &it, NULL), 0);
	assert_int_equal(it.n_labels, 0);
	assert_null(it.labels);
	buf_free(&ex);
	rules_free(&rs);
}

static void
test_bad_utf8_input(void **state)
{
	struct ruleset *rs;

	(void)state;
	rs = load_text("category t\nthreshold 1\nword text +1 probation\n");
	assert_int_equal(score_text(rs, "\xff\xfe probation \xc3"), 1);
	assert_int_equal(score_text(rs, "\xed\xa0\x80probation"), 1);
	rules_free(&rs);
}

static void
test_many_rules(void **state)
{
	struct buf b = BUF_INIT(0);
	struct ruleset *rs;
	size_t i;

	(void)state;
	for (i = 0; i < 50; i++) {
		buf_printf(&b, "category c%zu\nthreshold 3\n", i);
		buf_printf(&b, "word text +1 max 5 term%zua\n", i);
		buf_printf(&b, "phrase title +2 \"title phrase %zu\"\n", i);
		buf_printf(&b, "regex text +3 /rx%zu-[0-9]+/\n", i);
		buf_printf(&b, "word any -1 case NEG%zu\n", i);
		buf_printf(&b, "phrase text,subject +1 \"shared %zu words\"\n",
		    i);
		buf_printf(&b, "word text +1 w%zu-1\nword text +1 w%zu-2\n", i,
		    i);
		buf_printf(&b, "word text +1 w%zu-3\nword text +1 w%zu-4\n", i,
		    i);
		buf_printf(&b, "regex text +1 /(x%zu)\\1/\n", i);
	}
	rs = load_text(b.data);
	assert_int_equal(rules_count(rs), 500);
	assert_int_equal(rules_ncategories(rs), 50);
	assert_int_equal(score_in(rs, "c7", NULL, "term7a term7a term7a",
	    NULL, NULL), 3);
	assert_int_equal(score_in(rs, "c7", NULL, "term7a term7a term7a NEG7",
	    NULL, NULL), -1);
	assert_int_equal(score_in(rs, "c42", "Title Phrase 42", "rx42-9",
	    NULL, NULL), 5);
	assert_int_equal(score_in(rs, "c4", "Title Phrase 42", "rx42-9",
	    NULL, NULL), -1);
	assert_int_equal(score_in(rs, "c49", NULL, "x49x49 w49-1 w49-4",
	    NULL, NULL), 3);
	assert_int_equal(score_in(rs, "c1", NULL, "w1-1 w1-2 w1-3 w1-4 "
	    "w1-5", NULL, NULL), 4);
	buf_free(&b);
	rules_free(&rs);
}

/* put DIR/NAME with text */
static void
put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* A local directory over a shipped one: same name replaces (an empty
 * file switches off), new names add, includes prefer the local file. */
static void
test_layered(void **state)
{
	char shipped[] = "/tmp/test_rules_shipXXXXXX";
	char local[] = "/tmp/test_rules_localXXXXXX";
	struct ruleset *rs = NULL;
	char *err = NULL, *cmd;

	(void)state;
	assert_non_null(mkdtemp(shipped));
	assert_non_null(mkdtemp(local));
	put(shipped, "10-a.rules", "category a\nthreshold 1\n"
	    "include common.inc\n");
	put(shipped, "common.inc", "word text +1 shippedword\n");
	put(shipped, "20-b.rules", "category b\nthreshold 1\n"
	    "word text +1 bee\n");
	put(shipped, "30-c.rules", "category c\nthreshold 1\n"
	    "word text +1 sea\n");
	put(local, "20-b.rules", "");
	put(local, "common.inc", "word text +1 localword\n");
	put(local, "40-d.rules", "category d\nthreshold 1\n"
	    "word text +1 dee\n");
	assert_int_equal(rules_load_layered(shipped, local, &rs, &err), 0);
	assert_null(err);
	assert_int_equal(rules_ncategories(rs), 3);
	assert_string_equal(rules_category_id(rs, 0), "a");
	assert_string_equal(rules_category_id(rs, 1), "c");
	assert_string_equal(rules_category_id(rs, 2), "d");
	assert_int_equal(score_in(rs, "a", NULL, "localword", NULL, NULL), 1);
	assert_int_equal(score_in(rs, "a", NULL, "shippedword", NULL, NULL),
	    -1);
	rules_free(&rs);
	/* a local directory that is not there is an error, not silence */
	cmd = xasprintf("rm -rf %s", local);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rules_load_layered(shipped, local, &rs, &err), -1);
	assert_non_null(strstr(err, "cannot open directory"));
	free(err);
	free(cmd);
	cmd = xasprintf("rm -rf %s", shipped);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_dir),
		cmocka_unit_test(test_single_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_include_limits),
		cmocka_unit_test(test_case_flag),
		cmocka_unit_test(test_lead),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_rules_changed),
		cmocka_unit_test(test_word_boundaries),
		cmocka_unit_test(test_phrase_spacing),
		cmocka_unit_test(test_phrase_long_space),
		cmocka_unit_test(test_max_hits),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_pcre_fallback),
		cmocka_unit_test(test_negative_and_threshold),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_bad_utf8_input),
		cmocka_unit_test(test_many_rules),
		cmocka_unit_test(test_layered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
