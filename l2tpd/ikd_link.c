/*
 * l2tpd's link to ikd: protected-peer table, events, resync, delete-peer. See ikd_link.h.
 */
#include "l2tpd/ikd_link.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "common/ctl.h"
#include "common/evloop.h"
#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/tunnel.h"

#define LINK_BUCKETS 1024u
#define BACKOFF_MIN_MS 200u
#define BACKOFF_MAX_MS 5000u
#define REQUEST_TIMEOUT_MS 3000u
/* delete-peer waits this long after the tunnel ended, so that our CDN/StopCCN still reach
 * the client inside the SA (ikd removes SA and policy at once). */
#define DELETE_DELAY_MS 1000u

struct entry {
	struct entry *next;             /* bucket chain (hash of the address, port ignored) */
	struct ikd_protection p;
};

struct delete_req;

struct ikd_link {
	struct l2tpd *d;                /* NULL for a bare table */
	char path[L2TPD_PATH_MAX];
	struct ctl_client *c;
	struct evloop_timer retry;
	unsigned backoff_ms;
	bool connected, synced;
	bool tearing_down;              /* our own teardown: no delete-peer back to ikd */
	bool gave_up_logged;
	uint64_t gen;                   /* resync generation */
	struct delete_req *reqs;        /* delete-peer requests waiting or in flight */
	struct entry *bucket[LINK_BUCKETS];
	unsigned n;
};

/* ---- the table ----------------------------------------------------------------------- */

static struct sockaddr_storage addr_only(const struct sockaddr_storage *ss)
{
	struct sockaddr_storage a = *ss;

	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = 0;
	else if (a.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
	return a;
}

static bool same_addr(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	struct sockaddr_storage a = addr_only(x), b = addr_only(y);

	return l2tpd_sa_equal(&a, &b);
}

static struct entry **bucket_of(struct ikd_link *l, const struct sockaddr_storage *peer)
{
	struct sockaddr_storage a = addr_only(peer);

	return &l->bucket[l2tpd_sa_hash(&a) % LINK_BUCKETS];
}

static struct entry **find_child(struct ikd_link *l, uint32_t child_sa_id)
{
	for (unsigned b = 0; b < LINK_BUCKETS; b++)
		for (struct entry **pe = &l->bucket[b]; *pe; pe = &(*pe)->next)
			if ((*pe)->p.child_sa_id == child_sa_id)
				return pe;
	return NULL;
}

static void unlink_free(struct ikd_link *l, struct entry **pe)
{
	struct entry *e = *pe;

	*pe = e->next;
	free(e);
	l->n--;
}

/* A fresh SA for the same address and NAT-T port replaces what a resync left stale. */
static void drop_stale_of(struct ikd_link *l, const struct sockaddr_storage *peer)
{
	struct entry **pe = bucket_of(l, peer);

	while (*pe) {
		if ((*pe)->p.stale && l2tpd_sa_equal(&(*pe)->p.peer, peer))
			unlink_free(l, pe);
		else
			pe = &(*pe)->next;
	}
}

int ikd_link_sa_up(struct ikd_link *l, const struct ikd_protection *p)
{
	struct entry **pe = find_child(l, p->child_sa_id), *e;

	if (pe) {
		e = *pe;
		if (!same_addr(&e->p.peer, &p->peer)) {
			/* Moved (NAT rebinding to another address): rehash. */
			*pe = e->next;
			l->n--;
		} else {
			e->p = *p;
			return 0;
		}
	} else {
		e = calloc(1, sizeof *e);
		if (!e)
			return -ENOMEM;
	}
	drop_stale_of(l, &p->peer);
	e->p = *p;
	pe = bucket_of(l, &p->peer);
	e->next = *pe;          /* newest first: lookups find the most recent SA */
	*pe = e;
	l->n++;
	return 0;
}

int ikd_link_sa_down(struct ikd_link *l, uint32_t child_sa_id, struct sockaddr_storage *addr)
{
	struct entry **pe = find_child(l, child_sa_id);
	struct sockaddr_storage a;

	if (!pe)
		return -ENOENT;
	a = (*pe)->p.peer;
	unlink_free(l, pe);
	if (addr)
		*addr = a;
	for (struct entry *e = *bucket_of(l, &a); e; e = e->next)
		if (same_addr(&e->p.peer, &a))
			return 0;
	return 1;
}

unsigned ikd_link_count(const struct ikd_link *l)
{
	return l ? l->n : 0;
}

const struct ikd_protection *ikd_link_lookup(const struct ikd_link *l,
					     const struct sockaddr_storage *peer)
{
	if (!l)
		return NULL;
	for (const struct entry *e = *bucket_of((struct ikd_link *)l, peer); e; e = e->next)
		if (same_addr(&e->p.peer, peer))
			return &e->p;
	return NULL;
}

/* The newest SA of peer's address with exactly mark, or NULL. */
static const struct ikd_protection *lookup_exact(const struct ikd_link *l,
						 const struct sockaddr_storage *peer,
						 uint32_t mark)
{
	for (const struct entry *e = *bucket_of((struct ikd_link *)l, peer); e; e = e->next)
		if (e->p.mark == mark && same_addr(&e->p.peer, peer))
			return &e->p;
	return NULL;
}

const struct ikd_protection *ikd_link_lookup_mark(const struct ikd_link *l,
						  const struct sockaddr_storage *peer,
						  uint32_t mark)
{
	const struct ikd_protection *p = l && mark ? lookup_exact(l, peer, mark) : NULL;

	return p ? p : ikd_link_lookup(l, peer);
}

bool ikd_link_is_protected(const struct ikd_link *l, const struct sockaddr_storage *peer)
{
	return ikd_link_lookup(l, peer) != NULL;
}

void ikd_link_put_identity(const struct ikd_link *l, struct ctl_msg *m,
			   const struct sockaddr_storage *peer, uint32_t mark)
{
	const struct ikd_protection *p = ikd_link_lookup_mark(l, peer, mark);

	if (!p)
		return;
	if (p->peer_id[0])
		ctl_msg_put_str(m, CTL_A_PEER_ID, p->peer_id);
	if (p->ike_sa_id)
		ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, p->ike_sa_id);
}

