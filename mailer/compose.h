/*
 * compose.h - RFC 5322 messages we send: digests (and other rendered
 * notices such as confirmations) and instant forwards, built with GMime.
 *
 * Only compose.c includes GMime here; what goes in and comes out is plain
 * C.  GMime must have been set up (message_init(), done by main.c).
 *
 * Header hygiene, the whole point of this module: every header value is
 * checked for CR and LF, also after RFC 2047 decoding, and refused (-1)
 * when it has one; the subject alone may come from mail, so it is
 * cleaned instead (controls and line breaks become spaces, encoded words
 * are decoded first, then the whole is RFC 2047-encoded by GMime as
 * needed).  No other text that came from mail reaches a header.
 *
 * Output is the serialized message with CRLF line endings, as SMTP wants,
 * every line at most 998 octets (text parts are quoted-printable when
 * they are not short-lined ASCII).
 */
#ifndef BULLETIN_COMPOSE_H
#define BULLETIN_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

/* Ceilings on configured header values and on the subject. */
#define COMPOSE_MAX_URI     900   /* one List-Unsubscribe URI */
#define COMPOSE_MAX_SUBJECT 250   /* bytes of UTF-8, cut on a character */

/* Everything above the body.  Strings are borrowed for the call only. */
struct compose_head {
	const char *from;          /* one mailbox: "Bulletin <d@example.org>" */
	const char *to;            /* one mailbox: "m@example.org" */
	const char *subject;       /* UTF-8; may come from mail (cleaned) */
	const char *list_id;       /* "Bulletin digest <digest.example.org>";
				      required by compose_digest, optional
				      (NULL) for compose_forward */
	const char *unsub_mailto;  /* "mailto:stop@example.org?subject=TOKEN";
				      required with list_id */
	const char *unsub_url;     /* https one-click URL (RFC 8058), or NULL:
				      List-Unsubscribe-Post only with it */
	const char *msgid_domain;  /* right-hand side of our Message-IDs */
	int64_t date;              /* unix seconds; 0 means now */
};

/* A file carried along (say the full text of an item without a link). */
struct compose_attachment {
	const char *filename;      /* UTF-8, may come from mail (cleaned) */
	const char *content_type;  /* "text/plain"; NULL means
				      application/octet-stream */
	const char *data;          /* borrowed */
	size_t len;
};

/*
 * Builds a digest: multipart/alternative of text/plain (text) and
 * text/html (html), both UTF-8; with html NULL a single text/plain part
 * (confirmations).  With attachments the whole is wrapped in
 * multipart/mixed.  Headers: From, To, Subject, Date, Message-ID,
 * MIME-Version, List-Id, List-Unsubscribe (+ List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click when unsub_url is set), Precedence: bulk,
 * Auto-Submitted: auto-generated.
 *
 * Returns 0 with *msg_r (caller frees; NUL-terminated too) and *len_r,
 * and, when msgid_r is not NULL, the Message-ID without <> in *msgid_r
 * (caller frees).  Returns -1 with *err_r (caller frees) when a header
 * value is missing or unsafe, or randomness is unavailable.
 */
int compose_digest(const struct compose_head *h, const char *text,
    const char *html, const struct compose_attachment *atts, size_t n_atts,
    char **msg_r, size_t *len_r, char **msgid_r, char **err_r);

/*
 * Builds an instant forward: multipart/mixed of a text/plain note and the
 * original (orig_len raw bytes) as message/rfc822, with subject
 * "[TAG] <h->subject>".  tag is 1-32 characters of [A-Za-z0-9_-].
 * list_id and the unsubscribe fields are optional here.  Parts of the
 * original sent as 8bit/binary are re-encoded for 7-bit transport; its
 * headers are kept.  Same returns as compose_digest; also -1 when the
 * original cannot be parsed.
 */
int compose_forward(const struct compose_head *h, const char *tag,
    const char *note, const char *orig, size_t orig_len, char **msg_r,
    size_t *len_r, char **msgid_r, char **err_r);

#endif
