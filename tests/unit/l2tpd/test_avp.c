/* AVP codec, hidden AVPs (RFC 2661 §4.3), tunnel challenge/response, tie breaker. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "l2tpd/avp.h"
#include "l2tpd/tunnel_auth.h"

static const uint8_t secret_bytes[] = "shared-secret";
static const struct l2tp_secret secret = { secret_bytes, sizeof secret_bytes - 1 };
static const uint8_t rv16[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const char called[] = "+1 555 0100 extension 4242";   /* 26 octets: two MD5 blocks */

/*
 * Wire value of Called Number (type 21) hidden with secret "shared-secret" and the Random
 * Vector 00..0f, computed outside this code base (Python hashlib) from the RFC 2661 §4.3
 * formulas b1 = MD5(AT || S || RV), c1 = p1 ^ b1, b2 = MD5(S || c1), c2 = p2 ^ b2.
 */
static const uint8_t hidden_called[28] = {
	0xac, 0x86, 0x6d, 0x1c, 0x05, 0x84, 0x3e, 0x85, 0xfc, 0x5e, 0x9f, 0xb9, 0x85, 0x5e,
	0x3e, 0xb5, 0x1e, 0x17, 0x3d, 0x3c, 0x8a, 0x53, 0xd1, 0x55, 0xd7, 0x90, 0xdb, 0xaa,
};

static void md5(const void *a, size_t al, const void *b, size_t bl, const void *c, size_t cl,
		uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_md5(), NULL), 1);
	EVP_DigestUpdate(ctx, a, al);
	EVP_DigestUpdate(ctx, b, bl);
	if (cl)
		EVP_DigestUpdate(ctx, c, cl);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

static void test_hidden_avp_vector(void **state)
{
	uint8_t buf[64];
	struct buf_writer w;

	(void)state;
	bw_init(&w, buf, sizeof buf);
	assert_int_equal(l2tp_avp_put_hidden(&w, L2TP_AVP_CALLED_NUMBER, true, called,
					     strlen(called), NULL, 0, &secret, rv16, 16), 0);
	assert_int_equal(bw_len(&w), 6 + 28);
	/* M and H set, length 34; vendor 0; type 21 */
	assert_int_equal(buf[0], 0xc0);
	assert_int_equal(buf[1], 34);
	assert_int_equal(buf[2] | buf[3], 0);
	assert_int_equal(buf[5], 21);
	assert_memory_equal(buf + 6, hidden_called, sizeof hidden_called);
}

