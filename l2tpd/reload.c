/*
 * Configuration reload. See reload.h.
 */
#include "l2tpd/reload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "l2tpd/addrs.h"
#include "l2tpd/daemon.h"
#include "l2tpd/l2tpd_ctl.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

/* Append ", what" (or "what") to list. */
static void list_add(char *list, size_t cap, const char *what)
{
	size_t n = strlen(list);

	snprintf(list + n, cap - n, "%s%s", n ? ", " : "", what);
}

/*
 * Settings a running process cannot change: nc gets the running value back and the
 * setting is named in restart. (The listener, control socket and interfaces exist
 * already; the firewall set, hook, LAC links and user are set up once at start.)
 */
static void keep_restart_only(const struct l2tpd_conf *cur, struct l2tpd_conf *nc,
			      char *restart, size_t cap)
{
#define KEEP_STR(field, name)                                   \
	do {                                                    \
		if (strcmp(cur->field, nc->field) != 0)         \
			list_add(restart, cap, name);           \
		memcpy(nc->field, cur->field, sizeof nc->field); \
	} while (0)

	if (cur->listen_len != nc->listen_len || !l2tpd_sa_equal(&cur->listen, &nc->listen))
		list_add(restart, cap, "listen/port");
	nc->listen = cur->listen;
	nc->listen_len = cur->listen_len;
	if (!cur->ctl_path_fixed && strcmp(cur->ctl_path, nc->ctl_path) != 0)
		list_add(restart, cap, "control_socket");
	memcpy(nc->ctl_path, cur->ctl_path, sizeof nc->ctl_path);
	nc->ctl_path_fixed = cur->ctl_path_fixed;
	KEEP_STR(if_prefix, "interface_prefix");
	KEEP_STR(firewall_set, "firewall_set");
	KEEP_STR(hook, "hook");
	KEEP_STR(run_user, "user");
	KEEP_STR(run_group, "group");
#undef KEEP_STR
	if (cur->n_lacs != nc->n_lacs ||
	    memcmp(cur->lacs, nc->lacs, cur->n_lacs * sizeof cur->lacs[0]) != 0)
		list_add(restart, cap, "lac");
	memcpy(nc->lacs, cur->lacs, sizeof nc->lacs);
	nc->n_lacs = cur->n_lacs;
}

/*
 * Load the files again into nc. On errors, every one is logged and msg says how many
 * and which came first. 0 or -EINVAL / -ENOMEM.
 */
static int load_new(const struct l2tpd_conf *cur, struct l2tpd_conf *nc, char *msg,
		    size_t msg_size)
{
	char *text = NULL, *line, *save = NULL, q[LOG_QUOTE_MAX];
	char first[L2TPD_RELOAD_MSG_MAX] = "";
	size_t len = 0;
	unsigned n = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f) {
		snprintf(msg, msg_size, "reload failed: out of memory");
		return -ENOMEM;
	}
	l2tpd_conf_defaults(nc);
	r = l2tpd_conf_load(nc, cur->conf_path,
			    cur->secrets_override[0] ? cur->secrets_override : NULL, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!n++)
			snprintf(first, sizeof first, "%s", line);
		log_err("config_error", "error=%s", log_quote(q, sizeof q, line));
	}
	free(text);
	if (r < 0) {
		snprintf(msg, msg_size, "reload refused, old configuration kept: %u error(s), "
			 "first: %s", n, n ? first : "cannot load");
		log_warn("reload_refused", "errors=%u conf=%s", n, cur->conf_path);
		return -EINVAL;
	}
	return 0;
}

/* End the sessions the new user database no longer allows (users.h verdicts). */
static unsigned end_affected_sessions(struct l2tpd *d)
{
	const struct users *db = d->conf->users;
	char q[LOG_QUOTE_MAX];
	unsigned n = 0;

	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];
		struct session *s, *next;

		/* LAC calls authenticate at the far end: the user database is not theirs. */
		if (!t || t->lac || t->state == TUNNEL_CLOSING)
			continue;
		for (s = t->sessions; s; s = next) {
			enum users_verdict v;

			next = s->tunnel_next;
			if (!s->user[0] || !s->have_addr)
				continue;   /* not authorized yet: it will be, by the new users */
			v = users_session_verdict(db, s->user, ntohl(s->client_ip.s_addr));
			if (v == USERS_KEEP)
				continue;
			log_notice("reload_session_ended", "tunnel=%u session=%u user=%s reason=%s",
				   t->tid, s->sid, log_quote(q, sizeof q, s->user),
				   users_verdict_reason(v));
			l2tpd_end_session(s, users_verdict_reason(v));
			n++;
		}
	}
	return n;
}

/* Make nc the running configuration (d->conf keeps its address), pools with it. The
 * previous contents end up in nc, for the caller to free. */
static void swap_in(struct l2tpd *d, struct l2tpd_conf *nc, struct ippool **pools)
{
	struct l2tpd_conf *old = d->conf;
	unsigned old_n_pools = old->n_pools;
	struct l2tpd_conf tmp;

	tmp = *old;
	*old = *nc;
	*nc = tmp;
	l2tpd_pools_replace(d, old_n_pools, pools);
	ppp_session_setup(d);   /* PPP options of new sessions */
}

int l2tpd_reload(struct l2tpd *d, char *msg, size_t msg_size)
{
	struct l2tpd_conf *nc = calloc(1, sizeof *nc);
	struct ippool **pools = NULL;
	struct users_diff diff;
	char restart[200] = "";
	unsigned ended;
	int r;

	sd_notify_reloading();
	if (!nc) {
		snprintf(msg, msg_size, "reload failed: out of memory");
		r = -ENOMEM;
		goto out;
	}
	r = load_new(d->conf, nc, msg, msg_size);
	if (r < 0)
		goto out;
	keep_restart_only(d->conf, nc, restart, sizeof restart);
	r = l2tpd_pools_build_for(d, nc, &pools);
	if (r < 0) {
		snprintf(msg, msg_size, "reload failed, old configuration kept: address pools: %s",
			 strerror(-r));
		goto out;
	}
	users_diff(d->conf->users, nc->users, &diff);
	swap_in(d, nc, pools);
	ended = end_affected_sessions(d);
	snprintf(msg, msg_size, "reloaded: %zu users (%zu added, %zu removed, %zu with a new "
		 "address, %zu with a new secret), %u session%s ended%s%s",
		 l2tpd_conf_n_users(d->conf), diff.added, diff.removed, diff.ip_changed,
		 diff.secret_changed, ended, ended == 1 ? "" : "s",
		 restart[0] ? "; needs restart: " : "", restart);
	log_notice("reloaded", "users=%zu added=%zu removed=%zu ip_changed=%zu "
		   "secret_changed=%zu sessions_ended=%u pools=%u needs_restart=\"%s\"",
		   l2tpd_conf_n_users(d->conf), diff.added, diff.removed, diff.ip_changed,
		   diff.secret_changed, ended, d->conf->n_pools, restart);
	if (restart[0])
		log_warn("reload_needs_restart", "settings=\"%s\" reason=\"kept their running "
			 "value\"", restart);
out:
	if (nc)
		l2tpd_conf_free(nc);
	free(nc);
	sd_notify_state("READY=1");
	sd_notify_statusf("%s", msg);
	return r;
}

void l2tpd_reload_signal(void *d)
{
	char msg[L2TPD_RELOAD_MSG_MAX];

	l2tpd_reload(d, msg, sizeof msg);   /* logged inside */
}
