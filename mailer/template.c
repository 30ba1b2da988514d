/*
 * template.c - a deliberately small Mustache subset (see template.h and
 * docs/templates.md for why not CTPL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "util.h"

enum node_kind {
	NODE_TEXT = 0,
	NODE_VAR,
	NODE_SECTION,
	NODE_INVERTED,
};

struct node;

struct nodes {
	struct node *v;
	size_t n, cap;
};

struct node {
	enum node_kind kind;
	char *s;           /* text, or the name */
	size_t len;        /* of text */
	unsigned line;     /* where the tag is */
	struct nodes kids; /* of a section */
};

struct tpl {
	char *name;
	enum tpl_mode mode;
	struct nodes root;
};

struct tpl_entry {
	char *name;
	char *str;               /* NULL for a list */
	int truth;
	struct tpl_data **items; /* a list's maps */
	size_t n_items, cap;
};

struct tpl_data {
	struct tpl_entry *v;
	size_t n, cap;
};

/* ---- parsing ---------------------------------------------------------- */

struct parser {
	const char *name;
	const char *text;
	size_t len, pos;
	unsigned line;     /* of text[pos] */
	char *err;
};

static void
nodes_free(struct nodes *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++) {
		free(ns->v[i].s);
		nodes_free(&ns->v[i].kids);
	}
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}

