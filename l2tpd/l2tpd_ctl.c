/*
 * l2tpd's control commands. See l2tpd_ctl.h.
 */
#include "l2tpd/l2tpd_ctl.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/l2tp_diag.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/reload.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

static int h_status(struct ctl_request *req, void *arg)
{
	struct l2tpd *d = arg;
	struct ctl_msg *m = ctl_reply_begin(req);

	if (!m)
		return -ENOMEM;
	ctl_msg_put_str(m, CTL_A_DAEMON, "l2tpd");
	ctl_msg_put_str(m, CTL_A_VERSION, L2SEC_VERSION);
	ctl_msg_put_u32(m, CTL_A_PID, (uint32_t)getpid());
	ctl_msg_put_u64(m, CTL_A_UPTIME_SEC, (l2tpd_now_ms() - d->started_ms) / 1000);
	ctl_msg_put_u8(m, CTL_A_LOG_LEVEL, (uint8_t)log_get_level());
	ctl_msg_put_u32(m, CTL_A_CLIENT_COUNT, ctl_server_client_count(d->ctl));
	ctl_msg_put_u32(m, CTL_A_TUNNEL_COUNT, d->n_tunnels);
	ctl_msg_put_u32(m, CTL_A_SESSION_COUNT, d->n_sessions);
	return ctl_reply_end(req);
}

static int h_set_log_level(struct ctl_request *req, void *arg)
{
	const struct nlattr *a = req->tb[CTL_A_LOG_LEVEL];
	uint8_t lvl;

	(void)arg;
	if (!a) {
		ctl_request_set_error_msg(req, "log-level is required");
		return -EINVAL;
	}
	lvl = mnl_attr_get_u8(a);
	if (lvl > LOG_LVL_DEBUG) {
		ctl_request_set_error_msg(req, "log-level %u out of range", lvl);
		return -EINVAL;
	}
	log_set_level((enum log_level)lvl);
	return 0;
}

static enum ctl_tunnel_state ctl_tunnel_state(const struct tunnel *t)
{
	switch (t->state) {
	case TUNNEL_WAIT_CTL_REPLY: return CTL_TUNNEL_WAIT_CTL_REPLY;
	case TUNNEL_WAIT_CTL_CONN: return CTL_TUNNEL_WAIT_CTL_CONN;
	case TUNNEL_ESTABLISHED: return CTL_TUNNEL_ESTABLISHED;
	case TUNNEL_CLOSING: return CTL_TUNNEL_CLOSING;
	default: return CTL_TUNNEL_IDLE;
	}
}

static int h_tunnel_list(struct ctl_request *req, void *arg)
{
	struct l2tpd *d = arg;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];
		struct ctl_msg *m;

		if (!t || !(m = ctl_dump_entry_begin(req)))
			continue;
		ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, t->tid);
		ctl_msg_put_u32(m, CTL_A_PEER_TUNNEL_ID, t->peer_tid);
		ctl_msg_put_u8(m, CTL_A_TUNNEL_STATE, (uint8_t)ctl_tunnel_state(t));
		ctl_msg_put_sockaddr(m, CTL_A_LOCAL_ADDR, (const struct sockaddr *)&d->conf->listen);
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&t->peer);
		if (t->hostname[0])
			ctl_msg_put_str(m, CTL_A_HOSTNAME, t->hostname);
		ctl_msg_put_u32(m, CTL_A_SESSION_COUNT, t->n_sessions);
		ctl_msg_put_u64(m, CTL_A_AGE_SEC, tunnel_age_s(t));
		ctl_dump_entry_end(req);
	}
	return 0;
}

/* The session's state as vpnctl shows it, from the PPP phase once PPP runs. */
static enum ctl_session_state ctl_session_state(const struct session *s)
{
	static const uint8_t map[SESSION_STATE_COUNT] = {
		[SESSION_WAIT_REPLY] = CTL_SESSION_WAIT_REPLY,
		[SESSION_WAIT_CONNECT] = CTL_SESSION_WAIT_CONNECT,
		[SESSION_PPP_LCP] = CTL_SESSION_PPP_LCP,
		[SESSION_PPP_AUTH] = CTL_SESSION_PPP_AUTH,
		[SESSION_PPP_NCP] = CTL_SESSION_PPP_NCP,
		[SESSION_ESTABLISHED] = CTL_SESSION_ESTABLISHED,
		[SESSION_CLOSING] = CTL_SESSION_CLOSING,
	};

