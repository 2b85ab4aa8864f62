/*
 * The control-protocol catalogue (tables) and codec (build, validate, parse).
 * See ctl_proto.h for the format and docs/control-protocol.md for the messages.
 */
#include "common/ctl_proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

/* --- catalogue ------------------------------------------------------------------- */

static const struct ctl_cmd_info cmd_table[] = {
	{ CTL_CMD_VERSION, "version", CTL_KIND_REQUEST, false },
	{ CTL_CMD_STATUS, "status", CTL_KIND_REQUEST, false },
	{ CTL_CMD_SUBSCRIBE, "subscribe", CTL_KIND_REQUEST, false },
	{ CTL_CMD_UNSUBSCRIBE, "unsubscribe", CTL_KIND_REQUEST, false },
	{ CTL_CMD_RELOAD, "reload", CTL_KIND_REQUEST, true },
	{ CTL_CMD_SET_LOG_LEVEL, "set-log-level", CTL_KIND_REQUEST, true },
	{ CTL_CMD_IKE_SA_LIST, "ike-sa-list", CTL_KIND_DUMP, false },
	{ CTL_CMD_IPSEC_SA_LIST, "ipsec-sa-list", CTL_KIND_DUMP, false },
	{ CTL_CMD_PEER_LIST, "peer-list", CTL_KIND_DUMP, false },
	{ CTL_CMD_INITIATE, "initiate", CTL_KIND_REQUEST, true },
	{ CTL_CMD_TERMINATE, "terminate", CTL_KIND_REQUEST, true },
	{ CTL_CMD_DELETE_PEER, "delete-peer", CTL_KIND_REQUEST, true },
	{ CTL_CMD_PEER_DIAG, "peer-diag", CTL_KIND_DUMP, false },
	{ CTL_CMD_TUNNEL_LIST, "tunnel-list", CTL_KIND_DUMP, false },
	{ CTL_CMD_SESSION_LIST, "session-list", CTL_KIND_DUMP, false },
	{ CTL_CMD_DISCONNECT, "disconnect", CTL_KIND_REQUEST, true },
	{ CTL_CMD_L2TP_PEER_DIAG, "l2tp-peer-diag", CTL_KIND_DUMP, false },
	{ CTL_EVT_PEER_PROTECTED_UP, "peer-protected-up", CTL_KIND_EVENT, false },
	{ CTL_EVT_PEER_PROTECTED_DOWN, "peer-protected-down", CTL_KIND_EVENT, false },
	{ CTL_EVT_TUNNEL_ENDED, "tunnel-ended", CTL_KIND_EVENT, false },
	{ CTL_EVT_IKE_SA_UP, "ike-sa-up", CTL_KIND_EVENT, false },
	{ CTL_EVT_IKE_SA_DOWN, "ike-sa-down", CTL_KIND_EVENT, false },
	{ CTL_EVT_SESSION_UP, "session-up", CTL_KIND_EVENT, false },
	{ CTL_EVT_SESSION_DOWN, "session-down", CTL_KIND_EVENT, false },
	{ CTL_EVT_NEGOTIATION_FAILED, "negotiation-failed", CTL_KIND_EVENT, false },
};

const struct ctl_cmd_info *ctl_cmd_info(uint16_t cmd)
{
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (cmd_table[i].cmd == cmd)
			return &cmd_table[i];
	return NULL;
}

const char *ctl_cmd_name(uint16_t cmd)
{
	const struct ctl_cmd_info *ci = ctl_cmd_info(cmd);

	return ci ? ci->name : "unknown";
}

int ctl_cmd_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(cmd_table) / sizeof(cmd_table[0]); i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return cmd_table[i].cmd;
	return -ENOENT;
}

bool ctl_cmd_is_dump(uint16_t cmd)
{
	const struct ctl_cmd_info *ci = ctl_cmd_info(cmd);

	return ci && ci->kind == CTL_KIND_DUMP;
}

