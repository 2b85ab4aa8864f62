/*
 * Phase 1 steps shared by Main Mode and Aggressive Mode: nonces and Diffie-Hellman,
 * the key schedule, identities and HASH_I/HASH_R, IV bookkeeping, the move to the NAT-T
 * port, and what happens when an ISAKMP SA is established (INITIAL-CONTACT, timers,
 * DPD, the first Quick Mode of an initiator).
 */
#ifndef L2SEC_IKD_IKEV1_P1_H
#define L2SEC_IKD_IKEV1_P1_H

#include <stdbool.h>
#include <stddef.h>

#include "ikd/ikev1.h"

/* Allocate sa->neg and keep the initiator's SA payload body (responder side). */
int ikev1_p1_neg_new(struct ike_sa *sa, const struct isakmp_payload *sai);
/* Keep the body of the SA payload we just put at offset off (initiator side). */
int ikev1_p1_keep_sai(struct ike_sa *sa, struct ikev1_out *o, size_t off);
/* Our DH key pair and nonce (initiator: after the SA is agreed). */
int ikev1_p1_new_dh(struct ikev1_in *in);
/* Read the peer's KE and nonce; responder also makes its DH pair and nonce. */
int ikev1_p1_take_ke_nonce(struct ikev1_in *in, bool initiator);
int ikev1_p1_put_ke_nonce(struct ikev1_out *o, const struct ike_sa *sa);
/* g^xy, SKEYID (PSK looked up for the peer), SKEYID_d/a/e, the Phase 1 IV. */
int ikev1_p1_make_keys(struct ikev1_in *in);
/* Our ID payload and HASH_I / HASH_R. Initiators add INITIAL-CONTACT in Main Mode. */
int ikev1_p1_put_id_auth(struct ikev1_out *o, struct ike_sa *sa);
/* A certificate request (any CA) in message 3/4 when authenticating with signatures. */
int ikev1_p1_put_cr(struct ikev1_out *o, const struct ike_sa *sa);
/* The peer's ID payload m->pl[idx] into sa->peer_id, checked against remote_id. */
int ikev1_p1_take_peer_id(struct ikev1_in *in, int idx);
/* HASH payload against HASH_I/HASH_R over id_b (the peer's ID body). */
int ikev1_p1_check_hash(struct ikev1_in *in, const uint8_t *id_b, size_t id_len);
/* The peer's ID (against the connection's remote_id) and its HASH. */
int ikev1_p1_verify_auth(struct ikev1_in *in);
/* The received message proved authentic: its last cipher block continues the chain. */
void ikev1_p1_adopt_iv(struct ikev1_in *in);
/* Move sa to the NAT-T port (after NAT was detected). */
void ikev1_p1_float(struct ike_sa *sa);
/* Finish, send through sa->xmit (retransmitted when expect_reply). in may be NULL. */
int ikev1_p1_send(struct ikev1_in *in, struct ikev1_out *o, bool expect_reply);
/* The last message of Phase 1: kept for duplicates, never retransmitted on its own. */
int ikev1_p1_send_final(struct ikev1_in *in, struct ikev1_out *o);
/* Lifetime timer of an established SA: initiators rekey before expiry, responders
 * delete at expiry (IPsec SAs move to the newest IKE SA of the peer). */
void ikev1_p1_start_lifetime(struct ike_sa *sa);
/* Phase 1 complete. */
void ikev1_p1_established(struct ike_sa *sa);
/* ID payload body (type, proto, port, data) of identity id into buf. Returns length. */
size_t ikev1_id_body(const struct ikd_id *id, uint8_t *buf, size_t size);
/* The identity sa presents: the connection's local_id, or its address. */
void ikev1_local_id(const struct ike_sa *sa, struct ikd_id *id);

#endif
