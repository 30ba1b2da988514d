/*
 * source_imap.c - see imap.h.  The only file that includes libetpan.
 *
 * libetpan (1.9.4, Debian's GnuTLS build) sends one command and waits for
 * its answer, so everything that can be a range is one: one UID FETCH of
 * UIDs and sizes, one UID FETCH of bodies per batch, one UID STORE per
 * batch.  It verifies no
 * certificate at all; we take the chain it saw and check it with
 * tlsverify.c before the password goes out.
 */
#include <arpa/inet.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "log.h"
#include "tlsverify.h"
#include "util.h"

struct imap {
	mailimap *mi;
	int dead;               /* stream lost: no LOGOUT */
	char *refused;          /* why the guard cut the stream, or NULL */
};

/* libetpan exports it; Debian does not install its header (connect.h). */
int mail_tcp_connect_timeout(const char *server, uint16_t port,
    time_t timeout);

/* The server's last response text, cleaned for a log line; "" when
 * none.  Caller frees. */
static char *
server_says(struct imap *im)
{
	const char *r = im->mi ? im->mi->imap_response : NULL;
	char *s;
	size_t i;

	if (!r)
		return xstrdup("");
	s = xstrndup(r, strnlen(r, 200));
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = ' ';
	return s;
}

/* Maps a libetpan error to our status and a message; what is the
 * command that failed. */
static enum imap_status
fail(struct imap *im, int r, const char *what, char **err_r)
{
	char *says;

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
		im->dead = 1;
		if (im->refused) {
			*err_r = xasprintf("%s: %s", what, im->refused);
			return IMAP_PROTOCOL;
		}
		*err_r = xasprintf("%s: connection lost or timed out", what);
		return IMAP_UNAVAILABLE;
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
		im->dead = 1;
		*err_r = xasprintf("%s: cannot connect", what);
		return IMAP_UNAVAILABLE;
	case MAILIMAP_ERROR_SSL:
		im->dead = 1;
		*err_r = xasprintf("%s: tls handshake failed", what);
		return IMAP_PROTOCOL;
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_PROTOCOL:
	case MAILIMAP_ERROR_FATAL:
		im->dead = 1;
		*err_r = xasprintf("%s: unexpected answer from the server",
		    what);
		return IMAP_PROTOCOL;
	case MAILIMAP_ERROR_MEMORY:
		im->dead = 1;
		*err_r = xasprintf("%s: out of memory", what);
		return IMAP_PROTOCOL;
	default:
		break;
	}
	says = server_says(im);
	*err_r = xasprintf("%s refused%s%s", what, *says ? ": " : "", says);
	free(says);
	if (r == MAILIMAP_ERROR_LOGIN)
		return IMAP_AUTH;
	return IMAP_NO;
}

static int
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/*
 * A transcript instead of a socket (imap_set_replay): reads come from
 * the bytes given, writes are dropped.  For the fuzzer and tests.
 */
static struct {
	const char *data;
	size_t len;
} replay;

struct replay_stream {
	const char *p;
	size_t left;
};

static ssize_t
replay_read(mailstream_low *s, void *buf, size_t n)
{
	struct replay_stream *rs = s->data;

	if (!rs->left)
		return -1;   /* the server hung up */
	if (n > rs->left)
		n = rs->left;
	memcpy(buf, rs->p, n);
	rs->p += n;
	rs->left -= n;
	return (ssize_t)n;
}

static ssize_t
replay_write(mailstream_low *s, const void *buf, size_t n)
{
	(void)s;
	(void)buf;
	return (ssize_t)n;
}

static int
replay_close(mailstream_low *s)
{
	(void)s;
	return 0;
}

static int
replay_get_fd(mailstream_low *s)
{
	(void)s;
	return -1;
}

static void
replay_free(mailstream_low *s)
{
	free(s->data);
	free(s);
}

static void
replay_cancel(mailstream_low *s)
{
	(void)s;
}

static struct mailstream_cancel *
replay_get_cancel(mailstream_low *s)
{
	(void)s;
	return NULL;
}

static carray *
replay_get_certificate_chain(mailstream_low *s)
{
	(void)s;
	return NULL;
}

