/*
 * The PPP option negotiation automaton (RFC 1661 §4), shared by LCP and the NCPs.
 *
 * Driven from outside: the daemon feeds events (Up, Down, Open, Close, a timeout) and
 * received packets; the automaton answers through callbacks: bytes to send, start/stop the
 * restart timer, and this-layer-up/down/started/finished. It owns no socket and no timer.
 *
 * A protocol (LCP, IPCP) plugs in with a const struct ppp_fsm_proto: how to build its
 * Configure-Request, how to judge the peer's, how to take an Ack/Nak/Reject, and any codes
 * of its own (LCP's Protocol-Reject and Echo).
 */
#ifndef L2SEC_L2TPD_PPP_FSM_H
#define L2SEC_L2TPD_PPP_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* PPP protocol numbers used by the engine. */
#define PPP_PROTO_IP      0x0021
#define PPP_PROTO_IPV6    0x0057
#define PPP_PROTO_IPCP    0x8021
#define PPP_PROTO_IPV6CP  0x8057
#define PPP_PROTO_CCP     0x80fd
#define PPP_PROTO_LCP     0xc021
#define PPP_PROTO_PAP     0xc023
#define PPP_PROTO_CHAP    0xc223

/* Packet codes (RFC 1661 §5). LCP adds 8..11. */
enum ppp_code {
	PPP_CONF_REQ = 1,
	PPP_CONF_ACK = 2,
	PPP_CONF_NAK = 3,
	PPP_CONF_REJ = 4,
	PPP_TERM_REQ = 5,
	PPP_TERM_ACK = 6,
	PPP_CODE_REJ = 7,
	PPP_PROTO_REJ = 8,
	PPP_ECHO_REQ = 9,
	PPP_ECHO_REP = 10,
	PPP_DISCARD_REQ = 11,
};

#define PPP_HDR_LEN 4          /* code, identifier, length */
#define PPP_MAX_PACKET 1500    /* what we build; MRU negotiation never asks us for more */

enum ppp_state {
	PPP_INITIAL = 0,
	PPP_STARTING,
	PPP_CLOSED,
	PPP_STOPPED,
	PPP_CLOSING,
	PPP_STOPPING,
	PPP_REQSENT,
	PPP_ACKRCVD,
	PPP_ACKSENT,
	PPP_OPENED,
	PPP_STATE_COUNT,
};

enum ppp_event {
	PPP_EV_UP = 0,
	PPP_EV_DOWN,
	PPP_EV_OPEN,
	PPP_EV_CLOSE,
	PPP_EV_TO_PLUS,
	PPP_EV_TO_MINUS,
	PPP_EV_RCR_PLUS,
	PPP_EV_RCR_MINUS,
	PPP_EV_RCA,
	PPP_EV_RCN,
	PPP_EV_RTR,
	PPP_EV_RTA,
	PPP_EV_RUC,
	PPP_EV_RXJ_PLUS,
	PPP_EV_RXJ_MINUS,
	PPP_EV_RXR,
	PPP_EV_COUNT,
};

const char *ppp_state_name(enum ppp_state s);
const char *ppp_event_name(enum ppp_event e);

struct ppp_fsm;

/* A protocol's part: const, one per protocol. */
struct ppp_fsm_proto {
	const char *name;          /* "lcp", "ipcp" */
	uint16_t proto;
	/* Write our Configure-Request options. 0 or negative errno. */
	int (*build_cr)(struct ppp_fsm *f, struct buf_writer *w);
	/*
	 * Judge the peer's Configure-Request options and write the reply's options into w.
	 * Returns PPP_CONF_ACK (w holds a copy of the options), PPP_CONF_NAK or PPP_CONF_REJ,
	 * or -EBADMSG to discard the packet as malformed.
	 */
	int (*recv_cr)(struct ppp_fsm *f, struct buf_reader *opts, struct buf_writer *w);
	/* The peer acked our request (options already compared with what we sent). */
	void (*recv_ca)(struct ppp_fsm *f, struct buf_reader *opts);
	/* The peer Nak'ed (rej false) or rejected (rej true) options: adjust what we ask.
	 * 0, or -EBADMSG to discard, or -EPROTO when negotiation cannot converge (the
	 * automaton then closes). */
	int (*recv_cn)(struct ppp_fsm *f, struct buf_reader *opts, bool rej);
	/*
	 * Codes beyond 1-7 (may be NULL). Returns an event to feed (e.g. PPP_EV_RXR,
	 * PPP_EV_RXJ_MINUS), -1 when handled without one, or -ENOENT for an unknown code.
	 */
	int (*recv_extra)(struct ppp_fsm *f, uint8_t code, uint8_t id, struct buf_reader *data);
	/* Magic number for an Echo-Reply (LCP only; may be NULL). */
	uint32_t (*magic)(struct ppp_fsm *f);
	void (*up)(struct ppp_fsm *f);        /* tlu */
	void (*down)(struct ppp_fsm *f);      /* tld */
	void (*started)(struct ppp_fsm *f);   /* tls */
	void (*finished)(struct ppp_fsm *f);  /* tlf */
};

/*
 * The daemon's part: how bytes leave and how the restart timer is kept. send() must not
 * feed packets back into an automaton synchronously (queue them): the automaton is in the
 * middle of a transition while it sends.
 */
