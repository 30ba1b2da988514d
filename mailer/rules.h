/*
 * rules.h - filters/NAME.rules files to a compiled rule set (classify.h uses it).
 *
 * The language is documented in filters/README.md.  rules.c parses the
 * files; classify.c compiles every phrase, word and regex rule of every
 * category once into one Vectorscan database per field, so classifying an
 * item scans each field once; PCRE2 runs only the few regexes Vectorscan
 * cannot compile.  Pure apart from reading the rule files.
 */
#ifndef BULLETIN_RULES_H
#define BULLETIN_RULES_H

#include <stddef.h>

#include "util.h"

struct ruleset;

/*
 * Loads path: a directory (every *.rules file in it, in name order) or one
 * file.  On any error returns -1 with *err_r set to one or more lines
 * "FILE:LINE: message" (caller frees); the set is then unusable and
 * nothing is returned.  On success *rs_r is set; free with rules_free().
 */
int rules_load(const char *path, struct ruleset **rs_r, char **err_r);
/*
 * As rules_load() on the directory shipped, with the local directory
 * over it: a file in local replaces shipped's file of the same name
 * (for includes too), and local's other files are added.  An empty
 * file in local switches a shipped one off.
 */
int rules_load_layered(const char *shipped, const char *local,
    struct ruleset **rs_r, char **err_r);
/*
 * What every command loads: local over shipped when shipped is a
 * directory that is not local (rules_load_layered), else local alone;
 * exact (a --rules on the command line) loads local alone.
 */
int rules_load_dirs(const char *shipped, const char *local, int exact,
    struct ruleset **rs_r, char **err_r);
void rules_free(struct ruleset **rs);

size_t rules_count(const struct ruleset *rs);            /* rules */
size_t rules_ncategories(const struct ruleset *rs);
const char *rules_category_id(const struct ruleset *rs, size_t i);
const char *rules_category_name(const struct ruleset *rs, size_t i);
/* Index of category id, or -1. */
long rules_category_find(const struct ruleset *rs, const char *id);

/*
 * Keeps the compiled Vectorscan databases in the file at path, so later
 * runs with the same rules (and the same Vectorscan and CPU) load them
 * instead of compiling: a fetch timer then starts in milliseconds and
 * without the compiler's memory peak.  The file holds the exact compiler
 * input next to each database and is used only when that input matches;
 * a missing, stale or damaged file means a compile and a rewrite.  Call
 * before the first classifier is made.
 */
void rules_set_cache(struct ruleset *rs, const char *path);

#endif
