/*
 * Taking tunnels and sessions back after a restart or crash under systemd (the other
 * half of statestore.h; DESIGN.md "Restart without dropping tunnels").
 *
 * At start-up, with the netlink handles open and before the stale-object sweep:
 *   restore_begin()  reads $LISTEN_FDS (the fd store handed back), opens the state memfd,
 *                    and rebuilds every established tunnel and session it describes,
 *                    each checked against its descriptors and the kernel (tunnel and
 *                    session present with the same peer ids, the PPP unit's number and
 *                    interface index). Sessions that were still
 *                    negotiating, and anything inconsistent, are torn down cleanly (CDN or
 *                    StopCCN to the peer, kernel objects removed) with a logged reason.
 *   the sweep        spares what was restored (restore_keep_tunnel, restore_keep_ifname).
 *   restore_end()    deletes kernel sessions of restored tunnels that no record claims,
 *                    closes and un-stores every descriptor nobody took, and logs a summary.
 * Without systemd, every descriptor passed is closed and nothing is restored.
 */
#ifndef L2SEC_L2TPD_RESTORE_H
#define L2SEC_L2TPD_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

struct l2tpd;

/* 0, or -EALREADY: a running l2tpd refused to hand over, so this one must not start. */
int restore_begin(struct l2tpd *d);
bool restore_keep_tunnel(uint32_t tunnel_id, void *d);
bool restore_keep_ifname(const char *ifname, void *d);
void restore_end(struct l2tpd *d);

#endif
