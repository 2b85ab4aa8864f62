/*
 * Main Mode (RFC 2409 section 5), responder and initiator. The flows:
 *
 *      Initiator                          Responder
 *   1  HDR, SA                       -->
 *   2                                <--  HDR, SA
 *   3  HDR, KE, Ni [, NAT-D, NAT-D]  -->
 *   4                                <--  HDR, KE, Nr [, NAT-D, NAT-D]
 *   5  HDR*, IDii, HASH_I            -->            (port 4500 from here if NAT)
 *   6                                <--  HDR*, IDir, HASH_R
 *
 * Keys exist from message 3/4 on (SKEYID from the PSK and both nonces); messages 5 and 6
 * are encrypted and prove knowledge of the PSK. A peer with another PSK derives other
 * keys: its message 5 decrypts to garbage (ikev1.c reports "pre-shared keys differ") or,
 * when the garbage happens to parse, HASH_I fails here with the same diagnosis.
 */
#include "ikd/ikev1_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/ike_dh.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_aggr.h"
#include "ikd/ikev1_info.h"
#include "ikd/ikev1_p1.h"
#include "ikd/ikev1_quick.h"
#include "ikd/ikev1_sa.h"
#include "ikd/natt.h"

/* SA payloads are big (proposal/transform/attribute arrays): one scratch pair. */
static struct isakmp_sa sa_peer, sa_ours;

/* Messages 3 and 4: the peer's KE and nonce, NAT detection, the key schedule. */
static int ke_natd_keys(struct ikev1_in *in, bool initiator)
{
	int rc = ikev1_p1_take_ke_nonce(in, initiator);
	if (rc < 0)
		return rc;
	if (natt_check_natd(in->sa, in->m, in->pkt) < 0)
		return ikev1_fail(in, "malformed", ISAKMP_N_PAYLOAD_MALFORMED,
				  "only one NAT-D payload");
	return ikev1_p1_make_keys(in);
}

/* ---- responder ---------------------------------------------------------------------------- */

/* MM1 --> MM2: choose a proposal. */
int ikev1_main_r0(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_payload *p = &in->m->pl[isakmp_find(in->m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(p, &sa_peer, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s", in->err.reason);
	if (ikev1_p1_neg_new(sa, p) < 0)
		return -ENOMEM;
	natt_read_vids(sa, in->m);
	char why[sizeof in->err.reason];
	if (ikev1_p1_select(sa->conn, &sa_peer, &sa_ours, &sa->p1, why, sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	if (sa->p1.auth != sa->conn->auth)
		return ikev1_fail(in, "auth_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "peer authenticates with %s, connection %s expects %s",
				  sa->p1.auth == IKD_AUTH_PSK ? "psk" : "rsa", sa->conn->name,
				  sa->conn->auth == IKD_AUTH_PSK ? "psk" : "rsa");
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, false);
	isakmp_put_sa(&o.b, &sa_ours);
	natt_put_vids(&o.b, sa);
	return ikev1_p1_send(in, &o, true);
}

/* MM3 --> MM4: Diffie-Hellman, SKEYID, NAT detection. */
int ikev1_main_r1(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	int rc = ke_natd_keys(in, false);
	if (rc < 0)
		return rc;
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, false);
	ikev1_p1_put_ke_nonce(&o, sa);
	ikev1_p1_put_cr(&o, sa);
	if (in->m->count[ISAKMP_PL_NATD] && sa->natt_method)
		natt_put_natd(&o.b, sa);
	return ikev1_p1_send(in, &o, true);
}

/* MM5 --> MM6: check the initiator's identity and proof, prove ours. */
int ikev1_main_r2(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	int rc = ikev1_p1_verify_auth(in);
	if (rc < 0)
		return rc;
	ikev1_p1_adopt_iv(in);
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, true);
	rc = ikev1_p1_put_id_auth(&o, sa);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "cannot build Main Mode message 6: %s",
				  strerror(-rc));
	rc = ikev1_p1_send_final(in, &o);
	if (rc < 0)
		return rc;
	ikev1_p1_established(sa);
	return 0;
}

/* ---- initiator ------------------------------------------------------------------------------ */

/* MM2 <-- : the responder's choice; send MM3. */
int ikev1_main_i1(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_payload *p = &in->m->pl[isakmp_find(in->m, ISAKMP_PL_SA, 0)];
	if (isakmp_sa_parse(p, &sa_peer, &in->err) < 0)
		return ikev1_fail(in, "malformed", in->err.notify, "SA payload: %s", in->err.reason);
	char why[sizeof in->err.reason];
	if (ikev1_p1_accept(sa->conn, &sa_peer, &sa->p1, why, sizeof why) < 0)
		return ikev1_fail(in, "proposal_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN, "%s", why);
	memcpy(sa->cky_r, in->m->hdr.rcookie, 8);
	natt_read_vids(sa, in->m);
	int rc = ikev1_p1_new_dh(in);
	if (rc < 0)
		return rc;
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, false);
	ikev1_p1_put_ke_nonce(&o, sa);
	ikev1_p1_put_cr(&o, sa);
	if (sa->natt_method)
		natt_put_natd(&o.b, sa);
	return ikev1_p1_send(in, &o, true);
}

/* MM4 <-- : keys, NAT detection (float to 4500), send MM5. */
int ikev1_main_i2(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	int rc = ke_natd_keys(in, true);
	if (rc < 0)
		return rc;
	if (sa->nat && sa->natt_method)
		ikev1_p1_float(sa);
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, true);
	rc = ikev1_p1_put_id_auth(&o, sa);
	if (rc < 0)
		return ikev1_fail(in, "internal", 0, "cannot build Main Mode message 5: %s",
				  strerror(-rc));
	return ikev1_p1_send(in, &o, true);
}

