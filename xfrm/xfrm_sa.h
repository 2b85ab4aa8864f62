/*
 * Inside the library: SA message encoding and decoding, shared with the event parser and
 * exposed to the unit tests.
 */
#ifndef L2SEC_XFRM_XFRM_SA_H
#define L2SEC_XFRM_XFRM_SA_H

#include <libmnl/libmnl.h>
#include <linux/xfrm.h>

#include "xfrm/xfrm.h"

/*
 * Append the payload of a NEWSA/UPDSA request for sa to nlh (buffer of cap bytes).
 * Returns 0, or -EINVAL/-ENOTSUP/-EMSGSIZE with *why naming the problem (static text).
 */
int xfrm_sa_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *sa, const char **why);
/* The payload of DELSA/GETSA: (dst, spi, proto) + mark. */
int xfrm_sa_id_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *key, uint32_t spi);
/* The payload of ALLOCSPI. */
int xfrm_spi_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *key, uint32_t min,
		    uint32_t max);
/* Fill out from a kernel usersa_info (raw: any alignment, sizeof(struct xfrm_usersa_info)
 * bytes) and its attributes (tb from xfrm_attrs_parse). */
void xfrm_sa_decode(struct xfrm_sa_info *out, const void *raw,
		    const struct nlattr *const tb[XFRMA_MAX + 1]);

#endif
