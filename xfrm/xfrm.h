/*
 * xfrm: the kernel IPsec library of l2sec.
 *
 * ikd hands every negotiated SA to the kernel through these calls. The API speaks IKE:
 * addresses, SPIs, modes, IKE transform ids and keys, traffic selectors, lifetimes and
 * NAT-T ports. Netlink (NETLINK_XFRM, built with libmnl) stays inside the library.
 *
 * Errors: every call returns 0 (or a documented non-negative value) or a negative errno.
 * The handle keeps a readable sentence for the last failure (xfrm_strerror()), built from
 * the kernel's errno, its extended-ack text and what the request was, e.g.
 *     "add SA 192.0.2.1->192.0.2.2 spi 0x00001000: kernel has no ESP support (esp4 not
 *      loaded) (kernel: "Requested type not found", EPROTONOSUPPORT)"
 *
 * Ownership: every SA and IPsec policy l2sec installs carries a reqid in the l2sec band
 * (XFRM_REQID_TAG in the bits XFRM_REQID_TAG_MASK; callers pass small reqids and the library
 * adds the tag). xfrm_sa_flush_owned() and xfrm_policy_flush_owned() delete only what carries
 * the tag, so strongSwan, libreswan or hand-made state on the same host survives them.
 * See docs/xfrm.md.
 *
 * Many clients behind one NAT: their transport-mode selectors are identical, so SAs and
 * policies of different clients are kept apart by XFRM marks: `mark`/`mark_mask` (which
 * packets an SA or policy applies to, XFRMA_MARK) and `set_mark` (the mark a packet gets
 * after SA processing, XFRMA_SET_MARK), plus `if_id` for xfrm interfaces.
 *
 * Secrets: key bytes are copied into the request buffer and wiped from it once sent;
 * buffers that received kernel replies (which may carry keys) are wiped too.
 *
 * Not thread-safe: one handle per thread.
 */
#ifndef L2SEC_XFRM_XFRM_H
#define L2SEC_XFRM_XFRM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- addresses and selectors ------------------------------------------------------- */

struct xfrm_ip {
	uint8_t family;                 /* AF_INET or AF_INET6; 0 = unset (any) */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];
	};
};

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or -EINVAL. */
int xfrm_ip_parse(struct xfrm_ip *out, const char *text);
/* Render into buf (at least INET6_ADDRSTRLEN bytes); returns buf ("any" when unset). */
const char *xfrm_ip_str(const struct xfrm_ip *ip, char *buf, size_t size);
bool xfrm_ip_equal(const struct xfrm_ip *a, const struct xfrm_ip *b);

/* A traffic selector. Everything zero = any traffic (family taken from the SA/policy). */
struct xfrm_ts {
	struct xfrm_ip src, dst;        /* network addresses (same family) */
	uint8_t src_plen, dst_plen;     /* prefix lengths; a host is 32 / 128 */
	uint8_t proto;                  /* IPPROTO_UDP, ...; 0 = any */
	uint16_t sport, dport;          /* host order; 0 = any */
	int ifindex;                    /* 0 = any */
};

/* ---- lifetimes ---------------------------------------------------------------------- */

/* 0 means "no limit" for every field. */
struct xfrm_limits {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_add_s, hard_add_s;        /* seconds since the SA was added */
	uint64_t soft_use_s, hard_use_s;        /* seconds since its first use */
};

/* ---- algorithms (one table, xfrm_alg.c) -------------------------------------------- */

/* IKEv2 transform ids (IANA "Transform Type 1/3"). The ENCR numbers are also the IKEv1
 * "IPsec ESP transform identifiers"; IKEv1's ESP authentication algorithm attribute uses
 * other numbers, see xfrm_integ_from_ikev1(). */
enum {
	XFRM_ENCR_3DES = 3,
	XFRM_ENCR_NULL = 11,
	XFRM_ENCR_AES_CBC = 12,
	XFRM_ENCR_AES_GCM_8 = 18,
	XFRM_ENCR_AES_GCM_12 = 19,
	XFRM_ENCR_AES_GCM_16 = 20,
	XFRM_ENCR_CHACHA20_POLY1305 = 28,
};
enum {
	XFRM_INTEG_NONE = 0,
	XFRM_INTEG_HMAC_SHA1_96 = 2,
	XFRM_INTEG_HMAC_SHA2_256_128 = 12,
	XFRM_INTEG_HMAC_SHA2_384_192 = 13,
	XFRM_INTEG_HMAC_SHA2_512_256 = 14,
};

/* The kernel view of one IKE transform (a row of the table). */
struct xfrm_alg_info {
	const char *ike_name;           /* "AES_GCM_16", "HMAC_SHA2_256_128" (logs, config) */
	const char *kernel_name;        /* "rfc4106(gcm(aes))", "hmac(sha256)" */
	uint16_t key_bytes;             /* KEYMAT bytes, including a GCM/ChaCha20 4-byte salt */
	uint16_t icv_bits;              /* AEAD ICV or truncated HMAC length; 0 for ciphers */
	bool aead;
};

