/*
 * L2TP tunnels: table, control-connection state machine, reliable delivery on libev,
 * per-tunnel sockets and kernel tunnels. See tunnel.h.
 */
#include "l2tpd/tunnel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secret.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/l2tp_diag.h"
#include "l2tpd/lac.h"
#include "l2tpd/session.h"
#include "l2tpd/statestore.h"
#include "l2tpd/udp_sock.h"

#define TUNNEL_CLOSE_LINGER_MS 3000   /* keep acking a peer's StopCCN retransmissions */
#define TUNNEL_CLOSE_MAX_MS 10000     /* our StopCCN unacked this long: give up */
#define L2TP_PROTOCOL_VERSION 0x0100  /* §4.4.3: version 1, revision 0 */
#define L2TP_FRAMING_SYNC_ASYNC 3
#define L2TP_VENDOR "l2sec"

static const char *const state_names[TUNNEL_STATE_COUNT] = {
	"idle", "wait-ctl-reply", "wait-ctl-conn", "established", "closing",
};

const char *tunnel_state_name(enum tunnel_state s)
{
	return s < TUNNEL_STATE_COUNT ? state_names[s] : "unknown";
}

struct tunnel *tunnel_by_id(struct l2tpd *d, uint16_t tid)
{
	return tid ? d->tunnel_by_id[tid] : NULL;
}

uint64_t tunnel_age_s(const struct tunnel *t)
{
	return (l2tpd_now_ms() - t->created_ms) / 1000;
}

static void set_state(struct tunnel *t, enum tunnel_state next)
{
	if (t->state == next)
		return;
	log_debug("tunnel_state", "tunnel=%u from=%s to=%s", t->tid, tunnel_state_name(t->state),
		  tunnel_state_name(next));
	t->state = next;
}

/* ---- reliable delivery wiring -------------------------------------------------------- */

static void rearm(struct tunnel *t)
{
	uint64_t dl, now;

	if (!t->rel)
		return;
	statestore_tunnel_sync(t);   /* Ns/Nr or the queue may have moved */
	dl = l2tp_rel_next_deadline(t->rel);
	if (dl == L2TP_REL_NO_DEADLINE) {
		evloop_timer_stop(&t->rel_timer);
		return;
	}
	now = l2tpd_now_ms();
	evloop_timer_start(&t->rel_timer, dl > now ? dl - now : 0, 0);
}

static void queue_reap(struct tunnel *t)
{
	struct l2tpd *d = t->d;

	if (t->reaping)
		return;
	t->reaping = true;
	t->reap_next = d->reap;
	d->reap = t;
	evloop_timer_start(&d->reap_timer, 0, 0);
}

static void rel_send_cb(void *ctx, const uint8_t *pkt, size_t len)
{
	struct tunnel *t = ctx;

	if (t->fd >= 0 && send(t->fd, pkt, len, MSG_DONTWAIT) < 0)
		log_debug("tunnel_send_failed", "tunnel=%u errno=%d", t->tid, errno);
}

static void tunnel_deliver(void *ctx, const uint8_t *pkt, size_t len);

static void rel_hello_cb(void *ctx)
{
	struct tunnel *t = ctx;
	struct l2tp_msg_builder b;
	uint8_t buf[64];
	int n;

	if (t->state != TUNNEL_ESTABLISHED)
		return;
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_HELLO) < 0 ||
	    (n = l2tp_msg_finish(&b)) < 0)
		return;
	tunnel_send(t, buf, (size_t)n);
}

static void rel_dead_cb(void *ctx, uint16_t ns, uint32_t retries)
{
	struct tunnel *t = ctx;
	char why[96];

	snprintf(why, sizeof why, "peer dead: no ack for Ns=%u after %u retransmissions", ns,
		 retries);
	t->lost = true;
	tunnel_destroy(t, why);
}

static const struct l2tp_rel_ops rel_ops = {
	.send = rel_send_cb,
	.deliver = tunnel_deliver,
	.hello_due = rel_hello_cb,
	.peer_dead = rel_dead_cb,
};

/* Our StopCCN was acknowledged: nothing left to do for this tunnel. */
static void closing_check(struct tunnel *t)
{
	if (t->state == TUNNEL_CLOSING && t->stop_sent && !t->reaping && l2tp_rel_idle(t->rel))
		queue_reap(t);
	if (!t->reaping)
		rearm(t);
}

