/*
 * Informational exchanges. See ikev1_info.h.
 *
 * Protected form (RFC 2409 section 5.7): HDR*, HASH(1), N/D with
 * HASH(1) = prf(SKEYID_a, M-ID | N/D), IV = hash(last Phase 1 block | M-ID).
 */
#include "ikd/ikev1_info.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "ikd/dpd.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_child.h"

static int send_info(struct ike_sa *sa, const struct isakmp_notify_pl *n,
		     const struct isakmp_delete_pl *del)
{
	if (!sa->established || !sa->keys.prf_len)
		return -ENOTCONN;
	uint32_t msgid = ikev1_new_msgid(sa);
	uint8_t iv[IKE_BLOCK_MAX];
	int rc = ikev1_phase2_iv(&sa->keys, sa->iv, msgid, iv);
	if (rc < 0)
		return rc;
	struct ikev1_out o;
	size_t slot;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_INFO, msgid, true);
	ikev1_out_hash_slot(&o, sa, &slot);
	size_t after = isakmp_build_offset(&o.b);
	if (n)
		isakmp_put_notify(&o.b, n);
	else
		isakmp_put_delete(&o.b, del);
	size_t rest_len, hl;
	uint8_t *rest = isakmp_build_ptr(&o.b, after, &rest_len);
	uint8_t *hp = isakmp_build_ptr(&o.b, slot, &hl);
	if (!rest || !hp)
		return -EMSGSIZE;
	struct ike_chunk r = IKE_CHUNK(rest, rest_len);
	rc = ikev1_qm_hash12(&sa->keys, msgid, NULL, &r, hp);
	const uint8_t *pkt;
	size_t len;
	if (rc == 0)
		rc = ikev1_out_finish(&o, sa, iv, &pkt, &len);
	if (rc == 0)
		rc = ikd_send(ikd_of(sa), sa, pkt, len);
	return rc;
}

int ikev1_send_notify(struct ike_sa *sa, uint16_t type, uint8_t protocol, const uint8_t *spi,
		      size_t spi_len, const uint8_t *data, size_t data_len)
{
	uint8_t cookies[16];
	if (protocol == ISAKMP_PROTO_ISAKMP && !spi) {
		memcpy(cookies, sa->cky_i, 8);
		memcpy(cookies + 8, sa->cky_r, 8);
		spi = cookies;
		spi_len = 16;
	}
	struct isakmp_notify_pl n = { .doi = ISAKMP_DOI_IPSEC, .protocol = protocol,
				      .spi_size = (uint8_t)spi_len, .type = type, .spi = spi,
				      .data = data, .data_len = (uint16_t)data_len };
	return send_info(sa, &n, NULL);
}

int ikev1_send_plain_notify(struct ike_sa *sa, uint16_t type)
{
	struct ikev1_out o;
	ikev1_out_begin(&o, sa, ISAKMP_XCHG_INFO, 0, false);
	struct isakmp_notify_pl n = { .doi = ISAKMP_DOI_IPSEC, .protocol = ISAKMP_PROTO_ISAKMP,
				      .type = type };
	isakmp_put_notify(&o.b, &n);
	const uint8_t *pkt;
	size_t len;
	int rc = ikev1_out_finish(&o, sa, NULL, &pkt, &len);
	if (rc == 0)
		rc = ikd_send(ikd_of(sa), sa, pkt, len);
	return rc;
}

int ikev1_send_delete_ike(struct ike_sa *sa)
{
	uint8_t spi[16];
	memcpy(spi, sa->cky_i, 8);
	memcpy(spi + 8, sa->cky_r, 8);
	struct isakmp_delete_pl d = { .doi = ISAKMP_DOI_IPSEC, .protocol = ISAKMP_PROTO_ISAKMP,
				      .spi_size = 16, .nspis = 1, .spis = spi };
	return send_info(sa, NULL, &d);
}

int ikev1_send_delete_esp(struct ike_sa *sa, const uint32_t *spis, size_t n)
{
	uint8_t buf[4 * 16];
	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++) {
		uint32_t be = htonl(spis[i]);
		memcpy(buf + 4 * i, &be, 4);
	}
	struct isakmp_delete_pl d = { .doi = ISAKMP_DOI_IPSEC, .protocol = ISAKMP_PROTO_ESP,
				      .spi_size = 4, .nspis = (uint16_t)n, .spis = buf };
	return send_info(sa, NULL, &d);
}

/* ---- receiving ------------------------------------------------------------------------- */

static bool replayed(struct ike_sa *sa, uint32_t msgid)
{
	for (size_t i = 0; i < sizeof sa->recent_msgids / sizeof sa->recent_msgids[0]; i++)
		if (sa->recent_msgids[i] == msgid)
			return true;
	sa->recent_msgids[sa->recent_pos++ % 8] = msgid;
	return false;
}

