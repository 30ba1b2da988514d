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
	int link;           /* open <a> elements */
	int url_link;       /* inside the <a> that gave the url */
	int url_text;       /* that <a> has text in this block */
	int strong;         /* open <b>/<strong> */
	int outside_link;   /* text seen outside the url's anchor */
	int weak;           /* text seen outside <b>/<strong> */
};

enum tag_class { TAG_INLINE, TAG_BLOCK, TAG_DROP };

/* Sorted for bsearch: every element is looked up on the way in and out. */
static const struct tag {
	const char *name;
	enum tag_class cls;
} tags[] = {
	{ "address", TAG_BLOCK }, { "article", TAG_BLOCK },
	{ "aside", TAG_BLOCK }, { "blockquote", TAG_BLOCK },
	{ "body", TAG_BLOCK }, { "button", TAG_DROP },
	{ "caption", TAG_BLOCK }, { "center", TAG_BLOCK },
	{ "dd", TAG_BLOCK }, { "details", TAG_BLOCK }, { "div", TAG_BLOCK },
	{ "dl", TAG_BLOCK }, { "dt", TAG_BLOCK }, { "fieldset", TAG_BLOCK },
	{ "figcaption", TAG_BLOCK }, { "figure", TAG_BLOCK },
	{ "footer", TAG_BLOCK }, { "form", TAG_BLOCK }, { "h1", TAG_BLOCK },
	{ "h2", TAG_BLOCK }, { "h3", TAG_BLOCK }, { "h4", TAG_BLOCK },
	{ "h5", TAG_BLOCK }, { "h6", TAG_BLOCK }, { "head", TAG_DROP },
	{ "header", TAG_BLOCK }, { "hgroup", TAG_BLOCK }, { "hr", TAG_BLOCK },
	{ "html", TAG_BLOCK }, { "iframe", TAG_DROP }, { "li", TAG_BLOCK },
	{ "main", TAG_BLOCK }, { "map", TAG_DROP }, { "math", TAG_DROP },
	{ "menu", TAG_BLOCK }, { "nav", TAG_BLOCK }, { "noscript", TAG_DROP },
	{ "object", TAG_DROP }, { "ol", TAG_BLOCK }, { "p", TAG_BLOCK },
	{ "pre", TAG_BLOCK }, { "script", TAG_DROP }, { "section", TAG_BLOCK },
	{ "select", TAG_DROP }, { "style", TAG_DROP }, { "summary", TAG_BLOCK },
	{ "svg", TAG_DROP }, { "table", TAG_BLOCK }, { "tbody", TAG_BLOCK },
	{ "td", TAG_BLOCK }, { "template", TAG_DROP }, { "tfoot", TAG_BLOCK },
	{ "th", TAG_BLOCK }, { "thead", TAG_BLOCK }, { "title", TAG_DROP },
	{ "tr", TAG_BLOCK }, { "ul", TAG_BLOCK },
};

static int
tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

static enum tag_class
tag_lookup(const char *name)
{
	const struct tag *t = bsearch(name, tags, ARRAY_SIZE(tags),
	    sizeof(tags[0]), tag_cmp);

	return t ? t->cls : TAG_INLINE;
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
classify_tag(xmlNodePtr n)
{
	enum tag_class cls = tag_lookup((const char *)n->name);

	if (cls != TAG_DROP && n->properties && hidden(n))
		return TAG_DROP;
	return cls;
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

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			space = 1;
			s++;
		} else if (c == 0xc2 && s + 1 < end &&
		    (unsigned char)s[1] == 0xa0) {
			space = 1;
			s += 2;
		} else if (c == (unsigned char)HARD_BREAK) {
			brk++;
			space = 0;
			s++;
		} else {
			if (o != out) {
				if (brk)
					*o++ = '\n';
				else if (space)
					*o++ = ' ';
			}
			brk = space = 0;
			*o++ = (char)c;
			s++;
		}
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
		b = doc_add(w->d, kind, level, t, w->url);
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

static void
add_text(struct walk *w, const char *s)
{
	const char *p;

	if (w->pre) {
		/* keep the lines of preformatted text */
		for (p = s; *p; p++)
			buf_addc(&w->text, *p == '\n' ? HARD_BREAK :
			    (*p == ' ' ? '\x02' : *p));
	} else {
		/* in runs: control characters would fake a HARD_BREAK */
		for (p = s; *p;) {
			const char *q = p;

			while ((unsigned char)*q >= 0x20 || *q == '\t' ||
			    *q == '\n' || *q == '\r')
				q++;
			buf_add(&w->text, p, (size_t)(q - p));
			p = *q ? q + 1 : q;
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
	cls = classify_tag(n);
	if (cls == TAG_DROP)
		return 0;
	if (strcmp(name, "br") == 0) {
		/* <br><br> is how many newsletters end a paragraph */
		if (last_is_break(&w->text))
			flush(w);
		else
			buf_addc(&w->text, HARD_BREAK);
		return 0;
	}
	if (strcmp(name, "hr") == 0) {
		flush(w);
		doc_add(w->d, BLOCK_RULE, 0, "", NULL);
		return 0;
	}
	if (strcmp(name, "img") == 0)
		return 0;
	if (cls == TAG_BLOCK)
		flush(w);
	if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
		w->heading[name[1] - '0']++;
	else if (strcmp(name, "li") == 0 || strcmp(name, "dd") == 0)
		w->li++;
	else if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0)
		w->list++;
	else if (strcmp(name, "blockquote") == 0)
		w->quote++;
	else if (strcmp(name, "pre") == 0)
		w->pre++;
	else if (strcmp(name, "b") == 0 || strcmp(name, "strong") == 0)
		w->strong++;
	else if (strcmp(name, "a") == 0) {
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
	}
	return 1;
}

static void
leave(struct walk *w, xmlNodePtr n)
{
	const char *name;

	if (n->type != XML_ELEMENT_NODE)
		return;
	name = (const char *)n->name;
	if (tag_lookup(name) == TAG_BLOCK)
		flush(w);
	if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
		w->heading[name[1] - '0']--;
	else if (strcmp(name, "li") == 0 || strcmp(name, "dd") == 0)
		w->li--;
	else if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0)
		w->list--;
	else if (strcmp(name, "blockquote") == 0)
		w->quote--;
	else if (strcmp(name, "pre") == 0)
		w->pre--;
	else if (strcmp(name, "b") == 0 || strcmp(name, "strong") == 0)
		w->strong--;
	else if (strcmp(name, "a") == 0) {
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
	for (i = n0; i < d->n; i++) {
		char *p;

		for (p = d->blocks[i].text; *p; p++)
			if (*p == '\x02')
				*p = ' ';
	}
	xmlFreeDoc(doc);
	ret = 0;
out:
	return ret;
}