static void rel_timer_cb(void *arg)
{
	struct tunnel *t = arg;

	l2tp_rel_tick(t->rel, l2tpd_now_ms());
	closing_check(t);
}

static void close_timer_cb(void *arg)
{
	queue_reap(arg);
}

int tunnel_send(struct tunnel *t, uint8_t *buf, size_t len)
{
	int r = l2tp_rel_send(t->rel, l2tpd_now_ms(), buf, len);

	if (r < 0)
		log_warn("tunnel_send_queue", "tunnel=%u err=%d", t->tid, r);
	rearm(t);
	return r;
}

int tunnel_msg_begin(struct tunnel *t, struct l2tp_msg_builder *b, uint8_t *buf, size_t cap,
		     uint16_t peer_sid, uint16_t type)
{
	const struct secret *s = &t->d->conf->tunnel_secret;
	static struct l2tp_secret ls;

	ls.data = s->p;
	ls.len = s->len;
	return l2tp_msg_begin(b, buf, cap, t->peer_tid, peer_sid, type, s->len ? &ls : NULL);
}

/* ---- table -------------------------------------------------------------------------- */

static uint16_t alloc_tunnel_id(struct l2tpd *d)
{
	for (int i = 0; i < 64; i++) {
		uint16_t id = (uint16_t)(1 + random_uniform(65535));

		if (!d->tunnel_by_id[id])
			return id;
	}
	for (uint32_t id = 1; id < 65536; id++)
		if (!d->tunnel_by_id[id])
			return (uint16_t)id;
	return 0;
}

static void peer_link(struct tunnel *t)
{
	uint32_t b = l2tpd_sa_hash(&t->peer) % L2TPD_PEER_BUCKETS;

	t->peer_next = t->d->peer_hash[b];
	t->d->peer_hash[b] = t;
}

static void peer_unlink(struct tunnel *t)
{
	struct tunnel **pp = &t->d->peer_hash[l2tpd_sa_hash(&t->peer) % L2TPD_PEER_BUCKETS];

	for (; *pp; pp = &(*pp)->peer_next)
		if (*pp == t) {
			*pp = t->peer_next;
			return;
		}
}

static void tunnel_readable(void *arg, int fd, int events);

/* The mark of the datagram being handled (udp_sock_recv): a new tunnel takes it. */
static uint32_t rx_mark;

/* Send through the client's own SA: the mark must be on the socket before its route (and
 * xfrm bundle) is looked up, so connect again after setting it. */
static int tunnel_set_mark(struct tunnel *t, uint32_t mark)
{
	int r = udp_sock_set_mark(t->fd, mark);

	if (r == 0 && connect(t->fd, (const struct sockaddr *)&t->peer, t->peer_len) < 0)
		r = -errno;
	if (r == 0)
		t->mark = mark;
	return r;
}

