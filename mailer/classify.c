/*
 * classify.c - compiles a rule set (rules_p.h) into one Vectorscan
 * database per field and scores items against it.
 *
 * Every phrase, word and regex rule that reads a field is one expression
 * of that field's database, so an item costs one scan per field however
 * many rules there are.  The callback counts hits per rule; scores are
 * summed afterwards from the rules that fired only.  Regexes Vectorscan
 * cannot take (backreferences, lookaround) run on PCRE2 instead, one
 * pattern at a time: keep them few.  Every pattern is compiled with PCRE2
 * at load time too, because its messages say what is wrong.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "classify.h"
#include "log.h"
#include "rules.h"
#include "rules_p.h"
#include "util.h"

static const char *const field_names[FIELD_N] = {
	"title", "text", "subject", "from", "lead",
};

/* How a rule is matched. */
enum engine { ENGINE_HS, ENGINE_HS_ASCII, ENGINE_PCRE };

/*
 * A phrase's spaces match any run of white space: "\s+" in the pattern.
 * Vectorscan scans text twice as slowly for that unbounded repeat than
 * for "\s{1,4}" (measured on the bench corpus), and an item's text seldom
 * has a run longer than "\n\n  ".  So the text field has a second
 * database, its phrases bounded to WS_SHORT, scanned whenever ws_short()
 * finds no longer run in the text: the same matches, found faster.
 */
#define WS_SHORT 4
#define WS_SHORT_RE "\\s{1,4}"     /* spaces, at most WS_SHORT of them */
#define DB_TEXT_SHORT FIELD_N   /* the text field, spaces bounded */
#define DB_N (FIELD_N + 1)

struct matcher {
	hs_database_t *db[DB_N];        /* NULL: no rule reads the field */
	hs_scratch_t *scratch;
	size_t nrules;
	pcre2_code **pcre;              /* per rule; set for ENGINE_PCRE */
	pcre2_match_data *md;
	size_t *fallback;               /* rules on PCRE2 */
	size_t nfallback;
	unsigned char *engine;          /* per rule, enum engine */
	unsigned char *bound;           /* per rule: 1 word start, 2 word end */
};

/*
 * The Vectorscan matches of one field's last text, kept for the subject
 * and the sender: every item of a message has the same ones, and a scan
 * of a few bytes costs about what its setup does.  Replaying the matches
 * through count_hit() is the scan again, to the count.
 */
#define SCAN_MEMO_HITS 256

struct scan_hit {
	unsigned id;
	unsigned long long from, to;
};

struct scan_memo {
	char *key;                      /* the text scanned; NULL: none */
	size_t key_len;
	struct scan_hit hit[SCAN_MEMO_HITS];
	size_t n;
	int full;                       /* more hits than fit: not kept */
};

/* What one classify_item() call changes: one per thread. */
struct classifier {
	const struct ruleset *rs;
	const struct matcher *m;        /* borrowed from rs */
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	unsigned *hits;                 /* per rule, over all fields */
	unsigned long long *last_end;   /* per rule, in the field scanned */
	unsigned long *stamp;           /* per rule: scan last_end is from */
	unsigned long scan;
	size_t *fired;                  /* rules with hits > 0 */
	size_t nfired;
	long *score;                    /* per category */
	struct scan_memo memo[2];       /* subject, from */
};

struct scan {
	const struct ruleset *rs;
	const struct matcher *m;
	struct classifier *c;
	const unsigned char *text;
	size_t len;
	struct scan_memo *rec;          /* recording this scan's hits */
};

/* ---- word boundaries -------------------------------------------------- */

/* Decodes the UTF-8 sequence at s (n bytes available), leniently: a bad
 * byte reads as itself. */