/*
 * Look up an encryption transform (key_bits: 128/192/256 for AES, 0 for fixed-size ones)
 * or an integrity transform. Return NULL when the library does not support it.
 */
const struct xfrm_alg_info *xfrm_alg_encr(uint16_t encr_id, uint16_t key_bits);
const struct xfrm_alg_info *xfrm_alg_integ(uint16_t integ_id);
/* IKEv1 phase-2 "Authentication Algorithm" attribute (1 MD5, 2 SHA, 5/6/7 SHA2-256/384/512)
 * to the IKEv2 INTEG id used everywhere here; 0 when not supported. */
uint16_t xfrm_integ_from_ikev1(uint16_t v1_auth);
/* KEYMAT lengths an SA with these transforms needs. Returns 0 or -ENOTSUP. */
int xfrm_alg_keymat(uint16_t encr_id, uint16_t key_bits, uint16_t integ_id,
		    size_t *encr_key_len, size_t *integ_key_len);

/* ---- SAs ---------------------------------------------------------------------------- */

enum xfrm_sa_mode { XFRM_SA_TRANSPORT = 0, XFRM_SA_TUNNEL = 1 };

/* Transforms and keys of an SA. The keys are borrowed for the duration of the call. */
struct xfrm_crypto {
	uint16_t encr;                  /* XFRM_ENCR_* */
	uint16_t encr_key_bits;         /* AES: 128/192/256; 0 for fixed-size ciphers */
	uint16_t integ;                 /* XFRM_INTEG_*; NONE for AEAD */
	const uint8_t *encr_key;        /* xfrm_alg_keymat() bytes, salt last */
	size_t encr_key_len;
	const uint8_t *integ_key;
	size_t integ_key_len;
};

enum {
	XFRM_SA_F_NOECN = 1u << 0,      /* do not propagate ECN (tunnel mode) */
	XFRM_SA_F_DECAP_DSCP = 1u << 1, /* copy DSCP from the outer header on decap */
	XFRM_SA_F_NOPMTUDISC = 1u << 2,
	XFRM_SA_F_AF_UNSPEC = 1u << 3,  /* tunnel: inner family may differ from outer */
};

struct xfrm_sa {
	struct xfrm_ip src, dst;        /* outer addresses: sender, receiver */
	uint32_t spi;                   /* host order */
	uint8_t proto;                  /* IPPROTO_ESP; 0 means ESP */
	uint8_t mode;                   /* enum xfrm_sa_mode */
	uint32_t reqid;                 /* < XFRM_REQID_MAX; the library adds the l2sec tag */
	uint32_t flags;                 /* XFRM_SA_F_* */
	struct xfrm_crypto crypto;
	struct xfrm_ts sel;             /* optional: traffic the SA may carry */
	struct xfrm_limits limits;
	uint32_t replay_window;         /* packets; 0 = no replay check (outbound SAs) */
	bool esn;                       /* 64-bit sequence numbers (needs replay_window > 0) */
	bool encap;                     /* NAT-T: ESP in UDP (RFC 3948) */
	uint16_t encap_sport, encap_dport;      /* host order, e.g. 4500 and the peer's port */
	uint32_t mark, mark_mask;       /* XFRMA_MARK: packets whose mark matches */
	uint32_t set_mark, set_mark_mask;       /* XFRMA_SET_MARK (mask 0 = not set) */
	uint32_t if_id;                 /* XFRMA_IF_ID; 0 = none */
	uint32_t acquire_seq;           /* seq of the XFRM_EV_ACQUIRE this SA answers, or 0 */
};

#define XFRM_REQID_TAG          0x6c200000u     /* "l2" + 0: the l2sec reqid band */
#define XFRM_REQID_TAG_MASK     0xfff00000u
#define XFRM_REQID_MAX          0x000fffffu

/* What the kernel reports about an SA (no keys). */
struct xfrm_sa_info {
	struct xfrm_sa sa;              /* crypto ids filled from the table; keys NULL */
	bool owned;                     /* reqid carries the l2sec tag (sa.reqid is untagged) */
	uint32_t raw_reqid;             /* reqid as the kernel has it */
	char encr_name[64], integ_name[64];     /* kernel algorithm names ("" = none) */
	uint32_t encr_key_bits, icv_bits;
	uint64_t bytes, packets;        /* current lifetime counters */
	uint64_t add_time, use_time;    /* seconds since the epoch; use_time 0 = never used */
	uint32_t replay_errors, integrity_failed, replay_window_drops;
	uint64_t oseq, seq;             /* last sent / received sequence number */
};

