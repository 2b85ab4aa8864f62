/*
 * ikev1_load: an IKEv1 load generator for benchmarking responders (ikd, strongSwan's charon).
 *
 * Each handshake is Main Mode with a pre-shared key (6 messages) then Quick Mode (3 messages)
 * for a transport-mode ESP SA on UDP/1701, aes128-sha256 with MODP-2048 or ECP-256 in Phase 1
 * and aes128-sha256 in Phase 2, exactly what an L2TP/IPsec client asks. Every handshake has
 * its own UDP socket bound to its own (address, port), so the responder sees distinct peers;
 * many run at once on one epoll loop, with retransmission of our last message on timeout.
 * Built only from ikd's protocol core (isakmp, ike_crypto, ike_dh, proposal), like
 * tests/unit/ikd/test_strongswan_live.c, which checks those against charon byte for byte.
 *
 *   ikev1_load -t 192.0.2.1 -s 198.51.100.1/254 [-s ADDR/N...] -n 1000 -c 64 -g modp2048
 *              [-p 20000] [-k PSK] [-r 3000] [-R 5] [--hold] [--phase1-only]
 *
 * Prints one summary line (rate, failures, latency p50/p99) and one line per failure reason.
 * A handshake counts as done when QM3 is sent; its socket then stays open and answers a
 * repeated QM2 (the responder did not get QM3: lost, or too late for it) with QM3 again, as
 * an initiator must: the responder completes its SA pair only on QM3 (its inbound SA is in
 * before QM2, its outbound SA and policies come with QM3). With --hold the sockets
 * stay open (and keep answering) after the run until SIGINT/SIGTERM, so a benchmark can
 * measure the responder with every SA still held. --phase1-only stops after Main Mode, for
 * measuring on a kernel without ESP (no IPsec SAs then).
 *
 * The load side reuses one DH key pair for the whole run (the responder cannot tell, RFC 2409
 * allows it): the generator then needs one DH computation per handshake instead of two, which
 * matters when it shares the CPUs with the responder it measures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/buf.h"
#include "common/secret.h"
#include "ikd/ike_crypto.h"
#include "ikd/ike_dh.h"
#include "ikd/ike_names.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"
#include "ikd/proposal.h"

#define NONCE_LEN 32
#define PKT_MAX 2048
#define MAX_SRC_RANGES 16
#define MAX_REASONS 32
#define QM_MSGID_BASE 0x4c320000u
#define QM3_MAX 128                     /* HDR + HASH(3) for SHA-256, padded: 76 bytes */
#define DIGEST_LEN 16
/* epoll data of a finished handshake's socket: its index in run.done, with this bit. */
#define DONE_TAG (1ull << 63)

enum hs_state { HS_FREE = 0, HS_MM2, HS_MM4, HS_MM6, HS_QM2 };

static const char *const wait_name[] = { "-", "MM2", "MM4", "MM6", "QM2" };

/* What the message we wait for must carry; anything else (an older reply retransmitted by
 * the responder, say) is ignored and our retransmission timer runs on. */
static const struct isakmp_rules *const wait_rules[] = {
	NULL, &isakmp_rules_mm_sa, &isakmp_rules_mm_ke, &isakmp_rules_mm_auth_psk,
	&isakmp_rules_qm1,
};

struct opts {
	struct in_addr target;
	struct { uint32_t base, count; } src[MAX_SRC_RANGES];   /* host order */
	size_t n_src;
	uint32_t n_addrs;
	uint16_t port_base;
	uint32_t total, concurrency;
	uint16_t group;
	const char *psk;
	uint32_t rto_ms, tries;
	bool hold;
	bool phase1_only;               /* stop after Main Mode (no kernel SAs needed) */
};

/* One handshake in flight. */
struct hs {
	enum hs_state st;
	int fd;
	uint32_t idx;                   /* handshake number, picks address and port */
	uint8_t src[4], dst[4];
	uint16_t sport;
	double t_start, deadline;
	uint32_t tries, rto_ms;
	uint8_t icky[8], rcky[8];
	uint8_t ni[NONCE_LEN], nr[ISAKMP_NONCE_MAX];
	size_t nr_len;
	uint8_t sai_b[128];
	size_t sai_b_len;
	uint8_t gxr[IKE_DH_PUB_MAX];
	struct ikev1_keys k;
	uint8_t iv[IKE_BLOCK_MAX];      /* IV expected on the next message we receive */
	uint8_t p1_last[IKE_BLOCK_MAX]; /* last CBC block of Phase 1 */
	uint8_t qni[NONCE_LEN], qnr[ISAKMP_NONCE_MAX];
	size_t qnr_len;
	uint32_t msgid;
	uint8_t spi[4];
	uint8_t out[PKT_MAX];           /* our last message, for retransmission */
	size_t out_len;
	uint8_t rx_digest[DIGEST_LEN];  /* of the last message we took (QM2 at the end) */
};

