/*
 * Proposal lists, profiles and selection, against the proposal lists the built-in
 * L2TP/IPsec clients send (CLIENTS.md): Windows 10/11, macOS/iOS, Android (racoon).
 * Each client SA is built, serialised and re-parsed through isakmp, as from the wire.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ikd/ike_names.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"
#include "ikd/proposal.h"

/* One Phase 1 transform as a client sends it. */
struct p1t {
	uint16_t enc, keylen, hash, group;
	uint32_t life;
};

/* Phase 2: ESP transform id, key length, auth, encapsulation, seconds, kilobytes. */
struct p2t {
	uint8_t id;
	uint16_t keylen, auth, encap;
	uint32_t life, kb;
};

/* Serialise sa, parse it back as a peer's SA payload into *out. */
static void wire_roundtrip(const struct isakmp_sa *sa, struct isakmp_sa *out)
{
	static uint8_t buf[8192];
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_MAIN };
	struct isakmp_msg m;
	struct isakmp_err err;
	size_t len;
	bw_init(&w, buf, sizeof buf);
	assert_int_equal(isakmp_build_begin(&b, &w, &h), 0);
	assert_int_equal(isakmp_put_sa(&b, sa), 0);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(isakmp_parse_header(buf, len, &m, &err), 0);
	assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), 0);
	assert_int_equal(isakmp_sa_parse(&m.pl[0], out, &err), 0);
}

/* Phase 1: one proposal with n transforms (how Windows, Apple and racoon send them). */
static void p1_sa(const struct p1t *t, size_t n, uint16_t auth, struct isakmp_sa *out)
{
	static struct isakmp_sa sa;
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		isakmp_sa_add_transform(&sa, (uint8_t)(i + 1), 1);
		isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, t[i].enc, 0);
		if (t[i].keylen)
			isakmp_sa_add_attr(&sa, IKE_ATTR_KEY_LENGTH, true, t[i].keylen, 0);
		isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, t[i].hash, 0);
		isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, auth, 0);
		isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP, true, t[i].group, 0);
		isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_TYPE, true, 1, 0);
		isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_DURATION, false, t[i].life, 4);
	}
	wire_roundtrip(&sa, out);
}

/* Phase 2: one ESP proposal per transform, numbered 1..n (Windows style). */
static void p2_sa(const struct p2t *t, size_t n, uint16_t pfs, struct isakmp_sa *out)
{
	static struct isakmp_sa sa;
	static const uint8_t spi[4] = { 0xca, 0xfe, 0x00, 0x01 };
	isakmp_sa_init(&sa);
	for (size_t i = 0; i < n; i++) {
		isakmp_sa_add_proposal(&sa, (uint8_t)(i + 1), ISAKMP_PROTO_ESP, spi, 4);
		isakmp_sa_add_transform(&sa, 1, t[i].id);
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_ENCAP, true, t[i].encap, 0);
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_AUTH, true, t[i].auth, 0);
		if (t[i].keylen)
			isakmp_sa_add_attr(&sa, IPSEC_ATTR_KEY_LENGTH, true, t[i].keylen, 0);
		if (pfs)
			isakmp_sa_add_attr(&sa, IPSEC_ATTR_GROUP, true, pfs, 0);
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_TYPE, true, 1, 0);
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_DURATION, false, t[i].life, 4);
		if (t[i].kb) {
			isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_TYPE, true, 2, 0);
			isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_DURATION, false, t[i].kb, 4);
		}
	}
	wire_roundtrip(&sa, out);
}

#define AES IKE_ENC_AES
#define TDES IKE_ENC_3DES
#define DES IKE_ENC_DES
#define MD5 1
#define SHA1 2
#define SHA256 4
#define SHA512 6

