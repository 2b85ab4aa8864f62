/*
 * Per-peer failure memory for `vpnctl diagnose`. See l2tp_link.h.
 */
#include "ikd/l2tp_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "common/ctl.h"

struct diag_reason {
	uint64_t at_ms;
	char conn[64];
	char text[L2TP_LINK_DIAG_REASON_MAX];
};

struct diag_peer {
	struct sockaddr_storage addr;   /* port 0 */
	uint64_t last_ms;               /* 0: free slot */
	unsigned next, n;               /* ring of reasons */
	struct diag_reason r[L2TP_LINK_DIAG_PER_PEER];
};

static struct diag_peer peers[L2TP_LINK_DIAG_PEERS];

static bool addr_only(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof *out);
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *o = (struct sockaddr_in *)out;

		o->sin_family = AF_INET;
		o->sin_addr = ((const struct sockaddr_in *)sa)->sin_addr;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *o = (struct sockaddr_in6 *)out;

		o->sin6_family = AF_INET6;
		o->sin6_addr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	return false;
}

static struct diag_peer *find(const struct sockaddr *peer, bool create)
{
	struct sockaddr_storage a;
	struct diag_peer *oldest = &peers[0];

	if (!addr_only(peer, &a))
		return NULL;
	for (unsigned i = 0; i < L2TP_LINK_DIAG_PEERS; i++) {
		struct diag_peer *p = &peers[i];

		if (p->last_ms && memcmp(&p->addr, &a, sizeof a) == 0)
			return p;
		if (p->last_ms < oldest->last_ms)
			oldest = p;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	oldest->addr = a;
	return oldest;
}

void l2tp_link_note(const struct sockaddr *peer, const char *conn, const char *reason,
		    uint64_t now_ms)
{
	struct diag_peer *p = find(peer, true);
	struct diag_reason *r;

	if (!p || !reason)
		return;
	r = &p->r[p->next];
	r->at_ms = now_ms;
	snprintf(r->conn, sizeof r->conn, "%s", conn ? conn : "");
	snprintf(r->text, sizeof r->text, "%s", reason);
	p->next = (p->next + 1) % L2TP_LINK_DIAG_PER_PEER;
	if (p->n < L2TP_LINK_DIAG_PER_PEER)
		p->n++;
	p->last_ms = now_ms ? now_ms : 1;
}

void l2tp_link_note_event(enum ikd_event ev, const struct ike_sa *sa, const char *reason)
{
	char text[L2TP_LINK_DIAG_REASON_MAX];

	if (!sa || !reason)
		return;
	if (ev == IKD_EV_FAILED)
		snprintf(text, sizeof text, "negotiation failed: %s", reason);
	else if (ev == IKD_EV_IKE_DOWN)
		snprintf(text, sizeof text, "IKE SA %u ended: %s", sa->id, reason);
	else
		return;
	l2tp_link_note(&sa->peer.sa, sa->conn ? sa->conn->name : NULL, text, ike_now_ms());
}

unsigned l2tp_link_diag_count(const struct sockaddr *peer)
{
	const struct diag_peer *p = find(peer, false);

	return p ? p->n : 0;
}

void l2tp_link_diag_reset(void)
{
	memset(peers, 0, sizeof peers);
}

static int dump_peer(struct ctl_request *req, const struct diag_peer *p, uint64_t now)
{
	for (unsigned k = 1; k <= p->n; k++) {
		const struct diag_reason *r =
			&p->r[(p->next + L2TP_LINK_DIAG_PER_PEER - k) % L2TP_LINK_DIAG_PER_PEER];
		struct ctl_msg *m = ctl_dump_entry_begin(req);

		if (!m)
			return -ENOMEM;
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&p->addr);
		ctl_msg_put_str(m, CTL_A_REASON, r->text);
		ctl_msg_put_u64(m, CTL_A_AGE_SEC, now > r->at_ms ? (now - r->at_ms) / 1000u : 0);
		if (r->conn[0])
			ctl_msg_put_str(m, CTL_A_CONN_NAME, r->conn);
		ctl_dump_entry_end(req);
	}
	return 0;
}

int l2tp_link_cmd_peer_diag(struct ctl_request *req, void *arg)
{
	uint64_t now = ike_now_ms();

	(void)arg;
	if (req->tb[CTL_A_PEER_ADDR]) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &ss, &len) < 0) {
			ctl_request_set_error_msg(req, "bad peer address");
			return -EINVAL;
		}
		const struct diag_peer *p = find((const struct sockaddr *)&ss, false);
		return p ? dump_peer(req, p, now) : 0;
	}
	for (unsigned i = 0; i < L2TP_LINK_DIAG_PEERS; i++)
		if (peers[i].last_ms) {
			int r = dump_peer(req, &peers[i], now);
			if (r < 0)
				return r;
		}
	return 0;
}
