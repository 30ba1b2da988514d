/*
 * outbox.c - see outbox.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "util.h"

#define BACKOFF_FIRST (5 * 60)
#define BACKOFF_MAX (6 * 60 * 60)
/* Temporary failures in a row after which the server is taken to be
 * down: the rest stay queued, untouched, for the next run. */
#define MAX_TEMP_IN_A_ROW 3

/* "Name <addr>" or a bare "addr": the address, and the name or NULL.
 * Caller frees both. */
void
outbox_split_from(const char *from, char **addr_r, char **name_r)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n;

	*name_r = NULL;
	if (!lt || !gt) {
		*addr_r = str_squeeze(from, strlen(from));
		return;
	}
	*addr_r = str_squeeze(lt + 1, (size_t)(gt - lt - 1));
	while (*from == ' ' || *from == '"')
		from++;
	n = (size_t)(lt - from);
	while (n && (from[n - 1] == ' ' || from[n - 1] == '"'))
		n--;
	if (n)
		*name_r = xstrndup(from, n);
}

int
outbox_sender(const struct config *cfg, int lenient, struct sender *s,
    char **err_r)
{
	char *addr, *name;
	const struct digest_conf *dc = &cfg->digest;
	const char *from = cfg->smtp.from, *at;

	memset(s, 0, sizeof(*s));
	if (!*from) {
		if (!lenient) {
			*err_r = xstrdup("[smtp] from is not set: who do the "
			    "messages come from?");
			return -1;
		}
		from = "bulletin@localhost";
	}
	/* from may carry its own display name: "Branch Digest <a@b>" */
	outbox_split_from(from, &addr, &name);
	at = strrchr(addr, '@');
	s->from_addr = addr;
	s->from_hdr = xasprintf("%s <%s>", name ? name : dc->name, addr);
	free(name);
	s->domain = xstrdup(*dc->domain ? dc->domain : at ? at + 1 :
	    "localhost");
	/* a bare list id ("probation.example.org") gets the list's name */
	if (!*dc->list_id)
		s->list_id = xasprintf("%s <bulletin.%s>", dc->name,
		    s->domain);
	else if (!strchr(dc->list_id, '<'))
		s->list_id = xasprintf("%s <%s>", dc->name, dc->list_id);
	else
		s->list_id = xstrdup(dc->list_id);
	s->request = xstrdup(*dc->request_address ? dc->request_address :
	    addr);
	return 0;
}

void
outbox_sender_clear(struct sender *s)
{
	free(s->from_addr);
	free(s->from_hdr);
	free(s->list_id);
	free(s->request);
	free(s->domain);
	memset(s, 0, sizeof(*s));
}

char *
outbox_mailto(const char *addr, const char *subject)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(0);
	const unsigned char *p;

	buf_printf(&b, "mailto:%s?subject=", addr);
	for (p = (const unsigned char *)subject; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addc(&b, (char)*p);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 0xf]);
		}
	}
	return buf_detach(&b);
}

char *
outbox_template(const struct config *cfg, const char *name)
{
	return xasprintf("%s/%s", cfg->digest.templates, name);
}

