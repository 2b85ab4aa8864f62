/*
 * IKE SA table, IPsec SA records, retransmission. See ike_sa.h.
 */
#include "ikd/ike_sa.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/daemon.h"
#include "ikd/ike_dh.h"
#include "ikd/ikev1_frag.h"
#include "ikd/ikev1_states.h"
#include "ikd/kernel.h"
#include "xfrm/xfrm.h"

static struct ike_xmit_config xmit_cfg = { .base_ms = 1000, .max_tries = 6 };

void ike_xmit_configure(const struct ike_xmit_config *cfg)
{
	xmit_cfg = *cfg;
}

const struct ike_xmit_config *ike_xmit_get_config(void)
{
	return &xmit_cfg;
}

uint64_t ike_now_ms(void)
{
	if (xmit_cfg.loop)
		return evloop_now_ms(xmit_cfg.loop);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ike_timer_init(struct evloop_timer *t, void (*fn)(void *), void *arg)
{
	memset(t, 0, sizeof *t);
	if (xmit_cfg.loop)
		evloop_timer_init(t, xmit_cfg.loop, fn, arg);
	else {
		t->fn = fn;
		t->arg = arg;
	}
}

void ike_timer_start(struct evloop_timer *t, uint64_t after_ms)
{
	if (t->l)
		evloop_timer_start(t, after_ms, 0);
}

void ike_timer_stop(struct evloop_timer *t)
{
	if (t->l)
		evloop_timer_stop(t);
}

/* ---- table ---------------------------------------------------------------------------- */

static size_t bucket_of_cookie(const struct ike_sa_table *t, const uint8_t *cky)
{
	uint64_t v;
	memcpy(&v, cky, 8);     /* cookies are random: any bits make a good hash */
	return (size_t)(v ^ (v >> 29)) & (t->nbuckets - 1);
}

static size_t bucket_of_peer(const struct ike_sa_table *t, const union ikd_sockaddr *peer,
			     bool with_port)
{
	union ikd_sockaddr a = *peer;
	if (!with_port)
		ikd_addr_set_port(&a, 0);
	return ikd_addr_hash(&a.sa) & (t->nbuckets - 1);
}

int ike_sa_table_init(struct ike_sa_table *t, size_t nbuckets, uint32_t half_open_max,
		      uint32_t half_open_per_peer)
{
	memset(t, 0, sizeof *t);
	size_t n = 16;
	while (n < nbuckets && n < ((size_t)1 << 24))
		n <<= 1;
	t->by_cookie = calloc(n, sizeof *t->by_cookie);
	t->by_peer = calloc(n, sizeof *t->by_peer);
	if (!t->by_cookie || !t->by_peer) {
		free(t->by_cookie);
		free(t->by_peer);
		return -ENOMEM;
	}
	t->nbuckets = n;
	t->half_open_max = half_open_max;
	t->half_open_per_peer = half_open_per_peer;
	t->next_id = 1;
	return 0;
}

void ike_sa_table_free(struct ike_sa_table *t)
{
	for (size_t i = 0; t->by_cookie && i < t->nbuckets; i++)
		while (t->by_cookie[i])
			ike_sa_destroy(t->by_cookie[i]);
	free(t->by_cookie);
	free(t->by_peer);
	memset(t, 0, sizeof *t);
}

/* Peers are keyed without port in by_peer so that all SAs of an address share a chain
 * (the half-open limit is per address); lookups with a port compare it. */
static void link_peer(struct ike_sa *sa)
{
	struct ike_sa_table *t = sa->table;
	size_t b = bucket_of_peer(t, &sa->peer, false);
	sa->next_by_peer = t->by_peer[b];
	t->by_peer[b] = sa;
}

static void unlink_peer(struct ike_sa *sa)
{
	struct ike_sa_table *t = sa->table;
	struct ike_sa **pp = &t->by_peer[bucket_of_peer(t, &sa->peer, false)];
	for (; *pp; pp = &(*pp)->next_by_peer)
		if (*pp == sa) {
			*pp = sa->next_by_peer;
			return;
		}
}

static size_t half_open_of_peer(struct ike_sa_table *t, const union ikd_sockaddr *peer)
{
	size_t n = 0;
	for (struct ike_sa *s = t->by_peer[bucket_of_peer(t, peer, false)]; s; s = s->next_by_peer)
		if (!s->established && !s->dead && ikd_addr_equal(&s->peer.sa, &peer->sa, false))
			n++;
	return n;
}

int ike_sa_new(struct ike_sa_table *t, const union ikd_sockaddr *local,
	       const union ikd_sockaddr *peer, const uint8_t *cky_i, bool initiator,
	       struct ike_sa **out)
{
	if (t->half_open >= t->half_open_max ||
	    half_open_of_peer(t, peer) >= t->half_open_per_peer) {
		t->stats.refused_half_open++;
		return -EAGAIN;
	}
	struct ike_sa *sa = calloc(1, sizeof *sa);
	if (!sa)
		return -ENOMEM;
	sa->table = t;
	sa->id = t->next_id++;
	if (t->next_id == 0)
		t->next_id = 1;
	if (cky_i)
		memcpy(sa->cky_i, cky_i, 8);
	else
		random_bytes(sa->cky_i, 8);
	sa->initiator = initiator;
	if (local)
		sa->local = *local;
	sa->peer = *peer;
	sa->created_ms = sa->last_rx_ms = ike_now_ms();
	ike_xmit_init(&sa->xmit, sa, 0);
	size_t b = bucket_of_cookie(t, sa->cky_i);
	sa->next_by_cookie = t->by_cookie[b];
	t->by_cookie[b] = sa;
	link_peer(sa);
	t->count++;
	t->half_open++;
	t->stats.created++;
	*out = sa;
	return 0;
}

int ike_sa_insert_restored(struct ike_sa_table *t, struct ike_sa *sa)
{
	if (ike_sa_find(t, sa->cky_i, sa->cky_r, NULL))
		return -EEXIST;
	sa->table = t;
	size_t b = bucket_of_cookie(t, sa->cky_i);
	sa->next_by_cookie = t->by_cookie[b];
	t->by_cookie[b] = sa;
	link_peer(sa);
	t->count++;
	t->stats.created++;
	t->stats.established++;
	if (sa->id >= t->next_id)
		t->next_id = sa->id + 1 ? sa->id + 1 : 1;
	ike_xmit_init(&sa->xmit, sa, 0);
	return 0;
}

void ike_sa_set_rcookie(struct ike_sa *sa, const uint8_t *cky_r)
{
	memcpy(sa->cky_r, cky_r, 8);
}

void ike_sa_mark_established(struct ike_sa *sa)
{
	if (sa->established)
		return;
	sa->established = true;
	sa->established_ms = ike_now_ms();
	sa->table->half_open--;
	sa->table->stats.established++;
}

void ike_sa_set_peer(struct ike_sa *sa, const union ikd_sockaddr *peer)
{
	unlink_peer(sa);
	sa->peer = *peer;
	link_peer(sa);
}

static bool cookie_zero(const uint8_t *c)
{
	static const uint8_t zero[8];
	return memcmp(c, zero, 8) == 0;
}

struct ike_sa *ike_sa_find(struct ike_sa_table *t, const uint8_t *cky_i, const uint8_t *cky_r,
			   const union ikd_sockaddr *peer)
{
	for (struct ike_sa *s = t->by_cookie[bucket_of_cookie(t, cky_i)]; s; s = s->next_by_cookie) {
		if (s->dead || memcmp(s->cky_i, cky_i, 8) != 0)
			continue;
		if (memcmp(s->cky_r, cky_r, 8) == 0)
			return s;
		/* The responder's first answer to us: it carries the cookie it just chose. */
		if (s->initiator && cookie_zero(s->cky_r))
			return s;
		/* A retransmitted first message: same initiator cookie, same peer address. */
		if (cookie_zero(cky_r) && peer && ikd_addr_equal(&s->peer.sa, &peer->sa, false))
			return s;
	}
	return NULL;
}

struct ike_sa *ike_sa_find_id(struct ike_sa_table *t, uint32_t id)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ike_sa *s = t->by_cookie[i]; s; s = s->next_by_cookie)
			if (s->id == id && !s->dead)
				return s;
	return NULL;
}