/* CLIENTS.md: Windows 10/11 Main Mode. */
static const struct p1t windows_p1[] = {
	{ AES, 256, SHA1, 20, 28800 }, { AES, 128, SHA1, 19, 28800 },
	{ AES, 256, SHA1, 14, 28800 }, { AES, 128, SHA1, 14, 28800 },
	{ TDES, 0, SHA1, 14, 28800 },  { TDES, 0, SHA1, 2, 28800 },
};

/* CLIENTS.md: Apple's IPSecCreateL2TPDefaultConfiguration, 14 proposals, 3600 s. */
static const struct p1t apple_p1[] = {
	{ AES, 256, SHA256, 14, 3600 }, { AES, 256, SHA1, 14, 3600 },
	{ AES, 256, MD5, 14, 3600 },    { AES, 256, SHA512, 14, 3600 },
	{ AES, 256, SHA256, 5, 3600 },  { AES, 256, SHA1, 5, 3600 },
	{ AES, 256, MD5, 5, 3600 },     { AES, 256, SHA256, 2, 3600 },
	{ AES, 256, SHA1, 2, 3600 },    { AES, 256, MD5, 2, 3600 },
	{ AES, 128, SHA1, 2, 3600 },    { AES, 128, MD5, 2, 3600 },
	{ TDES, 0, SHA1, 2, 3600 },     { TDES, 0, MD5, 2, 3600 },
};

/* CLIENTS.md: Android racoon (external/ipsec-tools/setup.c), 12 transforms, MODP-1024. */
static const struct p1t android_p1[] = {
	{ AES, 256, SHA256, 2, 28800 }, { AES, 256, SHA1, 2, 28800 }, { AES, 256, MD5, 2, 28800 },
	{ AES, 128, SHA256, 2, 28800 }, { AES, 128, SHA1, 2, 28800 }, { AES, 128, MD5, 2, 28800 },
	{ TDES, 0, SHA256, 2, 28800 },  { TDES, 0, SHA1, 2, 28800 },  { TDES, 0, MD5, 2, 28800 },
	{ DES, 0, SHA256, 2, 28800 },   { DES, 0, SHA1, 2, 28800 },   { DES, 0, MD5, 2, 28800 },
};

static const uint16_t psk_only[] = { IKE_AUTH_PSK };

static int select_p1(const char *profile, const struct p1t *t, size_t n, uint16_t auth,
		     struct ike_p1_choice *c, char *why, size_t why_len)
{
	static struct ike_p1_list ours;
	static struct isakmp_sa peer;
	char err[128];
	assert_int_equal(ike_p1_list_parse(profile, &ours, err, sizeof err), 0);
	p1_sa(t, n, auth, &peer);
	struct ike_p1_policy pol = { &ours, psk_only, 1, { 86400, 0 } };
	return ike_p1_select(&peer, &pol, c, why, why_len);
}

static void test_p1_windows(void **state)
{
	(void)state;
	struct ike_p1_choice c;
	char why[IKE_WHY_MAX], s[64];
	/* modern refuses SHA-1 everywhere and says so. */
	assert_int_equal(select_p1("modern", windows_p1, 6, IKE_AUTH_PSK, &c, why, sizeof why),
			 -ENOENT);
	print_message("modern vs Windows: %s\n", why);
	assert_non_null(strstr(why, "peer offered aes256-sha1-ecp384, aes128-sha1-ecp256, "
				    "aes256-sha1-modp2048, aes128-sha1-modp2048, "
				    "3des-sha1-modp2048, 3des-sha1-modp1024 (6 in all)"));
	assert_non_null(strstr(why, "ours aes256-sha256-ecp384, "));
	assert_non_null(strstr(why, "closest: peer aes256-sha1-ecp384 vs ours "
				    "aes256-sha256-ecp384: hash sha1 vs sha256"));
	/* legacy-clients takes Windows' first and strongest: AES-256/SHA-1/ECP-384. */
	assert_int_equal(select_p1("legacy-clients", windows_p1, 6, IKE_AUTH_PSK, &c, why,
				   sizeof why), 0);
	assert_string_equal(ike_p1_prop_str(&c.offer.prop, s, sizeof s), "aes256-sha1-ecp384");
	assert_int_equal(c.offer.trans_idx, 0);
	assert_true(c.weak);
	assert_int_equal(c.suite.cipher, IKE_CIPHER_AES256_CBC);
	assert_int_equal(c.suite.prf, IKE_HASH_SHA1);
	assert_int_equal(c.life.seconds, 28800);
	assert_false(c.life_reduced);
	/* A shorter maximum is applied and reported. */
	static struct ike_p1_list ours;
	static struct isakmp_sa peer;
	assert_int_equal(ike_p1_list_parse("legacy-clients", &ours, why, sizeof why), 0);
	p1_sa(windows_p1, 6, IKE_AUTH_PSK, &peer);
	struct ike_p1_policy pol = { &ours, psk_only, 1, { 14400, 0 } };
	assert_int_equal(ike_p1_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.life.seconds, 14400);
	assert_true(c.life_reduced);
	/* Same proposals with certificates: the auth method is the difference. */
	assert_int_equal(select_p1("legacy-clients", windows_p1, 6, IKE_AUTH_RSA_SIG, &c, why,
				   sizeof why), -ENOENT);
	assert_non_null(strstr(why, "auth method rsa-sig vs psk"));
}

