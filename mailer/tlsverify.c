/*
 * tlsverify.c - see tlsverify.h.  Only GnuTLS here.
 *
 * The trust list holds only the anchors this chain can end at: GnuTLS
 * looks an anchor up by its subject DN, which must be the issuer DN of
 * the path's last certificate, or the subject DN of a chain certificate
 * trusted as such.  The bundles are read one certificate at a time and
 * the others dropped at once: the whole system store (some 140
 * certificates as GnuTLS's ASN.1 trees) cost a connection 4 MB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlsverify.h"
#include "util.h"

/* Where Debian's GnuTLS finds the system trust store (its
 * --with-default-trust-store-file); GnuTLS has no call that says, so a
 * build for elsewhere may define another.  Without the file, GnuTLS
 * loads the store its own way, whole. */
#ifndef SYSTEM_CA_FILE
#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#endif
/* One certificate's PEM text (an RSA-16384 one is under 8 KB). */
#define PEM_CERT_MAX (64u << 10)

/* The DNs a trust anchor for a chain may have; borrowed from the chain's
 * certificates. */
struct anchor_dns {
	gnutls_datum_t *dn;
	size_t n;
};

/*
 * Imports the PEM certificate in pem; adds it to tl when its subject DN
 * is one of want's, else drops it.  Returns 0, or a GnuTLS error.
 */
static int
take_anchor(gnutls_x509_trust_list_t tl, const struct buf *pem,
    const struct anchor_dns *want)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t d, dn;
	size_t i;
	int r;

	d.data = (unsigned char *)pem->data;
	d.size = (unsigned)pem->len;
	if ((r = gnutls_x509_crt_init(&crt)) < 0)
		return r;
	if ((r = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM)) < 0 ||
	    (r = gnutls_x509_crt_get_raw_dn(crt, &dn)) < 0)
		goto out;
	for (i = 0; i < want->n; i++) {
		if (want->dn[i].size != dn.size ||
		    memcmp(want->dn[i].data, dn.data, dn.size) != 0)
			continue;
		/* the list owns it from here, also on failure */
		r = gnutls_x509_trust_list_add_cas(tl, &crt, 1, 0);
		return r < 0 ? r : 0;
	}
	r = 0;
out:
	gnutls_x509_crt_deinit(crt);
	return r;
}

/*
 * Adds the certificates of the PEM file path whose subject DN is in want
 * to tl; *n_r counts every certificate read.  Returns 0; 1 when there is
 * no such file; or -1 with *err_r set (caller frees): the file cannot be
 * read, or a certificate in it cannot be.
 */