static mailstream_low_driver replay_driver = {
	.mailstream_read = replay_read,
	.mailstream_write = replay_write,
	.mailstream_close = replay_close,
	.mailstream_get_fd = replay_get_fd,
	.mailstream_free = replay_free,
	.mailstream_cancel = replay_cancel,
	.mailstream_get_cancel = replay_get_cancel,
	.mailstream_get_certificate_chain = replay_get_certificate_chain,
};

void
imap_set_replay(const char *data, size_t len)
{
	replay.data = data;
	replay.len = len;
}

/* Called by libetpan before the TLS handshake. */
static void
tls_setup(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;

	/* SNI carries DNS names only (RFC 6066) */
	if (!is_ip_literal(host))
		mailstream_ssl_set_server_name(ctx,
		    (char *)(uintptr_t)host);
}

/* A stream over the replay transcript; NULL when out of memory. */
static mailstream *
replay_stream(void)
{
	struct replay_stream *rs = xcalloc(1, sizeof(*rs));
	mailstream_low *low;
	mailstream *stream;

	rs->p = replay.data;
	rs->left = replay.len;
	if (!(low = mailstream_low_new(rs, &replay_driver))) {
		free(rs);
		return NULL;
	}
	if (!(stream = mailstream_new(low, 8192)))
		mailstream_low_free(low);
	return stream;
}

/*
 * The guard: a filter between the connection and libetpan's parser (on
 * every stream, from the greeting on).  It follows the server's lines
 * and literals and cuts the stream, as if the connection were lost, at
 * an answer libetpan 1.9.4 cannot take (tests/fuzz/README.md):
 *  - a literal over IMAP_MAX_LITERAL: libetpan allocates the announced
 *    size before it reads a byte ("{4294967295}" is 4 GB);
 *  - a PERMANENTFLAGS code whose flag list is not well formed: its
 *    parser then frees a NULL list and crashes, even in the greeting,
 *    which comes before the certificate is checked.
 * fail() reports the reason instead of "connection lost".
 */
#define IMAP_MAX_LITERAL ((1u << 30) + 65536)  /* max_message_size + */
#define GUARD_KEEP 4096         /* bytes of a line kept for the checks */

struct guard {
	mailstream_low *inner;
	struct imap *im;
	char line[GUARD_KEEP];  /* the start of the current line */
	size_t n;
	char tail[64];          /* its last bytes, for "{123}" at the end */
	size_t ntail;
	uint64_t literal;       /* literal bytes still to come */
	int cut;
};

static int
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("(){%*\"\\]", c);
}

/* 1 when the PERMANENTFLAGS code at p (if any) has a flag list libetpan
 * parses: " (" flags separated by single spaces ")". */
static int
perm_flags_ok(const char *p, const char *end)
{
	static const char code[] = "[PERMANENTFLAGS";
	const char *q;

	for (; p + sizeof(code) - 1 <= end; p++) {
		if (strncasecmp(p, code, sizeof(code) - 1))
			continue;
		q = p + sizeof(code) - 1;
		if (end - q < 2 || q[0] != ' ' || q[1] != '(')
			return 0;
		for (q += 2; q < end && *q != ')'; q++) {
			if (*q == '\\' && q + 1 < end && q[1] == '*')
				q += 2;
			else {
				if (*q == '\\')
					q++;
				if (q >= end || !atom_char((unsigned char)*q))
					return 0;
				while (q < end && atom_char((unsigned char)*q))
					q++;
			}
			if (q >= end || (*q != ' ' && *q != ')'))
				return 0;
			if (*q == ')')
				break;
		}
		if (q >= end)
			return 0;
		p = q;
	}
	return 1;
}

/* At the end of a line: its literal, if it announces one, and its
 * PERMANENTFLAGS.  Returns 0, or -1 with im->refused set. */
