/*
 * common/diag_ring: the per-peer memory behind `vpnctl diagnose`.
 *   - a peer's ring keeps its last per_peer entries, visited oldest first;
 *   - a repeat of the newest entry bumps its count and time instead of a new slot;
 *   - the address is the key (port ignored), the port is kept in the entry;
 *   - at the global cap the least recently noted address is forgotten, and noting a peer
 *     again makes it recent (it survives the next eviction).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "common/diag_ring.h"

static struct diag_entry entry(const char *ip, uint16_t port, uint8_t stage, uint8_t result,
			       const char *text)
{
	struct diag_entry e;

	memset(&e, 0, sizeof e);
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&e.peer;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&e.peer;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	e.stage = stage;
	e.result = result;
	snprintf(e.text, sizeof e.text, "%s", text);
	return e;
}

#define SA(e) ((const struct sockaddr *)&(e).peer)

struct seen {
	unsigned n;
	char text[16][DIAG_TEXT_MAX];
	uint32_t repeat[16];
	uint64_t at[16];
	uint16_t port[16];
};

static int collect(const struct diag_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		snprintf(s->text[s->n], sizeof s->text[0], "%s", e->text);
		s->repeat[s->n] = e->repeat;
		s->at[s->n] = e->at_ms;
		s->port[s->n] = ntohs(((const struct sockaddr_in *)&e->peer)->sin_port);
	}
	s->n++;
	return 0;
}

static void test_ring_wraps_oldest_first(void **state)
{
	struct diag_ring *r = diag_ring_new(4, 3);
	struct seen s = { 0 };
	char t[32];

	(void)state;
	assert_non_null(r);
	for (int i = 1; i <= 5; i++) {
		snprintf(t, sizeof t, "event %d", i);
		struct diag_entry e = entry("192.0.2.7", 4500, CTL_DIAG_IKE, CTL_DIAG_FAILED, t);
		assert_int_equal(diag_ring_note(r, &e, 100u * (unsigned)i), 0);
	}
	struct diag_entry probe = entry("192.0.2.7", 0, 0, 0, "");
	assert_int_equal(diag_ring_count(r, SA(probe)), 3);
	assert_int_equal(diag_ring_each(r, SA(probe), collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.text[0], "event 3");
	assert_string_equal(s.text[1], "event 4");
	assert_string_equal(s.text[2], "event 5");
	assert_int_equal(s.at[0], 300);
	assert_int_equal(s.at[2], 500);
	assert_int_equal(s.port[2], 4500);
	diag_ring_free(r);
}

static void test_repeat_collapses(void **state)
{
	struct diag_ring *r = diag_ring_new(4, 3);
	struct diag_entry a = entry("192.0.2.7", 1701, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_FAILED,
				    "not protected by IPsec");
	struct diag_entry b = entry("192.0.2.7", 1701, CTL_DIAG_IKE, CTL_DIAG_OK, "IKE SA 1 up");
	struct seen s = { 0 };

	(void)state;
	assert_non_null(r);
	assert_int_equal(diag_ring_note(r, &a, 10), 0);
	assert_int_equal(diag_ring_note(r, &a, 20), 0);
	assert_int_equal(diag_ring_note(r, &a, 30), 0);
	assert_int_equal(diag_ring_count(r, SA(a)), 1);
	assert_int_equal(diag_ring_note(r, &b, 40), 0);
	/* Same text again but not the newest entry: a new slot. */
	assert_int_equal(diag_ring_note(r, &a, 50), 0);
	assert_int_equal(diag_ring_each(r, SA(a), collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.repeat[0], 3);
	assert_int_equal(s.at[0], 30);
	assert_string_equal(s.text[1], "IKE SA 1 up");
	assert_int_equal(s.repeat[2], 1);
	diag_ring_free(r);
}