/* A finished handshake: its socket, the QM2 it answered and the QM3 that answered it. */
struct done_hs {
	int fd;
	uint8_t qm2_digest[DIGEST_LEN];
	uint8_t qm3[QM3_MAX];
	uint8_t qm3_len;
};

struct run {
	struct opts o;
	struct ike_dh *dh;              /* shared by every handshake (see header) */
	int ep;
	struct hs *slots;               /* concurrency entries */
	struct done_hs *done;           /* established handshakes, answering a repeated QM2 */
	uint32_t started, ok, failed, in_flight;
	double *lat_ms;                 /* latency of each success */
	struct { char text[160]; uint32_t count; } reasons[MAX_REASONS];
	size_t n_reasons;
	uint32_t retransmits;
	uint32_t qm3_resent;            /* repeated QM2 answered with QM3 again */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- bookkeeping ---- */

static void count_reason(struct run *r, const char *text)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strcmp(r->reasons[i].text, text)) {
			r->reasons[i].count++;
			return;
		}
	size_t i = r->n_reasons < MAX_REASONS ? r->n_reasons++ : MAX_REASONS - 1;
	snprintf(r->reasons[i].text, sizeof r->reasons[i].text, "%s", text);
	r->reasons[i].count++;
}

static void hs_release(struct run *r, struct hs *h)
{
	epoll_ctl(r->ep, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	ikev1_keys_wipe(&h->k);
	h->st = HS_FREE;
	r->in_flight--;
}

static void hs_fail(struct run *r, struct hs *h, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void hs_fail(struct run *r, struct hs *h, const char *fmt, ...)
{
	char text[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	count_reason(r, text);
	r->failed++;
	hs_release(r, h);
}

/* The slot is free for the next handshake; the socket moves to r->done and stays in the
 * epoll set. Phase 1 only: nothing to answer, the socket is kept only with --hold. */
static void hs_done(struct run *r, struct hs *h)
{
	uint32_t i = r->ok;
	r->lat_ms[r->ok++] = (now_s() - h->t_start) * 1000.0;
	struct done_hs *d = &r->done[i];
	d->fd = -1;
	if (r->o.phase1_only || h->out_len > QM3_MAX) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, h->fd, NULL);
		if (r->o.hold)
			d->fd = h->fd;
		else
			close(h->fd);
	} else {
		d->fd = h->fd;
		memcpy(d->qm2_digest, h->rx_digest, DIGEST_LEN);
		memcpy(d->qm3, h->out, h->out_len);
		d->qm3_len = (uint8_t)h->out_len;
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = DONE_TAG | i };
		epoll_ctl(r->ep, EPOLL_CTL_MOD, h->fd, &ev);
	}
	ikev1_keys_wipe(&h->k);
	h->st = HS_FREE;
	r->in_flight--;
}

static int hs_send(struct run *r, struct hs *h, size_t len)
{
	h->out_len = len;
	h->tries = 0;
	h->rto_ms = r->o.rto_ms;
	h->deadline = now_s() + h->rto_ms / 1000.0;
	return send(h->fd, h->out, len, 0) == (ssize_t)len ? 0 : -errno;
}

/* ---- building our messages ---- */

static void hdr_init(struct hs *h, struct isakmp_hdr *hdr, uint8_t exchange, uint8_t flags,
		     uint32_t msgid)
{
	memset(hdr, 0, sizeof *hdr);
	memcpy(hdr->icookie, h->icky, 8);
	memcpy(hdr->rcookie, h->rcky, 8);
	hdr->exchange = exchange;
	hdr->flags = flags;
	hdr->msgid = msgid;
}

/* Finish, and for ENC messages pad and encrypt the body with iv; next gets the chained IV. */
static int build_end(struct hs *h, struct isakmp_builder *b, bool enc, const uint8_t *iv,
		     uint8_t *next, size_t *len)
{
	size_t blen;
	if (enc && isakmp_build_pad(b, ike_cipher_block_len(h->k.suite.cipher)))
		return -EMSGSIZE;
	if (isakmp_build_finish(b, len))
		return -EMSGSIZE;
	if (!enc)
		return 0;
	return ikev1_encrypt_body(h->k.suite.cipher, h->k.enc_key, iv, h->out + ISAKMP_HDR_LEN,
				  *len - ISAKMP_HDR_LEN, sizeof h->out - ISAKMP_HDR_LEN, &blen,
				  next);
}

