/*
 * L2TP sessions: incoming calls, CDN, kernel objects, user and address bookkeeping.
 * See session.h.
 */
#include "l2tpd/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ppp_defs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/fwset.h"
#include "l2tpd/hook.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/kppp_bind.h"
#include "l2tpd/l2tp_diag.h"
#include "l2tpd/lac.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/statestore.h"
#include "l2tpd/teardown.h"
#include "l2tpd/tunnel.h"

static const char *const state_names[SESSION_STATE_COUNT] = {
	"wait-reply", "wait-connect", "lcp", "auth", "ncp", "established", "closing",
};

const char *session_state_name(enum session_state s)
{
	return s < SESSION_STATE_COUNT ? state_names[s] : "unknown";
}

uint64_t session_age_s(const struct session *s)
{
	return (l2tpd_now_ms() - s->created_ms) / 1000;
}

static uint32_t sess_key(uint16_t tid, uint16_t sid)
{
	uint32_t k = (uint32_t)tid << 16 | sid;

	k ^= k >> 15;
	k *= 0x2c1b3c6du;
	k ^= k >> 12;
	return k;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

struct session *session_lookup(struct l2tpd *d, uint16_t tid, uint16_t sid)
{
	struct session *s = d->session_hash[sess_key(tid, sid) % L2TPD_SESSION_BUCKETS];

	for (; s; s = s->hash_next)
		if (s->sid == sid && s->t->tid == tid)
			return s;
	return NULL;
}

/* The session of user, or NULL. */
static struct session *session_by_user(struct l2tpd *d, const char *user)
{
	struct session *s = d->user_hash[str_hash(user) % L2TPD_USER_BUCKETS];

	for (; s; s = s->user_next)
		if (strcmp(s->user, user) == 0)
			return s;
	return NULL;
}

struct session *session_by_addr(struct l2tpd *d, struct in_addr a)
{
	struct session *s = d->addr_hash[ntohl(a.s_addr) % L2TPD_ADDR_BUCKETS];

	for (; s; s = s->addr_next)
		if (s->client_ip.s_addr == a.s_addr)
			return s;
	return NULL;
}

/* Unlink s from the singly linked chain at *pp, the link field being at offset off. */
static void chain_unlink(struct session **pp, struct session *s, size_t off)
{
	for (; *pp; pp = (struct session **)((char *)*pp + off))
		if (*pp == s) {
			*pp = *(struct session **)((char *)s + off);
			return;
		}
}

/* A session sid in t, in the tables. NULL on ENOMEM. */
static struct session *session_insert(struct tunnel *t, uint16_t sid)
{
	struct l2tpd *d = t->d;
	struct session *s = calloc(1, sizeof *s);
	uint32_t b;

	if (!s)
		return NULL;
	s->t = t;
	s->sid = sid;
	s->created_ms = l2tpd_now_ms();
	kppp_session_init(&s->k);
	b = sess_key(t->tid, sid) % L2TPD_SESSION_BUCKETS;
	s->hash_next = d->session_hash[b];
	d->session_hash[b] = s;
	s->tunnel_next = t->sessions;
	t->sessions = s;
	t->n_sessions++;
	d->n_sessions++;
	d->stats.sessions_total++;
	return s;
}

struct session *session_new(struct tunnel *t)
{
	struct l2tpd *d = t->d;
	uint16_t sid = 0;

	for (unsigned i = 0; i < 65536 && !sid; i++) {
		uint16_t c = ++d->next_session_id;

		if (c && !session_lookup(d, t->tid, c) && !teardown_pending(d, t->tid, c))
			sid = c;
	}
	return sid ? session_insert(t, sid) : NULL;
}

struct session *session_adopt(struct tunnel *t, uint16_t sid, uint16_t peer_sid)
{
	struct session *s;

	if (!sid || session_lookup(t->d, t->tid, sid))
		return NULL;
	s = session_insert(t, sid);
	if (s) {
		s->peer_sid = peer_sid;
		s->kernel_session = true;
		if (sid > t->d->next_session_id)
			t->d->next_session_id = sid;   /* fresh ids follow the restored ones */
	}
	return s;
}

void session_set_state(struct session *s, enum session_state st)
{
	if (s->state != st)
		log_debug("session_state", "tunnel=%u session=%u from=%s to=%s", s->t->tid, s->sid,
			  session_state_name(s->state), session_state_name(st));
	s->state = st;
}

/* CDN (§6.12) to the peer's session peer_sid; ours is our_sid (0 if we made none). */
static void send_cdn(struct tunnel *t, uint16_t peer_sid, uint16_t our_sid, uint16_t result,
		     uint16_t error, const char *msg)
{
	struct l2tp_msg_builder b;
	uint8_t buf[256];
	int n;

	if (t->state != TUNNEL_ESTABLISHED)
		return;
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, peer_sid, L2TP_MSG_CDN) == 0 &&
	    l2tp_avp_put_result(&b.w, result, error, msg) == 0 &&
	    l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, our_sid) == 0 &&
	    (n = l2tp_msg_finish(&b)) > 0)
		tunnel_send(t, buf, (size_t)n);
}

