/* The restart state records (statefile.h): round trips, exact bytes, every truncation and
 * out-of-range field rejected; a whole file parsed through the common store, with damaged
 * slots reported; a version 1 file (l2tpd's format before the common store) refused. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "l2tpd/statefile.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

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

static void test_tunnel_round_trip(void **state)
{
	struct l2st_record r, back;
	uint8_t body[L2ST_BODY_MAX];

	(void)state;
	tunnel_rec(&r);
	/* hand-computed: length 2+2+7+2+2+2+4+8+15+2+44 = 90: tid, peer tid, family 4,
	 * 198.51.100.2, port 1701 */
	assert_int_equal(l2st_encode(&r, body, sizeof body), 90);
	assert_int_equal(rd16(body), 0xbeef);
	assert_int_equal(rd16(body + 2), 0x1234);
	assert_int_equal(body[4], 4);
	assert_int_equal(body[5], 198);
	assert_int_equal(body[8], 2);
	assert_int_equal(rd16(body + 9), 1701);
	/* a buffer one byte short: refused, not cut */
	assert_int_equal(l2st_encode(&r, body, 89), -EINVAL);
	assert_int_equal(l2st_decode(L2ST_TUNNEL, body, 90, &back), 0);
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
	uint8_t body[L2ST_BODY_MAX];
	int n;

	(void)state;
	tunnel_rec(&r);
	memset(&r.u.t.peer, 0, sizeof r.u.t.peer);
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(4500);
	inet_pton(AF_INET6, "2001:db8::2", &a->sin6_addr);
	r.u.t.pending_len = 0;
	n = l2st_encode(&r, body, sizeof body);
	assert_int_equal(n, 90 - 44 + 12);
	assert_int_equal(l2st_decode(L2ST_TUNNEL, body, (size_t)n, &back), 0);
	assert_int_equal(back.u.t.peer.ss_family, AF_INET6);
	assert_memory_equal(&back.u.t.peer, &r.u.t.peer, sizeof(struct sockaddr_in6));
}

static void test_session_round_trip(void **state)
{
	struct l2st_record r, back;
	uint8_t body[L2ST_BODY_MAX];
	int n;

	(void)state;
	session_rec(&r);
	n = l2st_encode(&r, body, sizeof body);
	assert_true(n > 0);
	assert_int_equal(l2st_decode(L2ST_SESSION, body, (size_t)n, &back), 0);
	assert_int_equal(back.kind, L2ST_SESSION);
	assert_memory_equal(&back.u.s, &r.u.s, sizeof r.u.s);
	/* the kind says how to read the body: a session is not a tunnel */
	assert_int_equal(l2st_decode(L2ST_TUNNEL, body, (size_t)n, &back), -EBADMSG);
	/* a negotiating session needs only its ids */
	memset(&r.u.s, 0, sizeof r.u.s);
	r.u.s.tid = 1;
	r.u.s.sid = 2;
	r.u.s.peer_sid = 3;
	r.u.s.state = L2ST_SESS_NEGOTIATING;
	n = l2st_encode(&r, body, sizeof body);
	assert_true(n > 0);
	assert_int_equal(l2st_decode(L2ST_SESSION, body, (size_t)n, &back), 0);
	assert_memory_equal(&back.u.s, &r.u.s, sizeof r.u.s);
}

/* Every shorter body and a longer one: a record must be consumed exactly. (Damage the
 * checksum catches is the store's: tests/unit/common/test_state_store.c.) */
static void check_all_cuts_rejected(const struct l2st_record *r)
{
	struct l2st_record back;
	uint8_t body[L2ST_BODY_MAX + 1];
	int n = l2st_encode(r, body, sizeof body);

	assert_true(n > 0);
	for (int k = 0; k < n; k++)
		assert_int_equal(l2st_decode((uint8_t)r->kind, body, (size_t)k, &back), -EBADMSG);
	body[n] = 0;
	assert_int_equal(l2st_decode((uint8_t)r->kind, body, (size_t)n + 1, &back), -EBADMSG);
	assert_int_equal(l2st_decode(3, body, (size_t)n, &back), -EBADMSG);
	assert_int_equal(l2st_decode(L2ST_FREE, body, (size_t)n, &back), -EBADMSG);
}

static void test_cuts(void **state)
{
	struct l2st_record r;

	(void)state;
	tunnel_rec(&r);
	check_all_cuts_rejected(&r);
	session_rec(&r);
	check_all_cuts_rejected(&r);
}

/* Change body byte off to v: must be rejected. */
static void expect_bad_field(const struct l2st_record *r, size_t off, uint8_t v)
{
	struct l2st_record back;
	uint8_t body[L2ST_BODY_MAX];
	int n = l2st_encode(r, body, sizeof body);

	assert_true(n > 0 && off < (size_t)n);
	body[off] = v;
	assert_int_equal(l2st_decode((uint8_t)r->kind, body, (size_t)n, &back), -EBADMSG);
}