/* A tunnel on fd (owned from here on, closed on failure) with id tid. */
static struct tunnel *tunnel_new(struct l2tpd *d, uint16_t tid, int fd,
				 const struct sockaddr_storage *peer, socklen_t peer_len, bool lac)
{
	struct l2tp_rel_cfg rc;
	struct tunnel *t = calloc(1, sizeof *t);

	if (t) {
		t->created_ms = l2tpd_now_ms();
		l2tp_rel_cfg_default(&rc);
		rc.our_rws = d->conf->rws;
		rc.hello_interval_ms = d->conf->hello_ms;
		t->rel = l2tp_rel_new(&rc, &rel_ops, t, t->created_ms);
	}
	if (!t || !t->rel) {
		if (t)
			free(t);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	t->d = d;
	t->tid = tid;
	t->lac = lac;
	t->peer = *peer;
	t->peer_len = peer_len;
	t->fd = fd;
	evloop_timer_init(&t->rel_timer, &d->ev, rel_timer_cb, t);
	evloop_timer_init(&t->close_timer, &d->ev, close_timer_cb, t);
	evloop_io_init(&t->io, &d->ev, t->fd, EVLOOP_READ, tunnel_readable, t);
	evloop_io_start(&t->io);
	d->tunnel_by_id[tid] = t;
	peer_link(t);
	d->n_tunnels++;
	d->stats.tunnels_total++;
	return t;
}

struct tunnel *tunnel_create(struct l2tpd *d, const struct sockaddr_storage *peer,
			     socklen_t peer_len, bool lac)
{
	struct udp_sock_cfg uc = {
		.local = (const struct sockaddr *)&d->conf->listen,
		.local_len = d->conf->listen_len,
		.peer = (const struct sockaddr *)peer, .peer_len = peer_len,
	};
	uint16_t id = alloc_tunnel_id(d);
	int fd;

	if (!id) {
		errno = ENOSPC;
		return NULL;
	}
	fd = udp_sock_open(&uc);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return tunnel_new(d, id, fd, peer, peer_len, lac);
}

struct tunnel *tunnel_adopt(struct l2tpd *d, uint16_t tid, int fd,
			    const struct sockaddr_storage *peer, const struct tunnel_resume *res)
{
	socklen_t len = peer->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);
	socklen_t mlen = sizeof(uint32_t);
	struct tunnel *t;

	if (!tid || d->tunnel_by_id[tid]) {
		close(fd);
		errno = EEXIST;
		return NULL;
	}
	t = tunnel_new(d, tid, fd, peer, len, false);
	if (!t)
		return NULL;
	/* the client's XFRM mark stays on the socket itself */
	if (getsockopt(fd, SOL_SOCKET, SO_MARK, &t->mark, &mlen) < 0)
		t->mark = 0;
	t->peer_tid = res->peer_tid;
	t->state = TUNNEL_ESTABLISHED;
	t->kernel = true;
	t->fd_stored = true;
	t->store_slot = res->store_slot;
	if (res->created_ms && res->created_ms <= t->created_ms)
		t->created_ms = res->created_ms;
	snprintf(t->hostname, sizeof t->hostname, "%s", res->host);
	l2tp_rel_set_peer(t->rel, res->peer_tid, res->peer_rws);
	l2tp_rel_resume(t->rel, res->ns, res->nr);
	rearm(t);   /* the HELLO clock, and the record rewritten by this process */
	return t;
}

void tunnel_forget(struct tunnel *t)
{
	struct l2tpd *d = t->d;

	while (t->sessions)
		session_forget(t->sessions);
	if (!t->torn_down) {
		t->torn_down = true;
		peer_unlink(t);
		d->n_tunnels--;
	}
	t->kernel = false;
	set_state(t, TUNNEL_CLOSING);
	evloop_io_stop(&t->io);
	queue_reap(t);
}

static void event_tunnel_ended(struct tunnel *t, const char *reason)
{
	struct ctl_msg *m;

	if (!t->d->ctl || !(m = ctl_server_event_begin(t->d->ctl, CTL_EVT_TUNNEL_ENDED)))
		return;
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&t->peer);
	ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, t->tid);
	ctl_msg_put_str(m, CTL_A_REASON, reason);
	ctl_server_broadcast_event(t->d->ctl);
}

/* Everything but the final free: sessions, kernel tunnel, tables. */
static void tunnel_teardown(struct tunnel *t, const char *reason)
{
	struct l2tpd *d = t->d;
	char ps[64], q[LOG_QUOTE_MAX];
	int r;

	while (t->sessions)
		session_close(t->sessions, false, L2TP_CDN_ADMIN, reason);
	if (t->kernel) {
		r = kl2tp_tunnel_delete(&d->kl2tp, t->tid);
		if (r < 0 && r != -ENODEV)
			log_warn("kernel_tunnel_delete_failed", "tunnel=%u err=%d msg=%s", t->tid, r,
				 log_quote(q, sizeof q, d->kl2tp.k.errmsg));
		t->kernel = false;
	}
	if (!t->torn_down) {
		t->torn_down = true;
		peer_unlink(t);
		d->n_tunnels--;
		log_info("tunnel_down", "tunnel=%u peer_tunnel=%u peer=%s host=%s age=%llus reason=%s",
			 t->tid, t->peer_tid, l2tpd_fmt_sa(&t->peer, ps, sizeof ps),
			 t->hostname[0] ? t->hostname : "-", (unsigned long long)tunnel_age_s(t),
			 log_quote(q, sizeof q, reason));
		event_tunnel_ended(t, reason);
		l2tp_diag_tunnel_down(t, t->lost, reason);
		ikd_link_tunnel_ended(t, reason);
		lac_tunnel_ended(t, reason);
	}
	set_state(t, TUNNEL_CLOSING);
	statestore_tunnel_gone(t);
}

