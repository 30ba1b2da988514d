/*
 * source.h - where raw messages come from, behind one interface.
 *
 * source_file.c (one .eml), source_maildir.c (cur/ and new/, name order)
 * and source_mbox.c (mboxo/mboxrd, "From " lines) are local; the IMAP
 * source arrives with `bulletin fetch`.  Each raw message is handed out
 * as a borrowed byte range, valid until the next source_next() or
 * source_close(), so a caller that keeps it copies it.
 */
#ifndef BULLETIN_SOURCE_H
#define BULLETIN_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct source;

struct raw_msg {
	const char *data;    /* borrowed; not NUL-terminated */
	size_t len;
	const char *name;    /* for messages and the store: "PATH" or
				"PATH:BYTE-OFFSET" in an mbox; borrowed */
	int truncated;       /* the message was longer than max_size and
				was cut to it */
};

/*
 * Opens path: a regular file starting with "From " is an mbox, any other
 * regular file one message, a directory with cur/ or new/ a Maildir.
 * Messages longer than max_size are cut to max_size (and flagged).
 * Returns 0, or -1 with *err_r set ("cannot open 'x': ...", caller frees).
 */
int source_open(const char *path, size_t max_size, struct source **src_r,
    char **err_r);

/*
 * Next message.  Returns 1 with *m_r filled, 0 at the end, -1 when this
 * one entry could not be read (*err_r set, caller frees): the caller
 * reports it and calls source_next again to carry on.
 */
int source_next(struct source *src, struct raw_msg *m_r, char **err_r);

void source_close(struct source **src);

#endif
