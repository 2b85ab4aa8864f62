/*
 * Restart without systemd: the running l2tpd hands its established tunnels and sessions
 * to the l2tpd started after it, over a Unix socket (DESIGN.md "Restart without dropping
 * tunnels", the alternative to the fd store; statestore.h and restore.h do the rest).
 *
 * The running daemon listens on "<control socket>.handover" (mode 0600, peers must have
 * our uid or be root: a successor has not dropped its privileges yet; anyone else, or a
 * second successor while one is served, is told "REFUSED"). A new l2tpd, before anything else that touches the kernel, connects there:
 *   old: closes what is still negotiating (CDN/StopCCN), then sends every kept descriptor
 *        with its name (the fd-store names of statestore.h, "state" for the state file),
 *        in messages of at most HANDOVER_BATCH descriptors, names one per line;
 *        then a message "." ends the list;
 *   new: answers "OK" and waits for the old process to be gone (end of file on the
 *        socket: the old one keeps it open until its very last step), so that its own
 *        control socket and start-up sweep do not race the old process;
 *   old: on "OK" frees everything without touching the kernel or the peers and exits.
 * When anything fails the old daemon shuts down the usual way (every tunnel closed, clients
 * reconnect to the new one) and the new one closes what it received.
 * Under systemd the fd store is used instead and none of this runs.
 */
#ifndef L2SEC_L2TPD_HANDOVER_H
#define L2SEC_L2TPD_HANDOVER_H

#include "common/sdnotify.h"

struct l2tpd;

#define HANDOVER_BATCH 64

/* Old side: listen for a successor (not under systemd). 0 or -errno (logged; l2tpd runs
 * on without hand-over). */
int handover_listen(struct l2tpd *d);
/* Old side, at shutdown when a successor connected: send the kept descriptors and wait for
 * its "OK". 0 (the caller then forgets its objects) or -errno. */
int handover_send(struct l2tpd *d);
/* Close the listener and the successor's connection (the very last thing at exit). */
void handover_close(struct l2tpd *d);

/*
 * New side: take the descriptors of a running predecessor, if there is one, calling fn
 * for each as sd_listen_fds_named() does. Returns how many were received (0: nobody to
 * take over from) or -errno (whatever was received is closed again); -EALREADY when the
 * running daemon refused: it runs on, so the caller must not start.
 */
int handover_receive(const char *ctl_path, sd_listen_fd_fn fn, void *arg);

#endif