void tunnel_destroy(struct tunnel *t, const char *reason)
{
	tunnel_teardown(t, reason);
	evloop_io_stop(&t->io);
	queue_reap(t);
}

void tunnel_close(struct tunnel *t, uint16_t result, uint16_t error, const char *reason)
{
	struct l2tp_msg_builder b;
	uint8_t buf[256];
	int n;

	if (t->state == TUNNEL_CLOSING)
		return;
	snprintf(t->close_reason, sizeof t->close_reason, "%s", reason);
	tunnel_teardown(t, reason);
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_STOPCCN) == 0 &&
	    l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, t->tid) == 0 &&
	    l2tp_avp_put_result(&b.w, result, error, reason) == 0 &&
	    (n = l2tp_msg_finish(&b)) > 0 && tunnel_send(t, buf, (size_t)n) == 0) {
		t->stop_sent = true;
		evloop_timer_start(&t->close_timer, TUNNEL_CLOSE_MAX_MS, 0);
		return;
	}
	queue_reap(t);
}

static void tunnel_free(struct tunnel *t)
{
	/* Closing tunnels stay in the table until here: they still ack the peer. */
	if (t->d->tunnel_by_id[t->tid] == t)
		t->d->tunnel_by_id[t->tid] = NULL;
	evloop_timer_stop(&t->rel_timer);
	evloop_timer_stop(&t->close_timer);
	evloop_io_stop(&t->io);
	if (t->fd >= 0)
		close(t->fd);
	l2tp_rel_free(t->rel);
	lac_tunnel_free(t);
	free(t);
}

void tunnel_reap(struct l2tpd *d)
{
	while (d->reap) {
		struct tunnel *t = d->reap;

		d->reap = t->reap_next;
		tunnel_teardown(t, "closed");
		tunnel_free(t);
	}
}

/* ---- control connection state machine (RFC 2661 §7.2) --------------------------------- */

static bool tunnel_secret(const struct tunnel *t, struct l2tp_secret *ls)
{
	const struct secret *s = &t->d->conf->tunnel_secret;

	ls->data = s->p;
	ls->len = s->len;
	return s->len > 0;
}

static void refuse(struct tunnel *t, uint16_t result, const char *reason)
{
	char ps[64], q[LOG_QUOTE_MAX];

	t->d->stats.tunnels_refused++;
	log_warn("tunnel_refused", "tunnel=%u peer=%s host=%s reason=%s", t->tid,
		 l2tpd_fmt_sa(&t->peer, ps, sizeof ps), t->hostname[0] ? t->hostname : "-",
		 log_quote(q, sizeof q, reason));
	tunnel_close(t, result, 0, reason);
}

/* Common AVPs of SCCRQ and SCCRP (§6.1, §6.2). */
int tunnel_put_ctl_conn_avps(struct tunnel *t, struct l2tp_msg_builder *b)
{
	int r = 0;

	r |= l2tp_msg_put_u16(b, L2TP_AVP_PROTOCOL_VERSION, L2TP_PROTOCOL_VERSION);
	r |= l2tp_msg_put_u32(b, L2TP_AVP_FRAMING_CAPABILITIES, L2TP_FRAMING_SYNC_ASYNC);
	r |= l2tp_msg_put_u32(b, L2TP_AVP_BEARER_CAPABILITIES, 0);
	r |= l2tp_msg_put_u16(b, L2TP_AVP_FIRMWARE_REVISION, 0x0100);
	r |= l2tp_msg_put_str(b, L2TP_AVP_HOST_NAME, t->d->conf->hostname);
	r |= l2tp_msg_put_str(b, L2TP_AVP_VENDOR_NAME, L2TP_VENDOR);
	r |= l2tp_msg_put_u16(b, L2TP_AVP_ASSIGNED_TUNNEL_ID, t->tid);
	r |= l2tp_msg_put_u16(b, L2TP_AVP_RECEIVE_WINDOW_SIZE, t->d->conf->rws);
	return r ? -EMSGSIZE : 0;
}

int tunnel_put_challenge(struct tunnel *t, struct l2tp_msg_builder *b)
{
	struct l2tp_secret ls;

	if (!tunnel_secret(t, &ls))
		return 0;
	random_bytes(t->challenge, sizeof t->challenge);
	t->challenged = true;
	return l2tp_msg_put(b, L2TP_AVP_CHALLENGE, t->challenge, sizeof t->challenge);
}

