/* process.c - see process.h */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "process.h"

int
process_message(struct classifier *cl, const struct limits *lim,
    const char *raw, size_t len, struct processed *out, struct buf *explain,
    char **err_r)
{
	struct classify_input in;
	char *from = NULL;
	size_t i;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->msg = message_parse(raw, len, lim, err_r);
	if (!out->msg)
		goto out;
	split_message(out->msg, lim, &out->items);
	from = message_from(out->msg);
	for (i = 0; i < out->items.n; i++) {
		struct item *it = &out->items.v[i];

		in.title = it->title;
		in.text = it->text;
		in.subject = out->msg->subject;
		in.from = from;
		if (explain)
			buf_printf(explain, "item %zu: %s\n", i + 1, it->title);
		if (classify_item(cl, &in, it, explain) < 0) {
			*err_r = xstrdup("classifier failed");
			goto out;
		}
	}
	ret = 0;
out:
	free(from);
	return ret;
}
