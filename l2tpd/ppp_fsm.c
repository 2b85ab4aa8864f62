/* The RFC 1661 option negotiation automaton. See ppp_fsm.h. */
#include "l2tpd/ppp_fsm.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

/* Actions of RFC 1661 §4.4, as bits, executed in the order below. */
enum {
	A_TLD = 1 << 0,   /* This-Layer-Down */
	A_IRC = 1 << 1,   /* Initialize-Restart-Count */
	A_ZRC = 1 << 2,   /* Zero-Restart-Count */
	A_SCR = 1 << 3,   /* Send-Configure-Request */
	A_SCA = 1 << 4,   /* Send-Configure-Ack */
	A_SCN = 1 << 5,   /* Send-Configure-Nak/Rej */
	A_STR = 1 << 6,   /* Send-Terminate-Request */
	A_STA = 1 << 7,   /* Send-Terminate-Ack */
	A_SCJ = 1 << 8,   /* Send-Code-Reject */
	A_SER = 1 << 9,   /* Send-Echo-Reply */
	A_TLU = 1 << 10,  /* This-Layer-Up */
	A_TLS = 1 << 11,  /* This-Layer-Started */
	A_TLF = 1 << 12,  /* This-Layer-Finished */
};

#define NOPE 0xff   /* "-": cannot happen in this state; logged and ignored */

struct transition {
	uint8_t next;
	uint16_t actions;
};

#define T(n, a) { PPP_##n, (a) }
#define X { NOPE, 0 }
#define S(n) { PPP_##n, 0 }

/*
 * RFC 1661 §4.1 state transition table, one row per event, one column per state:
 *   Initial  Starting  Closed  Stopped  Closing  Stopping  Req-Sent  Ack-Rcvd  Ack-Sent  Opened
 * The restart option ("r") is not implemented: Open in Stopped/Closing/Opened keeps the
 * state. Passive ("p") and crossed-connection ("x") notes need no code of their own.
 */