/* How many distinct IKE SAs protect addr; *one gets one of them. */
static unsigned ike_sas_of(struct ikd_link *l, const struct sockaddr_storage *addr,
			   const struct ikd_protection **one)
{
	unsigned n = 0;
	uint32_t first = 0;

	*one = NULL;
	for (const struct entry *e = *bucket_of(l, addr); e; e = e->next) {
		if (!same_addr(&e->p.peer, addr))
			continue;
		if (!*one) {
			*one = &e->p;
			first = e->p.ike_sa_id;
			n = 1;
		} else if (e->p.ike_sa_id != first) {
			n++;
		}
	}
	return n;
}

struct ikd_link *ikd_link_new_table(void)
{
	return calloc(1, sizeof(struct ikd_link));
}

void ikd_link_free(struct ikd_link *l)
{
	if (!l)
		return;
	for (unsigned b = 0; b < LINK_BUCKETS; b++)
		while (l->bucket[b])
			unlink_free(l, &l->bucket[b]);
	free(l);
}

/* ---- parsing ikd's messages ------------------------------------------------------------ */

/* An event or an ipsec-sa-list entry into p. Returns 0, or -EINVAL when it lacks the
 * ids or the address, -ENOENT when it does not protect L2TP (tunnel mode). */
static int parse_protection(const struct nlattr *const *tb, struct ikd_protection *p)
{
	socklen_t len;

	memset(p, 0, sizeof *p);
	if (!tb[CTL_A_CHILD_SA_ID] || !tb[CTL_A_PEER_ADDR] ||
	    ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &p->peer, &len) < 0)
		return -EINVAL;
	if (tb[CTL_A_IPSEC_MODE] && mnl_attr_get_u8(tb[CTL_A_IPSEC_MODE]) != CTL_IPSEC_TRANSPORT)
		return -ENOENT;
	p->child_sa_id = mnl_attr_get_u32(tb[CTL_A_CHILD_SA_ID]);
	if (tb[CTL_A_IKE_SA_ID])
		p->ike_sa_id = mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]);
	if (tb[CTL_A_XFRM_MARK])
		p->mark = mnl_attr_get_u32(tb[CTL_A_XFRM_MARK]);
	if (tb[CTL_A_PEER_ID])
		snprintf(p->peer_id, sizeof p->peer_id, "%s", mnl_attr_get_str(tb[CTL_A_PEER_ID]));
	return 0;
}

/* ---- teardown of a lost peer ------------------------------------------------------------ */

/* Destroy the tunnels from addr (only those with mark, unless mark is 0). */
static unsigned teardown_addr(struct ikd_link *l, const struct sockaddr_storage *addr,
			      uint32_t mark, const char *why)
{
	struct l2tpd *d = l->d;
	unsigned n = 0;

	if (!d || !d->tunnel_by_id)
		return 0;
	l->tearing_down = true;
	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];

		if (!t || t->torn_down || (mark && t->mark != mark) || !same_addr(&t->peer, addr))
			continue;
		/* No StopCCN: the peer's SA is gone, nothing would carry it. */
		tunnel_destroy(t, why);
		n++;
	}
	l->tearing_down = false;
	return n;
}

