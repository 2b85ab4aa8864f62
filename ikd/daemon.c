/*
 * The ikd daemon object. See daemon.h.
 */
#include "ikd/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "ikd/ikd_ctl.h"
#include "ikd/ike_restore.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_frag.h"
#include "ikd/ikev1_main.h"
#include "ikd/ikev1_states.h"
#include "xfrm/xfrm.h"

/* Messages kept for retransmission go out in fragments when the peer needs them. */
static int xmit_send(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	return ikev1_send(sa, pkt, len);
}

int ikd_init_core(struct ikd *d, struct evloop *loop, struct ikd_conf *conf,
		  const struct ikd_kernel *kernel)
{
	char why[160];
	if (ikev1_states_check(why, sizeof why) < 0) {
		log_err("ikev1_state_table_invalid", "why=\"%s\"", why);
		return -EINVAL;
	}
	d->loop = loop;
	d->conf = conf;
	if (kernel)
		d->kernel = *kernel;
	d->plain = malloc(IKE_PACKET_MAX);
	if (!d->plain)
		return -ENOMEM;
	int rc = ike_sa_table_init(&d->sas, 4096, conf->set.half_open_max,
				   conf->set.half_open_per_peer);
	if (rc < 0) {
		free(d->plain);
		return rc;
	}
	struct ike_xmit_config xc = {
		.loop = loop, .send = xmit_send, .base_ms = conf->set.retransmit_ms,
		.max_tries = conf->set.retransmit_tries + 1, .exhausted = ikev1_xmit_exhausted,
	};
	ike_xmit_configure(&xc);
	d->start_ms = ike_now_ms();
	return 0;
}

void ikd_free_core(struct ikd *d)
{
	ike_sa_table_free(&d->sas);
	free(d->plain);
	d->plain = NULL;
	ikd_conf_free(d->conf);
	d->conf = NULL;
}

int ikd_send(struct ikd *d, const struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	if (d->send_hook)
		return d->send_hook(d->send_hook_arg, sa, pkt, len);
	if (!d->socks_open)
		return -ENOTCONN;
	return ike_sockets_send(&d->socks, &sa->local, &sa->peer, sa->natt, pkt, len);
}

void ikd_event(struct ikd *d, enum ikd_event ev, const struct ike_sa *sa,
	       const struct ipsec_sa *child, const char *reason)
{
	if (d->ctl)
		ikd_ctl_event(d, ev, sa, child, reason);
	if (d->event_hook)
		d->event_hook(d->event_hook_arg, ev, sa, child, reason);
}

void ikd_input(struct ikd *d, const struct ike_packet *pkt)
{
	ikev1_input(d, pkt);
}

static void on_packet(void *arg, const struct ike_packet *pkt)
{
	ikd_input(arg, pkt);
}