static int
guard_line(struct guard *g)
{
	const char *t = g->tail, *e = g->tail + g->ntail, *d;
	uint64_t v = 0;

	while (e > t && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	if (e > t && e[-1] == '}') {
		e--;
		if (e > t && e[-1] == '+')
			e--;
		for (d = e; d > t && d[-1] >= '0' && d[-1] <= '9'; d--)
			;
		/* digits up to the start of a full tail: a number too long
		 * to be a size we take */
		if (d == t && d < e && g->ntail == sizeof(g->tail))
			v = (uint64_t)IMAP_MAX_LITERAL + 1;
		else if (d < e && d > t && d[-1] == '{')
			for (; d < e && v <= IMAP_MAX_LITERAL; d++)
				v = v * 10 + (uint64_t)(*d - '0');
		if (v > IMAP_MAX_LITERAL) {
			g->im->refused = xasprintf("the server announced a "
			    "literal over %u bytes", IMAP_MAX_LITERAL);
			return -1;
		}
		g->literal = v;
	}
	if (!perm_flags_ok(g->line, g->line + g->n)) {
		g->im->refused = xstrdup("the server sent a PERMANENTFLAGS "
		    "list that cannot be parsed");
		return -1;
	}
	g->n = g->ntail = 0;
	return 0;
}

/* Follows len bytes from the server.  Returns how many of them may go
 * on to libetpan: all, or those before a line it must not see (then
 * g->cut is set). */
static size_t
guard_scan(struct guard *g, const char *p, size_t len)
{
	size_t i = 0, start = 0;   /* where the current line began here */

	while (i < len) {
		if (g->literal) {
			size_t k = len - i < g->literal ? len - i :
			    (size_t)g->literal;

			g->literal -= k;
			i += k;
			start = i;
			continue;
		}
		if (g->n < sizeof(g->line))
			g->line[g->n++] = p[i];
		if (g->ntail == sizeof(g->tail)) {
			memmove(g->tail, g->tail + 1, sizeof(g->tail) - 1);
			g->ntail--;
		}
		g->tail[g->ntail++] = p[i];
		if (p[i++] == '\n') {
			if (guard_line(g) < 0) {
				g->cut = 1;
				return start;
			}
			start = i;
		}
	}
	return len;
}

static ssize_t
guard_read(mailstream_low *s, void *buf, size_t n)
{
	struct guard *g = s->data;
	ssize_t r;
	size_t ok;

	if (g->cut)
		return -1;
	r = mailstream_low_read(g->inner, buf, n);
	if (r <= 0)
		return r;
	/* what came before the bad line goes on; the next read fails */
	ok = guard_scan(g, buf, (size_t)r);
	return g->cut && !ok ? -1 : (ssize_t)ok;
}

static ssize_t
guard_write(mailstream_low *s, const void *buf, size_t n)
{
	return mailstream_low_write(((struct guard *)s->data)->inner, buf, n);
}

static int
guard_close(mailstream_low *s)
{
	return mailstream_low_close(((struct guard *)s->data)->inner);
}

static int
guard_get_fd(mailstream_low *s)
{
	return mailstream_low_get_fd(((struct guard *)s->data)->inner);
}

/* what libetpan's STARTTLS does to the socket stream it replaces: free,
 * not close (the TLS stream goes on on its descriptor) */
static void
guard_free(mailstream_low *s)
{
	struct guard *g = s->data;

	mailstream_low_free(g->inner);
	free(g);
	free(s);
}

static void
guard_cancel(mailstream_low *s)
{
	mailstream_low_cancel(((struct guard *)s->data)->inner);
}

static struct mailstream_cancel *
guard_get_cancel(mailstream_low *s)
{
	return mailstream_low_get_cancel(((struct guard *)s->data)->inner);
}

static carray *
guard_get_certificate_chain(mailstream_low *s)
{
	return mailstream_low_get_certificate_chain(
	    ((struct guard *)s->data)->inner);
}

static mailstream_low_driver guard_driver = {
	.mailstream_read = guard_read,
	.mailstream_write = guard_write,
	.mailstream_close = guard_close,
	.mailstream_get_fd = guard_get_fd,
	.mailstream_free = guard_free,
	.mailstream_cancel = guard_cancel,
	.mailstream_get_cancel = guard_get_cancel,
	.mailstream_get_certificate_chain = guard_get_certificate_chain,
};

/* Puts a guard between stream and its present low-level stream. */
static int
guard_stream(struct imap *im, mailstream *stream)
{
	struct guard *g = xcalloc(1, sizeof(*g));
	mailstream_low *low;

	g->inner = mailstream_get_low(stream);
	g->im = im;
	if (!(low = mailstream_low_new(g, &guard_driver))) {
		free(g);
		return -1;
	}
	mailstream_set_low(stream, low);
	return 0;
}

/*
 * What mailimap_ssl_connect_with_callback() and mailimap_socket_connect()
 * do, with the guard in place before the greeting is read (or over the
 * replay transcript).  Returns libetpan's code.
 */
static int
connect_guarded(struct imap *im, const struct imap_config *ic)
{
	mailstream *stream;
	int fd;

	if (replay.data) {
		stream = replay_stream();
	} else {
		fd = mail_tcp_connect_timeout(ic->host, (uint16_t)ic->port,
		    ic->timeout);
		if (fd < 0)
			return MAILIMAP_ERROR_CONNECTION_REFUSED;
		if (ic->tls == IMAP_TLS_IMAPS)
			stream = mailstream_ssl_open_with_callback_timeout(fd,
			    ic->timeout, tls_setup, ic->host);
		else
			stream = mailstream_socket_open_timeout(fd,
			    ic->timeout);
		if (!stream) {
			close(fd);
			return ic->tls == IMAP_TLS_IMAPS ? MAILIMAP_ERROR_SSL :
			    MAILIMAP_ERROR_MEMORY;
		}
	}
	if (!stream)
		return MAILIMAP_ERROR_MEMORY;
	if (guard_stream(im, stream) < 0) {
		mailstream_close(stream);
		return MAILIMAP_ERROR_MEMORY;
	}
	return mailimap_connect(im->mi, stream);
}

/* Checks the certificate chain the stream negotiated. */
static enum imap_status
verify_peer(struct imap *im, const struct imap_config *ic, char **err_r)
{
	carray *chain = mailstream_get_certificate_chain(im->mi->imap_stream);
	struct tls_der *der = NULL;
	enum imap_status ret = IMAP_PROTOCOL;
	unsigned i, n;

	n = chain ? carray_count(chain) : 0;
	der = xcalloc(n + 1, sizeof(*der));
	for (i = 0; i < n; i++) {
		MMAPString *s = carray_get(chain, i);

		der[i].data = s->str;
		der[i].len = s->len;
	}
	if (tlsverify_chain(ic->host, der, n, ic->ca_file, err_r) == 0)
		ret = IMAP_OK;
	free(der);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return ret;
}

/*
 * Sorts out a failed connect: libetpan says only "TLS failed" or "bad
 * greeting", so a server that hangs up or never answers would pass for
 * a protocol error.  Nothing received means it hung up; a TLS failure
 * that took the whole timeout means it never answered.
 */
static enum imap_status
connect_failed(struct imap *im, int r, const struct imap_config *ic,
    const struct timespec *start, char **err_r)
{
	MMAPString *got = im->mi->imap_stream_buffer;
	struct timespec now;
	double took;

	im->dead = 1;
	if (im->refused)
		return fail(im, r, "connect", err_r);
	clock_gettime(CLOCK_MONOTONIC, &now);
	took = (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
	if (r == MAILIMAP_ERROR_SSL && took >= (double)ic->timeout - 0.5) {
		*err_r = xasprintf("connect: tls handshake timed out after "
		    "%us", ic->timeout);
		return IMAP_UNAVAILABLE;
	}
	if ((r == MAILIMAP_ERROR_PARSE || r == MAILIMAP_ERROR_PROTOCOL) &&
	    (!got || !got->len)) {
		*err_r = xstrdup("connect: the server closed the connection "
		    "without a greeting");
		return IMAP_UNAVAILABLE;
	}
	if (r == MAILIMAP_ERROR_STREAM) {
		*err_r = xasprintf("connect: no greeting (connection lost or "
		    "timed out after %us)", ic->timeout);
		return IMAP_UNAVAILABLE;
	}
	return fail(im, r, "connect", err_r);
}

enum imap_status
imap_open(const struct imap_config *ic, const char *password,
    struct imap **im_r, char **err_r)
{
	struct imap *im = xcalloc(1, sizeof(*im));
	enum imap_status ret = IMAP_PROTOCOL;
	struct timespec start;
	int r;

	*im_r = NULL;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (ic->tls == IMAP_TLS_NONE && !ic->allow_plaintext &&
	    !config_host_is_loopback(ic->host)) {
		*err_r = xstrdup("refusing to send a password in clear to a "
		    "host that is not loopback");
		goto out;
	}
	/* connect and handshake, and (for STARTTLS's new stream) reads */
	mailstream_network_delay.tv_sec = ic->timeout;
	mailstream_network_delay.tv_usec = 0;
	im->mi = mailimap_new(0, NULL);
	if (!im->mi) {
		*err_r = xstrdup("out of memory");
		goto out;
	}
	mailimap_set_timeout(im->mi, ic->timeout);
	r = connect_guarded(im, ic);
	if (r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR) {
		ret = connect_failed(im, r, ic, &start, err_r);
		goto out;
	}
	if (ic->tls == IMAP_TLS_STARTTLS) {
		r = mailimap_socket_starttls_with_callback(im->mi, tls_setup,
		    ic->host);
		if (r != MAILIMAP_NO_ERROR) {
			/* never a plain-text fallback */
			ret = fail(im, r, "starttls", err_r);
			if (ret == IMAP_NO)
				ret = IMAP_PROTOCOL;
			im->dead = 1;
			goto out;
		}
		mailstream_low_set_timeout(
		    mailstream_get_low(im->mi->imap_stream), ic->timeout);
		/* STARTTLS replaced the guarded stream */
		if (guard_stream(im, im->mi->imap_stream) < 0) {
			*err_r = xstrdup("out of memory");
			im->dead = 1;
			goto out;
		}
	}
	if (ic->tls != IMAP_TLS_NONE &&
	    (ret = verify_peer(im, ic, err_r)) != IMAP_OK) {
		/* not a word more to a server we cannot trust */
		im->dead = 1;
		goto out;
	}
	r = mailimap_login(im->mi, ic->user, password);
	if (r != MAILIMAP_NO_ERROR) {
		ret = fail(im, r, "login", err_r);
		if (ret == IMAP_NO)
			ret = IMAP_AUTH;
		goto out;
	}
	*im_r = im;
	im = NULL;
	ret = IMAP_OK;
out:
	imap_close(&im);
	return ret;
}

void
imap_close(struct imap **imp)
{
	struct imap *im = *imp;

	if (!im)
		return;
	if (im->mi) {
		if (!im->dead && im->mi->imap_stream)
			mailimap_logout(im->mi);
		mailimap_free(im->mi);
	}
	free(im->refused);
	free(im);
	*imp = NULL;
}

int
imap_has_capability(struct imap *im, const char *name)
{
	struct mailimap_connection_info *ci = im->mi->imap_connection_info;
	struct mailimap_capability_data *cap = NULL;
	clist *none;

	if (!ci)
		return 0;
	/* the login answer usually carried them; ask once if not */
	if (!ci->imap_capability) {
		/*
		 * libetpan 1.9.4 copies ci->imap_capability after the
		 * tagged OK without checking it: a server that answers
		 * CAPABILITY with no "* CAPABILITY" line crashed fetch.
		 * An empty list in its place is what such a server has;
		 * a real answer replaces it.
		 */
		if (!(none = clist_new()))
			return 0;
		if (!(ci->imap_capability =
		    mailimap_capability_data_new(none))) {
			clist_free(none);
			return 0;
		}
		if (mailimap_capability(im->mi, &cap) != MAILIMAP_NO_ERROR)
			return 0;
		mailimap_capability_data_free(cap);
	}
	return mailimap_has_extension(im->mi, (char *)(uintptr_t)name) != 0;
}

/*
 * A folder name as IMAP wants it on the wire: modified UTF-7 (RFC 3501
 * 5.1.3).  Printable ASCII stands as itself, "&" as "&-", and every other
 * run is UTF-16 in base64 between "&" and "-" with "," for "/": exactly
 * what iconv's UTF-7 makes of that run, but for those two characters.
 * Returns NULL when name is not valid UTF-8 or a run is very long.
 * Caller frees.
 */
char *
imap_folder_encode(const char *name)
{
	struct buf b = BUF_INIT(0);
	const char *p = name;
	iconv_t cd = (iconv_t)-1;
	char *ret = NULL;

	while (*p) {
		const char *run = p;
		char out[1024], *in, *o;
		size_t inleft, outleft, k;

		if (*p >= 0x20 && *p <= 0x7e) {
			if (*p == '&')
				buf_addstr(&b, "&-");
			else
				buf_addc(&b, *p);
			p++;
			continue;
		}
		while (*p && !(*p >= 0x20 && *p <= 0x7e))
			p++;
		if (cd == (iconv_t)-1 &&
		    (cd = iconv_open("UTF-7", "UTF-8")) == (iconv_t)-1)
			goto out;
		iconv(cd, NULL, NULL, NULL, NULL);
		in = (char *)(uintptr_t)run;
		inleft = (size_t)(p - run);
		o = out;
		outleft = sizeof(out) - 1;
		if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1 ||
		    iconv(cd, NULL, NULL, &o, &outleft) == (size_t)-1)
			goto out;
		*o = '\0';
		/* "+AOk-" -> "&AOk-" */
		for (k = 0; out[k]; k++)
			buf_addc(&b, out[k] == '+' && k == 0 ? '&' :
			    out[k] == '/' ? ',' : out[k]);
		if (b.data[b.len - 1] != '-')
			buf_addc(&b, '-');
	}
	ret = buf_detach(&b);
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	buf_free(&b);
	return ret;
}

enum imap_status
imap_select(struct imap *im, const char *folder, int readonly,
    uint32_t *uidvalidity_r, uint32_t *uidnext_r, char **err_r)
{
	char *wire = imap_folder_encode(folder);
	int r;

	*uidvalidity_r = *uidnext_r = 0;
	if (!wire) {
		*err_r = xstrdup("cannot encode the folder name for IMAP");
		return IMAP_NO;
	}
	r = readonly ? mailimap_examine(im->mi, wire) :
	    mailimap_select(im->mi, wire);
	free(wire);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, readonly ? "examine" : "select", err_r);
	if (!im->mi->imap_selection_info ||
	    !im->mi->imap_selection_info->sel_uidvalidity) {
		*err_r = xstrdup("server sent no uidvalidity");
		return IMAP_NO;
	}
	*uidvalidity_r = im->mi->imap_selection_info->sel_uidvalidity;
	*uidnext_r = im->mi->imap_selection_info->sel_uidnext;
	return IMAP_OK;
}

