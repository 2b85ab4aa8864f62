/* Bounds cases of the reader and writer: every accessor at, just inside and past the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/buf.h"

static const uint8_t sample[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };

static void test_integers_network_order(void **state)
{
	struct buf_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u24, u32;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_u8(&r, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(br_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(br_u24(&r, &u24), 0);
	assert_int_equal(u24, 0x040506);
	assert_int_equal(br_u32_le(&r, &u32), -EBADMSG); /* 4 wanted, 3 left */
	assert_int_equal(u32, 0);
	assert_false(br_ok(&r));
	assert_int_equal(br_left(&r), 0);
}

static void test_u64_and_le(void **state)
{
	struct buf_reader r;
	uint64_t u64;
	uint16_t le16;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(br_left(&r), 1);
	br_init(&r, sample, 2);
	assert_int_equal(br_u16_le(&r, &le16), 0);
	assert_int_equal(le16, 0x0201);
	assert_true(br_done(&r));
}

static void test_exact_end_is_fine(void **state)
{
	struct buf_reader r;
	uint8_t out[9];

	(void)state;
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_bytes(&r, out, sizeof(out)), 0);
	assert_memory_equal(out, sample, sizeof(sample));
	assert_true(br_done(&r));
	/* a zero-length read at the end is not an error */
	assert_int_equal(br_skip(&r, 0), 0);
	assert_true(br_ok(&r));
}

static void test_one_past_end_fails_and_zeroes(void **state)
{
	struct buf_reader r;
	uint8_t out[10];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_bytes(&r, out, sizeof(out)), -EBADMSG);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(br_offset(&r), 0); /* nothing consumed */
}

static void test_error_is_sticky(void **state)
{
	struct buf_reader r;
	uint8_t u8;
	const uint8_t *p;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_skip(&r, 100), -EBADMSG);
	/* plenty of bytes remain, but the reader has failed */
	assert_int_equal(br_u8(&r, &u8), -EBADMSG);
	assert_int_equal(u8, 0);
	assert_int_equal(br_ptr(&r, 1, &p), -EBADMSG);
	assert_null(p);
	assert_int_equal(br_peek_u8(&r, &u8), -EBADMSG);
	assert_false(br_done(&r));
}

static void test_huge_length_does_not_wrap(void **state)
{
	struct buf_reader r, sub;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	br_skip(&r, 4);
	/* off + n would overflow size_t: must be caught without arithmetic wrap */
	assert_int_equal(br_skip(&r, SIZE_MAX), -EBADMSG);
	br_init(&r, sample, sizeof(sample));
	br_skip(&r, 1);
	assert_int_equal(br_sub(&r, SIZE_MAX - 1, &sub), -EBADMSG);
	assert_false(br_ok(&sub));
	assert_int_equal(br_left(&sub), 0);
}

static void test_peek_does_not_consume(void **state)
{
	struct buf_reader r;
	uint8_t u8;
	uint16_t u16;

	(void)state;
	br_init(&r, sample, 2);
	assert_int_equal(br_peek_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x0102);
	assert_int_equal(br_peek_u8(&r, &u8), 0);
	assert_int_equal(br_offset(&r), 0);
	br_skip(&r, 1);
	/* a failed peek does not fail the reader */
	assert_int_equal(br_peek_u16(&r, &u16), -EBADMSG);
	assert_true(br_ok(&r));
}

static void test_sub_reader_is_fenced(void **state)
{
	/* len=3 "abc" then 0xff: the field's parser must not see 0xff */
	static const uint8_t msg[] = { 0x03, 'a', 'b', 'c', 0xff };
	struct buf_reader r, sub;
	uint8_t out[4];

	(void)state;
	br_init(&r, msg, sizeof(msg));
	assert_int_equal(br_sub_u8len(&r, &sub), 0);
	assert_int_equal(br_left(&sub), 3);
	assert_int_equal(br_bytes(&sub, out, 4), -EBADMSG);
	assert_true(br_ok(&r)); /* the outer reader is unaffected */
	assert_int_equal(br_left(&r), 1);
}

static void test_sub_u16len_too_long(void **state)
{
	static const uint8_t msg[] = { 0x00, 0x05, 'a', 'b' };
	struct buf_reader r, sub;

	(void)state;
	br_init(&r, msg, sizeof(msg));
	assert_int_equal(br_sub_u16len(&r, &sub), -EBADMSG);
	assert_false(br_ok(&r));
	assert_false(br_ok(&sub));
}

