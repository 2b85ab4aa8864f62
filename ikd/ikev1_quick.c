/*
 * Quick Mode (RFC 2409 section 5.5):
 *
 *      Initiator                                  Responder
 *   1  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr] -->
 *   2            <-- HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]
 *   3  HDR*, HASH(3) -->
 *
 * HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr]) (the payloads after HASH)
 * HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *
 * The initiator installs the SA pair on message 2 and may send on it at once (strongSwan
 * and Windows do), before message 3 reaches us. So the responder installs its inbound SA
 * before sending message 2, and the outbound SA and the policies when message 3 proved
 * the initiator has the keys (RFC 2409 practice); an exchange that ends without message 3
 * deletes that inbound SA (ikev1.c). As initiator of a rekey ikd does not send on the new
 * pair before the peer has message 3 (ikev1_child.h): a responder may install only then.
 * For L2TP (transport mode) the selectors are the outer addresses and UDP/1701 on our
 * side; a client behind NAT names its private address in IDci (and NAT-OA), which is
 * accepted as long as protocol and ports fit.
 */
#include "ikd/ikev1_quick.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/ike_dh.h"
#include "ikd/ike_names.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_sa.h"
#include "ikd/kernel.h"
#include "ikd/natt.h"

#define QM_NONCE_LEN 32

static struct isakmp_sa qm_peer_sa, qm_our_sa;

/* ---- helpers ------------------------------------------------------------------------- */

/* prf(SKEYID_a, M-ID [| Ni_b] | payloads after HASH) against the received HASH. */
static int check_hash12(struct ikev1_in *in, bool with_ni)
{
	const struct isakmp_msg *m = in->m;
	struct ike_sa *sa = in->sa;
	size_t rest_len;
	const uint8_t *rest = isakmp_span_from(m, 1, &rest_len);
	struct ike_chunk r = IKE_CHUNK(rest, rest_len);
	struct ike_chunk ni = IKE_CHUNK(in->qm->ni, in->qm->ni_len);
	uint8_t h[IKE_HASH_MAX];
	if (ikev1_qm_hash12(&sa->keys, m->hdr.msgid, with_ni ? &ni : NULL, &r, h) < 0 ||
	    m->pl[0].body_len != sa->keys.prf_len ||
	    ike_memcmp_ct(m->pl[0].body, h, sa->keys.prf_len) != 0)
		return ikev1_fail(in, "bad_hash", ISAKMP_N_INVALID_HASH_INFORMATION,
				  "HASH(%d) of Quick Mode %08x does not verify", with_ni ? 2 : 1,
				  m->hdr.msgid);
	return 0;
}

/* Fill the HASH placeholder at slot with prf(SKEYID_a, M-ID [| Ni_b] | rest). */
static int fill_hash12(struct ikev1_out *o, struct ike_sa *sa, struct ikev1_qm *qm,
		       size_t slot, size_t after, bool with_ni)
{
	size_t rest_len;
	uint8_t *rest = isakmp_build_ptr(&o->b, after, &rest_len);
	size_t slot_len;
	uint8_t *hp = isakmp_build_ptr(&o->b, slot, &slot_len);
	if (!rest || !hp)
		return -EMSGSIZE;
	struct ike_chunk r = IKE_CHUNK(rest, rest_len);
	struct ike_chunk ni = IKE_CHUNK(qm->ni, qm->ni_len);
	return ikev1_qm_hash12(&sa->keys, qm->msgid, with_ni ? &ni : NULL, &r, hp);
}

static int send_qm(struct ikev1_in *in, struct ike_sa *sa, struct ikev1_qm *qm,
		   struct ikev1_out *o, bool expect_reply)
{
	const uint8_t *pkt;
	size_t len;
	int rc = ikev1_out_finish(o, sa, qm->iv, &pkt, &len);
	if (rc < 0)
		return in ? ikev1_fail(in, "internal", 0, "cannot build Quick Mode message: %s",
				       strerror(-rc)) : rc;
	ike_xmit_ack(&qm->xmit);
	ike_xmit_send(&qm->xmit, pkt, len, expect_reply, in ? in->pkt->data : NULL,
		      in ? in->pkt->len : 0);
	return 0;
}

