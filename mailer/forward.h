/*
 * forward.h - instant forwarding: each new bulletin goes at once, and
 * once, to every confirmed subscriber with mode instant for one of its
 * categories.
 */
#ifndef BULLETIN_FORWARD_H
#define BULLETIN_FORWARD_H

#include <stdint.h>

#include "config.h"
#include "rules.h"
#include "store.h"

/*
 * Looks at the messages stored since the "forwards" mark (subscription
 * commands have no items and are never forwarded) and queues, for each
 * instant subscriber of one of their categories, a forward (templates/
 * forward.txt as the note, the original attached as message/rfc822,
 * subject "[TAG] original subject" with TAG the first matching category
 * in upper case).  A message's forwards and the mark move in one
 * transaction; the outbox's UNIQUE(subscriber, kind, key) keeps a
 * message from being queued twice for anyone.  Prints how many were
 * queued.  Returns a sysexits.h code.
 */
int forward_run(const struct config *cfg, const struct ruleset *rs,
    struct store *st, int64_t now);

#endif