int tunnel_put_challenge_response(struct tunnel *t, struct l2tp_msg_builder *b,
				  const struct l2tp_msg *m, uint8_t msg_type, const char **why)
{
	const struct l2tp_avp_value *c = &m->avp[L2TP_AVP_CHALLENGE];
	uint8_t resp[L2TP_CHALLENGE_RESPONSE_LEN];
	struct l2tp_secret ls;

	if (!l2tp_msg_has(m, L2TP_AVP_CHALLENGE))
		return 0;
	if (!tunnel_secret(t, &ls)) {
		*why = "peer sent a Challenge but no tunnel_secret is configured";
		return -EACCES;
	}
	if (l2tp_challenge_response(msg_type, &ls, c->data, c->len, resp) < 0) {
		*why = "challenge response computation failed";
		return -EIO;
	}
	return l2tp_msg_put(b, L2TP_AVP_CHALLENGE_RESPONSE, resp, sizeof resp) ? -EMSGSIZE : 0;
}

bool tunnel_check_challenge_response(struct tunnel *t, const struct l2tp_msg *m,
				     uint8_t msg_type, const char **why)
{
	const struct l2tp_avp_value *r = &m->avp[L2TP_AVP_CHALLENGE_RESPONSE];
	struct l2tp_secret ls;

	if (!t->challenged)
		return true;
	tunnel_secret(t, &ls);
	if (!l2tp_msg_has(m, L2TP_AVP_CHALLENGE_RESPONSE)) {
		*why = "bad tunnel secret: no Challenge Response to our Challenge";
		return false;
	}
	if (!l2tp_challenge_verify(msg_type, &ls, t->challenge, sizeof t->challenge, r->data,
				   r->len)) {
		*why = "bad tunnel secret: Challenge Response does not match";
		return false;
	}
	return true;
}

int tunnel_kernel_create(struct tunnel *t)
{
	struct kl2tp_tunnel_cfg kc = { .tunnel_id = t->tid, .peer_tunnel_id = t->peer_tid,
				       .version = 2, .fd = t->fd };
	char q[LOG_QUOTE_MAX];
	int r = t->d->kl2tp.k.nl ? kl2tp_tunnel_create(&t->d->kl2tp, &kc) : -ENOTCONN;

	if (r < 0) {
		log_err("kernel_tunnel_create_failed", "tunnel=%u err=%d msg=%s", t->tid, r,
			log_quote(q, sizeof q, t->d->kl2tp.k.errmsg));
		return r;
	}
	t->kernel = true;
	return 0;
}

void tunnel_established(struct tunnel *t)
{
	char ps[64];

	set_state(t, TUNNEL_ESTABLISHED);
	statestore_tunnel_sync(t);
	log_info("tunnel_up", "tunnel=%u peer_tunnel=%u peer=%s host=%s role=%s", t->tid,
		 t->peer_tid, l2tpd_fmt_sa(&t->peer, ps, sizeof ps),
		 t->hostname[0] ? t->hostname : "-", t->lac ? "lac" : "lns");
	l2tp_diag_tunnel_up(t);
}

/* LNS: SCCRQ -> SCCRP (§6.1, §6.2; Challenge Response per §5.1.1). */
static void on_sccrq(struct tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_msg_builder b;
	uint8_t buf[512];
	const char *why = NULL;
	uint16_t ver = 0;
	int n, r;

	l2tp_msg_str(m, L2TP_AVP_HOST_NAME, t->hostname, sizeof t->hostname);
	l2tp_msg_u16(m, L2TP_AVP_PROTOCOL_VERSION, &ver);
	if (ver != L2TP_PROTOCOL_VERSION) {
		refuse(t, L2TP_STOPCCN_BAD_VERSION, "unsupported protocol version");
		return;
	}
	r = tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_SCCRP);
	if (r == 0)
		r = tunnel_put_ctl_conn_avps(t, &b);
	if (r == 0)
		r = tunnel_put_challenge_response(t, &b, m, L2TP_MSG_SCCRP, &why);
	if (r == 0)
		r = tunnel_put_challenge(t, &b);
	if (r < 0 || (n = l2tp_msg_finish(&b)) < 0) {
		refuse(t, why ? L2TP_STOPCCN_NOT_AUTHORIZED : L2TP_STOPCCN_GENERAL_ERROR,
		       why ? why : "cannot build SCCRP");
		return;
	}
	set_state(t, TUNNEL_WAIT_CTL_CONN);
	tunnel_send(t, buf, (size_t)n);
}

