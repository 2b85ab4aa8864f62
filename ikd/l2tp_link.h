/*
 * ikd's side of the coordination with l2tpd (DESIGN.md "Who owns what") that is not in
 * ikd_ctl.c already (peer-protected events out, delete-peer in): the per-peer memory of
 * why things failed, for `vpnctl diagnose PEER`.
 *
 * ikd keeps the last L2TP_LINK_DIAG_PER_PEER failure reasons (negotiation failures, IKE SAs
 * lost) for each of the last L2TP_LINK_DIAG_PEERS peer addresses (least recently failed
 * forgotten first), and answers the peer-diag dump with them, newest first. Keyed by
 * address only (port ignored: a client's NAT-T port changes between attempts).
 * One table per process (ikd runs one daemon).
 */
#ifndef L2SEC_IKD_L2TP_LINK_H
#define L2SEC_IKD_L2TP_LINK_H

#include <stdint.h>
#include <sys/socket.h>

#include "ikd/daemon.h"

struct ctl_request;

#define L2TP_LINK_DIAG_PEERS 256
#define L2TP_LINK_DIAG_PER_PEER 8
#define L2TP_LINK_DIAG_REASON_MAX 200

/* Note an engine event (called for every event; keeps failures and SA losses). */
void l2tp_link_note_event(enum ikd_event ev, const struct ike_sa *sa, const char *reason);
/* Note a failure reason for peer at ms (monotonic). what: "ike", "ipsec"... */
void l2tp_link_note(const struct sockaddr *peer, const char *conn, const char *reason,
		    uint64_t now_ms);
/* How many reasons are kept for peer (tests). */
unsigned l2tp_link_diag_count(const struct sockaddr *peer);
/* Forget everything (tests). */
void l2tp_link_diag_reset(void);

/* Control handler of CTL_CMD_PEER_DIAG: [PEER_ADDR] -> per reason: peer-addr, reason,
 * age-sec, [conn-name]. */
int l2tp_link_cmd_peer_diag(struct ctl_request *req, void *arg);

#endif
