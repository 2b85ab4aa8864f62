/*
 * Configuration reload (vpnctl reload, SIGHUP): l2tpd.conf and secrets.conf are read
 * again and applied without touching unaffected tunnels.
 *
 *   - A configuration with errors is refused as a whole: the running one stays, every
 *     error is logged ("FILE:LINE: KEY: what"), the reply names the first and the count.
 *   - Users are added, changed and removed. A live session ends (CDN, then StopCCN for
 *     a remote-access tunnel, logged with the reason) only when users_session_verdict()
 *     says so: its user is gone, its dedicated address changed (the client reconnects and
 *     gets the new one), or its address became another user's dedicated address. A new
 *     password never ends a session. Every other session keeps its tunnel, ids and
 *     interface.
 *   - Pools, DNS, MTU/MRU, authentication methods, echo, hostname, hello interval, RWS,
 *     tunnel secret, max_sessions, require_protected and duplicate_login apply to new
 *     tunnels and sessions. Changed pools are rebuilt around the addresses live sessions
 *     hold (an address outside the new ranges stays held until its session ends, and is
 *     not handed out again).
 *   - Settings that cannot change under a running process (listen, port,
 *     control_socket, interface_prefix, firewall_set, hook, lac, user, group) keep their
 *     running value; the reload succeeds and its message says "needs restart: ...".
 */
#ifndef L2SEC_L2TPD_RELOAD_H
#define L2SEC_L2TPD_RELOAD_H

#include <stddef.h>

struct l2tpd;

#define L2TPD_RELOAD_MSG_MAX 512

/* Reload d->conf from the files it came from. Writes the outcome to msg (for the
 * vpnctl reply and the service status). Returns 0 (applied, maybe in part: see msg),
 * -EINVAL (configuration refused) or -ENOMEM (nothing changed). */
int l2tpd_reload(struct l2tpd *d, char *msg, size_t msg_size);

/* SIGHUP: the same, with the outcome logged only. */
void l2tpd_reload_signal(void *d);

#endif
