/*
 * SA payloads of the IKEv1 engine: our offers, choosing from the peer's offer (with a
 * reason in words when nothing fits), and reading the peer's choice. Phase 1 (ISAKMP
 * transforms) and Phase 2 (ESP transforms with lifetimes, encapsulation mode, PFS).
 *
 * The algorithm lists come from the connection's `ike` / `esp` strings through the
 * proposal module; this file only maps between them and the engine's parameter structs.
 */
#ifndef L2SEC_IKD_IKEV1_SA_H
#define L2SEC_IKD_IKEV1_SA_H

#include <stddef.h>
#include <stdint.h>

#include "ikd/ike_sa.h"
#include "ikd/ikd_conf.h"
#include "ikd/isakmp_payload.h"

int ikev1_p1_offer(const struct ikd_conn *c, struct isakmp_sa *out);
/* 0 and reply/out, or -ENOENT with why ("peer offered ...; we accept ...; first
 * difference: ..."). */
int ikev1_p1_select(const struct ikd_conn *c, const struct isakmp_sa *peer,
		    struct isakmp_sa *reply, struct ike_p1_params *out, char *why, size_t size);
int ikev1_p1_accept(const struct ikd_conn *c, const struct isakmp_sa *reply,
		    struct ike_p1_params *out, char *why, size_t size);

/* Phase 2: spi is ours (inbound, host order); encap_mode from natt_encap_mode(). */
int ikev1_p2_offer(const struct ikd_conn *c, uint32_t spi, uint16_t encap_mode,
		   struct isakmp_sa *out);
int ikev1_p2_select(const struct ikd_conn *c, const struct isakmp_sa *peer, uint32_t our_spi,
		    struct isakmp_sa *reply, struct ipsec_params *out, uint32_t *peer_spi,
		    char *why, size_t size);
int ikev1_p2_accept(const struct ikd_conn *c, const struct isakmp_sa *reply,
		    struct ipsec_params *out, uint32_t *peer_spi, char *why, size_t size);

#endif
