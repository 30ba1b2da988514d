/*
 * main_work.c - bulletin-work, the processing child of bulletin-fetch:
 * raw messages in on stdin, results out on stdout (worker.h), through
 * the same threads as every other command (pipeline.c).  It opens no
 * store and no network connection; it reads only the configuration and
 * the rules.
 *
 * Its options are helper.h's and mean what they mean to bulletin;
 * --store only places the compiled rules' cache.  Exits 0 at the end of
 * its input, 78 on a broken configuration or rule set, 70 when its
 * input or output breaks.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "helper.h"
#include "log.h"
#include "message.h"
#include "pipeline.h"
#include "rules.h"
#include "worker.h"

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 1 read, 0 end of input before any byte, -1 error or a cut frame */
static int
read_all(int fd, char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if ((r = read(fd, p + got, n - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return got ? -1 : 0;
		got += (size_t)r;
	}
	return 1;
}

/* Writes the oldest result: 1, 0 when none is in flight, -1 when
 * stdout is gone. */
static int
send_one(struct pipeline *pl, struct buf *out)
{
	const char *const *ids;
	struct job *j = pipeline_pop(pl);
	size_t n;

	if (!j)
		return 0;
	ids = pipeline_categories(pl, &n);
	buf_reset(out);
	wire_put_result(out, j, ids, n);
	pipeline_done(pl, j);
	return write_all(STDOUT_FILENO, out->data, out->len) < 0 ? -1 : 1;
}

int
main(int argc, char **argv)
{
	struct helper_opts ho;
	struct ruleset *rs = NULL;
	struct pipeline *pl = NULL;
	struct config cfg;
	struct buf out;
	const char *const *ids;
	size_t n, depth, bytes;
	char *err = NULL, *cache, *raw = NULL;
	size_t cap = 0;
	uint32_t len;
	int r, ret;

	if ((ret = helper_start(argc, argv, &ho, &cfg)) != EX_OK)
		return ret;
	ret = EX_SOFTWARE;
	/* a parent gone is a write error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	message_init();
	buf_init(&out, 0);
	if (rules_load_dirs(cfg.rules_shipped, ho.rules ? ho.rules :
	    cfg.rules_dir, ho.rules != NULL, &rs, &err) < 0) {
		fprintf(stderr, "%s\n", err ? err : "cannot load rules");
		log_err("refusing to run with a broken rule set in '%s'",
		    ho.rules ? ho.rules : cfg.rules_dir);
		free(err);
		ret = EX_CONFIG;
		goto out;
	}
	cache = xasprintf("%s.rules-cache", ho.store ? ho.store :
	    cfg.store_path);
	rules_set_cache(rs, cache);
	free(cache);
	if (!(pl = pipeline_new(rs, &cfg.lim, 0, 0)))
		goto out;
	pipeline_budget(pl, &depth, &bytes);
	ids = pipeline_categories(pl, &n);
	wire_put_header(&out, depth, bytes, ids, n);
	if (write_all(STDOUT_FILENO, out.data, out.len) < 0)
		goto io;
	for (;;) {
		/* what is done goes out at once: the parent may be
		 * waiting for it */
		while (pipeline_ready(pl))
			if (send_one(pl, &out) < 0)
				goto io;
		if (pipeline_full(pl)) {
			if (send_one(pl, &out) < 0)
				goto io;
			continue;
		}
		if ((r = read_all(STDIN_FILENO, (char *)&len,
		    sizeof(len))) == 0)
			break;
		if (r < 0)
			goto io;
		if (len == WIRE_FLUSH) {
			if (send_one(pl, &out) < 0)
				goto io;
			continue;
		}
		if (len > WIRE_MAX_FRAME)
			goto io;
		if (len > cap) {
			free(raw);
			raw = xmalloc(len);
			cap = len;
		}
		if (len && read_all(STDIN_FILENO, raw, len) != 1)
			goto io;
		pipeline_push(pl, raw, len, "", NULL, 0);
	}
	while ((r = send_one(pl, &out)) > 0)
		;
	if (r < 0)
		goto io;
	ret = EX_OK;
	goto out;
io:
	log_errno(LOG_ERR, "bulletin-work: input or output broken");
	ret = EX_SOFTWARE;
out:
	pipeline_free(&pl);
	rules_free(&rs);
	free(raw);
	buf_free(&out);
	message_shutdown();
	config_free(&cfg);
	return ret;
}
