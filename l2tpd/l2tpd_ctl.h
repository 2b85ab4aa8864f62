/*
 * l2tpd's control socket: status, tunnel and session lists (with interface counters),
 * disconnect by tunnel, session or user, log level, reload (reload.h); events (session-up/-down,
 * tunnel-ended) are broadcast from session.c and tunnel.c through d->ctl.
 * Messages and attributes: docs/control-protocol.md.
 */
#ifndef L2SEC_L2TPD_L2TPD_CTL_H
#define L2SEC_L2TPD_L2TPD_CTL_H

struct l2tpd;
struct session;

/* Create the socket at d->conf->ctl_path. 0 or -errno (logged). */
int l2tpd_ctl_start(struct l2tpd *d);
void l2tpd_ctl_stop(struct l2tpd *d);

/* End s with a CDN (administrative) and reason; a remote-access tunnel left without
 * calls is closed too (StopCCN), so ikd deletes its SAs. s is freed. */
void l2tpd_end_session(struct session *s, const char *reason);

#endif
