/*
 * The l2tpd process: start-up, tables, protected peers, shutdown (address pools: addrs.c).
 * See daemon.h.
 */
#include "l2tpd/daemon.h"
#include "common/sdnotify.h"
#include "l2tpd/fwset.h"
#include "l2tpd/handover.h"
#include "l2tpd/hook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secret.h"
#include "l2tpd/addrs.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/l2tp_diag.h"
#include "l2tpd/kernel_ppp.h"
#include "l2tpd/kernel_probe.h"
#include "l2tpd/l2tpd_ctl.h"
#include "l2tpd/lac.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/restore.h"
#include "l2tpd/reload.h"
#include "l2tpd/session.h"
#include "l2tpd/statestore.h"
#include "l2tpd/teardown.h"
#include "l2tpd/tunnel.h"
#include "l2tpd/udp_sock.h"

uint64_t l2tpd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *l2tpd_fmt_sa(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
		snprintf(buf, size, "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
		snprintf(buf, size, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(buf, size, "?");
	}
	return buf;
}

bool l2tpd_sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return false;
}

uint32_t l2tpd_sa_hash(const struct sockaddr_storage *ss)
{
	const uint8_t *p;
	size_t n;
	uint16_t port;
	uint32_t h = 2166136261u;

	if (ss->ss_family == AF_INET6) {
		p = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
		n = 16;
		port = ((const struct sockaddr_in6 *)ss)->sin6_port;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
		port = ((const struct sockaddr_in *)ss)->sin_port;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}

/* ---- protected peers (ikd hook) -------------------------------------------------------- */

int l2tpd_peer_protected_set(struct l2tpd *d, const struct sockaddr_storage *peer, bool up)
{
	struct protected_peer **pp = &d->protected_hash[l2tpd_sa_hash(peer) % L2TPD_PEER_BUCKETS];

	for (; *pp; pp = &(*pp)->next)
		if (l2tpd_sa_equal(&(*pp)->addr, peer))
			break;
	if (up && !*pp) {
		struct protected_peer *p = calloc(1, sizeof *p);

		if (!p)
			return -ENOMEM;
		p->addr = *peer;
		*pp = p;
	} else if (!up && *pp) {
		struct protected_peer *p = *pp;

		*pp = p->next;
		free(p);
	}
	return 0;
}

bool l2tpd_peer_is_protected(const struct l2tpd *d, const struct sockaddr_storage *peer)
{
	const struct protected_peer *p =
		d->protected_hash[l2tpd_sa_hash(peer) % L2TPD_PEER_BUCKETS];

	for (; p; p = p->next)
		if (l2tpd_sa_equal(&p->addr, peer))
			return true;
	return ikd_link_is_protected(d->ikd, peer);
}

/* ---- start-up ------------------------------------------------------------------------ */

static int check_kernel(void)
{
	struct kprobe_report rep;
	char why[512];

	kprobe_run(&rep);
	kprobe_log(&rep);
	if (kprobe_ok(&rep))
		return 0;
	kprobe_explain(&rep, why, sizeof why);
	fprintf(stderr, "l2tpd: the kernel cannot carry L2TP/PPP: %s\n", why);
	return -EPROTONOSUPPORT;
}

/* Remove tunnels and ppp interfaces a previous l2tpd left behind (crash, kill -9). */
static void sweep_stale(struct l2tpd *d)
{
	struct knl_ip local;
	struct kl2tp_owner o = { .keep = restore_keep_tunnel, .keep_arg = d };
	unsigned tunnels = 0, links = 0;
	const struct sockaddr_storage *ls = &d->conf->listen;

	if (ls->ss_family == AF_INET) {
		o.local_port = ntohs(((const struct sockaddr_in *)ls)->sin_port);
		local.family = AF_INET;
		local.v4 = ((const struct sockaddr_in *)ls)->sin_addr;
		if (local.v4.s_addr != htonl(INADDR_ANY)) {
			o.local_addrs = &local;
			o.n_local_addrs = 1;
		}
	} else {
		o.local_port = ntohs(((const struct sockaddr_in6 *)ls)->sin6_port);
	}
	kl2tp_sweep(&d->kl2tp, &o, &tunnels);
	kppp_sweep(&d->rtnl, d->conf->if_prefix, restore_keep_ifname, d, &links);
	if (tunnels || links)
		log_notice("stale_objects_removed", "tunnels=%u interfaces=%u", tunnels, links);
}

static void listener_cb(void *arg, int fd, int events)
{
	(void)events;
	tunnel_listener_readable(arg, fd);
}

static void reap_cb(void *arg)
{
	tunnel_reap(arg);
}

static int open_listener(struct l2tpd *d)
{
	struct udp_sock_cfg uc = { .local = (const struct sockaddr *)&d->conf->listen,
				   .local_len = d->conf->listen_len };
	char a[64];

	l2tpd_fmt_sa(&d->conf->listen, a, sizeof a);
	d->listen_fd = udp_sock_open(&uc);
	if (d->listen_fd < 0) {
		log_err("listen_failed", "addr=%s err=%d", a, d->listen_fd);
		fprintf(stderr, "l2tpd: cannot listen on %s: %s\n", a, strerror(-d->listen_fd));
		return d->listen_fd;
	}
	evloop_io_init(&d->listen_io, &d->ev, d->listen_fd, EVLOOP_READ, listener_cb, d);
	evloop_io_start(&d->listen_io);
	log_info("listening", "addr=%s", a);
	return 0;
}

/*
 * Under systemd with the state store: established tunnels and sessions stay with the
 * fd store for the next instance (a restart; on a final stop systemd closes them and the
 * kernel removes everything). Without systemd, the same when a successor connected
 * (handover.h), which then gets the descriptors. Only what is still negotiating is
 * closed. True when handed over.
 */
static bool hand_over(struct l2tpd *d)
{
	unsigned kept = 0, sessions = 0;

	if (!d->store || (!statestore_uses_fdstore(d) && d->handover_conn < 0))
		return false;
	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];
		struct session *s, *next;

		if (!t || t->reaping)
			continue;
		if (!t->store_slot || t->state != TUNNEL_ESTABLISHED) {
			tunnel_close(t, L2TP_STOPCCN_SHUTTING_DOWN, 0,
				     "l2tpd shutting down");
			tunnel_destroy(t, "l2tpd shutting down");
			continue;
		}
		for (s = t->sessions; s; s = next) {
			next = s->tunnel_next;
			if (!s->fds_stored)
				session_close(s, true, L2TP_CDN_ADMIN, "l2tpd restarting");
		}
	}
	if (!statestore_uses_fdstore(d) && handover_send(d) < 0)
		return false;
	d->handing_over = true;
	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];

		if (t && !t->reaping && t->store_slot) {
			sessions += t->n_sessions;
			kept++;
			tunnel_forget(t);
		}
	}
	log_notice("handed_over", "tunnels=%u sessions=%u to=%s", kept, sessions,
		   statestore_uses_fdstore(d) ? "fd-store" : "successor");
	return true;
}

