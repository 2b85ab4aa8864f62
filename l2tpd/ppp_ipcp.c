/* IPCP with RFC 1877 name server options, server side. See ppp_ipcp.h. */
#include "l2tpd/ppp_ipcp.h"

#include <errno.h>
#include <string.h>

#define IPCP(f) ((struct ppp_ipcp *)(f)->priv)

static int answer_addr(struct ppp_opt *o, uint32_t want, struct buf_writer *nak)
{
	uint32_t v = 0;

	if (!want)
		return PPP_CONF_REJ;
	br_u32(&o->val, &v);
	if (v == want)
		return PPP_CONF_ACK;
	bw_u8(nak, o->type);
	bw_u8(nak, 6);
	bw_u32(nak, want);
	return PPP_CONF_NAK;
}

static int opt_address(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	IPCP(f)->saw_addr = true;
	return answer_addr(o, IPCP(f)->peer_addr, nak);
}

static int opt_dns(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	IPCP(f)->peer_asked_dns = true;
	return answer_addr(o, IPCP(f)->cfg->dns[o->type == IPCP_OPT_DNS2], nak);
}

static int opt_nbns(struct ppp_fsm *f, struct ppp_opt *o, struct buf_writer *nak)
{
	return answer_addr(o, IPCP(f)->cfg->nbns[o->type == IPCP_OPT_NBNS2], nak);
}

/* RFC 1332 §3, RFC 1877 §1. NULL handler: known and always rejected. */
static const struct ppp_opt_rule ipcp_rules[] = {
	{ IPCP_OPT_ADDRESSES,   "ip_addresses",   10, 10,  NULL },
	{ IPCP_OPT_COMPRESSION, "ip_compression", 4,  255, NULL },   /* VJ: refused */
	{ IPCP_OPT_ADDRESS,     "ip_address",     6,  6,   opt_address },
	{ IPCP_OPT_DNS1,        "primary_dns",    6,  6,   opt_dns },
	{ IPCP_OPT_NBNS1,       "primary_nbns",   6,  6,   opt_nbns },
	{ IPCP_OPT_DNS2,        "secondary_dns",  6,  6,   opt_dns },
	{ IPCP_OPT_NBNS2,       "secondary_nbns", 6,  6,   opt_nbns },
};

static int ipcp_recv_cr(struct ppp_fsm *f, struct buf_reader *opts, struct buf_writer *w)
{
	struct ppp_ipcp *ipcp = IPCP(f);
	int rc;

	ipcp->saw_addr = false;
	rc = ppp_opts_judge(f, ipcp_rules, sizeof ipcp_rules / sizeof ipcp_rules[0], opts, w);
	if (rc == PPP_CONF_ACK && !ipcp->saw_addr && ipcp->peer_addr &&
	    f->nak_loops < f->max_failure) {
		/* The peer must learn its address: suggest it (RFC 1661 §5.3 allows adding) */
		w->len = 0;
		bw_u8(w, IPCP_OPT_ADDRESS);
		bw_u8(w, 6);
		bw_u32(w, ipcp->peer_addr);
		rc = PPP_CONF_NAK;
	}
	return rc;
}

static int ipcp_build_cr(struct ppp_fsm *f, struct buf_writer *w)
{
	struct ppp_ipcp *ipcp = IPCP(f);

	if (ipcp->ask_addr) {
		bw_u8(w, IPCP_OPT_ADDRESS);
		bw_u8(w, 6);
		bw_u32(w, ipcp->cfg->local_addr);
	}
	return bw_ok(w) ? 0 : -EMSGSIZE;
}

static int ipcp_recv_cn(struct ppp_fsm *f, struct buf_reader *opts, bool rej)
{
	struct ppp_opt o;
	int rc;

	/* Our address is ours: a Nak of it is ignored (the request repeats), a Reject drops it */
	while ((rc = ppp_opt_next(opts, &o)) == 1)
		if (o.type == IPCP_OPT_ADDRESS && rej)
			IPCP(f)->ask_addr = false;
	return rc < 0 ? -EBADMSG : 0;
}

static void ipcp_recv_ca(struct ppp_fsm *f, struct buf_reader *opts) {}

static const struct ppp_fsm_proto ipcp_proto = {
	.name = "ipcp",
	.proto = PPP_PROTO_IPCP,
	.build_cr = ipcp_build_cr,
	.recv_cr = ipcp_recv_cr,
	.recv_ca = ipcp_recv_ca,
	.recv_cn = ipcp_recv_cn,
	.recv_extra = NULL,
	.magic = NULL,
	/* layer events go to the owner through ppp_fsm_events */
};

void ppp_ipcp_init(struct ppp_ipcp *ipcp, const struct ppp_ipcp_cfg *cfg,
		   const struct ppp_fsm_io *io, void *io_ctx, const struct ppp_fsm_events *ev,
		   void *owner)
{
	memset(ipcp, 0, sizeof *ipcp);
	ppp_fsm_init(&ipcp->fsm, &ipcp_proto, io, io_ctx, ipcp);
	ipcp->cfg = cfg;
	ipcp->fsm.ev = ev;
	ipcp->fsm.owner = owner;
	ipcp->ask_addr = cfg->local_addr != 0;
}
