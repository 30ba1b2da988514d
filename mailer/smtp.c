/*
 * smtp.c - see smtp.h.  Only libcurl here (the GnuTLS flavour on Debian).
 *
 * One easy handle per struct smtp: libcurl keeps the connection in the
 * handle's cache between curl_easy_perform() calls, so many messages
 * share one SMTP session (MAIL FROM / RCPT TO / DATA per message).  After
 * a failed transfer (a 4xx/5xx to RCPT, a dropped connection) libcurl
 * closes that connection and the next message opens a new one.  We
 * insist on that (CURLOPT_FRESH_CONNECT after any failure): 7.88 with
 * GnuTLS was seen reusing a connection the server had dropped mid-DATA,
 * failing the next message too; CURLOPT_MAXCONNECTS 1 makes the new
 * connection evict the dead one from the cache.
 *
 * The server's replies reach us through the header callback (libcurl
 * passes every SMTP response line there); we keep the last one for the
 * caller, and the first 4xx/5xx one: after a refusal libcurl sends QUIT,
 * so the last reply is then "221 Bye".  CURLOPT_VERBOSE is never set: it
 * would print the AUTH exchange.
 *
 * libcurl is loaded on the first smtp_init() or smtp_open(), not linked:
 * it brings some twenty libraries of its own (libssh2 and libcrypto,
 * Kerberos, LDAP, nghttp2, ...) whose pages would cost every command,
 * `fetch` first, about 3 MB of resident memory for nothing.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "smtp.h"
#include "util.h"

#define SMTP_REPLY_MAX 1024     /* bytes of the last server reply kept */
#define SMTP_TIMEOUT_DEFAULT 60 /* seconds, when cfg->timeout is 0 */

struct smtp {
	CURL *curl;                     /* owned; its cache holds the connection */
	char errbuf[CURL_ERROR_SIZE];   /* libcurl's error text, per transfer */
	struct buf reply;               /* the server's last reply */
	struct buf failed;              /* its first 4xx/5xx reply, if any */
	int reply_done;                 /* the last line seen ended a reply */
	int fresh;                      /* the last transfer failed */
	/* the message being uploaded: borrowed for one smtp_send() */
	const char *msg;
	size_t len, off;
	int (*gate)(void *);            /* see smtp_set_gate() */
	void *gate_ctx;
	int gated;                      /* gate passed for this message */
};

/* The library curl.h came with (the Makefile asks the linker). */
#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif

/* The libcurl functions we call, looked up once by smtp_global_init(). */
static struct {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_set) *url_set;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_strerror) *url_strerror;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_free) *free;
} lc;

static int curl_ready;

/*
 * libcurl's global state is set up once, on the first smtp_open() or
 * smtp_init().  This is not thread-safe in general: the main thread
 * calls smtp_init() before it starts a sending thread (outbox.c), so
 * the first call happens before any other thread could use libcurl.  It
 * is never torn down: the process exits.
 */
