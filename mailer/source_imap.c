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
#include <time.h>

#include <libetpan/libetpan.h>

#include "imap.h"
#include "log.h"
#include "tlsverify.h"
#include "util.h"

struct imap {
	mailimap *mi;
	int dead;               /* stream lost: no LOGOUT */
};

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
	if (ic->tls == IMAP_TLS_IMAPS)
		r = mailimap_ssl_connect_with_callback(im->mi, ic->host,
		    (uint16_t)ic->port, tls_setup, ic->host);
	else
		r = mailimap_socket_connect(im->mi, ic->host,
		    (uint16_t)ic->port);
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
	free(im);
	*imp = NULL;
}

int
imap_has_capability(struct imap *im, const char *name)
{
	struct mailimap_capability_data *cap = NULL;

	/* the login answer usually carried them; ask once if not */
	if (!im->mi->imap_connection_info ||
	    !im->mi->imap_connection_info->imap_capability) {
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
imap_uids_from(struct imap *im, uint32_t first, uint32_t **uids_r,
    uint32_t **sizes_r, size_t *n_r, char **err_r)
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
	set = mailimap_set_new_interval(first, 0);
	ft = fetch_type(0);
	if (!set || !ft) {
		*err_r = xstrdup("out of memory");
		goto out;
	}
	/* sizes let the caller cap a batch's bytes, not only its count */
	r = mailimap_uid_fetch(im->mi, set, ft, &result);
	if (r != MAILIMAP_NO_ERROR) {
		ret = fail(im, r, "uid fetch", err_r);
		goto out;
	}
	for (it = clist_begin(result); it; it = clist_next(it)) {
		uint32_t uid, size;
		const char *body;
		size_t len;

		att_uid_size(clist_content(it), &uid, &size, &body, &len);
		/* "first:*" matches the last message even below first */
		if (uid < first)
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
