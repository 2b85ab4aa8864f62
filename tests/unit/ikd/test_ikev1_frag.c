/*
 * IKEv1 fragments we send (ikd/ikev1_frag.h): how many a message needs at a given size,
 * at the boundaries (fits whole, exact multiples of the slice, one byte over, the most
 * fragments allowed and one byte more), and each fragment's bytes: the ISAKMP header and
 * FRAG payload laid out by hand from [MS-IKEE]'s format, slices that join back to the
 * original, and the parser ikd receives them with agreeing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "ikd/ikev1_frag.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"

/* A Main Mode message 5 of len bytes: a real-looking header, then a counting pattern. */
static void make_msg(uint8_t *m, size_t len)
{
	for (size_t i = 0; i < len; i++)
		m[i] = (uint8_t)(i * 7 + 3);
	memcpy(m, "ICOOKIE!RCOOKIE!", 16);
	m[16] = 5;              /* next payload: ID */
	m[17] = 0x10;
	m[18] = ISAKMP_XCHG_MAIN;
	m[19] = ISAKMP_FLAG_ENC;
	memset(m + 20, 0, 4);
	m[24] = (uint8_t)(len >> 24);
	m[25] = (uint8_t)(len >> 16);
	m[26] = (uint8_t)(len >> 8);
	m[27] = (uint8_t)len;
}

static void test_overhead(void **state)
{
	(void)state;
	/* 28 bytes of ISAKMP header, 4 of generic payload header, 2+1+1 of id, number, flags */
	assert_int_equal(IKEV1_FRAG_OVERHEAD, 36);
}

static void test_count_boundaries(void **state)
{
	(void)state;
	const size_t max = 548, piece = 548 - 36;       /* 512 bytes of message per fragment */
	assert_int_equal(ikev1_frag_count(28, max), 1);
	assert_int_equal(ikev1_frag_count(548, max), 1);          /* fits exactly: whole */
	assert_int_equal(ikev1_frag_count(549, max), 2);          /* one byte over */
	assert_int_equal(ikev1_frag_count(2 * piece, max), 2);    /* exact multiple */
	assert_int_equal(ikev1_frag_count(2 * piece + 1, max), 3);
	assert_int_equal(ikev1_frag_count(16 * piece, max), 16);  /* the most we send */
	assert_int_equal(ikev1_frag_count(16 * piece + 1, max), -EMSGSIZE);
	/* NAT-T: the 4-byte non-ESP marker comes off the size (544 - 36 = 508 per piece). */
	assert_int_equal(ikev1_frag_count(2 * 508, 544), 2);
	assert_int_equal(ikev1_frag_count(2 * 508 + 1, 544), 3);
	/* No room for data, or not even a header. */
	assert_int_equal(ikev1_frag_count(1000, 36), -EINVAL);
	assert_int_equal(ikev1_frag_count(20, 548), -EINVAL);
	assert_int_equal(ikev1_frag_count(1000, 37), -EMSGSIZE);  /* 1 byte per piece */
}

/* Build every fragment of a len-byte message at max, check each one's bytes, join the
 * slices and compare with the original. Returns the number of fragments. */
static int split_and_join(size_t len, size_t max, uint16_t id)
{
	static uint8_t msg[9000], joined[9000], frag[2048];
	make_msg(msg, len);
	int n = ikev1_frag_count(len, max);
	assert_true(n >= 2);
	size_t off = 0, piece = max - 36;
	for (int i = 1; i <= n; i++) {
		size_t flen = 0;
		assert_int_equal(ikev1_frag_build(msg, len, max, id, (unsigned)i, frag, sizeof frag,
						  &flen), 0);
		size_t slice = i < n ? piece : len - (size_t)(n - 1) * piece;
		assert_int_equal(flen, 36 + slice);
		assert_true(flen <= max);
		/* ISAKMP header: cookies, FRAG, 1.0, Main Mode, no flags, M-ID 0, length */
		assert_memory_equal(frag, "ICOOKIE!RCOOKIE!", 16);
		static const uint8_t hdr_mid[8] = { 132, 0x10, 2, 0, 0, 0, 0, 0 };
		assert_memory_equal(frag + 16, hdr_mid, 8);
		assert_int_equal(frag[24] << 24 | frag[25] << 16 | frag[26] << 8 | frag[27], flen);
		/* FRAG payload: next 0, reserved 0, length, id, number, LAST on the last */
		assert_int_equal(frag[28], 0);
		assert_int_equal(frag[29], 0);
		assert_int_equal(frag[30] << 8 | frag[31], 8 + slice);
		assert_int_equal(frag[32] << 8 | frag[33], id);
		assert_int_equal(frag[34], i);
		assert_int_equal(frag[35], i == n ? 1 : 0);
		/* The receiving parser reads the same. */
		struct isakmp_msg m;
		struct isakmp_err err = { 0 };
		assert_int_equal(isakmp_parse_header(frag, flen, &m, &err), 0);
		assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), 0);
		assert_int_equal(m.n, 1);
		struct isakmp_frag fr;
		assert_int_equal(isakmp_frag_parse(&m.pl[0], &fr, &err), 0);
		assert_int_equal(fr.id, id);
		assert_int_equal(fr.number, i);
		assert_int_equal(fr.flags, i == n ? ISAKMP_FRAG_LAST : 0);
		assert_int_equal(fr.len, slice);
		memcpy(joined + off, fr.data, fr.len);
		off += fr.len;
	}
	assert_int_equal(off, len);
	assert_memory_equal(joined, msg, len);
	return n;
}

static void test_build_boundaries(void **state)
{
	(void)state;
	assert_int_equal(split_and_join(549, 548, 1), 2);          /* 512 + 1 */
	assert_int_equal(split_and_join(1024, 548, 0x1234), 2);    /* 512 + 512 */
	assert_int_equal(split_and_join(1025, 548, 0xffff), 3);    /* 512 + 512 + 1 */
	assert_int_equal(split_and_join(16 * 512, 548, 7), 16);    /* the most */
	assert_int_equal(split_and_join(1500, 544, 9), 3);         /* NAT-T: 508 + 508 + 484 */
}

static void test_build_errors(void **state)
{
	(void)state;
	static uint8_t msg[9000], frag[2048];
	size_t flen;
	make_msg(msg, 1025);
	assert_int_equal(ikev1_frag_build(msg, 1025, 548, 1, 0, frag, sizeof frag, &flen),
			 -EINVAL);
	assert_int_equal(ikev1_frag_build(msg, 1025, 548, 1, 4, frag, sizeof frag, &flen),
			 -EINVAL);
	assert_int_equal(ikev1_frag_build(msg, 1025, 548, 1, 1, frag, 547, &flen), -ENOSPC);
	assert_int_equal(ikev1_frag_build(msg, 1025, 548, 1, 3, frag, 37, &flen), 0);
	assert_int_equal(flen, 37);
	make_msg(msg, 16 * 512 + 1);
	assert_int_equal(ikev1_frag_build(msg, 16 * 512 + 1, 548, 1, 1, frag, sizeof frag,
					  &flen), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overhead),
		cmocka_unit_test(test_count_boundaries),
		cmocka_unit_test(test_build_boundaries),
		cmocka_unit_test(test_build_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
