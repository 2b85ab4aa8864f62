/*
 * Quick Mode exchanges under one ISAKMP SA, each with its own CBC chain (RFC 2409 section
 * 5.5 and appendix B: IV = hash(last Phase 1 block | M-ID), then the last block of each
 * message of that exchange): two Quick Modes and an Informational interleaved and
 * reordered, a retransmitted message 1 answered from the cache, a message that does not
 * decrypt dropped without touching the chain, and messages arriving after their exchange
 * ran out of retransmissions. When the responder's SAs enter the kernel (inbound before
 * message 2, outbound and policies on message 3) and leave it when the exchange ends
 * without message 3 or is trimmed; the initiator of a rekey holding its new outbound SA
 * back until the peer has message 3; DPD probes held back while a Quick Mode is in flight.
 * Two ikd engines, packets in memory, a recording kernel (ikev1_pair.h).
 */
#include "ikev1_pair.h"

#include "common/log.h"
#include "ikd/dpd.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_quick.h"

static const struct scenario basic = {
	"aes256-sha1-modp2048", "aes256-sha1", "legacy-clients", "legacy-clients",
	"correct horse", "correct horse", false, 0, false, false,
};

/* Main Mode done and the first Quick Mode's message 1 delivered: QM2 is queued. */
static void up_to_qm1(void)
{
	setup_pair(&basic);
	initiate();
	for (int i = 0; i < 7; i++)             /* MM1..MM6, QM1 */
		assert_true(deliver_one());
	assert_int_equal(queued(), 1);
}

/* Let the retransmissions of sa's Quick Mode msgid run out while the wire drops them. */
static void exhaust(struct ike_sa *sa, uint32_t msgid)
{
	struct ikev1_qm *qm;
	drop_all = true;
	for (int i = 0; i < 32 && (qm = ikev1_qm_find(sa, msgid)) && qm->xmit.retransmit; i++)
		ike_xmit_timeout(&qm->xmit);
	drop_all = false;
	qm = ikev1_qm_find(sa, msgid);
	assert_true(!qm || !qm->xmit.retransmit);
}

/*
 * Two Quick Modes of ours and an Informational of the peer, interleaved and reordered.
 * Our own R-U-THERE waits while our Quick Modes are in flight (dpd.h): strongSwan keeps
 * the IVs of its last three phase 2 exchanges only, and a probe in the middle of a Quick
 * Mode can cost it the IV that exchange still needs. So this test used to send our probe
 * here and no longer can; the Informational is now the peer's (other implementations do
 * send one mid-exchange), crossing our two QM1s, and must not disturb their chains.
 */
static void test_interleaved_quick_modes_and_info(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);     /* QM "b" */
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);     /* QM "c" */
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);                   /* idle, but our Quick Modes are in flight */
	assert_true(a->dpd_deferred);
	assert_false(a->dpd_pending);
	assert_int_equal(queued(), 2);
	b->last_rx_ms -= 3600 * 1000;
	dpd_check(b);                   /* the peer's R-U-THERE */
	assert_true(b->dpd_pending);
	assert_int_equal(queued(), 3);
	queue_dup(0);                   /* QM1b retransmitted, arriving last */
	queue_to_front(2);              /* R-U-THERE overtakes both Quick Modes */
	for (int i = 0; i < 4; i++)     /* I acks; R answers QM2b, QM2c, QM2b (cached) */
		assert_true(deliver_one());
	assert_int_equal(side_r->d.stats.rx_duplicates, 1);
	assert_int_equal(queued(), 4);
	queue_to_front(2);              /* QM2c first, then the ACK, QM2b, QM2b again */
	run_wire();
	assert_false(b->dpd_pending);
	/* Both exchanges ended with the peer's answers: alive, no probe needed. */
	assert_false(a->dpd_deferred);
	assert_false(a->dpd_pending);
	assert_int_equal(side_r->d.stats.rx_malformed, 0);
	assert_int_equal(side_i->d.stats.rx_malformed, 0);
	assert_int_equal(side_r->ipsec_up, 3);
	assert_int_equal(side_i->ipsec_up, 3);
	assert_int_equal(side_r->failures + side_i->failures, 0);
	assert_int_equal(live_sas(&side_r->k), 6);
	teardown_pair();
}

