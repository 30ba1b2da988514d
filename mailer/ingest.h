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
#include "store.h"

struct tally_cat {
	char *id;
	size_t n;
};
struct tally {
	size_t msgs, dups, failed, items;
	struct tally_cat *cat;  /* by category id, in the order first seen */
	size_t ncat, capcat;
};
void tally_init(struct tally *t);
void tally_free(struct tally *t);
/* Adds items' count and labels. */
void tally_items(struct tally *t, const struct item_list *items);
/* Prints ": nao 2, pac 1\n", the categories in the order of ids (the
 * rule files' order: pipeline_categories()), any others after them;
 * categories with no item are left out. */
void tally_print(FILE *f, const struct tally *t, const char *const *ids,
    size_t n_ids);
/* The same in pl's category order (pl may be NULL). */
void tally_print_by(FILE *f, const struct tally *t,
    const struct pipeline *pl);

/*
 * Sets sm's message_id, subject, from and date from m (nothing when m
 * is NULL), as ingest_job() stores them and `process` restores them.
 * Returns the from string sm points to, for the caller to free.
 */
char *ingest_fields(struct store_msg *sm, const struct message *m);

/*
 * Stores one processed job inside the caller's transaction: the message
 * (raw alone when it could not be parsed, so nothing is lost and
 * `process` can retry it) with its items and labels, under source.
 * Reports the job's problems, counts into t.  Returns 0 stored, 1 when
 * the same bytes are already stored, -1 on a store error (logged).
 */
int ingest_job(struct store *st, struct job *j, const char *source,
    int64_t received, struct tally *t);

#endif
