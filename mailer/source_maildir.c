/*
 * source_maildir.c - the messages of a Maildir: cur/ and new/ together,
 * in file name order (delivery time first, by the Maildir naming rule),
 * so that two runs over the same folder agree.  tmp/ holds deliveries in
 * progress and is never read.
 *
 * Only the names are kept in memory; each message is read into one
 * buffer reused from message to message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source_p.h"
#include "util.h"

static const char *const subdirs[] = { "cur", "new" };

struct md_entry {
	char *name;          /* owned; file name within its subdir */
	int dir;             /* index into subdirs[] */
};

struct source_maildir {
	struct source src;
	int fd;              /* the Maildir itself */
	int dfd[2];          /* its cur/ and new/, -1 when missing */
	size_t path_len;     /* of src.path without trailing slashes */
	struct md_entry *v;
	size_t n, cap, next;
	struct source_buf buf;
	struct buf name;     /* "PATH/cur/NAME" of the current message */
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct md_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->dir - y->dir;
}

/* Lists subdirs[dir] into md; a missing subdir is an empty one. */
static int
maildir_list(struct source_maildir *md, int dir, char **err_r)
{
	struct dirent *de;
	DIR *d = NULL;
	int ret = -1;
	int fd;

	fd = openat(md->fd, subdirs[dir],
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd >= 0)
		md->dfd[dir] = dup(fd);
	/* fdopendir takes fd over; dfd[dir] stays for the reads */
	if (fd < 0 || md->dfd[dir] < 0 || !(d = fdopendir(fd))) {
		*err_r = xasprintf("cannot open '%s/%s': %s", md->src.path,
		    subdirs[dir], strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		/* ".", ".." and the hidden files some clients leave */
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR)
			continue;
		xgrow(&md->v, md->n, &md->cap, sizeof(*md->v));
		md->v[md->n].name = xstrdup(de->d_name);
		md->v[md->n].dir = dir;
		md->n++;
	}
	if (errno) {
		*err_r = xasprintf("cannot read '%s/%s': %s", md->src.path,
		    subdirs[dir], strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	return ret;
}

static int
maildir_next(struct source *src, struct raw_msg *m_r, char **err_r)
{
	struct source_maildir *md = (struct source_maildir *)src;
	struct md_entry *e;
	struct stat sb;
	int truncated;
	int ret = -1;
	int fd = -1;

	if (md->next >= md->n)
		return 0;
	e = &md->v[md->next++];
	buf_reset(&md->name);
	buf_printf(&md->name, "%.*s/%s/%s", (int)md->path_len, src->path,
	    subdirs[e->dir], e->name);
	/* O_NONBLOCK: a FIFO planted in the folder must not hang us */
	fd = openat(md->dfd[e->dir], e->name, O_RDONLY | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		/* moved by another client since we listed the folder, or
		 * unreadable: this entry only */
		*err_r = xasprintf("cannot open '%s': %s", md->name.data,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) < 0) {
		*err_r = xasprintf("cannot read '%s': %s", md->name.data,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		*err_r = xasprintf("'%s' is not a message file",
		    md->name.data);
		goto out;
	}
	if (source_read_fd(fd, src->max_size, &md->buf, &truncated) < 0) {
		*err_r = xasprintf("cannot read '%s': %s", md->name.data,
		    strerror(errno));
		goto out;
	}
	m_r->data = md->buf.data ? md->buf.data : "";
	m_r->len = md->buf.len;
	m_r->name = md->name.data;
	m_r->truncated = truncated;
	ret = 1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

static void
maildir_free(struct source *src)
{
	struct source_maildir *md = (struct source_maildir *)src;
	size_t i;

	for (i = 0; i < md->n; i++)
		free(md->v[i].name);
	free(md->v);
	for (i = 0; i < ARRAY_SIZE(md->dfd); i++)
		if (md->dfd[i] >= 0)
			close(md->dfd[i]);
	if (md->fd >= 0)
		close(md->fd);
	free(md->buf.data);
	buf_free(&md->name);
	free(src->path);
	free(md);
}

static const struct source_ops maildir_ops = {
	.next = maildir_next,
	.free = maildir_free,
};

int
source_maildir_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r)
{
	struct source_maildir *md = xcalloc(1, sizeof(*md));
	struct source *src = &md->src;
	size_t i;
	int ret = -1;

	src->ops = &maildir_ops;
	src->path = xstrdup(path);
	src->max_size = max_size;
	md->fd = fd;
	md->dfd[0] = md->dfd[1] = -1;
	md->path_len = strlen(path);
	while (md->path_len > 1 && path[md->path_len - 1] == '/')
		md->path_len--;
	buf_init(&md->name, 0);
	for (i = 0; i < ARRAY_SIZE(subdirs); i++)
		if (maildir_list(md, (int)i, err_r) < 0)
			goto out;
	if (md->n)
		qsort(md->v, md->n, sizeof(*md->v), entry_cmp);
	*src_r = src;
	src = NULL;
	ret = 0;
out:
	if (src)
		maildir_free(src);
	return ret;
}
