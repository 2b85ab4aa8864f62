/*
 * Phase 1 steps shared by Main and Aggressive Mode. See ikev1_p1.h.
 */
#include "ikd/ikev1_p1.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/cert.h"
#include "ikd/dpd.h"
#include "ikd/ike_dh.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_info.h"
#include "ikd/ikev1_main.h"
#include "ikd/ikev1_quick.h"
#include "ikd/natt.h"

#define NONCE_LEN 32

int ikev1_p1_neg_new(struct ike_sa *sa, const struct isakmp_payload *sai)
{
	if (!sa->neg) {
		sa->neg = calloc(1, sizeof *sa->neg);
		if (!sa->neg)
			return -ENOMEM;
	}
	if (sai) {
		free(sa->neg->sai_b);
		sa->neg->sai_b = malloc(sai->body_len ? sai->body_len : 1);
		if (!sa->neg->sai_b)
			return -ENOMEM;
		memcpy(sa->neg->sai_b, sai->body, sai->body_len);
		sa->neg->sai_len = sai->body_len;
	}
	return 0;
}

int ikev1_p1_keep_sai(struct ike_sa *sa, struct ikev1_out *o, size_t off)
{
	size_t len;
	uint8_t *p = isakmp_build_ptr(&o->b, off, &len);
	if (!p || len < ISAKMP_GENERIC_LEN)
		return -EMSGSIZE;
	struct isakmp_payload pl = { .body = p + ISAKMP_GENERIC_LEN,
				     .body_len = (uint16_t)(len - ISAKMP_GENERIC_LEN) };
	return ikev1_p1_neg_new(sa, &pl);
}

static int our_dh_and_nonce(struct ike_sa *sa, bool initiator)
{
	struct ike_p1_neg *n = sa->neg;
	int rc = ike_dh_new(sa->p1.dh_group, &n->dh);
	if (rc < 0)
		return rc;
	size_t len;
	const uint8_t *pub = ike_dh_public(n->dh, &len);
	if (initiator) {
		memcpy(n->gxi, pub, len);
		n->gxi_len = len;
		random_bytes(n->ni, NONCE_LEN);
		n->ni_len = NONCE_LEN;
	} else {
		memcpy(n->gxr, pub, len);
		n->gxr_len = len;
		random_bytes(n->nr, NONCE_LEN);
		n->nr_len = NONCE_LEN;
	}
	return 0;
}

int ikev1_p1_new_dh(struct ikev1_in *in)
{
	int rc = ikev1_p1_neg_new(in->sa, NULL);
	if (rc == 0)
		rc = our_dh_and_nonce(in->sa, true);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "Diffie-Hellman group %u: %s",
				  in->sa->p1.dh_group, strerror(-rc));
	return 0;
}

int ikev1_p1_take_ke_nonce(struct ikev1_in *in, bool initiator)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_msg *m = in->m;
	const struct isakmp_payload *ke = &m->pl[isakmp_find(m, ISAKMP_PL_KE, 0)];
	const struct isakmp_payload *no = &m->pl[isakmp_find(m, ISAKMP_PL_NONCE, 0)];
	if (ike_dh_check_public(sa->p1.dh_group, ke->body, ke->body_len) < 0)
		return ikev1_fail(in, "invalid_ke", ISAKMP_N_INVALID_KEY_INFORMATION,
				  "KE payload is not a valid %s public value (%u bytes, expected %zu)",
				  ike_dh_name(sa->p1.dh_group), ke->body_len,
				  ike_dh_pub_len(sa->p1.dh_group));
	if (no->body_len < ISAKMP_NONCE_MIN || no->body_len > ISAKMP_NONCE_MAX)
		return ikev1_fail(in, "malformed", ISAKMP_N_PAYLOAD_MALFORMED,
				  "nonce of %u bytes (8..256 allowed)", no->body_len);
	if (ikev1_p1_neg_new(sa, NULL) < 0)
		return -ENOMEM;
	struct ike_p1_neg *n = sa->neg;
	if (initiator) {
		memcpy(n->gxr, ke->body, ke->body_len);
		n->gxr_len = ke->body_len;
		memcpy(n->nr, no->body, no->body_len);
		n->nr_len = no->body_len;
		return 0;
	}
	memcpy(n->gxi, ke->body, ke->body_len);
	n->gxi_len = ke->body_len;
	memcpy(n->ni, no->body, no->body_len);
	n->ni_len = no->body_len;
	int rc = our_dh_and_nonce(sa, false);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "Diffie-Hellman: %s", strerror(-rc));
	return 0;
}