/* LNS: SCCCN -> (ZLB), tunnel established, kernel tunnel created (§6.3). */
static void on_scccn(struct tunnel *t, const struct l2tp_msg *m)
{
	const char *why = NULL;

	if (!tunnel_check_challenge_response(t, m, L2TP_MSG_SCCCN, &why)) {
		refuse(t, L2TP_STOPCCN_NOT_AUTHORIZED, why);
		return;
	}
	if (tunnel_kernel_create(t) < 0) {
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES,
			     "kernel refused the tunnel");
		return;
	}
	tunnel_established(t);
}

/* Either side: StopCCN -> (ZLB); keep acking duplicates for a while, then free (§5.7). */
static void on_stopccn(struct tunnel *t, const struct l2tp_msg *m)
{
	const struct l2tp_avp_value *v = &m->avp[L2TP_AVP_RESULT_CODE];
	struct l2tp_result res = { 0 };
	char why[160];

	l2tp_result_parse(v->data, v->len, &res);
	snprintf(why, sizeof why, "StopCCN from peer: %s%s%.*s",
		 l2tp_stopccn_result_str(res.result), res.message_len ? ": " : "",
		 (int)(res.message_len > 100 ? 100 : res.message_len),
		 res.message ? (const char *)res.message : "");
	tunnel_teardown(t, why);
	evloop_timer_start(&t->close_timer, TUNNEL_CLOSE_LINGER_MS, 0);
}

static void on_hello(struct tunnel *t, const struct l2tp_msg *m)
{
	(void)t;
	(void)m;   /* the reliable layer acknowledges it */
}

static void on_ignored(struct tunnel *t, const struct l2tp_msg *m)
{
	log_debug("l2tp_msg_ignored", "tunnel=%u type=%s", t->tid, l2tp_msg_name(m->type));
}

static void on_icrq(struct tunnel *t, const struct l2tp_msg *m) { session_on_icrq(t, m); }
static void on_icrp(struct tunnel *t, const struct l2tp_msg *m) { session_on_icrp(t, m); }
static void on_iccn(struct tunnel *t, const struct l2tp_msg *m) { session_on_iccn(t, m); }
static void on_cdn(struct tunnel *t, const struct l2tp_msg *m) { session_on_cdn(t, m); }
static void on_sccrp(struct tunnel *t, const struct l2tp_msg *m) { lac_on_sccrp(t, m); }

#define ST(s) (1u << (s))
#define ST_OPEN (ST(TUNNEL_IDLE) | ST(TUNNEL_WAIT_CTL_REPLY) | ST(TUNNEL_WAIT_CTL_CONN) | \
		 ST(TUNNEL_ESTABLISHED))

/* One row per accepted (state, message); anything else is logged and ignored. */
static const struct tunnel_rule {
	uint8_t states;
	uint16_t msg;
	void (*fn)(struct tunnel *t, const struct l2tp_msg *m);
	const char *flow;
} tunnel_rules[] = {
	/* LNS: SCCRQ from a new peer -> SCCRP (with our Challenge, their Response) */
	{ ST(TUNNEL_IDLE), L2TP_MSG_SCCRQ, on_sccrq, "SCCRQ -> SCCRP" },
	/* LNS: SCCCN (Response to our Challenge) -> ZLB; established */
	{ ST(TUNNEL_WAIT_CTL_CONN), L2TP_MSG_SCCCN, on_scccn, "SCCCN -> ZLB" },
	/* LAC: SCCRP -> SCCCN; established */
	{ ST(TUNNEL_WAIT_CTL_REPLY), L2TP_MSG_SCCRP, on_sccrp, "SCCRP -> SCCCN" },
	/* either side, any time: StopCCN -> ZLB; sessions cleared; freed after a linger */
	{ ST_OPEN, L2TP_MSG_STOPCCN, on_stopccn, "StopCCN -> ZLB" },
	/* keepalive: HELLO -> ZLB (reliable.c acks) */
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_HELLO, on_hello, "HELLO -> ZLB" },
	/* LNS incoming call: ICRQ -> ICRP, ICCN -> ZLB (PPP starts) */
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_ICRQ, on_icrq, "ICRQ -> ICRP" },
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_ICCN, on_iccn, "ICCN -> ZLB" },
	/* LAC incoming call: ICRP -> ICCN */
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_ICRP, on_icrp, "ICRP -> ICCN" },
	/* either side: CDN -> ZLB; session torn down */
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_CDN, on_cdn, "CDN -> ZLB" },
	/* PPP-level notices a LAC may send: acked and ignored */
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_WEN, on_ignored, "WEN -> ZLB" },
	{ ST(TUNNEL_ESTABLISHED), L2TP_MSG_SLI, on_ignored, "SLI -> ZLB" },
};

