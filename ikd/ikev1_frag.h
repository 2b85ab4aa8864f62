/*
 * IKEv1 fragmentation (the Cisco scheme Windows uses for large certificate messages,
 * [MS-IKEE]): a message too big for one datagram travels as several messages with the same
 * cookies, each carrying one FRAG payload (fragment id, number from 1, LAST flag) with a
 * slice of the original datagram. They are collected per IKE SA and, once the last one
 * and all before it are in, the original is handed to the engine as if it came whole.
 *
 * Bounded: at most IKEV1_FRAG_MAX fragments and IKE_PACKET_MAX bytes per SA; a new fragment
 * id discards what was collected. Receiving only: ikd's own messages fit one datagram.
 */
#ifndef L2SEC_IKD_IKEV1_FRAG_H
#define L2SEC_IKD_IKEV1_FRAG_H

#include "ikd/daemon.h"
#include "ikd/isakmp.h"

#define IKEV1_FRAG_MAX 16

/* Free what an SA collected. */
void ikev1_frag_free(struct ike_sa *sa);
/*
 * A message whose first payload is FRAG (m: header parsed). Collects it and, when the
 * original is complete, feeds it to ikev1_input. Drops (counted) what does not fit.
 */
void ikev1_frag_input(struct ikd *d, const struct ike_packet *pkt, struct isakmp_msg *m);

#endif
