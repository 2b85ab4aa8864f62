/*
 * ISAKMP (RFC 2408) messages for IKEv1: the header, the next-payload chain, which
 * payloads each IKEv1 message must/may carry, and a message builder.
 *
 * Receiving, in three steps:
 *   1. isakmp_parse_header(pkt): the 28-byte header, checked against the datagram.
 *   2. If ISAKMP_FLAG_ENC is set the daemon decrypts m.body into its own buffer
 *      (ikev1_decrypt_body); then isakmp_parse_payloads(m, plaintext): walks the chain,
 *      checks every generic header and every payload's own layout (isakmp_payload.h's
 *      validators), records where each payload is. Lengths are never trusted: each is
 *      checked against what is left; counts are capped (ISAKMP_MAX_PAYLOADS).
 *   3. isakmp_check_payloads(m, rules): the exchange's presence table
 *      {payload, min, max} and its encryption / HASH-first requirements, in one place.
 * Payloads are then read with the parse functions of isakmp_payload.h.
 *
 * Failures fill struct isakmp_err: a human reason (for the log line and `vpnctl`) and
 * the RFC 2408 notify type an answer would carry.
 *
 * struct isakmp_msg borrows the packet (and plaintext) buffers: keep them alive while
 * using it. Nothing here allocates.
 */
#ifndef L2SEC_IKD_ISAKMP_H
#define L2SEC_IKD_ISAKMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define ISAKMP_HDR_LEN 28
#define ISAKMP_GENERIC_LEN 4
#define ISAKMP_VERSION_1 0x10           /* major 1, minor 0 */
#define ISAKMP_COOKIE_LEN 8

/* Payload types (RFC 2408 3.1, RFC 3947, draft-ietf-ipsec-nat-t-ike-02/03). */
enum isakmp_payload_type {
	ISAKMP_PL_NONE = 0,
	ISAKMP_PL_SA = 1,
	ISAKMP_PL_P = 2,        /* proposal, only inside SA */
	ISAKMP_PL_T = 3,        /* transform, only inside a proposal */
	ISAKMP_PL_KE = 4,
	ISAKMP_PL_ID = 5,
	ISAKMP_PL_CERT = 6,
	ISAKMP_PL_CR = 7,
	ISAKMP_PL_HASH = 8,
	ISAKMP_PL_SIG = 9,
	ISAKMP_PL_NONCE = 10,
	ISAKMP_PL_N = 11,
	ISAKMP_PL_D = 12,
	ISAKMP_PL_VID = 13,
	ISAKMP_PL_ATTR = 14,    /* Mode Config / XAUTH attributes (draft) */
	ISAKMP_PL_NATD = 20,    /* RFC 3947 */
	ISAKMP_PL_NATOA = 21,   /* RFC 3947 */
	ISAKMP_PL_NATD_DRAFT = 130,
	ISAKMP_PL_NATOA_DRAFT = 131,
	ISAKMP_PL_FRAG = 132,   /* IKEv1 fragmentation (Cisco, [MS-IKEE]) */
};

/* Exchange types (RFC 2408 3.1, RFC 2409). */
enum isakmp_exchange {
	ISAKMP_XCHG_BASE = 1,
	ISAKMP_XCHG_MAIN = 2,           /* Identity Protection */
	ISAKMP_XCHG_AUTH_ONLY = 3,
	ISAKMP_XCHG_AGGRESSIVE = 4,
	ISAKMP_XCHG_INFO = 5,
	ISAKMP_XCHG_TRANSACTION = 6,    /* Mode Config */
	ISAKMP_XCHG_QUICK = 32,
	ISAKMP_XCHG_NEW_GROUP = 33,
};

#define ISAKMP_FLAG_ENC 0x01
#define ISAKMP_FLAG_COMMIT 0x02
#define ISAKMP_FLAG_AUTH_ONLY 0x04

