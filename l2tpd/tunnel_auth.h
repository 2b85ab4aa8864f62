/*
 * L2TP tunnel authentication and AVP hiding (RFC 2661 §4.3, §4.4.3, §5.1.1).
 *
 * Both use MD5 over the tunnel's shared secret:
 *   - Challenge Response = MD5(ID || secret || challenge), ID being the Message Type of the
 *     message that carries the response (2 = SCCRP, 3 = SCCCN), as in CHAP (RFC 1994).
 *   - Hidden AVP values are XORed with an MD5 keystream:
 *       b(1) = MD5(AT || secret || RV),  c(1) = p(1) xor b(1)
 *       b(i) = MD5(secret || c(i-1)),   c(i) = p(i) xor b(i)
 *     where AT is the AVP's 2-octet Attribute Type and RV the Random Vector AVP value that
 *     precedes it in the message.
 * The secret is borrowed, never copied or logged.
 */
#ifndef L2SEC_L2TPD_TUNNEL_AUTH_H
#define L2SEC_L2TPD_TUNNEL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define L2TP_CHALLENGE_RESPONSE_LEN 16

struct l2tp_secret {
	const uint8_t *data;
	size_t len;
};

/* response = MD5(msg_type || secret || challenge). Returns 0 or -EIO (crypto failure). */
int l2tp_challenge_response(uint8_t msg_type, const struct l2tp_secret *secret,
			    const uint8_t *challenge, size_t challenge_len,
			    uint8_t response[L2TP_CHALLENGE_RESPONSE_LEN]);

/*
 * Check a received Challenge Response in constant time. Returns true when it matches what
 * the peer must have computed for our challenge.
 */
bool l2tp_challenge_verify(uint8_t msg_type, const struct l2tp_secret *secret,
			   const uint8_t *challenge, size_t challenge_len,
			   const uint8_t *response, size_t response_len);

/*
 * Hide or reveal (the operation differs only in which side feeds the chain) the bytes
 * in[0..len) of an AVP of type attr_type, writing out[0..len). in and out may be the same
 * buffer. Returns 0 or -EIO.
 */
int l2tp_avp_hide(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *rv,
		  size_t rv_len, const uint8_t *in, uint8_t *out, size_t len);
int l2tp_avp_reveal(uint16_t attr_type, const struct l2tp_secret *secret, const uint8_t *rv,
		    size_t rv_len, const uint8_t *in, uint8_t *out, size_t len);

/*
 * Tie breaker (RFC 2661 §4.4.3): both sides sent SCCRQ to each other. The lower value wins
 * and the loser silently discards its tunnel; equal values: both discard; a Tie Breaker
 * present on one side only: that side wins.
 */
enum l2tp_tie_result {
	L2TP_TIE_KEEP_OURS,     /* we win: ignore their SCCRQ */
	L2TP_TIE_KEEP_THEIRS,   /* we lose: drop our tunnel, answer theirs */
	L2TP_TIE_DROP_BOTH,     /* equal values */
	L2TP_TIE_KEEP_BOTH,     /* neither sent one: two tunnels */
};
enum l2tp_tie_result l2tp_tie_break(bool ours_present, const uint8_t ours[8],
				    bool theirs_present, const uint8_t theirs[8]);

#endif
