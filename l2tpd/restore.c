/*
 * Taking tunnels and sessions back after a restart. See restore.h.
 */
#include "l2tpd/restore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ppp-ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "l2tpd/daemon.h"
#include "l2tpd/handover.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/session.h"
#include "l2tpd/statefile.h"
#include "l2tpd/statestore.h"
#include "l2tpd/tunnel.h"

struct stored_fd {
	char name[STATESTORE_NAME_MAX];
	int fd;                         /* -1 once taken */
};

struct slot_rec {
	size_t slot;
	struct l2st_record rec;
};

/* One restore per process (at start-up); freed by restore_end(). */
static struct restore_ctx {
	struct stored_fd *fds;
	size_t n_fds, cap_fds;
	int state_fd;
	struct slot_rec *recs;
	size_t n_recs, cap_recs;
	char (*ifnames)[IFNAMSIZ];      /* restored interfaces, sorted, for the sweep */
	size_t n_ifnames;
	unsigned tunnels, sessions, dropped;
} rc = { .state_fd = -1 };

static int cmp_fd(const void *a, const void *b)
{
	return strcmp(((const struct stored_fd *)a)->name, ((const struct stored_fd *)b)->name);
}

static void collect_fd(int fd, const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "state") == 0 && rc.state_fd < 0) {
		rc.state_fd = fd;
		return;
	}
	if (rc.n_fds == rc.cap_fds) {
		size_t cap = rc.cap_fds ? rc.cap_fds * 2 : 256;
		struct stored_fd *n = realloc(rc.fds, cap * sizeof *n);

		if (!n) {
			close(fd);
			sd_notify_fdstore_remove(name);
			return;
		}
		rc.fds = n;
		rc.cap_fds = cap;
	}
	snprintf(rc.fds[rc.n_fds].name, sizeof rc.fds[0].name, "%s", name);
	rc.fds[rc.n_fds++].fd = fd;
}

/* The stored descriptor called name, now the caller's; -1 when there is none. */
static int take_fd(const char *name)
{
	struct stored_fd key, *f;
	int fd;

	snprintf(key.name, sizeof key.name, "%s", name);
	f = rc.n_fds ? bsearch(&key, rc.fds, rc.n_fds, sizeof *rc.fds, cmp_fd) : NULL;
	if (!f)
		return -1;
	fd = f->fd;
	f->fd = -1;
	return fd;
}

static void collect_rec(void *arg, size_t slot, const struct l2st_record *rec, int err)
{
	(void)arg;
	if (err < 0 || !rec) {
		rc.dropped++;
		log_warn("restore_dropped", "slot=%zu reason=\"corrupt record in the state file\"",
			 slot);
		return;
	}
	if (rc.n_recs == rc.cap_recs) {
		size_t cap = rc.cap_recs ? rc.cap_recs * 2 : 64;
		struct slot_rec *n = realloc(rc.recs, cap * sizeof *n);

		if (!n) {
			rc.dropped++;
			return;
		}
		rc.recs = n;
		rc.cap_recs = cap;
	}
	rc.recs[rc.n_recs].slot = slot;
	rc.recs[rc.n_recs++].rec = *rec;
}

/* ---- tunnels ------------------------------------------------------------------------ */

/* fd is a UDP socket of ours connected to peer. */
static const char *check_tunnel_fd(struct l2tpd *d, int fd, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage a, l = { 0 };
	socklen_t alen = sizeof a, llen = sizeof l;
	const struct sockaddr_in *ls = (const struct sockaddr_in *)&l;
	const struct sockaddr_in *cs = (const struct sockaddr_in *)&d->conf->listen;

	memset(&a, 0, sizeof a);
	if (getpeername(fd, (struct sockaddr *)&a, &alen) < 0 || !l2tpd_sa_equal(&a, peer))
		return "stored socket is not connected to the recorded peer";
	/* sin_port and sin6_port share their offset */
	if (getsockname(fd, (struct sockaddr *)&l, &llen) < 0 || ls->sin_port != cs->sin_port)
		return "stored socket is not bound to our L2TP port";
	return NULL;
}

