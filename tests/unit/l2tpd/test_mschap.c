/* CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759 §9.2 example values). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/mschap.h"

/* RFC 2759 §9.2 */
static const char user[] = "User";
static const char pass[] = "clientPass";
static const uint8_t auth_ch[16] = { 0x5B, 0x5D, 0x7C, 0x7D, 0x7B, 0x3F, 0x2F, 0x3E,
				     0x3C, 0x2C, 0x60, 0x21, 0x32, 0x26, 0x26, 0x28 };
static const uint8_t peer_ch[16] = { 0x21, 0x40, 0x23, 0x24, 0x25, 0x5E, 0x26, 0x2A,
				     0x28, 0x29, 0x5F, 0x2B, 0x3A, 0x33, 0x7C, 0x7E };
static const uint8_t challenge[8] = { 0xD0, 0x2E, 0x43, 0x86, 0xBC, 0xE9, 0x12, 0x26 };
static const uint8_t nt_hash[16] = { 0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
				     0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE };
static const uint8_t nt_resp[24] = { 0x82, 0x30, 0x9E, 0xCD, 0x8D, 0x70, 0x8B, 0x5E,
				     0xA0, 0x8F, 0xAA, 0x39, 0x81, 0xCD, 0x83, 0x54,
				     0x42, 0x33, 0x11, 0x4A, 0x3D, 0x85, 0xD6, 0xDF };
static const char auth_resp[] = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

static void test_nt_hash(void **state)
{
	uint8_t h[16];

	(void)state;
	assert_true(mschap_available());
	assert_int_equal(mschap_nt_hash(pass, h), 0);
	assert_memory_equal(h, nt_hash, 16);
	assert_int_equal(mschap_nt_hash("\xc3(", h), -EINVAL);   /* broken UTF-8 */
}

static void test_challenge_hash(void **state)
{
	uint8_t c[8];

	(void)state;
	assert_int_equal(mschapv2_challenge_hash(peer_ch, auth_ch, user, c), 0);
	assert_memory_equal(c, challenge, 8);
}

static void test_nt_response(void **state)
{
	uint8_t r[24];

	(void)state;
	assert_int_equal(mschapv2_nt_response(auth_ch, peer_ch, user, nt_hash, r), 0);
	assert_memory_equal(r, nt_resp, 24);
	assert_int_equal(mschapv2_verify(auth_ch, peer_ch, user, nt_hash, nt_resp), 0);
	r[23] ^= 1;
	assert_int_equal(mschapv2_verify(auth_ch, peer_ch, user, nt_hash, r), -EACCES);
	assert_int_equal(mschapv2_verify(auth_ch, peer_ch, "user", nt_hash, nt_resp), -EACCES);
}

static void test_authenticator_response(void **state)
{
	char out[MSCHAPV2_AUTH_RESPONSE_LEN + 1] = { 0 };

	(void)state;
	assert_int_equal(mschapv2_authenticator_response(nt_hash, nt_resp, peer_ch, auth_ch, user,
							 out), 0);
	assert_string_equal(out, auth_resp);
}

static void test_chap_md5(void **state)
{
	/* MD5(0x2a || "P4ssw0rd!" || 01..10), computed with Python hashlib */
	const uint8_t expect[16] = { 0x81, 0x41, 0xac, 0xba, 0x23, 0x3a, 0xb5, 0xa4,
				     0x6d, 0x45, 0x37, 0xf9, 0x29, 0xbd, 0x3a, 0x56 };
	uint8_t ch[16], r[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		ch[i] = (uint8_t)(i + 1);
	assert_int_equal(chap_md5_response(0x2a, "P4ssw0rd!", 9, ch, 16, r), 0);
	assert_memory_equal(r, expect, 16);
	assert_int_equal(chap_md5_response(0x2b, "P4ssw0rd!", 9, ch, 16, r), 0);
	assert_memory_not_equal(r, expect, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nt_hash),
		cmocka_unit_test(test_challenge_hash),
		cmocka_unit_test(test_nt_response),
		cmocka_unit_test(test_authenticator_response),
		cmocka_unit_test(test_chap_md5),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	mschap_cleanup();
	return rc;
}