/* HDR, SA --> : one transform, aes128-sha256-<group>, PSK, 3600 s. */
static int send_mm1(struct run *r, struct hs *h)
{
	static struct isakmp_sa sa;
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	size_t len;
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
	isakmp_sa_add_transform(&sa, 1, 1);
	isakmp_sa_add_attr(&sa, IKE_ATTR_ENC, true, IKE_ENC_AES, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_KEY_LENGTH, true, 128, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_HASH, true, IKE_HASH_SHA2_256, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_AUTH, true, IKE_AUTH_PSK, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_GROUP, true, r->o.group, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_TYPE, true, IKE_LIFE_SECONDS, 0);
	isakmp_sa_add_attr(&sa, IKE_ATTR_LIFE_DURATION, true, 3600, 0);
	hdr_init(h, &hdr, ISAKMP_XCHG_MAIN, 0, 0);
	bw_init(&w, h->out, sizeof h->out);
	isakmp_build_begin(&b, &w, &hdr);
	size_t off = isakmp_build_offset(&b) + ISAKMP_GENERIC_LEN;
	isakmp_put_sa(&b, &sa);
	const uint8_t *body = isakmp_build_ptr(&b, off, &h->sai_b_len);
	if (h->sai_b_len > sizeof h->sai_b || build_end(h, &b, false, NULL, NULL, &len))
		return -EMSGSIZE;
	memcpy(h->sai_b, body, h->sai_b_len);
	return hs_send(r, h, len);
}

/* HDR, KE, Ni --> */
static int send_mm3(struct run *r, struct hs *h)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	size_t len, publen;
	const uint8_t *pub = ike_dh_public(r->dh, &publen);
	hdr_init(h, &hdr, ISAKMP_XCHG_MAIN, 0, 0);
	bw_init(&w, h->out, sizeof h->out);
	isakmp_build_begin(&b, &w, &hdr);
	isakmp_put_data(&b, ISAKMP_PL_KE, pub, publen, NULL);
	isakmp_put_data(&b, ISAKMP_PL_NONCE, h->ni, sizeof h->ni, NULL);
	if (build_end(h, &b, false, NULL, NULL, &len))
		return -EMSGSIZE;
	return hs_send(r, h, len);
}

static int p1_hash(struct run *r, struct hs *h, bool initiator, const uint8_t *id_b,
		   size_t id_len, uint8_t *out)
{
	size_t publen;
	const uint8_t *pub = ike_dh_public(r->dh, &publen);
	struct ike_chunk gxi = IKE_CHUNK(pub, publen);
	struct ike_chunk gxr = IKE_CHUNK(h->gxr, publen);
	struct ike_chunk sai = IKE_CHUNK(h->sai_b, h->sai_b_len), id = IKE_CHUNK(id_b, id_len);
	return ikev1_hash_auth(&h->k, initiator, &gxi, &gxr, h->icky, h->rcky, &sai, &id, out);
}

/* HDR*, IDii, HASH_I --> (ID_IPV4_ADDR of our source address, UDP/500) */
static int send_mm5(struct run *r, struct hs *h)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	struct isakmp_id id = { ISAKMP_ID_IPV4_ADDR, 17, 500, h->src, 4 };
	const uint8_t idb[8] = { ISAKMP_ID_IPV4_ADDR, 17, 0x01, 0xf4, h->src[0], h->src[1],
				 h->src[2], h->src[3] };
	size_t len, hash_off, hl = ike_hash_len(h->k.suite.prf);
	uint8_t next[IKE_BLOCK_MAX];
	hdr_init(h, &hdr, ISAKMP_XCHG_MAIN, ISAKMP_FLAG_ENC, 0);
	bw_init(&w, h->out, sizeof h->out);
	isakmp_build_begin(&b, &w, &hdr);
	isakmp_put_id(&b, &id);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	if (p1_hash(r, h, true, idb, sizeof idb, h->out + hash_off) ||
	    build_end(h, &b, true, h->iv, next, &len))
		return -EINVAL;
	memcpy(h->iv, next, sizeof next);
	return hs_send(r, h, len);
}