static const struct transition fsm_table[PPP_EV_COUNT][PPP_STATE_COUNT] = {
	[PPP_EV_UP] = { S(CLOSED), T(REQSENT, A_IRC | A_SCR), X, X, X, X, X, X, X, X },
	[PPP_EV_DOWN] = { X, X, S(INITIAL), T(STARTING, A_TLS), S(INITIAL), S(STARTING),
			  S(STARTING), S(STARTING), S(STARTING), T(STARTING, A_TLD) },
	[PPP_EV_OPEN] = { T(STARTING, A_TLS), S(STARTING), T(REQSENT, A_IRC | A_SCR),
			  S(STOPPED), S(STOPPING), S(STOPPING), S(REQSENT), S(ACKRCVD),
			  S(ACKSENT), S(OPENED) },
	[PPP_EV_CLOSE] = { S(INITIAL), T(INITIAL, A_TLF), S(CLOSED), S(CLOSED), S(CLOSING),
			   S(CLOSING), T(CLOSING, A_IRC | A_STR), T(CLOSING, A_IRC | A_STR),
			   T(CLOSING, A_IRC | A_STR), T(CLOSING, A_TLD | A_IRC | A_STR) },
	[PPP_EV_TO_PLUS] = { X, X, X, X, T(CLOSING, A_STR), T(STOPPING, A_STR),
			     T(REQSENT, A_SCR), T(REQSENT, A_SCR), T(ACKSENT, A_SCR), X },
	[PPP_EV_TO_MINUS] = { X, X, X, X, T(CLOSED, A_TLF), T(STOPPED, A_TLF),
			      T(STOPPED, A_TLF), T(STOPPED, A_TLF), T(STOPPED, A_TLF), X },
	[PPP_EV_RCR_PLUS] = { X, X, T(CLOSED, A_STA), T(ACKSENT, A_IRC | A_SCR | A_SCA),
			      S(CLOSING), S(STOPPING), T(ACKSENT, A_SCA),
			      T(OPENED, A_SCA | A_TLU), T(ACKSENT, A_SCA),
			      T(ACKSENT, A_TLD | A_SCR | A_SCA) },
	[PPP_EV_RCR_MINUS] = { X, X, T(CLOSED, A_STA), T(REQSENT, A_IRC | A_SCR | A_SCN),
			       S(CLOSING), S(STOPPING), T(REQSENT, A_SCN), T(ACKRCVD, A_SCN),
			       T(REQSENT, A_SCN), T(REQSENT, A_TLD | A_SCR | A_SCN) },
	[PPP_EV_RCA] = { X, X, T(CLOSED, A_STA), T(STOPPED, A_STA), S(CLOSING), S(STOPPING),
			 T(ACKRCVD, A_IRC), T(REQSENT, A_SCR), T(OPENED, A_IRC | A_TLU),
			 T(REQSENT, A_TLD | A_SCR) },
	[PPP_EV_RCN] = { X, X, T(CLOSED, A_STA), T(STOPPED, A_STA), S(CLOSING), S(STOPPING),
			 T(REQSENT, A_IRC | A_SCR), T(REQSENT, A_SCR), T(ACKSENT, A_IRC | A_SCR),
			 T(REQSENT, A_TLD | A_SCR) },
	[PPP_EV_RTR] = { X, X, T(CLOSED, A_STA), T(STOPPED, A_STA), T(CLOSING, A_STA),
			 T(STOPPING, A_STA), T(REQSENT, A_STA), T(REQSENT, A_STA),
			 T(REQSENT, A_STA), T(STOPPING, A_TLD | A_ZRC | A_STA) },
	[PPP_EV_RTA] = { X, X, S(CLOSED), S(STOPPED), T(CLOSED, A_TLF), T(STOPPED, A_TLF),
			 S(REQSENT), S(REQSENT), S(ACKSENT), T(REQSENT, A_TLD | A_SCR) },
	[PPP_EV_RUC] = { X, X, T(CLOSED, A_SCJ), T(STOPPED, A_SCJ), T(CLOSING, A_SCJ),
			 T(STOPPING, A_SCJ), T(REQSENT, A_SCJ), T(ACKRCVD, A_SCJ),
			 T(ACKSENT, A_SCJ), T(OPENED, A_SCJ) },
	[PPP_EV_RXJ_PLUS] = { X, X, S(CLOSED), S(STOPPED), S(CLOSING), S(STOPPING), S(REQSENT),
			      S(REQSENT), S(ACKSENT), S(OPENED) },
	[PPP_EV_RXJ_MINUS] = { X, X, T(CLOSED, A_TLF), T(STOPPED, A_TLF), T(CLOSED, A_TLF),
			       T(STOPPED, A_TLF), T(STOPPED, A_TLF), T(STOPPED, A_TLF),
			       T(STOPPED, A_TLF), T(STOPPING, A_TLD | A_IRC | A_STR) },
	[PPP_EV_RXR] = { X, X, S(CLOSED), S(STOPPED), S(CLOSING), S(STOPPING), S(REQSENT),
			 S(ACKRCVD), S(ACKSENT), T(OPENED, A_SER) },
};

static const char *const state_names[PPP_STATE_COUNT] = {
	"initial", "starting", "closed", "stopped", "closing", "stopping",
	"req_sent", "ack_rcvd", "ack_sent", "opened",
};

static const char *const event_names[PPP_EV_COUNT] = {
	"up", "down", "open", "close", "to+", "to-", "rcr+", "rcr-", "rca", "rcn",
	"rtr", "rta", "ruc", "rxj+", "rxj-", "rxr",
};

const char *ppp_state_name(enum ppp_state s)
{
	return (unsigned)s < PPP_STATE_COUNT ? state_names[s] : "unknown";
}

const char *ppp_event_name(enum ppp_event e)
{
	return (unsigned)e < PPP_EV_COUNT ? event_names[e] : "unknown";
}

static bool timer_states(enum ppp_state s);

/*
 * Consistency of fsm_table[] with the rules RFC 1661 §4 states in prose: a request sent
 * (scr, str, zrc) always leads to a state that runs the restart timer; tlu only into
 * Opened; tld only out of Opened; tls only into Starting; next states exist.
 */