const struct ctl_enum_name ctl_log_level_names[] = {
	{ 0, "err" },
	{ 1, "warn" },
	{ 2, "notice" },
	{ 3, "info" },
	{ 4, "debug" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_ike_state_names[] = {
	{ CTL_IKE_CONNECTING, "connecting" },
	{ CTL_IKE_ESTABLISHED, "established" },
	{ CTL_IKE_REKEYING, "rekeying" },
	{ CTL_IKE_DELETING, "deleting" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_auth_method_names[] = {
	{ CTL_AUTH_PSK, "psk" },
	{ CTL_AUTH_RSA, "rsa" },
	{ CTL_AUTH_ECDSA, "ecdsa" },
	{ CTL_AUTH_XAUTH_PSK, "xauth-psk" },
	{ CTL_AUTH_EAP, "eap" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_ipsec_mode_names[] = {
	{ CTL_IPSEC_TRANSPORT, "transport" },
	{ CTL_IPSEC_TUNNEL, "tunnel" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_tunnel_state_names[] = {
	{ CTL_TUNNEL_IDLE, "idle" },
	{ CTL_TUNNEL_WAIT_CTL_REPLY, "wait-ctl-reply" },
	{ CTL_TUNNEL_WAIT_CTL_CONN, "wait-ctl-conn" },
	{ CTL_TUNNEL_ESTABLISHED, "established" },
	{ CTL_TUNNEL_CLOSING, "closing" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_session_state_names[] = {
	{ CTL_SESSION_WAIT_REPLY, "wait-reply" },
	{ CTL_SESSION_WAIT_CONNECT, "wait-connect" },
	{ CTL_SESSION_PPP_LCP, "lcp" },
	{ CTL_SESSION_PPP_AUTH, "auth" },
	{ CTL_SESSION_PPP_NCP, "ncp" },
	{ CTL_SESSION_ESTABLISHED, "established" },
	{ CTL_SESSION_CLOSING, "closing" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_diag_stage_names[] = {
	{ CTL_DIAG_IKE, "ike" },
	{ CTL_DIAG_IPSEC, "ipsec" },
	{ CTL_DIAG_L2TP_TUNNEL, "l2tp-tunnel" },
	{ CTL_DIAG_L2TP_SESSION, "l2tp-session" },
	{ CTL_DIAG_PPP_LCP, "ppp-lcp" },
	{ CTL_DIAG_PPP_AUTH, "ppp-auth" },
	{ CTL_DIAG_PPP_IPCP, "ppp-ipcp" },
	{ 0, NULL },
};
const struct ctl_enum_name ctl_diag_result_names[] = {
	{ CTL_DIAG_OK, "ok" },
	{ CTL_DIAG_FAILED, "failed" },
	{ CTL_DIAG_ENDED, "ended" },
	{ 0, NULL },
};

#define A(num, nm, t) [num] = { .name = nm, .type = t }
#define E(num, nm, table) [num] = { .name = nm, .type = CTL_T_U8, .names = table }
#define S(num, nm, max) [num] = { .name = nm, .type = CTL_T_STRING, .max_len = max }

static const struct ctl_attr_policy attr_policy[CTL_A_MAX + 1] = {
	S(CTL_A_DAEMON, "daemon", 32),
	S(CTL_A_VERSION, "version", 64),
	A(CTL_A_PROTO_VERSION, "proto-version", CTL_T_U32),
	A(CTL_A_PID, "pid", CTL_T_U32),
	A(CTL_A_UPTIME_SEC, "uptime-sec", CTL_T_U64),
	E(CTL_A_LOG_LEVEL, "log-level", ctl_log_level_names),
	A(CTL_A_EVENT_MASK, "event-mask", CTL_T_U64),
	S(CTL_A_MESSAGE, "message", 4096),
	S(CTL_A_REASON, "reason", 1024),
	A(CTL_A_CLIENT_COUNT, "client-count", CTL_T_U32),
	S(CTL_A_CONN_NAME, "conn-name", 256),
	A(CTL_A_LOCAL_ADDR, "local-addr", CTL_T_SOCKADDR),
	A(CTL_A_PEER_ADDR, "peer-addr", CTL_T_SOCKADDR),
	A(CTL_A_AGE_SEC, "age-sec", CTL_T_U64),
	A(CTL_A_BYTES_IN, "bytes-in", CTL_T_U64),
	A(CTL_A_BYTES_OUT, "bytes-out", CTL_T_U64),
	A(CTL_A_PACKETS_IN, "packets-in", CTL_T_U64),
	A(CTL_A_PACKETS_OUT, "packets-out", CTL_T_U64),
	A(CTL_A_ERRNO, "errno", CTL_T_U32),
	A(CTL_A_AGE_MS, "age-ms", CTL_T_U64),
	E(CTL_A_DIAG_STAGE, "diag-stage", ctl_diag_stage_names),
	E(CTL_A_DIAG_RESULT, "diag-result", ctl_diag_result_names),
	A(CTL_A_REPEAT, "repeat", CTL_T_U32),
	A(CTL_A_ALL, "all", CTL_T_FLAG),

	A(CTL_A_IKE_SA_COUNT, "ike-sa-count", CTL_T_U32),
	A(CTL_A_IPSEC_SA_COUNT, "ipsec-sa-count", CTL_T_U32),
	A(CTL_A_IKE_SA_ID, "ike-sa-id", CTL_T_U32),
	A(CTL_A_CHILD_SA_ID, "child-sa-id", CTL_T_U32),
	A(CTL_A_IKE_VERSION, "ike-version", CTL_T_U8),
	E(CTL_A_IKE_STATE, "ike-state", ctl_ike_state_names),
	S(CTL_A_LOCAL_ID, "local-id", 1024),
	S(CTL_A_PEER_ID, "peer-id", 1024),
	A(CTL_A_SPI_I, "spi-i", CTL_T_U64),
	A(CTL_A_SPI_R, "spi-r", CTL_T_U64),
	A(CTL_A_SPI_IN, "spi-in", CTL_T_U32),
	A(CTL_A_SPI_OUT, "spi-out", CTL_T_U32),
	A(CTL_A_ENCAP, "encap", CTL_T_FLAG),
	A(CTL_A_NAT_LOCAL, "nat-local", CTL_T_FLAG),
	A(CTL_A_NAT_PEER, "nat-peer", CTL_T_FLAG),
	A(CTL_A_XFRM_MARK, "xfrm-mark", CTL_T_U32),
	S(CTL_A_ENC_ALG, "enc-alg", 64),
	S(CTL_A_INTEG_ALG, "integ-alg", 64),
	A(CTL_A_DH_GROUP, "dh-group", CTL_T_U16),
	A(CTL_A_REKEY_IN_SEC, "rekey-in-sec", CTL_T_U64),
	A(CTL_A_INITIATOR, "initiator", CTL_T_FLAG),
	E(CTL_A_AUTH_METHOD, "auth-method", ctl_auth_method_names),
	E(CTL_A_IPSEC_MODE, "ipsec-mode", ctl_ipsec_mode_names),

	A(CTL_A_TUNNEL_COUNT, "tunnel-count", CTL_T_U32),
	A(CTL_A_SESSION_COUNT, "session-count", CTL_T_U32),
	A(CTL_A_TUNNEL_ID, "tunnel-id", CTL_T_U32),
	A(CTL_A_PEER_TUNNEL_ID, "peer-tunnel-id", CTL_T_U32),
	A(CTL_A_SESSION_ID, "session-id", CTL_T_U32),
	A(CTL_A_PEER_SESSION_ID, "peer-session-id", CTL_T_U32),
	E(CTL_A_TUNNEL_STATE, "tunnel-state", ctl_tunnel_state_names),
	E(CTL_A_SESSION_STATE, "session-state", ctl_session_state_names),
	S(CTL_A_HOSTNAME, "hostname", 256),
	S(CTL_A_USER, "user", 256),
	S(CTL_A_IFNAME, "ifname", 16),
	A(CTL_A_CLIENT_IP, "client-ip", CTL_T_SOCKADDR),

	A(CTL_A_ENTRY, "entry", CTL_T_NESTED),
	A(CTL_A_TEST, "test", CTL_T_NESTED),
};

static const struct ctl_attr_policy sockaddr_policy[CTL_SA_A_MAX + 1] = {
	A(CTL_SA_A_FAMILY, "family", CTL_T_U16),
	[CTL_SA_A_ADDR] = { .name = "addr", .type = CTL_T_BINARY, .min_len = 4, .max_len = 16 },
	A(CTL_SA_A_PORT, "port", CTL_T_U16),
	A(CTL_SA_A_SCOPE_ID, "scope-id", CTL_T_U32),
};

#undef A
#undef E
#undef S

const struct ctl_policy ctl_attr_space = { "ctl", CTL_A_MAX, attr_policy };
const struct ctl_policy ctl_sockaddr_space = { "sockaddr", CTL_SA_A_MAX, sockaddr_policy };

const char *ctl_attr_name(uint16_t type)
{
	if (type <= CTL_A_MAX && attr_policy[type].name)
		return attr_policy[type].name;
	return "unknown";
}

const struct ctl_enum_name *ctl_attr_enum(uint16_t type)
{
	return type <= CTL_A_MAX ? attr_policy[type].names : NULL;
}

const char *ctl_enum_name(const struct ctl_enum_name *table, uint32_t value,
			  const char *fallback)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return fallback;
}

int ctl_enum_value(const struct ctl_enum_name *table, const char *name, uint32_t *value)
{
	for (; table->name; table++) {
		if (strcmp(table->name, name) == 0) {
			*value = table->value;
			return 0;
		}
	}
	return -ENOENT;
}

/* --- building ---------------------------------------------------------------------- */

void ctl_msg_init(struct ctl_msg *m, void *buf, size_t cap, uint16_t type, uint16_t flags,
		  uint32_t seq)
{
	m->cap = cap;
	m->overflow = cap < MNL_NLMSG_HDRLEN;
	m->nlh = NULL;
	if (m->overflow)
		return;
	m->nlh = mnl_nlmsg_put_header(buf);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = flags;
	m->nlh->nlmsg_seq = seq;
}

static int put_result(struct ctl_msg *m, bool ok)
{
	if (!ok)
		m->overflow = true;
	return m->overflow ? -EMSGSIZE : 0;
}

int ctl_msg_put_u8(struct ctl_msg *m, uint16_t type, uint8_t v)
{
	return put_result(m, !m->overflow && mnl_attr_put_u8_check(m->nlh, m->cap, type, v));
}

int ctl_msg_put_u16(struct ctl_msg *m, uint16_t type, uint16_t v)
{
	return put_result(m, !m->overflow && mnl_attr_put_u16_check(m->nlh, m->cap, type, v));
}

int ctl_msg_put_u32(struct ctl_msg *m, uint16_t type, uint32_t v)
{
	return put_result(m, !m->overflow && mnl_attr_put_u32_check(m->nlh, m->cap, type, v));
}

int ctl_msg_put_u64(struct ctl_msg *m, uint16_t type, uint64_t v)
{
	return put_result(m, !m->overflow && mnl_attr_put_u64_check(m->nlh, m->cap, type, v));
}

int ctl_msg_put_flag(struct ctl_msg *m, uint16_t type)
{
	return put_result(m, !m->overflow && mnl_attr_put_check(m->nlh, m->cap, type, 0, NULL));
}

int ctl_msg_put_str(struct ctl_msg *m, uint16_t type, const char *s)
{
	return put_result(m, !m->overflow && mnl_attr_put_strz_check(m->nlh, m->cap, type, s));
}

int ctl_msg_put_bin(struct ctl_msg *m, uint16_t type, const void *data, size_t len)
{
	return put_result(m, !m->overflow && len <= UINT16_MAX &&
				     mnl_attr_put_check(m->nlh, m->cap, type, len, data));
}

int ctl_msg_put_sockaddr(struct ctl_msg *m, uint16_t type, const struct sockaddr *sa)
{
	const void *addr;
	size_t alen;
	uint16_t port;
	uint32_t scope = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		addr = &sin->sin_addr;
		alen = 4;
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		addr = &sin6->sin6_addr;
		alen = 16;
		port = ntohs(sin6->sin6_port);
		scope = sin6->sin6_scope_id;
	} else {
		return -EAFNOSUPPORT;
	}
	struct nlattr *nest = ctl_msg_nest_start(m, type);

	ctl_msg_put_u16(m, CTL_SA_A_FAMILY, sa->sa_family);
	ctl_msg_put_bin(m, CTL_SA_A_ADDR, addr, alen);
	ctl_msg_put_u16(m, CTL_SA_A_PORT, port);
	if (scope)
		ctl_msg_put_u32(m, CTL_SA_A_SCOPE_ID, scope);
	ctl_msg_nest_end(m, nest);
	return m->overflow ? -EMSGSIZE : 0;
}

struct nlattr *ctl_msg_nest_start(struct ctl_msg *m, uint16_t type)
{
	struct nlattr *nest = NULL;

	if (!m->overflow)
		nest = mnl_attr_nest_start_check(m->nlh, m->cap, type);
	if (!nest)
		m->overflow = true;
	return nest;
}

void ctl_msg_nest_end(struct ctl_msg *m, struct nlattr *nest)
{
	/* After an overflow the nest's contents are incomplete: the caller sees
	 * ctl_msg_ok() == false and must not send, so leaving it open is fine. */
	if (nest && !m->overflow)
		mnl_attr_nest_end(m->nlh, nest);
}

void ctl_msg_nest_cancel(struct ctl_msg *m, struct nlattr *nest)
{
	if (nest)
		mnl_attr_nest_cancel(m->nlh, nest);
}

/* --- validating and parsing ------------------------------------------------------- */

struct parse_ctx {
	const struct ctl_policy *space;
	const struct nlattr **tb;       /* NULL: validate only */
	const void *base;               /* start of the message, for offsets */
	unsigned depth;
	struct ctl_parse_error *perr;
	const char *end;                /* end of the last attribute seen (aligned) */
	int err;
};

static int parse_fail(struct parse_ctx *c, const struct nlattr *attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int parse_fail(struct parse_ctx *c, const struct nlattr *attr, const char *fmt, ...)
{
	if (c->perr && !c->err) {
		const struct ctl_attr_policy *p = NULL;
		uint16_t type = attr ? mnl_attr_get_type(attr) : 0;
		int n = 0;
		va_list ap;

		if (attr && type <= c->space->max)
			p = &c->space->attrs[type];
		if (attr)
			n = snprintf(c->perr->why, sizeof(c->perr->why), "attribute %s%s%s (%u): ",
				     c->space == &ctl_attr_space ? "" : c->space->name,
				     c->space == &ctl_attr_space ? "" : ".",
				     p && p->name ? p->name : "?", type);
		if (n < 0 || (size_t)n >= sizeof(c->perr->why))
			n = 0;
		va_start(ap, fmt);
		vsnprintf(c->perr->why + n, sizeof(c->perr->why) - (size_t)n, fmt, ap);
		va_end(ap);
		c->perr->bad_off = attr ? (uint32_t)((const char *)attr - (const char *)c->base) : 0;
	}
	c->err = -EINVAL;
	return MNL_CB_ERROR;
}

static int walk_attrs(const struct ctl_policy *space, const void *payload, size_t len,
		      const void *base, unsigned depth, const struct nlattr **tb,
		      struct ctl_parse_error *perr);

static int check_attr(struct parse_ctx *c, const struct nlattr *attr,
		      const struct ctl_attr_policy *p)
{
	static const enum mnl_attr_data_type fixed[] = {
		[CTL_T_U8] = MNL_TYPE_U8, [CTL_T_U16] = MNL_TYPE_U16,
		[CTL_T_U32] = MNL_TYPE_U32, [CTL_T_U64] = MNL_TYPE_U64,
		[CTL_T_FLAG] = MNL_TYPE_FLAG,
	};
	uint16_t len = mnl_attr_get_payload_len(attr);
	const struct ctl_policy *inner = &ctl_attr_space;

	switch (p->type) {
	case CTL_T_U8: case CTL_T_U16: case CTL_T_U32: case CTL_T_U64: case CTL_T_FLAG:
		if (mnl_attr_validate(attr, fixed[p->type]) < 0)
			return parse_fail(c, attr, "wrong size %u", len);
		return MNL_CB_OK;
	case CTL_T_STRING:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return parse_fail(c, attr, "string empty or not NUL-terminated");
		if (p->max_len && len > p->max_len)
			return parse_fail(c, attr, "string longer than %u bytes", p->max_len - 1u);
		return MNL_CB_OK;
	case CTL_T_BINARY:
		if (len < p->min_len || (p->max_len && len > p->max_len))
			return parse_fail(c, attr, "%u bytes, expected %u..%u", len, p->min_len,
					  p->max_len);
		return MNL_CB_OK;
	case CTL_T_SOCKADDR:
		inner = &ctl_sockaddr_space;
		/* fall through */
	case CTL_T_NESTED:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return parse_fail(c, attr, "nest of %u bytes is too short", len);
		if (c->depth + 1 >= CTL_NEST_DEPTH_MAX)
			return parse_fail(c, attr, "nested more than %d deep", CTL_NEST_DEPTH_MAX);
		if (walk_attrs(inner, mnl_attr_get_payload(attr), len, c->base, c->depth + 1,
			       NULL, c->perr) < 0) {
			c->err = -EINVAL;
			return MNL_CB_ERROR;
		}
		return MNL_CB_OK;
	default:
		return MNL_CB_OK;
	}
}

static int parse_attr_cb(const struct nlattr *attr, void *data)
{
	struct parse_ctx *c = data;
	uint16_t type = mnl_attr_get_type(attr);

	c->end = (const char *)attr + MNL_ALIGN(attr->nla_len);
	if (type > c->space->max || !c->space->attrs[type].name)
		return MNL_CB_OK;   /* unknown: skipped, so newer peers can add attributes */
	if (check_attr(c, attr, &c->space->attrs[type]) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if (c->tb)
		c->tb[type] = attr;
	return MNL_CB_OK;
}

static int walk_attrs(const struct ctl_policy *space, const void *payload, size_t len,
		      const void *base, unsigned depth, const struct nlattr **tb,
		      struct ctl_parse_error *perr)
{
	struct parse_ctx c = {
		.space = space, .tb = tb, .base = base, .depth = depth, .perr = perr,
		.end = payload,
	};

	if (tb)
		memset(tb, 0, (space->max + 1u) * sizeof(*tb));
	mnl_attr_parse_payload(payload, len, parse_attr_cb, &c);
	if (c.err)
		return c.err;
	/* libmnl stops quietly at bytes that are not a whole attribute: refuse them. */
	if (c.end < (const char *)payload + len) {
		if (perr) {
			snprintf(perr->why, sizeof(perr->why),
				 "%zu trailing bytes in %s attributes are not an attribute",
				 (size_t)((const char *)payload + len - c.end), space->name);
			perr->bad_off = (uint32_t)(c.end - (const char *)base);
		}
		return -EINVAL;
	}
	return 0;
}

int ctl_attr_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   struct ctl_parse_error *perr)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN) {
		if (perr) {
			snprintf(perr->why, sizeof(perr->why), "message shorter than its header");
			perr->bad_off = 0;
		}
		return -EINVAL;
	}
	return walk_attrs(&ctl_attr_space, mnl_nlmsg_get_payload(nlh),
			  mnl_nlmsg_get_payload_len(nlh), nlh, 0, tb, perr);
}

int ctl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			  struct ctl_parse_error *perr)
{
	return walk_attrs(&ctl_attr_space, mnl_attr_get_payload(nest),
			  mnl_attr_get_payload_len(nest), nest, 1, tb, perr);
}

int ctl_attr_get_sockaddr(const struct nlattr *attr, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	const struct nlattr *tb[CTL_SA_A_MAX + 1];
	uint16_t family, port = 0;
	uint16_t alen;

	if (!attr || walk_attrs(&ctl_sockaddr_space, mnl_attr_get_payload(attr),
				mnl_attr_get_payload_len(attr), attr, 1, tb, NULL) < 0)
		return -EINVAL;
	if (!tb[CTL_SA_A_FAMILY] || !tb[CTL_SA_A_ADDR])
		return -EINVAL;
	family = mnl_attr_get_u16(tb[CTL_SA_A_FAMILY]);
	alen = mnl_attr_get_payload_len(tb[CTL_SA_A_ADDR]);
	if (tb[CTL_SA_A_PORT])
		port = mnl_attr_get_u16(tb[CTL_SA_A_PORT]);
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET && alen == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, mnl_attr_get_payload(tb[CTL_SA_A_ADDR]), 4);
		*len = sizeof(*sin);
	} else if (family == AF_INET6 && alen == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, mnl_attr_get_payload(tb[CTL_SA_A_ADDR]), 16);
		if (tb[CTL_SA_A_SCOPE_ID])
			sin6->sin6_scope_id = mnl_attr_get_u32(tb[CTL_SA_A_SCOPE_ID]);
		*len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int error_attr_cb(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* The layout the kernel uses (and the daemons copy): struct nlmsgerr, then, with
 * NLM_F_ACK_TLVS, attributes after the echoed request (just its header when
 * NLM_F_CAPPED, or when the error is 0 - an ack - the kernel never echoes more). */
int ctl_parse_error_msg(const struct nlmsghdr *nlh, int *err, const char **msg)
{
	const struct nlmsgerr *e;
	size_t plen, off;

	*msg = NULL;
	*err = 0;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	*err = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	plen = mnl_nlmsg_get_payload_len(nlh);
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->error != 0) {
		if (e->msg.nlmsg_len < MNL_NLMSG_HDRLEN || e->msg.nlmsg_len > plen)
			return 0;
		off += MNL_ALIGN(e->msg.nlmsg_len) - MNL_NLMSG_HDRLEN;
	}
	if (off >= plen)
		return 0;
	mnl_attr_parse_payload((const char *)e + off, plen - off, error_attr_cb, msg);
	return 0;
}
