/*
 * pipeline_proc.c - pipeline.h in a child process (worker.h), for
 * bulletin-fetch.  Jobs keep their raw copy here until popped; the
 * results come back in order over a pipe.  Writing a message polls the
 * child's output too, so neither side can block the other.
 *
 * A child that dies (a parser crash on some stranger's message, say)
 * fails the jobs in flight: they are stored raw and reported, as any
 * message that cannot be parsed, and `bulletin process` can retry them.
 * The next push starts a new child.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "worker.h"

static char *const *child_argv;

struct pipeline {
	pid_t pid;              /* 0: none running */
	int to, from;           /* its stdin, its stdout */
	int dead;               /* it stopped answering: fail what is left */
	char **cats;
	size_t ncats;
	size_t depth, budget;   /* the child's pipeline_budget() */
	int timeout_ms;         /* for one result, -1 none ([limits]) */
	struct job *ring;       /* cap slots, head <= tail */
	size_t cap;
	size_t head, tail, bytes;
	struct buf in;          /* read from the child, not yet decoded */
	size_t in_pos;
};

void
pipeline_proc_command(char *const *argv)
{
	child_argv = argv;
}

static void
reap(struct pipeline *pl)
{
	int st;

	if (pl->to >= 0)
		close(pl->to);
	if (pl->from >= 0)
		close(pl->from);
	pl->to = pl->from = -1;
	if (pl->pid > 0) {
		while (waitpid(pl->pid, &st, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(st))
			log_err("bulletin-work died of signal %d",
			    WTERMSIG(st));
		else if (WEXITSTATUS(st) != 0)
			log_err("bulletin-work exited with status %d",
			    WEXITSTATUS(st));
	}
	pl->pid = 0;
}

/* Reads what the child has written; blocking unless nb.  Returns bytes
 * read, 0 at its end, -1 on error (EAGAIN when nb and none). */
static ssize_t
fill(struct pipeline *pl)
{
	char tmp[65536];
	ssize_t r;

	do
		r = read(pl->from, tmp, sizeof(tmp));
	while (r < 0 && errno == EINTR);
	if (r > 0 && buf_add(&pl->in, tmp, (size_t)r) < 0)
		return -1;
	return r;
}

/* Waits until the child has written something: 1, or 0 (logged,
 * the child killed) when it is past the time limit. */
static int
readable(struct pipeline *pl)
{
	struct pollfd fd = { pl->from, POLLIN, 0 };
	int r;

	while ((r = poll(&fd, 1, pl->timeout_ms)) < 0 && errno == EINTR)
		;
	if (r != 0)
		return 1;
	log_err("bulletin-work had no result after %d s ([limits] "
	    "max_seconds): stopped", pl->timeout_ms / 1000);
	if (pl->pid > 0)
		kill(pl->pid, SIGKILL);
	return 0;
}

/* The next whole frame's payload from the child, blocking (or from
 * what is buffered alone, with buffered_only); NULL when there is none,
 * or the child ended or broke. */
static const char *
next_frame(struct pipeline *pl, size_t *len_r, int buffered_only)
{
	uint32_t len;
	const char *p;

	for (;;) {
		if (pl->in.len - pl->in_pos >= sizeof(len)) {
			memcpy(&len, pl->in.data + pl->in_pos, sizeof(len));
			if (len > WIRE_MAX_FRAME)
				return NULL;
			if (pl->in.len - pl->in_pos - sizeof(len) >= len) {
				p = pl->in.data + pl->in_pos + sizeof(len);
				pl->in_pos += sizeof(len) + len;
				*len_r = len;
				return p;
			}
		}
		/* keep what is left at the front of the buffer */
		if (pl->in_pos) {
			memmove(pl->in.data, pl->in.data + pl->in_pos,
			    pl->in.len - pl->in_pos);
			pl->in.len -= pl->in_pos;
			pl->in_pos = 0;
		}
		if (buffered_only || !readable(pl) || fill(pl) <= 0)
			return NULL;
	}
}

static int
start(struct pipeline *pl)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, t;
	const char *p;
	size_t len, i;

	pl->dead = 1;           /* until the header is in */
	if (!child_argv || !child_argv[0]) {
		log_err("no processing child set (bulletin-work)");
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		log_errno(LOG_ERR, "pipe");
		goto fail;
	}
	fflush(NULL);
	if ((pl->pid = fork()) < 0) {
		log_errno(LOG_ERR, "fork");
		pl->pid = 0;
		goto fail;
	}
	if (pl->pid == 0) {
		/* a kill -9 of the fetch must not leave it running */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(in[0], STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0)
			_exit(127);
		/* nothing else: not the IMAP socket, nor the store's lock */
		close_range(3, ~0u, 0);
		execv(child_argv[0], child_argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	pl->to = in[1];
	pl->from = out[0];
	/* writes poll the child's output between chunks */
	fcntl(pl->to, F_SETFL, fcntl(pl->to, F_GETFL) | O_NONBLOCK);
	pl->in.len = pl->in_pos = 0;
	for (i = 0; i < pl->ncats; i++)
		free(pl->cats[i]);
	free(pl->cats);
	pl->cats = NULL;
	pl->ncats = 0;
	/* no time limit on the start: a changed rule set compiles first */
	t = pl->timeout_ms;
	pl->timeout_ms = -1;
	p = next_frame(pl, &len, 0);
	pl->timeout_ms = t;
	if (!p || wire_get_header(p, len, &pl->depth, &pl->budget, &pl->cats,
	    &pl->ncats) < 0) {
		log_err("%s did not start (see above)", child_argv[0]);
		reap(pl);
		return -1;
	}
	/* a second child keeps to the first one's ring */
	if (pl->cap && pl->depth > pl->cap)
		pl->depth = pl->cap;
	pl->dead = 0;
	return 0;
fail:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return -1;
}

struct pipeline *
pipeline_new(struct ruleset *rs, const struct limits *lim, unsigned workers,
    int flags)
{
	struct pipeline *pl = xcalloc(1, sizeof(*pl));

	/* the child loads the rules and the limits from the same
	 * configuration */
	(void)rs, (void)workers, (void)flags;
	pl->to = pl->from = -1;
	pl->timeout_ms = lim && lim->max_seconds ?
	    (int)lim->max_seconds * 1000 : -1;
	buf_init(&pl->in, WIRE_MAX_FRAME + 64u);
	if (start(pl) < 0) {
		pipeline_free(&pl);
		return NULL;
	}
	pl->cap = pl->depth;
	pl->ring = xcalloc(pl->cap, sizeof(*pl->ring));
	return pl;
}

const char *const *
pipeline_categories(const struct pipeline *pl, size_t *n_r)
{
	*n_r = pl->ncats;
	return (const char *const *)pl->cats;
}

void
pipeline_budget(const struct pipeline *pl, size_t *depth_r,
    size_t *bytes_r)
{
	*depth_r = pl->depth;
	*bytes_r = pl->budget;
}

int
pipeline_full(const struct pipeline *pl)
{
	return pl->tail - pl->head >= pl->depth ||
	    (pl->tail != pl->head && pl->bytes >= pl->budget);
}

/* Writes p[0..n) to the child, reading its output meanwhile. */
static int
send_all(struct pipeline *pl, const char *p, size_t n)
{
	struct pollfd fds[2];
	ssize_t w;
	int r;

	while (n) {
		fds[0].fd = pl->to;
		fds[0].events = POLLOUT;
		fds[1].fd = pl->from;
		fds[1].events = POLLIN;
		fds[0].revents = fds[1].revents = 0;
		if ((r = poll(fds, 2, pl->timeout_ms)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			/* neither reading nor answering: stuck */
			(void)readable(pl);
			return -1;
		}
		if (fds[1].revents & (POLLIN | POLLHUP) && fill(pl) <= 0)
			return -1;
		if (fds[0].revents & (POLLERR | POLLHUP))
			return -1;
		if (!(fds[0].revents & POLLOUT))
			continue;
		if ((w = write(pl->to, p, n)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

void
pipeline_push(struct pipeline *pl, const char *raw, size_t len,
    const char *name, const char *hash, int truncated)
{
	struct job *j;
	uint32_t n = (uint32_t)len;

	/* a child that died takes only the jobs it had with it */
	if (pl->dead && pl->head == pl->tail) {
		reap(pl);
		(void)start(pl);
	}
	j = &pl->ring[pl->tail++ % pl->cap];
	job_fill(j, raw, len, name, hash, truncated);
	pl->bytes += len;
	if (pl->dead || len > WIRE_MAX_FRAME ||
	    send_all(pl, (const char *)&n, sizeof(n)) < 0 ||
	    send_all(pl, raw, len) < 0)
		pl->dead = 1;
}

struct job *
pipeline_pop(struct pipeline *pl)
{
	struct job *j;
	const char *p;
	size_t len;

	if (pl->head == pl->tail)
		return NULL;
	j = &pl->ring[pl->head % pl->cap];
	if (!pl->dead && !(p = next_frame(pl, &len, 1))) {
		/* not in yet: ask for it (whatever else is done comes too) */
		uint32_t f = WIRE_FLUSH;
		struct pollfd fd = { pl->from, POLLIN, 0 };

		if (poll(&fd, 1, 0) == 1 && fill(pl) > 0)
			p = next_frame(pl, &len, 1);
		if (!p && (send_all(pl, (const char *)&f, sizeof(f)) < 0 ||
		    !(p = next_frame(pl, &len, 0))))
			pl->dead = 1;
	}
	if (!pl->dead && wire_get_result(p, len,
	    (const char *const *)pl->cats, pl->ncats, j) < 0)
		pl->dead = 1;
	if (pl->dead) {
		j->rc = -1;
		j->lost = 1;
		j->err = xstrdup("not processed: bulletin-work stopped");
	}
	return j;
}

void
pipeline_done(struct pipeline *pl, struct job *j)
{
	pl->bytes -= j->len;
	pl->head++;
	job_clear(j);
}

void
pipeline_free(struct pipeline **plp)
{
	struct pipeline *pl = *plp;
	struct job *j;
	size_t i;

	if (!pl)
		return;
	/* end of input: the child finishes and exits */
	if (pl->to >= 0) {
		close(pl->to);
		pl->to = -1;
	}
	while (pl->ring && (j = pipeline_pop(pl)))
		pipeline_done(pl, j);
	reap(pl);
	for (i = 0; i < pl->ncats; i++)
		free(pl->cats[i]);
	free(pl->cats);
	free(pl->ring);
	buf_free(&pl->in);
	free(pl);
	*plp = NULL;
}
