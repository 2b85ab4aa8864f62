/*
 * Diffie-Hellman for IKE. MODP on OpenSSL BIGNUM (constant-time exponentiation), ECP on
 * EVP_PKEY, Curve25519 on libsodium. See ike_dh.h for encodings and checks.
 */
#include "ikd/ike_dh.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

/*
 * The MODP primes, as printed in RFC 2409 section 6.2 (group 2) and RFC 3526 sections
 * 2-5. Generator 2 for all. tests/unit/ikd/data/modp_primes.py recomputes them from
 * the RFCs' formula and test_ike_dh.c compares with OpenSSL's copies.
 */
static const char modp2_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"
;
static const char modp5_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
;
static const char modp14_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"
;
static const char modp15_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
;
static const char modp16_hex[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
	"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
	"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
	"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
	"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"
;

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct group_info {
	unsigned id;
	const char *name;
	enum dh_kind kind;
	size_t pub_len;
	size_t secret_len;
	const char *prime_hex;  /* MODP */
	const char *curve;      /* ECP: OpenSSL group name */
	int nid;                /* ECP */
	int exp_bits;           /* MODP: private exponent length */
};

/* Exponents of 2x the group's strength or more (NIST SP 800-57 table 2), at least 256. */
static const struct group_info groups[] = {
	{ IKE_DH_MODP1024, "modp1024", DH_MODP, 128, 128, modp2_hex, NULL, 0, 256 },
	{ IKE_DH_MODP1536, "modp1536", DH_MODP, 192, 192, modp5_hex, NULL, 0, 256 },
	{ IKE_DH_MODP2048, "modp2048", DH_MODP, 256, 256, modp14_hex, NULL, 0, 320 },
	{ IKE_DH_MODP3072, "modp3072", DH_MODP, 384, 384, modp15_hex, NULL, 0, 384 },
	{ IKE_DH_MODP4096, "modp4096", DH_MODP, 512, 512, modp16_hex, NULL, 0, 512 },
	{ IKE_DH_ECP256, "ecp256", DH_ECP, 64, 32, NULL, "P-256", NID_X9_62_prime256v1, 0 },
	{ IKE_DH_ECP384, "ecp384", DH_ECP, 96, 48, NULL, "P-384", NID_secp384r1, 0 },
	{ IKE_DH_CURVE25519, "curve25519", DH_X25519, 32, 32, NULL, NULL, 0, 0 },
};

static const struct group_info *group_find(unsigned id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

struct ike_dh {
	const struct group_info *g;
	size_t pub_len;
	uint8_t pub[IKE_DH_PUB_MAX];
	BIGNUM *x;              /* MODP private exponent (secure heap not assumed) */
	EVP_PKEY *pkey;         /* ECP key pair */
	uint8_t x25519[crypto_scalarmult_SCALARBYTES];
};

bool ike_dh_supported(unsigned group)
{
	return group_find(group) != NULL;
}

size_t ike_dh_pub_len(unsigned group)
{
	const struct group_info *g = group_find(group);
	return g ? g->pub_len : 0;
}

size_t ike_dh_secret_len(unsigned group)
{
	const struct group_info *g = group_find(group);
	return g ? g->secret_len : 0;
}

const char *ike_dh_name(unsigned group)
{
	if (group == IKE_DH_MODP768)
		return "modp768";
	const struct group_info *g = group_find(group);
	return g ? g->name : NULL;
}

unsigned ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len)
{
	if (len)
		*len = dh->pub_len;
	return dh->pub;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	BN_clear_free(dh->x);
	EVP_PKEY_free(dh->pkey);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

/* ---- MODP ---- */

static BIGNUM *modp_prime(const struct group_info *g)
{
	BIGNUM *p = NULL;
	if (!BN_hex2bn(&p, g->prime_hex))
		return NULL;
	return p;
}

/* dh->pub = 2^x mod p, left-padded. */
static int modp_make_public(struct ike_dh *dh)
{
	BIGNUM *p = modp_prime(dh->g), *gen = BN_new(), *y = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int rc = -EIO;
	if (!p || !gen || !y || !ctx || !BN_set_word(gen, 2))
		goto out;
	BN_set_flags(dh->x, BN_FLG_CONSTTIME);
	if (!BN_mod_exp(y, gen, dh->x, p, ctx))
		goto out;
	if (BN_bn2binpad(y, dh->pub, (int)dh->g->pub_len) < 0)
		goto out;
	dh->pub_len = dh->g->pub_len;
	rc = 0;
out:
	BN_CTX_free(ctx);
	BN_free(y);
	BN_free(gen);
	BN_free(p);
	return rc;
}

static int modp_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	dh->x = priv ? BN_bin2bn(priv, (int)priv_len, NULL) : BN_secure_new();
	if (!dh->x)
		return -ENOMEM;
	if (!priv && !BN_priv_rand_ex(dh->x, dh->g->exp_bits, BN_RAND_TOP_ONE,
				      BN_RAND_BOTTOM_ANY, 0, NULL))
		return -EIO;
	if (BN_is_zero(dh->x) || BN_is_one(dh->x))
		return -EINVAL;
	return modp_make_public(dh);
}

/* 1 < y < p-1 (RFC 2631 / SP 800-56A partial public-key validation). */
static int modp_check(const struct group_info *g, const uint8_t *peer, BIGNUM **y_out)
{
	BIGNUM *p = modp_prime(g), *y = BN_bin2bn(peer, (int)g->pub_len, NULL);
	BIGNUM *pm1 = p ? BN_dup(p) : NULL;
	int rc = -EINVAL;
	if (!p || !y || !pm1 || !BN_sub_word(pm1, 1)) {
		rc = -ENOMEM;
		goto out;
	}
	if (BN_is_zero(y) || BN_is_one(y) || BN_cmp(y, pm1) >= 0)
		goto out;
	rc = 0;
	if (y_out) {
		*y_out = y;
		y = NULL;
	}
out:
	BN_free(pm1);
	BN_free(p);
	BN_free(y);
	return rc;
}

static int modp_compute(const struct ike_dh *dh, const uint8_t *peer, uint8_t *secret)
{
	BIGNUM *y = NULL, *p = NULL, *z = BN_secure_new();
	BN_CTX *ctx = BN_CTX_secure_new();
	int rc = modp_check(dh->g, peer, &y);
	if (rc)
		goto out;
	rc = -EIO;
	p = modp_prime(dh->g);
	if (!p || !z || !ctx || !BN_mod_exp(z, y, dh->x, p, ctx))
		goto out;
	/* z = 1 or p-1 would mean y in a small subgroup; the range check excludes y = +-1,
	 * and for these safe primes no other y leads there with a random x. */
	if (BN_is_one(z) || BN_bn2binpad(z, secret, (int)dh->g->secret_len) < 0)
		goto out;
	rc = 0;
out:
	BN_CTX_free(ctx);
	BN_clear_free(z);
	BN_free(p);
	BN_free(y);
	return rc;
}

/* ---- ECP ---- */

/* dh->pub = x | y of dh->pkey's public point. */
static int ecp_export_public(struct ike_dh *dh)
{
	uint8_t enc[1 + IKE_DH_PUB_MAX];
	size_t len = 0;
	if (!EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, enc,
					     sizeof enc, &len))
		return -EIO;
	if (len != 1 + dh->g->pub_len || enc[0] != 0x04)
		return -EIO;
	memcpy(dh->pub, enc + 1, dh->g->pub_len);
	dh->pub_len = dh->g->pub_len;
	return 0;
}

