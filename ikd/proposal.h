/*
 * IKEv1 proposals: our configured lists (parsed from strings such as
 * "aes256-sha1-modp2048, aes128-sha256-ecp256" or a profile name), the default
 * responder profiles, and the choice among a peer's SA payload, with a precise account
 * of why nothing matched.
 *
 * Profiles (docs/ikev1.md says what each accepts and why):
 *   "modern"          AES-128/256 x SHA2-256/384/512 x MODP-2048..4096, ECP-256/384,
 *                     Curve25519 (Phase 1); AES-128/256 x SHA2 (Phase 2).
 *   "legacy-clients"  modern, then what Windows 10/11, macOS/iOS and Android send for
 *                     L2TP/IPsec: SHA-1, 3DES, MODP-1024/1536. Choosing one of these sets
 *                     choice.weak (log it, count it).
 * DES, MD5 and MODP-768 are refused everywhere, in configuration and on the wire.
 *
 * Selection is by OUR order: for each of our proposals, the first peer transform that
 * matches it wins. So the server's policy, not the client, decides the strongest
 * common suite (clients list many, strongest rarely first: Android begins with MODP-1024).
 */
#ifndef L2SEC_IKD_PROPOSAL_H
#define L2SEC_IKD_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikd/ike_crypto.h"
#include "ikd/isakmp_payload.h"

#define IKE_PROP_MAX 96
#define IKE_WHY_MAX 512

/* ---- Phase 1 ---- */

struct ike_p1_prop {
	uint16_t enc;           /* IKE_ENC_AES or IKE_ENC_3DES */
	uint16_t keylen;        /* bits; 0 for 3DES */
	uint16_t hash;          /* IKE hash id: 2, 4, 5, 6 */
	uint16_t group;         /* DH group */
};

struct ike_p1_list {
	size_t n;
	struct ike_p1_prop p[IKE_PROP_MAX];
};

/* ---- Phase 2 (ESP) ---- */

struct ike_p2_prop {
	uint16_t esp_id;        /* ESP_ID_AES_CBC or ESP_ID_3DES (uint16_t: no padding, so memcmp works) */
	uint16_t keylen;        /* bits; 0 for 3DES */
	uint16_t auth;          /* IPsec auth algorithm: 2, 5, 6, 7 */
	uint16_t trunc_bits;    /* ICV bits to install: 96 (sha1, sha256_96), 128, 192, 256 */
	uint16_t pfs_group;     /* 0: none required (a peer's PFS group is accepted if the
				   list allows the group); else the peer must offer it */
};

struct ike_p2_list {
	size_t n;
	struct ike_p2_prop p[IKE_PROP_MAX];
	bool legacy;            /* PFS with MODP-1024/1536 acceptable */
};

/*
 * Parse a comma- or space-separated list of proposals and profile names into *out
 * (appending profiles' entries, duplicates dropped). Phase 1 items are
 * ENC-HASH-GROUP ("aes256-sha1-modp2048", "3des-sha1-modp1024"; "aes" = aes128);
 * Phase 2 items are ENC-AUTH[-GROUP] ("aes128-sha256", "aes256-sha256_96",
 * "aes256-sha1-modp2048" = PFS required). "" means the "modern" profile.
 * Returns 0, or -EINVAL with err naming the token ("'des-md5-modp768': des is never
 * accepted").
 */
int ike_p1_list_parse(const char *s, struct ike_p1_list *out, char *err, size_t err_len);
int ike_p2_list_parse(const char *s, struct ike_p2_list *out, char *err, size_t err_len);

/* "aes256-sha1-modp2048" / "aes128-sha256_96[-modp2048]" into buf. Returns buf. */
const char *ike_p1_prop_str(const struct ike_p1_prop *p, char *buf, size_t size);
const char *ike_p2_prop_str(const struct ike_p2_prop *p, char *buf, size_t size);

/* The legacy parts: MODP-1024/1536, 3DES, SHA-1. */
bool ike_p1_prop_weak(const struct ike_p1_prop *p);
bool ike_p2_prop_weak(const struct ike_p2_prop *p);

/* ---- lifetimes ---- */

struct ike_lifetime {
	uint32_t seconds;       /* 0 = not given */
	uint64_t kilobytes;     /* 0 = not given */
};

