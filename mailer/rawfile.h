/*
 * rawfile.h - the file beside the store that holds messages' raw bytes
 * and their items' text.
 *
 * Appended to, never rewritten: the store's rows say where each message
 * or text lies (offset, size, and a check) and how much of the file is
 * committed.  Writing them once here, rather than as values that SQLite
 * writes to its log and then again into the database, is most of what
 * storing costs.  Only store.c uses it, and it alone decides the order
 * of writes and commits; this file knows nothing of SQLite.
 */
#ifndef BULLETIN_RAWFILE_H
#define BULLETIN_RAWFILE_H

#include <stddef.h>
#include <stdint.h>

struct rawfile;

/* Nothing is opened until the first call that needs the file; mode is
 * what a new file gets. */
struct rawfile *rawfile_new(const char *path, unsigned mode);
void rawfile_free(struct rawfile **rf);

/* Cuts the file to size: what lies past it was written by a writer that
 * never committed.  Call holding the store's write lock.  0 or -1. */
int rawfile_trim(struct rawfile *rf, int64_t size);
/* Writes all of p at offset at: small writes are gathered, all are in the
 * file by rawfile_sync.  After a write over others made since the last
 * sync, what those wrote past its end may be gone.  0 or -1 (logged). */
int rawfile_write(struct rawfile *rf, int64_t at, const void *p, size_t len);
/* Writes what is gathered, then fdatasync.  0 or -1 (logged). */
int rawfile_sync(struct rawfile *rf);
/* Forgets what is gathered: the transaction that wrote it kept none of
 * it, and another writer may commit there next. */
void rawfile_drop(struct rawfile *rf);
/* Reads len bytes at offset at into memory rf owns, valid until the next
 * read.  0, or -1 (logged) when the file is short or unreadable. */
int rawfile_read(struct rawfile *rf, int64_t at, size_t len,
    const char **p_r);
/* The same into dst, which the caller owns. */
int rawfile_pread(struct rawfile *rf, int64_t at, void *dst, size_t len);
/* Gives back the disk space of [at, at + len) (a message deleted); the
 * bytes read as zeros from then on.  Where the file system cannot, the
 * space stays used.  0 or -1 (logged). */
int rawfile_punch(struct rawfile *rf, int64_t at, int64_t len);

#endif
