/*
 * message.c - the GMime-free half of the message model: the block list,
 * plain text to blocks, inline-forward unwrapping, date parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "message.h"

void
doc_init(struct doc *d)
{
	memset(d, 0, sizeof(*d));
}

/* As doc_add, but the block takes text (malloc'd, now the doc's) instead
 * of a copy of it. */
static struct block *
doc_add_owned(struct doc *d, enum block_kind kind, int level, char *text,
    char *url)
{
	struct block *b;

	xgrow(&d->blocks, d->n, &d->cap, sizeof(*d->blocks));
	b = &d->blocks[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->level = level;
	b->text = text;
	b->url = url;
	return b;
}

struct block *
doc_add(struct doc *d, enum block_kind kind, int level, const char *text,
    const char *url)
{
	return doc_add_owned(d, kind, level, xstrdup(text ? text : ""),
	    url ? xstrdup(url) : NULL);
}

void
doc_free(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->blocks[i].text);
		free(d->blocks[i].url);
	}
	free(d->blocks);
	doc_init(d);
}

void
message_free(struct message **mp)
{
	struct message *m = *mp;
	size_t i;

	if (!m)
		return;
	free(m->message_id);
	free(m->envelope_id);
	free(m->subject);
	free(m->from_name);
	free(m->from_addr);
	free(m->list_id);
	doc_free(&m->body);
	for (i = 0; i < m->n_atts; i++) {
		free(m->atts[i].filename);
		free(m->atts[i].content_type);
	}
	free(m->atts);
	free(m->fwd_from);
	free(m->fwd_subject);
	free(m->note);
	free(m->problem);
	free(m);
	*mp = NULL;
}

char *
message_from(const struct message *m)
{
	if (m->from_name && *m->from_name && m->from_addr)
		return xasprintf("%s <%s>", m->from_name, m->from_addr);
	if (m->from_addr)
		return xstrdup(m->from_addr);
	return xstrdup(m->from_name ? m->from_name : "");
}

/* ---------------------------------------------------------------------
 * Plain text to blocks
 */

struct line {
	const char *s;
	size_t n;          /* without the line end and trailing white space */
};

static int
is_blank(const struct line *l)
{
	return l->n == 0;
}

static size_t
lead_spaces(const struct line *l)
{
	size_t i = 0;

	while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i;
}

/* A line made of one of - = * _ (at least three), spaces allowed. */
static int
rule_char(const struct line *l)
{
	size_t i, count = 0;
	char c = 0;

	for (i = lead_spaces(l); i < l->n; i++) {
		if (l->s[i] == ' ')
			continue;
		if (!c && strchr("-=*_", l->s[i]))
			c = l->s[i];
		if (l->s[i] != c)
			return 0;
		count++;
	}
	return count >= 3 ? c : 0;
}

/* Length of a list marker ("- ", "* ", "• ", "+ ", "12. ", "3) ") after
 * the indentation, or 0. */
static size_t
list_marker(const struct line *l)
{
	size_t i = lead_spaces(l), j;
	const char *s = l->s;

	if (i + 2 <= l->n && strchr("-*+", s[i]) && s[i + 1] == ' ')
		return i + 2;
	if (i + 4 <= l->n && memcmp(s + i, "\xe2\x80\xa2 ", 4) == 0)
		return i + 4;
	for (j = i; j < l->n && j - i < 3 && s[j] >= '0' && s[j] <= '9'; j++)
		;
	if (j > i && j + 1 < l->n && (s[j] == '.' || s[j] == ')') &&
	    s[j + 1] == ' ')
		return j + 2;
	return 0;
}

static int
is_quote(const struct line *l)
{
	return l->n > 0 && l->s[0] == '>';
}

/* "## Title": returns the text offset and sets the level. */
static size_t
md_heading(const struct line *l, int *level_r)
{
	size_t i = 0;

	while (i < l->n && l->s[i] == '#')
		i++;
	if (i == 0 || i > 5 || i >= l->n || l->s[i] != ' ')
		return 0;
	*level_r = (int)i + 1;
	return i + 1;
}

