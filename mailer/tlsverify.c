/*
 * tlsverify.c - see tlsverify.h.  Only GnuTLS here.
 */
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlsverify.h"
#include "util.h"

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
	struct buf why = BUF_INIT(4096);
	unsigned status = 0;
	size_t i, ncrt = 0;
	int r, ret = -1;

	if (!n) {
		*err_r = xstrdup("server sent no certificate");
		goto out;
	}
	if ((r = gnutls_x509_trust_list_init(&tl, 0)) < 0 ||
	    (r = gnutls_x509_trust_list_add_system_trust(tl, 0, 0)) < 0) {
		*err_r = xasprintf("cannot load the system trust store: %s",
		    gnutls_strerror(r));
		goto out;
	}
	if (ca_file && *ca_file) {
		r = gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			*err_r = xasprintf("cannot load ca_file '%s': %s",
			    ca_file, r < 0 ? gnutls_strerror(r) :
			    "no certificate in it");
			goto out;
		}
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
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	buf_free(&why);
	return ret;
}
