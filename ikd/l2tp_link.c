/*
 * Per-peer memory of what happened, for `vpnctl diagnose`. See l2tp_link.h.
 */
#include "ikd/l2tp_link.h"

#include <stdio.h>
#include <string.h>

#include "common/ctl.h"
#include "common/diag_ring.h"

static struct diag_ring *book;  /* created at the first note */

void l2tp_link_note_stage(const struct sockaddr *peer, const char *conn, uint8_t stage,
			  uint8_t result, const char *text, uint64_t now_ms)
{
	struct diag_entry e;

	if (!peer || !text)
		return;
	if (!book && !(book = diag_ring_new(L2TP_LINK_DIAG_PEERS, L2TP_LINK_DIAG_PER_PEER)))
		return;
	memset(&e, 0, sizeof e);
	if (peer->sa_family == AF_INET)
		memcpy(&e.peer, peer, sizeof(struct sockaddr_in));
	else if (peer->sa_family == AF_INET6)
		memcpy(&e.peer, peer, sizeof(struct sockaddr_in6));
	else
		return;
	e.stage = stage;
	e.result = result;
	snprintf(e.conn, sizeof e.conn, "%s", conn ? conn : "");
	snprintf(e.text, sizeof e.text, "%s", text);
	diag_ring_note(book, &e, now_ms);
}

void l2tp_link_note(const struct sockaddr *peer, const char *conn, const char *reason,
		    uint64_t now_ms)
{
	l2tp_link_note_stage(peer, conn, CTL_DIAG_IKE, CTL_DIAG_FAILED, reason, now_ms);
}

void l2tp_link_note_event(enum ikd_event ev, const struct ike_sa *sa,
			  const struct ipsec_sa *child, const char *reason)
{
	char text[L2TP_LINK_DIAG_REASON_MAX], id[160];
	uint8_t stage = CTL_DIAG_IKE, result = CTL_DIAG_FAILED;
	const char *why = reason && reason[0] ? reason : "no reason given";

	if (!sa)
		return;
	switch (ev) {
	case IKD_EV_IKE_UP:
		result = CTL_DIAG_OK;
		snprintf(text, sizeof text, "IKE SA %u established%s%s", sa->id,
			 sa->peer_id.type ? " with " : "",
			 sa->peer_id.type ? ikd_id_str(&sa->peer_id, id, sizeof id) : "");
		break;
	case IKD_EV_IKE_DOWN:
		result = sa->established ? CTL_DIAG_ENDED : CTL_DIAG_FAILED;
		snprintf(text, sizeof text, "IKE SA %u %s: %s", sa->id,
			 sa->established ? "ended" : "failed", why);
		break;
	case IKD_EV_IPSEC_UP:
		stage = CTL_DIAG_IPSEC;
		result = CTL_DIAG_OK;
		snprintf(text, sizeof text, "IPsec SA %u established (%s mode)",
			 child ? child->id : 0,
			 child && child->params.tunnel ? "tunnel" : "transport");
		break;
	case IKD_EV_IPSEC_DOWN:
		stage = CTL_DIAG_IPSEC;
		result = CTL_DIAG_ENDED;
		snprintf(text, sizeof text, "IPsec SA %u ended: %s", child ? child->id : 0, why);
		break;
	case IKD_EV_FAILED:
		/* After phase 1, what fails is a Quick Mode (phase 2). */
		stage = sa->established ? CTL_DIAG_IPSEC : CTL_DIAG_IKE;
		snprintf(text, sizeof text, "%s", why);
		break;
	default:
		return;
	}
	l2tp_link_note_stage(&sa->peer.sa, sa->conn ? sa->conn->name : NULL, stage, result, text,
			     ike_now_ms());
}

unsigned l2tp_link_diag_count(const struct sockaddr *peer)
{
	return diag_ring_count(book, peer);
}

void l2tp_link_diag_reset(void)
{
	diag_ring_free(book);
	book = NULL;
}

int l2tp_link_cmd_peer_diag(struct ctl_request *req, void *arg)
{
	(void)arg;
	return diag_ring_dump(book, req, ike_now_ms());
}
