/*
 * The LAC role: l2tpd as the client of another LNS (site links, and tests against an
 * xl2tpd LNS). A LAC tunnel is an ordinary struct tunnel with lac = true; this module
 * sends its SCCRQ, answers the SCCRP with SCCCN, places one call (ICRQ; session.c does
 * ICRP -> ICCN) and runs the call's PPP with pppd's pppol2tp plugin on the call's
 * PPPoL2TP socket: the client side of PPP is pppd's job, the LNS side l2tpd's own.
 */
#ifndef L2SEC_L2TPD_LAC_H
#define L2SEC_L2TPD_LAC_H

#include "l2tpd/ctrlmsg.h"

struct l2tpd;
struct l2tpd_lac;
struct session;
struct tunnel;

/* Connect every configured LAC with autostart (at start-up). */
void lac_start_all(struct l2tpd *d);
/* Open the tunnel of one configured LAC: SCCRQ. 0 or -errno. */
int lac_connect(struct l2tpd *d, const struct l2tpd_lac *lac);

/* LAC side of SCCRP -> SCCCN (tunnel.c's state table), then the call's ICRQ. */
void lac_on_sccrp(struct tunnel *t, const struct l2tp_msg *m);
/* The tunnel ended / is being freed: drop what lac.c keeps for it. */
void lac_tunnel_ended(struct tunnel *t, const char *reason);
void lac_tunnel_free(struct tunnel *t);

/* session.c: the call is connected (ICCN sent, PPPoL2TP socket open): start pppd. */
void lac_call_connected(struct session *s);
/* session.c: the session is closing: stop its pppd. Safe for LNS sessions. */
void lac_call_end(struct session *s);

#endif