	if (s->ppp && s->state < SESSION_PPP_NCP) {
		if (s->ppp->link.phase == PPP_PHASE_AUTHENTICATE)
			return CTL_SESSION_PPP_AUTH;
		if (s->ppp->link.phase == PPP_PHASE_TERMINATE)
			return CTL_SESSION_CLOSING;
	}
	return (enum ctl_session_state)map[s->state];
}

static void put_session(struct ctl_msg *m, struct session *s)
{
	struct rtnl_counters c;

	ctl_msg_put_u32(m, CTL_A_SESSION_ID, s->sid);
	ctl_msg_put_u32(m, CTL_A_PEER_SESSION_ID, s->peer_sid);
	ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, s->t->tid);
	ctl_msg_put_u8(m, CTL_A_SESSION_STATE, (uint8_t)ctl_session_state(s));
	if (s->user[0])
		ctl_msg_put_str(m, CTL_A_USER, s->user);
	if (s->k.ifname[0])
		ctl_msg_put_str(m, CTL_A_IFNAME, s->k.ifname);
	if (s->have_addr) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = s->client_ip };

		ctl_msg_put_sockaddr(m, CTL_A_CLIENT_IP, (struct sockaddr *)&a);
	}
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&s->t->peer);
	ikd_link_put_identity(s->t->d->ikd, m, &s->t->peer, s->t->mark);
	session_counters(s, &c);
	/* in = from the client = what the interface received */
	ctl_msg_put_u64(m, CTL_A_BYTES_IN, c.rx_bytes);
	ctl_msg_put_u64(m, CTL_A_BYTES_OUT, c.tx_bytes);
	ctl_msg_put_u64(m, CTL_A_PACKETS_IN, c.rx_packets);
	ctl_msg_put_u64(m, CTL_A_PACKETS_OUT, c.tx_packets);
	ctl_msg_put_u64(m, CTL_A_AGE_SEC, session_age_s(s));
}

static int h_session_list(struct ctl_request *req, void *arg)
{
	struct l2tpd *d = arg;
	const struct nlattr *ta = req->tb[CTL_A_TUNNEL_ID], *ua = req->tb[CTL_A_USER];
	uint32_t only_tid = ta ? mnl_attr_get_u32(ta) : 0;
	const char *only_user = ua ? mnl_attr_get_str(ua) : NULL;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];

		if (!t || (only_tid && only_tid != id))
			continue;
		for (struct session *s = t->sessions; s; s = s->tunnel_next) {
			struct ctl_msg *m;

			if (only_user && strcmp(only_user, s->user) != 0)
				continue;
			if (!(m = ctl_dump_entry_begin(req)))
				return -ENOMEM;
			put_session(m, s);
			ctl_dump_entry_end(req);
		}
	}
	return 0;
}

void l2tpd_end_session(struct session *s, const char *reason)
{
	struct tunnel *t = s->t;

	session_close(s, true, L2TP_CDN_ADMIN, reason);
	/* A remote-access client's tunnel carries its one call: end it with the call
	 * (so ikd deletes the SAs too, ikd_link.h). */
	if (!t->lac && !t->sessions && t->state == TUNNEL_ESTABLISHED)
		tunnel_close(t, L2TP_STOPCCN_CLEAR, 0, reason);
}

/* Sessions to end: by session id (and tunnel id when given) or by user. */
static unsigned disconnect_sessions(struct l2tpd *d, uint32_t tid, uint32_t sid,
				    const char *user, const char *reason)
{
	unsigned n = 0;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];
		struct session *s, *next;

		if (!t || (tid && tid != id))
			continue;
		for (s = t->sessions; s; s = next) {
			next = s->tunnel_next;
			if ((sid && s->sid == sid) || (user && strcmp(s->user, user) == 0)) {
				l2tpd_end_session(s, reason);
				n++;
			}
		}
	}
	return n;
}

/* Tunnels from addr (any port when its port is 0). */
static unsigned disconnect_peer(struct l2tpd *d, const struct sockaddr_storage *addr,
				const char *reason)
{
	unsigned n = 0;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];
		struct sockaddr_storage p;

		if (!t || t->state == TUNNEL_CLOSING)
			continue;
		p = t->peer;
		if (addr->ss_family == AF_INET && ((const struct sockaddr_in *)addr)->sin_port == 0)
			((struct sockaddr_in *)&p)->sin_port = 0;
		else if (addr->ss_family == AF_INET6 &&
			 ((const struct sockaddr_in6 *)addr)->sin6_port == 0)
			((struct sockaddr_in6 *)&p)->sin6_port = 0;
		if (l2tpd_sa_equal(&p, addr)) {
			tunnel_close(t, L2TP_STOPCCN_CLEAR, 0, reason);
			n++;
		}
	}
	return n;
}

