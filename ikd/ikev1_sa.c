/*
 * SA payloads of the engine over the proposal module. See ikev1_sa.h.
 */
#include "ikd/ikev1_sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikd/ike_names.h"
#include "xfrm/xfrm.h"

#define KEY_IKE 1
/* An offer carries at most this many transforms (8 attributes each fit ISAKMP_MAX_ATTRS);
 * longer configured lists are offered by their head: list the preferred ones first. */
#define OFFER_MAX (ISAKMP_MAX_ATTRS / 8 < ISAKMP_MAX_TRANSFORMS ? ISAKMP_MAX_ATTRS / 8 \
							       : ISAKMP_MAX_TRANSFORMS)

static int add_attr(struct isakmp_sa *sa, uint16_t type, uint64_t v)
{
	if (v < 65536)
		return isakmp_sa_add_attr(sa, type, true, v, 0);
	return isakmp_sa_add_attr(sa, type, false, v, v > UINT32_MAX ? 8 : 4);
}

/* ---- Phase 1 --------------------------------------------------------------------------- */

int ikev1_p1_offer(const struct ikd_conn *c, struct isakmp_sa *out)
{
	isakmp_sa_init(out);
	if (!isakmp_sa_add_proposal(out, 1, ISAKMP_PROTO_ISAKMP, NULL, 0))
		return -EMSGSIZE;
	int rc = 0;
	for (size_t i = 0; i < c->ike_list.n && i < OFFER_MAX && rc == 0; i++) {
		const struct ike_p1_prop *p = &c->ike_list.p[i];
		if (!isakmp_sa_add_transform(out, (uint8_t)(i + 1), KEY_IKE))
			return -EMSGSIZE;
		rc |= add_attr(out, IKE_ATTR_ENC, p->enc);
		if (p->keylen)
			rc |= add_attr(out, IKE_ATTR_KEY_LENGTH, p->keylen);
		rc |= add_attr(out, IKE_ATTR_HASH, p->hash);
		rc |= add_attr(out, IKE_ATTR_AUTH, c->auth);
		rc |= add_attr(out, IKE_ATTR_GROUP, p->group);
		rc |= add_attr(out, IKE_ATTR_LIFE_TYPE, IKE_LIFE_SECONDS);
		rc |= add_attr(out, IKE_ATTR_LIFE_DURATION, c->ike_lifetime);
	}
	return rc ? -EMSGSIZE : 0;
}

static void p1_params(const struct ike_p1_choice *ch, struct ike_p1_params *out)
{
	memset(out, 0, sizeof *out);
	out->cipher = ch->suite.cipher;
	out->hash = ch->suite.hash;
	out->prf = ch->suite.prf;
	out->dh_group = ch->offer.prop.group;
	out->auth = ch->offer.auth;
	out->lifetime = ch->life.seconds;
}

static int p1_choose(const struct ikd_conn *c, const struct isakmp_sa *peer,
		     struct ike_p1_choice *ch, char *why, size_t size)
{
	uint16_t auth = (uint16_t)c->auth;
	struct ike_p1_policy pol = {
		.ours = &c->ike_list, .auth = &auth, .nauth = 1,
		.max_life = { .seconds = c->ike_lifetime },
	};
	return ike_p1_select(peer, &pol, ch, why, size);
}

int ikev1_p1_select(const struct ikd_conn *c, const struct isakmp_sa *peer,
		    struct isakmp_sa *reply, struct ike_p1_params *out, char *why, size_t size)
{
	struct ike_p1_choice ch;
	int rc = p1_choose(c, peer, &ch, why, size);
	if (rc < 0)
		return rc;
	const struct isakmp_proposal *pp = &peer->prop[ch.offer.prop_idx];
	isakmp_sa_init(reply);
	if (!isakmp_sa_add_proposal(reply, pp->num, pp->protocol, pp->spi, pp->spi_size) ||
	    isakmp_sa_copy_transform(reply, peer, &peer->trans[ch.offer.trans_idx]) < 0) {
		snprintf(why, size, "cannot build the SA reply");
		return -EMSGSIZE;
	}
	p1_params(&ch, out);
	return 0;
}

int ikev1_p1_accept(const struct ikd_conn *c, const struct isakmp_sa *reply,
		    struct ike_p1_params *out, char *why, size_t size)
{
	if (reply->nprop != 1 || reply->ntrans != 1) {
		snprintf(why, size, "the responder's SA reply carries %u proposals and %u "
			 "transforms (exactly one of each expected)", reply->nprop, reply->ntrans);
		return -EBADMSG;
	}
	struct ike_p1_choice ch;
	char inner[IKE_WHY_MAX];
	if (p1_choose(c, reply, &ch, inner, sizeof inner) < 0) {
		snprintf(why, size, "the responder chose a transform we did not offer: %s", inner);
		return -ENOENT;
	}
	p1_params(&ch, out);
	return 0;
}

/* ---- Phase 2 --------------------------------------------------------------------------- */