static void event_session(struct session *s, uint16_t type, const char *reason)
{
	struct l2tpd *d = s->t->d;
	struct ctl_msg *m;

	if (!d->ctl || !(m = ctl_server_event_begin(d->ctl, type)))
		return;
	ctl_msg_put_u32(m, CTL_A_SESSION_ID, s->sid);
	ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, s->t->tid);
	if (s->user[0])
		ctl_msg_put_str(m, CTL_A_USER, s->user);
	if (type == CTL_EVT_SESSION_UP) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = s->client_ip };

		ctl_msg_put_str(m, CTL_A_IFNAME, s->k.ifname);
		ctl_msg_put_sockaddr(m, CTL_A_CLIENT_IP, (struct sockaddr *)&a);
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (struct sockaddr *)&s->t->peer);
	} else {
		ctl_msg_put_str(m, CTL_A_REASON, reason);
	}
	ctl_server_broadcast_event(d->ctl);
}

/* The users' firewall set and the session hook follow the same events. */
static void integrations_session(struct session *s, bool up, const char *reason)
{
	struct l2tpd *d = s->t->d;
	const struct ikd_protection *p = d->ikd ? ikd_link_lookup_mark(d->ikd, &s->t->peer, s->t->mark) : NULL;
	char err[256], ip[INET_ADDRSTRLEN], q[LOG_QUOTE_MAX];

	if (s->have_addr && l2tpd_fwset_ensure(d) == 0 &&
	    (up ? fwset_add : fwset_del)(d->fwset, s->client_ip, err, sizeof err) < 0) {
		inet_ntop(AF_INET, &s->client_ip, ip, sizeof ip);
		log_warn("firewall_set_failed", "session=%u ip=%s op=%s error=%s", s->sid, ip,
			 up ? "add" : "delete", log_quote(q, sizeof q, err));
	}
	if (d->hook) {
		struct hook_session hs = {
			.event = up ? "session-up" : "session-down", .user = s->user,
			.ip = s->have_addr ? s->client_ip : (struct in_addr){ 0 },
			.ifname = s->k.ifname, .peer = (const struct sockaddr *)&s->t->peer,
			.ike_id = p ? p->peer_id : NULL, .tunnel_id = s->t->tid,
			.session_id = s->sid, .reason = up ? NULL : reason,
		};

		hook_run(d->hook, &hs);
	}
}

void session_counters(struct session *s, struct rtnl_counters *out)
{
	memset(out, 0, sizeof *out);
	if (s->k.ifindex > 0 && s->t->d->rtnl.k.nl)
		rtnl_link_counters(&s->t->d->rtnl, s->k.ifindex, out);
}

/* Out of the address table; the pool still holds the address (the caller's to release). */
static bool addr_unlink(struct session *s)
{
	struct l2tpd *d = s->t->d;

	if (!s->have_addr)
		return false;
	chain_unlink(&d->addr_hash[ntohl(s->client_ip.s_addr) % L2TPD_ADDR_BUCKETS], s,
		     offsetof(struct session, addr_next));
	s->have_addr = false;
	return true;
}

void session_release_addr(struct session *s)
{
	if (addr_unlink(s))
		l2tpd_addr_release(s->t->d, s->client_ip);
}

static void release_names(struct session *s)
{
	struct l2tpd *d = s->t->d;

	if (s->in_user_hash) {
		chain_unlink(&d->user_hash[str_hash(s->user) % L2TPD_USER_BUCKETS], s,
			     offsetof(struct session, user_next));
		s->in_user_hash = false;
	}
	session_release_addr(s);
}

/* Out of every table, freed (the kernel objects are already dealt with). */
static void session_unlink_free(struct session *s)
{
	struct tunnel *t = s->t;
	struct l2tpd *d = t->d;

	release_names(s);
	chain_unlink(&d->session_hash[sess_key(t->tid, s->sid) % L2TPD_SESSION_BUCKETS], s,
		     offsetof(struct session, hash_next));
	chain_unlink(&t->sessions, s, offsetof(struct session, tunnel_next));
	t->n_sessions--;
	d->n_sessions--;
	free(s);
}