/* The probe held back by a Quick Mode goes once the exchange is over and the peer is idle
 * again; meanwhile the peer sees no Informational in the middle of it. */
static void test_dpd_after_quick_mode_completes(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_int_equal(queued(), 1);  /* QM1 only */
	assert_true(a->dpd_deferred);
	assert_true(deliver_one());     /* QM1 -> R */
	dpd_check(a);                   /* the timer again: still in flight */
	assert_int_equal(queued(), 1);  /* QM2 only */
	assert_int_equal(run_wire(), 2);        /* QM2 -> I (installs), QM3 -> R */
	assert_int_equal(side_i->ipsec_up, 2);
	assert_int_equal(side_r->ipsec_up, 2);
	assert_false(a->dpd_deferred);
	assert_false(a->dpd_pending);   /* QM2 showed the peer alive */
	a->last_rx_ms -= 3600 * 1000;   /* idle again */
	dpd_check(a);
	assert_true(a->dpd_pending);
	assert_int_equal(queued(), 1);
	assert_int_equal(queue[q_head % QMAX].data[18], ISAKMP_XCHG_INFO);
	assert_int_equal(run_wire(), 2);        /* R-U-THERE, ACK */
	assert_false(a->dpd_pending);
	assert_int_equal(side_i->failures + side_r->failures, 0);
	teardown_pair();
}

/* A Quick Mode that never gets its answer: the probe goes as soon as the exchange is
 * given up, not one DPD interval later. */
static void test_dpd_when_quick_mode_abandoned(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_true(a->dpd_deferred);
	struct ikev1_qm *qm = a->qms;
	while (qm->xmit.retransmit) {   /* QM1 and its retransmissions are lost */
		q_head = q_tail;
		ike_xmit_timeout(&qm->xmit);
	}
	assert_int_equal(side_i->failures, 1);
	assert_false(a->dpd_deferred);
	assert_true(a->dpd_pending);
	assert_int_equal(queued(), 1);
	assert_int_equal(queue[q_head % QMAX].data[18], ISAKMP_XCHG_INFO);
	assert_int_equal(run_wire(), 2);
	assert_false(a->dpd_pending);
	teardown_pair();
}

/* A stuck exchange holds DPD back no longer than its own retransmissions could last. */
static void test_dpd_deferral_bounded(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_true(a->dpd_deferred);
	assert_int_equal(queued(), 1);
	a->qms->started_ms -= ike_xmit_budget_ms();
	dpd_check(a);
	assert_false(a->dpd_deferred);
	assert_true(a->dpd_pending);
	assert_int_equal(queued(), 2);
	teardown_pair();
}

/* Our probe or its ACK is lost while the peer keeps talking (here its own R-U-THERE): it
 * is alive, not dead once dpd_timeout has passed since our probe. */
static void test_dpd_peer_alive_without_ack(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);
	assert_true(a->dpd_pending);
	q_head = q_tail;                /* lost */
	b->last_rx_ms -= 3600 * 1000;
	dpd_check(b);
	assert_int_equal(run_wire(), 2);        /* R's R-U-THERE, I's ACK */
	a->dpd_sent_ms -= 3600 * 1000;
	dpd_check(a);
	assert_non_null(only_sa(&side_i->d));
	assert_false(a->dpd_pending);
	assert_int_equal(side_i->failures, 0);
	teardown_pair();
}

/*
 * The initiator installs its pair on message 2 and sends on it at once (strongSwan and
 * Windows do): the responder's inbound SA must be in the kernel before message 2 leaves
 * (ikd installed both SAs on message 3 and lost what came in between), its outbound SA and
 * the policies only once message 3 proved the initiator has the keys.
 */
