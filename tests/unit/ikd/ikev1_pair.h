/*
 * Test harness: two ikd engines in one process, an initiator and a responder, packets
 * passed in memory through a queue the test can reorder, duplicate or drop from, the
 * kernel replaced by a recorder of SAs and policies. Optionally a NAT between them
 * (rewriting the initiator's address and port) and a wire that cuts the initiator's large
 * messages into IKE fragments as Windows does.
 *
 * Header-only (static inline) because each tests/unit/ROOM/test_NAME.c is one program.
 */
#ifndef L2SEC_TESTS_IKD_IKEV1_PAIR_H
#define L2SEC_TESTS_IKD_IKEV1_PAIR_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikd/daemon.h"
#include "ikd/ikev1_main.h"

/* ---- a recording kernel ------------------------------------------------------------- */

struct rec_sa {
	struct xfrm_sa sa;
	uint8_t key[160];
	size_t key_len;
	bool live;
};

struct rec_kernel {
	uint32_t next_spi;
	struct rec_sa sas[64];
	size_t n;
	uint32_t larval[64];    /* SPIs reserved and neither completed nor released */
	size_t n_larval;
	struct xfrm_policy pol[16];     /* as the kernel holds them: one per selector/dir/mark */
	int policies;           /* how many */
	unsigned policy_dels;   /* deletions that found a policy */
	uint64_t bytes;         /* what sa_get reports for every SA */
};

/* Forget spi as a larval SA; false if it was none. */
static inline bool rk_take_larval(struct rec_kernel *k, uint32_t spi)
{
	for (size_t i = 0; i < k->n_larval; i++)
		if (k->larval[i] == spi) {
			k->larval[i] = k->larval[--k->n_larval];
			return true;
		}
	return false;
}

static inline int rk_spi_alloc(void *ctx, const struct xfrm_sa *key, uint32_t *spi)
{
	struct rec_kernel *k = ctx;
	assert_true(k->n_larval < 64);
	*spi = k->next_spi++;
	k->larval[k->n_larval++] = *spi;
	return 0;
}

static inline struct rec_sa *rk_find(struct rec_kernel *k, uint32_t spi);

/* Deletes whatever SA has that SPI, larval or complete (XFRM_MSG_DELSA). */
static inline int rk_spi_release(void *ctx, const struct xfrm_sa *key, uint32_t spi)
{
	struct rec_kernel *k = ctx;
	struct rec_sa *r = rk_find(k, spi);
	if (r)
		r->live = false;
	return rk_take_larval(k, spi) || r ? 0 : -ESRCH;
}

static inline int rk_sa_add(void *ctx, const struct xfrm_sa *sa, bool update)
{
	struct rec_kernel *k = ctx;
	if (update)
		rk_take_larval(k, sa->spi);
	assert_true(k->n < 64);
	struct rec_sa *r = &k->sas[k->n++];
	r->sa = *sa;
	memcpy(r->key, sa->crypto.encr_key, sa->crypto.encr_key_len);
	memcpy(r->key + sa->crypto.encr_key_len, sa->crypto.integ_key, sa->crypto.integ_key_len);
	r->key_len = sa->crypto.encr_key_len + sa->crypto.integ_key_len;
	r->sa.crypto.encr_key = r->sa.crypto.integ_key = NULL;
	r->live = true;
	return 0;
}

static inline struct rec_sa *rk_find(struct rec_kernel *k, uint32_t spi)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->sas[i].sa.spi == spi && k->sas[i].live)
			return &k->sas[i];
	return NULL;
}

static inline int rk_sa_del(void *ctx, const struct xfrm_sa *sa)
{
	struct rec_sa *r = rk_find(ctx, sa->spi);
	if (!r)
		return -ESRCH;
	r->live = false;
	return 0;
}

static inline int rk_sa_get(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	struct rec_kernel *k = ctx;
	if (!rk_find(k, key->spi))
		return -ESRCH;
	memset(out, 0, sizeof *out);
	out->bytes = k->bytes;
	return 0;
}

/* The kernel's identity of a policy: selector, direction, mark. */
static inline bool rk_same_policy(const struct xfrm_policy *a, const struct xfrm_policy *b)
{
	return a->dir == b->dir && a->mark == b->mark && a->mark_mask == b->mark_mask &&
	       memcmp(&a->sel.src, &b->sel.src, sizeof a->sel.src) == 0 &&
	       memcmp(&a->sel.dst, &b->sel.dst, sizeof a->sel.dst) == 0 &&
	       a->sel.src_plen == b->sel.src_plen && a->sel.dst_plen == b->sel.dst_plen &&
	       a->sel.proto == b->sel.proto && a->sel.sport == b->sel.sport &&
	       a->sel.dport == b->sel.dport;
}

