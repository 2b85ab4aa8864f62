/*
 * The restart state: records in a common/state_store.h memfd, and fd-store names.
 * See statestore.h.
 */
#include "l2tpd/statestore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "common/state_store.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/session.h"
#include "l2tpd/statefile.h"
#include "l2tpd/tunnel.h"

#define STATE_FD_NAME "state"

struct statestore {
	struct state_store *file;       /* common/state_store.h, format l2st_format */
	uint8_t *image;                 /* the file as found at start, until the restore ends */
	size_t image_len;
	bool fdstore;                   /* systemd keeps the descriptors (else: handover.h) */
	uint8_t body[L2ST_BODY_MAX];    /* a record being encoded */
};

/* Keep fds under name: systemd's store, or nothing to do when a successor will get them
 * from us (handover.h). */
static int keep_fds(const struct statestore *st, const char *name, const int *fds, size_t n)
{
	return st->fdstore ? sd_notify_fdstore(name, fds, n) : 0;
}

static void unkeep_fds(const struct statestore *st, const char *name)
{
	if (st->fdstore)
		sd_notify_fdstore_remove(name);
}

/* Take over fd (-1: a new memfd) as the store. *fresh: a new memfd that needs keeping. */
static int open_file(struct statestore *st, int fd, bool *fresh)
{
	uint8_t boot[STATE_STORE_BOOT_ID_LEN];
	const char *why = "";
	int r;

	*fresh = fd < 0;
	if (*fresh && (fd = state_store_memfd("l2tpd-state")) < 0)
		return fd;
	state_store_boot_id(boot);
	r = state_store_open(&l2st_format, fd, *fresh, boot, &st->file, &st->image,
			     &st->image_len, &why);
	if (why[0])
		log_warn("restore_state_unusable", "reason=\"%s\"", why);
	return r;
}

int statestore_open(struct l2tpd *d, int fd)
{
	struct statestore *st;
	bool fresh;
	int r;

	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->fdstore = sd_notify_enabled();
	d->store = st;
	r = open_file(st, fd, &fresh);
	if (r < 0 && !fresh) {
		/* not even a file we can write: start over on a memfd of our own */
		log_warn("restore_state_unusable", "err=%d reason=\"cannot use the stored file\"",
			 r);
		unkeep_fds(st, STATE_FD_NAME);
		r = open_file(st, -1, &fresh);
	}
	if (r == 0 && fresh) {
		int mfd = state_store_fd(st->file);

		r = keep_fds(st, STATE_FD_NAME, &mfd, 1);
	}
	if (r < 0) {
		log_err("state_store_failed", "err=%d reason=\"restarts will drop sessions\"", r);
		statestore_close(d);
		return r;
	}
	return 0;
}

void statestore_close(struct l2tpd *d)
{
	struct statestore *st = d->store;

	if (!st)
		return;
	state_store_close(st->file);
	state_store_image_free(st->image, st->image_len);
	free(st);
	d->store = NULL;
}

bool statestore_uses_fdstore(const struct l2tpd *d)
{
	return d->store && d->store->fdstore;
}

int statestore_fd(const struct l2tpd *d)
{
	return d->store && d->store->file ? state_store_fd(d->store->file) : -1;
}

const uint8_t *statestore_data(const struct l2tpd *d, size_t *len)
{
	if (!d->store || !d->store->image)
		return NULL;
	*len = d->store->image_len;
	return d->store->image;
}

int statestore_slot_take(struct l2tpd *d, size_t slot)
{
	struct store_ref ref = { .slot = (uint32_t)slot + 1, .n = 1 };

	if (!d->store || slot >= UINT32_MAX)
		return -EINVAL;
	return state_store_keep(d->store->file, &ref);
}

void statestore_free_untaken(struct l2tpd *d)
{
	struct statestore *st = d->store;

	if (!st)
		return;
	state_store_sweep(st->file);
	state_store_image_free(st->image, st->image_len);
	st->image = NULL;
	st->image_len = 0;
}