int ikd_source_address(struct ikd *d, const struct ikd_conn *conn,
		       const union ikd_sockaddr *peer, union ikd_sockaddr *out)
{
	if (ikd_host_to_addr(&conn->local, d->conf->set.ike_port, out))
		return 0;
	int fd = socket(peer->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t len = sizeof *out;
	int rc = 0;
	if (connect(fd, &peer->sa, ikd_addr_len(&peer->sa)) < 0 ||
	    getsockname(fd, &out->sa, &len) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0)
		ikd_addr_set_port(out, d->conf->set.ike_port);
	return rc;
}

int ikd_initiate(struct ikd *d, const char *conn_name, const union ikd_sockaddr *peer,
		 uint32_t *id, char *msg, size_t msg_size)
{
	const struct ikd_conn *c = ikd_conf_find_conn(d->conf, conn_name);
	if (!c) {
		snprintf(msg, msg_size, "no connection named '%s' in %s", conn_name,
			 d->conf->path[0] ? d->conf->path : "ikd.conf");
		return -ENOENT;
	}
	union ikd_sockaddr to;
	if (peer)
		to = *peer;
	else if (!ikd_host_to_addr(&c->remote, c->remote_port, &to)) {
		snprintf(msg, msg_size, "connection '%s' has remote %%any: give a peer address",
			 conn_name);
		return -EDESTADDRREQ;
	}
	if (!ikd_addr_port(&to.sa))
		ikd_addr_set_port(&to, c->remote_port);
	struct ike_sa *sa = NULL;
	int rc = ikev1_main_initiate(d, c, &to, &sa);
	if (rc < 0) {
		snprintf(msg, msg_size, "cannot initiate '%s': %s", conn_name,
			 rc == -EAGAIN ? "too many half-open SAs" : strerror(-rc));
		return rc;
	}
	if (id)
		*id = sa->id;
	return 0;
}

/* Does an ISAKMP SA restored from the saved state carry connection c already? */
static bool conn_restored(struct ikd *d, const struct ikd_conn *c)
{
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		for (const struct ike_sa *sa = d->sas.by_cookie[i]; sa; sa = sa->next_by_cookie)
			if (sa->established && !sa->dead && sa->conn &&
			    strcmp(sa->conn->name, c->name) == 0)
				return true;
	return false;
}

static void start_connections(struct ikd *d)
{
	for (size_t i = 0; i < d->conf->n_conns; i++) {
		const struct ikd_conn *c = &d->conf->conns[i];
		if (c->aggressive) {
			char q[LOG_QUOTE_MAX];
			log_warn("aggressive_mode_enabled", "conn=%s warning=\"Aggressive Mode "
				 "exposes a hash of the PSK to offline cracking\"",
				 log_quote(q, sizeof q, c->name));
		}
		if (c->start != IKD_START_NOW || conn_restored(d, c))
			continue;
		char msg[200];
		if (ikd_initiate(d, c->name, NULL, NULL, msg, sizeof msg) < 0)
			log_err("ike_start_failed", "reason=\"%s\"", msg);
	}
}

int ikd_start(struct ikd *d)
{
	int rc = xfrm_open(&d->xfrm);
	if (rc < 0) {
		log_err("xfrm_open_failed", "errno=%d error=\"%s\" hint=\"ikd needs CAP_NET_ADMIN\"",
			-rc, strerror(-rc));
		return rc;
	}
	d->kernel.ops = &ikd_kernel_xfrm_ops;
	d->kernel.ctx = d->xfrm;
	/* Before the control socket opens: l2tpd's first resync sees the restored SAs. */
	struct ike_restore_stats restored;
	ike_restore_start(d, &restored);
	struct ike_socket_opts so = {
		.port = d->conf->set.ike_port, .natt_port = d->conf->set.natt_port,
		.ipv6 = d->conf->set.ipv6, .mark = d->conf->set.socket_mark, .bypass = true,
	};
	rc = ike_sockets_open(&d->socks, d->loop, &so, on_packet, d);
	if (rc < 0)
		return rc;
	d->socks_open = true;
	rc = ikd_ctl_start(d);
	if (rc < 0)
		return rc;
	start_connections(d);
	log_notice("ikd_started", "version=%s conf=%s connections=%zu psks=%zu ike_port=%u "
		   "natt_port=%u", L2SEC_VERSION, d->conf->path, d->conf->n_conns, d->conf->n_psks,
		   d->conf->set.ike_port, d->conf->set.natt_port);
	return 0;
}

void ikd_stop(struct ikd *d)
{
	/* Kernel SAs and policies stay: traffic must survive a restart of ikd. */
	ikd_ctl_stop(d);
	if (d->socks_open)
		ike_sockets_close(&d->socks);
	d->socks_open = false;
	size_t n = d->sas.count;
	bool saved = d->store != NULL;
	ike_restore_stop(d);    /* the saved state stays for the next instance */
	ikd_free_core(d);
	if (d->xfrm)
		xfrm_close(d->xfrm);
	d->xfrm = NULL;
	log_notice("ikd_stopped", "ike_sas=%zu kernel_sas=kept state=%s", n,
		   saved ? "saved" : "none");
}

/* Every error logged; msg says how many and which came first. */
static void refuse(const struct ikd *d, const struct ikd_conf_diag *diag, int rc, char *msg,
		   size_t msg_size)
{
	char q[LOG_QUOTE_MAX];
	for (unsigned i = 0; i < diag->n && i < IKD_DIAG_MAX; i++)
		log_err("config_error", "error=%s", log_quote(q, sizeof q, diag->text[i]));
	snprintf(msg, msg_size, "reload refused, old configuration kept: %u error(s), first: %s",
		 diag->n, diag->n ? diag->text[0] : strerror(-rc));
	log_warn("reload_refused", "errors=%u conf=%s", diag->n, d->conf_path);
}

/* What applies at once; the rest takes effect for new negotiations through d->conf. */
static void apply(struct ikd *d, struct ikd_conf *conf)
{
	/* Established SAs keep the configuration they were made under (a reference). */
	ikd_conf_free(d->conf);
	d->conf = conf;
	d->sas.half_open_max = conf->set.half_open_max;
	d->sas.half_open_per_peer = conf->set.half_open_per_peer;
	struct ike_xmit_config xc = *ike_xmit_get_config();
	xc.base_ms = conf->set.retransmit_ms;
	xc.max_tries = conf->set.retransmit_tries + 1;
	ike_xmit_configure(&xc);
	int lvl = log_level_parse(conf->set.log_level);
	if (!d->foreground && lvl >= 0)
		log_set_level((enum log_level)lvl);
}

int ikd_reload(struct ikd *d, char *msg, size_t msg_size)
{
	struct ikd_conf *conf = NULL;
	struct ikd_conf_diag *diag = calloc(1, sizeof *diag);
	char restart[160] = "";
	int rc = -ENOMEM;
	sd_notify_reloading();
	if (diag)
		rc = ikd_conf_load(d->conf_path, d->secrets_override, true, &conf, diag);
	if (!diag) {
		snprintf(msg, msg_size, "reload failed: out of memory");
	} else if (rc < 0) {
		refuse(d, diag, rc, msg, msg_size);
		rc = -EINVAL;
	} else {
		ikd_conf_keep_restart_only(d->conf, conf, d->ctl_path != NULL, restart,
					   sizeof restart);
		apply(d, conf);
		snprintf(msg, msg_size, "reloaded: %zu connections, %zu PSKs%s%s", conf->n_conns,
			 conf->n_psks, restart[0] ? "; needs restart: " : "", restart);
		log_notice("ikd_reloaded", "connections=%zu psks=%zu needs_restart=\"%s\"",
			   conf->n_conns, conf->n_psks, restart);
		if (restart[0])
			log_warn("reload_needs_restart", "settings=\"%s\" reason=\"kept their "
				 "running value\"", restart);
	}
	free(diag);
	sd_notify_state("READY=1");
	sd_notify_statusf("%s", msg);
	return rc;
}
