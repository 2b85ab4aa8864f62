/*
 * Dead Peer Detection (RFC 3706) and NAT-T keepalives for established ISAKMP SAs.
 *
 * Every dpd_delay seconds an SA is checked: if anything arrived from the peer since the
 * last check (IKE messages, or ESP bytes counted by the kernel on its inbound SAs) the
 * peer is alive and nothing is sent. Otherwise an R-U-THERE goes out with the next
 * sequence number; an SA without an R-U-THERE-ACK for dpd_timeout seconds is dead: its
 * IPsec SAs are removed from the kernel and the SA deleted. Any authentic message or ESP
 * from the peer after a probe counts as its ACK. Answers to the peer's R-U-THERE are sent
 * whatever our own settings.
 *
 * No R-U-THERE goes out while a Quick Mode of the SA is in flight (an Informational in
 * the middle of one can make the peer lose that exchange's IV: strongSwan keeps three);
 * the probe waits until the exchange completes or is abandoned, at most as long as the
 * exchange's own retransmissions could last.
 */
#ifndef L2SEC_IKD_DPD_H
#define L2SEC_IKD_DPD_H

#include "ikd/ike_sa.h"
#include "ikd/isakmp_payload.h"

/* Arm the DPD timer (if the connection and the peer use DPD) and keepalives (if we are
 * behind NAT). */
void dpd_start(struct ike_sa *sa);
/* An R-U-THERE or R-U-THERE-ACK arrived (protected, HASH verified). */
void dpd_on_notify(struct ike_sa *sa, const struct isakmp_notify_pl *n);
/* What the timer does (exposed for tests). */
void dpd_check(struct ike_sa *sa);
/* A Quick Mode of sa completed, was abandoned or gave up waiting: send the R-U-THERE that
 * waited for it, if the peer is still idle. Never deletes sa (called inside handlers). */
void dpd_quick_mode_ended(struct ike_sa *sa);

#endif
