/* IPv4 address pool. See ippool.h. */
#include "l2tpd/ippool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	A_USED = 1,       /* held by a live session */
	A_DEDICATED = 2,  /* never handed out by ippool_alloc */
	A_QUEUED = 4,     /* present in the free FIFO (possibly stale) */
};

struct ippool {
	uint32_t first, size;
	uint8_t *flags;           /* per address in the range */
	uint32_t *fifo;           /* offsets; capacity size, each offset at most once */
	uint32_t head, count;
	uint32_t in_use, reserved, available;
	/* Held addresses outside the range: open addressing, linear probing, 0 = empty */
	uint32_t *outside;
	uint32_t outside_cap, outside_count;
};

int ippool_parse_addr(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = ntohl(a.s_addr);
	return 0;
}

const char *ippool_fmt_addr(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
		 addr & 255);
	return buf;
}

static void fifo_push(struct ippool *p, uint32_t off)
{
	p->fifo[(p->head + p->count) % p->size] = off;
	p->count++;
	p->flags[off] |= A_QUEUED;
}

int ippool_new_range(uint32_t first, uint32_t last, struct ippool **out)
{
	struct ippool *p;
	uint64_t size = (uint64_t)last - first + 1;

	*out = NULL;
	if (first == 0 || last < first)
		return -EINVAL;
	if (size > IPPOOL_MAX_SIZE)
		return -E2BIG;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->first = first;
	p->size = (uint32_t)size;
	p->flags = calloc(size, 1);
	p->fifo = calloc(size, sizeof *p->fifo);
	if (!p->flags || !p->fifo) {
		ippool_free(p);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < p->size; i++)
		fifo_push(p, i);
	p->available = p->size;
	*out = p;
	return 0;
}

int ippool_parse(const char *spec, struct ippool **out)
{
	char a[32], b[32];
	uint32_t first, last;
	const char *sep;
	unsigned prefix;
	char *end;

	*out = NULL;
	if ((sep = strchr(spec, '-'))) {
		if ((size_t)(sep - spec) >= sizeof a || strlen(sep + 1) >= sizeof b)
			return -EINVAL;
		snprintf(a, sizeof a, "%.*s", (int)(sep - spec), spec);
		snprintf(b, sizeof b, "%s", sep + 1);
		if (ippool_parse_addr(a, &first) < 0 || ippool_parse_addr(b, &last) < 0)
			return -EINVAL;
		return ippool_new_range(first, last, out);
	}
	if (!(sep = strchr(spec, '/')) || (size_t)(sep - spec) >= sizeof a)
		return -EINVAL;
	snprintf(a, sizeof a, "%.*s", (int)(sep - spec), spec);
	prefix = (unsigned)strtoul(sep + 1, &end, 10);
	if (ippool_parse_addr(a, &first) < 0 || *end || end == sep + 1 || prefix < 8 ||
	    prefix > 32)
		return -EINVAL;
	uint32_t mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
	if (first & ~mask)
		return -EINVAL;   /* host bits set: probably a typo */
	last = first | ~mask;
	if (prefix < 31) {    /* network and broadcast addresses are not for hosts */
		first++;
		last--;
	}
	return ippool_new_range(first, last, out);
}

void ippool_free(struct ippool *p)
{
	if (!p)
		return;
	free(p->flags);
	free(p->fifo);
	free(p->outside);
	free(p);
}

static bool in_range(const struct ippool *p, uint32_t addr)
{
	return addr >= p->first && addr - p->first < p->size;
}

/* ---- the set of held addresses outside the range ---- */

static uint32_t slot_of(uint32_t addr, uint32_t cap)
{
	return (addr * 2654435761u) & (cap - 1);   /* Knuth's multiplicative hash */
}

static bool outside_find(const struct ippool *p, uint32_t addr, uint32_t *slot)
{
	if (!p->outside_cap)
		return false;
	for (uint32_t i = slot_of(addr, p->outside_cap);; i = (i + 1) & (p->outside_cap - 1)) {
		if (p->outside[i] == 0)
			return false;
		if (p->outside[i] == addr) {
			*slot = i;
			return true;
		}
	}
}