static int
is_url(const char *s, size_t n)
{
	size_t i;

	if (!(n > 8 && (str_has_prefix_ci(s, "http://") ||
	    str_has_prefix_ci(s, "https://"))))
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '<' ||
		    s[i] == '>')
			return 0;
	return 1;
}

/* A bare URL line, possibly in <>: sets *u, *un to the URL. */
static int
url_line(const struct line *l, const char **u, size_t *un)
{
	const char *s = l->s + lead_spaces(l);
	size_t n = l->n - lead_spaces(l);

	if (n > 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (!is_url(s, n))
		return 0;
	*u = s;
	*un = n;
	return 1;
}

/* "Title <https://...>": sets the title length and the URL. */
static int
titled_url_line(const struct line *l, size_t *tn, const char **u, size_t *un)
{
	const char *lt;

	if (l->n < 12 || l->s[l->n - 1] != '>')
		return 0;
	lt = memrchr(l->s, '<', l->n);
	if (!lt || lt == l->s)
		return 0;
	if (!is_url(lt + 1, (size_t)(l->s + l->n - 1 - (lt + 1))))
		return 0;
	*u = lt + 1;
	*un = (size_t)(l->s + l->n - 1 - *u);
	*tn = (size_t)(lt - l->s);
	while (*tn > 0 && (l->s[*tn - 1] == ' ' || l->s[*tn - 1] == ':' ||
	    l->s[*tn - 1] == '-'))
		(*tn)--;
	return *tn > 0;
}

static const char *const sign_offs[] = {
	"thanks", "thank you", "many thanks", "best", "best wishes",
	"regards", "kind regards", "best regards", "warm regards", "cheers",
	"yours", "in solidarity", "solidarity", "love", "all the best",
};

/* Short, unpunctuated at the end, has a letter: reads as a title. */
static int
title_like(const char *s, size_t n)
{
	size_t i;
	int letters = 0;
	char last;

	if (n == 0 || n >= 100)
		return 0;
	last = s[n - 1];
	/* sentences, salutations and lower-case starts are not titles */
	if (strchr(".,;:!", last) || (s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 0; i < ARRAY_SIZE(sign_offs); i++)
		if (n == strlen(sign_offs[i]) && str_has_prefix_ci(s, sign_offs[i]))
			return 0;
	for (i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (unsigned char)s[i] >= 0x80)
			letters++;
	return letters >= 2;
}

static int
all_caps(const char *s, size_t n)
{
	size_t i;
	int upper = 0;

	if (n >= 100)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			return 0;
		if (s[i] >= 'A' && s[i] <= 'Z')
			upper++;
	}
	return upper >= 3;
}

static void
add_n(struct doc *d, enum block_kind kind, int level, const char *s, size_t n,
    const char *url, size_t un, int link_only)
{
	char *t = xstrndup(s, n), *u = url ? xstrndup(url, un) : NULL;
	struct block *b = doc_add_owned(d, kind, level, t, u);

	b->link_only = link_only && u;
}

/* The first http(s) URL in running text, without the punctuation that
 * ends a sentence or closes brackets around it.  Caller frees; NULL when
 * there is none. */
static char *
first_url(const char *s)
{
	const char *p = s, *e;

	while ((p = strstr(p, "http"))) {
		if ((str_has_prefix_ci(p, "http://") ||
		    str_has_prefix_ci(p, "https://")) &&
		    (p == s || !((p[-1] >= 'a' && p[-1] <= 'z') ||
		    (p[-1] >= 'A' && p[-1] <= 'Z'))))
			break;
		p += 4;
	}
	if (!p)
		return NULL;
	for (e = p; *e && !strchr(" \t\n<>\"", *e); e++)
		;
	while (e > p && strchr(".,;:!?)]}'", e[-1]))
		e--;
	if (e - p <= 8)
		return NULL;
	return xstrndup(p, (size_t)(e - p));
}

static void
add_text_block(struct doc *d, enum block_kind kind, int level,
    const char *text)
{
	doc_add_owned(d, kind, level, xstrdup(text), first_url(text));
}

/*
 * Emits the paragraph made of lines[0..n): recognises the shapes feed
 * notifications take in text/plain (a title with its URL on the same or
 * the next line, a URL on its own under a title) and title lines.
 */
static void
flush_para(struct doc *d, const struct line *ln, size_t n, int ended_by_blank)
{
	const char *u;
	char *last_url = NULL, *t, *o;
	size_t un, tn, i, first = 0, len;

	if (n == 0)
		return;
	/* a URL alone: give it to the title above when that has none */
	if (n == 1 && url_line(&ln[0], &u, &un)) {
		struct block *prev = d->n ? &d->blocks[d->n - 1] : NULL;

		if (prev && !prev->url && prev->kind != BLOCK_RULE &&
		    !strchr(prev->text, '\n') &&
		    title_like(prev->text, strlen(prev->text))) {
			prev->url = xstrndup(u, un);
			prev->link_only = 1;
		} else {
			add_n(d, BLOCK_PARA, 0, u, un, u, un, 1);
		}
		return;
	}
	if (titled_url_line(&ln[0], &tn, &u, &un)) {
		add_n(d, title_like(ln[0].s, tn) ? BLOCK_HEADING : BLOCK_PARA, 3,
		    ln[0].s + lead_spaces(&ln[0]), tn - lead_spaces(&ln[0]), u,
		    un, 1);
		first = 1;
	} else if (n >= 2 && url_line(&ln[1], &u, &un) &&
	    title_like(ln[0].s, ln[0].n)) {
		add_n(d, BLOCK_HEADING, 3, ln[0].s + lead_spaces(&ln[0]),
		    ln[0].n - lead_spaces(&ln[0]), u, un, 1);
		first = 2;
	} else if (n == 1 && ended_by_blank && title_like(ln[0].s, ln[0].n)) {
		add_n(d, BLOCK_HEADING, 3, ln[0].s + lead_spaces(&ln[0]),
		    ln[0].n - lead_spaces(&ln[0]), NULL, 0, 0);
		return;
	} else if (all_caps(ln[0].s, ln[0].n) && title_like(ln[0].s, ln[0].n)) {
		add_n(d, BLOCK_HEADING, 3, ln[0].s + lead_spaces(&ln[0]),
		    ln[0].n - lead_spaces(&ln[0]), NULL, 0, 0);
		first = 1;
	}
	/* "Read the rest:\nhttps://..." - the URL names the paragraph */
	if (n - first >= 2 && url_line(&ln[n - 1], &u, &un)) {
		last_url = xstrndup(u, un);
		n--;
	}
	/* the lines joined by '\n', in one allocation the block keeps */
	for (i = first, len = 0; i < n; i++)
		len += ln[i].n + (i > first);
	if (len == 0) {
		free(last_url);
		return;
	}
	t = o = xmalloc(len + 1);
	for (i = first; i < n; i++) {
		if (i > first)
			*o++ = '\n';
		memcpy(o, ln[i].s, ln[i].n);
		o += ln[i].n;
	}
	*o = '\0';
	doc_add_owned(d, BLOCK_PARA, 0, t, last_url ? last_url : first_url(t));
}

static void
flush_quote(struct doc *d, struct buf *q)
{
	if (q->len)
		add_text_block(d, BLOCK_QUOTE, 1, q->data);
	buf_reset(q);
}

static struct line *
split_lines(const char *text, size_t len, size_t *n_r)
{
	struct line *v = NULL;
	size_t n = 0, cap = 0;
	const char *p = text, *end = text + len;
	/* without a CR anywhere, memchr finds each line end */
	int has_cr = memchr(text, '\r', len) != NULL;

	while (p < end) {
		const char *nl = p, *e;

		/* LF, CRLF, or a lone CR (old Mac mail) ends a line */
		if (!has_cr) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
		} else {
			while (nl < end && *nl != '\n' && *nl != '\r')
				nl++;
		}
		e = nl;
		if (nl + 1 < end && nl[0] == '\r' && nl[1] == '\n')
			nl++;
		xgrow(&v, n, &cap, sizeof(*v));
		v[n].s = p;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		v[n].n = (size_t)(e - p);
		n++;
		p = nl < end ? nl + 1 : end;
	}
	*n_r = n;
	return v;
}

