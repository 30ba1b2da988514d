/*
 * fetch.h - `bulletin fetch`, `process` and `check-config`: IMAP folders
 * into the store, stored messages through the pipeline again, and the
 * configuration checked beyond its syntax.
 *
 * The rule: a message is committed together with its items, its labels
 * and the folder's new UID mark, in one transaction per batch; whatever
 * dies (the connection, the process), the next run resumes from the
 * mark and recognises what is stored by its content hash, so nothing is
 * lost and nothing is stored twice.  Flags and moves on the server
 * happen only after the commit, from a to-do table that a crash leaves
 * for the next run.
 *
 * Each command returns a sysexits.h code and reports its problems itself
 * (log.h); main.c only loads the rules and opens the store.
 */
#ifndef BULLETIN_FETCH_H
#define BULLETIN_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "imap.h"
#include "rules.h"
#include "store.h"

/*
 * Fetches what is new in every [imap] folder, stores and processes it,
 * prints one line per folder on stdout ("fetched N messages from
 * FOLDER, M items: nao 2, pac 1").  Returns EX_OK; EX_CONFIG when [imap]
 * is missing or wrong, or the password cannot be read; EX_UNAVAILABLE
 * when the server cannot be reached, the connection is lost or times
 * out, or a folder cannot be read (the other folders still run);
 * EX_NOPERM when the login is refused; EX_PROTOCOL on a certificate
 * that cannot be trusted, a TLS or protocol failure; EX_IOERR when the
 * store fails; EX_SOFTWARE when the processing child died (its messages
 * in flight are stored raw, for `process`).  rs and st are borrowed (rs
 * is NULL in bulletin-fetch, whose pipeline is pipeline_proc.c).
 */
int fetch_run(const struct config *cfg, struct ruleset *rs,
    struct store *st);

/*
 * Runs every stored message through parse, split and classify again and
 * replaces its items and labels (after a rule change, say), in batched
 * transactions.  Prints "processed N messages, M items: ...".  Returns
 * EX_OK (a message that cannot be parsed is reported and keeps no
 * items), or EX_IOERR when the store fails.
 */
int fetch_process(const struct config *cfg, struct ruleset *rs,
    struct store *st);

/* What fetch_run() checks first, for main.c to call before it loads
 * rules and opens the store: an [imap] section, config_check(), a
 * readable password.  Returns EX_OK, or EX_CONFIG with the problems on
 * stderr. */
int fetch_precheck(const struct config *cfg);

/* The exit code for an IMAP outcome: 77 the login refused, 76 TLS,
 * certificate or protocol, 69 the server unreachable or refusing. */
int fetch_exit_code(enum imap_status s);

#endif