/* Write rec into *slot1 (the store_ref slot, 0: none yet, allocated). 0 or -errno. */
static int slot_put(struct statestore *st, unsigned *slot1, const struct l2st_record *rec)
{
	struct store_ref ref = { .slot = *slot1, .n = *slot1 ? 1 : 0 };
	int n = l2st_encode(rec, st->body, sizeof st->body);

	if (n < 0)
		return n;
	n = state_store_put(st->file, &ref, (uint8_t)rec->kind, st->body, (size_t)n);
	if (n == 0)
		*slot1 = ref.slot;
	return n;
}

static void slot_release(struct statestore *st, unsigned *slot1)
{
	struct store_ref ref = { .slot = *slot1, .n = 1 };

	if (!*slot1)
		return;
	state_store_del(st->file, &ref);
	*slot1 = 0;
}

void statestore_tunnel_name(char *buf, uint16_t tid)
{
	snprintf(buf, STATESTORE_NAME_MAX, "t%u", tid);
}

void statestore_session_name(char *buf, uint16_t tid, uint16_t sid, const char *part)
{
	snprintf(buf, STATESTORE_NAME_MAX, "s%u.%u.%s", tid, sid, part);
}

/* ---- tunnels ------------------------------------------------------------------------ */

static void tunnel_pending(const struct tunnel *t, struct l2st_tunnel *rt)
{
	const uint8_t *pkt;
	size_t len;

	for (unsigned i = 0; l2tp_rel_queued(t->rel, i, &pkt, &len) == 0; i++) {
		if (len < L2ST_CTRL_MIN || rt->pending_len + 2 + len > L2ST_PENDING_MAX)
			break;   /* left out: dropped at a restart (docs/systemd.md) */
		rt->pending[rt->pending_len++] = (uint8_t)(len >> 8);
		rt->pending[rt->pending_len++] = (uint8_t)len;
		memcpy(rt->pending + rt->pending_len, pkt, len);
		rt->pending_len = (uint16_t)(rt->pending_len + len);
	}
}

