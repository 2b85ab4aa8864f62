/*
 * The ikd daemon object: configuration, sockets, the IKE SA table, the kernel interface,
 * the control socket, and the hooks through which the IKEv1 engine sends packets and
 * reports events.
 *
 * The engine (ikev1_*.c) only sees struct ikd through this header, so a unit test can
 * build a struct ikd without sockets, control socket or kernel (ikd_init_core with a
 * recording kernel and a send hook) and run two engines against each other in memory.
 *
 * Shutdown leaves kernel SAs and policies in place on purpose (DESIGN.md: "kernel SAs
 * outlive ikd by themselves", so a restart or crash of ikd never cuts traffic); they
 * expire by their kernel lifetimes, and `vpnctl terminate` removes them on demand.
 */
#ifndef L2SEC_IKD_DAEMON_H
#define L2SEC_IKD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "ikd/ike_sa.h"
#include "ikd/ike_socket.h"
#include "ikd/ikd_conf.h"
#include "ikd/kernel.h"

struct ctl_server;
struct xfrm_handle;
struct xfrm_events;

struct ikd_stats {
	uint64_t rx_malformed;          /* undecodable packets (counted drop) */
	uint64_t rx_unknown_sa;         /* cookies we do not know */
	uint64_t rx_duplicates;         /* answered from the last reply */
	uint64_t rx_unexpected;         /* no transition for this state/exchange */
	uint64_t negotiations_failed;
	uint64_t ike_established, ipsec_established;
	uint64_t dpd_dead;
	uint64_t tx_fragments;          /* IKE fragments sent (ikev1_frag.h) */
	uint64_t rx_reassembled;        /* messages reassembled from fragments */
};

/* Events the engine reports (the control socket turns them into CTL_EVT_*). */
enum ikd_event {
	IKD_EV_IKE_UP = 1,
	IKD_EV_IKE_DOWN,
	IKD_EV_IPSEC_UP,
	IKD_EV_IPSEC_DOWN,
	IKD_EV_FAILED,
};

struct ikd;
typedef int (*ikd_send_hook_fn)(void *arg, const struct ike_sa *sa, const uint8_t *pkt,
				size_t len);
typedef void (*ikd_event_hook_fn)(void *arg, enum ikd_event ev, const struct ike_sa *sa,
				  const struct ipsec_sa *child, const char *reason);

struct ikd {
	struct evloop *loop;            /* NULL in unit tests */
	struct ikd_conf *conf;
	const char *conf_path;
	const char *secrets_override;
	bool foreground;
	struct ike_sockets socks;
	bool socks_open;
	struct ike_sa_table sas;
	struct ikd_kernel kernel;
	struct xfrm_handle *xfrm;
	struct xfrm_events *xev;
	struct evloop_io xev_io;
	struct ctl_server *ctl;
	const char *ctl_path;
	ikd_send_hook_fn send_hook;     /* replaces the sockets when set */
	void *send_hook_arg;
	ikd_event_hook_fn event_hook;   /* called in addition to the control socket */
	void *event_hook_arg;
	struct ikd_stats stats;
	uint32_t next_mark;             /* nat_marks: the next mark to hand out */
	uint64_t start_ms;
	uint8_t *plain;                 /* decryption scratch, IKE_PACKET_MAX bytes */
	bool in_input;                  /* inside ikev1_input: SA frees are deferred */
	struct state_store *store;      /* saved SA state (ike_restore.h), NULL = none */
	int state_fd;                   /* handed back by systemd's fd store (>= 3), else 0 */
#define IKD_DYING_MAX 8
	struct ike_sa *dying[IKD_DYING_MAX];
	size_t n_dying;
};

/*
 * The parts of struct ikd the engine needs: SA table, retransmission config, scratch.
 * conf is taken over (one reference). loop may be NULL. Returns 0 or -ENOMEM.
 */
int ikd_init_core(struct ikd *d, struct evloop *loop, struct ikd_conf *conf,
		  const struct ikd_kernel *kernel);
void ikd_free_core(struct ikd *d);

/* Full start: sockets, xfrm handle and events, control socket, start=start conns. */
int ikd_start(struct ikd *d);
/* Stop listening and free everything; kernel SAs stay (see above). */
void ikd_stop(struct ikd *d);
/*
 * SIGHUP / vpnctl reload: load ikd.conf and the secrets again (ikd(8) RELOAD).
 *   - A file with errors is refused as a whole: the running configuration stays, every
 *     error is logged (config_error, "FILE:LINE: KEY: what"), msg names the count and the
 *     first, and the result is -EINVAL (vpnctl exits non-zero).
 *   - Otherwise connections, PSKs, proposals, lifetimes, DPD, NAT-T and fragmentation
 *     settings apply to new negotiations (established SAs keep the configuration they
 *     were made under); half-open limits, retransmission and log_level apply at once.
 *   - Settings fixed at start (ike_port, natt_port, ipv6, socket_mark, socket, user,
 *     group) keep their running value; msg ends "; needs restart: NAMES" and
 *     reload_needs_restart is logged. Returns 0.
 * systemd is told RELOADING=1 ... READY=1 with msg as STATUS.
 */
int ikd_reload(struct ikd *d, char *msg, size_t msg_size);

/* A packet from the network (what the sockets call). */
void ikd_input(struct ikd *d, const struct ike_packet *pkt);

/* Send a message of sa to its peer (sockets or the send hook). */
int ikd_send(struct ikd *d, const struct ike_sa *sa, const uint8_t *pkt, size_t len);

/* Report an event (log line is the caller's; this informs subscribers and the hook). */
void ikd_event(struct ikd *d, enum ikd_event ev, const struct ike_sa *sa,
	       const struct ipsec_sa *child, const char *reason);

/* The local address to talk to peer from: the connection's, or what routing picks
 * (a connected UDP socket's name). Port: the IKE port. Returns 0 or -errno. */
int ikd_source_address(struct ikd *d, const struct ikd_conn *conn,
		       const union ikd_sockaddr *peer, union ikd_sockaddr *out);

/* Initiate a configured connection (to its remote, or to peer when not NULL).
 * Returns 0 and *id (IKE SA id) or -errno with msg filled. */
int ikd_initiate(struct ikd *d, const char *conn_name, const union ikd_sockaddr *peer,
		 uint32_t *id, char *msg, size_t msg_size);

/* The daemon an SA belongs to. */
static inline struct ikd *ikd_of(const struct ike_sa *sa)
{
	return (struct ikd *)sa->owner;
}

#endif
