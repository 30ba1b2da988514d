/*
 * message.h - raw bytes to a plain-C message model.
 *
 * mime.c walks the MIME tree with GMime, html.c turns HTML into blocks with
 * libxml2, message.c holds the GMime-free parts: the block list, plain text
 * to blocks, and unwrapping of inline forwards.  No GLib type leaves these
 * files; every string here is UTF-8, NUL-terminated, owned by the struct
 * that holds it and freed by message_free() / doc_free().
 */
#ifndef BULLETIN_MESSAGE_H
#define BULLETIN_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The body as a flat run of blocks: enough structure for split.c to find
 * articles without knowing whether it came from HTML or plain text. */
enum block_kind {
	BLOCK_PARA = 0,    /* a paragraph; lines kept apart by '\n' */
	BLOCK_HEADING,     /* <h1>..<h6>, or a title line in plain text */
	BLOCK_LIST_ITEM,   /* <li>, or "- " / "* " / "1. " lines */
	BLOCK_RULE,        /* <hr>, or a line of ----, ====, ****, ____ */
	BLOCK_QUOTE,       /* <blockquote>, or "> " lines */
};

struct block {
	enum block_kind kind;
	int level;         /* heading 1..6 (plain-text titles: 2 for ====
			      underlines, 3 otherwise); list depth from 1 */
	char *text;        /* clean text, no markup; may contain '\n' */
	char *url;         /* first http(s)/mailto link in the block, or NULL */
	int link_only;     /* the block's whole text is that one link */
	int strong;        /* the whole text is bold (<b>, <strong>) */
};

struct doc {
	struct block *blocks;
	size_t n, cap;
};

struct attachment {
	char *filename;      /* may be NULL */
	char *content_type;  /* "application/pdf" */
	size_t size;         /* decoded size in bytes when known, else 0 */
};

struct message {
	char *message_id;    /* without <>, or NULL (the original's when
				forwarded as an attachment) */
	char *envelope_id;   /* the Message-ID of the message as received
				(the forward's own), or NULL: what the
				store and the mailbox know it by */
	char *subject;       /* decoded; never NULL ("" when absent) */
	char *from_name;     /* display name, or NULL */
	char *from_addr;     /* addr-spec, or NULL */
	char *list_id;       /* List-Id (the id inside <>), or NULL */
	int64_t date;        /* unix seconds UTC, 0 when unknown */
	struct doc body;     /* the bulletin's text (the original's when
				forwarded) */
	struct attachment *atts;   /* non-text parts, listed not decoded */
	size_t n_atts;

	/* Set when a member forwarded the bulletin in: the fields above
	 * then describe the original, these the forwarding message. */
	int forwarded;
	char *fwd_from;      /* forwarder's address, or NULL */
	char *fwd_subject;   /* "Fwd: ..." as sent */
	int64_t fwd_date;
	char *note;          /* the forwarder's own words, or NULL */

	unsigned warnings;   /* anomalies GMime or we noticed */
	char *problem;       /* first limit hit or defect worth reporting
				("part limit 1000 reached"), or NULL */
};

/* Sets up and tears down GMime (mime.c); main.c calls these once. */
void message_init(void);
void message_shutdown(void);

/*
 * Parses len bytes of a raw RFC 5322 message.  Never fails on bad input:
 * whatever can be read is returned and the rest noted in ->problem.
 * Returns NULL (with *err_r set, caller frees) only when nothing at all
 * can be made of the bytes (empty input, no header and no body).
 * Caller frees the result with message_free().
 */
struct message *message_parse(const char *raw, size_t len,
    const struct limits *lim, char **err_r);
void message_free(struct message **m);

/* "Name <addr>", "addr" or "" for m; caller frees. */
char *message_from(const struct message *m);

/* Block list.  doc_add copies text (squeezing nothing) and url. */
void doc_init(struct doc *d);
struct block *doc_add(struct doc *d, enum block_kind kind, int level,
    const char *text, const char *url);
void doc_free(struct doc *d);

/* Plain UTF-8 text to blocks (message.c): blank lines end paragraphs;
 * underlined lines, short lines between blank lines that look like titles,
 * rules, list lines and "> " quotes are recognised.  Returns 0. */
int doc_from_text(struct doc *d, const char *text, size_t len);

/* UTF-8 HTML to blocks (html.c, libxml2): headings, paragraphs, lists,
 * links, <br> as '\n', tables row by row; script, style, head and
 * invisible elements dropped; entities decoded.  Returns 0, or -1 when
 * libxml2 could make nothing of it. */
int html_to_doc(struct doc *d, const char *html, size_t len,
    const struct limits *lim);

/*
 * Looks in m->body for an inline forward ("---------- Forwarded message
 * ---------", "Begin forwarded message:", "-----Original Message-----")
 * with its From/Date/Subject lines.  When found, moves what precedes it
 * into m->note, the outer From/Subject/Date into fwd_*, the quoted header
 * values into from_*, subject and date, keeps the rest as the body, and
 * returns 1.  Returns 0 when there is none.
 */
int message_unwrap_inline(struct message *m);

/* Parses an RFC 5322 / common mail-client date ("Mon, 17 Nov 2025 09:12:00
 * +0000", "17 November 2025 at 09:12", "Monday, November 17, 2025 9:12
 * AM").  Returns unix seconds or 0. */
int64_t message_parse_date(const char *s);

#endif
