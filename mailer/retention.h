/*
 * retention.h - [store] keep_days: old mail out of the store, but never
 * what a digest or the outbox still needs.
 *
 * The rule.  A stored message (with its items, labels and command row)
 * is pruned when all of these hold:
 *   1. keep_days is not 0, and the message arrived in the store
 *      (messages.received) more than keep_days days ago;
 *   2. it arrived before the start of every digest period that may still
 *      be built for someone: the current ISO week always (its digest is
 *      not due yet); the last complete ISO week while a confirmed
 *      subscriber with a weekly category has no digest queued for it
 *      (outbox kind 'digest', key 'weekly:YYYY-Www'); yesterday while a
 *      confirmed daily subscriber has none for it.  These are the
 *      periods `digest` builds by default (the last complete one); an
 *      older period given with --period or --day is not protected.  A
 *      digest once queued carries its own rendered body, so its items
 *      are no longer needed;
 *   3. no queued outbox row (waiting or retrying) names it (msg_id: an
 *      instant forward);
 *   4. the passes after fetch have seen it: its id is at most the
 *      "commands" and "forwards" marks, so an unsent forward or an
 *      unread (un)subscribe command is never lost.
 * Runs recorded for `status` that started more than keep_days days ago
 * go too, except each command's latest ones.
 *
 * Pruning deletes in batches of RETENTION_BATCH messages, each in its
 * own transaction, so the write lock is held briefly.
 */
#ifndef BULLETIN_RETENTION_H
#define BULLETIN_RETENTION_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

#define RETENTION_BATCH 200

/*
 * The arrival time before which a message may go (rules 1 and 2): now -
 * keep_days days, but not after the start of the current ISO week, of
 * the last complete one when weekly_owed, of yesterday when daily_owed.
 * INT64_MIN (nothing goes) when keep_days is 0.  Pure.
 */
int64_t retention_before(unsigned keep_days, int64_t now, int weekly_owed,
    int daily_owed);

/* retention_before() with weekly_owed and daily_owed looked up in st.
 * Returns 0 with *before_r, or -1. */
int retention_cutoff(struct store *st, unsigned keep_days, int64_t now,
    int64_t *before_r);

/*
 * Prunes by the rule above with cfg's keep_days.  With list, prints one
 * line per message removed ("removed message ID ..."; "would remove"
 * with dry_run, which changes nothing); the summary line ("pruned N
 * messages, N items, N bytes that arrived before DATE") goes to list,
 * or without list to stdout when anything was pruned.  Returns EX_OK or
 * EX_SOFTWARE (store error, logged; batches before it stay pruned).
 */
int retention_prune(const struct config *cfg, struct store *st, int64_t now,
    int dry_run, FILE *list);

#endif
