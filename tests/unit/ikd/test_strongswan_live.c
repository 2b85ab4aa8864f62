/*
 * Live interoperability: a minimal IKEv1 initiator made only of ikd's protocol core
 * (isakmp, ike_crypto, ike_dh, proposal) runs Main Mode (four suites) and Aggressive Mode
 * (FQDN identities, as Android sends them; encrypted message 3) with a pre-shared key,
 * each followed by Quick Mode, against strongSwan's charon as responder, on loopback in a
 * private network and mount namespace.
 *
 * What it proves: charon accepts our SA, KE, nonce, ID and HASH_I (so our SKEYID chain,
 * cipher key, Phase 1 IV, padding and CBC chaining are what a real implementation
 * computes), we verify charon's HASH_R and Quick Mode HASH(2) (Phase 2 IV, SKEYID_a),
 * charon accepts our HASH(1) and HASH(3), and, with charon's debug log at level 4, its
 * SKEYID_d/_a/_e and the ESP keys it derived equal ours byte for byte (KEYMAT). With the
 * RFC 3947 VID exchanged, charon's NAT-D hashes equal ours (no NAT seen on loopback).
 *
 * Needs root (namespaces) and /usr/lib/ipsec/charon; skipped otherwise.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ikd/ike_crypto.h"
#include "ikd/ike_dh.h"
#include "ikd/ike_names.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"
#include "ikd/proposal.h"
#include "tests/unit/ikd/charon_harness.h"

#define PSK "l2sec interop secret"

static const char swanctl_conf[] =
	"connections {\n  l2tp {\n    version = 1\n    local_addrs = 127.0.0.1\n"
	"    remote_addrs = 127.0.0.1\n"
	"    proposals = aes256-sha256-modp2048,aes256-sha1-modp1024,aes128-sha512-modp3072,"
	"aes192-sha384-modp4096\n"
	"    local {\n      auth = psk\n      id = 127.0.0.1\n    }\n"
	"    remote {\n      auth = psk\n      id = 127.0.0.1\n    }\n"
	"    children {\n      l2tp {\n        local_ts = dynamic[udp/1701]\n"
	"        remote_ts = dynamic[udp/1701]\n        mode = transport\n"
	"        esp_proposals = aes128-sha256,aes256-sha1,aes256-sha512,"
	"aes192-sha384,aes128-sha256-modp2048,aes256-sha1-modp1024\n      }\n    }\n  }\n"
	"  am {\n    version = 1\n    aggressive = yes\n    local_addrs = 127.0.0.1\n"
	"    remote_addrs = 127.0.0.1\n    proposals = aes256-sha256-modp2048\n"
	"    local {\n      auth = psk\n      id = @vpn.example\n    }\n"
	"    remote {\n      auth = psk\n      id = @android.example\n    }\n"
	"    children {\n      am {\n        local_ts = dynamic[udp/1701]\n"
	"        remote_ts = dynamic[udp/1701]\n        mode = transport\n"
	"        esp_proposals = aes128-sha256\n      }\n    }\n  }\n}\n"
	"secrets {\n  ike-1 {\n    secret = \"" PSK "\"\n  }\n}\n";

/* ---- the initiator ---- */

/* One run: the suites we offer (charon's configuration accepts all three). */
struct live_case {
	const char *ike, *esp;          /* as ike_p1_prop_str / ike_p2_prop_str print them */
	uint16_t enc, keylen;
	enum ike_hash hash;
	uint16_t group;
	enum ike_cipher cipher;
	uint8_t esp_id;
	uint16_t esp_keylen, esp_auth;
	size_t esp_enc_len, esp_int_len;
};

static const struct live_case cases[] = {
	/* SHA-256 PRF, AES-256: no key expansion. */
	{ "aes256-sha256-modp2048", "aes128-sha256", IKE_ENC_AES, 256, IKE_HASH_SHA2_256, 14,
	  IKE_CIPHER_AES256_CBC, ESP_ID_AES_CBC, 128, IPSEC_AUTH_HMAC_SHA2_256, 16, 32 },
	/* SHA-1 PRF with AES-256: Ka expanded (appendix B), KEYMAT over 3 PRF blocks. */
	{ "aes256-sha1-modp1024", "aes256-sha1", IKE_ENC_AES, 256, IKE_HASH_SHA1, 2,
	  IKE_CIPHER_AES256_CBC, ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA1, 32, 20 },
	/* SHA-512 PRF, AES-128 from a 64-byte SKEYID_e; ESP keys of 96 bytes. (Debian's
	 * charon has no 3DES, so 3DES is covered by the Python vectors only.) */
	{ "aes128-sha512-modp3072", "aes256-sha512", IKE_ENC_AES, 128, IKE_HASH_SHA2_512, 15,
	  IKE_CIPHER_AES128_CBC, ESP_ID_AES_CBC, 256, IPSEC_AUTH_HMAC_SHA2_512, 32, 64 },
	/* SHA-384 and AES-192, MODP-4096. */
	{ "aes192-sha384-modp4096", "aes192-sha384", IKE_ENC_AES, 192, IKE_HASH_SHA2_384, 16,
	  IKE_CIPHER_AES192_CBC, ESP_ID_AES_CBC, 192, IPSEC_AUTH_HMAC_SHA2_384, 24, 48 },
};

