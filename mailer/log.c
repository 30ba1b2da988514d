/* log.c - see log.h */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level log_max = LOG_INFO;
static int log_journal;
/* the last error and the last warning, for log_problem() */
static char last_err[512], last_warn[512];

void
log_init(enum log_level max, int journal)
{
	log_max = max;
	log_journal = journal;
}

static void
log_v(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	/* syslog priorities: err 3, warning 4, info 6, debug 7 */
	static const int prio[] = { 3, 4, 6, 7 };
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };

	if (lvl <= LOG_WARN) {
		char *last = lvl == LOG_ERR ? last_err : last_warn;
		va_list aq;
		int n;

		va_copy(aq, ap);
		n = vsnprintf(last, sizeof(last_err), fmt, aq);
		va_end(aq);
		if (err && n >= 0 && (size_t)n < sizeof(last_err))
			snprintf(last + n, sizeof(last_err) - (size_t)n, ": %s",
			    strerror(err));
	}
	if (lvl > log_max)
		return;
	if (log_journal)
		fprintf(stderr, "<%d>", prio[lvl]);
	fputs("bulletin: ", stderr);
	fputs(tag[lvl], stderr);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, 0, fmt, ap);
	va_end(ap);
}

void
log_errno(enum log_level lvl, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_v(lvl, err, fmt, ap);
	va_end(ap);
}

const char *
log_problem(void)
{
	return *last_err ? last_err : last_warn;
}

void
log_problem_clear(void)
{
	*last_err = *last_warn = '\0';
}

void
log_problem_set(const char *msg)
{
	snprintf(last_err, sizeof(last_err), "%s", msg);
}
