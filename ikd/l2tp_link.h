/*
 * ikd's side of the coordination with l2tpd (DESIGN.md "Who owns what") that is not in
 * ikd_ctl.c already (peer-protected events out, delete-peer in): the per-peer memory of
 * why things failed, for `vpnctl diagnose PEER`.
 *
 * ikd keeps the last L2TP_LINK_DIAG_PER_PEER entries (IKE and IPsec SAs established,
 * negotiation failures, SAs ended) for each of the last L2TP_LINK_DIAG_PEERS peer addresses
 * (least recently noted forgotten first: common/diag_ring.h), and answers the peer-diag
 * dump with them, oldest first. Keyed by address only (port ignored: a client's NAT-T port
 * changes between attempts). One table per process (ikd runs one daemon).
 */
#ifndef L2SEC_IKD_L2TP_LINK_H
#define L2SEC_IKD_L2TP_LINK_H

#include <stdint.h>
#include <sys/socket.h>

#include "ikd/daemon.h"

struct ctl_request;

#define L2TP_LINK_DIAG_PEERS 256
#define L2TP_LINK_DIAG_PER_PEER 12
#define L2TP_LINK_DIAG_REASON_MAX 200

/* Note an engine event (called for every event; child is the IPsec SA of IPSEC_UP/DOWN). */
void l2tp_link_note_event(enum ikd_event ev, const struct ike_sa *sa,
			  const struct ipsec_sa *child, const char *reason);
/* Note an entry for peer at now_ms (monotonic): stage and result are enum ctl_diag_stage and
 * enum ctl_diag_result. */
void l2tp_link_note_stage(const struct sockaddr *peer, const char *conn, uint8_t stage,
			  uint8_t result, const char *text, uint64_t now_ms);
/* Note an IKE failure reason for peer at now_ms. */
void l2tp_link_note(const struct sockaddr *peer, const char *conn, const char *reason,
		    uint64_t now_ms);
/* How many reasons are kept for peer (tests). */
unsigned l2tp_link_diag_count(const struct sockaddr *peer);
/* Forget everything (tests). */
void l2tp_link_diag_reset(void);

/* Control handler of CTL_CMD_PEER_DIAG: [PEER_ADDR] -> per entry: peer-addr, diag-stage,
 * diag-result, reason, age-sec, age-ms, repeat, [conn-name] (diag_ring_dump). */
int l2tp_link_cmd_peer_diag(struct ctl_request *req, void *arg);

#endif