static void test_sub_len_prefix_cut(void **state)
{
	static const uint8_t msg[] = { 0x00 };
	struct buf_reader r, sub;

	(void)state;
	br_init(&r, msg, sizeof(msg));
	assert_int_equal(br_sub_u16len(&r, &sub), -EBADMSG);
	assert_false(br_ok(&sub));
}

static void test_rest(void **state)
{
	struct buf_reader r, sub;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	br_skip(&r, 7);
	assert_int_equal(br_rest(&r, &sub), 0);
	assert_int_equal(br_left(&sub), 2);
	assert_true(br_done(&r));
}

static void test_null_buffer(void **state)
{
	struct buf_reader r;
	uint8_t u8;

	(void)state;
	br_init(&r, NULL, 100); /* length ignored without data */
	assert_int_equal(br_left(&r), 0);
	assert_int_equal(br_u8(&r, &u8), -EBADMSG);
}

/* PPP-style options: type(1) len(1, counts the header) value */
static const struct buf_tlv_spec ppp_opt = { 1, 1, true, 0 };

static void test_tlv_walk(void **state)
{
	static const uint8_t opts[] = { 0x01, 0x04, 0x05, 0x78, 0x03, 0x02, 0x05, 0x06,
					0xde, 0xad, 0xbe, 0xef };
	struct buf_reader r, v;
	uint32_t type;
	uint16_t mru;
	uint32_t magic;

	(void)state;
	br_init(&r, opts, sizeof(opts));
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), 1);
	assert_int_equal(type, 1);
	assert_int_equal(br_u16(&v, &mru), 0);
	assert_int_equal(mru, 1400);
	assert_true(br_done(&v));
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), 1);
	assert_int_equal(type, 3);
	assert_int_equal(br_left(&v), 0);
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), 1);
	assert_int_equal(type, 5);
	assert_int_equal(br_u32(&v, &magic), 0);
	assert_int_equal(magic, 0xdeadbeef);
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), 0);
}

static void test_tlv_len_below_header(void **state)
{
	static const uint8_t opts[] = { 0x01, 0x01, 0x00 };
	struct buf_reader r, v;
	uint32_t type;

	(void)state;
	br_init(&r, opts, sizeof(opts));
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), -EBADMSG);
	assert_false(br_ok(&r));
	/* and a loop calling it again does not spin on garbage */
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), -EBADMSG);
}

static void test_tlv_value_past_end(void **state)
{
	static const uint8_t opts[] = { 0x01, 0x08, 0x00, 0x00 };
	struct buf_reader r, v;
	uint32_t type;

	(void)state;
	br_init(&r, opts, sizeof(opts));
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), -EBADMSG);
	assert_false(br_ok(&v));
	assert_int_equal(br_left(&v), 0);
}

static void test_tlv_header_cut(void **state)
{
	static const uint8_t opts[] = { 0x01 };
	struct buf_reader r, v;
	uint32_t type;

	(void)state;
	br_init(&r, opts, sizeof(opts));
	assert_int_equal(br_tlv_next(&r, &ppp_opt, &type, &v), -EBADMSG);
}

static void test_tlv_masked_len(void **state)
{
	/* L2TP-like: 2-byte type, 2-byte length of which only the low 10 bits count */
	static const struct buf_tlv_spec spec = { 2, 2, false, 0x03ff };
	static const uint8_t msg[] = { 0x00, 0x07, 0x80, 0x02, 0xab, 0xcd };
	struct buf_reader r, v;
	uint32_t type;

	(void)state;
	br_init(&r, msg, sizeof(msg));
	assert_int_equal(br_tlv_next(&r, &spec, &type, &v), 1);
	assert_int_equal(type, 7);
	assert_int_equal(br_left(&v), 2);
}

static void test_tlv_bad_spec(void **state)
{
	static const struct buf_tlv_spec spec = { 3, 1, false, 0 };
	struct buf_reader r, v;
	uint32_t type;

	(void)state;
	br_init(&r, sample, sizeof(sample));
	assert_int_equal(br_tlv_next(&r, &spec, &type, &v), -EBADMSG);
}

