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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
	size_t len;          /* strlen(text) */
	char *url;           /* owned, or NULL */
	unsigned words;
	unsigned flags;      /* U_* */
	unsigned cand;       /* K_* */
	int link_only, strong;
	int64_t date;        /* from a byline */
};

/* The M_EXACT and M_PREFIX entries of a pattern table by first byte:
 * order[start[c]] to order[start[c + 1] - 1] start with c. */
struct table_index {
	unsigned char start[257];
	unsigned char order[128];
};

/*
 * Indexes of the pattern tables (index_tables()): a unit costs one pass
 * over its text rather than one per pattern, and most units and lines need
 * no key at all.  Built once, then only read.
 */
struct tables {
	struct table_index boiler_ix, stop_ix;
	/* bit j: contains[j] starts with the byte, either case */
	uint64_t contains_first[256];
	uint64_t contains_second[256]; /* ... has it second */
	unsigned char contains[64];   /* boiler_patterns of M_CONTAINS */
	size_t n_contains;
	/* [min(words, 256)]: bit j set when contains[j] applies to a unit
	 * of that many words (max_words is below 256) */
	uint64_t contains_live[257];
#ifdef __SSE2__
	/* Their first and second bytes, ORed with 0x20 (which folds ASCII
	 * case), repeated to fill: match_contains() skips, sixteen at a
	 * time, the bytes that start none of them. */
	__m128i contains_b0[8], contains_b1[12];
#endif
	/* Bit c1 & 63 of [c0]: a key starting c0 c1 may match a pattern that
	 * cuts a paragraph at a line (line_breaks()), or any key-matched
	 * pattern or a social network's name (unit_classify()). */
	uint64_t line_first[256];
	uint64_t key_first[256];
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

	const struct tables *tab; /* the pattern tables' indexes */
	/* Scratch for the lines of a paragraph, reused block after block:
	 * the squeezed lines of the current run (run_len bytes), then the
	 * line being looked at, squeezed where it would join the run. */
	char *line;
	size_t line_cap, run_len;
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
	unsigned words;      /* str_words(text) while text is not cut */
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
	unsigned char len;        /* strlen(s) */
	unsigned char how;        /* enum match */
	unsigned char max_words;  /* 0: any length */
	unsigned short flags;     /* U_* */
};

/* A pattern's string and its length. */
#define P(s) s, sizeof(s) - 1

