/*
 * ingest.h - what `ingest`, `fetch` and `process` share on the store
 * side: a processed message into the store, and the per-category counts
 * their summaries print ("12 items: nao 2, pac 1").
 */
#ifndef BULLETIN_INGEST_H
#define BULLETIN_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"
#include "rules.h"
#include "store.h"

struct tally {
	size_t msgs, dups, failed, items;
	size_t *cat;            /* ncat counts, by category index */
	size_t ncat;
};
void tally_init(struct tally *t, const struct ruleset *rs);
void tally_free(struct tally *t);
/* Adds items' count and labels. */
void tally_items(struct tally *t, const struct ruleset *rs,
    const struct item_list *items);
/* Prints ": nao 2, pac 1\n"; categories with no item are left out. */
void tally_print(FILE *f, const struct tally *t, const struct ruleset *rs);

/*
 * Stores one processed job inside the caller's transaction: the message
 * (raw alone when it could not be parsed, so nothing is lost and
 * `process` can retry it) with its items and labels, under source.
 * Reports the job's problems, counts into t.  Returns 0 stored, 1 when
 * the same bytes are already stored, -1 on a store error (logged).
 */
int ingest_job(struct store *st, const struct ruleset *rs, struct job *j,
    const char *source, int64_t received, struct tally *t);

#endif