static void on_protected_down(struct ikd_link *l, const struct nlattr *const *tb)
{
	struct sockaddr_storage addr;
	char ps[64], q[LOG_QUOTE_MAX], why[200];
	struct entry **pe;
	uint32_t child, mark;
	unsigned n = 0;
	int last;

	if (!tb[CTL_A_CHILD_SA_ID])
		return;
	child = mnl_attr_get_u32(tb[CTL_A_CHILD_SA_ID]);
	if (!(pe = find_child(l, child)))
		return;
	mark = (*pe)->p.mark;
	last = ikd_link_sa_down(l, child, &addr);
	snprintf(why, sizeof why, "IPsec SA gone (ikd: %s)",
		 tb[CTL_A_REASON] ? mnl_attr_get_str(tb[CTL_A_REASON]) : "down");
	log_info("ikd_peer_unprotected", "peer=%s child_sa=%u mark=%#x last=%s reason=%s",
		 l2tpd_fmt_sa(&addr, ps, sizeof ps), child, mark, last ? "yes" : "no",
		 log_quote(q, sizeof q, why));
	if (last)
		n = teardown_addr(l, &addr, 0, why);
	else if (mark && !lookup_exact(l, &addr, mark))
		/* One client behind a shared NAT lost its last SA: only its tunnels go. */
		n = teardown_addr(l, &addr, mark, why);
	if (n)
		log_notice("peer_lost", "peer=%s mark=%#x tunnels=%u reason=%s",
			   l2tpd_fmt_sa(&addr, ps, sizeof ps), last ? 0 : mark, n,
			   log_quote(q, sizeof q, why));
}

static void on_protected_up(struct ikd_link *l, const struct nlattr *const *tb)
{
	struct ikd_protection p;
	char ps[64], q[LOG_QUOTE_MAX];

	if (parse_protection(tb, &p) < 0)
		return;
	p.resync_gen = l->gen;
	if (ikd_link_sa_up(l, &p) < 0) {
		log_err("ikd_peer_table_full", "reason=\"out of memory\"");
		return;
	}
	log_info("ikd_peer_protected", "peer=%s id=%s ike_sa=%u child_sa=%u mark=%#x",
		 l2tpd_fmt_sa(&p.peer, ps, sizeof ps), log_quote(q, sizeof q, p.peer_id),
		 p.ike_sa_id, p.child_sa_id, p.mark);
}

/* ---- the connection ------------------------------------------------------------------ */

static void schedule_retry(struct ikd_link *l);

static void on_event(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct ikd_link *l = arg;

	if (nlh->nlmsg_type == CTL_EVT_PEER_PROTECTED_UP)
		on_protected_up(l, tb);
	else if (nlh->nlmsg_type == CTL_EVT_PEER_PROTECTED_DOWN)
		on_protected_down(l, tb);
}

static void drop_client(struct ikd_link *l)
{
	if (l->c) {
		ctl_client_close(l->c);
		l->c = NULL;
	}
	l->connected = false;
	l->synced = false;
}

static void on_closed(int err, void *arg)
{
	struct ikd_link *l = arg;

	log_warn("ikd_link_lost", "path=%s err=%d reason=\"ikd went away; SAs it reported "
		 "are kept until it is back\"", l->path, -err);
	drop_client(l);
	l->backoff_ms = BACKOFF_MIN_MS;
	schedule_retry(l);
}

static int on_dump_entry(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct ikd_link *l = arg;
	struct ikd_protection p;

	(void)nlh;
	if (parse_protection(tb, &p) < 0)
		return 0;
	p.resync_gen = l->gen;
	return ikd_link_sa_up(l, &p) < 0 ? -ENOMEM : 0;
}

/* After a dump: what ikd no longer reports is kept as stale (see ikd_link.h). */
static unsigned mark_stale(struct ikd_link *l)
{
	unsigned n = 0;

	for (unsigned b = 0; b < LINK_BUCKETS; b++)
		for (struct entry *e = l->bucket[b]; e; e = e->next)
			if (e->p.resync_gen != l->gen && !e->p.stale) {
				e->p.stale = true;
				n++;
			}
	return n;
}

