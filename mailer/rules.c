/*
 * rules.c - reads the filters/ rule files into a struct ruleset (see rules_p.h)
 * and has classify.c compile it.  The language is documented in
 * filters/README.md; errors are collected, not stopped at, so one run
 * shows every mistake in a rule set.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rules.h"
#include "rules_p.h"
#include "util.h"

struct loader {
	struct ruleset *rs;
	struct buf *err;
	char *stack[RULES_MAX_DEPTH + 1];   /* real paths being read */
	size_t depth;
	long cur;                           /* current category, or -1 */
	const char *local;                  /* overriding directory, or NULL */
};

/* Where in a line the parser stands, for messages. */
struct cursor {
	char *p;
	const char *file;
	unsigned line;
	struct loader *l;
};

static int load_file(struct loader *l, const char *path,
    const char *inc_file, unsigned inc_line);

void
rules_error(struct buf *err, const char *file, unsigned line,
    const char *fmt, ...)
{
	size_t lines = 0, i;
	va_list ap;
	char *msg;
	int n;

	for (i = 0; i < err->len; i++)
		lines += err->data[i] == '\n';
	if (lines >= RULES_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (line)
		buf_printf(err, "%s:%u: %s\n", file, line, msg);
	else
		buf_printf(err, "%s: %s\n", file, msg);
	free(msg);
}

#define lerr(c, ...) rules_error((c)->l->err, (c)->file, (c)->line, __VA_ARGS__)

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void
skip_space(struct cursor *c)
{
	while (is_space(*c->p))
		c->p++;
}

/* At the end of the meaningful part of the line: nothing or a comment. */
static int
at_end(struct cursor *c)
{
	skip_space(c);
	return *c->p == '\0' || *c->p == '#';
}

/* Cuts the next run of non-space out of the line (NUL-terminating it);
 * NULL at the end of the line or at a comment. */
static char *
next_token(struct cursor *c)
{
	char *t;

	if (at_end(c))
		return NULL;
	t = c->p;
	while (*c->p && !is_space(*c->p))
		c->p++;
	if (*c->p)
		*c->p++ = '\0';
	return t;
}

/* Reads a "quoted string" at c->p (which is at the quote) into a new
 * string; \" and \\ stand for themselves.  NULL (reported) when
 * unterminated. */
static char *
read_quoted(struct cursor *c)
{
	struct buf b = BUF_INIT(RULES_MAX_PATTERN + 1);
	char *s = c->p + 1;

	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (buf_addc(&b, *s) < 0) {
			lerr(c, "quoted string longer than %d bytes",
			    RULES_MAX_PATTERN);
			buf_free(&b);
			return NULL;
		}
	}
	if (*s != '"') {
		lerr(c, "unterminated quote");
		buf_free(&b);
		return NULL;
	}
	c->p = s + 1;
	if (*c->p && !is_space(*c->p) && *c->p != '#') {
		lerr(c, "no space after closing quote");
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* Reads a /regex/ at c->p; "\/" stands for "/", other escapes are kept
 * for the regex engine. */
static char *
read_regex(struct cursor *c)
{
	struct buf b = BUF_INIT(RULES_MAX_PATTERN + 1);
	char *s = c->p + 1;
	int bad = 0;

	for (; *s && *s != '/'; s++) {
		if (*s == '\\' && s[1] == '/')
			s++;
		else if (*s == '\\' && s[1])
			bad |= buf_addc(&b, *s++);
		bad |= buf_addc(&b, *s);
	}
	if (bad) {
		lerr(c, "regex longer than %d bytes", RULES_MAX_PATTERN);
		goto fail;
	}
	if (*s != '/') {
		lerr(c, "unterminated regex (no closing '/')");
		goto fail;
	}
	c->p = s + 1;
	if (*c->p && !is_space(*c->p) && *c->p != '#') {
		lerr(c, "unexpected '%c' after regex (flags go before it)",
		    *c->p);
		goto fail;
	}
	return buf_detach(&b);
fail:
	buf_free(&b);
	return NULL;
}

static int
valid_id(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '-'))
			return 0;
	return n > 0 && n <= RULES_MAX_ID;
}

