/*
 * ike_dh against published vectors: RFC 5903 section 8 (ECP-256/384), RFC 7748
 * section 6.1 (X25519); MODP primes against OpenSSL's independent copies of the RFC
 * 2409/3526 constants (which data/modp_primes.py re-derives from the RFC formula).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>

#include "ikd/ike_crypto.h"
#include "ikd/ike_dh.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

struct ecp_vector {
	unsigned group;
	const char *i, *gix, *giy, *grx, *gry, *girx;
};

/* RFC 5903 section 8.1 and 8.2. */
static const struct ecp_vector ecp_vectors[] = {
	{ IKE_DH_ECP256,
	  "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
	  "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
	  "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
	  "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
	  "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
	  "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE" },
	{ IKE_DH_ECP384,
	  "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
	  "E35B5380 41E649EE 3FAEF896 783AB194",
	  "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
	  "DE3AC808 ACB4BDB4 C88732AE E95F41AA",
	  "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
	  "EB9FCFF3 C2C947DA E69B4C63 4573A81C",
	  "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
	  "0D1AC43A 0336DEF9 6FDA41D0 774A3571",
	  "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF"
	  "F83FA401 42209DFF 5EAAD96D B9E6386C",
	  "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
	  "D6031355 69B9E9D0 9CF5D4A2 70F59746" },
};

static void test_ecp_rfc5903(void **state)
{
	(void)state;
	for (size_t v = 0; v < 2; v++) {
		const struct ecp_vector *t = &ecp_vectors[v];
		uint8_t i[48], gi[96], gr[96], gir[48], secret[64];
		size_t il = unhex(t->i, i, sizeof i);
		size_t half = unhex(t->gix, gi, sizeof gi);
		unhex(t->giy, gi + half, sizeof gi - half);
		unhex(t->grx, gr, sizeof gr);
		unhex(t->gry, gr + half, sizeof gr - half);
		size_t sl = unhex(t->girx, gir, sizeof gir);

		struct ike_dh *dh;
		assert_int_equal(ike_dh_new_from_private(t->group, i, il, &dh), 0);
		size_t pl;
		const uint8_t *pub = ike_dh_public(dh, &pl);
		assert_int_equal(pl, 2 * half);
		assert_memory_equal(pub, gi, pl);       /* x | y, no 0x04 */
		size_t got = 0;
		assert_int_equal(ike_dh_compute(dh, gr, 2 * half, secret, sizeof secret, &got), 0);
		assert_int_equal(got, sl);
		assert_memory_equal(secret, gir, sl);   /* x coordinate only */
		assert_int_equal(ike_dh_check_public(t->group, gr, 2 * half), 0);

		/* Off the curve (y flipped), all zero, SEC1-prefixed, short: refused. */
		gr[2 * half - 1] ^= 1;
		assert_int_equal(ike_dh_check_public(t->group, gr, 2 * half), -EINVAL);
		assert_int_equal(ike_dh_compute(dh, gr, 2 * half, secret, sizeof secret, &got),
				 -EINVAL);
		uint8_t zero[97] = { 0 };
		assert_int_equal(ike_dh_compute(dh, zero, 2 * half, secret, sizeof secret, &got),
				 -EINVAL);
		uint8_t prefixed[97];
		prefixed[0] = 4;
		memcpy(prefixed + 1, gi, 2 * half);
		assert_int_equal(ike_dh_compute(dh, prefixed, 2 * half + 1, secret, sizeof secret,
						&got), -EINVAL);
		assert_int_equal(ike_dh_compute(dh, gi, 2 * half - 1, secret, sizeof secret, &got),
				 -EINVAL);
		ike_dh_free(dh);
	}
}

