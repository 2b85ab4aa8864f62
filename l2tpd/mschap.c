/* CHAP-MD5 and MS-CHAPv2 computations (RFC 1994, RFC 2759 §8). See mschap.h. */
#include "l2tpd/mschap.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

static struct {
	OSSL_LIB_CTX *ctx;
	OSSL_PROVIDER *legacy, *deflt;
	EVP_MD *md4;
	EVP_CIPHER *des;
	bool tried;
} legacy;

void mschap_cleanup(void)
{
	EVP_MD_free(legacy.md4);
	EVP_CIPHER_free(legacy.des);
	if (legacy.legacy)
		OSSL_PROVIDER_unload(legacy.legacy);
	if (legacy.deflt)
		OSSL_PROVIDER_unload(legacy.deflt);
	OSSL_LIB_CTX_free(legacy.ctx);
	memset(&legacy, 0, sizeof legacy);
}

bool mschap_available(void)
{
	if (legacy.md4 && legacy.des)
		return true;
	if (legacy.tried)
		return false;
	legacy.tried = true;
	legacy.ctx = OSSL_LIB_CTX_new();
	if (!legacy.ctx)
		return false;
	legacy.legacy = OSSL_PROVIDER_load(legacy.ctx, "legacy");
	legacy.deflt = OSSL_PROVIDER_load(legacy.ctx, "default");
	legacy.md4 = EVP_MD_fetch(legacy.ctx, "MD4", NULL);
	legacy.des = EVP_CIPHER_fetch(legacy.ctx, "DES-ECB", NULL);
	return legacy.md4 && legacy.des;
}

/* digest = H(parts...) for up to three parts. */
static int digest3(const EVP_MD *md, const void *a, size_t al, const void *b, size_t bl,
		   const void *c, size_t cl, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL) && (!al || EVP_DigestUpdate(ctx, a, al)) &&
	     (!bl || EVP_DigestUpdate(ctx, b, bl)) && (!cl || EVP_DigestUpdate(ctx, c, cl)) &&
	     EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int chap_md5_response(uint8_t id, const void *secret, size_t secret_len,
		      const uint8_t *challenge, size_t challenge_len,
		      uint8_t response[MD5_DIGEST_LEN])
{
	return digest3(EVP_md5(), &id, 1, secret, secret_len, challenge, challenge_len,
		       response);
}

/* UTF-8 to UTF-16LE, BMP and surrogate pairs; -EINVAL on malformed input. */
static int utf16le(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p) {
		uint32_t cp;
		int extra;

		if (*p < 0x80) { cp = *p; extra = 0; }
		else if ((*p & 0xe0) == 0xc0) { cp = *p & 0x1f; extra = 1; }
		else if ((*p & 0xf0) == 0xe0) { cp = *p & 0x0f; extra = 2; }
		else if ((*p & 0xf8) == 0xf0) { cp = *p & 0x07; extra = 3; }
		else return -EINVAL;
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -EINVAL;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;

			if (n + 4 > cap)
				return -ENAMETOOLONG;
			uint16_t hi = (uint16_t)(0xd800 | (v >> 10)), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
			out[n++] = (uint8_t)hi; out[n++] = (uint8_t)(hi >> 8);
			out[n++] = (uint8_t)lo; out[n++] = (uint8_t)(lo >> 8);
		} else {
			if (n + 2 > cap)
				return -ENAMETOOLONG;
			out[n++] = (uint8_t)cp;
			out[n++] = (uint8_t)(cp >> 8);
		}
	}
	*len = n;
	return 0;
}

int mschap_nt_hash(const char *password, uint8_t hash[MSCHAP_NT_HASH_LEN])
{
	uint8_t u16[512];   /* RFC 2759 limits passwords to 256 Unicode characters */
	size_t n = 0;
	int rc;

	if (!mschap_available())
		return -ENOTSUP;
	rc = utf16le(password, u16, sizeof u16, &n);
	if (rc == 0)
		rc = digest3(legacy.md4, u16, n, NULL, 0, NULL, 0, hash);
	OPENSSL_cleanse(u16, sizeof u16);
	return rc;
}

