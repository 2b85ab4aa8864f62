/* L2TP tunnel authentication and AVP hiding: see tunnel_auth.h for the formulas. */
#include "l2tpd/tunnel_auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MD5_LEN 16

/* digest = MD5(a || b || c); any part may be empty. */
static int md5_3(const void *a, size_t alen, const void *b, size_t blen, const void *c,
		 size_t clen, uint8_t digest[MD5_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int outlen = 0;
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	     (!alen || EVP_DigestUpdate(ctx, a, alen)) &&
	     (!blen || EVP_DigestUpdate(ctx, b, blen)) &&
	     (!clen || EVP_DigestUpdate(ctx, c, clen)) &&
	     EVP_DigestFinal_ex(ctx, digest, &outlen) && outlen == MD5_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int l2tp_challenge_response(uint8_t msg_type, const struct l2tp_secret *secret,
			    const uint8_t *challenge, size_t challenge_len,
			    uint8_t response[L2TP_CHALLENGE_RESPONSE_LEN])
{
	return md5_3(&msg_type, 1, secret->data, secret->len, challenge, challenge_len, response);
}

bool l2tp_challenge_verify(uint8_t msg_type, const struct l2tp_secret *secret,
			   const uint8_t *challenge, size_t challenge_len,
			   const uint8_t *response, size_t response_len)
{
	uint8_t expect[L2TP_CHALLENGE_RESPONSE_LEN];
	bool ok;

	if (response_len != sizeof expect)
		return false;
	if (l2tp_challenge_response(msg_type, secret, challenge, challenge_len, expect) < 0)
		return false;
	ok = CRYPTO_memcmp(expect, response, sizeof expect) == 0;
	OPENSSL_cleanse(expect, sizeof expect);
	return ok;
}

/*
 * One routine for both directions: the chain is fed by the ciphertext, which is the output
 * when hiding and the input when revealing.
 */
static int avp_xor_chain(bool hiding, uint16_t attr_type, const struct l2tp_secret *secret,
			 const uint8_t *rv, size_t rv_len, const uint8_t *in, uint8_t *out,
			 size_t len)
{
	uint8_t at[2] = { (uint8_t)(attr_type >> 8), (uint8_t)attr_type };
	uint8_t b[MD5_LEN], prev_c[MD5_LEN];
	size_t off = 0;
	int rc = md5_3(at, 2, secret->data, secret->len, rv, rv_len, b);

	while (rc == 0 && off < len) {
		size_t n = len - off < MD5_LEN ? len - off : MD5_LEN;

		for (size_t i = 0; i < n; i++) {
			uint8_t c = hiding ? (uint8_t)(in[off + i] ^ b[i]) : in[off + i];

			out[off + i] = (uint8_t)(in[off + i] ^ b[i]);
			prev_c[i] = c;
		}
		off += n;
		if (off < len)
			rc = md5_3(secret->data, secret->len, prev_c, MD5_LEN, NULL, 0, b);
	}
	OPENSSL_cleanse(b, sizeof b);
	OPENSSL_cleanse(prev_c, sizeof prev_c);
	return rc;
}

int l2tp_avp_hide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *rv,
		  size_t rv_len, const uint8_t *in, uint8_t *out, size_t len)
{
	return avp_xor_chain(true, attr_type, secret, rv, rv_len, in, out, len);
}

int l2tp_avp_reveal(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *rv,
		    size_t rv_len, const uint8_t *in, uint8_t *out, size_t len)
{
	return avp_xor_chain(false, attr_type, secret, rv, rv_len, in, out, len);
}

enum l2tp_tie_result l2tp_tie_break(bool ours_present, const uint8_t ours[8],
				    bool theirs_present, const uint8_t theirs[8])
{
	int cmp;

	if (!ours_present && !theirs_present)
		return L2TP_TIE_KEEP_BOTH;
	if (!theirs_present)
		return L2TP_TIE_KEEP_OURS;
	if (!ours_present)
		return L2TP_TIE_KEEP_THEIRS;
	cmp = memcmp(ours, theirs, 8);  /* 8-octet big-endian values compare as bytes */
	if (cmp == 0)
		return L2TP_TIE_DROP_BOTH;
	return cmp < 0 ? L2TP_TIE_KEEP_OURS : L2TP_TIE_KEEP_THEIRS;
}