static void
parse_category(struct cursor *c)
{
	struct ruleset *rs = c->l->rs;
	struct category *cat;
	char *id, *name = NULL;
	size_t i;

	id = next_token(c);
	if (!id) {
		lerr(c, "category needs an id");
		return;
	}
	if (!valid_id(id)) {
		lerr(c, "bad category id '%s' (want [a-z0-9-]+, at most %d)",
		    id, RULES_MAX_ID);
		return;
	}
	if (!at_end(c)) {
		if (*c->p != '"') {
			lerr(c, "category name must be quoted");
			return;
		}
		name = read_quoted(c);
		if (!name)
			return;
		if (!at_end(c)) {
			lerr(c, "trailing characters after category name");
			goto out;
		}
	}
	for (i = 0; i < rs->ncats; i++) {
		if (strcmp(rs->cats[i].id, id) == 0) {
			lerr(c, "duplicate category '%s' (first at %s:%u)", id,
			    rs->cats[i].file, rs->cats[i].line);
			goto out;
		}
	}
	if (rs->ncats >= RULES_MAX_CATS) {
		lerr(c, "more than %d categories", RULES_MAX_CATS);
		goto out;
	}
	xgrow(&rs->cats, rs->ncats, &rs->capcats, sizeof(*rs->cats));
	cat = &rs->cats[rs->ncats];
	memset(cat, 0, sizeof(*cat));
	cat->id = xstrdup(id);
	cat->name = name ? name : xstrdup(id);
	name = NULL;
	cat->file = c->file;
	cat->line = c->line;
	c->l->cur = (long)rs->ncats++;
out:
	free(name);
}

static void
parse_threshold(struct cursor *c)
{
	struct category *cat;
	char *t = next_token(c);
	long v;

	if (c->l->cur < 0) {
		lerr(c, "threshold before any category");
		return;
	}
	cat = &c->l->rs->cats[c->l->cur];
	if (!t || parse_long(t, 1, RULES_MAX_THRESHOLD, &v) < 0) {
		lerr(c, "bad threshold '%s' (want 1..%d)", t ? t : "",
		    RULES_MAX_THRESHOLD);
		return;
	}
	if (!at_end(c)) {
		lerr(c, "trailing characters after threshold");
		return;
	}
	if (cat->has_threshold) {
		lerr(c, "second threshold for category '%s'", cat->id);
		return;
	}
	cat->threshold = v;
	cat->has_threshold = 1;
}

static int
parse_fields(struct cursor *c, char *t, unsigned *fields_r)
{
	static const char *const names[FIELD_N] = {
		"title", "text", "subject", "from", "lead",
	};
	unsigned fields = 0, f;
	char *comma;

	for (;;) {
		comma = strchr(t, ',');
		if (comma)
			*comma = '\0';
		if (strcmp(t, "any") == 0) {
			fields |= FIELDS_ANY;
		} else {
			for (f = 0; f < FIELD_N; f++)
				if (strcmp(t, names[f]) == 0)
					break;
			if (f == FIELD_N) {
				lerr(c, "unknown field '%s' (want title, "
				    "text, lead, subject, from or any)", t);
				return -1;
			}
			fields |= 1u << f;
		}
		if (!comma)
			break;
		t = comma + 1;
	}
	*fields_r = fields;
	return 0;
}

