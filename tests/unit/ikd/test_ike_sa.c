/*
 * IKE SA table: lookups by cookies and by peer, half-open limits (total and per
 * address), the retransmission back-off and the duplicate cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ikd/ike_sa.h"

static union ikd_sockaddr addr(const char *s)
{
	union ikd_sockaddr a;
	assert_int_equal(ikd_addr_parse(s, 500, &a), 0);
	return a;
}

static void test_lookup(void **state)
{
	struct ike_sa_table t;
	assert_int_equal(ike_sa_table_init(&t, 100, 10, 10), 0);
	assert_int_equal(t.nbuckets, 128);
	union ikd_sockaddr p1 = addr("192.0.2.1:500"), p2 = addr("192.0.2.1:4500");
	union ikd_sockaddr p3 = addr("198.51.100.9");
	static const uint8_t ci[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, cr[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	static const uint8_t zero[8];
	struct ike_sa *a, *b, *c;
	assert_int_equal(ike_sa_new(&t, NULL, &p1, ci, false, &a), 0);
	ike_sa_set_rcookie(a, cr);
	assert_int_equal(ike_sa_new(&t, NULL, &p2, NULL, true, &b), 0);
	assert_int_equal(ike_sa_new(&t, NULL, &p3, NULL, true, &c), 0);
	assert_int_equal(t.count, 3);
	assert_ptr_equal(ike_sa_find(&t, ci, cr, NULL), a);
	/* A retransmitted first message (rcookie zero) from the same address finds it. */
	assert_ptr_equal(ike_sa_find(&t, ci, zero, &p1), a);
	assert_null(ike_sa_find(&t, ci, zero, &p3));
	/* The responder's first answer to our initiator SA carries a cookie we never saw. */
	assert_ptr_equal(ike_sa_find(&t, b->cky_i, cr, NULL), b);
	assert_ptr_equal(ike_sa_find_id(&t, c->id), c);
	/* By peer: with port only p1; without port p1 and p2. */
	assert_ptr_equal(ike_sa_next_of_peer(&t, &p1, true, NULL), a);
	assert_null(ike_sa_next_of_peer(&t, &p1, true, a));
	unsigned n = 0;
	for (struct ike_sa *s = ike_sa_next_of_peer(&t, &p1, false, NULL); s;
	     s = ike_sa_next_of_peer(&t, &p1, false, s))
		n++;
	assert_int_equal(n, 2);
	/* NAT rebinding moves the SA to its new (address, port). */
	union ikd_sockaddr moved = addr("203.0.113.4:4500");
	ike_sa_set_peer(a, &moved);
	assert_null(ike_sa_next_of_peer(&t, &p1, true, NULL));
	assert_ptr_equal(ike_sa_next_of_peer(&t, &moved, true, NULL), a);
	ike_sa_destroy(b);
	assert_int_equal(t.count, 2);
	ike_sa_table_free(&t);
}

static void test_half_open_limits(void **state)
{
	struct ike_sa_table t;
	assert_int_equal(ike_sa_table_init(&t, 16, 5, 3), 0);
	union ikd_sockaddr p = addr("192.0.2.7"), q = addr("192.0.2.8");
	struct ike_sa *sa[8];
	for (int i = 0; i < 3; i++)
		assert_int_equal(ike_sa_new(&t, NULL, &p, NULL, false, &sa[i]), 0);
	assert_int_equal(ike_sa_new(&t, NULL, &p, NULL, false, &sa[3]), -EAGAIN);
	ike_sa_mark_established(sa[0]);             /* no longer half-open */
	assert_int_equal(t.half_open, 2);
	assert_int_equal(ike_sa_new(&t, NULL, &p, NULL, false, &sa[3]), 0);
	assert_int_equal(ike_sa_new(&t, NULL, &q, NULL, false, &sa[4]), 0);
	assert_int_equal(ike_sa_new(&t, NULL, &q, NULL, false, &sa[5]), 0);
	assert_int_equal(t.half_open, 5);
	assert_int_equal(ike_sa_new(&t, NULL, &q, NULL, false, &sa[6]), -EAGAIN);   /* total */
	assert_int_equal(t.stats.refused_half_open, 2);
	ike_sa_destroy(sa[4]);
	assert_int_equal(t.half_open, 4);
	assert_int_equal(ike_sa_new(&t, NULL, &q, NULL, false, &sa[6]), 0);
	ike_sa_table_free(&t);
	assert_int_equal(t.count, 0);
}

static unsigned sends, exhausted;
static uint8_t last_sent[64];
static size_t last_len;

static int rec_send(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	sends++;
	memcpy(last_sent, pkt, len < sizeof last_sent ? len : sizeof last_sent);
	last_len = len;
	return 0;
}

static void rec_exhausted(struct ike_sa *sa, uint32_t msgid)
{
	exhausted++;
}

static void test_xmit_backoff_and_duplicates(void **state)
{
	struct ike_xmit_config cfg = { .send = rec_send, .base_ms = 500, .max_tries = 4,
				       .exhausted = rec_exhausted };
	ike_xmit_configure(&cfg);
	struct ike_sa_table t;
	assert_int_equal(ike_sa_table_init(&t, 16, 5, 3), 0);
	union ikd_sockaddr p = addr("192.0.2.7");
	struct ike_sa *sa;
	assert_int_equal(ike_sa_new(&t, NULL, &p, NULL, true, &sa), 0);
	sends = exhausted = 0;
	const uint8_t rx[] = "message one", reply[] = "reply one";
	assert_int_equal(ike_xmit_send(&sa->xmit, reply, sizeof reply, true, rx, sizeof rx), 0);
	assert_int_equal(sends, 1);
	assert_int_equal(sa->xmit.next_ms, 500);
	ike_xmit_timeout(&sa->xmit);
	assert_int_equal(sa->xmit.next_ms, 1000);
	ike_xmit_timeout(&sa->xmit);
	assert_int_equal(sa->xmit.next_ms, 2000);
	assert_int_equal(sends, 3);
	/* A duplicate of the message that caused the reply: resent from the cache. */
	assert_true(ike_xmit_duplicate(&sa->xmit, rx, sizeof rx));
	assert_int_equal(sends, 4);
	assert_memory_equal(last_sent, reply, sizeof reply);
	const uint8_t other[] = "message two";
	assert_false(ike_xmit_duplicate(&sa->xmit, other, sizeof other));
	ike_xmit_timeout(&sa->xmit);                /* 4th transmission */
	assert_int_equal(exhausted, 0);
	ike_xmit_timeout(&sa->xmit);                /* tries used up */
	assert_int_equal(exhausted, 1);
	/* After an answer nothing is retransmitted, but duplicates are still answered. */
	assert_int_equal(ike_xmit_send(&sa->xmit, reply, sizeof reply, true, rx, sizeof rx), 0);
	ike_xmit_ack(&sa->xmit);
	unsigned before = sends;
	ike_xmit_timeout(&sa->xmit);
	assert_int_equal(sends, before);
	assert_true(ike_xmit_duplicate(&sa->xmit, rx, sizeof rx));
	ike_sa_table_free(&t);
	struct ike_xmit_config none = { .base_ms = 1000, .max_tries = 6 };
	ike_xmit_configure(&none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_half_open_limits),
		cmocka_unit_test(test_xmit_backoff_and_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
