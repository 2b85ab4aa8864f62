/* L2TP AVP codec (RFC 2661 §4.1, §4.3, §4.4). */
#include "l2tpd/avp.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#define ANY 1023    /* no upper bound beyond the AVP length field's */

/*
 * The attribute catalogue, RFC 2661 §4.4. Lengths are of the (revealed) value. The M bit is
 * the one the RFC says "should"/"must" be set when sending.
 */
static const struct l2tp_avp_spec avp_specs[L2TP_AVP_COUNT] = {
	/* §4.4.1 AVPs applicable to all control messages */
	[L2TP_AVP_MESSAGE_TYPE]          = { "message_type", 2, 2, false, true },
	[L2TP_AVP_RANDOM_VECTOR]         = { "random_vector", 1, ANY, false, true },
	/* §4.4.2 Result and Error Codes */
	[L2TP_AVP_RESULT_CODE]           = { "result_code", 2, ANY, true, true },
	/* §4.4.3 Control Connection Management */
	[L2TP_AVP_PROTOCOL_VERSION]      = { "protocol_version", 2, 2, true, true },
	[L2TP_AVP_FRAMING_CAPABILITIES]  = { "framing_capabilities", 4, 4, true, true },
	[L2TP_AVP_BEARER_CAPABILITIES]   = { "bearer_capabilities", 4, 4, true, true },
	[L2TP_AVP_TIE_BREAKER]           = { "tie_breaker", 8, 8, false, false },
	[L2TP_AVP_FIRMWARE_REVISION]     = { "firmware_revision", 2, 2, true, false },
	[L2TP_AVP_HOST_NAME]             = { "host_name", 1, ANY, false, true },
	[L2TP_AVP_VENDOR_NAME]           = { "vendor_name", 0, ANY, true, false },
	[L2TP_AVP_ASSIGNED_TUNNEL_ID]    = { "assigned_tunnel_id", 2, 2, true, true },
	[L2TP_AVP_RECEIVE_WINDOW_SIZE]   = { "receive_window_size", 2, 2, false, true },
	[L2TP_AVP_CHALLENGE]             = { "challenge", 1, ANY, true, true },
	[L2TP_AVP_CHALLENGE_RESPONSE]    = { "challenge_response", 16, 16, true, true },
	/* §4.4.4 Call Management */
	[L2TP_AVP_Q931_CAUSE_CODE]       = { "q931_cause_code", 3, ANY, false, true },
	[L2TP_AVP_ASSIGNED_SESSION_ID]   = { "assigned_session_id", 2, 2, true, true },
	[L2TP_AVP_CALL_SERIAL_NUMBER]    = { "call_serial_number", 4, 4, false, true },
	[L2TP_AVP_MINIMUM_BPS]           = { "minimum_bps", 4, 4, true, true },
	[L2TP_AVP_MAXIMUM_BPS]           = { "maximum_bps", 4, 4, true, true },
	[L2TP_AVP_BEARER_TYPE]           = { "bearer_type", 4, 4, true, true },
	[L2TP_AVP_FRAMING_TYPE]          = { "framing_type", 4, 4, true, true },
	[L2TP_AVP_CALLED_NUMBER]         = { "called_number", 0, ANY, true, true },
	[L2TP_AVP_CALLING_NUMBER]        = { "calling_number", 0, ANY, true, true },
	[L2TP_AVP_SUB_ADDRESS]           = { "sub_address", 0, ANY, true, true },
	[L2TP_AVP_TX_CONNECT_SPEED]      = { "tx_connect_speed", 4, 4, true, true },
	[L2TP_AVP_RX_CONNECT_SPEED]      = { "rx_connect_speed", 4, 4, true, false },
	[L2TP_AVP_PHYSICAL_CHANNEL_ID]   = { "physical_channel_id", 4, 4, true, false },
	[L2TP_AVP_PRIVATE_GROUP_ID]      = { "private_group_id", 0, ANY, true, false },
	[L2TP_AVP_SEQUENCING_REQUIRED]   = { "sequencing_required", 0, 0, false, true },
	/* §4.4.5 Proxy LCP and Authentication */
	[L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ] = { "initial_received_lcp_confreq", 0, ANY, true, false },
	[L2TP_AVP_LAST_SENT_LCP_CONFREQ]        = { "last_sent_lcp_confreq", 0, ANY, true, false },
	[L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ]    = { "last_received_lcp_confreq", 0, ANY, true, false },
	[L2TP_AVP_PROXY_AUTHEN_TYPE]     = { "proxy_authen_type", 2, 2, true, false },
	[L2TP_AVP_PROXY_AUTHEN_NAME]     = { "proxy_authen_name", 0, ANY, true, false },
	[L2TP_AVP_PROXY_AUTHEN_CHALLENGE] = { "proxy_authen_challenge", 1, ANY, true, false },
	[L2TP_AVP_PROXY_AUTHEN_ID]       = { "proxy_authen_id", 2, 2, true, false },
	[L2TP_AVP_PROXY_AUTHEN_RESPONSE] = { "proxy_authen_response", 0, ANY, true, false },
	/* §4.4.6 Call Status */
	[L2TP_AVP_CALL_ERRORS]           = { "call_errors", 26, 26, true, true },
	[L2TP_AVP_ACCM]                  = { "accm", 10, 10, true, true },
};

