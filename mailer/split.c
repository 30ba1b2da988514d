/*
 * split.c - a parsed message to its items.
 *
 * Three linear passes over the body:
 *
 * 1. units: each block becomes one or more units with squeezed text and
 *    flags from the pattern tables below (boilerplate, "read more",
 *    byline, section stop, masthead...).  A multi-line paragraph is cut
 *    where a line is a bare URL, a byline, a "read more" or a footer line,
 *    because plain-text digests put "Title\nhttp://...\nPosted by X on
 *    <date>" in one paragraph.
 * 2. layout: pick what starts an article.  A letter ("Dear members,"
 *    first, no links) is one article whatever its headings.  Otherwise the
 *    shallowest heading level that occurs at least twice with content
 *    under it ("Key findings" and the like are parts of one article, not
 *    titles); failing that, the commonest kind of non-heading title
 *    (link-only line, title line followed by a URL, bold line) that occurs
 *    at least twice with content; failing that, one article.
 * 3. emit: walk the units once, opening an item at each title and closing
 *    it at the next, at a heading above the article level, a "Join us" /
 *    "Comments" section, a footer line, or a rule followed by footer-ish
 *    short lines.  What precedes the first title is masthead; nothing
 *    after the footer opens an item.
 *
 * A one-article message is titled by its subject when the subject says
 * something (three words or more, not "Branch Bulletin - Issue 47"), else
 * by its own title line: senders write subjects for people, while a
 * heading may be a section name or carry typographic quotes.
 *
 * Nothing here allocates per pair of units and every look-ahead is
 * bounded, so a hostile message with hundreds of thousands of blocks costs
 * time in proportion to its size.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "split.h"

/* Unit flags. */
enum {
	U_DROP = 1 << 0,     /* boilerplate: never in an item's text */
	U_FOOTER = 1 << 1,   /* a footer starts here: ends the article */
	U_READMORE = 1 << 2, /* "Read more" link: its url may be the item's */
	U_STOP = 1 << 3,     /* heads a section that is no article */
	U_MAST = 1 << 4,     /* masthead line: never a title */
	U_GREET = 1 << 5,    /* "Dear colleagues": never a title */
	U_URLLINE = 1 << 6,  /* the whole text is one bare URL */
	U_BYLINE = 1 << 7,   /* "Posted by X on <date>"; date is set */
	U_ISSUE = 1 << 8,    /* "Issue 41", "November 2025": a masthead's */
	U_SUBHEAD = 1 << 9,  /* "Key findings": a section of one article */
};

/* Kinds of non-heading title line, as a bit mask on each unit. */
enum {
	K_LINK = 1 << 0,     /* a paragraph that is one link */
	K_TEXT = 1 << 1,     /* a short line followed by a bare URL */
	K_STRONG = 1 << 2,   /* a short bold line */
};

enum layout { L_SINGLE, L_HEADING, L_KIND };

/* What a unit does to the article being built. */
enum role {
	R_NONE,      /* content (or dropped boilerplate) */
	R_TITLE,     /* starts an article */
	R_END,       /* a heading above the article level: ends it */
	R_STOP,      /* starts a section to drop, once the article has text */
	R_FOOTER,    /* footer line: ends an article that has text */
};

#define TITLE_MAX 300        /* bytes; longer "titles" are cut */
#define KEY_MAX 128
#define RULE_LOOKAHEAD 8     /* units looked at after a rule */
#define LONG_PARA 40         /* words: real prose, not a footer line */

struct unit {
	enum block_kind kind;
	int level;
	char *text;          /* squeezed, owned */
	char *url;           /* owned, or NULL */
	unsigned words;
	unsigned flags;      /* U_* */
	unsigned cand;       /* K_* */
	int link_only, strong;
	int64_t date;        /* from a byline */
};

struct splitter {
	const struct message *m;
	struct item_list *out;
	size_t max_items, max_text;
	struct unit *u;
	size_t n, cap;
	enum layout layout;
	int level;           /* L_HEADING: the article level */
	unsigned kind;       /* L_KIND: the title kind */
	unsigned char *mark; /* L_KIND: candidate i has content */
	long title;          /* L_SINGLE: title unit, or -1 */
	size_t footer_at;    /* where the footer starts; no title after */
	int64_t pre_date;    /* a date line above the first article */
	char *subject;       /* cleaned subject, owned */
	const char *subject_title; /* subject less "Press release:" */
	int subject_good;    /* subject_title is worth a title */
	size_t added;
};

/* An article being built. */
struct cur {
	int open;
	long title;          /* unit index, -1: none */
	struct buf text;
	const char *url;     /* borrowed from a unit */
	const char *link;    /* first link-only line: the url failing one */
	int64_t date;
	int content;         /* text was added */
	int evidence;        /* a byline, link or "read more" was seen */
	int last_list;       /* last text added was a list item */
};

/*
 * Pattern tables.  Keys are matched against a lower-cased copy of the
 * unit's text with leading and trailing punctuation, arrows and spaces
 * stripped; max_words keeps a pattern off real prose that merely mentions
 * "unsubscribe" or "read more".
 */
enum match { M_EXACT, M_PREFIX, M_CONTAINS };

struct pattern {
	const char *s;
	unsigned char how;        /* enum match */
	unsigned char max_words;  /* 0: any length */
	unsigned short flags;     /* U_* */
};