static const struct live_case *cur;
static const uint8_t loopback[4] = { 127, 0, 0, 1 };

struct peer {
	int fd;
	uint16_t port;                  /* our UDP port as charon sees it */
	uint8_t icky[8], rcky[8];
	struct ike_dh *dh;
	uint8_t ni[32], nr[256];
	size_t nr_len;
	uint8_t sai_b[512];             /* our SA payload body (HASH_I/R cover it) */
	size_t sai_b_len;
	uint8_t gxr[IKE_DH_PUB_MAX];
	struct ikev1_keys k;
	uint8_t iv[IKE_BLOCK_MAX];      /* IV for the next message of this exchange */
	uint8_t p1_last[IKE_BLOCK_MAX]; /* last CBC block of Phase 1 */
	/* copies of what we computed, compared with charon's log at the end */
	uint8_t iv1[IKE_BLOCK_MAX], qm_iv[IKE_BLOCK_MAX];
	uint8_t hash_i[IKE_HASH_MAX], hash1[IKE_HASH_MAX], hash3[IKE_HASH_MAX];
	uint8_t skeyid[IKE_HASH_MAX];
	uint8_t buf[4096];
	uint8_t plain[4096];
	struct isakmp_msg m;
};

static void xmit(struct peer *p, const uint8_t *buf, size_t len)
{
	assert_int_equal(send(p->fd, buf, len, 0), (ssize_t)len);
}

/*
 * Send the message in p->buf and resend it each second until a reply is waiting, as an
 * initiator does. charon silently drops a Quick Mode that overtakes the last message of
 * Aggressive Mode ("phase 1 is incomplete"), which on a loaded host a fixed pause cannot
 * rule out.
 */
static void xmit_until_reply(struct peer *p, size_t len)
{
	static uint8_t out[sizeof p->buf];
	memcpy(out, p->buf, len);
	for (int tries = 0; tries < 20; tries++) {
		xmit(p, out, len);
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		if (poll(&pfd, 1, 1000) > 0)
			return;
	}
	fail_msg("no reply from charon after 20 transmissions");
}

/*
 * Receive one datagram with our cookie; parse it, decrypting with the IV given, or for a
 * new exchange started by charon (iv NULL) with hash(last Phase 1 block | its M-ID).
 */
static void recv_msg(struct peer *p, const uint8_t *iv, uint8_t *iv_next)
{
	struct isakmp_err err = { 0 };
	ssize_t n;
	do {
		n = recv(p->fd, p->buf, sizeof p->buf, 0);
		assert_true(n > 0);
	} while (memcmp(p->buf, p->icky, 8));
	assert_int_equal(isakmp_parse_header(p->buf, (size_t)n, &p->m, &err), 0);
	const uint8_t *body = p->m.body;
	uint8_t p2iv[IKE_BLOCK_MAX], unused[IKE_BLOCK_MAX];
	if ((p->m.hdr.flags & ISAKMP_FLAG_ENC) && !iv) {
		assert_int_equal(ikev1_phase2_iv(&p->k, p->p1_last, p->m.hdr.msgid, p2iv), 0);
		iv = p2iv;
		iv_next = unused;
	}
	if (p->m.hdr.flags & ISAKMP_FLAG_ENC) {
		memcpy(p->plain, p->m.body, p->m.body_len);
		assert_int_equal(ikev1_decrypt_body(p->k.suite.cipher, p->k.enc_key, iv, p->plain,
						    p->m.body_len, iv_next), 0);
		body = p->plain;
	}
	int rc = isakmp_parse_payloads(&p->m, body, p->m.body_len, &err);
	if (rc)
		print_error("parse: %s\n", err.reason);
	assert_int_equal(rc, 0);
}

static const uint8_t *payload(struct peer *p, uint8_t kind, size_t *len)
{
	int i = isakmp_find(&p->m, kind, 0);
	assert_true(i >= 0);
	*len = p->m.pl[i].body_len;
	return p->m.pl[i].body;
}