/* HDR*, HASH(1), SA, Ni, IDci, IDcr --> : ESP aes128-sha256, transport, UDP/1701 both ends */
static int send_qm1(struct run *r, struct hs *h)
{
	static struct isakmp_sa sa;
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	struct isakmp_id idci = { ISAKMP_ID_IPV4_ADDR, 17, 1701, h->src, 4 };
	struct isakmp_id idcr = { ISAKMP_ID_IPV4_ADDR, 17, 1701, h->dst, 4 };
	size_t len, hash_off, span_len, hl = ike_hash_len(h->k.suite.prf);
	uint8_t iv[IKE_BLOCK_MAX];
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ESP, h->spi, 4);
	isakmp_sa_add_transform(&sa, 1, ESP_ID_AES_CBC);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_TYPE, true, IKE_LIFE_SECONDS, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_LIFE_DURATION, true, 3600, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_ENCAP, true, IPSEC_ENCAP_TRANSPORT, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_AUTH, true, IPSEC_AUTH_HMAC_SHA2_256, 0);
	isakmp_sa_add_attr(&sa, IPSEC_ATTR_KEY_LENGTH, true, 128, 0);
	hdr_init(h, &hdr, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_ENC, h->msgid);
	bw_init(&w, h->out, sizeof h->out);
	isakmp_build_begin(&b, &w, &hdr);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	size_t after_hash = isakmp_build_offset(&b);
	isakmp_put_sa(&b, &sa);
	isakmp_put_data(&b, ISAKMP_PL_NONCE, h->qni, sizeof h->qni, NULL);
	isakmp_put_id(&b, &idci);
	isakmp_put_id(&b, &idcr);
	const uint8_t *span = isakmp_build_ptr(&b, after_hash, &span_len);
	struct ike_chunk rest = IKE_CHUNK(span, span_len);
	if (ikev1_qm_hash12(&h->k, h->msgid, NULL, &rest, h->out + hash_off) ||
	    ikev1_phase2_iv(&h->k, h->p1_last, h->msgid, iv) ||
	    build_end(h, &b, true, iv, h->iv, &len))
		return -EINVAL;
	return hs_send(r, h, len);
}

/* HDR*, HASH(3) --> ; the responder installs its SAs on receipt, no answer. */
static int send_qm3(struct run *r, struct hs *h)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	size_t len, hash_off, hl = ike_hash_len(h->k.suite.prf);
	uint8_t next[IKE_BLOCK_MAX];
	struct ike_chunk ni = IKE_CHUNK(h->qni, sizeof h->qni);
	struct ike_chunk nr = IKE_CHUNK(h->qnr, h->qnr_len);
	hdr_init(h, &hdr, ISAKMP_XCHG_QUICK, ISAKMP_FLAG_ENC, h->msgid);
	bw_init(&w, h->out, sizeof h->out);
	isakmp_build_begin(&b, &w, &hdr);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, hl, &hash_off);
	if (ikev1_qm_hash3(&h->k, h->msgid, &ni, &nr, h->out + hash_off) ||
	    build_end(h, &b, true, h->iv, next, &len))
		return -EINVAL;
	return hs_send(r, h, len);
}

/* ---- taking the responder's messages ---- */

static const uint8_t *payload(const struct isakmp_msg *m, uint8_t kind, size_t *len)
{
	int i = isakmp_find(m, kind, 0);
	if (i < 0)
		return NULL;
	*len = m->pl[i].body_len;
	return m->pl[i].body;
}

/* <-- HDR, SA: the chosen transform must be the one we offered. */
static const char *take_mm2(struct run *r, struct hs *h, const struct isakmp_msg *m)
{
	static struct isakmp_sa sa;
	static char want[64];
	struct isakmp_err err;
	struct ike_p1_offer o;
	char s[64];
	if (isakmp_sa_parse(&m->pl[isakmp_find(m, ISAKMP_PL_SA, 0)], &sa, &err))
		return "MM2 SA unparsable";
	ike_p1_decode(&sa, 0, 0, &o);
	snprintf(want, sizeof want, "aes128-sha256-%s", ike_dh_name(r->o.group));
	if (strcmp(ike_p1_prop_str(&o.prop, s, sizeof s), want))
		return "MM2 chose another proposal";
	memcpy(h->rcky, m->hdr.rcookie, 8);
	return send_mm3(r, h) ? "send MM3 failed" : NULL;
}

