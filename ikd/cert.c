/*
 * X.509 certificates and RSA signatures for IKEv1. See cert.h.
 */
#include "ikd/cert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static X509 *load_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	if (!b)
		return NULL;
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (!x) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	return x;
}

int cert_own(const struct ikd_conn *c, uint8_t *der, size_t *der_len, struct ikd_id *id,
	     char *why, size_t why_size)
{
	X509 *x = load_cert(c->cert);
	if (!x) {
		snprintf(why, why_size, "cannot read our certificate %s", c->cert);
		return -ENOENT;
	}
	int rc = 0;
	int n = i2d_X509(x, NULL);
	if (n <= 0 || (size_t)n > *der_len) {
		snprintf(why, why_size, "our certificate %s is too large", c->cert);
		rc = -EMSGSIZE;
		goto out;
	}
	unsigned char *p = der;
	*der_len = (size_t)i2d_X509(x, &p);
	if (id && id->type == IKD_ID_ANY) {
		int nl = i2d_X509_NAME(X509_get_subject_name(x), NULL);
		if (nl <= 0 || nl > IKD_ID_MAX) {
			snprintf(why, why_size, "subject of %s too long for an ID", c->cert);
			rc = -EMSGSIZE;
			goto out;
		}
		unsigned char *q = id->data;
		i2d_X509_NAME(X509_get_subject_name(x), &q);
		id->type = IKD_ID_DER_ASN1_DN;
		id->len = (uint16_t)nl;
	}
out:
	X509_free(x);
	return rc;
}

int cert_sign(const struct ikd_conn *c, const uint8_t *data, size_t len, uint8_t *sig,
	      size_t *sig_len, char *why, size_t why_size)
{
	BIO *b = BIO_new_file(c->key, "r");
	EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!key) {
		snprintf(why, why_size, "cannot read our private key %s", c->key);
		return -ENOENT;
	}
	int rc = -EIO;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_sign(ctx, sig, sig_len, data, len) == 1)
		rc = 0;
	else
		snprintf(why, why_size, "signing with %s failed (an RSA key is needed)", c->key);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

/* Does id name the certificate (subject DN, or a subjectAltName of the ID's kind)? */
static bool id_in_cert(X509 *x, const struct ikd_id *id)
{
	switch (id->type) {
	case IKD_ID_DER_ASN1_DN: {
		const unsigned char *p = id->data;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, id->len);
		bool ok = n && X509_NAME_cmp(X509_get_subject_name(x), n) == 0;
		X509_NAME_free(n);
		return ok;
	}
	case IKD_ID_FQDN:
		return X509_check_host(x, (const char *)id->data, id->len, 0, NULL) == 1;
	case IKD_ID_USER_FQDN:
		return X509_check_email(x, (const char *)id->data, id->len, 0) == 1;
	case IKD_ID_IPV4_ADDR:
	case IKD_ID_IPV6_ADDR:
		return X509_check_ip(x, id->data, id->len, 0) == 1;
	default:
		return false;
	}
}

static int chain_check(const struct ikd_conn *c, X509 *x, char *why, size_t why_size)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -EPERM;
	if (!store || !ctx || X509_STORE_load_file(store, c->ca) != 1) {
		snprintf(why, why_size, "cannot read the CA file %s", c->ca);
		goto out;
	}
	if (c->crl[0]) {
		if (X509_STORE_load_file(store, c->crl) != 1) {
			snprintf(why, why_size, "cannot read the CRL file %s", c->crl);
			goto out;
		}
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	if (X509_STORE_CTX_init(ctx, store, x, NULL) != 1)
		goto out;
	if (X509_verify_cert(ctx) == 1) {
		rc = 0;
	} else {
		int err = X509_STORE_CTX_get_error(ctx);
		char subj[200];
		X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof subj);
		snprintf(why, why_size, "certificate %s: %s%s", subj, X509_verify_cert_error_string(err),
			 err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
			 err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
			 err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ? " (untrusted: not issued by "
			 "the configured CA)" : "");
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

int cert_verify_peer(const struct ikd_conn *c, const uint8_t *der, size_t der_len,
		     const struct ikd_id *id, const uint8_t *data, size_t len,
		     const uint8_t *sig, size_t sig_len, char *why, size_t why_size)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)der_len);
	if (!x || p != der + der_len) {
		X509_free(x);
		snprintf(why, why_size, "the peer's CERT payload is not a DER X.509 certificate");
		return -EPERM;
	}
	int rc = chain_check(c, x, why, why_size);
	if (rc == 0 && !id_in_cert(x, id)) {
		char s[300];
		snprintf(why, why_size, "the peer's ID %s is neither the subject nor a "
			 "subjectAltName of its certificate", ikd_id_str(id, s, sizeof s));
		rc = -EPERM;
	}
	if (rc == 0) {
		EVP_PKEY *pub = X509_get0_pubkey(x);
		EVP_PKEY_CTX *ctx = pub ? EVP_PKEY_CTX_new(pub, NULL) : NULL;
		if (!ctx || EVP_PKEY_verify_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_verify(ctx, sig, sig_len, data, len) != 1) {
			snprintf(why, why_size, "the peer's signature does not verify with the key "
				 "of its certificate");
			rc = -EPERM;
		}
		EVP_PKEY_CTX_free(ctx);
	}
	X509_free(x);
	ERR_clear_error();
	return rc;
}
