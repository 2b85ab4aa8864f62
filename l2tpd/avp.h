/*
 * L2TP Attribute-Value Pairs (RFC 2661 §4.1, §4.4): the header codec, the catalogue of
 * attribute types with their length rules, hidden AVPs (§4.3), and the Result Code values
 * with their meanings (§4.4.2).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |M|H| rsvd  |      Length       |           Vendor ID           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         Attribute Type        |        Attribute Value...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Length counts the whole AVP including its 6-octet header (10 bits, so at most 1023).
 * A hidden value is  hide(Original Length (2 octets) || Original Value || Padding).
 */
#ifndef L2SEC_L2TPD_AVP_H
#define L2SEC_L2TPD_AVP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "l2tpd/tunnel_auth.h"

#define L2TP_AVP_HDR_LEN   6
#define L2TP_AVP_MAX_LEN   1023
#define L2TP_AVP_F_MANDATORY 0x8000
#define L2TP_AVP_F_HIDDEN    0x4000
#define L2TP_AVP_F_RESERVED  0x3c00
#define L2TP_AVP_LEN_MASK    0x03ff

/* Attribute types with vendor ID 0 (RFC 2661 §4.4). */
enum l2tp_avp_type {
	L2TP_AVP_MESSAGE_TYPE = 0,
	L2TP_AVP_RESULT_CODE = 1,
	L2TP_AVP_PROTOCOL_VERSION = 2,
	L2TP_AVP_FRAMING_CAPABILITIES = 3,
	L2TP_AVP_BEARER_CAPABILITIES = 4,
	L2TP_AVP_TIE_BREAKER = 5,
	L2TP_AVP_FIRMWARE_REVISION = 6,
	L2TP_AVP_HOST_NAME = 7,
	L2TP_AVP_VENDOR_NAME = 8,
	L2TP_AVP_ASSIGNED_TUNNEL_ID = 9,
	L2TP_AVP_RECEIVE_WINDOW_SIZE = 10,
	L2TP_AVP_CHALLENGE = 11,
	L2TP_AVP_Q931_CAUSE_CODE = 12,
	L2TP_AVP_CHALLENGE_RESPONSE = 13,
	L2TP_AVP_ASSIGNED_SESSION_ID = 14,
	L2TP_AVP_CALL_SERIAL_NUMBER = 15,
	L2TP_AVP_MINIMUM_BPS = 16,
	L2TP_AVP_MAXIMUM_BPS = 17,
	L2TP_AVP_BEARER_TYPE = 18,
	L2TP_AVP_FRAMING_TYPE = 19,
	L2TP_AVP_CALLED_NUMBER = 21,
	L2TP_AVP_CALLING_NUMBER = 22,
	L2TP_AVP_SUB_ADDRESS = 23,
	L2TP_AVP_TX_CONNECT_SPEED = 24,
	L2TP_AVP_PHYSICAL_CHANNEL_ID = 25,
	L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ = 26,
	L2TP_AVP_LAST_SENT_LCP_CONFREQ = 27,
	L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ = 28,
	L2TP_AVP_PROXY_AUTHEN_TYPE = 29,
	L2TP_AVP_PROXY_AUTHEN_NAME = 30,
	L2TP_AVP_PROXY_AUTHEN_CHALLENGE = 31,
	L2TP_AVP_PROXY_AUTHEN_ID = 32,
	L2TP_AVP_PROXY_AUTHEN_RESPONSE = 33,
	L2TP_AVP_CALL_ERRORS = 34,
	L2TP_AVP_ACCM = 35,
	L2TP_AVP_RANDOM_VECTOR = 36,
	L2TP_AVP_PRIVATE_GROUP_ID = 37,
	L2TP_AVP_RX_CONNECT_SPEED = 38,
	L2TP_AVP_SEQUENCING_REQUIRED = 39,
	L2TP_AVP_COUNT = 40,            /* types below this index the tables */
};

/* How an attribute may appear: a row of the catalogue in avp.c. */
struct l2tp_avp_spec {
	const char *name;
	uint16_t min_len, max_len;     /* value length, before hiding */
	bool may_hide;                 /* §4.3: Message Type and Random Vector never are */
	bool mandatory;                /* M bit we set when sending it */
};

/* The row for a vendor-0 type, or NULL for an unknown or reserved one. */
const struct l2tp_avp_spec *l2tp_avp_spec(uint16_t type);
/* A printable name, "unknown" for unknown types. */
const char *l2tp_avp_name(uint16_t type);

/* One AVP as found on the wire. */
struct l2tp_avp_raw {
	uint16_t flags;        /* M, H and reserved bits, length masked out */
	uint16_t vendor;
	uint16_t type;
	struct buf_reader value;   /* still hidden when flags has L2TP_AVP_F_HIDDEN */
};