static int
smtp_global_init(char **err_r)
{
	static const struct {
		const char *name;
		void **fn;
	} syms[] = {
#define SYM(f) { "curl_" #f, (void **)&lc.f }
		SYM(global_init), SYM(easy_init), SYM(easy_setopt),
		SYM(easy_perform), SYM(easy_getinfo), SYM(easy_cleanup),
		SYM(easy_strerror), SYM(slist_append), SYM(slist_free_all),
		SYM(url), SYM(url_set), SYM(url_get), SYM(url_strerror),
		SYM(url_cleanup), SYM(free),
#undef SYM
	};
	void *lib;
	size_t i;
	CURLcode r;

	if (curl_ready)
		return 0;
	/* kept loaded: the process exits */
	if (!(lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		*err_r = xasprintf("cannot load libcurl: %s", dlerror());
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(syms); i++) {
		if (!(*syms[i].fn = dlsym(lib, syms[i].name))) {
			*err_r = xasprintf("cannot load libcurl: no %s in '%s'",
			    syms[i].name, CURL_SONAME);
			return -1;
		}
	}
	if ((r = lc.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		*err_r = xasprintf("cannot initialise libcurl: %s",
		    lc.easy_strerror(r));
		return -1;
	}
	curl_ready = 1;
	return 0;
}

int
smtp_init(char **err_r)
{
	return smtp_global_init(err_r);
}

/* 1 when host (as libcurl's URL parser returns it: IPv6 in brackets)
 * names this machine: 127.0.0.0/8, ::1, ::ffff:127.x, localhost. */
static int
host_is_loopback(const char *host)
{
	unsigned char a[16];
	char v6[64];
	size_t n = strlen(host);

	if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (n < 3 || host[0] != '[' || host[n - 1] != ']' || n - 2 >= sizeof(v6))
		return 0;
	memcpy(v6, host + 1, n - 2);
	v6[n - 2] = '\0';
	if (inet_pton(AF_INET6, v6, a) != 1)
		return 0;
	static const unsigned char lo[16] = { [15] = 1 };
	static const unsigned char mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (!memcmp(a, lo, 16))
		return 1;
	return !memcmp(a, mapped, 12) && a[12] == 127;
}

/* An address bound for MAIL FROM / RCPT TO: no control characters (CR,
 * LF, NUL and the rest), no DEL, no angle brackets - libcurl adds those. */
static int
addr_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
	return 1;
}

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *data)
{
	struct smtp *s = data;
	size_t n = size * nmemb, left = s->len - s->off;

	/* the end of the data: libcurl sends the final "." once we say so,
	 * and the server takes the message only then */
	if (!left && !s->gated) {
		s->gated = 1;
		if (s->gate && s->gate(s->gate_ctx) != 0)
			return CURL_READFUNC_ABORT;
	}
	if (n > left)
		n = left;
	memcpy(dst, s->msg + s->off, n);
	s->off += n;
	return n;
}

/* Every server response line arrives here ("250-..." continues a reply,
 * "250 ..." ends it).  The reply in progress replaces the previous one. */
static size_t
header_cb(char *line, size_t size, size_t nmemb, void *data)
{
	struct smtp *s = data;
	size_t n = size * nmemb, len = n;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	/* the answer to QUIT, here or on an old connection closed during
	 * this transfer, says nothing about the message */
	if (len >= 3 && !memcmp(line, "221", 3) && (len == 3 || line[3] == ' '))
		return n;
	if (s->reply_done) {
		buf_reset(&s->reply);
		s->reply_done = 0;
	}
	if (s->reply.len)
		buf_addc(&s->reply, ' ');
	/* over the ceiling: the reply is cut, not the transfer */
	if (buf_add(&s->reply, line, len) < 0 && s->reply.len < s->reply.max)
		buf_add(&s->reply, line, s->reply.max - s->reply.len - 1);
	if (len < 4 || line[3] != '-') {
		s->reply_done = 1;
		if (!s->failed.len && (s->reply.data[0] == '4' ||
		    s->reply.data[0] == '5'))
			buf_add(&s->failed, s->reply.data, s->reply.len);
	}
	return n;
}

#define SETOPT(opt, val)                                                     \
	do {                                                                 \
		if ((r = lc.easy_setopt(s->curl, opt, val)) != CURLE_OK) {   \
			*err_r = xasprintf("cannot set %s: %s", #opt,        \
			    lc.easy_strerror(r));                            \
			goto fail;                                           \
		}                                                            \
	} while (0)

