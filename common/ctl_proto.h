/*
 * The control-protocol message catalogue: command and event numbers, attribute numbers
 * and types, their names, and the codec helpers that build and check messages.
 *
 * Defined once here for ikd, l2tpd and vpnctl; docs/control-protocol.md describes every
 * message. The wire format is netlink's: a struct nlmsghdr whose nlmsg_type is the
 * command (always >= NLMSG_MIN_TYPE), then netlink attributes (struct nlattr, 4-byte
 * aligned, host byte order), nested where the table says so. No family header follows
 * the nlmsghdr: attributes start right after it.
 *
 * All attribute numbers live in ONE space (enum ctl_attr) and a nested attribute holds
 * attributes of that same space, except CTL_T_SOCKADDR nests, which hold the small
 * enum ctl_sockaddr_attr space. Unknown attribute numbers are skipped by parsers so
 * that a newer peer can add attributes; known ones must have exactly their type's size.
 *
 * Numbers are ABI between a daemon and an older vpnctl: never renumber, only append
 * (there is room left in every range).
 */
#ifndef L2SEC_COMMON_CTL_PROTO_H
#define L2SEC_COMMON_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/netlink.h>

/* Bumped when a message changes in a way an older peer would misread. */
#define CTL_PROTO_VERSION 1

/* Largest single message (header + attributes) and largest datagram (several whole
 * messages, e.g. dump entries). Receive buffers are CTL_DGRAM_MAX bytes; a bigger
 * datagram is refused with EMSGSIZE. Anything larger than one message is a dump. */
#define CTL_MSG_MAX   32768u
#define CTL_DGRAM_MAX 32768u

/* Nests deeper than this are refused (a hostile peer cannot recurse us to death). */
#define CTL_NEST_DEPTH_MAX 4

/*
 * Commands and events (nlmsg_type). Ranges: 0x10-0x1f generic, 0x20-0x3f ikd,
 * 0x40-0x5f l2tpd, 0x60-0x9f events (bit (type - CTL_EVT_BASE) of an event mask).
 */
enum ctl_cmd {
	/* generic: both daemons */
	CTL_CMD_VERSION = 0x10,         /* -> DAEMON, VERSION, PROTO_VERSION */
	CTL_CMD_STATUS = 0x11,          /* -> DAEMON, PID, UPTIME_SEC, LOG_LEVEL, *_COUNT */
	CTL_CMD_SUBSCRIBE = 0x12,       /* [EVENT_MASK] -> ack; then events arrive */
	CTL_CMD_UNSUBSCRIBE = 0x13,     /* -> ack */
	CTL_CMD_RELOAD = 0x14,          /* admin; -> [MESSAGE] */
	CTL_CMD_SET_LOG_LEVEL = 0x15,   /* admin; LOG_LEVEL -> ack */
	CTL_CMD_GENERIC_LAST = 0x1f,

	/* ikd */
	CTL_CMD_IKE_SA_LIST = 0x20,     /* dump of IKE SAs */
	CTL_CMD_IPSEC_SA_LIST = 0x21,   /* dump of IPsec (CHILD) SAs */
	CTL_CMD_PEER_LIST = 0x22,       /* dump of configured/known peers */
	CTL_CMD_INITIATE = 0x23,        /* admin; CONN_NAME [PEER_ADDR] -> [IKE_SA_ID] */
	CTL_CMD_TERMINATE = 0x24,       /* admin; IKE_SA_ID | CONN_NAME | PEER_ADDR */
	CTL_CMD_DELETE_PEER = 0x25,     /* admin, l2tpd->ikd; PEER_ADDR [IKE_SA_ID] [REASON] */
	CTL_CMD_PEER_DIAG = 0x26,       /* dump: last failure reasons per peer [PEER_ADDR] */
	CTL_CMD_IKD_LAST = 0x3f,

	/* l2tpd */
	CTL_CMD_TUNNEL_LIST = 0x40,     /* dump of L2TP tunnels */
	CTL_CMD_SESSION_LIST = 0x41,    /* dump of L2TP sessions / PPP links */
	CTL_CMD_DISCONNECT = 0x42,      /* admin; TUNNEL_ID | SESSION_ID | USER [REASON] */
	CTL_CMD_L2TP_PEER_DIAG = 0x43,  /* dump: what happened to a peer's tunnels and sessions
					 * [PEER_ADDR] (same entries as PEER_DIAG) */
	CTL_CMD_L2TPD_LAST = 0x5f,