struct ike_sa *ike_sa_next_of_peer(struct ike_sa_table *t, const union ikd_sockaddr *peer,
				   bool with_port, struct ike_sa *prev)
{
	struct ike_sa *s = prev ? prev->next_by_peer : t->by_peer[bucket_of_peer(t, peer, false)];
	for (; s; s = s->next_by_peer)
		if (!s->dead && ikd_addr_equal(&s->peer.sa, &peer->sa, with_port))
			return s;
	return NULL;
}

void ike_sa_foreach(struct ike_sa_table *t, void (*fn)(struct ike_sa *, void *), void *arg)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct ike_sa *s = t->by_cookie[i]; s; s = s->next_by_cookie)
			if (!s->dead)
				fn(s, arg);
}

static void neg_free(struct ike_p1_neg *n)
{
	if (!n)
		return;
	ike_dh_free(n->dh);
	free(n->sai_b);
	sodium_memzero(n, sizeof *n);
	free(n);
}

void ike_sa_destroy(struct ike_sa *sa)
{
	struct ike_sa_table *t = sa->table;
	struct ike_sa **pp = &t->by_cookie[bucket_of_cookie(t, sa->cky_i)];
	for (; *pp; pp = &(*pp)->next_by_cookie)
		if (*pp == sa) {
			*pp = sa->next_by_cookie;
			break;
		}
	unlink_peer(sa);
	t->count--;
	if (!sa->established)
		t->half_open--;
	t->stats.destroyed++;
	while (sa->qms)
		ikev1_qm_free(sa, sa->qms);
	while (sa->children) {
		struct ipsec_sa *c = sa->children;
		sa->children = c->next;
		ipsec_sa_free(c);
	}
	ike_xmit_clear(&sa->xmit);
	ike_timer_stop(&sa->life_timer);
	ike_timer_stop(&sa->dpd_timer);
	ike_timer_stop(&sa->keepalive_timer);
	neg_free(sa->neg);
	ikev1_frag_free(sa);
	ikev1_keys_wipe(&sa->keys);
	if (sa->conf)
		ikd_conf_free(sa->conf);
	sodium_memzero(sa, sizeof *sa);
	free(sa);
}