/* RFC 7748 section 6.1. */
static void test_x25519_rfc7748(void **state)
{
	(void)state;
	uint8_t a[32], apub[32], b[32], bpub[32], k[32], out[32];
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", apub, 32);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub, 32);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", k, 32);
	struct ike_dh *da, *db;
	assert_int_equal(ike_dh_new_from_private(IKE_DH_CURVE25519, a, 32, &da), 0);
	assert_int_equal(ike_dh_new_from_private(IKE_DH_CURVE25519, b, 32, &db), 0);
	size_t len;
	assert_memory_equal(ike_dh_public(da, &len), apub, 32);
	assert_memory_equal(ike_dh_public(db, &len), bpub, 32);
	assert_int_equal(ike_dh_compute(da, bpub, 32, out, sizeof out, &len), 0);
	assert_memory_equal(out, k, 32);
	assert_int_equal(ike_dh_compute(db, apub, 32, out, sizeof out, &len), 0);
	assert_memory_equal(out, k, 32);
	/* Low-order points give an all-zero result: u = 0 and u = 1 are refused. */
	uint8_t low[32] = { 0 };
	assert_int_equal(ike_dh_compute(da, low, 32, out, sizeof out, &len), -EINVAL);
	low[0] = 1;
	assert_int_equal(ike_dh_compute(da, low, 32, out, sizeof out, &len), -EINVAL);
	assert_int_equal(ike_dh_compute(da, bpub, 31, out, sizeof out, &len), -EINVAL);
	ike_dh_free(da);
	ike_dh_free(db);
}

struct modp_ref {
	unsigned group;
	BIGNUM *(*prime)(BIGNUM *);
	const char *sha256;     /* of the prime's bytes, printed by data/modp_primes.py */
};

static const struct modp_ref modp_refs[] = {
	{ IKE_DH_MODP1024, BN_get_rfc2409_prime_1024,
	  "3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0" },
	{ IKE_DH_MODP1536, BN_get_rfc3526_prime_1536,
	  "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b" },
	{ IKE_DH_MODP2048, BN_get_rfc3526_prime_2048,
	  "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e" },
	{ IKE_DH_MODP3072, BN_get_rfc3526_prime_3072,
	  "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c" },
	{ IKE_DH_MODP4096, BN_get_rfc3526_prime_4096,
	  "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33" },
};

/* Our prime constants: 2^x mod p equals OpenSSL's with its own copy of p, and the range
 * check sits exactly at p-1. */
static void test_modp_primes(void **state)
{
	(void)state;
	static const uint8_t x[40] = { 0x5a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				       16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
				       30, 31, 32, 33, 34, 35, 36, 37, 38, 39 };
	for (size_t i = 0; i < sizeof(modp_refs) / sizeof(modp_refs[0]); i++) {
		unsigned grp = modp_refs[i].group;
		size_t len = ike_dh_pub_len(grp);
		BIGNUM *p = modp_refs[i].prime(NULL), *g = BN_new(), *bx = BN_bin2bn(x, 40, NULL);
		BIGNUM *y = BN_new();
		BN_CTX *ctx = BN_CTX_new();
		assert_true(BN_set_word(g, 2) && BN_mod_exp(y, g, bx, p, ctx));
		uint8_t want[512], buf[512];
		assert_int_equal(BN_bn2binpad(y, want, (int)len), (int)len);
		assert_int_equal(BN_num_bytes(p), (int)len);
		/* OpenSSL's prime is the one the RFC formula gives (data/modp_primes.py). */
		uint8_t pbytes[512], digest[32], want_digest[32];
		BN_bn2bin(p, pbytes);
		struct ike_chunk pc = IKE_CHUNK(pbytes, len);
		assert_int_equal(ike_hash(IKE_HASH_SHA2_256, &pc, 1, digest), 0);
		unhex(modp_refs[i].sha256, want_digest, 32);
		assert_memory_equal(digest, want_digest, 32);

		struct ike_dh *dh;
		assert_int_equal(ike_dh_new_from_private(grp, x, sizeof x, &dh), 0);
		size_t pl;
		const uint8_t *pub = ike_dh_public(dh, &pl);
		assert_int_equal(pl, len);
		assert_memory_equal(pub, want, len);

		/* p-1 refused, p-2 accepted; 0, 1, p and 0xff.. refused; wrong length too. */
		BIGNUM *t = BN_dup(p);
		assert_true(BN_sub_word(t, 1));
		BN_bn2binpad(t, buf, (int)len);
		assert_int_equal(ike_dh_check_public(grp, buf, len), -EINVAL);
		assert_true(BN_sub_word(t, 1));
		BN_bn2binpad(t, buf, (int)len);
		assert_int_equal(ike_dh_check_public(grp, buf, len), 0);
		BN_bn2binpad(p, buf, (int)len);
		assert_int_equal(ike_dh_check_public(grp, buf, len), -EINVAL);
		memset(buf, 0xff, len);
		assert_int_equal(ike_dh_check_public(grp, buf, len), -EINVAL);
		memset(buf, 0, len);
		assert_int_equal(ike_dh_check_public(grp, buf, len), -EINVAL);
		buf[len - 1] = 1;
		assert_int_equal(ike_dh_check_public(grp, buf, len), -EINVAL);
		uint8_t s[512];
		size_t sl;
		assert_int_equal(ike_dh_compute(dh, buf, len, s, sizeof s, &sl), -EINVAL);
		buf[len - 1] = 2;
		assert_int_equal(ike_dh_check_public(grp, buf, len), 0);
		assert_int_equal(ike_dh_check_public(grp, buf + 1, len - 1), -EINVAL);

		/* g^xy for peer value 3: 3^x mod p, left-padded to the prime length. */
		buf[len - 1] = 3;
		assert_int_equal(ike_dh_compute(dh, buf, len, s, sizeof s, &sl), 0);
		assert_int_equal(sl, len);
		assert_true(BN_set_word(g, 3) && BN_mod_exp(y, g, bx, p, ctx));
		BN_bn2binpad(y, want, (int)len);
		assert_memory_equal(s, want, len);

		ike_dh_free(dh);
		BN_free(t);
		BN_CTX_free(ctx);
		BN_free(y);
		BN_free(bx);
		BN_free(g);
		BN_free(p);
	}
}

