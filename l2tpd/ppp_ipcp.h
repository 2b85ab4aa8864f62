/*
 * IPCP (RFC 1332) with the DNS and NBNS options of RFC 1877, server side.
 *
 * The peer's address is chosen before IPCP opens (the link asks the daemon's address pool
 * once the user is known) and set in peer_addr. What we answer:
 *   IP-Address (3)          ack when it is peer_addr, else nak with peer_addr; a request
 *                           without it gets a nak that adds it (RFC 1661 §5.3)
 *   IP-Compression (2)      reject (VJ: the kernel path does not do it)
 *   IP-Addresses (1)        reject (deprecated, RFC 1332 §3.1)
 *   Primary/Secondary DNS   ack/nak with the configured server; reject when none
 *   (129/131), NBNS (130/132)
 * We ask for: IP-Address = our local address.
 * Addresses are in host byte order throughout.
 */
#ifndef L2SEC_L2TPD_PPP_IPCP_H
#define L2SEC_L2TPD_PPP_IPCP_H

#include <stdbool.h>
#include <stdint.h>

#include "l2tpd/ppp_fsm.h"

enum ppp_ipcp_opt {
	IPCP_OPT_ADDRESSES = 1,
	IPCP_OPT_COMPRESSION = 2,
	IPCP_OPT_ADDRESS = 3,
	IPCP_OPT_DNS1 = 129,
	IPCP_OPT_NBNS1 = 130,
	IPCP_OPT_DNS2 = 131,
	IPCP_OPT_NBNS2 = 132,
};

struct ppp_ipcp_cfg {
	uint32_t local_addr;     /* our end of the link */
	uint32_t dns[2];         /* 0 = not offered */
	uint32_t nbns[2];
};

struct ppp_ipcp {
	struct ppp_fsm fsm;
	const struct ppp_ipcp_cfg *cfg;
	uint32_t peer_addr;      /* set by the owner before ppp_fsm_event(OPEN) */
	bool ask_addr;
	bool saw_addr;           /* the request being judged carried IP-Address */
	bool peer_asked_dns;     /* for the log: the client asked for name servers */
};

void ppp_ipcp_init(struct ppp_ipcp *ipcp, const struct ppp_ipcp_cfg *cfg,
		   const struct ppp_fsm_io *io, void *io_ctx, const struct ppp_fsm_events *ev,
		   void *owner);

#endif