	/* events: sent by a daemon to its subscribers, nlmsg_seq 0, never requested */
	CTL_EVT_BASE = 0x60,
	CTL_EVT_PEER_PROTECTED_UP = 0x60,   /* ikd: transport SA covering UDP/1701 is up */
	CTL_EVT_PEER_PROTECTED_DOWN = 0x61, /* ikd: ... went down */
	CTL_EVT_TUNNEL_ENDED = 0x62,        /* l2tpd: an L2TP tunnel ended */
	CTL_EVT_IKE_SA_UP = 0x63,           /* ikd */
	CTL_EVT_IKE_SA_DOWN = 0x64,         /* ikd */
	CTL_EVT_SESSION_UP = 0x65,          /* l2tpd: PPP reached IPCP opened */
	CTL_EVT_SESSION_DOWN = 0x66,        /* l2tpd */
	CTL_EVT_NEGOTIATION_FAILED = 0x67,  /* ikd: why an exchange failed */
	CTL_EVT_LAST = 0x9f,
};

/*
 * True when nlh is a whole message within len bytes. Use this, not mnl_nlmsg_ok(), on
 * bytes from a peer: libmnl 1.0.4 compares (int)nlmsg_len <= len, so a length of 2^31 or
 * more passes its check and the walk jumps outside the buffer.
 */
static inline bool ctl_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (uint32_t)len;
}

/* Subscribe to everything (the default when SUBSCRIBE carries no EVENT_MASK). */
#define CTL_EVENT_MASK_ALL UINT64_MAX
static inline bool ctl_is_event(uint16_t type)
{
	return type >= CTL_EVT_BASE && type <= CTL_EVT_LAST;
}
static inline uint64_t ctl_event_bit(uint16_t type)
{
	return ctl_is_event(type) ? (uint64_t)1 << (type - CTL_EVT_BASE) : 0;
}

/* How a command is answered. */
enum ctl_cmd_kind {
	CTL_KIND_REQUEST = 0,   /* one reply message or an ack */
	CTL_KIND_DUMP,          /* NLM_F_DUMP: NLM_F_MULTI messages then NLMSG_DONE */
	CTL_KIND_EVENT,         /* server -> subscriber only */
};

struct ctl_cmd_info {
	uint16_t cmd;
	const char *name;       /* "ike-sa-list": the spelling vpnctl and logs use */
	uint8_t kind;           /* enum ctl_cmd_kind */
	bool admin;             /* documented default; the server's table decides */
};

/* NULL when unknown. */
const struct ctl_cmd_info *ctl_cmd_info(uint16_t cmd);
/* "ike-sa-list", or "unknown". Never NULL. */
const char *ctl_cmd_name(uint16_t cmd);
/* Reverse lookup by name; -ENOENT when unknown, else the command number. */
int ctl_cmd_by_name(const char *name);
bool ctl_cmd_is_dump(uint16_t cmd);

/* Attribute types. */
enum ctl_attr_type {
	CTL_T_UNSPEC = 0,
	CTL_T_U8,
	CTL_T_U16,
	CTL_T_U32,
	CTL_T_U64,
	CTL_T_FLAG,       /* no payload: present or absent */
	CTL_T_STRING,     /* NUL-terminated, at most max_len bytes including the NUL */
	CTL_T_BINARY,     /* min_len..max_len bytes */
	CTL_T_NESTED,     /* attributes of enum ctl_attr */
	CTL_T_SOCKADDR,   /* nested: enum ctl_sockaddr_attr */
};

/*
 * Attributes (one space for every message). Values are host byte order except inside
 * BINARY payloads, which the table describes.
 */
enum ctl_attr {
	CTL_A_UNSPEC = 0,
	/* generic */
	CTL_A_DAEMON = 1,          /* string: "ikd" / "l2tpd" */
	CTL_A_VERSION = 2,         /* string: software version */
	CTL_A_PROTO_VERSION = 3,   /* u32: CTL_PROTO_VERSION */
	CTL_A_PID = 4,             /* u32 */
	CTL_A_UPTIME_SEC = 5,      /* u64 */
	CTL_A_LOG_LEVEL = 6,       /* u8: enum log_level (common/log.h) */
	CTL_A_EVENT_MASK = 7,      /* u64: bit n = event CTL_EVT_BASE + n */
	CTL_A_MESSAGE = 8,         /* string: human text (reload result...) */
	CTL_A_REASON = 9,          /* string: why something went down / failed */
	CTL_A_CLIENT_COUNT = 10,   /* u32: control clients connected */
	CTL_A_CONN_NAME = 11,      /* string: connection name from the configuration */
	CTL_A_LOCAL_ADDR = 12,     /* sockaddr */
	CTL_A_PEER_ADDR = 13,      /* sockaddr: peer address and UDP port (NAT-T source) */
	CTL_A_AGE_SEC = 14,        /* u64: seconds since established */
	CTL_A_BYTES_IN = 15,       /* u64 */
	CTL_A_BYTES_OUT = 16,      /* u64 */
	CTL_A_PACKETS_IN = 17,     /* u64 */
	CTL_A_PACKETS_OUT = 18,    /* u64 */
	CTL_A_ERRNO = 19,          /* u32: a positive errno explaining a failure */
	CTL_A_AGE_MS = 20,         /* u64: milliseconds since something happened */
	CTL_A_DIAG_STAGE = 21,     /* u8: enum ctl_diag_stage (peer-diag entries) */
	CTL_A_DIAG_RESULT = 22,    /* u8: enum ctl_diag_result */
	CTL_A_REPEAT = 23,         /* u32: how many times in a row it happened (>= 1) */
	CTL_A_ALL = 24,            /* flag: the request applies to every object it could name */

