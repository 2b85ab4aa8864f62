/*
 * Aggressive Mode with pre-shared keys (RFC 2409 section 5.4):
 *
 *      Initiator                              Responder
 *   1  HDR, SA, KE, Ni, IDii             -->
 *   2                                    <--  HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D]
 *   3  HDR[*], HASH_I [, NAT-D, NAT-D]   -->
 *
 * HASH_R travels in clear and depends only on public values and the PSK: whoever sees
 * message 2 can try PSKs offline. Hence refused unless configured, and logged when used.
 */
#include "ikd/ikev1_aggr.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_main.h"
#include "ikd/ikev1_p1.h"
#include "ikd/ikev1_sa.h"
#include "ikd/natt.h"

static struct isakmp_sa am_peer, am_ours;

static void warn_offline_crack(const struct ike_sa *sa)
{
	char q[LOG_QUOTE_MAX];
	log_warn("aggressive_mode_used", "ike_sa=%u conn=%s warning=\"Aggressive Mode sends a "
		 "hash of the PSK in clear: anyone who captures it can crack the PSK offline; "
		 "use a long random PSK or Main Mode\"", sa->id,
		 log_quote(q, sizeof q, sa->conn->name));
}

static int put_id_and_hash(struct ikev1_out *o, struct ike_sa *sa)
{
	/* Identical to Main Mode's, without INITIAL-CONTACT (ikev1_p1_put_id_auth knows). */
	return ikev1_p1_put_id_auth(o, sa);
}