static void test_p1_apple(void **state)
{
	(void)state;
	struct ike_p1_choice c;
	char why[IKE_WHY_MAX], s[64];
	assert_int_equal(select_p1("modern", apple_p1, 14, IKE_AUTH_PSK, &c, why, sizeof why), 0);
	assert_string_equal(ike_p1_prop_str(&c.offer.prop, s, sizeof s), "aes256-sha256-modp2048");
	assert_false(c.weak);
	assert_int_equal(c.life.seconds, 3600);
	assert_int_equal(c.suite.prf, IKE_HASH_SHA2_256);
	/* Legacy lists modern first, so Apple still gets SHA-256/MODP-2048. */
	assert_int_equal(select_p1("legacy-clients", apple_p1, 14, IKE_AUTH_PSK, &c, why,
				   sizeof why), 0);
	assert_string_equal(ike_p1_prop_str(&c.offer.prop, s, sizeof s), "aes256-sha256-modp2048");
	assert_false(c.weak);
	/* Never MD5: an Apple list reduced to its MD5 entries matches nothing. */
	static const struct p1t md5_only[] = { { AES, 256, MD5, 14, 3600 }, { TDES, 0, MD5, 2, 3600 } };
	assert_int_equal(select_p1("legacy-clients", md5_only, 2, IKE_AUTH_PSK, &c, why,
				   sizeof why), -ENOENT);
	assert_non_null(strstr(why, "hash md5 vs sha256"));
}

