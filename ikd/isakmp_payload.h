/*
 * IKEv1 payload bodies: one validate/parse pair per payload type, on the bounded reader,
 * and one builder per type on the message builder (isakmp.h).
 *
 * Parsers take a struct isakmp_payload (from isakmp_parse_payloads) and fill a struct
 * whose pointers borrow the message buffer. isakmp_payload_validate() runs the same
 * checks without output, and isakmp_parse_payloads() runs it on every payload, so a
 * later parse of a validated payload cannot fail for layout reasons.
 *
 * SA payloads are bounded: at most ISAKMP_MAX_PROPOSALS proposals, ISAKMP_MAX_TRANSFORMS
 * transforms and ISAKMP_MAX_ATTRS attributes per SA payload (real clients send at most
 * 14 transforms of ~7 attributes: macOS); more is refused, never truncated.
 */
#ifndef L2SEC_IKD_ISAKMP_PAYLOAD_H
#define L2SEC_IKD_ISAKMP_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikd/isakmp.h"

/* ---- SA, proposals, transforms, data attributes (RFC 2408 3.4-3.6, 3.3) ---- */

#define ISAKMP_MAX_PROPOSALS 16
#define ISAKMP_MAX_TRANSFORMS 64
#define ISAKMP_MAX_ATTRS 256
#define ISAKMP_MAX_SPI 16
#define ISAKMP_ATTR_AF 0x8000           /* attribute format bit: TV (short) form */

struct isakmp_attr {
	uint16_t type;          /* without the AF bit */
	bool tv;                /* short form: value is 16 bits */
	uint16_t len;           /* TLV value length (0 for TV) */
	uint64_t value;         /* TV value, or the TLV value if len <= 8 (else 0) */
	const uint8_t *data;    /* TLV value bytes (borrowed); NULL for TV or when built
				   from value (then written in len bytes big-endian) */
};

struct isakmp_transform {
	uint8_t num;
	uint8_t id;             /* KEY_IKE = 1 in Phase 1; ESP transform id in Phase 2 */
	uint16_t first_attr;    /* index into isakmp_sa.attr */
	uint16_t nattrs;
};

struct isakmp_proposal {
	uint8_t num;
	uint8_t protocol;       /* enum isakmp_proto */
	uint8_t spi_size;
	uint8_t spi[ISAKMP_MAX_SPI];
	uint16_t first_transform;       /* index into isakmp_sa.trans */
	uint16_t ntransforms;
};

struct isakmp_sa {
	uint32_t doi;
	uint32_t situation;
	uint16_t nprop, ntrans, nattr;
	struct isakmp_proposal prop[ISAKMP_MAX_PROPOSALS];
	struct isakmp_transform trans[ISAKMP_MAX_TRANSFORMS];
	struct isakmp_attr attr[ISAKMP_MAX_ATTRS];
};

/*
 * Parse an SA payload: DOI must be IPsec (DOI-NOT-SUPPORTED), situation
 * SIT_IDENTITY_ONLY (SITUATION-NOT-SUPPORTED); proposal/transform chains with correct
 * next-payload values, declared counts that match, proposal numbers non-decreasing;
 * every attribute within its transform. sa may be NULL (validate only).
 */
int isakmp_sa_parse(const struct isakmp_payload *p, struct isakmp_sa *sa,
		    struct isakmp_err *err);
/* The first attribute of type in transform t, or NULL. */
const struct isakmp_attr *isakmp_attr_find(const struct isakmp_sa *sa,
					   const struct isakmp_transform *t, uint16_t type);

/* Building an SA: reset, then add proposals, transforms and attributes in order. */
void isakmp_sa_init(struct isakmp_sa *sa);
struct isakmp_proposal *isakmp_sa_add_proposal(struct isakmp_sa *sa, uint8_t num,
					       uint8_t protocol, const uint8_t *spi,
					       uint8_t spi_size);
struct isakmp_transform *isakmp_sa_add_transform(struct isakmp_sa *sa, uint8_t num,
						 uint8_t id);
/* A TV attribute when tv (value < 65536), else a TLV of len bytes holding value. */
int isakmp_sa_add_attr(struct isakmp_sa *sa, uint16_t type, bool tv, uint64_t value,
		       uint16_t len);
/* Copy transform t (and its attributes) of src as the last transform of dst. */
int isakmp_sa_copy_transform(struct isakmp_sa *dst, const struct isakmp_sa *src,
			     const struct isakmp_transform *t);
int isakmp_put_sa(struct isakmp_builder *b, const struct isakmp_sa *sa);

/* ---- ID (RFC 2407 4.6.2) ---- */

enum isakmp_id_type {
	ISAKMP_ID_IPV4_ADDR = 1,
	ISAKMP_ID_FQDN = 2,
	ISAKMP_ID_USER_FQDN = 3,
	ISAKMP_ID_IPV4_ADDR_SUBNET = 4,
	ISAKMP_ID_IPV6_ADDR = 5,
	ISAKMP_ID_IPV6_ADDR_SUBNET = 6,
	ISAKMP_ID_IPV4_ADDR_RANGE = 7,
	ISAKMP_ID_IPV6_ADDR_RANGE = 8,
	ISAKMP_ID_DER_ASN1_DN = 9,
	ISAKMP_ID_DER_ASN1_GN = 10,
	ISAKMP_ID_KEY_ID = 11,
};

