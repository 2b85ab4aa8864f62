/* L2TP control message parser and builder (RFC 2661 §3.1, §4.2, §6). */
#include "l2tpd/ctrlmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"

#define BIT(t) (UINT64_C(1) << L2TP_AVP_##t)

/*
 * Which AVPs each message MUST carry (RFC 2661 §6.1-§6.16), besides the Message Type,
 * which the parser requires first in every message. Optional AVPs are listed in the
 * comments; known AVPs that a message does not list are accepted and ignored.
 */
struct msg_rule {
	const char *name;
	bool session;        /* a session message: errors close the session, not the tunnel */
	uint64_t required;
};

static const struct msg_rule msg_rules[L2TP_MSG_COUNT] = {
	[L2TP_MSG_ZLB] = { "ZLB", false, 0 },
	/* §6.1 SCCRQ; may: Bearer Caps, Receive Window Size, Challenge, Tie Breaker,
	 * Firmware Revision, Vendor Name */
	[L2TP_MSG_SCCRQ] = { "SCCRQ", false,
		BIT(PROTOCOL_VERSION) | BIT(HOST_NAME) | BIT(FRAMING_CAPABILITIES) |
		BIT(ASSIGNED_TUNNEL_ID) },
	/* §6.2 SCCRP; may: Bearer Caps, Firmware Revision, Vendor Name, Receive Window Size,
	 * Challenge, Challenge Response */
	[L2TP_MSG_SCCRP] = { "SCCRP", false,
		BIT(PROTOCOL_VERSION) | BIT(FRAMING_CAPABILITIES) | BIT(HOST_NAME) |
		BIT(ASSIGNED_TUNNEL_ID) },
	/* §6.3 SCCCN; may: Challenge Response */
	[L2TP_MSG_SCCCN] = { "SCCCN", false, 0 },
	/* §6.4 StopCCN */
	[L2TP_MSG_STOPCCN] = { "StopCCN", false, BIT(ASSIGNED_TUNNEL_ID) | BIT(RESULT_CODE) },
	/* §6.5 HELLO */
	[L2TP_MSG_HELLO] = { "HELLO", false, 0 },
	/* §6.6 OCRQ; may: Sub-Address */
	[L2TP_MSG_OCRQ] = { "OCRQ", true,
		BIT(ASSIGNED_SESSION_ID) | BIT(CALL_SERIAL_NUMBER) | BIT(MINIMUM_BPS) |
		BIT(MAXIMUM_BPS) | BIT(BEARER_TYPE) | BIT(FRAMING_TYPE) | BIT(CALLED_NUMBER) },
	/* §6.7 OCRP; may: Physical Channel ID */
	[L2TP_MSG_OCRP] = { "OCRP", true, BIT(ASSIGNED_SESSION_ID) },
	/* §6.8 OCCN; may: Rx Connect Speed, Sequencing Required */
	[L2TP_MSG_OCCN] = { "OCCN", true, BIT(TX_CONNECT_SPEED) | BIT(FRAMING_TYPE) },
	/* §6.9 ICRQ; may: Bearer Type, Physical Channel ID, Calling/Called Number, Sub-Address */
	[L2TP_MSG_ICRQ] = { "ICRQ", true, BIT(ASSIGNED_SESSION_ID) | BIT(CALL_SERIAL_NUMBER) },
	/* §6.10 ICRP */
	[L2TP_MSG_ICRP] = { "ICRP", true, BIT(ASSIGNED_SESSION_ID) },
	/* §6.11 ICCN; may: proxy LCP and authentication AVPs, Private Group ID,
	 * Rx Connect Speed, Sequencing Required */
	[L2TP_MSG_ICCN] = { "ICCN", true, BIT(TX_CONNECT_SPEED) | BIT(FRAMING_TYPE) },
	/* §6.12 CDN; may: Q.931 Cause Code */
	[L2TP_MSG_CDN] = { "CDN", true, BIT(RESULT_CODE) | BIT(ASSIGNED_SESSION_ID) },
	/* §6.13 WEN */
	[L2TP_MSG_WEN] = { "WEN", true, BIT(CALL_ERRORS) },
	/* §6.14 SLI */
	[L2TP_MSG_SLI] = { "SLI", true, BIT(ACCM) },
};

const char *l2tp_msg_name(uint16_t type)
{
	if (type >= L2TP_MSG_COUNT || !msg_rules[type].name)
		return "unknown";
	return msg_rules[type].name;
}