static struct node *
nodes_add(struct nodes *ns, enum node_kind kind, const char *s, size_t len,
    unsigned line)
{
	struct node *n;

	xgrow(&ns->v, ns->n, &ns->cap, sizeof(*ns->v));
	n = &ns->v[ns->n++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->s = xstrndup(s, len);
	n->len = len;
	n->line = line;
	return n;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static unsigned
lines_in(const char *s, size_t n)
{
	unsigned k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += s[i] == '\n';
	return k;
}

/* The tag starting at text[at] ("{{") on line `line`, up to its "}}":
 * sigil (0 for a variable), name, and where it ends.  Returns 0, or -1
 * with p->err set. */
static int
lex_tag(struct parser *p, size_t at, unsigned line, char *sigil_r,
    const char **name_r, size_t *name_len_r, size_t *end_r)
{
	const char *t = p->text;
	size_t i = at + 2, close, n0, n1, shown;
	const char *c;

	c = memmem(t + i, p->len - i, "}}", 2);
	if (!c) {
		p->err = xasprintf("%s:%u: unclosed tag '{{'", p->name, line);
		return -1;
	}
	close = (size_t)(c - t);
	*end_r = close + 2;
	*sigil_r = 0;
	*name_r = NULL;
	*name_len_r = 0;
	if (i < close && t[i] == '!') {
		/* The comment ends at the first "}}": a tag written inside
		 * it would spill the rest into the output. */
		if (memmem(t + i, close - i, "{{", 2)) {
			p->err = xasprintf("%s:%u: '{{' inside a comment "
			    "(it ends at the first '}}')", p->name, line);
			return -1;
		}
		*sigil_r = '!';
		return 0;
	}
	if (i < close && t[i] == '{') {
		p->err = xasprintf("%s:%u: unescaped output '{{{' is not "
		    "supported", p->name, line);
		return -1;
	}
	while (i < close && is_blank(t[i]))
		i++;
	if (i < close && (t[i] == '#' || t[i] == '^' || t[i] == '/')) {
		*sigil_r = t[i++];
		while (i < close && is_blank(t[i]))
			i++;
	} else if (i < close && !is_name_char(t[i])) {
		p->err = xasprintf("%s:%u: unsupported tag '{{%c'", p->name,
		    line, t[i]);
		return -1;
	}
	n0 = i;
	while (i < close && is_name_char(t[i]))
		i++;
	n1 = i;
	while (i < close && is_blank(t[i]))
		i++;
	if (n0 == n1 && i == close) {
		p->err = xasprintf("%s:%u: empty tag", p->name, line);
		return -1;
	}
	if (n0 == n1 || i != close) {
		shown = close + 2 - at;
		if (shown > 60)
			shown = 60;
		p->err = xasprintf("%s:%u: invalid name in tag '%.*s'",
		    p->name, line, (int)shown, t + at);
		return -1;
	}
	*name_r = t + n0;
	*name_len_r = n1 - n0;
	return 0;
}

/*
 * Parses text from p->pos into ns until the end or "{{/open}}".  open is
 * NULL at the top level; open_line is where that section began.  Returns
 * 0 or -1 with p->err set.
 */
static int
parse_nodes(struct parser *p, struct nodes *ns, const char *open,
    unsigned open_line, unsigned depth)
{
	const char *t = p->text;

	for (;;) {
		const char *c = p->pos < p->len ?
		    memmem(t + p->pos, p->len - p->pos, "{{", 2) : NULL;
		size_t tag, text_end, end, ls, after, name_len;
		const char *name;
		unsigned tag_line;
		char sigil;
		struct node *n;

		if (!c) {
			if (p->pos < p->len)
				nodes_add(ns, NODE_TEXT, t + p->pos,
				    p->len - p->pos, p->line);
			p->line += lines_in(t + p->pos, p->len - p->pos);
			p->pos = p->len;
			if (open) {
				p->err = xasprintf("%s:%u: section '%s' is "
				    "never closed", p->name, open_line, open);
				return -1;
			}
			return 0;
		}
		tag = (size_t)(c - t);
		tag_line = p->line + lines_in(t + p->pos, tag - p->pos);
		if (lex_tag(p, tag, tag_line, &sigil, &name, &name_len,
		    &end) < 0)
			return -1;

		/* A standalone section or comment tag takes its whole line
		 * with it, so templates can be laid out readably. */
		text_end = tag;
		after = end;
		if (sigil) {
			ls = tag;
			while (ls > p->pos && is_blank(t[ls - 1]))
				ls--;
			if (ls == 0 || t[ls - 1] == '\n') {
				size_t a = end;

				while (a < p->len && is_blank(t[a]))
					a++;
				if (a + 1 < p->len && t[a] == '\r' &&
				    t[a + 1] == '\n')
					a++;
				if (a == p->len || t[a] == '\n') {
					text_end = ls;
					after = a < p->len ? a + 1 : a;
				}
			}
		}
		if (text_end > p->pos)
			nodes_add(ns, NODE_TEXT, t + p->pos, text_end - p->pos,
			    p->line);
		p->line += lines_in(t + p->pos, after - p->pos);
		p->pos = after;

		switch (sigil) {
		case '!':
			break;
		case 0:
			nodes_add(ns, NODE_VAR, name, name_len, tag_line);
			break;
		case '#':
		case '^':
			if (depth + 1 > TPL_MAX_DEPTH) {
				p->err = xasprintf("%s:%u: sections nested "
				    "deeper than %d", p->name, tag_line,
				    TPL_MAX_DEPTH);
				return -1;
			}
			n = nodes_add(ns, sigil == '#' ? NODE_SECTION :
			    NODE_INVERTED, name, name_len, tag_line);
			/* n stays valid: only its kids grow meanwhile. */
			if (parse_nodes(p, &n->kids, n->s, tag_line,
			    depth + 1) < 0)
				return -1;
			break;
		case '/':
			if (!open) {
				p->err = xasprintf("%s:%u: '{{/%.*s}}' closes "
				    "no section", p->name, tag_line,
				    (int)name_len, name);
				return -1;
			}
			if (strlen(open) != name_len ||
			    memcmp(open, name, name_len) != 0) {
				p->err = xasprintf("%s:%u: '{{/%.*s}}' closes "
				    "section '%s' opened on line %u", p->name,
				    tag_line, (int)name_len, name, open,
				    open_line);
				return -1;
			}
			return 0;
		}
	}
}

int
tpl_parse(const char *name, const char *text, size_t len, enum tpl_mode mode,
    struct tpl **tpl_r, char **err_r)
{
	struct parser p;
	struct tpl *t = NULL;
	const char *nul;
	int ret = -1;

	*tpl_r = NULL;
	memset(&p, 0, sizeof(p));
	p.name = name;
	p.text = text;
	p.len = len;
	p.line = 1;
	if (len > TPL_MAX_FILE) {
		p.err = xasprintf("%s: larger than %d bytes", name,
		    TPL_MAX_FILE);
		goto out;
	}
	nul = memchr(text, '\0', len);
	if (nul) {
		unsigned line = 1;
		const char *q;

		for (q = text; q < nul; q++)
			line += *q == '\n';
		p.err = xasprintf("%s:%u: NUL byte in template", name, line);
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(name);
	t->mode = mode;
	if (parse_nodes(&p, &t->root, NULL, 0, 0) < 0)
		goto out;
	*tpl_r = t;
	t = NULL;
	ret = 0;
out:
	tpl_free(&t);
	if (ret < 0 && err_r)
		*err_r = p.err;
	else
		free(p.err);
	return ret;
}

int
tpl_load(const char *path, enum tpl_mode mode, struct tpl **tpl_r,
    char **err_r)
{
	struct buf b = BUF_INIT(TPL_MAX_FILE + 1);
	char chunk[8192];
	FILE *f;
	size_t n;
	int ret = -1;

	*tpl_r = NULL;
	f = fopen(path, "rb");
	if (!f) {
		if (err_r)
			*err_r = xasprintf("%s: cannot open: %s", path,
			    strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			if (err_r)
				*err_r = xasprintf("%s: larger than %d bytes",
				    path, TPL_MAX_FILE);
			goto out;
		}
	}
	if (ferror(f)) {
		if (err_r)
			*err_r = xasprintf("%s: cannot read: %s", path,
			    strerror(errno));
		goto out;
	}
	ret = tpl_parse(path, b.data ? b.data : "", b.len, mode, tpl_r, err_r);
out:
	fclose(f);
	buf_free(&b);
	return ret;
}

void
tpl_free(struct tpl **t)
{
	if (!t || !*t)
		return;
	nodes_free(&(*t)->root);
	free((*t)->name);
	free(*t);
	*t = NULL;
}

/* ---- data model ------------------------------------------------------- */

struct tpl_data *
tpl_data_new(void)
{
	return xcalloc(1, sizeof(struct tpl_data));
}

static void
entry_clear(struct tpl_entry *e)
{
	size_t i;

	free(e->str);
	e->str = NULL;
	for (i = 0; i < e->n_items; i++)
		tpl_data_free(&e->items[i]);
	free(e->items);
	e->items = NULL;
	e->n_items = e->cap = 0;
	e->truth = 0;
}

void
tpl_data_free(struct tpl_data **d)
{
	size_t i;

	if (!d || !*d)
		return;
	for (i = 0; i < (*d)->n; i++) {
		entry_clear(&(*d)->v[i]);
		free((*d)->v[i].name);
	}
	free((*d)->v);
	free(*d);
	*d = NULL;
}

static const struct tpl_entry *
data_find(const struct tpl_data *d, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i].name) == len &&
		    memcmp(d->v[i].name, name, len) == 0)
			return &d->v[i];
	return NULL;
}

