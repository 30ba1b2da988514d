/*
 * outbox.c - see outbox.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

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
	char *path = xasprintf("%s/%s", cfg->digest.templates, name);

	/* a name the local directory lacks comes from the shipped one */
	if (*cfg->digest.shipped && access(path, F_OK) < 0 && errno == ENOENT) {
		free(path);
		path = xasprintf("%s/%s", cfg->digest.shipped, name);
	}
	return path;
}

int
outbox_smtp_open(const struct config *cfg, struct smtp **s_r)
{
	const struct smtp_conf *sc = &cfg->smtp;
	struct smtp_config scfg;
	char *ppath = NULL, *pass = NULL, *err = NULL;
	int ret = EX_CONFIG;

	*s_r = NULL;
	if (!*sc->url || !*sc->from) {
		log_err("[smtp] url or from is not set");
		goto out;
	}
	if (*sc->user) {
		ppath = config_smtp_password_path(cfg);
		if (!ppath) {
			log_err("[smtp] user needs a password_file");
			goto out;
		}
		if (config_password_read(ppath, &pass, &err) < 0) {
			log_err("%s", err);
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
	if (!(*s_r = smtp_open(&scfg, &err))) {
		log_err("%s", err);
		goto out;
	}
	ret = EX_OK;
out:
	config_password_free(&pass);
	free(ppath);
	free(err);
	return ret;
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

/*
 * Sending runs on threads of ours (see outbox_run_start), so that the
 * store's work overlaps the server's, which is most of the time: the
 * sender speaks SMTP and nothing else; the keeper owns a connection to
 * the store, reads the due rows a little ahead, records each outcome and
 * queues what the caller hands over; the syncer fsyncs the log.
 *
 * The sent marks and the disk.  Each outcome is committed in a
 * transaction of its own, and the sender lets the server have the end
 * of a message (the "." after the data, smtp_set_gate) only once the
 * outcomes of all earlier messages are committed: a kill -9 re-sends at
 * most the one message in flight (accepted by the server, not yet
 * marked).  Those commits run with synchronous = NORMAL: they reach the
 * OS at once and wait for no fsync (an fsync costs 0.4 to 0.7 ms here,
 * tens of ms when the disk is busy).  The syncer fsyncs the log
 * (store_sync, through a connection of its own: an fsync covers every
 * write to the file before it, whichever handle made it) once
 * DURABLE_EVERY / 2 marks or DURABLE_MS have gone by since the last one,
 * and the keeper waits before it commits a mark while DURABLE_EVERY - 1
 * are not yet fsynced.  So an OS crash or a power cut rolls back at most
 * DURABLE_EVERY - 1 marks: those messages and the one in flight,
 * DURABLE_EVERY at most, go out a second time on the next run.  None is
 * lost: a rolled-back mark leaves its message queued with its body.
 *
 * Queueing is not fsynced at COMMIT either (FULL would hold the write
 * lock, and with it the next mark and the sender, for the whole fsync:
 * up to 250 ms per batch on a busy disk here), but the keeper asks the
 * syncer at once and hands the sender no row it queued before that
 * fsync (held_by()): a message is never sent before its queueing is on
 * disk.  An OS crash can only undo the queueing of messages not sent
 * yet, from the last few milliseconds, and the digest run it interrupts
 * queues them again when re-run, as it does those not rendered yet.  At
 * the end of a run the syncer fsyncs once more: what a finished run
 * recorded stands as if every commit had been FULL.
 */
#define DURABLE_EVERY 32
#define DURABLE_MS 200

/* Due rows read ahead; outcomes waiting to be recorded; queueing
 * commits waiting for the syncer. */
#define PREFETCH 2
#define OUTCOMES 8
#define PENDING 64
/* Messages handed over and not yet queued: the caller waits beyond
 * RUN_MAX (memory stays flat, whatever the number of subscribers); the
 * keeper queues them RUN_BATCH at a time while the sender has rows to
 * send, all at once when it has not, and not while BACKLOG of those it
 * queued wait to be sent: the caller renders at the pace of the
 * server, on a core the server would otherwise have to share, and the
 * space of the bodies sent is reused at once (a queue of 10,000 was
 * half a gigabyte of store). */
#define RUN_MAX 32
#define RUN_BATCH 16
#define BACKLOG 64

/* A message handed over, not in the store yet; owned. */
struct handed {
	int64_t sub_id, msg_id, created;
	char *kind, *key, *rcpt, *body;
	size_t len;
};

/* What the server said to one message, for the keeper to record. */
struct outcome {
	int64_t id;
	enum smtp_status st;       /* SMTP_OK, _TEMPFAIL or _PERMFAIL */
	unsigned attempts;
	int64_t when;              /* accepted at */
	char *reply;               /* owned */
};

struct outbox_run {
	const struct config *cfg;
	struct store *st;          /* the keeper's connection */
	struct store *sync_st;     /* the syncer's */
	int64_t now;
	pthread_t sender, keeper, syncer;
	pthread_mutex_t mu;        /* everything below up to the sender's */
	pthread_cond_t to_keeper;  /* an outcome, a message handed over, a
				      row taken, done, the sender ended */
	pthread_cond_t to_sender;  /* a row, a mark committed, eof, broken */
	pthread_cond_t to_caller;  /* room to hand over, broken */
	pthread_cond_t to_syncer;  /* marks to fsync, or stop */
	/* caller -> keeper */
	struct handed v[RUN_MAX];
	size_t n;
	int done;                  /* nothing more will be handed over */
	int abort;                 /* ... and the sender stops */
	/* keeper -> sender */
	struct store_out pf[PREFETCH];
	size_t pf_n;
	int eof;                   /* no more rows will come */
	size_t marked;             /* outcomes committed */
	int broken;                /* a store error: nothing more is
				      queued or recorded */
	/* sender -> keeper */
	struct outcome out[OUTCOMES];
	size_t out_n, posted;
	int sender_done;
	/* the sender's own */
	struct smtp *s;            /* opened for the first message */
	char *env;                 /* the envelope sender */
	size_t sent, deferred, failed, in_a_row;
	int any;                   /* a message was tried */
	int stopped, ret;          /* ret: the exit code once stopped, 0
				      for the one the counts give */
	/* keeper <-> syncer */
	int64_t commits;           /* the keeper's, counted */
	int64_t durable;           /* those fsynced */
	int sync_wanted, sync_stop;
	/* the keeper's own */
	int64_t lazy[DURABLE_EVERY]; /* the numbers of the marks committed
				      and maybe not fsynced, oldest first */
	size_t n_lazy;
	struct {
		int64_t commit;    /* its number */
		int64_t lo, hi;    /* the ids it queued */
	} pend[PENDING];           /* queueing commits maybe not fsynced */
	size_t n_pend;
	size_t queued, recorded;   /* rows queued, outcomes recorded */
	int64_t after;             /* the last row read */
};

static void
handed_clear(struct handed *h)
{
	free(h->kind);
	free(h->key);
	free(h->rcpt);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

/* --- the keeper ---------------------------------------------------------- */

/* Forgets the marks and the queueing fsynced meanwhile.  With ob->mu
 * held. */
static void
keeper_forget(struct outbox_run *ob)
{
	size_t k = 0;

	while (k < ob->n_lazy && ob->lazy[k] <= ob->durable)
		k++;
	memmove(ob->lazy, ob->lazy + k, (ob->n_lazy - k) * sizeof(*ob->lazy));
	ob->n_lazy -= k;
	for (k = 0; k < ob->n_pend && ob->pend[k].commit <= ob->durable; k++)
		;
	memmove(ob->pend, ob->pend + k, (ob->n_pend - k) * sizeof(*ob->pend));
	ob->n_pend -= k;
}

/* 1 when row id may have been queued by a commit not fsynced yet (a row
 * of another process between two of ours waits as well).  With ob->mu
 * held, after keeper_forget(). */
static int
held_by(const struct outbox_run *ob, int64_t id)
{
	return ob->n_pend && id >= ob->pend[0].lo &&
	    id <= ob->pend[ob->n_pend - 1].hi;
}

/* The syncer is wanted.  With ob->mu held. */
static void
keeper_want_sync(struct outbox_run *ob)
{
	ob->sync_wanted = 1;
	pthread_cond_signal(&ob->to_syncer);
}

/* Records one outcome in a transaction of its own, not fsynced (see
 * above).  0 or -1. */
static int
record(struct outbox_run *ob, const struct outcome *oc)
{
	const char *reply = oc->reply ? oc->reply : "";
	int r;

	/* at most DURABLE_EVERY - 1 marks that an OS crash could undo */
	pthread_mutex_lock(&ob->mu);
	keeper_forget(ob);
	while (ob->n_lazy >= DURABLE_EVERY - 1 && !ob->broken) {
		keeper_want_sync(ob);
		pthread_cond_wait(&ob->to_keeper, &ob->mu);
		keeper_forget(ob);
	}
	r = ob->broken;
	pthread_mutex_unlock(&ob->mu);
	if (r)
		return -1;
	if (store_begin(ob->st) < 0)
		return -1;
	if (oc->st == SMTP_OK)
		r = store_outbox_sent(ob->st, oc->id, oc->when, reply);
	else if (oc->st == SMTP_TEMPFAIL)
		r = store_outbox_retry(ob->st, oc->id, ob->now +
		    outbox_backoff(oc->attempts), reply);
	else
		r = store_outbox_failed(ob->st, oc->id, reply);
	if (r < 0 || store_commit(ob->st) < 0) {
		store_rollback(ob->st);
		return -1;
	}
	pthread_mutex_lock(&ob->mu);
	ob->lazy[ob->n_lazy++] = ++ob->commits;
	if (ob->n_lazy >= DURABLE_EVERY / 2)
		keeper_want_sync(ob);
	pthread_mutex_unlock(&ob->mu);
	return 0;
}

/* Queues v[0..n) in one transaction and asks for its fsync (see
 * above).  Frees them either way.  0 or -1. */
static int
queue_handed(struct outbox_run *ob, struct handed *v, size_t n)
{
	int64_t hi;
	size_t i, k = 0;
	int r, ret = -1;

	if (store_begin(ob->st) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* 1: queued meanwhile by another run; UNIQUE kept it once */
		r = store_outbox_add(ob->st, v[i].sub_id, v[i].kind, v[i].key,
		    v[i].msg_id, v[i].rcpt, v[i].body, v[i].len, v[i].created);
		if (r < 0) {
			store_rollback(ob->st);
			goto out;
		}
		k += r == 0;
	}
	if (store_commit(ob->st) < 0) {
		store_rollback(ob->st);
		goto out;
	}
	ob->queued += k;
	/* one transaction: its ids follow each other */
	hi = store_last_id(ob->st);
	pthread_mutex_lock(&ob->mu);
	ob->commits++;
	if (k) {
		ob->pend[ob->n_pend].commit = ob->commits;
		ob->pend[ob->n_pend].lo = hi - (int64_t)k + 1;
		ob->pend[ob->n_pend].hi = hi;
		ob->n_pend++;
		keeper_want_sync(ob);
	}
	pthread_mutex_unlock(&ob->mu);
	ret = 0;
out:
	for (i = 0; i < n; i++)
		handed_clear(&v[i]);
	return ret;
}

/*
 * The keeper: records outcomes first (the sender may be waiting for
 * one), then queues what was handed over or reads the next due row
 * (oldest first, as outbox_send() documents), which goes to the sender
 * once its queueing is fsynced.  It ends when the caller is done,
 * everything handed over is queued, the sender has ended and every
 * outcome is recorded.  A store error ends it at once (broken).
 */
static void *
keeper_main(void *arg)
{
	struct outbox_run *ob = arg;
	struct handed batch[RUN_MAX];
	struct outcome oc;
	struct store_out o;     /* read, not handed to the sender yet */
	enum { MARK, QUEUE, READ, END } act;
	size_t nb = 0;
	int paced;      /* the sender is BACKLOG behind */
	int have = 0;   /* o holds a row */
	int dry = 0;    /* the last read found nothing due, nothing queued
			   since */
	int want, r;

	memset(&o, 0, sizeof(o));
	for (;;) {
		pthread_mutex_lock(&ob->mu);
		for (;;) {
			/* the syncer failed: nothing can be recorded */
			if (ob->broken) {
				act = END;
				break;
			}
			want = !ob->sender_done && !ob->eof &&
			    ob->pf_n < PREFETCH;
			if (ob->out_n) {
				oc = ob->out[0];
				memmove(ob->out, ob->out + 1, --ob->out_n *
				    sizeof(*ob->out));
				act = MARK;
				break;
			}
			keeper_forget(ob);
			paced = !ob->sender_done &&
			    ob->queued >= ob->recorded + BACKLOG;
			if (ob->n && ob->n_pend == PENDING)
				keeper_want_sync(ob);
			else if (ob->n && !paced && (ob->n >= RUN_BATCH ||
			    ob->done || (want && dry && !have))) {
				nb = ob->n;
				memcpy(batch, ob->v, nb * sizeof(*batch));
				ob->n = 0;
				pthread_cond_signal(&ob->to_caller);
				act = QUEUE;
				break;
			}
			if (want && have) {
				if (!held_by(ob, o.id)) {
					ob->pf[ob->pf_n++] = o;
					memset(&o, 0, sizeof(o));
					have = 0;
					pthread_cond_signal(&ob->to_sender);
					continue;
				}
				keeper_want_sync(ob);
			} else if (want && !dry) {
				act = READ;
				break;
			} else if (want && ob->done && !ob->n) {
				/* dry, and nothing more can be queued */
				ob->eof = 1;
				pthread_cond_signal(&ob->to_sender);
				continue;
			}
			if (ob->sender_done && ob->done && !ob->n) {
				act = END;
				break;
			}
			pthread_cond_wait(&ob->to_keeper, &ob->mu);
		}
		pthread_mutex_unlock(&ob->mu);
		switch (act) {
		case MARK:
			r = record(ob, &oc);
			free(oc.reply);
			if (r < 0)
				goto broken;
			ob->recorded++;
			pthread_mutex_lock(&ob->mu);
			ob->marked++;
			pthread_cond_signal(&ob->to_sender);
			pthread_mutex_unlock(&ob->mu);
			break;
		case QUEUE:
			if (queue_handed(ob, batch, nb) < 0)
				goto broken;
			dry = 0;
			break;
		case READ:
			r = store_outbox_next(ob->st, ob->now, ob->after, &o);
			if (r < 0)
				goto broken;
			if (r == 1) {
				dry = 1;
				break;
			}
			ob->after = o.id;
			have = 1;
			break;
		case END:
			store_out_clear(&o);
			return NULL;
		}
	}
broken:
	store_out_clear(&o);
	pthread_mutex_lock(&ob->mu);
	ob->broken = 1;
	pthread_cond_broadcast(&ob->to_sender);
	pthread_cond_broadcast(&ob->to_caller);
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

/* --- the syncer ---------------------------------------------------------- */

/*
 * Fsyncs the log when the keeper asks (DURABLE_EVERY / 2 marks), after
 * DURABLE_MS with anything committed since the last time, and once more
 * when told to stop.  A failed fsync breaks the run: the marks could
 * not be bounded any more.
 */
static void *
syncer_main(void *arg)
{
	struct outbox_run *ob = arg;
	struct timespec until;
	int64_t c;
	int r, stop;

	pthread_mutex_lock(&ob->mu);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += DURABLE_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		r = 0;
		while (!ob->sync_wanted && !ob->sync_stop && r == 0)
			r = pthread_cond_timedwait(&ob->to_syncer, &ob->mu,
			    &until);
		stop = ob->sync_stop;
		ob->sync_wanted = 0;
		c = ob->commits;
		if (c <= ob->durable) {
			if (stop)
				break;
			continue;
		}
		pthread_mutex_unlock(&ob->mu);
		r = store_sync(ob->sync_st);
		pthread_mutex_lock(&ob->mu);
		if (r < 0) {
			ob->broken = 1;
			pthread_cond_broadcast(&ob->to_sender);
			pthread_cond_broadcast(&ob->to_caller);
			pthread_cond_broadcast(&ob->to_keeper);
			break;
		}
		if (c > ob->durable)
			ob->durable = c;
		pthread_cond_signal(&ob->to_keeper);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

/* --- the sender ---------------------------------------------------------- */

/* smtp_set_gate(): the end of a message only once every earlier
 * outcome is recorded.  0, or -1 when the keeper broke. */
static int
sender_gate(void *arg)
{
	struct outbox_run *ob = arg;
	int ret;

	pthread_mutex_lock(&ob->mu);
	while (ob->marked < ob->posted && !ob->broken)
		pthread_cond_wait(&ob->to_sender, &ob->mu);
	ret = ob->broken ? -1 : 0;
	pthread_mutex_unlock(&ob->mu);
	return ret;
}

/* Hands the keeper an outcome to record; takes reply. */
static void
post(struct outbox_run *ob, const struct store_out *o, enum smtp_status st,
    char *reply)
{
	struct outcome oc;

	oc.id = o->id;
	oc.st = st;
	oc.attempts = o->attempts;
	oc.when = (int64_t)time(NULL);
	oc.reply = reply;
	pthread_mutex_lock(&ob->mu);
	while (ob->out_n >= OUTCOMES && !ob->broken)
		pthread_cond_wait(&ob->to_sender, &ob->mu);
	if (!ob->broken) {
		ob->out[ob->out_n++] = oc;
		ob->posted++;
		pthread_cond_signal(&ob->to_keeper);
		oc.reply = NULL;
	}
	pthread_mutex_unlock(&ob->mu);
	free(oc.reply);
}

/* Sends o and hands its outcome over; sets ob->stopped (and ob->ret)
 * when sending must end: [smtp] unusable, a fatal SMTP error, the
 * server apparently down. */
static void
send_one(struct outbox_run *ob, const struct store_out *o)
{
	const struct smtp_conf *sc = &ob->cfg->smtp;
	char *reply = NULL;
	enum smtp_status rc;
	int r;

	if (!ob->s) {
		/* connect only when there is something to send */
		if (!*sc->url || !*sc->from) {
			log_err("messages are queued but [smtp] url or from "
			    "is not set; they stay queued");
			ob->ret = EX_CONFIG;
			ob->stopped = 1;
			return;
		}
		if ((r = outbox_smtp_open(ob->cfg, &ob->s)) != EX_OK) {
			ob->ret = r;
			ob->stopped = 1;
			return;
		}
		smtp_set_gate(ob->s, sender_gate, ob);
	}
	if (ob->any)
		pace(sc->rate);
	ob->any = 1;
	if (rc_prev_temp(ob->in_a_row)) {
		log_warn("%zu temporary failures in a row: the rest stay "
		    "queued for the next run", ob->in_a_row);
		ob->stopped = 1;
		return;
	}
	rc = smtp_send(ob->s, ob->env, o->rcpt, o->body, o->len, &reply);
	switch (rc) {
	case SMTP_OK:
		/* the window: accepted by the server, not yet marked; a
		 * crash now sends it again next run */
		post(ob, o, rc, reply);
		ob->sent++;
		ob->in_a_row = 0;
		break;
	case SMTP_TEMPFAIL:
		log_warn("%s to %s deferred: %s", o->kind, o->rcpt,
		    reply ? reply : "temporary failure");
		post(ob, o, rc, reply);
		ob->deferred++;
		ob->in_a_row++;
		break;
	case SMTP_PERMFAIL:
		log_err("%s to %s refused: %s", o->kind, o->rcpt,
		    reply ? reply : "permanent failure");
		post(ob, o, rc, reply);
		ob->failed++;
		ob->in_a_row = 0;
		break;
	case SMTP_FATAL:
	default:
		log_err("sending stopped: %s", reply ? reply :
		    "fatal SMTP error");
		free(reply);
		ob->ret = EX_UNAVAILABLE;
		ob->stopped = 1;
		break;
	}
}

/* The sender: the keeper's rows in order, until eof, a stop, an abort
 * or a broken keeper. */
static void *
sender_main(void *arg)
{
	struct outbox_run *ob = arg;
	struct store_out o;

	for (;;) {
		pthread_mutex_lock(&ob->mu);
		while (!ob->pf_n && !ob->eof && !ob->broken && !ob->abort)
			pthread_cond_wait(&ob->to_sender, &ob->mu);
		if (!ob->pf_n || ob->broken || ob->abort) {
			pthread_mutex_unlock(&ob->mu);
			break;
		}
		o = ob->pf[0];
		memmove(ob->pf, ob->pf + 1, --ob->pf_n * sizeof(*ob->pf));
		pthread_cond_signal(&ob->to_keeper);
		pthread_mutex_unlock(&ob->mu);
		send_one(ob, &o);
		store_out_clear(&o);
		if (ob->stopped)
			break;
	}
	/* QUIT now: the keeper may go on queueing for a while */
	smtp_close(&ob->s);
	pthread_mutex_lock(&ob->mu);
	ob->sender_done = 1;
	pthread_cond_signal(&ob->to_keeper);
	pthread_mutex_unlock(&ob->mu);
	return NULL;
}

/* --- the run ------------------------------------------------------------- */

static void
run_free(struct outbox_run *ob)
{
	size_t i;

	for (i = 0; i < ob->n; i++)
		handed_clear(&ob->v[i]);
	for (i = 0; i < ob->pf_n; i++)
		store_out_clear(&ob->pf[i]);
	for (i = 0; i < ob->out_n; i++)
		free(ob->out[i].reply);
	smtp_close(&ob->s);
	free(ob->env);
	store_close(&ob->st);
	store_close(&ob->sync_st);
	pthread_cond_destroy(&ob->to_syncer);
	pthread_cond_destroy(&ob->to_caller);
	pthread_cond_destroy(&ob->to_sender);
	pthread_cond_destroy(&ob->to_keeper);
	pthread_mutex_destroy(&ob->mu);
	free(ob);
}

/* Stops the syncer (after a last fsync) and waits for it; -1 when that
 * fsync failed.  The keeper must have ended. */
static int
run_stop(struct outbox_run *ob)
{
	pthread_mutex_lock(&ob->mu);
	ob->sync_stop = 1;
	pthread_cond_signal(&ob->to_syncer);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->syncer, NULL);
	return ob->commits > ob->durable ? -1 : 0;
}

int
outbox_run_start(const struct config *cfg, struct store *st, int64_t now,
    struct outbox_run **ob_r)
{
	struct outbox_run *ob;
	char *err = NULL, *name;
	int r;

	*ob_r = NULL;
	if (smtp_init(&err) < 0) {
		log_err("%s", err);
		free(err);
		return -1;
	}
	ob = xcalloc(1, sizeof(*ob));
	ob->cfg = cfg;
	ob->now = now;
	/* the caller's connection is left as it is (and only read from
	 * meanwhile); the syncer's has found the log: store_open reads */
	if (store_open(store_path(st), &ob->st, &err) < 0 ||
	    store_open(store_path(st), &ob->sync_st, &err) < 0) {
		log_err("%s", err);
		free(err);
		store_close(&ob->st);
		free(ob);
		return -1;
	}
	/* the envelope takes the bare address of "Name <addr>" */
	outbox_split_from(cfg->smtp.from, &ob->env, &name);
	free(name);
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->to_keeper, NULL);
	pthread_cond_init(&ob->to_sender, NULL);
	pthread_cond_init(&ob->to_caller, NULL);
	pthread_cond_init(&ob->to_syncer, NULL);
	/* on failure (logged) the marks stay FULL: slower, not wrong */
	store_set_durable(ob->st, 0);
	/* and the checkpoints stay at commit */
	store_checkpointer_start(ob->st);
	if ((r = pthread_create(&ob->syncer, NULL, syncer_main, ob)) != 0) {
		log_err("cannot start a thread: %s", strerror(r));
		run_free(ob);
		return -1;
	}
	if ((r = pthread_create(&ob->keeper, NULL, keeper_main, ob)) != 0) {
		log_err("cannot start a thread: %s", strerror(r));
		run_stop(ob);
		run_free(ob);
		return -1;
	}
	if ((r = pthread_create(&ob->sender, NULL, sender_main, ob)) != 0) {
		log_err("cannot start a thread: %s", strerror(r));
		pthread_mutex_lock(&ob->mu);
		ob->done = ob->sender_done = 1;
		pthread_cond_signal(&ob->to_keeper);
		pthread_mutex_unlock(&ob->mu);
		pthread_join(ob->keeper, NULL);
		run_stop(ob);
		run_free(ob);
		return -1;
	}
	*ob_r = ob;
	return 0;
}

int
outbox_run_queue(struct outbox_run *ob, int64_t sub_id, const char *kind,
    const char *key, int64_t msg_id, const char *rcpt, char *body,
    size_t len, int64_t now)
{
	struct handed h;
	int ret = -1;

	h.sub_id = sub_id;
	h.msg_id = msg_id;
	h.created = now;
	h.kind = xstrdup(kind);
	h.key = xstrdup(key);
	h.rcpt = xstrdup(rcpt);
	h.body = body;
	h.len = len;
	pthread_mutex_lock(&ob->mu);
	while (ob->n >= RUN_MAX && !ob->broken)
		pthread_cond_wait(&ob->to_caller, &ob->mu);
	if (!ob->broken) {
		ob->v[ob->n++] = h;
		/* the keeper takes them by the batch, or the first one when
		 * it has nothing else to do */
		if (ob->n == 1 || ob->n >= RUN_BATCH)
			pthread_cond_signal(&ob->to_keeper);
		ret = 0;
	}
	pthread_mutex_unlock(&ob->mu);
	if (ret < 0)
		handed_clear(&h);
	return ret;
}

int
outbox_run_finish(struct outbox_run **obp, int abort)
{
	struct outbox_run *ob = *obp;
	int ret;

	if (!ob)
		return EX_OK;
	pthread_mutex_lock(&ob->mu);
	ob->done = 1;
	ob->abort = abort;
	pthread_cond_broadcast(&ob->to_keeper);
	pthread_cond_broadcast(&ob->to_sender);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->sender, NULL);
	pthread_join(ob->keeper, NULL);
	/* the store could not be written (a full disk, say) */
	if (run_stop(ob) < 0 || ob->broken)
		ob->ret = EX_IOERR;
	ret = ob->ret ? ob->ret : ob->failed ? EX_DATAERR : ob->deferred ?
	    EX_TEMPFAIL : EX_OK;
	/* not after a store error, as before */
	if (ob->any && ret != EX_IOERR)
		printf("sent %zu, deferred %zu, failed %zu messages\n",
		    ob->sent, ob->deferred, ob->failed);
	run_free(ob);
	*obp = NULL;
	return ret;
}

int
outbox_send(const struct config *cfg, struct store *st, int64_t now)
{
	struct outbox_run *ob;

	if (outbox_run_start(cfg, st, now, &ob) < 0)
		return EX_SOFTWARE;
	return outbox_run_finish(&ob, 0);
}
