/*
 * Choosing among a peer's IKEv1 offers, and saying precisely why nothing fits.
 * See proposal.h for the policy (our order wins, legacy choices flagged).
 */
#include "ikd/proposal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ikd/ike_dh.h"
#include "ikd/ike_names.h"

#define IKE_DEFAULT_LIFE 28800  /* RFC 2407 4.5: seconds when the peer names none */

/* ---- a bounded text builder for the explanation ---- */

struct text {
	char *buf;
	size_t size, len;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	if (!t->buf || t->size == 0 || t->len >= t->size - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->len += (size_t)n;
	if (t->len >= t->size - 1) {
		t->len = t->size - 1;
		if (t->size > 4)
			memcpy(t->buf + t->size - 4, "...", 4);
	}
}

static void text_set(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void text_set(char *buf, size_t size, const char *fmt, ...)
{
	if (!buf || !size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

#define LIST_SHOWN 6    /* items of a list named before "... (N in all)" */

/* ---- search and explanation, shared by both phases ---- */

union offer {
	struct ike_p1_offer p1;
	struct ike_p2_offer p2;
};

/* What differs between Phase 1 and Phase 2 for the search and the explanation. */
struct phase {
	const void *pol;
	size_t nours;
	void (*decode)(const struct isakmp_sa *sa, uint16_t pi, uint16_t ti, union offer *o);
	const char *(*offer_str)(const union offer *o, char *buf, size_t size);
	const char *(*unsupported)(const union offer *o);
	const char *(*ours_str)(const void *pol, size_t k, char *buf, size_t size);
	/* first difference between offer o and our proposal k, NULL if none */
	const char *(*diff)(const union offer *o, const void *pol, size_t k, char *buf,
			    size_t size, int *ndiff);
};

/* Every transform of the peer's SA, decoded once. Returns the count. */
static size_t decode_all(const struct isakmp_sa *peer, const struct phase *ph,
			 union offer offers[ISAKMP_MAX_TRANSFORMS])
{
	size_t n = 0;
	for (uint16_t pi = 0; pi < peer->nprop; pi++) {
		const struct isakmp_proposal *p = &peer->prop[pi];
		for (uint16_t ti = 0; ti < p->ntransforms && n < ISAKMP_MAX_TRANSFORMS; ti++)
			ph->decode(peer, pi, (uint16_t)(p->first_transform + ti), &offers[n++]);
	}
	return n;
}

/* Our proposals in order x the peer's transforms: the first match -> *o (and *k_out). */
static bool phase_find(const struct isakmp_sa *peer, const struct phase *ph, union offer *o,
		       size_t *k_out)
{
	union offer offers[ISAKMP_MAX_TRANSFORMS];
	size_t n = decode_all(peer, ph, offers);
	int nd;
	for (size_t k = 0; k < ph->nours; k++)
		for (size_t i = 0; i < n; i++) {
			if (ph->unsupported(&offers[i]) ||
			    ph->diff(&offers[i], ph->pol, k, NULL, 0, &nd))
				continue;
			*o = offers[i];
			if (k_out)
				*k_out = k;
			return true;
		}
	return false;
}

/* "peer offered ...; ours ...; closest: peer X vs ours Y: first difference". */
static void phase_explain(const struct isakmp_sa *peer, const struct phase *ph, char *why,
			  size_t why_len)
{
	struct text t = { why, why_len, 0 };
	union offer offers[ISAKMP_MAX_TRANSFORMS];
	size_t n = decode_all(peer, ph, offers), best_i = 0, best_k = 0;
	char s[64], ours[64], diff[96];
	int best_n = 99;
	text_add(&t, "peer offered ");
	for (size_t i = 0; i < n; i++) {
		const char *unsup = ph->unsupported(&offers[i]);
		if (i < LIST_SHOWN)
			text_add(&t, "%s%s%s%s%s", i ? ", " : "",
				 ph->offer_str(&offers[i], s, sizeof s), unsup ? " (" : "",
				 unsup ? unsup : "", unsup ? ")" : "");
		for (size_t k = 0; k < ph->nours && !unsup; k++) {
			int nd;
			if (ph->diff(&offers[i], ph->pol, k, NULL, 0, &nd) && nd < best_n) {
				best_n = nd;
				best_i = i;
				best_k = k;
			}
		}
	}
	text_add(&t, " (%u in all); ours ", peer->ntrans);
	for (size_t k = 0; k < ph->nours && k < LIST_SHOWN; k++)
		text_add(&t, "%s%s", k ? ", " : "", ph->ours_str(ph->pol, k, s, sizeof s));
	text_add(&t, " (%zu in all)", ph->nours);
	if (best_n < 99) {
		int nd;
		ph->diff(&offers[best_i], ph->pol, best_k, diff, sizeof diff, &nd);
		text_add(&t, "; closest: peer %s vs ours %s: %s",
			 ph->offer_str(&offers[best_i], s, sizeof s),
			 ph->ours_str(ph->pol, best_k, ours, sizeof ours), diff);
	}
}

/*
 * Differences between an offer and one of our proposals: counted always, the first one
 * described in buf when there is a buf (the search passes none: it only needs "any?").
 */
struct diff {
	char *buf;
	size_t size;
	int n;
};

/* Count a difference; true when the caller should describe it. */
static bool diff_describe(struct diff *d)
{
	return d->n++ == 0 && d->buf;
}

static const char *diff_result(const struct diff *d, int *ndiff)
{
	*ndiff = d->n;
	return d->n ? (d->buf ? d->buf : "") : NULL;
}

/* "aes256", "3des", "enc9": the encryption part of a proposal name. */
static const char *enc_part(const char *full, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)strcspn(full, "-"), full);
	return buf;
}

/* ---- lifetimes in a transform ---- */

/* Life type/duration pairs (RFC 2407 4.5): a duration applies to the type before it. */
static const char *life_attr(struct ike_lifetime *lt, uint16_t *cur_type, bool is_type,
			     const struct isakmp_attr *a)
{
	if (is_type) {
		if (a->value != IKE_LIFE_SECONDS && a->value != IKE_LIFE_KILOBYTES)
			return "unknown life type";
		*cur_type = (uint16_t)a->value;
		return NULL;
	}
	uint64_t v = (!a->tv && a->len > 8) ? UINT64_MAX : a->value;
	if (*cur_type == IKE_LIFE_SECONDS)
		lt->seconds = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	else if (*cur_type == IKE_LIFE_KILOBYTES)
		lt->kilobytes = v;
	else
		return "life duration without a life type";
	*cur_type = 0;
	return NULL;
}

/* ---- Phase 1 ---- */

static const char *p1_attr(struct ike_p1_offer *o, uint16_t *life_type,
			   const struct isakmp_attr *a)
{
	uint16_t v = a->value > UINT16_MAX ? UINT16_MAX : (uint16_t)a->value;
	switch (a->type) {
	case IKE_ATTR_ENC: o->prop.enc = v; return NULL;
	case IKE_ATTR_HASH: o->prop.hash = v; return NULL;
	case IKE_ATTR_AUTH: o->auth = v; return NULL;
	case IKE_ATTR_GROUP: o->prop.group = v; return NULL;
	case IKE_ATTR_KEY_LENGTH: o->prop.keylen = v; return NULL;
	case IKE_ATTR_PRF: o->prf = v; return "PRF attribute (none is defined for IKEv1)";
	case IKE_ATTR_LIFE_TYPE: return life_attr(&o->life, life_type, true, a);
	case IKE_ATTR_LIFE_DURATION: return life_attr(&o->life, life_type, false, a);
	case IKE_ATTR_GROUP_TYPE: case IKE_ATTR_GROUP_PRIME: case IKE_ATTR_GROUP_GEN1:
	case IKE_ATTR_GROUP_GEN2: case IKE_ATTR_GROUP_CURVE_A: case IKE_ATTR_GROUP_CURVE_B:
	case IKE_ATTR_FIELD_SIZE: case IKE_ATTR_GROUP_ORDER:
		return "private DH group parameters";
	default:
		return "unknown attribute";
	}
}

void ike_p1_decode(const struct isakmp_sa *sa, uint16_t prop_idx, uint16_t trans_idx,
		   struct ike_p1_offer *o)
{
	const struct isakmp_proposal *p = &sa->prop[prop_idx];
	const struct isakmp_transform *t = &sa->trans[trans_idx];
	uint16_t life_type = 0;
	memset(o, 0, sizeof(*o));
	o->prop_idx = prop_idx;
	o->trans_idx = trans_idx;
	if (p->protocol != ISAKMP_PROTO_ISAKMP)
		o->unsupported = "proposal protocol is not ISAKMP";
	else if (t->id != 1)
		o->unsupported = "transform id is not KEY_IKE";
	for (uint16_t i = 0; i < t->nattrs; i++) {
		const char *why = p1_attr(o, &life_type, &sa->attr[t->first_attr + i]);
		if (why && !o->unsupported)
			o->unsupported = why;
	}
	if (o->unsupported)
		return;
	if (!o->prop.enc || !o->prop.hash || !o->auth || !o->prop.group)
		o->unsupported = "encryption, hash, auth method or group missing";
	else if (o->prop.enc == IKE_ENC_AES && !o->prop.keylen)
		o->prop.keylen = 128;   /* RFC 3602's default, as every peer reads it */
	else if (o->prop.enc == IKE_ENC_3DES && o->prop.keylen && o->prop.keylen != 192)
		o->unsupported = "3DES with a key length other than 192";
	else if (o->prop.enc == IKE_ENC_3DES)
		o->prop.keylen = 0;
}

static bool auth_allowed(const struct ike_p1_policy *pol, uint16_t auth)
{
	for (size_t i = 0; i < pol->nauth; i++)
		if (pol->auth[i] == auth)
			return true;
	return false;
}

/* The first field in which a peer offer differs from ours, or NULL if none. */
static const char *p1_diff(const struct ike_p1_offer *o, const struct ike_p1_prop *ours,
			   const struct ike_p1_policy *pol, char *buf, size_t size, int *ndiff)
{
	struct diff d = { buf, size, 0 };
	char x[48], y[48], e1[24], e2[24];
	if ((o->prop.enc != ours->enc || o->prop.keylen != ours->keylen) && diff_describe(&d))
		snprintf(buf, size, "encryption %s vs %s",
			 enc_part(ike_p1_prop_str(&o->prop, x, sizeof x), e1, sizeof e1),
			 enc_part(ike_p1_prop_str(ours, y, sizeof y), e2, sizeof e2));
	if (o->prop.hash != ours->hash && diff_describe(&d))
		snprintf(buf, size, "hash %s vs %s", ike_name_of(ike_hash_names, o->prop.hash) ?: "?",
			 ike_name_of(ike_hash_names, ours->hash) ?: "?");
	if (o->prop.group != ours->group && diff_describe(&d))
		snprintf(buf, size, "DH group %s vs %s",
			 ike_name_of(ike_group_names, o->prop.group) ?: "?",
			 ike_name_of(ike_group_names, ours->group) ?: "?");
	if (!auth_allowed(pol, o->auth) && diff_describe(&d))
		snprintf(buf, size, "auth method %s vs %s",
			 ike_name_of(ike_auth_names, o->auth) ?: "?",
			 pol->nauth ? ike_name_of(ike_auth_names, pol->auth[0]) ?: "?" : "none");
	return diff_result(&d, ndiff);
}

static void p1_decode_any(const struct isakmp_sa *sa, uint16_t pi, uint16_t ti,
			  union offer *o)
{
	ike_p1_decode(sa, pi, ti, &o->p1);
}

static const char *p1_offer_str(const union offer *o, char *buf, size_t size)
{
	return ike_p1_prop_str(&o->p1.prop, buf, size);
}

static const char *p1_unsupported(const union offer *o)
{
	return o->p1.unsupported;
}

static const char *p1_ours_str(const void *pol, size_t k, char *buf, size_t size)
{
	return ike_p1_prop_str(&((const struct ike_p1_policy *)pol)->ours->p[k], buf, size);
}

static const char *p1_diff_any(const union offer *o, const void *pol, size_t k, char *buf,
			       size_t size, int *ndiff)
{
	const struct ike_p1_policy *p = pol;
	return p1_diff(&o->p1, &p->ours->p[k], p, buf, size, ndiff);
}

int ike_p1_select(const struct isakmp_sa *peer, const struct ike_p1_policy *pol,
		  struct ike_p1_choice *out, char *why, size_t why_len)
{
	const struct phase ph = { pol, pol->ours->n, p1_decode_any, p1_offer_str,
				  p1_unsupported, p1_ours_str, p1_diff_any };
	union offer o;
	if (peer->nprop == 0 || peer->prop[0].protocol != ISAKMP_PROTO_ISAKMP) {
		text_set(why, why_len, "not a Phase 1 SA (protocol %u)",
			 peer->nprop ? peer->prop[0].protocol : 0);
		return -EBADMSG;
	}
	if (!phase_find(peer, &ph, &o, NULL)) {
		phase_explain(peer, &ph, why, why_len);
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->offer = o.p1;
	out->suite.prf = (enum ike_hash)o.p1.prop.hash;
	out->suite.hash = (enum ike_hash)o.p1.prop.hash;
	out->suite.cipher = o.p1.prop.enc == IKE_ENC_3DES ? IKE_CIPHER_3DES_CBC :
			    o.p1.prop.keylen == 256 ? IKE_CIPHER_AES256_CBC :
			    o.p1.prop.keylen == 192 ? IKE_CIPHER_AES192_CBC : IKE_CIPHER_AES128_CBC;
	out->weak = ike_p1_prop_weak(&o.p1.prop);
	out->life_reduced = ike_lifetime_clamp(&o.p1.life, &pol->max_life, IKE_DEFAULT_LIFE,
					       &out->life);
	return 0;
}

/* ---- Phase 2 ---- */

static const char *p2_attr(struct ike_p2_offer *o, uint16_t *life_type,
			   const struct isakmp_attr *a)
{
	uint16_t v = a->value > UINT16_MAX ? UINT16_MAX : (uint16_t)a->value;
	switch (a->type) {
	case IPSEC_ATTR_LIFE_TYPE: return life_attr(&o->life, life_type, true, a);
	case IPSEC_ATTR_LIFE_DURATION: return life_attr(&o->life, life_type, false, a);
	case IPSEC_ATTR_GROUP: o->prop.pfs_group = v; return NULL;
	case IPSEC_ATTR_ENCAP: o->encap = v; return ipsec_encap_known(v) ? NULL :
					       "unknown encapsulation mode";
	case IPSEC_ATTR_AUTH: o->prop.auth = v; return NULL;
	case IPSEC_ATTR_KEY_LENGTH: o->prop.keylen = v; return NULL;
	default: return "unsupported attribute";
	}
}

static uint16_t default_trunc(uint16_t auth)
{
	switch (auth) {
	case IPSEC_AUTH_HMAC_SHA2_256: return 128;
	case IPSEC_AUTH_HMAC_SHA2_384: return 192;
	case IPSEC_AUTH_HMAC_SHA2_512: return 256;
	default: return 96;
	}
}

/* Proposals sharing a number with another are an AND-bundle (RFC 2408 4.2). */
static bool in_bundle(const struct isakmp_sa *sa, uint16_t pi)
{
	for (uint16_t i = 0; i < sa->nprop; i++)
		if (i != pi && sa->prop[i].num == sa->prop[pi].num)
			return true;
	return false;
}

void ike_p2_decode(const struct isakmp_sa *sa, uint16_t prop_idx, uint16_t trans_idx,
		   struct ike_p2_offer *o)
{
	const struct isakmp_proposal *p = &sa->prop[prop_idx];
	const struct isakmp_transform *t = &sa->trans[trans_idx];
	uint16_t life_type = 0;
	memset(o, 0, sizeof(*o));
	o->prop_idx = prop_idx;
	o->trans_idx = trans_idx;
	o->prop.esp_id = t->id;
	if (p->protocol != ISAKMP_PROTO_ESP)
		o->unsupported = "not ESP";
	else if (p->spi_size != 4)
		o->unsupported = "ESP SPI is not 4 bytes";
	else if (in_bundle(sa, prop_idx))
		o->unsupported = "part of a bundle (AH/IPCOMP)";
	else
		memcpy(o->spi, p->spi, 4);
	for (uint16_t i = 0; i < t->nattrs; i++) {
		const char *why = p2_attr(o, &life_type, &sa->attr[t->first_attr + i]);
		if (why && !o->unsupported)
			o->unsupported = why;
	}
	if (o->unsupported)
		return;
	if (!o->prop.auth)
		o->unsupported = "no integrity algorithm";
	else if (o->prop.esp_id == ESP_ID_AES_CBC && !o->prop.keylen)
		o->prop.keylen = 128;
	else if (o->prop.esp_id == ESP_ID_3DES && o->prop.keylen && o->prop.keylen != 192)
		o->unsupported = "3DES with a key length other than 192";
	else if (o->prop.esp_id == ESP_ID_3DES)
		o->prop.keylen = 0;
	o->prop.trunc_bits = default_trunc(o->prop.auth);
}

static bool pfs_ok(const struct ike_p2_policy *pol, const struct ike_p2_prop *ours,
		   uint16_t group)
{
	if (ours->pfs_group)
		return group == ours->pfs_group;
	if (group == 0)
		return true;
	return ike_dh_supported(group) && (pol->ours->legacy || (group != 2 && group != 5));
}

static const char *p2_diff(const struct ike_p2_offer *o, const struct ike_p2_prop *ours,
			   const struct ike_p2_policy *pol, char *buf, size_t size, int *ndiff)
{
	struct diff d = { buf, size, 0 };
	char x[48], y[48], e1[24], e2[24];
	bool transport = ipsec_encap_is_transport(o->encap);
	uint16_t g = o->prop.pfs_group;
	if ((o->prop.esp_id != ours->esp_id || o->prop.keylen != ours->keylen) &&
	    diff_describe(&d))
		snprintf(buf, size, "encryption %s vs %s",
			 enc_part(ike_p2_prop_str(&o->prop, x, sizeof x), e1, sizeof e1),
			 enc_part(ike_p2_prop_str(ours, y, sizeof y), e2, sizeof e2));
	if (o->prop.auth != ours->auth && diff_describe(&d))
		snprintf(buf, size, "integrity %s vs %s",
			 ike_name_of(ipsec_auth_names, o->prop.auth) ?: "?",
			 ike_name_of(ipsec_auth_names, ours->auth) ?: "?");
	if (!pfs_ok(pol, ours, g) && diff_describe(&d))
		snprintf(buf, size, "PFS group %s vs %s",
			 g ? ike_name_of(ike_group_names, g) ?: "?" : "none",
			 ours->pfs_group ? ike_name_of(ike_group_names, ours->pfs_group) ?: "?" :
			 "none or a modern group");
	if ((transport != pol->transport || (ipsec_encap_is_udp(o->encap) && !pol->nat_detected)) &&
	    diff_describe(&d))
		snprintf(buf, size, "mode %s vs %s%s",
			 o->encap ? ike_name_of(ipsec_encap_names, o->encap) : "unspecified",
			 pol->transport ? "transport" : "tunnel",
			 pol->nat_detected ? "" : " (no NAT detected)");
	return diff_result(&d, ndiff);
}

static void p2_decode_any(const struct isakmp_sa *sa, uint16_t pi, uint16_t ti,
			  union offer *o)
{
	ike_p2_decode(sa, pi, ti, &o->p2);
}

static const char *p2_offer_str(const union offer *o, char *buf, size_t size)
{
	return ike_p2_prop_str(&o->p2.prop, buf, size);
}

static const char *p2_unsupported(const union offer *o)
{
	return o->p2.unsupported;
}

static const char *p2_ours_str(const void *pol, size_t k, char *buf, size_t size)
{
	return ike_p2_prop_str(&((const struct ike_p2_policy *)pol)->ours->p[k], buf, size);
}

static const char *p2_diff_any(const union offer *o, const void *pol, size_t k, char *buf,
			       size_t size, int *ndiff)
{
	const struct ike_p2_policy *p = pol;
	return p2_diff(&o->p2, &p->ours->p[k], p, buf, size, ndiff);
}

int ike_p2_select(const struct isakmp_sa *peer, const struct ike_p2_policy *pol,
		  struct ike_p2_choice *out, char *why, size_t why_len)
{
	const struct phase ph = { pol, pol->ours->n, p2_decode_any, p2_offer_str,
				  p2_unsupported, p2_ours_str, p2_diff_any };
	union offer o;
	size_t k;
	if (peer->nprop == 0) {
		text_set(why, why_len, "SA without proposals");
		return -EBADMSG;
	}
	if (!phase_find(peer, &ph, &o, &k)) {
		phase_explain(peer, &ph, why, why_len);
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->offer = o.p2;
	out->trunc_bits = pol->ours->p[k].trunc_bits;
	out->weak = ike_p2_prop_weak(&o.p2.prop);
	out->life_reduced = ike_lifetime_clamp(&o.p2.life, &pol->max_life, IKE_DEFAULT_LIFE,
					       &out->life);
	return 0;
}
