/*
 * log.h - the one logging module: levels, stderr, journald prefixes.
 *
 * Messages are lowercase, without a final full stop, subjects quoted
 * ("cannot open 'x'").  Never pass a password or token to these.
 */
#ifndef BULLETIN_LOG_H
#define BULLETIN_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Sets the most verbose level printed (default LOG_INFO).  With
 * journal != 0 each line gets a "<N>" syslog priority prefix. */
void log_init(enum log_level max, int journal);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As log_msg, with ": strerror(errno)" appended. */
void log_errno(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The last error logged (else the last warning) since log_problem_clear(),
 * whatever the level printed: what `status` records as a run's message.
 * "" when none; borrowed until the next log call.
 */
const char *log_problem(void);
void log_problem_clear(void);
/* Sets it, printing nothing: a child's problem, which it printed. */
void log_problem_set(const char *msg);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
