/*
 * L2TP tunnels (RFC 2661 §5, §6, §7.2): the control connection state machine, reliable
 * delivery wired to libev timers, and the per-tunnel UDP socket handed to the kernel.
 *
 * Every tunnel owns one UDP socket bound to l2tpd's address and port and connected to
 * the peer; the kernel tunnel (genl l2tp, L2TP_ATTR_FD) is created on it once the control
 * connection is established, and dies with it. Control messages are read from that socket
 * (and from the listener, which gets a new peer's SCCRQ) and demultiplexed by the Tunnel
 * ID of their header (udp_sock.h explains why not by socket).
 *
 * Tunnels are freed only from the reap timer, never inside a callback of the reliable
 * layer or of an I/O watcher that still holds them.
 */
#ifndef L2SEC_L2TPD_TUNNEL_H
#define L2SEC_L2TPD_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/evloop.h"
#include "l2tpd/ctrlmsg.h"
#include "l2tpd/reliable.h"

struct l2tpd;
struct session;

enum tunnel_state {
	TUNNEL_IDLE = 0,
	TUNNEL_WAIT_CTL_REPLY,      /* LAC: SCCRQ sent, waiting for SCCRP */
	TUNNEL_WAIT_CTL_CONN,       /* LNS: SCCRP sent, waiting for SCCCN */
	TUNNEL_ESTABLISHED,
	TUNNEL_CLOSING,             /* StopCCN sent or received: acks only, then freed */
	TUNNEL_STATE_COUNT,
};

struct tunnel {
	struct l2tpd *d;
	uint16_t tid, peer_tid;
	enum tunnel_state state;
	bool lac;                       /* we initiated (SCCRQ sender) */
	bool kernel;                    /* kernel tunnel created */
	bool reaping;                   /* on d->reap */
	bool torn_down;                 /* sessions and kernel tunnel gone, counted out */
	bool stop_sent;                 /* our StopCCN is queued: freed once acked */
	bool challenged;                /* we sent a Challenge: SCCCN/SCCRP must answer it */
	bool lost;                      /* the peer stopped acknowledging (HELLO timeout) */
	uint32_t mark;                  /* XFRM mark of the client's SA (ikd nat_marks): our
					 * socket's SO_MARK, and what tells apart clients behind
					 * one NAT; 0 = none */
	struct sockaddr_storage peer;   /* address and port */
	socklen_t peer_len;
	int fd;
	struct evloop_io io;
	struct l2tp_rel *rel;
	struct evloop_timer rel_timer;
	struct evloop_timer close_timer; /* CLOSING -> freed */
	uint8_t challenge[16];
	char hostname[64];
	char close_reason[96];
	uint64_t created_ms;            /* monotonic */
	struct session *sessions;       /* list via session->tunnel_next */
	unsigned n_sessions;
	struct tunnel *peer_next;       /* d->peer_hash chain */
	struct tunnel *reap_next;
	void *lac_ctx;                  /* lac.c's per-tunnel data */
	unsigned store_slot;            /* statestore.h: slot + 1, 0 = not kept for restarts */
	bool fd_stored;                 /* fd is in systemd's fd store */
};

const char *tunnel_state_name(enum tunnel_state s);

/* A datagram read by the listener from peer: a control message for a new or known tunnel. */
void tunnel_listener_input(struct l2tpd *d, const struct sockaddr_storage *peer,
			   socklen_t peer_len, const uint8_t *pkt, size_t len);

/*
 * Create a tunnel towards peer with a fresh tunnel id and its connected socket (LAC
 * side, lac.c). Returns it (owned by the daemon's tables) or NULL with errno set.
 */
struct tunnel *tunnel_create(struct l2tpd *d, const struct sockaddr_storage *peer,
			     socklen_t peer_len, bool lac);

/*
 * Restart (restore.h): take back the established tunnel tid on its connected socket fd
 * (owned from here on; closed on failure) towards peer, its control connection resumed
 * where the previous process left it. NULL with errno set (EEXIST: id in use).
 */
struct tunnel_resume {
	uint16_t peer_tid, peer_rws, ns, nr;
	uint64_t created_ms;
	const char *host;
	unsigned store_slot;            /* statestore slot + 1 */
};
struct tunnel *tunnel_adopt(struct l2tpd *d, uint16_t tid, int fd,
			    const struct sockaddr_storage *peer, const struct tunnel_resume *res);
/* Exit with the tunnel left to systemd's fd store: free it and its sessions (our copies
 * of the descriptors closed) without touching the kernel, the peer or the store. */
void tunnel_forget(struct tunnel *t);

/* Queue a control message built in buf (reliable delivery). 0 or -errno. */
int tunnel_send(struct tunnel *t, uint8_t *buf, size_t len);

/*
 * Close the tunnel: StopCCN with result/error and reason to the peer (when it still
 * listens), every session torn down, kernel objects removed, freed later. Safe to call
 * more than once.
 */
void tunnel_close(struct tunnel *t, uint16_t result, uint16_t error, const char *reason);
/* Free without any message (the peer is gone or the daemon exits). */
void tunnel_destroy(struct tunnel *t, const char *reason);

struct tunnel *tunnel_by_id(struct l2tpd *d, uint16_t tid);

/* Free every tunnel queued for reaping (called from the reap timer and at exit). */
void tunnel_reap(struct l2tpd *d);

/* Age in seconds. */
uint64_t tunnel_age_s(const struct tunnel *t);

/* Start-of-message helper shared with session.c and lac.c: the builder for the peer. */
int tunnel_msg_begin(struct tunnel *t, struct l2tp_msg_builder *b, uint8_t *buf, size_t cap,
		     uint16_t peer_sid, uint16_t type);

/* The state table is consistent (one row per state and message). 0 or -EINVAL. */
int tunnel_rules_check(void);
/* The listener is readable. */
void tunnel_listener_readable(struct l2tpd *d, int fd);

/* Pieces shared with lac.c. */
/* Protocol Version ... Receive Window Size: the AVPs SCCRQ and SCCRP share (§6.1, §6.2). */
int tunnel_put_ctl_conn_avps(struct tunnel *t, struct l2tp_msg_builder *b);
int tunnel_put_challenge(struct tunnel *t, struct l2tp_msg_builder *b);
/* A Challenge Response to m's Challenge, if it has one. -EACCES (*why set) when we have
 * no secret to answer with. */
int tunnel_put_challenge_response(struct tunnel *t, struct l2tp_msg_builder *b,
				  const struct l2tp_msg *m, uint8_t msg_type, const char **why);
bool tunnel_check_challenge_response(struct tunnel *t, const struct l2tp_msg *m,
				     uint8_t msg_type, const char **why);
int tunnel_kernel_create(struct tunnel *t);
void tunnel_established(struct tunnel *t);

#endif