/*
 * Every tunnel, LNS and LAC alike, with a StopCCN: the clean goodbye before a final
 * `systemctl stop`, which cannot be told from a restart and so only parks descriptors.
 */
static unsigned disconnect_all(struct l2tpd *d, const char *reason)
{
	unsigned n = 0;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];

		if (!t || t->state == TUNNEL_CLOSING)
			continue;
		tunnel_close(t, L2TP_STOPCCN_CLEAR, 0, reason);
		n++;
	}
	return n;
}

static int h_disconnect(struct ctl_request *req, void *arg)
{
	struct l2tpd *d = arg;
	const struct nlattr *ta = req->tb[CTL_A_TUNNEL_ID], *sa = req->tb[CTL_A_SESSION_ID],
			    *ua = req->tb[CTL_A_USER], *ra = req->tb[CTL_A_REASON];
	uint32_t tid = ta ? mnl_attr_get_u32(ta) : 0, sid = sa ? mnl_attr_get_u32(sa) : 0;
	const char *user = ua ? mnl_attr_get_str(ua) : NULL;
	char reason[160];
	unsigned n;

	snprintf(reason, sizeof reason, "disconnected by admin (uid %u)%s%s",
		 (unsigned)req->peer->uid, ra ? ": " : "", ra ? mnl_attr_get_str(ra) : "");
	if (req->tb[CTL_A_ALL]) {
		n = disconnect_all(d, reason);
		log_notice("disconnect_all", "tunnels=%u uid=%u", n, (unsigned)req->peer->uid);
		/* zero is an answer too, not an error */
		return ctl_reply_message(req, "closed %u tunnel%s", n, n == 1 ? "" : "s");
	}
	if (req->tb[CTL_A_PEER_ADDR]) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &ss, &len) < 0) {
			ctl_request_set_error_msg(req, "bad peer-addr");
			return -EINVAL;
		}
		if (!disconnect_peer(d, &ss, reason)) {
			ctl_request_set_error_msg(req, "no tunnel from that peer");
			return -ENOENT;
		}
		return 0;
	}
	if (!sid && !user) {
		struct tunnel *t = tid <= 0xffff ? tunnel_by_id(d, (uint16_t)tid) : NULL;

		if (!tid) {
			ctl_request_set_error_msg(req, "give a tunnel-id, a session-id or a user");
			return -EINVAL;
		}
		if (!t || t->state == TUNNEL_CLOSING) {
			ctl_request_set_error_msg(req, "no tunnel %u", tid);
			return -ENOENT;
		}
		tunnel_close(t, L2TP_STOPCCN_CLEAR, 0, reason);
		return 0;
	}
	n = disconnect_sessions(d, tid, sid, user, reason);
	if (!n) {
		if (user)
			ctl_request_set_error_msg(req, "user %s has no session", user);
		else
			ctl_request_set_error_msg(req, "no session %u", sid);
		return -ENOENT;
	}
	return 0;
}

/* vpnctl reload: the outcome in CTL_A_MESSAGE, or an error carrying every config error. */
static int h_reload(struct ctl_request *req, void *arg)
{
	char msg[L2TPD_RELOAD_MSG_MAX];
	int r = l2tpd_reload(arg, msg, sizeof msg);

	if (r < 0) {
		ctl_request_set_error_msg(req, "%s", msg);
		return r;
	}
	return ctl_reply_message(req, "%s", msg);
}

static const struct ctl_command l2tpd_cmds[] = {
	{ CTL_CMD_STATUS, false, h_status },
	{ CTL_CMD_SET_LOG_LEVEL, true, h_set_log_level },
	{ CTL_CMD_TUNNEL_LIST, false, h_tunnel_list },
	{ CTL_CMD_SESSION_LIST, false, h_session_list },
	{ CTL_CMD_DISCONNECT, true, h_disconnect },
	{ CTL_CMD_L2TP_PEER_DIAG, false, l2tp_diag_cmd },
	{ CTL_CMD_RELOAD, true, h_reload },
};

int l2tpd_ctl_start(struct l2tpd *d)
{
	struct ctl_server_options opt = { .path = d->conf->ctl_path, .daemon = "l2tpd" };

	return ctl_server_create(d->ev.loop, &opt, l2tpd_cmds,
				 sizeof l2tpd_cmds / sizeof l2tpd_cmds[0], d, &d->ctl);
}

void l2tpd_ctl_stop(struct l2tpd *d)
{
	ctl_server_destroy(d->ctl);
	d->ctl = NULL;
}