int ikev1_p1_put_ke_nonce(struct ikev1_out *o, const struct ike_sa *sa)
{
	const struct ike_p1_neg *n = sa->neg;
	int rc = isakmp_put_data(&o->b, ISAKMP_PL_KE, sa->initiator ? n->gxi : n->gxr,
				 sa->initiator ? n->gxi_len : n->gxr_len, NULL);
	if (rc == 0)
		rc = isakmp_put_data(&o->b, ISAKMP_PL_NONCE, sa->initiator ? n->ni : n->nr,
				     sa->initiator ? n->ni_len : n->nr_len, NULL);
	return rc;
}

int ikev1_p1_make_keys(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	struct ike_p1_neg *n = sa->neg;
	uint8_t gxy[IKE_DH_SECRET_MAX], skeyid[IKE_HASH_MAX];
	size_t gxy_len;
	const uint8_t *peer_pub = sa->initiator ? n->gxr : n->gxi;
	size_t peer_len = sa->initiator ? n->gxr_len : n->gxi_len;
	int rc = ike_dh_compute(n->dh, peer_pub, peer_len, gxy, sizeof gxy, &gxy_len);
	if (rc < 0)
		return ikev1_fail(in, "invalid_ke", ISAKMP_N_INVALID_KEY_INFORMATION,
				  "the peer's Diffie-Hellman value is unusable");
	struct ike_chunk ni = IKE_CHUNK(n->ni, n->ni_len), nr = IKE_CHUNK(n->nr, n->nr_len);
	struct ike_chunk g = IKE_CHUNK(gxy, gxy_len);
	if (sa->p1.auth == IKD_AUTH_PSK) {
		const struct ikd_id *hint = sa->conn->remote_id.type ? &sa->conn->remote_id : NULL;
		if (sa->aggressive && sa->peer_id.type)
			hint = &sa->peer_id;
		const struct ikd_psk *psk = ikd_conf_find_psk(sa->conf, &sa->peer.sa, hint);
		if (!psk) {
			char a[IKD_ADDRSTR_MAX];
			sodium_memzero(gxy, sizeof gxy);
			return ikev1_fail(in, "no_psk", ISAKMP_N_AUTHENTICATION_FAILED,
					  "no pre-shared key for peer %s in secrets.conf (add an "
					  "ike.psk entry for this address, its ID, or %%any)",
					  ikd_addr_str(&sa->peer.sa, false, a, sizeof a));
		}
		rc = ikev1_skeyid_psk(sa->p1.prf, psk->key.p, psk->key.len, &ni, &nr, skeyid);
	} else {
		rc = ikev1_skeyid_sig(sa->p1.prf, &ni, &nr, &g, skeyid);
	}
	struct ikev1_suite suite = { .prf = sa->p1.prf, .hash = sa->p1.hash,
				     .cipher = sa->p1.cipher };
	if (rc == 0)
		rc = ikev1_derive_keys(&sa->keys, &suite, skeyid, &g, sa->cky_i, sa->cky_r);
	sodium_memzero(gxy, sizeof gxy);
	sodium_memzero(skeyid, sizeof skeyid);
	struct ike_chunk gxi = IKE_CHUNK(n->gxi, n->gxi_len), gxr = IKE_CHUNK(n->gxr, n->gxr_len);
	if (rc == 0)
		rc = ikev1_phase1_iv(&sa->keys, &gxi, &gxr, sa->iv);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "key derivation failed (%s)", strerror(-rc));
	return 0;
}

void ikev1_local_id(const struct ike_sa *sa, struct ikd_id *id)
{
	if (sa->conn->local_id.type)
		*id = sa->conn->local_id;
	else
		ikd_id_from_addr(id, &sa->local.sa);
}