static void test_responder_inbound_sa_before_qm2(void **state)
{
	(void)state;
	up_to_qm1();
	struct ike_sa *b = only_sa(&side_r->d);
	assert_non_null(b->qms);
	assert_non_null(b->qms->child);
	uint32_t spi_in = b->qms->child->spi_in, spi_out = b->qms->child->spi_out;
	struct rec_sa *r_in = rk_find(&side_r->k, spi_in);
	assert_non_null(r_in);          /* completed with its keys, no longer larval */
	assert_true(r_in->key_len > 16);
	assert_int_equal(side_r->k.n_larval, 0);
	assert_null(rk_find(&side_r->k, spi_out));
	assert_int_equal(side_r->k.policies, 0);
	assert_int_equal(side_r->ipsec_up, 0);
	assert_true(deliver_one());     /* QM2 -> I: it installs, QM3 queued */
	struct rec_sa *i_out = rk_find(&side_i->k, spi_in);
	assert_non_null(i_out);         /* what I sends now, R decrypts */
	assert_int_equal(i_out->key_len, r_in->key_len);
	assert_memory_equal(i_out->key, r_in->key, r_in->key_len);
	assert_null(rk_find(&side_r->k, spi_out));
	assert_true(deliver_one());     /* QM3 -> R */
	assert_non_null(rk_find(&side_r->k, spi_out));
	assert_int_equal(side_r->k.policies, 2);
	assert_int_equal(live_sas(&side_r->k), 2);
	check_established_pair();
	teardown_pair();
}

/* A rekey seen by the responder: the old pair keeps working until the new outbound SA is
 * in, the new pair takes the old one's reqid so the policies are updated in place (never
 * deleted, never missing), and the old pair goes after its grace period leaving them. */
static void test_responder_rekey_policies_stay(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	struct ipsec_sa *old = b->children;
	uint32_t old_in = old->spi_in, old_out = old->spi_out, reqid = old->reqid;
	assert_int_equal(side_r->k.policies, 2);
	assert_int_equal(ikev1_quick_initiate(a, a->children), 0);
	uint32_t msgid = a->qms->msgid;
	assert_true(deliver_one());     /* QM1 -> R: new inbound SA, QM2 queued */
	struct ikev1_qm *qm = ikev1_qm_find(b, msgid);
	assert_non_null(qm);
	assert_int_equal(qm->child->reqid, reqid);
	assert_non_null(rk_find(&side_r->k, qm->child->spi_in));
	assert_false(old->superseded);
	assert_int_equal(live_sas(&side_r->k), 3);
	assert_int_equal(run_wire(), 2);        /* QM2 -> I, QM3 -> R */
	assert_int_equal(side_r->ipsec_up, 2);
	assert_true(old->superseded);
	assert_int_equal(live_sas(&side_r->k), 4);
	assert_int_equal(side_r->k.policies, 2);
	assert_int_equal(side_r->k.policy_dels, 0);
	for (int i = 0; i < side_r->k.policies; i++)
		assert_int_equal(side_r->k.pol[i].reqid, reqid);
	old->expire_timer.fn(old->expire_timer.arg);    /* grace period over */
	assert_null(rk_find(&side_r->k, old_in));
	assert_null(rk_find(&side_r->k, old_out));
	assert_int_equal(live_sas(&side_r->k), 2);
	assert_int_equal(side_r->k.policies, 2);
	assert_int_equal(side_r->k.policy_dels, 0);
	assert_int_equal(side_r->ipsec_down, 0);
	teardown_pair();
}

