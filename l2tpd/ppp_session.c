/*
 * PPP engine glue per session. See ppp_session.h.
 */
#include "l2tpd/ppp_session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secret.h"
#include "l2tpd/daemon.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

static struct ppp_link_cfg link_cfg;
static uint32_t echo_interval_ms;

void ppp_session_setup(struct l2tpd *d)
{
	const struct l2tpd_conf *c = d->conf;
	unsigned i;

	memset(&link_cfg, 0, sizeof link_cfg);
	ppp_lcp_cfg_default(&link_cfg.lcp);
	for (i = 0; i + 1 < PPP_AUTH_METHOD_COUNT && c->auth[i] != PPP_AUTH_NONE; i++)
		link_cfg.lcp.auth[i] = c->auth[i];
	link_cfg.lcp.auth[i] = PPP_AUTH_NONE;
	link_cfg.lcp.mru = c->mru;
	link_cfg.lcp.echo_failures = c->echo_failures;
	link_cfg.ipcp.local_addr = ntohl(c->local_ip.s_addr);
	for (i = 0; i < c->n_dns && i < 2; i++)
		link_cfg.ipcp.dns[i] = ntohl(c->dns[i].s_addr);
	link_cfg.server_name = c->hostname;
	echo_interval_ms = c->echo_interval_ms;
}

/* ---- link callbacks ------------------------------------------------------------------ */

static void op_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct ppp_session *p = ctx;

	if (p->s->k.chan_fd >= 0 && write(p->s->k.chan_fd, frame, len) < 0)
		log_debug("ppp_send_failed", "session=%u errno=%d", p->s->sid, errno);
}

static void op_timer_start(void *ctx, enum ppp_timer t, uint32_t ms)
{
	struct ppp_session *p = ctx;

	evloop_timer_start(&p->timers[t], ms, 0);
}

static void op_timer_stop(void *ctx, enum ppp_timer t)
{
	struct ppp_session *p = ctx;

	evloop_timer_stop(&p->timers[t]);
}

static int op_get_secret(void *ctx, const char *user, struct ppp_user_secret *out)
{
	struct ppp_session *p = ctx;
	const struct users *db = p->s->t->d->conf->users;

	memset(out, 0, sizeof *out);
	return db ? users_get_secret(db, user, out) : -ENOENT;
}

static int op_addr_alloc(void *ctx, const char *user, uint32_t *addr)
{
	struct ppp_session *p = ctx;
	struct session *s = p->s;
	const char *why = "";
	char q[LOG_QUOTE_MAX], u[LOG_QUOTE_MAX];
	int r = session_authorized(s, user, &why);

	if (r < 0) {
		s->t->d->stats.sessions_refused++;
		log_warn("session_refused", "tunnel=%u session=%u user=%s reason=%s", s->t->tid,
			 s->sid, log_quote(u, sizeof u, user), log_quote(q, sizeof q, why));
		snprintf(p->reason, sizeof p->reason, "%s", why);
		return r;
	}
	*addr = ntohl(s->client_ip.s_addr);
	return 0;
}

static void op_addr_free(void *ctx, uint32_t addr)
{
	struct ppp_session *p = ctx;

	(void)addr;
	/* While the unit exists the interface may carry the address: it goes back to the
	 * pool once the interface is gone (session_close, teardown.h). */
	if (p->s->k.unit_fd < 0)
		session_release_addr(p->s);
}

static void unit_readable(void *arg, int fd, int events);

static void op_network_up(void *ctx, const struct ppp_link_info *info)
{
	struct ppp_session *p = ctx;
	struct session *s = p->s;
	uint16_t mtu = s->t->d->conf->mtu;

	if (info->peer_mru && info->peer_mru < mtu)
		mtu = info->peer_mru;
	if (s->k.unit_fd < 0) {
		if (session_unit_open(s, s->t->d->conf->mru) < 0) {
			ppp_link_close(&p->link, "kernel refused the PPP interface");
			return;
		}
		evloop_io_init(&p->unit_io, &s->t->d->ev, s->k.unit_fd, EVLOOP_READ, unit_readable,
			       p);
		evloop_io_start(&p->unit_io);
	}
	if (session_network_up(s, mtu) < 0)
		ppp_link_close(&p->link, "cannot configure the PPP interface");
}

static void op_network_down(void *ctx)
{
	struct ppp_session *p = ctx;

	log_info("ppp_network_down", "tunnel=%u session=%u", p->s->t->tid, p->s->sid);
	if (p->s->k.unit_fd >= 0)
		kppp_unit_set_npmode(&p->s->k, 0x21, 1 /* NPMODE_DROP */);
}

static void op_finished(void *ctx, const char *reason)
{
	struct ppp_session *p = ctx;

	if (p->closing)
		return;
	p->closing = true;
	if (!p->reason[0])
		snprintf(p->reason, sizeof p->reason, "%s", reason);
	evloop_timer_start(&p->finish, 0, 0);
}