void statestore_tunnel_sync(struct tunnel *t)
{
	struct statestore *st = t->d->store;
	struct l2st_record rec = { .kind = L2ST_TUNNEL };
	struct l2st_tunnel *rt = &rec.u.t;
	char name[STATESTORE_NAME_MAX];

	if (!st || t->lac || t->state != TUNNEL_ESTABLISHED || !t->rel || t->d->handing_over)
		return;
	if (!t->fd_stored) {
		statestore_tunnel_name(name, t->tid);
		if (keep_fds(st, name, &t->fd, 1) < 0)
			return;
		t->fd_stored = true;
	}
	rt->tid = t->tid;
	rt->peer_tid = t->peer_tid;
	rt->peer = t->peer;
	rt->ns = l2tp_rel_una(t->rel);
	rt->nr = l2tp_rel_nr(t->rel);
	rt->peer_rws = l2tp_rel_peer_rws(t->rel);
	rt->hello_ms = t->d->conf->hello_ms;
	rt->created_ms = t->created_ms;
	snprintf(rt->host, sizeof rt->host, "%s", t->hostname);
	for (char *c = rt->host; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	tunnel_pending(t, rt);
	if (slot_put(st, &t->store_slot, &rec) < 0)
		log_warn("state_save_failed", "tunnel=%u", t->tid);
}

void statestore_tunnel_gone(struct tunnel *t)
{
	struct statestore *st = t->d->store;
	char name[STATESTORE_NAME_MAX];

	if (!st || t->d->handing_over)
		return;
	slot_release(st, &t->store_slot);
	if (t->fd_stored) {
		statestore_tunnel_name(name, t->tid);
		unkeep_fds(st, name);
		t->fd_stored = false;
	}
}

/* ---- sessions ----------------------------------------------------------------------- */

static const char *const parts[3] = { "sock", "chan", "unit" };

static int session_store_fds(const struct statestore *st, struct session *s)
{
	int fds[3] = { s->k.pppox_fd, s->k.chan_fd, s->k.unit_fd };
	char name[STATESTORE_NAME_MAX];

	for (int i = 0; i < 3; i++) {
		statestore_session_name(name, s->t->tid, s->sid, parts[i]);
		if (fds[i] < 0 || keep_fds(st, name, &fds[i], 1) < 0)
			return -EIO;
	}
	s->fds_stored = true;
	return 0;
}

static void session_record(const struct session *s, struct l2st_session *rs)
{
	const struct l2tpd *d = s->t->d;
	const struct ppp_link *l = &s->ppp->link;
	const struct user *u = l2tpd_conf_user(d->conf, s->user);
	const struct ikd_protection *ike = d->ikd ? ikd_link_lookup(d->ikd, &s->t->peer) : NULL;

	rs->state = L2ST_SESS_ESTABLISHED;
	snprintf(rs->user, sizeof rs->user, "%s", s->user);
	rs->client_ip = ntohl(s->client_ip.s_addr);
	rs->dedicated_ip = u && u->ip == rs->client_ip;
	for (unsigned i = 0; i < d->conf->n_dns && i < 2; i++)
		rs->dns[i] = ntohl(d->conf->dns[i].s_addr);
	snprintf(rs->ifname, sizeof rs->ifname, "%s", s->k.ifname);
	rs->ifindex = s->k.ifindex;
	rs->unit = s->k.unit;
	rs->chindex = s->k.chindex;
	rs->our_mru = l->lcp.our_mru;
	rs->peer_mru = l->lcp.peer_mru;
	rs->our_magic = l->lcp.our_magic;
	rs->peer_magic = l->lcp.peer_magic;
	rs->auth_method = (uint8_t)l->auth.method;
	rs->peer_pfc = l->lcp.peer_pfc;
	rs->peer_acfc = l->lcp.peer_acfc;
	rs->local_ip = ntohl(d->conf->local_ip.s_addr);
	rs->up_ms = s->up_ms;
	if (ike)
		snprintf(rs->ike_id, sizeof rs->ike_id, "%s", ike->peer_id);
}

void statestore_session_sync(struct session *s)
{
	struct statestore *st = s->t->d->store;
	struct l2st_record rec = { .kind = L2ST_SESSION };
	struct l2st_session *rs = &rec.u.s;
	bool up = s->state == SESSION_ESTABLISHED && s->ppp && s->k.unit_fd >= 0;

	if (!st || s->t->lac || !s->t->store_slot || s->t->d->handing_over || !s->ppp)
		return;
	if (up && !s->fds_stored && session_store_fds(st, s) < 0) {
		log_warn("state_save_failed", "tunnel=%u session=%u reason=\"fd store\"", s->t->tid,
			 s->sid);
		return;
	}
	rs->tid = s->t->tid;
	rs->sid = s->sid;
	rs->peer_sid = s->peer_sid;
	rs->call_serial = s->call_serial;
	rs->created_ms = s->created_ms;
	rs->state = L2ST_SESS_NEGOTIATING;
	if (up)
		session_record(s, rs);
	for (char *c = rs->user; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	for (char *c = rs->ike_id; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	if (slot_put(st, &s->store_slot, &rec) < 0)
		log_warn("state_save_failed", "tunnel=%u session=%u", s->t->tid, s->sid);
}

void statestore_session_gone(struct session *s)
{
	struct statestore *st = s->t->d->store;
	char name[STATESTORE_NAME_MAX];

	if (!st || s->t->d->handing_over)
		return;
	slot_release(st, &s->store_slot);
	if (s->fds_stored) {
		for (int i = 0; i < 3; i++) {
			statestore_session_name(name, s->t->tid, s->sid, parts[i]);
			unkeep_fds(st, name);
		}
		s->fds_stored = false;
	}
}