static void test_p1_android(void **state)
{
	(void)state;
	struct ike_p1_choice c;
	char why[IKE_WHY_MAX], s[64];
	assert_int_equal(select_p1("modern", android_p1, 12, IKE_AUTH_PSK, &c, why, sizeof why),
			 -ENOENT);
	print_message("modern vs Android: %s\n", why);
	assert_non_null(strstr(why, "closest: peer aes256-sha256-modp1024 vs ours "
				    "aes256-sha256-ecp384: DH group modp1024 vs ecp384"));
	assert_non_null(strstr(why, "(12 in all)"));
	assert_int_equal(select_p1("legacy-clients", android_p1, 12, IKE_AUTH_PSK, &c, why,
				   sizeof why), 0);
	assert_string_equal(ike_p1_prop_str(&c.offer.prop, s, sizeof s), "aes256-sha256-modp1024");
	assert_true(c.weak);
	/* Never DES or MODP-768, even when listed by hand... refused at parse time. */
	static struct ike_p1_list l;
	char err[128];
	assert_int_equal(ike_p1_list_parse("des-sha1-modp1024", &l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "'des-sha1-modp1024': des is never accepted");
	assert_int_equal(ike_p1_list_parse("aes-md5-modp2048", &l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "'aes-md5-modp2048': md5 is never accepted");
	assert_int_equal(ike_p1_list_parse("aes128-sha1-modp768", &l, err, sizeof err), -EINVAL);
	assert_string_equal(err, "'aes128-sha1-modp768': modp768 is never accepted");
	/* ...and a DES-only peer explains itself. */
	assert_int_equal(select_p1("legacy-clients", android_p1 + 9, 3, IKE_AUTH_PSK, &c, why,
				   sizeof why), -ENOENT);
	assert_non_null(strstr(why, "encryption des vs aes256"));
}

static void test_list_parse(void **state)
{
	(void)state;
	static struct ike_p1_list l, back;
	static struct ike_p2_list l2, back2;
	char err[128], s[64];
	assert_int_equal(ike_p1_list_parse("aes256-sha1-modp2048, aes128-sha256-ecp256 "
					   "3des-sha1-modp1024,aes-sha512-curve25519", &l, err,
					   sizeof err), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.p[1].keylen, 128);
	assert_int_equal(l.p[1].group, 19);
	assert_int_equal(l.p[2].enc, IKE_ENC_3DES);
	assert_int_equal(l.p[3].group, 31);
	assert_string_equal(ike_p1_prop_str(&l.p[3], s, sizeof s), "aes128-sha512-curve25519");
	assert_int_equal(ike_p1_list_parse("", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 2 * 3 * 6);
	for (size_t i = 0; i < l.n; i++)
		assert_false(ike_p1_prop_weak(&l.p[i]));
	assert_int_equal(ike_p1_list_parse("legacy-clients", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 36 + 4 + 10 + 2);
	/* Every entry prints as a string that parses back to itself. */
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(ike_p1_list_parse(ike_p1_prop_str(&l.p[i], s, sizeof s), &back,
						   err, sizeof err), 0);
		assert_int_equal(back.n, 1);
		assert_memory_equal(&back.p[0], &l.p[i], sizeof back.p[0]);
	}
	/* Profile + explicit entry, duplicates dropped. */
	assert_int_equal(ike_p1_list_parse("modern aes256-sha256-ecp384", &l, err, sizeof err), 0);
	assert_int_equal(l.n, 36);
	const char *bad[] = { "aes-sha1", "aes-sha1-modp2048-x", "aes512-sha1-modp2048",
			      "aes-sha3-modp2048", "aes-sha1-modp9999", "aes-sha1-ecp521" };
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(ike_p1_list_parse(bad[i], &l, err, sizeof err), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}

	assert_int_equal(ike_p2_list_parse("aes256-sha256_96, aes128-sha1-modp2048", &l2, err,
					   sizeof err), 0);
	assert_int_equal(l2.n, 2);
	assert_int_equal(l2.p[0].auth, IPSEC_AUTH_HMAC_SHA2_256);
	assert_int_equal(l2.p[0].trunc_bits, 96);
	assert_int_equal(l2.p[1].pfs_group, 14);
	assert_string_equal(ike_p2_prop_str(&l2.p[0], s, sizeof s), "aes256-sha256_96");
	assert_string_equal(ike_p2_prop_str(&l2.p[1], s, sizeof s), "aes128-sha1-modp2048");
	assert_int_equal(ike_p2_list_parse("legacy-clients", &l2, err, sizeof err), 0);
	assert_int_equal(l2.n, 9);
	assert_true(l2.legacy);
	for (size_t i = 0; i < l2.n; i++) {
		assert_int_equal(ike_p2_list_parse(ike_p2_prop_str(&l2.p[i], s, sizeof s), &back2,
						   err, sizeof err), 0);
		assert_memory_equal(&back2.p[0], &l2.p[i], sizeof back2.p[0]);
	}
	assert_int_equal(ike_p2_list_parse("aes-md5", &l2, err, sizeof err), -EINVAL);
	assert_string_equal(err, "'aes-md5': md5 is never accepted");
	assert_int_equal(ike_p2_list_parse("null-sha1", &l2, err, sizeof err), -EINVAL);
}

/* Windows Quick Mode behind NAT: UDP-encapsulated transport, 3600 s / 250,000 KB. */
static void test_p2_windows(void **state)
{
	(void)state;
	static const struct p2t win[] = {
		{ ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_UDP_TRANSPORT, 3600, 250000 },
		{ ESP_ID_AES_CBC, 128, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_UDP_TRANSPORT, 3600, 250000 },
		{ ESP_ID_3DES, 0, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_UDP_TRANSPORT, 3600, 250000 },
		{ ESP_ID_DES, 0, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_UDP_TRANSPORT, 3600, 250000 },
	};
	static struct isakmp_sa peer;
	static struct ike_p2_list ours;
	char why[IKE_WHY_MAX], s[64];
	struct ike_p2_choice c;
	p2_sa(win, 4, 0, &peer);
	assert_int_equal(ike_p2_list_parse("modern", &ours, why, sizeof why), 0);
	struct ike_p2_policy pol = { &ours, true, true, { 3600, 0 } };
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "integrity sha1 vs sha256"));
	assert_int_equal(ike_p2_list_parse("legacy-clients", &ours, why, sizeof why), 0);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_string_equal(ike_p2_prop_str(&c.offer.prop, s, sizeof s), "aes256-sha1");
	assert_int_equal(c.offer.encap, IPSEC_ENCAP_UDP_TRANSPORT);
	assert_memory_equal(c.offer.spi, "\xca\xfe\x00\x01", 4);
	assert_int_equal(c.trunc_bits, 96);
	assert_true(c.weak);
	assert_int_equal(c.life.seconds, 3600);
	assert_int_equal(c.life.kilobytes, 250000);
	assert_false(c.life_reduced);
	/* Our maximum of 1800 s is shorter: reported, with RESPONDER-LIFETIME attributes. */
	pol.max_life.seconds = 1800;
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_true(c.life_reduced);
	assert_int_equal(c.life.seconds, 1800);
	uint8_t attrs[32];
	int n = ike_lifetime_attrs(&c.life, true, attrs, sizeof attrs);
	static const uint8_t want[] = { 0x80, 0x01, 0x00, 0x01, 0x80, 0x02, 0x07, 0x08,
					0x80, 0x01, 0x00, 0x02, 0x00, 0x02, 0x00, 0x04,
					0x00, 0x03, 0xd0, 0x90 };
	assert_int_equal(n, sizeof want);
	assert_memory_equal(attrs, want, sizeof want);
	assert_int_equal(ike_lifetime_attrs(&c.life, true, attrs, 10), -ENOSPC);
	/* Without NAT, UDP encapsulation is a mismatch and the mode is named. */
	pol.nat_detected = false;
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "mode udp-transport vs transport (no NAT detected)"));
	/* Draft encapsulation numbers count as UDP transport too. */
	static struct ike_p2_list l;
	static const struct p2t draft[] = { { ESP_ID_AES_CBC, 128, IPSEC_AUTH_HMAC_SHA2_256,
					      IPSEC_ENCAP_UDP_TRANSPORT_DRAFT, 3600, 0 } };
	p2_sa(draft, 1, 0, &peer);
	assert_int_equal(ike_p2_list_parse("modern", &l, why, sizeof why), 0);
	pol = (struct ike_p2_policy){ &l, true, true, { 0, 0 } };
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.encap, IPSEC_ENCAP_UDP_TRANSPORT_DRAFT);
	pol.transport = false;
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "vs tunnel"));
}