static const struct ppp_link_ops link_ops = {
	.send = op_send,
	.timer_start = op_timer_start,
	.timer_stop = op_timer_stop,
	.get_secret = op_get_secret,
	.addr_alloc = op_addr_alloc,
	.addr_free = op_addr_free,
	.network_up = op_network_up,
	.network_down = op_network_down,
	.finished = op_finished,
};

/* ---- timers and descriptors ---------------------------------------------------------- */

static void timer_lcp(void *arg) { ppp_link_timeout(&((struct ppp_session *)arg)->link, PPP_TIMER_LCP); }
static void timer_ipcp(void *arg) { ppp_link_timeout(&((struct ppp_session *)arg)->link, PPP_TIMER_IPCP); }
static void timer_auth(void *arg) { ppp_link_timeout(&((struct ppp_session *)arg)->link, PPP_TIMER_AUTH); }
static void timer_echo(void *arg) { ppp_link_echo_tick(&((struct ppp_session *)arg)->link); }

static void timer_finish(void *arg)
{
	struct ppp_session *p = arg;

	session_close(p->s, true, L2TP_CDN_ADMIN, p->reason);   /* frees p */
}

static void read_frames(struct ppp_session *p, int fd)
{
	uint8_t frame[2 + PPP_MAX_PACKET + 64];

	for (int i = 0; i < 32 && !p->closing; i++) {
		ssize_t n = read(fd, frame, sizeof frame);

		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				log_debug("ppp_read_failed", "session=%u errno=%d", p->s->sid, errno);
			break;
		}
		ppp_link_input(&p->link, frame, (size_t)n);
	}
}

static void chan_readable(void *arg, int fd, int events)
{
	(void)events;
	read_frames(arg, fd);
}

static void unit_readable(void *arg, int fd, int events)
{
	(void)events;
	read_frames(arg, fd);
}

struct ppp_session *ppp_session_new(struct session *s)
{
	struct ppp_session *p = calloc(1, sizeof *p);
	struct evloop *ev = &s->t->d->ev;
	static const evloop_fn timer_fns[PPP_TIMER_COUNT] = { timer_lcp, timer_ipcp, timer_auth };

	if (!p)
		return NULL;
	p->s = s;
	ppp_link_init(&p->link, &link_cfg, &link_ops, p);
	for (int i = 0; i < PPP_TIMER_COUNT; i++)
		evloop_timer_init(&p->timers[i], ev, timer_fns[i], p);
	evloop_timer_init(&p->echo, ev, timer_echo, p);
	evloop_timer_init(&p->finish, ev, timer_finish, p);
	evloop_io_init(&p->chan_io, ev, s->k.chan_fd, EVLOOP_READ, chan_readable, p);
	return p;
}

void ppp_session_start(struct ppp_session *p)
{
	evloop_io_start(&p->chan_io);
	if (echo_interval_ms)
		evloop_timer_start(&p->echo, echo_interval_ms, echo_interval_ms);
	ppp_link_start(&p->link);
}

void ppp_session_close(struct ppp_session *p, const char *reason)
{
	if (!p->closing) {
		snprintf(p->reason, sizeof p->reason, "%s", reason);
		ppp_link_close(&p->link, reason);
	}
}

/* Timers and watchers off, authentication state wiped, freed. */
static void session_engine_free(struct ppp_session *p)
{
	for (int i = 0; i < PPP_TIMER_COUNT; i++)
		evloop_timer_stop(&p->timers[i]);
	evloop_timer_stop(&p->echo);
	evloop_timer_stop(&p->finish);
	evloop_io_stop(&p->chan_io);
	if (evloop_io_active(&p->unit_io))
		evloop_io_stop(&p->unit_io);
	memwipe(&p->link.auth, sizeof p->link.auth);
	free(p);
}

void ppp_session_free(struct ppp_session *p)
{
	if (!p)
		return;
	p->closing = true;
	ppp_link_lower_down(&p->link, "session closed");
	session_engine_free(p);
}

void ppp_session_forget(struct ppp_session *p)
{
	if (!p)
		return;
	p->closing = true;
	session_engine_free(p);
}

struct ppp_session *ppp_session_adopt(struct session *s, const struct ppp_link_saved *v)
{
	struct ppp_session *p = ppp_session_new(s);

	if (!p)
		return NULL;
	ppp_link_restore(&p->link, v);
	evloop_io_init(&p->unit_io, &s->t->d->ev, s->k.unit_fd, EVLOOP_READ, unit_readable, p);
	evloop_io_start(&p->unit_io);
	evloop_io_start(&p->chan_io);
	if (echo_interval_ms)
		evloop_timer_start(&p->echo, echo_interval_ms, echo_interval_ms);
	return p;
}