static int
add_anchors(gnutls_x509_trust_list_t tl, const char *path,
    const struct anchor_dns *want, size_t *n_r, char **err_r)
{
	struct buf pem = BUF_INIT(PEM_CERT_MAX);
	char line[256];
	FILE *f;
	int in = 0, r, ret = -1;

	*n_r = 0;
	if (!(f = fopen(path, "r"))) {
		if (errno == ENOENT)
			return 1;
		*err_r = xstrdup(strerror(errno));
		goto out;
	}
	/* what GnuTLS's PEM reader takes: any text between blocks */
	while (fgets(line, sizeof(line), f)) {
		if (!in) {
			if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) &&
			    strncmp(line, "-----BEGIN X509 CERTIFICATE-----",
			    32))
				continue;
			in = 1;
			buf_reset(&pem);
		}
		if (buf_addstr(&pem, line) < 0) {
			*err_r = xasprintf("certificate %zu is too long",
			    *n_r + 1);
			goto out;
		}
		if (strncmp(line, "-----END ", 9))
			continue;
		in = 0;
		if ((r = take_anchor(tl, &pem, want)) < 0) {
			*err_r = xasprintf("certificate %zu: %s", *n_r + 1,
			    gnutls_strerror(r));
			goto out;
		}
		++*n_r;
	}
	if (ferror(f)) {
		*err_r = xstrdup(strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	buf_free(&pem);
	return ret;
}

/* The verification status as a short, lowercase reason. */
static void
status_text(unsigned status, struct buf *b)
{
	static const struct {
		unsigned flag;
		const char *text;
	} reasons[] = {
		{ GNUTLS_CERT_SIGNER_NOT_FOUND, "signer not found" },
		{ GNUTLS_CERT_SIGNER_NOT_CA, "signer is not a ca" },
		{ GNUTLS_CERT_EXPIRED, "expired" },
		{ GNUTLS_CERT_NOT_ACTIVATED, "not yet valid" },
		{ GNUTLS_CERT_REVOKED, "revoked" },
		{ GNUTLS_CERT_INSECURE_ALGORITHM, "insecure algorithm" },
		{ GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature" },
		{ GNUTLS_CERT_UNEXPECTED_OWNER, "unexpected owner" },
		{ GNUTLS_CERT_PURPOSE_MISMATCH, "not for server use" },
		{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE,
		  "signer constraints not met" },
		{ GNUTLS_CERT_MISMATCH, "certificate mismatch" },
	};
	size_t i;
	int first = 1;

	for (i = 0; i < ARRAY_SIZE(reasons); i++) {
		if (!(status & reasons[i].flag))
			continue;
		buf_printf(b, "%s%s", first ? "" : ", ", reasons[i].text);
		first = 0;
	}
	if (first)
		buf_printf(b, "status 0x%x", status);
}

int
tlsverify_chain(const char *host, const struct tls_der *chain, size_t n,
    const char *ca_file, char **err_r)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_typed_vdata_st vdata;
	struct anchor_dns want = { NULL, 0 };
	struct buf why = BUF_INIT(4096);
	unsigned status = 0;
	size_t i, ncrt = 0, nca;
	char *why_not = NULL;
	int r, ret = -1;

	if (!n) {
		*err_r = xstrdup("server sent no certificate");
		goto out;
	}
	crts = xcalloc(n, sizeof(*crts));
	for (i = 0; i < n; i++) {
		gnutls_datum_t d;

		d.data = (unsigned char *)(uintptr_t)chain[i].data;
		d.size = (unsigned)chain[i].len;
		if ((r = gnutls_x509_crt_init(&crts[i])) < 0 ||
		    (ncrt = i + 1,
		    r = gnutls_x509_crt_import(crts[i], &d,
		    GNUTLS_X509_FMT_DER)) < 0) {
			*err_r = xasprintf("cannot read certificate %zu of the "
			    "chain: %s", i, gnutls_strerror(r));
			goto out;
		}
	}
	/* the DNs point into crts[] */
	want.n = 2 * n;
	want.dn = xcalloc(want.n, sizeof(*want.dn));
	for (i = 0; i < n; i++) {
		if ((r = gnutls_x509_crt_get_raw_issuer_dn(crts[i],
		    &want.dn[2 * i])) < 0 ||
		    (r = gnutls_x509_crt_get_raw_dn(crts[i],
		    &want.dn[2 * i + 1])) < 0) {
			*err_r = xasprintf("cannot read certificate %zu of the "
			    "chain: %s", i, gnutls_strerror(r));
			goto out;
		}
	}
	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0) {
		*err_r = xasprintf("cannot load the system trust store: %s",
		    gnutls_strerror(r));
		goto out;
	}
	r = add_anchors(tl, SYSTEM_CA_FILE, &want, &nca, &why_not);
	if (r < 0) {
		*err_r = xasprintf("cannot load the system trust store '%s': "
		    "%s", SYSTEM_CA_FILE, why_not);
		goto out;
	}
	if (r > 0 &&
	    (r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0)) < 0) {
		*err_r = xasprintf("cannot load the system trust store: %s",
		    gnutls_strerror(r));
		goto out;
	}
	if (ca_file && *ca_file) {
		r = add_anchors(tl, ca_file, &want, &nca, &why_not);
		if (r != 0 || !nca) {
			*err_r = xasprintf("cannot load ca_file '%s': %s",
			    ca_file, r < 0 ? why_not : r > 0 ?
			    strerror(ENOENT) :
			    gnutls_strerror(GNUTLS_E_NO_CERTIFICATE_FOUND));
			goto out;
		}
	}
	/* the chain first, the name after, for the clearer message */
	memset(&vdata, 0, sizeof(vdata));
	vdata.type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned)ncrt,
	    &vdata, 1, GNUTLS_VERIFY_ALLOW_UNSORTED_CHAIN, &status, NULL);
	if (r < 0) {
		*err_r = xasprintf("cannot verify certificate: %s",
		    gnutls_strerror(r));
		goto out;
	}
	if (status) {
		status_text(status, &why);
		*err_r = xasprintf("certificate not trusted: %s",
		    why.data ? why.data : "");
		goto out;
	}
	if (!gnutls_x509_crt_check_hostname2(crts[0], host, 0)) {
		*err_r = xasprintf("certificate does not match host name "
		    "'%s'", host);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	free(crts);
	free(want.dn);
	free(why_not);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	buf_free(&why);
	return ret;
}
