/* Reliable delivery (RFC 2661 §5.8): window, duplicates, reordering, back-off, acks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/reliable.h"

struct sent { uint16_t ns, nr, len; uint64_t at; uint16_t tag; };
struct rec {
	struct sent sent[64];
	unsigned nsent;
	uint16_t delivered[32];   /* tags of delivered messages */
	unsigned ndelivered;
	unsigned hellos, dead;
	uint16_t dead_ns;
	uint64_t now;
	struct l2tp_rel *rel;
	bool reply_from_deliver;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void on_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct rec *r = ctx;

	assert_true(r->nsent < 64);
	r->sent[r->nsent++] = (struct sent){ rd16(pkt + 8), rd16(pkt + 10), (uint16_t)len, r->now,
					     len > 12 ? rd16(pkt + len - 2) : 0 };
}

/* Test messages: a HELLO whose last two octets are a tag identifying it. */
static size_t mk(uint8_t *buf, uint16_t ns, uint16_t nr, uint16_t tag)
{
	struct l2tp_msg_builder b;
	l2tp_msg_begin(&b, buf, 64, 1, 0, L2TP_MSG_HELLO, NULL);
	l2tp_avp_put_u16(&b.w, 200, false, tag);
	int n = l2tp_msg_finish(&b);
	buf[8] = (uint8_t)(ns >> 8); buf[9] = (uint8_t)ns;
	buf[10] = (uint8_t)(nr >> 8); buf[11] = (uint8_t)nr;
	return (size_t)n;
}

static void on_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct rec *r = ctx;
	uint8_t m[64];

	r->delivered[r->ndelivered++] = rd16(pkt + len - 2);
	if (r->reply_from_deliver)
		l2tp_rel_send(r->rel, r->now, m, mk(m, 0, 0, 0x5151));
}

static void on_hello(void *ctx) { ((struct rec *)ctx)->hellos++; }
static void on_dead(void *ctx, uint16_t ns, uint32_t retries)
{
	struct rec *r = ctx;
	r->dead++;
	r->dead_ns = ns;
	assert_int_equal(retries, 5);
}

static const struct l2tp_rel_ops ops = { on_send, on_deliver, on_hello, on_dead };

static int setup(void **state)
{
	static struct rec r;
	struct l2tp_rel_cfg cfg;

	memset(&r, 0, sizeof r);
	l2tp_rel_cfg_default(&cfg);
	cfg.our_rws = 4;
	r.rel = l2tp_rel_new(&cfg, &ops, &r, 0);
	assert_non_null(r.rel);
	l2tp_rel_set_peer(r.rel, 77, 0);   /* absent RWS: window of 4 */
	*state = &r;
	return 0;
}

static int teardown(void **state)
{
	struct rec *r = *state;
	l2tp_rel_free(r->rel);
	return 0;
}

static void input(struct rec *r, uint16_t ns, uint16_t nr, uint16_t tag, bool zlb)
{
	uint8_t m[64];
	struct l2tp_ctrl_hdr h;
	size_t len = zlb ? 12 : mk(m, ns, nr, tag);

	if (zlb)
		l2tp_zlb_build(m, sizeof m, 1, ns, nr);
	assert_int_equal(l2tp_ctrl_hdr_parse(m, len, &h), 0);
	assert_true(l2tp_rel_input(r->rel, r->now, &h, m, len) >= 0);
}

static void test_in_order_and_delayed_ack(void **state)
{
	struct rec *r = *state;

	input(r, 0, 0, 100, false);
	input(r, 1, 0, 101, false);
	assert_int_equal(r->ndelivered, 2);
	assert_int_equal(r->delivered[1], 101);
	assert_int_equal(r->nsent, 0);                      /* ack is delayed */
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 250);
	r->now = 249;
	l2tp_rel_tick(r->rel, r->now);
	assert_int_equal(r->nsent, 0);
	r->now = 250;
	l2tp_rel_tick(r->rel, r->now);
	assert_int_equal(r->nsent, 1);                      /* ZLB, Ns 0, Nr 2 */
	assert_int_equal(r->sent[0].len, 12);
	assert_int_equal(r->sent[0].ns, 0);
	assert_int_equal(r->sent[0].nr, 2);
}

static void test_reply_piggybacks_ack(void **state)
{
	struct rec *r = *state;

	r->reply_from_deliver = true;
	input(r, 0, 0, 100, false);
	assert_int_equal(r->nsent, 1);
	assert_int_equal(r->sent[0].nr, 1);                 /* acknowledges the request */
	assert_int_equal(r->sent[0].ns, 0);
	r->now = 1000;                                      /* no ZLB follows */
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 1000);   /* retransmit, not ack */
}

static void test_duplicate_acked_again(void **state)
{
	struct rec *r = *state;

	input(r, 0, 0, 100, false);
	input(r, 0, 0, 100, false);                         /* retransmitted by the peer */
	assert_int_equal(r->ndelivered, 1);
	assert_int_equal(r->nsent, 1);                      /* an immediate ZLB */
	assert_int_equal(r->sent[0].len, 12);
	assert_int_equal(r->sent[0].nr, 1);
	assert_int_equal(l2tp_rel_stats(r->rel)->duplicates, 1);
}

