/*
 * IKEv1 fragmentation (the Cisco scheme Windows uses for large certificate messages,
 * [MS-IKEE]; strongSwan speaks it too): a message too big for one datagram travels as
 * several messages with the same cookies, each carrying one FRAG payload with a slice of
 * the original datagram, as sent (encrypted):
 *
 *   ISAKMP header: cookies, next payload 132 (FRAG), version 1.0, the original's
 *                  exchange type and message id, flags 0, length of this fragment
 *   FRAG payload:  next 0, reserved, payload length (8 + slice), fragment id (16 bits,
 *                  the same in all fragments of one message), fragment number (8 bits,
 *                  from 1), flags (8 bits, 0x01 = LAST), then the slice
 *
 * Receiving: fragments are collected per IKE SA and, once the last one and all before it
 * are in, the original is handed to the engine as if it came whole. Bounded: at most
 * IKEV1_FRAG_MAX fragments and IKE_PACKET_MAX bytes per SA; a new fragment id discards
 * what was collected.
 *
 * Sending: a Phase 1 message larger than ikd.fragment_size (less the non-ESP marker on the
 * NAT-T port) goes out in fragments when the connection allows fragmentation and the peer
 * sent the FRAGMENTATION vendor ID. A retransmission sends every fragment again, with the
 * same fragment id.
 */
#ifndef L2SEC_IKD_IKEV1_FRAG_H
#define L2SEC_IKD_IKEV1_FRAG_H

#include "ikd/daemon.h"
#include "ikd/isakmp.h"

#define IKEV1_FRAG_MAX 16
/* ISAKMP header + FRAG payload header in front of each slice. */
#define IKEV1_FRAG_OVERHEAD (ISAKMP_HDR_LEN + 8)

/* Free what an SA collected. */
void ikev1_frag_free(struct ike_sa *sa);
/*
 * A message whose first payload is FRAG (m: header parsed). Collects it and, when the
 * original is complete, feeds it to ikev1_input. Drops (counted) what does not fit.
 */
void ikev1_frag_input(struct ikd *d, const struct ike_packet *pkt, struct isakmp_msg *m);


/*
 * How many fragments of at most max_len bytes (headers included) a message of len bytes
 * needs: 1 when it fits whole, -EMSGSIZE above IKEV1_FRAG_MAX, -EINVAL when max_len leaves
 * no room for data or len is shorter than an ISAKMP header.
 */
int ikev1_frag_count(size_t len, size_t max_len);
/*
 * Fragment `number` (1-based) of pkt split at max_len, fragment id `id`, into out (cap
 * bytes). Returns 0 and *out_len, or a negative errno (bad number, -ENOSPC).
 */
int ikev1_frag_build(const uint8_t *pkt, size_t len, size_t max_len, uint16_t id,
		     unsigned number, uint8_t *out, size_t cap, size_t *out_len);
/* Send a message of sa, in fragments when it must (see above). Returns the send result. */
int ikev1_send(struct ike_sa *sa, const uint8_t *pkt, size_t len);

#endif