/* I (ikd) rekeyed its pair up to message 2: the new pair, its SPIs; QM3 still queued. */
static struct ipsec_sa *rekey_to_qm2(struct ipsec_sa **old)
{
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	*old = a->children;
	assert_int_equal(side_i->k.policies, 2);
	assert_int_equal(ikev1_quick_initiate(a, *old), 0);
	assert_true(deliver_one());     /* QM1 -> R */
	assert_true(deliver_one());     /* QM2 -> I: QM3 queued */
	assert_int_equal(queued(), 1);
	assert_int_equal(side_i->ipsec_up, 2);
	struct ipsec_sa *c = a->children == *old ? (*old)->next : a->children;
	assert_non_null(c);
	assert_true(c != *old);
	assert_int_equal(c->reqid, (*old)->reqid);
	return c;
}

/* I's outbound SA of the new pair is in the kernel with the key R decrypts with. */
static void check_new_outbound(const struct ipsec_sa *c)
{
	struct rec_sa *i_out = rk_find(&side_i->k, c->spi_out);
	assert_non_null(i_out);
	run_wire();                     /* QM3 -> R: its inbound SA gets the same key */
	struct rec_sa *r_in = rk_find(&side_r->k, c->spi_out);
	assert_non_null(r_in);
	assert_int_equal(i_out->key_len, r_in->key_len);
	assert_memory_equal(i_out->key, r_in->key, r_in->key_len);
	assert_false(c->out_pending);
	assert_null(c->keys);           /* no NAT: nothing kept */
	assert_int_equal(side_i->k.policies, 2);
	assert_int_equal(side_i->k.policy_dels, 0);
	for (int i = 0; i < side_i->k.policies; i++)
		assert_int_equal(side_i->k.pol[i].reqid, c->reqid);
}

/*
 * ikd rekeys (its lifetime is shorter than the peer's, a Windows client's say): the
 * responder may install its SAs only when message 3 arrives (strongSwan does), and the
 * kernel sends on the newest outbound SA of a reqid at once. So on message 2 only the new
 * inbound SA goes in; the old outbound SA carries on until ESP arrives on the new inbound
 * SA. (ikd installed both on message 2: its next datagrams went out on an SA the peer did
 * not have yet.)
 */
static void test_initiator_rekey_holds_outbound(void **state)
{
	(void)state;
	struct ipsec_sa *old;
	struct ipsec_sa *c = rekey_to_qm2(&old);
	assert_non_null(rk_find(&side_i->k, c->spi_in));        /* the peer may send on it */
	assert_null(rk_find(&side_i->k, c->spi_out));           /* but we do not yet */
	assert_non_null(rk_find(&side_i->k, old->spi_out));
	assert_true(c->out_pending);
	assert_true(old->superseded);
	assert_int_equal(side_i->k.n_larval, 0);
	c->rekey_timer.fn(c->rekey_timer.arg);  /* a poll: nothing from the peer yet */
	assert_true(c->out_pending);
	assert_null(rk_find(&side_i->k, c->spi_out));
	side_i->k.bytes = 120;                  /* ESP on the new inbound SA: R has QM3 */
	c->rekey_timer.fn(c->rekey_timer.arg);
	check_new_outbound(c);
	uint32_t old_out = old->spi_out;
	assert_non_null(rk_find(&side_i->k, old_out));  /* until its grace ends */
	old->expire_timer.fn(old->expire_timer.arg);
	assert_null(rk_find(&side_i->k, old_out));
	assert_int_equal(live_sas(&side_i->k), 2);
	assert_int_equal(side_i->k.policies, 2);
	assert_int_equal(side_i->ipsec_down, 0);
	teardown_pair();
}

/* A peer that answers no ESP (a one-way stream): the outbound SA goes in after a bounded
 * wait. The older pair deleted meanwhile (the peer's Delete): at once, so that the
 * traffic always has an outbound SA. */
