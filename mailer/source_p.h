/*
 * source_p.h - what the message sources share behind source.h.
 *
 * Each source embeds struct source as its first member and fills in ops;
 * source_open() (source.c) picks the kind and calls its constructor.
 */
#ifndef BULLETIN_SOURCE_P_H
#define BULLETIN_SOURCE_P_H

#include <stddef.h>

#include "source.h"

struct source_ops {
	/* As source_next(). */
	int (*next)(struct source *src, struct raw_msg *m_r, char **err_r);
	/* Frees what the source owns, the struct included. */
	void (*free)(struct source *src);
};

struct source {
	const struct source_ops *ops;
	char *path;          /* owned; as given to source_open */
	size_t max_size;     /* messages are cut to this; never 0 */
};

/*
 * Constructors.  Each takes over fd (open on path, read-only), closing
 * it on failure too.  Return 0 with *src_r set, or -1 with *err_r set
 * (caller frees).
 */
int source_file_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r);
int source_mbox_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r);
int source_maildir_open(const char *path, int fd, size_t max_size,
    struct source **src_r, char **err_r);

/*
 * A reusable read buffer: source_read_fd() reads the whole of fd into
 * it, at most max bytes, setting *truncated_r when there was more.
 * Returns 0, or -1 with errno set.
 */
struct source_buf {
	char *data;
	size_t len, cap;
};
int source_read_fd(int fd, size_t max, struct source_buf *b,
    int *truncated_r);

#endif