const struct l2tp_avp_spec *l2tp_avp_spec(uint16_t type)
{
	if (type >= L2TP_AVP_COUNT || !avp_specs[type].name)
		return NULL;
	return &avp_specs[type];
}

const char *l2tp_avp_name(uint16_t type)
{
	const struct l2tp_avp_spec *s = l2tp_avp_spec(type);

	return s ? s->name : "unknown";
}

int l2tp_avp_next(struct buf_reader *r, struct l2tp_avp_raw *avp)
{
	uint16_t word, len;

	memset(avp, 0, sizeof *avp);
	br_init(&avp->value, NULL, 0);
	if (!br_ok(r))
		return -EBADMSG;
	if (br_left(r) == 0)
		return 0;
	if (br_u16(r, &word) < 0 || br_u16(r, &avp->vendor) < 0 || br_u16(r, &avp->type) < 0)
		return -EBADMSG;
	len = word & L2TP_AVP_LEN_MASK;
	avp->flags = word & (uint16_t)~L2TP_AVP_LEN_MASK;
	if (len < L2TP_AVP_HDR_LEN)
		return br_fail(r);
	if (br_sub(r, len - L2TP_AVP_HDR_LEN, &avp->value) < 0)
		return -EBADMSG;
	return 1;
}

int l2tp_avp_unhide(const struct l2tp_avp_raw *avp, const struct l2tp_secret *secret,
		    const uint8_t *rv, size_t rv_len, uint8_t *out, size_t cap,
		    size_t *value_len)
{
	struct buf_reader v = avp->value;
	size_t n = br_left(&v);
	const uint8_t *p;
	uint16_t orig;
	int rc;

	*value_len = 0;
	if (n < 2)
		return -EBADMSG;
	if (n > cap)
		return -ENOSPC;
	if (br_ptr(&v, n, &p) < 0)
		return -EBADMSG;
	rc = l2tp_avp_reveal(avp->type, secret, rv, rv_len, p, out, n);
	if (rc < 0)
		return rc;
	orig = (uint16_t)(out[0] << 8 | out[1]);
	if (orig > n - 2) {
		OPENSSL_cleanse(out, n);
		return -EBADMSG;     /* wrong secret or Random Vector, or a forged AVP */
	}
	memmove(out, out + 2, orig);
	OPENSSL_cleanse(out + orig, n - orig);
	*value_len = orig;
	return 0;
}

static int avp_header(struct buf_writer *w, uint16_t flags, uint16_t type, size_t len)
{
	if (len > L2TP_AVP_MAX_LEN - L2TP_AVP_HDR_LEN)
		return -EMSGSIZE;
	bw_u16(w, (uint16_t)(flags | (L2TP_AVP_HDR_LEN + len)));
	bw_u16(w, 0);       /* vendor ID: IETF */
	return bw_u16(w, type);
}

int l2tp_avp_put(struct buf_writer *w, uint16_t type, bool mandatory, const void *value,
		 size_t len)
{
	int rc = avp_header(w, mandatory ? L2TP_AVP_F_MANDATORY : 0, type, len);

	if (rc < 0)
		return rc;
	return len ? bw_bytes(w, value, len) : 0;
}

int l2tp_avp_put_u16(struct buf_writer *w, uint16_t type, bool mandatory, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return l2tp_avp_put(w, type, mandatory, b, sizeof b);
}

int l2tp_avp_put_u32(struct buf_writer *w, uint16_t type, bool mandatory, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return l2tp_avp_put(w, type, mandatory, b, sizeof b);
}