/* ---- children ----------------------------------------------------------------------- */

static uint32_t next_child_id = 1;

void ipsec_sa_id_floor(uint32_t id)
{
	if (id >= next_child_id && id + 1 != 0)
		next_child_id = id + 1;
}

struct ipsec_sa *ipsec_sa_new(struct ike_sa *ike)
{
	struct ipsec_sa *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ike = ike;
	c->id = next_child_id++;
	c->reqid = c->id & XFRM_REQID_MAX;
	if (c->reqid == 0)
		c->reqid = 1;
	return c;
}

void ipsec_sa_link(struct ike_sa *ike, struct ipsec_sa *c)
{
	c->ike = ike;
	c->next = ike->children;
	ike->children = c;
}

void ipsec_sa_unlink(struct ike_sa *ike, struct ipsec_sa *c)
{
	for (struct ipsec_sa **pp = &ike->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			return;
		}
}

void ipsec_sa_free(struct ipsec_sa *c)
{
	if (!c)
		return;
	ike_timer_stop(&c->rekey_timer);
	ike_timer_stop(&c->expire_timer);
	if (c->keys) {
		sodium_memzero(c->keys, sizeof *c->keys);
		free(c->keys);
	}
	free(c);
}

struct ipsec_sa *ipsec_sa_find_spi(struct ike_sa *ike, uint32_t spi, bool inbound)
{
	for (struct ipsec_sa *c = ike->children; c; c = c->next)
		if ((inbound ? c->spi_in : c->spi_out) == spi)
			return c;
	return NULL;
}

/* ---- Quick Mode exchanges ------------------------------------------------------------ */

/* Finished (or failed) exchanges are kept for their message ids, and those that gave up
 * waiting for a late last message; bound how many. */
#define QM_DONE_KEEP 8

static void trim_done(struct ike_sa *sa)
{
	unsigned n = 0;
	struct ikev1_qm *oldest = NULL;
	for (struct ikev1_qm *qm = sa->qms; qm; qm = qm->next)
		if (qm->state == QM_DONE || qm->gave_up) {
			n++;
			oldest = qm;
		}
	if (n >= QM_DONE_KEEP && oldest)
		ikev1_qm_free(sa, oldest);
}

struct ikev1_qm *ikev1_qm_new(struct ike_sa *sa, uint32_t msgid)
{
	trim_done(sa);
	struct ikev1_qm *qm = calloc(1, sizeof *qm);
	if (!qm)
		return NULL;
	qm->msgid = msgid;
	qm->started_ms = ike_now_ms();
	ike_xmit_init(&qm->xmit, sa, msgid);
	qm->next = sa->qms;
	sa->qms = qm;
	return qm;
}

struct ikev1_qm *ikev1_qm_find(struct ike_sa *sa, uint32_t msgid)
{
	for (struct ikev1_qm *qm = sa->qms; qm; qm = qm->next)
		if (qm->msgid == msgid)
			return qm;
	return NULL;
}