int ppp_fsm_selfcheck(void)
{
	int bad = 0;

	for (int e = 0; e < PPP_EV_COUNT; e++) {
		for (int s = 0; s < PPP_STATE_COUNT; s++) {
			const struct transition *t = &fsm_table[e][s];
			uint16_t a = t->actions;

			if (t->next == NOPE)
				continue;
			if (t->next >= PPP_STATE_COUNT ||
			    ((a & (A_SCR | A_STR | A_ZRC)) && !timer_states(t->next)) ||
			    ((a & A_TLU) && t->next != PPP_OPENED) ||
			    ((a & A_TLD) && s != PPP_OPENED) ||
			    ((a & A_TLS) && t->next != PPP_STARTING)) {
				log_err("ppp_fsm_table_inconsistent", "event=%s state=%s",
					ppp_event_name(e), ppp_state_name(s));
				bad++;
			}
		}
	}
	return bad ? -EINVAL : 0;
}

void ppp_fsm_init(struct ppp_fsm *f, const struct ppp_fsm_proto *proto,
		  const struct ppp_fsm_io *io, void *io_ctx, void *priv)
{
	memset(f, 0, sizeof *f);
	f->proto = proto;
	f->io = io;
	f->io_ctx = io_ctx;
	f->priv = priv;
	f->state = PPP_INITIAL;
	f->restart_ms = 3000;
	f->max_configure = 10;
	f->max_terminate = 2;
	f->max_failure = 5;
	f->peer_mru = 1500;
	f->next_id = 1;
}

void ppp_fsm_set_state(struct ppp_fsm *f, enum ppp_state s) { f->state = s; }

void ppp_fsm_send(struct ppp_fsm *f, uint8_t code, uint8_t id, const void *data, size_t len)
{
	uint8_t pkt[PPP_MAX_PACKET];
	struct buf_writer w;

	if (len > sizeof pkt - PPP_HDR_LEN)
		len = sizeof pkt - PPP_HDR_LEN;   /* Code-Reject of a long packet: truncated */
	bw_init(&w, pkt, sizeof pkt);
	bw_u8(&w, code);
	bw_u8(&w, id);
	bw_u16(&w, (uint16_t)(PPP_HDR_LEN + len));
	if (len)
		bw_bytes(&w, data, len);
	f->io->send(f->io_ctx, f->proto->proto, pkt, bw_len(&w));
}

static void timer_start(struct ppp_fsm *f)
{
	f->timer_running = true;
	f->io->timer_start(f->io_ctx, f, f->restart_ms);
}

static void send_cr(struct ppp_fsm *f)
{
	struct buf_writer w;

	bw_init(&w, f->lastcr, sizeof f->lastcr);
	if (f->proto->build_cr(f, &w) < 0 || !bw_ok(&w))
		bw_init(&w, f->lastcr, sizeof f->lastcr);   /* fall back to an empty request */
	f->lastcr_len = (uint16_t)bw_len(&w);
	f->cr_id = f->next_id++;
	f->restart_count--;
	f->stats.cr_sent++;
	ppp_fsm_send(f, PPP_CONF_REQ, f->cr_id, f->lastcr, f->lastcr_len);
	timer_start(f);
}

static void send_echo_reply(struct ppp_fsm *f)
{
	uint8_t data[PPP_MAX_PACKET];
	uint32_t magic = f->proto->magic ? f->proto->magic(f) : 0;
	size_t n = 0;

	/* Reply = our magic number, then the request's data after its magic number */
	data[0] = (uint8_t)(magic >> 24);
	data[1] = (uint8_t)(magic >> 16);
	data[2] = (uint8_t)(magic >> 8);
	data[3] = (uint8_t)magic;
	if (f->rx_pkt && f->rx_len > PPP_HDR_LEN + 4) {
		/* truncated to what the peer can receive (RFC 1661 §5.8) */
		size_t room = (f->peer_mru < PPP_MAX_PACKET ? f->peer_mru : PPP_MAX_PACKET) -
			      PPP_HDR_LEN - 4u;

		n = f->rx_len - PPP_HDR_LEN - 4;
		if (n > room)
			n = room;
		memcpy(data + 4, f->rx_pkt + PPP_HDR_LEN + 4, n);
	}
	ppp_fsm_send(f, PPP_ECHO_REP, f->rx_id, data, 4 + n);
}