/* The UID and RFC822.SIZE of one FETCH response; 0 for absent. */
static void
att_uid_size(struct mailimap_msg_att *att, uint32_t *uid_r, uint32_t *size_r,
    const char **body_r, size_t *len_r)
{
	clistiter *it;

	*uid_r = *size_r = 0;
	*body_r = NULL;
	*len_r = 0;
	for (it = clist_begin(att->att_list); it; it = clist_next(it)) {
		struct mailimap_msg_att_item *item = clist_content(it);
		struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID) {
			*uid_r = st->att_data.att_uid;
		} else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
			*size_r = st->att_data.att_rfc822_size;
		} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
		    st->att_data.att_body_section) {
			*body_r = st->att_data.att_body_section->sec_body_part;
			*len_r = st->att_data.att_body_section->sec_length;
		}
	}
}

struct uid_size {
	uint32_t uid, size;
};

static int
cmp_uid_size(const void *a, const void *b)
{
	uint32_t x = ((const struct uid_size *)a)->uid;
	uint32_t y = ((const struct uid_size *)b)->uid;

	return x < y ? -1 : x > y;
}

/* A fetch type of the given attributes; NULL when out of memory. */
static struct mailimap_fetch_type *
fetch_type(int body)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_fetch_att *fa;
	struct mailimap_section *sec;

	if (!(ft = mailimap_fetch_type_new_fetch_att_list_empty()))
		return NULL;
	if (!(fa = mailimap_fetch_att_new_uid()))
		goto fail;
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) !=
	    MAILIMAP_NO_ERROR) {
		mailimap_fetch_att_free(fa);
		goto fail;
	}
	if (body) {
		if (!(sec = mailimap_section_new(NULL)))
			goto fail;
		if (!(fa = mailimap_fetch_att_new_body_peek_section(sec))) {
			mailimap_section_free(sec);
			goto fail;
		}
	} else if (!(fa = mailimap_fetch_att_new_rfc822_size())) {
		goto fail;
	}
	if (mailimap_fetch_type_new_fetch_att_list_add(ft, fa) !=
	    MAILIMAP_NO_ERROR) {
		mailimap_fetch_att_free(fa);
		goto fail;
	}
	return ft;