/* Our Phase 1 SA payload for the current case; its body is kept as SAi_b. */
static void put_p1_sa(struct peer *p, struct isakmp_builder *b)
{
	static struct isakmp_sa sa;
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
	isakmp_sa_add_transform(&sa, 1, 1);
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, cur->enc, 0);
	if (cur->keylen)
		isakmp_sa_add_attr(&sa, IKE_ATTR_KEY_LENGTH, true, cur->keylen, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, cur->hash, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, IKE_AUTH_PSK, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP, true, cur->group, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_TYPE, true, IKE_LIFE_SECONDS, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_DURATION, false, 3600, 4);
	size_t off = isakmp_build_offset(b) + ISAKMP_GENERIC_LEN;
	assert_int_equal(isakmp_put_sa(b, &sa), 0);
	p->sai_b_len = isakmp_build_offset(b) - off;    /* SAi_b: the SA body only */
	memcpy(p->sai_b, b->w->data + b->start + off, p->sai_b_len);
}

/* The responder's SA names the transform we offered. */
static void check_p1_reply_sa(struct peer *p)
{
	static struct isakmp_sa peer_sa;
	struct isakmp_err err;
	struct ike_p1_offer o;
	char s[64];
	assert_int_equal(isakmp_sa_parse(&p->m.pl[isakmp_find(&p->m, ISAKMP_PL_SA, 0)], &peer_sa,
					 &err), 0);
	ike_p1_decode(&peer_sa, 0, 0, &o);
	assert_string_equal(ike_p1_prop_str(&o.prop, s, sizeof s), cur->ike);
}

static void put_ke_nonce(struct peer *p, struct isakmp_builder *b)
{
	size_t publen;
	assert_int_equal(ike_dh_new(cur->group, &p->dh), 0);
	const uint8_t *pub = ike_dh_public(p->dh, &publen);
	isakmp_put_data(b, ISAKMP_PL_KE, pub, publen, NULL);
	isakmp_put_data(b, ISAKMP_PL_NONCE, p->ni, sizeof p->ni, NULL);
}

/* g^xr and Nr from the received message, then SKEYID.. and the Phase 1 IV. */
static void take_ke_nonce_derive(struct peer *p)
{
	size_t kel, nl, publen;
	const uint8_t *ke = payload(p, ISAKMP_PL_KE, &kel);
	const uint8_t *nr = payload(p, ISAKMP_PL_NONCE, &nl);
	assert_int_equal(kel, ike_dh_pub_len(cur->group));
	memcpy(p->gxr, ke, kel);
	memcpy(p->nr, nr, nl);
	p->nr_len = nl;

	uint8_t gxy[IKE_DH_SECRET_MAX], skeyid[IKE_HASH_MAX];
	size_t gl;
	assert_int_equal(ike_dh_compute(p->dh, p->gxr, kel, gxy, sizeof gxy, &gl), 0);
	struct ike_chunk ni = IKE_CHUNK(p->ni, sizeof p->ni), nrc = IKE_CHUNK(p->nr, p->nr_len);
	struct ike_chunk gxyc = IKE_CHUNK(gxy, gl);
	struct ikev1_suite suite = { cur->hash, cur->hash, cur->cipher };
	assert_int_equal(ikev1_skeyid_psk(cur->hash, PSK, strlen(PSK), &ni, &nrc, skeyid), 0);
	assert_int_equal(ikev1_derive_keys(&p->k, &suite, skeyid, &gxyc, p->icky, p->rcky), 0);
	const uint8_t *pub = ike_dh_public(p->dh, &publen);
	struct ike_chunk gxi = IKE_CHUNK(pub, publen), gxr = IKE_CHUNK(p->gxr, kel);
	assert_int_equal(ikev1_phase1_iv(&p->k, &gxi, &gxr, p->iv), 0);
	memcpy(p->iv1, p->iv, ike_cipher_block_len(cur->cipher));
	memcpy(p->skeyid, skeyid, sizeof skeyid);
}

/* HASH_I (initiator) or the expected HASH_R over SAi_b and an ID payload body. */
static void p1_hash(struct peer *p, bool initiator, const uint8_t *id_b, size_t id_len,
		    uint8_t *out)
{
	size_t publen;
	const uint8_t *pub = ike_dh_public(p->dh, &publen);
	struct ike_chunk gxi = IKE_CHUNK(pub, publen);
	struct ike_chunk gxr = IKE_CHUNK(p->gxr, ike_dh_pub_len(cur->group));
	struct ike_chunk sai = IKE_CHUNK(p->sai_b, p->sai_b_len), id = IKE_CHUNK(id_b, id_len);
	assert_int_equal(ikev1_hash_auth(&p->k, initiator, &gxi, &gxr, p->icky, p->rcky, &sai,
					 &id, out), 0);
}