/* Drops a signature: the last "-- " line when little follows it. */
static size_t
strip_signature(const struct line *v, size_t n)
{
	size_t i;

	for (i = n; i-- > 0 && n - i <= 20;)
		if (v[i].n == 2 && v[i].s[0] == '-' && v[i].s[1] == '-')
			return i;
	return n;
}

int
doc_from_text(struct doc *d, const char *text, size_t len)
{
	struct line *v;
	struct buf q = BUF_INIT(0), item = BUF_INIT(0);
	size_t n, i, para = 0, npara = 0, k;
	int item_level = 0, level;
	char rc;

	v = split_lines(text, len, &n);
	n = strip_signature(v, n);
	for (i = 0; i < n; i++) {
		const struct line *l = &v[i];

		if (!is_quote(l))
			flush_quote(d, &q);
		if (is_blank(l) || (!is_quote(l) && item.len && lead_spaces(l) == 0)) {
			if (item.len)
				add_text_block(d, BLOCK_LIST_ITEM, item_level, item.data);
			buf_reset(&item);
			if (is_blank(l)) {
				flush_para(d, &v[para], npara, 1);
				npara = 0;
				continue;
			}
		}
		if (is_quote(l)) {
			const char *s = l->s + 1;
			size_t sn = l->n - 1;

			flush_para(d, &v[para], npara, 0);
			npara = 0;
			if (sn && *s == ' ') {
				s++;
				sn--;
			}
			if (q.len)
				buf_addc(&q, '\n');
			buf_add(&q, s, sn);
			continue;
		}
		rc = (char)rule_char(l);
		if (rc && npara == 1 && (rc == '=' || rc == '-') &&
		    lead_spaces(l) == 0 && !rule_char(&v[para])) {
			add_n(d, BLOCK_HEADING, rc == '=' ? 2 : 3, v[para].s,
			    v[para].n, NULL, 0, 0);
			npara = 0;
			continue;
		}
		if (rc) {
			flush_para(d, &v[para], npara, 0);
			npara = 0;
			doc_add(d, BLOCK_RULE, 0, "", NULL);
			continue;
		}
		if ((k = md_heading(l, &level))) {
			flush_para(d, &v[para], npara, 0);
			npara = 0;
			add_n(d, BLOCK_HEADING, level, l->s + k, l->n - k, NULL, 0, 0);
			continue;
		}
		if ((k = list_marker(l))) {
			flush_para(d, &v[para], npara, 0);
			npara = 0;
			if (item.len)
				add_text_block(d, BLOCK_LIST_ITEM, item_level, item.data);
			buf_reset(&item);
			item_level = (int)(lead_spaces(l) / 2) + 1;
			buf_add(&item, l->s + k, l->n - k);
			continue;
		}
		if (item.len) {
			/* an indented continuation of the list item */
			buf_addc(&item, ' ');
			buf_add(&item, l->s + lead_spaces(l), l->n - lead_spaces(l));
			continue;
		}
		if (npara == 0)
			para = i;
		npara++;
	}
	flush_quote(d, &q);
	if (item.len)
		add_text_block(d, BLOCK_LIST_ITEM, item_level, item.data);
	if (npara)   /* v is NULL for an empty text */
		flush_para(d, &v[para], npara, 1);
	buf_free(&q);
	buf_free(&item);
	free(v);
	return 0;
}

