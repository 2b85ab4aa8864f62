/*
 * The one table mapping IKE transform ids to kernel algorithm names, key lengths and ICV
 * or truncation lengths. Everything else in l2sec asks this table.
 *
 * Key lengths are KEYMAT bytes: for the AEADs the 4-byte salt comes last (RFC 4106 s8.1,
 * RFC 7634 s2), which is also how the kernel's rfc4106/rfc7539esp templates want the key.
 * HMAC truncations are those of RFC 2404 (SHA-1: 96) and RFC 4868 (SHA-256/384/512:
 * 128/192/256); key length = the hash's output length (RFC 4868 s2.1.1).
 */
#include "xfrm/xfrm_alg.h"

#include <errno.h>
#include <string.h>

#include "xfrm/xfrm.h"

struct alg_row {
	uint16_t id;
	uint16_t ike_key_bits;          /* the IKE Key Length attribute; 0 = none */
	struct xfrm_alg_info info;
};

#define AEAD(id_, bits, name, kname, keyb, icv) \
	{ id_, bits, { name, kname, keyb, icv, true } }
#define CIPHER(id_, bits, name, kname, keyb) \
	{ id_, bits, { name, kname, keyb, 0, false } }

static const struct alg_row encr_table[] = {
	AEAD(XFRM_ENCR_AES_GCM_8, 128, "AES_GCM_8", "rfc4106(gcm(aes))", 16 + 4, 64),
	AEAD(XFRM_ENCR_AES_GCM_8, 192, "AES_GCM_8", "rfc4106(gcm(aes))", 24 + 4, 64),
	AEAD(XFRM_ENCR_AES_GCM_8, 256, "AES_GCM_8", "rfc4106(gcm(aes))", 32 + 4, 64),
	AEAD(XFRM_ENCR_AES_GCM_12, 128, "AES_GCM_12", "rfc4106(gcm(aes))", 16 + 4, 96),
	AEAD(XFRM_ENCR_AES_GCM_12, 192, "AES_GCM_12", "rfc4106(gcm(aes))", 24 + 4, 96),
	AEAD(XFRM_ENCR_AES_GCM_12, 256, "AES_GCM_12", "rfc4106(gcm(aes))", 32 + 4, 96),
	AEAD(XFRM_ENCR_AES_GCM_16, 128, "AES_GCM_16", "rfc4106(gcm(aes))", 16 + 4, 128),
	AEAD(XFRM_ENCR_AES_GCM_16, 192, "AES_GCM_16", "rfc4106(gcm(aes))", 24 + 4, 128),
	AEAD(XFRM_ENCR_AES_GCM_16, 256, "AES_GCM_16", "rfc4106(gcm(aes))", 32 + 4, 128),
	AEAD(XFRM_ENCR_CHACHA20_POLY1305, 0, "CHACHA20_POLY1305",
	     "rfc7539esp(chacha20,poly1305)", 32 + 4, 128),
	CIPHER(XFRM_ENCR_AES_CBC, 128, "AES_CBC", "cbc(aes)", 16),
	CIPHER(XFRM_ENCR_AES_CBC, 192, "AES_CBC", "cbc(aes)", 24),
	CIPHER(XFRM_ENCR_AES_CBC, 256, "AES_CBC", "cbc(aes)", 32),
	CIPHER(XFRM_ENCR_3DES, 0, "3DES", "cbc(des3_ede)", 24),
	CIPHER(XFRM_ENCR_NULL, 0, "NULL", "ecb(cipher_null)", 0),
};

static const struct alg_row integ_table[] = {
	{ XFRM_INTEG_HMAC_SHA1_96, 0, { "HMAC_SHA1_96", "hmac(sha1)", 20, 96, false } },
	{ XFRM_INTEG_HMAC_SHA2_256_128, 0,
	  { "HMAC_SHA2_256_128", "hmac(sha256)", 32, 128, false } },
	{ XFRM_INTEG_HMAC_SHA2_384_192, 0,
	  { "HMAC_SHA2_384_192", "hmac(sha384)", 48, 192, false } },
	{ XFRM_INTEG_HMAC_SHA2_512_256, 0,
	  { "HMAC_SHA2_512_256", "hmac(sha512)", 64, 256, false } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

const struct xfrm_alg_info *xfrm_alg_encr(uint16_t encr_id, uint16_t key_bits)
{
	for (size_t i = 0; i < N(encr_table); i++) {
		const struct alg_row *r = &encr_table[i];
		if (r->id != encr_id)
			continue;
		/* Fixed-size ciphers take 0 or their own size; AES needs the attribute. */
		uint16_t fixed_bits = (uint16_t)((r->info.key_bytes - (r->info.aead ? 4 : 0)) * 8);
		if (r->ike_key_bits == key_bits || (!r->ike_key_bits && key_bits == fixed_bits))
			return &r->info;
	}
	return NULL;
}

const struct xfrm_alg_info *xfrm_alg_integ(uint16_t integ_id)
{
	for (size_t i = 0; i < N(integ_table); i++)
		if (integ_table[i].id == integ_id)
			return &integ_table[i].info;
	return NULL;
}

uint16_t xfrm_integ_from_ikev1(uint16_t v1_auth)
{
	switch (v1_auth) {
	case 2: return XFRM_INTEG_HMAC_SHA1_96;         /* HMAC-SHA */
	case 5: return XFRM_INTEG_HMAC_SHA2_256_128;    /* HMAC-SHA2-256, RFC 4868 s4 */
	case 6: return XFRM_INTEG_HMAC_SHA2_384_192;
	case 7: return XFRM_INTEG_HMAC_SHA2_512_256;
	default: return 0;                              /* MD5, DES-MAC, KPDK: refused */
	}
}

int xfrm_alg_keymat(uint16_t encr_id, uint16_t key_bits, uint16_t integ_id,
		    size_t *encr_key_len, size_t *integ_key_len)
{
	const struct xfrm_alg_info *e = xfrm_alg_encr(encr_id, key_bits);

	*encr_key_len = 0;
	*integ_key_len = 0;
	if (!e)
		return -ENOTSUP;
	*encr_key_len = e->key_bytes;
	if (e->aead)
		return integ_id == XFRM_INTEG_NONE ? 0 : -ENOTSUP;
	const struct xfrm_alg_info *a = xfrm_alg_integ(integ_id);
	if (!a)
		return -ENOTSUP;        /* ESP without integrity is not offered */
	*integ_key_len = a->key_bytes;
	return 0;
}

int xfrm_alg_encr_reverse(const char *kernel_name, uint32_t key_bits, uint32_t icv_bits,
			  uint16_t *encr_id, uint16_t *ike_key_bits)
{
	for (size_t i = 0; i < N(encr_table); i++) {
		const struct alg_row *r = &encr_table[i];
		if (strcmp(r->info.kernel_name, kernel_name) == 0 &&
		    r->info.key_bytes * 8u == key_bits && r->info.icv_bits == icv_bits) {
			*encr_id = r->id;
			*ike_key_bits = r->ike_key_bits;
			return 0;
		}
	}
	return -ENOENT;
}

int xfrm_alg_integ_reverse(const char *kernel_name, uint32_t trunc_bits, uint16_t *integ_id)
{
	for (size_t i = 0; i < N(integ_table); i++) {
		const struct alg_row *r = &integ_table[i];
		if (strcmp(r->info.kernel_name, kernel_name) == 0 && r->info.icv_bits == trunc_bits) {
			*integ_id = r->id;
			return 0;
		}
	}
	return -ENOENT;
}