/* An EVP_PKEY from OSSL params: group name, optional private scalar, public point. */
static EVP_PKEY *ecp_pkey_from(const struct group_info *g, const BIGNUM *priv,
			       const uint8_t *pub04, size_t pub04_len)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub04, pub04_len) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) <= 0)
		pkey = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Key pair from a known scalar: pub = priv * G. */
static int ecp_from_private(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	EC_GROUP *grp = EC_GROUP_new_by_curve_name(dh->g->nid);
	EC_POINT *pt = grp ? EC_POINT_new(grp) : NULL;
	BIGNUM *d = BN_bin2bn(priv, (int)priv_len, NULL);
	uint8_t enc[1 + IKE_DH_PUB_MAX];
	int rc = -EIO;
	if (!grp || !pt || !d)
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0) {
		rc = -EINVAL;
		goto out;
	}
	size_t len;
	if (!EC_POINT_mul(grp, pt, d, NULL, NULL, NULL) ||
	    (len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, enc, sizeof enc,
				      NULL)) == 0)
		goto out;
	dh->pkey = ecp_pkey_from(dh->g, d, enc, len);
	rc = dh->pkey ? ecp_export_public(dh) : -EIO;
out:
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return rc;
}

static int ecp_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	if (priv)
		return ecp_from_private(dh, priv, priv_len);
	dh->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", dh->g->curve);
	if (!dh->pkey)
		return -EIO;
	return ecp_export_public(dh);
}

