/* LCP: option table, echo keepalives, Protocol-Reject (RFC 1661 §5.7-§5.9, §6). */
#include "l2tpd/ppp_lcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/log.h"

#define LCP(f) ((struct ppp_lcp *)(f)->priv)

void ppp_lcp_cfg_default(struct ppp_lcp_cfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->min_mru = 576;
	cfg->auth[0] = PPP_AUTH_MSCHAPV2;
	cfg->auth[1] = PPP_AUTH_CHAP_MD5;
	cfg->echo_failures = 5;
}

enum ppp_auth_method ppp_lcp_auth_method(const struct ppp_lcp *lcp)
{
	if (lcp->auth_given_up || lcp->auth_index >= PPP_AUTH_METHOD_COUNT)
		return PPP_AUTH_NONE;
	return lcp->cfg->auth[lcp->auth_index];
}

static uint32_t new_magic(void)
{
	uint32_t m = 0;

	while (m == 0)   /* zero means "no magic number" */
		if (RAND_bytes((uint8_t *)&m, sizeof m) != 1)
			m = 0x5a5a0001;
	return m;
}

static int opt_mru(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	uint16_t mru = 0;

	br_u16(&o->val, &mru);
	if (mru >= LCP(f)->cfg->min_mru) {
		LCP(f)->pend_mru = mru;
		return PPP_CONF_ACK;
	}
	bw_u8(nak, LCP_OPT_MRU);
	bw_u8(nak, 4);
	bw_u16(nak, LCP(f)->cfg->min_mru);
	return PPP_CONF_NAK;
}

static int opt_accm(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	return PPP_CONF_ACK;   /* async control character map: nothing to escape on L2TP */
}

static int opt_magic(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	uint32_t m = 0;

	br_u32(&o->val, &m);
	if (m != 0 && m == LCP(f)->our_magic) {
		/* RFC 1661 §6.4: looped back, or a clash: suggest another value */
		log_info("lcp_magic_clash", "magic=%08x", m);
		bw_u8(nak, LCP_OPT_MAGIC);
		bw_u8(nak, 6);
		bw_u32(nak, new_magic());
		return PPP_CONF_NAK;
	}
	LCP(f)->pend_magic = m;
	return PPP_CONF_ACK;
}

static int opt_pfc(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	if (!LCP(f)->cfg->accept_pfc)
		return PPP_CONF_REJ;
	LCP(f)->pend_pfc = true;
	return PPP_CONF_ACK;
}

static int opt_acfc(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	if (!LCP(f)->cfg->accept_acfc)
		return PPP_CONF_REJ;
	LCP(f)->pend_acfc = true;
	return PPP_CONF_ACK;
}

/*
 * Options the peer may ask for (RFC 1661 §6, RFC 1570 for Callback). A NULL handler means
 * "known, always rejected", so the log names it.
 */
static const struct ppp_opt_rule lcp_rules[] = {
	{ LCP_OPT_MRU,      "mru",              4, 4,   opt_mru },
	{ LCP_OPT_ACCM,     "accm",             6, 6,   opt_accm },
	{ LCP_OPT_AUTH,     "auth_protocol",    4, 255, NULL },   /* we are not authenticated */
	{ LCP_OPT_QUALITY,  "quality_protocol", 4, 255, NULL },
	{ LCP_OPT_MAGIC,    "magic_number",     6, 6,   opt_magic },
	{ LCP_OPT_PFC,      "pfc",              2, 2,   opt_pfc },
	{ LCP_OPT_ACFC,     "acfc",             2, 2,   opt_acfc },
	{ LCP_OPT_CALLBACK, "callback",         3, 255, NULL },   /* Windows asks; refused */
	{ LCP_OPT_MRRU,     "mrru",             4, 4,   NULL },   /* no multilink */
	{ LCP_OPT_ENDPOINT, "endpoint_discriminator", 3, 255, NULL },
};

static int lcp_recv_cr(struct ppp_fsm *f, struct buf_reader *opts, struct buf_writer *w)
{
	struct ppp_lcp *lcp = LCP(f);
	int rc;

	lcp->pend_magic = 0;
	lcp->pend_pfc = lcp->pend_acfc = false;
	lcp->pend_mru = 1500;   /* RFC 1661 §6.1 default */
	rc = ppp_opts_judge(f, lcp_rules, sizeof lcp_rules / sizeof lcp_rules[0], opts, w);
	if (rc == PPP_CONF_ACK) {
		lcp->peer_mru = lcp->pend_mru;
		f->peer_mru = lcp->pend_mru;
		lcp->peer_magic = lcp->pend_magic;
		lcp->peer_pfc = lcp->pend_pfc;
		lcp->peer_acfc = lcp->pend_acfc;
	}
	return rc;
}

