/*
 * process.h - one raw message through the pure stages: parse, split,
 * classify.  The local commands and `fetch` share it, so a message is
 * handled the same whichever way it arrived.
 */
#ifndef BULLETIN_PROCESS_H
#define BULLETIN_PROCESS_H

#include <stddef.h>

#include "classify.h"
#include "message.h"
#include "split.h"
#include "util.h"

struct processed {
	struct message *msg;       /* NULL when nothing could be parsed */
	struct item_list items;
};

/*
 * Parses len bytes, splits the message into items and labels each.  When
 * explain is not NULL, appends per item the classifier's account.
 * Returns 0, or -1 with *err_r set (caller frees) when the message could
 * not be parsed at all; out is then empty.  Release out with
 * processed_free() either way.
 */
int process_message(struct classifier *cl, const struct limits *lim,
    const char *raw, size_t len, struct processed *out, struct buf *explain,
    char **err_r);
void processed_free(struct processed *p);

#endif
