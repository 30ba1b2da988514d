/*
 * split.h - a parsed message to its items (articles).  Pure: no I/O.
 *
 * Handles feed notifications carrying several posts, newsletters with
 * headed sections, and single-article mail.  Mastheads, footers,
 * unsubscribe blurbs, "join us" boxes and comment threads are dropped, as
 * is boilerplate inside an item's text.
 */
#ifndef BULLETIN_SPLIT_H
#define BULLETIN_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"

struct label {
	const char *id;      /* category id; borrowed from the ruleset */
	int score;
};

struct item {
	char *title;         /* never NULL or empty */
	int64_t date;        /* 0 when unknown (the message date is a
				fallback the splitter applies) */
	char *url;           /* http(s) link to the article, or NULL */
	char *text;          /* clean text, paragraphs joined by "\n\n" */
	char *source;        /* list name / sender display, never NULL */
	unsigned words;      /* words in text */
	struct label *labels;   /* set by classify; array owned, ids not */
	size_t n_labels;
};

struct item_list {
	struct item *v;
	size_t n, cap;
};

/*
 * Appends m's items to out (which the caller initialised to zeroes).  At
 * most lim->max_items items, each text cut at lim->max_item_text bytes.
 * Always yields at least one item for a message with any text or a
 * subject.  Returns the number of items added.
 */
size_t split_message(const struct message *m, const struct limits *lim,
    struct item_list *out);

/* Title clean-up used for subjects: drops "Fwd:", "Fw:", "Re:", "AW:",
 * "[list]" prefixes and squeezes space.  Caller frees. */
char *split_clean_subject(const char *subject);

void item_list_free(struct item_list *l);   /* frees items, keeps l */

#endif