/* Run the send-side actions of a transition, in RFC order. */
static void run_actions(struct ppp_fsm *f, uint16_t a)
{
	if (a & A_IRC)   /* counter for what follows: Terminate or Configure */
		f->restart_count = (a & A_STR) ? f->max_terminate : f->max_configure;
	if (a & A_ZRC) {
		f->restart_count = 0;
		timer_start(f);   /* pause one restart period before Stopped */
	}
	if (a & A_SCR)
		send_cr(f);
	if (a & (A_SCA | A_SCN)) {
		uint8_t code = (a & A_SCA) ? PPP_CONF_ACK
			       : f->reply_code ? f->reply_code : PPP_CONF_NAK;

		ppp_fsm_send(f, code, f->rx_id, f->reply, f->reply ? f->reply_len : 0);
	}
	if (a & A_STR) {
		f->restart_count--;
		ppp_fsm_send(f, PPP_TERM_REQ, f->next_id++, NULL, 0);
		timer_start(f);
	}
	if (a & A_STA)
		ppp_fsm_send(f, PPP_TERM_ACK, f->rx_id, NULL, 0);
	if (a & A_SCJ) {   /* the rejected packet, truncated to the peer's MRU (§5.6) */
		size_t room = (size_t)f->peer_mru - PPP_HDR_LEN;

		ppp_fsm_send(f, PPP_CODE_REJ, f->next_id++, f->rx_pkt,
			     f->rx_len < room ? f->rx_len : room);
	}
	if (a & A_SER)
		send_echo_reply(f);
}

static bool timer_states(enum ppp_state s)
{
	return s == PPP_CLOSING || s == PPP_STOPPING || s == PPP_REQSENT || s == PPP_ACKRCVD ||
	       s == PPP_ACKSENT;
}

void ppp_fsm_event(struct ppp_fsm *f, enum ppp_event ev)
{
	const struct transition *t;
	enum ppp_state old = f->state;

	if ((unsigned)ev >= PPP_EV_COUNT)
		return;
	t = &fsm_table[ev][old];
	if (t->next == NOPE) {
		log_debug("ppp_fsm_unexpected", "proto=%s state=%s event=%s", f->proto->name,
			  ppp_state_name(old), ppp_event_name(ev));
		return;
	}
	if (t->actions & A_TLD) {
		if (f->proto->down)
			f->proto->down(f);
		if (f->ev && f->ev->down)
			f->ev->down(f);
	}
	run_actions(f, t->actions);
	f->state = (enum ppp_state)t->next;
	if (!timer_states(f->state) && f->timer_running) {
		f->timer_running = false;
		f->io->timer_stop(f->io_ctx, f);
	}
	if (old != f->state)
		log_debug("ppp_fsm_state", "proto=%s from=%s to=%s event=%s", f->proto->name,
			  ppp_state_name(old), ppp_state_name(f->state), ppp_event_name(ev));
	if (t->actions & A_TLU) {
		if (f->proto->up)
			f->proto->up(f);
		if (f->ev && f->ev->up)
			f->ev->up(f);
	}
	if (t->actions & A_TLS && f->proto->started)
		f->proto->started(f);
	if (t->actions & A_TLF) {
		if (f->proto->finished)
			f->proto->finished(f);
		if (f->ev && f->ev->finished)
			f->ev->finished(f);
	}
}

void ppp_fsm_timeout(struct ppp_fsm *f)
{
	if (!f->timer_running)
		return;   /* stale: the state no longer needs the timer */
	f->stats.timeouts++;
	ppp_fsm_event(f, f->restart_count > 0 ? PPP_EV_TO_PLUS : PPP_EV_TO_MINUS);
}

