/*
 * main_fetch.c - bulletin-fetch, what `bulletin fetch` and `bulletin
 * run` start for the IMAP part: fetch_run() with the parse, split and
 * classify stages in a child, bulletin-work (pipeline_proc.c).  So the
 * process that holds the IMAP password and talks to the server loads
 * neither GMime nor libxml2 nor the rules engines, and stays small.
 *
 *	bulletin-fetch [-v|-q] [--config FILE] [--store PATH] [--rules DIR]
 *	    [--report-fd N]
 *
 * The options mean what they mean to bulletin, which checked the
 * configuration and holds the store's lock; on a failure the last
 * problem logged goes to descriptor N too, for bulletin's record of the
 * run.  Exit codes: fetch_run()'s.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "fetch.h"
#include "log.h"
#include "store.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "report-fd", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfg_path = NULL, *store = NULL, *rules = NULL;
	enum log_level lvl = LOG_INFO;
	char **wargv = NULL, *err = NULL;
	struct store *st = NULL;
	struct config cfg;
	long report = -1;
	int c, ret;

	umask(umask(027) | 027);
	while ((c = getopt_long(argc, argv, "c:s:r:vq", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 's': store = optarg; break;
		case 'r': rules = optarg; break;
		case 'v': lvl = LOG_DEBUG; break;
		case 'q': lvl = LOG_ERR; break;
		case 'R':
			if (parse_long(optarg, 0, 1 << 20, &report) < 0)
				return EX_USAGE;
			/* ours alone, not bulletin-work's */
			(void)fcntl((int)report, F_SETFD, FD_CLOEXEC);
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return EX_USAGE;
	log_init(lvl, getenv("JOURNAL_STREAM") != NULL);
	if (config_load(cfg_path, &cfg, &err) < 0) {
		fputs(err, stderr);
		free(err);
		config_free(&cfg);
		return EX_CONFIG;
	}
	if ((ret = fetch_precheck(&cfg)) != EX_OK)
		goto out;
	/* bulletin-work gets the same options */
	wargv = helper_argv("bulletin-work", lvl == LOG_DEBUG ? 1 :
	    lvl == LOG_ERR ? -1 : 0, cfg_path, store, rules, -1);
	pipeline_proc_command(wargv);
	if (store_open(store ? store : cfg.store_path, &st, &err) < 0) {
		log_err("%s", err);
		free(err);
		ret = EX_CANTCREAT;
		goto out;
	}
	ret = fetch_run(&cfg, NULL, st);
	store_close(&st);
	if (fflush(stdout) != 0 && ret == EX_OK)
		ret = EX_IOERR;
out:
	/* for the runs table `status` reads, which bulletin keeps */
	if (report >= 0 && ret != EX_OK && *log_problem())
		(void)!write((int)report, log_problem(), strlen(log_problem()));
	argv_free(wargv);
	config_free(&cfg);
	return ret;
}