static void
parse_rule(struct cursor *c, enum rule_kind kind, const char *kw)
{
	struct ruleset *rs = c->l->rs;
	struct rule r = { .kind = kind, .max = 1 };
	char *t;
	long v;

	if (c->l->cur < 0) {
		lerr(c, "%s rule before any category", kw);
		return;
	}
	t = next_token(c);
	if (!t) {
		lerr(c, "%s rule needs fields, a weight and a pattern", kw);
		return;
	}
	if (parse_fields(c, t, &r.fields) < 0)
		return;
	t = next_token(c);
	if (!t || (*t != '+' && *t != '-') ||
	    parse_long(t, -RULES_MAX_WEIGHT, RULES_MAX_WEIGHT, &v) < 0 ||
	    v == 0) {
		lerr(c, "bad weight '%s' (want +N or -N, N in 1..%d)",
		    t ? t : "", RULES_MAX_WEIGHT);
		return;
	}
	r.weight = (int)v;
	/* Options until the pattern; quote a pattern spelt like one. */
	for (;;) {
		if (at_end(c)) {
			lerr(c, "%s rule has no pattern", kw);
			return;
		}
		if (*c->p == '"' || *c->p == '/')
			break;
		t = c->p;
		while (*t && !is_space(*t))
			t++;
		if ((size_t)(t - c->p) == 4 && memcmp(c->p, "case", 4) == 0) {
			r.caseful = 1;
		} else if ((size_t)(t - c->p) == 6 &&
		    memcmp(c->p, "nocase", 6) == 0) {
			r.caseful = 0;
		} else if ((size_t)(t - c->p) == 3 &&
		    memcmp(c->p, "max", 3) == 0) {
			c->p = t;
			t = next_token(c);
			if (!t || parse_long(t, 1, RULES_MAX_HITS, &v) < 0) {
				lerr(c, "bad max '%s' (want 1..%d)", t ? t : "",
				    RULES_MAX_HITS);
				return;
			}
			r.max = (unsigned)v;
			continue;
		} else {
			break;
		}
		c->p = t;
	}
	if (kind == RULE_REGEX) {
		if (*c->p != '/') {
			lerr(c, "regex must be written /like this/");
			return;
		}
		r.pattern = read_regex(c);
	} else if (*c->p == '"') {
		r.pattern = read_quoted(c);
	} else if (*c->p == '/') {
		lerr(c, "%s pattern starting with '/' must be quoted", kw);
		return;
	} else {
		r.pattern = xstrdup(next_token(c));
	}
	if (!r.pattern)
		return;
	if (!at_end(c)) {
		lerr(c, "trailing characters after pattern (quote a phrase "
		    "with spaces)");
		goto fail;
	}
	if (!*r.pattern) {
		lerr(c, "empty pattern");
		goto fail;
	}
	if (rs->nrules >= RULES_MAX_RULES) {
		lerr(c, "more than %d rules", RULES_MAX_RULES);
		goto fail;
	}
	r.file = c->file;
	r.line = c->line;
	r.cat = (size_t)c->l->cur;
	xgrow(&rs->rules, rs->nrules, &rs->caprules, sizeof(*rs->rules));
	rs->rules[rs->nrules++] = r;
	rs->cats[r.cat].nrules++;
	return;
fail:
	free(r.pattern);
}

/* dir of file + "/" + rel, unless rel is absolute.  Caller frees. */
static char *
relative_to(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');

	if (rel[0] == '/' || !slash)
		return xstrdup(rel);
	return xasprintf("%.*s/%s", (int)(slash - file), file, rel);
}

static void
parse_include(struct cursor *c)
{
	char *name, *path;

	if (at_end(c)) {
		lerr(c, "include needs a file name");
		return;
	}
	if (*c->p == '"') {
		name = read_quoted(c);
		if (!name)
			return;
	} else {
		name = xstrdup(next_token(c));
	}
	if (!at_end(c)) {
		lerr(c, "trailing characters after include file name");
		free(name);
		return;
	}
	path = NULL;
	/* a local file of that name overrides a shipped one here too */
	if (c->l->local && !strchr(name, '/')) {
		path = xasprintf("%s/%s", c->l->local, name);
		if (access(path, F_OK) < 0) {
			free(path);
			path = NULL;
		}
	}
	if (!path)
		path = relative_to(c->file, name);
	load_file(c->l, path, c->file, c->line);
	free(path);
	free(name);
}

static void
parse_line(struct loader *l, const char *file, unsigned line, char *s)
{
	struct cursor c = { s, file, line, l };
	char *kw;

	kw = next_token(&c);
	if (!kw)
		return;
	if (strcmp(kw, "category") == 0)
		parse_category(&c);
	else if (strcmp(kw, "threshold") == 0)
		parse_threshold(&c);
	else if (strcmp(kw, "phrase") == 0)
		parse_rule(&c, RULE_PHRASE, kw);
	else if (strcmp(kw, "word") == 0)
		parse_rule(&c, RULE_WORD, kw);
	else if (strcmp(kw, "regex") == 0)
		parse_rule(&c, RULE_REGEX, kw);
	else if (strcmp(kw, "include") == 0)
		parse_include(&c);
	else
		lerr(&c, "unknown keyword '%s'", kw);
}

