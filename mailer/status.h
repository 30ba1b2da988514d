/*
 * status.h - `bulletin status [--json]` and the record of runs it reads.
 *
 * main.c records each run of fetch, run, digest (not --dry-run), send
 * and prune (not --dry-run) in the store's runs table: a row when it
 * starts, completed with its exit code and its last error or warning
 * (log_problem()) when it ends.  fetch.c records each folder's last
 * fetch in imap_folders.  status reports them with the store's size,
 * this ISO week's items per category, the outbox and the subscribers.
 *
 * Its exit code is for monitoring:
 *   0   (EX_OK)          the last run of every command went well, or
 *                        none was recorded;
 *   69  (EX_UNAVAILABLE) the last run of some command failed (any exit
 *                        code but 0 and 75), or has not finished
 *                        STATUS_STALE seconds after it started (killed);
 *   75  (EX_TEMPFAIL)    none failed, but the last run of some command
 *                        only deferred mail (exit 75: the server said
 *                        try later), or the outbox holds messages
 *                        waiting to be retried;
 *   66  (EX_NOINPUT)     there is no store at the path;
 *   73  (EX_CANTCREAT)   the store cannot be opened.
 * A later run that does the same work clears an earlier failure: a run
 * covers fetch, send and prune (it does all three), a digest covers
 * send, and any later send, run or digest covers a run that only
 * deferred mail (exit 75), since it retries that mail.
 */
#ifndef BULLETIN_STATUS_H
#define BULLETIN_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* An unfinished run older than this was killed, not slow. */
#define STATUS_STALE (6 * 3600)
/* Failed and retrying outbox rows listed at most. */
#define STATUS_MAX_PROBLEMS 20

/*
 * Records the start of a run of command in the store at path and clears
 * log_problem(); returns the handle status_run_end() takes (never NULL).
 * The store stays open, idle, until then: a record costs one open.
 * Never creates a store: when there is none yet, status_run_end()
 * records the whole run if the command made one.  Quiet when the store
 * cannot be opened; the command reports that itself.
 */
struct status_rec;
struct status_rec *status_run_begin(const char *path, const char *command,
    int64_t now);
/* Records how the run ended: code, and log_problem() when code is not 0
 * (a usage error, EX_USAGE, is no run: its row goes).  Frees *rec and
 * sets it to NULL; NULL is fine. */
void status_run_end(struct status_rec **rec, int code, int64_t now);

/*
 * The verdict over the latest runs: v holds, per command, its latest
 * finished run and, when later, its unfinished one; a greater id is a
 * later run.  Returns EX_OK,
 * EX_TEMPFAIL or EX_UNAVAILABLE as above, with *culprit_r the index of
 * the run that decided it (unset for EX_OK).  Pure.
 */
int status_verdict(const struct store_run *v, size_t n, int64_t now,
    size_t *culprit_r);

/* Prints the status of the store at path (text, or one JSON object with
 * json) and returns the exit code above. */
int status_run(const char *path, int json, int64_t now);

#endif
