/*
 * source_file.c - one message in one file (an .eml).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source_p.h"
#include "util.h"

struct source_file {
	struct source src;
	int fd;
	int done;
	struct source_buf buf;
};

static int
file_next(struct source *src, struct raw_msg *m_r, char **err_r)
{
	struct source_file *f = (struct source_file *)src;
	int truncated;
	int ret = -1;

	if (f->done)
		return 0;
	f->done = 1;
	if (source_read_fd(f->fd, src->max_size, &f->buf, &truncated) < 0) {
		*err_r = xasprintf("cannot read '%s': %s", src->path,
		    strerror(errno));
		goto out;
	}
	m_r->data = f->buf.data ? f->buf.data : "";
	m_r->len = f->buf.len;
	m_r->name = src->path;
	m_r->truncated = truncated;
	ret = 1;
out:
	close(f->fd);
	f->fd = -1;
	return ret;
}

static void
file_free(struct source *src)
{
	struct source_file *f = (struct source_file *)src;

	if (f->fd >= 0)
		close(f->fd);
	free(f->buf.data);
	free(src->path);
	free(f);
}

static const struct source_ops file_ops = {
	.next = file_next,
	.free = file_free,
};

int
source_file_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r)
{
	struct source_file *f = xcalloc(1, sizeof(*f));

	(void)err_r;
	f->src.ops = &file_ops;
	f->src.path = xstrdup(path);
	f->src.max_size = max_size;
	f->fd = fd;
	*src_r = &f->src;
	return 0;
}
