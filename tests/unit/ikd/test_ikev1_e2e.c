/*
 * End to end in one process: an ikd initiator engine against an ikd responder engine,
 * packets passed in memory, the kernel replaced by a recorder. Checks that both sides
 * derive the same keys, agree on SPIs and install matching SAs; and that the failures an
 * admin meets (PSK mismatch, proposal mismatch) are reported with the right reason.
 * Also NAT-T (a NAT rewriting the initiator's address and port), duplicates answered
 * from the cache, Aggressive Mode, DPD, Delete, INITIAL-CONTACT.
 */
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
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "ikd/daemon.h"
#include "ikd/dpd.h"
#include "ikd/ike_names.h"
#include "ikd/ike_restore.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_main.h"
#include "ikd/ikev1_quick.h"
#include "ikd/ikev1_states.h"

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
	int policies;
	uint64_t bytes;         /* what sa_get reports for every SA */
};

static int rk_spi_alloc(void *ctx, const struct xfrm_sa *key, uint32_t *spi)
{
	struct rec_kernel *k = ctx;
	*spi = k->next_spi++;
	return 0;
}

static int rk_spi_release(void *ctx, const struct xfrm_sa *key, uint32_t spi)
{
	return 0;
}

static int rk_sa_add(void *ctx, const struct xfrm_sa *sa, bool update)
{
	struct rec_kernel *k = ctx;
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

static struct rec_sa *rk_find(struct rec_kernel *k, uint32_t spi)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->sas[i].sa.spi == spi && k->sas[i].live)
			return &k->sas[i];
	return NULL;
}

static int rk_sa_del(void *ctx, const struct xfrm_sa *sa)
{
	struct rec_sa *r = rk_find(ctx, sa->spi);
	if (!r)
		return -ESRCH;
	r->live = false;
	return 0;
}

static int rk_sa_get(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	struct rec_kernel *k = ctx;
	if (!rk_find(k, key->spi))
		return -ESRCH;
	memset(out, 0, sizeof *out);
	out->bytes = k->bytes;
	return 0;
}

static int rk_policy_set(void *ctx, const struct xfrm_policy *p)
{
	((struct rec_kernel *)ctx)->policies++;
	return 0;
}

static int rk_policy_del(void *ctx, const struct xfrm_policy *p)
{
	((struct rec_kernel *)ctx)->policies--;
	return 0;
}

static const char *rk_strerror(void *ctx)
{
	return "recorder";
}

static const struct ikd_kernel_ops rk_ops = {
	rk_spi_alloc, rk_spi_release, rk_sa_add, rk_sa_del, rk_sa_get, rk_policy_set,
	rk_policy_del, rk_strerror, NULL,
};

static size_t live_sas(const struct rec_kernel *k)
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
static size_t fragment_above;
static uint16_t nat_port_base = 40000;  /* the NAT's source ports for the initiator */   /* split I's messages larger than this into FRAG messages */

/* Queue pkt as IKEv1 fragments of at most `piece` bytes of the original ([MS-IKEE]). */
static void queue_fragments(struct side *from, const struct ike_sa *sa, const uint8_t *pkt,
			    size_t len, size_t piece)
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

static int send_hook(void *arg, const struct ike_sa *sa, const uint8_t *pkt, size_t len)
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

