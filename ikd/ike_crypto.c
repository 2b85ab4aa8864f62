/*
 * IKEv1 cryptography over OpenSSL 3 EVP. See ike_crypto.h for the formulas; the RFC
 * section is named at each function.
 *
 * OpenSSL 3 finds an algorithm by name on every fetch (a locked method store, string
 * compares, allocations), and an HMAC initialised with a digest name fetches that digest
 * again: 8.5 us for one HMAC-SHA256 of 64 bytes, about 15 times the hashing. A handshake
 * makes some twenty PRF calls, so each digest, cipher and HMAC (with its digest set) is
 * fetched once and kept for the life of the process (single-threaded daemon); each call
 * duplicates the kept HMAC context and only sets the key.
 */
#include "ikd/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

struct hash_info {
	enum ike_hash id;
	const char *name;
	const char *ossl;
	size_t len;
};

static const struct hash_info hashes[] = {
	{ IKE_HASH_MD5, "md5", "MD5", 16 },
	{ IKE_HASH_SHA1, "sha1", "SHA1", 20 },
	{ IKE_HASH_SHA2_256, "sha256", "SHA2-256", 32 },
	{ IKE_HASH_SHA2_384, "sha384", "SHA2-384", 48 },
	{ IKE_HASH_SHA2_512, "sha512", "SHA2-512", 64 },
};

#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

static const struct hash_info *hash_find(enum ike_hash h)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].id == h)
			return &hashes[i];
	return NULL;
}

/* The digest of hi, fetched once. NULL if OpenSSL lacks it. */
static const EVP_MD *md_of(const struct hash_info *hi)
{
	static EVP_MD *md[N_HASHES];
	size_t i = (size_t)(hi - hashes);
	if (!md[i])
		md[i] = EVP_MD_fetch(NULL, hi->ossl, NULL);
	return md[i];
}

/* An HMAC context with hi's digest set and no key yet, made once: callers duplicate it. */
static const EVP_MAC_CTX *hmac_template(const struct hash_info *hi)
{
	static EVP_MAC *mac;
	static EVP_MAC_CTX *tmpl[N_HASHES];
	size_t i = (size_t)(hi - hashes);
	if (tmpl[i])
		return tmpl[i];
	if (!mac && !(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return NULL;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hi->ossl, 0),
		OSSL_PARAM_construct_end(),
	};
	if (!ctx || !EVP_MAC_CTX_set_params(ctx, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	tmpl[i] = ctx;
	return ctx;
}

size_t ike_hash_len(enum ike_hash h)
{
	const struct hash_info *hi = hash_find(h);
	return hi ? hi->len : 0;
}

const char *ike_hash_name(enum ike_hash h)
{
	const struct hash_info *hi = hash_find(h);
	return hi ? hi->name : "?";
}

bool ike_hash_negotiable(enum ike_hash h)
{
	return h == IKE_HASH_SHA1 || h == IKE_HASH_SHA2_256 || h == IKE_HASH_SHA2_384 ||
	       h == IKE_HASH_SHA2_512;
}

int ike_hash(enum ike_hash h, const struct ike_chunk *parts, size_t nparts, uint8_t *out)
{
	const struct hash_info *hi = hash_find(h);
	if (!hi || !out)
		return -EINVAL;
	const EVP_MD *md = md_of(hi);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EIO;
	if (!md || !ctx || !EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len))
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, NULL))
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ike_prf(enum ike_hash h, const void *key, size_t keylen, const struct ike_chunk *parts,
	    size_t nparts, uint8_t *out)
{
	const struct hash_info *hi = hash_find(h);
	if (!hi || !ike_hash_negotiable(h) || !out || !key || keylen == 0)
		return -EINVAL;
	const EVP_MAC_CTX *tmpl = hmac_template(hi);
	EVP_MAC_CTX *ctx = tmpl ? EVP_MAC_CTX_dup(tmpl) : NULL;
	size_t outl = 0;
	int rc = -EIO;
	if (!ctx || !EVP_MAC_init(ctx, key, keylen, NULL))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].ptr, parts[i].len))
			goto out;
	if (EVP_MAC_final(ctx, out, &outl, hi->len) && outl == hi->len)
		rc = 0;
out:
	EVP_MAC_CTX_free(ctx);   /* cleanses the HMAC key schedule */
	return rc;
}

struct cipher_info {
	enum ike_cipher id;
	const char *name;
	const char *ossl;
	size_t key_len;
	size_t block_len;
};

