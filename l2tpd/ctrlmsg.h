/*
 * L2TP control messages (RFC 2661 §3.1, §3.2, §6): the header, the message types, which
 * AVPs each message must and may carry (a const table in ctrlmsg.c), and one parser and one
 * builder for all of them.
 *
 * Header of a control message (T, L and S set, O and P clear, Ver 2):
 *   |T|L|x|x|S|x|O|P|x|x|x|x|  Ver  |          Length               |
 *   |           Tunnel ID           |           Session ID          |
 *   |             Ns                |             Nr                |
 *
 * A message with no AVPs at all is a Zero-Length Body (ZLB) acknowledgement.
 */
#ifndef L2SEC_L2TPD_CTRLMSG_H
#define L2SEC_L2TPD_CTRLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "l2tpd/avp.h"
#include "l2tpd/tunnel_auth.h"

#define L2TP_HDR_F_TYPE     0x8000
#define L2TP_HDR_F_LENGTH   0x4000
#define L2TP_HDR_F_SEQUENCE 0x0800
#define L2TP_HDR_F_OFFSET   0x0200
#define L2TP_HDR_F_PRIORITY 0x0100
#define L2TP_HDR_VER_MASK   0x000f
#define L2TP_VERSION        2
#define L2TP_CTRL_HDR_LEN   12
#define L2TP_CTRL_NS_OFFSET 8     /* where the reliable layer writes Ns and Nr */
#define L2TP_CTRL_NR_OFFSET 10
#define L2TP_CTRL_MAX_LEN   4096  /* what we build; received messages may be up to 65535 */

enum l2tp_msg_type {
	L2TP_MSG_ZLB = 0,      /* not a type on the wire: our name for "no AVPs" */
	L2TP_MSG_SCCRQ = 1,
	L2TP_MSG_SCCRP = 2,
	L2TP_MSG_SCCCN = 3,
	L2TP_MSG_STOPCCN = 4,
	L2TP_MSG_HELLO = 6,
	L2TP_MSG_OCRQ = 7,
	L2TP_MSG_OCRP = 8,
	L2TP_MSG_OCCN = 9,
	L2TP_MSG_ICRQ = 10,
	L2TP_MSG_ICRP = 11,
	L2TP_MSG_ICCN = 12,
	L2TP_MSG_CDN = 14,
	L2TP_MSG_WEN = 15,
	L2TP_MSG_SLI = 16,
	L2TP_MSG_COUNT = 17,
};

/* Check that every AVP the message table requires is in the AVP catalogue. 0/-EINVAL. */
int l2tp_msg_selfcheck(void);

/* "SCCRQ", "ZLB", ... or "unknown". */
const char *l2tp_msg_name(uint16_t type);

struct l2tp_ctrl_hdr {
	uint16_t flags;        /* T L S O P bits as on the wire, version masked out */
	uint16_t length;
	uint16_t tunnel_id;
	uint16_t session_id;
	uint16_t ns, nr;
};

/*
 * Read the first word of a UDP/1701 payload: returns 1 for a control message, 0 for a
 * data message (the kernel normally takes those), -EPROTONOSUPPORT for a version other
 * than 2 (L2TPv3 shares the port), -EBADMSG if shorter than 2 octets.
 */
int l2tp_classify(const uint8_t *pkt, size_t len);

/*
 * Parse a control header: T, L and S must be set, O and P clear, version 2, Length equal
 * to len (trailing bytes are refused). Returns 0 or -EBADMSG.
 */
int l2tp_ctrl_hdr_parse(const uint8_t *pkt, size_t len, struct l2tp_ctrl_hdr *h);

/* Why a message could not be accepted, and what to answer (§4.4.2 codes). */
enum l2tp_msg_verdict {
	L2TP_MSG_OK = 0,
	L2TP_MSG_DROP,            /* malformed header: silently drop, do not ack */
	L2TP_MSG_IGNORE,          /* unknown type without M bit: ack and ignore (§4.2) */
	L2TP_MSG_CLOSE_SESSION,   /* reply CDN (session_id != 0) with result/error below */
	L2TP_MSG_CLOSE_TUNNEL,    /* reply StopCCN with result/error below */
};