/* Matched against every unit. */
static const struct pattern boiler_patterns[] = {
	/* subscription footers: they also mark where the footer begins */
	{ "unsubscribe", M_CONTAINS, 30, U_DROP | U_FOOTER },
	{ "you are subscribed", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "you are receiving this", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "you're receiving this", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "you received this", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this email was sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this message was sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this alert was sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this newsletter was sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this bulletin was sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this circular is sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "this email is sent", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "if you no longer wish", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "our mailing address is", M_PREFIX, 60, U_DROP | U_FOOTER },
	{ "copyright", M_PREFIX, 40, U_DROP | U_FOOTER },
	{ "all rights reserved", M_CONTAINS, 40, U_DROP | U_FOOTER },
	{ "sent from my", M_PREFIX, 8, U_DROP | U_FOOTER },
	{ "get outlook for", M_PREFIX, 8, U_DROP | U_FOOTER },
	/* preference and browser links */
	{ "manage your preferences", M_CONTAINS, 20, U_DROP },
	{ "update your preferences", M_CONTAINS, 20, U_DROP },
	{ "manage preferences", M_CONTAINS, 20, U_DROP },
	{ "email preferences", M_CONTAINS, 20, U_DROP },
	{ "manage your subscription", M_CONTAINS, 20, U_DROP },
	{ "update subscription preferences", M_CONTAINS, 20, U_DROP },
	{ "view this email in", M_CONTAINS, 20, U_DROP | U_MAST },
	{ "view in browser", M_CONTAINS, 12, U_DROP | U_MAST },
	{ "view in your browser", M_CONTAINS, 12, U_DROP | U_MAST },
	{ "view it in your browser", M_CONTAINS, 16, U_DROP | U_MAST },
	{ "view online", M_EXACT, 0, U_DROP | U_MAST },
	{ "view web version", M_EXACT, 0, U_DROP | U_MAST },
	{ "having trouble viewing", M_PREFIX, 30, U_DROP | U_MAST },
	{ "email not displaying correctly", M_PREFIX, 30, U_DROP | U_MAST },
	{ "add us to your address book", M_CONTAINS, 30, U_DROP },
	{ "forward to a friend", M_CONTAINS, 12, U_DROP },
	{ "forward this email", M_CONTAINS, 12, U_DROP },
	/* social */
	{ "follow us", M_PREFIX, 15, U_DROP },
	{ "like us on", M_PREFIX, 15, U_DROP },
	{ "find us on", M_PREFIX, 12, U_DROP },
	{ "share this", M_PREFIX, 6, U_DROP },
	{ "share on", M_PREFIX, 6, U_DROP },
	/* forward and blog-post furniture */
	{ "forwarded message", M_CONTAINS, 8, U_DROP },
	{ "begin forwarded message", M_PREFIX, 6, U_DROP },
	{ "original message", M_EXACT, 0, U_DROP },
	{ "posted in ", M_PREFIX, 25, U_DROP },
	{ "filed under", M_PREFIX, 25, U_DROP },
	{ "tags:", M_PREFIX, 25, U_DROP },
	{ "like this:", M_PREFIX, 4, U_DROP },
	{ "like loading", M_PREFIX, 4, U_DROP },
	/* mastheads: dropped, and never taken for a title */
	{ "press release", M_EXACT, 0, U_DROP | U_MAST },
	{ "press notice", M_EXACT, 0, U_DROP | U_MAST },
	{ "press alert", M_PREFIX, 12, U_DROP | U_MAST },
	{ "news alert", M_PREFIX, 12, U_DROP | U_MAST },
	{ "new report", M_EXACT, 0, U_DROP | U_MAST },
	{ "news release", M_EXACT, 0, U_DROP | U_MAST },
	{ "media release", M_EXACT, 0, U_DROP | U_MAST },
	{ "for immediate release", M_PREFIX, 8, U_DROP | U_MAST },
	{ "embargoed", M_PREFIX, 12, U_DROP | U_MAST },
	{ "in this issue", M_PREFIX, 4, U_MAST },
	/* a press release's end: notes to editors follow */
	{ "ends", M_EXACT, 0, U_DROP | U_FOOTER },
	/* "read more": dropped, the link kept as the item's url */
	{ "read more", M_PREFIX, 12, U_DROP | U_READMORE },
	{ "continue reading", M_PREFIX, 25, U_DROP | U_READMORE },
	{ "read the full", M_PREFIX, 12, U_DROP | U_READMORE },
	{ "read full", M_PREFIX, 8, U_DROP | U_READMORE },
	{ "read the rest", M_PREFIX, 12, U_DROP | U_READMORE },
	{ "keep reading", M_PREFIX, 8, U_DROP | U_READMORE },
	{ "read on", M_EXACT, 0, U_DROP | U_READMORE },
	{ "more", M_EXACT, 0, U_DROP | U_READMORE },
	{ "full story", M_EXACT, 0, U_DROP | U_READMORE },
	{ "full article", M_EXACT, 0, U_DROP | U_READMORE },
	{ "read online", M_EXACT, 0, U_DROP | U_READMORE },
	{ "read post", M_EXACT, 0, U_DROP | U_READMORE },
	{ "read article", M_EXACT, 0, U_DROP | U_READMORE },
	{ "read this post", M_EXACT, 0, U_DROP | U_READMORE },
	{ "view post", M_EXACT, 0, U_DROP | U_READMORE },
	{ "view article", M_EXACT, 0, U_DROP | U_READMORE },
	/* salutations: kept in text, never a title */
	{ "dear ", M_PREFIX, 10, U_GREET },
	{ "hi ", M_PREFIX, 8, U_GREET },
	{ "hi", M_EXACT, 0, U_GREET },
	{ "hello", M_PREFIX, 8, U_GREET },
	{ "good morning", M_PREFIX, 8, U_GREET },
	{ "good afternoon", M_PREFIX, 8, U_GREET },
	{ "greetings", M_PREFIX, 6, U_GREET },
	{ "colleagues", M_PREFIX, 4, U_GREET },
};

/*
 * Matched only against title-like units (headings, bold or link lines,
 * very short paragraphs): these head a section that is not an article,
 * so "join us on the picket line" in prose is left alone.
 */
static const struct pattern stop_patterns[] = {
	{ "join us", M_EXACT, 0, U_STOP },
	{ "join", M_EXACT, 0, U_STOP },
	{ "join today", M_EXACT, 0, U_STOP },
	{ "join now", M_EXACT, 0, U_STOP },
	{ "join the union", M_PREFIX, 10, U_STOP },
	{ "become a member", M_PREFIX, 10, U_STOP },
	{ "not a member", M_PREFIX, 10, U_STOP },
	{ "not yet a member", M_PREFIX, 10, U_STOP },
	{ "membership", M_EXACT, 0, U_STOP },
	{ "follow us", M_PREFIX, 10, U_STOP },
	{ "connect with us", M_PREFIX, 10, U_STOP },
	{ "stay connected", M_EXACT, 0, U_STOP },
	{ "stay in touch", M_EXACT, 0, U_STOP },
	{ "social media", M_EXACT, 0, U_STOP },
	{ "contact us", M_PREFIX, 10, U_STOP },
	{ "contact", M_EXACT, 0, U_STOP },
	{ "contact details", M_EXACT, 0, U_STOP },
	{ "get in touch", M_EXACT, 0, U_STOP },
	{ "comments", M_EXACT, 0, U_STOP },
	{ "comment", M_EXACT, 0, U_STOP },
	{ "leave a comment", M_PREFIX, 10, U_STOP },
	{ "leave a reply", M_PREFIX, 10, U_STOP },
	{ "post a comment", M_PREFIX, 10, U_STOP },
	{ "add a comment", M_PREFIX, 10, U_STOP },
	{ "one thought on", M_PREFIX, 20, U_STOP },
	{ "one response to", M_PREFIX, 20, U_STOP },
	{ "responses", M_EXACT, 0, U_STOP },
	{ "related posts", M_EXACT, 0, U_STOP },
	{ "related articles", M_EXACT, 0, U_STOP },
	{ "related", M_EXACT, 0, U_STOP },
	{ "you may also like", M_EXACT, 0, U_STOP },
	{ "about us", M_EXACT, 0, U_STOP },
	{ "notes to editors", M_PREFIX, 10, U_STOP },
	{ "notes for editors", M_PREFIX, 10, U_STOP },
	{ "note to editors", M_PREFIX, 10, U_STOP },
	{ "editor's notes", M_PREFIX, 10, U_STOP },
	{ "media enquiries", M_PREFIX, 12, U_STOP },
	{ "media contact", M_PREFIX, 12, U_STOP },
	{ "press enquiries", M_PREFIX, 12, U_STOP },
	{ "press office", M_PREFIX, 12, U_STOP },
	/* the sections of one report or circular, not articles */
	{ "key findings", M_EXACT, 0, U_SUBHEAD },
	{ "main findings", M_EXACT, 0, U_SUBHEAD },
	{ "findings", M_EXACT, 0, U_SUBHEAD },
	{ "summary", M_EXACT, 0, U_SUBHEAD },
	{ "background", M_EXACT, 0, U_SUBHEAD },
	{ "context", M_EXACT, 0, U_SUBHEAD },
	{ "introduction", M_EXACT, 0, U_SUBHEAD },
	{ "conclusion", M_PREFIX, 6, U_SUBHEAD },
	{ "recommendations", M_EXACT, 0, U_SUBHEAD },
	{ "our recommendations", M_EXACT, 0, U_SUBHEAD },
	{ "next steps", M_EXACT, 0, U_SUBHEAD },
	{ "what happens next", M_EXACT, 0, U_SUBHEAD },
	{ "timetable", M_EXACT, 0, U_SUBHEAD },
	{ "key dates", M_EXACT, 0, U_SUBHEAD },
	{ "what this means", M_PREFIX, 6, U_SUBHEAD },
	{ "what it means", M_PREFIX, 6, U_SUBHEAD },
	{ "what you can do", M_EXACT, 0, U_SUBHEAD },
	{ "what you need to do", M_EXACT, 0, U_SUBHEAD },
	{ "what to do", M_EXACT, 0, U_SUBHEAD },
	{ "how to vote", M_EXACT, 0, U_SUBHEAD },
	{ "how to apply", M_EXACT, 0, U_SUBHEAD },
	{ "details", M_EXACT, 0, U_SUBHEAD },
	{ "key points", M_EXACT, 0, U_SUBHEAD },
	{ "the offer", M_EXACT, 0, U_SUBHEAD },
	{ "deadline", M_EXACT, 0, U_SUBHEAD },
	{ "deadlines", M_EXACT, 0, U_SUBHEAD },
	{ "faqs", M_EXACT, 0, U_SUBHEAD },
	{ "frequently asked questions", M_EXACT, 0, U_SUBHEAD },
	/* an AGM notice's parts */
	{ "agenda", M_EXACT, 0, U_SUBHEAD },
	{ "apologies", M_EXACT, 0, U_SUBHEAD },
	{ "minutes", M_EXACT, 0, U_SUBHEAD },
	{ "nominations", M_EXACT, 0, U_SUBHEAD },
	{ "motions", M_EXACT, 0, U_SUBHEAD },
	{ "any other business", M_EXACT, 0, U_SUBHEAD },
	{ "venue", M_EXACT, 0, U_SUBHEAD },
	{ "further information", M_EXACT, 0, U_SUBHEAD },
	{ "more information", M_EXACT, 0, U_SUBHEAD },
	{ "about the report", M_EXACT, 0, U_SUBHEAD },
	{ "about this report", M_EXACT, 0, U_SUBHEAD },
};