int l2tp_msg_selfcheck(void)
{
	int bad = 0;

	for (uint16_t m = 0; m < L2TP_MSG_COUNT; m++)
		for (uint16_t t = 0; t < 64; t++)
			if (((msg_rules[m].required >> t) & 1) &&
			    (!msg_rules[m].name || !l2tp_avp_spec(t))) {
				log_err("l2tp_msg_table_inconsistent", "message=%u avp=%u", m, t);
				bad++;
			}
	return bad ? -EINVAL : 0;
}

int l2tp_classify(const uint8_t *pkt, size_t len)
{
	uint16_t w;

	if (len < 2)
		return -EBADMSG;
	w = (uint16_t)(pkt[0] << 8 | pkt[1]);
	if ((w & L2TP_HDR_VER_MASK) != L2TP_VERSION)
		return -EPROTONOSUPPORT;
	return (w & L2TP_HDR_F_TYPE) ? 1 : 0;
}

int l2tp_ctrl_hdr_parse(const uint8_t *pkt, size_t len, struct l2tp_ctrl_hdr *h)
{
	const uint16_t need = L2TP_HDR_F_TYPE | L2TP_HDR_F_LENGTH | L2TP_HDR_F_SEQUENCE;
	struct buf_reader r;
	uint16_t w;

	memset(h, 0, sizeof *h);
	br_init(&r, pkt, len);
	br_u16(&r, &w);
	br_u16(&r, &h->length);
	br_u16(&r, &h->tunnel_id);
	br_u16(&r, &h->session_id);
	br_u16(&r, &h->ns);
	br_u16(&r, &h->nr);
	if (!br_ok(&r))
		return -EBADMSG;
	h->flags = w & (uint16_t)~L2TP_HDR_VER_MASK;
	/* §3.1: control messages MUST have L and S set, O and P clear */
	if ((w & L2TP_HDR_VER_MASK) != L2TP_VERSION || (w & need) != need ||
	    (w & (L2TP_HDR_F_OFFSET | L2TP_HDR_F_PRIORITY)))
		return -EBADMSG;
	if (h->length != len)
		return -EBADMSG;
	return 0;
}

__attribute__((format(printf, 6, 7)))
static int reject(struct l2tp_msg_error *err, enum l2tp_msg_verdict v, uint16_t result,
		  uint16_t error, uint16_t avp_type, const char *fmt, ...)
{
	va_list ap;

	err->verdict = v;
	err->result = result;
	err->error = error;
	err->avp_type = avp_type;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof err->reason, fmt, ap);
	va_end(ap);
	return v == L2TP_MSG_IGNORE ? -ENOMSG : -EBADMSG;
}

/* The verdict that closes whatever the message belongs to. */
static enum l2tp_msg_verdict close_verdict(uint16_t type)
{
	return type < L2TP_MSG_COUNT && msg_rules[type].session ? L2TP_MSG_CLOSE_SESSION
								: L2TP_MSG_CLOSE_TUNNEL;
}

static uint16_t general_error(uint16_t type)
{
	return close_verdict(type) == L2TP_MSG_CLOSE_SESSION ? L2TP_CDN_GENERAL_ERROR
							     : L2TP_STOPCCN_GENERAL_ERROR;
}

/* Reveal one hidden AVP into the message's reveal buffer. */
static int reveal_avp(struct l2tp_msg *m, const struct l2tp_avp_raw *a,
		      const struct l2tp_secret *secret, const struct l2tp_avp_value *rv,
		      struct l2tp_avp_value *out, struct l2tp_msg_error *err)
{
	size_t vlen;
	int rc;

	if (!secret || !secret->len || !rv->data)
		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_BAD_VALUE, a->type,
			      "hidden AVP %s without a shared secret or Random Vector",
			      l2tp_avp_name(a->type));
	rc = l2tp_avp_unhide(a, secret, rv->data, rv->len, m->reveal + m->reveal_used,
			     sizeof m->reveal - m->reveal_used, &vlen);
	if (rc < 0)
		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_BAD_LENGTH, a->type,
			      "hidden AVP %s does not reveal (wrong secret?)",
			      l2tp_avp_name(a->type));
	out->data = m->reveal + m->reveal_used;
	out->len = (uint16_t)vlen;
	m->reveal_used += vlen;
	return 0;
}

/* Handle one AVP after the Message Type. rv tracks the latest Random Vector (§4.3). */
static int take_avp(struct l2tp_msg *m, const struct l2tp_avp_raw *a,
		    const struct l2tp_secret *secret, struct l2tp_avp_value *rv,
		    struct l2tp_msg_error *err)
{
	const struct l2tp_avp_spec *spec = a->vendor == 0 ? l2tp_avp_spec(a->type) : NULL;
	struct l2tp_avp_value v = { NULL, 0 };
	bool hidden = a->flags & L2TP_AVP_F_HIDDEN;
	int rc;

