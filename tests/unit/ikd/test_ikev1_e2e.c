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

#include "ikev1_pair.h"

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
	assert_int_equal(st.dropped_missing + st.dropped_invalid + st.unmanaged, 0);
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
	assert_int_equal(st.unmanaged, 0);
	rk_find(&side_r->k, b->children->spi_out)->live = false;     /* gone from the kernel */
	/* An SA of ours that no record describes: left alone, reported. */
	static const uint8_t stray_key[16];
	struct xfrm_sa stray = { .spi = 0xabcd0001, .reqid = 99,
				 .crypto = { .encr_key = stray_key, .encr_key_len = 16,
					     .integ_key = stray_key, .integ_key_len = 16 } };
	assert_int_equal(rk_sa_add(&side_r->k, &stray, false), 0);
	restart_side(side_r, memfd, &st);
	assert_int_equal(st.ike_sas, 1);
	assert_int_equal(st.ipsec_sas, 0);
	assert_int_equal(st.dropped_missing, 1);
	/* The stray SA and the pair's inbound SA (the pair was dropped) are not described. */
	assert_int_equal(st.unmanaged, 2);
	assert_non_null(rk_find(&side_r->k, 0xabcd0001));
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
