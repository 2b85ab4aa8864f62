/*
 * Inside the library: conversions between the IKE-shaped structs of xfrm.h and the
 * kernel's uapi structs (addresses, selectors, lifetimes, reqid tags). Pure functions.
 */
#ifndef L2SEC_XFRM_XFRM_CODEC_H
#define L2SEC_XFRM_XFRM_CODEC_H

#include <linux/xfrm.h>

#include "xfrm/xfrm.h"

void xfrm_addr_put(xfrm_address_t *out, const struct xfrm_ip *ip);
void xfrm_addr_get(struct xfrm_ip *out, const xfrm_address_t *in, uint16_t family);
/* Fill a kernel selector; family is used when ts has none. -EINVAL on a family mismatch
 * or a prefix length longer than the address. */
int xfrm_sel_put(struct xfrm_selector *s, const struct xfrm_ts *ts, uint8_t family);
void xfrm_sel_get(struct xfrm_ts *ts, const struct xfrm_selector *s);
void xfrm_lft_put(struct xfrm_lifetime_cfg *l, const struct xfrm_limits *lim);
void xfrm_lft_get(struct xfrm_limits *lim, const struct xfrm_lifetime_cfg *l);

static inline uint32_t xfrm_reqid_tagged(uint32_t reqid)
{
	return XFRM_REQID_TAG | (reqid & XFRM_REQID_MAX);
}
static inline bool xfrm_reqid_is_owned(uint32_t raw)
{
	return (raw & XFRM_REQID_TAG_MASK) == XFRM_REQID_TAG;
}
static inline uint8_t xfrm_proto_or_esp(uint8_t proto)
{
	return proto ? proto : IPPROTO_ESP;
}

/* ---- attribute tables ---- */
#include <libmnl/libmnl.h>

/* Fill tb[0..XFRMA_MAX] with the attributes after hdrlen bytes of payload, checking each
 * known attribute's minimum length (a short one fails with -EBADMSG; unknown ones are
 * skipped). */
int xfrm_attrs_parse(const struct nlmsghdr *nlh, size_t hdrlen,
		     const struct nlattr *tb[XFRMA_MAX + 1]);

#endif
