/*
 * Quick Mode (RFC 2409 section 5.5): IPsec SA negotiation under an established
 * Phase 1 SA, transport mode (L2TP: UDP/1701) and tunnel mode, optional PFS, NAT-OA.
 */
#ifndef L2SEC_IKD_IKEV1_QUICK_H
#define L2SEC_IKD_IKEV1_QUICK_H

struct ikev1_in;
struct ike_sa;
struct ipsec_sa;

int ikev1_quick_r0(struct ikev1_in *in);
int ikev1_quick_r1(struct ikev1_in *in);
int ikev1_quick_i1(struct ikev1_in *in);

/* Start a Quick Mode on sa for its connection; rekey_of: the pair it replaces or NULL. */
int ikev1_quick_initiate(struct ike_sa *sa, struct ipsec_sa *rekey_of);

#endif