struct l2tp_msg_error {
	enum l2tp_msg_verdict verdict;
	uint16_t result, error;
	uint16_t avp_type;        /* the AVP at fault, if any */
	char reason[96];          /* for the log and the Result Code's message */
};

struct l2tp_avp_value {
	const uint8_t *data;      /* into the packet, or into the message's reveal buffer */
	uint16_t len;
};

/* A parsed control message. Large (reveal buffer): allocate it or keep one per thread. */
struct l2tp_msg {
	struct l2tp_ctrl_hdr hdr;
	uint16_t type;                    /* L2TP_MSG_ZLB for a ZLB */
	uint64_t present;                 /* bit t set: vendor-0 AVP t was present */
	uint64_t hidden;                  /* bit t set: it arrived hidden */
	struct l2tp_avp_value avp[L2TP_AVP_COUNT];   /* first occurrence of each */
	uint8_t reveal[L2TP_CTRL_MAX_LEN];
	size_t reveal_used;
};

/*
 * Parse pkt[0..len) into *m. secret (may be NULL: then hidden AVPs are refused) reveals
 * hidden AVPs. Returns 0 when the message is accepted, otherwise a negative errno with
 * *err saying what to do. The message borrows pkt: keep it alive while using *m.
 */
int l2tp_msg_parse(struct l2tp_msg *m, const uint8_t *pkt, size_t len,
		   const struct l2tp_secret *secret, struct l2tp_msg_error *err);

static inline bool l2tp_msg_has(const struct l2tp_msg *m, uint16_t type)
{
	return type < L2TP_AVP_COUNT && (m->present >> type) & 1;
}
/* Typed getters: 0, or -ENOENT when absent (lengths were checked by the parser). */
int l2tp_msg_u16(const struct l2tp_msg *m, uint16_t type, uint16_t *v);
int l2tp_msg_u32(const struct l2tp_msg *m, uint16_t type, uint32_t *v);
/* Copy a string AVP into out (NUL-terminated, truncated to cap-1). -ENOENT if absent. */
int l2tp_msg_str(const struct l2tp_msg *m, uint16_t type, char *out, size_t cap);

/* Building. Hidden AVPs use the builder's Random Vector, put once before the first. */
struct l2tp_msg_builder {
	struct buf_writer w;
	const struct l2tp_secret *secret;   /* NULL: put_hidden falls back to plain */
	uint8_t rv[16];
	bool rv_put;
};

/*
 * Start a message of type msg_type to the peer's tunnel_id/session_id in buf[0..cap):
 * header with Ns = Nr = 0 (the reliable layer fills them in) and the Message Type AVP.
 */
int l2tp_msg_begin(struct l2tp_msg_builder *b, uint8_t *buf, size_t cap, uint16_t tunnel_id,
		   uint16_t session_id, uint16_t msg_type, const struct l2tp_secret *secret);
/* Plain AVPs with the M bit from the catalogue. */
int l2tp_msg_put(struct l2tp_msg_builder *b, uint16_t type, const void *value, size_t len);
int l2tp_msg_put_u16(struct l2tp_msg_builder *b, uint16_t type, uint16_t v);
int l2tp_msg_put_u32(struct l2tp_msg_builder *b, uint16_t type, uint32_t v);
int l2tp_msg_put_str(struct l2tp_msg_builder *b, uint16_t type, const char *s);
/*
 * A hidden AVP (plain if the builder has no secret). Hide nothing in SCCRQ/SCCRP: xl2tpd
 * 1.3.18 reveals the hidden AVPs of the SCCRP it receives before loading the tunnel secret
 * and drops the tunnel (found by tests/unit/l2tpd/test_l2tp_xl2tpd.c); after SCCCN it
 * reveals RFC 2661 §4.3 hiding correctly.
 */
int l2tp_msg_put_hidden(struct l2tp_msg_builder *b, uint16_t type, const void *value,
			size_t len);
/* Patch the Length field. Returns the message length or -EMSGSIZE. */
int l2tp_msg_finish(struct l2tp_msg_builder *b);

/* A ZLB acknowledgement into buf (12 octets). Returns 12 or -EMSGSIZE. */
int l2tp_zlb_build(uint8_t *buf, size_t cap, uint16_t tunnel_id, uint16_t ns, uint16_t nr);

#endif
