/*
 * The restart state file: what a restarted (or crashed) l2tpd needs besides the kernel
 * objects' descriptors to take its established tunnels and sessions back (DESIGN.md
 * "Restart without dropping tunnels"; statestore.h keeps it, restore.h reads it).
 *
 * The records of the file: their encoding and validating parsing, no I/O. They are
 * stored in a common/state_store.h file of format l2st_format (one 1 KiB slot a record,
 * rewritten in place with one pwrite, BLAKE2b checksum, boot id in the header), which
 * gives back only bodies whose checksum verifies. The bytes still come from a previous
 * process (possibly a different version), so the decoder trusts nothing: every field is
 * bounds-checked through common/buf.h and range checked, and a body must be consumed
 * exactly.
 *
 * Version 2 of the file is the common store; version 1 (l2tpd's own 16-byte header and
 * FNV-1a slots, before 2026-11) is refused by the store's header check and reset, with a
 * restore_state_unusable log line: an upgrade across that change drops the sessions once.
 * Bump L2ST_VERSION whenever a record's encoding changes.
 *
 * Body of a tunnel record (kind 1): u16 tid, u16 peer tid, peer (u8 4|6, address, u16
 * port), u16 ns, u16 nr, u16 peer rws, u32 hello ms, u64 created ms, u8-length host name,
 * u16 pending length, pending messages (each u16 length, message).
 * Body of a session record (kind 2): see put_session in statefile.c.
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

#include "common/state_store.h"

#define L2ST_VERSION 2
#define L2ST_SLOT_LEN 1024
#define L2ST_BODY_MAX (L2ST_SLOT_LEN - STATE_STORE_RECORD_HDR)
#define L2ST_HOST_MAX 63        /* struct tunnel hostname[64] */
#define L2ST_USER_MAX 255
#define L2ST_IFNAME_MAX 15      /* IFNAMSIZ - 1 */
#define L2ST_IKE_ID_MAX 255
#define L2ST_PENDING_MAX 768    /* unacked control messages kept with a tunnel */
#define L2ST_CTRL_MIN 12        /* an L2TP control header */

/* l2tpd's store file: magic "L2SECST\0", L2ST_VERSION, 1 KiB slots, one a record. */
extern const struct state_store_format l2st_format;

enum l2st_kind {
	L2ST_FREE = 0,          /* never stored */
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

/* Encode rec into buf[0..cap) (L2ST_BODY_MAX is enough). Returns the body length, or
 * -EINVAL when a field is out of range (the same checks the decoder applies) or it does
 * not fit. */
int l2st_encode(const struct l2st_record *rec, uint8_t *buf, size_t cap);

/*
 * Decode the body of a record of kind. Returns 0 with *rec filled, or -EBADMSG for
 * anything malformed: unknown kind, a field out of range, bytes left over or missing.
 */
int l2st_decode(uint8_t kind, const uint8_t *body, size_t len, struct l2st_record *rec);

/*
 * Walk a whole store file (state_store_scan: header checked, -EBADMSG when it is not
 * l2st_format's: nothing is usable), then fn for each record, with slot its index among
 * the record slots (0: the first after the header; store_ref slot - 1) and rec (NULL when
 * err < 0: a slot that is damaged or whose body does not decode). Returns the number of
 * records reported, or -EBADMSG.
 */
typedef void (*l2st_record_fn)(void *arg, size_t slot, const struct l2st_record *rec, int err);
int l2st_parse(const uint8_t *buf, size_t len, l2st_record_fn fn, void *arg);

#endif
