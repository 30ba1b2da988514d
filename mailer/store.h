/*
 * store.h - the SQLite store (WAL): messages, items, labels.
 *
 * Only store.c includes sqlite3.h.  Writes happen inside a transaction
 * the caller opens with store_begin() and ends with store_commit(): a
 * message is stored together with all its items and labels, or not at
 * all, whatever kill -9 interrupts.  Strings passed in are copied;
 * strings handed to callbacks are borrowed for the callback's duration.
 */
#ifndef BULLETIN_STORE_H
#define BULLETIN_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "split.h"

struct store;

/* The file beside the store with the messages' raw bytes (rawfile.h) is
 * named the store's path with this appended. */
#define STORE_RAW_SUFFIX ".raw"

/* Opens (creating and migrating as needed) the store at path.  Returns
 * 0, or -1 with *err_r set (caller frees). */
int store_open(const char *path, struct store **st_r, char **err_r);
void store_close(struct store **st);

/* Transactions.  Each returns 0 or -1 (logged).  store_begin takes the
 * write lock at once (BEGIN IMMEDIATE). */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* Content hash used for de-duplication: SHA-256 of the raw bytes as 64
 * lower-case hex digits. */
void store_hash(const void *data, size_t len, char hex[65]);

/* 1 when a message with this content hash is stored, 0 when not, -1 on
 * error. */
int store_has_message(struct store *st, const char *hash);

struct store_msg {
	const char *hash;        /* store_hash() of raw */
	const char *message_id;  /* may be NULL */
	const char *source;      /* where it came from (path, folder) */
	const char *subject;
	const char *from;
	int64_t date;            /* the bulletin's own date, 0 unknown */
	int64_t received;        /* when it entered the store */
	const char *raw;
	size_t raw_len;
};

/* Inserts a message; *id_r gets its row id.  Returns 0, 1 when a message
 * with the same hash was already there (*id_r is then that one), -1 on
 * error.  Call inside a transaction. */
int store_add_message(struct store *st, const struct store_msg *m,
    int64_t *id_r);

/* Inserts item number seq of message msg_id with its labels.  Returns 0
 * or -1.  Call inside the message's transaction. */
int store_add_item(struct store *st, int64_t msg_id, unsigned seq,
    const struct item *it);

/* Items in the store, oldest arrival first. */
struct store_item {
	int64_t id;
	int64_t msg_id;
	const char *message_id;  /* of the message, may be NULL */
	const char *msg_source;
	const char *subject;
	const char *from;
	int64_t received;
	const char *title;
	int64_t date;
	const char *url;         /* may be NULL */
	const char *text;
	const char *source;
	unsigned words;
	const char *const *labels;   /* n_labels category ids */
	size_t n_labels;
};

struct store_query {
	int64_t since, until;    /* received in [since, until); 0 = open */
	const char *label;       /* only items with this label, or NULL */
	int64_t msg_id;          /* only this message's items, or 0 */
};

/* Calls cb for every item matching q; cb returns 0 to go on, non-zero to
 * stop (that value is returned).  Returns 0, or -1 on error. */
int store_items(struct store *st, const struct store_query *q,
    int (*cb)(void *ctx, const struct store_item *it), void *ctx);

/* Counts for summaries. */
int store_count_messages(struct store *st, int64_t *n_r);

/*
 * IMAP state, one row per (account, folder); account is
 * "user@host:port".  store_folder_get() returns 0 with the stored values,
 * 1 when the folder has no row yet (both set to 0), -1 on error.
 * store_folder_set() writes all of it (call it inside the batch's
 * transaction, so the mark moves with the messages); store_folder_result()
 * only the time and outcome of a run ("ok" or the error).  Both return 0
 * or -1.
 */
int store_folder_get(struct store *st, const char *account,
    const char *folder, uint32_t *uidvalidity_r, uint32_t *last_uid_r);
int store_folder_set(struct store *st, const char *account,
    const char *folder, uint32_t uidvalidity, uint32_t last_uid, int64_t now,
    const char *result);
int store_folder_result(struct store *st, const char *account,
    const char *folder, int64_t now, const char *result);

/*
 * Actions owed to the server ("seen", "move:FOLDER") for messages already
 * committed: recorded in the message's transaction, deleted once done.
 */
struct store_pending {
	uint32_t uidvalidity, uid;
	char *action;             /* owned by the array */
};
int store_pending_add(struct store *st, const char *account,
    const char *folder, uint32_t uidvalidity, uint32_t uid,
    const char *action);
/* All pending rows of a folder, by action then uid, into *v_r (release
 * with store_pending_free(v_r, *n_r)).  Returns 0 or -1. */
int store_pending_list(struct store *st, const char *account,
    const char *folder, struct store_pending **v_r, size_t *n_r);