static void restore_tunnel(struct l2tpd *d, const struct slot_rec *sr)
{
	const struct l2st_tunnel *rt = &sr->rec.u.t;
	struct tunnel_resume res = { .peer_tid = rt->peer_tid, .peer_rws = rt->peer_rws,
				     .ns = rt->ns, .nr = rt->nr, .created_ms = rt->created_ms,
				     .host = rt->host, .store_slot = (unsigned)sr->slot + 1 };
	struct kl2tp_tunnel_info info;
	char name[STATESTORE_NAME_MAX], ps[64];
	const char *why = NULL;
	struct tunnel *t;
	int fd;

	statestore_tunnel_name(name, rt->tid);
	fd = take_fd(name);
	if (fd < 0)
		why = "no descriptor in the fd store";
	else if (statestore_slot_take(d, sr->slot) < 0)
		why = "state slot taken twice";
	else
		why = check_tunnel_fd(d, fd, &rt->peer);
	if (why) {
		log_warn("restore_dropped", "tunnel=%u peer=%s reason=\"%s\"", rt->tid,
			 l2tpd_fmt_sa(&rt->peer, ps, sizeof ps), why);
		rc.dropped++;
		if (fd >= 0) {
			close(fd);
			sd_notify_fdstore_remove(name);
		}
		return;
	}
	t = tunnel_adopt(d, rt->tid, fd, &rt->peer, &res);
	if (!t) {
		log_warn("restore_dropped", "tunnel=%u reason=\"tunnel id in use or no memory\"",
			 rt->tid);
		rc.dropped++;
		sd_notify_fdstore_remove(name);
		return;
	}
	for (size_t off = 0; off + 2 <= rt->pending_len;) {
		size_t len = (size_t)rt->pending[off] << 8 | rt->pending[off + 1];
		uint8_t msg[L2ST_PENDING_MAX];

		memcpy(msg, rt->pending + off + 2, len);   /* validated by the parser */
		tunnel_send(t, msg, len);
		off += 2 + len;
	}
	if (kl2tp_tunnel_get(&d->kl2tp, t->tid, &info) < 0 || info.peer_tunnel_id != t->peer_tid) {
		t->kernel = false;
		log_warn("restore_dropped", "tunnel=%u reason=\"kernel tunnel gone\"", t->tid);
		rc.dropped++;
		tunnel_close(t, L2TP_STOPCCN_GENERAL_ERROR, 0, "kernel tunnel lost over a restart");
		return;
	}
	rc.tunnels++;
	log_info("tunnel_restored",
		 "tunnel=%u peer_tunnel=%u peer=%s host=%s ns=%u nr=%u pending=%u",
		 t->tid, t->peer_tid, l2tpd_fmt_sa(&t->peer, ps, sizeof ps),
		 t->hostname[0] ? t->hostname : "-", rt->ns, rt->nr, rt->pending_len);
}

/* ---- sessions ----------------------------------------------------------------------- */

/* The session's descriptors and kernel objects are the recorded ones; NULL or why not. */
static const char *check_session(struct l2tpd *d, struct session *s, const struct l2st_session *rs)
{
	struct kl2tp_session_info ks;
	struct rtnl_link_info li;
	int unit = -1;

	/* No PPPIOCGCHAN on the PPPoL2TP socket: it waits an RCU grace period in the kernel
	 * (kppp_bind.h), too slow for thousands of sessions on the event loop. The socket is
	 * known by its name, and the kernel session by its ids below. */
	if (s->k.pppox_fd < 0 || s->k.chan_fd < 0 || s->k.unit_fd < 0)
		return "descriptor missing from the fd store";
	if (ioctl(s->k.unit_fd, PPPIOCGUNIT, &unit) < 0 || unit != rs->unit)
		return "PPP unit descriptor has another unit";
	if (rtnl_link_get(&d->rtnl, rs->ifindex, NULL, &li) < 0 || strcmp(li.ifname, rs->ifname))
		return "interface gone or renamed";
	if (kl2tp_session_get(&d->kl2tp, rs->tid, rs->sid, &ks) < 0 ||
	    ks.peer_session_id != rs->peer_sid)
		return "kernel session gone";
	return NULL;
}

static void remember_ifname(const char *ifname)
{
	char (*n)[IFNAMSIZ] = realloc(rc.ifnames, (rc.n_ifnames + 1) * sizeof *n);

	if (!n)
		return;
	rc.ifnames = n;
	snprintf(rc.ifnames[rc.n_ifnames++], IFNAMSIZ, "%s", ifname);
}