	/* ikd */
	CTL_A_IKE_SA_COUNT = 32,   /* u32 */
	CTL_A_IPSEC_SA_COUNT = 33, /* u32 */
	CTL_A_IKE_SA_ID = 34,      /* u32: ikd's handle of an IKE SA */
	CTL_A_CHILD_SA_ID = 35,    /* u32: ikd's handle of an IPsec SA */
	CTL_A_IKE_VERSION = 36,    /* u8: 1 or 2 */
	CTL_A_IKE_STATE = 37,      /* u8: enum ctl_ike_state */
	CTL_A_LOCAL_ID = 38,       /* string: IKE identity, printable form */
	CTL_A_PEER_ID = 39,        /* string */
	CTL_A_SPI_I = 40,          /* u64: IKE initiator SPI / cookie (host order) */
	CTL_A_SPI_R = 41,          /* u64 */
	CTL_A_SPI_IN = 42,         /* u32: ESP SPI we receive on (host order) */
	CTL_A_SPI_OUT = 43,        /* u32 */
	CTL_A_ENCAP = 44,          /* flag: ESP in UDP (NAT-T) */
	CTL_A_NAT_LOCAL = 45,      /* flag: we are behind NAT */
	CTL_A_NAT_PEER = 46,       /* flag: the peer is behind NAT */
	CTL_A_XFRM_MARK = 47,      /* u32: mark keeping this peer's kernel state apart */
	CTL_A_ENC_ALG = 48,        /* string: "aes-cbc-256" */
	CTL_A_INTEG_ALG = 49,      /* string: "hmac-sha2-256-128" */
	CTL_A_DH_GROUP = 50,       /* u16: IANA transform id */
	CTL_A_REKEY_IN_SEC = 51,   /* u64 */
	CTL_A_INITIATOR = 52,      /* flag: we initiated */
	CTL_A_AUTH_METHOD = 53,    /* u8: enum ctl_auth_method */
	CTL_A_IPSEC_MODE = 54,     /* u8: enum ctl_ipsec_mode */

	/* l2tpd */
	CTL_A_TUNNEL_COUNT = 64,   /* u32 */
	CTL_A_SESSION_COUNT = 65,  /* u32 */
	CTL_A_TUNNEL_ID = 66,      /* u32 (L2TPv2 ids are 16-bit; u32 leaves room) */
	CTL_A_PEER_TUNNEL_ID = 67, /* u32 */
	CTL_A_SESSION_ID = 68,     /* u32 */
	CTL_A_PEER_SESSION_ID = 69,/* u32 */
	CTL_A_TUNNEL_STATE = 70,   /* u8: enum ctl_tunnel_state */
	CTL_A_SESSION_STATE = 71,  /* u8: enum ctl_session_state */
	CTL_A_HOSTNAME = 72,       /* string: the peer's L2TP host name */
	CTL_A_USER = 73,           /* string: authenticated PPP user */
	CTL_A_IFNAME = 74,         /* string: "ppp3" */
	CTL_A_CLIENT_IP = 75,      /* sockaddr (port 0): address given to the client */

	/* containers */
	CTL_A_ENTRY = 96,          /* nested: generic list element */
	CTL_A_TEST = 127,          /* nested: used by unit tests only */
	__CTL_A_MAX,
	CTL_A_MAX = __CTL_A_MAX - 1,
};

