/*
 * IPsec SAs negotiated by Quick Mode: traffic selectors from and to ID payloads and
 * the connection, RESPONDER-LIFETIME, KEYMAT and installation into the kernel, rekey
 * and expiry timers, and removal.
 */
#ifndef L2SEC_IKD_IKEV1_CHILD_H
#define L2SEC_IKD_IKEV1_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "ikd/ikev1.h"

/* IDci/IDcr payload for a selector; buf (32 bytes) holds the ID data. */
void ikev1_ts_to_id(const struct ipsec_ts *ts, struct isakmp_id *id, uint8_t *buf);
/* Responder: selectors from the peer's IDci/IDcr (or the addresses), checked against
 * the connection. */
int ikev1_child_take_ids(struct ikev1_in *in, struct ipsec_sa *c);
/* Initiator: our selectors from the connection. */
void ikev1_child_our_ts(const struct ike_sa *sa, struct ipsec_sa *c);
/* The chosen encapsulation mode must be the connection's (transport/tunnel). */
int ikev1_child_check_mode(struct ikev1_in *in, struct ipsec_sa *c);
int ikev1_child_put_responder_lifetime(struct ikev1_out *o, const struct ipsec_sa *c,
				       uint32_t peer_spi);
void ikev1_child_take_responder_lifetime(struct ikev1_in *in, struct ipsec_sa *c);
/*
 * Responder, before sending message 2: reqid and mark, KEYMAT, and the inbound SA into the
 * kernel (RFC 2409 practice: the initiator installs on message 2 and may send on it at
 * once). qm->child stays with the exchange; abandoning or freeing the exchange deletes
 * that SA (kernel_remove_child of a pair not installed).
 */
int ikev1_child_install_inbound(struct ike_sa *sa, struct ikev1_qm *qm, struct ikev1_in *in);
/*
 * KEYMAT, kernel, link into sa->children, timers, log, event; the pairs it replaces
 * expire after a grace period. Initiator (message 2): both SAs and the policies; but when
 * an older pair of ours carries the same traffic (a rekey), the inbound SA only: the
 * responder may install only on message 3 (strongSwan does), so the old outbound SA carries
 * on until ESP arrives on the new inbound SA or 1.5 s passed, then the new outbound SA
 * (c->out_pending until then; deleting the older pair ends the wait at once). Responder
 * (message 3, state QM_R1): what ikev1_child_install_inbound left, the outbound SA and the
 * policies. qm->child is taken on success.
 */
int ikev1_child_install(struct ike_sa *sa, struct ikev1_qm *qm, struct ikev1_in *in);
/* Rekey (initiator) and expiry timers of an installed pair, due from its installation
 * time (superseded: expiry after the grace period). */
void ikev1_child_start_timers(struct ike_sa *sa, struct ipsec_sa *c);
/* Take c out of the kernel and the SA (policies too when no other pair shares them),
 * report IPSEC_DOWN unless superseded, free it. */
void ikev1_child_delete(struct ike_sa *sa, struct ipsec_sa *c, const char *reason);
/* sa's peer moved (NAT rebinding) from old_peer/old_local: re-install its pairs with the
 * new addresses and encapsulation ports. */
void ikev1_child_rebind(struct ike_sa *sa, const union ikd_sockaddr *old_peer,
			const union ikd_sockaddr *old_local);
/* Move the IPsec SAs of old to sa (Phase 1 rekey / replacement). */
void ikev1_child_adopt_all(struct ike_sa *sa, struct ike_sa *old);

#endif
