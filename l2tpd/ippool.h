/*
 * IPv4 address pool for PPP peers: a range ("198.51.100.10-198.51.100.200") or a CIDR
 * block ("198.51.100.0/24", network and broadcast addresses excluded), plus dedicated
 * addresses.
 *
 * Guarantees:
 *   - an address is never held by two live sessions (claim of a held address fails);
 *   - a dedicated (reserved) address is never handed out by ippool_alloc(), only claimed
 *     by its user; dedicated addresses outside the range are tracked too;
 *   - alloc and release are O(1) amortised (a FIFO of free addresses with lazy removal),
 *     and a released address goes to the back of the queue, so it is reused as late as
 *     possible (stale ARP/conntrack entries of the previous holder time out first).
 * Memory: 5 octets per address in the range. Addresses are in host byte order.
 */
#ifndef L2SEC_L2TPD_IPPOOL_H
#define L2SEC_L2TPD_IPPOOL_H

#include <stddef.h>
#include <stdint.h>

#define IPPOOL_MAX_SIZE (1u << 20)

struct ippool;

/*
 * Create a pool from "A-B" or "A/prefix" (prefix 8..32; /31 and /32 keep every address).
 * Returns 0 and *out (caller frees with ippool_free), -EINVAL for a malformed or reversed
 * spec, -E2BIG beyond IPPOOL_MAX_SIZE addresses, -ENOMEM.
 */
int ippool_parse(const char *spec, struct ippool **out);
/* The same from numbers: [first, last]. */
int ippool_new_range(uint32_t first, uint32_t last, struct ippool **out);
void ippool_free(struct ippool *p);

/* Take any free, non-dedicated address. 0 and *addr, or -ENOSPC. */
int ippool_alloc(struct ippool *p, uint32_t *addr);
/* Take this address (a user's dedicated one). -EADDRINUSE if a live session holds it. */
int ippool_claim(struct ippool *p, uint32_t addr);
/* Give an address back. -ENOENT if it was not held. */
int ippool_release(struct ippool *p, uint32_t addr);
/* Keep addr out of ippool_alloc() for good (a dedicated address, or our own). */
int ippool_reserve(struct ippool *p, uint32_t addr);
int ippool_unreserve(struct ippool *p, uint32_t addr);

struct ippool_stats {
	uint32_t first, last;
	uint32_t size;          /* addresses in the range */
	uint32_t in_use;        /* held, in range or not */
	uint32_t reserved;      /* dedicated addresses in the range */
	uint32_t available;     /* what ippool_alloc can still hand out */
};
void ippool_get_stats(const struct ippool *p, struct ippool_stats *st);

/* Parse / format dotted quads (host order). */
int ippool_parse_addr(const char *s, uint32_t *addr);
const char *ippool_fmt_addr(uint32_t addr, char buf[16]);

#endif
