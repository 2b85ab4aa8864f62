/*
 * LCP (RFC 1661 §6) on top of the automaton: the option table, echo keepalives,
 * Protocol-Reject; and struct ppp_link, which ties LCP, authentication and IPCP into the
 * phases of RFC 1661 §3.2 (Establish, Authenticate, Network, Terminate) for one session.
 *
 * What we accept from the peer (we are the server, the LNS):
 *   MRU                 >= min_mru: ack; below: nak with min_mru
 *   ACCM                ack (meaningless on L2TP, harmless)
 *   Auth-Protocol       reject: we do not authenticate ourselves to clients
 *   Quality-Protocol    reject
 *   Magic-Number        ack, nak when equal to ours (loop detection)
 *   PFC, ACFC           ack or reject, per configuration (reject by default)
 *   Callback (13, Windows), MRRU, Endpoint Discriminator and anything else: reject
 * What we ask for: Magic-Number, Auth-Protocol (first allowed method, moving down the
 * preference list when Nak'ed), MRU when configured.
 */
#ifndef L2SEC_L2TPD_PPP_LCP_H
#define L2SEC_L2TPD_PPP_LCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tpd/ppp_auth.h"
#include "l2tpd/ppp_fsm.h"
#include "l2tpd/ppp_ipcp.h"

enum ppp_lcp_opt {
	LCP_OPT_MRU = 1,
	LCP_OPT_ACCM = 2,
	LCP_OPT_AUTH = 3,
	LCP_OPT_QUALITY = 4,
	LCP_OPT_MAGIC = 5,
	LCP_OPT_PFC = 7,
	LCP_OPT_ACFC = 8,
	LCP_OPT_CALLBACK = 13,
	LCP_OPT_MRRU = 17,
	LCP_OPT_ENDPOINT = 19,
};

struct ppp_lcp_cfg {
	uint16_t mru;            /* MRU we ask for; 0 = do not ask (peer assumes 1500) */
	uint16_t min_mru;        /* smallest peer MRU we accept (default 576) */
	/* Authentication methods we allow, most preferred first, PPP_AUTH_NONE-terminated.
	 * Empty list: no authentication. */
	enum ppp_auth_method auth[PPP_AUTH_METHOD_COUNT];
	bool accept_pfc, accept_acfc;
	uint8_t echo_failures;   /* unanswered echoes before the link is declared dead */
};

/* Default: MRU not asked, min 576, MS-CHAPv2 then CHAP-MD5, PFC/ACFC refused, 5 echoes. */
void ppp_lcp_cfg_default(struct ppp_lcp_cfg *cfg);

struct ppp_lcp {
	struct ppp_fsm fsm;
	const struct ppp_lcp_cfg *cfg;
	uint32_t our_magic, peer_magic;
	uint16_t peer_mru;       /* what the peer can receive: our transmit limit */
	uint16_t our_mru;        /* what we asked (0: not asking) */
	bool ask_magic, ask_mru;
	uint8_t auth_index;      /* position in cfg->auth of the method we ask for */
	bool auth_given_up;
	bool peer_pfc, peer_acfc;
	/* values of the request being judged, committed when we ack it */
	uint16_t pend_mru;
	uint32_t pend_magic;
	bool pend_pfc, pend_acfc;
	uint8_t echo_id, echo_outstanding;
	/* Told when the peer rejects another protocol with Protocol-Reject (may be NULL). */
	void (*proto_rejected)(struct ppp_lcp *lcp, uint16_t proto);
};

/* The method we ask for now (PPP_AUTH_NONE when none is configured). */
enum ppp_auth_method ppp_lcp_auth_method(const struct ppp_lcp *lcp);

/* Set up lcp (its automaton in Initial); io drives sends and the restart timer. */
void ppp_lcp_init(struct ppp_lcp *lcp, const struct ppp_lcp_cfg *cfg,
		  const struct ppp_fsm_io *io, void *io_ctx, const struct ppp_fsm_events *ev,
		  void *owner);

/*
 * Keepalive: call every echo interval. Sends an Echo-Request when LCP is Opened; returns
 * -ETIMEDOUT when cfg->echo_failures requests in a row went unanswered (close the link),
 * else 0.
 */
int ppp_lcp_echo_tick(struct ppp_lcp *lcp);

/* Send a Protocol-Reject for a received packet of protocol proto (LCP must be Opened). */
void ppp_lcp_protocol_reject(struct ppp_lcp *lcp, uint16_t proto, const uint8_t *info,
			     size_t len);

