/*
 * IKEv1 cryptography: hashes, PRFs, CBC ciphers and the key schedule of RFC 2409.
 *
 * Thin wrappers over OpenSSL 3 EVP. Every function takes its inputs as a list of
 * chunks, so the callers never concatenate (and never copy secrets around to do so).
 * Algorithms are named by the IKEv1 Phase 1 attribute values (RFC 2409 appendix A),
 * which the IPsec DOI reuses for hashes; enum ike_cipher is our own (a cipher and its
 * key length).
 *
 * Secrets: struct ikev1_keys holds SKEYID and its children. It is plain memory the
 * owner embeds in its SA and MUST wipe with ikev1_keys_wipe() (OPENSSL_cleanse) when
 * the SA dies; every temporary secret inside this module is wiped before returning.
 * (libsodium's guarded sodium_malloc costs three pages per allocation: too much for
 * 10,000 SAs, so the daemon wipes instead of guarding.)
 *
 * Errors: negative errno. -EINVAL for a bad argument or unsupported algorithm,
 * -ENOSPC when an output buffer is too small, -EIO when OpenSSL fails.
 */
#ifndef L2SEC_IKD_IKE_CRYPTO_H
#define L2SEC_IKD_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 2409 appendix A, "Hash Algorithm" (also the HMAC used as PRF when none is negotiated). */
enum ike_hash {
	IKE_HASH_MD5 = 1,       /* only for vendor-ID hashes; never negotiated */
	IKE_HASH_SHA1 = 2,
	IKE_HASH_SHA2_256 = 4,
	IKE_HASH_SHA2_384 = 5,
	IKE_HASH_SHA2_512 = 6,
};

#define IKE_HASH_MAX 64         /* SHA-512 */
#define IKE_BLOCK_MAX 16        /* AES */
#define IKE_KEY_MAX 32          /* AES-256 */

enum ike_cipher {
	IKE_CIPHER_NONE = 0,
	IKE_CIPHER_3DES_CBC,
	IKE_CIPHER_AES128_CBC,
	IKE_CIPHER_AES192_CBC,
	IKE_CIPHER_AES256_CBC,
};

struct ike_chunk {
	const void *ptr;
	size_t len;
};
#define IKE_CHUNK(p, n) ((struct ike_chunk){ .ptr = (p), .len = (n) })

/* Output size of a hash (0 if unknown). */
size_t ike_hash_len(enum ike_hash h);
/* Lower-case name ("sha1", "sha256"...), "?" if unknown. */
const char *ike_hash_name(enum ike_hash h);
/* True for the hashes this daemon negotiates as hash/PRF (SHA-1 and SHA-2; never MD5). */
bool ike_hash_negotiable(enum ike_hash h);

/* hash(parts[0] | parts[1] | ...). out must hold ike_hash_len(h) bytes. */
int ike_hash(enum ike_hash h, const struct ike_chunk *parts, size_t nparts, uint8_t *out);
/* HMAC-h(key, parts...). out must hold ike_hash_len(h) bytes. MD5 is refused. */
int ike_prf(enum ike_hash h, const void *key, size_t keylen, const struct ike_chunk *parts,
	    size_t nparts, uint8_t *out);

size_t ike_cipher_key_len(enum ike_cipher c);
size_t ike_cipher_block_len(enum ike_cipher c);
const char *ike_cipher_name(enum ike_cipher c);

/*
 * CBC without OpenSSL's padding: len must be a multiple of the block length. in and out
 * may be the same buffer. iv is block-length bytes and is not modified.
 */
int ike_cbc_encrypt(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, uint8_t *out, size_t len);
int ike_cbc_decrypt(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		    const uint8_t *in, uint8_t *out, size_t len);

/*
 * Encrypt an IKEv1 message body in place. buf[0..len) is the plaintext after the ISAKMP
 * header; it is padded with zero bytes to the block length (RFC 2409 appendix B; the
 * contradicting "last byte is the pad length" of section 5.3 is not followed, as no
 * peer relies on it and receivers ignore what follows the last payload), then
 * encrypted. cap is buf's capacity. *out_len gets the padded length; iv_next (block
 * length) gets the last ciphertext block, the IV of the next message in this exchange.
 */
int ikev1_encrypt_body(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		       uint8_t *buf, size_t len, size_t cap, size_t *out_len, uint8_t *iv_next);
/*
 * Decrypt in place. len must be a non-zero multiple of the block length (else -EBADMSG).
 * iv_next gets the last ciphertext block (saved before decrypting). The caller adopts
 * iv_next only once the message proved authentic (hash checked), so a forged packet
 * cannot desynchronise the IV chain.
 */
int ikev1_decrypt_body(enum ike_cipher c, const uint8_t *key, const uint8_t *iv,
		       uint8_t *buf, size_t len, uint8_t *iv_next);

/* What an IKEv1 SA's key schedule runs on. */
struct ikev1_suite {
	enum ike_hash prf;      /* HMAC-prf is the PRF */
	enum ike_hash hash;     /* for the IVs, NAT-D (normally equal to prf) */
	enum ike_cipher cipher;
};

/* SKEYID and its children (RFC 2409 section 5). Owner wipes with ikev1_keys_wipe(). */
struct ikev1_keys {
	struct ikev1_suite suite;
	size_t prf_len;
	uint8_t skeyid[IKE_HASH_MAX];
	uint8_t skeyid_d[IKE_HASH_MAX];
	uint8_t skeyid_a[IKE_HASH_MAX];
	uint8_t skeyid_e[IKE_HASH_MAX];
	uint8_t enc_key[IKE_KEY_MAX];   /* ike_cipher_key_len(suite.cipher) bytes */
};