/* Android 6/7 ESP: HMAC-SHA256 on the wire, 96-bit ICV installed with sha256_96. */
static void test_p2_android(void **state)
{
	(void)state;
	static const struct p2t droid[] = {
		{ ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA2_256, IPSEC_ENCAP_TRANSPORT, 28800, 0 },
		{ ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_TRANSPORT, 28800, 0 },
		{ ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_MD5, IPSEC_ENCAP_TRANSPORT, 28800, 0 },
		{ ESP_ID_3DES, 0, IPSEC_AUTH_HMAC_SHA2_256, IPSEC_ENCAP_TRANSPORT, 28800, 0 },
	};
	static struct isakmp_sa peer;
	static struct ike_p2_list ours;
	char why[IKE_WHY_MAX];
	struct ike_p2_choice c;
	p2_sa(droid, 4, 0, &peer);
	assert_int_equal(ike_p2_list_parse("modern", &ours, why, sizeof why), 0);
	struct ike_p2_policy pol = { &ours, true, false, { 0, 0 } };
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.prop.auth, IPSEC_AUTH_HMAC_SHA2_256);
	assert_int_equal(c.trunc_bits, 128);
	assert_false(c.weak);
	assert_int_equal(c.life.seconds, 28800);
	assert_int_equal(ike_p2_list_parse("aes256-sha256_96, legacy-clients", &ours, why,
					   sizeof why), 0);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.prop.auth, IPSEC_AUTH_HMAC_SHA2_256);
	assert_int_equal(c.trunc_bits, 96);
}