static void put_auth(struct buf_writer *w, enum ppp_auth_method m)
{
	bw_u8(w, LCP_OPT_AUTH);
	if (m == PPP_AUTH_PAP) {
		bw_u8(w, 4);
		bw_u16(w, PPP_PROTO_PAP);
		return;
	}
	bw_u8(w, 5);
	bw_u16(w, PPP_PROTO_CHAP);
	bw_u8(w, m == PPP_AUTH_MSCHAPV2 ? PPP_CHAP_ALG_MSCHAPV2 : PPP_CHAP_ALG_MD5);
}

static int lcp_build_cr(struct ppp_fsm *f, struct buf_writer *w)
{
	struct ppp_lcp *lcp = LCP(f);
	enum ppp_auth_method m = ppp_lcp_auth_method(lcp);

	if (lcp->ask_mru) {
		bw_u8(w, LCP_OPT_MRU);
		bw_u8(w, 4);
		bw_u16(w, lcp->our_mru);
	}
	if (m != PPP_AUTH_NONE)
		put_auth(w, m);
	if (lcp->ask_magic) {
		bw_u8(w, LCP_OPT_MAGIC);
		bw_u8(w, 6);
		bw_u32(w, lcp->our_magic);
	}
	return bw_ok(w) ? 0 : -EMSGSIZE;
}

/* The method an Auth-Protocol option names, PPP_AUTH_NONE if none we know. */
static enum ppp_auth_method auth_of(struct buf_reader v)
{
	uint16_t proto = 0;
	uint8_t alg = 0;

	br_u16(&v, &proto);
	if (proto == PPP_PROTO_PAP)
		return PPP_AUTH_PAP;
	if (proto == PPP_PROTO_CHAP && br_u8(&v, &alg) == 0)
		return alg == PPP_CHAP_ALG_MD5 ? PPP_AUTH_CHAP_MD5
		       : alg == PPP_CHAP_ALG_MSCHAPV2 ? PPP_AUTH_MSCHAPV2 : PPP_AUTH_NONE;
	return PPP_AUTH_NONE;
}

/* The peer Nak'ed our Auth-Protocol: take its suggestion if we allow it, else our next. */
static int auth_nak(struct ppp_lcp *lcp, struct buf_reader v)
{
	enum ppp_auth_method offered = ppp_lcp_auth_method(lcp), wanted = auth_of(v);

	for (uint8_t i = 0; i < PPP_AUTH_METHOD_COUNT && lcp->cfg->auth[i] != PPP_AUTH_NONE; i++)
		if (wanted != PPP_AUTH_NONE && lcp->cfg->auth[i] == wanted) {
			lcp->auth_index = i;
			goto out;
		}
	lcp->auth_index++;
	if (lcp->auth_index >= PPP_AUTH_METHOD_COUNT ||
	    lcp->cfg->auth[lcp->auth_index] == PPP_AUTH_NONE) {
		/* Windows 628/691 territory: say which method the client wanted */
		log_info("lcp_auth_mismatch", "offered=%s peer_wants=%s reason=%s",
			 ppp_auth_method_name(offered), ppp_auth_method_name(wanted),
			 "no_common_authentication_method");
		lcp->auth_given_up = true;
		return -EPROTO;
	}
out:
	log_info("lcp_auth_nak", "offered=%s peer_wants=%s next=%s",
		 ppp_auth_method_name(offered), ppp_auth_method_name(wanted),
		 ppp_auth_method_name(ppp_lcp_auth_method(lcp)));
	return 0;
}