int ikev1_p2_offer(const struct ikd_conn *c, uint32_t spi, uint16_t encap_mode,
		   struct isakmp_sa *out)
{
	uint8_t spi_b[4];
	uint32_t be = htonl(spi);
	memcpy(spi_b, &be, 4);
	isakmp_sa_init(out);
	if (!isakmp_sa_add_proposal(out, 1, ISAKMP_PROTO_ESP, spi_b, 4))
		return -EMSGSIZE;
	int rc = 0;
	for (size_t i = 0; i < c->esp_list.n && i < OFFER_MAX && rc == 0; i++) {
		const struct ike_p2_prop *p = &c->esp_list.p[i];
		if (!isakmp_sa_add_transform(out, (uint8_t)(i + 1), p->esp_id))
			return -EMSGSIZE;
		rc |= add_attr(out, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_SECONDS);
		rc |= add_attr(out, IPSEC_ATTR_LIFE_DURATION, c->lifetime);
		if (c->lifetime_kb) {
			rc |= add_attr(out, IPSEC_ATTR_LIFE_TYPE, IKE_LIFE_KILOBYTES);
			rc |= add_attr(out, IPSEC_ATTR_LIFE_DURATION, c->lifetime_kb);
		}
		uint16_t group = p->pfs_group ? p->pfs_group : c->pfs_group;
		if (group)
			rc |= add_attr(out, IPSEC_ATTR_GROUP, group);
		rc |= add_attr(out, IPSEC_ATTR_ENCAP, encap_mode);
		rc |= add_attr(out, IPSEC_ATTR_AUTH, p->auth);
		if (p->keylen)
			rc |= add_attr(out, IPSEC_ATTR_KEY_LENGTH, p->keylen);
	}
	return rc ? -EMSGSIZE : 0;
}

/* Map a choice to kernel parameters; -ENOTSUP (why filled) if xfrm/ cannot do it. */
static int p2_params(const struct ike_p2_choice *ch, struct ipsec_params *out, char *why,
		     size_t size)
{
	memset(out, 0, sizeof *out);
	out->protocol = ISAKMP_PROTO_ESP;
	out->encr = ch->offer.prop.esp_id;
	out->key_bits = ch->offer.prop.keylen;
	out->v1_auth = ch->offer.prop.auth;
	out->integ = xfrm_integ_from_ikev1(ch->offer.prop.auth);
	out->icv_bits = ch->trunc_bits;
	out->encap_mode = ch->offer.encap ? ch->offer.encap : IPSEC_ENCAP_TUNNEL;
	out->tunnel = !ipsec_encap_is_transport(out->encap_mode);
	out->udp_encap = ipsec_encap_is_udp(out->encap_mode);
	out->pfs_group = ch->offer.prop.pfs_group;
	out->life_s = ch->life.seconds;
	out->life_kb = ch->life.kilobytes;
	out->life_reduced = ch->life_reduced;
	const struct xfrm_alg_info *ia = xfrm_alg_integ(out->integ);
	if (!out->integ || !ia || !xfrm_alg_encr(out->encr, out->key_bits)) {
		snprintf(why, size, "the kernel library cannot install ESP %u/%u-bit with auth %u",
			 out->encr, out->key_bits, out->v1_auth);
		return -ENOTSUP;
	}
	if (ia->icv_bits != out->icv_bits) {
		snprintf(why, size, "ICV truncation to %u bits (e.g. sha256_96) is not supported "
			 "by the kernel library", out->icv_bits);
		return -ENOTSUP;
	}
	return 0;
}

static int p2_choose(const struct ikd_conn *c, bool nat, const struct isakmp_sa *peer,
		     struct ike_p2_choice *ch, char *why, size_t size)
{
	struct ike_p2_policy pol = {
		.ours = &c->esp_list, .transport = c->mode == IKD_MODE_TRANSPORT,
		.nat_detected = nat,
		.max_life = { .seconds = c->lifetime, .kilobytes = c->lifetime_kb },
	};
	return ike_p2_select(peer, &pol, ch, why, size);
}

int ikev1_p2_select(const struct ikd_conn *c, const struct isakmp_sa *peer, uint32_t our_spi,
		    struct isakmp_sa *reply, struct ipsec_params *out, uint32_t *peer_spi,
		    char *why, size_t size)
{
	struct ike_p2_choice ch;
	int rc = p2_choose(c, true, peer, &ch, why, size);
	if (rc < 0)
		return rc;
	rc = p2_params(&ch, out, why, size);
	if (rc < 0)
		return rc;
	const struct isakmp_proposal *pp = &peer->prop[ch.offer.prop_idx];
	uint8_t spi_b[4];
	uint32_t be = htonl(our_spi);
	memcpy(spi_b, &be, 4);
	isakmp_sa_init(reply);
	if (!isakmp_sa_add_proposal(reply, pp->num, pp->protocol, spi_b, 4) ||
	    isakmp_sa_copy_transform(reply, peer, &peer->trans[ch.offer.trans_idx]) < 0) {
		snprintf(why, size, "cannot build the SA reply");
		return -EMSGSIZE;
	}
	uint32_t ps;
	memcpy(&ps, ch.offer.spi, 4);
	*peer_spi = ntohl(ps);
	return 0;
}

int ikev1_p2_accept(const struct ikd_conn *c, const struct isakmp_sa *reply,
		    struct ipsec_params *out, uint32_t *peer_spi, char *why, size_t size)
{
	if (reply->nprop != 1 || reply->ntrans != 1) {
		snprintf(why, size, "the responder's Quick Mode SA carries %u proposals and %u "
			 "transforms (exactly one of each expected)", reply->nprop, reply->ntrans);
		return -EBADMSG;
	}
	struct ike_p2_choice ch;
	char inner[IKE_WHY_MAX];
	if (p2_choose(c, true, reply, &ch, inner, sizeof inner) < 0) {
		snprintf(why, size, "the responder chose a transform we did not offer: %s", inner);
		return -ENOENT;
	}
	int rc = p2_params(&ch, out, why, size);
	if (rc < 0)
		return rc;
	uint32_t ps;
	memcpy(&ps, ch.offer.spi, 4);
	*peer_spi = ntohl(ps);
	return 0;
}