/* A paragraph made only of these is a row of social icons. */
static const char *const social_names[] = {
	"facebook", "twitter", "x", "instagram", "linkedin", "youtube",
	"tiktok", "bluesky", "mastodon", "threads", "whatsapp", "flickr",
	"pinterest", "rss", "email", "website", "web",
};

/* Words that start a byline when a date follows. */
static const char *const byline_prefixes[] = {
	"posted", "published", "by ", "written by", "date", "updated",
	"on ", "filed", "embargo", "for immediate release", "released",
};

/* Words a date line may carry besides the date itself. */
static const char *const date_words[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
	"sat", "sun", "at", "on", "am", "pm", "gmt", "bst", "utc", "posted",
	"published", "updated", "date", "the", "of",
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

/* Reply and forward markers, in the languages members' clients use. */
static const char *const reply_prefixes[] = {
	"re", "fwd", "fw", "aw", "wg", "tr", "sv", "antw", "rif",
};

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Lower-cased match key; *cut_r set when text was longer than the key. */
static size_t
key_make(const char *s, char key[KEY_MAX], int *cut_r)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	int space = 0;

	*cut_r = 0;
	/* leading bullets, dashes, quotes and symbols like "©" or "»" */
	while (*p && !is_alnum(*p))
		p++;
	for (; *p; p++) {
		if (n >= KEY_MAX - 2) {
			*cut_r = 1;
			break;
		}
		if (is_space(*p)) {
			space = 1;
			continue;
		}
		if (space && n)
			key[n++] = ' ';
		space = 0;
		/* U+2019 right quote: "you’re" matches "you're" */
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0x99) {
			key[n++] = '\'';
			p += 2;
			continue;
		}
		key[n++] = lower((char)*p);
	}
	/* trailing punctuation and arrows ("→", "»", "…", ":") */
	while (n > 0 && !is_alnum((unsigned char)key[n - 1]))
		n--;
	key[n] = '\0';
	return n;
}

static unsigned
match_table(const struct pattern *t, size_t nt, const char *text,
    const char *key, int cut, unsigned words, int no_contains)
{
	unsigned flags = 0;
	size_t i;

	for (i = 0; i < nt; i++) {
		if (t[i].max_words && words > t[i].max_words)
			continue;
		switch (t[i].how) {
		case M_EXACT:
			if (!cut && strcmp(key, t[i].s) == 0)
				flags |= t[i].flags;
			break;
		case M_PREFIX:
			if (strncmp(key, t[i].s, strlen(t[i].s)) == 0)
				flags |= t[i].flags;
			break;
		case M_CONTAINS:
			/* on the text, not the key: the key may be cut */
			if (!no_contains && str_contains_ci(text, t[i].s))
				flags |= t[i].flags;
			break;
		}
	}
	return flags;
}

static int
in_list(const char *w, size_t n, const char *const *list, size_t nl)
{
	size_t i;

	for (i = 0; i < nl; i++)
		if (strlen(list[i]) == n && strncmp(w, list[i], n) == 0)
			return 1;
	return 0;
}

/* "Facebook | Twitter | Instagram": every word a network's name. */
static int
is_social_run(const char *key, int cut, int link_only)
{
	const char *p = key, *w;
	unsigned n = 0;

	if (cut)
		return 0;
	while (*p) {
		while (*p && !is_alnum((unsigned char)*p))
			p++;
		if (!*p)
			break;
		w = p;
		while (is_alnum((unsigned char)*p))
			p++;
		if (!in_list(w, (size_t)(p - w), social_names,
		    ARRAY_SIZE(social_names)))
			return 0;
		n++;
	}
	/* one name alone is only an icon when it is a bare link */
	return n >= 2 || (n == 1 && link_only && strlen(key) > 1);
}

/* "3 comments", "No responses", "12 thoughts on ...". */
static int
is_comment_count(const char *key, unsigned words)
{
	static const char *const what[] = {
		"comment", "response", "repl", "thought",
	};
	const char *p = key;
	size_t i;

	if (words > 20)
		return 0;
	if (is_digit((unsigned char)*p)) {
		while (is_digit((unsigned char)*p))
			p++;
	} else if (strncmp(p, "no", 2) == 0) {
		p += 2;
	} else {
		return 0;
	}
	if (*p++ != ' ')
		return 0;
	for (i = 0; i < ARRAY_SIZE(what); i++)
		if (strncmp(p, what[i], strlen(what[i])) == 0)
			return 1;
	return 0;
}