struct smtp *
smtp_open(const struct smtp_config *cfg, char **err_r)
{
	struct smtp *s = NULL;
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *part = NULL, *url = NULL;
	long timeout = cfg->timeout ? (long)cfg->timeout : SMTP_TIMEOUT_DEFAULT;
	CURLcode r;
	CURLUcode ur;

	*err_r = NULL;
	if (smtp_global_init(err_r) < 0)
		return NULL;
	if (!cfg->url || !*cfg->url) {
		*err_r = xstrdup("no smtp url configured");
		goto fail;
	}
	if (!(u = lc.url())) {
		*err_r = xstrdup("out of memory");
		goto fail;
	}
	if ((ur = lc.url_set(u, CURLUPART_URL, cfg->url, 0)) != CURLUE_OK) {
		/* not echoed when it may hold a password */
		*err_r = xasprintf("bad smtp url '%s': %s",
		    strchr(cfg->url, '@') ? "..." : cfg->url,
		    lc.url_strerror(ur));
		goto fail;
	}
	/* credentials come from user/password_file, never the URL (and the
	 * URL may be logged) */
	if (lc.url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    lc.url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
		*err_r = xstrdup("the smtp url must not hold a user or password;"
		    " use user and password_file");
		goto fail;
	}
	if (lc.url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    lc.url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		*err_r = xasprintf("bad smtp url '%s'", cfg->url);
		goto fail;
	}
	if (strcasecmp(scheme, "smtp") && strcasecmp(scheme, "smtps")) {
		*err_r = xasprintf("smtp url '%s': scheme must be smtp:// or "
		    "smtps://", cfg->url);
		goto fail;
	}
	switch (cfg->tls) {
	case SMTP_TLS_SMTPS:
		/* implicit TLS whatever the URL said */
		if (lc.url_set(u, CURLUPART_SCHEME, "smtps", 0) != CURLUE_OK) {
			*err_r = xstrdup("out of memory");
			goto fail;
		}
		break;
	case SMTP_TLS_STARTTLS:
	case SMTP_TLS_NONE:
		if (!strcasecmp(scheme, "smtps")) {
			*err_r = xasprintf("smtp url '%s' is smtps:// but tls is "
			    "%s; use tls = smtps", cfg->url,
			    cfg->tls == SMTP_TLS_NONE ? "none" : "starttls");
			goto fail;
		}
		break;
	default:
		*err_r = xstrdup("bad smtp tls mode");
		goto fail;
	}
	if (cfg->tls == SMTP_TLS_NONE && !cfg->allow_plaintext &&
	    !host_is_loopback(host)) {
		*err_r = xasprintf("refusing plain text smtp to '%s' (not "
		    "loopback); use tls = starttls or smtps, or allow_plaintext",
		    host);
		goto fail;
	}
	if (cfg->ca_file && *cfg->ca_file && access(cfg->ca_file, R_OK) < 0) {
		*err_r = xasprintf("cannot read ca_file '%s'", cfg->ca_file);
		goto fail;
	}
	if (lc.url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		*err_r = xasprintf("bad smtp url '%s'", cfg->url);
		goto fail;
	}

	s = xcalloc(1, sizeof(*s));
	buf_init(&s->reply, SMTP_REPLY_MAX);
	buf_init(&s->failed, SMTP_REPLY_MAX);
	s->reply_done = 1;
	if (!(s->curl = lc.easy_init())) {
		*err_r = xstrdup("cannot initialise libcurl");
		goto fail;
	}
	SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	/* one connection: a fresh one evicts (closes) the old one */
	SETOPT(CURLOPT_MAXCONNECTS, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT, timeout);
	/* each reply within timeout; less than a byte a second for timeout
	 * seconds is a stalled connection */
	SETOPT(CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout);
	SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
	SETOPT(CURLOPT_LOW_SPEED_TIME, timeout);
	/* _ALL: STARTTLS must succeed, no quiet fallback to plain text */
	SETOPT(CURLOPT_USE_SSL, (long)(cfg->tls == SMTP_TLS_NONE ?
	    CURLUSESSL_NONE : CURLUSESSL_ALL));
	/* verification stays on (libcurl's default); ca_file is added to
	 * the system store (CURLOPT_CAPATH stays /etc/ssl/certs) */
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file && *cfg->ca_file)
		SETOPT(CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->user && *cfg->user) {
		SETOPT(CURLOPT_USERNAME, cfg->user);
		SETOPT(CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	SETOPT(CURLOPT_UPLOAD, 1L);
	SETOPT(CURLOPT_READFUNCTION, read_cb);
	SETOPT(CURLOPT_READDATA, s);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, s);
	/* one recipient per transfer, so CURLOPT_MAIL_RCPT_ALLOWFAILS
	 * (ALLLOWFAILS in 7.88) would change nothing */
	goto out;
fail:
	smtp_close(&s);
out:
	lc.free(url);
	lc.free(part);
	lc.free(host);
	lc.free(scheme);
	lc.url_cleanup(u);
	return s;
}

/* The status of a failed transfer.  TLS, login and configuration errors
 * first: a 535 after AUTH is a login failure, not a refused message. */