/* <-- HDR, KE, Nr: g^xy, SKEYID and its children, the Phase 1 IV. */
static const char *take_mm4(struct run *r, struct hs *h, const struct isakmp_msg *m)
{
	size_t kel = 0, nl = 0, publen, gl;
	uint8_t gxy[IKE_DH_SECRET_MAX], skeyid[IKE_HASH_MAX];
	const uint8_t *ke = payload(m, ISAKMP_PL_KE, &kel);
	const uint8_t *nr = payload(m, ISAKMP_PL_NONCE, &nl);
	const uint8_t *pub = ike_dh_public(r->dh, &publen);
	if (!ke || !nr || kel != publen || nl > sizeof h->nr)
		return "MM4 KE or nonce wrong";
	memcpy(h->gxr, ke, kel);
	memcpy(h->nr, nr, nl);
	h->nr_len = nl;
	if (ike_dh_compute(r->dh, h->gxr, kel, gxy, sizeof gxy, &gl))
		return "MM4 DH failed";
	struct ike_chunk ni = IKE_CHUNK(h->ni, sizeof h->ni), nrc = IKE_CHUNK(h->nr, h->nr_len);
	struct ike_chunk gxyc = IKE_CHUNK(gxy, gl), gxi = IKE_CHUNK(pub, publen);
	struct ike_chunk gxr = IKE_CHUNK(h->gxr, kel);
	struct ikev1_suite suite = { IKE_HASH_SHA2_256, IKE_HASH_SHA2_256, IKE_CIPHER_AES128_CBC };
	int rc = ikev1_skeyid_psk(suite.prf, r->o.psk, strlen(r->o.psk), &ni, &nrc, skeyid) ||
		 ikev1_derive_keys(&h->k, &suite, skeyid, &gxyc, h->icky, h->rcky) ||
		 ikev1_phase1_iv(&h->k, &gxi, &gxr, h->iv);
	OPENSSL_cleanse(gxy, sizeof gxy);
	OPENSSL_cleanse(skeyid, sizeof skeyid);
	if (rc)
		return "MM4 key derivation failed";
	return send_mm5(r, h) ? "send MM5 failed" : NULL;
}

/* <-- HDR*, IDir, HASH_R (already decrypted): verify HASH_R, then start Quick Mode. */
static const char *take_mm6(struct run *r, struct hs *h, const struct isakmp_msg *m)
{
	size_t idl = 0, hrl = 0, hl = ike_hash_len(h->k.suite.prf);
	uint8_t want[IKE_HASH_MAX];
	const uint8_t *idr = payload(m, ISAKMP_PL_ID, &idl);
	const uint8_t *hr = payload(m, ISAKMP_PL_HASH, &hrl);
	if (!idr || !hr || hrl != hl || p1_hash(r, h, false, idr, idl, want) ||
	    ike_memcmp_ct(hr, want, hl))
		return "MM6 HASH_R does not verify";
	memcpy(h->p1_last, h->iv, sizeof h->p1_last);
	if (r->o.phase1_only)
		return NULL;
	return send_qm1(r, h) ? "send QM1 failed" : NULL;
}

/* <-- HDR*, HASH(2), SA, Nr, IDci, IDcr: verify HASH(2) and the chosen ESP transform. */
static const char *take_qm2(struct run *r, struct hs *h, const struct isakmp_msg *m)
{
	static struct isakmp_sa sa;
	struct isakmp_err err;
	struct ike_p2_offer o;
	size_t hrl = 0, nl = 0, rl, hl = ike_hash_len(h->k.suite.prf);
	uint8_t want[IKE_HASH_MAX];
	char s[64];
	const uint8_t *h2 = payload(m, ISAKMP_PL_HASH, &hrl);
	const uint8_t *rest = isakmp_span_from(m, 1, &rl);
	struct ike_chunk restc = IKE_CHUNK(rest, rl), ni = IKE_CHUNK(h->qni, sizeof h->qni);
	if (!h2 || hrl != hl || ikev1_qm_hash12(&h->k, h->msgid, &ni, &restc, want) ||
	    ike_memcmp_ct(h2, want, hl))
		return "QM2 HASH(2) does not verify";
	const uint8_t *nr = payload(m, ISAKMP_PL_NONCE, &nl);
	if (!nr || nl > sizeof h->qnr)
		return "QM2 nonce wrong";
	memcpy(h->qnr, nr, nl);
	h->qnr_len = nl;
	if (isakmp_sa_parse(&m->pl[isakmp_find(m, ISAKMP_PL_SA, 0)], &sa, &err))
		return "QM2 SA unparsable";
	ike_p2_decode(&sa, 0, 0, &o);
	if (o.unsupported || strcmp(ike_p2_prop_str(&o.prop, s, sizeof s), "aes128-sha256") ||
	    o.encap != IPSEC_ENCAP_TRANSPORT)
		return "QM2 chose another ESP transform";
	return send_qm3(r, h) ? "send QM3 failed" : NULL;
}

/*
 * A datagram for h. Returns NULL when it was taken or ignored (a retransmitted older reply,
 * garbage), else why the handshake failed. Nothing of h changes before a message verified.
 */
