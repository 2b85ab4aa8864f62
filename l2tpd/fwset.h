/*
 * The optional nftables set of connected users' addresses (docs/firewall.md): l2tpd adds
 * a user's address when their PPP link comes up and removes it when it goes down, so that
 * admins can write per-user rules against the set. l2tpd touches nothing else in the
 * ruleset: it never creates, flushes or reorders the admin's tables, chains or rules; it
 * only flushes this one set at start-up, because after a crash its entries are stale.
 */
#ifndef L2SEC_L2TPD_FWSET_H
#define L2SEC_L2TPD_FWSET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct fwset;

/*
 * Parse a set name from the configuration: "SET" (in table inet l2sec) or
 * "FAMILY TABLE SET". Names are [A-Za-z0-9_-], family one of ip, ip6, inet.
 * Writes the canonical "family table set" into out. Returns 0 or -EINVAL with why.
 */
int fwset_parse_spec(const char *spec, char *out, size_t outlen, const char **why);

/*
 * Open libnftables for the set named by spec (as accepted by fwset_parse_spec) and flush
 * it. Returns 0 and *out (free with fwset_close), or a negative errno with the nft error
 * text in err (e.g. the set does not exist).
 */
int fwset_open(struct fwset **out, const char *spec, char *err, size_t errlen);
void fwset_close(struct fwset *fs);

/* Add / remove one address. Returns 0 or a negative errno with nft's text in err. */
int fwset_add(struct fwset *fs, struct in_addr addr, char *err, size_t errlen);
int fwset_del(struct fwset *fs, struct in_addr addr, char *err, size_t errlen);

#endif