static void on_dump_done(int ret, const struct ctl_error *err, void *arg)
{
	struct ikd_link *l = arg;

	if (ret < 0) {
		log_warn("ikd_resync_failed", "err=%d reason=%s", -ret, err ? err->msg : "?");
		return;     /* events still flow; the next reconnect tries again */
	}
	l->synced = true;
	unsigned stale = mark_stale(l);
	log_notice("ikd_resynced", "protected_sas=%u stale=%u", l->n, stale);
}

static void on_subscribed(int ret, const struct ctl_error *err, void *arg)
{
	(void)arg;
	if (ret < 0)
		log_warn("ikd_subscribe_failed", "err=%d reason=%s", -ret, err ? err->msg : "?");
}

static void try_connect(void *arg)
{
	struct ikd_link *l = arg;
	struct ctl_error err;
	uint64_t mask = ctl_event_bit(CTL_EVT_PEER_PROTECTED_UP) |
			ctl_event_bit(CTL_EVT_PEER_PROTECTED_DOWN);

	l->c = ctl_client_connect(l->path, &err);
	if (!l->c) {
		if (!l->gave_up_logged)
			log_info("ikd_link_waiting", "path=%s reason=%s", l->path,
				 log_quote((char[LOG_QUOTE_MAX]){ 0 }, LOG_QUOTE_MAX, err.msg));
		l->gave_up_logged = true;
		schedule_retry(l);
		return;
	}
	ctl_client_set_timeout(l->c, REQUEST_TIMEOUT_MS);
	l->gen++;
	/* Subscribe, then dump, on one connection: the daemon answers in order, so every
	 * event after the dump is newer than it. Both are sent here, not from a callback:
	 * ctl_client builds requests in the buffer its reader is walking. */
	if (ctl_client_subscribe_async(l->c, l->d->ev.loop, mask, on_subscribed, l, &err) < 0 ||
	    ctl_client_request_async(l->c, l->d->ev.loop, CTL_CMD_IPSEC_SA_LIST, NULL,
				     on_dump_entry, on_dump_done, l, &err) < 0 ||
	    ctl_client_watch(l->c, l->d->ev.loop, on_event, on_closed, l) < 0) {
		log_warn("ikd_link_failed", "path=%s reason=%s", l->path,
			 log_quote((char[LOG_QUOTE_MAX]){ 0 }, LOG_QUOTE_MAX, err.msg));
		drop_client(l);
		schedule_retry(l);
		return;
	}
	l->connected = true;
	l->gave_up_logged = false;
	l->backoff_ms = BACKOFF_MIN_MS;
	log_notice("ikd_link_up", "path=%s", l->path);
}

static void schedule_retry(struct ikd_link *l)
{
	if (!l->d || l->d->shutting_down)
		return;
	evloop_timer_start(&l->retry, l->backoff_ms, 0);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

bool ikd_link_in_sync(const struct ikd_link *l)
{
	return l && l->connected && l->synced;
}

/* ---- delete-peer --------------------------------------------------------------------- */

struct delete_req {
	struct delete_req *next;        /* l->reqs */
	struct ikd_link *l;
	struct evloop_timer timer;
	bool sent;                      /* in flight: delete_done frees it */
	struct sockaddr_storage peer;
	uint32_t ike_sa_id;
	char reason[160];
};

static int build_delete(struct ctl_msg *m, void *arg)
{
	const struct delete_req *r = arg;

	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&r->peer);
	if (r->ike_sa_id)
		ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, r->ike_sa_id);
	ctl_msg_put_str(m, CTL_A_REASON, r->reason);
	return ctl_msg_ok(m) ? 0 : -EMSGSIZE;
}

