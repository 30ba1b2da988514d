/*
 * outbox.h - who we send as, and sending what is queued in the store's
 * outbox over one SMTP connection (smtp.h).
 *
 * Every message we send is first queued in the store (store_outbox_add)
 * in the same transaction that records it as owed, then sent here and
 * marked sent in a transaction of its own once the server has accepted
 * it.  A crash between the server's acceptance and that commit is the
 * only way a message goes out twice (README, "Digests and sending"):
 * one message when the process dies (kill -9), at most 32 when the OS
 * does or the power goes, as the marks are fsynced every 32nd (outbox.c).
 */
#ifndef BULLETIN_OUTBOX_H
#define BULLETIN_OUTBOX_H

#include <stdint.h>

#include "config.h"
#include "store.h"

/* Headers shared by every message we make; all strings owned. */
struct sender {
	char *from_addr;      /* the envelope sender: [smtp] from */
	char *from_hdr;       /* "List name <from>" */
	char *list_id;        /* [digest] list_id, or "name <list.domain>" */
	char *request;        /* [digest] request_address, else from */
	char *domain;         /* Message-ID domain */
};

/*
 * Fills *s from the configuration.  Without [smtp] from, lenient (for
 * --dry-run) falls back to bulletin@localhost; otherwise it is an error.
 * Returns 0, or -1 with *err_r (caller frees).  Release with
 * outbox_sender_clear() either way.
 */
int outbox_sender(const struct config *cfg, int lenient, struct sender *s,
    char **err_r);
void outbox_sender_clear(struct sender *s);

/* "mailto:ADDR?subject=SUBJECT" with the subject percent-encoded.
 * Caller frees. */
char *outbox_mailto(const char *addr, const char *subject);

/* A sender for [smtp], its password read and dropped again (smtp_open()
 * keeps what it needs).  Returns EX_OK with *s_r set (smtp_close()), or
 * EX_CONFIG, logged. */
struct smtp;
int outbox_smtp_open(const struct config *cfg, struct smtp **s_r);

/* The path of template name in the configured directory, or in the
 * shipped one when the configured one has no such file.  Caller frees. */
char *outbox_template(const struct config *cfg, const char *name);

/* Delay before attempt number attempts + 1 after a temporary failure:
 * 5 minutes doubled per attempt, at most 6 hours. */
int64_t outbox_backoff(unsigned attempts);

/*
 * Sends every queued message due at now, oldest first, over one
 * connection, at most [smtp] rate per second.  Prints "sent N, deferred
 * N, failed N messages" when there was anything to do.  Returns EX_OK
 * when all were sent (or none was due), EX_TEMPFAIL when some were
 * deferred, EX_DATAERR when the server refused some for good, EX_CONFIG
 * when [smtp] is not usable, EX_UNAVAILABLE when the server ended the run
 * (SMTP_FATAL: TLS or authentication), EX_IOERR on a store error.
 * It is outbox_run_start() and outbox_run_finish() with nothing handed
 * over: st itself is not written to.
 */
int outbox_send(const struct config *cfg, struct store *st, int64_t now);

/*
 * Sending while the caller renders: threads of the run's own, with their
 * own connections to st's file, queue the messages handed over with
 * outbox_run_queue() (in batches, each fsynced before any of its
 * messages is sent) and meanwhile send what is due, oldest first, as
 * outbox_send() documents.  The SMTP exchange, the store's writes and
 * the fsyncs overlap; outbox.c says why no message can go out twice but
 * the one in flight at a kill -9 (at most 32 at an OS crash).  The
 * caller may keep reading st meanwhile, and must not write to it.
 *
 *	struct outbox_run *ob;
 *
 *	if (outbox_run_start(cfg, st, now, &ob) < 0)
 *		...
 *	for (each message)
 *		if (outbox_run_queue(ob, ..., msg, len, now) < 0)
 *			break;                  (msg is the run's either way)
 *	ret = outbox_run_finish(&ob, failed);
 *
 * start returns 0, or -1 (logged) when the store cannot be opened again
 * or a thread not started.
 */
struct outbox_run;
int outbox_run_start(const struct config *cfg, struct store *st,
    int64_t now, struct outbox_run **ob_r);
/*
 * Hands over one message for subscriber sub_id (see store_outbox_add:
 * kind, key, msg_id, rcpt are copied; body, len bytes from malloc, is
 * taken over and freed by the run, also on failure).  Waits while 32
 * are handed over and not yet queued.  Returns 0, or -1 when the thread
 * met a store error (logged; nothing more can be queued).
 */
int outbox_run_queue(struct outbox_run *ob, int64_t sub_id,
    const char *kind, const char *key, int64_t msg_id, const char *rcpt,
    char *body, size_t len, int64_t now);
/*
 * No more messages: waits until everything handed over is queued and,
 * unless abort, everything due is sent (abort stops after the message
 * in flight; the rest stays queued).  Prints outbox_send()'s report and
 * returns its exit code.  Frees the run and sets *ob to NULL; a NULL
 * run returns EX_OK.
 */
int outbox_run_finish(struct outbox_run **ob, int abort);

/* "Name <addr>" or "addr" (config's [smtp] from): *addr_r the address,
 * *name_r the display name or NULL.  Caller frees both. */
void outbox_split_from(const char *from, char **addr_r, char **name_r);

#endif
