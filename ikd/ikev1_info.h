/*
 * Informational exchanges (RFC 2408 section 4.8, RFC 2409 section 5.7): Delete,
 * notifications, INITIAL-CONTACT, DPD (RFC 3706).
 */
#ifndef L2SEC_IKD_IKEV1_INFO_H
#define L2SEC_IKD_IKEV1_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ikev1_in;
struct ike_sa;

int ikev1_info_protected(struct ikev1_in *in);
int ikev1_info_plain(struct ikev1_in *in);

/* Send a protected notify (HASH(1), N) under established sa. data may be NULL. */
int ikev1_send_notify(struct ike_sa *sa, uint16_t type, uint8_t protocol, const uint8_t *spi,
		      size_t spi_len, const uint8_t *data, size_t data_len);
/* Send a notify in clear (Phase 1 not up: NO-PROPOSAL-CHOSEN, ...). */
int ikev1_send_plain_notify(struct ike_sa *sa, uint16_t type);
/* Protected Delete of an ISAKMP SA (the cookies) or of ESP SPIs (ours, inbound). */
int ikev1_send_delete_ike(struct ike_sa *sa);
int ikev1_send_delete_esp(struct ike_sa *sa, const uint32_t *spis, size_t n);

#endif