static unsigned
utf8_at(const unsigned char *s, size_t n)
{
	unsigned cp = s[0], i, len;

	if (cp < 0xc0)
		return cp;
	len = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2;
	if (len > n)
		return cp;
	cp &= 0x3f >> (len - 1);
	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Letters and digits of any script count as word characters; the
 * punctuation and symbol blocks English text uses (’ “ ” – — £ €) do
 * not, so "NAO’s" has a word "NAO" in it. */
static int
is_word_cp(unsigned cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9') || cp == '_';
	if (cp <= 0xbf || cp == 0xd7 || cp == 0xf7)
		return 0;
	if ((cp >= 0x2000 && cp <= 0x2bff) || (cp >= 0x3000 && cp <= 0x303f) ||
	    cp == 0xfeff || cp >= 0xfff0)
		return 0;
	return 1;
}

static int
word_before(const unsigned char *s, size_t at)
{
	size_t i = at;

	if (at == 0)
		return 0;
	while (i > 0 && at - i < 4 && (s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0)
		i--;
	return is_word_cp(utf8_at(s + i, at - i));
}

static int
word_at(const unsigned char *s, size_t len, size_t at)
{
	return at < len && is_word_cp(utf8_at(s + at, len - at));
}

/* ---- counting --------------------------------------------------------- */

static void
count_hit(struct scan *sc, unsigned id, unsigned long long from,
    unsigned long long to)
{
	const struct matcher *m = sc->m;
	struct classifier *c = sc->c;
	const struct rule *r = &sc->rs->rules[id];

	if (c->hits[id] >= r->max)
		return;
	if ((m->bound[id] & 1) && word_before(sc->text, (size_t)from))
		return;
	if ((m->bound[id] & 2) && word_at(sc->text, sc->len, (size_t)to))
		return;
	/* A regex reports every end of one occurrence; count it once. */
	if (c->stamp[id] == c->scan && from < c->last_end[id])
		return;
	c->stamp[id] = c->scan;
	c->last_end[id] = to;
	if (c->hits[id]++ == 0)
		c->fired[c->nfired++] = id;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	struct scan *sc = ctx;
	struct scan_memo *r = sc->rec;

	(void)flags;
	if (r && !r->full) {
		if (r->n < SCAN_MEMO_HITS)
			r->hit[r->n++] = (struct scan_hit){ id, from, to };
		else
			r->full = 1;
	}
	count_hit(sc, id, from, to);
	return 0;
}

static void
memo_clear(struct scan_memo *r)
{
	free(r->key);
	r->key = NULL;
	r->n = 0;
	r->full = 0;
}

static int
pcre_scan(struct scan *sc, size_t id)
{
	const struct matcher *m = sc->m;
	struct classifier *c = sc->c;
	const struct rule *r = &sc->rs->rules[id];
	PCRE2_SIZE start = 0, *ov;
	int rc;

	while (c->hits[id] < r->max && start <= sc->len) {
		rc = pcre2_match(m->pcre[id], sc->text, sc->len, start, 0,
		    c->md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			log_warn("%s:%u: regex failed: %s", r->file, r->line,
			    (const char *)msg);
			break;
		}
		ov = pcre2_get_ovector_pointer(c->md);
		count_hit(sc, (unsigned)id, ov[0], ov[1]);
		start = ov[1];
		if (ov[1] == ov[0]) {
			/* Empty match: step over one character. */
			start++;
			while (start < sc->len && (sc->text[start] & 0xc0) == 0x80)
				start++;
		}
	}
	return 0;
}

/* ---- compiling -------------------------------------------------------- */

/* The rule's pattern as a regex: phrases and words are literals whose
 * spaces match a run of white space (line breaks too; space says which
 * runs) and whose apostrophes match the typographic one as well.  Caller
 * frees. */
static char *
rule_regex(const struct rule *r, const char *space)
{
	struct buf b = BUF_INIT(0);
	const unsigned char *s = (const unsigned char *)r->pattern;

	if (r->kind == RULE_REGEX)
		return xstrdup(r->pattern);
	while (*s) {
		if (*s == ' ' || *s == '\t') {
			buf_addstr(&b, space);
			while (*s == ' ' || *s == '\t')
				s++;
			continue;
		}
		if (*s == '\'' || (s[0] == 0xe2 && s[1] == 0x80 && s[2] == 0x99)) {
			buf_addstr(&b, "['\\x{2019}]");
			s += *s == '\'' ? 1 : 3;
			continue;
		}
		if (*s < 0x80 && !((*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			buf_addc(&b, '\\');
		buf_addc(&b, (char)*s++);
	}
	return buf_detach(&b);
}

static unsigned
hs_flags(const struct rule *r, enum engine e)
{
	unsigned f = HS_FLAG_UTF8;

	if (e != ENGINE_HS_ASCII)
		f |= HS_FLAG_UCP;
	if (!r->caseful)
		f |= HS_FLAG_CASELESS;
	/* Counting needs where a match starts; so does a word boundary. */
	if (r->max > 1 || r->kind == RULE_WORD)
		f |= HS_FLAG_SOM_LEFTMOST;
	else
		f |= HS_FLAG_SINGLEMATCH;
	return f;
}

static pcre2_code *
pcre_compile_rule(const struct rule *r, const char *re, struct buf *err)
{
	uint32_t opts = PCRE2_UTF | PCRE2_UCP, minlen = 0;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int code_err;

	if (!r->caseful)
		opts |= PCRE2_CASELESS;
	code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts,
	    &code_err, &off, NULL);
	if (!code) {
		pcre2_get_error_message(code_err, msg, sizeof(msg));
		rules_error(err, r->file, r->line, "bad %s: %s at offset %zu",
		    r->kind == RULE_REGEX ? "regex" : "pattern",
		    (const char *)msg, (size_t)off);
		return NULL;
	}
	if (pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen) == 0 &&
	    minlen == 0) {
		rules_error(err, r->file, r->line,
		    "regex can match the empty string");
		pcre2_code_free(code);
		return NULL;
	}
	return code;
}

/* Tries a regex rule on its own, for the first engine that takes it. */
static enum engine
pick_engine(const struct rule *r, const char *re)
{
	static const enum engine try[] = { ENGINE_HS, ENGINE_HS_ASCII };
	hs_compile_error_t *cerr = NULL;
	hs_expr_info_t *info = NULL;
	unsigned flags;
	size_t i;

	/* hs_expression_info parses and checks without building a
	 * database: the same verdict at a fraction of a compile */
	for (i = 0; i < ARRAY_SIZE(try); i++) {
		flags = hs_flags(r, try[i]);
		if (hs_expression_info(re, flags, &info, &cerr) == HS_SUCCESS) {
			free(info);
			return try[i];
		}
		if (i + 1 == ARRAY_SIZE(try))
			log_debug("%s:%u: regex runs on pcre2 (vectorscan: %s)",
			    r->file, r->line, cerr->message);
		hs_free_compile_error(cerr);
		cerr = NULL;
	}
	return ENGINE_PCRE;
}

/* ---- the compiled-database cache (rules_set_cache) -------------------- */

#define CACHE_MAGIC "bulletin-hs-cache 3\n"
#define CACHE_MAX (256u << 20)

/*
 * First the engine of every rule, keyed by the whole rule set (each
 * rule's fields, flags and expression, and the Vectorscan version): a
 * hit spares pick_engine(), whose hs_expression_info() runs Vectorscan's
 * compiler and brings megabytes of its code into memory.  Then per
 * field: the compiler input (ids, flags, expressions, and the Vectorscan
 * version) and the serialized database made from it.
 */
struct cache {
	char *data;                     /* the file read; owned */
	const char *rules_desc, *engines;
	size_t rules_desc_len, engines_len;
	struct buf rules_want;          /* this run's rule set */
	const char *desc[DB_N], *db[DB_N];
	size_t desc_len[DB_N], db_len[DB_N];
	struct buf want[DB_N];          /* this run's inputs */
	int compiled;                   /* a field missed: write anew */
};

static int
cache_take(const char **p, const char *end, const char **v_r, size_t *n_r)
{
	unsigned long long n;

	if ((size_t)(end - *p) < sizeof(n))
		return -1;
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	if (n > (unsigned long long)(end - *p))
		return -1;
	*v_r = *p;
	*n_r = (size_t)n;
	*p += n;
	return 0;
}

/* Reads the cache file; a missing or malformed one is simply empty. */
static void
cache_read(struct cache *c, const char *path)
{
	const char *p, *end;
	FILE *f;
	long n;
	int i;

	if (!path || !(f = fopen(path, "rb")))
		return;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
	    (size_t)n <= CACHE_MAX && fseek(f, 0, SEEK_SET) == 0) {
		c->data = xmalloc((size_t)n);
		if (fread(c->data, 1, (size_t)n, f) == (size_t)n &&
		    memcmp(c->data, CACHE_MAGIC, strlen(CACHE_MAGIC)) == 0) {
			p = c->data + strlen(CACHE_MAGIC);
			end = c->data + n;
			i = -1;
			if (cache_take(&p, end, &c->rules_desc,
			    &c->rules_desc_len) == 0 &&
			    cache_take(&p, end, &c->engines,
			    &c->engines_len) == 0)
				for (i = 0; i < DB_N; i++)
					if (cache_take(&p, end, &c->desc[i],
					    &c->desc_len[i]) < 0 ||
					    cache_take(&p, end, &c->db[i],
					    &c->db_len[i]) < 0)
						break;
			if (i != DB_N) {
				c->rules_desc = NULL;
				memset(c->desc, 0, sizeof(c->desc));
			}
		}
	}
	fclose(f);
}

static void
cache_put(FILE *f, const void *v, size_t n)
{
	unsigned long long len = n;

	fwrite(&len, sizeof(len), 1, f);
	fwrite(v, 1, n, f);
}

/* Writes this run's databases to path, atomically: a reader sees the old
 * file or the new one.  A failure only costs the next run a compile. */
static void
cache_write(struct cache *c, const struct matcher *m, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path), *bytes[DB_N] = { NULL };
	size_t len[DB_N] = { 0 };
	FILE *f = NULL;
	int i, ok = 1;

	for (i = 0; i < DB_N; i++)
		if (m->db[i] && hs_serialize_database(m->db[i], &bytes[i],
		    &len[i]) != HS_SUCCESS)
			ok = 0;
	if (ok && (f = fopen(tmp, "wb"))) {
		fputs(CACHE_MAGIC, f);
		cache_put(f, c->rules_want.data ? c->rules_want.data : "",
		    c->rules_want.len);
		cache_put(f, m->engine, m->nrules);
		for (i = 0; i < DB_N; i++) {
			cache_put(f, c->want[i].data ? c->want[i].data : "",
			    c->want[i].len);
			cache_put(f, bytes[i] ? bytes[i] : "", len[i]);
		}
		ok = fclose(f) == 0 && rename(tmp, path) == 0;
		if (!ok)
			log_debug("cannot write rules cache '%s': %s", path,
			    strerror(errno));
	}
	if (f && !ok)
		unlink(tmp);
	for (i = 0; i < DB_N; i++)
		free(bytes[i]);
	free(tmp);
}

static void
cache_free(struct cache *c)
{
	int i;

	free(c->data);
	buf_free(&c->rules_want);
	for (i = 0; i < DB_N; i++)
		buf_free(&c->want[i]);
}

/*
 * Describes the rule set in c->rules_want and, when the cache was made
 * from the same one, copies its engines to engine[] (one per rule).
 * Returns 0 on that hit, -1 when the engines must be picked again.
 */
static int
engines_cached(const struct ruleset *rs, char **re, struct cache *c,
    unsigned char *engine)
{
	struct buf *want = &c->rules_want;
	size_t i;

	buf_reset(want);
	buf_printf(want, "%s\n", hs_version());
	for (i = 0; i < rs->nrules; i++)
		buf_printf(want, "%zu %d %u %u %s\n", i, (int)rs->rules[i].kind,
		    rs->rules[i].fields, hs_flags(&rs->rules[i], ENGINE_HS),
		    re[i]);
	if (!c->rules_desc || c->rules_desc_len != want->len ||
	    memcmp(c->rules_desc, want->data, want->len) != 0 ||
	    c->engines_len != rs->nrules)
		return -1;
	for (i = 0; i < rs->nrules; i++)
		if ((unsigned char)c->engines[i] > ENGINE_PCRE)
			return -1;
	memcpy(engine, c->engines, rs->nrules);
	return 0;
}

/*
 * Builds the database of one field from the rules on Vectorscan.  When
 * Vectorscan refuses one expression that rule moves to PCRE2 and the
 * field is tried again; *moved_r tells the caller.
 */
static int
compile_field(struct ruleset *rs, int f, char **re, struct cache *c,
    struct buf *err, int *moved_r)
{
	unsigned field = f == DB_TEXT_SHORT ? FIELD_TEXT : (unsigned)f;
	struct buf *want = &c->want[f];
	struct matcher *m = rs->m;
	hs_compile_error_t *cerr = NULL;
	const char **exprs;
	unsigned *flags, *ids, n = 0;
	size_t i;
	int ret = -1;

	*moved_r = 0;
	exprs = xcalloc(rs->nrules, sizeof(*exprs));
	flags = xcalloc(rs->nrules, sizeof(*flags));
	ids = xcalloc(rs->nrules, sizeof(*ids));
	for (i = 0; i < rs->nrules; i++) {
		if (!(rs->rules[i].fields & (1u << field)) ||
		    m->engine[i] == ENGINE_PCRE)
			continue;
		exprs[n] = re[i];
		flags[n] = hs_flags(&rs->rules[i], m->engine[i]);
		ids[n] = (unsigned)i;
		n++;
	}
	/* the compiler's whole input, to match the cache against */
	buf_reset(want);
	buf_printf(want, "%s\n", hs_version());
	for (i = 0; i < n; i++)
		buf_printf(want, "%u %u %s\n", ids[i], flags[i], exprs[i]);
	if (n && c->desc[f] && c->desc_len[f] == want->len &&
	    memcmp(c->desc[f], want->data, want->len) == 0 &&
	    hs_deserialize_database(c->db[f], c->db_len[f], &m->db[f]) ==
	    HS_SUCCESS)
		goto scratch;
	if (n)
		c->compiled = 1;
	if (n == 0) {
		ret = 0;
		goto out;
	}
	if (hs_compile_ext_multi(exprs, flags, ids, NULL, n, HS_MODE_BLOCK,
	    NULL, &m->db[f], &cerr) != HS_SUCCESS) {
		/* only a faster copy of the text's: go without it */
		if (f == DB_TEXT_SHORT) {
			log_debug("rules: no bounded text database (vectorscan:"
			    " %s)", cerr->message);
			m->db[f] = NULL;
			ret = 0;
			goto out;
		}
		if (cerr->expression >= 0) {
			i = ids[cerr->expression];
			log_debug("%s:%u: regex runs on pcre2 (vectorscan: %s)",
			    rs->rules[i].file, rs->rules[i].line,
			    cerr->message);
			m->engine[i] = ENGINE_PCRE;
			*moved_r = 1;
		} else {
			rules_error(err, "rules", 0,
			    "cannot compile the %s rules: %s",
			    field_names[field], cerr->message);
		}
		m->db[f] = NULL;
		goto out;
	}
scratch:
	if (hs_alloc_scratch(m->db[f], &m->scratch) != HS_SUCCESS) {
		rules_error(err, "rules", 0,
		    "cannot allocate scan scratch for the %s rules",
		    field_names[field]);
		goto out;
	}
	ret = 0;
out:
	hs_free_compile_error(cerr);
	free(exprs);
	free(flags);
	free(ids);
	return ret;
}

int
classify_compile(struct ruleset *rs, int compile, struct buf *err)
{
	size_t n = rs->nrules, i, before = err->len, tries;
	struct matcher *m;
	struct cache cache;
	char **re, **re_short;
	int f, nf = FIELD_N, moved;

	memset(&cache, 0, sizeof(cache));
	m = xcalloc(1, sizeof(*m));
	m->nrules = n;
	m->pcre = xcalloc(n, sizeof(*m->pcre));
	m->engine = xcalloc(n, 1);
	m->bound = xcalloc(n, 1);
	re = xcalloc(n, sizeof(*re));
	re_short = xcalloc(n, sizeof(*re_short));
	for (i = 0; i < n; i++) {
		struct rule *r = &rs->rules[i];
		size_t plen = strlen(r->pattern);

		re[i] = rule_regex(r, "\\s+");
		re_short[i] = rule_regex(r, WS_SHORT_RE);
		/* the second database only when a phrase of the text differs */
		if ((r->fields & (1u << FIELD_TEXT)) &&
		    strcmp(re[i], re_short[i]) != 0)
			nf = DB_N;
		m->pcre[i] = pcre_compile_rule(r, re[i], err);
		if (r->kind == RULE_WORD) {
			const unsigned char *p = (const unsigned char *)r->pattern;

			m->bound[i] = (unsigned char)(
			    word_at(p, plen, 0) |
			    word_before(p, plen) << 1);
		}
	}
	if (err->len != before || !compile)
		goto out;
	cache_read(&cache, rs->cache_path);
	if (engines_cached(rs, re, &cache, m->engine) < 0) {
		for (i = 0; i < n; i++)
			if (rs->rules[i].kind == RULE_REGEX)
				m->engine[i] = (unsigned char)pick_engine(
				    &rs->rules[i], re[i]);
		cache.compiled = 1;
	}
	rs->m = m;
	/* A rule moved to PCRE2 must leave every field's database, or it
	 * would count twice: start over.  Each round moves one rule. */
	for (tries = 0, moved = 1; moved && tries <= n; tries++) {
		for (f = 0; f < DB_N; f++) {
			hs_free_database(m->db[f]);
			m->db[f] = NULL;
		}
		for (f = 0; f < nf; f++) {
			if (compile_field(rs, f, f == DB_TEXT_SHORT ? re_short :
			    re, &cache, err, &moved) < 0)
				break;
		}
		if (err->len != before)
			goto out;
	}
	if (moved) {
		rules_error(err, "rules", 0, "vectorscan refused every rule");
		goto out;
	}
	if (cache.compiled && rs->cache_path)
		cache_write(&cache, m, rs->cache_path);
	for (i = 0; i < n; i++) {
		if (m->engine[i] == ENGINE_PCRE) {
			/* The interpreter still works when JIT is missing. */
			pcre2_jit_compile(m->pcre[i], PCRE2_JIT_COMPLETE);
			if (!m->fallback)
				m->fallback = xcalloc(n, sizeof(*m->fallback));
			m->fallback[m->nfallback++] = i;
		} else {
			pcre2_code_free(m->pcre[i]);
			m->pcre[i] = NULL;
		}
	}
out:
	cache_free(&cache);
	for (i = 0; i < n; i++) {
		free(re[i]);
		free(re_short[i]);
	}
	free(re);
	free(re_short);
	if (err->len != before) {
		rs->m = NULL;
		classify_matcher_free(&m);
		return -1;
	}
	if (!compile)
		classify_matcher_free(&m);
	return 0;
}

void
classify_matcher_free(struct matcher **mp)
{
	struct matcher *m = mp ? *mp : NULL;
	size_t i;
	int f;

	if (!m)
		return;
	for (f = 0; f < DB_N; f++)
		hs_free_database(m->db[f]);
	hs_free_scratch(m->scratch);
	for (i = 0; i < m->nrules; i++)
		pcre2_code_free(m->pcre[i]);
	free(m->pcre);
	free(m->fallback);
	free(m->engine);
	free(m->bound);
	free(m);
	*mp = NULL;
}

/* ---- white-space runs (DB_TEXT_SHORT) --------------------------------- */

/* Whether the character at s (n bytes) may be white space other than
 * ASCII's.  Generous: Vectorscan's \s with HS_FLAG_UCP is Unicode's, and
 * a wrong yes only costs the slower database. */
static int
maybe_uspace(const unsigned char *s, size_t n)
{
	switch (s[0]) {
	case 0xc2:      /* U+0085, U+00A0 */
		return n > 1 && (s[1] == 0x85 || s[1] == 0xa0);
	case 0xe1:      /* U+1680, U+180E, and their neighbours */
		return 1;
	case 0xe2:      /* U+2000-U+200F, U+2028-U+202F, U+205F */
		return n > 2 && ((s[1] == 0x80 && (s[2] <= 0x8f ||
		    (s[2] >= 0xa8 && s[2] <= 0xaf))) ||
		    (s[1] == 0x81 && s[2] == 0x9f));
	case 0xe3:      /* U+3000 */
		return n > 2 && s[1] == 0x80 && s[2] == 0x80;
	}
	return 0;
}

static int
is_ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The byte-wise ws_short(), for what the vector loop leaves. */
static int
ws_short_tail(const unsigned char *s, size_t len)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (is_ascii_space(s[i])) {
			if (++run > WS_SHORT)
				return 0;
			continue;
		}
		run = 0;
		if (s[i] >= 0xc2 && maybe_uspace(s + i, len - i))
			return 0;
	}
	return 1;
}

