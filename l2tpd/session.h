/*
 * L2TP sessions (RFC 2661 §5.4, §6.9-6.12, §7.4): incoming calls on the LNS
 * (ICRQ -> ICRP -> ICCN), outgoing ones on the LAC (lac.c), CDN from either side; the
 * kernel objects of each session (genl session, PPPoL2TP socket, PPP channel and unit);
 * and the per-user/per-address bookkeeping the PPP engine (ppp_session.h) asks for.
 *
 * Teardown is one function, session_destroy(), whatever the path: CDN received, CDN
 * sent, PPP finished, tunnel closed, control command, daemon exit. It removes every
 * kernel object the session made (closing the unit, channel and PPPoL2TP descriptors and
 * deleting the genl session) and frees the session.
 */
#ifndef L2SEC_L2TPD_SESSION_H
#define L2SEC_L2TPD_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "common/evloop.h"
#include "l2tpd/ctrlmsg.h"
#include "l2tpd/kernel_ppp.h"

struct l2tpd;
struct tunnel;
struct ppp_session;
struct lac_call;

enum session_state {
	SESSION_WAIT_REPLY = 0,     /* LAC: ICRQ sent */
	SESSION_WAIT_CONNECT,       /* LNS: ICRP sent, waiting for ICCN */
	SESSION_PPP_LCP,
	SESSION_PPP_AUTH,
	SESSION_PPP_NCP,
	SESSION_ESTABLISHED,        /* IPCP opened, traffic flows */
	SESSION_CLOSING,
	SESSION_STATE_COUNT,
};

struct session {
	struct tunnel *t;
	uint16_t sid, peer_sid;
	enum session_state state;
	bool kernel_session;            /* genl session created */
	bool have_addr;                 /* client_ip is ours (in addr_hash) */
	bool in_user_hash;
	bool addr_set;                  /* address and route put on the unit */
	uint32_t call_serial;
	struct kppp_session k;
	struct kppp_bind_req *bind_req; /* PPPIOCGCHAN pending on d->binder (owns k.pppox_fd's use) */
	struct ppp_session *ppp;        /* NULL until ICCN */
	struct lac_call *lac_call;      /* LAC calls: lac.c's pppd child */
	char user[256];                 /* authenticated user, "" before */
	bool up_announced;              /* session-up was sent: session-down follows */
	struct in_addr client_ip;
	uint64_t created_ms, up_ms;     /* monotonic */
	struct session *tunnel_next;    /* t->sessions */
	struct session *hash_next;      /* d->session_hash */
	struct session *user_next;      /* d->user_hash */
	struct session *addr_next;      /* d->addr_hash */
	unsigned store_slot;            /* statestore.h: slot + 1, 0 = not kept for restarts */
	bool fds_stored;                /* sock/chan/unit are in systemd's fd store */
};

const char *session_state_name(enum session_state s);

/* Control messages for sessions, in order, from tunnel.c (t is ESTABLISHED). */
void session_on_icrq(struct tunnel *t, const struct l2tp_msg *m);
void session_on_icrp(struct tunnel *t, const struct l2tp_msg *m);
void session_on_iccn(struct tunnel *t, const struct l2tp_msg *m);
void session_on_cdn(struct tunnel *t, const struct l2tp_msg *m);

struct session *session_lookup(struct l2tpd *d, uint16_t tid, uint16_t sid);

/* A new session in t with a fresh id (LAC side: the caller sends ICRQ). NULL on ENOMEM. */
struct session *session_new(struct tunnel *t);

/*
 * Restart (restore.h): the established session sid of the tunnel, whose kernel session
 * exists; the caller fills in the rest. NULL when the id is taken or on ENOMEM.
 */
struct session *session_adopt(struct tunnel *t, uint16_t sid, uint16_t peer_sid);
/* A restored session takes its user name and address back (pool and tables).
 * -EADDRINUSE when another session holds either, or the pool's -errno. */
int session_claim_names(struct session *s, const char *user, struct in_addr ip);
/* Exit with the session left to systemd's fd store: freed, our descriptors closed, the
 * kernel objects, the peer and the store untouched. */
void session_forget(struct session *s);

/*
 * End the session: a CDN with result/error/reason to the peer when send_cdn (and the
 * tunnel is up), the SESSION_DOWN event, kernel objects removed, freed.
 */
void session_close(struct session *s, bool send_cdn, uint16_t result, const char *reason);

/* The kernel half of a session: genl session, PPPoL2TP and (when channel) our PPP
 * channel; a LAC call leaves the channel to pppd. 0 or -errno (logged). */
int session_kernel_open(struct session *s, bool lns, bool channel);

/* The PPPIOCGCHAN threads (kppp_bind.h) and their watcher; without them (start failed,
 * or l2tpd_init alone as in unit tests) channels are bound inline. */
void session_binder_start(struct l2tpd *d);
void session_binder_stop(struct l2tpd *d);

/* PPP outcomes (from ppp_session.c). */
/* Authentication succeeded for user: apply the duplicate-login policy and pick the
 * client's address. 0 to go on, or -errno with *why set (the session is then closed). */
int session_authorized(struct session *s, const char *user, const char **why);
/* Create the PPP unit (interface), join it to the channel, set its MRU. 0 or -errno. */
int session_unit_open(struct session *s, uint16_t mru);
/* IPCP opened: address with the peer route, MTU, NPMODE pass, link up, event. */
int session_network_up(struct session *s, uint16_t mtu);
/* Give the client's address back (PPP released it). */
void session_release_addr(struct session *s);
void session_set_state(struct session *s, enum session_state st);
struct session *session_by_addr(struct l2tpd *d, struct in_addr a);

/* Counters of the session's interface (zeroed when there is none). */
struct rtnl_counters;
void session_counters(struct session *s, struct rtnl_counters *out);

uint64_t session_age_s(const struct session *s);

#endif