struct xfrm_handle;

/* Open a NETLINK_XFRM handle. *out is owned by the caller, freed with xfrm_close(). */
int xfrm_open(struct xfrm_handle **out);
void xfrm_close(struct xfrm_handle *h);
/* Text of the last failure on h ("" if none). Valid until the next call on h. */
const char *xfrm_strerror(const struct xfrm_handle *h);

/* Install an SA (XFRM_MSG_NEWSA). -EEXIST if (dst, spi, proto, mark) exists. */
int xfrm_sa_add(struct xfrm_handle *h, const struct xfrm_sa *sa);
/*
 * Replace an SA with the same (dst, spi, proto, mark) (XFRM_MSG_UPDSA): completes a larval
 * SA from xfrm_spi_alloc(), or changes lifetimes, encapsulation ports (NAT rebinding) and
 * set_mark of an installed one. Needs the whole SA including keys.
 */
int xfrm_sa_update(struct xfrm_handle *h, const struct xfrm_sa *sa);
/* Delete the SA (dst, spi, proto) with sa->mark/mark_mask; other fields ignored. */
int xfrm_sa_del(struct xfrm_handle *h, const struct xfrm_sa *sa);
/* Read an SA back with its counters. -ESRCH if absent. */
int xfrm_sa_get(struct xfrm_handle *h, const struct xfrm_sa *key, struct xfrm_sa_info *out);
/* Call fn for every SA the kernel has (owned or not); stops early when fn returns < 0. */
int xfrm_sa_dump(struct xfrm_handle *h, int (*fn)(const struct xfrm_sa_info *, void *),
		 void *arg);
/* Delete every SA carrying the l2sec reqid tag. Returns how many were deleted, or < 0. */
int xfrm_sa_flush_owned(struct xfrm_handle *h);

/*
 * Reserve an inbound SPI from [min, max] (XFRM_MSG_ALLOCSPI): creates a larval SA
 * (dst = us, src = peer) that xfrm_sa_update() completes, xfrm_spi_release() removes, or
 * the kernel drops after its acquire timeout (30 s by default). key gives src, dst, proto,
 * mode, reqid, mark. min = max = 0 picks from 0x100..0xffffffff. *spi is host order.
 */
int xfrm_spi_alloc(struct xfrm_handle *h, const struct xfrm_sa *key, uint32_t min,
		   uint32_t max, uint32_t *spi);
/* Delete the larval SA of a failed negotiation. -ESRCH if it is already gone. */
int xfrm_spi_release(struct xfrm_handle *h, const struct xfrm_sa *key, uint32_t spi);

/* ---- policies ----------------------------------------------------------------------- */

enum xfrm_dir { XFRM_DIR_IN = 0, XFRM_DIR_OUT = 1, XFRM_DIR_FWD = 2 };

struct xfrm_policy {
	struct xfrm_ts sel;
	uint8_t dir;                    /* enum xfrm_dir */
	bool block;                     /* drop matching traffic instead of allowing it */
	uint32_t priority;              /* lower wins */
	uint32_t index;                 /* kernel's id; 0 = let the kernel choose */
	uint32_t mark, mark_mask;       /* XFRMA_MARK */
	uint32_t if_id;
	/* The IPsec template; ipsec = false gives a plain allow/block (bypass) policy. */
	bool ipsec;
	uint8_t mode;                   /* enum xfrm_sa_mode */
	uint8_t proto;                  /* 0 = ESP */
	uint32_t reqid;                 /* untagged, as for SAs */
	bool optional;                  /* "level use": pass even without an SA (IN/FWD) */
	struct xfrm_ip tun_src, tun_dst;        /* tunnel endpoints (tunnel mode only) */
};

/* Transport-mode policy pair helper: ESP for UDP local:1701 <-> peer:any (RFC 3193). The
 * caller sets marks/priority/reqid afterwards if needed. dir is IN or OUT. */
void xfrm_policy_l2tp(struct xfrm_policy *p, uint8_t dir, const struct xfrm_ip *local,
		      const struct xfrm_ip *peer, uint16_t peer_port, uint32_t reqid);

/* NEWPOLICY: -EEXIST if (selector, dir, mark, if_id, priority...) exists. */
int xfrm_policy_add(struct xfrm_handle *h, const struct xfrm_policy *p);
/* UPDPOLICY: add, or replace the policy with the same selector/dir/mark/if_id. */
int xfrm_policy_update(struct xfrm_handle *h, const struct xfrm_policy *p);
/* Delete by index when p->index != 0, else by (selector, dir, mark, if_id). */
int xfrm_policy_del(struct xfrm_handle *h, const struct xfrm_policy *p);
/* Call fn for every global policy (socket policies excluded). */
int xfrm_policy_dump(struct xfrm_handle *h,
		     int (*fn)(const struct xfrm_policy *, bool owned, void *), void *arg);
