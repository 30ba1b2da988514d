/*
 * export.h - moving or backing up a store: `export --mbox`, `export
 * --json` and `import`.
 *
 * --mbox writes every stored raw message as mboxrd, as source_mbox.c
 * reads it back: a From_ line with the sender and the arrival time;
 * lines matching >*"From " get one more '>'; a message that lacks a final
 * newline gets one; a blank line ends each.  It carries the mail only:
 * importing it goes the ingest path (parsed and classified again, under
 * today's arrival time).
 *
 * --json writes JSON Lines with all a branch needs to move its store,
 * one record per line, in this order:
 *   {"type":"header","format":"bulletin-export","version":1}
 *   {"type":"mark",...}        the passes' marks, first, so that a cut
 *                              import never makes old mail look new
 *   {"type":"message",...}     with raw (base64), command, items, labels
 *   {"type":"subscriber",...}  with categories and token
 *   {"type":"outbox",...}      what was sent or is owed, body in base64
 *   {"type":"folder",...}      IMAP folder state
 *   {"type":"end",...}         how many of each: a cut file is refused
 * Integers are as stored (times in unix seconds).  Importing restores it
 * without duplicates: messages by content hash (keeping their ids when
 * free), subscribers by address, outbox rows by (subscriber, kind, key);
 * marks are only raised and folder state only added.  Importing twice
 * changes nothing.  A message that needs a new id raises the marks past
 * it: it was the old store's business, not mail to forward now.
 *
 * Both directions stream: one message in memory at a time, whatever the
 * size of the store.
 */
#ifndef BULLETIN_EXPORT_H
#define BULLETIN_EXPORT_H

#include <stddef.h>

#include "store.h"

enum export_format { EXPORT_MBOX, EXPORT_JSON };

#define EXPORT_VERSION 1

/*
 * Writes the whole store, as one read snapshot, to path (NULL or "-":
 * stdout; a file is created with mode 0600, since the JSON holds the
 * subscribers' tokens).  Returns EX_OK, EX_CANTCREAT when path cannot be
 * created, EX_IOERR when writing fails, EX_SOFTWARE on a store error.
 */
int export_run(struct store *st, enum export_format fmt, const char *path);

/*
 * What path ("-": stdin, JSON only) holds, from its first bytes: "From "
 * an mbox, '{' a JSON export.  Returns EX_OK with *fmt_r, or EX_NOINPUT
 * (cannot read) or EX_DATAERR (neither; "FILE:1: ..." on stderr).
 */
int export_detect(const char *path, enum export_format *fmt_r);

/*
 * Imports a JSON export from path ("-": stdin) into st, committing every
 * batch of records; max_line caps one line.  Prints a summary.  Returns
 * EX_OK; EX_NOINPUT when path cannot be read; EX_DATAERR for a
 * malformed, inconsistent or cut file, reported as "FILE:LINE: message"
 * (batches before it stay: importing the file again is safe);
 * EX_SOFTWARE on a store error.
 */
int export_import_json(struct store *st, const char *path, size_t max_line);

/* Base64 (RFC 4648, padded, one line).  encode writes 4 * ((n + 2) / 3)
 * characters to out and returns that; decode writes at most n / 4 * 3
 * bytes to out and returns 0 with *len_r, or -1 on anything but
 * well-formed base64. */
size_t export_b64_encode(const void *in, size_t n, char *out);
int export_b64_decode(const char *in, size_t n, void *out, size_t *len_r);

#endif
