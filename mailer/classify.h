/*
 * classify.h - an item against a compiled rule set to its labels.  Pure.
 */
#ifndef BULLETIN_CLASSIFY_H
#define BULLETIN_CLASSIFY_H

#include "rules.h"
#include "split.h"
#include "util.h"

/* What classify_item looks at.  NULL fields are empty. */
struct classify_input {
	const char *title;
	const char *text;
	const char *subject;
	const char *from;    /* "Name <addr>" or addr */
};

/*
 * Scores in against every category and stores the categories whose total
 * reaches their threshold in it->labels / it->n_labels (replacing any;
 * order: category order of the rule set).  When explain is not NULL,
 * appends a readable account: per category each rule that fired (file,
 * line, weight, hits) and the total against the threshold.  Not
 * re-entrant: the set carries the scan scratch.  Returns 0, or -1 when
 * the matcher failed (logged).
 */
int classify_item(struct ruleset *rs, const struct classify_input *in,
    struct item *it, struct buf *explain);

#endif