static const struct cipher_info ciphers[] = {
	{ IKE_CIPHER_3DES_CBC, "3des", "DES-EDE3-CBC", 24, 8 },
	{ IKE_CIPHER_AES128_CBC, "aes128", "AES-128-CBC", 16, 16 },
	{ IKE_CIPHER_AES192_CBC, "aes192", "AES-192-CBC", 24, 16 },
	{ IKE_CIPHER_AES256_CBC, "aes256", "AES-256-CBC", 32, 16 },
};

#define N_CIPHERS (sizeof(ciphers) / sizeof(ciphers[0]))

static const struct cipher_info *cipher_find(enum ike_cipher c)
{
	for (size_t i = 0; i < N_CIPHERS; i++)
		if (ciphers[i].id == c)
			return &ciphers[i];
	return NULL;
}

/* The cipher of ci, fetched once. NULL if OpenSSL lacks it (3DES without legacy, say). */
static const EVP_CIPHER *cipher_of(const struct cipher_info *ci)
{
	static EVP_CIPHER *cipher[N_CIPHERS];
	size_t i = (size_t)(ci - ciphers);
	if (!cipher[i])
		cipher[i] = EVP_CIPHER_fetch(NULL, ci->ossl, NULL);
	return cipher[i];
}

size_t ike_cipher_key_len(enum ike_cipher c)
{
	const struct cipher_info *ci = cipher_find(c);
	return ci ? ci->key_len : 0;
}

size_t ike_cipher_block_len(enum ike_cipher c)
{
	const struct cipher_info *ci = cipher_find(c);
	return ci ? ci->block_len : 0;
}

const char *ike_cipher_name(enum ike_cipher c)
{
	const struct cipher_info *ci = cipher_find(c);
	return ci ? ci->name : "?";
}

static int cbc_run(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		   const uint8_t *in, uint8_t *out, size_t len, int enc)
{
	const struct cipher_info *ci = cipher_find(c);
	if (!ci || !key || !iv || (len && (!in || !out)))
		return -EINVAL;
	if (len % ci->block_len || len > INT32_MAX)
		return -EINVAL;
	const EVP_CIPHER *cipher = cipher_of(ci);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl = 0, finl = 0, rc = -EIO;
	if (!cipher || !ctx || !EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, NULL))
		goto out;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)len))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + outl, &finl) || (size_t)(outl + finl) != len)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int ike_cbc_encrypt(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, uint8_t *out, size_t len)
{
	return cbc_run(c, key, iv, in, out, len, 1);
}

int ike_cbc_decrypt(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, uint8_t *out, size_t len)
{
	return cbc_run(c, key, iv, in, out, len, 0);
}

int ikev1_encrypt_body(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		       uint8_t *buf, size_t len, size_t cap, size_t *out_len, uint8_t *iv_next)
{
	size_t bl = ike_cipher_block_len(c);
	if (!bl || !buf || !out_len || !iv_next)
		return -EINVAL;
	size_t padded = (len + bl - 1) / bl * bl;
	if (padded == 0)
		padded = bl;
	if (padded > cap)
		return -ENOSPC;
	memset(buf + len, 0, padded - len);
	int rc = ike_cbc_encrypt(c, key, iv, buf, buf, padded);
	if (rc)
		return rc;
	memcpy(iv_next, buf + padded - bl, bl);
	*out_len = padded;
	return 0;
}

int ikev1_decrypt_body(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		       uint8_t *buf, size_t len, uint8_t *iv_next)
{
	size_t bl = ike_cipher_block_len(c);
	if (!bl || !buf || !iv_next)
		return -EINVAL;
	if (len == 0 || len % bl)
		return -EBADMSG;
	uint8_t last[IKE_BLOCK_MAX];
	memcpy(last, buf + len - bl, bl);
	int rc = ike_cbc_decrypt(c, key, iv, buf, buf, len);
	if (rc == 0)
		memcpy(iv_next, last, bl);
	return rc;
}