/* Delete every policy whose template carries the l2sec reqid tag; returns the count. */
int xfrm_policy_flush_owned(struct xfrm_handle *h);

/* ---- batching ----------------------------------------------------------------------- */

/*
 * Between xfrm_batch_begin() and xfrm_batch_end(), xfrm_sa_add/update/del and
 * xfrm_policy_add/update/del only queue their request (returning 0 or an encoding error)
 * and many requests go to the kernel in one sendmsg; only failures are acknowledged, plus
 * one acknowledgement closing each send. A failure is reported to on_error with the
 * request's ordinal (0-based, counting queued changes since begin) and errno/text.
 * xfrm_batch_end() sends what is left and returns the number of failed requests (>= 0)
 * or a negative errno when the exchange itself failed. Reads (get, dump, spi_alloc)
 * flush the queue first.
 */
typedef void (*xfrm_batch_error_fn)(void *arg, unsigned int ordinal, int err, const char *text);
int xfrm_batch_begin(struct xfrm_handle *h, xfrm_batch_error_fn on_error, void *arg);
int xfrm_batch_end(struct xfrm_handle *h);

/* ---- events ------------------------------------------------------------------------- */

enum xfrm_event_kind {
	XFRM_EV_EXPIRE = 1,             /* sa + hard */
	XFRM_EV_ACQUIRE,                /* acquire */
	XFRM_EV_NEWSA,                  /* sa (someone added/updated an SA) */
	XFRM_EV_DELSA,                  /* sa */
	XFRM_EV_NEWPOLICY,              /* policy */
	XFRM_EV_DELPOLICY,              /* policy */
	XFRM_EV_POLEXPIRE,              /* policy + hard */
	XFRM_EV_FLUSHSA,
	XFRM_EV_FLUSHPOLICY,
	XFRM_EV_MAPPING,                /* mapping: peer's NAT mapping changed */
	XFRM_EV_OVERRUN,                /* events were lost (ENOBUFS): resynchronise by dump */
};

struct xfrm_event {
	enum xfrm_event_kind kind;
	bool hard;                      /* EXPIRE / POLEXPIRE: hard (SA gone) or soft (rekey) */
	bool owned;                     /* the SA or policy carries the l2sec tag */
	struct xfrm_sa_info sa;
	struct xfrm_policy policy;
	struct {
		struct xfrm_ip src, dst;        /* SA endpoints the kernel wants */
		uint32_t seq;                   /* pass back as xfrm_sa.acquire_seq */
		uint32_t policy_index;
	} acquire;
	struct {
		struct xfrm_ip dst, old_src, new_src;
		uint16_t old_sport, new_sport;  /* host order */
		uint32_t spi;
		uint32_t reqid;
	} mapping;
};

enum {
	XFRM_EVGRP_ACQUIRE = 1u << 0,
	XFRM_EVGRP_EXPIRE = 1u << 1,    /* SA and policy expiry */
	XFRM_EVGRP_SA = 1u << 2,        /* NEWSA/UPDSA/DELSA/FLUSHSA */
	XFRM_EVGRP_POLICY = 1u << 3,    /* NEW/UPD/DELPOLICY, FLUSHPOLICY */
	XFRM_EVGRP_MAPPING = 1u << 4,
	XFRM_EVGRP_DEFAULT = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4),
};

struct xfrm_events;
/* Subscribe (non-blocking socket). *out is owned by the caller: xfrm_events_close(). */
int xfrm_events_open(struct xfrm_events **out, unsigned int groups);
void xfrm_events_close(struct xfrm_events *ev);
/* The file descriptor to watch for readability (e.g. a libev io watcher). */
int xfrm_events_fd(const struct xfrm_events *ev);
/* Read what is pending and call fn once per event. Returns the number of events,
 * 0 when nothing was pending, or < 0. Unknown messages are skipped. */
int xfrm_events_read(struct xfrm_events *ev, void (*fn)(const struct xfrm_event *, void *),
		     void *arg);
/* Parse one netlink message (exposed for tests and fuzzing). 1 = *out filled, 0 = not an
 * event we report, -EBADMSG = malformed. */
int xfrm_event_parse(const void *nlmsg, size_t len, struct xfrm_event *out);
const char *xfrm_event_kind_name(enum xfrm_event_kind kind);

/* ---- NAT-T and IKE socket helpers (xfrm_natt.c) ------------------------------------ */

/* Make a UDP socket bound to port 4500 decapsulate ESP-in-UDP (UDP_ENCAP_ESPINUDP). */
int xfrm_natt_socket_enable(int fd);
/* Per-socket bypass policies (in and out) so IKE traffic of fd is never IPsec-processed;
 * family is the socket's (AF_INET/AF_INET6). */
int xfrm_socket_bypass(int fd, int family);

#endif