/* Length of the http(s) URL at s, or 0. */
static size_t
url_len(const char *s)
{
	size_t n = 0;

	if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
		return 0;
	while (s[n] && !is_space((unsigned char)s[n]) && s[n] != '>' &&
	    s[n] != '"' && s[n] != ')')
		n++;
	return n;
}

static int
is_http(const char *url)
{
	return url && url_len(url) > 0;
}

/* The squeezed text is one URL, perhaps in <>. */
static int
is_bare_url(const char *s)
{
	size_t n;

	if (*s == '<')
		s++;
	n = url_len(s);
	if (!n)
		return 0;
	return s[n] == '\0' || (s[n] == '>' && s[n + 1] == '\0');
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

struct tok {
	const char *p;
	size_t len;
	long num;          /* value of a number, -1 when not one */
	int month;         /* 1..12 for a month name, else 0 */
	char sep;          /* the character just before the token */
};

static int
month_of(const char *p, size_t n)
{
	char w[10];
	size_t i;

	if (n < 3 || n >= sizeof(w))
		return 0;
	for (i = 0; i < n; i++)
		w[i] = lower(p[i]);
	w[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(month_names); i++) {
		/* "nov", "november", "sept"; not "mayor" or "marching" */
		static const char *const full[] = {
			"january", "february", "march", "april", "may",
			"june", "july", "august", "september", "october",
			"november", "december",
		};
		if (strncmp(w, month_names[i], 3) != 0)
			continue;
		if (n == 3 || strncmp(w, full[i], n) == 0 ||
		    (i == 8 && strcmp(w, "sept") == 0))
			return (int)i + 1;
	}
	return 0;
}

static int64_t
date_make(long y, long m, long d)
{
	static const unsigned char mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return 0;
	return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
}

/*
 * Finds a date in a short line: "17 November 2025", "17th Nov 2025",
 * "November 17, 2025", "2025-11-17", "17/11/2025" (day first, as in the
 * UK).  *extra_r counts the words that are neither the date nor date-line
 * furniture ("Monday", "at", "GMT"), so a caller can tell a date line from
 * a title that contains a date.  Returns unix seconds at 00:00 UTC, or 0.
 */
static int64_t
find_date(const char *s, unsigned *extra_r)
{
	struct tok t[48];
	size_t n = 0, i;
	const char *p = s;
	int64_t d = 0;
	size_t used_from = 0, used_to = 0;
	unsigned extra = 0;

	while (*p && n < ARRAY_SIZE(t)) {
		char sep = p > s ? p[-1] : ' ';
		const char *w;

		if (!is_alnum((unsigned char)*p)) {
			p++;
			continue;
		}
		w = p;
		t[n].p = w;
		t[n].sep = sep;
		t[n].num = -1;
		t[n].month = 0;
		if (is_digit((unsigned char)*p)) {
			long v = 0;

			while (is_digit((unsigned char)*p) && p - w < 6)
				v = v * 10 + (*p++ - '0');
			t[n].num = v;
			/* ordinals: "17th" */
			if ((strncmp(p, "st", 2) == 0 ||
			    strncmp(p, "nd", 2) == 0 ||
			    strncmp(p, "rd", 2) == 0 ||
			    strncmp(p, "th", 2) == 0) &&
			    !is_alnum((unsigned char)p[2]))
				p += 2;
			if (is_alnum((unsigned char)*p))
				t[n].num = -1;
		}
		while (is_alnum((unsigned char)*p))
			p++;
		t[n].len = (size_t)(p - w);
		if (t[n].num < 0)
			t[n].month = month_of(w, t[n].len);
		n++;
	}
	for (i = 0; i < n && !d; i++) {
		if (i + 2 >= n)
			break;
		if (t[i].num > 0 && t[i + 1].month && t[i + 2].num > 0)
			d = date_make(t[i + 2].num, t[i + 1].month, t[i].num);
		else if (t[i].month && t[i + 1].num > 0 && t[i + 2].num > 0)
			d = date_make(t[i + 2].num, t[i].month, t[i + 1].num);
		else if (t[i].num > 999 && t[i + 1].sep == '-' &&
		    t[i + 2].sep == '-' && t[i].len == 4)
			d = date_make(t[i].num, t[i + 1].num, t[i + 2].num);
		else if (t[i].num > 0 && t[i + 2].len == 4 &&
		    (t[i + 1].sep == '/' || t[i + 1].sep == '.') &&
		    t[i + 2].sep == t[i + 1].sep)
			d = date_make(t[i + 2].num, t[i + 1].num, t[i].num);
		if (d) {
			used_from = i;
			used_to = i + 3;
		}
	}
	if (!d)
		return 0;
	for (i = 0; i < n; i++) {
		char w[12];
		size_t k;

		if ((i >= used_from && i < used_to) || t[i].num >= 0 ||
		    t[i].len >= sizeof(w))
			continue;
		for (k = 0; k < t[i].len; k++)
			w[k] = lower(t[i].p[k]);
		if (!in_list(w, t[i].len, date_words, ARRAY_SIZE(date_words)))
			extra++;
	}
	*extra_r = extra;
	return d;
}

/* key has word followed by a number: "issue 41", "vol. 3", "no 2". */
static int
word_number(const char *key, const char *word)
{
	const char *p = key;
	size_t n = strlen(word);

	while ((p = strstr(p, word)) != NULL) {
		const char *q = p + n;

		if (p == key || !is_alnum((unsigned char)p[-1])) {
			while (*q == ' ' || *q == '.' || *q == '#')
				q++;
			if (strncmp(q, "no", 2) == 0 &&
			    !is_alnum((unsigned char)q[2]))
				q += 2;
			while (*q == ' ' || *q == '.' || *q == '#')
				q++;
			if (is_digit((unsigned char)*q))
				return 1;
		}
		p += n;
	}
	return 0;
}

/* "Issue 41 | November 2025", "Vol. 3 No. 2", "November 2025": the line a
 * masthead carries under the bulletin's name. */
static int
is_issue_line(const struct unit *u, const char *key, int cut)
{
	static const char *const words[] = {
		"issue", "vol", "volume", "circular", "bulletin", "newsletter",
		"edition",
	};
	const char *sp;
	size_t i;

	if (u->words > 6 || cut)
		return 0;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (word_number(key, words[i]))
			return 1;
	/* a month and a year alone */
	sp = strchr(key, ' ');
	return u->words == 2 && sp && month_of(key, (size_t)(sp - key)) &&
	    strlen(sp + 1) == 4 && strspn(sp + 1, "0123456789") == 4;
}

static int
ends_sentence(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && strchr(".,;:", s[n - 1]) != NULL;
}

static int
is_title_like(const struct unit *u)
{
	return u->kind == BLOCK_HEADING || u->strong || u->link_only ||
	    u->words <= 6;
}

/* Sets u->flags (and u->date) from the tables.  line_mode: u is one line
 * cut from a paragraph, where "contains" patterns would cut prose. */
static void
unit_classify(struct unit *u, int line_mode)
{
	char key[KEY_MAX];
	unsigned extra;
	int cut;
	size_t i;

	key_make(u->text, key, &cut);
	if (is_bare_url(u->text))
		u->flags |= U_URLLINE;
	u->flags |= match_table(boiler_patterns, ARRAY_SIZE(boiler_patterns),
	    u->text, key, cut, u->words, line_mode);
	/* "© 2025 ..." loses its sign in the key */
	if (u->words <= 40 && (strncmp(u->text, "\xc2\xa9", 2) == 0 ||
	    strncmp(u->text, "(c) ", 4) == 0 ||
	    strncmp(u->text, "(C) ", 4) == 0))
		u->flags |= U_DROP | U_FOOTER;
	if (is_social_run(key, cut, u->link_only))
		u->flags |= U_DROP;
	if (is_issue_line(u, key, cut))
		u->flags |= U_ISSUE | U_MAST;
	if (is_title_like(u)) {
		u->flags |= match_table(stop_patterns,
		    ARRAY_SIZE(stop_patterns), u->text, key, cut, u->words, 1);
		if (is_comment_count(key, u->words))
			u->flags |= U_STOP;
	}
	if (u->words <= 30 && strpbrk(u->text, "0123456789") &&
	    (u->date = find_date(u->text, &extra)) != 0) {
		int by = extra == 0;

		/* "By 1 December all branches must..." is a sentence */
		for (i = 0; i < ARRAY_SIZE(byline_prefixes) && !by &&
		    u->words <= 15 && !ends_sentence(u->text); i++)
			by = strncmp(key, byline_prefixes[i],
			    strlen(byline_prefixes[i])) == 0;
		if (by)
			u->flags |= U_BYLINE;
		else
			u->date = 0;
	}
	if (u->flags & U_URLLINE)
		u->flags &= ~(unsigned)(U_STOP | U_GREET);
}

/* How unit_add() treats a piece of a block. */
enum {
	UA_LINE = 1 << 0,    /* one line of a paragraph (see unit_classify) */
	UA_ATTRS = 1 << 1,   /* the whole block: takes its link and marks */
	UA_STRONG = 1 << 2,  /* part of a bold block */
};

/*
 * str_squeeze(), except that a paragraph of several short lines (an
 * address, a sign-off: "In solidarity,\nRhian Jones\nBranch Secretary")
 * keeps its line breaks; wrapped prose is joined up.
 */
static char *
squeeze_text(const char *s, size_t n)
{
	const char *p, *end = s + n, *nl;
	struct buf b = BUF_INIT(0);
	unsigned lines = 0;

	for (p = s; p < end; p = nl < end ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl - p > 40)
			return str_squeeze(s, n);
		lines++;
	}
	if (lines < 2)
		return str_squeeze(s, n);
	for (p = s; p < end; p = nl < end ? nl + 1 : end) {
		char *line;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line = str_squeeze(p, (size_t)(nl - p));
		if (*line) {
			if (b.len)
				buf_addc(&b, '\n');
			buf_addstr(&b, line);
		}
		free(line);
	}
	return buf_detach(&b);
}

