/*
 * l2tpd's control socket: status, tunnel and session lists (with interface counters),
 * disconnect by tunnel, session or user, log level; events (session-up/-down,
 * tunnel-ended) are broadcast from session.c and tunnel.c through d->ctl.
 * Messages and attributes: docs/control-protocol.md.
 */
#ifndef L2SEC_L2TPD_L2TPD_CTL_H
#define L2SEC_L2TPD_L2TPD_CTL_H

struct l2tpd;

/* Create the socket at d->conf->ctl_path. 0 or -errno (logged). */
int l2tpd_ctl_start(struct l2tpd *d);
void l2tpd_ctl_stop(struct l2tpd *d);

#endif
