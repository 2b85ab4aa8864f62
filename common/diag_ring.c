/*
 * Per-peer diagnosis rings with LRU eviction. See diag_ring.h.
 */
#include "common/diag_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "common/ctl.h"

struct diag_peer {
	struct diag_peer *hnext;        /* hash chain */
	struct diag_peer *newer, *older; /* LRU list: r->newest ... r->oldest */
	struct sockaddr_storage key;    /* address, port 0 */
	unsigned head;                  /* where the next entry goes */
	unsigned n;                     /* entries kept (<= per_peer) */
	struct diag_entry e[];          /* [per_peer] */
};

struct diag_ring {
	unsigned max_peers, per_peer, n_peers;
	unsigned nbuckets;              /* power of two */
	struct diag_peer *newest, *oldest;
	struct diag_peer **bucket;
};

/* The address of sa with port 0 (the key), false for other families. */
static bool key_of(const struct sockaddr *sa, struct sockaddr_storage *key)
{
	memset(key, 0, sizeof *key);
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *k = (struct sockaddr_in *)key;

		k->sin_family = AF_INET;
		k->sin_addr = ((const struct sockaddr_in *)sa)->sin_addr;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *k = (struct sockaddr_in6 *)key;

		k->sin6_family = AF_INET6;
		k->sin6_addr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	return false;
}

static unsigned hash_key(const struct diag_ring *r, const struct sockaddr_storage *key)
{
	const uint8_t *p = (const uint8_t *)key;
	size_t len = key->ss_family == AF_INET ? sizeof(struct sockaddr_in)
					       : sizeof(struct sockaddr_in6);
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h & (r->nbuckets - 1);
}

struct diag_ring *diag_ring_new(unsigned max_peers, unsigned per_peer)
{
	struct diag_ring *r;

	if (!max_peers || !per_peer || max_peers > (1u << 24) || per_peer > 1024)
		return NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->max_peers = max_peers;
	r->per_peer = per_peer;
	for (r->nbuckets = 16; r->nbuckets < max_peers; r->nbuckets <<= 1)
		;
	r->bucket = calloc(r->nbuckets, sizeof *r->bucket);
	if (!r->bucket) {
		free(r);
		return NULL;
	}
	return r;
}

void diag_ring_free(struct diag_ring *r)
{
	if (!r)
		return;
	while (r->newest) {
		struct diag_peer *p = r->newest;

		r->newest = p->older;
		free(p);
	}
	free(r->bucket);
	free(r);
}

static struct diag_peer *find(const struct diag_ring *r, const struct sockaddr_storage *key)
{
	for (struct diag_peer *p = r->bucket[hash_key(r, key)]; p; p = p->hnext)
		if (memcmp(&p->key, key, sizeof *key) == 0)
			return p;
	return NULL;
}

static void lru_unlink(struct diag_ring *r, struct diag_peer *p)
{
	if (p->newer)
		p->newer->older = p->older;
	else
		r->newest = p->older;
	if (p->older)
		p->older->newer = p->newer;
	else
		r->oldest = p->newer;
	p->newer = p->older = NULL;
}

static void lru_push_newest(struct diag_ring *r, struct diag_peer *p)
{
	p->older = r->newest;
	p->newer = NULL;
	if (r->newest)
		r->newest->newer = p;
	r->newest = p;
	if (!r->oldest)
		r->oldest = p;
}