/*
 * Whether no run of white space in s is longer than WS_SHORT characters,
 * so that DB_TEXT_SHORT finds what the text's own database would.  Any
 * white space outside ASCII says no: it is rare in an item's text (HTML's
 * no-break space is a space by then).  Sixteen bytes at a time where SSE2
 * is there: this reads every byte of every item.
 */
static int
ws_short(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
	const __m128i four = _mm_set1_epi8(4), fc = _mm_set1_epi8((char)0xfc);
	const __m128i e0 = _mm_set1_epi8((char)0xe0);
	const __m128i c2 = _mm_set1_epi8((char)0xc2);
	uint32_t prev = 0, w, m, u;

	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(s + i));
		__m128i d = _mm_sub_epi8(x, tab);

		/* ' ', or '\t'..'\r': x - '\t' at most 4, unsigned */
		m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(x, sp),
		    _mm_cmpeq_epi8(_mm_min_epu8(d, four), d)));
		/* lead bytes of the other white space: 0xc2, 0xe0-0xe3 */
		u = (uint32_t)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(x, c2),
		    _mm_cmpeq_epi8(_mm_and_si128(x, fc), e0)));
		for (; u; u &= u - 1) {
			size_t at = i + (size_t)__builtin_ctz(u);

			if (maybe_uspace(s + at, len - at))
				return 0;
		}
		/* this block's spaces after the last one's: five in a row
		 * anywhere in the 32 bits is a run too long */
		w = prev | m << 16;
		if (w & w >> 1 & w >> 2 & w >> 3 & w >> 4)
			return 0;
		prev = m;
	}
	/* the tail, from far enough back to see the run it continues */
	i = i < WS_SHORT ? 0 : i - WS_SHORT;