/* The entry called name, emptied, or a new one. */
static struct tpl_entry *
data_slot(struct tpl_data *d, const char *name)
{
	struct tpl_entry *e;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].name, name) == 0) {
			entry_clear(&d->v[i]);
			return &d->v[i];
		}
	}
	xgrow(&d->v, d->n, &d->cap, sizeof(*d->v));
	e = &d->v[d->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	return e;
}

/* utf8_clean keeps \n and \t; a one-line value turns them into spaces. */
static char *
clean_value(const char *value, int keep_lines)
{
	char *s, *q, *w;

	if (!value)
		value = "";
	s = utf8_clean(value, strlen(value));
	for (q = w = s; *q; q++) {
		if (*q == 0x7f)   /* utf8_clean keeps DEL */
			continue;
		*w++ = !keep_lines && (*q == '\n' || *q == '\t') ? ' ' : *q;
	}
	*w = '\0';
	return s;
}

void
tpl_data_set(struct tpl_data *d, const char *name, const char *value)
{
	struct tpl_entry *e = data_slot(d, name);

	e->str = clean_value(value, 0);
	e->truth = e->str[0] != '\0';
}

void
tpl_data_set_text(struct tpl_data *d, const char *name, const char *value)
{
	struct tpl_entry *e = data_slot(d, name);

	e->str = clean_value(value, 1);
	e->truth = e->str[0] != '\0';
}

void
tpl_data_set_int(struct tpl_data *d, const char *name, long value)
{
	struct tpl_entry *e = data_slot(d, name);

	e->str = xasprintf("%ld", value);
	e->truth = value != 0;
}

void
tpl_data_set_bool(struct tpl_data *d, const char *name, int value)
{
	struct tpl_entry *e = data_slot(d, name);

	e->str = xstrdup("");
	e->truth = value != 0;
}

int
tpl_url_ok(const char *url)
{
	static const char *const schemes[] = { "http://", "https://",
		"mailto:" };
	const unsigned char *q;
	size_t i, len;

	if (!url)
		return 0;
	len = strlen(url);
	if (len > TPL_MAX_URL)
		return 0;
	for (q = (const unsigned char *)url; *q; q++)
		if (*q <= 0x20 || *q == 0x7f)
			return 0;
	/* it is written out as it is, into UTF-8 parts */
	if (!utf8_valid(url, len))
		return 0;
	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i]);

		/* Something must follow the scheme: "https://" alone is
		 * not a link. */
		if (str_has_prefix_ci(url, schemes[i]) && len > n)
			return 1;
	}
	return 0;
}

int
tpl_data_set_url(struct tpl_data *d, const char *name, const char *url)
{
	struct tpl_entry *e = data_slot(d, name);

	if (!tpl_url_ok(url)) {
		e->str = xstrdup("");
		return -1;
	}
	e->str = xstrdup(url);
	e->truth = 1;
	return 0;
}