int tunnel_rules_check(void)
{
	size_t n = sizeof tunnel_rules / sizeof tunnel_rules[0];

	for (size_t i = 0; i < n; i++) {
		if (!tunnel_rules[i].fn || tunnel_rules[i].msg >= L2TP_MSG_COUNT ||
		    !tunnel_rules[i].states)
			return -EINVAL;
		for (size_t j = i + 1; j < n; j++)
			if (tunnel_rules[i].msg == tunnel_rules[j].msg &&
			    (tunnel_rules[i].states & tunnel_rules[j].states))
				return -EINVAL;
	}
	return 0;
}

static void dispatch(struct tunnel *t, const struct l2tp_msg *m)
{
	for (size_t i = 0; i < sizeof tunnel_rules / sizeof tunnel_rules[0]; i++) {
		const struct tunnel_rule *r = &tunnel_rules[i];

		if (r->msg == m->type && (r->states & ST(t->state))) {
			char q[64];

			log_debug("l2tp_msg", "tunnel=%u session=%u flow=%s", t->tid,
				  m->hdr.session_id, log_quote(q, sizeof q, r->flow));
			r->fn(t, m);
			return;
		}
	}
	if (t->state != TUNNEL_CLOSING)
		log_info("l2tp_msg_unexpected", "tunnel=%u state=%s type=%s", t->tid,
			 tunnel_state_name(t->state), l2tp_msg_name(m->type));
}

/* reliable.c hands over each new message in order. */
static void tunnel_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct tunnel *t = ctx;
	struct l2tp_msg *m = t->d->msg;
	struct l2tp_msg_error err;
	struct l2tp_secret ls;
	char q[LOG_QUOTE_MAX];

	if (l2tp_msg_parse(m, pkt, len, tunnel_secret(t, &ls) ? &ls : NULL, &err) == 0) {
		if (m->type != L2TP_MSG_ZLB)
			dispatch(t, m);
		return;
	}
	t->d->stats.rx_dropped++;
	log_info("l2tp_msg_bad", "tunnel=%u verdict=%d avp=%s reason=%s", t->tid, err.verdict,
		 l2tp_avp_name(err.avp_type), log_quote(q, sizeof q, err.reason));
	if (err.verdict == L2TP_MSG_CLOSE_TUNNEL) {
		tunnel_close(t, err.result, err.error, err.reason);
	} else if (err.verdict == L2TP_MSG_CLOSE_SESSION) {
		struct session *s = session_lookup(t->d, t->tid, m->hdr.session_id);

		if (s)
			session_close(s, true, err.result, err.reason);
	}
}

/* ---- datagrams -------------------------------------------------------------------- */

static void tunnel_input(struct tunnel *t, const uint8_t *pkt, size_t len)
{
	struct l2tp_ctrl_hdr h;

	if (l2tp_ctrl_hdr_parse(pkt, len, &h) < 0 ||
	    l2tp_rel_input(t->rel, l2tpd_now_ms(), &h, pkt, len) < 0) {
		t->d->stats.rx_dropped++;
		return;
	}
	closing_check(t);
}

static struct tunnel *find_by_peer(struct l2tpd *d, const struct sockaddr_storage *peer,
				   uint16_t peer_tid, uint32_t mark)
{
	struct tunnel *t = d->peer_hash[l2tpd_sa_hash(peer) % L2TPD_PEER_BUCKETS];

	for (; t; t = t->peer_next)
		if (t->peer_tid == peer_tid && t->mark == mark && l2tpd_sa_equal(&t->peer, peer))
			return t;
	return NULL;
}