	if (!spec || a->type == L2TP_AVP_MESSAGE_TYPE) {
		/* §4.1: an unrecognised AVP with M set ends the session or tunnel */
		if (!(a->flags & L2TP_AVP_F_MANDATORY))
			return 0;
		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_UNKNOWN_MANDATORY_AVP, a->type,
			      "unknown mandatory AVP (vendor/type) in %s", l2tp_msg_name(m->type));
	}
	if (hidden) {
		if (!spec->may_hide)
			return reject(err, close_verdict(m->type), general_error(m->type),
				      L2TP_ERR_BAD_VALUE, a->type, "AVP %s must not be hidden",
				      spec->name);
		rc = reveal_avp(m, a, secret, rv, &v, err);
		if (rc < 0)
			return rc;
	} else {
		v.len = (uint16_t)br_left(&a->value);
		struct buf_reader tmp = a->value;
		br_ptr(&tmp, v.len, &v.data);
	}
	if (v.len < spec->min_len || v.len > spec->max_len)
		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_BAD_LENGTH, a->type, "AVP %s has a wrong length",
			      spec->name);
	if (a->type == L2TP_AVP_RANDOM_VECTOR)
		*rv = v;   /* applies to the hidden AVPs that follow it */
	if (!l2tp_msg_has(m, a->type)) {
		m->avp[a->type] = v;
		m->present |= UINT64_C(1) << a->type;
		if (hidden)
			m->hidden |= UINT64_C(1) << a->type;
	}
	return 0;
}

/* The first AVP must be a plain Message Type (§4.4.1). */
static int take_message_type(struct l2tp_msg *m, struct buf_reader *r,
			     struct l2tp_msg_error *err)
{
	struct l2tp_avp_raw a;
	uint16_t type;

	if (l2tp_avp_next(r, &a) != 1 || a.vendor != 0 || a.type != L2TP_AVP_MESSAGE_TYPE ||
	    (a.flags & L2TP_AVP_F_HIDDEN) || br_u16(&a.value, &type) < 0 || !br_done(&a.value))
		return reject(err, L2TP_MSG_DROP, 0, 0, 0, "%s",
			      "first AVP is not a valid Message Type");
	m->type = type;
	m->present |= BIT(MESSAGE_TYPE);
	if (type == L2TP_MSG_ZLB || type >= L2TP_MSG_COUNT || !msg_rules[type].name) {
		m->type = type;
		if (a.flags & L2TP_AVP_F_MANDATORY)   /* §4.4.1: clear the tunnel */
			return reject(err, L2TP_MSG_CLOSE_TUNNEL, L2TP_STOPCCN_GENERAL_ERROR,
				      L2TP_ERR_UNKNOWN_MANDATORY_AVP, 0, "%s",
				      "unknown mandatory message type");
		return reject(err, L2TP_MSG_IGNORE, 0, 0, 0, "%s", "unknown message type");
	}
	return 0;
}

int l2tp_msg_parse(struct l2tp_msg *m, const uint8_t *pkt, size_t len,
		   const struct l2tp_secret *secret, struct l2tp_msg_error *err)
{
	struct l2tp_avp_value rv = { NULL, 0 };
	struct l2tp_avp_raw a;
	struct buf_reader r;
	uint64_t missing;
	int rc;

	memset(err, 0, sizeof *err);
	m->type = L2TP_MSG_ZLB;
	m->present = m->hidden = 0;
	m->reveal_used = 0;
	memset(m->avp, 0, sizeof m->avp);
	if (l2tp_ctrl_hdr_parse(pkt, len, &m->hdr) < 0)
		return reject(err, L2TP_MSG_DROP, 0, 0, 0, "%s", "malformed control header");
	if (len == L2TP_CTRL_HDR_LEN)
		return 0;   /* ZLB */
	br_init(&r, pkt + L2TP_CTRL_HDR_LEN, len - L2TP_CTRL_HDR_LEN);
	rc = take_message_type(m, &r, err);
	if (rc < 0)
		return rc;
	while ((rc = l2tp_avp_next(&r, &a)) == 1) {
		rc = take_avp(m, &a, secret, &rv, err);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_BAD_LENGTH, 0, "%s", "AVP length runs past the message");
	missing = msg_rules[m->type].required & ~m->present;
	if (missing) {
		uint16_t t = (uint16_t)__builtin_ctzll(missing);

		return reject(err, close_verdict(m->type), general_error(m->type),
			      L2TP_ERR_BAD_VALUE, t, "required AVP %s missing",
			      l2tp_avp_name(t));
	}
	return 0;
}

int l2tp_msg_u16(const struct l2tp_msg *m, uint16_t type, uint16_t *v)
{
	*v = 0;
	if (!l2tp_msg_has(m, type) || m->avp[type].len < 2)
		return -ENOENT;
	*v = (uint16_t)(m->avp[type].data[0] << 8 | m->avp[type].data[1]);
	return 0;
}

