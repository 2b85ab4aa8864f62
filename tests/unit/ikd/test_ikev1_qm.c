/*
 * Quick Mode exchanges under one ISAKMP SA, each with its own CBC chain (RFC 2409 section
 * 5.5 and appendix B: IV = hash(last Phase 1 block | M-ID), then the last block of each
 * message of that exchange): two Quick Modes and an Informational interleaved and
 * reordered, a retransmitted message 1 answered from the cache, a message that does not
 * decrypt dropped without touching the chain, and messages arriving after their exchange
 * ran out of retransmissions. Two ikd engines, packets in memory (ikev1_pair.h).
 */
#include "ikev1_pair.h"

#include "common/log.h"
#include "ikd/dpd.h"
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

static void test_interleaved_quick_modes_and_info(void **state)
{
	(void)state;
	setup_pair(&basic);
	initiate();
	run_wire();
	struct ike_sa *a = only_sa(&side_i->d);
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);     /* QM "b" */
	assert_int_equal(ikev1_quick_initiate(a, NULL), 0);     /* QM "c" */
	a->last_rx_ms -= 3600 * 1000;
	dpd_check(a);                                           /* R-U-THERE */
	assert_int_equal(queued(), 3);
	queue_dup(0);                   /* QM1b retransmitted, arriving last */
	queue_to_front(2);              /* R-U-THERE overtakes both Quick Modes */
	for (int i = 0; i < 4; i++)     /* R answers: ACK, QM2b, QM2c, QM2b (cached) */
		assert_true(deliver_one());
	assert_int_equal(side_r->d.stats.rx_duplicates, 1);
	assert_int_equal(queued(), 4);
	queue_to_front(2);              /* QM2c first, then the ACK, QM2b, QM2b again */
	run_wire();
	assert_false(a->dpd_pending);
	assert_int_equal(side_r->d.stats.rx_malformed, 0);
	assert_int_equal(side_i->d.stats.rx_malformed, 0);
	assert_int_equal(side_r->ipsec_up, 3);
	assert_int_equal(side_i->ipsec_up, 3);
	assert_int_equal(side_r->failures + side_i->failures, 0);
	assert_int_equal(live_sas(&side_r->k), 6);
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
		cmocka_unit_test(test_undecryptable_message_keeps_chain),
		cmocka_unit_test(test_late_qm3_after_retransmits_exhausted),
		cmocka_unit_test(test_late_qm2_after_retransmits_exhausted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
