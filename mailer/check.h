/*
 * check.h - `bulletin check-config`: everything a run will need, checked
 * before a timer finds out.
 *
 * The configuration text and password files (config_check()), the
 * templates (with an [smtp] section: only sending renders them), that
 * the store opens and takes the write lock, and with
 * connect, that IMAP logs in and SMTP greets, starts TLS and
 * authenticates.  Rules are loaded by the caller (main.c), which reports
 * their errors the same way.  Each problem is one line on stderr.
 */
#ifndef BULLETIN_CHECK_H
#define BULLETIN_CHECK_H

#include "config.h"

/* Returns a sysexits code: EX_OK when all is well, else the code of the
 * first problem found (EX_CONFIG, EX_CANTCREAT, EX_UNAVAILABLE, ...). */
int check_run(const struct config *cfg, const char *store_path, int connect);

#endif