static enum smtp_status
classify(CURLcode r, long code)
{
	switch (r) {
	case CURLE_OK:
		return SMTP_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_FAILED_INIT:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_USE_SSL_FAILED:            /* no STARTTLS offered */
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
		return SMTP_FATAL;
	default:
		break;
	}
	/* 530: authentication required and we have no (accepted) login;
	 * every later message would get the same */
	if (code == 530)
		return SMTP_FATAL;
	if (code >= 400 && code < 500)
		return SMTP_TEMPFAIL;
	if (code >= 500 && code < 600)
		return SMTP_PERMFAIL;
	/* connection refused or lost, timeouts, name lookup, anything
	 * else: try again later */
	return SMTP_TEMPFAIL;
}

enum smtp_status
smtp_send(struct smtp *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char **reply_r)
{
	struct curl_slist *rcpts = NULL;
	enum smtp_status st;
	CURLcode r;
	long code = 0;

	*reply_r = NULL;
	if (!from || !addr_ok(from)) {
		*reply_r = xstrdup("bad envelope sender (control character or "
		    "angle bracket)");
		return SMTP_PERMFAIL;
	}
	if (!rcpt || !*rcpt || !addr_ok(rcpt)) {
		*reply_r = xstrdup("bad recipient address (empty, control "
		    "character or angle bracket)");
		return SMTP_PERMFAIL;
	}
	if (!(rcpts = lc.slist_append(NULL, rcpt))) {
		*reply_r = xstrdup("out of memory");
		return SMTP_TEMPFAIL;
	}
	s->msg = msg;
	s->len = len;
	s->off = 0;
	s->gated = 0;
	s->errbuf[0] = '\0';
	buf_reset(&s->reply);
	buf_reset(&s->failed);
	s->reply_done = 0;
	if ((r = lc.easy_setopt(s->curl, CURLOPT_MAIL_FROM, from)) ||
	    (r = lc.easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpts)) ||
	    (r = lc.easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)len)) ||
	    (r = lc.easy_setopt(s->curl, CURLOPT_FRESH_CONNECT,
	    (long)s->fresh)))
		goto out;
	r = lc.easy_perform(s->curl);
out:
	/* the list is only used during the transfer */
	lc.easy_setopt(s->curl, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	lc.slist_free_all(rcpts);
	s->msg = NULL;
	lc.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	st = classify(r, code);
	s->fresh = st != SMTP_OK;
	if (st == SMTP_OK)
		*reply_r = xstrdup(s->reply.len ? s->reply.data : "");
	else if (s->failed.len)
		*reply_r = xstrdup(s->failed.data);
	else if (s->errbuf[0])
		*reply_r = xstrdup(s->errbuf);
	else
		*reply_r = xstrdup(lc.easy_strerror(r));
	return st;
}

enum smtp_status
smtp_check(struct smtp *s, char **reply_r)
{
	enum smtp_status st;
	CURLcode r;
	long code = 0;

	s->errbuf[0] = '\0';
	buf_reset(&s->reply);
	buf_reset(&s->failed);
	s->reply_done = 0;
	/* no recipient and no upload: libcurl greets, starts TLS, logs in,
	 * then sends the custom command instead of a transaction */
	if ((r = lc.easy_setopt(s->curl, CURLOPT_UPLOAD, 0L)) ||
	    (r = lc.easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "NOOP")) ||
	    (r = lc.easy_setopt(s->curl, CURLOPT_NOBODY, 1L)))
		goto out;
	r = lc.easy_perform(s->curl);
out:
	lc.easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, (char *)NULL);
	lc.easy_setopt(s->curl, CURLOPT_NOBODY, 0L);
	lc.easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	lc.easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	st = classify(r, code);
	if (st == SMTP_OK)
		*reply_r = xstrdup(s->reply.len ? s->reply.data : "");
	else if (s->failed.len)
		*reply_r = xstrdup(s->failed.data);
	else if (s->errbuf[0])
		*reply_r = xstrdup(s->errbuf);
	else
		*reply_r = xstrdup(lc.easy_strerror(r));
	return st;
}

void
smtp_set_gate(struct smtp *s, int (*gate)(void *ctx), void *ctx)
{
	s->gate = gate;
	s->gate_ctx = ctx;
}

void
smtp_close(struct smtp **sp)
{
	struct smtp *s = *sp;

	if (!s)
		return;
	if (s->curl)
		lc.easy_cleanup(s->curl);   /* sends QUIT on an open session */
	buf_free(&s->reply);
	buf_free(&s->failed);
	free(s);
	*sp = NULL;
}