static struct unit *
unit_add(struct splitter *sp, const struct block *b, const char *text,
    size_t len, unsigned how)
{
	struct unit *u;
	char *t = squeeze_text(text, len);

	/* an empty paragraph is an image or a spacer cell */
	if (!*t && b->kind != BLOCK_RULE) {
		free(t);
		return NULL;
	}
	xgrow(&sp->u, sp->n, &sp->cap, sizeof(*sp->u));
	u = &sp->u[sp->n++];
	memset(u, 0, sizeof(*u));
	u->kind = b->kind;
	u->level = b->level;
	u->text = t;
	u->words = str_words(t);
	if (how & UA_ATTRS) {
		u->link_only = b->link_only;
		u->strong = b->strong;
		if (b->url)
			u->url = xstrdup(b->url);
	}
	if (how & UA_STRONG)
		u->strong = b->strong;
	unit_classify(u, (how & UA_LINE) != 0);
	/* a text part's short lines all come as headings: a byline, a "Read
	 * more" or a footer line is no title, whatever its markup */
	if (u->kind == BLOCK_HEADING && (u->flags & (U_DROP | U_BYLINE |
	    U_READMORE | U_URLLINE | U_GREET | U_MAST)))
		u->kind = BLOCK_PARA;
	if (u->flags & U_URLLINE) {
		const char *s = t + (*t == '<');

		free(u->url);
		u->url = xstrndup(s, url_len(s));
		u->link_only = 1;
	}
	return u;
}

/* "From: ...\nSent: ...\nTo: ...": a quoted header block of a forward,
 * perhaps with a wrapped address line that an unwrapper left behind. */
static int
is_header_block(const char *s)
{
	static const char *const names[] = {
		"from:", "sent:", "to:", "cc:", "date:", "subject:",
	};
	unsigned lines = 0, hdrs = 0;
	size_t i;

	while (*s && lines <= 12) {
		while (is_space((unsigned char)*s))
			s++;
		if (!*s)
			break;
		lines++;
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			if (str_has_prefix_ci(s, names[i])) {
				hdrs++;
				break;
			}
		}
		s += strcspn(s, "\n");
	}
	return hdrs >= 2 && hdrs * 2 >= lines && lines <= 12;
}

/* A run of ordinary lines cut from a paragraph: it keeps the block's
 * link when the link is written out in it, and its bold and link-only
 * marks when it is the whole block. */
static void
run_add(struct splitter *sp, const struct block *b, const char *run,
    const char *end)
{
	size_t n = (size_t)(end - run);
	int whole = run == b->text && !*end;
	struct unit *u = unit_add(sp, b, run, n, whole ? UA_ATTRS : UA_STRONG);

	if (u && !u->url && b->url && memmem(run, n, b->url, strlen(b->url)))
		u->url = xstrdup(b->url);
}

/*
 * One block to units.  A multi-line paragraph is cut around lines that
 * are units of their own (bare URL, byline, "read more", footer line),
 * keeping runs of ordinary lines together as one paragraph.
 */
static void
units_from_block(struct splitter *sp, const struct block *b)
{
	const char *p, *run = NULL, *run_end = NULL;
	struct unit *u;

	if (b->kind != BLOCK_PARA || !strchr(b->text, '\n')) {
		unit_add(sp, b, b->text, strlen(b->text), UA_ATTRS);
		return;
	}
	if (is_header_block(b->text)) {
		if ((u = unit_add(sp, b, b->text, strlen(b->text), UA_ATTRS)))
			u->flags |= U_DROP;
		return;
	}
	for (p = b->text; *p;) {
		const char *ls = p, *le = p + strcspn(p, "\n");
		struct unit probe;

		p = *le ? le + 1 : le;
		memset(&probe, 0, sizeof(probe));
		probe.kind = BLOCK_PARA;
		probe.text = str_squeeze(ls, (size_t)(le - ls));
		probe.words = str_words(probe.text);
		unit_classify(&probe, 1);
		free(probe.text);
		if (!(probe.flags & (U_URLLINE | U_BYLINE | U_READMORE |
		    U_FOOTER))) {
			if (!run)
				run = ls;
			run_end = le;
			continue;
		}
		if (run)
			run_add(sp, b, run, run_end);
		run = NULL;
		u = unit_add(sp, b, ls, (size_t)(le - ls), UA_LINE);
		if (u && !u->url) {
			const char *h = strstr(u->text, "http");
			size_t n;

			if (h && (n = url_len(h)))
				u->url = xstrndup(h, n);
			else if (b->url && (u->flags & U_READMORE))
				u->url = xstrdup(b->url);
		}
	}
	if (run)
		run_add(sp, b, run, run_end);
}