fail:
	mailimap_fetch_type_free(ft);
	return NULL;
}

enum imap_status
imap_uids_range(struct imap *im, uint32_t first, uint32_t last,
    uint32_t **uids_r, uint32_t **sizes_r, size_t *n_r, char **err_r)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	struct uid_size *v = NULL;
	clist *result = NULL;
	clistiter *it;
	size_t n = 0, cap = 0, i;
	enum imap_status ret = IMAP_PROTOCOL;
	int r;

	*uids_r = *sizes_r = NULL;
	*n_r = 0;
	set = mailimap_set_new_interval(first, last);
	ft = fetch_type(0);
	if (!set || !ft) {
		*err_r = xstrdup("out of memory");
		goto out;
	}
	/* sizes let the caller cap a batch's bytes, not only its count */
	r = mailimap_uid_fetch(im->mi, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		/* on a NO libetpan has freed the list it left in result */
		result = NULL;
		ret = fail(im, r, "uid fetch", err_r);
		goto out;
	}
	for (it = clist_begin(result); it; it = clist_next(it)) {
		uint32_t uid, size;
		const char *body;
		size_t len;

		att_uid_size(clist_content(it), &uid, &size, &body, &len);
		/* "first:*" matches the last message even below first */
		if (uid < first || (last && uid > last))
			continue;
		xgrow(&v, n, &cap, sizeof(*v));
		v[n].uid = uid;
		v[n].size = size;
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_uid_size);
	*uids_r = xcalloc(n + 1, sizeof(**uids_r));
	*sizes_r = xcalloc(n + 1, sizeof(**sizes_r));
	for (i = 0; i < n; i++) {
		(*uids_r)[i] = v[i].uid;
		(*sizes_r)[i] = v[i].size;
	}
	*n_r = n;
	ret = IMAP_OK;