static int lcp_recv_cn(struct ppp_fsm *f, struct buf_reader *opts, bool rej)
{
	struct ppp_lcp *lcp = LCP(f);
	struct ppp_opt o;
	uint16_t mru;
	int rc;

	while ((rc = ppp_opt_next(opts, &o)) == 1) {
		switch (o.type) {
		case LCP_OPT_MRU:
			if (rej)
				lcp->ask_mru = false;
			else if (br_u16(&o.val, &mru) == 0 && mru >= 576 && mru <= lcp->our_mru)
				lcp->our_mru = mru;
			break;
		case LCP_OPT_AUTH:
			if (rej) {
				log_info("lcp_auth_mismatch", "offered=%s reason=%s",
					 ppp_auth_method_name(ppp_lcp_auth_method(lcp)),
					 "peer_refuses_to_authenticate");
				return -EPROTO;
			}
			if (auth_nak(lcp, o.val) < 0)
				return -EPROTO;
			break;
		case LCP_OPT_MAGIC:
			if (rej)
				lcp->ask_magic = false;
			else
				lcp->our_magic = new_magic();
			break;
		default:
			break;   /* options we did not send: ignore */
		}
	}
	return rc < 0 ? -EBADMSG : 0;
}

static void lcp_recv_ca(struct ppp_fsm *f, struct buf_reader *opts) {}

static int lcp_recv_extra(struct ppp_fsm *f, uint8_t code, uint8_t id, struct buf_reader *d)
{
	struct ppp_lcp *lcp = LCP(f);
	uint16_t proto;

	switch (code) {
	case PPP_PROTO_REJ:
		if (br_u16(d, &proto) < 0)
			return -EBADMSG;
		log_info("lcp_protocol_rejected", "protocol=0x%04x", proto);
		if (proto == PPP_PROTO_LCP)
			return PPP_EV_RXJ_MINUS;
		if (lcp->proto_rejected)
			lcp->proto_rejected(lcp, proto);
		return PPP_EV_RXJ_PLUS;
	case PPP_ECHO_REQ:
		return f->state == PPP_OPENED ? PPP_EV_RXR : -1;
	case PPP_ECHO_REP:
		lcp->echo_outstanding = 0;
		return -1;
	case PPP_DISCARD_REQ:
	case 12:   /* Identification (RFC 1570): Windows sends its version; discarded */
	case 13:   /* Time-Remaining (RFC 1570) */
		return -1;
	default:
		return -ENOENT;
	}
}

static uint32_t lcp_magic(struct ppp_fsm *f) { return LCP(f)->ask_magic ? LCP(f)->our_magic : 0; }

static void lcp_up(struct ppp_fsm *f)
{
	LCP(f)->echo_outstanding = 0;
}

static const struct ppp_fsm_proto lcp_proto = {
	.name = "lcp",
	.proto = PPP_PROTO_LCP,
	.build_cr = lcp_build_cr,
	.recv_cr = lcp_recv_cr,
	.recv_ca = lcp_recv_ca,
	.recv_cn = lcp_recv_cn,
	.recv_extra = lcp_recv_extra,
	.magic = lcp_magic,
	.up = lcp_up,   /* then the owner's events (ppp_fsm_events) */
};

void ppp_lcp_init(struct ppp_lcp *lcp, const struct ppp_lcp_cfg *cfg,
		  const struct ppp_fsm_io *io, void *io_ctx, const struct ppp_fsm_events *ev,
		  void *owner)
{
	memset(lcp, 0, sizeof *lcp);
	ppp_fsm_init(&lcp->fsm, &lcp_proto, io, io_ctx, lcp);
	lcp->cfg = cfg;
	lcp->fsm.ev = ev;
	lcp->fsm.owner = owner;
	lcp->our_magic = new_magic();
	lcp->ask_magic = true;
	lcp->our_mru = cfg->mru;
	lcp->ask_mru = cfg->mru != 0;
	lcp->peer_mru = 1500;
}

int ppp_lcp_echo_tick(struct ppp_lcp *lcp)
{
	uint8_t magic[4];
	uint32_t m = lcp_magic(&lcp->fsm);

	if (lcp->fsm.state != PPP_OPENED)
		return 0;
	if (lcp->echo_outstanding >= lcp->cfg->echo_failures) {
		log_info("lcp_echo_timeout", "unanswered=%u", lcp->echo_outstanding);
		return -ETIMEDOUT;
	}
	magic[0] = (uint8_t)(m >> 24);
	magic[1] = (uint8_t)(m >> 16);
	magic[2] = (uint8_t)(m >> 8);
	magic[3] = (uint8_t)m;
	lcp->echo_outstanding++;
	ppp_fsm_send(&lcp->fsm, PPP_ECHO_REQ, ++lcp->echo_id, magic, sizeof magic);
	return 0;
}