void store_pending_free(struct store_pending **v, size_t n);
int store_pending_del(struct store *st, const char *account,
    const char *folder, uint32_t uid);
/* Drops a folder's rows from another UIDVALIDITY: their UIDs now name
 * other messages, or none. */
int store_pending_drop_stale(struct store *st, const char *account,
    const char *folder, uint32_t uidvalidity);

/*
 * Calls cb for at most max stored messages with id > after_id, by id,
 * with their raw bytes (borrowed for the call).  cb may write to the
 * store (inside the caller's transaction) but must not call
 * store_raw_batch itself.  *last_id_r gets the last id seen (after_id if
 * none), *n_r how many.  Returns 0, cb's non-zero value, or -1.
 */
int store_raw_batch(struct store *st, int64_t after_id, size_t max,
    int (*cb)(void *ctx, int64_t id, const char *raw, size_t len),
    void *ctx, int64_t *last_id_r, size_t *n_r);

/* Sets a stored message's message_id, subject, from and date from m
 * (`process` of one stored raw when it could not be parsed).  Returns
 * 0 or -1. */
int store_set_fields(struct store *st, int64_t msg_id,
    const struct store_msg *m);

/* Deletes a message's items and their labels.  Returns 0 or -1. */
int store_delete_items(struct store *st, int64_t msg_id);

/*
 * Subscribers.  Addresses compare without regard to case.  A mode is
 * "weekly", "daily" or "instant"; a category with no row is "none".
 * Every string in these structs is owned by the struct and released by
 * store_sub_clear() / store_sub_free().
 */
struct store_sub_cat {
	char *category;
	char *mode;
};
struct store_sub {
	int64_t id;
	char *address, *name;
	int confirmed;
	char *token;              /* secret: never logged */
	int64_t created, changed;
	struct store_sub_cat *cats;   /* by category id */
	size_t n_cats;
};
void store_sub_clear(struct store_sub *s);
void store_sub_free(struct store_sub **v, size_t n);

/* Looks a subscriber up (with its categories) by address or by token.
 * Returns 0 with *s_r filled (release with store_sub_clear), 1 when there
 * is none, -1 on error. */
int store_sub_get(struct store *st, const char *address,
    struct store_sub *s_r);
int store_sub_by_token(struct store *st, const char *token,
    struct store_sub *s_r);
/* Every subscriber, by address, into *v_r (store_sub_free(v_r, *n_r)).
 * Returns 0 or -1. */
int store_sub_list(struct store *st, struct store_sub **v_r, size_t *n_r);
/* At most max subscribers with an id above after_id, in id order: a run
 * over all of them in pages keeps memory flat however many there are.
 * Returns 0 or -1; free with store_sub_free(). */
int store_sub_page(struct store *st, int64_t after_id, size_t max,
    struct store_sub **v_r, size_t *n_r);
/* Adds a subscriber without categories.  Returns 0 with *id_r, 1 when
 * the address is already there, -1 on error. */
int store_sub_add(struct store *st, const char *address, const char *name,
    int confirmed, const char *token, int64_t now, int64_t *id_r);
/* The rest return 0 or -1; call them inside a transaction to make a
 * change all-or-nothing. */
int store_sub_set_name(struct store *st, int64_t id, const char *name,
    int64_t now);
int store_sub_confirm(struct store *st, int64_t id, int64_t now);
/* Replaces all categories: n entries of cats[i] with modes[i]. */
int store_sub_set_cats(struct store *st, int64_t id,
    const char *const *cats, const char *const *modes, size_t n);
int store_sub_del_cat(struct store *st, int64_t id, const char *category);
/* Removes the subscriber, its categories and its unsent mail. */
int store_sub_remove(struct store *st, int64_t id);

/*
 * The outbox.  kind is "digest", "forward" or "confirm"; key names what
 * the message is for ("weekly:2026-W47", "msg:12"), unique per subscriber
 * and kind, so queueing the same thing twice is a no-op.  msg_id is the
 * forwarded message's id, else 0.
 */
/* Returns 0 when queued, 1 when (subscriber, kind, key) was there, -1. */
int store_outbox_add(struct store *st, int64_t sub_id, const char *kind,
    const char *key, int64_t msg_id, const char *rcpt, const char *body,
    size_t len, int64_t now);
/* 1 when (subscriber, kind, key) is queued or done, 0 when not, -1. */
int store_outbox_has(struct store *st, int64_t sub_id, const char *kind,
    const char *key);

