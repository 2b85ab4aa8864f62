/*
 * Keeping established tunnels and sessions alive across an l2tpd restart or crash
 * (DESIGN.md "Restart without dropping tunnels"), the saving half; restore.h takes them
 * back.
 *
 * Under systemd ($NOTIFY_SOCKET), every descriptor a kernel object lives on goes to the
 * service manager's file-descriptor store once the object is established, under a name
 * derived from our ids:
 *   t<tid>              the tunnel's connected UDP socket (the kernel tunnel lives on it)
 *   s<tid>.<sid>.sock   the session's PPPoL2TP socket (the kernel session)
 *   s<tid>.<sid>.chan   its PPP channel (/dev/ppp: LCP and authentication frames)
 *   s<tid>.<sid>.unit   its PPP unit (/dev/ppp owning the interface)
 *   state               the memfd of statefile.h
 * and is removed from the store when the object ends. The protocol state goes to the
 * memfd, one slot per tunnel or session, rewritten in place whenever it changes (Ns/Nr
 * with every control message), so a process killed with SIGKILL leaves the last state.
 *
 * Without systemd the same records are kept, but the descriptors stay with us alone: they
 * reach a successor only through handover.h, and a plain exit cleans up as before.
 */
#ifndef L2SEC_L2TPD_STATESTORE_H
#define L2SEC_L2TPD_STATESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct l2tpd;
struct tunnel;
struct session;

/* Name buffers: "s65535.65535.sock" and the like. */
#define STATESTORE_NAME_MAX 32

/*
 * Open the state memfd: adopt fd (a "state" descriptor handed back by systemd or by the
 * predecessor, -1: none) when it holds a valid file, else create a new one (and put it in
 * the store under systemd). Without systemd the descriptors are only kept for a successor
 * (handover.h). 0 or -errno (logged; l2tpd then runs without restart support).
 */
int statestore_open(struct l2tpd *d, int fd);
/* True when systemd's fd store keeps our descriptors (a SIGTERM then hands over). */
bool statestore_uses_fdstore(const struct l2tpd *d);
/* The state memfd (-1 without a store), for handover.c. */
int statestore_fd(const struct l2tpd *d);
/* Unmap and close our copy (the service manager keeps its own). */
void statestore_close(struct l2tpd *d);

/* The mapped file, for restore.c: *len bytes. NULL when there is no store. */
const uint8_t *statestore_data(const struct l2tpd *d, size_t *len);
/* A slot a restored object keeps (index from l2st_parse). 0 or -errno. */
int statestore_slot_take(struct l2tpd *d, size_t slot);
/* Every slot not taken is cleared (after a restore). */
void statestore_free_untaken(struct l2tpd *d);

/* The tunnel's record is (re)written when it is established and whenever its reliable
 * layer changed; its socket is stored the first time. No-op for LAC tunnels, tunnels not
 * established, or without a store. */
void statestore_tunnel_sync(struct tunnel *t);
/* The tunnel ends: record cleared, socket removed from the store. */
void statestore_tunnel_gone(struct tunnel *t);
/* The session's record (negotiating from ICCN on, established once IPCP opened: then its
 * three descriptors are stored). */
void statestore_session_sync(struct session *s);
void statestore_session_gone(struct session *s);

/* Names of the stored descriptors (buf of STATESTORE_NAME_MAX). */
void statestore_tunnel_name(char *buf, uint16_t tid);
/* part: "sock", "chan" or "unit". */
void statestore_session_name(char *buf, uint16_t tid, uint16_t sid, const char *part);

#endif