/* The kernel objects to a teardown thread, the address held until the interface that
 * may carry it is gone (teardown.h). */
static void kernel_release(struct session *s)
{
	struct l2tpd *d = s->t->d;
	struct in_addr ip = s->client_ip;
	bool had_addr;

	if (s->bind_req) {
		/* a thread may be in PPPIOCGCHAN on the socket: the binder closes it after */
		kppp_binder_cancel(d->binder, s->bind_req);
		s->bind_req = NULL;
		s->k.pppox_fd = -1;
	}
	had_addr = addr_unlink(s);
	teardown_submit(d, &s->k, s->t->tid, s->sid, s->kernel_session, had_addr ? &ip : NULL);
}

void session_close(struct session *s, bool send, uint16_t result, const char *reason)
{
	struct tunnel *t = s->t;
	struct rtnl_counters c;
	char ip[INET_ADDRSTRLEN] = "-", q[LOG_QUOTE_MAX], u[LOG_QUOTE_MAX];

	l2tp_diag_session_down(s, reason);      /* before the state and PPP engine go */
	if (send)
		send_cdn(t, s->peer_sid, s->sid, result, 0, reason);
	session_set_state(s, SESSION_CLOSING);
	session_counters(s, &c);
	if (s->have_addr)
		inet_ntop(AF_INET, &s->client_ip, ip, sizeof ip);
	/* before authorization, the name the client tried (for refusals) */
	if (!s->user[0] && s->ppp && s->ppp->link.user[0])
		snprintf(s->user, sizeof s->user, "%s", s->ppp->link.user);
	log_info("session_down",
		 "tunnel=%u session=%u user=%s ip=%s if=%s age=%llus bytes_in=%llu bytes_out=%llu reason=%s",
		 t->tid, s->sid, s->user[0] ? log_quote(u, sizeof u, s->user) : "-", ip,
		 s->k.ifname[0] ? s->k.ifname : "-",
		 (unsigned long long)session_age_s(s), (unsigned long long)c.rx_bytes,
		 (unsigned long long)c.tx_bytes, log_quote(q, sizeof q, reason));
	event_session(s, CTL_EVT_SESSION_DOWN, reason);
	if (s->up_announced)
		integrations_session(s, false, reason);
	statestore_session_gone(s);
	ppp_session_free(s->ppp);
	s->ppp = NULL;
	lac_call_end(s);
	kernel_release(s);
	session_unlink_free(s);
}

void session_forget(struct session *s)
{
	int *fds[3] = { &s->k.pppox_fd, &s->k.chan_fd, &s->k.unit_fd };

	ppp_session_forget(s->ppp);
	s->ppp = NULL;
	for (int i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);   /* our copy: the store's keeps the object */
			*fds[i] = -1;
		}
	session_unlink_free(s);
}

int session_claim_names(struct session *s, const char *user, struct in_addr ip)
{
	struct l2tpd *d = s->t->d;
	uint32_t ab = ntohl(ip.s_addr) % L2TPD_ADDR_BUCKETS;
	uint32_t ub = str_hash(user) % L2TPD_USER_BUCKETS;
	int r;

	if (session_by_user(d, user) || session_by_addr(d, ip))
		return -EADDRINUSE;
	r = l2tpd_addr_claim(d, ip);
	if (r < 0)
		return r;
	snprintf(s->user, sizeof s->user, "%s", user);
	s->client_ip = ip;
	s->have_addr = true;
	s->addr_next = d->addr_hash[ab];
	d->addr_hash[ab] = s;
	s->user_next = d->user_hash[ub];
	d->user_hash[ub] = s;
	s->in_user_hash = true;
	return 0;
}