static const char *take(struct run *r, struct hs *h, uint8_t *pkt, size_t n)
{
	static struct isakmp_msg m;
	static char why[160];
	static uint8_t plain[PKT_MAX];
	struct isakmp_err err = { 0 };
	uint8_t next[IKE_BLOCK_MAX];
	if (isakmp_parse_header(pkt, n, &m, &err) || memcmp(m.hdr.icookie, h->icky, 8))
		return NULL;
	const uint8_t *body = m.body;
	if (m.hdr.exchange == ISAKMP_XCHG_INFO && !(m.hdr.flags & ISAKMP_FLAG_ENC)) {
		struct isakmp_notify_pl nt;
		int i;
		if (isakmp_parse_payloads(&m, m.body, m.body_len, &err) ||
		    (i = isakmp_find(&m, ISAKMP_PL_N, 0)) < 0 ||
		    isakmp_notify_parse(&m.pl[i], &nt, &err))
			return NULL;
		snprintf(why, sizeof why, "notify %s waiting for %s",
			 isakmp_notify_name(nt.type), wait_name[h->st]);
		return why;
	}
	bool want_enc = h->st == HS_MM6 || h->st == HS_QM2;
	uint8_t want_x = h->st == HS_QM2 ? ISAKMP_XCHG_QUICK : ISAKMP_XCHG_MAIN;
	if (m.hdr.exchange != want_x || want_enc != !!(m.hdr.flags & ISAKMP_FLAG_ENC) ||
	    (h->st == HS_QM2 && m.hdr.msgid != h->msgid))
		return NULL;
	if (want_enc) {
		if (m.body_len > sizeof plain)
			return NULL;
		memcpy(plain, m.body, m.body_len);
		if (ikev1_decrypt_body(h->k.suite.cipher, h->k.enc_key, h->iv, plain, m.body_len,
				       next))
			return NULL;
		body = plain;
	}
	if (isakmp_parse_payloads(&m, body, m.body_len, &err) ||
	    isakmp_check_payloads(&m, wait_rules[h->st], &err))
		return NULL;
	if (want_enc)
		memcpy(h->iv, next, sizeof next);
	crypto_generichash(h->rx_digest, DIGEST_LEN, pkt, n, NULL, 0);
	switch (h->st) {
	case HS_MM2: h->st = HS_MM4; return take_mm2(r, h, &m);
	case HS_MM4: h->st = HS_MM6; return take_mm4(r, h, &m);
	case HS_MM6: {
		h->st = HS_QM2;
		const char *e = take_mm6(r, h, &m);
		if (!e && r->o.phase1_only)
			hs_done(r, h);
		return e;
	}
	case HS_QM2: {
		const char *e = take_qm2(r, h, &m);
		if (!e)
			hs_done(r, h);
		return e;
	}
	default: return NULL;
	}
}

/* ---- the loop ---- */

static int hs_start(struct run *r, struct hs *h)
{
	uint32_t idx = r->started++;
	uint32_t a = idx % r->o.n_addrs, port = r->o.port_base + idx / r->o.n_addrs;
	uint32_t addr = 0;
	for (size_t i = 0; i < r->o.n_src; a -= r->o.src[i++].count)
		if (a < r->o.src[i].count) {
			addr = r->o.src[i].base + a;
			break;
		}
	memset(h, 0, offsetof(struct hs, out));
	h->idx = idx;
	h->t_start = now_s();
	uint32_t be = htonl(addr);
	memcpy(h->src, &be, 4);
	memcpy(h->dst, &r->o.target, 4);
	h->sport = (uint16_t)port;
	random_bytes(h->icky, 8);
	random_bytes(h->ni, sizeof h->ni);
	random_bytes(h->qni, sizeof h->qni);
	random_bytes(h->spi, 4);
	h->spi[0] |= 0xc0;              /* never a reserved SPI (< 256) */
	h->msgid = QM_MSGID_BASE + (idx & 0xffff);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(h->sport),
				  .sin_addr.s_addr = be };
	struct sockaddr_in them = { .sin_family = AF_INET, .sin_port = htons(500),
				    .sin_addr = r->o.target };
	int one = 1;
	h->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return -errno;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };
	if (bind(h->fd, (struct sockaddr *)&me, sizeof me) ||
	    connect(h->fd, (struct sockaddr *)&them, sizeof them) ||
	    epoll_ctl(r->ep, EPOLL_CTL_ADD, h->fd, &ev)) {
		int e = -errno;
		close(h->fd);
		return e;
	}
	h->st = HS_MM2;
	r->in_flight++;
	if (send_mm1(r, h)) {
		hs_fail(r, h, "send MM1 failed");
		return 0;
	}
	return 0;
}