/* A Configure-Request from the peer: let the protocol judge it, unless the state ignores it. */
static int input_cr(struct ppp_fsm *f, struct buf_reader *data)
{
	/* The reply lives here, not in the automaton: 1.5 KB less per session */
	uint8_t reply[PPP_MAX_PACKET - PPP_HDR_LEN];
	struct buf_writer w;
	int rc;

	f->stats.cr_recv++;
	if (f->state == PPP_CLOSED || f->state == PPP_CLOSING || f->state == PPP_STOPPING) {
		ppp_fsm_event(f, PPP_EV_RCR_PLUS);   /* same row for + and - in these states */
		return 0;
	}
	bw_init(&w, reply, sizeof reply);
	rc = f->proto->recv_cr(f, data, &w);
	if (rc < 0 || !bw_ok(&w))
		return -EBADMSG;
	f->reply_code = (uint8_t)rc;
	f->reply_len = (uint16_t)bw_len(&w);
	f->reply = reply;
	if (rc == PPP_CONF_ACK) {
		f->nak_loops = 0;
	} else if (rc == PPP_CONF_NAK) {
		f->nak_loops++;
		f->stats.naks_sent++;
	} else {
		f->stats.rejs_sent++;
	}
	ppp_fsm_event(f, rc == PPP_CONF_ACK ? PPP_EV_RCR_PLUS : PPP_EV_RCR_MINUS);
	f->reply = NULL;
	f->reply_len = 0;
	return 0;
}

/* Configure-Ack/Nak/Reject: only for our outstanding request (RFC 1661 §5.2-§5.4). */
static int input_reply(struct ppp_fsm *f, uint8_t code, uint8_t id, struct buf_reader *data)
{
	bool negotiating = f->state == PPP_REQSENT || f->state == PPP_ACKRCVD ||
			   f->state == PPP_ACKSENT || f->state == PPP_OPENED;
	int rc;

	if (id != f->cr_id)
		return -EBADMSG;
	if (code == PPP_CONF_ACK) {
		const uint8_t *p = NULL;
		size_t n = br_left(data);

		/* An Ack must repeat our options exactly */
		if (n != f->lastcr_len || (n && (br_ptr(data, n, &p) < 0 ||
						 memcmp(p, f->lastcr, n) != 0)))
			return -EBADMSG;
		if ((f->state == PPP_REQSENT || f->state == PPP_ACKSENT) && f->proto->recv_ca) {
			struct buf_reader opts;

			br_init(&opts, f->lastcr, f->lastcr_len);
			f->proto->recv_ca(f, &opts);
		}
		ppp_fsm_event(f, PPP_EV_RCA);
		return 0;
	}
	if (negotiating) {
		rc = f->proto->recv_cn(f, data, code == PPP_CONF_REJ);
		if (rc == -EPROTO) {
			log_info("ppp_negotiation_failed", "proto=%s reason=%s", f->proto->name,
				 code == PPP_CONF_REJ ? "required_option_rejected"
						      : "no_acceptable_value");
			ppp_fsm_event(f, PPP_EV_CLOSE);
			return 0;
		}
		if (rc < 0)
			return -EBADMSG;
	}
	ppp_fsm_event(f, PPP_EV_RCN);
	return 0;
}

