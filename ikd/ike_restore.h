/*
 * ikd's SAs across a restart or a crash (issues 4 and 6): every established ISAKMP SA and
 * installed IPsec SA pair has a record in a state store (common/state_store.h, records in
 * ike_persist.h), rewritten whenever the SA changes; a starting ikd rebuilds its SAs from
 * it, checks them against the kernel and carries on (DPD, rekeys, expiry, l2tpd's resync).
 *
 * Where the state lives:
 *   - under systemd: a memfd (mode 0600, sealed against shrinking and further seals)
 *     handed to the service manager's file-descriptor store as "ikd-state"; the next
 *     instance gets it back through $LISTEN_FDS. It lives as long as the unit is
 *     running or restarting (systemctl restart, Restart=on-failure after kill -9), and
 *     is dropped with `systemctl stop`.
 *   - otherwise (or when $FDSTORE says the unit has no store): the file "ikd.state"
 *     (0600) next to the control socket, in the run directory (a tmpfs: gone at reboot).
 * Key material (SKEYID_d/_a/_e, the Phase 1 cipher key, KEYMAT of pairs behind NAT) is
 * in there, as it is in the kernel: the file is root's and 0600, the memfd reachable only
 * through ikd and the service manager. Nothing of it is logged; buffers are wiped.
 *
 * Reconciliation at start:
 *   - a saved pair whose inbound or outbound SA is no longer in the kernel (expired,
 *     flushed, deleted by hand) is dropped;
 *   - a saved ISAKMP SA whose connection left ikd.conf is dropped (its pairs stay in the
 *     kernel until they expire, unmanaged, as below);
 *   - a kernel SA in the l2sec reqid band that no record describes is left alone and
 *     reported (ipsec_sa_unmanaged): see docs/ikd.md for why it is neither deleted nor
 *     adopted.
 */
#ifndef L2SEC_IKD_IKE_RESTORE_H
#define L2SEC_IKD_IKE_RESTORE_H

#include <stdint.h>

#include "ikd/daemon.h"
#include "common/state_store.h"

/* What a restore found (for logs and tests). */
struct ike_restore_stats {
	unsigned ike_sas, ipsec_sas;            /* restored */
	unsigned dropped_missing;               /* pairs no longer in the kernel */
	unsigned dropped_invalid;               /* records that did not decode or fit */
	unsigned unmanaged;                     /* kernel SAs of ours without a record */
};

/*
 * Open d's state store (d->state_fd when systemd handed one back, else a new memfd in
 * the fd store, else the file next to the control socket), restore the SAs it holds
 * into d->sas, reconcile with the kernel and arm their timers. Call after the kernel
 * handle is open and before the control socket, so l2tpd's first resync sees them.
 * A store that cannot be opened is logged and ikd runs without one. Returns 0.
 */
int ike_restore_start(struct ikd *d, struct ike_restore_stats *stats);
/*
 * Restore from fd (a store file or memfd, taken over) without choosing a source:
 * for tests and ike_restore_start.
 */
int ike_restore_from_fd(struct ikd *d, int fd, bool fresh, struct ike_restore_stats *stats);
/* Close the store (its contents stay for the next instance). */
void ike_restore_stop(struct ikd *d);

/* Hooks of the engine (no-ops without a store): */
/* sa (established) or one of its pairs changed: rewrite its record and its pairs'. */
void ike_persist_save(struct ike_sa *sa);
/* sa is being deleted: wipe its record and those of the pairs it still holds. */
void ike_persist_forget(struct ike_sa *sa);
/* Pair c is being deleted. */
void ike_persist_forget_child(struct ipsec_sa *c);

#endif