size_t ikev1_id_body(const struct ikd_id *id, uint8_t *buf, size_t size)
{
	if (size < 4u + id->len)
		return 0;
	buf[0] = id->type;
	buf[1] = 0;             /* protocol and port: 0 = any, as strongSwan and Windows */
	buf[2] = buf[3] = 0;
	memcpy(buf + 4, id->data, id->len);
	return 4u + id->len;
}

static int auth_hash(const struct ike_sa *sa, bool of_initiator, const uint8_t *id_b,
		     size_t id_len, uint8_t *out)
{
	const struct ike_p1_neg *n = sa->neg;
	struct ike_chunk gxi = IKE_CHUNK(n->gxi, n->gxi_len), gxr = IKE_CHUNK(n->gxr, n->gxr_len);
	struct ike_chunk sai = IKE_CHUNK(n->sai_b, n->sai_len), id = IKE_CHUNK(id_b, id_len);
	return ikev1_hash_auth(&sa->keys, of_initiator, &gxi, &gxr, sa->cky_i, sa->cky_r, &sai,
			       &id, out);
}

/* RSA: our certificate and the signature over hash h. */
static int put_cert_sig(struct ikev1_out *o, struct ike_sa *sa, const uint8_t *der,
			size_t der_len, const uint8_t *h)
{
	uint8_t sig[CERT_SIG_MAX];
	size_t sig_len = sizeof sig;
	char why[200];
	struct isakmp_cert c = { .encoding = ISAKMP_CERT_X509_SIG, .data = der,
				 .len = (uint16_t)der_len };
	int rc = isakmp_put_cert(&o->b, ISAKMP_PL_CERT, &c);
	if (rc == 0)
		rc = cert_sign(sa->conn, h, sa->keys.prf_len, sig, &sig_len, why, sizeof why);
	if (rc == 0)
		rc = isakmp_put_data(&o->b, ISAKMP_PL_SIG, sig, sig_len, NULL);
	else
		log_err("cert_problem", "ike_sa=%u reason=\"%s\"", sa->id, why);
	return rc;
}

int ikev1_p1_put_id_auth(struct ikev1_out *o, struct ike_sa *sa)
{
	uint8_t body[4 + IKD_ID_MAX], h[IKE_HASH_MAX];
	static uint8_t der[CERT_DER_MAX];
	size_t der_len = sizeof der;
	bool rsa = sa->p1.auth == IKD_AUTH_RSA;
	if (rsa) {
		char why[200];
		sa->local_id = sa->conn->local_id;
		if (cert_own(sa->conn, der, &der_len, &sa->local_id, why, sizeof why) < 0) {
			log_err("cert_problem", "ike_sa=%u reason=\"%s\"", sa->id, why);
			return -ENOENT;
		}
	} else {
		ikev1_local_id(sa, &sa->local_id);
	}
	size_t len = ikev1_id_body(&sa->local_id, body, sizeof body);
	struct isakmp_id id = { .type = sa->local_id.type, .data = sa->local_id.data,
				.len = sa->local_id.len };
	int rc = isakmp_put_id(&o->b, &id);
	if (rc == 0)
		rc = auth_hash(sa, sa->initiator, body, len, h);
	if (rc == 0 && rsa)
		rc = put_cert_sig(o, sa, der, der_len, h);
	else if (rc == 0)
		rc = isakmp_put_data(&o->b, ISAKMP_PL_HASH, h, sa->keys.prf_len, NULL);
	/* Not when rekeying: INITIAL-CONTACT tells the responder to drop every other SA
	 * with us, the pairs the new ISAKMP SA is meant to take over included. */
	if (rc == 0 && sa->initiator && !sa->aggressive && !sa->rekeyed) {
		uint8_t spi[16];
		memcpy(spi, sa->cky_i, 8);
		memcpy(spi + 8, sa->cky_r, 8);
		struct isakmp_notify_pl n = { .doi = ISAKMP_DOI_IPSEC,
					      .protocol = ISAKMP_PROTO_ISAKMP, .spi_size = 16,
					      .type = ISAKMP_N_INITIAL_CONTACT, .spi = spi };
		rc = isakmp_put_notify(&o->b, &n);
	}
	return rc;
}

int ikev1_p1_put_cr(struct ikev1_out *o, const struct ike_sa *sa)
{
	if (sa->p1.auth != IKD_AUTH_RSA)
		return 0;
	struct isakmp_cert cr = { .encoding = ISAKMP_CERT_X509_SIG };
	return isakmp_put_cert(&o->b, ISAKMP_PL_CR, &cr);
}

