/*
 * Diffie-Hellman for IKE: MODP groups 2, 5, 14, 15, 16 (RFC 2409 section 6.2, RFC 3526),
 * ECP groups 19 and 20 (RFC 5903) and Curve25519 (group 31, RFC 8031).
 *
 * Wire encodings (what goes into a KE payload and what comes out as g^xy):
 * - MODP: big-endian, left-padded with zeros to the prime's length (RFC 2409 section 5:
 *   "MUST be the length of the negotiated Diffie-Hellman group"); g^xy likewise.
 * - ECP: x | y, each coordinate padded to the field size, no 0x04 prefix (RFC 5903
 *   section 7); g^xy is the x coordinate alone.
 * - Curve25519: the 32-byte u coordinate (RFC 7748); g^xy the 32-byte result.
 *
 * The peer's public value is checked before use: exact length; MODP 1 < y < p-1; ECP
 * point on the curve and not at infinity; X25519 result not all-zero. Group 1 (MODP-768)
 * and unknown groups are refused (-ENOTSUP).
 *
 * Ownership: ike_dh_new*() return a heap object the caller frees with ike_dh_free(),
 * which wipes the private value. Shared secrets are written to the caller's buffer;
 * the caller wipes it.
 */
#ifndef L2SEC_IKD_IKE_DH_H
#define L2SEC_IKD_IKE_DH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA "Diffie-Hellman Group" numbers (IKEv1 group description attribute). */
enum ike_dh_group {
	IKE_DH_MODP768 = 1,     /* never allowed */
	IKE_DH_MODP1024 = 2,
	IKE_DH_MODP1536 = 5,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_CURVE25519 = 31,
};

#define IKE_DH_PUB_MAX 512      /* MODP-4096 */
#define IKE_DH_SECRET_MAX 512

struct ike_dh;

/* True for the groups implemented here (never group 1). */
bool ike_dh_supported(unsigned group);
/* Length of the public value in a KE payload (0 if unsupported). */
size_t ike_dh_pub_len(unsigned group);
/* Length of the shared secret g^xy (0 if unsupported). */
size_t ike_dh_secret_len(unsigned group);
/* "modp2048", "ecp256", "curve25519"...; "modp768" for group 1; NULL if unknown. */
const char *ike_dh_name(unsigned group);

/*
 * A fresh key pair for group. Returns 0 and *out (free with ike_dh_free), -ENOTSUP for
 * an unsupported group, -ENOMEM / -EIO on failure.
 */
int ike_dh_new(unsigned group, struct ike_dh **out);
/*
 * A key pair from a given private value (tests against RFC vectors, and nothing else):
 * MODP exponent big-endian, ECP scalar big-endian (field length), X25519 32 bytes.
 */
int ike_dh_new_from_private(unsigned group, const uint8_t *priv, size_t priv_len,
			    struct ike_dh **out);
void ike_dh_free(struct ike_dh *dh);

unsigned ike_dh_group(const struct ike_dh *dh);
/* Our public value in wire form; *len gets ike_dh_pub_len(). Points into dh. */
const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len);

/* Check a peer's public value without computing anything. 0 or -EINVAL. */
int ike_dh_check_public(unsigned group, const uint8_t *peer, size_t peer_len);
/*
 * g^xy from the peer's public value. secret must hold ike_dh_secret_len() bytes
 * (cap says how many it holds); *secret_len gets the length. -EINVAL when the peer's
 * value is invalid (wrong length, out of range, not on the curve, degenerate result).
 */
int ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		   uint8_t *secret, size_t cap, size_t *secret_len);

#endif
