/*
 * worker.c - see worker.h.  The frame codec only: no I/O, so both
 * binaries link it and the unit tests drive it alone.
 */
#include <stdlib.h>
#include <string.h>

#include "worker.h"

static void
put(struct buf *b, const void *p, size_t n)
{
	/* an unbounded buf: fails only on memory, which xmalloc aborts on */
	if (buf_add(b, p, n) < 0)
		abort();
}

static void
put_u32(struct buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void
put_i64(struct buf *b, int64_t v)
{
	put(b, &v, sizeof(v));
}

static void
put_str(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || n >= WIRE_NULL) {
		put_u32(b, WIRE_NULL);
		return;
	}
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

/* Starts a frame: a length to patch in end_frame(). */
static size_t
begin_frame(struct buf *b)
{
	size_t at = b->len;

	put_u32(b, 0);
	return at;
}

static void
end_frame(struct buf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at - sizeof(n));

	memcpy(b->data + at, &n, sizeof(n));
}

void
wire_put_header(struct buf *b, size_t depth, size_t bytes,
    const char *const *ids, size_t n)
{
	size_t at = begin_frame(b), i;

	put_u32(b, (uint32_t)depth);
	put_u32(b, bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes);
	put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		put_str(b, ids[i]);
	end_frame(b, at);
}

/* The index of id among ids[0..n), or -1. */
static long
cat_index(const char *id, const char *const *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n && id; i++)
		if (ids[i] == id || !strcmp(ids[i], id))
			return (long)i;
	return -1;
}

void
wire_put_result(struct buf *b, const struct job *j, const char *const *ids,
    size_t n)
{
	const struct message *m = j->p.msg;
	size_t at = begin_frame(b), i, k;
	int32_t rc = j->rc;
	uint8_t has = m != NULL;

	put(b, &rc, sizeof(rc));
	put_str(b, j->err);
	put(b, &has, 1);
	if (m) {
		put_str(b, m->envelope_id);
		put_str(b, m->subject);
		put_str(b, m->from_name);
		put_str(b, m->from_addr);
		put_str(b, m->problem);
		put_i64(b, m->date);
	}
	put_u32(b, m ? (uint32_t)j->p.items.n : 0);
	for (i = 0; m && i < j->p.items.n; i++) {
		const struct item *it = &j->p.items.v[i];
		uint32_t n_put = 0;
		size_t at_n;
		long c;

		put_str(b, it->title);
		put_str(b, it->url);
		put_str(b, it->text);
		put_str(b, it->source);
		put_i64(b, it->date);
		put_u32(b, it->words);
		/* the count is patched in once the unknown ids are left out */
		at_n = b->len;
		put_u32(b, 0);
		for (k = 0; k < it->n_labels; k++) {
			int32_t score = it->labels[k].score;

			if ((c = cat_index(it->labels[k].id, ids, n)) < 0)
				continue;
			put_u32(b, (uint32_t)c);
			put(b, &score, sizeof(score));
			n_put++;
		}
		memcpy(b->data + at_n, &n_put, sizeof(n_put));
	}
	end_frame(b, at);
}

/* A cursor over one payload; any overrun sets bad and reads zeroes. */
struct rd {
	const char *p;
	size_t left;
	int bad;
};

static void
get(struct rd *r, void *out, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = 1;
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
}

static uint32_t
get_u32(struct rd *r)
{
	uint32_t v;

	get(r, &v, sizeof(v));
	return v;
}

static int64_t
get_i64(struct rd *r)
{
	int64_t v;

	get(r, &v, sizeof(v));
	return v;
}

/* A NUL-terminated copy, or NULL (WIRE_NULL, or on an overrun). */
static char *
get_str(struct rd *r)
{
	uint32_t n = get_u32(r);
	char *s;

	if (r->bad || n == WIRE_NULL)
		return NULL;
	if (n > r->left) {
		r->bad = 1;
		return NULL;
	}
	s = xstrndup(r->p, n);
	r->p += n;
	r->left -= n;
	return s;
}

int
wire_get_header(const char *p, size_t len, size_t *depth_r,
    size_t *bytes_r, char ***ids_r, size_t *n_r)
{
	struct rd r = { p, len, 0 };
	uint32_t depth = get_u32(&r), bytes = get_u32(&r);
	uint32_t n = get_u32(&r), i;
	char **ids;

	/* each id takes at least its length word */
	if (r.bad || n > r.left / 4 || !depth || !bytes)
		return -1;
	ids = xcalloc((size_t)n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		if (!(ids[i] = get_str(&r)))
			r.bad = 1;
	if (r.bad || r.left) {
		for (i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		return -1;
	}
	*depth_r = depth;
	*bytes_r = bytes;
	*ids_r = ids;
	*n_r = n;
	return 0;
}

int
wire_get_result(const char *p, size_t len, const char *const *ids,
    size_t n, struct job *j)
{
	struct rd r = { p, len, 0 };
	struct message *m = NULL;
	struct item_list *l = &j->p.items;
	uint32_t n_items, n_labels, i, k, c;
	int32_t rc;
	uint8_t has;

	get(&r, &rc, sizeof(rc));
	j->rc = rc < 0 ? -1 : 0;
	j->err = get_str(&r);
	get(&r, &has, 1);
	if (has) {
		m = xcalloc(1, sizeof(*m));
		m->envelope_id = get_str(&r);
		m->subject = get_str(&r);
		m->from_name = get_str(&r);
		m->from_addr = get_str(&r);
		m->problem = get_str(&r);
		m->date = get_i64(&r);
		if (!m->subject)
			m->subject = xstrdup("");
		j->p.msg = m;
	}
	n_items = get_u32(&r);
	/* an item takes at least 32 bytes: no allocation from a bad count */
	if (n_items > r.left / 32 || (n_items && !m))
		r.bad = 1;
	for (i = 0; i < n_items && !r.bad; i++) {
		struct item *it;

		xgrow(&l->v, l->n, &l->cap, sizeof(*l->v));
		it = &l->v[l->n++];
		memset(it, 0, sizeof(*it));
		it->title = get_str(&r);
		it->url = get_str(&r);
		it->text = get_str(&r);
		it->source = get_str(&r);
		it->date = get_i64(&r);
		it->words = get_u32(&r);
		n_labels = get_u32(&r);
		if (!it->title || !it->text || !it->source ||
		    n_labels > r.left / 8) {
			r.bad = 1;
			break;
		}
		it->labels = xcalloc((size_t)n_labels + 1,
		    sizeof(*it->labels));
		for (k = 0; k < n_labels; k++) {
			int32_t score;

			c = get_u32(&r);
			get(&r, &score, sizeof(score));
			it->labels[k].score = score;
			if (c >= n) {
				r.bad = 1;
				break;
			}
			it->labels[k].id = ids[c];
			it->n_labels++;
		}
	}
	if (r.bad || r.left || (j->rc == 0 && !m)) {
		processed_free(&j->p);
		free(j->err);
		j->err = NULL;
		return -1;
	}
	return 0;
}
