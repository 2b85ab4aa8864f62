/*
 * Authentication crypto for PPP: CHAP-MD5 (RFC 1994 §4.1) and MS-CHAPv2 (RFC 2759 §8).
 *
 * MS-CHAPv2 needs MD4 and single DES, which OpenSSL 3 keeps in its "legacy" provider. This
 * module loads "legacy" and "default" into a private library context on first use, so the
 * rest of the process keeps OpenSSL's default policy. When the legacy provider is missing
 * the MS-CHAPv2 functions return -ENOTSUP and the daemon should offer CHAP-MD5 or PAP only.
 *
 * All outputs that are secret-equivalent (NT hashes) must be wiped by the caller.
 */
#ifndef L2SEC_L2TPD_MSCHAP_H
#define L2SEC_L2TPD_MSCHAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN        16
#define MSCHAP_NT_HASH_LEN    16
#define MSCHAPV2_CHALLENGE_LEN 16
#define MSCHAPV2_NT_RESPONSE_LEN 24
#define MSCHAPV2_AUTH_RESPONSE_LEN 42   /* "S=" + 40 hex digits, no NUL */

/* CHAP-MD5: response = MD5(id || secret || challenge). Returns 0 or -EIO. */
int chap_md5_response(uint8_t id, const void *secret, size_t secret_len,
		      const uint8_t *challenge, size_t challenge_len,
		      uint8_t response[MD5_DIGEST_LEN]);

/* True when MD4/DES are available (loads the providers on first call). */
bool mschap_available(void);
/* Release the private library context (at exit; optional). */
void mschap_cleanup(void);

/* NtPasswordHash: MD4 of the UTF-16LE password (the password is taken as UTF-8). */
int mschap_nt_hash(const char *password, uint8_t hash[MSCHAP_NT_HASH_LEN]);
/* ChallengeHash: first 8 octets of SHA1(PeerChallenge || AuthenticatorChallenge || UserName). */
int mschapv2_challenge_hash(const uint8_t peer_challenge[16], const uint8_t auth_challenge[16],
			    const char *username, uint8_t out[8]);
/* GenerateNTResponse from the NT hash. */
int mschapv2_nt_response(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
			 const char *username, const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
			 uint8_t response[MSCHAPV2_NT_RESPONSE_LEN]);
/* Verify a peer's NT-Response in constant time: 0, -EACCES on mismatch, other errors. */
int mschapv2_verify(const uint8_t auth_challenge[16], const uint8_t peer_challenge[16],
		    const char *username, const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
		    const uint8_t response[MSCHAPV2_NT_RESPONSE_LEN]);
/* GenerateAuthenticatorResponse: writes "S=<40 uppercase hex>" (42 octets) to out. */
int mschapv2_authenticator_response(const uint8_t nt_hash[MSCHAP_NT_HASH_LEN],
				    const uint8_t nt_response[MSCHAPV2_NT_RESPONSE_LEN],
				    const uint8_t peer_challenge[16],
				    const uint8_t auth_challenge[16], const char *username,
				    char out[MSCHAPV2_AUTH_RESPONSE_LEN]);

#endif
