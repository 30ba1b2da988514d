/*
 * smtp.h - sending finished messages over SMTP with libcurl.
 *
 * Only smtp.c includes curl.h.  One handle keeps one connection open
 * across many messages (libcurl reuses it); each message goes to one
 * recipient, its own envelope.  TLS certificates are verified; plain
 * text is refused for a host that is not loopback unless allowed.
 * Passwords are never logged.
 */
#ifndef BULLETIN_SMTP_H
#define BULLETIN_SMTP_H

#include <stddef.h>

enum smtp_tls { SMTP_TLS_STARTTLS = 0, SMTP_TLS_SMTPS, SMTP_TLS_NONE };

struct smtp_config {
	const char *url;           /* smtp://host:port or smtps://host:port */
	enum smtp_tls tls;
	const char *ca_file;       /* extra CA bundle (PEM), or NULL */
	const char *user;          /* NULL or "" for no AUTH */
	const char *password;      /* borrowed; never logged */
	unsigned timeout;          /* seconds, connect and each reply */
	int allow_plaintext;
};

enum smtp_status {
	SMTP_OK = 0,
	SMTP_TEMPFAIL,   /* 4xx, connection lost or refused, timeout: retry */
	SMTP_PERMFAIL,   /* 5xx for this recipient or message: do not retry */
	SMTP_FATAL,      /* TLS or authentication failure, bad config: stop
			    the run, nothing will get through */
};

struct smtp;

/* Sets up libcurl's global state, which smtp_open() otherwise does on
 * its first call: call it from the main thread before a thread of ours
 * opens a sender.  Returns 0, or -1 with *err_r (caller frees). */
int smtp_init(char **err_r);

/* Makes a sender; connects lazily on the first message.  Returns NULL
 * with *err_r set (caller frees) on a bad configuration. */
struct smtp *smtp_open(const struct smtp_config *cfg, char **err_r);

/*
 * Sends len bytes (a whole RFC 5322 message with CRLF line ends) from
 * the envelope sender to one recipient.  *reply_r gets the server's last
 * reply or libcurl's error text (caller frees), also on success.
 */
enum smtp_status smtp_send(struct smtp *s, const char *from,
    const char *rcpt, const char *msg, size_t len, char **reply_r);

/*
 * gate(ctx) is called once per message from inside smtp_send(), when the
 * whole message has been handed to libcurl and before the "." that ends
 * the data goes, so before the server can accept the message; a non-zero
 * return aborts the transfer (nothing is delivered: SMTP_TEMPFAIL).  It
 * may block: meanwhile the server reads the message.  NULL removes it.
 */
void smtp_set_gate(struct smtp *s, int (*gate)(void *ctx), void *ctx);

/* Connects (TLS, AUTH as configured) and sends NOOP, for check-config
 * --connect.  *reply_r as for smtp_send(). */
enum smtp_status smtp_check(struct smtp *s, char **reply_r);

void smtp_close(struct smtp **s);

#endif