out:
	free(v);
	if (result)
		mailimap_fetch_list_free(result);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return ret;
}

/* The n ascending UIDs as a set of intervals; NULL when out of memory. */
static struct mailimap_set *
uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	size_t i = 0, j;

	if (!set)
		return NULL;
	while (i < n) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			;
		if (mailimap_set_add_interval(set, uids[i], uids[j]) !=
		    MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		i = j + 1;
	}
	return set;
}

enum imap_status
imap_fetch(struct imap *im, const uint32_t *uids, size_t n, size_t max_size,
    imap_msg_fn *fn, void *ctx, char **err_r)
{
	struct mailimap_set *set = NULL;
	struct mailimap_fetch_type *ft = NULL;
	clist *result = NULL;
	clistiter *it;
	enum imap_status ret = IMAP_PROTOCOL;
	int r;

	if (!n)
		return IMAP_OK;
	set = uid_set(uids, n);
	ft = fetch_type(1);
	if (!set || !ft) {
		*err_r = xstrdup("out of memory");
		goto out;
	}
	/*
	 * The whole answer is parsed into memory before we see it: Debian's
	 * libetpan 1.9.4 never calls mailimap_set_msg_att_handler()'s
	 * handler (checked), so the caller bounds a batch's bytes.
	 */
	r = mailimap_uid_fetch(im->mi, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		result = NULL;   /* freed by libetpan on a NO */
		ret = fail(im, r, "uid fetch", err_r);
		goto out;
	}
	for (it = clist_begin(result); it; it = clist_next(it)) {
		uint32_t uid, size;
		const char *body;
		size_t len;
		int truncated = 0;

		att_uid_size(clist_content(it), &uid, &size, &body, &len);
		/* a FETCH without body is a flag change pushed at us */
		if (!uid || !body)
			continue;
		if (max_size && len > max_size) {
			len = max_size;
			truncated = 1;
		}
		if (fn(ctx, uid, body, len, truncated) < 0) {
			*err_r = xstrdup("stopped by the store");
			ret = IMAP_NO;
			goto out;
		}
	}
	ret = IMAP_OK;
out:
	if (result)
		mailimap_fetch_list_free(result);
	if (ft)
		mailimap_fetch_type_free(ft);
	if (set)
		mailimap_set_free(set);
	return ret;
}

