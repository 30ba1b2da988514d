/*
 * imap.h - an IMAP session for `fetch`: connect (TLS verified by us),
 * log in, select folders, list and fetch new messages by UID in ranges,
 * flag or move them.  Only source_imap.c, behind this header, includes
 * libetpan; no libetpan type leaves it.
 *
 * Every call that talks to the server returns an enum imap_status and,
 * when it is not IMAP_OK, sets *err_r (caller frees) to a lowercase
 * message without host or password; the caller adds the host.  After
 * IMAP_UNAVAILABLE or IMAP_PROTOCOL the session is dead: only
 * imap_close() is left.  IMAP_NO is the server refusing one command
 * (say, a folder that does not exist); the session goes on.
 */
#ifndef BULLETIN_IMAP_H
#define BULLETIN_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum imap_status {
	IMAP_OK = 0,
	IMAP_UNAVAILABLE,   /* cannot connect, connection lost, timeout */
	IMAP_AUTH,          /* the server refused user and password */
	IMAP_PROTOCOL,      /* TLS, certificate or protocol failure */
	IMAP_NO,            /* the server refused this command */
};

struct imap;

/*
 * Connects to ic->host:ic->port as ic->tls says, verifies the server's
 * certificate (system trust plus ic->ca_file, and the host name) before
 * anything else is sent, then logs in with ic->user and password (which
 * is not kept).  A STARTTLS failure is fatal; there is no plain-text
 * fallback.  Plain text (tls = none) is refused unless the host is
 * loopback or ic->allow_plaintext.  On IMAP_OK, *im_r is the session.
 */
enum imap_status imap_open(const struct imap_config *ic, const char *password,
    struct imap **im_r, char **err_r);

/* LOGOUT (best effort, when the session is alive), then frees; sets *im
 * to NULL; NULL is fine. */
void imap_close(struct imap **im);

/* 1 when the server announced extension name (e.g. "MOVE"), else 0. */
int imap_has_capability(struct imap *im, const char *name);

/*
 * SELECTs folder, or EXAMINEs it when readonly.  *uidvalidity_r and
 * *uidnext_r get the server's values (uidnext 0 when it sent none).
 */
enum imap_status imap_select(struct imap *im, const char *folder,
    int readonly, uint32_t *uidvalidity_r, uint32_t *uidnext_r,
    char **err_r);

/* UIDs and sizes (RFC822.SIZE) of the selected folder's messages with
 * first <= UID <= last (last 0: no bound), ascending, into *uids_r and
 * *sizes_r (caller frees both) and *n_r; one command. */
enum imap_status imap_uids_range(struct imap *im, uint32_t first,
    uint32_t last, uint32_t **uids_r, uint32_t **sizes_r, size_t *n_r,
    char **err_r);

/*
 * Called for each message of a fetch: its UID and raw bytes (borrowed
 * for the call, cut to the max given to imap_fetch; truncated says so).
 * Returns 0 to go on, -1 to stop.
 */
typedef int imap_msg_fn(void *ctx, uint32_t uid, const char *raw,
    size_t len, int truncated);

/*
 * One UID FETCH (UID BODY.PEEK[]) for the n UIDs (ascending) as ranges,
 * calling fn per message once the whole answer is in (so the caller
 * bounds the batch's bytes).  Messages expunged meanwhile are absent.
 * Returns IMAP_OK, or the failure; a callback failure is IMAP_NO with
 * *err_r "stopped by the store".
 */
enum imap_status imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
    size_t max_size, imap_msg_fn *fn, void *ctx, char **err_r);

/* UID STORE +FLAGS.SILENT (\Seen) on the n UIDs, in one command. */
enum imap_status imap_mark_seen(struct imap *im, const uint32_t *uids,
    size_t n, char **err_r);

/* Moves the n UIDs to dest: UID MOVE when the server has MOVE, else
 * UID COPY, +FLAGS.SILENT (\Deleted) and UID EXPUNGE (UIDPLUS) or, failing
 * that, nothing after the copy but the \Deleted flag. */
enum imap_status imap_move(struct imap *im, const uint32_t *uids, size_t n,
    const char *dest, char **err_r);

/*
 * For the fuzzer and tests: while data is not NULL, imap_open() reads
 * the server's side of the session from the len bytes at data (borrowed
 * until the next call) instead of connecting, and drops what it sends.
 * Use it with tls = none: there is no handshake to replay.  Not
 * thread-safe; imap_set_replay(NULL, 0) restores the network.
 */
void imap_set_replay(const char *data, size_t len);

/* A UTF-8 folder name in IMAP's modified UTF-7 ("Bülletins" ->
 * "B&APw-lletins"); NULL when it cannot be encoded.  Caller frees. */
char *imap_folder_encode(const char *name);

#endif