int ikev1_aggr_r0(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_msg *m = in->m;
	const struct isakmp_payload *p = &m->pl[isakmp_find(m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(p, &am_peer, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s", in->err.reason);
	if (ikev1_p1_neg_new(sa, p) < 0)
		return -ENOMEM;
	natt_read_vids(sa, m);
	char why[sizeof in->err.reason];
	if (ikev1_p1_select(sa->conn, &am_peer, &am_ours, &sa->p1, why, sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	if (sa->p1.auth != IKD_AUTH_PSK)
		return ikev1_fail(in, "auth_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "Aggressive Mode is accepted with PSK only");
	int idx = isakmp_find(m, ISAKMP_PL_ID, 0);
	int rc = ikev1_p1_take_peer_id(in, idx);
	if (rc < 0)
		return rc;
	const struct isakmp_payload *idp = &m->pl[idx];
	if (idp->body_len > sizeof sa->neg->idi_b)
		return ikev1_fail(in, "unexpected_id", ISAKMP_N_INVALID_ID_INFORMATION,
				  "identity too long");
	memcpy(sa->neg->idi_b, idp->body, idp->body_len);
	sa->neg->idi_len = idp->body_len;
	if ((rc = ikev1_p1_take_ke_nonce(in, false)) < 0 || (rc = ikev1_p1_make_keys(in)) < 0)
		return rc;
	warn_offline_crack(sa);
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_AGGRESSIVE, 0, false);
	isakmp_put_sa(&o.b, &am_ours);
	ikev1_p1_put_ke_nonce(&o, sa);
	put_id_and_hash(&o, sa);
	natt_put_vids(&o.b, sa);
	if (sa->natt_method)
		natt_put_natd(&o.b, sa);
	return ikev1_p1_send(in, &o, true);
}

int ikev1_aggr_r1(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	int rc = ikev1_p1_check_hash(in, sa->neg->idi_b, sa->neg->idi_len);
	if (rc < 0)
		return rc;
	if (natt_check_natd(sa, in->m, in->pkt) < 0)
		return ikev1_fail(in, "malformed", ISAKMP_N_PAYLOAD_MALFORMED,
				  "only one NAT-D payload");
	ikev1_p1_adopt_iv(in);
	ike_xmit_ack(&sa->xmit);
	ikev1_p1_established(sa);
	return 0;
}

int ikev1_aggr_i1(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_msg *m = in->m;
	const struct isakmp_payload *p = &m->pl[isakmp_find(m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(p, &am_peer, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s", in->err.reason);
	char why[sizeof in->err.reason];
	struct ike_p1_params chosen;
	if (ikev1_p1_accept(sa->conn, &am_peer, &chosen, why, sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	if (chosen.dh_group != sa->p1.dh_group)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "responder chose DH group %u, our KE was for group %u",
				  chosen.dh_group, sa->p1.dh_group);
	sa->p1 = chosen;
	memcpy(sa->cky_r, m->hdr.rcookie, 8);
	natt_read_vids(sa, m);
	int rc = ikev1_p1_take_ke_nonce(in, true);
	if (rc == 0)
		rc = ikev1_p1_make_keys(in);
	if (rc == 0)
		rc = ikev1_p1_verify_auth(in);
	if (rc < 0)
		return rc;
	if (natt_check_natd(sa, m, in->pkt) < 0)
		return ikev1_fail(in, "malformed", ISAKMP_N_PAYLOAD_MALFORMED,
				  "only one NAT-D payload");
	warn_offline_crack(sa);
	/* HASH_I: over our IDii body as sent in message 1. */
	struct ikev1_out o;
	if (sa->nat && sa->natt_method)
		ikev1_p1_float(sa);
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_AGGRESSIVE, 0, true);
	uint8_t h[IKE_HASH_MAX];
	struct ike_chunk gxi = IKE_CHUNK(sa->neg->gxi, sa->neg->gxi_len);
	struct ike_chunk gxr = IKE_CHUNK(sa->neg->gxr, sa->neg->gxr_len);
	struct ike_chunk sai = IKE_CHUNK(sa->neg->sai_b, sa->neg->sai_len);
	struct ike_chunk idb = IKE_CHUNK(sa->neg->idi_b, sa->neg->idi_len);
	rc = ikev1_hash_auth(&sa->keys, true, &gxi, &gxr, sa->cky_i, sa->cky_r, &sai, &idb, h);
	if (rc == 0)
		rc = isakmp_put_data(&o.b, ISAKMP_PL_HASH, h, sa->keys.prf_len, NULL);
	if (rc == 0 && sa->natt_method)
		rc = natt_put_natd(&o.b, sa);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "cannot build Aggressive Mode message 3");
	rc = ikev1_p1_send_final(in, &o);
	if (rc < 0)
		return rc;
	ikev1_p1_established(sa);
	return 0;
}

int ikev1_aggr_initiate(struct ike_sa *sa, struct isakmp_sa *offer)
{
	/* One KE goes with the offer: keep only the proposals of the first group. */
	const struct ikd_conn *c = sa->conn;
	if (c->ike_list.n == 0)
		return -EINVAL;
	sa->aggressive = true;
	sa->p1.dh_group = c->ike_list.p[0].group;
	sa->p1.auth = IKD_AUTH_PSK;
	struct ikd_conn one = *c;
	one.ike_list.n = 0;
	for (size_t i = 0; i < c->ike_list.n; i++)
		if (c->ike_list.p[i].group == sa->p1.dh_group)
			one.ike_list.p[one.ike_list.n++] = c->ike_list.p[i];
	int rc = ikev1_p1_offer(&one, offer);
	struct ikev1_in in = { .d = ikd_of(sa), .sa = sa };
	if (rc == 0)
		rc = ikev1_p1_new_dh(&in);
	if (rc < 0)
		return rc;
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_AGGRESSIVE, 0, false);
	size_t off = isakmp_build_offset(&o.b);
	isakmp_put_sa(&o.b, offer);
	rc = ikev1_p1_keep_sai(sa, &o, off);
	if (rc < 0)
		return rc;
	ikev1_p1_put_ke_nonce(&o, sa);
	ikev1_local_id(sa, &sa->local_id);
	sa->neg->idi_len = ikev1_id_body(&sa->local_id, sa->neg->idi_b, sizeof sa->neg->idi_b);
	struct isakmp_id id = { .type = sa->local_id.type, .data = sa->local_id.data,
				.len = sa->local_id.len };
	isakmp_put_id(&o.b, &id);
	natt_put_vids(&o.b, sa);
	sa->state = AM_I1;
	return ikev1_p1_send(NULL, &o, true);
}
