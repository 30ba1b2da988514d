/*
 * html.c - HTML to blocks with libxml2's forgiving HTML parser.
 *
 * The DOM is walked without recursion (parent pointers) so hostile nesting
 * costs time in proportion to its size and no stack.  Block elements end
 * the running paragraph; what kind of block it becomes is read from
 * counters of the open elements (heading, list item, blockquote), kept
 * in step on the way down and up.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "log.h"
#include "message.h"

/* Marks a <br> in the running text; never in input (controls dropped). */
#define HARD_BREAK '\x01'

struct walk {
	struct doc *d;
	struct buf text;
	char *url;
	int heading[7];     /* open <h1>..<h6> */
	int li, list, quote, pre;
	int pre_spaces;     /* a '\x02' stands for a <pre> space somewhere */
	int link;           /* open <a> elements */
	int url_link;       /* inside the <a> that gave the url */
	int url_text;       /* that <a> has text in this block */
	int strong;         /* open <b>/<strong> */
	int outside_link;   /* text seen outside the url's anchor */
	int weak;           /* text seen outside <b>/<strong> */
};

enum tag_class { TAG_INLINE, TAG_BLOCK, TAG_DROP };

/* What an element does to the walk beyond its class. */
enum tag_role {
	ROLE_NONE, ROLE_BR, ROLE_HR, ROLE_IMG, ROLE_HEADING, ROLE_ITEM,
	ROLE_LIST, ROLE_QUOTE, ROLE_PRE, ROLE_STRONG, ROLE_LINK,
};

struct tag {
	const char *name;
	enum tag_class cls;
	enum tag_role role;
};

/* Sorted for binary search: every element is looked up on the way in
 * and out.  Elements not listed are inline and do nothing special. */
static const struct tag tags[] = {
	{ "a", TAG_INLINE, ROLE_LINK },
	{ "address", TAG_BLOCK, ROLE_NONE }, { "article", TAG_BLOCK, ROLE_NONE },
	{ "aside", TAG_BLOCK, ROLE_NONE }, { "b", TAG_INLINE, ROLE_STRONG },
	{ "blockquote", TAG_BLOCK, ROLE_QUOTE }, { "body", TAG_BLOCK, ROLE_NONE },
	{ "br", TAG_INLINE, ROLE_BR }, { "button", TAG_DROP, ROLE_NONE },
	{ "caption", TAG_BLOCK, ROLE_NONE }, { "center", TAG_BLOCK, ROLE_NONE },
	{ "dd", TAG_BLOCK, ROLE_ITEM }, { "details", TAG_BLOCK, ROLE_NONE },
	{ "div", TAG_BLOCK, ROLE_NONE }, { "dl", TAG_BLOCK, ROLE_NONE },
	{ "dt", TAG_BLOCK, ROLE_NONE }, { "fieldset", TAG_BLOCK, ROLE_NONE },
	{ "figcaption", TAG_BLOCK, ROLE_NONE }, { "figure", TAG_BLOCK, ROLE_NONE },
	{ "footer", TAG_BLOCK, ROLE_NONE }, { "form", TAG_BLOCK, ROLE_NONE },
	{ "h1", TAG_BLOCK, ROLE_HEADING }, { "h2", TAG_BLOCK, ROLE_HEADING },
	{ "h3", TAG_BLOCK, ROLE_HEADING }, { "h4", TAG_BLOCK, ROLE_HEADING },
	{ "h5", TAG_BLOCK, ROLE_HEADING }, { "h6", TAG_BLOCK, ROLE_HEADING },
	{ "head", TAG_DROP, ROLE_NONE }, { "header", TAG_BLOCK, ROLE_NONE },
	{ "hgroup", TAG_BLOCK, ROLE_NONE }, { "hr", TAG_BLOCK, ROLE_HR },
	{ "html", TAG_BLOCK, ROLE_NONE }, { "iframe", TAG_DROP, ROLE_NONE },
	{ "img", TAG_INLINE, ROLE_IMG }, { "li", TAG_BLOCK, ROLE_ITEM },
	{ "main", TAG_BLOCK, ROLE_NONE }, { "map", TAG_DROP, ROLE_NONE },
	{ "math", TAG_DROP, ROLE_NONE }, { "menu", TAG_BLOCK, ROLE_NONE },
	{ "nav", TAG_BLOCK, ROLE_NONE }, { "noscript", TAG_DROP, ROLE_NONE },
	{ "object", TAG_DROP, ROLE_NONE }, { "ol", TAG_BLOCK, ROLE_LIST },
	{ "p", TAG_BLOCK, ROLE_NONE }, { "pre", TAG_BLOCK, ROLE_PRE },
	{ "script", TAG_DROP, ROLE_NONE }, { "section", TAG_BLOCK, ROLE_NONE },
	{ "select", TAG_DROP, ROLE_NONE }, { "strong", TAG_INLINE, ROLE_STRONG },
	{ "style", TAG_DROP, ROLE_NONE }, { "summary", TAG_BLOCK, ROLE_NONE },
	{ "svg", TAG_DROP, ROLE_NONE }, { "table", TAG_BLOCK, ROLE_NONE },
	{ "tbody", TAG_BLOCK, ROLE_NONE }, { "td", TAG_BLOCK, ROLE_NONE },
	{ "template", TAG_DROP, ROLE_NONE }, { "tfoot", TAG_BLOCK, ROLE_NONE },
	{ "th", TAG_BLOCK, ROLE_NONE }, { "thead", TAG_BLOCK, ROLE_NONE },
	{ "title", TAG_DROP, ROLE_NONE }, { "tr", TAG_BLOCK, ROLE_NONE },
	{ "ul", TAG_BLOCK, ROLE_LIST },
};