/* ---------------------------------------------------------------------
 * Inline forwards
 */

/* Length of the line starting at s (up to '\n' or the end). */
static size_t
line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? (size_t)(nl - s) : strlen(s);
}

static int
blank_span(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\r", s[i]))
			return 0;
	return 1;
}

static int
is_marker(const char *s, size_t n)
{
	char *t, *p;
	int ret = 0;

	/* every marker says "message"; most lines do not */
	if (n < 24 || n > 120 || !memmem(s, n, "essage", 6))
		return 0;
	t = str_squeeze(s, n);
	p = t;

	while (*p == '-' || *p == '_' || *p == ' ')
		p++;
	if (str_has_prefix_ci(p, "forwarded message") ||
	    str_has_prefix_ci(p, "original message") ||
	    str_has_prefix_ci(p, "begin forwarded message"))
		ret = p != t || str_has_prefix_ci(p, "begin forwarded message");
	free(t);
	return ret;
}

static const char *const fwd_keys[] = {
	"from:", "date:", "sent:", "subject:", "to:", "cc:", "reply-to:",
};

static int
header_key(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(fwd_keys); i++) {
		k = strlen(fwd_keys[i]);
		if (n >= k && str_has_prefix_ci(s, fwd_keys[i]))
			return (int)i;
	}
	return -1;
}