/* macOS Quick Mode with PFS on: MODP-2048 accepted by modern, MODP-1024 only by legacy. */
static void test_p2_pfs(void **state)
{
	(void)state;
	static const struct p2t mac[] = {
		{ ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA2_256, IPSEC_ENCAP_TRANSPORT, 3600, 0 },
		{ ESP_ID_AES_CBC, 128, IPSEC_AUTH_HMAC_SHA1, IPSEC_ENCAP_TRANSPORT, 3600, 0 },
	};
	static struct isakmp_sa peer;
	static struct ike_p2_list ours;
	char why[IKE_WHY_MAX];
	struct ike_p2_choice c;
	struct ike_p2_policy pol = { &ours, true, false, { 0, 0 } };
	assert_int_equal(ike_p2_list_parse("modern", &ours, why, sizeof why), 0);
	p2_sa(mac, 2, 14, &peer);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.prop.pfs_group, 14);
	p2_sa(mac, 2, 2, &peer);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "PFS group modp1024 vs none or a modern group"));
	assert_int_equal(ike_p2_list_parse("legacy-clients", &ours, why, sizeof why), 0);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_true(c.weak);
	/* A required PFS group: a peer without PFS is refused. */
	assert_int_equal(ike_p2_list_parse("aes256-sha256-ecp256", &ours, why, sizeof why), 0);
	p2_sa(mac, 2, 0, &peer);
	assert_int_equal(ike_p2_select(&peer, &pol, &c, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "PFS group none vs ecp256"));
}