static void test_key_is_address(void **state)
{
	struct diag_ring *r = diag_ring_new(8, 4);
	struct diag_entry x500 = entry("192.0.2.254", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "a");
	struct diag_entry x4500 = entry("192.0.2.254", 4500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "b");
	struct diag_entry other = entry("192.0.2.253", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "c");
	struct diag_entry v6 = entry("2001:db8::7", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "d");
	struct diag_entry bad = x500;

	(void)state;
	assert_int_equal(diag_ring_note(r, &x500, 1), 0);
	assert_int_equal(diag_ring_note(r, &x4500, 2), 0);
	assert_int_equal(diag_ring_note(r, &v6, 3), 0);
	assert_int_equal(diag_ring_count(r, SA(x4500)), 2);
	assert_int_equal(diag_ring_count(r, SA(other)), 0);
	assert_int_equal(diag_ring_count(r, SA(v6)), 1);
	assert_int_equal(diag_ring_peers(r), 2);
	bad.peer.ss_family = AF_UNIX;
	assert_int_equal(diag_ring_note(r, &bad, 4), -EAFNOSUPPORT);
	diag_ring_free(r);
}

static void test_lru_eviction(void **state)
{
	struct diag_ring *r = diag_ring_new(3, 2);
	struct diag_entry p1 = entry("198.51.100.1", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "1");
	struct diag_entry p2 = entry("198.51.100.2", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "2");
	struct diag_entry p3 = entry("198.51.100.3", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "3");
	struct diag_entry p4 = entry("198.51.100.4", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "4");
	struct diag_entry p5 = entry("198.51.100.5", 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "5");
	struct diag_entry p1b = entry("198.51.100.1", 500, CTL_DIAG_IKE, CTL_DIAG_OK, "1 again");
	struct seen s = { 0 };

	(void)state;
	diag_ring_note(r, &p1, 1);
	diag_ring_note(r, &p2, 2);
	diag_ring_note(r, &p3, 3);
	diag_ring_note(r, &p1b, 4);     /* p1 is now the most recent: p2 is the oldest */
	diag_ring_note(r, &p4, 5);      /* full: p2 goes */
	assert_int_equal(diag_ring_peers(r), 3);
	assert_int_equal(diag_ring_count(r, SA(p2)), 0);
	assert_int_equal(diag_ring_count(r, SA(p1)), 2);
	assert_int_equal(diag_ring_count(r, SA(p3)), 1);
	diag_ring_note(r, &p5, 6);      /* then p3 */
	assert_int_equal(diag_ring_count(r, SA(p3)), 0);
	assert_int_equal(diag_ring_count(r, SA(p1)), 2);
	/* Visiting everything: most recently noted address first, each oldest first. */
	assert_int_equal(diag_ring_each(r, NULL, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "5");
	assert_string_equal(s.text[1], "4");
	assert_string_equal(s.text[2], "1");
	assert_string_equal(s.text[3], "1 again");
	diag_ring_free(r);
}

/* Many peers through a small book: the cap holds and the newest survive. */
static void test_global_cap(void **state)
{
	struct diag_ring *r = diag_ring_new(64, 2);
	char ip[32];

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%u", i % 250);
		struct diag_entry e = entry(ip, 500, CTL_DIAG_IKE, CTL_DIAG_FAILED, "x");
		if (i >= 250)
			((struct sockaddr_in *)&e.peer)->sin_addr.s_addr = htonl(0xc6336400u + i);
		assert_int_equal(diag_ring_note(r, &e, i), 0);
		assert_true(diag_ring_peers(r) <= 64);
	}
	assert_int_equal(diag_ring_peers(r), 64);
	struct diag_entry last = entry("198.51.100.1", 0, 0, 0, "");
	((struct sockaddr_in *)&last.peer)->sin_addr.s_addr = htonl(0xc6336400u + 999);
	assert_int_equal(diag_ring_count(r, SA(last)), 1);
	struct diag_entry gone = last;
	((struct sockaddr_in *)&gone.peer)->sin_addr.s_addr = htonl(0xc6336400u + 999 - 64);
	assert_int_equal(diag_ring_count(r, SA(gone)), 0);
	assert_null(diag_ring_new(0, 1));
	assert_null(diag_ring_new(1, 0));
	diag_ring_free(r);
	diag_ring_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_wraps_oldest_first),
		cmocka_unit_test(test_repeat_collapses),
		cmocka_unit_test(test_key_is_address),
		cmocka_unit_test(test_lru_eviction),
		cmocka_unit_test(test_global_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