/* Unlink r from l->reqs and free it. */
static void delete_req_free(struct delete_req *r)
{
	struct delete_req **pp;

	for (pp = &r->l->reqs; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	free(r);
}

static void delete_done(int ret, const struct ctl_error *err, void *arg)
{
	struct delete_req *r = arg;
	char ps[64];

	if (ret < 0)
		log_warn("ikd_delete_failed", "peer=%s ike_sa=%u err=%d reason=%s",
			 l2tpd_fmt_sa(&r->peer, ps, sizeof ps), r->ike_sa_id, -ret,
			 err ? err->msg : "?");
	delete_req_free(r);
}

static void send_delete(void *arg)
{
	struct delete_req *r = arg;
	struct ikd_link *l = r->l;
	struct ctl_error err;
	char ps[64];

	if (!l->connected) {
		log_warn("ikd_delete_failed", "peer=%s reason=\"ikd not connected; DPD will end "
			 "the SA\"", l2tpd_fmt_sa(&r->peer, ps, sizeof ps));
		delete_req_free(r);
		return;
	}
	/* Stays on l->reqs while in flight: closing the client at exit drops pending requests
	 * without their callback, so ikd_link_stop frees what is still there. */
	r->sent = true;
	if (ctl_client_request_async(l->c, l->d->ev.loop, CTL_CMD_DELETE_PEER, build_delete, NULL,
				     delete_done, r, &err) < 0) {
		log_warn("ikd_delete_failed", "peer=%s reason=%s",
			 l2tpd_fmt_sa(&r->peer, ps, sizeof ps), err.msg);
		delete_req_free(r);
	}
}

void ikd_link_tunnel_ended(struct tunnel *t, const char *reason)
{
	struct l2tpd *d = t->d;
	struct ikd_link *l = d->ikd;
	const struct ikd_protection *p;
	struct delete_req *r;
	char ps[64];

	if (!l || l->tearing_down || d->shutting_down || t->lac)
		return;
	for (uint32_t id = 1; id < 65536; id++) {
		const struct tunnel *o = d->tunnel_by_id[id];

		/* Another live tunnel of this client (address and mark) still needs the SA. */
		if (o && o != t && !o->torn_down && o->mark == t->mark &&
		    same_addr(&o->peer, &t->peer))
			return;
	}
	if (t->mark) {
		/* This client's SA among those of the NAT's address: its mark says which. */
		p = lookup_exact(l, &t->peer, t->mark);
		if (!p) {
			log_notice("ikd_delete_skipped", "peer=%s mark=%#x reason=\"no IPsec SA "
				   "with this mark\"", l2tpd_fmt_sa(&t->peer, ps, sizeof ps),
				   t->mark);
			return;
		}
	} else {
		unsigned n = ike_sas_of(l, &t->peer, &p);

		if (n != 1) {
			if (n > 1)
				log_notice("ikd_delete_skipped", "peer=%s ike_sas=%u reason=\"%s\"",
					   l2tpd_fmt_sa(&t->peer, ps, sizeof ps), n,
					   "several clients behind this address and no XFRM "
					   "marks to tell them apart (ikd nat_marks)");
			return;
		}
	}
	r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->peer = p->peer;
	r->ike_sa_id = p->stale ? 0 : p->ike_sa_id;
	snprintf(r->reason, sizeof r->reason, "L2TP tunnel %u ended: %s", t->tid, reason);
	log_info("ikd_delete_peer", "peer=%s ike_sa=%u tunnel=%u mark=%#x",
		 l2tpd_fmt_sa(&r->peer, ps, sizeof ps), r->ike_sa_id, t->tid, t->mark);
	if (p->stale) {
		/* ikd has forgotten this SA: only the table entry goes. */
		struct sockaddr_storage a = p->peer;
		ikd_link_sa_down(l, p->child_sa_id, &a);
	}
	r->l = l;
	r->next = l->reqs;
	l->reqs = r;
	evloop_timer_init(&r->timer, &d->ev, send_delete, r);
	evloop_timer_start(&r->timer, DELETE_DELAY_MS, 0);
}

/* ---- start / stop ---------------------------------------------------------------------- */

static void default_path(const struct l2tpd *d, char *out, size_t size)
{
	const char *ctl = d->conf ? d->conf->ctl_path : "";
	const char *slash = strrchr(ctl, '/');

	if (slash)
		snprintf(out, size, "%.*s/ikd.sock", (int)(slash - ctl), ctl);
	else
		snprintf(out, size, "%s/ikd.sock", L2SEC_RUNDIR);
}

int ikd_link_start(struct l2tpd *d, const char *path)
{
	struct ikd_link *l = ikd_link_new_table();

	if (!l)
		return -ENOMEM;
	l->d = d;
	if (path && path[0])
		snprintf(l->path, sizeof l->path, "%s", path);
	else
		default_path(d, l->path, sizeof l->path);
	l->backoff_ms = BACKOFF_MIN_MS;
	evloop_timer_init(&l->retry, &d->ev, try_connect, l);
	d->ikd = l;
	try_connect(l);
	return 0;
}

void ikd_link_stop(struct l2tpd *d)
{
	struct ikd_link *l = d->ikd;

	if (!l)
		return;
	if (d->ev.loop)
		evloop_timer_stop(&l->retry);
	drop_client(l);         /* drops in-flight requests without calling delete_done */
	while (l->reqs) {
		struct delete_req *r = l->reqs;

		l->reqs = r->next;
		if (!r->sent && d->ev.loop)
			evloop_timer_stop(&r->timer);
		free(r);
	}
	d->ikd = NULL;
	ikd_link_free(l);
}
