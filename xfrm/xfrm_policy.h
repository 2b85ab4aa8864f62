/*
 * Inside the library: policy message encoding and decoding, shared with the event parser
 * and exposed to the unit tests.
 */
#ifndef L2SEC_XFRM_XFRM_POLICY_H
#define L2SEC_XFRM_XFRM_POLICY_H

#include <libmnl/libmnl.h>
#include <linux/xfrm.h>

#include "xfrm/xfrm.h"

/* Payload of NEWPOLICY/UPDPOLICY. 0, or -EINVAL with *why (static text). */
int xfrm_policy_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p,
		       const char **why);
/* Payload of DELPOLICY/GETPOLICY: by index when p->index, else selector + dir + mark. */
int xfrm_policy_id_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p);
/* Fill out (and *owned) from a kernel userpolicy_info (raw: any alignment) and its
 * attributes. */
void xfrm_policy_decode(struct xfrm_policy *out, bool *owned, const void *raw,
			const struct nlattr *const tb[XFRMA_MAX + 1]);

#endif