static void test_initiator_rekey_outbound_bounded(void **state)
{
	(void)state;
	struct ipsec_sa *old;
	struct ipsec_sa *c = rekey_to_qm2(&old);
	c->installed_ms -= 1400;
	c->rekey_timer.fn(c->rekey_timer.arg);
	assert_true(c->out_pending);
	c->installed_ms -= 100;                 /* 1.5 s since message 2 */
	uint64_t since = c->installed_ms;
	c->rekey_timer.fn(c->rekey_timer.arg);
	check_new_outbound(c);
	assert_int_equal(c->installed_ms, since);       /* lifetimes count from message 2 */
	teardown_pair();

	c = rekey_to_qm2(&old);
	assert_null(rk_find(&side_i->k, c->spi_out));
	ikev1_child_delete(only_sa(&side_i->d), old, "deleted by peer");
	assert_non_null(rk_find(&side_i->k, c->spi_out));
	check_new_outbound(c);
	assert_int_equal(live_sas(&side_i->k), 2);
	teardown_pair();
}

/* No message 3 ever: the inbound SA installed before message 2 stays while a late message
 * 3 may come (test_late_qm3_after_retransmits_exhausted), then goes with the exchange. */
static void test_inbound_sa_deleted_without_qm3(void **state)
{
	(void)state;
	up_to_qm1();
	q_head = q_tail;                /* QM2 never reaches I */
	struct ike_sa *b = only_sa(&side_r->d);
	struct ikev1_qm *qm = b->qms;
	uint32_t spi_in = qm->child->spi_in;
	exhaust(b, qm->msgid);
	assert_true(qm->gave_up);
	assert_non_null(rk_find(&side_r->k, spi_in));
	qm->late_timer.fn(qm->late_timer.arg);  /* as long again: no late message 3 */
	assert_int_equal(qm->state, QM_DONE);
	assert_null(qm->child);
	assert_null(rk_find(&side_r->k, spi_in));
	assert_int_equal(live_sas(&side_r->k), 0);
	assert_int_equal(side_r->k.n_larval, 0);
	assert_int_equal(side_r->ipsec_up, 0);
	teardown_pair();
}

/* The ISAKMP SA goes while a Quick Mode waits for message 3: its inbound SA goes too. */
static void test_inbound_sa_deleted_with_isakmp_sa(void **state)
{
	(void)state;
	up_to_qm1();
	struct ike_sa *b = only_sa(&side_r->d);
	uint32_t spi_in = b->qms->child->spi_in;
	ikev1_delete_sa(b, false, false, "test");
	assert_null(only_sa(&side_r->d));
	assert_null(rk_find(&side_r->k, spi_in));
	assert_int_equal(side_r->k.n_larval, 0);
	teardown_pair();
}

/* At most 8 finished or given-up exchanges are kept per ISAKMP SA; the oldest is trimmed
 * when a new one starts, and its SPI (here the inbound SA of a responder whose message 3
 * never came) must go with it instead of being left to expire in the kernel. */
static void test_trimmed_exchange_releases_spi(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d), *b = only_sa(&side_r->d);
	uint32_t first_spi = 0;
	for (int i = 0; i < 9; i++) {
		assert_int_equal(ikev1_quick_initiate(a, NULL), 0);
		assert_true(deliver_one());     /* QM1 -> R; its QM2 is lost */
		q_head = q_tail;
		if (i == 0)
			first_spi = b->qms->child->spi_in;
		exhaust(b, b->qms->msgid);      /* R gives up waiting for QM3 */
		exhaust(a, a->qms->msgid);      /* I gives up waiting for QM2 */
	}
	/* The first given-up exchange was trimmed when the ninth started. */
	assert_null(rk_find(&side_r->k, first_spi));
	assert_int_equal(live_sas(&side_r->k), 2 + 8);
	assert_int_equal(side_r->k.n_larval, 0);
	assert_int_equal(side_i->k.n_larval, 0);        /* I's abandoned ones released too */
	assert_int_equal(live_sas(&side_i->k), 2);
	teardown_pair();
}

/* A damaged message 3 (its first block, which holds the HASH payload header) does not
 * parse: dropped and counted, the chain untouched, so the genuine one still completes. */