/*
 * Accept the peer's lifetime up to max (a 0 field in max = no limit). *eff gets what we
 * will use (the peer's, or max where the peer's is longer or absent; absent seconds
 * default to dflt_seconds). Returns true when ours is shorter than what the peer asked:
 * the daemon tells it (RESPONDER-LIFETIME in Quick Mode).
 */
bool ike_lifetime_clamp(const struct ike_lifetime *peer, const struct ike_lifetime *max,
			uint32_t dflt_seconds, struct ike_lifetime *eff);
/*
 * The SA attributes of a RESPONDER-LIFETIME notify (RFC 2407 4.6.3.1): life type
 * seconds + duration, and kilobytes + duration when set. ipsec: IPsec DOI attribute
 * numbers (1/2), else Phase 1 numbers (11/12). Durations below 65536 are TV, others a
 * 4-byte TLV (8 bytes for kilobytes >= 2^32). Returns bytes written or -ENOSPC.
 */
int ike_lifetime_attrs(const struct ike_lifetime *lt, bool ipsec, uint8_t *buf, size_t cap);

/* ---- selection ---- */

/* One peer transform, decoded. */
struct ike_p1_offer {
	uint16_t prop_idx, trans_idx;   /* into the parsed isakmp_sa */
	struct ike_p1_prop prop;
	uint16_t auth;
	uint16_t prf;                   /* 0 = not given (HMAC of hash) */
	struct ike_lifetime life;
	const char *unsupported;        /* why this transform cannot be used at all, or NULL */
};

struct ike_p1_policy {
	const struct ike_p1_list *ours;
	const uint16_t *auth;           /* acceptable auth methods */
	size_t nauth;
	struct ike_lifetime max_life;   /* 0 fields = no limit */
};

struct ike_p1_choice {
	struct ike_p1_offer offer;      /* the peer transform chosen; echo it in the reply */
	struct ikev1_suite suite;       /* for ikev1_derive_keys() */
	bool weak;                      /* a legacy algorithm was chosen */
	struct ike_lifetime life;       /* effective */
	bool life_reduced;
};

/*
 * Choose among the peer's Phase 1 SA (protocol ISAKMP, transform KEY_IKE). Returns 0
 * with *out filled; -ENOENT when nothing matches, why saying what the peer offered,
 * what we have and the closest pair's first difference; -EBADMSG when the SA is not a
 * Phase 1 SA (why says so).
 */
int ike_p1_select(const struct isakmp_sa *peer, const struct ike_p1_policy *pol,
		  struct ike_p1_choice *out, char *why, size_t why_len);
/* Decode one transform of a Phase 1 SA (for logs and tests). */
void ike_p1_decode(const struct isakmp_sa *sa, uint16_t prop_idx, uint16_t trans_idx,
		   struct ike_p1_offer *o);

struct ike_p2_offer {
	uint16_t prop_idx, trans_idx;
	uint8_t spi[4];                 /* the peer's inbound SPI */
	struct ike_p2_prop prop;        /* trunc_bits as the RFC default for auth */
	uint16_t encap;                 /* as offered (0 = not given: tunnel) */
	struct ike_lifetime life;
	const char *unsupported;
};

struct ike_p2_policy {
	const struct ike_p2_list *ours;
	bool transport;                 /* we want transport mode (L2TP) */
	bool nat_detected;              /* UDP-encapsulated modes acceptable */
	struct ike_lifetime max_life;
};

struct ike_p2_choice {
	struct ike_p2_offer offer;      /* echo offer.encap in the reply */
	uint16_t trunc_bits;            /* ICV length to install (sha256_96 -> 96) */
	bool weak;
	struct ike_lifetime life;
	bool life_reduced;
};

/*
 * Choose among the peer's Quick Mode SA (ESP proposals; proposals sharing a number are
 * AND-bundles, e.g. ESP+IPCOMP, and are skipped). Same returns as ike_p1_select.
 */
int ike_p2_select(const struct isakmp_sa *peer, const struct ike_p2_policy *pol,
		  struct ike_p2_choice *out, char *why, size_t why_len);
void ike_p2_decode(const struct isakmp_sa *sa, uint16_t prop_idx, uint16_t trans_idx,
		   struct ike_p2_offer *o);

#endif