struct store_out {
	int64_t id, sub_id;
	char *kind, *key, *rcpt;
	char *body;               /* NUL-terminated too */
	size_t len;
	unsigned attempts;
};
void store_out_clear(struct store_out *o);
/* The queued message with the lowest id above after_id whose next_try is
 * not after now.  Returns 0 with *o_r (store_out_clear it), 1 when there
 * is none, -1 on error. */
int store_outbox_next(struct store *st, int64_t now, int64_t after_id,
    struct store_out *o_r);
/* Outcomes; reply is the server's (kept for the admin).  0 or -1. */
int store_outbox_sent(struct store *st, int64_t id, int64_t now,
    const char *reply);
int store_outbox_retry(struct store *st, int64_t id, int64_t next_try,
    const char *reply);
int store_outbox_failed(struct store *st, int64_t id, const char *reply);
/*
 * Whether a COMMIT on this connection waits for the disk: full (the
 * default, synchronous = FULL) fsyncs the log at every commit; otherwise
 * (NORMAL) a commit reaches the OS, so it survives kill -9 but an OS
 * crash or power cut may roll back the commits since the last fsync
 * (never corrupt the store).  Call between transactions.  0 or -1.
 */
int store_set_durable(struct store *st, int full);
/* Caps this connection's page cache at kb KB (SQLite's default is 2 MB).
 * 0 or -1 (logged). */
int store_set_cache(struct store *st, unsigned kb);
/*
 * Makes every commit so far durable: fsyncs the write-ahead log, which is
 * what synchronous = FULL does at each COMMIT.  For a bulk run that
 * commits its batches with store_set_durable(st, 0) and wants its end to
 * stand as if each had been FULL.  Call between transactions.  0 or -1
 * (logged).
 */
int store_sync(struct store *st);
/*
 * Moves the copying of the write-ahead log into the database (the
 * checkpoints SQLite otherwise runs inside the COMMIT that fills the log)
 * to a thread with a connection of its own, for a bulk writer: its commits
 * no longer wait for that copy and its fsyncs.  The writer still copies
 * what came in during each pass, so the log stays bounded.  Nothing changes
 * for durability or for other connections.  0, or -1 (logged) when the
 * thread cannot start (checkpoints then stay at commit).  Stopped by
 * store_checkpointer_stop or store_close; both wait for a pass underway.
 */
int store_checkpointer_start(struct store *st);
void store_checkpointer_stop(struct store *st);
/* The path the store was opened with; borrowed until store_close. */
const char *store_path(const struct store *st);
/* The id of the last row this connection inserted (store_outbox_add
 * that returned 0), or 0. */
int64_t store_last_id(const struct store *st);

/* Named marks of the passes after fetch ("commands", "forwards"): the
 * last message id handled.  get: 0 (0 when unset) or -1; set: 0 or -1. */
int store_mark_get(struct store *st, const char *name, int64_t *v_r);
int store_mark_set(struct store *st, const char *name, int64_t v);

/* Calls cb for at most max messages with id > after_id, by id (strings
 * borrowed for the call; cb must not call this function).  Returns 0,
 * cb's non-zero value, or -1. */
int store_messages_after(struct store *st, int64_t after_id, size_t max,
    int (*cb)(void *ctx, int64_t id, const char *subject, const char *from,
    int64_t received), void *ctx);
/* Records that a message was a subscription command (result: what was
 * done) and deletes its items, so no digest ever lists it.  0 or -1. */
int store_mark_command(struct store *st, int64_t msg_id,
    const char *result);

/*
 * Operations: what `status`, retention, `export` and `import` need.
 * Callbacks get strings borrowed for the call and return 0 to go on,
 * non-zero to stop (the function then returns that value); a callback
 * must not call the function that called it.  The rest return 0 or -1
 * unless said otherwise.
 */

/* A read transaction (deferred BEGIN): one consistent snapshot that
 * blocks no writer, ended with store_commit() or store_rollback(). */
int store_begin_read(struct store *st);

/* Runs of fetch, run, digest, send and prune, for `status`. */
struct store_run {
	int64_t id;
	const char *command;
	int64_t started;
	int64_t finished;         /* 0 while it runs, or after a kill */
	int result;               /* its exit code (sysexits.h); -1 unfinished */
	const char *message;      /* its last error or warning, or "" */
};
/* Records a run (r->id unused); *id_r gets its id. */
int store_run_add(struct store *st, const struct store_run *r,
    int64_t *id_r);
int store_run_end(struct store *st, int64_t id, int64_t finished,
    int result, const char *message);
int store_run_del(struct store *st, int64_t id);
/* The latest run of each command (finished_only: its latest finished
 * run), by command name. */
int store_runs_latest(struct store *st, int finished_only,
    int (*cb)(void *ctx, const struct store_run *r), void *ctx);
/* Forgets runs started before `before`, except the latest and the latest
 * finished run of each command. */
