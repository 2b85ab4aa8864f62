/*
 * Main Mode (RFC 2409 section 5), both roles, pre-shared keys and signatures.
 */
#ifndef L2SEC_IKD_IKEV1_MAIN_H
#define L2SEC_IKD_IKEV1_MAIN_H

#include "ikd/ikd_conf.h"
#include "ikd/ikd_id.h"

struct ikev1_in;
struct ikd;
struct ike_sa;

int ikev1_main_r0(struct ikev1_in *in);
int ikev1_main_r1(struct ikev1_in *in);
int ikev1_main_r2(struct ikev1_in *in);
int ikev1_main_i1(struct ikev1_in *in);
int ikev1_main_i2(struct ikev1_in *in);
int ikev1_main_i3(struct ikev1_in *in);

/*
 * Start Main Mode (or Aggressive Mode when the connection says so) with peer for conn.
 * Returns 0 and *out (the half-open SA, owned by the table) or -errno.
 */
int ikev1_main_initiate(struct ikd *d, const struct ikd_conn *conn,
			const union ikd_sockaddr *peer, struct ike_sa **out);

#endif