/* Fresh key pairs agree, for every group. */
static void test_agreement(void **state)
{
	(void)state;
	static const unsigned all[] = { 2, 5, 14, 15, 16, 19, 20, 31 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct ike_dh *a, *b;
		assert_int_equal(ike_dh_new(all[i], &a), 0);
		assert_int_equal(ike_dh_new(all[i], &b), 0);
		size_t al, bl, s1l, s2l;
		const uint8_t *ap = ike_dh_public(a, &al), *bp = ike_dh_public(b, &bl);
		assert_int_equal(al, ike_dh_pub_len(all[i]));
		assert_memory_not_equal(ap, bp, al);
		uint8_t s1[512], s2[512];
		assert_int_equal(ike_dh_compute(a, bp, bl, s1, sizeof s1, &s1l), 0);
		assert_int_equal(ike_dh_compute(b, ap, al, s2, sizeof s2, &s2l), 0);
		assert_int_equal(s1l, ike_dh_secret_len(all[i]));
		assert_int_equal(s1l, s2l);
		assert_memory_equal(s1, s2, s1l);
		assert_int_equal(ike_dh_compute(a, bp, bl, s1, s1l - 1, &s1l), -ENOSPC);
		ike_dh_free(a);
		ike_dh_free(b);
	}
}

static void test_refused_groups(void **state)
{
	(void)state;
	struct ike_dh *dh = (struct ike_dh *)1;
	assert_int_equal(ike_dh_new(IKE_DH_MODP768, &dh), -ENOTSUP);
	assert_null(dh);
	assert_false(ike_dh_supported(1));
	assert_false(ike_dh_supported(22));
	assert_int_equal(ike_dh_pub_len(1), 0);
	assert_string_equal(ike_dh_name(1), "modp768");
	assert_string_equal(ike_dh_name(14), "modp2048");
	assert_null(ike_dh_name(99));
	assert_int_equal(ike_dh_check_public(1, (const uint8_t *)"xx", 2), -ENOTSUP);
	assert_int_equal(ike_dh_pub_len(19), 64);
	assert_int_equal(ike_dh_pub_len(20), 96);
	assert_int_equal(ike_dh_secret_len(20), 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecp_rfc5903),
		cmocka_unit_test(test_x25519_rfc7748),
		cmocka_unit_test(test_modp_primes),
		cmocka_unit_test(test_agreement),
		cmocka_unit_test(test_refused_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