/* Matched against every unit. */
static const struct pattern boiler_patterns[] = {
	/* subscription footers: they also mark where the footer begins */
	{ P("unsubscribe"), M_CONTAINS, 30, U_DROP | U_FOOTER },
	{ P("you are subscribed"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("you are receiving this"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("you're receiving this"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("you received this"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this email was sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this message was sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this alert was sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this newsletter was sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this bulletin was sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this circular is sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("this email is sent"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("if you no longer wish"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("our mailing address is"), M_PREFIX, 60, U_DROP | U_FOOTER },
	{ P("copyright"), M_PREFIX, 40, U_DROP | U_FOOTER },
	{ P("all rights reserved"), M_CONTAINS, 40, U_DROP | U_FOOTER },
	{ P("sent from my"), M_PREFIX, 8, U_DROP | U_FOOTER },
	{ P("get outlook for"), M_PREFIX, 8, U_DROP | U_FOOTER },
	/* preference and browser links */
	{ P("manage your preferences"), M_CONTAINS, 20, U_DROP },
	{ P("update your preferences"), M_CONTAINS, 20, U_DROP },
	{ P("manage preferences"), M_CONTAINS, 20, U_DROP },
	{ P("email preferences"), M_CONTAINS, 20, U_DROP },
	{ P("manage your subscription"), M_CONTAINS, 20, U_DROP },
	{ P("update subscription preferences"), M_CONTAINS, 20, U_DROP },
	{ P("view this email in"), M_CONTAINS, 20, U_DROP | U_MAST },
	{ P("view in browser"), M_CONTAINS, 12, U_DROP | U_MAST },
	{ P("view in your browser"), M_CONTAINS, 12, U_DROP | U_MAST },
	{ P("view it in your browser"), M_CONTAINS, 16, U_DROP | U_MAST },
	{ P("view online"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("view web version"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("having trouble viewing"), M_PREFIX, 30, U_DROP | U_MAST },
	{ P("email not displaying correctly"), M_PREFIX, 30, U_DROP | U_MAST },
	{ P("add us to your address book"), M_CONTAINS, 30, U_DROP },
	{ P("forward to a friend"), M_CONTAINS, 12, U_DROP },
	{ P("forward this email"), M_CONTAINS, 12, U_DROP },
	/* social */
	{ P("follow us"), M_PREFIX, 15, U_DROP },
	{ P("like us on"), M_PREFIX, 15, U_DROP },
	{ P("find us on"), M_PREFIX, 12, U_DROP },
	{ P("share this"), M_PREFIX, 6, U_DROP },
	{ P("share on"), M_PREFIX, 6, U_DROP },
	/* forward and blog-post furniture */
	{ P("forwarded message"), M_CONTAINS, 8, U_DROP },
	{ P("begin forwarded message"), M_PREFIX, 6, U_DROP },
	{ P("original message"), M_EXACT, 0, U_DROP },
	{ P("posted in "), M_PREFIX, 25, U_DROP },
	{ P("filed under"), M_PREFIX, 25, U_DROP },
	{ P("tags:"), M_PREFIX, 25, U_DROP },
	{ P("like this:"), M_PREFIX, 4, U_DROP },
	{ P("like loading"), M_PREFIX, 4, U_DROP },
	/* mastheads: dropped, and never taken for a title */
	{ P("press release"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("press notice"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("press alert"), M_PREFIX, 12, U_DROP | U_MAST },
	{ P("news alert"), M_PREFIX, 12, U_DROP | U_MAST },
	{ P("new report"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("news release"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("media release"), M_EXACT, 0, U_DROP | U_MAST },
	{ P("for immediate release"), M_PREFIX, 8, U_DROP | U_MAST },
	{ P("embargoed"), M_PREFIX, 12, U_DROP | U_MAST },
	{ P("in this issue"), M_PREFIX, 4, U_MAST },
	/* a press release's end: notes to editors follow */
	{ P("ends"), M_EXACT, 0, U_DROP | U_FOOTER },
	/* "read more": dropped, the link kept as the item's url */
	{ P("read more"), M_PREFIX, 12, U_DROP | U_READMORE },
	{ P("continue reading"), M_PREFIX, 25, U_DROP | U_READMORE },
	{ P("read the full"), M_PREFIX, 12, U_DROP | U_READMORE },
	{ P("read full"), M_PREFIX, 8, U_DROP | U_READMORE },
	{ P("read the rest"), M_PREFIX, 12, U_DROP | U_READMORE },
	{ P("keep reading"), M_PREFIX, 8, U_DROP | U_READMORE },
	{ P("read on"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("more"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("full story"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("full article"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("read online"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("read post"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("read article"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("read this post"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("view post"), M_EXACT, 0, U_DROP | U_READMORE },
	{ P("view article"), M_EXACT, 0, U_DROP | U_READMORE },
	/* salutations: kept in text, never a title */
	{ P("dear "), M_PREFIX, 10, U_GREET },
	{ P("hi "), M_PREFIX, 8, U_GREET },
	{ P("hi"), M_EXACT, 0, U_GREET },
	{ P("hello"), M_PREFIX, 8, U_GREET },
	{ P("good morning"), M_PREFIX, 8, U_GREET },
	{ P("good afternoon"), M_PREFIX, 8, U_GREET },
	{ P("greetings"), M_PREFIX, 6, U_GREET },
	{ P("colleagues"), M_PREFIX, 4, U_GREET },
};

/*
 * Matched only against title-like units (headings, bold or link lines,
 * very short paragraphs): these head a section that is not an article,
 * so "join us on the picket line" in prose is left alone.
 */
static const struct pattern stop_patterns[] = {
	{ P("join us"), M_EXACT, 0, U_STOP },
	{ P("join"), M_EXACT, 0, U_STOP },
	{ P("join today"), M_EXACT, 0, U_STOP },
	{ P("join now"), M_EXACT, 0, U_STOP },
	{ P("join the union"), M_PREFIX, 10, U_STOP },
	{ P("become a member"), M_PREFIX, 10, U_STOP },
	{ P("not a member"), M_PREFIX, 10, U_STOP },
	{ P("not yet a member"), M_PREFIX, 10, U_STOP },
	{ P("membership"), M_EXACT, 0, U_STOP },
	{ P("follow us"), M_PREFIX, 10, U_STOP },
	{ P("connect with us"), M_PREFIX, 10, U_STOP },
	{ P("stay connected"), M_EXACT, 0, U_STOP },
	{ P("stay in touch"), M_EXACT, 0, U_STOP },
	{ P("social media"), M_EXACT, 0, U_STOP },
	{ P("contact us"), M_PREFIX, 10, U_STOP },
	{ P("contact"), M_EXACT, 0, U_STOP },
	{ P("contact details"), M_EXACT, 0, U_STOP },
	{ P("get in touch"), M_EXACT, 0, U_STOP },
	{ P("comments"), M_EXACT, 0, U_STOP },
	{ P("comment"), M_EXACT, 0, U_STOP },
	{ P("leave a comment"), M_PREFIX, 10, U_STOP },
	{ P("leave a reply"), M_PREFIX, 10, U_STOP },
	{ P("post a comment"), M_PREFIX, 10, U_STOP },
	{ P("add a comment"), M_PREFIX, 10, U_STOP },
	{ P("one thought on"), M_PREFIX, 20, U_STOP },
	{ P("one response to"), M_PREFIX, 20, U_STOP },
	{ P("responses"), M_EXACT, 0, U_STOP },
	{ P("related posts"), M_EXACT, 0, U_STOP },
	{ P("related articles"), M_EXACT, 0, U_STOP },
	{ P("related"), M_EXACT, 0, U_STOP },
	{ P("you may also like"), M_EXACT, 0, U_STOP },
	{ P("about us"), M_EXACT, 0, U_STOP },
	{ P("notes to editors"), M_PREFIX, 10, U_STOP },
	{ P("notes for editors"), M_PREFIX, 10, U_STOP },
	{ P("note to editors"), M_PREFIX, 10, U_STOP },
	{ P("editor's notes"), M_PREFIX, 10, U_STOP },
	{ P("media enquiries"), M_PREFIX, 12, U_STOP },
	{ P("media contact"), M_PREFIX, 12, U_STOP },
	{ P("press enquiries"), M_PREFIX, 12, U_STOP },
	{ P("press office"), M_PREFIX, 12, U_STOP },
	/* the sections of one report or circular, not articles */
	{ P("key findings"), M_EXACT, 0, U_SUBHEAD },
	{ P("main findings"), M_EXACT, 0, U_SUBHEAD },
	{ P("findings"), M_EXACT, 0, U_SUBHEAD },
	{ P("summary"), M_EXACT, 0, U_SUBHEAD },
	{ P("background"), M_EXACT, 0, U_SUBHEAD },
	{ P("context"), M_EXACT, 0, U_SUBHEAD },
	{ P("introduction"), M_EXACT, 0, U_SUBHEAD },
	{ P("conclusion"), M_PREFIX, 6, U_SUBHEAD },
	{ P("recommendations"), M_EXACT, 0, U_SUBHEAD },
	{ P("our recommendations"), M_EXACT, 0, U_SUBHEAD },
	{ P("next steps"), M_EXACT, 0, U_SUBHEAD },
	{ P("what happens next"), M_EXACT, 0, U_SUBHEAD },
	{ P("timetable"), M_EXACT, 0, U_SUBHEAD },
	{ P("key dates"), M_EXACT, 0, U_SUBHEAD },
	{ P("what this means"), M_PREFIX, 6, U_SUBHEAD },
	{ P("what it means"), M_PREFIX, 6, U_SUBHEAD },
	{ P("what you can do"), M_EXACT, 0, U_SUBHEAD },
	{ P("what you need to do"), M_EXACT, 0, U_SUBHEAD },
	{ P("what to do"), M_EXACT, 0, U_SUBHEAD },
	{ P("how to vote"), M_EXACT, 0, U_SUBHEAD },
	{ P("how to apply"), M_EXACT, 0, U_SUBHEAD },
	{ P("details"), M_EXACT, 0, U_SUBHEAD },
	{ P("key points"), M_EXACT, 0, U_SUBHEAD },
	{ P("the offer"), M_EXACT, 0, U_SUBHEAD },
	{ P("deadline"), M_EXACT, 0, U_SUBHEAD },
	{ P("deadlines"), M_EXACT, 0, U_SUBHEAD },
	{ P("faqs"), M_EXACT, 0, U_SUBHEAD },
	{ P("frequently asked questions"), M_EXACT, 0, U_SUBHEAD },
	/* an AGM notice's parts */
	{ P("agenda"), M_EXACT, 0, U_SUBHEAD },
	{ P("apologies"), M_EXACT, 0, U_SUBHEAD },
	{ P("minutes"), M_EXACT, 0, U_SUBHEAD },
	{ P("nominations"), M_EXACT, 0, U_SUBHEAD },
	{ P("motions"), M_EXACT, 0, U_SUBHEAD },
	{ P("any other business"), M_EXACT, 0, U_SUBHEAD },
	{ P("venue"), M_EXACT, 0, U_SUBHEAD },
	{ P("further information"), M_EXACT, 0, U_SUBHEAD },
	{ P("more information"), M_EXACT, 0, U_SUBHEAD },
	{ P("about the report"), M_EXACT, 0, U_SUBHEAD },
	{ P("about this report"), M_EXACT, 0, U_SUBHEAD },
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

/* Lower-cased match key of s (len bytes); *cut_r set when text was longer
 * than the key. */
static size_t
key_make(const char *s, size_t len, char key[KEY_MAX], int *cut_r)
{
	const unsigned char *p = (const unsigned char *)s;
#ifdef __SSE2__
	const unsigned char *end = p + len;
#endif
	size_t n = 0;
	int space = 0;

	(void)len;
	*cut_r = 0;
	/* leading bullets, dashes, quotes and symbols like "©" or "»" */
	while (*p && !is_alnum(*p))
		p++;
	for (; *p; p++) {
		/* a word at a time (n > 0 whenever space is set) */
		if (!space) {
#ifdef __SSE2__
			/* sixteen bytes at a time while they hold words and
			 * single spaces, none last: the key has them as they
			 * are, lower-cased */
			while (end - p >= 16 && n + 16 <= KEY_MAX - 2) {
				__m128i x = _mm_loadu_si128(
				    (const __m128i *)(const void *)p), up;
				unsigned sp = (unsigned)_mm_movemask_epi8(
				    _mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));

				/* no white space but single spaces, no 0xe2 */
				if (_mm_movemask_epi8(_mm_or_si128(
				    _mm_cmpeq_epi8(_mm_min_epu8(x,
				    _mm_set1_epi8(0x1f)), x), _mm_cmpeq_epi8(x,
				    _mm_set1_epi8((char)0xe2)))) ||
				    (sp & (sp >> 1)) || (sp & 0x8000))
					break;
				/* 'A' to 'Z' are below 26 less 'A' */
				up = _mm_sub_epi8(x, _mm_set1_epi8('A'));
				up = _mm_cmpeq_epi8(_mm_min_epu8(up,
				    _mm_set1_epi8(25)), up);
				_mm_storeu_si128((__m128i *)(void *)(key + n),
				    _mm_add_epi8(x, _mm_and_si128(up,
				    _mm_set1_epi8(0x20))));
				n += 16;
				p += 16;
			}
#endif
			while (*p > ' ' && *p != 0xe2 && n < KEY_MAX - 2)
				key[n++] = lower((char)*p++);
			if (!*p)
				break;
		}
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

/* The M_EXACT and M_PREFIX patterns of t (indexed in ix) that key (klen
 * bytes) matches; M_CONTAINS ones are match_contains()'s. */
static unsigned
match_table(const struct pattern *t, const struct table_index *ix,
    const char *key, size_t klen, int cut, unsigned words)
{
	unsigned char c = (unsigned char)key[0];
	unsigned flags = 0;
	size_t i, j;

	for (j = ix->start[c]; j < ix->start[c + 1]; j++) {
		i = ix->order[j];
		if (t[i].max_words && words > t[i].max_words)
			continue;
		if (t[i].how == M_EXACT ? !cut && klen == t[i].len &&
		    memcmp(key, t[i].s, klen) == 0 :
		    klen >= t[i].len && memcmp(key, t[i].s, t[i].len) == 0)
			flags |= t[i].flags;
	}
	return flags;
}

/* The M_CONTAINS patterns that may start at p, of those in live, and
 * adds the flags of those that do to *flags_r. */
static inline uint64_t
contains_at(const struct splitter *sp, const char *p, uint64_t live,
    unsigned *flags_r)
{
	uint64_t m;
	size_t j, k;

	m = sp->tab->contains_first[(unsigned char)p[0]] &
	    sp->tab->contains_second[(unsigned char)p[1]] & live;
	while (m) {
		const struct pattern *pt;

		j = (size_t)__builtin_ctzll(m);
		m &= m - 1;
		pt = &boiler_patterns[sp->tab->contains[j]];
		for (k = 1; k < pt->len && lower(p[k]) == lower(pt->s[k]); k++)
			;
		if (k == pt->len) {
			*flags_r |= pt->flags;
			live &= ~((uint64_t)1 << j);
		}
	}
	return live;
}

/*
 * The M_CONTAINS boiler patterns found in text (len bytes; not the key:
 * the key may be cut), ASCII case ignored: one pass over text for all of
 * them.
 */
static unsigned
match_contains(const struct splitter *sp, const char *text, size_t len,
    unsigned words)
{
	const char *p = text, *end = text + len;
	uint64_t live = sp->tab->contains_live[words < 256 ? words : 256];
	unsigned flags = 0;
#ifdef __SSE2__
	const __m128i *b0 = sp->tab->contains_b0;
	const __m128i *b1 = sp->tab->contains_b1;
	const char *q;
	size_t j;

	/* p[16] is text's NUL at worst; the last sixteen bytes are looked
	 * at from end - 16, less those already seen */
	while (end - text >= 16 && p < end && live) {
		__m128i c = _mm_set1_epi8(0x20), x, y;
		__m128i f = _mm_setzero_si128(), g = _mm_setzero_si128();
		unsigned m;

		q = end - p >= 16 ? p : end - 16;
		x = _mm_or_si128(_mm_loadu_si128(
		    (const __m128i *)(const void *)q), c);
		y = _mm_or_si128(_mm_loadu_si128(
		    (const __m128i *)(const void *)(q + 1)), c);
		for (j = 0; j < ARRAY_SIZE(sp->tab->contains_b0); j++)
			f = _mm_or_si128(f, _mm_cmpeq_epi8(x, b0[j]));
		for (j = 0; j < ARRAY_SIZE(sp->tab->contains_b1); j++)
			g = _mm_or_si128(g, _mm_cmpeq_epi8(y, b1[j]));
		m = (unsigned)_mm_movemask_epi8(_mm_and_si128(f, g)) &
		    (0xffffu << (p - q));
		for (; m && live; m &= m - 1)
			live = contains_at(sp, q + __builtin_ctz(m), live,
			    &flags);
		p = q + 16;
	}
#endif
	for (; p < end && live; p++)
		live = contains_at(sp, p, live, &flags);
	return flags;
}

static int
in_list(const char *w, size_t n, const char *const *list, size_t nl)
{
	size_t i;

	/* w has no NUL in its n bytes: list[i] is w when it ends there */
	for (i = 0; i < nl; i++)
		if (list[i][0] == w[0] && strncmp(w, list[i], n) == 0 &&
		    list[i][n] == '\0')
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

	/* the first byte first: this runs on every line */
	if (*s != 'h' || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0))
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

/* The letters months start with, as bits from 'a'. */
#define MONTH_FIRST (1u << ('j' - 'a') | 1u << ('f' - 'a') | \
	1u << ('m' - 'a') | 1u << ('a' - 'a') | 1u << ('s' - 'a') | \
	1u << ('o' - 'a') | 1u << ('n' - 'a') | 1u << ('d' - 'a'))

static int
month_of(const char *p, size_t n)
{
	char w[10], c0, c1, c2;
	size_t i, k;

	if (n < 3 || n >= sizeof(w))
		return 0;
	/* most words start with no month's letter */
	c0 = lower(p[0]);
	if (c0 < 'a' || c0 > 'z' || !(MONTH_FIRST >> (c0 - 'a') & 1))
		return 0;
	c1 = lower(p[1]);
	c2 = lower(p[2]);
	for (i = 0; i < ARRAY_SIZE(month_names); i++) {
		/* "nov", "november", "sept"; not "mayor" or "marching" */
		static const char *const full[] = {
			"january", "february", "march", "april", "may",
			"june", "july", "august", "september", "october",
			"november", "december",
		};
		/* no two months start alike: one try at most */
		if (c0 != month_names[i][0] || c1 != month_names[i][1] ||
		    c2 != month_names[i][2])
			continue;
		for (k = 0; k < n; k++)
			w[k] = lower(p[k]);
		w[n] = '\0';
		if (n == 3 || strncmp(w, full[i], n) == 0 ||
		    (i == 8 && strcmp(w, "sept") == 0))
			return (int)i + 1;
		return 0;
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

/*
 * Whether the key of text may start with a pair of bytes set in first:
 * false means that no pattern indexed there can match and the key need
 * not be made.  The key starts at the first letter or digit, lower-cased,
 * and goes on with the next byte, white space or right quote as
 * key_make() has them; that byte is its second unless it is shorter.
 */
static int
key_may_start(const uint64_t first[256], const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned char c1;

	while (*p && !is_alnum(*p))
		p++;
	if (!*p)
		return 0;
	c1 = p[1];
	if (is_space(c1))
		c1 = ' ';
	else if (c1 == 0xe2 && p[2] == 0x80 && p[3] == 0x99)
		c1 = '\'';
	else
		c1 = (unsigned char)lower((char)c1);
	return first[(unsigned char)lower((char)*p)] >> (c1 & 63) & 1;
}

/* "© 2025 ...": the sign is lost in the key. */
static int
is_copyright(const char *s)
{
	if (s[0] == '\xc2')
		return s[1] == '\xa9';
	return s[0] == '(' && (strncmp(s, "(c) ", 4) == 0 ||
	    strncmp(s, "(C) ", 4) == 0);
}

/* Whether key starts with a word that opens a byline. */
static int
is_byline_start(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(byline_prefixes); i++)
		if (strncmp(key, byline_prefixes[i],
		    strlen(byline_prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Sets u->flags (and u->date) from the tables.  line_mode: u is one line
 * cut from a paragraph, where "contains" patterns would cut prose. */
static void
unit_classify(const struct splitter *sp, struct unit *u, int line_mode)
{
	char key[KEY_MAX];
	unsigned extra;
	size_t klen = 0;
	int cut = 0, keyed, title_like = is_title_like(u), digits;

	/* prose: most paragraphs start with no pattern's first letters; an
	 * issue line (6 words at most) is title-like */
	keyed = title_like || key_may_start(sp->tab->key_first, u->text);
	key[0] = '\0';
	if (keyed)
		klen = key_make(u->text, u->len, key, &cut);
	if (is_bare_url(u->text))
		u->flags |= U_URLLINE;
	if (keyed)
		u->flags |= match_table(boiler_patterns, &sp->tab->boiler_ix,
		    key, klen, cut, u->words);
	if (!line_mode)
		u->flags |= match_contains(sp, u->text, u->len, u->words);
	if (u->words <= 40 && is_copyright(u->text))
		u->flags |= U_DROP | U_FOOTER;
	if (keyed && is_social_run(key, cut, u->link_only))
		u->flags |= U_DROP;
	/* an issue line has a number, and no more than 6 words */
	digits = u->words <= 30 && strpbrk(u->text, "0123456789");
	if (keyed && digits && is_issue_line(u, key, cut))
		u->flags |= U_ISSUE | U_MAST;
	if (title_like) {
		u->flags |= match_table(stop_patterns, &sp->tab->stop_ix, key,
		    klen, cut, u->words);
		if (is_comment_count(key, u->words))
			u->flags |= U_STOP;
	}
	if (digits && (u->date = find_date(u->text, &extra)) != 0) {
		if (!keyed && extra && u->words <= 15 &&
		    !ends_sentence(u->text))
			key_make(u->text, u->len, key, &cut);
		/* "By 1 December all branches must..." is a sentence */
		if (extra == 0 || (u->words <= 15 && !ends_sentence(u->text) &&
		    is_byline_start(key)))
			u->flags |= U_BYLINE;
		else
			u->date = 0;
	}
	if (u->flags & U_URLLINE)
		u->flags &= ~(unsigned)(U_STOP | U_GREET);
}

/* Flags of a line that make it a unit of its own in its paragraph. */
#define LINE_BREAKS (U_URLLINE | U_BYLINE | U_READMORE | U_FOOTER)

/*
 * Whether unit_classify(u, 1) would set one of LINE_BREAKS on a line with
 * this squeezed text (len bytes): the same tests, less those that cannot
 * set them, and the key made only when its first two bytes can start such
 * a pattern or a date was found.  Almost every line of prose fails at
 * once.
 */
static int
line_breaks(const struct splitter *sp, const char *text, size_t len,
    unsigned words)
{
	char key[KEY_MAX];
	unsigned extra;
	size_t klen;
	int cut, keyed = 0;

	if (is_bare_url(text))
		return 1;
	if (words <= 40 && is_copyright(text))
		return 1;
	if (key_may_start(sp->tab->line_first, text)) {
		klen = key_make(text, len, key, &cut);
		keyed = 1;
		if (match_table(boiler_patterns, &sp->tab->boiler_ix, key, klen,
		    cut, words) & LINE_BREAKS)
			return 1;
	}
	if (words > 30 || !strpbrk(text, "0123456789") ||
	    !find_date(text, &extra))
		return 0;
	if (extra == 0)
		return 1;
	if (words > 15 || ends_sentence(text))
		return 0;
	if (!keyed)
		key_make(text, len, key, &cut);
	return is_byline_start(key);
}

/* How unit_add() treats a piece of a block. */
enum {
	UA_LINE = 1 << 0,    /* one line of a paragraph (see unit_classify) */
	UA_ATTRS = 1 << 1,   /* the whole block: takes its link and marks */
	UA_STRONG = 1 << 2,  /* part of a bold block */
};

/* Length of a white-space character at s (ASCII space or U+00A0), else 0:
 * str_squeeze()'s. */
static size_t
space_len(const char *s, const char *end)
{
	unsigned char c = (unsigned char)*s;

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	if (c == 0xc2 && s + 1 < end && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH (ONES * 0x80)

/*
 * str_squeeze() of s[0..n) into out (n + 1 bytes), without its NUL.
 * Returns the length and adds the number of words to *words_r (that is,
 * str_words() of the result).  out may be written past the length, never
 * past n bytes: it is never ahead of s.
 */
static size_t
squeeze_into(char *out, const char *s, size_t n, unsigned *words_r)
{
	const char *end = s + n, *stop;
	char *o = out;
	unsigned words = 0;
	int pending = 0;
	size_t k;

	while (s < end) {
#ifdef __SSE2__
		/* the same sixteen bytes at a time */
		while (end - s >= 16) {
			__m128i x = _mm_loadu_si128(
			    (const __m128i *)(const void *)s);
			__m128i isp = _mm_cmpeq_epi8(x, _mm_set1_epi8(' '));
			/* 0x1f and below as in the eight-byte loop */
			__m128i bad = _mm_or_si128(
			    _mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xc2)),
			    _mm_cmpeq_epi8(_mm_min_epu8(x,
			    _mm_set1_epi8(0x1f)), x));
			unsigned sp = (unsigned)_mm_movemask_epi8(isp);
			__m128i sum;

			if (_mm_movemask_epi8(bad) || (sp & (sp >> 1)) ||
			    ((pending || o == out) && (sp & 1)))
				break;
			if (pending) {
				*o++ = ' ';
				words++;
			}
			_mm_storeu_si128((__m128i *)(void *)o, x);
			pending = (int)(sp >> 15);
			o += 16 - pending;
			/* the spaces counted in two halves */
			sum = _mm_sad_epu8(_mm_and_si128(isp, _mm_set1_epi8(1)),
			    _mm_setzero_si128());
			words += (unsigned)(_mm_cvtsi128_si32(sum) +
			    _mm_extract_epi16(sum, 4)) - (unsigned)pending;
			s += 16;
		}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* eight bytes at a time while they hold single spaces and
		 * nothing else to squeeze: the flags below are exact */
		while (end - s >= 8) {
			uint64_t x, sp, bad, y;

			memcpy(&x, s, 8);
			y = x ^ (ONES * ' ');
			sp = ~(((y & ~HIGH) + ~HIGH) | y) & HIGH;
			y = x ^ (ONES * 0xc2);
			bad = ~(((y & ~HIGH) + ~HIGH) | y) & HIGH;
			/* below ' ': the other white space, and controls */
			bad |= ~(((x & ~HIGH) + ONES * 0x60) | x) & HIGH;
			if (bad || (sp & (sp >> 8)) ||
			    ((pending || o == out) && (sp & 0x80)))
				break;
			if (pending) {
				*o++ = ' ';
				words++;
			}
			memcpy(o, &x, 8);
			/* a space last is kept pending: more may follow */
			pending = (int)(sp >> 63);
			o += 8 - pending;
			/* the flags summed in the top byte */
			words += (unsigned)(((sp >> 7) * ONES) >> 56) -
			    (unsigned)pending;
			s += 8;
		}
#endif
		/* a byte at a time through the next eight */
		stop = end - s > 8 ? s + 8 : end;
		while (s < stop) {
			if ((k = space_len(s, end))) {
				pending = o != out;
				s += k;
				continue;
			}
			if (pending) {
				*o++ = ' ';
				words++;
				pending = 0;
			}
			*o++ = *s++;
		}
	}
	if (o != out)
		words++;
	*words_r += words;
	return (size_t)(o - out);
}

/*
 * str_squeeze(), except that a paragraph of several short lines (an
 * address, a sign-off: "In solidarity,\nRhian Jones\nBranch Secretary")
 * keeps its line breaks; wrapped prose is joined up.  Squeezing the lines
 * one by one and joining the non-empty ones with a space is the same as
 * squeezing the whole.  Sets *len_r to the length of the result and
 * *words_r to its str_words().
 */
static char *
squeeze_text(const char *s, size_t n, size_t *len_r, unsigned *words_r)
{
	const char *p, *end = s + n, *nl;
	char *out = xmalloc(n + 1);
	size_t o = 0, k;
	unsigned lines = 0;
	int keep = 1;

	*words_r = 0;
	for (p = s; p < end; p = nl < end ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl - p > 40) {
			keep = 0;
			break;
		}
		lines++;
	}
	if (lines < 2 || !keep) {
		o = squeeze_into(out, s, n, words_r);
		out[o] = '\0';
		*len_r = o;
		return out;
	}
	for (p = s; p < end; p = nl < end ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		/* the separator goes where this line's '\n' or more was */
		if (o)
			out[o] = '\n';
		k = squeeze_into(out + o + (o != 0), p, (size_t)(nl - p),
		    words_r);
		if (k)
			o += k + (o != 0);
	}
	out[o] = '\0';
	*len_r = o;
	return out;
}

/* Adds a unit of squeezed text t (taken over) of len bytes and the given
 * words. */
static struct unit *
unit_add_text(struct splitter *sp, const struct block *b, char *t,
    size_t len, unsigned words, unsigned how)
{
	struct unit *u;

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
	u->len = len;
	u->words = words;
	if (how & UA_ATTRS) {
		u->link_only = b->link_only;
		u->strong = b->strong;
		if (b->url)
			u->url = xstrdup(b->url);
	}
	if (how & UA_STRONG)
		u->strong = b->strong;
	unit_classify(sp, u, (how & UA_LINE) != 0);
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

static struct unit *
unit_add(struct splitter *sp, const struct block *b, const char *text,
    size_t len, unsigned how)
{
	unsigned words;
	size_t n;
	char *t = squeeze_text(text, len, &n, &words);

	return unit_add_text(sp, b, t, n, words, how);
}

/* "From: ...\nSent: ...\nTo: ...": a quoted header block of a forward,
 * perhaps with a wrapped address line that an unwrapper left behind. */
static int
is_header_block(const char *s)
{
	static const char *const names[] = {
		"from:", "sent:", "to:", "cc:", "date:", "subject:",
	};
	unsigned lines = 0, hdrs = 0, need;
	size_t i;

	while (*s && lines <= 12) {
		while (is_space((unsigned char)*s))
			s++;
		if (!*s)
			break;
		lines++;
		for (i = 0; i < ARRAY_SIZE(names); i++) {
			if (names[i][0] == lower(*s) &&
			    str_has_prefix_ci(s, names[i])) {
				hdrs++;
				break;
			}
		}
		/* give up on prose: not even header lines from here on
		 * would do */
		need = lines > 2 * hdrs ? lines - 2 * hdrs : 0;
		if (hdrs + need < 2)
			need = 2 - hdrs;
		if (lines + need > 12)
			return 0;
		s = strchrnul(s, '\n');
	}
	return hdrs >= 2 && hdrs * 2 >= lines && lines <= 12;
}

/* A run of ordinary lines cut from a paragraph: it keeps the block's
 * link when the link is written out in it, and its bold and link-only
 * marks when it is the whole block.  sp->line holds its text as
 * squeeze_text() has it, words its words. */
static void
run_add(struct splitter *sp, const struct block *b, const char *run,
    const char *end, unsigned words)
{
	size_t n = (size_t)(end - run);
	int whole = run == b->text && !*end;
	struct unit *u;
	char *t;

	t = xstrndup(sp->line, sp->run_len);
	u = unit_add_text(sp, b, t, sp->run_len, words,
	    whole ? UA_ATTRS : UA_STRONG);
	if (u && !u->url && b->url && memmem(run, n, b->url, strlen(b->url)))
		u->url = xstrdup(b->url);
	sp->run_len = 0;
}

/*
 * One block to units.  A multi-line paragraph is cut around lines that
 * are units of their own (bare URL, byline, "read more", footer line),
 * keeping runs of ordinary lines together as one paragraph.  Each line is
 * squeezed once, into scratch space, and a run is made of its squeezed
 * lines.
 */
static void
units_from_block(struct splitter *sp, const struct block *b)
{
	const char *p, *run = NULL, *run_end = NULL;
	unsigned run_words = 0;
	int run_long = 0;
	struct unit *u;
	size_t n;

	if (b->kind != BLOCK_PARA) {
		unit_add(sp, b, b->text, strlen(b->text), UA_ATTRS);
		return;
	}
	/* one line: no need to look for another */
	if (!*(p = strchrnul(b->text, '\n'))) {
		unsigned words = 0;
		char *t;

		n = (size_t)(p - b->text);
		t = xmalloc(n + 1);
		n = squeeze_into(t, b->text, n, &words);
		t[n] = '\0';
		unit_add_text(sp, b, t, n, words, UA_ATTRS);
		return;
	}
	if (is_header_block(b->text)) {
		if ((u = unit_add(sp, b, b->text, strlen(b->text), UA_ATTRS)))
			u->flags |= U_DROP;
		return;
	}
	/* the run and a line squeezed after it never pass the block's end */
	n = strlen(b->text) + 1;
	if (n > sp->line_cap) {
		free(sp->line);
		sp->line = xmalloc(n);
		sp->line_cap = n;
	}
	sp->run_len = 0;
	for (p = b->text; *p;) {
		const char *ls = p, *le = strchrnul(p, '\n');
		size_t k, i, off;
		unsigned words = 0;
		char *line;

		n = (size_t)(le - ls);
		p = *le ? le + 1 : le;
		/* the line goes after the run and a separator: the run is
		 * no longer than its lines, nor the separator than a '\n' */
		off = sp->run_len ? sp->run_len + 1 : 0;
		line = sp->line + off;
		k = squeeze_into(line, ls, n, &words);
		line[k] = '\0';
		if (!line_breaks(sp, line, k, words)) {
			if (!run) {
				run = ls;
				run_words = 0;
				run_long = 0;
			}
			/* as squeeze_text(): the run's lines are joined with
			 * '\n' until one is long, then all with ' ' */
			if (n > 40 && !run_long) {
				for (i = 0; i < sp->run_len; i++)
					if (sp->line[i] == '\n')
						sp->line[i] = ' ';
				run_long = 1;
			}
			if (k && off)
				sp->line[off - 1] = run_long ? ' ' : '\n';
			if (k)
				sp->run_len = off + k;
			run_words += words;
			run_end = le;
			continue;
		}
		if (run)
			run_add(sp, b, run, run_end, run_words);
		run = NULL;
		u = unit_add_text(sp, b, xstrndup(line, k), k, words,
		    UA_LINE);
		if (u && !u->url) {
			const char *h = strstr(u->text, "http");

			if (h && (n = url_len(h)))
				u->url = xstrndup(h, n);
			else if (b->url && (u->flags & U_READMORE))
				u->url = xstrdup(b->url);
		}
	}
	if (run)
		run_add(sp, b, run, run_end, run_words);
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
	probe.len = strlen(s);
	unit_classify(sp, &probe, 0);
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

/* Cleans a title, which is squeezed but for the line breaks
 * squeeze_text() keeps (str_squeeze() makes them spaces); NULL when
 * nothing is left. */
static char *
title_make(const char *s)
{
	size_t n = strlen(s);
	char *t = xstrndup(s, n), *p;

	for (p = t; (p = memchr(p, '\n', n - (size_t)(p - t))); p++)
		*p = ' ';

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
text_add(struct cur *c, const char *sep, const char *s, size_t n,
    size_t max)
{
	size_t cap = max + 4, room, k;

	if (c->text.len >= cap)
		return;
	if (c->text.len) {
		room = cap - c->text.len;
		k = strlen(sep);
		buf_add(&c->text, sep, k < room ? k : room);
	}
	room = cap - c->text.len;
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
	/* unit texts are squeezed and the separators white space: the
	 * words add up */
	if (u->kind == BLOCK_LIST_ITEM) {
		text_add(c, sep, "- ", 2, sp->max_text);
		text_add(c, "", u->text, u->len, sp->max_text);
		c->words += 1 + u->words;
	} else {
		text_add(c, sep, u->text, u->len, sp->max_text);
		c->words += u->words;
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
	int cut;

	if (!c->open)
		return;
	c->open = 0;
	/* text_add() fills past max_text when it cuts */
	cut = c->text.len > sp->max_text;
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
	it->words = cut ? str_words(text) : c->words;
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

/* Sorts t's M_EXACT and M_PREFIX entries into ix by first byte. */
static void
index_table(struct table_index *ix, const struct pattern *t, size_t nt)
{
	unsigned char at[256];
	size_t i, c;

	/* more would need wider indexes; the tables are ours */
	if (nt > ARRAY_SIZE(ix->order))
		abort();
	memset(ix->start, 0, sizeof(ix->start));
	for (i = 0; i < nt; i++)
		if (t[i].how != M_CONTAINS)
			ix->start[(unsigned char)t[i].s[0] + 1]++;
	for (c = 0; c < 256; c++) {
		ix->start[c + 1] = (unsigned char)(ix->start[c + 1] +
		    ix->start[c]);
		at[c] = ix->start[c];
	}
	for (i = 0; i < nt; i++)
		if (t[i].how != M_CONTAINS)
			ix->order[at[(unsigned char)t[i].s[0]]++] =
			    (unsigned char)i;
}

/* Sets both cases of an ASCII letter's bit. */
static void
set_ci(uint64_t *v, char c, uint64_t bit)
{
	c = lower(c);
	v[(unsigned char)c] |= bit;
	if (c >= 'a' && c <= 'z')
		v[(unsigned char)c - 32] |= bit;
}

#ifdef __SSE2__
/* Adds c | 0x20 to the n bytes of v (max) unless it is there. */
static void
add_byte(char *v, size_t *n, size_t max, char c)
{
	size_t i;

	c = (char)(c | 0x20);
	for (i = 0; i < *n; i++)
		if (v[i] == c)
			return;
	/* more would need a longer array; the table is ours */
	if (*n == max)
		abort();
	v[(*n)++] = c;
}
#endif

static struct tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/*
 * Fills the indexes of the pattern tables.  The same for every message:
 * made once (split_message() runs in several threads) and read only after.
 */
static void
index_tables(void)
{
	struct tables *t = &tables;
	size_t i;
#ifdef __SSE2__
	char b0[ARRAY_SIZE(t->contains_b0)], b1[ARRAY_SIZE(t->contains_b1)];
	size_t n0 = 0, n1 = 0;
#endif

	index_table(&t->boiler_ix, boiler_patterns,
	    ARRAY_SIZE(boiler_patterns));
	index_table(&t->stop_ix, stop_patterns, ARRAY_SIZE(stop_patterns));

	/* every pattern has two bytes or more */
	for (i = 0; i < ARRAY_SIZE(boiler_patterns); i++) {
		const struct pattern *pt = &boiler_patterns[i];
		unsigned char c = (unsigned char)lower(pt->s[0]);
		uint64_t c1, bit;

		c1 = (uint64_t)1 << ((unsigned char)lower(pt->s[1]) & 63);
		if (pt->how != M_CONTAINS) {
			if (pt->flags & LINE_BREAKS)
				t->line_first[c] |= c1;
			t->key_first[c] |= c1;
			continue;
		}
		/* more would need a wider mask; the table is ours */
		if (t->n_contains == ARRAY_SIZE(t->contains))
			abort();
		bit = (uint64_t)1 << t->n_contains;
		set_ci(t->contains_first, pt->s[0], bit);
		set_ci(t->contains_second, pt->s[1], bit);
		t->contains[t->n_contains++] = (unsigned char)i;
#ifdef __SSE2__
		add_byte(b0, &n0, ARRAY_SIZE(t->contains_b0), pt->s[0]);
		add_byte(b1, &n1, ARRAY_SIZE(t->contains_b1), pt->s[1]);
#endif
	}
	for (i = 0; i < ARRAY_SIZE(t->contains_live); i++) {
		size_t j;

		for (j = 0; j < t->n_contains; j++) {
			const struct pattern *pt =
			    &boiler_patterns[t->contains[j]];

			if (!pt->max_words || i <= pt->max_words)
				t->contains_live[i] |= (uint64_t)1 << j;
		}
	}
#ifdef __SSE2__
	for (i = 0; i < ARRAY_SIZE(t->contains_b0); i++)
		t->contains_b0[i] = _mm_set1_epi8(b0[i % n0]);
	for (i = 0; i < ARRAY_SIZE(t->contains_b1); i++)
		t->contains_b1[i] = _mm_set1_epi8(b1[i % n1]);
#endif
	/* stop_patterns need no entry: they are tried on title-like units
	 * only, whose key is always made; a one-letter network ("x") may be
	 * followed by anything */
	for (i = 0; i < ARRAY_SIZE(social_names); i++)
		t->key_first[(unsigned char)social_names[i][0]] |=
		    social_names[i][1] ? (uint64_t)1 <<
		    ((unsigned char)social_names[i][1] & 63) : ~(uint64_t)0;
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
	/* a block makes a unit or so: few messages need more room */
	sp.cap = m->body.n + 8;
	sp.u = xmalloc(sp.cap * sizeof(*sp.u));
	sp.footer_at = SIZE_MAX;
	pthread_once(&tables_once, index_tables);
	sp.tab = &tables;
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
	free(sp.line);
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
