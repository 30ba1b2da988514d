/*
 * pipeline.c - see pipeline.h.  A ring of jobs under one mutex: the
 * caller appends at tail and takes from head; workers claim at next.
 * Contention is negligible next to a message's parse (tens of
 * microseconds against one lock round).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "log.h"
#include "pipeline.h"

#define PIPELINE_DEPTH 64               /* jobs in flight, at most */
#define PIPELINE_PER_WORKER 4           /* jobs in flight per worker */
#define PIPELINE_PER_WORKER_DEEP 32     /* with PIPELINE_DEEP */
#define PIPELINE_BYTES (16u << 20)      /* raw bytes in flight */
#define PIPELINE_MAX_WORKERS 8

enum { J_QUEUED, J_RUNNING, J_DONE };

/* What a worker allocated for a job, given back to it to free: glibc
 * frees a chunk of another thread's arena under that arena's lock, and
 * the caller's thread freeing every result took that lock thousands of
 * times a second against the worker allocating in it. */
struct garbage {
	struct processed p;
	char *err;
	struct buf explain;
};

struct worker {
	struct pipeline *pl;
	struct classifier *cl;
	pthread_t thread;
	int started;
	struct garbage *g;              /* under pl->mu */
	size_t ng, capg;
};

struct slot {
	struct job job;                 /* first: a job is its slot */
	int state;
	struct worker *by;              /* who processed it */
};

static void
garbage_free(struct garbage *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		processed_free(&g[i].p);
		free(g[i].err);
		buf_free(&g[i].explain);
	}
	free(g);
}

struct pipeline {
	const struct limits *lim;
	int explain;
	pthread_mutex_t mu;
	pthread_cond_t work;            /* a job was queued, or stop */
	pthread_cond_t done;            /* a job finished */
	struct slot ring[PIPELINE_DEPTH];
	size_t depth;                   /* jobs in flight, <= DEPTH */
	size_t head, next, tail;        /* head <= next <= tail, mod DEPTH */
	size_t bytes;                   /* raw bytes in ring */
	int stop;
	struct worker *w;
	unsigned nw;
	const char **cats;              /* the ruleset's category ids */
	size_t ncats;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct pipeline *pl = w->pl;
	struct garbage *g;
	struct slot *s;
	struct job *j;
	size_t ng;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		while (pl->next == pl->tail && !pl->stop)
			pthread_cond_wait(&pl->work, &pl->mu);
		if (pl->next == pl->tail)
			break;
		s = &pl->ring[pl->next++ % PIPELINE_DEPTH];
		s->state = J_RUNNING;
		s->by = w;
		g = w->g;
		ng = w->ng;
		w->g = NULL;
		w->ng = w->capg = 0;
		pthread_mutex_unlock(&pl->mu);

		garbage_free(g, ng);
		j = &s->job;
		j->rc = process_message(w->cl, pl->lim, j->raw, j->len, &j->p,
		    pl->explain ? &j->explain : NULL, &j->err);

		pthread_mutex_lock(&pl->mu);
		s->state = J_DONE;
		pthread_cond_broadcast(&pl->done);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

struct pipeline *
pipeline_new(struct ruleset *rs, const struct limits *lim, unsigned workers,
    int flags)
{
	unsigned per = flags & PIPELINE_DEEP ? PIPELINE_PER_WORKER_DEEP :
	    PIPELINE_PER_WORKER;
	struct pipeline *pl = xcalloc(1, sizeof(*pl));
	long ncpu;
	unsigned i;

	if (!workers) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		workers = ncpu < 1 ? 1 : ncpu > PIPELINE_MAX_WORKERS ?
		    PIPELINE_MAX_WORKERS : (unsigned)ncpu;
	}
	pl->lim = lim;
	pl->explain = (flags & PIPELINE_EXPLAIN) != 0;
	pl->ncats = rules_ncategories(rs);
	pl->cats = xcalloc(pl->ncats + 1, sizeof(*pl->cats));
	for (i = 0; i < pl->ncats; i++)
		pl->cats[i] = rules_category_id(rs, i);
	/* results come back in order: a big message holds up the caller,
	 * and the other workers run dry unless there is more queued behind
	 * it; every job more is memory (its raw copy, its result) */
	pl->depth = workers * per < PIPELINE_DEPTH ? workers * per :
	    PIPELINE_DEPTH;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->work, NULL);
	pthread_cond_init(&pl->done, NULL);
	pl->w = xcalloc(workers, sizeof(*pl->w));
	pl->nw = workers;
	/* classifiers first, in this thread: the first compiles the rules */
	for (i = 0; i < workers; i++) {
		pl->w[i].pl = pl;
		if (!(pl->w[i].cl = classifier_new(rs)))
			goto fail;
	}
	for (i = 0; i < workers; i++) {
		if (pthread_create(&pl->w[i].thread, NULL, worker_main,
		    &pl->w[i]) != 0) {
			log_err("cannot start a worker thread");
			goto fail;
		}
		pl->w[i].started = 1;
	}
	return pl;