#define ISAKMP_ID_DATA_MAX 1024

struct isakmp_id {
	uint8_t type;
	uint8_t proto;          /* IP protocol, 0 = any */
	uint16_t port;          /* 0 = any */
	const uint8_t *data;    /* borrowed */
	uint16_t len;
};

/*
 * Lengths per type: addresses 4/16, subnets and ranges 8/32, names 1..255 bytes without
 * NUL, DN/GN/KEY_ID 1..ISAKMP_ID_DATA_MAX. A subnet's mask must be contiguous and a
 * range's start <= end. Else INVALID-ID-INFORMATION.
 */
int isakmp_id_parse(const struct isakmp_payload *p, struct isakmp_id *id,
		    struct isakmp_err *err);
int isakmp_put_id(struct isakmp_builder *b, const struct isakmp_id *id);
/*
 * For logs: "192.0.2.1", "192.0.2.0/24", "192.0.2.1-192.0.2.9", "fqdn:vpn.example",
 * "user:alice@example", "dn:<hex>", "keyid:<hex>", then "[udp/1701]" when proto/port
 * are set. Non-printable name bytes become '?'. Always NUL-terminated.
 */
const char *isakmp_id_format(const struct isakmp_id *id, char *buf, size_t size);
/* Subnet prefix length from an ID_*_SUBNET mask, -1 if not contiguous. */
int isakmp_id_prefix_len(const struct isakmp_id *id);

/* ---- CERT / CR (RFC 2408 3.9, 3.10) ---- */

#define ISAKMP_CERT_X509_SIG 4
#define ISAKMP_CERT_CRL 7

struct isakmp_cert {
	uint8_t encoding;
	const uint8_t *data;
	uint16_t len;
};
/* CERT needs data; CR may have none (any CA). */
int isakmp_cert_parse(const struct isakmp_payload *p, struct isakmp_cert *c,
		      struct isakmp_err *err);
int isakmp_cr_parse(const struct isakmp_payload *p, struct isakmp_cert *c,
		    struct isakmp_err *err);
int isakmp_put_cert(struct isakmp_builder *b, uint8_t type, const struct isakmp_cert *c);

/* ---- N (RFC 2408 3.14) and D (3.15) ---- */

struct isakmp_notify_pl {
	uint32_t doi;
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	const uint8_t *data;
	uint16_t data_len;
};
int isakmp_notify_parse(const struct isakmp_payload *p, struct isakmp_notify_pl *n,
			struct isakmp_err *err);
int isakmp_put_notify(struct isakmp_builder *b, const struct isakmp_notify_pl *n);

struct isakmp_delete_pl {
	uint32_t doi;
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t nspis;
	const uint8_t *spis;    /* nspis * spi_size bytes */
};
/* spi_size must be 16 for ISAKMP (two cookies), 4 for AH/ESP, 2 for IPCOMP. */
int isakmp_delete_parse(const struct isakmp_payload *p, struct isakmp_delete_pl *d,
			struct isakmp_err *err);
int isakmp_put_delete(struct isakmp_builder *b, const struct isakmp_delete_pl *d);

/* ---- NAT-OA (RFC 3947 section 5.2) ---- */

struct isakmp_natoa {
	uint8_t id_type;        /* ISAKMP_ID_IPV4_ADDR or ISAKMP_ID_IPV6_ADDR */
	uint8_t addr[16];
	uint8_t addr_len;
};
int isakmp_natoa_parse(const struct isakmp_payload *p, struct isakmp_natoa *oa,
		       struct isakmp_err *err);
/* draft: use payload number 131 instead of 21 (peer spoke draft-02/03). */
int isakmp_put_natoa(struct isakmp_builder *b, bool draft, const struct isakmp_natoa *oa);

/* ---- Fragment (IKEv1 fragmentation, Cisco format, [MS-IKEE] 2.2.x) ---- */

#define ISAKMP_FRAG_LAST 0x01
struct isakmp_frag {
	uint16_t id;
	uint8_t number;         /* 1-based */
	uint8_t flags;
	const uint8_t *data;
	uint16_t len;
};
int isakmp_frag_parse(const struct isakmp_payload *p, struct isakmp_frag *f,
		      struct isakmp_err *err);

/* ---- opaque payloads: KE, HASH, SIG, NONCE, VID, NAT-D, ATTR ---- */

/*
 * Build a payload whose body is data[0..len): KE, HASH, SIG, NONCE, VID, NAT-D (20 or
 * 130). For a HASH placeholder pass data NULL: len zero bytes are written and
 * *body_off (if not NULL) gets their offset for isakmp_build_ptr().
 */
int isakmp_put_data(struct isakmp_builder *b, uint8_t type, const void *data, size_t len,
		    size_t *body_off);

/* Limits checked on receipt (RFC 2409 section 5: nonces 8..256 bytes). */
#define ISAKMP_NONCE_MIN 8
#define ISAKMP_NONCE_MAX 256

/*
 * Check the body of a payload of any known kind (used by isakmp_parse_payloads):
 * opaque ones for their length limits, structured ones by their parser without
 * output. 0 or -EBADMSG with err filled.
 */
int isakmp_payload_validate(const struct isakmp_payload *p, struct isakmp_err *err);

/* Fill err (reason printf-style) and return -EBADMSG. */
int isakmp_fail(struct isakmp_err *err, uint16_t notify, uint8_t payload, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

#endif