static void forget(struct diag_ring *r, struct diag_peer *p)
{
	struct diag_peer **pp = &r->bucket[hash_key(r, &p->key)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	lru_unlink(r, p);
	r->n_peers--;
	free(p);
}

/* The peer of key, created (evicting the least recently noted one when full). */
static struct diag_peer *find_or_add(struct diag_ring *r, const struct sockaddr_storage *key)
{
	struct diag_peer *p = find(r, key);
	unsigned b;

	if (p) {
		lru_unlink(r, p);
		lru_push_newest(r, p);
		return p;
	}
	if (r->n_peers >= r->max_peers)
		forget(r, r->oldest);
	p = calloc(1, sizeof *p + (size_t)r->per_peer * sizeof p->e[0]);
	if (!p)
		return NULL;
	p->key = *key;
	b = hash_key(r, key);
	p->hnext = r->bucket[b];
	r->bucket[b] = p;
	lru_push_newest(r, p);
	r->n_peers++;
	return p;
}

static struct diag_entry *newest_entry(const struct diag_ring *r, struct diag_peer *p)
{
	return p->n ? &p->e[(p->head + r->per_peer - 1) % r->per_peer] : NULL;
}

int diag_ring_note(struct diag_ring *r, const struct diag_entry *e, uint64_t now_ms)
{
	struct sockaddr_storage key;
	struct diag_peer *p;
	struct diag_entry *last;

	if (!key_of((const struct sockaddr *)&e->peer, &key))
		return -EAFNOSUPPORT;
	p = find_or_add(r, &key);
	if (!p)
		return -ENOMEM;
	last = newest_entry(r, p);
	if (last && last->stage == e->stage && last->result == e->result &&
	    strcmp(last->text, e->text) == 0 && strcmp(last->user, e->user) == 0) {
		last->at_ms = now_ms;
		last->peer = e->peer;
		if (last->repeat < UINT32_MAX)
			last->repeat++;
		return 0;
	}
	p->e[p->head] = *e;
	p->e[p->head].at_ms = now_ms;
	p->e[p->head].repeat = 1;
	p->head = (p->head + 1) % r->per_peer;
	if (p->n < r->per_peer)
		p->n++;
	return 0;
}

unsigned diag_ring_count(const struct diag_ring *r, const struct sockaddr *peer)
{
	struct sockaddr_storage key;
	const struct diag_peer *p;

	if (!r || !key_of(peer, &key) || !(p = find(r, &key)))
		return 0;
	return p->n;
}

unsigned diag_ring_peers(const struct diag_ring *r)
{
	return r ? r->n_peers : 0;
}

static int each_of(const struct diag_ring *r, const struct diag_peer *p, diag_ring_fn fn,
		   void *arg)
{
	for (unsigned k = p->n; k >= 1; k--) {
		int ret = fn(&p->e[(p->head + r->per_peer - k) % r->per_peer], arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

int diag_ring_each(const struct diag_ring *r, const struct sockaddr *peer, diag_ring_fn fn,
		   void *arg)
{
	struct sockaddr_storage key;
	const struct diag_peer *p;

	if (!r)
		return 0;
	if (peer) {
		if (!key_of(peer, &key) || !(p = find(r, &key)))
			return 0;
		return each_of(r, p, fn, arg);
	}
	for (p = r->newest; p; p = p->older) {
		int ret = each_of(r, p, fn, arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

struct dump_ctx {
	struct ctl_request *req;
	uint64_t now_ms;
};

static int dump_one(const struct diag_entry *e, void *arg)
{
	struct dump_ctx *dc = arg;
	uint64_t age = dc->now_ms > e->at_ms ? dc->now_ms - e->at_ms : 0;
	struct ctl_msg *m = ctl_dump_entry_begin(dc->req);

	if (!m)
		return -ENOMEM;
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&e->peer);
	ctl_msg_put_u8(m, CTL_A_DIAG_STAGE, e->stage);
	ctl_msg_put_u8(m, CTL_A_DIAG_RESULT, e->result);
	ctl_msg_put_str(m, CTL_A_REASON, e->text);
	ctl_msg_put_u64(m, CTL_A_AGE_SEC, age / 1000u);
	ctl_msg_put_u64(m, CTL_A_AGE_MS, age);
	ctl_msg_put_u32(m, CTL_A_REPEAT, e->repeat);
	if (e->user[0])
		ctl_msg_put_str(m, CTL_A_USER, e->user);
	if (e->conn[0])
		ctl_msg_put_str(m, CTL_A_CONN_NAME, e->conn);
	ctl_dump_entry_end(dc->req);
	return 0;
}

int diag_ring_dump(const struct diag_ring *r, struct ctl_request *req, uint64_t now_ms)
{
	struct dump_ctx dc = { .req = req, .now_ms = now_ms };
	struct sockaddr_storage ss;
	socklen_t len;

	if (!req->tb[CTL_A_PEER_ADDR])
		return diag_ring_each(r, NULL, dump_one, &dc);
	if (ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &ss, &len) < 0) {
		ctl_request_set_error_msg(req, "bad peer address");
		return -EINVAL;
	}
	return diag_ring_each(r, (const struct sockaddr *)&ss, dump_one, &dc);
}
