/*
 * Unit tests for common/secret: guarded secret buffers, hex decoding, randomness.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/secret.h"

static void test_init_is_idempotent(void **state)
{
	assert_int_equal(secret_init(), 0);
	assert_int_equal(secret_init(), 0);
}

static void test_new_is_zeroed(void **state)
{
	struct secret s;
	static const uint8_t zero[48];

	assert_int_equal(secret_new(&s, sizeof zero), 0);
	assert_non_null(s.p);
	assert_int_equal(s.len, sizeof zero);
	assert_memory_equal(s.p, zero, sizeof zero);
	secret_free(&s);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	secret_free(&s); /* second free of an emptied secret is a no-op */
	secret_free(NULL);
}

static void test_new_too_big(void **state)
{
	struct secret s = { (uint8_t *)1, 5 };

	/* no guarded region of that size can exist: ENOMEM, and an empty secret */
	assert_int_equal(secret_new(&s, SIZE_MAX - 1), -ENOMEM);
	assert_null(s.p);
	assert_int_equal(s.len, 0);
	secret_free(&s);
}

static void test_empty_secret(void **state)
{
	struct secret a, b;

	assert_int_equal(secret_new(&a, 0), 0);
	assert_null(a.p);
	assert_int_equal(secret_dup(&b, "", 0), 0);
	assert_true(secret_eq(&a, &b));
	secret_free(&a);
	secret_free(&b);
}

static void test_dup_compare_free(void **state)
{
	static const uint8_t key[20] = "0123456789abcdefghij";
	uint8_t other[20];
	struct secret a, b, c, shorter;

	memcpy(other, key, sizeof other);
	other[19] ^= 0x01; /* differs only in the last bit */

	assert_int_equal(secret_dup(&a, key, sizeof key), 0);
	assert_int_equal(secret_dup(&b, key, sizeof key), 0);
	assert_int_equal(secret_dup(&c, other, sizeof other), 0);
	assert_int_equal(secret_dup(&shorter, key, sizeof key - 1), 0);

	assert_ptr_not_equal(a.p, key);
	assert_ptr_not_equal(a.p, b.p);
	assert_memory_equal(a.p, key, sizeof key);
	assert_true(secret_eq(&a, &b));
	assert_false(secret_eq(&a, &c));
	assert_false(secret_eq(&a, &shorter)); /* common prefix, different length */
	assert_true(ct_memeq(a.p, key, sizeof key));
	assert_false(ct_memeq(c.p, key, sizeof key));

	secret_free(&a);
	secret_free(&b);
	secret_free(&c);
	secret_free(&shorter);
	assert_null(a.p);
}

static void test_hex_ok(void **state)
{
	static const struct {
		const char *hex;
		size_t len;
		uint8_t bin[8];
	} cases[] = {
		{ "00", 1, { 0x00 } },
		{ "ff", 1, { 0xff } },
		{ "DeadBeef", 4, { 0xde, 0xad, 0xbe, 0xef } },
		{ "0x0102a0b0", 4, { 0x01, 0x02, 0xa0, 0xb0 } },
		{ "0X7f80", 2, { 0x7f, 0x80 } },
		{ "0123456789abcdef", 8, { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct secret s;

		assert_int_equal(secret_from_hex(&s, cases[i].hex), 0);
		assert_int_equal(s.len, cases[i].len);
		assert_memory_equal(s.p, cases[i].bin, cases[i].len);
		secret_free(&s);
	}
}

static void test_hex_errors(void **state)
{
	static const char *const bad[] = {
		"",          /* empty */
		"0x",        /* prefix only */
		"abc",       /* odd length */
		"0x123",     /* odd length after prefix */
		"zz",        /* not hex */
		"12 34",     /* separator */
		"12:34",     /* separator */
		"123g",      /* bad last digit */
		"g123",      /* bad first digit */
		"0x0x12",    /* prefix twice */
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct secret s = { (uint8_t *)1, 99 };

		assert_int_equal(secret_from_hex(&s, bad[i]), -EINVAL);
		/* a failed decode leaves an empty secret, so secret_free() stays safe */
		assert_null(s.p);
		assert_int_equal(s.len, 0);
	}
}

static void test_random_uniform_bounds(void **state)
{
	enum { UPPER = 7, DRAWS = 70000 };
	unsigned counts[UPPER] = { 0 };

	for (int i = 0; i < DRAWS; i++) {
		uint32_t v = random_uniform(UPPER);

		assert_true(v < UPPER);
		counts[v]++;
	}
	/*
	 * Each bucket expects 10000 hits, standard deviation ~93; 10000 +- 700 is over 7
	 * sigma, so a fair generator practically never fails while a biased or stuck one does.
	 */
	for (int i = 0; i < UPPER; i++) {
		assert_true(counts[i] > 9300);
		assert_true(counts[i] < 10700);
	}
	assert_int_equal(random_uniform(0), 0);
	assert_int_equal(random_uniform(1), 0);
	for (int i = 0; i < 1000; i++)
		assert_true(random_uniform(2) < 2);
}

static void test_random_bytes_differ(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };
	uint32_t u1, u2, u3;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	random_bytes(a, sizeof a);
	random_bytes(b, sizeof b);
	/* 2^-256 chance of a false failure */
	assert_memory_not_equal(a, b, sizeof a);
	assert_memory_not_equal(a, zero, sizeof a);

	/* three equal u32 in a row: 2^-64 */
	u1 = random_u32();
	u2 = random_u32();
	u3 = random_u32();
	assert_false(u1 == u2 && u2 == u3);
}

static void test_memwipe(void **state)
{
	uint8_t buf[16];
	static const uint8_t zero[16];

	memset(buf, 0xa5, sizeof buf);
	memwipe(buf, sizeof buf);
	assert_memory_equal(buf, zero, sizeof buf);
	memwipe(NULL, 10); /* tolerated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_idempotent),
		cmocka_unit_test(test_new_is_zeroed),
		cmocka_unit_test(test_new_too_big),
		cmocka_unit_test(test_empty_secret),
		cmocka_unit_test(test_dup_compare_free),
		cmocka_unit_test(test_hex_ok),
		cmocka_unit_test(test_hex_errors),
		cmocka_unit_test(test_random_uniform_bounds),
		cmocka_unit_test(test_random_bytes_differ),
		cmocka_unit_test(test_memwipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