static void main_mode_1_2(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_MAIN };
	size_t len;
	memcpy(h.icookie, p->icky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	put_p1_sa(p, &b);
	/* NAT-T (RFC 3947) so that charon sends and checks NAT-D in messages 3/4. */
	isakmp_put_data(&b, ISAKMP_PL_VID, ike_vid_get(IKE_VID_NATT_RFC3947)->value, 16, NULL);
	isakmp_put_data(&b, ISAKMP_PL_VID, ike_vid_get(IKE_VID_DPD)->value, 16, NULL);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	xmit(p, p->buf, len);

	recv_msg(p, NULL, NULL);
	struct isakmp_err err;
	assert_int_equal(isakmp_check_payloads(&p->m, &isakmp_rules_mm_sa, &err), 0);
	memcpy(p->rcky, p->m.hdr.rcookie, 8);
	bool rfc3947 = false, dpd = false;
	for (unsigned i = 0; isakmp_find(&p->m, ISAKMP_PL_VID, i) >= 0; i++) {
		const struct isakmp_payload *v = &p->m.pl[isakmp_find(&p->m, ISAKMP_PL_VID, i)];
		const struct ike_vid_info *vi = ike_vid_lookup(v->body, v->body_len);
		rfc3947 |= vi && vi->id == IKE_VID_NATT_RFC3947;
		dpd |= vi && vi->id == IKE_VID_DPD;
	}
	assert_true(rfc3947 && dpd);
	check_p1_reply_sa(p);
}

static void main_mode_3_4(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_MAIN };
	size_t len;
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	put_ke_nonce(p, &b);
	/* NAT-D: the destination (charon, 127.0.0.1:500), then our source. */
	uint8_t natd_dst[IKE_HASH_MAX], natd_src[IKE_HASH_MAX];
	size_t hl = ike_hash_len(cur->hash);
	assert_int_equal(ikev1_natd_hash(cur->hash, p->icky, p->rcky, loopback, 4, 500,
					 natd_dst), 0);
	assert_int_equal(ikev1_natd_hash(cur->hash, p->icky, p->rcky, loopback, 4, p->port,
					 natd_src), 0);
	isakmp_put_data(&b, ISAKMP_PL_NATD, natd_dst, hl, NULL);
	isakmp_put_data(&b, ISAKMP_PL_NATD, natd_src, hl, NULL);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	xmit(p, p->buf, len);

	recv_msg(p, NULL, NULL);
	struct isakmp_err err;
	assert_int_equal(isakmp_check_payloads(&p->m, &isakmp_rules_mm_ke, &err), 0);
	/* charon's NAT-D: first the destination (us), then its own address: both must be
	 * the hashes we compute, or it would have seen a NAT. */
	assert_int_equal(p->m.count[ISAKMP_PL_NATD], 2);
	const struct isakmp_payload *d0 = &p->m.pl[isakmp_find(&p->m, ISAKMP_PL_NATD, 0)];
	const struct isakmp_payload *d1 = &p->m.pl[isakmp_find(&p->m, ISAKMP_PL_NATD, 1)];
	assert_int_equal(d0->body_len, hl);
	assert_memory_equal(d0->body, natd_src, hl);
	assert_memory_equal(d1->body, natd_dst, hl);
	take_ke_nonce_derive(p);
}

static void main_mode_5_6(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_MAIN, .flags = ISAKMP_FLAG_ENC };
	struct isakmp_id id = { ISAKMP_ID_IPV4_ADDR, 17, 500, loopback, 4 };
	static const uint8_t idb[8] = { ISAKMP_ID_IPV4_ADDR, 17, 0x01, 0xf4, 127, 0, 0, 1 };
	size_t len, hash_off, blen, hl = ike_hash_len(cur->hash);
	uint8_t next[IKE_BLOCK_MAX];
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_id(&b, &id);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	p1_hash(p, true, idb, sizeof idb, p->buf + hash_off);
	memcpy(p->hash_i, p->buf + hash_off, hl);
	isakmp_build_pad(&b, ike_cipher_block_len(cur->cipher));
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(ikev1_encrypt_body(p->k.suite.cipher, p->k.enc_key, p->iv, p->buf + 28,
					    len - 28, sizeof p->buf - 28, &blen, next), 0);
	assert_int_equal(blen, len - 28);
	xmit(p, p->buf, len);

	recv_msg(p, next, p->iv);
	struct isakmp_err err;
	int rc = isakmp_check_payloads(&p->m, &isakmp_rules_mm_auth_psk, &err);
	if (rc)
		print_error("MM6: %s\n", err.reason);
	assert_int_equal(rc, 0);
	size_t idl, hrl;
	const uint8_t *idr = payload(p, ISAKMP_PL_ID, &idl);
	const uint8_t *hr = payload(p, ISAKMP_PL_HASH, &hrl);
	uint8_t want[IKE_HASH_MAX];
	p1_hash(p, false, idr, idl, want);
	assert_int_equal(hrl, hl);
	assert_int_equal(ike_memcmp_ct(hr, want, hl), 0);      /* HASH_R verified */
	memcpy(p->p1_last, p->iv, ike_cipher_block_len(cur->cipher));
}