/* An SCCRQ (tunnel id 0): a retransmission for a tunnel we made, or a new tunnel. */
static void new_peer_input(struct l2tpd *d, const struct sockaddr_storage *peer,
			   socklen_t peer_len, const uint8_t *pkt, size_t len)
{
	struct l2tp_msg *m = d->msg;
	struct l2tp_msg_error err;
	struct tunnel *t;
	uint16_t peer_tid = 0, rws = 0;
	char ps[64];

	if (l2tp_msg_parse(m, pkt, len, NULL, &err) < 0 || m->type != L2TP_MSG_SCCRQ ||
	    l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, &peer_tid) < 0 || !peer_tid) {
		d->stats.rx_dropped++;
		log_debug("l2tp_dropped", "peer=%s reason=not_an_sccrq",
			  l2tpd_fmt_sa(peer, ps, sizeof ps));
		return;
	}
	l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE, &rws);
	t = find_by_peer(d, peer, peer_tid, rx_mark);
	if (t) {
		tunnel_input(t, pkt, len);
		return;
	}
	if (d->shutting_down)
		return;
	if (d->conf->require_protected && !l2tpd_peer_is_protected(d, peer)) {
		d->stats.tunnels_refused++;
		log_warn("tunnel_refused", "peer=%s reason=%s", l2tpd_fmt_sa(peer, ps, sizeof ps),
			 "\"peer not protected by IPsec (require_protected)\"");
		l2tp_diag_tunnel_refused(peer, "not protected by IPsec: ikd reports no IPsec SA "
					 "for this address (require_protected)");
		return;
	}
	t = tunnel_create(d, peer, peer_len, false);
	if (!t) {
		d->stats.tunnels_refused++;
		log_err("tunnel_refused", "peer=%s reason=\"cannot create tunnel socket\" errno=%d",
			l2tpd_fmt_sa(peer, ps, sizeof ps), errno);
		return;
	}
	if (rx_mark && tunnel_set_mark(t, rx_mark) < 0)
		log_warn("tunnel_mark_failed", "tunnel=%u mark=%#x errno=%d", t->tid, rx_mark,
			 errno);
	t->peer_tid = peer_tid;
	l2tp_rel_set_peer(t->rel, peer_tid, rws);
	log_info("tunnel_request", "tunnel=%u peer_tunnel=%u peer=%s mark=%#x", t->tid, peer_tid,
		 l2tpd_fmt_sa(peer, ps, sizeof ps), t->mark);
	tunnel_input(t, pkt, len);
}

void tunnel_listener_input(struct l2tpd *d, const struct sockaddr_storage *peer,
			   socklen_t peer_len, const uint8_t *pkt, size_t len)
{
	struct l2tp_ctrl_hdr h;
	struct tunnel *t;

	if (l2tp_classify(pkt, len) != 1 || l2tp_ctrl_hdr_parse(pkt, len, &h) < 0) {
		d->stats.rx_dropped++;
		return;
	}
	if (!h.tunnel_id) {
		new_peer_input(d, peer, peer_len, pkt, len);
		return;
	}
	t = tunnel_by_id(d, h.tunnel_id);
	if (!t || t->reaping) {
		/* A tunnel we already freed: the peer will time out (§5.8 leaves this open). */
		d->stats.rx_dropped++;
		return;
	}
	tunnel_input(t, pkt, len);
}

static uint8_t rxbuf[65536];

static void tunnel_readable(void *arg, int fd, int events)
{
	struct tunnel *t = arg;
	struct l2tpd *d = t->d;
	struct sockaddr_storage peer = t->peer;
	socklen_t plen = t->peer_len;

	(void)events;
	for (int i = 0; i < 64 && !t->reaping; i++) {
		ssize_t n = udp_sock_recv(fd, rxbuf, sizeof rxbuf, NULL, NULL, &rx_mark);

		if (n < 0)
			break;
		/* t may be freed only by the reap timer, so it stays valid here. */
		tunnel_listener_input(d, &peer, plen, rxbuf, (size_t)n);
	}
}

void tunnel_listener_readable(struct l2tpd *d, int fd)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof peer;
		ssize_t n = udp_sock_recv(fd, rxbuf, sizeof rxbuf, &peer, &plen, &rx_mark);

		if (n < 0)
			break;
		tunnel_listener_input(d, &peer, plen, rxbuf, (size_t)n);
	}
}
