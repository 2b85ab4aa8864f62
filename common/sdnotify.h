/*
 * The systemd service-manager protocol, spoken directly (no libsystemd): readiness and
 * status notifications, and the file-descriptor store that lets a restarted daemon take
 * back its L2TP tunnel sockets and PPP units (DESIGN.md "Restart without dropping
 * tunnels").
 *
 * Without $NOTIFY_SOCKET (not started by systemd) every notify call is a successful
 * no-op, so daemons call them unconditionally.
 */
#ifndef L2SEC_COMMON_SDNOTIFY_H
#define L2SEC_COMMON_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>

/* True when a service manager listens ($NOTIFY_SOCKET set). */
bool sd_notify_enabled(void);

/*
 * Send one notification, e.g. "READY=1\nSTATUS=listening on 500/4500". Returns 0 (also
 * when not under systemd) or a negative errno.
 */
int sd_notify_state(const char *state);
int sd_notify_statusf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A reload begins (Type=notify-reload): RELOADING=1 with MONOTONIC_USEC=now; send
 * READY=1 when it is over. Returns as sd_notify_state(). */
int sd_notify_reloading(void);

/*
 * Hand fds[0..n) to the service manager's file-descriptor store under name (at most 255
 * characters of [A-Za-z0-9_.:-]; the unit needs FileDescriptorStoreMax=). They come back
 * to the next instance through sd_listen_fds_named(). Returns 0 or a negative errno
 * (-EINVAL for a bad name, -ENOTCONN when not under systemd).
 */
int sd_notify_fdstore(const char *name, const int *fds, size_t n);
/* Remove every stored fd of that name. */
int sd_notify_fdstore_remove(const char *name);

/*
 * Descriptors passed at start ($LISTEN_FDS, $LISTEN_PID, $LISTEN_FDNAMES): calls fn for
 * each with its fd (from 3 on) and name ("" when unnamed). The fds are marked
 * close-on-exec and become the callback's to own. The environment variables are
 * removed so children do not see them. Returns how many fds there were, or a negative
 * errno for malformed variables.
 */
typedef void (*sd_listen_fd_fn)(int fd, const char *name, void *arg);
int sd_listen_fds_named(sd_listen_fd_fn fn, void *arg);

#endif