static const struct tag tag_other = { "", TAG_INLINE, ROLE_NONE };

/* strcmp's sign, inline: names differ in their first byte or two */
static int
name_cmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static const struct tag *
tag_lookup(const char *name)
{
	size_t lo = 0, hi = ARRAY_SIZE(tags), mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = name_cmp(name, tags[mid].name);
		if (c == 0)
			return &tags[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &tag_other;
}

/* style="display:none" and friends: newsletters hide preheaders this way */
static int
hidden(xmlNodePtr n)
{
	xmlChar *style;
	char *p, *q;
	int ret = 0;

	if (xmlHasProp(n, (const xmlChar *)"hidden"))
		return 1;
	style = xmlGetProp(n, (const xmlChar *)"style");
	if (!style)
		return 0;
	/* squeeze out spaces and lowercase in place */
	for (p = q = (char *)style; *p; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			*q++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	*q = '\0';
	if (strstr((char *)style, "display:none") ||
	    strstr((char *)style, "visibility:hidden") ||
	    strstr((char *)style, "mso-hide:all"))
		ret = 1;
	xmlFree(style);
	return ret;
}

static enum tag_class
classify_tag(xmlNodePtr n, const struct tag *t)
{
	if (t->cls != TAG_DROP && n->properties && hidden(n))
		return TAG_DROP;
	return t->cls;
}

static int
heading_level(const struct walk *w)
{
	int i;

	for (i = 1; i <= 6; i++)
		if (w->heading[i])
			return i;
	return 0;
}

/* Bytes squeeze_text treats apart: white space, the first byte of U+00A0
 * and HARD_BREAK; the rest is copied as it comes. */
static const unsigned char squeeze_class[256] = {
	['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, [' '] = 1,
	[0xc2] = 2, [(unsigned char)HARD_BREAK] = 3,
};

/* Collapses white space runs to one space, HARD_BREAK to '\n' (with the
 * spaces around it dropped), trims both ends.  Returns a new string. */
static char *
squeeze_text(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	const char *end = s + n;
	int space = 0, brk = 0;

	while (s < end) {
		unsigned char c = (unsigned char)*s;
		unsigned k;

		/* Plain bytes and white space without branching on which
		 * (text has a space every few bytes, too often to predict):
		 * each run of white space is written as one ' ' at once and
		 * taken back when no word follows it. */
		if (!brk) {
			unsigned prev = space || o == out;

			if (space && o != out)
				*o++ = ' ';
			for (; s < end; s++) {
				k = squeeze_class[(unsigned char)*s];
				if (k > 1)
					break;
				*o = k ? ' ' : *s;
				o += !(k & prev);
				prev = k;
			}
			if (prev && o != out)
				o--;
			space = (int)prev;
			if (s == end)
				break;
			c = (unsigned char)*s;
		}
		switch (squeeze_class[c]) {
		case 1:
			space = 1;
			do
				s++;
			while (s < end && squeeze_class[(unsigned char)*s] == 1);
			continue;
		case 2:
			if (s + 1 < end && (unsigned char)s[1] == 0xa0) {
				space = 1;
				s += 2;
				continue;
			}
			break;
		case 3:
			brk++;
			space = 0;
			s++;
			continue;
		default:
			break;
		}
		if (o != out) {
			if (brk)
				*o++ = '\n';
			else if (space)
				*o++ = ' ';
		}
		brk = space = 0;
		/* the run up to the next byte of interest */
		do
			*o++ = *s++;
		while (s < end && !squeeze_class[(unsigned char)*s]);
	}
	*o = '\0';
	return out;
}

static void
flush(struct walk *w)
{
	enum block_kind kind = BLOCK_PARA;
	int level = 0;
	char *t;
	struct block *b;

	if (w->text.len == 0)
		goto out;
	t = squeeze_text(w->text.data, w->text.len);
	if (*t) {
		if ((level = heading_level(w))) {
			kind = BLOCK_HEADING;
		} else if (w->li) {
			kind = BLOCK_LIST_ITEM;
			level = w->list ? w->list : 1;
		} else if (w->quote) {
			kind = BLOCK_QUOTE;
			level = w->quote;
		}
		/* the block takes t rather than a copy of it */
		b = doc_add(w->d, kind, level, "", w->url);
		free(b->text);
		b->text = t;
		t = NULL;
		b->link_only = b->url && !w->outside_link;
		b->strong = !w->weak;
	}
	free(t);
out:
	buf_reset(&w->text);
	w->outside_link = w->weak = 0;
	w->url_text = 0;
	/* a link wrapped round blocks (<a><h2>..</h2><p>..</p></a>) gives
	 * its url to each of them */
	if (!w->url_link) {
		free(w->url);
		w->url = NULL;
	}
}

static int
has_text(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n", *s))
			return 1;
	return 0;
}

/* Any byte below 0x20 in the eight at p. */
static int
has_control8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return ((v - 0x2020202020202020ull) & ~v & 0x8080808080808080ull) != 0;
}

static void
add_text(struct walk *w, const char *s)
{
	const char *p, *end;

	if (w->pre) {
		/* keep the lines of preformatted text */
		for (p = s; *p; p++) {
			if (*p == ' ')
				w->pre_spaces = 1;
			buf_addc(&w->text, *p == '\n' ? HARD_BREAK :
			    (*p == ' ' ? '\x02' : *p));
		}
	} else {
		/* in runs: control characters would fake a HARD_BREAK */
		end = s + strlen(s);
		for (p = s; p < end;) {
			const char *q = p;

			for (;;) {
				while (end - q >= 8 && !has_control8(q))
					q += 8;
				if (q == end || !((unsigned char)*q >= 0x20 ||
				    *q == '\t' || *q == '\n' || *q == '\r'))
					break;
				q++;
			}
			buf_add(&w->text, p, (size_t)(q - p));
			p = q < end ? q + 1 : q;
		}
	}
	if (!has_text(s))
		return;
	if (!w->url_link)
		w->outside_link = 1;
	else
		w->url_text = 1;
	if (!w->strong)
		w->weak = 1;
}

static int
last_is_break(const struct buf *b)
{
	size_t i = b->len;

	while (i > 0 && strchr(" \t\r\n", b->data[i - 1]))
		i--;
	return i > 0 && b->data[i - 1] == HARD_BREAK;
}

static int
good_href(const char *h)
{
	return str_has_prefix_ci(h, "http://") ||
	    str_has_prefix_ci(h, "https://") || str_has_prefix_ci(h, "mailto:");
}

/* Returns 1 to walk the children (and later call leave). */
static int
enter(struct walk *w, xmlNodePtr n)
{
	const char *name;
	const struct tag *t;
	enum tag_class cls;

	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content)
			add_text(w, (const char *)n->content);
		return 0;
	case XML_ELEMENT_NODE:
		break;
	case XML_DOCUMENT_NODE:
	case XML_HTML_DOCUMENT_NODE:
		return 1;
	default:
		return 0;
	}
	name = (const char *)n->name;
	t = tag_lookup(name);
	cls = classify_tag(n, t);
	if (cls == TAG_DROP)
		return 0;
	switch (t->role) {
	case ROLE_BR:
		/* <br><br> is how many newsletters end a paragraph */
		if (last_is_break(&w->text))
			flush(w);
		else
			buf_addc(&w->text, HARD_BREAK);
		return 0;
	case ROLE_HR:
		flush(w);
		doc_add(w->d, BLOCK_RULE, 0, "", NULL);
		return 0;
	case ROLE_IMG:
		return 0;
	default:
		break;
	}
	if (cls == TAG_BLOCK)
		flush(w);
	switch (t->role) {
	case ROLE_HEADING:
		w->heading[name[1] - '0']++;
		break;
	case ROLE_ITEM:
		w->li++;
		break;
	case ROLE_LIST:
		w->list++;
		break;
	case ROLE_QUOTE:
		w->quote++;
		break;
	case ROLE_PRE:
		w->pre++;
		break;
	case ROLE_STRONG:
		w->strong++;
		break;
	case ROLE_LINK: {
		xmlChar *href = xmlGetProp(n, (const xmlChar *)"href");

		w->link++;
		if (href && !w->url && good_href((const char *)href)) {
			char *h = str_squeeze((const char *)href,
			    strlen((const char *)href));

			w->url = h;
			w->url_link = w->link;
			w->url_text = 0;
		}
		xmlFree(href);
		break;
	}
	default:
		break;
	}
	return 1;
}