void ppp_lcp_protocol_reject(struct ppp_lcp *lcp, uint16_t proto, const uint8_t *info,
			     size_t len)
{
	uint8_t data[PPP_MAX_PACKET - PPP_HDR_LEN];
	size_t room = (lcp->peer_mru < sizeof data + PPP_HDR_LEN ? lcp->peer_mru
								  : sizeof data + PPP_HDR_LEN) -
		      PPP_HDR_LEN - 2;

	if (lcp->fsm.state != PPP_OPENED)
		return;   /* RFC 1661 §5.7: only in the Opened state */
	if (len > room)
		len = room;
	data[0] = (uint8_t)(proto >> 8);
	data[1] = (uint8_t)proto;
	if (len)
		memcpy(data + 2, info, len);
	ppp_fsm_send(&lcp->fsm, PPP_PROTO_REJ, lcp->fsm.next_id++, data, 2 + len);
}

/* ---- struct ppp_link: phases and demultiplexing (RFC 1661 §3) ---- */

static const char *const phase_names[] = {
	"dead", "establish", "authenticate", "network", "terminate",
};

const char *ppp_phase_name(enum ppp_phase p)
{
	return (unsigned)p <= PPP_PHASE_TERMINATE ? phase_names[p] : "unknown";
}

static void set_phase(struct ppp_link *l, enum ppp_phase p)
{
	char q[LOG_QUOTE_MAX];

	if (l->phase == p)
		return;
	log_debug("ppp_phase", "from=%s to=%s user=%s", ppp_phase_name(l->phase),
		  ppp_phase_name(p), log_quote(q, sizeof q, l->user));
	l->phase = p;
}

static void set_reason(struct ppp_link *l, const char *reason)
{
	if (!l->reason[0])
		snprintf(l->reason, sizeof l->reason, "%s", reason);
}

static void link_fsm_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct ppp_link *l = ctx;
	uint8_t frame[2 + PPP_MAX_PACKET];

	if (len > PPP_MAX_PACKET)
		return;
	frame[0] = (uint8_t)(proto >> 8);
	frame[1] = (uint8_t)proto;
	memcpy(frame + 2, pkt, len);
	l->ops->send(l->ctx, frame, 2 + len);
}

static enum ppp_timer timer_of(struct ppp_link *l, struct ppp_fsm *f)
{
	return f == &l->lcp.fsm ? PPP_TIMER_LCP : PPP_TIMER_IPCP;
}

static void link_timer_start(void *ctx, struct ppp_fsm *f, uint32_t ms)
{
	struct ppp_link *l = ctx;

	l->ops->timer_start(l->ctx, timer_of(l, f), ms);
}

static void link_timer_stop(void *ctx, struct ppp_fsm *f)
{
	struct ppp_link *l = ctx;

	l->ops->timer_stop(l->ctx, timer_of(l, f));
}

static const struct ppp_fsm_io link_fsm_io = { link_fsm_send, link_timer_start,
					       link_timer_stop };

static void auth_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	link_fsm_send(ctx, proto, pkt, len);
}

static void auth_timer_start(void *ctx, uint32_t ms)
{
	struct ppp_link *l = ctx;

	l->ops->timer_start(l->ctx, PPP_TIMER_AUTH, ms);
}

static void auth_timer_stop(void *ctx)
{
	struct ppp_link *l = ctx;

	l->ops->timer_stop(l->ctx, PPP_TIMER_AUTH);
}

static int auth_get_secret(void *ctx, const char *user, struct ppp_user_secret *out)
{
	struct ppp_link *l = ctx;

	return l->ops->get_secret(l->ctx, user, out);
}

static void auth_done(void *ctx, bool ok, const char *user, const char *reason)
{
	struct ppp_link *l = ctx;
	uint32_t addr = 0;
	char why[96];

	snprintf(l->user, sizeof l->user, "%s", user);
	if (!ok) {
		snprintf(why, sizeof why, "authentication failed (%s): %s",
			 ppp_auth_method_name(l->auth.method), reason);
		ppp_link_close(l, why);
		return;
	}
	if (l->ops->addr_alloc(l->ctx, l->user, &addr) < 0 || !addr) {
		ppp_link_close(l, "no address available for the user");
		return;
	}
	l->addr_held = true;
	l->ipcp.peer_addr = addr;
	set_phase(l, PPP_PHASE_NETWORK);
	ppp_fsm_event(&l->ipcp.fsm, PPP_EV_OPEN);
	ppp_fsm_event(&l->ipcp.fsm, PPP_EV_UP);
}

