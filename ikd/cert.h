/*
 * X.509 for IKEv1 RSA signature authentication (OpenSSL 3): our certificate and key, the
 * signature over HASH_I/HASH_R, and the checks of a peer's certificate: chain to the
 * configured CA file (which may also hold CRLs), validity dates, revocation when a CRL
 * file is configured, the peer's ID against the certificate's subject or subjectAltName.
 *
 * IKEv1 signs the hash itself with PKCS#1 v1.5 padding and no DigestInfo (RFC 2409
 * section 5.1: "SIG_I ... the signature of HASH_I"), as every IKEv1 implementation does.
 * Failures say why in words ("certificate has expired", "unable to get local issuer
 * certificate: untrusted", "ID fqdn:x is not in the certificate").
 */
#ifndef L2SEC_IKD_CERT_H
#define L2SEC_IKD_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "ikd/ikd_conf.h"

#define CERT_DER_MAX 8192
#define CERT_SIG_MAX 1024

/*
 * Our certificate (DER into der, *der_len) and, when id is not NULL and id->type is ANY,
 * its subject as ID_DER_ASN1_DN. Returns 0 or -errno with why filled.
 */
int cert_own(const struct ikd_conn *c, uint8_t *der, size_t *der_len, struct ikd_id *id,
	     char *why, size_t why_size);
/* Sign data (HASH_x) with the connection's key. *sig_len in: capacity, out: length. */
int cert_sign(const struct ikd_conn *c, const uint8_t *data, size_t len, uint8_t *sig,
	      size_t *sig_len, char *why, size_t why_size);
/*
 * Check the peer's certificate der against the connection's CA (and CRL), that id names
 * it, and that sig is its signature over data. Returns 0, or -EPERM with why filled.
 */
int cert_verify_peer(const struct ikd_conn *c, const uint8_t *der, size_t der_len,
		     const struct ikd_id *id, const uint8_t *data, size_t len,
		     const uint8_t *sig, size_t sig_len, char *why, size_t why_size);

#endif