/* Is the peer's identity the one the connection expects? */
static bool id_acceptable(const struct ike_sa *sa, const struct ikd_id *peer)
{
	const struct ikd_id *want = &sa->conn->remote_id;
	if (want->type == IKD_ID_ANY)
		return true;
	return ikd_id_equal(want, peer);
}

static void note_initial_contact(struct ike_sa *sa, const struct isakmp_msg *m)
{
	for (unsigned i = 0; i < m->count[ISAKMP_PL_N]; i++) {
		struct isakmp_notify_pl n;
		struct isakmp_err err;
		const struct isakmp_payload *p = &m->pl[isakmp_find(m, ISAKMP_PL_N, i)];
		if (isakmp_notify_parse(p, &n, &err) == 0 && n.type == ISAKMP_N_INITIAL_CONTACT)
			sa->initial_contact_seen = true;
	}
}

int ikev1_p1_take_peer_id(struct ikev1_in *in, int idx)
{
	struct ike_sa *sa = in->sa;
	struct isakmp_id id;
	if (idx < 0 || isakmp_id_parse(&in->m->pl[idx], &id, &in->err) < 0)
		return ikev1_fail(in, "malformed", ISAKMP_N_INVALID_ID_INFORMATION,
				  "ID payload: %s", in->err.reason);
	if (id.len > IKD_ID_MAX)
		return ikev1_fail(in, "unexpected_id", ISAKMP_N_INVALID_ID_INFORMATION,
				  "peer identity longer than %d bytes", IKD_ID_MAX);
	struct ikd_id peer = { .type = id.type, .len = id.len };
	memcpy(peer.data, id.data, id.len);
	sa->peer_id = peer;
	if (!id_acceptable(sa, &peer)) {
		char got[300], want[300];
		return ikev1_fail(in, "unexpected_id", ISAKMP_N_INVALID_ID_INFORMATION,
				  "peer identifies as %s, connection %s expects %s",
				  ikd_id_str(&peer, got, sizeof got), sa->conn->name,
				  ikd_id_str(&sa->conn->remote_id, want, sizeof want));
	}
	return 0;
}

/* RSA: the peer's certificate (chain, dates, CRL, ID) and its signature over want_h. */
static int check_sig(struct ikev1_in *in, const uint8_t *want_h)
{
	const struct isakmp_msg *m = in->m;
	struct ike_sa *sa = in->sa;
	struct isakmp_cert cert = { 0 };
	for (unsigned i = 0; i < m->count[ISAKMP_PL_CERT]; i++) {
		struct isakmp_cert c;
		if (isakmp_cert_parse(&m->pl[isakmp_find(m, ISAKMP_PL_CERT, i)], &c, &in->err) == 0 &&
		    c.encoding == ISAKMP_CERT_X509_SIG) {
			cert = c;
			break;
		}
	}
	if (!cert.len)
		return ikev1_fail(in, "cert_problem", ISAKMP_N_CERTIFICATE_UNAVAILABLE,
				  "the peer sent no X.509 certificate");
	const struct isakmp_payload *sp = &m->pl[isakmp_find(m, ISAKMP_PL_SIG, 0)];
	char why[300];
	if (cert_verify_peer(sa->conn, cert.data, cert.len, &sa->peer_id, want_h, sa->keys.prf_len,
			     sp->body, sp->body_len, why, sizeof why) < 0)
		return ikev1_fail(in, "cert_problem", ISAKMP_N_AUTHENTICATION_FAILED, "%s", why);
	note_initial_contact(sa, m);
	return 0;
}

int ikev1_p1_check_hash(struct ikev1_in *in, const uint8_t *id_b, size_t id_len)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_msg *m = in->m;
	uint8_t want_h[IKE_HASH_MAX];
	int rc = auth_hash(sa, !sa->initiator, id_b, id_len, want_h);
	if (sa->p1.auth == IKD_AUTH_RSA)
		return rc < 0 ? rc : check_sig(in, want_h);
	const struct isakmp_payload *hp = &m->pl[isakmp_find(m, ISAKMP_PL_HASH, 0)];
	if (rc < 0 || hp->body_len != sa->keys.prf_len ||
	    ike_memcmp_ct(hp->body, want_h, sa->keys.prf_len) != 0)
		return ikev1_fail(in, "psk_mismatch", ISAKMP_N_AUTHENTICATION_FAILED,
				  "%s from the peer does not verify: the pre-shared keys differ",
				  sa->initiator ? "HASH_R" : "HASH_I");
	note_initial_contact(sa, m);
	return 0;
}