/* Fill s from its record and bring up its PPP engine; NULL or why not. */
static const char *resume_session(struct l2tpd *d, struct session *s, const struct l2st_session *rs)
{
	struct ppp_link_saved v = {
		.user = rs->user, .method = (enum ppp_auth_method)rs->auth_method,
		.our_magic = rs->our_magic, .peer_magic = rs->peer_magic,
		.our_mru = rs->our_mru, .peer_mru = rs->peer_mru,
		.peer_pfc = rs->peer_pfc, .peer_acfc = rs->peer_acfc, .peer_addr = rs->client_ip,
	};
	struct in_addr ip = { htonl(rs->client_ip) };
	const char *why = check_session(d, s, rs);

	if (why)
		return why;
	s->k.chindex = rs->chindex;
	s->k.unit = rs->unit;
	s->k.ifindex = rs->ifindex;
	snprintf(s->k.ifname, sizeof s->k.ifname, "%s", rs->ifname);
	if (rs->local_ip != ntohl(d->conf->local_ip.s_addr))
		return "local_ip changed in the configuration";
	if (session_claim_names(s, rs->user, ip) < 0)
		return "user or address already taken";
	s->ppp = ppp_session_adopt(s, &v);
	if (!s->ppp)
		return "out of memory";
	s->addr_set = true;
	s->up_announced = true;
	s->up_ms = rs->up_ms;
	session_set_state(s, SESSION_ESTABLISHED);
	return NULL;
}

static void restore_session(struct l2tpd *d, const struct slot_rec *sr)
{
	const struct l2st_session *rs = &sr->rec.u.s;
	struct tunnel *t = tunnel_by_id(d, rs->tid);
	int *fds[3];
	static const char *const parts[3] = { "sock", "chan", "unit" };
	char name[STATESTORE_NAME_MAX], ip[INET_ADDRSTRLEN], q[LOG_QUOTE_MAX];
	struct session *s = t && t->state == TUNNEL_ESTABLISHED ?
			    session_adopt(t, rs->sid, rs->peer_sid) : NULL;
	const char *why;

	if (!s) {
		for (int i = 0; i < 3; i++) {
			statestore_session_name(name, rs->tid, rs->sid, parts[i]);
			int fd = take_fd(name);

			if (fd >= 0) {
				close(fd);
				sd_notify_fdstore_remove(name);
			}
		}
		rc.dropped++;
		log_warn("restore_dropped", "tunnel=%u session=%u reason=\"%s\"", rs->tid, rs->sid,
			 t ? "session id in use" : "its tunnel was not restored");
		return;
	}
	s->call_serial = rs->call_serial;
	if (rs->created_ms <= s->created_ms)
		s->created_ms = rs->created_ms;
	if (statestore_slot_take(d, sr->slot) == 0)
		s->store_slot = (unsigned)sr->slot + 1;
	if (rs->state != L2ST_SESS_ESTABLISHED) {
		rc.dropped++;
		session_close(s, true, L2TP_CDN_ADMIN,
			      "l2tpd restarted while the session was negotiating");
		return;
	}
	fds[0] = &s->k.pppox_fd;
	fds[1] = &s->k.chan_fd;
	fds[2] = &s->k.unit_fd;
	for (int i = 0; i < 3; i++) {
		statestore_session_name(name, rs->tid, rs->sid, parts[i]);
		*fds[i] = take_fd(name);
	}
	s->fds_stored = true;   /* so that a teardown removes them from the store */
	why = resume_session(d, s, rs);
	if (why) {
		rc.dropped++;
		log_warn("restore_dropped", "tunnel=%u session=%u user=%s reason=\"%s\"", rs->tid,
			 rs->sid, log_quote(q, sizeof q, rs->user), why);
		session_close(s, true, L2TP_CDN_ADMIN, why);
		return;
	}
	remember_ifname(s->k.ifname);
	rc.sessions++;
	inet_ntop(AF_INET, &s->client_ip, ip, sizeof ip);
	log_info("session_restored",
		 "tunnel=%u session=%u user=%s ip=%s if=%s ifindex=%d age=%llus",
		 t->tid, s->sid, log_quote(q, sizeof q, s->user), ip, s->k.ifname, s->k.ifindex,
		 (unsigned long long)session_age_s(s));
}

