/*
 * job.c - a pipeline job filled and cleared (pipeline.h), and
 * processed_free() (process.h): what pipeline.c and pipeline_proc.c
 * share.  Nothing here needs GMime, so bulletin-fetch links it too.
 */
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "process.h"

void
processed_free(struct processed *p)
{
	message_free(&p->msg);
	item_list_free(&p->items);
}

void
job_fill(struct job *j, const char *raw, size_t len, const char *name,
    const char *hash, int truncated)
{
	memset(j, 0, sizeof(*j));
	j->raw = xmalloc(len ? len : 1);
	memcpy(j->raw, raw, len);
	j->len = len;
	j->name = xstrdup(name);
	if (hash)
		memcpy(j->hash, hash, sizeof(j->hash));
	j->truncated = truncated;
}

void
job_clear(struct job *j)
{
	free(j->raw);
	free(j->name);
	free(j->err);
	processed_free(&j->p);
	buf_free(&j->explain);
	memset(j, 0, sizeof(*j));
}
