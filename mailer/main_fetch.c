/*
 * main_fetch.c - bulletin-fetch, what `bulletin fetch` and `bulletin
 * run` start for the IMAP part: fetch_run() with the parse, split and
 * classify stages in a child, bulletin-work (pipeline_proc.c).  So the
 * process that holds the IMAP password and talks to the server loads
 * neither GMime nor libxml2 nor the rules engines, and stays small.
 *
 * Its options are helper.h's and mean what they mean to bulletin, which
 * checked the configuration and holds the store's lock; on a failure
 * the last problem logged goes to --report-fd too, for bulletin's
 * record of the run.  Exit codes: fetch_run()'s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "fetch.h"
#include "helper.h"
#include "log.h"
#include "store.h"
#include "worker.h"

int
main(int argc, char **argv)
{
	struct helper_opts ho;
	struct store *st = NULL;
	struct config cfg;
	char **wargv = NULL, *err = NULL;
	int ret;

	if ((ret = helper_start(argc, argv, &ho, &cfg)) != EX_OK)
		return ret;
	if ((ret = fetch_precheck(&cfg)) != EX_OK)
		goto out;
	/* bulletin-work gets the same options */
	wargv = helper_argv("bulletin-work", ho.verbosity, ho.config,
	    ho.store, ho.rules, -1);
	pipeline_proc_command(wargv);
	if (store_open(ho.store ? ho.store : cfg.store_path, &st, &err) < 0) {
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
	if (ho.report_fd >= 0 && ret != EX_OK && *log_problem())
		(void)!write(ho.report_fd, log_problem(),
		    strlen(log_problem()));
	argv_free(wargv);
	config_free(&cfg);
	return ret;
}