static void test_out_of_order(void **state)
{
	struct rec *r = *state;

	input(r, 2, 0, 102, false);
	input(r, 1, 0, 101, false);
	input(r, 2, 0, 102, false);                         /* buffered twice: kept once */
	assert_int_equal(r->ndelivered, 0);
	input(r, 0, 0, 100, false);                         /* fills the gap */
	assert_int_equal(r->ndelivered, 3);
	assert_int_equal(r->delivered[0], 100);
	assert_int_equal(r->delivered[1], 101);
	assert_int_equal(r->delivered[2], 102);
	assert_int_equal(l2tp_rel_nr(r->rel), 3);
	input(r, 3 + 4, 0, 107, false);                     /* beyond our window of 4 */
	input(r, 3, 0, 103, false);
	assert_int_equal(r->ndelivered, 4);
	assert_int_equal(l2tp_rel_stats(r->rel)->out_of_window, 1);
}

static void test_window_full_and_ack(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];

	for (uint16_t i = 0; i < 6; i++)
		assert_int_equal(l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, (uint16_t)(200 + i))), 0);
	assert_int_equal(r->nsent, 4);                      /* peer window 4 */
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(r->sent[i].ns, i);
		assert_int_equal(r->sent[i].tag, 200 + i);
	}
	r->now = 10;
	input(r, 0, 7, 0, true);                            /* acks beyond what was sent */
	assert_int_equal(r->nsent, 4);
	assert_int_equal(l2tp_rel_stats(r->rel)->acks_bad, 1);
	input(r, 0, 2, 0, true);                            /* ZLB acks Ns 0 and 1 */
	assert_int_equal(r->nsent, 6);
	assert_int_equal(r->sent[4].ns, 4);
	assert_int_equal(r->sent[5].ns, 5);
	assert_int_equal(r->sent[5].tag, 205);
	assert_false(l2tp_rel_idle(r->rel));
	input(r, 0, 6, 0, true);
	assert_true(l2tp_rel_idle(r->rel));
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 10 + 60000);   /* only HELLO left */
	assert_int_equal(l2tp_rel_send(r->rel, 0, m, 11), -EINVAL);
}

/* A tunnel owing a message to each of 1,000 sessions (CDNs, ICRPs) with the peer's
 * window of 4: everything is queued and goes out in order, four at a time, as acks come;
 * the queue only refuses past L2TP_REL_QUEUE_MAX. */
static void test_queue_grows_past_window(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];
	uint16_t next = 0;

	for (uint16_t i = 0; i < 1000; i++)
		assert_int_equal(l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, (uint16_t)(1000 + i))), 0);
	assert_int_equal(r->nsent, 4);
	assert_int_equal(l2tp_rel_ns(r->rel), 1000);
	while (next < 1000) {
		for (unsigned i = 0; i < r->nsent; i++) {
			assert_int_equal(r->sent[i].ns, next + i);
			assert_int_equal(r->sent[i].tag, 1000 + next + i);
		}
		next = (uint16_t)(next + r->nsent);
		r->nsent = 0;
		input(r, 0, next, 0, true);                 /* ZLB acks all sent so far */
		assert_true(r->nsent == 4 || next == 1000);
	}
	assert_int_equal(r->nsent, 0);
	assert_true(l2tp_rel_idle(r->rel));
	/* never acked: the queue stops at its bound, with ENOBUFS */
	for (unsigned i = 0; i < L2TP_REL_QUEUE_MAX; i++) {
		assert_int_equal(l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 7)), 0);
		r->nsent = 0;
	}
	assert_int_equal(l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 7)), -ENOBUFS);
}

static void test_backoff_schedule_and_death(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];
	/* 1 s, doubled, capped at 8 s, 5 retries: 1 3 7 15 23, dead at 31 */
	const uint64_t expect[] = { 0, 1000, 3000, 7000, 15000, 23000 };

	assert_int_equal(l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 300)), 0);
	input(r, 0, 0, 100, false);                         /* something to acknowledge */
	for (;;) {
		uint64_t d = l2tp_rel_next_deadline(r->rel);
		if (d == L2TP_REL_NO_DEADLINE || r->dead)
			break;
		r->now = d;
		l2tp_rel_tick(r->rel, r->now);
	}
	unsigned n = 0;
	for (unsigned i = 0; i < r->nsent; i++) {
		if (r->sent[i].len == 12)
			continue;   /* the ZLB for message 100 at 250 ms */
		assert_int_equal(r->sent[i].at, expect[n]);
		assert_int_equal(r->sent[i].ns, 0);
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(r->sent[r->nsent - 1].nr, 1);      /* retransmissions carry current Nr */
	assert_int_equal(r->dead, 1);
	assert_int_equal(r->now, 31000);
	assert_int_equal(r->dead_ns, 0);
}