void ikev1_keys_wipe(struct ikev1_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

/* RFC 2409 section 5: SKEYID = prf(pre-shared-key, Ni_b | Nr_b). */
int ikev1_skeyid_psk(enum ike_hash prf, const void *psk, size_t psk_len,
		     const struct ike_chunk *ni_b, const struct ike_chunk *nr_b, uint8_t *out)
{
	if (!ni_b || !nr_b)
		return -EINVAL;
	struct ike_chunk parts[] = { *ni_b, *nr_b };
	return ike_prf(prf, psk, psk_len, parts, 2, out);
}

/* RFC 2409 section 5: SKEYID = prf(Ni_b | Nr_b, g^xy). */
int ikev1_skeyid_sig(enum ike_hash prf, const struct ike_chunk *ni_b,
		     const struct ike_chunk *nr_b, const struct ike_chunk *gxy, uint8_t *out)
{
	if (!ni_b || !nr_b || !gxy || ni_b->len + nr_b->len > 2 * 256)
		return -EINVAL;
	uint8_t key[2 * 256];
	memcpy(key, ni_b->ptr, ni_b->len);
	memcpy(key + ni_b->len, nr_b->ptr, nr_b->len);
	int rc = ike_prf(prf, key, ni_b->len + nr_b->len, gxy, 1, out);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/*
 * RFC 2409 appendix B: a cipher key longer than SKEYID_e is K1 | K2 | ..., where
 * K1 = prf(SKEYID_e, 0) (one zero octet) and Kn = prf(SKEYID_e, Kn-1).
 */
static int derive_enc_key(struct ikev1_keys *k)
{
	size_t need = ike_cipher_key_len(k->suite.cipher);
	if (need <= k->prf_len) {
		memcpy(k->enc_key, k->skeyid_e, need);
		return 0;
	}
	uint8_t block[IKE_HASH_MAX];
	uint8_t zero = 0;
	struct ike_chunk in = IKE_CHUNK(&zero, 1);
	size_t have = 0;
	int rc = 0;
	while (have < need) {
		rc = ike_prf(k->suite.prf, k->skeyid_e, k->prf_len, &in, 1, block);
		if (rc)
			break;
		size_t n = need - have < k->prf_len ? need - have : k->prf_len;
		memcpy(k->enc_key + have, block, n);
		have += n;
		in = IKE_CHUNK(k->enc_key + have - n, k->prf_len); /* Kn-1, whole block */
		if (n < k->prf_len)
			break;
	}
	OPENSSL_cleanse(block, sizeof(block));
	return rc;
}

int ikev1_derive_keys(struct ikev1_keys *k, const struct ikev1_suite *suite,
		      const uint8_t *skeyid, const struct ike_chunk *gxy,
		      const uint8_t *cky_i, const uint8_t *cky_r)
{
	if (!k || !suite || !skeyid || !gxy || !cky_i || !cky_r)
		return -EINVAL;
	size_t plen = ike_hash_len(suite->prf);
	if (!ike_hash_negotiable(suite->prf) || !ike_hash_negotiable(suite->hash) ||
	    !ike_cipher_key_len(suite->cipher))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->suite = *suite;
	k->prf_len = plen;
	memcpy(k->skeyid, skeyid, plen);

	static const uint8_t n0 = 0, n1 = 1, n2 = 2;
	struct ike_chunk d_in[] = { *gxy, IKE_CHUNK(cky_i, 8), IKE_CHUNK(cky_r, 8),
				    IKE_CHUNK(&n0, 1) };
	struct ike_chunk a_in[] = { IKE_CHUNK(k->skeyid_d, plen), *gxy, IKE_CHUNK(cky_i, 8),
				    IKE_CHUNK(cky_r, 8), IKE_CHUNK(&n1, 1) };
	struct ike_chunk e_in[] = { IKE_CHUNK(k->skeyid_a, plen), *gxy, IKE_CHUNK(cky_i, 8),
				    IKE_CHUNK(cky_r, 8), IKE_CHUNK(&n2, 1) };
	int rc = ike_prf(suite->prf, k->skeyid, plen, d_in, 4, k->skeyid_d);
	if (!rc)
		rc = ike_prf(suite->prf, k->skeyid, plen, a_in, 5, k->skeyid_a);
	if (!rc)
		rc = ike_prf(suite->prf, k->skeyid, plen, e_in, 5, k->skeyid_e);
	if (!rc)
		rc = derive_enc_key(k);
	if (rc)
		ikev1_keys_wipe(k);
	return rc;
}

/* Hash the parts and keep the first block-length bytes as an IV. */
static int iv_from_hash(const struct ikev1_keys *k, const struct ike_chunk *parts, size_t n,
			uint8_t *iv)
{
	uint8_t h[IKE_HASH_MAX];
	size_t bl = ike_cipher_block_len(k->suite.cipher);
	if (!bl || ike_hash_len(k->suite.hash) < bl)
		return -EINVAL;
	int rc = ike_hash(k->suite.hash, parts, n, h);
	if (!rc)
		memcpy(iv, h, bl);
	return rc;
}

/* RFC 2409 appendix B: IV = hash(g^xi | g^xr). */
int ikev1_phase1_iv(const struct ikev1_keys *k, const struct ike_chunk *gxi,
		    const struct ike_chunk *gxr, uint8_t *iv)
{
	if (!k || !gxi || !gxr || !iv)
		return -EINVAL;
	struct ike_chunk parts[] = { *gxi, *gxr };
	return iv_from_hash(k, parts, 2, iv);
}

/* RFC 2409 appendix B: IV = hash(last phase-1 CBC output block | M-ID). */
int ikev1_phase2_iv(const struct ikev1_keys *k, const uint8_t *last_block, uint32_t msgid,
		    uint8_t *iv)
{
	if (!k || !last_block || !iv)
		return -EINVAL;
	uint8_t mid[4] = { msgid >> 24, msgid >> 16, msgid >> 8, msgid };
	struct ike_chunk parts[] = { IKE_CHUNK(last_block, ike_cipher_block_len(k->suite.cipher)),
				     IKE_CHUNK(mid, 4) };
	return iv_from_hash(k, parts, 2, iv);
}

/* RFC 2409 section 5: HASH_I and HASH_R. */
int ikev1_hash_auth(const struct ikev1_keys *k, bool initiator, const struct ike_chunk *gxi,
		    const struct ike_chunk *gxr, const uint8_t *cky_i, const uint8_t *cky_r,
		    const struct ike_chunk *sai_b, const struct ike_chunk *id_b, uint8_t *out)
{
	if (!k || !gxi || !gxr || !cky_i || !cky_r || !sai_b || !id_b || !out)
		return -EINVAL;
	struct ike_chunk parts[6];
	parts[0] = initiator ? *gxi : *gxr;
	parts[1] = initiator ? *gxr : *gxi;
	parts[2] = IKE_CHUNK(initiator ? cky_i : cky_r, 8);
	parts[3] = IKE_CHUNK(initiator ? cky_r : cky_i, 8);
	parts[4] = *sai_b;
	parts[5] = *id_b;
	return ike_prf(k->suite.prf, k->skeyid, k->prf_len, parts, 6, out);
}

int ikev1_qm_hash12(const struct ikev1_keys *k, uint32_t msgid, const struct ike_chunk *ni_b,
		    const struct ike_chunk *rest, uint8_t *out)
{
	if (!k || !rest || !out)
		return -EINVAL;
	uint8_t mid[4] = { msgid >> 24, msgid >> 16, msgid >> 8, msgid };
	struct ike_chunk parts[3];
	size_t n = 0;
	parts[n++] = IKE_CHUNK(mid, 4);
	if (ni_b)
		parts[n++] = *ni_b;
	parts[n++] = *rest;
	return ike_prf(k->suite.prf, k->skeyid_a, k->prf_len, parts, n, out);
}

int ikev1_qm_hash3(const struct ikev1_keys *k, uint32_t msgid, const struct ike_chunk *ni_b,
		   const struct ike_chunk *nr_b, uint8_t *out)
{
	if (!k || !ni_b || !nr_b || !out)
		return -EINVAL;
	uint8_t pre[5] = { 0, msgid >> 24, msgid >> 16, msgid >> 8, msgid };
	struct ike_chunk parts[] = { IKE_CHUNK(pre, 5), *ni_b, *nr_b };
	return ike_prf(k->suite.prf, k->skeyid_a, k->prf_len, parts, 3, out);
}

int ikev1_keymat(const struct ikev1_keys *k, const struct ike_chunk *gqm, uint8_t protocol,
		 const uint8_t spi[4], const struct ike_chunk *ni_b, const struct ike_chunk *nr_b,
		 uint8_t *out, size_t out_len)
{
	if (!k || !spi || !ni_b || !nr_b || !out || out_len > 16 * IKE_HASH_MAX)
		return -EINVAL;
	uint8_t prev[IKE_HASH_MAX];
	struct ike_chunk parts[6];
	size_t have = 0;
	int rc = 0;
	bool first = true;
	while (have < out_len) {
		size_t n = 0;
		if (!first)
			parts[n++] = IKE_CHUNK(prev, k->prf_len);
		if (gqm)
			parts[n++] = *gqm;
		parts[n++] = IKE_CHUNK(&protocol, 1);
		parts[n++] = IKE_CHUNK(spi, 4);
		parts[n++] = *ni_b;
		parts[n++] = *nr_b;
		rc = ike_prf(k->suite.prf, k->skeyid_d, k->prf_len, parts, n, prev);
		if (rc)
			break;
		size_t take = out_len - have < k->prf_len ? out_len - have : k->prf_len;
		memcpy(out + have, prev, take);
		have += take;
		first = false;
	}
	OPENSSL_cleanse(prev, sizeof(prev));
	if (rc)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

int ikev1_natd_hash(enum ike_hash h, const uint8_t *cky_i, const uint8_t *cky_r,
		    const uint8_t *addr, size_t addr_len, uint16_t port, uint8_t *out)
{
	if (!cky_i || !cky_r || !addr || (addr_len != 4 && addr_len != 16) ||
	    !ike_hash_negotiable(h))
		return -EINVAL;
	uint8_t p[2] = { port >> 8, port };
	struct ike_chunk parts[] = { IKE_CHUNK(cky_i, 8), IKE_CHUNK(cky_r, 8),
				     IKE_CHUNK(addr, addr_len), IKE_CHUNK(p, 2) };
	return ike_hash(h, parts, 4, out);
}

static const struct ike_vid_info vids[IKE_VID_COUNT] = {
	{ IKE_VID_NATT_RFC3947, "nat-t-rfc3947", "RFC 3947",
	  { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
	    0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f }, 16 },
	{ IKE_VID_NATT_DRAFT_02, "nat-t-draft-02", "draft-ietf-ipsec-nat-t-ike-02",
	  { 0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8,
	    0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4, 0x48 }, 16 },
	{ IKE_VID_NATT_DRAFT_02_N, "nat-t-draft-02n", "draft-ietf-ipsec-nat-t-ike-02\n",
	  { 0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e,
	    0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b, 0x1f }, 16 },
	{ IKE_VID_NATT_DRAFT_03, "nat-t-draft-03", "draft-ietf-ipsec-nat-t-ike-03",
	  { 0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f,
	    0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d, 0x56 }, 16 },
	/* RFC 3706 section 7.1: fixed bytes, the last two are the version (1.0). */
	{ IKE_VID_DPD, "dpd", NULL,
	  { 0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
	    0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00 }, 16 },
	/* Windows: MD5("MS NT5 ISAKMPOAKLEY") followed by a 4-byte version. */
	{ IKE_VID_MS_NT5_ISAKMPOAKLEY, "ms-nt5-isakmpoakley", "MS NT5 ISAKMPOAKLEY",
	  { 0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d,
	    0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4, 0x61 }, 16 },
	/* IKEv1 fragmentation (Cisco, and Microsoft's [MS-IKEE]): MD5("FRAGMENTATION"),
	 * sometimes followed by 4 bytes of capability flags. */
	{ IKE_VID_FRAGMENTATION, "fragmentation", "FRAGMENTATION",
	  { 0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85,
	    0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3 }, 16 },
};

/* VIDs whose first 16 bytes identify them; anything may follow (versions, flags). */
static bool vid_allows_suffix(enum ike_vid id)
{
	return id == IKE_VID_MS_NT5_ISAKMPOAKLEY || id == IKE_VID_FRAGMENTATION;
}

const struct ike_vid_info *ike_vid_get(enum ike_vid id)
{
	if ((unsigned)id >= IKE_VID_COUNT)
		return NULL;
	return &vids[id];
}

const struct ike_vid_info *ike_vid_lookup(const uint8_t *data, size_t len)
{
	if (!data)
		return NULL;
	for (size_t i = 0; i < IKE_VID_COUNT; i++) {
		const struct ike_vid_info *v = &vids[i];
		if (len < v->match_len || (len != v->match_len && !vid_allows_suffix(v->id)))
			continue;
		if (memcmp(data, v->value, v->match_len) == 0)
			return v;
	}
	return NULL;
}

int ike_vid_md5(const char *text, size_t len, uint8_t out[16])
{
	if (!text || !out)
		return -EINVAL;
	struct ike_chunk c = IKE_CHUNK(text, len);
	return ike_hash(IKE_HASH_MD5, &c, 1, out);
}

int ike_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) ? 1 : 0;
}