/* Aggressive Mode with an FQDN identity, as Android sends with an IPsec identifier. */
static const uint8_t am_id[] = { ISAKMP_ID_FQDN, 17, 0x01, 0xf4, 'a', 'n', 'd', 'r', 'o',
				 'i', 'd', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e' };

static void aggressive_1_2(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_AGGRESSIVE };
	struct isakmp_id id = { am_id[0], am_id[1], 500, am_id + 4, sizeof am_id - 4 };
	size_t len, hl = ike_hash_len(cur->hash);
	memcpy(h.icookie, p->icky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	put_p1_sa(p, &b);
	put_ke_nonce(p, &b);
	isakmp_put_id(&b, &id);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	xmit(p, p->buf, len);

	/* <-- HDR, SA, KE, Nr, IDir, HASH_R */
	recv_msg(p, NULL, NULL);
	struct isakmp_err err;
	int rc = isakmp_check_payloads(&p->m, &isakmp_rules_am2_psk, &err);
	if (rc)
		print_error("AM2: %s\n", err.reason);
	assert_int_equal(rc, 0);
	memcpy(p->rcky, p->m.hdr.rcookie, 8);
	check_p1_reply_sa(p);
	take_ke_nonce_derive(p);
	size_t idl, hrl;
	const uint8_t *idr = payload(p, ISAKMP_PL_ID, &idl);
	const uint8_t *hr = payload(p, ISAKMP_PL_HASH, &hrl);
	struct isakmp_id rid;
	char s[64];
	assert_int_equal(isakmp_id_parse(&p->m.pl[isakmp_find(&p->m, ISAKMP_PL_ID, 0)], &rid,
					 &err), 0);
	assert_string_equal(isakmp_id_format(&rid, s, sizeof s), "fqdn:vpn.example");
	uint8_t want[IKE_HASH_MAX];
	p1_hash(p, false, idr, idl, want);
	assert_int_equal(hrl, hl);
	assert_int_equal(ike_memcmp_ct(hr, want, hl), 0);      /* HASH_R verified */
}

/* HDR*, HASH_I --> (encrypted: the Phase 1 IV is used, and its last block carries on) */
static void aggressive_3(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_AGGRESSIVE, .flags = ISAKMP_FLAG_ENC };
	size_t len, hash_off, blen, hl = ike_hash_len(cur->hash);
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	p1_hash(p, true, am_id, sizeof am_id, p->buf + hash_off);
	memcpy(p->hash_i, p->buf + hash_off, hl);
	isakmp_build_pad(&b, ike_cipher_block_len(cur->cipher));
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(ikev1_encrypt_body(p->k.suite.cipher, p->k.enc_key, p->iv, p->buf + 28,
					    len - 28, sizeof p->buf - 28, &blen, p->p1_last), 0);
	xmit(p, p->buf, len);
}

static const uint8_t our_spi[4] = { 0xc0, 0xff, 0xee, 0x01 };
static const uint32_t qm_msgid = 0x4c325345;

struct qm {
	uint8_t ni[32], nr[256];
	size_t nr_len;
	uint8_t peer_spi[4];
	uint16_t pfs;                   /* PFS group, 0 = none */
	struct ike_dh *dh;
	uint8_t gqm[IKE_DH_SECRET_MAX]; /* g(qm)^xy */
	size_t gqm_len;
};