static const struct ppp_auth_ops link_auth_ops = { auth_send, auth_timer_start,
						   auth_timer_stop, auth_get_secret, auth_done };

static void link_lcp_up(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;

	set_phase(l, PPP_PHASE_AUTHENTICATE);
	ppp_auth_start(&l->auth, ppp_lcp_auth_method(&l->lcp));
}

static void release_addr(struct ppp_link *l)
{
	if (l->addr_held) {
		l->addr_held = false;
		l->ops->addr_free(l->ctx, l->ipcp.peer_addr);
		l->ipcp.peer_addr = 0;
	}
}

static void link_lcp_down(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;

	set_phase(l, PPP_PHASE_TERMINATE);   /* first: IPCP finishing must not close again */
	ppp_auth_stop(&l->auth);
	ppp_fsm_event(&l->ipcp.fsm, PPP_EV_DOWN);   /* IPCP's tld tells the daemon */
	ppp_fsm_event(&l->ipcp.fsm, PPP_EV_CLOSE);
	release_addr(l);
}

static void link_lcp_finished(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;
	char q[LOG_QUOTE_MAX], u[LOG_QUOTE_MAX];

	release_addr(l);
	set_phase(l, PPP_PHASE_DEAD);
	set_reason(l, "peer closed the link");
	log_info("ppp_link_finished", "user=%s reason=%s", log_quote(u, sizeof u, l->user),
		 log_quote(q, sizeof q, l->reason));
	l->ops->finished(l->ctx, l->reason);
}

static const struct ppp_fsm_events link_lcp_events = { link_lcp_up, link_lcp_down,
						       link_lcp_finished };

static void link_ipcp_up(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;
	struct ppp_ipcp *ipcp = &l->ipcp;
	struct ppp_link_info info = {
		.user = l->user,
		.method = l->auth.method,
		.local_addr = l->cfg->ipcp.local_addr,
		.peer_addr = ipcp->peer_addr,
		.peer_mru = l->lcp.peer_mru,
		.dns_requested = ipcp->peer_asked_dns,
	};

	l->network_is_up = true;
	l->ops->network_up(l->ctx, &info);
}

static void link_ipcp_down(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;

	if (l->network_is_up) {
		l->network_is_up = false;
		l->ops->network_down(l->ctx);
	}
}

static void link_ipcp_finished(struct ppp_fsm *f)
{
	struct ppp_link *l = f->owner;

	/* IP is the only network protocol: without it the link has no use */
	if (l->phase == PPP_PHASE_NETWORK)
		ppp_link_close(l, "IPCP could not be negotiated or was closed by the peer");
}

static const struct ppp_fsm_events link_ipcp_events = { link_ipcp_up, link_ipcp_down,
							 link_ipcp_finished };

static void link_proto_rejected(struct ppp_lcp *lcp, uint16_t proto)
{
	struct ppp_link *l = lcp->fsm.owner;

	if (proto == PPP_PROTO_IPCP)
		ppp_fsm_event(&l->ipcp.fsm, PPP_EV_RXJ_MINUS);
	else if (proto == PPP_PROTO_PAP || proto == PPP_PROTO_CHAP)
		ppp_link_close(l, "peer rejected the authentication protocol");
}

void ppp_link_init(struct ppp_link *l, const struct ppp_link_cfg *cfg,
		   const struct ppp_link_ops *ops, void *ctx)
{
	memset(l, 0, sizeof *l);
	l->cfg = cfg;
	l->ops = ops;
	l->ctx = ctx;
	ppp_lcp_init(&l->lcp, &cfg->lcp, &link_fsm_io, l, &link_lcp_events, l);
	l->lcp.proto_rejected = link_proto_rejected;
	ppp_auth_init(&l->auth, &link_auth_ops, l, cfg->server_name);
	ppp_ipcp_init(&l->ipcp, &cfg->ipcp, &link_fsm_io, l, &link_ipcp_events, l);
}

void ppp_link_start(struct ppp_link *l)
{
	set_phase(l, PPP_PHASE_ESTABLISH);
	ppp_fsm_event(&l->lcp.fsm, PPP_EV_OPEN);
	ppp_fsm_event(&l->lcp.fsm, PPP_EV_UP);
}