static void shutdown_hook(void *arg)
{
	struct l2tpd *d = arg;

	sd_notify_state("STOPPING=1");
	d->shutting_down = true;
	log_notice("shutting_down", "tunnels=%u sessions=%u", d->n_tunnels, d->n_sessions);
	if (!hand_over(d)) {
		for (uint32_t id = 1; id < 65536; id++) {
			struct tunnel *t = d->tunnel_by_id[id];

			if (t) {
				tunnel_close(t, L2TP_STOPCCN_SHUTTING_DOWN, 0,
					     "l2tpd shutting down");
				tunnel_destroy(t, "l2tpd shutting down");
			}
		}
	}
	tunnel_reap(d);
}

int l2tpd_init(struct l2tpd *d, struct l2tpd_conf *conf)
{
	int r;

	memset(d, 0, sizeof *d);
	d->conf = conf;
	d->listen_fd = -1;
	d->handover_fd = d->handover_conn = -1;
	d->started_ms = l2tpd_now_ms();
	if (tunnel_rules_check() < 0) {
		log_err("internal_error", "reason=\"tunnel state table inconsistent\"");
		return -EINVAL;
	}
	d->tunnel_by_id = calloc(65536, sizeof *d->tunnel_by_id);
	d->msg = malloc(sizeof *d->msg);
	if (!d->tunnel_by_id || !d->msg || l2tpd_pools_init(d) < 0)
		return -ENOMEM;
	r = evloop_open(&d->ev);
	if (r < 0)
		return r;
	ppp_session_setup(d);
	evloop_timer_init(&d->reap_timer, &d->ev, reap_cb, d);
	return open_listener(d);
}

/* The optional firewall set and session hook. A set that cannot be opened (not created
 * yet by the admin's ruleset) is retried at the next session; it never stops l2tpd. */