/* Inside a CTL_T_SOCKADDR nest. */
enum ctl_sockaddr_attr {
	CTL_SA_A_UNSPEC = 0,
	CTL_SA_A_FAMILY = 1,       /* u16: AF_INET or AF_INET6 */
	CTL_SA_A_ADDR = 2,         /* binary: 4 or 16 bytes, network order */
	CTL_SA_A_PORT = 3,         /* u16: host order; 0 when not meaningful */
	CTL_SA_A_SCOPE_ID = 4,     /* u32: IPv6 scope (optional) */
	__CTL_SA_A_MAX,
	CTL_SA_A_MAX = __CTL_SA_A_MAX - 1,
};

struct ctl_policy;

struct ctl_enum_name;

struct ctl_attr_policy {
	const char *name;          /* "peer-addr"; NULL = unknown number (skipped) */
	uint8_t type;              /* enum ctl_attr_type */
	uint16_t min_len, max_len; /* payload bytes: STRING includes the NUL; 0 = type's */
	const struct ctl_enum_name *names; /* value names of an enum attribute, or NULL */
};

struct ctl_policy {
	const char *name;          /* "ctl", "sockaddr" */
	uint16_t max;              /* highest attribute number */
	const struct ctl_attr_policy *attrs; /* [0..max] */
};

extern const struct ctl_policy ctl_attr_space;     /* enum ctl_attr */
extern const struct ctl_policy ctl_sockaddr_space; /* enum ctl_sockaddr_attr */

/* "peer-addr", or "unknown". Never NULL. */
const char *ctl_attr_name(uint16_t type);

/* Enum value <-> name tables, for pretty-printing and for vpnctl's arguments. */
struct ctl_enum_name {
	uint32_t value;
	const char *name;
};

enum ctl_ike_state {
	CTL_IKE_CONNECTING = 0,
	CTL_IKE_ESTABLISHED = 1,
	CTL_IKE_REKEYING = 2,
	CTL_IKE_DELETING = 3,
};
enum ctl_auth_method {
	CTL_AUTH_PSK = 1,
	CTL_AUTH_RSA = 2,
	CTL_AUTH_ECDSA = 3,
	CTL_AUTH_XAUTH_PSK = 4,
	CTL_AUTH_EAP = 5,
};
enum ctl_ipsec_mode {
	CTL_IPSEC_TRANSPORT = 0,
	CTL_IPSEC_TUNNEL = 1,
};
enum ctl_tunnel_state {
	CTL_TUNNEL_IDLE = 0,
	CTL_TUNNEL_WAIT_CTL_REPLY = 1,
	CTL_TUNNEL_WAIT_CTL_CONN = 2,
	CTL_TUNNEL_ESTABLISHED = 3,
	CTL_TUNNEL_CLOSING = 4,
};
enum ctl_session_state {
	CTL_SESSION_WAIT_REPLY = 0,
	CTL_SESSION_WAIT_CONNECT = 1,
	CTL_SESSION_PPP_LCP = 2,
	CTL_SESSION_PPP_AUTH = 3,
	CTL_SESSION_PPP_NCP = 4,
	CTL_SESSION_ESTABLISHED = 5,
	CTL_SESSION_CLOSING = 6,
};

/* Where in the connection sequence a peer-diag entry belongs (vpnctl diagnose). */
enum ctl_diag_stage {
	CTL_DIAG_IKE = 1,          /* IKE SA / phase 1 */
	CTL_DIAG_IPSEC = 2,        /* IPsec SA / phase 2 (Quick Mode) */
	CTL_DIAG_L2TP_TUNNEL = 3,  /* L2TP control connection */
	CTL_DIAG_L2TP_SESSION = 4, /* L2TP call (ICRQ/ICRP/ICCN) */
	CTL_DIAG_PPP_LCP = 5,
	CTL_DIAG_PPP_AUTH = 6,     /* PAP/CHAP/MS-CHAPv2 and the user's authorization */
	CTL_DIAG_PPP_IPCP = 7,
};
enum ctl_diag_result {
	CTL_DIAG_OK = 0,           /* this stage completed */
	CTL_DIAG_FAILED = 1,       /* it failed or was refused (reason says why) */
	CTL_DIAG_ENDED = 2,        /* it had completed and has now ended (reason says why) */
};

/* Tables end with { 0, NULL }. ctl_log_level_names spells common/log.h's levels. */
extern const struct ctl_enum_name ctl_log_level_names[];
extern const struct ctl_enum_name ctl_ike_state_names[];
extern const struct ctl_enum_name ctl_auth_method_names[];
extern const struct ctl_enum_name ctl_ipsec_mode_names[];
extern const struct ctl_enum_name ctl_tunnel_state_names[];
extern const struct ctl_enum_name ctl_session_state_names[];
extern const struct ctl_enum_name ctl_diag_stage_names[];
extern const struct ctl_enum_name ctl_diag_result_names[];

