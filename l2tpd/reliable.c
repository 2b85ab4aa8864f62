/* Reliable delivery of L2TP control messages (RFC 2661 §5.8). See reliable.h. */
#include "l2tpd/reliable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REL_QUEUE_INITIAL 8   /* slots allocated with the first message; doubled as needed */

struct rel_msg {
	uint8_t *pkt;
	uint16_t len;
};

struct l2tp_rel {
	struct l2tp_rel_cfg cfg;
	const struct l2tp_rel_ops *ops;
	void *ctx;
	uint16_t peer_tunnel_id;
	uint16_t peer_rws;
	/* Send side: a ring q[head..head+count) (mod q_cap, a power of two) in Ns order;
	 * the first `inflight` have been sent. */
	uint16_t snd_una;              /* Ns of the oldest unacknowledged message */
	unsigned q_head, q_count, q_cap, inflight;
	struct rel_msg *q;
	uint32_t retries;
	uint32_t rto_ms;
	uint64_t rtx_deadline;
	bool dead;
	/* Receive side */
	uint16_t rcv_nxt;              /* the Nr we send: next Ns we expect */
	struct rel_msg rx[L2TP_REL_RWS_MAX];   /* early messages, slot = Ns % RWS_MAX */
	bool ack_pending;
	uint64_t ack_deadline;
	uint64_t last_rx;
	struct l2tp_rel_stats stats;
};

void l2tp_rel_cfg_default(struct l2tp_rel_cfg *cfg)
{
	cfg->our_rws = 8;
	cfg->rto_initial_ms = 1000;
	cfg->rto_max_ms = 8000;
	cfg->max_retries = 5;
	cfg->ack_delay_ms = 250;   /* §5.8 suggests waiting about 1/4 of the initial timeout */
	cfg->hello_interval_ms = 60000;
}

struct l2tp_rel *l2tp_rel_new(const struct l2tp_rel_cfg *cfg, const struct l2tp_rel_ops *ops,
			      void *ctx, uint64_t now)
{
	struct l2tp_rel *rel;

	if (!cfg->our_rws || cfg->our_rws > L2TP_REL_RWS_MAX || !cfg->rto_initial_ms ||
	    cfg->rto_max_ms < cfg->rto_initial_ms)
		return NULL;
	rel = calloc(1, sizeof *rel);
	if (!rel)
		return NULL;
	rel->cfg = *cfg;
	rel->ops = ops;
	rel->ctx = ctx;
	rel->peer_rws = 4;
	rel->rto_ms = cfg->rto_initial_ms;
	rel->last_rx = now;
	return rel;
}

void l2tp_rel_free(struct l2tp_rel *rel)
{
	if (!rel)
		return;
	for (unsigned i = 0; i < rel->q_count; i++)
		free(rel->q[(rel->q_head + i) & (rel->q_cap - 1)].pkt);
	free(rel->q);
	for (unsigned i = 0; i < L2TP_REL_RWS_MAX; i++)
		free(rel->rx[i].pkt);
	free(rel);
}

