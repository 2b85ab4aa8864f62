/*
 * The restart state file: what a restarted (or crashed) l2tpd needs besides the kernel
 * objects' descriptors to take its established tunnels and sessions back (DESIGN.md
 * "Restart without dropping tunnels"; statestore.h keeps it, restore.h reads it).
 *
 * Pure format: encoding and validating parsing, no I/O. The bytes come from a previous
 * process (possibly a different version, possibly killed in the middle of a write), so
 * the parser trusts nothing: every field is bounds-checked through common/buf.h and range
 * checked, every record carries a checksum and must be consumed exactly.
 *
 * Layout (all integers big-endian):
 *   header, L2ST_HDR_LEN bytes: magic "L2SECST\0", u16 version (L2ST_VERSION),
 *                                u16 slot size (L2ST_SLOT_LEN), u32 reserved (0)
 *   then slots of L2ST_SLOT_LEN bytes each, in place (a record keeps its slot for life):
 *     u8 kind (0 free, 1 tunnel, 2 session), u8 0, u16 payload length, u32 checksum
 *     (FNV-1a of the payload), payload, zero padding.
 * A writer clears the kind byte first, then writes payload and checksum, then the kind:
 * a process killed mid-write leaves a free slot or a complete record, and the checksum
 * catches anything else.
 *
 * No secrets: nothing in here authenticates anybody (tunnel and PPP authentication are
 * over once a session is stored).
 */
#ifndef L2SEC_L2TPD_STATEFILE_H
#define L2SEC_L2TPD_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define L2ST_VERSION 1
#define L2ST_HDR_LEN 16
#define L2ST_SLOT_LEN 1024
#define L2ST_SLOT_HDR_LEN 8
#define L2ST_HOST_MAX 63        /* struct tunnel hostname[64] */
#define L2ST_USER_MAX 255
#define L2ST_IFNAME_MAX 15      /* IFNAMSIZ - 1 */
#define L2ST_IKE_ID_MAX 255
#define L2ST_PENDING_MAX 768    /* unacked control messages kept with a tunnel */
#define L2ST_CTRL_MIN 12        /* an L2TP control header */

enum l2st_kind {
	L2ST_FREE = 0,
	L2ST_TUNNEL = 1,
	L2ST_SESSION = 2,
};

struct l2st_tunnel {
	uint16_t tid, peer_tid;
	struct sockaddr_storage peer;   /* AF_INET or AF_INET6, with port */
	uint16_t ns, nr;                /* next Ns to send (oldest unacked), next Nr expected */
	uint16_t peer_rws;
	uint32_t hello_ms;
	uint64_t created_ms;            /* CLOCK_MONOTONIC (system-wide: survives us) */
	char host[L2ST_HOST_MAX + 1];   /* the peer's Host Name AVP */
	/* Our control messages not yet acknowledged, oldest first, each a u16 length and the
	 * message (Ns = ns, ns + 1, ...): resent by the next process, so the peer sees the
	 * same sequence. What does not fit in L2ST_PENDING_MAX is left out (dropped). */
	uint16_t pending_len;
	uint8_t pending[L2ST_PENDING_MAX];
};

enum l2st_session_state {
	L2ST_SESS_NEGOTIATING = 1,      /* ICCN seen, PPP not up: torn down at restart */
	L2ST_SESS_ESTABLISHED = 2,      /* IPCP opened, fds in the store */
};

struct l2st_session {
	uint16_t tid, sid, peer_sid;
	uint8_t state;                  /* enum l2st_session_state */
	uint32_t call_serial;
	char user[L2ST_USER_MAX + 1];
	uint32_t client_ip;             /* host order; 0 while negotiating */
	bool dedicated_ip;
	uint32_t dns[2];                /* what IPCP offered, host order */
	char ifname[L2ST_IFNAME_MAX + 1];
	int32_t ifindex, unit, chindex;
	uint16_t our_mru, peer_mru;
	uint32_t our_magic, peer_magic;
	uint8_t auth_method;            /* enum ppp_auth_method */
	bool peer_pfc, peer_acfc;
	uint32_t local_ip;              /* our end of the link, host order */
	uint64_t created_ms, up_ms;     /* CLOCK_MONOTONIC */
	char ike_id[L2ST_IKE_ID_MAX + 1];
};

struct l2st_record {
	enum l2st_kind kind;
	union {
		struct l2st_tunnel t;
		struct l2st_session s;
	} u;
};

/* The header for a fresh file into hdr[L2ST_HDR_LEN]. */
void l2st_header_write(uint8_t *hdr);
/* 0 when buf starts with a header of this version and slot size, else -EBADMSG. */
int l2st_header_check(const uint8_t *buf, size_t len);

/* Encode rec into a whole slot, slot[0..L2ST_SLOT_LEN), padding zeroed. 0, or -EINVAL
 * when a field is out of range (the same checks the parser applies). */
int l2st_slot_encode(const struct l2st_record *rec, uint8_t *slot);

/*
 * Decode one slot of len bytes (L2ST_SLOT_LEN). Returns 1 with *rec filled, 0 for a free
 * slot, -EBADMSG for anything malformed: bad checksum, unknown kind, payload longer than
 * the slot, a field out of range, bytes left over or missing, non-zero padding.
 */
int l2st_slot_decode(const uint8_t *slot, size_t len, struct l2st_record *rec);

/*
 * Walk a whole file: header checked (-EBADMSG if bad: nothing is usable), then fn for each
 * slot that is not free, with rec (NULL when err < 0: a corrupt slot). A trailing partial
 * slot is reported as corrupt. Returns the number of used slots, or -EBADMSG.
 */
typedef void (*l2st_record_fn)(void *arg, size_t slot, const struct l2st_record *rec, int err);
int l2st_parse(const uint8_t *buf, size_t len, l2st_record_fn fn, void *arg);

#endif