struct fwd_hdr {
	char *from, *date, *subject;
};

/* Takes one "Key: value" line; returns the value's slot (NULL for keys
 * we do not keep) so that a wrapped continuation can join it. */
static char **
fwd_hdr_take(struct fwd_hdr *h, const char *s, size_t n)
{
	int k = header_key(s, n);
	size_t kl;
	char **slot;

	if (k < 0)
		return NULL;
	kl = strlen(fwd_keys[k]);
	switch (k) {
	case 0: slot = &h->from; break;
	case 1: case 2: slot = &h->date; break;
	case 3: slot = &h->subject; break;
	default: return NULL;
	}
	if (*slot)
		return NULL;
	*slot = str_squeeze(s + kl, n - kl);
	return slot;
}

/* A mail client wrapped a long header line: "From: Branch Secretary" then
 * "<secretary@example.org>" (or an indented remainder) on the next. */
static int
header_continues(const char *s, size_t n)
{
	const char *e = s + n;

	if (n && (*s == ' ' || *s == '\t'))
		return 1;
	while (s < e && *s == ' ')
		s++;
	return s < e && (*s == '<' || *s == '[') && memchr(s, '@',
	    (size_t)(e - s)) && (e[-1] == '>' || e[-1] == ']');
}

/* "Name <a@b>", "Name [mailto:a@b]", "a@b" or "Name". */
static void
split_from(const char *v, char **name_r, char **addr_r)
{
	const char *lt = strchr(v, '<'), *gt, *mt = strstr(v, "[mailto:");
	const char *name_end = NULL;
	char *name;
	size_t n;

	*name_r = *addr_r = NULL;
	if (lt && (gt = strchr(lt, '>')) && memchr(lt, '@', (size_t)(gt - lt))) {
		*addr_r = str_squeeze(lt + 1, (size_t)(gt - lt - 1));
		name_end = lt;
	} else if (mt && (gt = strchr(mt, ']'))) {
		*addr_r = str_squeeze(mt + 8, (size_t)(gt - mt - 8));
		name_end = mt;
	} else if (strchr(v, '@') && !strchr(v, ' ')) {
		*addr_r = xstrdup(v);
		return;
	} else {
		name_end = v + strlen(v);
	}
	while (*v == '"' || *v == '\'' || *v == ' ')
		v++;
	n = name_end > v ? (size_t)(name_end - v) : 0;
	while (n && (v[n - 1] == ' ' || v[n - 1] == '"' || v[n - 1] == '\''))
		n--;
	name = str_squeeze(v, n);
	if (*name)
		*name_r = name;
	else
		free(name);
}

static void
append_text(struct buf *b, const char *s, size_t n)
{
	char *t;

	/* the marker line's own break and blank lines around are not note */
	while (n && strchr(" \t\r\n", s[n - 1]))
		n--;
	while (n && strchr(" \t\r\n", *s)) {
		s++;
		n--;
	}
	t = str_squeeze(s, n);
	if (*t) {
		if (b->len)
			buf_addstr(b, "\n\n");
		buf_add(b, s, n);
	}
	free(t);
}

/* The first non-blank line after the marker line at t + off (block i),
 * in this block or the next, is a header line. */
static int
header_follows(const struct doc *d, size_t i, const char *t, size_t off)
{
	size_t n = line_len(t + off);

	for (off += n + (t[off + n] == '\n'); t[off]; off += n + (t[off + n] == '\n')) {
		n = line_len(t + off);
		if (!blank_span(t + off, n))
			return header_key(t + off, n) >= 0;
	}
	return i + 1 < d->n && header_key(d->blocks[i + 1].text,
	    line_len(d->blocks[i + 1].text)) >= 0;
}