#endif
	return ws_short_tail(s + i, len - i);
}

/* ---- scanning --------------------------------------------------------- */

/* Scans len bytes of s (all of it when len is SIZE_MAX). */
static int
scan_field(struct scan *sc, enum rule_field f, const char *s, size_t len)
{
	const struct matcher *m = sc->m;
	struct classifier *c = sc->c;
	struct scan_memo *memo = NULL;
	hs_database_t *db;
	char *clean = NULL;
	size_t i, id;
	int ret = -1;

	if (!s || !*s)
		return 0;
	if (len == SIZE_MAX)
		len = strlen(s);
	if (len > UINT_MAX / 2) {
		log_err("%s too long to classify", field_names[f]);
		return -1;
	}
	if (f == FIELD_SUBJECT || f == FIELD_FROM)
		memo = &c->memo[f == FIELD_FROM];
	if (memo && memo->key && memo->key_len == len &&
	    memcmp(memo->key, s, len) == 0) {
		sc->text = (const unsigned char *)memo->key;
		sc->len = memo->key_len;
		c->scan++;
		for (i = 0; i < memo->n; i++)
			count_hit(sc, memo->hit[i].id, memo->hit[i].from,
			    memo->hit[i].to);
		goto fallback;
	}
	if (memo)
		memo_clear(memo);
	if (!utf8_valid(s, len)) {
		clean = utf8_clean(s, len);
		s = clean;
		len = strlen(s);
	}
	sc->text = (const unsigned char *)s;
	sc->len = len;
	c->scan++;
	sc->rec = memo;
	db = m->db[f];
	if (f == FIELD_TEXT && m->db[DB_TEXT_SHORT] && ws_short(s, len))
		db = m->db[DB_TEXT_SHORT];
	if (db && hs_scan(db, s, (unsigned)len, 0, c->scratch, on_match,
	    sc) != HS_SUCCESS) {
		sc->rec = NULL;
		if (memo)
			memo_clear(memo);
		log_err("vectorscan scan of the %s failed", field_names[f]);
		goto out;
	}
	sc->rec = NULL;
	/* kept only when the field was valid UTF-8: scanned as given */
	if (memo && (memo->full || clean)) {
		memo_clear(memo);
	} else if (memo) {
		memo->key = xmalloc(len + 1);
		memcpy(memo->key, s, len);
		memo->key[len] = '\0';
		memo->key_len = len;
	}
fallback:
	for (i = 0; i < m->nfallback; i++) {
		id = m->fallback[i];
		if (sc->rs->rules[id].fields & (1u << f)) {
			c->scan++;
			pcre_scan(sc, id);
		}
	}
	ret = 0;
out:
	free(clean);
	return ret;
}