/* The same computation done step by step here, with padding, against the codec. */
static void test_hidden_avp_by_hand(void **state)
{
	const uint8_t value[] = { 0x12, 0x34 };     /* e.g. an Assigned Tunnel ID */
	const uint8_t pad[20] = { 0x55 };
	uint8_t plain[24], expect[24], b[16], buf[64];
	struct buf_writer w;

	(void)state;
	plain[0] = 0;
	plain[1] = 2;
	memcpy(plain + 2, value, 2);
	memcpy(plain + 4, pad, 20);
	uint8_t at[2] = { 0, L2TP_AVP_ASSIGNED_TUNNEL_ID };
	md5(at, 2, secret.data, secret.len, rv16, 16, b);
	for (int i = 0; i < 16; i++)
		expect[i] = plain[i] ^ b[i];
	md5(secret.data, secret.len, expect, 16, NULL, 0, b);
	for (int i = 16; i < 24; i++)
		expect[i] = plain[i] ^ b[i - 16];

	bw_init(&w, buf, sizeof buf);
	assert_int_equal(l2tp_avp_put_hidden(&w, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, value, 2, pad,
					     20, &secret, rv16, 16), 0);
	assert_memory_equal(buf + 6, expect, 24);

	/* and back through the reader */
	struct buf_reader r;
	struct l2tp_avp_raw a;
	uint8_t out[64];
	size_t n;

	br_init(&r, buf, bw_len(&w));
	assert_int_equal(l2tp_avp_next(&r, &a), 1);
	assert_true(a.flags & L2TP_AVP_F_HIDDEN);
	assert_true(a.flags & L2TP_AVP_F_MANDATORY);
	assert_int_equal(l2tp_avp_unhide(&a, &secret, rv16, 16, out, sizeof out, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(out, value, 2);
	assert_int_equal(l2tp_avp_next(&r, &a), 0);
}

static void test_unhide_wrong_secret(void **state)
{
	const struct l2tp_secret bad = { (const uint8_t *)"other", 5 };
	uint8_t buf[64], out[64];
	struct buf_writer w;
	struct buf_reader r;
	struct l2tp_avp_raw a;
	size_t n;

	(void)state;
	bw_init(&w, buf, sizeof buf);
	l2tp_avp_put_hidden(&w, L2TP_AVP_CALLED_NUMBER, true, called, strlen(called), NULL, 0,
			    &secret, rv16, 16);
	br_init(&r, buf, bw_len(&w));
	assert_int_equal(l2tp_avp_next(&r, &a), 1);
	/* a wrong key yields a random original length: > 26 with overwhelming odds here */
	assert_int_equal(l2tp_avp_unhide(&a, &bad, rv16, 16, out, sizeof out, &n), -EBADMSG);
	assert_int_equal(l2tp_avp_unhide(&a, &secret, rv16, 16, out, 4, &n), -ENOSPC);
	assert_int_equal(l2tp_avp_unhide(&a, &secret, rv16, 16, out, sizeof out, &n), 0);
	assert_int_equal(n, strlen(called));
	assert_memory_equal(out, called, n);
}

static void test_avp_header_bounds(void **state)
{
	/* length 5 (< header) */
	const uint8_t short_len[] = { 0x80, 0x05, 0, 0, 0, 0 };
	/* length 10 but only 8 octets */
	const uint8_t past_end[] = { 0x80, 0x0a, 0, 0, 0, 2, 0, 1 };
	/* reserved bits and length 8: parses, flags keep the reserved bits */
	const uint8_t ok[] = { 0x80 | 0x04, 0x08, 0, 0, 0, 2, 1, 0 };
	struct buf_reader r;
	struct l2tp_avp_raw a;
	uint16_t v;

	(void)state;
	br_init(&r, short_len, sizeof short_len);
	assert_int_equal(l2tp_avp_next(&r, &a), -EBADMSG);
	br_init(&r, past_end, sizeof past_end);
	assert_int_equal(l2tp_avp_next(&r, &a), -EBADMSG);
	br_init(&r, ok, sizeof ok);
	assert_int_equal(l2tp_avp_next(&r, &a), 1);
	assert_int_equal(a.type, L2TP_AVP_PROTOCOL_VERSION);
	assert_int_equal(a.flags, 0x8400);
	assert_int_equal(br_u16(&a.value, &v), 0);
	assert_int_equal(v, 0x0100);
	assert_int_equal(l2tp_avp_next(&r, &a), 0);
}

static void test_avp_put_plain(void **state)
{
	uint8_t buf[16];
	struct buf_writer w;
	const uint8_t expect[] = { 0x80, 0x08, 0, 0, 0, 0x09, 0xbe, 0xef };

	(void)state;
	bw_init(&w, buf, sizeof buf);
	assert_int_equal(l2tp_avp_put_u16(&w, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 0xbeef), 0);
	assert_memory_equal(buf, expect, sizeof expect);
	/* does not fit */
	assert_int_equal(l2tp_avp_put_u32(&w, L2TP_AVP_TX_CONNECT_SPEED, true, 1), -EMSGSIZE);
	/* over the 10-bit length */
	uint8_t big[1100] = { 0 }, mem[1200];
	bw_init(&w, mem, sizeof mem);
	assert_int_equal(l2tp_avp_put(&w, L2TP_AVP_VENDOR_NAME, false, big, 1018), -EMSGSIZE);
	assert_int_equal(l2tp_avp_put(&w, L2TP_AVP_VENDOR_NAME, false, big, 1017), 0);
	assert_int_equal(bw_len(&w), 1023);
}

static void test_challenge_response(void **state)
{
	uint8_t ch[16], resp[16];
	/* MD5(0x02 || "shared-secret" || a5 x16), Python hashlib */
	const uint8_t sccrp[16] = { 0x9a, 0xa3, 0xa9, 0x4b, 0x47, 0xee, 0x44, 0x57,
				    0x2d, 0x44, 0xc6, 0x73, 0x00, 0x9e, 0x3b, 0x25 };
	const uint8_t scccn[16] = { 0x41, 0x8a, 0x8f, 0xb9, 0x64, 0x08, 0xac, 0xae,
				    0xdc, 0xff, 0x7b, 0x66, 0x3a, 0x8b, 0x9c, 0x91 };

	(void)state;
	memset(ch, 0xa5, sizeof ch);
	assert_int_equal(l2tp_challenge_response(2, &secret, ch, 16, resp), 0);
	assert_memory_equal(resp, sccrp, 16);
	assert_int_equal(l2tp_challenge_response(3, &secret, ch, 16, resp), 0);
	assert_memory_equal(resp, scccn, 16);
	assert_true(l2tp_challenge_verify(3, &secret, ch, 16, scccn, 16));
	assert_false(l2tp_challenge_verify(2, &secret, ch, 16, scccn, 16));
	assert_false(l2tp_challenge_verify(3, &secret, ch, 16, scccn, 15));
}

static void test_tie_breaker(void **state)
{
	const uint8_t lo[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	const uint8_t hi[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(l2tp_tie_break(true, lo, true, hi), L2TP_TIE_KEEP_OURS);
	assert_int_equal(l2tp_tie_break(true, hi, true, lo), L2TP_TIE_KEEP_THEIRS);
	assert_int_equal(l2tp_tie_break(true, lo, true, lo), L2TP_TIE_DROP_BOTH);
	assert_int_equal(l2tp_tie_break(false, NULL, true, hi), L2TP_TIE_KEEP_THEIRS);
	assert_int_equal(l2tp_tie_break(true, hi, false, NULL), L2TP_TIE_KEEP_OURS);
	assert_int_equal(l2tp_tie_break(false, NULL, false, NULL), L2TP_TIE_KEEP_BOTH);
}

static void test_result_code(void **state)
{
	uint8_t buf[64];
	struct buf_writer w;
	struct buf_reader r;
	struct l2tp_avp_raw a;
	struct l2tp_result res;
	const uint8_t *p;

	(void)state;
	bw_init(&w, buf, sizeof buf);
	assert_int_equal(l2tp_avp_put_result(&w, L2TP_STOPCCN_GENERAL_ERROR,
					     L2TP_ERR_UNKNOWN_MANDATORY_AVP, "bad"), 0);
	assert_int_equal(bw_len(&w), 6 + 2 + 2 + 3);
	br_init(&r, buf, bw_len(&w));
	assert_int_equal(l2tp_avp_next(&r, &a), 1);
	br_ptr(&a.value, br_left(&a.value), &p);
	assert_int_equal(l2tp_result_parse(p, 7, &res), 0);
	assert_int_equal(res.result, 2);
	assert_true(res.has_error);
	assert_int_equal(res.error, 8);
	assert_int_equal(res.message_len, 3);
	assert_memory_equal(res.message, "bad", 3);
	assert_int_equal(l2tp_result_parse(p, 3, &res), -EBADMSG);
	/* result only */
	bw_init(&w, buf, sizeof buf);
	l2tp_avp_put_result(&w, L2TP_STOPCCN_CLEAR, L2TP_RESULT_NO_ERROR, NULL);
	assert_int_equal(bw_len(&w), 8);
	assert_string_equal(l2tp_stopccn_result_str(4),
			    "Requester is not authorized to establish a control channel");
	assert_string_equal(l2tp_cdn_result_str(3), "Call disconnected for administrative reasons");
	assert_string_equal(l2tp_error_str(8),
			    "Session or tunnel was shutdown due to receipt of an unknown AVP with the M-bit set");
	assert_string_equal(l2tp_error_str(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden_avp_vector),
		cmocka_unit_test(test_hidden_avp_by_hand),
		cmocka_unit_test(test_unhide_wrong_secret),
		cmocka_unit_test(test_avp_header_bounds),
		cmocka_unit_test(test_avp_put_plain),
		cmocka_unit_test(test_challenge_response),
		cmocka_unit_test(test_tie_breaker),
		cmocka_unit_test(test_result_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
