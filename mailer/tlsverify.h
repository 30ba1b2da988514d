/*
 * tlsverify.h - checks a server's certificate chain and host name with
 * GnuTLS, against the system trust store plus an optional CA file.
 *
 * Exists because Debian's libetpan (GnuTLS build) verifies nothing: the
 * IMAP source hands the DER chain it got over here before it sends a
 * password.  Knows nothing of IMAP.
 */
#ifndef BULLETIN_TLSVERIFY_H
#define BULLETIN_TLSVERIFY_H

#include <stddef.h>

/* One certificate, DER-encoded; the data is borrowed. */
struct tls_der {
	const void *data;
	size_t len;
};

/*
 * Verifies chain[0] (the server's certificate, the rest intermediates in
 * any order) for host (a DNS name or an IP address literal) at the
 * current time.  ca_file (PEM) adds trust anchors when not NULL or "".
 * Returns 0 when trusted and matching, or -1 with *err_r set (caller
 * frees), e.g. "certificate not trusted: signer not found" or
 * "certificate does not match host name".
 */
int tlsverify_chain(const char *host, const struct tls_der *chain, size_t n,
    const char *ca_file, char **err_r);

#endif
