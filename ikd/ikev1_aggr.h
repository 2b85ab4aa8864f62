/*
 * Aggressive Mode with pre-shared keys (RFC 2409 section 5.4). Refused unless a
 * connection sets exchange = "aggressive": its HASH_R travels in clear before the
 * initiator proves anything, so anyone can capture it and crack the PSK offline. The
 * daemon says so in the log whenever such a connection is loaded or used.
 */
#ifndef L2SEC_IKD_IKEV1_AGGR_H
#define L2SEC_IKD_IKEV1_AGGR_H

struct ikev1_in;
struct ike_sa;
struct isakmp_sa;

int ikev1_aggr_r0(struct ikev1_in *in);
int ikev1_aggr_r1(struct ikev1_in *in);
int ikev1_aggr_i1(struct ikev1_in *in);
/* Send message 1 for sa (conn set) with offer as scratch; state becomes AM_I1. */
int ikev1_aggr_initiate(struct ike_sa *sa, struct isakmp_sa *offer);

#endif
