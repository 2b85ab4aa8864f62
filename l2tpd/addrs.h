/*
 * Client addresses: one ippool (ippool.h) per configured range, users' dedicated
 * addresses reserved in the pool whose range holds them (or in the first pool when no
 * range does: ippool tracks such addresses too), so a claim never hands out an address
 * another session holds. The alloc/claim/release calls are declared in daemon.h.
 */
#ifndef L2SEC_L2TPD_ADDRS_H
#define L2SEC_L2TPD_ADDRS_H

struct l2tpd;
struct l2tpd_conf;
struct ippool;

/* Build d->pools from d->conf (ranges and dedicated addresses). 0 or -errno (logged). */
int l2tpd_pools_init(struct l2tpd *d);
void l2tpd_pools_free(struct l2tpd *d);

/*
 * Configuration reload: pools built from nc (its ranges, its users' dedicated addresses)
 * that already hold the address of every live session, ready to replace d->pools.
 * Returns 0 and *out (an array of nc->n_pools, at least one slot; hand it to
 * l2tpd_pools_replace() or free it with l2tpd_pools_discard()), or -errno.
 */
int l2tpd_pools_build_for(struct l2tpd *d, const struct l2tpd_conf *nc, struct ippool ***out);
/* Free d->pools (old_n_pools of them) and take pools (ownership passes to d): call it
 * when d->conf has become the configuration they were built for. */
void l2tpd_pools_replace(struct l2tpd *d, unsigned old_n_pools, struct ippool **pools);
/* Free an array from l2tpd_pools_build_for() of n pools. */
void l2tpd_pools_discard(struct ippool **pools, unsigned n);

#endif