void ikev1_keys_wipe(struct ikev1_keys *k);

/* SKEYID for pre-shared keys: prf(pre-shared-key, Ni_b | Nr_b). out: prf length. */
int ikev1_skeyid_psk(enum ike_hash prf, const void *psk, size_t psk_len,
		     const struct ike_chunk *ni_b, const struct ike_chunk *nr_b, uint8_t *out);
/* SKEYID for signatures: prf(Ni_b | Nr_b, g^xy). out: prf length. */
int ikev1_skeyid_sig(enum ike_hash prf, const struct ike_chunk *ni_b,
		     const struct ike_chunk *nr_b, const struct ike_chunk *gxy, uint8_t *out);

/*
 * Fill k from SKEYID: SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0),
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1),
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2), and the cipher key from
 * SKEYID_e (truncated, or expanded per appendix B: K1 = prf(SKEYID_e, 0),
 * K2 = prf(SKEYID_e, K1), ...). skeyid is prf-length bytes; cookies are 8 bytes each.
 */
int ikev1_derive_keys(struct ikev1_keys *k, const struct ikev1_suite *suite,
		      const uint8_t *skeyid, const struct ike_chunk *gxy,
		      const uint8_t *cky_i, const uint8_t *cky_r);

/* Phase 1 IV: hash(g^xi | g^xr), truncated to the block length. iv gets block bytes. */
int ikev1_phase1_iv(const struct ikev1_keys *k, const struct ike_chunk *gxi,
		    const struct ike_chunk *gxr, uint8_t *iv);
/*
 * Quick Mode / Informational IV: hash(last phase-1 CBC block | M-ID), truncated to the
 * block length. last_block is the IV in force when Phase 1 finished; msgid is host order.
 */
int ikev1_phase2_iv(const struct ikev1_keys *k, const uint8_t *last_block, uint32_t msgid,
		    uint8_t *iv);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * Pass initiator=true for HASH_I. g^x values, SA and ID bodies are as on the wire
 * (payload bodies without generic headers). out: prf length.
 */
int ikev1_hash_auth(const struct ikev1_keys *k, bool initiator, const struct ike_chunk *gxi,
		    const struct ike_chunk *gxr, const uint8_t *cky_i, const uint8_t *cky_r,
		    const struct ike_chunk *sai_b, const struct ike_chunk *id_b, uint8_t *out);

/*
 * Quick Mode hashes (RFC 2409 section 5.5). `rest` is the message's bytes following the
 * HASH payload (whole payloads with generic headers, without padding).
 * HASH(1) = prf(SKEYID_a, M-ID | rest)            (ni_b NULL)
 * HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest)
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) (ikev1_qm_hash3)
 * The Informational exchange's HASH(1) is ikev1_qm_hash12 with ni_b NULL.
 */
int ikev1_qm_hash12(const struct ikev1_keys *k, uint32_t msgid, const struct ike_chunk *ni_b,
		    const struct ike_chunk *rest, uint8_t *out);
int ikev1_qm_hash3(const struct ikev1_keys *k, uint32_t msgid, const struct ike_chunk *ni_b,
		   const struct ike_chunk *nr_b, uint8_t *out);

/*
 * KEYMAT for one IPsec SA (RFC 2409 section 5.5):
 * K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 * Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 * KEYMAT = K1 | K2 | ... truncated to out_len. gqm may be NULL (no PFS). spi is the 4
 * bytes as on the wire (the receiving side's SPI for that direction).
 */
int ikev1_keymat(const struct ikev1_keys *k, const struct ike_chunk *gqm, uint8_t protocol,
		 const uint8_t spi[4], const struct ike_chunk *ni_b, const struct ike_chunk *nr_b,
		 uint8_t *out, size_t out_len);

/*
 * NAT-D payload data (RFC 3947 section 3.2): hash(CKY-I | CKY-R | IP | Port), with the
 * Phase 1 hash. addr is 4 or 16 bytes in network order, port host order.
 */
int ikev1_natd_hash(enum ike_hash h, const uint8_t *cky_i, const uint8_t *cky_r,
		    const uint8_t *addr, size_t addr_len, uint16_t port, uint8_t *out);

/* Vendor IDs this daemon sends or recognises. */
enum ike_vid {
	IKE_VID_NATT_RFC3947 = 0,
	IKE_VID_NATT_DRAFT_02,
	IKE_VID_NATT_DRAFT_02_N,        /* the "-02\n" variant, newline included */
	IKE_VID_NATT_DRAFT_03,
	IKE_VID_DPD,
	IKE_VID_MS_NT5_ISAKMPOAKLEY,    /* Windows; prefix match, last 4 bytes = version */
	IKE_VID_FRAGMENTATION,          /* Cisco/Microsoft IKE fragmentation, prefix match */
	IKE_VID_COUNT,
};

struct ike_vid_info {
	enum ike_vid id;
	const char *name;       /* short name for logs */
	const char *source;     /* the string whose MD5 is the VID, NULL if not a hash */
	uint8_t value[16];
	uint8_t match_len;      /* bytes compared: 16, or a prefix length */
};

const struct ike_vid_info *ike_vid_get(enum ike_vid id);
/* Which known VID is data[0..len)? NULL if none. */
const struct ike_vid_info *ike_vid_lookup(const uint8_t *data, size_t len);
/* MD5(text): the way every NAT-T draft VID was made. out: 16 bytes. */
int ike_vid_md5(const char *text, size_t len, uint8_t out[16]);

/* Constant-time comparison for hashes received from the peer. 0 when equal. */
int ike_memcmp_ct(const void *a, const void *b, size_t len);

#endif
