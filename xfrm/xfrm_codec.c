/*
 * Conversions between xfrm.h's structs and the kernel's (see xfrm_codec.h), and the
 * public address helpers.
 */
#include "xfrm/xfrm_codec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int xfrm_ip_parse(struct xfrm_ip *out, const char *text)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

const char *xfrm_ip_str(const struct xfrm_ip *ip, char *buf, size_t size)
{
	if (!ip->family || !inet_ntop(ip->family, ip->raw, buf, (socklen_t)size))
		snprintf(buf, size, "any");
	return buf;
}

bool xfrm_ip_equal(const struct xfrm_ip *a, const struct xfrm_ip *b)
{
	size_t n = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && (!a->family || memcmp(a->raw, b->raw, n) == 0);
}

void xfrm_addr_put(xfrm_address_t *out, const struct xfrm_ip *ip)
{
	memset(out, 0, sizeof(*out));
	if (ip->family == AF_INET)
		memcpy(&out->a4, &ip->v4, 4);
	else if (ip->family == AF_INET6)
		memcpy(out->a6, &ip->v6, 16);
}

void xfrm_addr_get(struct xfrm_ip *out, const xfrm_address_t *in, uint16_t family)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		out->family = AF_INET;
		memcpy(&out->v4, &in->a4, 4);
	} else if (family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(&out->v6, in->a6, 16);
	}
}

int xfrm_sel_put(struct xfrm_selector *s, const struct xfrm_ts *ts, uint8_t family)
{
	uint8_t fam = ts->src.family ? ts->src.family : ts->dst.family;

	memset(s, 0, sizeof(*s));
	if (!fam)
		fam = family;
	if ((ts->src.family && ts->src.family != fam) || (ts->dst.family && ts->dst.family != fam))
		return -EINVAL;
	unsigned int max = fam == AF_INET6 ? 128 : 32;
	if (ts->src_plen > max || ts->dst_plen > max)
		return -EINVAL;
	s->family = fam;
	xfrm_addr_put(&s->saddr, &ts->src);
	xfrm_addr_put(&s->daddr, &ts->dst);
	s->prefixlen_s = ts->src_plen;
	s->prefixlen_d = ts->dst_plen;
	s->proto = ts->proto;
	if (ts->sport) {
		s->sport = htons(ts->sport);
		s->sport_mask = 0xffff;
	}
	if (ts->dport) {
		s->dport = htons(ts->dport);
		s->dport_mask = 0xffff;
	}
	s->ifindex = ts->ifindex;
	return 0;
}

void xfrm_sel_get(struct xfrm_ts *ts, const struct xfrm_selector *s)
{
	memset(ts, 0, sizeof(*ts));
	xfrm_addr_get(&ts->src, &s->saddr, s->family);
	xfrm_addr_get(&ts->dst, &s->daddr, s->family);
	ts->src_plen = s->prefixlen_s;
	ts->dst_plen = s->prefixlen_d;
	ts->proto = s->proto;
	ts->sport = s->sport_mask ? ntohs(s->sport) : 0;
	ts->dport = s->dport_mask ? ntohs(s->dport) : 0;
	ts->ifindex = s->ifindex;
}

static uint64_t limit_put(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static uint64_t limit_get(uint64_t v)
{
	return v == XFRM_INF ? 0 : v;
}

void xfrm_lft_put(struct xfrm_lifetime_cfg *l, const struct xfrm_limits *lim)
{
	l->soft_byte_limit = limit_put(lim->soft_bytes);
	l->hard_byte_limit = limit_put(lim->hard_bytes);
	l->soft_packet_limit = limit_put(lim->soft_packets);
	l->hard_packet_limit = limit_put(lim->hard_packets);
	/* Seconds are "0 = none" in the kernel already. */
	l->soft_add_expires_seconds = lim->soft_add_s;
	l->hard_add_expires_seconds = lim->hard_add_s;
	l->soft_use_expires_seconds = lim->soft_use_s;
	l->hard_use_expires_seconds = lim->hard_use_s;
}

void xfrm_lft_get(struct xfrm_limits *lim, const struct xfrm_lifetime_cfg *l)
{
	lim->soft_bytes = limit_get(l->soft_byte_limit);
	lim->hard_bytes = limit_get(l->hard_byte_limit);
	lim->soft_packets = limit_get(l->soft_packet_limit);
	lim->hard_packets = limit_get(l->hard_packet_limit);
	lim->soft_add_s = l->soft_add_expires_seconds;
	lim->hard_add_s = l->hard_add_expires_seconds;
	lim->soft_use_s = l->soft_use_expires_seconds;
	lim->hard_use_s = l->hard_use_expires_seconds;
}

/* Minimum payload length of each attribute we read; 0 = not read (skipped). */
static const uint16_t attr_min_len[XFRMA_MAX + 1] = {
	[XFRMA_ALG_AUTH] = sizeof(struct xfrm_algo),
	[XFRMA_ALG_CRYPT] = sizeof(struct xfrm_algo),
	[XFRMA_ALG_AEAD] = sizeof(struct xfrm_algo_aead),
	[XFRMA_ALG_AUTH_TRUNC] = sizeof(struct xfrm_algo_auth),
	[XFRMA_ENCAP] = sizeof(struct xfrm_encap_tmpl),
	[XFRMA_TMPL] = sizeof(struct xfrm_user_tmpl),
	[XFRMA_SA] = sizeof(struct xfrm_usersa_info),
	[XFRMA_POLICY] = sizeof(struct xfrm_userpolicy_info),
	[XFRMA_REPLAY_VAL] = sizeof(struct xfrm_replay_state),
	[XFRMA_REPLAY_ESN_VAL] = sizeof(struct xfrm_replay_state_esn),
	[XFRMA_LASTUSED] = sizeof(uint64_t),
	[XFRMA_MARK] = sizeof(struct xfrm_mark),
	[XFRMA_SET_MARK] = sizeof(uint32_t),
	[XFRMA_SET_MARK_MASK] = sizeof(uint32_t),
	[XFRMA_IF_ID] = sizeof(uint32_t),
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type > XFRMA_MAX || attr_min_len[type] == 0)
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(attr) < attr_min_len[type])
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

int xfrm_attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen,
		     const struct nlattr *tb[XFRMA_MAX + 1])
{
	memset(tb, 0, sizeof(*tb) * (XFRMA_MAX + 1));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, (unsigned int)hdrlen, attr_cb, tb) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}