int64_t
outbox_backoff(unsigned attempts)
{
	int64_t d = BACKOFF_FIRST;

	while (attempts-- > 0 && d < BACKOFF_MAX)
		d *= 2;
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

/* Waits so that at most rate messages a second leave. */
static void
pace(unsigned rate)
{
	struct timespec ts;

	if (!rate)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000L / (long)rate;
	if (rate == 1) {
		ts.tv_sec = 1;
		ts.tv_nsec = 0;
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
rc_prev_temp(size_t in_a_row)
{
	return in_a_row >= MAX_TEMP_IN_A_ROW;
}

/* Records one outcome in a transaction of its own.  0 or -1. */
static int
record(struct store *st, int (*fn)(struct store *, int64_t, int64_t,
    const char *), int64_t id, int64_t t, const char *reply)
{
	if (store_begin(st) < 0)
		return -1;
	if (fn(st, id, t, reply) < 0 || store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

static int
mark_failed(struct store *st, int64_t id, int64_t t, const char *reply)
{
	(void)t;
	return store_outbox_failed(st, id, reply);
}

int
outbox_send(const struct config *cfg, struct store *st, int64_t now)
{
	const struct smtp_conf *sc = &cfg->smtp;
	struct smtp_config scfg;
	struct smtp *s = NULL;
	struct store_out o;
	char *pass = NULL, *ppath = NULL, *err = NULL, *reply = NULL;
	char *env = NULL, *env_name = NULL;
	size_t sent = 0, deferred = 0, failed = 0, in_a_row = 0;
	int64_t after = 0;
	enum smtp_status rc;
	int r, any = 0;
	int ret = EX_SOFTWARE;

	memset(&o, 0, sizeof(o));
	/* the envelope takes the bare address of "Name <addr>" */
	outbox_split_from(sc->from, &env, &env_name);
	free(env_name);
	for (;;) {
		store_out_clear(&o);
		r = store_outbox_next(st, now, after, &o);
		if (r < 0)
			goto out;
		if (r == 1)
			break;
		after = o.id;
		if (!s) {
			/* connect only when there is something to send */
			if (!*sc->url || !*sc->from) {
				log_err("messages are queued but [smtp] url "
				    "or from is not set; they stay queued");
				ret = EX_CONFIG;
				goto out;
			}
			if (*sc->user) {
				ppath = config_smtp_password_path(sc);
				if (!ppath) {
					log_err("[smtp] user needs a "
					    "password_file");
					ret = EX_CONFIG;
					goto out;
				}
				if (config_password_read(ppath, &pass, &err)
				    < 0) {
					log_err("%s", err);
					ret = EX_CONFIG;
					goto out;
				}
			}
			memset(&scfg, 0, sizeof(scfg));
			scfg.url = sc->url;
			scfg.tls = (enum smtp_tls)sc->tls;
			scfg.ca_file = *sc->ca_file ? sc->ca_file : NULL;
			scfg.user = sc->user;
			scfg.password = pass;
			scfg.timeout = sc->timeout;
			scfg.allow_plaintext = sc->allow_plaintext;
			if (!(s = smtp_open(&scfg, &err))) {
				log_err("%s", err);
				ret = EX_CONFIG;
				goto out;
			}
		}
		if (any)
			pace(sc->rate);
		any = 1;
		if (rc_prev_temp(in_a_row)) {
			log_warn("%zu temporary failures in a row: the rest "
			    "stay queued for the next run", in_a_row);
			break;
		}
		free(reply);
		reply = NULL;
		rc = smtp_send(s, env, o.rcpt, o.body, o.len, &reply);
		switch (rc) {
		case SMTP_OK:
			/* the window: accepted by the server, not yet marked
			 * here; a crash now sends it again next run */
			if (record(st, store_outbox_sent, o.id,
			    (int64_t)time(NULL), reply ? reply : "") < 0)
				goto out;
			sent++;
			in_a_row = 0;
			break;
		case SMTP_TEMPFAIL:
			log_warn("%s to %s deferred: %s", o.kind, o.rcpt,
			    reply ? reply : "temporary failure");
			if (record(st, store_outbox_retry, o.id, now +
			    outbox_backoff(o.attempts), reply ? reply : "") < 0)
				goto out;
			deferred++;
			in_a_row++;
			break;
		case SMTP_PERMFAIL:
			log_err("%s to %s refused: %s", o.kind, o.rcpt,
			    reply ? reply : "permanent failure");
			if (record(st, mark_failed, o.id, 0,
			    reply ? reply : "") < 0)
				goto out;
			failed++;
			in_a_row = 0;
			break;
		case SMTP_FATAL:
		default:
			log_err("sending stopped: %s", reply ? reply :
			    "fatal SMTP error");
			ret = EX_UNAVAILABLE;
			goto report;
		}
	}
	ret = failed ? EX_DATAERR : deferred ? EX_TEMPFAIL : EX_OK;
report:
	if (any)
		printf("sent %zu, deferred %zu, failed %zu messages\n", sent,
		    deferred, failed);
out:
	free(env);
	store_out_clear(&o);
	smtp_close(&s);
	config_password_free(&pass);
	free(ppath);
	free(reply);
	free(err);
	return ret;
}