#define ISAKMP_DOI_ISAKMP 0
#define ISAKMP_DOI_IPSEC 1
#define ISAKMP_SIT_IDENTITY_ONLY 1

/* Protocol ids (RFC 2407 4.4.1). */
enum isakmp_proto {
	ISAKMP_PROTO_ISAKMP = 1,
	ISAKMP_PROTO_AH = 2,
	ISAKMP_PROTO_ESP = 3,
	ISAKMP_PROTO_IPCOMP = 4,
};

/* Notify message types (RFC 2408 3.14.1, RFC 2407 4.6.3, RFC 3706). */
enum isakmp_notify {
	ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
	ISAKMP_N_DOI_NOT_SUPPORTED = 2,
	ISAKMP_N_SITUATION_NOT_SUPPORTED = 3,
	ISAKMP_N_INVALID_COOKIE = 4,
	ISAKMP_N_INVALID_MAJOR_VERSION = 5,
	ISAKMP_N_INVALID_MINOR_VERSION = 6,
	ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
	ISAKMP_N_INVALID_FLAGS = 8,
	ISAKMP_N_INVALID_MESSAGE_ID = 9,
	ISAKMP_N_INVALID_PROTOCOL_ID = 10,
	ISAKMP_N_INVALID_SPI = 11,
	ISAKMP_N_INVALID_TRANSFORM_ID = 12,
	ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED = 13,
	ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
	ISAKMP_N_BAD_PROPOSAL_SYNTAX = 15,
	ISAKMP_N_PAYLOAD_MALFORMED = 16,
	ISAKMP_N_INVALID_KEY_INFORMATION = 17,
	ISAKMP_N_INVALID_ID_INFORMATION = 18,
	ISAKMP_N_INVALID_CERT_ENCODING = 19,
	ISAKMP_N_INVALID_CERTIFICATE = 20,
	ISAKMP_N_CERT_TYPE_UNSUPPORTED = 21,
	ISAKMP_N_INVALID_CERT_AUTHORITY = 22,
	ISAKMP_N_INVALID_HASH_INFORMATION = 23,
	ISAKMP_N_AUTHENTICATION_FAILED = 24,
	ISAKMP_N_INVALID_SIGNATURE = 25,
	ISAKMP_N_ADDRESS_NOTIFICATION = 26,
	ISAKMP_N_NOTIFY_SA_LIFETIME = 27,
	ISAKMP_N_CERTIFICATE_UNAVAILABLE = 28,
	ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE = 29,
	ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS = 30,
	ISAKMP_N_CONNECTED = 16384,
	ISAKMP_N_RESPONDER_LIFETIME = 24576,
	ISAKMP_N_REPLAY_STATUS = 24577,
	ISAKMP_N_INITIAL_CONTACT = 24578,
	ISAKMP_N_DPD_R_U_THERE = 36136,
	ISAKMP_N_DPD_R_U_THERE_ACK = 36137,
};

/* Why a message was refused. reason is for logs; notify for the answer (0 = none). */
struct isakmp_err {
	uint16_t notify;
	uint8_t payload;        /* payload type concerned, 0 if none */
	char reason[160];
};

struct isakmp_hdr {
	uint8_t icookie[ISAKMP_COOKIE_LEN];
	uint8_t rcookie[ISAKMP_COOKIE_LEN];
	uint8_t next_payload;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;
	uint32_t length;
};

/* One payload of a parsed message; pointers into the (plaintext) body. */
struct isakmp_payload {
	uint8_t type;           /* as on the wire */
	uint8_t kind;           /* canonical: NAT-D/NAT-OA draft numbers map to 20/21 */
	uint16_t len;           /* whole payload, generic header included */
	const uint8_t *start;   /* the generic header */
	const uint8_t *body;    /* after the generic header, len - 4 bytes */
	uint16_t body_len;
};

#define ISAKMP_MAX_PAYLOADS 32

