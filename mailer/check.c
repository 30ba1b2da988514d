/* check.c - see check.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "check.h"
#include "fetch.h"
#include "imap.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "store.h"
#include "template.h"

static void
first(int *ret, int code)
{
	if (*ret == EX_OK)
		*ret = code;
}

static void
check_templates(const struct config *cfg, int *ret)
{
	static const struct { const char *name; enum tpl_mode mode; } t[] = {
		{ "digest.txt", TPL_TEXT }, { "digest.html", TPL_HTML },
		{ "forward.txt", TPL_TEXT }, { "confirm.txt", TPL_TEXT },
	};
	struct tpl *tpl = NULL;
	char *path, *err = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		path = outbox_template(cfg, t[i].name);
		if (tpl_load(path, t[i].mode, &tpl, &err) < 0) {
			fprintf(stderr, "%s\n", err);
			first(ret, EX_CONFIG);
		}
		free(err);
		err = NULL;
		tpl_free(&tpl);
		free(path);
	}
}

/* Opens (creating and migrating if need be) and takes the write lock
 * once, so a read-only file system or directory shows now. */
static void
check_store(const char *path, int *ret)
{
	struct store *st = NULL;
	char *err = NULL;

	if (store_open(path, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		first(ret, EX_CANTCREAT);
		return;
	}
	if (store_begin(st) < 0)
		first(ret, EX_CANTCREAT);
	else
		store_rollback(st);
	store_close(&st);
}

static void
check_imap(const struct config *cfg, int *ret)
{
	struct imap *im = NULL;
	char *ppath, *pass = NULL, *err = NULL;
	enum imap_status s;

	ppath = config_password_path(cfg);
	if (!ppath || config_password_read(ppath, &pass, &err) < 0) {
		free(ppath);
		free(err);
		return;   /* config_check() has reported it */
	}
	free(ppath);
	s = imap_open(&cfg->imap, pass, &im, &err);
	config_password_free(&pass);
	if (s != IMAP_OK) {
		fprintf(stderr, "imap %s: %s\n", cfg->imap.host,
		    err ? err : "cannot log in");
		first(ret, fetch_exit_code(s));
	} else {
		printf("imap %s: logged in as %s\n", cfg->imap.host,
		    cfg->imap.user);
	}
	free(err);
	imap_close(&im);
}

static void
check_smtp(const struct config *cfg, int *ret)
{
	struct smtp *s = NULL;
	char *reply = NULL;
	enum smtp_status st;

	if (outbox_smtp_open(cfg, &s) != EX_OK) {
		first(ret, EX_CONFIG);
		return;
	}
	st = smtp_check(s, &reply);
	if (st != SMTP_OK) {
		fprintf(stderr, "smtp %s: %s\n", cfg->smtp.url,
		    reply ? reply : "cannot connect");
		first(ret, EX_UNAVAILABLE);   /* as send's stopped run */
	} else {
		printf("smtp %s: connected%s\n", cfg->smtp.url,
		    *cfg->smtp.user ? " and authenticated" : "");
	}
	free(reply);
	smtp_close(&s);
}

int
check_run(const struct config *cfg, const char *store_path, int connect)
{
	char *report = NULL;
	int ret = EX_OK, text_ok = 1;

	if (config_check(cfg, &report) < 0) {
		fputs(report, stderr);
		free(report);
		first(&ret, EX_CONFIG);
		text_ok = 0;
	}
	if (cfg->smtp.enabled)   /* only what sends mail renders them */
		check_templates(cfg, &ret);
	check_store(store_path, &ret);
	if (connect && text_ok) {
		if (cfg->imap.enabled)
			check_imap(cfg, &ret);
		if (cfg->smtp.enabled && *cfg->smtp.url)
			check_smtp(cfg, &ret);
	}
	return ret;
}
