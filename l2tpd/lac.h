/*
 * The LAC role: l2tpd as the client of another LNS (site links, and tests against an
 * xl2tpd LNS). A LAC tunnel is an ordinary struct tunnel with lac = true; this module
 * sends its SCCRQ, answers the SCCRP, and starts its calls.
 */
#ifndef L2SEC_L2TPD_LAC_H
#define L2SEC_L2TPD_LAC_H

#include "l2tpd/ctrlmsg.h"

struct l2tpd;
struct tunnel;

/* LAC side of SCCRP -> SCCCN (tunnel.c's state table). */
void lac_on_sccrp(struct tunnel *t, const struct l2tp_msg *m);
/* The tunnel ended / is being freed: drop what lac.c keeps for it. */
void lac_tunnel_ended(struct tunnel *t, const char *reason);
void lac_tunnel_free(struct tunnel *t);

#endif
