/*
 * rawfile.c - see rawfile.h.  Plain pread/pwrite on one descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rawfile.h"
#include "util.h"

struct rawfile {
	char *path;
	unsigned mode;
	int fd;
	char *buf;              /* rawfile_read's */
	size_t cap;
	int64_t flushed;        /* writeback asked for up to here */
	char *wbuf;             /* writes not yet made, of [wat, wat + wlen) */
	int64_t wat;
	size_t wlen;
};

/* Written bytes whose writeback starts at once: a sync then finds most
 * of them on disk instead of waiting for all. */
#define WRITEBACK_CHUNK (1 << 20)
/* Small writes (an item's text) are gathered up to this: one write(2)
 * per item cost more than the copy. */
#define WBUF_SIZE (256 << 10)

struct rawfile *
rawfile_new(const char *path, unsigned mode)
{
	struct rawfile *rf = xcalloc(1, sizeof(*rf));

	rf->path = xstrdup(path);
	rf->mode = mode;
	rf->fd = -1;
	return rf;
}

void
rawfile_free(struct rawfile **rfp)
{
	struct rawfile *rf = *rfp;

	if (!rf)
		return;
	/* what is still gathered was never synced, so never committed */
	if (rf->fd >= 0)
		close(rf->fd);
	free(rf->wbuf);
	free(rf->buf);
	free(rf->path);
	free(rf);
	*rfp = NULL;
}

/* create: for a write; a reader finds a missing file an error rather
 * than making an empty one */
static int
rawfile_open(struct rawfile *rf, int create)
{
	if (rf->fd >= 0)
		return 0;
	/* as SQLite opens the store: not through a symbolic link */
	rf->fd = open(rf->path, O_RDWR | (create ? O_CREAT : 0) | O_CLOEXEC |
	    O_NOCTTY | O_NOFOLLOW, (mode_t)rf->mode);
	if (rf->fd < 0) {
		log_errno(LOG_ERR, "cannot open '%s'", rf->path);
		return -1;
	}
	return 0;
}

int
rawfile_trim(struct rawfile *rf, int64_t size)
{
	struct stat sb;

	if (rawfile_open(rf, 1) < 0)
		return -1;
	if (fstat(rf->fd, &sb) < 0) {
		log_errno(LOG_ERR, "cannot stat '%s'", rf->path);
		return -1;
	}
	/* gathered bytes are a rolled-back writer's too */
	rawfile_drop(rf);
	if (sb.st_size <= size)
		return 0;
	if (ftruncate(rf->fd, (off_t)size) < 0) {
		log_errno(LOG_ERR, "cannot truncate '%s'", rf->path);
		return -1;
	}
	return 0;
}

static int
write_now(struct rawfile *rf, int64_t at, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	if (rawfile_open(rf, 1) < 0)
		return -1;
	while (len > 0) {
		n = pwrite(rf->fd, c, len, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_errno(LOG_ERR, "cannot write '%s'", rf->path);
			return -1;
		}
		c += n;
		at += n;
		len -= (size_t)n;
	}
	if (at < rf->flushed)
		rf->flushed = at;
	if (at - rf->flushed >= WRITEBACK_CHUNK) {
		/* a hint: no error of its own, rawfile_sync reports */
		(void)sync_file_range(rf->fd, rf->flushed, at - rf->flushed,
		    SYNC_FILE_RANGE_WRITE);
		rf->flushed = at;
	}
	return 0;
}

static int
flush(struct rawfile *rf)
{
	size_t len = rf->wlen;

	rf->wlen = 0;
	return len ? write_now(rf, rf->wat, rf->wbuf, len) : 0;
}

/*
 * Gathers the bytes, to be written when the buffer is full or at the
 * sync.  Bytes written over gathered ones replace them and all after:
 * the store only writes at its end, or again where a write it did not
 * keep began, so nothing after is wanted.
 */
int
rawfile_write(struct rawfile *rf, int64_t at, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	if (rf->wlen && (at < rf->wat || at > rf->wat + (int64_t)rf->wlen) &&
	    flush(rf) < 0)
		return -1;
	if (rf->wlen)
		rf->wlen = (size_t)(at - rf->wat);
	if (rf->wlen + len > WBUF_SIZE) {
		if (flush(rf) < 0)
			return -1;
		if (len >= WBUF_SIZE)
			return write_now(rf, at, p, len);
	}
	if (!rf->wbuf)
		rf->wbuf = xmalloc(WBUF_SIZE);
	if (!rf->wlen)
		rf->wat = at;
	memcpy(rf->wbuf + rf->wlen, p, len);
	rf->wlen += len;
	return 0;
}

void
rawfile_drop(struct rawfile *rf)
{
	rf->wlen = 0;
}

int
rawfile_sync(struct rawfile *rf)
{
	if (flush(rf) < 0)
		return -1;
	if (rf->fd < 0)
		return 0;
	if (fdatasync(rf->fd) < 0) {
		log_errno(LOG_ERR, "cannot sync '%s'", rf->path);
		return -1;
	}
	return 0;
}

int
rawfile_pread(struct rawfile *rf, int64_t at, void *dst, size_t len)
{
	char *d = dst;
	size_t got = 0;
	ssize_t n;

	if (flush(rf) < 0 || rawfile_open(rf, 0) < 0)
		return -1;
	while (got < len) {
		n = pread(rf->fd, d + got, len - got, (off_t)at + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_errno(LOG_ERR, "cannot read '%s'", rf->path);
			return -1;
		}
		if (n == 0) {
			log_err("'%s' ends before offset %lld", rf->path,
			    (long long)(at + (int64_t)len));
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

int
rawfile_read(struct rawfile *rf, int64_t at, size_t len, const char **p_r)
{
	if (len + 1 > rf->cap) {
		free(rf->buf);
		rf->cap = len + 1;
		rf->buf = xmalloc(rf->cap);
	}
	if (rawfile_pread(rf, at, rf->buf, len) < 0)
		return -1;
	rf->buf[len] = '\0';
	*p_r = rf->buf;
	return 0;
}

int
rawfile_punch(struct rawfile *rf, int64_t at, int64_t len)
{
	if (len <= 0)
		return 0;
	if (rawfile_open(rf, 0) < 0)
		return -1;
	if (fallocate(rf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    (off_t)at, (off_t)len) < 0) {
		/* tmpfs and ext4 can; where not, the space stays used */
		if (errno == EOPNOTSUPP || errno == ENOSYS)
			return 0;
		log_errno(LOG_ERR, "cannot free space in '%s'", rf->path);
		return -1;
	}
	return 0;
}