static int put_ids(struct ikev1_out *o, const struct ipsec_sa *c, bool initiator)
{
	uint8_t bi[32], br[32];
	struct isakmp_id idi, idr;
	const struct ipsec_ts *ti = initiator ? &c->local_ts : &c->remote_ts;
	const struct ipsec_ts *tr = initiator ? &c->remote_ts : &c->local_ts;
	ikev1_ts_to_id(ti, &idi, bi);
	ikev1_ts_to_id(tr, &idr, br);
	int rc = isakmp_put_id(&o->b, &idi);
	if (rc == 0)
		rc = isakmp_put_id(&o->b, &idr);
	return rc;
}

/* NAT-OA payloads in transport mode behind NAT: the initiator's, then the responder's
 * address as each side sees itself (RFC 3947 section 5.2). */
static int put_natoa(struct ikev1_out *o, const struct ike_sa *sa)
{
	if (!sa->nat || !sa->natt_method)
		return 0;
	const union ikd_sockaddr *i = sa->initiator ? &sa->local : &sa->peer;
	const union ikd_sockaddr *r = sa->initiator ? &sa->peer : &sa->local;
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		size_t len;
		const uint8_t *b = ikd_addr_bytes(&(k ? r : i)->sa, &len);
		struct isakmp_natoa oa = { .id_type = len == 4 ? ISAKMP_ID_IPV4_ADDR
								: ISAKMP_ID_IPV6_ADDR,
					   .addr_len = (uint8_t)len };
		memcpy(oa.addr, b, len);
		rc = isakmp_put_natoa(&o->b, natt_draft(sa), &oa);
	}
	return rc;
}

static int read_peer_nonce_ke(struct ikev1_in *in, bool initiator)
{
	const struct isakmp_msg *m = in->m;
	struct ikev1_qm *qm = in->qm;
	const struct isakmp_payload *np = &m->pl[isakmp_find(m, ISAKMP_PL_NONCE, 0)];
	if (np->body_len < ISAKMP_NONCE_MIN || np->body_len > sizeof qm->ni)
		return ikev1_fail(in, "malformed", ISAKMP_N_PAYLOAD_MALFORMED,
				  "Quick Mode nonce of %u bytes", np->body_len);
	memcpy(initiator ? qm->nr : qm->ni, np->body, np->body_len);
	*(initiator ? &qm->nr_len : &qm->ni_len) = np->body_len;
	return 0;
}