/* Which kinds of non-heading title each unit could be. */
static void
find_candidates(struct splitter *sp)
{
	const unsigned never = U_DROP | U_STOP | U_MAST | U_BYLINE |
	    U_URLLINE | U_READMORE | U_GREET;
	size_t i;

	for (i = 0; i < sp->n; i++) {
		struct unit *u = &sp->u[i];

		if (i >= sp->footer_at)
			break;
		if ((u->flags & never) || u->words == 0 || u->words > 25 ||
		    strlen(u->text) > TITLE_MAX)
			continue;
		if (u->kind != BLOCK_PARA && u->kind != BLOCK_LIST_ITEM &&
		    u->kind != BLOCK_HEADING)
			continue;
		if (u->kind != BLOCK_HEADING && u->link_only &&
		    is_http(u->url))
			u->cand |= K_LINK;
		if (u->flags & U_SUBHEAD)
			continue;
		if (u->kind == BLOCK_PARA && u->strong && u->words <= 15 &&
		    !ends_sentence(u->text))
			u->cand |= K_STRONG;
		/* "Full article:" labels its URL; it is no title */
		if (u->kind != BLOCK_LIST_ITEM && u->words <= 20 &&
		    !ends_sentence(u->text) &&
		    i + 1 < sp->n && (sp->u[i + 1].flags & U_URLLINE))
			u->cand |= K_TEXT;
	}
}

/* A heading that can start or end an article ("Key findings" is a part
 * of one, "Join us" a section to drop). */
static int
is_struct_heading(const struct unit *u)
{
	return u->kind == BLOCK_HEADING && !(u->flags & (U_STOP | U_SUBHEAD));
}

/* Text an article can be made of (a "read more" is evidence enough). */
static int
is_content(const struct unit *u)
{
	if (u->kind == BLOCK_RULE || u->kind == BLOCK_HEADING)
		return 0;
	if (u->flags & U_STOP)
		return 0;
	return !(u->flags & U_DROP) || (u->flags & U_READMORE);
}

/*
 * Counts the titles that have content under them, for one heading level
 * (kind 0) or one title kind (level 0).  The same openers and closers as
 * role_of() below.  Marks counted titles in mark when not NULL.
 */
static size_t
count_titles(const struct splitter *sp, int level, unsigned kind,
    unsigned char *mark)
{
	size_t i, open = SIZE_MAX, count = 0;
	int has = 0;

	for (i = 0; i < sp->n && i < sp->footer_at; i++) {
		const struct unit *u = &sp->u[i];
		int heading = is_struct_heading(u);

		if (kind ? (u->cand & kind) != 0 :
		    heading && !(u->flags & U_DROP) && u->level == level) {
			open = i;
			has = 0;
			continue;
		}
		if (heading && (kind || u->level < level)) {
			open = SIZE_MAX;
			continue;
		}
		if (u->flags & (U_STOP | U_FOOTER)) {
			if (has)
				open = SIZE_MAX;
			continue;
		}
		/* a title's own URL line is not content under it */
		if (i == open + 1 && (u->flags & U_URLLINE))
			continue;
		if (open != SIZE_MAX && !has && is_content(u)) {
			has = 1;
			count++;
			if (mark)
				mark[open] = 1;
		}
	}
	return count;
}

static enum role
role_of(const struct splitter *sp, size_t i)
{
	const struct unit *u = &sp->u[i];

	switch (sp->layout) {
	case L_HEADING:
		if (!is_struct_heading(u))
			break;
		if (u->level == sp->level && !(u->flags & U_DROP) &&
		    i < sp->footer_at)
			return R_TITLE;
		if (u->level <= sp->level)
			return R_END;
		break;
	case L_KIND:
		if (sp->mark[i] && i < sp->footer_at)
			return R_TITLE;
		if (is_struct_heading(u))
			return R_END;
		break;
	case L_SINGLE:
		if ((long)i == sp->title)
			return R_TITLE;
		break;
	}
	if (u->flags & U_STOP)
		return R_STOP;
	if (u->flags & U_FOOTER)
		return R_FOOTER;
	return R_NONE;
}

/* After a rule: only short lines up to the next title (a footer's address
 * and links), so the rule ends the article. */
static int
footer_follows(const struct splitter *sp, size_t i)
{
	size_t j;

	for (j = i + 1; j < sp->n && j <= i + RULE_LOOKAHEAD; j++) {
		const struct unit *u = &sp->u[j];

		if (role_of(sp, j) == R_TITLE)
			break;
		if (!(u->flags & U_DROP) && u->words >= LONG_PARA)
			return 0;
	}
	return 1;
}

/*
 * The title of a one-article message: a unit equal to the subject, else a
 * heading or bold line, else a short first line, all among the first few
 * units before any real prose.  -1 when the subject must do.
 */
static long
single_title(const struct splitter *sp)
{
	const unsigned never = U_DROP | U_STOP | U_MAST | U_BYLINE |
	    U_URLLINE | U_READMORE | U_GREET;
	size_t i, end, seen = 0;

	for (end = 0; end < sp->n && seen < 8; end++) {
		const struct unit *u = &sp->u[end];

		if (u->flags & U_DROP)
			continue;
		seen++;
		if (u->words >= LONG_PARA)
			break;
	}
	for (i = 0; i < end; i++)
		if (!(sp->u[i].flags & never) && sp->subject[0] &&
		    strcasecmp(sp->u[i].text, sp->subject) == 0)
			return (long)i;
	/* a heading under the greeting or the first lines of a letter is
	 * one of its sections, not its title */
	for (i = 0; i < end; i++) {
		const struct unit *u = &sp->u[i];

		if (!(u->flags & (never | U_SUBHEAD)) && u->words <= 25 &&
		    strlen(u->text) <= TITLE_MAX &&
		    (u->kind == BLOCK_HEADING || u->strong))
			return (long)i;
		if (!(u->flags & (U_DROP | U_MAST | U_BYLINE | U_URLLINE |
		    U_READMORE | U_STOP)) && u->kind != BLOCK_RULE &&
		    (u->words > 12 || ends_sentence(u->text) ||
		    (u->flags & U_GREET)))
			break;
	}
	for (i = 0; i < end; i++) {
		const struct unit *u = &sp->u[i];

		if (u->flags & never)
			continue;
		if (u->kind == BLOCK_RULE)
			continue;
		/* bytes too: one 200 kB "word" is no title */
		if (u->kind == BLOCK_PARA && u->words <= 15 &&
		    strlen(u->text) <= TITLE_MAX / 2 &&
		    !ends_sentence(u->text) && i + 1 < sp->n)
			return (long)i;
		break;
	}
	return -1;
}

/* "Press release: X" and "New post: X" name X. */
static const char *const subject_labels[] = {
	"press release:", "press notice:", "press alert:", "news release:",
	"media release:", "new post:", "new post on ",
};