/* ---- start-up ----------------------------------------------------------------------- */

static int cmp_ifname(const void *a, const void *b)
{
	return strcmp(a, b);
}

int restore_begin(struct l2tpd *d)
{
	const uint8_t *data;
	size_t len = 0;
	int r = sd_listen_fds_named(collect_fd, NULL);

	if (r < 0)
		log_warn("restore_fds_bad", "err=%d reason=\"malformed LISTEN_FDS\"", r);
	if (!sd_notify_enabled() && handover_receive(d->conf->ctl_path, collect_fd, NULL) ==
	    -EALREADY)
		return -EALREADY;
	if (rc.n_fds)
		qsort(rc.fds, rc.n_fds, sizeof *rc.fds, cmp_fd);
	r = statestore_open(d, rc.state_fd);
	rc.state_fd = -1;
	data = statestore_data(d, &len);
	if (r < 0 || !data)
		return r;
	if (l2st_parse(data, len, collect_rec, NULL) < 0)
		return 0;   /* a fresh file: nothing to restore */
	for (size_t i = 0; i < rc.n_recs; i++)
		if (rc.recs[i].rec.kind == L2ST_TUNNEL)
			restore_tunnel(d, &rc.recs[i]);
	for (size_t i = 0; i < rc.n_recs; i++)
		if (rc.recs[i].rec.kind == L2ST_SESSION)
			restore_session(d, &rc.recs[i]);
	if (rc.n_ifnames)
		qsort(rc.ifnames, rc.n_ifnames, sizeof *rc.ifnames, cmp_ifname);
	return 0;
}

bool restore_keep_tunnel(uint32_t tunnel_id, void *arg)
{
	struct l2tpd *d = arg;
	struct tunnel *t = tunnel_id < 65536 ? tunnel_by_id(d, (uint16_t)tunnel_id) : NULL;

	return t && t->kernel;
}

bool restore_keep_ifname(const char *ifname, void *arg)
{
	char key[IFNAMSIZ];

	(void)arg;
	snprintf(key, sizeof key, "%s", ifname);
	return rc.n_ifnames &&
	       bsearch(key, rc.ifnames, rc.n_ifnames, sizeof *rc.ifnames, cmp_ifname);
}

/* Kernel sessions of restored tunnels that no restored session owns. */
struct orphan_list {
	struct l2tpd *d;
	uint32_t (*ids)[2];
	size_t n;
};

static int find_orphan(const struct kl2tp_session_info *ks, void *arg)
{
	struct orphan_list *a = arg;
	uint32_t (*n)[2];

	if (ks->tunnel_id > 65535 || ks->session_id > 65535 ||
	    !restore_keep_tunnel(ks->tunnel_id, a->d) ||
	    session_lookup(a->d, (uint16_t)ks->tunnel_id, (uint16_t)ks->session_id))
		return 0;
	n = realloc(a->ids, (a->n + 1) * sizeof *n);
	if (!n)
		return 0;
	a->ids = n;
	a->ids[a->n][0] = ks->tunnel_id;
	a->ids[a->n++][1] = ks->session_id;
	return 0;
}

void restore_end(struct l2tpd *d)
{
	struct orphan_list o = { d, NULL, 0 };
	unsigned leftover = 0;

	if (rc.tunnels && d->kl2tp.k.nl)
		kl2tp_session_dump(&d->kl2tp, find_orphan, &o);
	for (size_t i = 0; i < o.n; i++)
		kl2tp_session_delete(&d->kl2tp, o.ids[i][0], o.ids[i][1]);
	for (size_t i = 0; i < rc.n_fds; i++)
		if (rc.fds[i].fd >= 0) {
			close(rc.fds[i].fd);
			sd_notify_fdstore_remove(rc.fds[i].name);
			leftover++;
		}
	statestore_free_untaken(d);
	if (rc.tunnels || rc.sessions || rc.dropped || leftover || o.n)
		log_notice("restored", "tunnels=%u sessions=%u dropped=%u stray_fds=%u "
			   "stray_kernel_sessions=%zu",
			   rc.tunnels, rc.sessions, rc.dropped, leftover, o.n);
	free(o.ids);
	free(rc.fds);
	free(rc.recs);
	free(rc.ifnames);
	memset(&rc, 0, sizeof rc);
	rc.state_fd = -1;
}