/* UID STORE +FLAGS.SILENT (flag) on set. */
static enum imap_status
add_flag(struct imap *im, struct mailimap_set *set, struct mailimap_flag *fl,
    char **err_r)
{
	struct mailimap_flag_list *list = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa = NULL;
	int r;

	if (!list || !fl || mailimap_flag_list_add(list, fl) !=
	    MAILIMAP_NO_ERROR) {
		if (fl)
			mailimap_flag_free(fl);
		if (list)
			mailimap_flag_list_free(list);
		*err_r = xstrdup("out of memory");
		return IMAP_PROTOCOL;
	}
	if (!(sa = mailimap_store_att_flags_new_add_flags_silent(list))) {
		mailimap_flag_list_free(list);
		*err_r = xstrdup("out of memory");
		return IMAP_PROTOCOL;
	}
	r = mailimap_uid_store(im->mi, set, sa);
	mailimap_store_att_flags_free(sa);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "uid store", err_r);
	return IMAP_OK;
}

enum imap_status
imap_mark_seen(struct imap *im, const uint32_t *uids, size_t n, char **err_r)
{
	struct mailimap_set *set;
	enum imap_status ret;

	if (!n)
		return IMAP_OK;
	if (!(set = uid_set(uids, n))) {
		*err_r = xstrdup("out of memory");
		return IMAP_PROTOCOL;
	}
	ret = add_flag(im, set, mailimap_flag_new_seen(), err_r);
	mailimap_set_free(set);
	return ret;
}

