/*
 * outbox.h - who we send as, and sending what is queued in the store's
 * outbox over one SMTP connection (smtp.h).
 *
 * Every message we send is first queued in the store (store_outbox_add)
 * in the same transaction that records it as owed, then sent here and
 * marked sent in a transaction of its own once the server has accepted
 * it.  A crash between the server's acceptance and that commit is the
 * only way a message goes out twice (README, "Digests and sending").
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

/* The path of template name in the configured directory.  Caller frees. */
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
 * (SMTP_FATAL: TLS or authentication), EX_SOFTWARE on a store error.
 */
int outbox_send(const struct config *cfg, struct store *st, int64_t now);

/* "Name <addr>" or "addr" (config's [smtp] from): *addr_r the address,
 * *name_r the display name or NULL.  Caller frees both. */
void outbox_split_from(const char *from, char **addr_r, char **name_r);

#endif