static void test_writer_roundtrip(void **state)
{
	uint8_t mem[32];
	struct buf_writer w;
	struct buf_reader r;
	size_t len_off;
	uint16_t len;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	bw_init(&w, mem, sizeof(mem));
	assert_int_equal(bw_reserve(&w, 2, &len_off), 0);
	assert_int_equal(bw_u32(&w, 0x11223344), 0);
	assert_int_equal(bw_u64(&w, 0x0102030405060708ULL), 0);
	assert_int_equal(bw_u24(&w, 0xabcdef), 0);
	assert_int_equal(bw_u16_le(&w, 0x1234), 0);
	assert_int_equal(bw_patch_u16(&w, len_off, (uint16_t)(bw_len(&w) - 2)), 0);
	assert_true(bw_ok(&w));

	br_init(&r, mem, bw_len(&w));
	br_u16(&r, &len);
	assert_int_equal(len, 4 + 8 + 3 + 2);
	br_u32(&r, &u32);
	assert_int_equal(u32, 0x11223344);
	br_u64(&r, &u64);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(mem[14], 0xab);
	assert_int_equal(mem[17], 0x34); /* little-endian low byte first */
}

static void test_writer_overflow_is_sticky(void **state)
{
	uint8_t mem[5];
	struct buf_writer w;

	(void)state;
	bw_init(&w, mem, sizeof(mem));
	assert_int_equal(bw_u32(&w, 1), 0);
	assert_int_equal(bw_u16(&w, 2), -EMSGSIZE);
	assert_int_equal(bw_len(&w), 4); /* nothing partial written */
	assert_int_equal(bw_u8(&w, 3), -EMSGSIZE); /* would fit, but sticky */
	assert_false(bw_ok(&w));
	assert_int_equal(bw_room(&w), 0);
}

static void test_writer_exact_fit(void **state)
{
	uint8_t mem[4];
	struct buf_writer w;

	(void)state;
	bw_init(&w, mem, sizeof(mem));
	assert_int_equal(bw_bytes(&w, "abcd", 4), 0);
	assert_true(bw_ok(&w));
	assert_int_equal(bw_zero(&w, 0), 0);
	assert_int_equal(bw_zero(&w, 1), -EMSGSIZE);
}

static void test_patch_bounds(void **state)
{
	uint8_t mem[8];
	struct buf_writer w;

	(void)state;
	bw_init(&w, mem, sizeof(mem));
	bw_u16(&w, 0);
	assert_int_equal(bw_patch_u16(&w, 0, 0xbeef), 0);
	assert_int_equal(bw_patch_u16(&w, 1, 0), -EINVAL); /* straddles len */
	assert_int_equal(bw_patch_u32(&w, 0, 0), -EINVAL);
	assert_int_equal(bw_patch_u8(&w, SIZE_MAX, 0), -EINVAL);
	assert_int_equal(mem[0], 0xbe);
	assert_true(bw_ok(&w)); /* a bad patch is a caller bug, not a full buffer */
}

static void test_reserve_overflow(void **state)
{
	uint8_t mem[1];
	struct buf_writer w;
	size_t off = 99;

	(void)state;
	bw_init(&w, mem, sizeof(mem));
	assert_int_equal(bw_reserve(&w, 2, &off), -EMSGSIZE);
	assert_int_equal(off, 0);
	assert_int_equal(bw_bytes(&w, mem, SIZE_MAX), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers_network_order),
		cmocka_unit_test(test_u64_and_le),
		cmocka_unit_test(test_exact_end_is_fine),
		cmocka_unit_test(test_one_past_end_fails_and_zeroes),
		cmocka_unit_test(test_error_is_sticky),
		cmocka_unit_test(test_huge_length_does_not_wrap),
		cmocka_unit_test(test_peek_does_not_consume),
		cmocka_unit_test(test_sub_reader_is_fenced),
		cmocka_unit_test(test_sub_u16len_too_long),
		cmocka_unit_test(test_sub_len_prefix_cut),
		cmocka_unit_test(test_rest),
		cmocka_unit_test(test_null_buffer),
		cmocka_unit_test(test_tlv_walk),
		cmocka_unit_test(test_tlv_len_below_header),
		cmocka_unit_test(test_tlv_value_past_end),
		cmocka_unit_test(test_tlv_header_cut),
		cmocka_unit_test(test_tlv_masked_len),
		cmocka_unit_test(test_tlv_bad_spec),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_writer_overflow_is_sticky),
		cmocka_unit_test(test_writer_exact_fit),
		cmocka_unit_test(test_patch_bounds),
		cmocka_unit_test(test_reserve_overflow),
	};

	return cmocka_run_group_tests_name("common.buf", tests, NULL, NULL);
}