int mschapv2_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			    const char *username, uint8_t out[8])
{
	uint8_t sha[20];
	int rc = digest3(EVP_sha1(), peer_challenge, 16, auth_challenge, 16, username,
			 strlen(username), sha);

	if (rc == 0)
		memcpy(out, sha, 8);
	return rc;
}

/* Spread 7 key octets over 8, leaving the low (parity) bit of each: RFC 2759 §8.6. */
static void des_key_from_7(const uint8_t in[7], uint8_t out[8])
{
	out[0] = in[0] & 0xfe;
	for (int i = 1; i < 7; i++)
		out[i] = (uint8_t)(((in[i - 1] << (8 - i)) | (in[i] >> i)) & 0xfe);
	out[7] = (uint8_t)(in[6] << 1);
}

static int des_encrypt(const uint8_t key7[7], const uint8_t clear[8], uint8_t cipher[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t key[8];
	int outl = 0, ok;

	if (!ctx)
		return -ENOMEM;
	des_key_from_7(key7, key);
	ok = EVP_EncryptInit_ex2(ctx, legacy.des, key, NULL, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_EncryptUpdate(ctx, cipher, &outl, clear, 8) && outl == 8;
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(key, sizeof key);
	return ok ? 0 : -EIO;
}

/* ChallengeResponse: three DES encryptions under the zero-padded 21-octet hash. */
static int challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[16],
			      uint8_t response[24])
{
	uint8_t z[21] = { 0 };
	int rc;

	memcpy(z, nt_hash, 16);
	rc = des_encrypt(z, challenge, response);
	if (rc == 0)
		rc = des_encrypt(z + 7, challenge, response + 8);
	if (rc == 0)
		rc = des_encrypt(z + 14, challenge, response + 16);
	OPENSSL_cleanse(z, sizeof z);
	return rc;
}

int mschapv2_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
			 const char *username, const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
			 uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
	uint8_t ch[8];
	int rc;

	if (!mschap_available())
		return -ENOTSUP;
	rc = mschapv2_challenge_hash(peer_challenge, auth_challenge, username, ch);
	if (rc == 0)
		rc = challenge_response(ch, nt_hash, response);
	return rc;
}

int mschapv2_verify(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		    const char *username, const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
		    const uint8_t response[MSCHAPV2_NT_RESPONSE_LEN])
{
	uint8_t expect[MSCHAPV2_NT_RESPONSE_LEN];
	int rc = mschapv2_nt_response(auth_challenge, peer_challenge, username, nt_hash, expect);

	if (rc == 0 && CRYPTO_memcmp(expect, response, sizeof expect) != 0)
		rc = -EACCES;
	OPENSSL_cleanse(expect, sizeof expect);
	return rc;
}

int mschapv2_authenticator_response(const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
				    const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
				    const uint8_t peer_challenge[16],
				    const uint8_t auth_challenge[16], const char *username,
				    char out[MSCHAPV2_AUTH_RESPONSE_LEN])
{
	static const char magic1[] = "Magic server to client signing constant";
	static const char magic2[] = "Pad to make it do more than one iteration";
	static const char hex[] = "0123456789ABCDEF";
	uint8_t hashhash[16], digest[20], ch[8];
	int rc;

	if (!mschap_available())
		return -ENOTSUP;
	rc = digest3(legacy.md4, nt_hash, 16, NULL, 0, NULL, 0, hashhash);
	if (rc == 0)
		rc = digest3(EVP_sha1(), hashhash, 16, nt_response, 24, magic1,
			     sizeof magic1 - 1, digest);
	if (rc == 0)
		rc = mschapv2_challenge_hash(peer_challenge, auth_challenge, username, ch);
	if (rc == 0)
		rc = digest3(EVP_sha1(), digest, 20, ch, 8, magic2, sizeof magic2 - 1, digest);
	if (rc == 0) {
		out[0] = 'S';
		out[1] = '=';
		for (int i = 0; i < 20; i++) {
			out[2 + 2 * i] = hex[digest[i] >> 4];
			out[3 + 2 * i] = hex[digest[i] & 15];
		}
	}
	OPENSSL_cleanse(hashhash, sizeof hashhash);
	return rc;
}
