/*
 * source.c - see source.h: picks the kind of source for a path, and the
 * helpers the local sources share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_p.h"
#include "util.h"

/* Reads up to n bytes, retrying short reads; returns bytes read (less
 * than n only at end of file) or -1. */
static ssize_t
read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
source_read_fd(int fd, size_t max, struct source_buf *b, int *truncated_r)
{
	struct stat sb;
	size_t want;
	ssize_t r;
	char extra;

	b->len = 0;
	*truncated_r = 0;
	if (fstat(fd, &sb) < 0)
		return -1;
	/* st_size is a hint (the file may still grow): one byte more
	 * finds the end of file in one read; read on until end of file or
	 * max */
	want = sb.st_size >= 0 && (uintmax_t)sb.st_size < max ?
	    (size_t)sb.st_size + 1 : max;
	for (;;) {
		if (want > b->cap) {
			b->data = xrealloc(b->data, want);
			b->cap = want;
		}
		r = read_full(fd, b->data + b->len, want - b->len);
		if (r < 0)
			return -1;
		b->len += (size_t)r;
		if (b->len < want)
			return 0;
		if (want == max)
			break;
		want = want > max / 2 ? max : (want ? want * 2 : 4096);
	}
	/* cut to max: was there more? */
	r = read_full(fd, &extra, 1);
	if (r < 0)
		return -1;
	*truncated_r = r == 1;
	return 0;
}

int
source_open(const char *path, size_t max_size, struct source **src_r,
    char **err_r)
{
	char head[5];
	struct stat sb;
	ssize_t r;
	int fd;

	*src_r = NULL;
	/* 0 means no cap of our own; keep one below SIZE_MAX so that
	 * max + 1 never wraps */
	if (max_size == 0 || max_size > SIZE_MAX / 2)
		max_size = SIZE_MAX / 2;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		goto fail_errno;
	if (fstat(fd, &sb) < 0)
		goto fail_errno;
	if (S_ISDIR(sb.st_mode)) {
		struct stat d;

		if ((fstatat(fd, "cur", &d, 0) == 0 && S_ISDIR(d.st_mode)) ||
		    (fstatat(fd, "new", &d, 0) == 0 && S_ISDIR(d.st_mode)))
			return source_maildir_open(path, fd, max_size, src_r,
			    err_r);
		goto not_mail;
	}
	if (!S_ISREG(sb.st_mode))
		goto not_mail;
	/* regular files do not block; O_NONBLOCK only kept open() off
	 * FIFOs */
	if (fcntl(fd, F_SETFL, 0) < 0)
		goto fail_errno;
	r = read_full(fd, head, sizeof(head));
	if (r < 0)
		goto fail_errno;
	if (lseek(fd, 0, SEEK_SET) < 0)
		goto fail_errno;
	if (r == sizeof(head) && memcmp(head, "From ", 5) == 0)
		return source_mbox_open(path, fd, max_size, src_r, err_r);
	/*
	 * An empty file is an empty mailbox (a spool with no mail), unless
	 * its name says it is one message: then the parser gets to report
	 * the empty message.
	 */
	if (r == 0) {
		size_t n = strlen(path);

		if (!(n >= 4 && strcasecmp(path + n - 4, ".eml") == 0))
			return source_mbox_open(path, fd, max_size, src_r,
			    err_r);
	}
	return source_file_open(path, fd, max_size, src_r, err_r);

fail_errno:
	*err_r = xasprintf("cannot open '%s': %s", path, strerror(errno));
	goto out;
not_mail:
	*err_r = xasprintf("'%s' is not a message file, mbox or Maildir",
	    path);
out:
	if (fd >= 0)
		close(fd);
	return -1;
}

int
source_next(struct source *src, struct raw_msg *m_r, char **err_r)
{
	memset(m_r, 0, sizeof(*m_r));
	return src->ops->next(src, m_r, err_r);
}

void
source_close(struct source **src)
{
	if (!*src)
		return;
	(*src)->ops->free(*src);
	*src = NULL;
}