/*
 * Whether the cleaned subject can title a one-article message: three
 * words or more, not the bulletin's or sender's name, not a masthead line
 * ("Branch Bulletin - Issue 47").
 */
static void
judge_subject(struct splitter *sp)
{
	const struct message *m = sp->m;
	const char *s = sp->subject;
	struct unit probe;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subject_labels); i++) {
		if (str_has_prefix_ci(s, subject_labels[i])) {
			s += strlen(subject_labels[i]);
			while (is_space((unsigned char)*s))
				s++;
			break;
		}
	}
	sp->subject_title = s;
	memset(&probe, 0, sizeof(probe));
	probe.kind = BLOCK_PARA;
	probe.words = str_words(s);
	if (probe.words < 3 || strlen(s) > TITLE_MAX)
		return;
	probe.text = xstrdup(s);
	unit_classify(&probe, 0);
	free(probe.text);
	if (probe.flags & (U_DROP | U_MAST | U_ISSUE | U_GREET | U_STOP))
		return;
	if ((m->from_name && strcasecmp(s, m->from_name) == 0) ||
	    (m->list_id && strcasecmp(s, m->list_id) == 0))
		return;
	sp->subject_good = 1;
}

/*
 * A letter with headed paragraphs ("Dear members," first, no masthead
 * above it, no links anywhere) is one article however many headings it
 * has: a branch report, not a newsletter.
 */
static int
is_letter(const struct splitter *sp)
{
	size_t i;
	int first = 1;

	for (i = 0; i < sp->n; i++) {
		const struct unit *u = &sp->u[i];

		if ((u->flags & U_DROP) && !(u->flags & U_READMORE))
			continue;
		if (first && !(u->flags & U_GREET))
			return 0;
		first = 0;
		if (u->link_only || (u->flags & (U_READMORE | U_URLLINE)) ||
		    (u->kind == BLOCK_HEADING && u->url))
			return 0;
	}
	return !first;
}

/*
 * A heading or bold line over an issue line ("Branch News" / "Issue 41")
 * is the bulletin's name, not an article's title: made a plain masthead
 * line, so a masthead underlined like the sections is not an item.
 */
static void
mark_mastheads(struct splitter *sp)
{
	size_t i, j, seen;

	for (i = 0; i < sp->n; i++) {
		struct unit *u = &sp->u[i];

		if (u->kind != BLOCK_HEADING && !u->strong)
			continue;
		for (j = i + 1, seen = 0; j < sp->n && j < i + 16 && seen < 3;
		    j++) {
			if (sp->u[j].flags & U_ISSUE) {
				u->flags |= U_MAST;
				u->kind = BLOCK_PARA;
				u->strong = 0;
				break;
			}
			if (!(sp->u[j].flags & U_DROP))
				seen++;
			if (sp->u[j].kind == BLOCK_HEADING)
				break;
		}
	}
}

/*
 * The footer: the first footer line ("You are receiving this...",
 * "Copyright") that has content above it and no real prose below it.  Its
 * links ("Manage your keywords\nhttps://...") must not pass for posts.
 */
static void
find_footer(struct splitter *sp)
{
	size_t i, first_content = SIZE_MAX;
	int prose_after = 0;

	sp->footer_at = SIZE_MAX;
	for (i = 0; i < sp->n && first_content == SIZE_MAX; i++)
		if (is_content(&sp->u[i]) && !(sp->u[i].flags & U_DROP))
			first_content = i;
	for (i = sp->n; i-- > 0 && i > first_content;) {
		const struct unit *u = &sp->u[i];

		if (!(u->flags & U_DROP) && u->words >= LONG_PARA)
			prose_after = 1;
		if (prose_after)
			break;
		if (u->flags & U_FOOTER)
			sp->footer_at = i;
	}
}

static void
choose_layout(struct splitter *sp)
{
	static const unsigned kinds[] = { K_LINK, K_TEXT, K_STRONG };
	size_t best = 0, c, i;
	unsigned kind = 0;
	int level;

	mark_mastheads(sp);
	find_footer(sp);
	if (is_letter(sp))
		goto single;
	for (level = 1; level <= 6; level++) {
		if (count_titles(sp, level, 0, NULL) >= 2) {
			sp->layout = L_HEADING;
			sp->level = level;
			return;
		}
	}
	find_candidates(sp);
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		c = count_titles(sp, 0, kinds[i], NULL);
		if (c >= 2 && c > best) {
			best = c;
			kind = kinds[i];
		}
	}
	if (kind) {
		sp->layout = L_KIND;
		sp->kind = kind;
		sp->mark = xcalloc(sp->n, 1);
		count_titles(sp, 0, kind, sp->mark);
		return;
	}
single:
	sp->layout = L_SINGLE;
	sp->title = single_title(sp);
}

/* Cleans a title; NULL when nothing is left. */
static char *
title_make(const char *s)
{
	char *t = str_squeeze(s, strlen(s));
	size_t n = strlen(t);

	while (n > 0 && (t[n - 1] == ':' || t[n - 1] == '|' ||
	    t[n - 1] == '-' || t[n - 1] == ' '))
		t[--n] = '\0';
	if (!n) {
		free(t);
		return NULL;
	}
	if (n > TITLE_MAX) {
		char *w = str_first_words(t, 40);

		free(t);
		t = w;
		utf8_truncate(t, TITLE_MAX);
	}
	return t;
}

/* Appends sep and s, keeping a few bytes past max so utf8_truncate() can
 * see whether the cut falls inside a character. */
static void
text_add(struct cur *c, const char *sep, const char *s, size_t max)
{
	size_t cap = max + 4, room, n;

	if (c->text.len >= cap)
		return;
	if (c->text.len) {
		room = cap - c->text.len;
		n = strlen(sep);
		buf_add(&c->text, sep, n < room ? n : room);
	}
	room = cap - c->text.len;
	n = strlen(s);
	buf_add(&c->text, s, n < room ? n : room);
}

static void
cur_open(struct splitter *sp, struct cur *c, long title)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->text, 0);
	c->open = 1;
	c->title = title;
	if (title >= 0 && is_http(sp->u[title].url))
		c->url = sp->u[title].url;
}

static void
cur_add(struct splitter *sp, struct cur *c, const struct unit *u)
{
	const char *sep;

	if (u->flags & (U_READMORE | U_BYLINE | U_URLLINE))
		c->evidence = 1;
	if (u->flags & U_READMORE) {
		if (!c->url && is_http(u->url))
			c->url = u->url;
		return;
	}
	if (u->flags & U_URLLINE) {
		if (!c->url) {
			c->url = u->url;
			return;
		}
		if (strcmp(c->url, u->url) == 0)
			return;
	}
	if (u->flags & U_BYLINE) {
		if (!c->date)
			c->date = u->date;
		return;
	}
	if ((u->flags & (U_DROP | U_STOP)) || u->kind == BLOCK_RULE)
		return;
	/* "Read the ballot briefing" under a heading without a link */
	if (u->link_only && !c->link && is_http(u->url))
		c->link = u->url;
	sep = c->last_list && u->kind == BLOCK_LIST_ITEM ? "\n" : "\n\n";
	if (u->kind == BLOCK_LIST_ITEM) {
		text_add(c, sep, "- ", sp->max_text);
		text_add(c, "", u->text, sp->max_text);
	} else {
		text_add(c, sep, u->text, sp->max_text);
	}
	c->last_list = u->kind == BLOCK_LIST_ITEM;
	c->content = 1;
}

