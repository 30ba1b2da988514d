/*
 * helper.c - see helper.h.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "util.h"

#ifndef BULLETIN_LIBEXECDIR
#define BULLETIN_LIBEXECDIR "/usr/local/lib/bulletin"
#endif

char *
helper_path(const char *name)
{
	char self[4096], *slash, *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			p = xasprintf("%s/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
			p = xasprintf("%s/../lib/bulletin/%s", self, name);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xasprintf("%s/%s", BULLETIN_LIBEXECDIR, name);
}

char **
helper_argv(const char *name, int verbosity, const char *config,
    const char *store, const char *rules, int report_fd)
{
	char **argv = xcalloc(11, sizeof(*argv));
	int n = 0;

	argv[n++] = helper_path(name);
	if (verbosity)
		argv[n++] = xstrdup(verbosity > 0 ? "-v" : "-q");
	if (config) {
		argv[n++] = xstrdup("--config");
		argv[n++] = xstrdup(config);
	}
	if (store) {
		argv[n++] = xstrdup("--store");
		argv[n++] = xstrdup(store);
	}
	if (rules) {
		argv[n++] = xstrdup("--rules");
		argv[n++] = xstrdup(rules);
	}
	if (report_fd >= 0) {
		argv[n++] = xstrdup("--report-fd");
		argv[n++] = xasprintf("%d", report_fd);
	}
	return argv;
}

void
argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int
helper_start(int argc, char **argv, struct helper_opts *ho,
    struct config *cfg)
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
	char *err = NULL;
	long fd;
	int c;

	memset(ho, 0, sizeof(*ho));
	ho->report_fd = -1;
	/* as bulletin's: the store and the rules cache are not for others */
	umask(umask(027) | 027);
	while ((c = getopt_long(argc, argv, "c:s:r:vq", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': ho->config = optarg; break;
		case 's': ho->store = optarg; break;
		case 'r': ho->rules = optarg; break;
		case 'v': ho->verbosity = 1; break;
		case 'q': ho->verbosity = -1; break;
		case 'R':
			if (parse_long(optarg, 0, 1 << 20, &fd) < 0)
				return EX_USAGE;
			ho->report_fd = (int)fd;
			/* ours alone, not a helper's of ours */
			(void)fcntl(ho->report_fd, F_SETFD, FD_CLOEXEC);
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return EX_USAGE;
	log_init(ho->verbosity > 0 ? LOG_DEBUG : ho->verbosity < 0 ?
	    LOG_ERR : LOG_INFO, getenv("JOURNAL_STREAM") != NULL);
	if (config_load(ho->config, cfg, &err) < 0) {
		fputs(err, stderr);
		free(err);
		config_free(cfg);
		return EX_CONFIG;
	}
	return EX_OK;
}
