/*
 * pipeline.h - process_message() on worker threads, results in order.
 *
 * The caller's thread reads the source and stores or prints; workers
 * parse, split and classify.  At most PIPELINE_DEPTH messages (and
 * PIPELINE_BYTES of raw text) are in flight, so memory does not grow with
 * the mailbox.  Results come back in the order they were pushed.
 *
 *	pl = pipeline_new(rs, lim, 0, 0);
 *	while (source_next(...) > 0) {
 *		while (pipeline_full(pl)) { j = pipeline_pop(pl); use(j); pipeline_done(pl, j); }
 *		pipeline_push(pl, raw, len, name, hash);
 *	}
 *	while ((j = pipeline_pop(pl))) { use(j); pipeline_done(pl, j); }
 *	pipeline_free(&pl);
 */
#ifndef BULLETIN_PIPELINE_H
#define BULLETIN_PIPELINE_H

#include <stddef.h>

#include "process.h"
#include "rules.h"
#include "util.h"

struct pipeline;

struct job {
	char *raw;            /* a copy of the message; owned */
	size_t len;
	char *name;           /* owned */
	char hash[65];        /* what the caller passed, or "" */
	int truncated;        /* as the caller passed it */
	/* set by the worker */
	int rc;               /* process_message()'s return */
	int lost;             /* rc -1 because the processing child died
				 (pipeline_proc.c): stored raw, not parsed */
	char *err;            /* its error when rc < 0; owned */
	struct processed p;
	struct buf explain;   /* when the pipeline explains */
};

/* A job as pipeline_push() makes it (copies of raw and name), and all
 * it owns freed; for the two implementations below (job.c). */
void job_fill(struct job *j, const char *raw, size_t len, const char *name,
    const char *hash, int truncated);
void job_clear(struct job *j);

/*
 * pipeline.c runs the stages on threads; pipeline_proc.c, which
 * bulletin-fetch links instead, runs them in a child process
 * (bulletin-work, worker.h) so that the process talking to the IMAP
 * server never loads GMime, libxml2 or the rules engines.
 */

#define PIPELINE_EXPLAIN 1   /* every job carries the classifier's account */
#define PIPELINE_DEEP 2      /* 32 jobs in flight per worker, not 4: for
				local bulk work (ingest 10-15% faster on a
				Maildir, 3 MB more); fetch keeps 4, for its
				16 MB */

/*
 * Starts workers (0: one per online CPU, at most 8) with a classifier
 * each over rs, which must outlive the pipeline; flags are PIPELINE_*.
 * Returns NULL (logged) when the classifiers or threads cannot be made.
 */
struct pipeline *pipeline_new(struct ruleset *rs, const struct limits *lim,
    unsigned workers, int flags);

/* The rule files' category ids, in their order, for tally_print();
 * valid until pipeline_free(). */
const char *const *pipeline_categories(const struct pipeline *pl,
    size_t *n_r);

/* Its budget: pipeline_full() is 1 from depth jobs in flight, or from
 * bytes of raw text in flight when there is one. */
void pipeline_budget(const struct pipeline *pl, size_t *depth_r,
    size_t *bytes_r);

/* 1 when a push would exceed the depth or byte budget. */
int pipeline_full(const struct pipeline *pl);

/* Queues a copy of raw[0..len) for processing; never blocks (check
 * pipeline_full first).  hash may be NULL. */
void pipeline_push(struct pipeline *pl, const char *raw, size_t len,
    const char *name, const char *hash, int truncated);

/* 1 when the oldest job is processed (a pop would not wait). */
int pipeline_ready(struct pipeline *pl);

/* The oldest job, once processed (waits for it); NULL when none is in
 * flight.  Give it back with pipeline_done(). */
struct job *pipeline_pop(struct pipeline *pl);
void pipeline_done(struct pipeline *pl, struct job *j);

/* Stops the workers (after the jobs in flight) and frees everything. */
void pipeline_free(struct pipeline **pl);

#endif
