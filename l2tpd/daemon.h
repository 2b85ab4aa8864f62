/*
 * The l2tpd process: one struct l2tpd holds the configuration, the kernel handles, the
 * listening socket, the control socket and the tables of tunnels, sessions, users and
 * addresses. tunnel.c, session.c, ppp_session.c and l2tpd_ctl.c work on it.
 *
 * Tables (all O(1), sized for tens of thousands of sessions):
 *   tunnel by our tunnel id      direct array of 65536 pointers
 *   tunnel by peer (addr, port)  chained hash: duplicate SCCRQs, the protected-peer check
 *   session by (tid, sid)        chained hash; our session ids are unique process-wide
 *   session by user name         chained hash: duplicate-login policy, disconnect by user
 *   session by client address    chained hash: an address is never given twice
 */
#ifndef L2SEC_L2TPD_DAEMON_H
#define L2SEC_L2TPD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/ctl.h"
#include "common/evloop.h"
#include "l2tpd/ctrlmsg.h"
#include "l2tpd/kernel_l2tp.h"
#include "l2tpd/l2tpd_conf.h"
#include "l2tpd/rtnl.h"
#include "l2tpd/teardown.h"

struct tunnel;
struct session;
struct ippool;
struct ikd_link;
struct statestore;

#define L2TPD_PEER_BUCKETS 4096u
#define L2TPD_SESSION_BUCKETS 16384u
#define L2TPD_USER_BUCKETS 4096u
#define L2TPD_ADDR_BUCKETS 4096u

/* A peer ikd reported as protected by a transport SA covering UDP/1701. */
struct protected_peer {
	struct protected_peer *next;
	struct sockaddr_storage addr;   /* address and port */
};

struct l2tpd_stats {
	uint64_t rx_dropped;            /* malformed or unexpected datagrams */
	uint64_t tunnels_refused, sessions_refused, auth_failures;
	uint64_t tunnels_total, sessions_total;
};

struct l2tpd {
	struct evloop ev;
	struct l2tpd_conf *conf;        /* borrowed from main */
	struct kl2tp kl2tp;
	struct rtnl rtnl;
	struct ctl_server *ctl;
	struct ikd_link *ikd;            /* ikd_link.h: protected peers, delete-peer */
	struct fwset *fwset;            /* fwset.h: users' nftables set, NULL if not configured */
	struct hook_runner *hook;       /* hook.h: session hook, NULL if not configured */
	uint64_t started_ms;            /* monotonic */

	int listen_fd;
	struct evloop_io listen_io;
	struct kppp_binder *binder;     /* kppp_bind.h: PPPIOCGCHAN threads; NULL: inline */
	struct evloop_io binder_io;
	struct kppp_binder *closer;     /* teardown.h: session teardown threads; NULL: inline */
	struct evloop_io closer_io;
	struct session_td *td_head, *td_tail;   /* pending teardowns, oldest first */
	struct session_td *td_hash[TEARDOWN_BUCKETS];   /* by (tid, sid) */
	unsigned n_teardowns;

	struct tunnel **tunnel_by_id;   /* [65536] */
	struct tunnel *peer_hash[L2TPD_PEER_BUCKETS];
	struct session *session_hash[L2TPD_SESSION_BUCKETS];
	struct session *user_hash[L2TPD_USER_BUCKETS];
	struct session *addr_hash[L2TPD_ADDR_BUCKETS];
	struct protected_peer *protected_hash[L2TPD_PEER_BUCKETS];
	unsigned n_tunnels, n_sessions;
	uint16_t next_session_id;
	unsigned next_if_index;

	struct ippool **pools;          /* [conf->n_pools] (ippool.h) */
	struct l2tp_msg *msg;           /* parse scratch (large) */
	struct tunnel *reap;            /* tunnels to free outside their callbacks */
	struct evloop_timer reap_timer;
	struct l2tpd_stats stats;
	struct statestore *store;       /* statestore.h: restart state */
	int handover_fd, handover_conn; /* handover.h: listener, successor (-1: none) */
	struct evloop_io handover_io;
	bool shutting_down;
	bool handing_over;              /* exiting with tunnels left to the fd store */
};

/* Monotonic milliseconds (for the reliable layer and ages). */
uint64_t l2tpd_now_ms(void);

/*
 * Bring the daemon up with conf: kernel probe, netlink handles, stale-object sweep,
 * listener, control socket, signals. Errors are logged with what to do; returns 0 or
 * -errno. d->conf is borrowed and must outlive d.
 */
int l2tpd_start(struct l2tpd *d, struct l2tpd_conf *conf);
/* The part of l2tpd_start() that needs no kernel support: tables, pools, loop, listener
 * (unit tests use it alone; kernel calls then fail cleanly). 0 or -errno. */
int l2tpd_init(struct l2tpd *d, struct l2tpd_conf *conf);
/* Open the configured firewall set if it is not open yet: 0, or -errno (logged). */
int l2tpd_fwset_ensure(struct l2tpd *d);
/* Run the loop until SIGINT/SIGTERM; every tunnel is closed on the way out. */
int l2tpd_run(struct l2tpd *d);
/* Close everything l2tpd_start() opened (idempotent). */
void l2tpd_stop(struct l2tpd *d);

/* "192.0.2.1:1701" into buf (at least 64 bytes). Returns buf. */
const char *l2tpd_fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t size);
bool l2tpd_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
uint32_t l2tpd_sa_hash(const struct sockaddr_storage *ss);

/*
 * Client addresses (ippool.h per configured range; users' dedicated addresses reserved).
 * alloc: a free pool address (-EADDRNOTAVAIL when exhausted); claim: take a dedicated
 * address (-EADDRINUSE if a live session holds it); release: give an address back
 * (dedicated ones stay reserved).
 */
int l2tpd_addr_alloc(struct l2tpd *d, struct in_addr *out);
int l2tpd_addr_claim(struct l2tpd *d, struct in_addr a);
void l2tpd_addr_release(struct l2tpd *d, struct in_addr a);

/* Protected peers (the ikd hook): consulted on SCCRQ when conf->require_protected. */
int l2tpd_peer_protected_set(struct l2tpd *d, const struct sockaddr_storage *peer, bool up);
bool l2tpd_peer_is_protected(const struct l2tpd *d, const struct sockaddr_storage *peer);

#endif