int ppp_fsm_input(struct ppp_fsm *f, const uint8_t *pkt, size_t len)
{
	struct buf_reader r, data;
	uint8_t code = 0, id = 0, rejected = 0;
	uint16_t plen = 0;
	int rc = 0;

	br_init(&r, pkt, len);
	br_u8(&r, &code);
	br_u8(&r, &id);
	br_u16(&r, &plen);
	/* Octets past Length are padding (RFC 1661 §5) */
	if (!br_ok(&r) || plen < PPP_HDR_LEN || plen > len)
		goto drop;
	br_init(&data, pkt + PPP_HDR_LEN, plen - PPP_HDR_LEN);
	if (f->state == PPP_INITIAL || f->state == PPP_STARTING)
		goto drop;   /* the lower layer is not up: nothing can arrive */
	f->rx_id = id;
	f->rx_pkt = pkt;
	f->rx_len = plen;
	switch (code) {
	case PPP_CONF_REQ:
		rc = input_cr(f, &data);
		break;
	case PPP_CONF_ACK:
	case PPP_CONF_NAK:
	case PPP_CONF_REJ:
		rc = input_reply(f, code, id, &data);
		break;
	case PPP_TERM_REQ:
		ppp_fsm_event(f, PPP_EV_RTR);
		break;
	case PPP_TERM_ACK:
		ppp_fsm_event(f, PPP_EV_RTA);
		break;
	case PPP_CODE_REJ:
		/* Rejecting one of the codes the automaton needs is fatal (RFC 1661 §5.6) */
		if (br_u8(&data, &rejected) < 0)
			rc = -EBADMSG;
		else
			ppp_fsm_event(f, rejected >= PPP_CONF_REQ && rejected <= PPP_CODE_REJ
						 ? PPP_EV_RXJ_MINUS : PPP_EV_RXJ_PLUS);
		break;
	default:
		rc = f->proto->recv_extra ? f->proto->recv_extra(f, code, id, &data) : -ENOENT;
		if (rc == -ENOENT)
			ppp_fsm_event(f, PPP_EV_RUC);
		else if (rc >= 0)
			ppp_fsm_event(f, (enum ppp_event)rc);
		rc = rc == -EBADMSG ? rc : 0;
		break;
	}
	f->rx_pkt = NULL;
	f->rx_len = 0;
	if (rc < 0)
		goto drop;
	return 0;
drop:
	f->stats.discarded++;
	log_debug("ppp_packet_dropped", "proto=%s code=%u len=%zu", f->proto->name, code, len);
	return -EBADMSG;
}

int ppp_opt_next(struct buf_reader *r, struct ppp_opt *o)
{
	size_t start = br_offset(r);

	memset(o, 0, sizeof *o);
	if (!br_ok(r))
		return -EBADMSG;
	if (br_left(r) == 0)
		return 0;
	if (br_u8(r, &o->type) < 0 || br_u8(r, &o->len) < 0 || o->len < 2 ||
	    br_sub(r, o->len - 2u, &o->val) < 0)
		return br_fail(r);
	o->raw = r->data + start;
	return 1;
}

const struct ppp_opt_rule *ppp_opt_rule_find(const struct ppp_opt_rule *rules, size_t n,
					     uint8_t type)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].type == type)
			return &rules[i];
	return NULL;
}

int ppp_opts_judge(struct ppp_fsm *f, const struct ppp_opt_rule *rules, size_t nrules,
		   struct buf_reader *opts, struct buf_writer *reply)
{
	uint8_t nakbuf[PPP_MAX_PACKET], rejbuf[PPP_MAX_PACKET];
	struct buf_writer nak, rej;
	struct buf_reader all = *opts;
	struct ppp_opt o;
	int rc;

	bw_init(&nak, nakbuf, sizeof nakbuf);
	bw_init(&rej, rejbuf, sizeof rejbuf);
	while ((rc = ppp_opt_next(opts, &o)) == 1) {
		const struct ppp_opt_rule *rule = ppp_opt_rule_find(rules, nrules, o.type);
		int v = PPP_CONF_REJ;
		size_t naklen = bw_len(&nak);

		if (rule && rule->check && o.len >= rule->min_len && o.len <= rule->max_len)
			v = rule->check(f, &o, &nak);
		if (v == PPP_CONF_NAK && f->nak_loops >= f->max_failure) {
			nak.len = naklen;   /* drop the suggestion: reject instead */
			v = PPP_CONF_REJ;
		}
		if (v == PPP_CONF_REJ)
			bw_bytes(&rej, o.raw, o.len);
		if (v != PPP_CONF_ACK)
			log_debug("ppp_option_refused", "proto=%s option=%s type=%u verdict=%s",
				  f->proto->name, rule ? rule->name : "unknown", o.type,
				  v == PPP_CONF_REJ ? "reject" : "nak");
	}
	if (rc < 0)
		return -EBADMSG;
	if (bw_len(&rej)) {
		bw_bytes(reply, rejbuf, bw_len(&rej));
		return PPP_CONF_REJ;
	}
	if (bw_len(&nak)) {
		bw_bytes(reply, nakbuf, bw_len(&nak));
		return PPP_CONF_NAK;
	}
	bw_bytes(reply, all.data + all.off, br_left(&all));
	return PPP_CONF_ACK;
}