/*
 * Read the next AVP header from r. Returns 1 with *avp filled, 0 at the end of r,
 * -EBADMSG when the header is cut short or the length is below 6 or past the end.
 */
int l2tp_avp_next(struct buf_reader *r, struct l2tp_avp_raw *avp);

/*
 * Reveal a hidden AVP's value into out[0..cap): decrypts, then strips the Original Length
 * and the padding. *value_len receives the original length. Returns 0, -EBADMSG when the
 * original length exceeds what was sent, -ENOSPC when cap is too small, -EIO on crypto
 * failure.
 */
int l2tp_avp_unhide(const struct l2tp_avp_raw *avp, const struct l2tp_secret *secret,
		    const uint8_t *rv, size_t rv_len, uint8_t *out, size_t cap,
		    size_t *value_len);

/* Append an AVP with a plain value. Returns 0 or -EMSGSIZE (value too long or no room). */
int l2tp_avp_put(struct buf_writer *w, uint16_t type, bool mandatory, const void *value,
		 size_t len);
int l2tp_avp_put_u16(struct buf_writer *w, uint16_t type, bool mandatory, uint16_t v);
int l2tp_avp_put_u32(struct buf_writer *w, uint16_t type, bool mandatory, uint32_t v);

/*
 * Append a hidden AVP: the value is prefixed with its length, followed by pad_len bytes
 * from pad (may be NULL when pad_len is 0; random padding hides the value's length), and
 * hidden with the given Random Vector, which the caller must have put before it.
 */
int l2tp_avp_put_hidden(struct buf_writer *w, uint16_t type, bool mandatory,
			const void *value, size_t len, const uint8_t *pad, size_t pad_len,
			const struct l2tp_secret *secret, const uint8_t *rv, size_t rv_len);

/* Result Code AVP (§4.4.2): result, optional error code and message. */
#define L2TP_RESULT_NO_ERROR 0xffff    /* "no Error Code field" when building */
struct l2tp_result {
	uint16_t result;
	bool has_error;
	uint16_t error;
	const uint8_t *message;    /* borrowed, not NUL-terminated */
	size_t message_len;
};
int l2tp_result_parse(const uint8_t *value, size_t len, struct l2tp_result *res);
int l2tp_avp_put_result(struct buf_writer *w, uint16_t result, uint16_t error,
			const char *message);

/* StopCCN result codes (§4.4.2). */
enum l2tp_stopccn_result {
	L2TP_STOPCCN_CLEAR = 1,
	L2TP_STOPCCN_GENERAL_ERROR = 2,
	L2TP_STOPCCN_ALREADY_EXISTS = 3,
	L2TP_STOPCCN_NOT_AUTHORIZED = 4,
	L2TP_STOPCCN_BAD_VERSION = 5,
	L2TP_STOPCCN_SHUTTING_DOWN = 6,
	L2TP_STOPCCN_FSM_ERROR = 7,
};
/* CDN result codes (§4.4.2). */
enum l2tp_cdn_result {
	L2TP_CDN_LOST_CARRIER = 1,
	L2TP_CDN_GENERAL_ERROR = 2,
	L2TP_CDN_ADMIN = 3,
	L2TP_CDN_NO_RESOURCES_TEMP = 4,
	L2TP_CDN_NO_RESOURCES_PERM = 5,
	L2TP_CDN_INVALID_DEST = 6,
	L2TP_CDN_NO_CARRIER = 7,
	L2TP_CDN_BUSY = 8,
	L2TP_CDN_NO_DIALTONE = 9,
	L2TP_CDN_TIMEOUT = 10,
	L2TP_CDN_NO_FRAMING = 11,
};
/* General error codes (§4.4.2). */
enum l2tp_error_code {
	L2TP_ERR_NONE = 0,
	L2TP_ERR_NO_CONTROL_CONNECTION = 1,
	L2TP_ERR_BAD_LENGTH = 2,
	L2TP_ERR_BAD_VALUE = 3,
	L2TP_ERR_NO_RESOURCES = 4,
	L2TP_ERR_BAD_SESSION_ID = 5,
	L2TP_ERR_VENDOR = 6,
	L2TP_ERR_TRY_ANOTHER = 7,
	L2TP_ERR_UNKNOWN_MANDATORY_AVP = 8,
};
/* RFC text for each code, "unknown" outside the table. */
const char *l2tp_stopccn_result_str(uint16_t result);
const char *l2tp_cdn_result_str(uint16_t result);
const char *l2tp_error_str(uint16_t error);

#endif