struct isakmp_msg {
	struct isakmp_hdr hdr;
	const uint8_t *raw;             /* the datagram (header first) */
	size_t raw_len;                 /* hdr.length */
	const uint8_t *body;            /* raw + 28: what to decrypt if ENC */
	size_t body_len;
	size_t trailing;                /* datagram bytes beyond hdr.length (ignored) */
	/* filled by isakmp_parse_payloads: */
	size_t n;
	struct isakmp_payload pl[ISAKMP_MAX_PAYLOADS];
	size_t padding;                 /* plaintext bytes after the last payload */
	bool natt_draft;                /* NAT-D/NAT-OA came with the draft numbers */
	uint8_t count[256];             /* payloads per kind (saturates at 255) */
};

/* Canonical kind of a wire payload type; 0 for types this daemon does not know. */
uint8_t isakmp_payload_kind(uint8_t type);
/* "SA", "KE", "NAT-D"..., or "payload-N" into a static table entry ("?" for unknown). */
const char *isakmp_payload_name(uint8_t type);
const char *isakmp_exchange_name(uint8_t exchange);
/* "PAYLOAD-MALFORMED", "R-U-THERE"...; NULL if unknown. */
const char *isakmp_notify_name(uint16_t type);

/*
 * Read the header of the datagram pkt[0..len). Checks: len >= 28, major version 1,
 * 28 <= hdr.length <= len. Fills m->hdr, raw, body, trailing. 0 or -EBADMSG
 * (err filled: INVALID-MAJOR-VERSION, PAYLOAD-MALFORMED / UNEQUAL-PAYLOAD-LENGTHS).
 */
int isakmp_parse_header(const uint8_t *pkt, size_t len, struct isakmp_msg *m,
			struct isakmp_err *err);

/*
 * Walk the payload chain of body[0..len) starting at m->hdr.next_payload (the plain
 * m->body, or the decrypted copy of it). Each payload: generic header, 4 <= length <=
 * what is left, type known (else INVALID-PAYLOAD-TYPE), contents valid for the type
 * (isakmp_payload_validate). At most ISAKMP_MAX_PAYLOADS payloads; after the last one at
 * most 255 bytes of padding. 0 or -EBADMSG with err filled.
 */
int isakmp_parse_payloads(struct isakmp_msg *m, const uint8_t *body, size_t len,
			  struct isakmp_err *err);

/* Index of the i-th payload of kind, or -1. */
int isakmp_find(const struct isakmp_msg *m, uint8_t kind, unsigned i);
/*
 * The bytes from payload idx's generic header to the end of the last payload (no
 * padding): what Quick Mode HASH(1)/(2) and Informational HASH(1) cover when idx is
 * the payload following HASH. *len = 0 when idx == m->n.
 */
const uint8_t *isakmp_span_from(const struct isakmp_msg *m, size_t idx, size_t *len);

/* ---- presence rules ---- */

enum isakmp_enc_rule { ISAKMP_ENC_NEVER = 0, ISAKMP_ENC_ALWAYS, ISAKMP_ENC_EITHER };

struct isakmp_rule {
	uint8_t kind;
	uint8_t min, max;
	bool pair;              /* count must be 0 or 2 (Quick Mode client IDs) */
};

#define ISAKMP_RULES_MAX 12

/*
 * What one IKEv1 message may carry. Payload kinds absent from rules[] are refused.
 * `flow` is the RFC 2409 diagram of the message, for logs; `hint` is added to the
 * reason when a required payload is missing from an encrypted message (a wrong key
 * decrypts to garbage that often still parses).
 */
struct isakmp_rules {
	const char *name;
	const char *flow;
	uint8_t exchange;
	enum isakmp_enc_rule enc;
	bool hash_first;
	uint8_t one_of[2];      /* at least one of these kinds (0 = unused) */
	const char *hint;
	struct isakmp_rule rules[ISAKMP_RULES_MAX];   /* terminated by kind 0 */
};