void l2tp_rel_set_peer(struct l2tp_rel *rel, uint16_t peer_tunnel_id, uint16_t peer_rws)
{
	rel->peer_tunnel_id = peer_tunnel_id;
	rel->peer_rws = peer_rws ? peer_rws : 4;   /* §5.8: 4 when the AVP is absent */
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct rel_msg *q_at(struct l2tp_rel *rel, unsigned i)
{
	return &rel->q[(rel->q_head + i) & (rel->q_cap - 1)];
}

/* Room for one more message: double the ring (oldest first at 0) when it is full. */
static int q_reserve(struct l2tp_rel *rel)
{
	unsigned cap = rel->q_cap ? rel->q_cap * 2 : REL_QUEUE_INITIAL;
	struct rel_msg *q;

	if (rel->q_count < rel->q_cap)
		return 0;
	if (rel->q_count >= L2TP_REL_QUEUE_MAX)
		return -ENOBUFS;
	q = malloc(cap * sizeof *q);
	if (!q)
		return -ENOMEM;
	for (unsigned i = 0; i < rel->q_count; i++)
		q[i] = *q_at(rel, i);
	free(rel->q);
	rel->q = q;
	rel->q_cap = cap;
	rel->q_head = 0;
	return 0;
}

/* (Re)transmit queue entry i with the Nr of now: it acknowledges everything received. */
static void transmit(struct l2tp_rel *rel, unsigned i)
{
	struct rel_msg *m = q_at(rel, i);

	put16(m->pkt + L2TP_CTRL_NR_OFFSET, rel->rcv_nxt);
	rel->ack_pending = false;
	rel->ops->send(rel->ctx, m->pkt, m->len);
}

/* Send queued messages while the peer's window has room. */
static void transmit_more(struct l2tp_rel *rel, uint64_t now)
{
	while (!rel->dead && rel->inflight < rel->q_count && rel->inflight < rel->peer_rws) {
		if (rel->inflight == 0)
			rel->rtx_deadline = now + rel->rto_ms;
		transmit(rel, rel->inflight++);
		rel->stats.sent++;
	}
}

int l2tp_rel_send(struct l2tp_rel *rel, uint64_t now, const uint8_t *pkt, size_t len)
{
	struct rel_msg *m;
	int r;

	if (len < L2TP_CTRL_HDR_LEN || len > UINT16_MAX || !(pkt[0] & 0x80))
		return -EINVAL;
	r = q_reserve(rel);
	if (r < 0)
		return r;
	m = q_at(rel, rel->q_count);
	m->pkt = malloc(len);
	if (!m->pkt)
		return -ENOMEM;
	memcpy(m->pkt, pkt, len);
	m->len = (uint16_t)len;
	put16(m->pkt + L2TP_CTRL_NS_OFFSET, (uint16_t)(rel->snd_una + rel->q_count));
	rel->q_count++;
	transmit_more(rel, now);
	return 0;
}

/* Nr from the peer acknowledges every message of ours with Ns < Nr. */
static void process_ack(struct l2tp_rel *rel, uint64_t now, uint16_t nr)
{
	uint16_t acked = (uint16_t)(nr - rel->snd_una);

	if (acked == 0)
		return;
	if (acked > rel->inflight) {   /* acks something we never sent: ignore it */
		rel->stats.acks_bad++;
		return;
	}
	for (unsigned i = 0; i < acked; i++) {
		free(q_at(rel, 0)->pkt);
		q_at(rel, 0)->pkt = NULL;
		rel->q_head = (rel->q_head + 1) & (rel->q_cap - 1);
		rel->q_count--;
		rel->inflight--;
	}
	rel->snd_una = nr;
	rel->retries = 0;
	rel->rto_ms = rel->cfg.rto_initial_ms;
	if (rel->inflight)
		rel->rtx_deadline = now + rel->rto_ms;
	transmit_more(rel, now);
}

static void send_zlb(struct l2tp_rel *rel)
{
	uint8_t zlb[L2TP_CTRL_HDR_LEN];

	/* Ns of a ZLB is that of the next message we will send */
	l2tp_zlb_build(zlb, sizeof zlb, rel->peer_tunnel_id,
		       (uint16_t)(rel->snd_una + rel->inflight), rel->rcv_nxt);
	rel->ack_pending = false;
	rel->stats.zlb_sent++;
	rel->ops->send(rel->ctx, zlb, sizeof zlb);
}

/* Deliver the message with Ns == rcv_nxt, then whatever was buffered right after it. */
static int deliver_in_order(struct l2tp_rel *rel, uint64_t now, const uint8_t *pkt, size_t len)
{
	int n = 1;

	if (!rel->ack_pending) {
		rel->ack_pending = true;
		rel->ack_deadline = now + rel->cfg.ack_delay_ms;
	}
	rel->rcv_nxt++;    /* first, so a reply sent from deliver() acknowledges it */
	rel->stats.delivered++;
	rel->ops->deliver(rel->ctx, pkt, len);
	for (;;) {
		struct rel_msg *slot = &rel->rx[rel->rcv_nxt % L2TP_REL_RWS_MAX];
		struct rel_msg m = *slot;

		if (!m.pkt)
			break;
		slot->pkt = NULL;
		rel->rcv_nxt++;
		rel->stats.delivered++;
		if (!rel->ack_pending) {
			rel->ack_pending = true;
			rel->ack_deadline = now + rel->cfg.ack_delay_ms;
		}
		rel->ops->deliver(rel->ctx, m.pkt, m.len);
		free(m.pkt);
		n++;
	}
	return n;
}

int l2tp_rel_input(struct l2tp_rel *rel, uint64_t now, const struct l2tp_ctrl_hdr *h,
		   const uint8_t *pkt, size_t len)
{
	uint16_t ahead;
	struct rel_msg *slot;

	if (len < L2TP_CTRL_HDR_LEN || !(h->flags & L2TP_HDR_F_TYPE))
		return -EBADMSG;
	rel->last_rx = now;
	process_ack(rel, now, h->nr);
	if (len == L2TP_CTRL_HDR_LEN)
		return 0;   /* ZLB: an acknowledgement only, its Ns is not consumed */
	ahead = (uint16_t)(h->ns - rel->rcv_nxt);
	if (ahead == 0)
		return deliver_in_order(rel, now, pkt, len);
	if (ahead >= 0x8000) {
		/* §5.8: a duplicate means our ack was lost: acknowledge again at once */
		rel->stats.duplicates++;
		send_zlb(rel);
		return 0;
	}
	if (ahead >= rel->cfg.our_rws) {
		rel->stats.out_of_window++;
		return 0;
	}
	rel->stats.out_of_order++;
	slot = &rel->rx[h->ns % L2TP_REL_RWS_MAX];
	if (!slot->pkt) {
		slot->pkt = malloc(len);
		if (!slot->pkt)
			return 0;   /* the peer will retransmit it */
		memcpy(slot->pkt, pkt, len);
		slot->len = (uint16_t)len;
	}
	return 0;
}

static uint64_t hello_deadline(const struct l2tp_rel *rel)
{
	if (!rel->cfg.hello_interval_ms || rel->q_count || rel->dead)
		return L2TP_REL_NO_DEADLINE;
	return rel->last_rx + rel->cfg.hello_interval_ms;
}

uint64_t l2tp_rel_next_deadline(const struct l2tp_rel *rel)
{
	uint64_t d = hello_deadline(rel);

	if (rel->ack_pending && rel->ack_deadline < d)
		d = rel->ack_deadline;
	if (rel->inflight && !rel->dead && rel->rtx_deadline < d)
		d = rel->rtx_deadline;
	return d;
}

static void retransmit(struct l2tp_rel *rel, uint64_t now)
{
	if (++rel->retries > rel->cfg.max_retries) {
		rel->dead = true;
		rel->ops->peer_dead(rel->ctx, rel->snd_una, rel->retries - 1);
		return;
	}
	/* Everything in flight: the peer may have dropped the later ones as out of order. */
	for (unsigned i = 0; i < rel->inflight; i++) {
		transmit(rel, i);
		rel->stats.retransmitted++;
	}
	rel->rto_ms = rel->rto_ms * 2 > rel->cfg.rto_max_ms ? rel->cfg.rto_max_ms
							     : rel->rto_ms * 2;
	rel->rtx_deadline = now + rel->rto_ms;
}

void l2tp_rel_tick(struct l2tp_rel *rel, uint64_t now)
{
	if (rel->inflight && !rel->dead && now >= rel->rtx_deadline)
		retransmit(rel, now);   /* carries the ack too */
	if (rel->ack_pending && now >= rel->ack_deadline)
		send_zlb(rel);
	if (now >= hello_deadline(rel)) {
		rel->last_rx = now;     /* one HELLO per silent interval */
		rel->ops->hello_due(rel->ctx);
	}
}

bool l2tp_rel_idle(const struct l2tp_rel *rel) { return rel->q_count == 0; }
uint16_t l2tp_rel_ns(const struct l2tp_rel *rel) { return (uint16_t)(rel->snd_una + rel->q_count); }
uint16_t l2tp_rel_nr(const struct l2tp_rel *rel) { return rel->rcv_nxt; }
const struct l2tp_rel_stats *l2tp_rel_stats(const struct l2tp_rel *rel) { return &rel->stats; }
uint16_t l2tp_rel_una(const struct l2tp_rel *rel) { return rel->snd_una; }
uint16_t l2tp_rel_peer_rws(const struct l2tp_rel *rel) { return rel->peer_rws; }

int l2tp_rel_queued(const struct l2tp_rel *rel, unsigned i, const uint8_t **pkt, size_t *len)
{
	const struct rel_msg *m;

	if (i >= rel->q_count)
		return -ENOENT;
	m = &rel->q[(rel->q_head + i) & (rel->q_cap - 1)];
	*pkt = m->pkt;
	*len = m->len;
	return 0;
}

void l2tp_rel_resume(struct l2tp_rel *rel, uint16_t ns, uint16_t nr)
{
	rel->snd_una = ns;
	rel->rcv_nxt = nr;
}