/*
 * ---- struct ppp_link: one PPP session's control plane (RFC 1661 §3.2 phases) ----
 *
 * The daemon owns one per L2TP session, feeds it the frames read from the PPP channel
 * (ppp_link_input), the timer expiries (ppp_link_timeout) and an echo tick, and acts on
 * the callbacks: write a frame, arm/disarm one of three timers, look up a user, allocate
 * and free an address, configure the unit when the network is up, tear down the session
 * when the link is finished.
 */
enum ppp_phase {
	PPP_PHASE_DEAD = 0,
	PPP_PHASE_ESTABLISH,
	PPP_PHASE_AUTHENTICATE,
	PPP_PHASE_NETWORK,
	PPP_PHASE_TERMINATE,
};
const char *ppp_phase_name(enum ppp_phase p);

enum ppp_timer {
	PPP_TIMER_LCP = 0,
	PPP_TIMER_IPCP,
	PPP_TIMER_AUTH,
	PPP_TIMER_COUNT,
};

struct ppp_link_cfg {
	struct ppp_lcp_cfg lcp;
	struct ppp_ipcp_cfg ipcp;
	const char *server_name;   /* Name in our CHAP challenges */
};

/* What the network-up callback needs to configure the ppp unit. */
struct ppp_link_info {
	const char *user;
	enum ppp_auth_method method;
	uint32_t local_addr, peer_addr;   /* host order */
	uint16_t peer_mru;                /* largest packet the peer takes: the unit's MTU */
	bool dns_requested;
};

struct ppp_link_ops {
	/* A frame for the PPP channel: 2-octet protocol, then the packet. */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	void (*timer_start)(void *ctx, enum ppp_timer t, uint32_t ms);
	void (*timer_stop)(void *ctx, enum ppp_timer t);
	int (*get_secret)(void *ctx, const char *user, struct ppp_user_secret *out);
	/* An address for this user (dedicated or from the pool): 0 or negative errno. */
	int (*addr_alloc)(void *ctx, const char *user, uint32_t *addr);
	void (*addr_free)(void *ctx, uint32_t addr);
	void (*network_up)(void *ctx, const struct ppp_link_info *info);
	void (*network_down)(void *ctx);
	/* LCP is finished: end the L2TP session. reason says why, for logs and vpnctl. */
	void (*finished)(void *ctx, const char *reason);
};

struct ppp_link {
	const struct ppp_link_cfg *cfg;
	const struct ppp_link_ops *ops;
	void *ctx;
	enum ppp_phase phase;
	struct ppp_lcp lcp;
	struct ppp_auth auth;
	struct ppp_ipcp ipcp;
	bool addr_held;
	bool network_is_up;
	char user[PPP_AUTH_NAME_MAX + 1];
	char reason[96];
};

void ppp_link_init(struct ppp_link *l, const struct ppp_link_cfg *cfg,
		   const struct ppp_link_ops *ops, void *ctx);
/* The L2TP session is up: LCP opens and sends its first Configure-Request. */
void ppp_link_start(struct ppp_link *l);
/* Close administratively (reason is logged and reported by finished()). */
void ppp_link_close(struct ppp_link *l, const char *reason);
/* The L2TP session went away under us: no Terminate exchange; finished() follows. */
void ppp_link_lower_down(struct ppp_link *l, const char *reason);
/* A frame from the PPP channel (address/control and compressed protocol accepted). */
int ppp_link_input(struct ppp_link *l, const uint8_t *frame, size_t len);
void ppp_link_timeout(struct ppp_link *l, enum ppp_timer t);
/* Call every echo interval; closes the link after too many unanswered echoes. */
void ppp_link_echo_tick(struct ppp_link *l);

/*
 * What a restarted daemon knows of a link that was up (statefile.h): LCP, authentication
 * and IPCP are put straight into Opened, the network phase, with these values, without a
 * packet being sent; the peer never notices. The address is held (freed by the link when
 * it goes down, like a negotiated one).
 */
struct ppp_link_saved {
	const char *user;
	enum ppp_auth_method method;
	uint32_t our_magic, peer_magic;
	uint16_t our_mru, peer_mru;
	bool peer_pfc, peer_acfc;
	uint32_t peer_addr;               /* host order */
};
void ppp_link_restore(struct ppp_link *l, const struct ppp_link_saved *v);

#endif