/* MM6 <-- : the responder's proof. Phase 1 is up: start Quick Mode. */
int ikev1_main_i3(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	int rc = ikev1_p1_verify_auth(in);
	if (rc < 0)
		return rc;
	ikev1_p1_adopt_iv(in);
	ike_xmit_ack(&sa->xmit);
	ikev1_p1_established(sa);
	return 0;
}

int ikev1_main_initiate(struct ikd *d, const struct ikd_conn *conn,
			const union ikd_sockaddr *peer, struct ike_sa **out)
{
	union ikd_sockaddr local;
	int rc = ikd_source_address(d, conn, peer, &local);
	if (rc < 0)
		return rc;
	struct ike_sa *sa;
	rc = ike_sa_new(&d->sas, &local, peer, NULL, true, &sa);
	if (rc < 0)
		return rc;
	sa->owner = d;
	sa->conf = ikd_conf_ref(d->conf);
	sa->conn = conn;
	rc = ikev1_p1_offer(conn, &sa_ours);
	if (rc < 0) {
		ike_sa_destroy(sa);
		return rc;
	}
	if (conn->aggressive) {
		rc = ikev1_aggr_initiate(sa, &sa_ours);
	} else {
		struct ikev1_out o;
		ikev1_out_begin(&o, sa, ISAKMP_XCHG_MAIN, 0, false);
		size_t off = isakmp_build_offset(&o.b);
		isakmp_put_sa(&o.b, &sa_ours);
		rc = ikev1_p1_keep_sai(sa, &o, off);
		natt_put_vids(&o.b, sa);
		sa->state = MM_I1;
		if (rc == 0)
			rc = ikev1_p1_send(NULL, &o, true);
	}
	char a[IKD_ADDRSTR_MAX], q[LOG_QUOTE_MAX];
	if (rc < 0) {
		log_err("ike_initiate_failed", "conn=%s peer=%s errno=%d",
			log_quote(q, sizeof q, conn->name), ikd_addr_str(&peer->sa, true, a, sizeof a),
			-rc);
		ike_sa_destroy(sa);
		return rc;
	}
	log_info("ike_initiating", "ike_sa=%u conn=%s peer=%s exchange=%s", sa->id,
		 log_quote(q, sizeof q, conn->name), ikd_addr_str(&peer->sa, true, a, sizeof a),
		 conn->aggressive ? "aggressive" : "main");
	if (out)
		*out = sa;
	return 0;
}
