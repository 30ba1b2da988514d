/*
 * helper.h - bulletin's two helper programs, bulletin-fetch and
 * bulletin-work (main_fetch.c, main_work.c): where they are, the argv
 * that starts one, and the start-up both share.  They take bulletin's
 * own options, so they read the same configuration, store and rules:
 *
 *	NAME [-v|-q] [--config FILE] [--store PATH] [--rules DIR]
 *	    [--report-fd N]
 */
#ifndef BULLETIN_HELPER_H
#define BULLETIN_HELPER_H

#include "config.h"

/*
 * The path of a helper: beside the running executable (a build tree),
 * else in ../lib/bulletin from it (an installed tree, wherever it was
 * moved), else in BULLETIN_LIBEXECDIR.  Caller frees.
 */
char *helper_path(const char *name);

/*
 * A helper's argv, NULL-terminated: its path, then -v (verbosity > 0) or
 * -q (< 0), --config, --store, --rules for those not NULL, and
 * --report-fd when report_fd >= 0.  Free with argv_free().
 */
char **helper_argv(const char *name, int verbosity, const char *config,
    const char *store, const char *rules, int report_fd);
void argv_free(char **argv);

struct helper_opts {
	const char *config, *store, *rules;     /* NULL when not given */
	int verbosity;          /* -1 -q, 0, 1 -v */
	int report_fd;          /* --report-fd (close-on-exec), else -1 */
};

/*
 * A helper's main() starts here: the options into ho (argv is kept),
 * bulletin's umask, the log, the configuration into cfg.  Returns EX_OK,
 * or the exit code with the problem printed (cfg is then freed).
 */
int helper_start(int argc, char **argv, struct helper_opts *ho,
    struct config *cfg);

#endif