/* The value names of attribute type (e.g. ike-state), or NULL if it is no enum. */
const struct ctl_enum_name *ctl_attr_enum(uint16_t type);

/* The name of value, or fallback when the table has none. */
const char *ctl_enum_name(const struct ctl_enum_name *table, uint32_t value,
			  const char *fallback);
/* 0 and *value, or -ENOENT. */
int ctl_enum_value(const struct ctl_enum_name *table, const char *name, uint32_t *value);

/* --- building messages ---------------------------------------------------------------
 *
 * A struct ctl_msg is a netlink message under construction in a caller-provided,
 * 4-byte-aligned buffer of cap bytes. Every put uses libmnl's *_check variants; the
 * first one that does not fit sets the sticky `overflow` flag and every later put is a
 * no-op, so a builder may put everything and check once (ctl_msg_ok).
 */
struct ctl_msg {
	struct nlmsghdr *nlh;
	size_t cap;
	bool overflow;
};

/* Start a message of type with flags and seq in buf[0..cap). buf must stay alive. */
void ctl_msg_init(struct ctl_msg *m, void *buf, size_t cap, uint16_t type, uint16_t flags,
		  uint32_t seq);
static inline bool ctl_msg_ok(const struct ctl_msg *m) { return !m->overflow; }

/* Each returns 0 or -EMSGSIZE (sticky). */
int ctl_msg_put_u8(struct ctl_msg *m, uint16_t type, uint8_t v);
int ctl_msg_put_u16(struct ctl_msg *m, uint16_t type, uint16_t v);
int ctl_msg_put_u32(struct ctl_msg *m, uint16_t type, uint32_t v);
int ctl_msg_put_u64(struct ctl_msg *m, uint16_t type, uint64_t v);
int ctl_msg_put_flag(struct ctl_msg *m, uint16_t type);
int ctl_msg_put_str(struct ctl_msg *m, uint16_t type, const char *s);  /* with its NUL */
int ctl_msg_put_bin(struct ctl_msg *m, uint16_t type, const void *data, size_t len);
/* AF_INET / AF_INET6 only; -EAFNOSUPPORT otherwise (not sticky). */
int ctl_msg_put_sockaddr(struct ctl_msg *m, uint16_t type, const struct sockaddr *sa);

/* A nest: NULL on overflow (then ctl_msg_nest_end(m, NULL) is a harmless no-op). */
struct nlattr *ctl_msg_nest_start(struct ctl_msg *m, uint16_t type);
void ctl_msg_nest_end(struct ctl_msg *m, struct nlattr *nest);
/* Drop a nest and everything put since it started. */
void ctl_msg_nest_cancel(struct ctl_msg *m, struct nlattr *nest);

/* --- parsing messages ----------------------------------------------------------------
 *
 * Parsing fills tb[0..space->max] with pointers into the message, after checking every
 * attribute against the policy (libmnl's mnl_attr_validate/validate2 plus the table's
 * bounds), recursing into nests (validated, not flattened) up to CTL_NEST_DEPTH_MAX.
 * Trailing bytes that do not form a whole attribute are an error. The first problem is
 * described in why (e.g. "attribute peer-id (39): string not NUL-terminated") and, for
 * the kernel-style error reply, *bad_off is its offset from the start of the message
 * (0 if not applicable). why/bad_off may be NULL.
 */
struct ctl_parse_error {
	char why[160];
	uint32_t bad_off;
};

/* nlh must be a whole message (ctl_nlmsg_ok). tb must have CTL_A_MAX + 1 entries.
 * Returns 0 or -EINVAL. */
int ctl_attr_parse(const struct nlmsghdr *nlh, const struct nlattr **tb,
		   struct ctl_parse_error *perr);
/* Attributes of a CTL_T_NESTED attribute (tb: CTL_A_MAX + 1 entries). */
int ctl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			  struct ctl_parse_error *perr);

/* Decode a CTL_T_SOCKADDR attribute. Returns 0, or -EINVAL for a missing/bad field. */
int ctl_attr_get_sockaddr(const struct nlattr *attr, struct sockaddr_storage *ss,
			  socklen_t *len);

/*
 * Read an NLMSG_ERROR message (from a daemon or from the kernel: same layout):
 * *err gets the errno as the sender put it (negative, 0 for an ack), *msg the
 * NLMSGERR_ATTR_MSG text if present (points into the message) or NULL.
 * Returns 0, or -EBADMSG if the message is too short to be an error message.
 */
int ctl_parse_error_msg(const struct nlmsghdr *nlh, int *err, const char **msg);

#endif