void ppp_link_close(struct ppp_link *l, const char *reason)
{
	set_reason(l, reason);
	set_phase(l, PPP_PHASE_TERMINATE);
	ppp_fsm_event(&l->lcp.fsm, PPP_EV_CLOSE);
}

void ppp_link_lower_down(struct ppp_link *l, const char *reason)
{
	set_reason(l, reason);
	ppp_fsm_event(&l->lcp.fsm, PPP_EV_DOWN);
	ppp_fsm_event(&l->lcp.fsm, PPP_EV_CLOSE);   /* Starting -> Initial, with tlf */
	if (l->phase != PPP_PHASE_DEAD)              /* from Initial/Closed there is no tlf */
		link_lcp_finished(&l->lcp.fsm);
}

void ppp_link_timeout(struct ppp_link *l, enum ppp_timer t)
{
	if (t == PPP_TIMER_LCP)
		ppp_fsm_timeout(&l->lcp.fsm);
	else if (t == PPP_TIMER_IPCP)
		ppp_fsm_timeout(&l->ipcp.fsm);
	else if (t == PPP_TIMER_AUTH)
		ppp_auth_timeout(&l->auth);
}

void ppp_link_echo_tick(struct ppp_link *l)
{
	if (ppp_lcp_echo_tick(&l->lcp) == -ETIMEDOUT)
		ppp_link_close(l, "peer stopped answering LCP echo requests");
}

void ppp_link_restore(struct ppp_link *l, const struct ppp_link_saved *v)
{
	snprintf(l->user, sizeof l->user, "%s", v->user);
	snprintf(l->auth.user, sizeof l->auth.user, "%s", v->user);
	l->auth.method = v->method;
	l->auth.finished = true;
	l->auth.success = true;
	l->lcp.our_magic = v->our_magic;
	l->lcp.ask_magic = v->our_magic != 0;
	l->lcp.peer_magic = v->peer_magic;
	l->lcp.our_mru = v->our_mru;
	l->lcp.peer_mru = v->peer_mru ? v->peer_mru : 1500;
	l->lcp.fsm.peer_mru = l->lcp.peer_mru;
	l->lcp.peer_pfc = v->peer_pfc;
	l->lcp.peer_acfc = v->peer_acfc;
	for (uint8_t i = 0; i < PPP_AUTH_METHOD_COUNT && l->cfg->lcp.auth[i] != PPP_AUTH_NONE; i++)
		if (l->cfg->lcp.auth[i] == v->method)
			l->lcp.auth_index = i;
	ppp_fsm_set_state(&l->lcp.fsm, PPP_OPENED);
	l->ipcp.peer_addr = v->peer_addr;
	ppp_fsm_set_state(&l->ipcp.fsm, PPP_OPENED);
	l->addr_held = true;
	l->network_is_up = true;
	set_phase(l, PPP_PHASE_NETWORK);
}

int ppp_link_input(struct ppp_link *l, const uint8_t *frame, size_t len)
{
	uint16_t proto;
	size_t off = 0;

	if (len >= 2 && frame[0] == 0xff && frame[1] == 0x03)
		off = 2;   /* address and control fields present */
	if (len < off + 1)
		return -EBADMSG;
	if (frame[off] & 1) {          /* compressed protocol field (RFC 1661 §6.5) */
		proto = frame[off];
		off += 1;
	} else {
		if (len < off + 2)
			return -EBADMSG;
		proto = (uint16_t)(frame[off] << 8 | frame[off + 1]);
		off += 2;
	}
	frame += off;
	len -= off;
	if (proto == PPP_PROTO_LCP)
		return ppp_fsm_input(&l->lcp.fsm, frame, len);
	if (l->phase == PPP_PHASE_ESTABLISH || l->phase == PPP_PHASE_DEAD)
		return 0;   /* RFC 1661 §3.3: only LCP before the link is established */
	if (proto == PPP_PROTO_PAP || proto == PPP_PROTO_CHAP)
		return ppp_auth_input(&l->auth, proto, frame, len);
	if (proto == PPP_PROTO_IPCP)
		return l->phase == PPP_PHASE_NETWORK ? ppp_fsm_input(&l->ipcp.fsm, frame, len) : 0;
	if (proto == PPP_PROTO_IP)
		return 0;   /* data before IPCP is up: dropped, the kernel carries it after */
	/* IPV6CP, CCP (Windows asks for both) and anything else: Protocol-Reject */
	ppp_lcp_protocol_reject(&l->lcp, proto, frame, len);
	return 0;
}