int ikev1_p1_verify_auth(struct ikev1_in *in)
{
	int idx = isakmp_find(in->m, ISAKMP_PL_ID, 0);
	int rc = ikev1_p1_take_peer_id(in, idx);
	if (rc < 0)
		return rc;
	const struct isakmp_payload *idp = &in->m->pl[idx];
	return ikev1_p1_check_hash(in, idp->body, idp->body_len);
}

void ikev1_p1_adopt_iv(struct ikev1_in *in)
{
	if (in->encrypted)
		memcpy(in->sa->iv, in->iv_next, sizeof in->sa->iv);
}

void ikev1_p1_float(struct ike_sa *sa)
{
	if (sa->natt)
		return;
	uint16_t port = sa->conf->set.natt_port;
	union ikd_sockaddr peer = sa->peer;
	ikd_addr_set_port(&peer, port);
	ike_sa_set_peer(sa, &peer);
	ikd_addr_set_port(&sa->local, port);
	sa->natt = true;
}

static int send_msg(struct ikev1_in *in, struct ikev1_out *o, bool expect_reply)
{
	struct ike_sa *sa = in ? in->sa : NULL;
	const uint8_t *pkt;
	size_t len;
	if (!sa)
		sa = o->sa;
	int rc = ikev1_out_finish(o, sa, sa->iv, &pkt, &len);
	if (rc < 0) {
		if (in)
			return ikev1_fail(in, "internal", 0, "cannot build message: %s",
					  strerror(-rc));
		return rc;
	}
	if (in)
		ike_xmit_ack(&sa->xmit);
	rc = ike_xmit_send(&sa->xmit, pkt, len, expect_reply, in ? in->pkt->data : NULL,
			   in ? in->pkt->len : 0);
	if (rc < 0)
		log_debug("ike_send_failed", "ike_sa=%u errno=%d", sa->id, -rc);
	return 0;
}

int ikev1_p1_send(struct ikev1_in *in, struct ikev1_out *o, bool expect_reply)
{
	return send_msg(in, o, expect_reply);
}

int ikev1_p1_send_final(struct ikev1_in *in, struct ikev1_out *o)
{
	return send_msg(in, o, false);
}

/* INITIAL-CONTACT: the peer rebooted or reconnected; its older SAs are stale. */
static void drop_stale(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	struct ike_sa *s = NULL, *next;
	for (s = ike_sa_next_of_peer(&d->sas, &sa->peer, false, NULL); s; s = next) {
		next = ike_sa_next_of_peer(&d->sas, &sa->peer, false, s);
		if (s == sa || !s->established || !ikd_id_equal(&s->peer_id, &sa->peer_id))
			continue;
		ikev1_delete_sa(s, false, true, "replaced after INITIAL-CONTACT");
	}
}

/* Another established SA of the same connection and peer, for children to move to. */
static struct ike_sa *sibling(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	struct ike_sa *best = NULL;
	for (struct ike_sa *s = ike_sa_next_of_peer(&d->sas, &sa->peer, true, NULL); s;
	     s = ike_sa_next_of_peer(&d->sas, &sa->peer, true, s))
		if (s != sa && s->established && s->conn == sa->conn &&
		    (!best || s->established_ms > best->established_ms))
			best = s;
	return best;
}