static inline struct xfrm_policy *rk_find_policy(struct rec_kernel *k, const struct xfrm_policy *p)
{
	for (int i = 0; i < k->policies; i++)
		if (rk_same_policy(&k->pol[i], p))
			return &k->pol[i];
	return NULL;
}

/* Add, or update in place (as ikd's backend does: NEWPOLICY, UPDPOLICY on EEXIST). */
static inline int rk_policy_set(void *ctx, const struct xfrm_policy *p)
{
	struct rec_kernel *k = ctx;
	struct xfrm_policy *have = rk_find_policy(k, p);
	if (!have) {
		assert_true(k->policies < 16);
		have = &k->pol[k->policies++];
	}
	*have = *p;
	return 0;
}

static inline int rk_policy_del(void *ctx, const struct xfrm_policy *p)
{
	struct rec_kernel *k = ctx;
	struct xfrm_policy *have = rk_find_policy(k, p);
	if (!have)
		return -ENOENT;
	*have = k->pol[--k->policies];
	k->policy_dels++;
	return 0;
}

static inline const char *rk_strerror(void *ctx)
{
	return "recorder";
}

/* Every live SA, as ours (the l2sec reqid band). */
static inline int rk_sa_dump(void *ctx, int (*fn)(const struct xfrm_sa_info *, void *),
			     void *arg)
{
	struct rec_kernel *k = ctx;
	for (size_t i = 0; i < k->n; i++) {
		if (!k->sas[i].live)
			continue;
		struct xfrm_sa_info info;
		memset(&info, 0, sizeof info);
		info.sa = k->sas[i].sa;
		info.owned = true;
		int rc = fn(&info, arg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct ikd_kernel_ops rk_ops = {
	rk_spi_alloc, rk_spi_release, rk_sa_add, rk_sa_del, rk_sa_get, rk_policy_set,
	rk_policy_del, rk_strerror, rk_sa_dump,
};

static inline size_t live_sas(const struct rec_kernel *k)
{
	size_t n = 0;
	for (size_t i = 0; i < k->n; i++)
		n += k->sas[i].live;
	return n;
}

/* ---- two daemons and a wire -------------------------------------------------------- */

struct side {
	struct ikd d;
	struct rec_kernel k;
	union ikd_sockaddr addr;        /* own address as it believes */
	union ikd_sockaddr seen_as;     /* how the other side sees it (NAT) */
	char failure[512];
	unsigned failures, ipsec_up, ike_up, ipsec_down;
};

#define QMAX 64
struct wire_pkt {
	struct side *to;
	struct side *from;
	bool natt;
	size_t len;
	uint8_t data[4096];
};

static struct wire_pkt queue[QMAX];
static size_t q_head, q_tail;
static struct side *side_i, *side_r;
static bool drop_all;
static size_t fragment_above;          /* cut I's larger messages into FRAG messages */
static uint16_t nat_port_base = 40000;  /* the NAT's source ports for the initiator */

/* Queue pkt as IKEv1 fragments of at most `piece` bytes of the original ([MS-IKEE]). */
static inline void queue_fragments(struct side *from, const struct ike_sa *sa,
				   const uint8_t *pkt, size_t len, size_t piece)
{
	static uint16_t frag_id = 7;
	frag_id++;
	uint8_t n = 0;
	for (size_t off = 0; off < len; off += piece) {
		size_t chunk = len - off < piece ? len - off : piece;
		struct wire_pkt *w = &queue[q_tail++ % QMAX];
		w->from = from;
		w->to = side_r;
		w->natt = sa->natt;
		uint8_t *b = w->data;
		memcpy(b, pkt, 16);             /* cookies */
		b[16] = 132;                    /* next payload: FRAG */
		b[17] = 0x10;
		b[18] = pkt[18];                /* exchange */
		b[19] = 0;
		memset(b + 20, 0, 4);           /* message id */
		size_t total = 28 + 8 + chunk;
		b[24] = 0; b[25] = 0; b[26] = (uint8_t)(total >> 8); b[27] = (uint8_t)total;
		b[28] = 0; b[29] = 0;
		b[30] = (uint8_t)((8 + chunk) >> 8); b[31] = (uint8_t)(8 + chunk);
		b[32] = (uint8_t)(frag_id >> 8); b[33] = (uint8_t)frag_id;
		b[34] = ++n;
		b[35] = off + chunk >= len ? 1 : 0;
		memcpy(b + 36, pkt + off, chunk);
		w->len = total;
	}
}

static inline int send_hook(void *arg, const struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	struct side *from = arg;
	if (drop_all)
		return 0;
	assert_true(q_tail - q_head < QMAX);
	assert_true(len <= sizeof queue[0].data);
	if (from == side_i && fragment_above && len > fragment_above) {
		queue_fragments(from, sa, pkt, len, fragment_above);
		return 0;
	}
	struct wire_pkt *w = &queue[q_tail++ % QMAX];
	w->from = from;
	w->to = from == side_i ? side_r : side_i;
	w->natt = sa->natt;
	w->len = len;
	memcpy(w->data, pkt, len);
	return 0;
}

static inline void event_hook(void *arg, enum ikd_event ev, const struct ike_sa *sa,
		       const struct ipsec_sa *child, const char *reason)
{
	struct side *s = arg;
	switch (ev) {
	case IKD_EV_FAILED:
		s->failures++;
		snprintf(s->failure, sizeof s->failure, "%s", reason ? reason : "");
		break;
	case IKD_EV_IPSEC_UP: s->ipsec_up++; break;
	case IKD_EV_IPSEC_DOWN: s->ipsec_down++; break;
	case IKD_EV_IKE_UP: s->ike_up++; break;
	default: break;
	}
}

/* Deliver one queued packet; false when the queue is empty. */
static inline bool deliver_one(void)
{
	if (q_head == q_tail)
		return false;
	struct wire_pkt *w = &queue[q_head++ % QMAX];
	struct ike_packet p = { .natt = w->natt, .data = w->data, .len = w->len };
	p.local = w->to->addr;
	p.peer = w->from->seen_as;
	uint16_t port = w->natt ? 4500 : 500;
	ikd_addr_set_port(&p.local, port);
	if (w->from->seen_as.sa.sa_family &&
	    !ikd_addr_equal(&w->from->seen_as.sa, &w->from->addr.sa, false))
		ikd_addr_set_port(&p.peer, (uint16_t)(nat_port_base + (w->natt ? 1 : 0)));
	else
		ikd_addr_set_port(&p.peer, port);
	ikd_input(&w->to->d, &p);
	return true;
}

/* Move the queued packet at index i (0 = the next to deliver) to the head. */
static inline void queue_to_front(size_t i)
{
	assert_true(q_head + i < q_tail);
	struct wire_pkt w = queue[(q_head + i) % QMAX];
	for (size_t k = q_head + i; k > q_head; k--)
		queue[k % QMAX] = queue[(k - 1) % QMAX];
	queue[q_head % QMAX] = w;
}

/* Queue a copy of the packet at index i at the tail (a retransmission on the wire). */
static inline void queue_dup(size_t i)
{
	assert_true(q_head + i < q_tail && q_tail - q_head < QMAX);
	queue[q_tail % QMAX] = queue[(q_head + i) % QMAX];
	q_tail++;
}

static inline size_t queued(void)
{
	return q_tail - q_head;
}

static inline unsigned run_wire(void)
{
	unsigned n = 0;
	while (deliver_one())
		n++;
	return n;
}

static const char conf_i_fmt[] =
	"connections = ( { name = \"c\"; local = \"192.0.2.1\"; remote = \"192.0.2.2\";\n"
	"  ike = \"%s\"; esp = \"%s\"; exchange = \"%s\"; local_id = \"%s\";\n"
	"  local_protoport = \"udp/1701\"; remote_protoport = \"udp/1701\";\n"
	"  pfs_group = %u; rekey_margin = 60; } );\n";
static const char conf_r_fmt[] =
	"ikd: { nat_marks = %s; };\n"
	"connections = ( { name = \"l2tp\"; remote = \"%%any\"; ike = \"%s\"; esp = \"%s\";\n"
	"  exchange = \"%s\"; local_protoport = \"udp/1701\"; remote_protoport = \"udp/%%any\";"
	" } );\n";

struct scenario {
	const char *ike_i, *esp_i, *ike_r, *esp_r;
	const char *psk_i, *psk_r;
	bool aggressive;
	unsigned pfs;
	bool nat;
	bool marks;
};

static inline void side_init(struct side *s, const char *conf_text, const char *secrets,
		      const char *addr)
{
	memset(s, 0, sizeof *s);
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag diag = { 0 };
	int rc = ikd_conf_parse_string(conf_text, &c, &diag);
	if (rc < 0)
		fail_msg("config: %s", diag.text[0]);
	assert_int_equal(ikd_conf_parse_secrets_string(c, secrets, &diag), 0);
	s->k.next_spi = addr[8] == '1' ? 0x1000 : 0x2000;
	struct ikd_kernel k = { &rk_ops, &s->k };
	assert_int_equal(ikd_init_core(&s->d, NULL, c, &k), 0);
	s->d.send_hook = send_hook;
	s->d.send_hook_arg = s;
	s->d.event_hook = event_hook;
	s->d.event_hook_arg = s;
	assert_int_equal(ikd_addr_parse(addr, 500, &s->addr), 0);
	s->seen_as = s->addr;
}

static inline void setup_pair(const struct scenario *sc)
{
	static struct side si, sr;
	char ci[1024], cr[1024], secr_i[256], secr_r[256];
	snprintf(ci, sizeof ci, conf_i_fmt, sc->ike_i, sc->esp_i,
		 sc->aggressive ? "aggressive" : "main",
		 sc->aggressive ? "@client.example" : "%any", sc->pfs);
	snprintf(cr, sizeof cr, conf_r_fmt, sc->marks ? "true" : "false", sc->ike_r, sc->esp_r,
		 sc->aggressive ? "aggressive" : "main");
	snprintf(secr_i, sizeof secr_i, "ike: { psk = ( { peer = \"192.0.2.2\"; secret = \"%s\"; } ); };",
		 sc->psk_i);
	snprintf(secr_r, sizeof secr_r, "ike: { psk = ( { peer = \"%%any\"; secret = \"%s\"; } ); };",
		 sc->psk_r);
	q_head = q_tail = 0;
	drop_all = false;
	fragment_above = 0;
	side_i = &si;
	side_r = &sr;
	side_init(&si, ci, secr_i, "192.0.2.1");
	side_init(&sr, cr, secr_r, "192.0.2.2");
	if (sc->nat)
		assert_int_equal(ikd_addr_parse("203.0.113.5", 500, &si.seen_as), 0);
}

static inline void teardown_pair(void)
{
	ikd_free_core(&side_i->d);
	ikd_free_core(&side_r->d);
}

static inline struct ike_sa *only_sa(struct ikd *d)
{
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		if (d->sas.by_cookie[i])
			return d->sas.by_cookie[i];
	return NULL;
}

static inline void initiate(void)
{
	struct ike_sa *sa = NULL;
	const struct ikd_conn *c = ikd_conf_find_conn(side_i->d.conf, "c");
	union ikd_sockaddr peer;
	ikd_addr_parse("192.0.2.2", 500, &peer);
	assert_int_equal(ikev1_main_initiate(&side_i->d, c, &peer, &sa), 0);
}

/* Both sides up, same keys, matching SPIs and kernel keys. */
static inline void check_established_pair(void)
{
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->established);
	assert_true(b->established);
	assert_memory_equal(a->cky_i, b->cky_i, 8);
	assert_memory_equal(a->cky_r, b->cky_r, 8);
	assert_int_equal(a->keys.prf_len, b->keys.prf_len);
	assert_memory_equal(a->keys.skeyid_d, b->keys.skeyid_d, a->keys.prf_len);
	assert_memory_equal(a->keys.skeyid_a, b->keys.skeyid_a, a->keys.prf_len);
	assert_memory_equal(a->keys.enc_key, b->keys.enc_key, sizeof a->keys.enc_key);
	assert_non_null(a->children);
	assert_non_null(b->children);
	const struct ipsec_sa *ca = a->children, *cb = b->children;
	assert_int_equal(ca->spi_in, cb->spi_out);
	assert_int_equal(ca->spi_out, cb->spi_in);
	assert_int_equal(ca->spi_in & 0xf000, 0x1000);
	assert_int_equal(cb->spi_in & 0xf000, 0x2000);
	/* Kernel: I's outbound SA carries exactly R's inbound key, and the reverse. */
	struct rec_sa *i_out = rk_find(&side_i->k, ca->spi_out), *r_in = rk_find(&side_r->k, cb->spi_in);
	struct rec_sa *i_in = rk_find(&side_i->k, ca->spi_in), *r_out = rk_find(&side_r->k, cb->spi_out);
	assert_non_null(i_out);
	assert_non_null(r_in);
	assert_non_null(i_in);
	assert_non_null(r_out);
	assert_true(i_out->key_len > 16);
	assert_int_equal(i_out->key_len, r_in->key_len);
	assert_memory_equal(i_out->key, r_in->key, i_out->key_len);
	assert_memory_equal(i_in->key, r_out->key, i_in->key_len);
	assert_memory_not_equal(i_in->key, i_out->key, i_in->key_len);
	assert_int_equal(side_i->ipsec_up, 1);
	assert_int_equal(side_r->ipsec_up, 1);
	assert_int_equal(side_i->failures, 0);
	assert_int_equal(side_r->failures, 0);
}


#endif