int l2tp_msg_u32(const struct l2tp_msg *m, uint16_t type, uint32_t *v)
{
	const uint8_t *p;

	*v = 0;
	if (!l2tp_msg_has(m, type) || m->avp[type].len < 4)
		return -ENOENT;
	p = m->avp[type].data;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return 0;
}

int l2tp_msg_str(const struct l2tp_msg *m, uint16_t type, char *out, size_t cap)
{
	size_t n;

	if (cap)
		out[0] = '\0';
	if (!l2tp_msg_has(m, type))
		return -ENOENT;
	if (!cap)
		return 0;
	n = m->avp[type].len < cap - 1 ? m->avp[type].len : cap - 1;
	if (n)
		memcpy(out, m->avp[type].data, n);
	out[n] = '\0';
	return 0;
}

static void put_ctrl_hdr(struct buf_writer *w, uint16_t length, uint16_t tunnel_id,
			 uint16_t session_id, uint16_t ns, uint16_t nr)
{
	bw_u16(w, L2TP_HDR_F_TYPE | L2TP_HDR_F_LENGTH | L2TP_HDR_F_SEQUENCE | L2TP_VERSION);
	bw_u16(w, length);
	bw_u16(w, tunnel_id);
	bw_u16(w, session_id);
	bw_u16(w, ns);
	bw_u16(w, nr);
}

int l2tp_msg_begin(struct l2tp_msg_builder *b, uint8_t *buf, size_t cap, uint16_t tunnel_id,
		   uint16_t session_id, uint16_t msg_type, const struct l2tp_secret *secret)
{
	memset(b, 0, sizeof *b);
	b->secret = secret;
	bw_init(&b->w, buf, cap);
	put_ctrl_hdr(&b->w, 0, tunnel_id, session_id, 0, 0);
	return l2tp_avp_put_u16(&b->w, L2TP_AVP_MESSAGE_TYPE, true, msg_type);
}

static bool mandatory_of(uint16_t type)
{
	const struct l2tp_avp_spec *s = l2tp_avp_spec(type);

	return s ? s->mandatory : false;
}

int l2tp_msg_put(struct l2tp_msg_builder *b, uint16_t type, const void *value, size_t len)
{
	return l2tp_avp_put(&b->w, type, mandatory_of(type), value, len);
}

int l2tp_msg_put_u16(struct l2tp_msg_builder *b, uint16_t type, uint16_t v)
{
	return l2tp_avp_put_u16(&b->w, type, mandatory_of(type), v);
}

int l2tp_msg_put_u32(struct l2tp_msg_builder *b, uint16_t type, uint32_t v)
{
	return l2tp_avp_put_u32(&b->w, type, mandatory_of(type), v);
}

int l2tp_msg_put_str(struct l2tp_msg_builder *b, uint16_t type, const char *s)
{
	return l2tp_msg_put(b, type, s, strlen(s));
}

int l2tp_msg_put_hidden(struct l2tp_msg_builder *b, uint16_t type, const void *value,
			size_t len)
{
	const struct l2tp_avp_spec *spec = l2tp_avp_spec(type);
	int rc;

	if (!b->secret || !b->secret->len || !spec || !spec->may_hide)
		return l2tp_msg_put(b, type, value, len);
	if (!b->rv_put) {
		if (RAND_bytes(b->rv, sizeof b->rv) != 1)
			return -EIO;
		rc = l2tp_avp_put(&b->w, L2TP_AVP_RANDOM_VECTOR, true, b->rv, sizeof b->rv);
		if (rc < 0)
			return rc;
		b->rv_put = true;
	}
	return l2tp_avp_put_hidden(&b->w, type, spec->mandatory, value, len, NULL, 0, b->secret,
				   b->rv, sizeof b->rv);
}

int l2tp_msg_finish(struct l2tp_msg_builder *b)
{
	if (!bw_ok(&b->w) || bw_len(&b->w) > UINT16_MAX)
		return -EMSGSIZE;
	bw_patch_u16(&b->w, 2, (uint16_t)bw_len(&b->w));
	return (int)bw_len(&b->w);
}

int l2tp_zlb_build(uint8_t *buf, size_t cap, uint16_t tunnel_id, uint16_t ns, uint16_t nr)
{
	struct buf_writer w;

	bw_init(&w, buf, cap);
	put_ctrl_hdr(&w, L2TP_CTRL_HDR_LEN, tunnel_id, 0, ns, nr);
	return bw_ok(&w) ? L2TP_CTRL_HDR_LEN : -EMSGSIZE;
}
