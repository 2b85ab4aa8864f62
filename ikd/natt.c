/*
 * NAT traversal. See natt.h.
 */
#include "ikd/natt.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "ikd/ike_crypto.h"
#include "ikd/isakmp_payload.h"

const char *natt_method_name(uint8_t method)
{
	switch (method) {
	case IKE_NATT_RFC: return "rfc3947";
	case IKE_NATT_DRAFT_03: return "draft-03";
	case IKE_NATT_DRAFT_02: return "draft-02";
	default: return "none";
	}
}

void natt_read_vids(struct ike_sa *sa, const struct isakmp_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct isakmp_payload *p = &m->pl[i];
		if (p->kind != ISAKMP_PL_VID)
			continue;
		const struct ike_vid_info *v = ike_vid_lookup(p->body, p->body_len);
		if (!v) {
			continue;
		}
		uint8_t method = IKE_NATT_NONE;
		switch (v->id) {
		case IKE_VID_NATT_RFC3947: method = IKE_NATT_RFC; break;
		case IKE_VID_NATT_DRAFT_03: method = IKE_NATT_DRAFT_03; break;
		case IKE_VID_NATT_DRAFT_02:
		case IKE_VID_NATT_DRAFT_02_N: method = IKE_NATT_DRAFT_02; break;
		case IKE_VID_DPD: sa->peer_caps |= IKE_PEER_DPD; break;
		case IKE_VID_FRAGMENTATION: sa->peer_caps |= IKE_PEER_FRAG; break;
		case IKE_VID_MS_NT5_ISAKMPOAKLEY: sa->peer_caps |= IKE_PEER_MS; break;
		default: break;
		}
		if (method > sa->natt_method && sa->conn && sa->conn->natt)
			sa->natt_method = method;
	}
}

static int put_vid(struct isakmp_builder *b, enum ike_vid id)
{
	const struct ike_vid_info *v = ike_vid_get(id);
	return isakmp_put_data(b, ISAKMP_PL_VID, v->value, sizeof v->value, NULL);
}

int natt_put_vids(struct isakmp_builder *b, const struct ike_sa *sa)
{
	int rc = 0;
	bool natt = sa->conn && sa->conn->natt;
	if (sa->initiator && natt) {
		rc |= put_vid(b, IKE_VID_NATT_RFC3947);
		rc |= put_vid(b, IKE_VID_NATT_DRAFT_03);
		rc |= put_vid(b, IKE_VID_NATT_DRAFT_02_N);
		rc |= put_vid(b, IKE_VID_NATT_DRAFT_02);
	} else if (natt) {
		switch (sa->natt_method) {
		case IKE_NATT_RFC: rc |= put_vid(b, IKE_VID_NATT_RFC3947); break;
		case IKE_NATT_DRAFT_03: rc |= put_vid(b, IKE_VID_NATT_DRAFT_03); break;
		case IKE_NATT_DRAFT_02: rc |= put_vid(b, IKE_VID_NATT_DRAFT_02_N); break;
		default: break;
		}
	}
	rc |= put_vid(b, IKE_VID_DPD);
	if (sa->conn && sa->conn->fragmentation && (sa->initiator || (sa->peer_caps & IKE_PEER_FRAG)))
		rc |= put_vid(b, IKE_VID_FRAGMENTATION);
	return rc ? -EMSGSIZE : 0;
}

bool natt_draft(const struct ike_sa *sa)
{
	return sa->natt_method == IKE_NATT_DRAFT_02 || sa->natt_method == IKE_NATT_DRAFT_03;
}

uint8_t natt_natd_type(const struct ike_sa *sa)
{
	return natt_draft(sa) ? ISAKMP_PL_NATD_DRAFT : ISAKMP_PL_NATD;
}

static int natd_hash(const struct ike_sa *sa, const union ikd_sockaddr *a, uint8_t *out)
{
	size_t len;
	const uint8_t *b = ikd_addr_bytes(&a->sa, &len);
	if (!b)
		return -EINVAL;
	return ikev1_natd_hash(sa->p1.hash, sa->cky_i, sa->cky_r, b, len, ikd_addr_port(&a->sa),
			       out);
}

int natt_put_natd(struct isakmp_builder *b, const struct ike_sa *sa)
{
	uint8_t h[IKE_HASH_MAX];
	size_t hl = ike_hash_len(sa->p1.hash);
	int rc = natd_hash(sa, &sa->peer, h);
	if (rc == 0)
		rc = isakmp_put_data(b, natt_natd_type(sa), h, hl, NULL);
	if (rc == 0)
		rc = natd_hash(sa, &sa->local, h);
	if (rc == 0)
		rc = isakmp_put_data(b, natt_natd_type(sa), h, hl, NULL);
	return rc;
}

int natt_check_natd(struct ike_sa *sa, const struct isakmp_msg *m, const struct ike_packet *pkt)
{
	unsigned n = m->count[ISAKMP_PL_NATD];
	if (n == 0 || sa->natt_method == IKE_NATT_NONE)
		return 0;
	if (n < 2)
		return -EBADMSG;
	uint8_t ours[IKE_HASH_MAX], theirs[IKE_HASH_MAX];
	size_t hl = ike_hash_len(sa->p1.hash);
	if (natd_hash(sa, &pkt->local, ours) < 0 || natd_hash(sa, &pkt->peer, theirs) < 0)
		return -EINVAL;
	/* First NAT-D: the sender's view of us (its destination). The rest: the sender. */
	const struct isakmp_payload *first = &m->pl[isakmp_find(m, ISAKMP_PL_NATD, 0)];
	bool local_ok = first->body_len == hl && memcmp(first->body, ours, hl) == 0;
	bool peer_ok = false;
	for (unsigned i = 1; i < n; i++) {
		const struct isakmp_payload *p = &m->pl[isakmp_find(m, ISAKMP_PL_NATD, i)];
		if (p->body_len == hl && memcmp(p->body, theirs, hl) == 0)
			peer_ok = true;
	}
	sa->nat = (uint8_t)((local_ok ? 0 : IKE_NAT_LOCAL) | (peer_ok ? 0 : IKE_NAT_PEER));
	if (sa->nat) {
		char a[IKD_ADDRSTR_MAX];
		log_info("ike_nat_detected", "ike_sa=%u peer=%s local_behind_nat=%s "
			 "peer_behind_nat=%s method=%s", sa->id,
			 ikd_addr_str(&pkt->peer.sa, true, a, sizeof a),
			 local_ok ? "no" : "yes", peer_ok ? "no" : "yes",
			 natt_method_name(sa->natt_method));
	}
	return 0;
}

uint16_t natt_encap_mode(const struct ike_sa *sa, bool tunnel)
{
	if (!sa->nat || sa->natt_method == IKE_NATT_NONE)
		return tunnel ? 1 : 2;
	if (natt_draft(sa))
		return tunnel ? 61443 : 61444;
	return tunnel ? 3 : 4;
}

bool natt_encap_mode_parse(uint16_t mode, bool *tunnel, bool *udp)
{
	switch (mode) {
	case 1: *tunnel = true; *udp = false; return true;
	case 2: *tunnel = false; *udp = false; return true;
	case 3: case 61443: *tunnel = true; *udp = true; return true;
	case 4: case 61444: *tunnel = false; *udp = true; return true;
	default: return false;
	}
}