static int outside_insert(struct ippool *p, uint32_t addr)
{
	uint32_t slot;

	if ((p->outside_count + 1) * 2 > p->outside_cap) {   /* keep the load under 1/2 */
		uint32_t cap = p->outside_cap ? p->outside_cap * 2 : 16, *old = p->outside;
		uint32_t oldcap = p->outside_cap;

		p->outside = calloc(cap, sizeof *p->outside);
		if (!p->outside) {
			p->outside = old;
			return -ENOMEM;
		}
		p->outside_cap = cap;
		for (uint32_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			for (slot = slot_of(old[i], cap); p->outside[slot]; slot = (slot + 1) & (cap - 1))
				;
			p->outside[slot] = old[i];
		}
		free(old);
	}
	for (slot = slot_of(addr, p->outside_cap); p->outside[slot];
	     slot = (slot + 1) & (p->outside_cap - 1))
		;
	p->outside[slot] = addr;
	p->outside_count++;
	return 0;
}

/* Linear-probing deletion by backward shift: no tombstones. */
static void outside_remove(struct ippool *p, uint32_t slot)
{
	uint32_t mask = p->outside_cap - 1, j = slot;

	p->outside[slot] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!p->outside[j])
			break;
		uint32_t home = slot_of(p->outside[j], p->outside_cap);
		/* move j back into the hole if its home is not in (slot, j] cyclically */
		if (((j - home) & mask) >= ((j - slot) & mask)) {
			p->outside[slot] = p->outside[j];
			p->outside[j] = 0;
			slot = j;
		}
	}
	p->outside_count--;
}

/* ---- allocation ---- */

int ippool_alloc(struct ippool *p, uint32_t *addr)
{
	while (p->count) {
		uint32_t off = p->fifo[p->head];

		p->head = (p->head + 1) % p->size;
		p->count--;
		p->flags[off] &= (uint8_t)~A_QUEUED;
		if (p->flags[off] & (A_USED | A_DEDICATED))
			continue;   /* stale: claimed or reserved since it was queued */
		p->flags[off] |= A_USED;
		p->in_use++;
		p->available--;
		*addr = p->first + off;
		return 0;
	}
	*addr = 0;
	return -ENOSPC;
}

int ippool_claim(struct ippool *p, uint32_t addr)
{
	uint32_t slot, off;
	int rc;

	if (addr == 0)
		return -EINVAL;
	if (!in_range(p, addr)) {
		if (outside_find(p, addr, &slot))
			return -EADDRINUSE;
		rc = outside_insert(p, addr);
		if (rc == 0)
			p->in_use++;
		return rc;
	}
	off = addr - p->first;
	if (p->flags[off] & A_USED)
		return -EADDRINUSE;
	if (!(p->flags[off] & A_DEDICATED))
		p->available--;
	p->flags[off] |= A_USED;
	p->in_use++;
	return 0;
}

/* Neither held nor dedicated any more: ippool_alloc may hand it out again. */
static void make_available(struct ippool *p, uint32_t off)
{
	if (p->flags[off] & (A_USED | A_DEDICATED))
		return;
	p->available++;
	if (!(p->flags[off] & A_QUEUED))
		fifo_push(p, off);
}

int ippool_release(struct ippool *p, uint32_t addr)
{
	uint32_t slot, off;

	if (!in_range(p, addr)) {
		if (!outside_find(p, addr, &slot))
			return -ENOENT;
		outside_remove(p, slot);
		p->in_use--;
		return 0;
	}
	off = addr - p->first;
	if (!(p->flags[off] & A_USED))
		return -ENOENT;
	p->flags[off] &= (uint8_t)~A_USED;
	p->in_use--;
	make_available(p, off);
	return 0;
}

int ippool_reserve(struct ippool *p, uint32_t addr)
{
	uint32_t off;

	if (!in_range(p, addr))
		return 0;   /* outside: ippool_alloc never returns it anyway */
	off = addr - p->first;
	if (p->flags[off] & A_DEDICATED)
		return 0;
	if (!(p->flags[off] & A_USED))
		p->available--;
	p->flags[off] |= A_DEDICATED;
	p->reserved++;
	return 0;
}

int ippool_unreserve(struct ippool *p, uint32_t addr)
{
	uint32_t off;

	if (!in_range(p, addr))
		return 0;
	off = addr - p->first;
	if (!(p->flags[off] & A_DEDICATED))
		return -ENOENT;
	p->flags[off] &= (uint8_t)~A_DEDICATED;
	p->reserved--;
	make_available(p, off);
	return 0;
}

void ippool_get_stats(const struct ippool *p, struct ippool_stats *st)
{
	st->first = p->first;
	st->last = p->first + p->size - 1;
	st->size = p->size;
	st->in_use = p->in_use;
	st->reserved = p->reserved;
	st->available = p->available;
}
