/*
 * How ikd puts IPsec SAs into the kernel: a small table of operations, implemented over
 * xfrm/ (the daemon) or by a recording stub (unit tests, which must not need a kernel
 * with ESP). Everything above this file speaks struct xfrm_sa / xfrm_policy.
 *
 * kernel_install_child() turns a negotiated struct ipsec_sa (with its KEYMAT) into the
 * inbound and outbound SAs and the policies; kernel_remove_child() takes them out again.
 * Policies are shared by every SA pair of the same traffic: a rekeyed pair updates them
 * (same selector, same reqid), so traffic never sees a moment without policy.
 */
#ifndef L2SEC_IKD_KERNEL_H
#define L2SEC_IKD_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm/xfrm.h"

struct ike_sa;
struct ipsec_sa;

struct ikd_kernel_ops {
	int (*spi_alloc)(void *ctx, const struct xfrm_sa *key, uint32_t *spi);
	int (*spi_release)(void *ctx, const struct xfrm_sa *key, uint32_t spi);
	int (*sa_add)(void *ctx, const struct xfrm_sa *sa, bool update);
	int (*sa_del)(void *ctx, const struct xfrm_sa *sa);
	int (*sa_get)(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out);
	/* add, or update when it exists */
	int (*policy_set)(void *ctx, const struct xfrm_policy *p);
	int (*policy_del)(void *ctx, const struct xfrm_policy *p);
	const char *(*strerror)(void *ctx);
	/* Every SA the kernel has (may be NULL: a backend without dumps). */
	int (*sa_dump)(void *ctx, int (*fn)(const struct xfrm_sa_info *, void *), void *arg);
};

struct ikd_kernel {
	const struct ikd_kernel_ops *ops;
	void *ctx;
};

/* The xfrm/ implementation; ctx is a struct xfrm_handle *. */
extern const struct ikd_kernel_ops ikd_kernel_xfrm_ops;

/* KEYMAT for both directions of a child, in and out (ESP encryption key then auth key). */
struct child_keys {
	uint8_t in[128], out[128];
	size_t encr_len, integ_len;
};

/* Reserve our inbound SPI for a child being negotiated with sa's peer. */
int kernel_child_alloc_spi(const struct ikd_kernel *k, const struct ike_sa *sa,
			   struct ipsec_sa *c);
/* Install the inbound and outbound SA and the policies. Returns 0 or -errno (logged). */
int kernel_install_child(const struct ikd_kernel *k, const struct ike_sa *sa,
			 struct ipsec_sa *c, const struct child_keys *keys);
/*
 * The two halves of it, for a Quick Mode responder (RFC 2409 practice): the inbound SA
 * (completing the larval SA of kernel_child_alloc_spi) before message 2 goes out, since
 * the initiator installs on message 2 and may send at once; the outbound SA and the
 * policies when message 3 proved the initiator has the keys (c->installed set then).
 * Until then kernel_remove_child() deletes the inbound SA by its SPI. 0 or -errno (logged);
 * a failed _out leaves the inbound SA to the caller.
 */
int kernel_install_child_in(const struct ikd_kernel *k, const struct ike_sa *sa,
			    const struct ipsec_sa *c, const struct child_keys *keys);
int kernel_install_child_out(const struct ikd_kernel *k, const struct ike_sa *sa,
			     struct ipsec_sa *c, const struct child_keys *keys);
/* Delete the pair; with_policies also the policies (the last pair of that traffic). Not
 * installed (c->installed false): deletes the SA of our inbound SPI, if any (larval or
 * completed by kernel_install_child_in). */
int kernel_remove_child(const struct ikd_kernel *k, const struct ike_sa *sa,
			struct ipsec_sa *c, bool with_policies);
/* Bytes received on the inbound SA (for DPD idleness). -errno when unknown. */
int kernel_child_bytes_in(const struct ikd_kernel *k, const struct ike_sa *sa,
			  const struct ipsec_sa *c, uint64_t *bytes, uint64_t *packets);

/* Fill the xfrm_sa for one direction (without keys): exposed for tests. */
void kernel_child_sa(const struct ike_sa *sa, const struct ipsec_sa *c, bool inbound,
		     struct xfrm_sa *out);

#endif