fail:
	pipeline_free(&pl);
	return NULL;
}

const char *const *
pipeline_categories(const struct pipeline *pl, size_t *n_r)
{
	*n_r = pl->ncats;
	return pl->cats;
}

void
pipeline_budget(const struct pipeline *pl, size_t *depth_r,
    size_t *bytes_r)
{
	*depth_r = pl->depth;
	*bytes_r = PIPELINE_BYTES;
}

int
pipeline_full(const struct pipeline *pl)
{
	return pl->tail - pl->head >= pl->depth ||
	    (pl->tail != pl->head && pl->bytes >= PIPELINE_BYTES);
}

void
pipeline_push(struct pipeline *pl, const char *raw, size_t len,
    const char *name, const char *hash, int truncated)
{
	struct slot *s = &pl->ring[pl->tail % PIPELINE_DEPTH];
	struct job *j = &s->job;

	/* the slot is ours until tail moves: fill it outside the lock */
	job_fill(j, raw, len, name, hash, truncated);
	s->state = J_QUEUED;
	pthread_mutex_lock(&pl->mu);
	pl->bytes += len;
	pl->tail++;
	pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->mu);
}

int
pipeline_ready(struct pipeline *pl)
{
	int r;

	if (pl->head == pl->tail)
		return 0;
	pthread_mutex_lock(&pl->mu);
	r = pl->ring[pl->head % PIPELINE_DEPTH].state == J_DONE;
	pthread_mutex_unlock(&pl->mu);
	return r;
}

struct job *
pipeline_pop(struct pipeline *pl)
{
	struct slot *s;

	if (pl->head == pl->tail)
		return NULL;
	s = &pl->ring[pl->head % PIPELINE_DEPTH];
	pthread_mutex_lock(&pl->mu);
	while (s->state != J_DONE)
		pthread_cond_wait(&pl->done, &pl->mu);
	pthread_mutex_unlock(&pl->mu);
	return &s->job;
}

void
pipeline_done(struct pipeline *pl, struct job *j)
{
	struct slot *s = (struct slot *)j;
	struct worker *w = s->by;

	pthread_mutex_lock(&pl->mu);
	pl->bytes -= j->len;
	pl->head++;
	/* the worker frees what it allocated, when it takes its next job */
	if (w && !pl->stop) {
		xgrow(&w->g, w->ng, &w->capg, sizeof(*w->g));
		w->g[w->ng].p = j->p;
		w->g[w->ng].err = j->err;
		w->g[w->ng++].explain = j->explain;
		memset(&j->p, 0, sizeof(j->p));
		j->err = NULL;
		buf_init(&j->explain, 0);
	}
	s->by = NULL;
	pthread_mutex_unlock(&pl->mu);
	job_clear(j);
}

void
pipeline_free(struct pipeline **plp)
{
	struct pipeline *pl = *plp;
	struct job *j;
	unsigned i;

	if (!pl)
		return;
	/* let the workers finish what is queued, then drop the results */
	pthread_mutex_lock(&pl->mu);
	pl->stop = 1;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	for (i = 0; i < pl->nw; i++)
		if (pl->w[i].started)
			pthread_join(pl->w[i].thread, NULL);
	while ((j = pipeline_pop(pl)))
		pipeline_done(pl, j);
	for (i = 0; i < pl->nw; i++) {
		garbage_free(pl->w[i].g, pl->w[i].ng);
		classifier_free(&pl->w[i].cl);
	}
	free(pl->w);
	free(pl->cats);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->done);
	pthread_mutex_destroy(&pl->mu);
	free(pl);
	*plp = NULL;
}
