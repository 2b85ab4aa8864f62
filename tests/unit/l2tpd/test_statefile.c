/* The restart state file (statefile.h): round trips, exact bytes, and every truncation,
 * bit flip and out-of-range field rejected. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/statefile.h"

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Rewrite the slot's length and checksum after a test changed its payload. */
static void reseal(uint8_t *slot, uint16_t plen)
{
	uint32_t h;

	slot[2] = (uint8_t)(plen >> 8);
	slot[3] = (uint8_t)plen;
	memset(slot + L2ST_SLOT_HDR_LEN + plen, 0, L2ST_SLOT_LEN - L2ST_SLOT_HDR_LEN - plen);
	h = fnv(slot + L2ST_SLOT_HDR_LEN, plen);
	slot[4] = (uint8_t)(h >> 24);
	slot[5] = (uint8_t)(h >> 16);
	slot[6] = (uint8_t)(h >> 8);
	slot[7] = (uint8_t)h;
}

static void tunnel_rec(struct l2st_record *r)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&r->u.t.peer;
	/* two HELLOs in flight: u16 length 20, control header (T, L, S, version 2) ... */
	static const uint8_t hello[20] = { 0xc8, 0x02, 0x00, 0x14, 0x12, 0x34, 0x00, 0x00,
					   0x00, 0x07, 0x00, 0x03, 0x80, 0x08, 0x00, 0x00,
					   0x00, 0x00, 0x00, 0x06 };

	memset(r, 0, sizeof *r);
	r->kind = L2ST_TUNNEL;
	r->u.t.tid = 0xbeef;
	r->u.t.peer_tid = 0x1234;
	a->sin_family = AF_INET;
	a->sin_port = htons(1701);
	inet_pton(AF_INET, "198.51.100.2", &a->sin_addr);
	r->u.t.ns = 7;
	r->u.t.nr = 3;
	r->u.t.peer_rws = 4;
	r->u.t.hello_ms = 60000;
	r->u.t.created_ms = 0x0102030405060708ull;
	strcpy(r->u.t.host, "client.example");
	for (int i = 0; i < 2; i++) {
		uint8_t *p = r->u.t.pending + r->u.t.pending_len;

		p[0] = 0;
		p[1] = sizeof hello;
		memcpy(p + 2, hello, sizeof hello);
		r->u.t.pending_len = (uint16_t)(r->u.t.pending_len + 2 + sizeof hello);
	}
}

static void session_rec(struct l2st_record *r)
{
	struct l2st_session *s = &r->u.s;

	memset(r, 0, sizeof *r);
	r->kind = L2ST_SESSION;
	s->tid = 0xbeef;
	s->sid = 42;
	s->peer_sid = 9;
	s->state = L2ST_SESS_ESTABLISHED;
	s->call_serial = 77;
	strcpy(s->user, "alice");
	s->client_ip = 0xcb0071c8;     /* 203.0.113.200 */
	s->dedicated_ip = true;
	s->dns[0] = 0xcb007135;
	strcpy(s->ifname, "l2sec0");
	s->ifindex = 5;
	s->unit = 0;
	s->chindex = 3;
	s->our_mru = 1400;
	s->peer_mru = 1400;
	s->our_magic = 0xdeadbeef;
	s->peer_magic = 0x01020304;
	s->auth_method = 3;
	s->peer_acfc = true;
	s->local_ip = 0xcb007101;
	s->created_ms = 1000;
	s->up_ms = 2500;
	strcpy(s->ike_id, "CN=alice, O=Example");
}

static void test_header(void **state)
{
	static const uint8_t want[L2ST_HDR_LEN] = { 'L', '2', 'S', 'E', 'C', 'S', 'T', 0,
						    0x00, 0x01, 0x04, 0x00, 0, 0, 0, 0 };
	uint8_t h[L2ST_HDR_LEN];

	(void)state;
	l2st_header_write(h);
	assert_memory_equal(h, want, sizeof want);
	assert_int_equal(l2st_header_check(h, sizeof h), 0);
	for (size_t n = 0; n < sizeof h; n++)
		assert_int_equal(l2st_header_check(h, n), -EBADMSG);
	for (size_t i = 0; i < sizeof h; i++) {
		h[i] ^= 0x20;
		assert_int_equal(l2st_header_check(h, sizeof h), -EBADMSG);
		h[i] ^= 0x20;
	}
}