struct tpl_data *
tpl_data_add(struct tpl_data *d, const char *name)
{
	struct tpl_entry *e;
	size_t i;

	for (i = 0, e = NULL; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			e = &d->v[i];
	if (!e || e->str)
		e = data_slot(d, name);
	xgrow(&e->items, e->n_items, &e->cap, sizeof(*e->items));
	e->items[e->n_items] = tpl_data_new();
	e->truth = 1;
	return e->items[e->n_items++];
}

/* ---- rendering -------------------------------------------------------- */

struct render {
	const struct tpl *t;
	const struct tpl_data *stack[TPL_MAX_DEPTH + 2];
	size_t depth;
	size_t steps;      /* nodes and list passes, against TPL_MAX_STEPS */
	struct buf out;
	char *err;
};

static const struct tpl_entry *
lookup(const struct render *r, const char *name)
{
	size_t i = r->depth, len = strlen(name);

	while (i-- > 0) {
		const struct tpl_entry *e = data_find(r->stack[i], name, len);

		if (e)
			return e;
	}
	return NULL;
}

static int
put_value(struct render *r, const char *s)
{
	const char *run = s;
	int rc = 0;

	if (r->t->mode == TPL_TEXT)
		return buf_addstr(&r->out, s);
	for (; *s && rc == 0; s++) {
		const char *ent;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		rc = buf_add(&r->out, run, (size_t)(s - run));
		if (rc == 0)
			rc = buf_addstr(&r->out, ent);
		run = s + 1;
	}
	if (rc == 0)
		rc = buf_addstr(&r->out, run);
	return rc;
}

/* Counts one step (a node, or a pass over a list element); 1 with
 * r->err set past TPL_MAX_STEPS. */
static int
too_costly(struct render *r)
{
	if (++r->steps <= TPL_MAX_STEPS)
		return 0;
	r->err = xasprintf("%s: more than %d steps to render", r->t->name,
	    TPL_MAX_STEPS);
	return 1;
}

static int
render_nodes(struct render *r, const struct nodes *ns)
{
	size_t i, k;

	for (i = 0; i < ns->n; i++) {
		const struct node *n = &ns->v[i];
		const struct tpl_entry *e;
		int rc = 0;

		if (too_costly(r))
			return -1;
		switch (n->kind) {
		case NODE_TEXT:
			rc = buf_add(&r->out, n->s, n->len);
			break;
		case NODE_VAR:
			e = lookup(r, n->s);
			if (!e) {
				r->err = xasprintf("%s:%u: unknown variable "
				    "'%s'", r->t->name, n->line, n->s);
				return -1;
			}
			if (!e->str) {
				r->err = xasprintf("%s:%u: '%s' is a list; "
				    "use {{#%s}}", r->t->name, n->line, n->s,
				    n->s);
				return -1;
			}
			rc = put_value(r, e->str);
			break;
		case NODE_SECTION:
			e = lookup(r, n->s);
			if (!e || !e->truth)
				break;
			if (e->str) {
				if (render_nodes(r, &n->kids) < 0)
					return -1;
				break;
			}
			for (k = 0; k < e->n_items; k++) {
				if (too_costly(r))
					return -1;
				r->stack[r->depth++] = e->items[k];
				rc = render_nodes(r, &n->kids);
				r->depth--;
				if (rc < 0)
					return -1;
			}
			break;
		case NODE_INVERTED:
			e = lookup(r, n->s);
			if (e && e->truth)
				break;
			if (render_nodes(r, &n->kids) < 0)
				return -1;
			break;
		}
		if (rc < 0) {
			if (!r->err)
				r->err = xasprintf("%s: output larger than %d "
				    "bytes", r->t->name, TPL_MAX_OUTPUT);
			return -1;
		}
	}
	return 0;
}

int
tpl_render(const struct tpl *t, const struct tpl_data *d, char **out_r,
    size_t *len_r, char **err_r)
{
	struct render r;
	int ret = -1;

	*out_r = NULL;
	memset(&r, 0, sizeof(r));
	r.t = t;
	buf_init(&r.out, TPL_MAX_OUTPUT);
	r.stack[r.depth++] = d;
	if (render_nodes(&r, &t->root) < 0)
		goto out;
	if (len_r)
		*len_r = r.out.len;
	*out_r = buf_detach(&r.out);
	ret = 0;
out:
	buf_free(&r.out);
	if (ret < 0 && err_r)
		*err_r = r.err;
	else
		free(r.err);
	return ret;
}