static void test_undecryptable_message_keeps_chain(void **state)
{
	(void)state;
	up_to_qm1();
	assert_true(deliver_one());     /* QM2 -> I: QM3 queued */
	assert_int_equal(queued(), 1);
	queue_dup(0);
	queue[q_head % QMAX].data[ISAKMP_HDR_LEN + 1] ^= 0x5a;
	run_wire();
	assert_int_equal(side_r->d.stats.rx_malformed, 1);
	assert_int_equal(side_r->ipsec_up, 1);
	check_established_pair();
	teardown_pair();
}

/*
 * The bug seen under load: the responder's retransmissions of message 2 run out (the
 * initiator is slow, not gone: it installed its SAs on message 2) and then message 3
 * arrives. The exchange must still be there, with its chain: freed, the late message 3
 * was taken for the start of a new exchange, decrypted with hash(last Phase 1 block |
 * M-ID) instead of the last block of message 2 ("HASH payload: length 15749") and the
 * responder never installed the pair the initiator uses.
 */
static void test_late_qm3_after_retransmits_exhausted(void **state)
{
	(void)state;
	up_to_qm1();
	struct ike_sa *b = only_sa(&side_r->d);
	assert_non_null(b->qms);
	exhaust(b, b->qms->msgid);
	assert_int_equal(side_r->failures, 1);
	assert_non_null(strstr(side_r->failure, "no answer"));
	run_wire();                     /* QM2 -> I (installs), QM3 -> R */
	assert_int_equal(side_r->d.stats.rx_malformed, 0);
	assert_int_equal(side_i->ipsec_up, 1);
	assert_int_equal(side_r->ipsec_up, 1);
	assert_non_null(b->children);
	assert_int_equal(b->children->spi_in, only_sa(&side_i->d)->children->spi_out);
	assert_int_equal(live_sas(&side_r->k), 2);
	teardown_pair();
}

/* The initiator's side of it: its message 1 ran out of retransmissions, then message 2
 * arrives. The exchange is over (reported), its message id stays known: the late message
 * is dropped as unexpected instead of being decrypted as a new exchange's first message. */
static void test_late_qm2_after_retransmits_exhausted(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	for (int i = 0; i < 6; i++)             /* MM1..MM6: QM1 queued */
		assert_true(deliver_one());
	struct ike_sa *a = only_sa(&side_i->d);
	assert_non_null(a->qms);
	assert_true(deliver_one());             /* QM1 -> R: QM2 queued */
	exhaust(a, a->qms->msgid);
	assert_int_equal(side_i->failures, 1);
	assert_true(deliver_one());             /* the late QM2 */
	assert_int_equal(side_i->d.stats.rx_malformed, 0);
	assert_int_equal(side_i->d.stats.rx_unexpected, 1);
	assert_int_equal(side_i->ipsec_up, 0);
	assert_int_equal(live_sas(&side_i->k), 0);
	teardown_pair();
}

int main(void)
{
	log_init("test", LOG_TO_STDERR, getenv("IKD_TEST_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_quick_modes_and_info),
		cmocka_unit_test(test_dpd_after_quick_mode_completes),
		cmocka_unit_test(test_dpd_when_quick_mode_abandoned),
		cmocka_unit_test(test_dpd_deferral_bounded),
		cmocka_unit_test(test_dpd_peer_alive_without_ack),
		cmocka_unit_test(test_responder_inbound_sa_before_qm2),
		cmocka_unit_test(test_responder_rekey_policies_stay),
		cmocka_unit_test(test_initiator_rekey_holds_outbound),
		cmocka_unit_test(test_initiator_rekey_outbound_bounded),
		cmocka_unit_test(test_inbound_sa_deleted_without_qm3),
		cmocka_unit_test(test_inbound_sa_deleted_with_isakmp_sa),
		cmocka_unit_test(test_trimmed_exchange_releases_spi),
		cmocka_unit_test(test_undecryptable_message_keeps_chain),
		cmocka_unit_test(test_late_qm3_after_retransmits_exhausted),
		cmocka_unit_test(test_late_qm2_after_retransmits_exhausted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