int l2tpd_fwset_ensure(struct l2tpd *d)
{
	char err[256] = "";
	int r;

	if (d->fwset || !d->conf->firewall_set[0])
		return d->fwset ? 0 : -ENOENT;
	r = fwset_open(&d->fwset, d->conf->firewall_set, err, sizeof err);
	if (r < 0) {
		char q[LOG_QUOTE_MAX];

		log_warn("firewall_set_failed", "set=\"%s\" error=%s", d->conf->firewall_set,
			 log_quote(q, sizeof q, err));
	}
	return r;
}

static void integrations_start(struct l2tpd *d)
{
	if (d->conf->firewall_set[0] && l2tpd_fwset_ensure(d) == 0)
		log_info("firewall_set_ready", "set=\"%s\"", d->conf->firewall_set);
	if (d->conf->hook[0]) {
		d->hook = hook_runner_new(d->ev.loop, d->conf->hook);
		if (!d->hook)
			log_err("hook_failed", "path=%s error=\"out of memory\"", d->conf->hook);
	}
}

int l2tpd_start(struct l2tpd *d, struct l2tpd_conf *conf)
{
	int r = check_kernel();

	if (r < 0)
		return r;
	r = l2tpd_init(d, conf);
	if (r < 0)
		return r;
	r = kl2tp_open(&d->kl2tp);
	if (r == 0)
		r = rtnl_open(&d->rtnl);
	if (r < 0) {
		log_err("netlink_open_failed", "err=%d", r);
		return r;
	}
	/* The listener is bound already, but a stale tunnel socket of a dead process cannot
	 * exist (the kernel deletes tunnels with their last descriptor), so nothing races.
	 * What systemd's fd store handed back is taken first, and spared by the sweep. */
	session_binder_start(d);
	teardown_start(d);
	/* A live l2tpd that refused to hand over: its kernel objects are not stale. */
	if (restore_begin(d) == -EALREADY)
		return -EALREADY;
	sweep_stale(d);
	restore_end(d);
	mkdir(L2SEC_RUNDIR, 0755);
	r = l2tpd_ctl_start(d);
	if (r < 0)
		return r;
	evloop_add_cleanup(&d->ev, shutdown_hook, d);
	if (!statestore_uses_fdstore(d) && d->store)
		handover_listen(d);
	evloop_set_reload(&d->ev, l2tpd_reload_signal, d);   /* SIGHUP (reload.h) */
	ikd_link_start(d, NULL);
	integrations_start(d);
	lac_start_all(d);
	log_notice("started", "version=%s users=%zu pools=%u tunnel_auth=%s", L2SEC_VERSION,
		   l2tpd_conf_n_users(conf), conf->n_pools, conf->tunnel_secret.len ? "yes" : "no");
	return 0;
}

int l2tpd_run(struct l2tpd *d)
{
	/* Listener, kernel handles and control socket are ready: tell systemd (Type=notify). */
	sd_notify_state("READY=1");
	return evloop_run(&d->ev);
}

void l2tpd_stop(struct l2tpd *d)
{
	if (!d->shutting_down && d->tunnel_by_id && d->ev.loop)
		shutdown_hook(d);
	session_binder_stop(d);
	teardown_stop(d);   /* every closed session's objects gone before we exit */
	ikd_link_stop(d);
	fwset_close(d->fwset);
	d->fwset = NULL;
	hook_runner_free(d->hook);
	d->hook = NULL;
	l2tpd_ctl_stop(d);
	if (d->listen_fd >= 0) {
		evloop_io_stop(&d->listen_io);
		close(d->listen_fd);
		d->listen_fd = -1;
	}
	if (d->ev.loop)
		evloop_timer_stop(&d->reap_timer);
	for (unsigned b = 0; b < L2TPD_PEER_BUCKETS; b++)
		while (d->protected_hash[b]) {
			struct protected_peer *p = d->protected_hash[b];

			d->protected_hash[b] = p->next;
			free(p);
		}
	statestore_close(d);
	rtnl_close(&d->rtnl);
	kl2tp_close(&d->kl2tp);
	l2tpd_pools_free(d);
	free(d->tunnel_by_id);
	d->tunnel_by_id = NULL;
	free(d->msg);
	d->msg = NULL;
	l2tp_diag_reset();
	handover_close(d);   /* last: closing the successor's connection says we are gone */
	if (d->ev.loop)
		evloop_close(&d->ev);
}
