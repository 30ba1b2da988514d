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
 * The scan state of one thread over a loaded rule set.  The first one made
 * compiles the set's Vectorscan databases (so make it before starting
 * threads); the set must outlive its classifiers.  Returns NULL (logged)
 * when the databases or scratch cannot be built.  Free with
 * classifier_free(), which accepts NULL.
 */
struct classifier *classifier_new(struct ruleset *rs);
void classifier_free(struct classifier **cl);

/*
 * Scores in against every category and stores the categories whose total
 * reaches their threshold in it->labels / it->n_labels (replacing any;
 * order: category order of the rule set).  When explain is not NULL,
 * appends a readable account: per category each rule that fired (file,
 * line, weight, hits) and the total against the threshold.  Classifiers
 * of one set may run in different threads at once.  Returns 0, or -1 when
 * the matcher failed (logged).
 */
int classify_item(struct classifier *cl, const struct classify_input *in,
    struct item *it, struct buf *explain);

#endif
