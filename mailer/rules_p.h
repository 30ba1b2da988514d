/*
 * rules_p.h - the rule set as rules.c builds it and classify.c compiles
 * and scans it.  Private to those two files.
 */
#ifndef BULLETIN_RULES_P_H
#define BULLETIN_RULES_P_H

#include <stddef.h>

#include "util.h"

/* Ceilings on what a rule set may hold; past them the load fails. */
#define RULES_MAX_RULES     20000
#define RULES_MAX_CATS      500
#define RULES_MAX_FILES     1000
#define RULES_MAX_DEPTH     8        /* include nesting */
#define RULES_MAX_LINE      4096
#define RULES_MAX_PATTERN   1024
#define RULES_MAX_FILE_SIZE (1u << 20)
#define RULES_MAX_ERRORS    100
#define RULES_MAX_WEIGHT    1000
#define RULES_MAX_HITS      1000     /* "max N" */
#define RULES_MAX_THRESHOLD 100000
#define RULES_MAX_ID        64

enum rule_kind { RULE_PHRASE, RULE_WORD, RULE_REGEX };

/* FIELD_LEAD is the start of the text (CLASSIFY_LEAD_BYTES): news writing
 * names its subject there, a passing mention comes later.  "any" covers
 * the fields before it, so a rule on "any" never counts the lead twice. */
enum rule_field {
	FIELD_TITLE, FIELD_TEXT, FIELD_SUBJECT, FIELD_FROM, FIELD_LEAD, FIELD_N
};
#define FIELDS_ANY ((1u << FIELD_LEAD) - 1)
#define CLASSIFY_LEAD_BYTES 320

struct rule {
	enum rule_kind kind;
	unsigned fields;        /* 1u << enum rule_field, at least one */
	int weight;             /* non-zero */
	unsigned max;           /* hits counted, over all fields; >= 1 */
	int caseful;            /* "case" given */
	char *pattern;          /* phrase/word text or regex source; owned */
	const char *file;       /* borrowed from ruleset.files */
	unsigned line;
	size_t cat;             /* index into ruleset.cats */
};

struct category {
	char *id;               /* [a-z0-9-]+; owned */
	char *name;             /* owned; the id when none given */
	long threshold;
	int has_threshold;
	const char *file;       /* where declared; borrowed */
	unsigned line;
	size_t nrules;
};

struct matcher;                 /* classify.c */

struct ruleset {
	struct category *cats;
	size_t ncats, capcats;
	struct rule *rules;
	size_t nrules, caprules;
	char **files;           /* every file read, as named in messages */
	size_t nfiles, capfiles;
	struct matcher *m;      /* compiled; owned */
	char *cache_path;       /* compiled databases kept here; owned */
};

/* Appends "FILE:LINE: message\n" (LINE 0: "FILE: message\n") to err,
 * stopping quietly after RULES_MAX_ERRORS lines. */
void rules_error(struct buf *err, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * classify.c: checks every rule's pattern (regexes with PCRE2, so the
 * messages read well) and appends an error per bad one to err.  When
 * there were none and compile is set, compiles the set into rs->m.
 * Returns 0, or -1 when anything was appended to err.
 */
int classify_compile(struct ruleset *rs, int compile, struct buf *err);
/* Frees what classify_compile built; accepts NULL. */
void classify_matcher_free(struct matcher **m);

#endif