int session_kernel_open(struct session *s, bool lns, bool channel)
{
	struct tunnel *t = s->t;
	struct l2tpd *d = t->d;
	struct kl2tp_session_cfg kc = { .tunnel_id = t->tid, .session_id = s->sid,
					.peer_session_id = s->peer_sid, .lns_mode = lns };
	struct kppp_l2tp_addr pa = { .tunnel_fd = t->fd, .version = 2, .tunnel_id = t->tid,
				     .session_id = s->sid, .peer_tunnel_id = t->peer_tid,
				     .peer_session_id = s->peer_sid,
				     .peer = (const struct sockaddr *)&t->peer,
				     .peer_len = t->peer_len };
	char q[LOG_QUOTE_MAX];
	const char *step = "genl session";
	int r = d->kl2tp.k.nl ? kl2tp_session_create(&d->kl2tp, &kc) : -ENOTCONN;

	if (r == 0) {
		s->kernel_session = true;
		step = "PPPoL2TP socket";
		r = kppp_pppox_open(&s->k, &pa);
	}
	if (r == 0 && channel) {
		step = "PPP channel";
		r = kppp_channel_open(&s->k);
	}
	if (r < 0)
		log_err("kernel_session_failed", "tunnel=%u session=%u step=%s err=%d msg=%s",
			t->tid, s->sid, log_quote(q, sizeof q, step), r,
			log_quote(q, sizeof q, d->kl2tp.k.errmsg));
	return r;
}

/* ---- incoming calls (LNS) ----------------------------------------------------------- */

static void refuse_call(struct tunnel *t, uint16_t peer_sid, uint16_t result, uint16_t error,
			const char *why)
{
	char q[LOG_QUOTE_MAX];

	t->d->stats.sessions_refused++;
	log_warn("session_refused", "tunnel=%u peer_session=%u reason=%s", t->tid, peer_sid,
		 log_quote(q, sizeof q, why));
	l2tp_diag_call_refused(t, why);
	send_cdn(t, peer_sid, 0, result, error, why);
}

/* ICRQ -> ICRP (§6.9, §6.10). */
void session_on_icrq(struct tunnel *t, const struct l2tp_msg *m)
{
	struct l2tpd *d = t->d;
	struct l2tp_msg_builder b;
	struct session *s;
	uint16_t peer_sid = 0;
	uint8_t buf[128];
	int n;

	l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, &peer_sid);
	if (!peer_sid) {
		refuse_call(t, 0, L2TP_CDN_GENERAL_ERROR, L2TP_ERR_BAD_VALUE,
			    "Assigned Session ID 0");
		return;
	}
	if (d->shutting_down || d->n_sessions >= d->conf->max_sessions) {
		refuse_call(t, peer_sid, L2TP_CDN_NO_RESOURCES_TEMP, 0,
			    d->shutting_down ? "shutting down" : "max_sessions reached");
		return;
	}
	s = session_new(t);
	if (!s) {
		refuse_call(t, peer_sid, L2TP_CDN_NO_RESOURCES_TEMP, L2TP_ERR_NO_RESOURCES,
			    "out of memory or session ids");
		return;
	}
	s->peer_sid = peer_sid;
	l2tp_msg_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER, &s->call_serial);
	session_set_state(s, SESSION_WAIT_CONNECT);
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, peer_sid, L2TP_MSG_ICRP) < 0 ||
	    l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, s->sid) < 0 ||
	    (n = l2tp_msg_finish(&b)) < 0) {
		session_close(s, true, L2TP_CDN_GENERAL_ERROR, "cannot build ICRP");
		return;
	}
	tunnel_send(t, buf, (size_t)n);
	log_debug("session_request", "tunnel=%u session=%u peer_session=%u serial=%u", t->tid,
		  s->sid, peer_sid, s->call_serial);
}

/* The channel is bound (chindex): attach to it and start PPP. */
static void session_ppp_start(struct session *s, int chindex)
{
	int r = kppp_channel_attach(&s->k, chindex);

	if (r < 0) {
		log_err("kernel_session_failed", "tunnel=%u session=%u step=\"PPP channel\" err=%d",
			s->t->tid, s->sid, r);
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "kernel refused the session");
		return;
	}
	s->ppp = ppp_session_new(s);
	if (!s->ppp) {
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "out of memory");
		return;
	}
	session_set_state(s, SESSION_PPP_LCP);
	ppp_session_start(s->ppp);
	statestore_session_sync(s);
}

/* A binder thread's PPPIOCGCHAN answer for session cookie (not closed: close cancels). */
static void session_bound(void *arg, void *cookie, int result)
{
	struct session *s = cookie;

	(void)arg;
	s->bind_req = NULL;
	if (result < 0) {
		log_err("kernel_session_failed",
			"tunnel=%u session=%u step=\"PPPIOCGCHAN\" err=%d", s->t->tid, s->sid, result);
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "kernel refused the session");
		return;
	}
	session_ppp_start(s, result);
}

static void binder_readable(void *arg, int fd, int events)
{
	struct l2tpd *d = arg;

	(void)fd;
	(void)events;
	kppp_binder_collect(d->binder, session_bound, d);
}

