/*
 * NAT traversal for IKEv1 (RFC 3947, draft-ietf-ipsec-nat-t-ike-02/03): vendor IDs,
 * NAT-D payloads and detection, the encapsulation modes of each variant, keepalives.
 */
#ifndef L2SEC_IKD_NATT_H
#define L2SEC_IKD_NATT_H

#include <stdbool.h>
#include <stdint.h>

#include "ikd/ike_sa.h"
#include "ikd/ike_socket.h"
#include "ikd/isakmp.h"

/* Read the peer's vendor IDs: NAT-T variant (the newest it speaks), DPD, fragmentation. */
void natt_read_vids(struct ike_sa *sa, const struct isakmp_msg *m);
/* Our vendor IDs: initiator all NAT-T variants; responder the one chosen. DPD always,
 * fragmentation when the connection allows it. */
int natt_put_vids(struct isakmp_builder *b, const struct ike_sa *sa);
/* The two NAT-D payloads: hash of the peer's (address, port) first, then ours. */
int natt_put_natd(struct isakmp_builder *b, const struct ike_sa *sa);
/*
 * Compare the peer's NAT-D payloads with what we see (pkt: the message carrying them):
 * sets IKE_NAT_LOCAL / IKE_NAT_PEER in sa->nat and logs a detection. No NAT-D at all:
 * no change. Returns 0, or -EBADMSG when only one NAT-D came.
 */
int natt_check_natd(struct ike_sa *sa, const struct isakmp_msg *m, const struct ike_packet *pkt);
/* IKEv1 encapsulation mode attribute for sa: plain (1 tunnel / 2 transport) or UDP. */
uint16_t natt_encap_mode(const struct ike_sa *sa, bool tunnel);
/* Is mode a known encapsulation mode; *tunnel and *udp describe it. */
bool natt_encap_mode_parse(uint16_t mode, bool *tunnel, bool *udp);
/* Payload number for NAT-D / NAT-OA as the peer's variant expects. */
uint8_t natt_natd_type(const struct ike_sa *sa);
bool natt_draft(const struct ike_sa *sa);
/* "rfc3947", "draft-02", "none" */
const char *natt_method_name(uint8_t method);

#endif
