/*
 * Client address pools of the daemon. See addrs.h.
 */
#include "l2tpd/addrs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ippool.h"
#include "l2tpd/session.h"
#include "l2tpd/teardown.h"

static struct ippool *pool_of(const struct l2tpd_conf *c, struct ippool **pools, uint32_t a)
{
	for (unsigned i = 0; i < c->n_pools; i++)
		if (a >= ntohl(c->pools[i].start.s_addr) && a <= ntohl(c->pools[i].end.s_addr))
			return pools[i];
	return c->n_pools ? pools[0] : NULL;
}

void l2tpd_pools_discard(struct ippool **pools, unsigned n)
{
	if (!pools)
		return;
	for (unsigned i = 0; i < n; i++)
		ippool_free(pools[i]);
	free(pools);
}

/* Pools for c's ranges with c's dedicated addresses reserved. 0 and *out, or -errno. */
static int pools_build(const struct l2tpd_conf *c, struct ippool ***out)
{
	struct ippool **pools = calloc(c->n_pools ? c->n_pools : 1, sizeof *pools);
	int r;

	*out = NULL;
	if (!pools)
		return -ENOMEM;
	for (unsigned i = 0; i < c->n_pools; i++) {
		r = ippool_new_range(ntohl(c->pools[i].start.s_addr), ntohl(c->pools[i].end.s_addr),
				     &pools[i]);
		if (r < 0) {
			log_err("pool_failed", "pool=%u err=%d", i, r);
			l2tpd_pools_discard(pools, c->n_pools);
			return r;
		}
	}
	for (size_t i = 0; i < l2tpd_conf_n_users(c); i++) {
		const struct user *u = users_at(c->users, i);
		struct ippool *p = u->ip ? pool_of(c, pools, u->ip) : NULL;

		if (p)
			ippool_reserve(p, u->ip);
	}
	*out = pools;
	return 0;
}

int l2tpd_pools_init(struct l2tpd *d)
{
	return pools_build(d->conf, &d->pools);
}

void l2tpd_pools_free(struct l2tpd *d)
{
	l2tpd_pools_discard(d->pools, d->conf->n_pools);
	d->pools = NULL;
}

struct reclaim {
	const struct l2tpd_conf *nc;
	struct ippool **pools;
};

static void reclaim_addr(struct in_addr a, void *arg)
{
	const struct reclaim *rc = arg;
	uint32_t ip = ntohl(a.s_addr);
	struct ippool *p = pool_of(rc->nc, rc->pools, ip);
	char s[16];
	int r = p ? ippool_claim(p, ip) : 0;

	if (r < 0)
		log_warn("pool_reclaim_failed", "ip=%s err=%d", ippool_fmt_addr(ip, s), r);
}

int l2tpd_pools_build_for(struct l2tpd *d, const struct l2tpd_conf *nc, struct ippool ***out)
{
	char a[16];
	int r = pools_build(nc, out);
	struct reclaim rc = { nc, *out };

	if (r < 0)
		return r;
	/* and those of closed sessions whose interfaces are still going (teardown.h) */
	teardown_addrs(d, reclaim_addr, &rc);
	/* Every address a live session holds stays held, in range or not (a shrunk pool
	 * tracks it as an outside address until the session gives it back). */
	for (unsigned b = 0; b < L2TPD_ADDR_BUCKETS; b++)
		for (struct session *s = d->addr_hash[b]; s; s = s->addr_next) {
			uint32_t ip = ntohl(s->client_ip.s_addr);
			struct ippool *p = pool_of(nc, *out, ip);

			r = p ? ippool_claim(p, ip) : 0;
			if (r < 0)
				log_warn("pool_reclaim_failed", "ip=%s err=%d",
					 ippool_fmt_addr(ip, a), r);
		}
	return 0;
}

void l2tpd_pools_replace(struct l2tpd *d, unsigned old_n_pools, struct ippool **pools)
{
	l2tpd_pools_discard(d->pools, old_n_pools);
	d->pools = pools;
}

int l2tpd_addr_alloc(struct l2tpd *d, struct in_addr *out)
{
	uint32_t a;

	for (unsigned i = 0; i < d->conf->n_pools; i++)
		if (ippool_alloc(d->pools[i], &a) == 0) {
			out->s_addr = htonl(a);
			return 0;
		}
	return -EADDRNOTAVAIL;
}

int l2tpd_addr_claim(struct l2tpd *d, struct in_addr a)
{
	struct ippool *p = pool_of(d->conf, d->pools, ntohl(a.s_addr));

	return p ? ippool_claim(p, ntohl(a.s_addr)) : 0;
}

void l2tpd_addr_release(struct l2tpd *d, struct in_addr a)
{
	struct ippool *p = pool_of(d->conf, d->pools, ntohl(a.s_addr));

	if (p)
		ippool_release(p, ntohl(a.s_addr));
}
