/*
 * The LAC role. See lac.h.
 */
#include "l2tpd/lac.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secret.h"
#include "l2tpd/daemon.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

#define PPPD_PATH "/usr/sbin/pppd"

struct lac_call {
	ev_child child;
	struct session *s;
	pid_t pid;
};

int lac_connect(struct l2tpd *d, const struct l2tpd_lac *lac)
{
	struct l2tp_msg_builder b;
	uint8_t buf[512], tie[8];
	char ps[64];
	struct tunnel *t = tunnel_create(d, &lac->peer, lac->peer_len, true);
	int r, n;

	if (!t) {
		r = -errno;
		log_err("lac_connect_failed", "lac=%s err=%d", lac->name, r);
		return r;
	}
	t->lac_ctx = (void *)lac;
	random_bytes(tie, sizeof tie);
	r = tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_SCCRQ);
	if (r == 0)
		r = tunnel_put_ctl_conn_avps(t, &b);
	if (r == 0)
		r = l2tp_msg_put(&b, L2TP_AVP_TIE_BREAKER, tie, sizeof tie);
	if (r == 0)
		r = tunnel_put_challenge(t, &b);
	if (r < 0 || (n = l2tp_msg_finish(&b)) < 0) {
		tunnel_destroy(t, "cannot build SCCRQ");
		return -EMSGSIZE;
	}
	t->state = TUNNEL_WAIT_CTL_REPLY;
	log_info("lac_connect", "lac=%s tunnel=%u peer=%s", lac->name, t->tid,
		 l2tpd_fmt_sa(&t->peer, ps, sizeof ps));
	return tunnel_send(t, buf, (size_t)n);
}

void lac_start_all(struct l2tpd *d)
{
	for (unsigned i = 0; i < d->conf->n_lacs; i++)
		if (d->conf->lacs[i].autostart)
			lac_connect(d, &d->conf->lacs[i]);
}

/* The one call of a LAC tunnel: ICRQ (§6.9). */
static void place_call(struct tunnel *t)
{
	struct l2tp_msg_builder b;
	struct session *s = session_new(t);
	uint8_t buf[128];
	int n;

	if (!s) {
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES, "out of memory");
		return;
	}
	s->call_serial = (uint32_t)t->d->stats.sessions_total;
	s->state = SESSION_WAIT_REPLY;
	if (tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_ICRQ) < 0 ||
	    l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, s->sid) < 0 ||
	    l2tp_msg_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, s->call_serial) < 0 ||
	    l2tp_msg_put_u32(&b, L2TP_AVP_BEARER_TYPE, 0) < 0 || (n = l2tp_msg_finish(&b)) < 0) {
		session_close(s, false, 0, "cannot build ICRQ");
		return;
	}
	tunnel_send(t, buf, (size_t)n);
}

/* LAC: SCCRP -> SCCCN (§6.2, §6.3); the tunnel is up, the call goes out. */
void lac_on_sccrp(struct tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_msg_builder b;
	uint8_t buf[256];
	const char *why = NULL;
	uint16_t rws = 0;
	int r, n;

	if (l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, &t->peer_tid) < 0 || !t->peer_tid) {
		tunnel_destroy(t, "SCCRP without Assigned Tunnel ID");
		return;
	}
	l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE, &rws);
	l2tp_rel_set_peer(t->rel, t->peer_tid, rws);
	l2tp_msg_str(m, L2TP_AVP_HOST_NAME, t->hostname, sizeof t->hostname);
	if (!tunnel_check_challenge_response(t, m, L2TP_MSG_SCCRP, &why)) {
		log_warn("tunnel_refused", "tunnel=%u reason=%s", t->tid, why);
		tunnel_close(t, L2TP_STOPCCN_NOT_AUTHORIZED, 0, why);
		return;
	}
	r = tunnel_msg_begin(t, &b, buf, sizeof buf, 0, L2TP_MSG_SCCCN);
	if (r == 0)
		r = tunnel_put_challenge_response(t, &b, m, L2TP_MSG_SCCCN, &why);
	if (r < 0 || (n = l2tp_msg_finish(&b)) < 0) {
		tunnel_close(t, why ? L2TP_STOPCCN_NOT_AUTHORIZED : L2TP_STOPCCN_GENERAL_ERROR, 0,
			     why ? why : "cannot build SCCCN");
		return;
	}
	tunnel_send(t, buf, (size_t)n);
	if (tunnel_kernel_create(t) < 0) {
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, L2TP_ERR_NO_RESOURCES,
			     "kernel refused the tunnel");
		return;
	}
	tunnel_established(t);
	place_call(t);
}

void lac_tunnel_ended(struct tunnel *t, const char *reason)
{
	const struct l2tpd_lac *lac = t->lac_ctx;

	if (lac)
		log_info("lac_down", "lac=%s tunnel=%u reason=%s", lac->name, t->tid,
			 reason[0] ? "see_tunnel_down" : "-");
}

void lac_tunnel_free(struct tunnel *t)
{
	t->lac_ctx = NULL;
}

static void pppd_exited(struct ev_loop *loop, ev_child *w, int revents)
{
	struct lac_call *c = (struct lac_call *)w;
	char why[64];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof why, "pppd exited (status %d)", WEXITSTATUS(w->rstatus));
	c->pid = 0;
	session_close(c->s, true, L2TP_CDN_ADMIN, why);   /* frees c through lac_call_end */
}

/* pppd with the pppol2tp plugin on (a copy of) the call's PPPoL2TP socket. */
static pid_t spawn_pppd(struct session *s, const char *options)
{
	char fdarg[16];
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	int fd = dup(s->k.pppox_fd);   /* without close-on-exec */

	snprintf(fdarg, sizeof fdarg, "%d", fd);
	execl(PPPD_PATH, "pppd", "plugin", "pppol2tp.so", "pppol2tp", fdarg, "nodetach",
	      "file", options, (char *)NULL);
	_exit(127);
}

void lac_call_connected(struct session *s)
{
	const struct l2tpd_lac *lac = s->t->lac_ctx;
	struct lac_call *c;

	if (!lac || !lac->pppd_options[0]) {
		log_warn("lac_call_no_ppp", "tunnel=%u session=%u reason=\"no pppd_options\"",
			 s->t->tid, s->sid);
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c || (c->pid = spawn_pppd(s, lac->pppd_options)) < 0) {
		free(c);
		session_close(s, true, L2TP_CDN_NO_RESOURCES_TEMP, "cannot start pppd");
		return;
	}
	c->s = s;
	s->lac_call = c;
	ev_child_init(&c->child, pppd_exited, c->pid, 0);
	ev_child_start(s->t->d->ev.loop, &c->child);
	log_info("lac_call_up", "lac=%s tunnel=%u session=%u peer_session=%u pppd=%d", lac->name,
		 s->t->tid, s->sid, s->peer_sid, (int)c->pid);
}

void lac_call_end(struct session *s)
{
	struct lac_call *c = s->lac_call;

	if (!c)
		return;
	ev_child_stop(s->t->d->ev.loop, &c->child);
	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, NULL, WNOHANG);
	}
	s->lac_call = NULL;
	free(c);
}