void session_binder_start(struct l2tpd *d)
{
	d->binder = kppp_binder_new(KPPP_BIND_THREADS, kppp_bind_op_gchan);
	if (!d->binder) {
		log_warn("binder_failed", "errno=%d effect=\"PPP channels bound on the event loop\"",
			 errno);
		return;
	}
	evloop_io_init(&d->binder_io, &d->ev, kppp_binder_event_fd(d->binder), EVLOOP_READ,
		       binder_readable, d);
	evloop_io_start(&d->binder_io);
}

void session_binder_stop(struct l2tpd *d)
{
	if (!d->binder)
		return;
	evloop_io_stop(&d->binder_io);
	kppp_binder_free(d->binder);
	d->binder = NULL;
}

/* ICCN (§6.11): the call is connected; kernel objects, then PPP (once the channel is
 * bound, which the binder's threads do when l2tpd has them). */
void session_on_iccn(struct tunnel *t, const struct l2tp_msg *m)
{
	struct l2tpd *d = t->d;
	struct session *s = session_lookup(d, t->tid, m->hdr.session_id);

	if (!s || s->state != SESSION_WAIT_CONNECT || s->bind_req) {
		log_info("l2tp_msg_unexpected", "tunnel=%u session=%u type=ICCN", t->tid,
			 m->hdr.session_id);
		return;
	}
	if (session_kernel_open(s, true, false) < 0) {
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "kernel refused the session");
		return;
	}
	if (d->binder) {
		s->bind_req = kppp_binder_submit(d->binder, s->k.pppox_fd, s);
		if (!s->bind_req)
			session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "out of memory");
		return;   /* session_bound() goes on */
	}
	session_bound(d, s, kppp_bind_op_gchan(s->k.pppox_fd));
}

/* LAC: ICRP -> ICCN (§6.10, §6.11), then the kernel session and pppd (lac.c). */
void session_on_icrp(struct tunnel *t, const struct l2tp_msg *m)
{
	struct session *s = session_lookup(t->d, t->tid, m->hdr.session_id);
	struct l2tp_msg_builder b;
	uint8_t buf[128];
	int n;

	if (!s || s->state != SESSION_WAIT_REPLY ||
	    l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, &s->peer_sid) < 0 || !s->peer_sid) {
		log_info("l2tp_msg_unexpected", "tunnel=%u session=%u type=ICRP", t->tid,
			 m->hdr.session_id);
		return;
	}
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, s->peer_sid, L2TP_MSG_ICCN) < 0 ||
	    l2tp_msg_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, 100000000) < 0 ||
	    l2tp_msg_put_u32(&b, L2TP_AVP_FRAMING_TYPE, 1) < 0 || (n = l2tp_msg_finish(&b)) < 0) {
		session_close(s, true, L2TP_CDN_GENERAL_ERROR, "cannot build ICCN");
		return;
	}
	tunnel_send(t, buf, (size_t)n);
	if (session_kernel_open(s, false, false) < 0) {
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "kernel refused the session");
		return;
	}
	session_set_state(s, SESSION_PPP_LCP);
	lac_call_connected(s);
}

/* CDN (§6.12) from the peer: tear the session down, nothing to answer but the ack. */
void session_on_cdn(struct tunnel *t, const struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_RESULT_CODE];
	struct session *s = session_lookup(t->d, t->tid, m->hdr.session_id);
	struct l2tp_result res = { 0 };
	char why[160];

	if (!s)
		return;
	l2tp_result_parse(v->data, v->len, &res);
	snprintf(why, sizeof why, "CDN from peer: %s%s%.*s", l2tp_cdn_result_str(res.result),
		 res.message_len ? ": " : "",
		 (int)(res.message_len > 100 ? 100 : res.message_len),
		 res.message ? (const char *)res.message : "");
	session_close(s, false, 0, why);
}

/* ---- PPP outcomes -------------------------------------------------------------------- */

