/*
 * digest.h - weekly and daily digests: periods, what each subscriber
 * gets, rendering (template.h), composing (compose.h) and queueing in the
 * outbox (store.h) or writing .eml files.
 *
 * Periods are half-open intervals of arrival time (messages.received),
 * so every item falls in exactly one week and one day.  Periods and the
 * grouping of items into sections are pure functions, tested alone.
 */
#ifndef BULLETIN_DIGEST_H
#define BULLETIN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rules.h"
#include "store.h"

struct digest_period {
	int64_t since, until;  /* [since, until), unix seconds UTC */
	int daily;             /* 1 for a day, 0 for an ISO week */
	char key[48];          /* "weekly:2026-W47", "daily:2026-11-20" */
	char label[64];        /* "16–22 November 2026", "20 November 2026" */
};

/* "2026-W47" (ISO 8601 week, Monday 00:00 UTC to the next Monday).
 * Returns 0, or -1 when s is not such a week. */
int digest_parse_week(const char *s, struct digest_period *p_r);
/* "2026-11-20", midnight to midnight UTC.  Returns 0 or -1. */
int digest_parse_day(const char *s, struct digest_period *p_r);
/* The ISO week holding t (week = 1) or the last complete one before it
 * (week = 0); the same for days with digest_day_of. */
void digest_week_of(int64_t t, int complete, struct digest_period *p_r);
void digest_day_of(int64_t t, int complete, struct digest_period *p_r);

/* A stored item copied out of a store_items() callback, for digests and
 * forwards alike; strings owned.  date is the caller's to format (NULL
 * until then); digest_item_clear() frees it with the rest. */
struct item_copy {
	int64_t id, msg_id;
	int64_t when;           /* the item's date, else its arrival */
	char *title, *source, *url, *excerpt, *date;
	char **labels;
	size_t n_labels;
};
void digest_item_copy(struct item_copy *d, const struct store_item *it,
    unsigned excerpt_words);
void digest_item_clear(struct item_copy *d);

/* One item as the grouping sees it; strings borrowed. */
struct digest_item {
	int64_t id;
	int64_t when;           /* item date, else arrival: newest first */
	const char *const *labels;
	size_t n_labels;
};

struct digest_section {
	const char *category;   /* borrowed from order */
	size_t *items;          /* indexes into the items array, newest
				   first; owned */
	size_t n;
};

/*
 * Groups items for one subscriber: a section per category of order that
 * is in wanted and has items, in order's order; every item once, in the
 * first of its categories (by order) that is wanted; within a section
 * newest first (then by id).  Items in no wanted category are left out.
 * Returns the number of sections, with *secs_r (free with
 * digest_sections_free; NULL when 0).
 */
size_t digest_group(const struct digest_item *items, size_t n,
    const char *const *order, size_t n_order, const char *const *wanted,
    size_t n_wanted, struct digest_section **secs_r);
void digest_sections_free(struct digest_section **secs, size_t n);

/* The item's other wanted categories, upper-case, in order's order,
 * joined by ", " (except section); "" when none.  Caller frees. */
char *digest_other_labels(const struct digest_item *it,
    const char *const *order, size_t n_order, const char *const *wanted,
    size_t n_wanted, const char *section);

/* The section order: [digest] order's known ids, then every other
 * category of rs in rules order.  *v_r holds n borrowed strings (free
 * the array only). */
size_t digest_order(const struct config *cfg, const struct ruleset *rs,
    const char ***v_r);

struct digest_opts {
	const char *period;     /* "2026-W47", or NULL */
	const char *day;        /* "2026-11-20", "last" (the last complete
	                         * day), or NULL */
	int dry_run;            /* write files, queue nothing */
	const char *out_dir;    /* write .eml and .html here, or NULL */
	const char *to;         /* only this subscriber, or NULL */
};

/*
 * Builds the digests due for the period (default: the last complete ISO
 * week) for every confirmed subscriber with a category in that mode
 * (weekly for a week, daily for a day), and queues each in the outbox in
 * one transaction (a subscriber whose digest for the period is queued
 * already is skipped), or with dry_run only writes them to out_dir.
 * Prints one line per subscriber and a summary.  Returns a sysexits.h
 * code (EX_USAGE for a bad period, EX_CONFIG for a broken template or
 * sender, EX_CANTCREAT for an unwritable out_dir, EX_SOFTWARE on a store
 * error).
 */
int digest_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, const struct digest_opts *o, int64_t now);

#endif
