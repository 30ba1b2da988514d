/*
 * lock.h - one run at a time on a store.
 *
 * Every command that writes the store holds an exclusive flock(2) on
 * "<store path>.lock" for its whole run, so a slow fetch and the weekly
 * digest, or a timer and a hand-typed command, never interleave their
 * passes.  SQLite would keep the file itself consistent anyway; the lock
 * keeps two runs from fetching, forwarding or sending the same thing at
 * once.  The kernel drops the lock when the process dies, so a kill -9
 * never leaves a stale one.
 */
#ifndef BULLETIN_LOCK_H
#define BULLETIN_LOCK_H

struct lock;

/*
 * Takes the lock for store_path, waiting up to wait_s seconds for a run
 * that holds it.  Returns 0 with *lk_r set (release with lock_free()),
 * 1 when another run still held it after wait_s, or -1 when the lock
 * file cannot be opened (logged).
 */
int lock_store(const char *store_path, unsigned wait_s, struct lock **lk_r);

/* Releases the lock; NULL is fine. */
void lock_free(struct lock **lk);
/* The descriptor holding the lock: a child that inherits it (clear its
 * FD_CLOEXEC) holds the lock as long as it lives, even after us. */
int lock_fd(const struct lock *lk);

#endif
