/*
 * message.c - the GMime-free half of the message model: the block list,
 * plain text to blocks, inline-forward unwrapping, date parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "message.h"

void
doc_init(struct doc *d)
{
	memset(d, 0, sizeof(*d));
}

struct block *
doc_add(struct doc *d, enum block_kind kind, int level, const char *text,
    const char *url)
{
	struct block *b;

	xgrow(&d->blocks, d->n, &d->cap, sizeof(*d->blocks));
	b = &d->blocks[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->level = level;
	b->text = xstrdup(text ? text : "");
	b->url = url ? xstrdup(url) : NULL;
	return b;
}

void
doc_free(struct doc *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->blocks[i].text);
		free(d->blocks[i].url);
	}
	free(d->blocks);
	doc_init(d);
}

void
message_free(struct message **mp)
{
	struct message *m = *mp;
	size_t i;

	if (!m)
		return;
	free(m->message_id);
	free(m->subject);
	free(m->from_name);
	free(m->from_addr);
	free(m->list_id);
	doc_free(&m->body);
	for (i = 0; i < m->n_atts; i++) {
		free(m->atts[i].filename);
		free(m->atts[i].content_type);
	}
	free(m->atts);
	free(m->fwd_from);
	free(m->fwd_subject);
	free(m->note);
	free(m->problem);
	free(m);
	*mp = NULL;
}