/* "Fwd: FW: Title" -> "Title".  Caller frees; never NULL. */
static char *
strip_fwd(const char *s)
{
	static const char *const prefixes[] = { "fwd:", "fw:", "tr:", "wg:" };
	size_t i;
	int again = 1;

	if (!s)
		return xstrdup("");
	while (again) {
		again = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		for (i = 0; i < ARRAY_SIZE(prefixes); i++)
			if (str_has_prefix_ci(s, prefixes[i])) {
				s += strlen(prefixes[i]);
				again = 1;
			}
	}
	return xstrdup(s);
}

static void
move_block(struct doc *to, struct block *b)
{
	xgrow(&to->blocks, to->n, &to->cap, sizeof(*to->blocks));
	to->blocks[to->n++] = *b;
	memset(b, 0, sizeof(*b));
}

int
message_unwrap_inline(struct message *m)
{
	struct doc *d = &m->body, rest;
	struct buf note = BUF_INIT(0);
	struct fwd_hdr h = { NULL, NULL, NULL };
	size_t i, j, off = 0, start = 0;
	const char *t = NULL;
	int found = 0, in_hdr;

	/* find the marker line: in a block, or an Outlook rule followed by
	 * a From:/Sent: block */
	for (i = 0; i < d->n && !found; i++) {
		t = d->blocks[i].text;
		/* every marker says "message"; most blocks do not */
		off = 0;
		if (!strstr(t, "essage"))
			off = strlen(t);
		for (; t[off];) {
			size_t n = line_len(t + off);

			if (is_marker(t + off, n)) {
				found = 1;
				break;
			}
			off += n + (t[off + n] == '\n');
		}
		if (!found && d->blocks[i].kind == BLOCK_RULE && i + 1 < d->n &&
		    str_has_prefix_ci(d->blocks[i + 1].text, "from:") &&
		    (strstr(d->blocks[i + 1].text, "\nSent:") ||
		    strstr(d->blocks[i + 1].text, "\nDate:"))) {
			found = 2;
			i++;
			t = d->blocks[i].text;
			off = 0;
			break;
		}
	}
	if (!found)
		return 0;
	if (found == 1) {
		i--;
		/* a marker in running prose is no forward: header lines
		 * must follow it */
		if (!header_follows(d, i, t, off))
			return 0;
	}

	/* the note: every block before the marker, and the marker block's
	 * lines above it */
	for (j = 0; j < i; j++)
		if (d->blocks[j].kind != BLOCK_RULE)
			append_text(&note, d->blocks[j].text,
			    strlen(d->blocks[j].text));
	append_text(&note, t, off);

	/* the rest: from the marker on; a "> "-quoted forward is re-read
	 * as text so its own paragraphs come back */
	doc_init(&rest);
	if (found == 1)
		off += line_len(t + off) + (t[off + line_len(t + off)] == '\n');
	if (d->blocks[i].kind == BLOCK_QUOTE) {
		doc_from_text(&rest, t + off, strlen(t + off));
	} else if (t[off]) {
		struct block *b = doc_add(&rest, d->blocks[i].kind,
		    d->blocks[i].level, t + off, NULL);

		b->url = d->blocks[i].url;
		d->blocks[i].url = NULL;
	}
	for (j = i + 1; j < d->n; j++)
		move_block(&rest, &d->blocks[j]);

	/* header lines: leading lines of the first blocks of rest, while
	 * every line of a block is a header line */
	in_hdr = 1;
	for (start = 0; start < rest.n && in_hdr; start++) {
		const char *s = rest.blocks[start].text;
		size_t o = 0, n, keep;
		char **last = NULL, *joined;
		int was_hdr = 0;

		for (o = 0; s[o]; o += n + (s[o + n] == '\n')) {
			n = line_len(s + o);
			if (header_key(s + o, n) >= 0) {
				last = fwd_hdr_take(&h, s + o, n);
				was_hdr = 1;
				continue;
			}
			if (!was_hdr || !header_continues(s + o, n))
				break;
			if (last) {
				char *more = str_squeeze(s + o, n);

				joined = xasprintf("%s %s", *last, more);
				free(more);
				free(*last);
				*last = joined;
			}
		}
		if (s[o]) {
			/* body text follows the header lines in this block */
			keep = strlen(s + o);
			memmove(rest.blocks[start].text, s + o, keep + 1);
			in_hdr = 0;
			break;
		}
	}

	/* commit: outer fields to fwd_*, quoted ones in their place */
	free(m->fwd_from);
	m->fwd_from = m->from_addr;
	m->from_addr = NULL;
	free(m->fwd_subject);
	m->fwd_subject = m->subject;
	m->fwd_date = m->date;
	free(m->from_name);
	m->from_name = NULL;
	if (h.from)
		split_from(h.from, &m->from_name, &m->from_addr);
	m->subject = h.subject ? h.subject : strip_fwd(m->fwd_subject);
	h.subject = NULL;
	m->date = h.date ? message_parse_date(h.date) : 0;
	free(m->note);
	m->note = note.len ? buf_detach(&note) : NULL;
	m->forwarded = 1;

	/* the body: what follows the header lines */
	for (j = 0; j < start; j++) {
		free(rest.blocks[j].text);
		free(rest.blocks[j].url);
	}
	memmove(rest.blocks, rest.blocks + start,
	    (rest.n - start) * sizeof(*rest.blocks));
	rest.n -= start;
	doc_free(d);
	*d = rest;

	buf_free(&note);
	free(h.from);
	free(h.date);
	free(h.subject);
	return 1;
}