/* A finished handshake's socket: the responder repeats QM2 until it gets QM3. */
static void on_done_readable(struct run *r, struct done_hs *d)
{
	uint8_t pkt[PKT_MAX], dg[DIGEST_LEN];
	for (int i = 0; i < 8; i++) {
		ssize_t n = recv(d->fd, pkt, sizeof pkt, 0);
		if (n < 0)
			return;
		crypto_generichash(dg, DIGEST_LEN, pkt, (size_t)n, NULL, 0);
		if (memcmp(dg, d->qm2_digest, DIGEST_LEN) == 0 &&
		    send(d->fd, d->qm3, d->qm3_len, 0) == d->qm3_len)
			r->qm3_resent++;
	}
}

static void dispatch(struct run *r, const struct epoll_event *ev);

static void on_readable(struct run *r, struct hs *h)
{
	static uint8_t pkt[PKT_MAX];
	for (int i = 0; i < 8 && h->st != HS_FREE; i++) {
		ssize_t n = recv(h->fd, pkt, sizeof pkt, 0);
		if (n < 0) {
			if (errno == ECONNREFUSED)
				hs_fail(r, h, "ICMP unreachable waiting for %s", wait_name[h->st]);
			return;
		}
		const char *why = take(r, h, pkt, (size_t)n);
		if (why)
			hs_fail(r, h, "%s", why);
	}
}

static void check_timers(struct run *r, double now)
{
	for (uint32_t i = 0; i < r->o.concurrency; i++) {
		struct hs *h = &r->slots[i];
		if (h->st == HS_FREE || now < h->deadline)
			continue;
		if (++h->tries > r->o.tries) {
			hs_fail(r, h, "timeout waiting for %s", wait_name[h->st]);
			continue;
		}
		h->rto_ms *= 2;
		h->deadline = now + h->rto_ms / 1000.0;
		r->retransmits++;
		if (send(h->fd, h->out, h->out_len, 0) < 0 && errno != EAGAIN)
			hs_fail(r, h, "send failed: %s", strerror(errno));
	}
}

static int run_load(struct run *r)
{
	struct epoll_event evs[64];
	double t0 = now_s(), last = t0;
	while (r->ok + r->failed < r->o.total) {
		if (now_s() - last >= 10) {     /* progress, for slow (emulated) machines */
			last = now_s();
			printf("ikev1_load: progress t=%.0fs ok=%u failed=%u in_flight=%u\n",
			       last - t0, r->ok, r->failed, r->in_flight);
			fflush(stdout);
		}
		for (uint32_t i = 0; i < r->o.concurrency && r->started < r->o.total; i++)
			if (r->slots[i].st == HS_FREE) {
				int rc = hs_start(r, &r->slots[i]);
				if (rc) {
					fprintf(stderr, "ikev1_load: socket for handshake %u: %s\n",
						r->started - 1, strerror(-rc));
					return rc;
				}
			}
		int n = epoll_wait(r->ep, evs, 64, 50);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++)
			dispatch(r, &evs[i]);
		check_timers(r, now_s());
	}
	return 0;
}

static void dispatch(struct run *r, const struct epoll_event *ev)
{
	if (ev->data.u64 & DONE_TAG)
		on_done_readable(r, &r->done[ev->data.u64 & ~DONE_TAG]);
	else
		on_readable(r, ev->data.ptr);
}

static volatile sig_atomic_t stop;

/* --hold: keep answering repeated QM2s until SIGINT/SIGTERM. */
static void hold(struct run *r)
{
	struct epoll_event evs[64];
	uint32_t reported = r->qm3_resent;
	while (!stop) {
		int n = epoll_wait(r->ep, evs, 64, 1000);
		for (int i = 0; i < n; i++)
			dispatch(r, &evs[i]);
		if (r->qm3_resent != reported) {
			reported = r->qm3_resent;
			printf("ikev1_load: holding, qm3_resent=%u\n", reported);
			fflush(stdout);
		}
	}
}