static const char *
source_of(const struct message *m)
{
	if (m->list_id && *m->list_id)
		return m->list_id;
	if (m->from_name && *m->from_name)
		return m->from_name;
	if (m->from_addr && *m->from_addr)
		return m->from_addr;
	return "unknown";
}

/* Closes the article: an item unless it is empty and not the only one. */
static void
cur_close(struct splitter *sp, struct cur *c)
{
	struct item *it;
	char *text, *title = NULL;
	size_t n;

	if (!c->open)
		return;
	c->open = 0;
	text = buf_detach(&c->text);
	utf8_truncate(text, sp->max_text);
	n = strlen(text);
	while (n > 0 && is_space((unsigned char)text[n - 1]))
		text[--n] = '\0';
	if (sp->added >= sp->max_items ||
	    (sp->layout != L_SINGLE && !*text && !c->evidence)) {
		free(text);
		return;
	}
	/* one article: the sender's subject names it (an inspectorate's
	 * heading may be curlier, a circular's less to the point) */
	if (sp->layout == L_SINGLE && sp->subject_good)
		title = xstrdup(sp->subject_title);
	if (!title && c->title >= 0)
		title = title_make(sp->u[c->title].text);
	if (!title && sp->layout != L_SINGLE && *text) {
		char *w = str_first_words(text, 10);

		title = title_make(w);
		free(w);
	}
	if (!title && sp->subject[0])
		title = xstrdup(sp->subject);
	if (!title && *text) {
		char *w = str_first_words(text, 10);

		title = title_make(w);
		free(w);
	}
	if (!title)
		title = xstrdup("(no subject)");

	xgrow(&sp->out->v, sp->out->n, &sp->out->cap, sizeof(*sp->out->v));
	it = &sp->out->v[sp->out->n++];
	memset(it, 0, sizeof(*it));
	it->title = title;
	/* a press release dates itself above its title */
	if (!c->date && sp->layout == L_SINGLE)
		c->date = sp->pre_date;
	if (!c->date)
		c->date = sp->m->date ? sp->m->date : sp->m->fwd_date;
	it->date = c->date;
	if (!c->url)
		c->url = c->link;
	it->url = c->url ? xstrdup(c->url) : NULL;
	it->text = text;
	it->source = xstrdup(source_of(sp->m));
	it->words = str_words(text);
	sp->added++;
}

static void
emit(struct splitter *sp)
{
	struct cur c;
	size_t i;

	memset(&c, 0, sizeof(c));
	buf_init(&c.text, 0);
	if (sp->layout == L_SINGLE && sp->title < 0)
		cur_open(sp, &c, -1);
	for (i = 0; i < sp->n && sp->added < sp->max_items; i++) {
		const struct unit *u = &sp->u[i];

		/* the footer ends the last article even when it has no text
		 * yet; nothing after it opens another */
		if (i == sp->footer_at) {
			cur_close(sp, &c);
			continue;
		}
		switch (role_of(sp, i)) {
		case R_TITLE:
			cur_close(sp, &c);
			cur_open(sp, &c, (long)i);
			continue;
		case R_END:
			cur_close(sp, &c);
			continue;
		case R_STOP:
		case R_FOOTER:
			/* "3 comments" under a post's title is no thread */
			if (c.open && c.content)
				cur_close(sp, &c);
			continue;
		case R_NONE:
			break;
		}
		if (!c.open) {
			if (!sp->added && !sp->pre_date && (u->flags & U_BYLINE))
				sp->pre_date = u->date;
			continue;
		}
		if (u->kind == BLOCK_RULE && c.content && footer_follows(sp, i)) {
			cur_close(sp, &c);
			continue;
		}
		cur_add(sp, &c, u);
	}
	cur_close(sp, &c);
	buf_free(&c.text);
}

size_t
split_message(const struct message *m, const struct limits *lim,
    struct item_list *out)
{
	struct splitter sp;
	size_t i;

	if (!lim)
		lim = &limits_default;
	memset(&sp, 0, sizeof(sp));
	sp.m = m;
	sp.out = out;
	sp.max_items = lim->max_items ? lim->max_items :
	    limits_default.max_items;
	sp.max_text = lim->max_item_text ? lim->max_item_text :
	    limits_default.max_item_text;
	sp.subject = split_clean_subject(m->subject);
	if (!sp.subject[0] && m->forwarded && m->fwd_subject) {
		free(sp.subject);
		sp.subject = split_clean_subject(m->fwd_subject);
	}
	sp.title = -1;
	sp.footer_at = SIZE_MAX;
	judge_subject(&sp);

	for (i = 0; i < m->body.n; i++)
		if (m->body.blocks[i].text)
			units_from_block(&sp, &m->body.blocks[i]);
	choose_layout(&sp);
	emit(&sp);
	/* a bulletin that was all masthead and footer is still one item */
	if (sp.added == 0) {
		sp.layout = L_SINGLE;
		sp.title = single_title(&sp);
		emit(&sp);
	}

	for (i = 0; i < sp.n; i++) {
		free(sp.u[i].text);
		free(sp.u[i].url);
	}
	free(sp.u);
	free(sp.mark);
	free(sp.subject);
	return sp.added;
}

/* Length of a reply marker at s ("Re:", "Fwd[2]:", "AW :"), or 0. */
static size_t
reply_prefix_len(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reply_prefixes); i++) {
		const char *p = s;

		if (!str_has_prefix_ci(p, reply_prefixes[i]))
			continue;
		p += strlen(reply_prefixes[i]);
		if (*p == '[' || *p == '(') {
			char close = *p == '[' ? ']' : ')';

			p++;
			while (is_digit((unsigned char)*p))
				p++;
			if (*p++ != close)
				continue;
		}
		while (*p == ' ')
			p++;
		if (*p == ':')
			return (size_t)(p + 1 - s);
	}
	return 0;
}

char *
split_clean_subject(const char *subject)
{
	const char *p = subject ? subject : "";
	char *t;
	size_t n;

	for (;;) {
		const char *e;

		while (is_space((unsigned char)*p))
			p++;
		/* "[branch]" list tags; an unclosed "[" is text */
		if (*p == '[' && (e = strchr(p, ']'))) {
			p = e + 1;
			continue;
		}
		if ((n = reply_prefix_len(p))) {
			p += n;
			continue;
		}
		break;
	}
	t = str_squeeze(p, strlen(p));
	n = strlen(t);
	/* "Title (fwd)" as some old clients write it */
	if (n >= 5 && strcasecmp(t + n - 5, "(fwd)") == 0) {
		char *s = str_squeeze(t, n - 5);

		free(t);
		t = s;
	}
	return t;
}

void
item_list_free(struct item_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++) {
		free(l->v[i].title);
		free(l->v[i].url);
		free(l->v[i].text);
		free(l->v[i].source);
		free(l->v[i].labels);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