/* The peer's x | y as an EVP_PKEY, NULL unless it is a valid point of the group. */
static EVP_PKEY *ecp_peer(const struct group_info *g, const uint8_t *peer)
{
	uint8_t enc[1 + IKE_DH_PUB_MAX];
	enc[0] = 0x04;
	memcpy(enc + 1, peer, g->pub_len);
	EVP_PKEY *pkey = ecp_pkey_from(g, NULL, enc, 1 + g->pub_len);
	if (!pkey)
		return NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	/* Point on the curve and not at infinity; both curves have cofactor 1, so the
	 * full check's order multiplication adds nothing but time (~10 ms on P-384). */
	int ok = ctx && EVP_PKEY_public_check_quick(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

static int ecp_compute(const struct ike_dh *dh, const uint8_t *peer, uint8_t *secret)
{
	EVP_PKEY *pp = ecp_peer(dh->g, peer);
	if (!pp)
		return -EINVAL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	size_t len = dh->g->secret_len;
	int rc = -EIO;
	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer_ex(ctx, pp, 1) > 0 &&
	    EVP_PKEY_derive(ctx, secret, &len) > 0 && len == dh->g->secret_len)
		rc = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pp);
	return rc;
}

/* ---- Curve25519 ---- */

static int x25519_new(struct ike_dh *dh, const uint8_t *priv, size_t priv_len)
{
	if (priv) {
		if (priv_len != sizeof dh->x25519)
			return -EINVAL;
		memcpy(dh->x25519, priv, priv_len);
	} else {
		randombytes_buf(dh->x25519, sizeof dh->x25519);
	}
	if (crypto_scalarmult_base(dh->pub, dh->x25519) != 0)
		return -EIO;
	dh->pub_len = 32;
	return 0;
}

static int x25519_compute(const struct ike_dh *dh, const uint8_t *peer, uint8_t *secret)
{
	/* libsodium returns -1 when the result is all-zero (a low-order peer point). */
	return crypto_scalarmult(secret, dh->x25519, peer) == 0 ? 0 : -EINVAL;
}

/* ---- common ---- */

int ike_dh_new_from_private(unsigned group, const uint8_t *priv, size_t priv_len,
			    struct ike_dh **out)
{
	if (!out || (!priv && priv_len) || priv_len > IKE_DH_PUB_MAX)
		return -EINVAL;
	*out = NULL;
	const struct group_info *g = group_find(group);
	if (!g)
		return -ENOTSUP;
	if (sodium_init() < 0)
		return -EIO;
	struct ike_dh *dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	dh->g = g;
	int rc;
	switch (g->kind) {
	case DH_MODP:
		rc = modp_new(dh, priv, priv_len);
		break;
	case DH_ECP:
		rc = ecp_new(dh, priv, priv_len);
		break;
	default:
		rc = x25519_new(dh, priv, priv_len);
		break;
	}
	if (rc) {
		ike_dh_free(dh);
		return rc;
	}
	*out = dh;
	return 0;
}

int ike_dh_new(unsigned group, struct ike_dh **out)
{
	return ike_dh_new_from_private(group, NULL, 0, out);
}

int ike_dh_check_public(unsigned group, const uint8_t *peer, size_t peer_len)
{
	const struct group_info *g = group_find(group);
	if (!g)
		return -ENOTSUP;
	if (!peer || peer_len != g->pub_len)
		return -EINVAL;
	if (g->kind == DH_MODP)
		return modp_check(g, peer, NULL);
	if (g->kind == DH_ECP) {
		EVP_PKEY *pk = ecp_peer(g, peer);
		EVP_PKEY_free(pk);
		return pk ? 0 : -EINVAL;
	}
	return 0;       /* every 32-byte u is a valid X25519 input; the result is checked */
}

int ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		   uint8_t *secret, size_t cap, size_t *secret_len)
{
	if (!dh || !peer || !secret || !secret_len)
		return -EINVAL;
	if (peer_len != dh->g->pub_len)
		return -EINVAL;
	if (cap < dh->g->secret_len)
		return -ENOSPC;
	int rc;
	switch (dh->g->kind) {
	case DH_MODP:
		rc = modp_compute(dh, peer, secret);
		break;
	case DH_ECP:
		rc = ecp_compute(dh, peer, secret);
		break;
	default:
		rc = x25519_compute(dh, peer, secret);
		break;
	}
	if (rc) {
		OPENSSL_cleanse(secret, dh->g->secret_len);
		return rc;
	}
	*secret_len = dh->g->secret_len;
	return 0;
}
