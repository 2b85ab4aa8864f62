/*
 * The restart state: memfd slots and fd-store names. See statestore.h.
 */
#include "l2tpd/statestore.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ikd_link.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/session.h"
#include "l2tpd/statefile.h"
#include "l2tpd/tunnel.h"

#define STATE_FD_NAME "state"
#define FIRST_SLOTS 64u

struct statestore {
	int fd;
	uint8_t *map;
	size_t n_slots;         /* mapped */
	uint8_t *taken;         /* [n_slots]: in use */
	uint32_t *free_stack;   /* [n_slots]: free slot indices, lowest on top */
	size_t n_free;
	bool fdstore;           /* systemd keeps the descriptors (else: handover.h) */
	uint8_t scratch[L2ST_SLOT_LEN];
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

static size_t file_len(size_t n_slots) { return L2ST_HDR_LEN + n_slots * L2ST_SLOT_LEN; }

static uint8_t *slot_at(struct statestore *st, size_t i)
{
	return st->map + L2ST_HDR_LEN + i * L2ST_SLOT_LEN;
}

/* Map n_slots (growing the file when needed); the new slots go on the free stack. */
static int grow(struct statestore *st, size_t n_slots)
{
	size_t old = st->n_slots;
	uint8_t *map, *taken;
	uint32_t *fs;
	struct stat sb;

	if (fstat(st->fd, &sb) < 0)
		return -errno;
	if ((size_t)sb.st_size < file_len(n_slots) &&
	    ftruncate(st->fd, (off_t)file_len(n_slots)) < 0)
		return -errno;
	map = mmap(NULL, file_len(n_slots), PROT_READ | PROT_WRITE, MAP_SHARED, st->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	taken = realloc(st->taken, n_slots);
	fs = taken ? realloc(st->free_stack, n_slots * sizeof *fs) : NULL;
	if (taken)
		st->taken = taken;
	if (!fs) {
		munmap(map, file_len(n_slots));
		return -ENOMEM;
	}
	st->free_stack = fs;
	if (st->map)
		munmap(st->map, file_len(old));
	st->map = map;
	memset(st->taken + old, 0, n_slots - old);
	for (size_t i = n_slots; i > old; i--)
		st->free_stack[st->n_free++] = (uint32_t)(i - 1);
	st->n_slots = n_slots;
	return 0;
}

int statestore_open(struct l2tpd *d, int fd)
{
	struct statestore *st;
	struct stat sb;
	size_t n = FIRST_SLOTS;
	bool fresh = true;
	int r;

	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	st->fdstore = sd_notify_enabled();
	if (fd >= 0 && fstat(fd, &sb) == 0 && (size_t)sb.st_size >= L2ST_HDR_LEN) {
		uint8_t hdr[L2ST_HDR_LEN];

		if (pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr &&
		    l2st_header_check(hdr, sizeof hdr) == 0) {
			fresh = false;
			n = ((size_t)sb.st_size - L2ST_HDR_LEN) / L2ST_SLOT_LEN;
			if (n < FIRST_SLOTS)
				n = FIRST_SLOTS;
		}
	}
	if (fresh) {
		if (fd >= 0) {
			log_warn("restore_state_unusable",
				 "reason=\"not a state file of this version\"");
			close(fd);
			unkeep_fds(st, STATE_FD_NAME);
		}
		fd = memfd_create("l2tpd-state", MFD_CLOEXEC);
	}
	st->fd = fd;
	r = fd < 0 ? -errno : grow(st, n);
	if (r == 0 && !fresh)
		st->n_free = 0;   /* records to restore: the stack is built once they are taken */
	if (r == 0 && fresh) {
		l2st_header_write(st->map);
		r = keep_fds(st, STATE_FD_NAME, &st->fd, 1);
	}
	if (r < 0) {
		log_err("state_store_failed", "err=%d reason=\"restarts will drop sessions\"", r);
		d->store = st;
		statestore_close(d);
		return r;
	}
	d->store = st;
	return 0;
}

void statestore_close(struct l2tpd *d)
{
	struct statestore *st = d->store;

	if (!st)
		return;
	if (st->map)
		munmap(st->map, file_len(st->n_slots));
	if (st->fd >= 0)
		close(st->fd);
	free(st->taken);
	free(st->free_stack);
	free(st);
	d->store = NULL;
}

bool statestore_uses_fdstore(const struct l2tpd *d)
{
	return d->store && d->store->fdstore;
}

int statestore_fd(const struct l2tpd *d)
{
	return d->store ? d->store->fd : -1;
}

const uint8_t *statestore_data(const struct l2tpd *d, size_t *len)
{
	if (!d->store)
		return NULL;
	*len = file_len(d->store->n_slots);
	return d->store->map;
}

int statestore_slot_take(struct l2tpd *d, size_t slot)
{
	struct statestore *st = d->store;

	/* O(1): the free stack is rebuilt by statestore_free_untaken() */
	if (!st || slot >= st->n_slots || st->taken[slot])
		return -EINVAL;
	st->taken[slot] = 1;
	return 0;
}

/* Clear a slot: the kind byte first, so a reader never sees half a record as valid. */
static void slot_clear(struct statestore *st, size_t i)
{
	__atomic_store_n(slot_at(st, i), (uint8_t)L2ST_FREE, __ATOMIC_RELEASE);
	memset(slot_at(st, i) + 1, 0, L2ST_SLOT_LEN - 1);
}

void statestore_free_untaken(struct l2tpd *d)
{
	struct statestore *st = d->store;

	if (!st)
		return;
	/* lowest free slots on top, used first: the file stays dense */
	st->n_free = 0;
	for (size_t i = st->n_slots; i > 0; i--)
		if (!st->taken[i - 1]) {
			slot_clear(st, i - 1);
			st->free_stack[st->n_free++] = (uint32_t)(i - 1);
		}
}

/* Write rec into *slot1 (slot + 1, allocated when 0). 0 or -errno. */
static int slot_put(struct statestore *st, unsigned *slot1, const struct l2st_record *rec)
{
	uint8_t *p;
	int r = l2st_slot_encode(rec, st->scratch);

	if (r < 0)
		return r;
	while (!*slot1) {
		uint32_t i;

		if (!st->n_free && (r = grow(st, st->n_slots * 2)) < 0)
			return r;
		i = st->free_stack[--st->n_free];
		if (!st->taken[i]) {   /* taken ones may linger until the stack is rebuilt */
			st->taken[i] = 1;
			*slot1 = i + 1;
		}
	}
	p = slot_at(st, *slot1 - 1);
	__atomic_store_n(p, (uint8_t)L2ST_FREE, __ATOMIC_RELEASE);
	memcpy(p + 1, st->scratch + 1, L2ST_SLOT_LEN - 1);
	__atomic_store_n(p, st->scratch[0], __ATOMIC_RELEASE);
	return 0;
}

static void slot_release(struct statestore *st, unsigned *slot1)
{
	if (!*slot1)
		return;
	slot_clear(st, *slot1 - 1);
	st->taken[*slot1 - 1] = 0;
	st->free_stack[st->n_free++] = *slot1 - 1;
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