static void test_tunnel_round_trip(void **state)
{
	struct l2st_record r, back;
	uint8_t slot[L2ST_SLOT_LEN];

	(void)state;
	tunnel_rec(&r);
	assert_int_equal(l2st_slot_encode(&r, slot), 0);
	/* hand-computed: kind 1, 0, length 2+2+7+2+2+2+4+8+15+2+44 = 90, then tid, peer tid,
	 * family 4, 198.51.100.2, port 1701 */
	assert_int_equal(slot[0], 1);
	assert_int_equal(rd16(slot + 2), 90);
	assert_int_equal(rd16(slot + 8), 0xbeef);
	assert_int_equal(rd16(slot + 10), 0x1234);
	assert_int_equal(slot[12], 4);
	assert_int_equal(slot[13], 198);
	assert_int_equal(slot[16], 2);
	assert_int_equal(rd16(slot + 17), 1701);
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), 1);
	assert_int_equal(back.kind, L2ST_TUNNEL);
	assert_int_equal(back.u.t.tid, 0xbeef);
	assert_int_equal(back.u.t.ns, 7);
	assert_int_equal(back.u.t.nr, 3);
	assert_int_equal(back.u.t.hello_ms, 60000);
	assert_true(back.u.t.created_ms == 0x0102030405060708ull);
	assert_string_equal(back.u.t.host, "client.example");
	assert_int_equal(back.u.t.pending_len, 44);
	assert_memory_equal(back.u.t.pending, r.u.t.pending, 44);
	assert_memory_equal(&back.u.t.peer, &r.u.t.peer, sizeof(struct sockaddr_in));
}

static void test_tunnel_v6(void **state)
{
	struct l2st_record r, back;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&r.u.t.peer;
	uint8_t slot[L2ST_SLOT_LEN];

	(void)state;
	tunnel_rec(&r);
	memset(&r.u.t.peer, 0, sizeof r.u.t.peer);
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(4500);
	inet_pton(AF_INET6, "2001:db8::2", &a->sin6_addr);
	r.u.t.pending_len = 0;
	assert_int_equal(l2st_slot_encode(&r, slot), 0);
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), 1);
	assert_int_equal(back.u.t.peer.ss_family, AF_INET6);
	assert_memory_equal(&back.u.t.peer, &r.u.t.peer, sizeof(struct sockaddr_in6));
}

static void test_session_round_trip(void **state)
{
	struct l2st_record r, back;
	uint8_t slot[L2ST_SLOT_LEN];

	(void)state;
	session_rec(&r);
	assert_int_equal(l2st_slot_encode(&r, slot), 0);
	assert_int_equal(slot[0], 2);
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), 1);
	assert_memory_equal(&back.u.s, &r.u.s, sizeof r.u.s);
	/* a negotiating session needs only its ids */
	memset(&r.u.s, 0, sizeof r.u.s);
	r.u.s.tid = 1;
	r.u.s.sid = 2;
	r.u.s.peer_sid = 3;
	r.u.s.state = L2ST_SESS_NEGOTIATING;
	assert_int_equal(l2st_slot_encode(&r, slot), 0);
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), 1);
	assert_memory_equal(&back.u.s, &r.u.s, sizeof r.u.s);
}

/* Every shorter slot, every shorter payload (resealed), every single bit flipped. */
static void check_all_damage_rejected(const struct l2st_record *r)
{
	struct l2st_record back;
	uint8_t slot[L2ST_SLOT_LEN], bad[L2ST_SLOT_LEN];
	uint16_t plen;

	assert_int_equal(l2st_slot_encode(r, slot), 0);
	plen = rd16(slot + 2);
	for (size_t n = 0; n < sizeof slot; n++)
		assert_int_equal(l2st_slot_decode(slot, n, &back), -EBADMSG);
	for (uint16_t n = 0; n < plen; n++) {
		memcpy(bad, slot, sizeof bad);
		reseal(bad, n);
		assert_int_equal(l2st_slot_decode(bad, sizeof bad, &back), -EBADMSG);
	}
	/* one byte too many: the record must be consumed exactly */
	memcpy(bad, slot, sizeof bad);
	reseal(bad, (uint16_t)(plen + 1));
	assert_int_equal(l2st_slot_decode(bad, sizeof bad, &back), -EBADMSG);
	for (size_t bit = 0; bit < sizeof slot * 8; bit++) {
		int v;

		memcpy(bad, slot, sizeof bad);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		v = l2st_slot_decode(bad, sizeof bad, &back);
		/* only the kind byte turning 0 reads as a free slot; nothing else passes */
		if (bit < 8 && bad[0] == 0)
			assert_int_equal(v, 0);
		else
			assert_int_equal(v, -EBADMSG);
	}
}

static void test_damage(void **state)
{
	struct l2st_record r;

	(void)state;
	tunnel_rec(&r);
	check_all_damage_rejected(&r);
	session_rec(&r);
	check_all_damage_rejected(&r);
}