void ikev1_qm_free(struct ike_sa *sa, struct ikev1_qm *qm)
{
	for (struct ikev1_qm **pp = &sa->qms; *pp; pp = &(*pp)->next)
		if (*pp == qm) {
			*pp = qm->next;
			break;
		}
	ike_xmit_clear(&qm->xmit);
	ike_timer_stop(&qm->late_timer);
	ike_dh_free(qm->dh);
	/* A child still here never became a pair: our SPI (larval, or the inbound SA a
	 * responder completed before message 2) would stay in the kernel until the larval
	 * timeout or the SA's lifetime. Trimmed, abandoned with its ISAKMP SA: delete it. */
	struct ikd *d = ikd_of(sa);
	if (qm->child && d && d->kernel.ops)
		kernel_remove_child(&d->kernel, sa, qm->child, false);
	ipsec_sa_free(qm->child);
	free(qm->sa_body);
	sodium_memzero(qm, sizeof *qm);
	free(qm);
}

/* ---- xmit ---------------------------------------------------------------------------- */

static void xmit_timer_cb(void *arg)
{
	ike_xmit_timeout(arg);
}

void ike_xmit_init(struct ike_xmit *x, struct ike_sa *sa, uint32_t msgid)
{
	memset(x, 0, sizeof *x);
	x->sa = sa;
	x->msgid = msgid;
	ike_timer_init(&x->timer, xmit_timer_cb, x);
}

static void digest(const uint8_t *p, size_t len, uint8_t out[IKE_RX_DIGEST_LEN])
{
	crypto_generichash(out, IKE_RX_DIGEST_LEN, p, len, NULL, 0);
}

int ike_xmit_send(struct ike_xmit *x, const uint8_t *pkt, size_t len, bool expect_reply,
		  const uint8_t *rx, size_t rx_len)
{
	uint8_t *copy = malloc(len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, pkt, len);
	free(x->pkt);
	x->pkt = copy;
	x->len = len;
	x->tries = 1;
	x->next_ms = xmit_cfg.base_ms;
	x->retransmit = expect_reply;
	x->have_rx = rx != NULL;
	if (rx)
		digest(rx, rx_len, x->rx_digest);
	ike_timer_stop(&x->timer);
	if (expect_reply)
		ike_timer_start(&x->timer, x->next_ms);
	return xmit_cfg.send ? xmit_cfg.send(x->sa, pkt, len) : 0;
}

uint64_t ike_xmit_budget_ms(void)
{
	uint64_t total = 0, step = xmit_cfg.base_ms;
	for (uint32_t i = 0; i < xmit_cfg.max_tries; i++) {
		total += step;
		step = step * 2 > 30000 ? 30000 : step * 2;
	}
	return total;
}

void ike_xmit_ack(struct ike_xmit *x)
{
	x->retransmit = false;
	ike_timer_stop(&x->timer);
}

bool ike_xmit_duplicate(struct ike_xmit *x, const uint8_t *rx, size_t rx_len)
{
	if (!x->have_rx || !x->pkt)
		return false;
	uint8_t d[IKE_RX_DIGEST_LEN];
	digest(rx, rx_len, d);
	if (memcmp(d, x->rx_digest, sizeof d) != 0)
		return false;
	if (xmit_cfg.send)
		xmit_cfg.send(x->sa, x->pkt, x->len);
	return true;
}

void ike_xmit_timeout(struct ike_xmit *x)
{
	if (!x->retransmit || !x->pkt)
		return;
	if (x->tries >= xmit_cfg.max_tries) {
		x->retransmit = false;
		if (xmit_cfg.exhausted)
			xmit_cfg.exhausted(x->sa, x->msgid);
		return;
	}
	x->tries++;
	x->next_ms = x->next_ms * 2 > 30000 ? 30000 : x->next_ms * 2;
	log_debug("ike_retransmit", "ike_sa=%u msgid=%08x try=%u next_ms=%u", x->sa->id,
		  x->msgid, x->tries, x->next_ms);
	if (xmit_cfg.send)
		xmit_cfg.send(x->sa, x->pkt, x->len);
	ike_timer_start(&x->timer, x->next_ms);
}

void ike_xmit_clear(struct ike_xmit *x)
{
	ike_timer_stop(&x->timer);
	free(x->pkt);
	x->pkt = NULL;
	x->len = 0;
	x->retransmit = false;
	x->have_rx = false;
}