static void event_hook(void *arg, enum ikd_event ev, const struct ike_sa *sa,
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
static bool deliver_one(void)
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

static unsigned run_wire(void)
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

static void side_init(struct side *s, const char *conf_text, const char *secrets,
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

static void setup_pair(const struct scenario *sc)
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

static void teardown_pair(void)
{
	ikd_free_core(&side_i->d);
	ikd_free_core(&side_r->d);
}

static struct ike_sa *only_sa(struct ikd *d)
{
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		if (d->sas.by_cookie[i])
			return d->sas.by_cookie[i];
	return NULL;
}

static void initiate(void)
{
	struct ike_sa *sa = NULL;
	const struct ikd_conn *c = ikd_conf_find_conn(side_i->d.conf, "c");
	union ikd_sockaddr peer;
	ikd_addr_parse("192.0.2.2", 500, &peer);
	assert_int_equal(ikev1_main_initiate(&side_i->d, c, &peer, &sa), 0);
}

/* Both sides up, same keys, matching SPIs and kernel keys. */
static void check_established_pair(void)
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

static const struct scenario basic = {
	"aes256-sha1-modp2048", "aes256-sha1", "legacy-clients", "legacy-clients",
	"correct horse", "correct horse", false, 0, false, false,
};

static void test_main_quick_psk(void **state)
{
	setup_pair(&basic);
	initiate();
	unsigned n = run_wire();
	assert_int_equal(n, 9);         /* MM 1-6, QM 1-3 */
	check_established_pair();
	struct ike_sa *b = only_sa(&side_r->d);
	const struct ipsec_sa *cb = b->children;
	assert_false(cb->params.tunnel);
	assert_int_equal(cb->params.encr, 12);
	assert_int_equal(cb->params.key_bits, 256);
	assert_int_equal(cb->local_ts.port, 1701);
	assert_int_equal(cb->local_ts.proto, 17);
	/* Transport SAs with UDP/1701 selectors on the responder side; no encapsulation. */
	struct rec_sa *r_in = rk_find(&side_r->k, cb->spi_in);
	assert_int_equal(r_in->sa.mode, XFRM_SA_TRANSPORT);
	assert_int_equal(r_in->sa.sel.dport, 1701);
	assert_false(r_in->sa.encap);
	assert_int_equal(side_r->k.policies, 2);
	assert_int_equal(b->state, P1_ESTABLISHED);
	teardown_pair();
}

static void test_pfs(void **state)
{
	struct scenario sc = basic;
	sc.esp_i = "aes128-sha256-modp2048";
	sc.pfs = 14;
	setup_pair(&sc);
	initiate();
	run_wire();
	check_established_pair();
	assert_int_equal(only_sa(&side_r->d)->children->params.pfs_group, 14);
	teardown_pair();
}

static void test_psk_mismatch(void **state)
{
	struct scenario sc = basic;
	sc.psk_r = "wrong horse";
	setup_pair(&sc);
	initiate();
	run_wire();
	assert_int_equal(side_r->failures, 1);
	assert_non_null(strstr(side_r->failure, "pre-shared keys differ"));
	assert_null(only_sa(&side_r->d));       /* the half-open SA is gone */
	teardown_pair();
}

static void test_proposal_mismatch(void **state)
{
	struct scenario sc = basic;
	sc.ike_i = "aes128-sha256-modp2048";
	sc.ike_r = "aes256-sha384-ecp384";
	setup_pair(&sc);
	initiate();
	run_wire();
	assert_int_equal(side_r->failures, 1);
	/* Our reason quotes what the peer offered and what we accept. */
	assert_non_null(strstr(side_r->failure, "aes128"));
	/* The initiator hears NO-PROPOSAL-CHOSEN in clear and says so. */
	assert_int_equal(side_i->failures, 1);
	assert_non_null(strstr(side_i->failure, "NO-PROPOSAL-CHOSEN"));
	assert_null(only_sa(&side_i->d));
	teardown_pair();
}

static void test_esp_proposal_mismatch(void **state)
{
	struct scenario sc = basic;
	sc.esp_i = "aes128-sha1";
	sc.esp_r = "aes256-sha256";
	setup_pair(&sc);
	initiate();
	run_wire();
	assert_int_equal(side_r->failures, 1);
	assert_non_null(strstr(side_r->failure, "Quick Mode"));
	assert_true(only_sa(&side_r->d)->established);   /* Phase 1 stays up */
	assert_null(only_sa(&side_r->d)->children);
	/* The initiator retransmits its message 1: dropped, not failed and reported again. */
	struct ike_sa *a = only_sa(&side_i->d);
	assert_non_null(a->qms);
	ike_xmit_timeout(&a->qms->xmit);
	assert_int_equal(run_wire(), 1);
	assert_int_equal(side_r->failures, 1);
	assert_int_equal(side_r->d.stats.rx_unexpected, 1);
	teardown_pair();
}

static void test_nat_traversal(void **state)
{
	struct scenario sc = basic;
	sc.nat = true;
	setup_pair(&sc);
	initiate();
	run_wire();
	check_established_pair();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	assert_true(a->natt);
	assert_true(b->natt);
	assert_int_equal(a->nat, IKE_NAT_LOCAL);
	assert_int_equal(b->nat, IKE_NAT_PEER);
	assert_int_equal(b->natt_method, IKE_NATT_RFC);
	assert_int_equal(ikd_addr_port(&b->peer.sa), 40001);
	const struct ipsec_sa *cb = b->children;
	assert_int_equal(cb->params.encap_mode, 4);     /* UDP-encapsulated transport */
	struct rec_sa *r_out = rk_find(&side_r->k, cb->spi_out);
	assert_true(r_out->sa.encap);
	assert_int_equal(r_out->sa.encap_sport, 4500);
	assert_int_equal(r_out->sa.encap_dport, 40001);
	/* The NAT forgets the mapping: the client shows up from another port with an
	 * authentic message (a DPD probe). ikd follows and re-installs the ESP pair. */
	nat_port_base = 41000;
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	run_wire();
	nat_port_base = 40000;
	assert_int_equal(ikd_addr_port(&b->peer.sa), 41001);
	r_out = rk_find(&side_r->k, cb->spi_out);
	assert_non_null(r_out);
	assert_int_equal(r_out->sa.encap_dport, 41001);
	struct rec_sa *r_in = rk_find(&side_r->k, cb->spi_in);
	assert_non_null(r_in);
	assert_int_equal(r_in->sa.encap_sport, 41001);
	assert_int_equal(live_sas(&side_r->k), 2);
	teardown_pair();
}

/* Clients behind NAT get an XFRM mark: outbound SA and policies match it, the inbound SA
 * sets it; a rekeyed pair keeps it (l2tpd's socket mark stays valid). */
static void test_nat_marks_kept_across_rekey(void **state)
{
	struct scenario sc = basic;
	sc.nat = true;
	sc.marks = true;
	setup_pair(&sc);
	initiate();
	run_wire();
	check_established_pair();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	const struct ipsec_sa *cb = b->children;
	assert_int_equal(cb->mark, 0x100);
	assert_int_equal(a->children->mark, 0);          /* the client side needs none */
	struct rec_sa *r_out = rk_find(&side_r->k, cb->spi_out), *r_in = rk_find(&side_r->k, cb->spi_in);
	assert_int_equal(r_out->sa.mark, 0x100);
	assert_int_equal(r_out->sa.mark_mask, 0xffffffffu);
	assert_int_equal(r_in->sa.mark, 0);
	assert_int_equal(r_in->sa.set_mark, 0x100);
	uint32_t old_spi = cb->spi_in, reqid = cb->reqid;
	/* The client rekeys its pair. */
	assert_int_equal(ikev1_quick_initiate(a, a->children), 0);
	run_wire();
	assert_int_equal(side_r->ipsec_up, 2);
	const struct ipsec_sa *n = b->children;
	assert_int_not_equal(n->spi_in, old_spi);
	assert_int_equal(n->mark, 0x100);
	assert_int_equal(n->reqid, reqid);
	assert_true(n->next && n->next->superseded);
	assert_int_equal(side_r->ipsec_down, 0);         /* a rekey is not a "down" for l2tpd */
	teardown_pair();
}

static void test_duplicate_answered_from_cache(void **state)
{
	setup_pair(&basic);
	initiate();
	/* MM1 to R twice (a retransmission crossing our answer). */
	queue[q_tail % QMAX] = queue[q_head % QMAX];
	q_tail++;
	size_t before = q_tail;
	assert_true(deliver_one());
	assert_true(deliver_one());
	assert_int_equal(side_r->d.stats.rx_duplicates, 1);
	assert_int_equal(side_r->d.sas.count, 1);
	/* R re-sent MM2: two MM2 queued now. */
	assert_int_equal(q_tail - before, 2);
	run_wire();
	check_established_pair();
	teardown_pair();
}

static void test_retransmit_exhausted(void **state)
{
	setup_pair(&basic);
	drop_all = true;
	initiate();
	struct ike_sa *a = only_sa(&side_i->d);
	for (int i = 0; i < 10 && only_sa(&side_i->d); i++)
		ike_xmit_timeout(&a->xmit);
	assert_null(only_sa(&side_i->d));
	assert_int_equal(side_i->failures, 1);
	assert_non_null(strstr(side_i->failure, "no answer"));
	teardown_pair();
}

static void test_aggressive(void **state)
{
	struct scenario sc = basic;
	sc.aggressive = true;
	setup_pair(&sc);
	initiate();
	unsigned n = run_wire();
	assert_int_equal(n, 6);         /* AM 1-3, QM 1-3 */
	check_established_pair();
	char id[300];
	assert_string_equal(ikd_id_str(&only_sa(&side_r->d)->peer_id, id, sizeof id),
			    "fqdn:client.example");
	teardown_pair();
}

static void test_dpd_and_delete(void **state)
{
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	/* Idle: I sends R-U-THERE, R acks. */
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_true(a->dpd_pending);
	assert_int_equal(run_wire(), 2);
	assert_false(a->dpd_pending);
	/* Active ESP (kernel counters move): no probe. */
	a->last_rx_ms -= 3600 * 1000;
	side_i->k.bytes = 1000;
	dpd_check(a);
	assert_false(a->dpd_pending);
	assert_int_equal(run_wire(), 0);
	/* Terminate on I: Deletes for ESP and ISAKMP reach R, which removes everything. */
	ikev1_delete_sa(a, true, true, "test");
	assert_int_equal(live_sas(&side_i->k), 0);
	run_wire();
	assert_null(only_sa(&side_r->d));
	assert_int_equal(live_sas(&side_r->k), 0);
	assert_int_equal(side_r->ipsec_down, 1);
	teardown_pair();
}

static void test_dpd_dead_peer(void **state)
{
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *b = only_sa(&side_r->d);
	drop_all = true;
	b->last_rx_ms -= 3600 * 1000;
	dpd_check(b);
	assert_true(b->dpd_pending);
	b->dpd_sent_ms -= 3600 * 1000;
	dpd_check(b);
	assert_null(only_sa(&side_r->d));
	assert_int_equal(live_sas(&side_r->k), 0);
	assert_non_null(strstr(side_r->failure, "DPD"));
	teardown_pair();
}

static void test_initial_contact_replaces(void **state)
{
	setup_pair(&basic);
	initiate();
	run_wire();
	/* The client "reboots": it forgets its SAs and connects again. */
	struct ike_sa *a = only_sa(&side_i->d);
	ike_sa_destroy(a);
	initiate();
	run_wire();
	assert_int_equal(side_r->d.sas.count, 1);
	struct ike_sa *b = only_sa(&side_r->d);
	assert_non_null(b->children);
	assert_null(b->children->next);
	assert_int_equal(live_sas(&side_r->k), 2);      /* exactly one pair left */
	teardown_pair();
}

/* RSA signatures with X.509 certificates: both sides up, identities are the subjects.
 * i_conn: more settings of the initiator's connection; settings: an ikd section for both. */
static void setup_rsa_pair_with(const char *r_ca, const char *i_conn, const char *settings)
{
	static struct side si, sr;
	char ci[1400], cr[1400];
	snprintf(ci, sizeof ci,
		 "%s\nconnections = ( { name = \"c\"; local = \"192.0.2.1\"; remote = \"192.0.2.2\";\n"
		 "  auth = \"rsa\"; ike = \"aes256-sha256-modp2048\"; esp = \"aes256-sha256\";\n"
		 "  cert = \"%s/ikd_cert_client.pem\"; key = \"%s/ikd_cert_client.key\";\n"
		 "  ca = \"%s/ikd_cert_ca.pem\"; remote_id = \"@server.example.org\";\n"
		 "  local_protoport = \"udp/1701\"; remote_protoport = \"udp/1701\"; %s } );\n",
		 settings, L2SEC_TEST_DATA, L2SEC_TEST_DATA, L2SEC_TEST_DATA, i_conn);
	snprintf(cr, sizeof cr,
		 "%s\nconnections = ( { name = \"l2tp\"; remote = \"%%any\"; auth = \"rsa\";\n"
		 "  cert = \"%s/ikd_cert_server.pem\"; key = \"%s/ikd_cert_server.key\";\n"
		 "  ca = \"%s/%s\"; local_id = \"@server.example.org\";\n"
		 "  local_protoport = \"udp/1701\"; remote_protoport = \"udp/%%any\"; } );\n",
		 settings, L2SEC_TEST_DATA, L2SEC_TEST_DATA, L2SEC_TEST_DATA, r_ca);
	q_head = q_tail = 0;
	drop_all = false;
	fragment_above = 0;
	side_i = &si;
	side_r = &sr;
	side_init(&si, ci, "", "192.0.2.1");
	side_init(&sr, cr, "", "192.0.2.2");
}

static void setup_rsa_pair(const char *r_ca)
{
	/* Fragments both ways would hide what these tests look at: keep messages whole. */
	setup_rsa_pair_with(r_ca, "", "ikd: { fragment_size = 65535; };");
}

static void test_rsa_certificates(void **state)
{
	setup_rsa_pair("ikd_cert_ca.pem");
	initiate();
	run_wire();
	check_established_pair();
	char id[300];
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	assert_string_equal(ikd_id_str(&b->peer_id, id, sizeof id),
			    "dn:/C=XX/O=l2sec test/CN=client.example.org");
	assert_string_equal(ikd_id_str(&a->peer_id, id, sizeof id), "fqdn:server.example.org");
	assert_int_equal(b->p1.auth, IKD_AUTH_RSA);
	teardown_pair();
}

/* The initiator's certificate message comes in fragments, as from Windows: cut by the
 * wire here (the initiator announces no fragmentation, so ikd never fragments to it). */
static void test_rsa_fragmented(void **state)
{
	setup_rsa_pair_with("ikd_cert_ca.pem", "fragmentation = false;", "");
	fragment_above = 400;
	initiate();
	run_wire();
	check_established_pair();
	assert_int_equal(side_r->d.stats.rx_malformed, 0);
	assert_int_equal(side_r->d.stats.rx_reassembled, 2);    /* MM3 (big KE) and MM5 */
	assert_int_equal(side_r->d.stats.tx_fragments, 0);
	teardown_pair();
}

/* Both sides announce fragmentation and send their certificate messages (MM5, MM6) in
 * fragments of at most fragment_size bytes (the default, 548); a lost fragment is recovered by the
 * retransmission, which resends every fragment under the same fragment id. */
static void test_rsa_fragments_sent(void **state)
{
	setup_rsa_pair_with("ikd_cert_ca.pem", "", "");
	initiate();
	/* MM1-MM4 whole, then MM5 in fragments: lose its second fragment. */
	for (int i = 0; i < 4; i++)
		assert_true(deliver_one());
	size_t n5 = q_tail - q_head;
	assert_true(n5 >= 3);
	size_t max_len = 0;
	uint16_t id = (uint16_t)(queue[q_head % QMAX].data[32] << 8 | queue[q_head % QMAX].data[33]);
	for (size_t i = 0; i < n5; i++) {
		const struct wire_pkt *w = &queue[(q_head + i) % QMAX];
		assert_int_equal(w->data[16], ISAKMP_PL_FRAG);
		assert_int_equal(w->data[34], i + 1);                   /* numbers from 1 */
		assert_int_equal(w->data[35], i + 1 == n5 ? 1 : 0);     /* LAST on the last */
		assert_int_equal(w->data[32] << 8 | w->data[33], id);
		max_len = w->len > max_len ? w->len : max_len;
	}
	assert_int_equal(max_len, 548);
	assert_true(deliver_one());
	q_head++;                                       /* fragment 2 lost */
	run_wire();
	assert_false(only_sa(&side_r->d)->established);
	/* The initiator retransmits MM5: all fragments again, same id. */
	struct ike_sa *a = only_sa(&side_i->d);
	ike_xmit_timeout(&a->xmit);
	assert_int_equal(q_tail - q_head, n5);
	assert_int_equal(queue[q_head % QMAX].data[32] << 8 | queue[q_head % QMAX].data[33], id);
	run_wire();
	check_established_pair();
	assert_int_equal(side_i->d.stats.tx_fragments, 2 * n5);
	assert_true(side_r->d.stats.tx_fragments >= 3);        /* MM6 */
	assert_int_equal(side_r->d.stats.rx_reassembled, 1);
	assert_int_equal(side_i->d.stats.rx_reassembled, 1);
	assert_int_equal(side_r->d.stats.rx_malformed, 0);
	assert_int_equal(side_i->d.stats.rx_malformed, 0);
	teardown_pair();
}

static void test_rsa_untrusted(void **state)
{
	setup_rsa_pair("ikd_cert_other_ca.pem");
	initiate();
	run_wire();
	assert_int_equal(side_r->failures, 1);
	assert_non_null(strstr(side_r->failure, "untrusted"));
	assert_null(only_sa(&side_r->d));
	teardown_pair();
}

/* ---- restart: the responder comes back from its saved state ------------------------- */

/* Restart s's daemon as a new process would: engine state gone, kernel (s->k) and the
 * store's memfd kept; restore from it. */
static void restart_side(struct side *s, int memfd, struct ike_restore_stats *st)
{
	struct ikd_conf *conf = ikd_conf_ref(s->d.conf);
	int fd = dup(memfd);
	ike_restore_stop(&s->d);
	ikd_free_core(&s->d);
	memset(&s->d, 0, sizeof s->d);
	struct ikd_kernel k = { &rk_ops, &s->k };
	assert_int_equal(ikd_init_core(&s->d, NULL, conf, &k), 0);
	s->d.send_hook = send_hook;
	s->d.send_hook_arg = s;
	s->d.event_hook = event_hook;
	s->d.event_hook_arg = s;
	assert_int_equal(ike_restore_from_fd(&s->d, fd, false, st), 0);
}

static void test_restart_restores_state(void **state)
{
	struct scenario sc = basic;
	sc.nat = true;
	sc.marks = true;
	setup_pair(&sc);
	int memfd = memfd_create("ikd-state-test", MFD_CLOEXEC);
	assert_true(memfd >= 0);
	struct ike_restore_stats st;
	assert_int_equal(ike_restore_from_fd(&side_r->d, dup(memfd), true, &st), 0);
	assert_int_equal(st.ike_sas, 0);
	initiate();
	run_wire();
	check_established_pair();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	uint8_t cky_r[8];
	memcpy(cky_r, b->cky_r, 8);
	uint32_t spi_in = b->children->spi_in, spi_out = b->children->spi_out;
	uint32_t ike_id = b->id, child_id = b->children->id, mark = b->children->mark;
	uint64_t est = b->established_ms;

	restart_side(side_r, memfd, &st);
	assert_int_equal(st.ike_sas, 1);
	assert_int_equal(st.ipsec_sas, 1);
	assert_int_equal(st.dropped_missing + st.dropped_invalid, 0);
	b = only_sa(&side_r->d);
	assert_non_null(b);
	assert_true(b->established);
	assert_int_equal(b->id, ike_id);
	assert_memory_equal(b->cky_i, a->cky_i, 8);
	assert_memory_equal(b->cky_r, cky_r, 8);
	assert_string_equal(b->conn->name, "l2tp");
	assert_true(b->natt);
	assert_int_equal(b->nat & IKE_NAT_PEER, IKE_NAT_PEER);
	assert_true(b->established_ms + 1000 >= est && b->established_ms <= est + 1000);
	assert_memory_equal(a->keys.skeyid_d, b->keys.skeyid_d, a->keys.prf_len);
	assert_non_null(b->children);
	assert_int_equal(b->children->spi_in, spi_in);
	assert_int_equal(b->children->spi_out, spi_out);
	assert_int_equal(b->children->id, child_id);
	assert_int_equal(b->children->mark, mark);
	assert_non_null(b->children->keys);          /* behind NAT: KEYMAT kept for rebinding */

	/* DPD from the client is answered under the restored keys and IV. */
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_true(a->dpd_pending);
	assert_int_equal(run_wire(), 2);
	assert_false(a->dpd_pending);
	assert_int_equal(b->dpd_seq_in, a->dpd_seq_out);

	/* The client's Quick Mode rekey under its existing ISAKMP SA succeeds. */
	assert_int_equal(ikev1_quick_initiate(a, a->children), 0);
	run_wire();
	assert_int_equal(side_r->ipsec_up, 2);
	assert_int_not_equal(b->children->spi_in, spi_in);
	assert_int_equal(b->children->mark, mark);
	assert_true(b->children->next && b->children->next->superseded);
	assert_int_equal(side_r->failures + side_i->failures, 0);

	/* Restart again: the rekeyed pair is what comes back (the state followed). */
	uint32_t new_spi = b->children->spi_in;
	restart_side(side_r, memfd, &st);
	assert_int_equal(st.ike_sas, 1);
	assert_int_equal(st.ipsec_sas, 2);
	b = only_sa(&side_r->d);
	assert_non_null(ipsec_sa_find_spi(b, new_spi, true));
	assert_true(ipsec_sa_find_spi(b, spi_in, true)->superseded);

	/* The client rekeys its ISAKMP SA (its life timer fires): the new one takes the
	 * pairs over from the restored one. */
	a->life_timer.fn(a->life_timer.arg);
	run_wire();
	assert_int_equal(side_r->d.sas.count, 1);
	b = only_sa(&side_r->d);
	assert_memory_not_equal(b->cky_r, cky_r, 8);
	assert_non_null(ipsec_sa_find_spi(b, new_spi, true));
	assert_int_equal(side_r->failures + side_i->failures, 0);
	close(memfd);
	ike_restore_stop(&side_r->d);
	teardown_pair();
}

/* A pair the kernel lost while ikd was away is dropped; a deleted SA stays deleted. */
static void test_restart_reconciles_with_kernel(void **state)
{
	setup_pair(&basic);
	int memfd = memfd_create("ikd-state-test", MFD_CLOEXEC);
	struct ike_restore_stats st;
	assert_int_equal(ike_restore_from_fd(&side_r->d, dup(memfd), true, &st), 0);
	initiate();
	run_wire();
	check_established_pair();
	struct ike_sa *b = only_sa(&side_r->d);
	rk_find(&side_r->k, b->children->spi_out)->live = false;     /* gone from the kernel */
	restart_side(side_r, memfd, &st);
	assert_int_equal(st.ike_sas, 1);
	assert_int_equal(st.ipsec_sas, 0);
	assert_int_equal(st.dropped_missing, 1);
	b = only_sa(&side_r->d);
	assert_null(b->children);
	/* Deleted by the admin: nothing comes back. */
	ikev1_delete_sa(b, true, true, "test");
	restart_side(side_r, memfd, &st);
	assert_int_equal(st.ike_sas, 0);
	assert_null(only_sa(&side_r->d));
	close(memfd);
	ike_restore_stop(&side_r->d);
	teardown_pair();
}

static void test_state_table_consistent(void **state)
{
	char why[160] = "";
	assert_int_equal(ikev1_states_check(why, sizeof why), 0);
	assert_non_null(ikev1_find_transition(MM_R0, ISAKMP_XCHG_MAIN, IKD_AUTH_PSK));
	assert_null(ikev1_find_transition(MM_R0, ISAKMP_XCHG_QUICK, IKD_AUTH_PSK));
	assert_ptr_equal(ikev1_find_transition(MM_R2, ISAKMP_XCHG_MAIN, IKD_AUTH_PSK)->rules,
			 &isakmp_rules_mm_auth_psk);
}

int main(void)
{
	log_init("test", LOG_TO_STDERR, getenv("IKD_TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_table_consistent),
		cmocka_unit_test(test_main_quick_psk),
		cmocka_unit_test(test_pfs),
		cmocka_unit_test(test_psk_mismatch),
		cmocka_unit_test(test_proposal_mismatch),
		cmocka_unit_test(test_esp_proposal_mismatch),
		cmocka_unit_test(test_nat_traversal),
		cmocka_unit_test(test_nat_marks_kept_across_rekey),
		cmocka_unit_test(test_duplicate_answered_from_cache),
		cmocka_unit_test(test_retransmit_exhausted),
		cmocka_unit_test(test_aggressive),
		cmocka_unit_test(test_dpd_and_delete),
		cmocka_unit_test(test_dpd_dead_peer),
		cmocka_unit_test(test_initial_contact_replaces),
		cmocka_unit_test(test_rsa_certificates),
		cmocka_unit_test(test_rsa_fragmented),
		cmocka_unit_test(test_rsa_fragments_sent),
		cmocka_unit_test(test_rsa_untrusted),
		cmocka_unit_test(test_restart_restores_state),
		cmocka_unit_test(test_restart_reconciles_with_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