/* Change payload byte off to v (checksum redone): must be rejected. */
static void expect_bad_field(const struct l2st_record *r, size_t off, uint8_t v)
{
	struct l2st_record back;
	uint8_t slot[L2ST_SLOT_LEN];

	assert_int_equal(l2st_slot_encode(r, slot), 0);
	slot[L2ST_SLOT_HDR_LEN + off] = v;
	reseal(slot, rd16(slot + 2));
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), -EBADMSG);
}

static void test_ranges(void **state)
{
	struct l2st_record r, back;
	uint8_t slot[L2ST_SLOT_LEN];

	(void)state;
	tunnel_rec(&r);
	r.u.t.tid = 0x00ef;
	expect_bad_field(&r, 1, 0);          /* tid 0 */
	tunnel_rec(&r);
	expect_bad_field(&r, 4, 5);          /* family 5 */
	r.u.t.peer_rws = 0x0100;
	expect_bad_field(&r, 15, 0);         /* peer window 0 */
	tunnel_rec(&r);
	/* pending message without the T bit: offset of the first message's flags */
	expect_bad_field(&r, 2 + 2 + 7 + 2 + 2 + 2 + 4 + 8 + 15 + 2 + 2, 0x48);
	/* host name with a control character */
	expect_bad_field(&r, 2 + 2 + 7 + 2 + 2 + 2 + 4 + 8 + 1, 0x0a);

	session_rec(&r);
	expect_bad_field(&r, 6, 3);          /* state 3 */
	expect_bad_field(&r, 7, 8);          /* unknown flag */
	expect_bad_field(&r, 13, 0x1b);      /* user "alice" with ESC */
	/* auth method 9: offset of auth_method =
	 * 12 + (1+5) + (1+6) + (1+19) + 4*4 + 4*3 + 2+2+4+4 */
	expect_bad_field(&r, 12 + 6 + 7 + 20 + 16 + 12 + 12, 9);
	/* established without an interface index */
	r.u.s.ifindex = 0;
	assert_int_equal(l2st_slot_encode(&r, slot), -EINVAL);
	session_rec(&r);
	r.u.s.up_ms = r.u.s.created_ms - 1;
	assert_int_equal(l2st_slot_encode(&r, slot), -EINVAL);
	session_rec(&r);
	r.u.s.user[0] = 0;
	assert_int_equal(l2st_slot_encode(&r, slot), -EINVAL);
	/* the auth method check itself passes the good value */
	session_rec(&r);
	assert_int_equal(l2st_slot_encode(&r, slot), 0);
	assert_int_equal(slot[L2ST_SLOT_HDR_LEN + 12 + 6 + 7 + 20 + 16 + 12 + 12], 3);
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), 1);
	/* unknown kind with a valid checksum */
	slot[0] = 3;
	assert_int_equal(l2st_slot_decode(slot, sizeof slot, &back), -EBADMSG);
}

struct seen { unsigned good, bad; size_t slots[4]; };

static void on_rec(void *arg, size_t slot, const struct l2st_record *rec, int err)
{
	struct seen *s = arg;

	if (err < 0) {
		assert_null(rec);
		s->slots[s->good + s->bad] = slot;
		s->bad++;
	} else {
		assert_non_null(rec);
		s->slots[s->good + s->bad] = slot;
		s->good++;
	}
}

static void test_parse_file(void **state)
{
	static uint8_t file[L2ST_HDR_LEN + 4 * L2ST_SLOT_LEN];
	struct l2st_record r;
	struct seen s = { 0 };

	(void)state;
	memset(file, 0, sizeof file);
	l2st_header_write(file);
	tunnel_rec(&r);
	assert_int_equal(l2st_slot_encode(&r, file + L2ST_HDR_LEN + L2ST_SLOT_LEN), 0);
	session_rec(&r);
	assert_int_equal(l2st_slot_encode(&r, file + L2ST_HDR_LEN + 3 * L2ST_SLOT_LEN), 0);
	file[L2ST_HDR_LEN + 3 * L2ST_SLOT_LEN + 20] ^= 1;    /* corrupt the session */
	assert_int_equal(l2st_parse(file, sizeof file, on_rec, &s), 2);
	assert_int_equal(s.good, 1);
	assert_int_equal(s.bad, 1);
	assert_int_equal(s.slots[0], 1);
	assert_int_equal(s.slots[1], 3);
	/* a cut inside a used slot reports it as corrupt */
	memset(&s, 0, sizeof s);
	assert_int_equal(l2st_parse(file, L2ST_HDR_LEN + L2ST_SLOT_LEN + 100, on_rec, &s), 1);
	assert_int_equal(s.bad, 1);
	/* wrong version: nothing usable */
	file[9] = 2;
	assert_int_equal(l2st_parse(file, sizeof file, on_rec, &s), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_tunnel_round_trip),
		cmocka_unit_test(test_tunnel_v6),
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_parse_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