int l2tp_avp_put_hidden(struct buf_writer *w, uint16_t type, bool mandatory,
			const void *value, size_t len, const uint8_t *pad, size_t pad_len,
			const struct l2tp_secret *secret, const uint8_t *rv, size_t rv_len)
{
	uint16_t flags = (uint16_t)(L2TP_AVP_F_HIDDEN | (mandatory ? L2TP_AVP_F_MANDATORY : 0));
	size_t total = 2 + len + pad_len, off;
	int rc = avp_header(w, flags, type, total);

	if (rc < 0)
		return rc;
	/* Write the plaintext in place, then hide it there: no second copy of the secret value. */
	if (bw_reserve(w, total, &off) < 0)
		return -EMSGSIZE;
	w->data[off] = (uint8_t)(len >> 8);
	w->data[off + 1] = (uint8_t)len;
	if (len)
		memcpy(w->data + off + 2, value, len);
	if (pad_len)
		memcpy(w->data + off + 2 + len, pad, pad_len);
	rc = l2tp_avp_hide(type, secret, rv, rv_len, w->data + off, w->data + off, total);
	if (rc < 0)
		OPENSSL_cleanse(w->data + off, total);
	return rc;
}

int l2tp_result_parse(const uint8_t *value, size_t len, struct l2tp_result *res)
{
	struct buf_reader r;

	memset(res, 0, sizeof *res);
	br_init(&r, value, len);
	if (br_u16(&r, &res->result) < 0)
		return -EBADMSG;
	if (br_left(&r) == 0)
		return 0;
	if (br_u16(&r, &res->error) < 0)
		return -EBADMSG;   /* a single stray octet after the result code */
	res->has_error = true;
	res->message_len = br_left(&r);
	if (res->message_len)
		br_ptr(&r, res->message_len, &res->message);
	return 0;
}

int l2tp_avp_put_result(struct buf_writer *w, uint16_t result, uint16_t error,
			const char *message)
{
	size_t mlen = message ? strlen(message) : 0;
	size_t len = 2 + (error != L2TP_RESULT_NO_ERROR || mlen ? 2 + mlen : 0);
	int rc = avp_header(w, L2TP_AVP_F_MANDATORY, L2TP_AVP_RESULT_CODE, len);

	if (rc < 0)
		return rc;
	bw_u16(w, result);
	if (len > 2) {
		bw_u16(w, error == L2TP_RESULT_NO_ERROR ? L2TP_ERR_NONE : error);
		if (mlen)
			bw_bytes(w, message, mlen);
	}
	return bw_ok(w) ? 0 : -EMSGSIZE;
}

static const char *const stopccn_str[] = {
	[1] = "General request to clear control connection",
	[2] = "General error--Error Code indicates the problem",
	[3] = "Control channel already exists",
	[4] = "Requester is not authorized to establish a control channel",
	[5] = "The protocol version of the requester is not supported",
	[6] = "Requester is being shut down",
	[7] = "Finite State Machine error",
};

static const char *const cdn_str[] = {
	[1] = "Call disconnected due to loss of carrier",
	[2] = "Call disconnected for the reason indicated in error code",
	[3] = "Call disconnected for administrative reasons",
	[4] = "Call failed due to lack of appropriate facilities being available (temporary condition)",
	[5] = "Call failed due to lack of appropriate facilities being available (permanent condition)",
	[6] = "Invalid destination",
	[7] = "Call failed due to no carrier detected",
	[8] = "Call failed due to detection of a busy signal",
	[9] = "Call failed due to lack of a dial tone",
	[10] = "Call was not established within time allotted by LAC",
	[11] = "Call was connected but no appropriate framing was detected",
};

static const char *const error_str[] = {
	[0] = "No general error",
	[1] = "No control connection exists yet for this LAC-LNS pair",
	[2] = "Length is wrong",
	[3] = "One of the field values was out of range or reserved field was non-zero",
	[4] = "Insufficient resources to handle this operation now",
	[5] = "The Session ID is invalid in this context",
	[6] = "A generic vendor-specific error occurred in the LAC",
	[7] = "Try another",
	[8] = "Session or tunnel was shutdown due to receipt of an unknown AVP with the M-bit set",
};

#define LOOKUP(tbl, i) ((i) < sizeof(tbl) / sizeof((tbl)[0]) && (tbl)[i] ? (tbl)[i] : "unknown")

const char *l2tp_stopccn_result_str(uint16_t result) { return LOOKUP(stopccn_str, result); }
const char *l2tp_cdn_result_str(uint16_t result) { return LOOKUP(cdn_str, result); }
const char *l2tp_error_str(uint16_t error) { return LOOKUP(error_str, error); }