struct ppp_fsm_io {
	/* pkt is a whole PPP packet (code..data) for protocol proto; valid during the call. */
	void (*send)(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len);
	void (*timer_start)(void *ctx, struct ppp_fsm *f, uint32_t ms);
	void (*timer_stop)(void *ctx, struct ppp_fsm *f);
};

/*
 * The owner's view of layer events (the link that combines LCP, authentication and IPCP),
 * called after the protocol's own hooks. Any of them may be NULL.
 */
struct ppp_fsm_events {
	void (*up)(struct ppp_fsm *f);
	void (*down)(struct ppp_fsm *f);
	void (*finished)(struct ppp_fsm *f);
};

struct ppp_fsm_stats {
	uint32_t cr_sent, cr_recv, naks_sent, rejs_sent, timeouts, discarded;
};

struct ppp_fsm {
	const struct ppp_fsm_proto *proto;
	const struct ppp_fsm_io *io;
	void *io_ctx;
	void *priv;                    /* the protocol's instance (struct ppp_lcp *, ...) */
	const struct ppp_fsm_events *ev;   /* owner's layer events, may be NULL */
	void *owner;
	enum ppp_state state;
	int restart_count;
	bool timer_running;
	uint32_t restart_ms;           /* RFC 1661 §4.6: 3 s default */
	uint8_t max_configure;         /* 10 */
	uint8_t max_terminate;         /* 2 */
	uint8_t max_failure;           /* 5: Naks before an option is rejected instead */
	uint16_t peer_mru;             /* replies we echo (Echo, Code-Reject) fit in this */
	uint8_t nak_loops;             /* consecutive Naks we sent */
	uint8_t next_id;
	uint8_t cr_id;                 /* Identifier of our outstanding Configure-Request */
	uint8_t rx_id;                 /* Identifier of the packet being answered */
	const uint8_t *rx_pkt;         /* that packet, for a Code-Reject */
	size_t rx_len;
	uint8_t reply_code;            /* ACK/NAK/REJ chosen by recv_cr for sca/scn */
	uint16_t reply_len;
	const uint8_t *reply;          /* its options: on ppp_fsm_input's stack, NULL after */
	uint16_t lastcr_len;
	uint8_t lastcr[256];           /* our last request's options: an Ack must match them */
	struct ppp_fsm_stats stats;
};

/* Check the transition table against RFC 1661's rules; call once at start-up. 0/-EINVAL. */
int ppp_fsm_selfcheck(void);

/* Set up f in Initial with RFC 1661 defaults. */
void ppp_fsm_init(struct ppp_fsm *f, const struct ppp_fsm_proto *proto,
		  const struct ppp_fsm_io *io, void *io_ctx, void *priv);

/* Feed an event: Up, Down, Open, Close (others normally come from ppp_fsm_input). */
void ppp_fsm_event(struct ppp_fsm *f, enum ppp_event ev);
/* The restart timer fired: TO+ while the counter lasts, then TO-. */
void ppp_fsm_timeout(struct ppp_fsm *f);
/*
 * A packet for this protocol: pkt starts at the code. Malformed packets are counted and
 * dropped (RFC 1661 §5: silently discarded). Returns 0 or -EBADMSG.
 */
int ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len);

/* Send a packet of this protocol with the given code, id and data (LCP echo etc.). */
void ppp_fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const void *data, size_t len);

/*
 * Configuration options (RFC 1661 §6): type, length (including these two octets), value.
 * Protocols describe theirs as a const table of rules; ppp_opts_judge() walks a peer's
 * Configure-Request against it and writes the reply by the RFC's precedence: any option to
 * reject -> Configure-Reject of those; else any to nak -> Configure-Nak with suggestions;
 * else Configure-Ack of the whole list. After max_failure Naks in a row, Naks become
 * Rejects so that negotiation converges (RFC 1661 §4.6 Max-Failure).
 */
struct ppp_opt {
	uint8_t type;
	uint8_t len;               /* whole option */
	const uint8_t *raw;        /* type octet onwards */
	struct buf_reader val;     /* the value */
};
/* Next option: 1, 0 at the end, -EBADMSG if a length is < 2 or runs past the end. */
int ppp_opt_next(struct buf_reader *r, struct ppp_opt *o);

struct ppp_opt_rule {
	uint8_t type;
	const char *name;
	uint8_t min_len, max_len;  /* whole option; outside: rejected */
	/* PPP_CONF_ACK (record the value as pending), PPP_CONF_NAK (write the whole
	 * suggested option into nak) or PPP_CONF_REJ. NULL: always rejected. */
	int (*check)(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak);
};
/* Returns PPP_CONF_ACK/NAK/REJ with the reply options in reply, or -EBADMSG. */
int ppp_opts_judge(struct ppp_fsm *f, const struct ppp_opt_rule *rules, size_t nrules,
		   struct buf_reader *opts, struct buf_writer *reply);
/* Rule for a type, or NULL. */
const struct ppp_opt_rule *ppp_opt_rule_find(const struct ppp_opt_rule *rules, size_t n,
					     uint8_t type);

/* For tests of the transition table: put f in state s without actions. */
void ppp_fsm_set_state(struct ppp_fsm *f, enum ppp_state s);

#endif