int store_runs_prune(struct store *st, int64_t before);

/* IMAP folder state (store_folder_set) as stored, by account, folder. */
struct store_folder {
	const char *account, *folder;
	uint32_t uidvalidity, last_uid;
	int64_t last_run;         /* the last fetch; 0 never */
	const char *last_result;  /* "ok" or its error */
};
int store_folders(struct store *st,
    int (*cb)(void *ctx, const struct store_folder *f), void *ctx);
/* Adds a folder's state unless it has a row.  0 added, 1 there, -1. */
int store_folder_import(struct store *st, const struct store_folder *f);

/* Items that arrived in [since, until), in all and per category. */
int store_count_items(struct store *st, int64_t since, int64_t until,
    int64_t *n_r);
int store_count_labels(struct store *st, int64_t since, int64_t until,
    int (*cb)(void *ctx, const char *category, int64_t n), void *ctx);

struct store_outbox_counts {
	int64_t queued;           /* not tried yet */
	int64_t retrying;         /* queued after a temporary failure */
	int64_t failed, sent;
};
int store_outbox_count(struct store *st, struct store_outbox_counts *c_r);

/* One outbox row, for `status` and export. */
struct store_out_row {
	const char *address;      /* the subscriber's (export only) */
	const char *kind, *key;
	const char *msg_hash;     /* the forwarded message's, NULL for none
				     or pruned (export only) */
	const char *rcpt;
	const char *state;        /* queued, sent, failed */
	const char *reply;        /* the server's last reply */
	unsigned attempts;
	int64_t next_try, created, sent;
	const char *body;         /* export only */
	size_t len;
};
/* At most max failed or retrying rows, newest first. */
int store_outbox_problems(struct store *st, size_t max,
    int (*cb)(void *ctx, const struct store_out_row *o), void *ctx);
/* Every row, by id, with its body. */
int store_outbox_rows(struct store *st,
    int (*cb)(void *ctx, const struct store_out_row *o), void *ctx);
/* Adds o (address and msg_hash ignored) for subscriber sub_id with
 * msg_id.  0 added, 1 when (subscriber, kind, key) was there, -1. */
int store_outbox_import(struct store *st, int64_t sub_id, int64_t msg_id,
    const struct store_out_row *o);

/* How many subscribers have a category in each mode, confirmed or not;
 * mode "" counts every subscriber. */
int store_sub_counts(struct store *st, int (*cb)(void *ctx,
    const char *mode, int confirmed, int64_t n), void *ctx);
/* Adds s (address, name, confirmed, token, created, changed; not its
 * categories).  0 with *id_r, 1 when the address is there, -1. */
int store_sub_import(struct store *st, const struct store_sub *s,
    int64_t *id_r);

/* 1 when a confirmed subscriber with a category in mode ("weekly",
 * "daily") has no digest queued under key ("weekly:2026-W47"), 0 when
 * none has, -1. */
int store_digest_owed(struct store *st, const char *mode, const char *key);

/* Retention candidates. */
struct store_prune_msg {
	int64_t id, received, size, n_items;
	const char *subject;
};
/* At most max messages with an id in (after_id, max_id] that arrived
 * before `before` and that no queued outbox row names, by id. */
int store_prune_list(struct store *st, int64_t before, int64_t after_id,
    int64_t max_id, size_t max,
    int (*cb)(void *ctx, const struct store_prune_msg *m), void *ctx);
/* Deletes a message with its items, labels and command row. */
int store_delete_message(struct store *st, int64_t id);

/* Every message by id (m->raw borrowed), with the result recorded when
 * it was a subscription command, else NULL.  cb may call
 * store_message_items(). */
int store_export_messages(struct store *st, int (*cb)(void *ctx,
    int64_t id, const struct store_msg *m, const char *command), void *ctx);
/* A message's items by seq, with their labels (borrowed). */
int store_message_items(struct store *st, int64_t msg_id,
    int (*cb)(void *ctx, unsigned seq, const struct item *it), void *ctx);
/* Adds m under want_id when that id is free, else under a new one.
 * Returns 0 (want_id), 2 (another id), 1 when a message with m's hash is
 * there (*id_r is that one), -1.  Call inside a transaction. */
int store_import_message(struct store *st, const struct store_msg *m,
    int64_t want_id, int64_t *id_r);
/* The id of the message with this hash: 0 with *id_r, 1 none, -1. */
int store_message_id(struct store *st, const char *hash, int64_t *id_r);

/* Every mark, by name. */
int store_marks(struct store *st,
    int (*cb)(void *ctx, const char *name, int64_t v), void *ctx);
/* Raises a mark to v; never lowers it. */
int store_mark_raise(struct store *st, const char *name, int64_t v);

#endif