enum imap_status
imap_move(struct imap *im, const uint32_t *uids, size_t n, const char *dest,
    char **err_r)
{
	struct mailimap_set *set;
	enum imap_status ret = IMAP_PROTOCOL;
	char *wire;
	int r;

	if (!n)
		return IMAP_OK;
	if (!(wire = imap_folder_encode(dest))) {
		*err_r = xstrdup("cannot encode the folder name for IMAP");
		return IMAP_NO;
	}
	dest = wire;
	if (!(set = uid_set(uids, n))) {
		*err_r = xstrdup("out of memory");
		free(wire);
		return IMAP_PROTOCOL;
	}
	if (imap_has_capability(im, "MOVE")) {
		log_debug("uid move of %zu messages to '%s'", n, dest);
		r = mailimap_uid_move(im->mi, set, dest);
		ret = r == MAILIMAP_NO_ERROR ? IMAP_OK :
		    fail(im, r, "uid move", err_r);
		goto out;
	}
	log_debug("no MOVE: uid copy, store and expunge of %zu messages to "
	    "'%s'", n, dest);
	r = mailimap_uid_copy(im->mi, set, dest);
	if (r != MAILIMAP_NO_ERROR) {
		ret = fail(im, r, "uid copy", err_r);
		goto out;
	}
	ret = add_flag(im, set, mailimap_flag_new_deleted(), err_r);
	if (ret != IMAP_OK)
		goto out;
	/* a plain EXPUNGE would take other clients' \Deleted messages too */
	if (imap_has_capability(im, "UIDPLUS")) {
		r = mailimap_uid_expunge(im->mi, set);
		if (r != MAILIMAP_NO_ERROR)
			ret = fail(im, r, "uid expunge", err_r);
	}
out:
	mailimap_set_free(set);
	free(wire);
	return ret;
}
