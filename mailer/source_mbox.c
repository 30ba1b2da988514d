/*
 * source_mbox.c - the messages of an mbox file (mboxo or mboxrd).
 *
 * The file is mapped and each message handed out as a range of the
 * mapping, so reading costs no copy.  A message starts after a "From "
 * line at the start of the file or after a blank line; the blank line
 * belongs to the format, not to the message before it.  Lines quoted as
 * ">From " (or ">>From ", ...) lose one '>', which needs a copy into a
 * reusable buffer: only messages with such lines pay for it.  Pages
 * behind us are dropped as we go, so memory stays flat however large
 * the mailbox.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_p.h"
#include "util.h"

/* Drop pages already handed out once this much lies behind us. */
#define MBOX_RELEASE (8u << 20)

struct source_mbox {
	struct source src;
	const char *map;     /* the whole file, or NULL when empty */
	size_t size;
	size_t pos;          /* offset of the next "From " line */
	size_t released;     /* pages before this were given back */
	struct buf name;     /* "PATH:OFFSET" of the current message */
	struct buf copy;     /* an unescaped message */
};

static int
is_from_line(const char *p, size_t left)
{
	return left >= 5 && memcmp(p, "From ", 5) == 0;
}

/*
 * The next "\nFrom " in [p, end), as memmem would find it, but looking
 * for the 'F' with memchr: a capital F is rare enough in mail that this
 * runs several times faster than memmem on a short needle, and it reads
 * every byte of every message.
 */
static const char *
find_nl_from(const char *p, const char *end)
{
	const char *f;

	if (end - p < 6)
		return NULL;
	for (f = p + 1; (f = memchr(f, 'F', (size_t)(end - f))); f++) {
		if (end - f < 5)
			return NULL;
		if (f[-1] == '\n' && memcmp(f, "From ", 5) == 0)
			return f - 1;
	}
	return NULL;
}

/*
 * Offset of the next "From " line that starts a message, at or after
 * start (the first byte of a message), or size.  *body_end_r gets where
 * the message ends: before the blank line that precedes it.
 */
static size_t
mbox_find_next(const char *map, size_t size, size_t start,
    size_t *body_end_r)
{
	const char *p = map + start;
	const char *end = map + size;
	const char *nl;
	size_t q;

	while ((nl = find_nl_from(p, end))) {
		q = (size_t)(nl - map) + 1;
		/* the line before the "From " line (ending at q - 1) must
		 * be blank; map[start - 1] ends the previous From_ line, so
		 * the look-behind stays inside the file */
		if (q >= start + 1 && map[q - 2] == '\n') {
			*body_end_r = q - 1;
			return q;
		}
		if (q >= start + 2 && map[q - 2] == '\r' &&
		    map[q - 3] == '\n') {
			*body_end_r = q - 2;
			return q;
		}
		p = nl + 1;
	}
	/* the last message: drop the blank line that ends it, if any */
	q = size;
	if (q - start >= 2 && map[q - 1] == '\n' && map[q - 2] == '\n')
		q -= 1;
	else if (q - start >= 4 && memcmp(map + q - 4, "\r\n\r\n", 4) == 0)
		q -= 2;
	else if (q - start == 1 && map[q - 1] == '\n')
		q -= 1;
	*body_end_r = q;
	return size;
}

/* Whether a line starting at p matches >+"From ". */
static int
is_quoted_from(const char *p, const char *end)
{
	if (p >= end || *p != '>')
		return 0;
	while (p < end && *p == '>')
		p++;
	return is_from_line(p, (size_t)(end - p));
}

static int
has_quoted_from(const char *p, const char *end)
{
	const char *f, *b;

	/* from each "From " back over its '>'s to a line start; HTML has
	 * too many "\n>" to look for those */
	for (f = p; f < end && (f = memchr(f, 'F', (size_t)(end - f)));
	    f++) {
		if (!is_from_line(f, (size_t)(end - f)))
			continue;
		for (b = f; b > p && b[-1] == '>'; b--)
			;
		if (b < f && (b == p || b[-1] == '\n'))
			return 1;
	}
	return 0;
}

/* Copies [p, end) into b, taking one '>' off each >+"From " line. */
static int
unescape(struct buf *b, const char *p, const char *end)
{
	const char *nl;
	size_t n;

	buf_reset(b);
	while (p < end) {
		if (is_quoted_from(p, end))
			p++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (buf_add(b, p, n) < 0)
			return -1;
		p += n;
	}
	return 0;
}

static int
mbox_next(struct source *src, struct raw_msg *m_r, char **err_r)
{
	struct source_mbox *mb = (struct source_mbox *)src;
	size_t from = mb->pos;
	size_t start, body_end;
	const char *nl;
	long page;

	(void)err_r;
	if (!mb->map || from >= mb->size)
		return 0;
	/* skip the From_ line itself */
	nl = memchr(mb->map + from, '\n', mb->size - from);
	start = nl ? (size_t)(nl - mb->map) + 1 : mb->size;
	mb->pos = mbox_find_next(mb->map, mb->size, start, &body_end);

	m_r->data = mb->map + start;
	m_r->len = body_end - start;
	if (has_quoted_from(m_r->data, m_r->data + m_r->len)) {
		/* the copy cannot exceed the message, itself in memory */
		if (unescape(&mb->copy, m_r->data, m_r->data + m_r->len) == 0) {
			m_r->data = mb->copy.data;
			m_r->len = mb->copy.len;
		}
	}
	if (m_r->len > src->max_size) {
		m_r->len = src->max_size;
		m_r->truncated = 1;
	}
	buf_reset(&mb->name);
	buf_printf(&mb->name, "%s:%zu", src->path, from);
	m_r->name = mb->name.data;

	/* what lies before this message is done with */
	page = sysconf(_SC_PAGESIZE);
	if (page > 0 && from - mb->released >= MBOX_RELEASE) {
		size_t upto = from - from % (size_t)page;

		madvise((void *)(uintptr_t)(mb->map + mb->released),
		    upto - mb->released, MADV_DONTNEED);
		mb->released = upto;
	}
	return 1;
}

static void
mbox_free(struct source *src)
{
	struct source_mbox *mb = (struct source_mbox *)src;

	if (mb->map)
		munmap((void *)(uintptr_t)mb->map, mb->size);
	buf_free(&mb->name);
	buf_free(&mb->copy);
	free(src->path);
	free(mb);
}

static const struct source_ops mbox_ops = {
	.next = mbox_next,
	.free = mbox_free,
};

int
source_mbox_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r)
{
	struct source_mbox *mb = xcalloc(1, sizeof(*mb));
	struct stat sb;
	void *map;
	int ret = -1;

	mb->src.ops = &mbox_ops;
	mb->src.path = xstrdup(path);
	mb->src.max_size = max_size;
	buf_init(&mb->name, 0);
	buf_init(&mb->copy, 0);
	if (fstat(fd, &sb) < 0)
		goto fail_errno;
	if ((uintmax_t)sb.st_size > SIZE_MAX / 2) {
		errno = EFBIG;
		goto fail_errno;
	}
	mb->size = (size_t)sb.st_size;
	if (mb->size) {
		map = mmap(NULL, mb->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			goto fail_errno;
		mb->map = map;
		madvise(map, mb->size, MADV_SEQUENTIAL);
	}
	*src_r = &mb->src;
	mb = NULL;
	ret = 0;
	goto out;
fail_errno:
	*err_r = xasprintf("cannot read '%s': %s", path, strerror(errno));
out:
	if (mb)
		mbox_free(&mb->src);
	close(fd);
	return ret;
}