static void test_ack_resets_backoff(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];

	l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 1));
	l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 2));
	r->now = 1000;
	l2tp_rel_tick(r->rel, r->now);                      /* both retransmitted */
	assert_int_equal(r->nsent, 4);
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 3000);
	r->now = 1500;
	input(r, 0, 1, 0, true);                            /* first acked */
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 2500); /* back to 1 s */
}

static void test_hello_keepalive(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];

	r->now = 30000;
	input(r, 0, 0, 0, true);                            /* any input restarts the clock */
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 90000);
	r->now = 90000;
	l2tp_rel_tick(r->rel, r->now);
	assert_int_equal(r->hellos, 1);
	l2tp_rel_send(r->rel, r->now, m, mk(m, 0, 0, 6));   /* the HELLO */
	assert_int_equal(l2tp_rel_next_deadline(r->rel), 91000);
	l2tp_rel_tick(r->rel, r->now);
	assert_int_equal(r->hellos, 1);
}

static void test_sequence_wrap(void **state)
{
	struct rec *r = *state;

	for (uint32_t i = 0; i < 65536 + 3; i++)
		input(r, (uint16_t)i, 0, (uint16_t)i, false), r->ndelivered = 0;
	assert_int_equal(l2tp_rel_nr(r->rel), 3);
	input(r, 65535, 0, 1, false);                       /* old: duplicate across the wrap */
	assert_int_equal(r->ndelivered, 0);
	input(r, 3, 0, 1, false);
	assert_int_equal(r->ndelivered, 1);
}

/* Android's mtpd: window of 1, one message in flight at a time. */
static void test_peer_window_one(void **state)
{
	struct rec *r = *state;
	uint8_t m[64];

	l2tp_rel_set_peer(r->rel, 77, 1);
	l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 1));
	l2tp_rel_send(r->rel, 0, m, mk(m, 0, 0, 2));
	assert_int_equal(r->nsent, 1);
	input(r, 0, 1, 0, true);
	assert_int_equal(r->nsent, 2);
	assert_int_equal(r->sent[1].tag, 2);
	assert_int_equal(r->sent[1].ns, 1);
}

/* A restarted daemon: the state a first instance saved (oldest unacked Ns, Nr, queued
 * messages) resumed in a second instance resends those messages with their Ns. */
static void test_resume_after_restart(void **state)
{
	struct rec *r = *state, r2;
	struct l2tp_rel_cfg cfg;
	uint8_t m[64], saved[3][64];
	size_t saved_len[3];
	const uint8_t *pkt;
	size_t len;
	unsigned n = 0;

	input(r, 0, 0, 100, false);                       /* peer's Ns 0: our Nr becomes 1 */
	for (uint16_t tag = 1; tag <= 3; tag++)
		assert_int_equal(l2tp_rel_send(r->rel, r->now, m, mk(m, 0, 0, tag)), 0);
	input(r, 0, 1, 0, true);                          /* ZLB acks our Ns 0 */
	assert_int_equal(l2tp_rel_una(r->rel), 1);
	assert_int_equal(l2tp_rel_ns(r->rel), 3);
	assert_int_equal(l2tp_rel_nr(r->rel), 1);
	assert_int_equal(l2tp_rel_peer_rws(r->rel), 4);
	while (l2tp_rel_queued(r->rel, n, &pkt, &len) == 0) {
		memcpy(saved[n], pkt, len);
		saved_len[n++] = len;
	}
	assert_int_equal(n, 2);                           /* tags 2 and 3 */
	assert_int_equal(rd16(saved[0] + saved_len[0] - 2), 2);
	assert_int_equal(l2tp_rel_queued(r->rel, 2, &pkt, &len), -ENOENT);

	memset(&r2, 0, sizeof r2);
	l2tp_rel_cfg_default(&cfg);
	r2.rel = l2tp_rel_new(&cfg, &ops, &r2, 0);
	l2tp_rel_set_peer(r2.rel, 77, 4);
	l2tp_rel_resume(r2.rel, 1, 1);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(l2tp_rel_send(r2.rel, 0, saved[i], saved_len[i]), 0);
	assert_int_equal(r2.nsent, 2);
	assert_int_equal(r2.sent[0].ns, 1);
	assert_int_equal(r2.sent[0].nr, 1);
	assert_int_equal(r2.sent[0].tag, 2);
	assert_int_equal(r2.sent[1].ns, 2);
	assert_int_equal(r2.sent[1].tag, 3);
	assert_int_equal(l2tp_rel_ns(r2.rel), 3);
	/* the peer's next message (Ns 1) is delivered, not taken for a duplicate */
	{
		struct l2tp_ctrl_hdr h;
		size_t l = mk(m, 1, 3, 0x77);

		assert_int_equal(l2tp_ctrl_hdr_parse(m, l, &h), 0);
		assert_int_equal(l2tp_rel_input(r2.rel, 0, &h, m, l), 1);
		assert_int_equal(r2.delivered[0], 0x77);
		assert_true(l2tp_rel_idle(r2.rel));           /* Nr 3 acked both */
	}
	l2tp_rel_free(r2.rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_in_order_and_delayed_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_piggybacks_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_acked_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_window_full_and_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_grows_past_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backoff_schedule_and_death, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_resets_backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sequence_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_window_one, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