/* PFS: with a KE payload, our key pair (responder) and g(qm)^xy into qm->gqm_peer. */
static int pfs(struct ikev1_in *in, uint16_t group)
{
	struct ikev1_qm *qm = in->qm;
	int idx = isakmp_find(in->m, ISAKMP_PL_KE, 0);
	if (!group && idx < 0)
		return 0;
	if (!group || idx < 0)
		return ikev1_fail(in, "pfs_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "PFS: %s", group ? "the peer sent no KE payload"
						   : "KE payload without a PFS group");
	if (!qm->dh && ike_dh_new(group, &qm->dh) < 0)
		return ikev1_fail(in, "pfs_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "PFS group %u is not supported", group);
	const struct isakmp_payload *ke = &in->m->pl[idx];
	size_t len;
	if (ike_dh_compute(qm->dh, ke->body, ke->body_len, qm->gqm_peer, sizeof qm->gqm_peer,
			   &len) < 0)
		return ikev1_fail(in, "invalid_ke", ISAKMP_N_INVALID_KEY_INFORMATION,
				  "Quick Mode KE is not a valid %s value", ike_dh_name(group));
	qm->gqm_peer_len = len;
	return 0;
}

static int put_ke(struct ikev1_out *o, const struct ikev1_qm *qm)
{
	if (!qm->dh)
		return 0;
	size_t len;
	const uint8_t *pub = ike_dh_public(qm->dh, &len);
	return isakmp_put_data(&o->b, ISAKMP_PL_KE, pub, len, NULL);
}

/* Messages 1 and 2 start alike: HASH placeholder (*slot), SA, nonce, [KE]. Returns the
 * offset where the hashed payloads begin. */
static size_t begin_qm12(struct ikev1_out *o, struct ike_sa *sa, struct ikev1_qm *qm,
			 const uint8_t *nonce, size_t nonce_len, size_t *slot)
{
	ikev1_out_begin(o, sa, ISAKMP_XCHG_QUICK, qm->msgid, true);
	ikev1_out_hash_slot(o, sa, slot);
	size_t after = isakmp_build_offset(&o->b);
	isakmp_put_sa(&o->b, &qm_our_sa);
	isakmp_put_data(&o->b, ISAKMP_PL_NONCE, nonce, nonce_len, NULL);
	put_ke(o, qm);
	return after;
}

/* ---- responder ----------------------------------------------------------------------- */

int ikev1_quick_r0(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	struct ikev1_qm *qm = in->qm;
	struct ikd *d = in->d;
	int rc = check_hash12(in, false);
	if (rc < 0)
		return rc;
	memcpy(qm->iv, in->iv_next, sizeof qm->iv);
	const struct isakmp_payload *sp = &in->m->pl[isakmp_find(in->m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(sp, &qm_peer_sa, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s",
				  in->err.reason);
	if ((rc = read_peer_nonce_ke(in, false)) < 0)
		return rc;
	qm->child = ipsec_sa_new(sa);
	if (!qm->child)
		return -ENOMEM;
	if ((rc = ikev1_child_take_ids(in, qm->child)) < 0)
		return rc;
	if ((rc = kernel_child_alloc_spi(&d->kernel, sa, qm->child)) < 0)
		return ikev1_fail(in, "kernel", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "kernel refused an SPI: %s", d->kernel.ops->strerror(d->kernel.ctx));
	char why[IKE_WHY_MAX];
	uint32_t peer_spi;
	if (ikev1_p2_select(sa->conn, &qm_peer_sa, qm->child->spi_in, &qm_our_sa,
			    &qm->child->params, &peer_spi, why, sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	qm->child->spi_out = peer_spi;
	if ((rc = ikev1_child_check_mode(in, qm->child)) < 0)
		return rc;
	if ((rc = pfs(in, qm->child->params.pfs_group)) < 0)
		return rc;
	random_bytes(qm->nr, QM_NONCE_LEN);
	qm->nr_len = QM_NONCE_LEN;
	if ((rc = ikev1_child_install_inbound(sa, qm, in)) < 0)
		return rc;

	struct ikev1_out o;
	size_t slot;
	size_t after = begin_qm12(&o, sa, qm, qm->nr, qm->nr_len, &slot);
	if (in->m->count[ISAKMP_PL_ID])
		put_ids(&o, qm->child, false);
	if (!qm->child->params.tunnel && in->m->count[ISAKMP_PL_NATOA])
		put_natoa(&o, sa);
	if (qm->child->params.life_reduced)
		ikev1_child_put_responder_lifetime(&o, qm->child, peer_spi);
	if ((rc = fill_hash12(&o, sa, qm, slot, after, true)) < 0)
		return ikev1_fail(in, "internal", 0, "HASH(2): %s", strerror(-rc));
	return send_qm(in, sa, qm, &o, true);
}

static int check_hash3(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	struct ikev1_qm *qm = in->qm;
	const struct isakmp_msg *m = in->m;
	struct ike_chunk ni = IKE_CHUNK(qm->ni, qm->ni_len), nr = IKE_CHUNK(qm->nr, qm->nr_len);
	uint8_t h[IKE_HASH_MAX];
	if (ikev1_qm_hash3(&sa->keys, qm->msgid, &ni, &nr, h) < 0 ||
	    m->pl[0].body_len != sa->keys.prf_len ||
	    ike_memcmp_ct(m->pl[0].body, h, sa->keys.prf_len) != 0)
		return ikev1_fail(in, "bad_hash", ISAKMP_N_INVALID_HASH_INFORMATION,
				  "HASH(3) of Quick Mode %08x does not verify", qm->msgid);
	return 0;
}

int ikev1_quick_r1(struct ikev1_in *in)
{
	int rc = check_hash3(in);
	if (rc < 0)
		return rc;
	ike_xmit_ack(&in->qm->xmit);
	return ikev1_child_install(in->sa, in->qm, in);
}

/* ---- initiator ----------------------------------------------------------------------- */

int ikev1_quick_initiate(struct ike_sa *sa, struct ipsec_sa *rekey_of)
{
	struct ikd *d = ikd_of(sa);
	struct ikev1_qm *qm = ikev1_qm_new(sa, ikev1_new_msgid(sa));
	if (!qm)
		return -ENOMEM;
	qm->state = QM_I1;
	qm->rekey_of = rekey_of;
	ikev1_phase2_iv(&sa->keys, sa->iv, qm->msgid, qm->iv);
	qm->child = ipsec_sa_new(sa);
	int rc = qm->child ? 0 : -ENOMEM;
	if (rc == 0) {
		qm->child->initiator = true;
		ikev1_child_our_ts(sa, qm->child);
		if (rekey_of)
			qm->child->reqid = rekey_of->reqid;
		qm->child->params.tunnel = sa->conn->mode == IKD_MODE_TUNNEL;
		rc = kernel_child_alloc_spi(&d->kernel, sa, qm->child);
	}
	if (rc == 0)
		rc = ikev1_p2_offer(sa->conn, qm->child->spi_in,
				    natt_encap_mode(sa, sa->conn->mode == IKD_MODE_TUNNEL), &qm_our_sa);
	if (rc == 0 && sa->conn->pfs_group)
		rc = ike_dh_new(sa->conn->pfs_group, &qm->dh);
	if (rc < 0) {
		log_err("quick_mode_initiate_failed", "ike_sa=%u errno=%d", sa->id, -rc);
		ikev1_qm_free(sa, qm);
		return rc;
	}
	random_bytes(qm->ni, QM_NONCE_LEN);
	qm->ni_len = QM_NONCE_LEN;
	struct ikev1_out o;
	size_t slot;
	size_t after = begin_qm12(&o, sa, qm, qm->ni, qm->ni_len, &slot);
	put_ids(&o, qm->child, true);
	if (sa->conn->mode == IKD_MODE_TRANSPORT)
		put_natoa(&o, sa);
	rc = fill_hash12(&o, sa, qm, slot, after, false);
	if (rc == 0)
		rc = send_qm(NULL, sa, qm, &o, true);
	if (rc < 0) {
		log_err("quick_mode_initiate_failed", "ike_sa=%u errno=%d", sa->id, -rc);
		ikev1_qm_free(sa, qm);  /* releases the SPI */
		return rc;
	}
	log_info("quick_mode_initiating", "ike_sa=%u msgid=%08x spi_in=%08x rekey=%s", sa->id,
		 qm->msgid, qm->child->spi_in, rekey_of ? "yes" : "no");
	return 0;
}

int ikev1_quick_i1(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	struct ikev1_qm *qm = in->qm;
	int rc = read_peer_nonce_ke(in, true);
	if (rc == 0)
		rc = check_hash12(in, true);
	if (rc < 0)
		return rc;
	memcpy(qm->iv, in->iv_next, sizeof qm->iv);
	const struct isakmp_payload *sp = &in->m->pl[isakmp_find(in->m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(sp, &qm_peer_sa, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s",
				  in->err.reason);
	char why[IKE_WHY_MAX];
	uint32_t peer_spi;
	uint32_t reqid = qm->child->reqid;
	struct ipsec_ts lts = qm->child->local_ts, rts = qm->child->remote_ts;
	if (ikev1_p2_accept(sa->conn, &qm_peer_sa, &qm->child->params, &peer_spi, why,
			    sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	qm->child->spi_out = peer_spi;
	qm->child->reqid = reqid;
	qm->child->local_ts = lts;
	qm->child->remote_ts = rts;
	ikev1_child_take_responder_lifetime(in, qm->child);
	if ((rc = pfs(in, qm->child->params.pfs_group)) < 0)
		return rc;
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_QUICK, qm->msgid, true);
	size_t slot;
	ikev1_out_hash_slot(&o, sa, &slot);
	size_t hl;
	uint8_t *hp = isakmp_build_ptr(&o.b, slot, &hl);
	struct ike_chunk ni = IKE_CHUNK(qm->ni, qm->ni_len), nr = IKE_CHUNK(qm->nr, qm->nr_len);
	if (!hp || ikev1_qm_hash3(&sa->keys, qm->msgid, &ni, &nr, hp) < 0)
		return ikev1_fail(in, "internal", 0, "HASH(3) failed");
	/* Install before sending HASH(3): ESP from the responder may follow at once. */
	rc = ikev1_child_install(sa, qm, in);
	if (rc < 0)
		return rc;
	return send_qm(in, sa, qm, &o, false);
}