static void test_ranges(void **state)
{
	struct l2st_record r, back;
	uint8_t body[L2ST_BODY_MAX];
	int n;

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
	assert_int_equal(l2st_encode(&r, body, sizeof body), -EINVAL);
	session_rec(&r);
	r.u.s.up_ms = r.u.s.created_ms - 1;
	assert_int_equal(l2st_encode(&r, body, sizeof body), -EINVAL);
	session_rec(&r);
	r.u.s.user[0] = 0;
	assert_int_equal(l2st_encode(&r, body, sizeof body), -EINVAL);
	/* the auth method check itself passes the good value */
	session_rec(&r);
	n = l2st_encode(&r, body, sizeof body);
	assert_true(n > 0);
	assert_int_equal(body[12 + 6 + 7 + 20 + 16 + 12 + 12], 3);
	assert_int_equal(l2st_decode(L2ST_SESSION, body, (size_t)n, &back), 0);
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

static const uint8_t boot[STATE_STORE_BOOT_ID_LEN] = { 7, 7, 7 };

/* A store file with a tunnel in slot 1 and a session in slot 2; image and length back. */
static int write_file(uint8_t **img, size_t *len, struct store_ref *t, struct store_ref *s)
{
	int memfd = memfd_create("l2st-test", MFD_CLOEXEC);
	uint8_t body[L2ST_BODY_MAX];
	struct state_store *st;
	struct l2st_record r;
	const char *why;
	int n;

	assert_int_equal(state_store_open(&l2st_format, dup(memfd), true, boot, &st, img, len,
					  &why), 0);
	tunnel_rec(&r);
	n = l2st_encode(&r, body, sizeof body);
	assert_int_equal(state_store_put(st, t, L2ST_TUNNEL, body, (size_t)n), 0);
	session_rec(&r);
	n = l2st_encode(&r, body, sizeof body);
	assert_int_equal(state_store_put(st, s, L2ST_SESSION, body, (size_t)n), 0);
	state_store_close(st);
	assert_int_equal(state_store_open(&l2st_format, dup(memfd), false, boot, &st, img, len,
					  &why), 0);
	assert_string_equal(why, "");
	assert_non_null(*img);
	state_store_close(st);
	return memfd;
}

static void test_parse_file(void **state)
{
	struct store_ref t = { 0 }, s = { 0 };
	struct seen seen = { 0 };
	uint8_t *img;
	size_t len;
	int memfd;

	(void)state;
	memfd = write_file(&img, &len, &t, &s);
	assert_int_equal(t.slot, 1);
	assert_int_equal(s.slot, 2);
	assert_int_equal(len % L2ST_SLOT_LEN, 0);
	img[s.slot * L2ST_SLOT_LEN + 40] ^= 1;          /* damage the session's body */
	assert_int_equal(l2st_parse(img, len, on_rec, &seen), 2);
	assert_int_equal(seen.good, 1);
	assert_int_equal(seen.bad, 1);
	assert_int_equal(seen.slots[0], 0);             /* slot index: store slot - 1 */
	assert_int_equal(seen.slots[1], 1);
	/* a file cut inside the session's slot: the partial slot is not read */
	memset(&seen, 0, sizeof seen);
	assert_int_equal(l2st_parse(img, 2 * L2ST_SLOT_LEN + 100, on_rec, &seen), 1);
	assert_int_equal(seen.good, 1);
	assert_int_equal(seen.bad, 0);
	/* other version in the header: nothing usable */
	img[9] ^= 3;
	assert_int_equal(l2st_parse(img, len, on_rec, &seen), -EBADMSG);
	state_store_image_free(img, len);
	close(memfd);
}

/* A file of version 1 (its own 16-byte header, FNV-1a slots) is refused, never parsed:
 * the store resets it and says why (l2tpd logs restore_state_unusable). */
static void test_version1_file_refused(void **state)
{
	static const uint8_t v1_header[16] = { 'L', '2', 'S', 'E', 'C', 'S', 'T', 0,
					       0x00, 0x01, 0x04, 0x00, 0, 0, 0, 0 };
	int memfd = memfd_create("l2st-v1", MFD_CLOEXEC);
	uint8_t *img = NULL, slot[L2ST_SLOT_LEN] = { 1, 0, 0, 4, 0x11, 0x22, 0x33, 0x44 };
	struct seen seen = { 0 };
	struct state_store *st;
	const char *why;
	size_t len;
	uint8_t *raw = calloc(1, 16 + 64 * L2ST_SLOT_LEN);

	(void)state;
	assert_non_null(raw);
	memcpy(raw, v1_header, sizeof v1_header);
	for (int i = 0; i < 64; i++)
		memcpy(raw + 16 + i * L2ST_SLOT_LEN, slot, sizeof slot);
	assert_int_equal(pwrite(memfd, raw, 16 + 64 * L2ST_SLOT_LEN, 0),
			 16 + 64 * L2ST_SLOT_LEN);
	assert_int_equal(l2st_parse(raw, 16 + 64 * L2ST_SLOT_LEN, on_rec, &seen), -EBADMSG);
	assert_int_equal(seen.good + seen.bad, 0);
	assert_int_equal(state_store_open(&l2st_format, dup(memfd), false, boot, &st, &img, &len,
					  &why), 0);
	assert_string_equal(why, "other format version");
	assert_null(img);
	/* the old slots are zeroed, a fresh header of version 2 written */
	assert_int_equal(pread(memfd, raw, 16 + 64 * L2ST_SLOT_LEN, 0), 16 + 64 * L2ST_SLOT_LEN);
	assert_int_equal(rd16(raw + 8), 2);
	for (size_t i = L2ST_SLOT_LEN; i < 16 + 64 * L2ST_SLOT_LEN; i++)
		assert_int_equal(raw[i], 0);
	state_store_close(st);
	free(raw);
	close(memfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_round_trip),
		cmocka_unit_test(test_tunnel_v6),
		cmocka_unit_test(test_session_round_trip),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_version1_file_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