/* ---------------------------------------------------------------------
 * Dates
 */

static int
lower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

static const struct {
	const char *name;
	int minutes;
} zones[] = {
	{ "gmt", 0 }, { "utc", 0 }, { "ut", 0 }, { "z", 0 }, { "bst", 60 },
	{ "cet", 60 }, { "cest", 120 }, { "est", -300 }, { "edt", -240 },
	{ "cst", -360 }, { "cdt", -300 }, { "mst", -420 }, { "mdt", -360 },
	{ "pst", -480 }, { "pdt", -420 },
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int mo, int d)
{
	int64_t era, yoe, doy, doe;

	y -= mo <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int mo)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[mo - 1];
}

/* Reads up to max digits; returns the count read. */
static int
digits(const char *s, int max, int *val_r)
{
	int i, v = 0;

	for (i = 0; i < max && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	*val_r = v;
	return i;
}

struct date_parts {
	int year, month, day, hour, min, sec, zone, have_time, have_zone;
	int pm, am;
};

/* "hh:mm[:ss][am|pm]" */
static int
take_time(struct date_parts *p, const char *w, size_t n)
{
	int h, mi, s = 0, k;

	if ((k = digits(w, 2, &h)) == 0 || (size_t)k >= n || w[k] != ':')
		return 0;
	w += k + 1;
	n -= (size_t)k + 1;
	if ((k = digits(w, 2, &mi)) != 2)
		return 0;
	w += k;
	n -= (size_t)k;
	if (n && *w == ':') {
		if ((k = digits(w + 1, 2, &s)) != 2)
			return 0;
		w += 3;
		n -= 3;
		if (n && *w == '.')   /* fractions of a second */
			while (n && (*w == '.' || (*w >= '0' && *w <= '9'))) {
				w++;
				n--;
			}
	}
	if (n == 2 && str_has_prefix_ci(w, "pm"))
		p->pm = 1;
	else if (n == 2 && str_has_prefix_ci(w, "am"))
		p->am = 1;
	else if (n != 0)
		return 0;
	p->hour = h;
	p->min = mi;
	p->sec = s;
	p->have_time = 1;
	return 1;
}

/* "2025-11-17" or "17/11/2025" (day first unless that cannot be) */
static int
take_numeric_date(struct date_parts *p, const char *w, size_t n)
{
	int a, b, c, ka, kb, kc;
	char sep;

	ka = digits(w, 4, &a);
	if (ka == 0 || (size_t)ka >= n)
		return 0;
	sep = w[ka];
	if (sep != '-' && sep != '/' && sep != '.')
		return 0;
	kb = digits(w + ka + 1, 2, &b);
	if (kb == 0 || w[ka + 1 + kb] != sep)
		return 0;
	kc = digits(w + ka + 2 + kb, 4, &c);
	if (kc == 0 || (size_t)(ka + 2 + kb + kc) != n)
		return 0;
	if (ka == 4) {
		p->year = a;
		p->month = b;
		p->day = c;
	} else {
		if (kc == 2)
			c += 2000;
		p->year = c;
		if (b > 12 && a <= 12) {
			p->month = a;
			p->day = b;
		} else {
			p->day = a;
			p->month = b;
		}
	}
	return 1;
}

static void
take_word(struct date_parts *p, const char *w, size_t n)
{
	size_t i;
	int v, k;

	if (n == 0)
		return;
	if ((w[0] == '+' || w[0] == '-') && n == 5 && digits(w + 1, 4, &v) == 4) {
		p->zone = (v / 100 * 60 + v % 100) * (w[0] == '-' ? -1 : 1);
		p->have_zone = 1;
		return;
	}
	if (take_time(p, w, n) || take_numeric_date(p, w, n))
		return;
	if (w[0] >= '0' && w[0] <= '9') {
		k = digits(w, 5, &v);
		/* "17th", "1st" */
		if ((size_t)k != n && !(n - (size_t)k == 2 &&
		    (str_has_prefix_ci(w + k, "st") || str_has_prefix_ci(w + k, "nd") ||
		    str_has_prefix_ci(w + k, "rd") || str_has_prefix_ci(w + k, "th"))))
			return;
		if (k >= 3)
			p->year = v;
		else if (!p->day && v >= 1 && v <= 31)
			p->day = v;
		else if (!p->year && p->month && p->day)
			p->year = v < 50 ? 2000 + v : 1900 + v;
		return;
	}
	if (n == 2 && (str_has_prefix_ci(w, "am") || str_has_prefix_ci(w, "pm"))) {
		if (lower_ascii(w[0]) == 'p')
			p->pm = 1;
		else
			p->am = 1;
		return;
	}
	for (i = 0; i < ARRAY_SIZE(months); i++)
		if (n >= 3 && str_has_prefix_ci(w, months[i])) {
			p->month = (int)i + 1;
			return;
		}
	for (i = 0; i < ARRAY_SIZE(zones); i++)
		if (n == strlen(zones[i].name) && str_has_prefix_ci(w, zones[i].name)) {
			if (!p->have_zone) {
				p->zone = zones[i].minutes;
				p->have_zone = 1;
			}
			return;
		}
	/* weekday names, "at", comments: ignored */
}

int64_t
message_parse_date(const char *s)
{
	struct date_parts p;
	const char *w;
	int paren = 0;

	if (!s)
		return 0;
	memset(&p, 0, sizeof(p));
	while (*s) {
		if (*s == '(') {
			paren++;
			s++;
			continue;
		}
		if (*s == ')') {
			paren -= paren > 0;
			s++;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == ',' || *s == '\r' ||
		    *s == '\n' || paren) {
			s++;
			continue;
		}
		w = s;
		while (*s && !strchr(" \t,\r\n()", *s))
			s++;
		/* "+0000" glued to nothing; a time and zone never share a word
		 * except "09:12Z" which we do not meet */
		take_word(&p, w, (size_t)(s - w));
	}
	if (p.pm && p.hour < 12)
		p.hour += 12;
	if (p.am && p.hour == 12)
		p.hour = 0;
	if (p.year < 1970 || p.year > 9999 || p.month < 1 || p.month > 12 ||
	    p.day < 1 || p.day > month_days(p.year, p.month) || p.hour > 23 ||
	    p.min > 59 || p.sec > 60)
		return 0;
	return days_from_civil(p.year, p.month, p.day) * 86400 +
	    p.hour * 3600 + p.min * 60 + p.sec - (int64_t)p.zone * 60;
}