/* Length of the lead: CLASSIFY_LEAD_BYTES of text, cut back to the last
 * white space so no word is halved. */
static size_t
lead_len(const char *text)
{
	size_t n;

	if (!text)
		return 0;
	n = strnlen(text, CLASSIFY_LEAD_BYTES + 1);
	if (n <= CLASSIFY_LEAD_BYTES)
		return n;
	while (n > 0 && text[n] != ' ' && text[n] != '\n')
		n--;
	return n;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static void
explain_rule(struct buf *ex, const struct rule *r, unsigned hits)
{
	const char *base = strrchr(r->file, '/');
	static const char *const kinds[] = { "phrase", "word", "regex" };
	int f, first = 1;

	buf_printf(ex, "  %s:%u %s ", base ? base + 1 : r->file, r->line,
	    kinds[r->kind]);
	for (f = 0; f < FIELD_N; f++) {
		if (r->fields & (1u << f)) {
			buf_printf(ex, "%s%s", first ? "" : ",", field_names[f]);
			first = 0;
		}
	}
	if (r->kind == RULE_REGEX)
		buf_printf(ex, " /%s/", r->pattern);
	else
		buf_printf(ex, " \"%s\"", r->pattern);
	buf_printf(ex, " %+d x%u%s\n", r->weight, hits,
	    hits == r->max && r->max > 1 ? " (max)" : "");
}

/* Compiles the Vectorscan databases, once, when the first classifier is
 * made: a run with nothing to classify (a no-op fetch) never pays for it. */
static int
classify_build(struct ruleset *rs, char **err_r)
{
	struct buf err = BUF_INIT(0);

	if (classify_compile(rs, 1, &err) < 0) {
		*err_r = buf_detach(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

struct classifier *
classifier_new(struct ruleset *rs)
{
	struct classifier *cl;
	size_t n = rs->nrules;
	char *err = NULL;

	if (!rs->m && classify_build(rs, &err) < 0) {
		log_err("%s", err ? err : "cannot compile the rules");
		free(err);
		return NULL;
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->rs = rs;
	cl->m = rs->m;
	if (rs->m->scratch &&
	    hs_clone_scratch(rs->m->scratch, &cl->scratch) != HS_SUCCESS) {
		log_err("cannot allocate vectorscan scratch");
		free(cl);
		return NULL;
	}
	if (rs->m->nfallback &&
	    !(cl->md = pcre2_match_data_create(1, NULL))) {
		log_err("cannot allocate pcre2 match data");
		hs_free_scratch(cl->scratch);
		free(cl);
		return NULL;
	}
	cl->hits = xcalloc(n, sizeof(*cl->hits));
	cl->last_end = xcalloc(n, sizeof(*cl->last_end));
	cl->stamp = xcalloc(n, sizeof(*cl->stamp));
	cl->fired = xcalloc(n, sizeof(*cl->fired));
	cl->score = xcalloc(rs->ncats, sizeof(*cl->score));
	return cl;
}

void
classifier_free(struct classifier **clp)
{
	struct classifier *cl = clp ? *clp : NULL;

	if (!cl)
		return;
	hs_free_scratch(cl->scratch);
	pcre2_match_data_free(cl->md);
	memo_clear(&cl->memo[0]);
	memo_clear(&cl->memo[1]);
	free(cl->hits);
	free(cl->last_end);
	free(cl->stamp);
	free(cl->fired);
	free(cl->score);
	free(cl);
	*clp = NULL;
}

int
classify_item(struct classifier *cl, const struct classify_input *in,
    struct item *it, struct buf *explain)
{
	const struct ruleset *rs = cl->rs;
	struct scan sc = { rs, cl->m, cl, NULL, 0, NULL };
	const char *fields[FIELD_N];
	size_t i, k, c, nl = 0;
	int f, ret = -1;
	long s;

	fields[FIELD_TITLE] = in->title;
	fields[FIELD_TEXT] = in->text;
	fields[FIELD_SUBJECT] = in->subject;
	fields[FIELD_FROM] = in->from;
	fields[FIELD_LEAD] = in->text;
	/* Only what the last item touched needs clearing. */
	for (i = 0; i < cl->nfired; i++)
		cl->hits[cl->fired[i]] = 0;
	cl->nfired = 0;
	for (f = 0; f < FIELD_N; f++)
		if (scan_field(&sc, (enum rule_field)f, fields[f],
		    f == FIELD_LEAD ? lead_len(in->text) : SIZE_MAX) < 0)
			goto out;
	memset(cl->score, 0, rs->ncats * sizeof(*cl->score));
	/* Rules of a category are contiguous, so this groups them too. */
	qsort(cl->fired, cl->nfired, sizeof(*cl->fired), cmp_size);
	for (i = 0; i < cl->nfired; i++) {
		const struct rule *r = &rs->rules[cl->fired[i]];

		cl->score[r->cat] += (long)r->weight * cl->hits[cl->fired[i]];
	}
	free(it->labels);
	it->labels = NULL;
	it->n_labels = 0;
	for (c = 0; c < rs->ncats; c++)
		nl += cl->score[c] >= rs->cats[c].threshold;
	if (nl)
		it->labels = xcalloc(nl, sizeof(*it->labels));
	for (c = 0, i = 0; c < rs->ncats; c++) {
		const struct category *cat = &rs->cats[c];
		int label = cl->score[c] >= cat->threshold;

		s = cl->score[c];
		if (label) {
			it->labels[it->n_labels].id = cat->id;
			it->labels[it->n_labels].score =
			    s > 1000000000 ? 1000000000 : (int)s;
			it->n_labels++;
		}
		if (!explain)
			continue;
		k = i;
		while (i < cl->nfired && rs->rules[cl->fired[i]].cat == c)
			i++;
		if (k == i)
			continue;
		for (; k < i; k++)
			explain_rule(explain, &rs->rules[cl->fired[k]],
			    cl->hits[cl->fired[k]]);
		if (label)
			buf_printf(explain, "  %s: %ld >= %ld \xe2\x86\x92 label\n",
			    cat->id, s, cat->threshold);
		else
			buf_printf(explain, "  %s: %ld < %ld\n", cat->id, s,
			    cat->threshold);
	}
	ret = 0;
out:
	return ret;
}