/* ---- reporting and options ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *v, uint32_t n, double p)
{
	if (!n)
		return 0;
	uint32_t i = (uint32_t)(p / 100.0 * (n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void report(struct run *r, double secs)
{
	qsort(r->lat_ms, r->ok, sizeof *r->lat_ms, cmp_double);
	printf("ikev1_load: group=%s total=%u ok=%u failed=%u concurrency=%u elapsed_s=%.2f "
	       "rate=%.2f p50_ms=%.1f p99_ms=%.1f retransmits=%u qm3_resent=%u\n",
	       ike_dh_name(r->o.group), r->o.total, r->ok, r->failed, r->o.concurrency, secs,
	       secs > 0 ? r->ok / secs : 0, pct(r->lat_ms, r->ok, 50), pct(r->lat_ms, r->ok, 99),
	       r->retransmits, r->qm3_resent);
	for (size_t i = 0; i < r->n_reasons; i++)
		printf("ikev1_load: failure count=%u reason=\"%s\"\n", r->reasons[i].count,
		       r->reasons[i].text);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ikev1_load -t TARGET -s ADDR/N [-s ADDR/N...] [-n TOTAL] [-c CONCURRENCY]\n"
		"                  [-g modp2048|ecp256] [-p PORT_BASE] [-k PSK] [-r RTO_MS]\n"
		"                  [-R TRIES] [--hold] [--phase1-only]\n");
}

static int parse_src(struct opts *o, const char *arg)
{
	char a[64];
	const char *slash = strchr(arg, '/');
	struct in_addr in;
	size_t l = slash ? (size_t)(slash - arg) : strlen(arg);
	if (o->n_src == MAX_SRC_RANGES || l >= sizeof a)
		return -1;
	memcpy(a, arg, l);
	a[l] = 0;
	unsigned long n = slash ? strtoul(slash + 1, NULL, 10) : 1;
	if (inet_pton(AF_INET, a, &in) != 1 || n == 0 || n > 65536)
		return -1;
	o->src[o->n_src].base = ntohl(in.s_addr);
	o->src[o->n_src++].count = (uint32_t)n;
	o->n_addrs += (uint32_t)n;
	return 0;
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = { { "hold", no_argument, NULL, 'H' },
					    { "phase1-only", no_argument, NULL, '1' }, { 0 } };
	int c;
	*o = (struct opts){ .port_base = 20000, .total = 100, .concurrency = 16, .group = 14,
			    .psk = "l2sec benchmark psk", .rto_ms = 3000, .tries = 5 };
	while ((c = getopt_long(argc, argv, "t:s:n:c:g:p:k:r:R:h1", lo, NULL)) != -1) {
		switch (c) {
		case 't': if (inet_pton(AF_INET, optarg, &o->target) != 1) return -1; break;
		case 's': if (parse_src(o, optarg)) return -1; break;
		case 'n': o->total = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'c': o->concurrency = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'g':
			if (!strcmp(optarg, "modp2048"))
				o->group = 14;
			else if (!strcmp(optarg, "ecp256"))
				o->group = 19;
			else
				return -1;
			break;
		case 'p': o->port_base = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'k': o->psk = optarg; break;
		case 'r': o->rto_ms = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'R': o->tries = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'H': o->hold = true; break;
		case '1': o->phase1_only = true; break;
		default: return -1;
		}
	}
	if (!o->target.s_addr || !o->n_src || !o->total || !o->concurrency || !o->rto_ms)
		return -1;
	if (o->port_base + (uint64_t)(o->total - 1) / o->n_addrs > 65535) {
		fprintf(stderr, "ikev1_load: not enough ports: give more source addresses\n");
		return -1;
	}
	if (o->concurrency > o->total)
		o->concurrency = o->total;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static struct run r;
	if (parse_opts(&r.o, argc, argv)) {
		usage();
		return 64;
	}
	struct rlimit rl = { r.o.total + 1024, r.o.total + 1024 };
	if (setrlimit(RLIMIT_NOFILE, &rl))
		fprintf(stderr, "ikev1_load: cannot raise the descriptor limit: %s\n",
			strerror(errno));
	r.slots = calloc(r.o.concurrency, sizeof *r.slots);
	r.lat_ms = calloc(r.o.total, sizeof *r.lat_ms);
	r.done = calloc(r.o.total, sizeof *r.done);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (!r.slots || !r.lat_ms || !r.done || r.ep < 0 || ike_dh_new(r.o.group, &r.dh)) {
		fprintf(stderr, "ikev1_load: set-up failed\n");
		return 1;
	}
	double t0 = now_s();
	int rc = run_load(&r);
	report(&r, now_s() - t0);
	if (!rc && r.o.hold) {
		struct sigaction sa = { .sa_handler = on_signal };
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		printf("ikev1_load: holding %u established handshakes' sockets\n", r.ok);
		fflush(stdout);
		hold(&r);
	}
	for (uint32_t i = 0; i < r.ok; i++)
		if (r.done[i].fd >= 0)
			close(r.done[i].fd);
	ike_dh_free(r.dh);
	free(r.slots);
	free(r.lat_ms);
	free(r.done);
	close(r.ep);
	return rc ? 1 : r.failed ? 2 : 0;
}