static void quick_mode_1_2(struct peer *p, struct qm *q)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_QUICK, .flags = ISAKMP_FLAG_ENC,
				.msgid = qm_msgid };
	static struct isakmp_sa sa, peer_sa;
	struct isakmp_id idc = { ISAKMP_ID_IPV4_ADDR, 17, 1701, loopback, 4 };
	size_t len, hash_off, span_len, hl = ike_hash_len(cur->hash);
	uint8_t iv[IKE_BLOCK_MAX], next[IKE_BLOCK_MAX];
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ESP, our_spi, 4);
	isakmp_sa_add_transform(&sa, 1, cur->esp_id);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_TYPE, true, IKE_LIFE_SECONDS, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_DURATION, true, 3600, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_ENCAP, true, IPSEC_ENCAP_TRANSPORT, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_AUTH, true, cur->esp_auth, 0);
	if (cur->esp_keylen)
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_KEY_LENGTH, true, cur->esp_keylen, 0);
	if (q->pfs)
		isakmp_sa_add_attr(&sa, IPSEC_ATTR_GROUP, true, q->pfs, 0);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	size_t after_hash = isakmp_build_offset(&b);
	isakmp_put_sa(&b, &sa);
	isakmp_put_data(&b, ISAKMP_PL_NONCE, q->ni, sizeof q->ni, NULL);
	if (q->pfs) {
		size_t kl;
		assert_int_equal(ike_dh_new(q->pfs, &q->dh), 0);
		const uint8_t *ke = ike_dh_public(q->dh, &kl);
		isakmp_put_data(&b, ISAKMP_PL_KE, ke, kl, NULL);
	}
	isakmp_put_id(&b, &idc);
	isakmp_put_id(&b, &idc);
	const uint8_t *span = isakmp_build_ptr(&b, after_hash, &span_len);
	struct ike_chunk rest = IKE_CHUNK(span, span_len);
	assert_int_equal(ikev1_qm_hash12(&p->k, qm_msgid, NULL, &rest, p->buf + hash_off), 0);
	memcpy(p->hash1, p->buf + hash_off, hl);
	isakmp_build_pad(&b, ike_cipher_block_len(cur->cipher));
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(ikev1_phase2_iv(&p->k, p->p1_last, qm_msgid, iv), 0);
	memcpy(p->qm_iv, iv, ike_cipher_block_len(cur->cipher));
	size_t blen;
	assert_int_equal(ikev1_encrypt_body(p->k.suite.cipher, p->k.enc_key, iv, p->buf + 28,
					    len - 28, sizeof p->buf - 28, &blen, next), 0);
	xmit_until_reply(p, len);

	recv_msg(p, next, p->iv);
	struct isakmp_err err;
	int rc = isakmp_check_payloads(&p->m, &isakmp_rules_qm1, &err);
	if (rc)
		print_error("QM2: %s\n", err.reason);
	assert_int_equal(rc, 0);
	assert_int_equal(p->m.hdr.msgid, qm_msgid);
	size_t hrl, nl, rl;
	const uint8_t *h2 = payload(p, ISAKMP_PL_HASH, &hrl);
	const uint8_t *r = isakmp_span_from(&p->m, 1, &rl);
	struct ike_chunk rest2 = IKE_CHUNK(r, rl), ni = IKE_CHUNK(q->ni, sizeof q->ni);
	uint8_t want[IKE_HASH_MAX];
	assert_int_equal(ikev1_qm_hash12(&p->k, qm_msgid, &ni, &rest2, want), 0);
	assert_int_equal(hrl, hl);
	assert_int_equal(ike_memcmp_ct(h2, want, hl), 0);      /* HASH(2) verified */
	const uint8_t *nr = payload(p, ISAKMP_PL_NONCE, &nl);
	memcpy(q->nr, nr, nl);
	q->nr_len = nl;
	assert_int_equal(isakmp_sa_parse(&p->m.pl[isakmp_find(&p->m, ISAKMP_PL_SA, 0)], &peer_sa,
					 &err), 0);
	struct ike_p2_offer o;
	char s[64];
	ike_p2_decode(&peer_sa, 0, 0, &o);
	assert_null(o.unsupported);
	assert_int_equal(o.prop.pfs_group, q->pfs);
	o.prop.pfs_group = 0;
	assert_string_equal(ike_p2_prop_str(&o.prop, s, sizeof s), cur->esp);
	assert_int_equal(o.encap, IPSEC_ENCAP_TRANSPORT);
	memcpy(q->peer_spi, o.spi, 4);
	if (q->pfs) {
		size_t kl;
		const uint8_t *ke = payload(p, ISAKMP_PL_KE, &kl);
		assert_int_equal(ike_dh_compute(q->dh, ke, kl, q->gqm, sizeof q->gqm, &q->gqm_len),
				 0);
	}
}

static void quick_mode_3(struct peer *p, struct qm *q)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_QUICK, .flags = ISAKMP_FLAG_ENC,
				.msgid = qm_msgid };
	size_t len, hash_off, blen, hl = ike_hash_len(cur->hash);
	uint8_t next[IKE_BLOCK_MAX];
	struct ike_chunk ni = IKE_CHUNK(q->ni, sizeof q->ni), nr = IKE_CHUNK(q->nr, q->nr_len);
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	assert_int_equal(ikev1_qm_hash3(&p->k, qm_msgid, &ni, &nr, p->buf + hash_off), 0);
	memcpy(p->hash3, p->buf + hash_off, hl);
	isakmp_build_pad(&b, ike_cipher_block_len(cur->cipher));
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(ikev1_encrypt_body(p->k.suite.cipher, p->k.enc_key, p->iv, p->buf + 28,
					    len - 28, sizeof p->buf - 28, &blen, next), 0);
	xmit(p, p->buf, len);
}

/*
 * DPD (RFC 3706) in an Informational exchange: HDR*, HASH(1), N(R-U-THERE) -->; charon
 * answers in its own exchange with R-U-THERE-ACK. Every protected Informational message
 * charon sends meanwhile (a DELETE for the CHILD_SA it could not install here) must
 * carry a HASH(1) we verify.
 */