/*
 * Check m against r: exchange type, encryption flag, HASH first, every payload allowed,
 * counts within [min, max] (and pairs), one_of. 0 or -EBADMSG with err naming the
 * payload ("Main Mode message 5 (PSK): missing HASH payload (PSK mismatch?)").
 */
int isakmp_check_payloads(const struct isakmp_msg *m, const struct isakmp_rules *r,
			  struct isakmp_err *err);

/*
 * Consistency of a table, for start-up checks (a broken table is a bug, caught before
 * the first packet): name and flow set, every kind known and listed once, min <= max,
 * pairs have max 2, hash_first implies HASH with min 1, one_of kinds listed with min 0.
 * 0, or -EINVAL with why filled.
 */
int isakmp_rules_check(const struct isakmp_rules *r, char *why, size_t why_len);

/* Every table below, NULL-terminated. */
extern const struct isakmp_rules *const isakmp_rules_all[];

/* The IKEv1 messages (RFC 2409 section 5, RFC 3947 section 3). */
extern const struct isakmp_rules isakmp_rules_mm_sa;        /* MM 1 and 2 */
extern const struct isakmp_rules isakmp_rules_mm_ke;        /* MM 3 and 4 */
extern const struct isakmp_rules isakmp_rules_mm_auth_psk;  /* MM 5 and 6, PSK */
extern const struct isakmp_rules isakmp_rules_mm_auth_sig;  /* MM 5 and 6, signatures */
extern const struct isakmp_rules isakmp_rules_am1;
extern const struct isakmp_rules isakmp_rules_am2_psk;
extern const struct isakmp_rules isakmp_rules_am2_sig;
extern const struct isakmp_rules isakmp_rules_am3_psk;
extern const struct isakmp_rules isakmp_rules_am3_sig;
extern const struct isakmp_rules isakmp_rules_qm1;          /* QM 1 and 2 */
extern const struct isakmp_rules isakmp_rules_qm3;
extern const struct isakmp_rules isakmp_rules_info;         /* protected: HASH, N/D */
extern const struct isakmp_rules isakmp_rules_info_plain;   /* before Phase 1 is up */

/* ---- building ---- */

/*
 * Build a message into a writer:
 *     isakmp_build_begin(&b, &w, &hdr);          // header, length patched at the end
 *     isakmp_put_*(&b, ...);                      // payloads (isakmp_payload.h)
 *     isakmp_build_finish(&b, &len);              // or isakmp_build_encrypt()
 * Each payload's next-payload field is patched when the next payload begins. All
 * errors are sticky in the writer; finish reports them (-EMSGSIZE).
 */
struct isakmp_builder {
	struct buf_writer *w;
	size_t start;           /* offset of the ISAKMP header */
	size_t np_off;          /* where the next payload's type goes */
	size_t pl_off;          /* start of the open payload; SIZE_MAX when none */
	int err;
};

int isakmp_build_begin(struct isakmp_builder *b, struct buf_writer *w,
		       const struct isakmp_hdr *hdr);
/* Open a payload of type (writes the generic header); close it with payload_end. */
int isakmp_payload_begin(struct isakmp_builder *b, uint8_t type);
int isakmp_payload_end(struct isakmp_builder *b);
/* Current write offset relative to the ISAKMP header (for HASH placeholders). */
size_t isakmp_build_offset(const struct isakmp_builder *b);
/* Pointer to the message bytes [off, current end): to hash what follows a HASH payload. */
uint8_t *isakmp_build_ptr(const struct isakmp_builder *b, size_t off, size_t *len);
/*
 * Before encrypting: append zero bytes so the body (after the header) is a non-empty
 * multiple of block (RFC 2409 appendix B), then finish and encrypt the body in place
 * with ikev1_encrypt_body(), which then adds nothing.
 */
int isakmp_build_pad(struct isakmp_builder *b, size_t block);
/* Patch the length field; *len gets the message length. */
int isakmp_build_finish(struct isakmp_builder *b, size_t *len);

#endif