int session_authorized(struct session *s, const char *user, const char **why)
{
	struct l2tpd *d = s->t->d;
	const struct user *u = l2tpd_conf_user(d->conf, user);
	struct session *old = session_by_user(d, user);
	struct in_addr a;
	int r;

	if (old && old != s) {
		if (d->conf->dup_policy == L2TPD_DUP_REFUSE) {
			*why = "user already connected (duplicate_login = refuse)";
			return -EBUSY;
		}
		session_close(old, true, L2TP_CDN_ADMIN, "replaced by a new login of the same user");
	}
	if (s->in_user_hash && strcmp(s->user, user) != 0)
		release_names(s);
	session_release_addr(s);
	snprintf(s->user, sizeof s->user, "%s", user);
	if (u && u->ip) {
		a.s_addr = htonl(u->ip);
		if (session_by_addr(d, a)) {
			*why = "dedicated address in use by another session";
			return -EADDRINUSE;
		}
		r = l2tpd_addr_claim(d, a);
		/* a closed session's interface may still carry it: wait until it is gone */
		if (r == -EADDRINUSE && teardown_wait_addr(d, &a))
			r = l2tpd_addr_claim(d, a);
	} else {
		while ((r = l2tpd_addr_alloc(d, &a)) == -EADDRNOTAVAIL &&
		       teardown_wait_addr(d, NULL)) {
			/* addresses of closed sessions come back as their interfaces go */
		}
		if (r < 0) {
			*why = "address pool exhausted";
			return r;
		}
	}
	if (r < 0) {
		*why = "address in use";
		return r;
	}
	s->client_ip = a;
	s->have_addr = true;
	uint32_t ab = ntohl(a.s_addr) % L2TPD_ADDR_BUCKETS, ub = str_hash(user) % L2TPD_USER_BUCKETS;

	s->addr_next = d->addr_hash[ab];
	d->addr_hash[ab] = s;
	if (!s->in_user_hash) {
		s->user_next = d->user_hash[ub];
		d->user_hash[ub] = s;
		s->in_user_hash = true;
	}
	session_set_state(s, SESSION_PPP_NCP);
	return 0;
}

/* The unit (interface) joins the channel; IPCP then runs on it. */
int session_unit_open(struct session *s, uint16_t mru)
{
	struct l2tpd *d = s->t->d;
	char q[LOG_QUOTE_MAX];
	int r = kppp_unit_create(&s->k, &d->rtnl, d->conf->if_prefix, &d->next_if_index);

	if (r == 0)
		r = kppp_unit_connect(&s->k);
	if (r == 0 && mru)
		r = kppp_unit_set_mru(&s->k, mru);
	if (r < 0)
		log_err("kernel_unit_failed", "tunnel=%u session=%u err=%d msg=%s", s->t->tid, s->sid,
			r, log_quote(q, sizeof q, d->rtnl.k.errmsg));
	return r;
}

int session_network_up(struct session *s, uint16_t mtu)
{
	struct l2tpd *d = s->t->d;
	struct knl_ip local = { .family = AF_INET, .v4 = d->conf->local_ip };
	struct knl_ip peer = { .family = AF_INET, .v4 = s->client_ip };
	char ip[INET_ADDRSTRLEN], ps[64], q[LOG_QUOTE_MAX];
	const char *step = "address";
	int r = rtnl_addr_add_ptp(&d->rtnl, s->k.ifindex, &local, &peer);

	if (r == 0 && mtu) {
		step = "mtu";
		r = rtnl_link_set_mtu(&d->rtnl, s->k.ifindex, mtu);
	}
	if (r == 0) {
		step = "npmode";
		r = kppp_unit_set_npmode(&s->k, PPP_IP, NPMODE_PASS);
	}
	if (r == 0) {
		step = "link up";
		r = rtnl_link_set_up(&d->rtnl, s->k.ifindex, true);
	}
	if (r < 0) {
		log_err("session_network_failed", "tunnel=%u session=%u step=%s err=%d msg=%s",
			s->t->tid, s->sid, step, r, log_quote(q, sizeof q, d->rtnl.k.errmsg));
		return r;
	}
	s->addr_set = true;
	s->up_ms = l2tpd_now_ms();
	session_set_state(s, SESSION_ESTABLISHED);
	inet_ntop(AF_INET, &s->client_ip, ip, sizeof ip);
	log_info("session_up", "tunnel=%u session=%u user=%s ip=%s if=%s peer=%s mtu=%u auth=%s",
		 s->t->tid, s->sid, log_quote(q, sizeof q, s->user), ip, s->k.ifname,
		 l2tpd_fmt_sa(&s->t->peer, ps, sizeof ps), mtu,
		 s->ppp ? ppp_auth_method_name(s->ppp->link.auth.method) : "none");
	event_session(s, CTL_EVT_SESSION_UP, NULL);
	l2tp_diag_session_up(s);
	s->up_announced = true;
	integrations_session(s, true, NULL);
	statestore_session_sync(s);
	return 0;
}
