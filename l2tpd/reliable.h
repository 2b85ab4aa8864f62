/*
 * Reliable delivery of L2TP control messages (RFC 2661 §5.8), one instance per tunnel.
 *
 * Pure logic: no sockets, no timers, no clock. The daemon
 *   - hands every control message it wants sent to l2tp_rel_send() (Ns and Nr are written
 *     into the message's header here), and every control message received for the tunnel
 *     (header already parsed) to l2tp_rel_input();
 *   - keeps one timer per tunnel armed at l2tp_rel_next_deadline() and calls l2tp_rel_tick()
 *     when it fires (and may call it early: it only acts on what is due);
 *   - gets back through callbacks: bytes to transmit, in-order messages to process, "send a
 *     HELLO now", and "the peer is dead".
 * Times are milliseconds of a monotonic clock chosen by the caller.
 *
 * Callbacks may call l2tp_rel_send() (a reply from inside deliver() carries the ack), but
 * must not free the instance; do that after the call into this module has returned.
 */
#ifndef L2SEC_L2TPD_RELIABLE_H
#define L2SEC_L2TPD_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tpd/ctrlmsg.h"

/*
 * Outstanding + waiting messages per tunnel. The queue grows on demand (a tunnel of a
 * concentrator may carry thousands of sessions and owe a CDN or ICRP to each of them
 * while the peer's window, often 4, lets few out); the bound keeps Ns arithmetic
 * unambiguous (well under 2^15) and a misbehaving peer from growing it for ever.
 */
#define L2TP_REL_QUEUE_MAX 16384
#define L2TP_REL_RWS_MAX   16   /* largest receive window we offer */
#define L2TP_REL_NO_DEADLINE UINT64_MAX

struct l2tp_rel_cfg {
	uint16_t our_rws;           /* window we advertise (1..L2TP_REL_RWS_MAX); default 8 */
	uint32_t rto_initial_ms;    /* §5.8 recommends 1 s */
	uint32_t rto_max_ms;        /* §5.8: back-off capped, at least 8 s */
	uint32_t max_retries;       /* §5.8 recommends 5 */
	uint32_t ack_delay_ms;      /* wait for a reply to carry the ack before a ZLB */
	uint32_t hello_interval_ms; /* §6.5 keepalive after this long without input; 0 = off */
};

/* The RFC's recommended values: 8, 1000, 8000, 5, 250, 60000. */
void l2tp_rel_cfg_default(struct l2tp_rel_cfg *cfg);

struct l2tp_rel_ops {
	/* Transmit pkt to the peer (a data message of ours or a ZLB). */
	void (*send)(void *ctx, const uint8_t *pkt, size_t len);
	/* A new control message, in order. pkt is valid during the call only. */
	void (*deliver)(void *ctx, const uint8_t *pkt, size_t len);
	/* Nothing received for hello_interval_ms: build a HELLO and l2tp_rel_send() it. */
	void (*hello_due)(void *ctx);
	/* Retransmissions exhausted for message ns: tear the tunnel down (§5.8). */
	void (*peer_dead)(void *ctx, uint16_t ns, uint32_t retries);
};

struct l2tp_rel_stats {
	uint64_t sent, retransmitted, zlb_sent, delivered, duplicates, out_of_order,
		 out_of_window, acks_bad;
};

/* Opaque: its queues are private. */
struct l2tp_rel;

/*
 * A new instance; now is the creation time (starts the keepalive clock). The caller owns
 * the result and frees it with l2tp_rel_free(). NULL on allocation failure or bad cfg.
 */
struct l2tp_rel *l2tp_rel_new(const struct l2tp_rel_cfg *cfg, const struct l2tp_rel_ops *ops,
			      void *ctx, uint64_t now);
void l2tp_rel_free(struct l2tp_rel *rel);

/*
 * The peer's Assigned Tunnel ID (destination of our ZLBs) and Receive Window Size AVP
 * (0 = the AVP was absent: §5.8 default of 4).
 */
void l2tp_rel_set_peer(struct l2tp_rel *rel, uint16_t peer_tunnel_id, uint16_t peer_rws);

/*
 * Queue a complete control message (header included) for reliable delivery. It is sent
 * at once if the peer's window allows, otherwise when acks open it. The message is copied.
 * Returns 0, -EINVAL (not a control message), -ENOBUFS (queue full), -ENOMEM.
 */
int l2tp_rel_send(struct l2tp_rel *rel, uint64_t now, const uint8_t *pkt, size_t len);

/*
 * A control message received for this tunnel, pkt[0..len) with header h. Processes Nr
 * (acknowledgement), then Ns: in-order messages are delivered (and any buffered ones that
 * follow), duplicates are acknowledged again with a ZLB, later ones inside our window are
 * kept until the gap fills, ones beyond it dropped. Returns the number of messages
 * delivered, or -EBADMSG when the header is not a control header.
 */
int l2tp_rel_input(struct l2tp_rel *rel, uint64_t now, const struct l2tp_ctrl_hdr *h,
		   const uint8_t *pkt, size_t len);

/* Absolute time of the next thing to do, L2TP_REL_NO_DEADLINE if none. */
uint64_t l2tp_rel_next_deadline(const struct l2tp_rel *rel);
/* Do what is due at now: retransmit, send a delayed ack, ask for a HELLO, report death. */
void l2tp_rel_tick(struct l2tp_rel *rel, uint64_t now);

/* No message of ours is waiting for an ack (e.g. a StopCCN went through). */
bool l2tp_rel_idle(const struct l2tp_rel *rel);
/* Next Ns we will use and next Nr we expect (for logs and the control socket). */
uint16_t l2tp_rel_ns(const struct l2tp_rel *rel);
uint16_t l2tp_rel_nr(const struct l2tp_rel *rel);
const struct l2tp_rel_stats *l2tp_rel_stats(const struct l2tp_rel *rel);
/* Ns of the oldest message not yet acknowledged (l2tp_rel_ns() when idle): what a
 * restarted daemon resumes from (messages in flight are dropped; see statefile.h). */
uint16_t l2tp_rel_una(const struct l2tp_rel *rel);
/* The peer's receive window (from l2tp_rel_set_peer). */
uint16_t l2tp_rel_peer_rws(const struct l2tp_rel *rel);
/* The i-th message queued and not yet acknowledged (i < count): 0 with *pkt, *len (valid
 * until the next call into the instance), -ENOENT past the end. */
int l2tp_rel_queued(const struct l2tp_rel *rel, unsigned i, const uint8_t **pkt, size_t *len);
/* A fresh instance continues a control connection of a previous process: the next
 * message sent gets Ns = ns, the next one expected from the peer is Nr = nr. */
void l2tp_rel_resume(struct l2tp_rel *rel, uint16_t ns, uint16_t nr);

#endif