static void
leave(struct walk *w, xmlNodePtr n)
{
	const char *name;
	const struct tag *t;

	if (n->type != XML_ELEMENT_NODE)
		return;
	name = (const char *)n->name;
	t = tag_lookup(name);
	if (t->cls == TAG_BLOCK)
		flush(w);
	switch (t->role) {
	case ROLE_HEADING:
		w->heading[name[1] - '0']--;
		break;
	case ROLE_ITEM:
		w->li--;
		break;
	case ROLE_LIST:
		w->list--;
		break;
	case ROLE_QUOTE:
		w->quote--;
		break;
	case ROLE_PRE:
		w->pre--;
		break;
	case ROLE_STRONG:
		w->strong--;
		break;
	case ROLE_LINK:
		if (w->url_link == w->link) {
			w->url_link = 0;
			/* an image or empty link: let a later one name the
			 * block */
			if (!w->url_text) {
				free(w->url);
				w->url = NULL;
			}
		}
		w->link--;
		break;
	default:
		break;
	}
}

int
html_to_doc(struct doc *d, const char *html, size_t len,
    const struct limits *lim)
{
	struct walk w;
	htmlDocPtr doc;
	xmlNodePtr start, cur;
	size_t i, n0 = d->n;
	int ret = -1, descend;

	if (!lim)
		lim = &limits_default;
	if (lim->max_html && len > lim->max_html) {
		log_debug("html part cut to %zu bytes", lim->max_html);
		len = lim->max_html;
		/* not inside a character: libxml2 would keep the broken
		 * sequence and the text would no longer be UTF-8 */
		while (len > 0 && ((unsigned char)html[len] & 0xc0) == 0x80)
			len--;
	}
	if (len > INT32_MAX)
		len = INT32_MAX;
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_NOBLANKS | HTML_PARSE_COMPACT);
	if (!doc)
		goto out;
	memset(&w, 0, sizeof(w));
	w.d = d;
	buf_init(&w.text, 0);
	start = cur = (xmlNodePtr)doc;
	for (;;) {
		descend = enter(&w, cur);
		if (descend && cur->children) {
			cur = cur->children;
			continue;
		}
		if (descend)
			leave(&w, cur);
		while (cur != start && !cur->next) {
			cur = cur->parent;
			leave(&w, cur);
		}
		if (cur == start)
			break;
		cur = cur->next;
	}
	flush(&w);
	buf_free(&w.text);
	/* <pre> spaces were kept apart from squeezable ones */
	for (i = n0; w.pre_spaces && i < d->n; i++) {
		char *p = d->blocks[i].text;

		while ((p = strchr(p, '\x02')))
			*p++ = ' ';
	}
	xmlFreeDoc(doc);
	ret = 0;
out:
	return ret;
}