/* Transforms that cannot be used at all are skipped with a reason. */
static void test_unsupported_transforms(void **state)
{
	(void)state;
	static struct isakmp_sa sa, peer;
	struct ike_p1_offer o;
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
	isakmp_sa_add_transform(&sa, 1, 1);     /* with a PRF attribute */
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, AES, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, SHA256, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, 1, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP, true, 14, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_PRF, true, 1, 0);
	isakmp_sa_add_transform(&sa, 2, 1);     /* a private group */
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, AES, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, SHA256, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, 1, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP_TYPE, true, 1, 0);
	isakmp_sa_add_transform(&sa, 3, 1);     /* no group at all, duration without type */
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, AES, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_DURATION, true, 60, 0);
	isakmp_sa_add_transform(&sa, 4, 1);     /* AES without key length: 128; ok */
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, AES, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, SHA256, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, 1, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP, true, 14, 0);
	wire_roundtrip(&sa, &peer);
	ike_p1_decode(&peer, 0, 0, &o);
	assert_non_null(o.unsupported);
	assert_non_null(strstr(o.unsupported, "PRF"));
	ike_p1_decode(&peer, 0, 1, &o);
	assert_non_null(strstr(o.unsupported, "private DH group"));
	ike_p1_decode(&peer, 0, 2, &o);
	assert_non_null(strstr(o.unsupported, "life duration without a life type"));
	ike_p1_decode(&peer, 0, 3, &o);
	assert_null(o.unsupported);
	assert_int_equal(o.prop.keylen, 128);

	static struct ike_p1_list ours;
	char why[IKE_WHY_MAX];
	struct ike_p1_choice c;
	assert_int_equal(ike_p1_list_parse("modern", &ours, why, sizeof why), 0);
	struct ike_p1_policy pol = { &ours, psk_only, 1, { 0, 0 } };
	assert_int_equal(ike_p1_select(&peer, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.trans_idx, 3);
	assert_int_equal(c.suite.cipher, IKE_CIPHER_AES128_CBC);
	assert_int_equal(c.life.seconds, 28800);        /* default when none is given */

	/* An ESP SA handed to Phase 1 selection is refused as such. */
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ESP, (const uint8_t *)"abcd", 4);
	isakmp_sa_add_transform(&sa, 1, ESP_ID_AES_CBC);
	assert_int_equal(ike_p1_select(&sa, &pol, &c, why, sizeof why), -EBADMSG);
	/* An ESP+IPCOMP bundle (same proposal number) is skipped in Phase 2. */
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ESP, (const uint8_t *)"abcd", 4);
	isakmp_sa_add_transform(&sa, 1, ESP_ID_AES_CBC);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_AUTH, true, IPSEC_AUTH_HMAC_SHA2_256, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_ENCAP, true, IPSEC_ENCAP_TRANSPORT, 0);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_IPCOMP, (const uint8_t *)"ab", 2);
	isakmp_sa_add_transform(&sa, 1, 2);
	static struct ike_p2_list l2;
	assert_int_equal(ike_p2_list_parse("modern", &l2, why, sizeof why), 0);
	struct ike_p2_policy p2 = { &l2, true, false, { 0, 0 } };
	struct ike_p2_choice c2;
	assert_int_equal(ike_p2_select(&sa, &p2, &c2, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "part of a bundle"));
}

static void test_lifetime_clamp(void **state)
{
	(void)state;
	struct ike_lifetime eff;
	struct ike_lifetime peer = { 3600, 250000 }, none = { 0, 0 };
	assert_false(ike_lifetime_clamp(&peer, &(struct ike_lifetime){ 28800, 0 }, 28800, &eff));
	assert_int_equal(eff.seconds, 3600);
	assert_int_equal(eff.kilobytes, 250000);
	assert_true(ike_lifetime_clamp(&peer, &(struct ike_lifetime){ 0, 100000 }, 28800, &eff));
	assert_int_equal(eff.kilobytes, 100000);
	/* No peer lifetime: the default, capped by ours, not "reduced" (nothing was asked). */
	assert_false(ike_lifetime_clamp(&none, &(struct ike_lifetime){ 3600, 0 }, 28800, &eff));
	assert_int_equal(eff.seconds, 3600);
	uint8_t buf[32];
	struct ike_lifetime big = { 100000, 0x100000000ull };
	int n = ike_lifetime_attrs(&big, false, buf, sizeof buf);
	static const uint8_t want[] = { 0x80, 0x0b, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x04,
					0x00, 0x01, 0x86, 0xa0, 0x80, 0x0b, 0x00, 0x02,
					0x00, 0x0c, 0x00, 0x08, 0, 0, 0, 1, 0, 0, 0, 0 };
	assert_int_equal(n, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p1_windows),
		cmocka_unit_test(test_p1_apple),
		cmocka_unit_test(test_p1_android),
		cmocka_unit_test(test_list_parse),
		cmocka_unit_test(test_p2_windows),
		cmocka_unit_test(test_p2_android),
		cmocka_unit_test(test_p2_pfs),
		cmocka_unit_test(test_unsupported_transforms),
		cmocka_unit_test(test_lifetime_clamp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