/* Reads all of path, refusing files over the ceiling.  Caller frees. */
static char *
read_all(const char *path, size_t *len_r, char **why_r)
{
	char *data = NULL;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		*why_r = xstrdup(strerror(errno));
		return NULL;
	}
	data = xmalloc(RULES_MAX_FILE_SIZE + 1);
	n = fread(data, 1, RULES_MAX_FILE_SIZE + 1, f);
	if (ferror(f)) {
		*why_r = xstrdup(strerror(errno));
		goto fail;
	}
	if (n > RULES_MAX_FILE_SIZE) {
		*why_r = xasprintf("larger than %u bytes", RULES_MAX_FILE_SIZE);
		goto fail;
	}
	fclose(f);
	data[n] = '\0';
	*len_r = n;
	return data;
fail:
	fclose(f);
	free(data);
	return NULL;
}

/*
 * Reads one file.  inc_file/inc_line name the include line that led here
 * (NULL for a top-level file), which is where a missing file or a cycle
 * is reported.
 */
static int
load_file(struct loader *l, const char *path, const char *inc_file,
    unsigned inc_line)
{
	struct ruleset *rs = l->rs;
	char *real = NULL, *data = NULL, *why = NULL, *line, *nl;
	const char *file;
	unsigned lineno = 0;
	size_t len, i;
	int ret = -1;

	real = realpath(path, NULL);
	if (!real) {
		why = xstrdup(strerror(errno));
		goto missing;
	}
	for (i = 0; i < l->depth; i++) {
		if (strcmp(l->stack[i], real) == 0) {
			rules_error(l->err, inc_file, inc_line,
			    "include cycle: '%s' is already being read", path);
			goto out;
		}
	}
	if (l->depth > RULES_MAX_DEPTH) {
		rules_error(l->err, inc_file, inc_line,
		    "includes nested deeper than %d", RULES_MAX_DEPTH);
		goto out;
	}
	if (rs->nfiles >= RULES_MAX_FILES) {
		rules_error(l->err, inc_file ? inc_file : path, inc_line,
		    "more than %d rule files read", RULES_MAX_FILES);
		goto out;
	}
	data = read_all(path, &len, &why);
	if (!data)
		goto missing;
	if (memchr(data, '\0', len)) {
		rules_error(l->err, path, 0, "contains a NUL byte");
		goto out;
	}
	xgrow(&rs->files, rs->nfiles, &rs->capfiles, sizeof(*rs->files));
	rs->files[rs->nfiles++] = xstrdup(path);
	file = rs->files[rs->nfiles - 1];
	l->stack[l->depth++] = real;
	for (line = data; *line; line = nl) {
		lineno++;
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (strlen(line) > RULES_MAX_LINE) {
			rules_error(l->err, file, lineno,
			    "line longer than %d bytes", RULES_MAX_LINE);
			continue;
		}
		parse_line(l, file, lineno, line);
	}
	l->depth--;
	ret = 0;
	goto out;
missing:
	if (inc_file)
		rules_error(l->err, inc_file, inc_line,
		    "cannot include '%s': %s", path, why);
	else
		rules_error(l->err, path, 0, "cannot read: %s", why);
out:
	free(why);
	free(data);
	free(real);
	return ret;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the *.rules names in dir to names[*n]; -1 when dir cannot be
 * opened (reported). */
static int
list_dir(struct loader *l, const char *dir, char ***names, size_t *n,
    size_t *cap)
{
	struct dirent *de;
	size_t len;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		rules_error(l->err, dir, 0, "cannot open directory: %s",
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= 6 ||
		    strcmp(de->d_name + len - 6, ".rules") != 0)
			continue;
		if (*n >= RULES_MAX_FILES)
			break;
		xgrow(names, *n, cap, sizeof(**names));
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

/* dir without trailing slashes + "/" + name: "filters/" names its files
 * "filters/x.rules", not "filters//x.rules".  Caller frees. */
static char *
dir_file(const char *dir, const char *name)
{
	size_t dlen = strlen(dir);

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	return xasprintf("%.*s/%s", (int)dlen, dir, name);
}

/*
 * Loads every *.rules file in dir, in name order; each starts with no
 * current category.  With l->local set, the files of both directories
 * are read, and one in l->local replaces dir's file of the same name.
 */
static void
load_dir(struct loader *l, const char *dir)
{
	char **names = NULL, *path;
	size_t n = 0, cap = 0, i;

	if (list_dir(l, dir, &names, &n, &cap) < 0 ||
	    (l->local && list_dir(l, l->local, &names, &n, &cap) < 0))
		goto out;
	if (n == 0)
		rules_error(l->err, dir, 0, "no .rules files");
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		if (i > 0 && !strcmp(names[i], names[i - 1]))
			continue;   /* in both: the local one is read */
		path = NULL;
		if (l->local) {
			path = dir_file(l->local, names[i]);
			if (access(path, F_OK) < 0) {
				free(path);
				path = NULL;
			}
		}
		if (!path)
			path = dir_file(dir, names[i]);
		l->cur = -1;
		load_file(l, path, NULL, 0);
		free(path);
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
rules_load(const char *path, struct ruleset **rs_r, char **err_r)
{
	return rules_load_layered(path, NULL, rs_r, err_r);
}

int
rules_load_layered(const char *path, const char *local,
    struct ruleset **rs_r, char **err_r)
{
	struct buf err = BUF_INIT(0);
	struct loader l = { 0 };
	struct ruleset *rs;
	struct stat st;
	size_t i;
	int ret = -1;

	*rs_r = NULL;
	if (err_r)
		*err_r = NULL;
	rs = xcalloc(1, sizeof(*rs));
	l.rs = rs;
	l.err = &err;
	l.cur = -1;
	l.local = local;
	if (stat(path, &st) < 0)
		rules_error(&err, path, 0, "cannot read: %s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		load_dir(&l, path);
	else
		load_file(&l, path, NULL, 0);
	for (i = 0; i < rs->ncats; i++) {
		if (rs->cats[i].nrules == 0)
			rules_error(&err, rs->cats[i].file, rs->cats[i].line,
			    "category '%s' has no rules", rs->cats[i].id);
		if (!rs->cats[i].has_threshold)
			rules_error(&err, rs->cats[i].file, rs->cats[i].line,
			    "category '%s' has no threshold", rs->cats[i].id);
	}
	if (err.len == 0 && rs->ncats == 0)
		rules_error(&err, path, 0, "no categories");
	/* Patterns are checked even after other errors, to show them all. */
	/* check every pattern now; compile when the first classifier is made */
	classify_compile(rs, 0, &err);
	if (err.len)
		goto out;
	*rs_r = rs;
	rs = NULL;
	ret = 0;
out:
	if (err.len && err.data[err.len - 1] == '\n')
		err.data[--err.len] = '\0';
	if (ret < 0 && err_r)
		*err_r = buf_detach(&err);
	buf_free(&err);
	rules_free(&rs);
	return ret;
}

void
rules_free(struct ruleset **rsp)
{
	struct ruleset *rs = rsp ? *rsp : NULL;
	size_t i;

	if (!rs)
		return;
	classify_matcher_free(&rs->m);
	free(rs->cache_path);
	for (i = 0; i < rs->ncats; i++) {
		free(rs->cats[i].id);
		free(rs->cats[i].name);
	}
	for (i = 0; i < rs->nrules; i++)
		free(rs->rules[i].pattern);
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->cats);
	free(rs->rules);
	free(rs->files);
	free(rs);
	*rsp = NULL;
}

int
rules_load_dirs(const char *shipped, const char *local, int exact,
    struct ruleset **rs_r, char **err_r)
{
	struct stat sb;

	if (!exact && shipped && *shipped && strcmp(shipped, local) != 0 &&
	    stat(shipped, &sb) == 0 && S_ISDIR(sb.st_mode))
		return rules_load_layered(shipped, local, rs_r, err_r);
	return rules_load(local, rs_r, err_r);
}

void
rules_set_cache(struct ruleset *rs, const char *path)
{
	free(rs->cache_path);
	rs->cache_path = path ? xstrdup(path) : NULL;
}

size_t
rules_count(const struct ruleset *rs)
{
	return rs->nrules;
}

size_t
rules_ncategories(const struct ruleset *rs)
{
	return rs->ncats;
}

const char *
rules_category_id(const struct ruleset *rs, size_t i)
{
	return i < rs->ncats ? rs->cats[i].id : NULL;
}

const char *
rules_category_name(const struct ruleset *rs, size_t i)
{
	return i < rs->ncats ? rs->cats[i].name : NULL;
}

long
rules_category_find(const struct ruleset *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->ncats; i++)
		if (strcmp(rs->cats[i].id, id) == 0)
			return (long)i;
	return -1;
}