static void on_delete(struct ikev1_in *in, const struct isakmp_delete_pl *del)
{
	struct ike_sa *sa = in->sa;
	if (del->protocol == ISAKMP_PROTO_ISAKMP) {
		if (del->spi_size != 16 || memcmp(del->spis, sa->cky_i, 8) ||
		    memcmp(del->spis + 8, sa->cky_r, 8))
			return;
		/* The IPsec SAs stay: IKEv1 peers (Windows) delete the ISAKMP SA while the
		 * L2TP session goes on; they expire by their own lifetimes or Deletes. */
		ikev1_delete_sa(sa, false, false, "deleted by peer");
		return;
	}
	if (del->protocol != ISAKMP_PROTO_ESP || del->spi_size != 4)
		return;
	for (uint16_t i = 0; i < del->nspis; i++) {
		uint32_t be;
		memcpy(&be, del->spis + 4 * i, 4);
		/* The peer names its inbound SPI: our outbound. */
		struct ipsec_sa *c = ipsec_sa_find_spi(sa, ntohl(be), false);
		if (c)
			ikev1_child_delete(sa, c, "deleted by peer");
	}
}

static void on_notify(struct ikev1_in *in, const struct isakmp_notify_pl *n)
{
	struct ike_sa *sa = in->sa;
	if (n->type == ISAKMP_N_DPD_R_U_THERE || n->type == ISAKMP_N_DPD_R_U_THERE_ACK) {
		dpd_on_notify(sa, n);
		return;
	}
	if (n->type == ISAKMP_N_INITIAL_CONTACT) {
		sa->initial_contact_seen = true;
		return;
	}
	const char *name = isakmp_notify_name(n->type);
	log_info("ike_peer_notify", "ike_sa=%u type=%u name=%s", sa->id, n->type,
		 name ? name : "unknown");
	if (n->type < 16384)
		ikev1_report_failure(sa, "peer_error", name ? name : "error notify from peer");
}

int ikev1_info_protected(struct ikev1_in *in)
{
	struct ike_sa *sa = in->sa;
	const struct isakmp_msg *m = in->m;
	size_t rest_len;
	const uint8_t *rest = isakmp_span_from(m, 1, &rest_len);
	struct ike_chunk r = IKE_CHUNK(rest, rest_len);
	uint8_t h[IKE_HASH_MAX];
	if (ikev1_qm_hash12(&sa->keys, m->hdr.msgid, NULL, &r, h) < 0 ||
	    m->pl[0].body_len != sa->keys.prf_len ||
	    ike_memcmp_ct(m->pl[0].body, h, sa->keys.prf_len) != 0) {
		in->keep_sa = true;
		return ikev1_fail(in, "bad_hash", 0, "Informational HASH(1) does not verify");
	}
	if (replayed(sa, m->hdr.msgid))
		return 0;
	int idx = isakmp_find(m, ISAKMP_PL_N, 0);
	if (idx >= 0) {
		struct isakmp_notify_pl n;
		if (isakmp_notify_parse(&m->pl[idx], &n, &in->err) == 0)
			on_notify(in, &n);
	}
	idx = isakmp_find(m, ISAKMP_PL_D, 0);
	if (idx >= 0) {
		struct isakmp_delete_pl del;
		if (isakmp_delete_parse(&m->pl[idx], &del, &in->err) == 0)
			on_delete(in, &del);
	}
	return 0;
}

int ikev1_info_plain(struct ikev1_in *in)
{
	struct isakmp_notify_pl n;
	const struct isakmp_msg *m = in->m;
	if (isakmp_notify_parse(&m->pl[isakmp_find(m, ISAKMP_PL_N, 0)], &n, &in->err) < 0)
		return 0;
	const char *name = isakmp_notify_name(n.type);
	char why[160];
	snprintf(why, sizeof why, "the peer refused: %s (notify %u)%s", name ? name : "?", n.type,
		 n.type == ISAKMP_N_NO_PROPOSAL_CHOSEN ? ": none of our proposals is acceptable "
		 "to it" : n.type == ISAKMP_N_AUTHENTICATION_FAILED ? ": check the PSK or certificates" :
		 n.type == ISAKMP_N_INVALID_ID_INFORMATION ? ": check local_id" : "");
	/* An unauthenticated notify: a third party could forge it. Report it, but only
	 * give up when it is an error and we have not got far. */
	if (n.type >= 16384)
		return 0;
	in->keep_sa = false;
	return ikev1_fail(in, "peer_error", 0, "%s", why);
}