static void life_cb(void *arg)
{
	struct ike_sa *sa = arg;
	struct ikd *d = ikd_of(sa);
	if (sa->initiator && !sa->rekeyed) {
		sa->rekeyed = true;
		union ikd_sockaddr peer = sa->peer;
		ikd_addr_set_port(&peer, sa->conn->remote_port);
		log_info("ike_rekey_start", "ike_sa=%u", sa->id);
		struct ike_sa *n = NULL;
		if (ikev1_main_initiate(d, sa->conn, &peer, &n) == 0)
			n->rekeyed = true;      /* no new Quick Mode: the IPsec SAs move over */
		uint32_t margin = sa->p1.lifetime / 10 + 1;
		if (margin > sa->conn->rekey_margin)
			margin = sa->conn->rekey_margin;
		ike_timer_start(&sa->life_timer, (uint64_t)margin * 1000u);
		return;
	}
	struct ike_sa *repl = sibling(sa);
	if (repl)
		ikev1_child_adopt_all(repl, sa);
	ikev1_delete_sa(sa, true, true, "ISAKMP SA lifetime expired");
}

void ikev1_p1_start_lifetime(struct ike_sa *sa)
{
	ike_timer_init(&sa->life_timer, life_cb, sa);
	uint32_t life = sa->p1.lifetime ? sa->p1.lifetime : sa->conn->ike_lifetime;
	uint32_t margin = 0;
	if (sa->initiator) {
		margin = life / 10 + 1;
		if (margin > sa->conn->rekey_margin)
			margin = sa->conn->rekey_margin;
	}
	/* Counted from establishment: an SA restored after a restart keeps its schedule. */
	uint64_t due = (uint64_t)(life - margin) * 1000u, now = ike_now_ms();
	uint64_t elapsed = now > sa->established_ms ? now - sa->established_ms : 0;
	ike_timer_start(&sa->life_timer, due > elapsed ? due - elapsed : 0);
}

void ikev1_p1_established(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	ike_sa_mark_established(sa);
	d->stats.ike_established++;
	if (sa->initial_contact_seen) {
		drop_stale(sa);
	} else {
		/* A new ISAKMP SA with the same peer (address, port) and identity replaces
		 * the older ones (re-authentication, or a client that lost its state without
		 * INITIAL-CONTACT). Their IPsec SAs move over: a rekeying Quick Mode supersedes
		 * them, or they expire. */
		struct ike_sa *old;
		while ((old = sibling(sa)) != NULL && (old->rekeyed ||
		       ikd_id_equal(&old->peer_id, &sa->peer_id))) {
			ikev1_child_adopt_all(sa, old);
			ikev1_delete_sa(old, old->rekeyed, false,
					old->rekeyed ? "replaced by the rekeyed ISAKMP SA"
						     : "replaced by a new ISAKMP SA from the same peer");
		}
	}
	char a[IKD_ADDRSTR_MAX], id[300], q[LOG_QUOTE_MAX];
	log_info("ike_sa_established", "ike_sa=%u conn=%s peer=%s peer_id=%s exchange=%s "
		 "role=%s auth=%s enc=%s hash=%s dh=%s lifetime=%u nat=%s natt=%s dpd=%s",
		 sa->id, log_quote(q, sizeof q, sa->conn->name),
		 ikd_addr_str(&sa->peer.sa, true, a, sizeof a),
		 ikd_id_str(&sa->peer_id, id, sizeof id), sa->aggressive ? "aggressive" : "main",
		 sa->initiator ? "initiator" : "responder",
		 sa->p1.auth == IKD_AUTH_PSK ? "psk" : "rsa", ike_cipher_name(sa->p1.cipher),
		 ike_hash_name(sa->p1.hash), ike_dh_name(sa->p1.dh_group), sa->p1.lifetime,
		 !sa->nat ? "none" : sa->nat == IKE_NAT_PEER ? "peer" :
		 sa->nat == IKE_NAT_LOCAL ? "local" : "both", natt_method_name(sa->natt_method),
		 (sa->peer_caps & IKE_PEER_DPD) ? "yes" : "no");
	ikd_event(d, IKD_EV_IKE_UP, sa, NULL, NULL);
	/* The scratch (DH private value, nonces, SAi_b) is no longer needed. */
	if (sa->neg) {
		ike_dh_free(sa->neg->dh);
		free(sa->neg->sai_b);
		sodium_memzero(sa->neg, sizeof *sa->neg);
		free(sa->neg);
		sa->neg = NULL;
	}
	dpd_start(sa);
	ikev1_p1_start_lifetime(sa);
	if (sa->initiator && !sa->rekeyed)
		ikev1_quick_initiate(sa, NULL);
	sa->rekeyed = false;
}