static void dpd_exchange(struct peer *p)
{
	struct buf_writer w;
	struct isakmp_builder b;
	const uint32_t msgid = 0x0d0d0001, seq = 0x00c0ffee;
	struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_INFO, .flags = ISAKMP_FLAG_ENC,
				.msgid = msgid };
	uint8_t spi[16], data[4] = { 0x00, 0xc0, 0xff, 0xee }, iv[IKE_BLOCK_MAX];
	uint8_t next[IKE_BLOCK_MAX], want[IKE_HASH_MAX];
	size_t len, hash_off, span_len, blen, hl = ike_hash_len(cur->hash);
	memcpy(h.icookie, p->icky, 8);
	memcpy(h.rcookie, p->rcky, 8);
	memcpy(spi, p->icky, 8);
	memcpy(spi + 8, p->rcky, 8);
	struct isakmp_notify_pl n = { ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16,
				      ISAKMP_N_DPD_R_U_THERE, spi, data, 4 };
	bw_init(&w, p->buf, sizeof p->buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	size_t after_hash = isakmp_build_offset(&b);
	isakmp_put_notify(&b, &n);
	const uint8_t *span = isakmp_build_ptr(&b, after_hash, &span_len);
	struct ike_chunk rest = IKE_CHUNK(span, span_len);
	assert_int_equal(ikev1_qm_hash12(&p->k, msgid, NULL, &rest, p->buf + hash_off), 0);
	isakmp_build_pad(&b, ike_cipher_block_len(cur->cipher));
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(ikev1_phase2_iv(&p->k, p->p1_last, msgid, iv), 0);
	assert_int_equal(ikev1_encrypt_body(p->k.suite.cipher, p->k.enc_key, iv, p->buf + 28,
					    len - 28, sizeof p->buf - 28, &blen, next), 0);
	xmit(p, p->buf, len);

	for (int tries = 0; tries < 4; tries++) {
		struct isakmp_err err;
		struct isakmp_notify_pl ack;
		recv_msg(p, NULL, NULL);
		int rc = isakmp_check_payloads(&p->m, &isakmp_rules_info, &err);
		if (rc)
			print_error("Informational: %s\n", err.reason);
		assert_int_equal(rc, 0);
		const uint8_t *r = isakmp_span_from(&p->m, 1, &span_len);
		struct ike_chunk rest2 = IKE_CHUNK(r, span_len);
		assert_int_equal(ikev1_qm_hash12(&p->k, p->m.hdr.msgid, NULL, &rest2, want), 0);
		assert_int_equal(p->m.pl[0].body_len, hl);
		assert_int_equal(ike_memcmp_ct(p->m.pl[0].body, want, hl), 0);
		int ni = isakmp_find(&p->m, ISAKMP_PL_N, 0);
		if (ni < 0)
			continue;       /* a DELETE, verified above */
		assert_int_equal(isakmp_notify_parse(&p->m.pl[ni], &ack, &err), 0);
		if (ack.type != ISAKMP_N_DPD_R_U_THERE_ACK)
			continue;
		assert_int_equal(ack.spi_size, 16);
		assert_memory_equal(ack.spi, spi, 16);
		assert_int_equal(ack.data_len, 4);
		assert_memory_equal(ack.data, data, 4);
		print_message("  R-U-THERE-ACK with sequence 0x%08x, HASH(1) verified\n", seq);
		return;
	}
	fail_msg("no R-U-THERE-ACK from charon");
}

/* Our values against the ones charon logged for the same exchange. */
static void compare_with_charon(struct peer *p, struct qm *q)
{
	size_t hl = ike_hash_len(cur->hash), bl = ike_cipher_block_len(cur->cipher);
	size_t kml = cur->esp_enc_len + cur->esp_int_len;
	uint8_t km_in[96], km_out[96], theirs[256];
	struct ike_chunk ni = IKE_CHUNK(q->ni, sizeof q->ni), nr = IKE_CHUNK(q->nr, q->nr_len);
	struct ike_chunk gqm = IKE_CHUNK(q->gqm, q->gqm_len);
	const struct ike_chunk *pfs = q->pfs ? &gqm : NULL;
	assert_int_equal(ikev1_keymat(&p->k, pfs, ISAKMP_PROTO_ESP, our_spi, &ni, &nr, km_in,
				      kml), 0);
	assert_int_equal(ikev1_keymat(&p->k, pfs, ISAKMP_PROTO_ESP, q->peer_spi, &ni, &nr,
				      km_out, kml), 0);
	const struct { const char *label; const uint8_t *ours; size_t len; } vals[] = {
		{ "SKEYID", p->skeyid, hl },
		{ "SKEYID_d", p->k.skeyid_d, hl },
		{ "SKEYID_a", p->k.skeyid_a, hl },
		{ "SKEYID_e", p->k.skeyid_e, hl },
		{ "encryption key Ka", p->k.enc_key, ike_cipher_key_len(cur->cipher) },
		{ "initial IV", p->iv1, bl },
		{ "HASH_I", p->hash_i, hl },
		{ "next IV for MID 1278366533", p->qm_iv, bl },    /* the first: QM1's IV */
		{ "Hash(1)", p->hash1, hl },
		{ "Hash(3)", p->hash3, hl },
		/* charon is the responder: its "initiator" keys protect our outbound SA
		 * (charon's SPI), its "responder" keys our inbound one (our SPI). */
		{ "encryption initiator key", km_out, cur->esp_enc_len },
		{ "encryption responder key", km_in, cur->esp_enc_len },
		{ "integrity initiator key", km_out + cur->esp_enc_len, cur->esp_int_len },
		{ "integrity responder key", km_in + cur->esp_enc_len, cur->esp_int_len },
	};
	/* The ESP keys are logged last, once charon installed the CHILD_SA. */
	if (!charon_log_chunk_wait("integrity responder key", theirs, sizeof theirs, 20000))
		fail_msg("charon did not log its CHILD_SA keys within 20 s");
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t n = charon_log_chunk(vals[i].label, theirs, sizeof theirs);
		print_message("  %-28s %2zu bytes from charon: %s\n", vals[i].label, n,
			      n == vals[i].len && !memcmp(theirs, vals[i].ours, n) ? "equal" :
			      "DIFFERENT");
		assert_int_equal(n, vals[i].len);
		assert_memory_equal(theirs, vals[i].ours, n);
	}
}

static void run_case(const struct live_case *c, uint8_t cookie_seed, bool aggressive,
		     uint16_t pfs)
{
	static struct peer p;
	static struct qm q;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(500),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 20, 0 };       /* generous: qemu TCG runs this too */
	cur = c;
	print_message("%s: %s / %s%s\n", aggressive ? "Aggressive Mode" : "Main Mode", c->ike,
		      c->esp, pfs ? " with PFS" : "");
	charon_log_truncate();
	memset(&p, 0, sizeof p);
	memset(&q, 0, sizeof q);
	q.pfs = pfs;
	p.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p.fd >= 0);
	setsockopt(p.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_int_equal(connect(p.fd, (struct sockaddr *)&sin, sizeof sin), 0);
	struct sockaddr_in me;
	socklen_t ml = sizeof me;
	assert_int_equal(getsockname(p.fd, (struct sockaddr *)&me, &ml), 0);
	p.port = ntohs(me.sin_port);
	for (int i = 0; i < 8; i++)
		p.icky[i] = (uint8_t)(cookie_seed + i);
	for (size_t i = 0; i < sizeof p.ni; i++) {
		p.ni[i] = (uint8_t)(3 * i + cookie_seed);
		q.ni[i] = (uint8_t)(5 * i + cookie_seed);
	}
	if (aggressive) {
		aggressive_1_2(&p);
		aggressive_3(&p);
		/* Message 3 has no answer; charon drops a Quick Mode that overtakes it
		 * ("phase 1 is incomplete"): give it a moment, and QM1 is resent if not. */
		usleep(200000);
	} else {
		main_mode_1_2(&p);
		main_mode_3_4(&p);
		main_mode_5_6(&p);
	}
	quick_mode_1_2(&p, &q);
	quick_mode_3(&p, &q);
	compare_with_charon(&p, &q);
	if (!aggressive)
		dpd_exchange(&p);
	close(p.fd);
	ike_dh_free(p.dh);
	ike_dh_free(q.dh);
	ikev1_keys_wipe(&p.k);
}

static void skip_without_charon(void)
{
	static const char *skip_why;
	static bool tried;
	if (!tried) {
		tried = true;
		skip_why = charon_start(swanctl_conf, "");
	}
	if (skip_why) {
		print_message("skipped: %s\n", skip_why);
		skip();
	}
}

static void test_main_and_quick_mode(void **state)
{
	(void)state;
	skip_without_charon();
	assert_int_equal(qm_msgid, 1278366533u);        /* the MID charon's log names */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], (uint8_t)(0x10 * (i + 1)), false, 0);
}

/* Quick Mode with PFS: KE in messages 1/2, g(qm)^xy in KEYMAT. */
static void test_quick_mode_pfs(void **state)
{
	(void)state;
	skip_without_charon();
	run_case(&cases[0], 0x88, false, 14);
	run_case(&cases[1], 0x99, false, 2);
}

static void test_aggressive_and_quick_mode(void **state)
{
	(void)state;
	skip_without_charon();
	run_case(&cases[0], 0x77, true, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_and_quick_mode),
		cmocka_unit_test(test_aggressive_and_quick_mode),
		cmocka_unit_test(test_quick_mode_pfs),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	charon_stop();
	return rc;
}
