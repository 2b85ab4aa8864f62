/* L2TP control message parse/build, required AVPs per message, error verdicts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/ctrlmsg.h"

static const struct l2tp_secret secret = { (const uint8_t *)"s3cret", 6 };
static struct l2tp_msg msg;
static struct l2tp_msg_error err;

/* An SCCRQ as RFC 2661 §6.1 lists it, tunnel id hidden. */
static int build_sccrq(uint8_t *buf, size_t cap, bool hide, bool with_host)
{
	struct l2tp_msg_builder b;

	l2tp_msg_begin(&b, buf, cap, 0, 0, L2TP_MSG_SCCRQ, hide ? &secret : NULL);
	l2tp_msg_put_u16(&b, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	if (with_host)
		l2tp_msg_put_str(&b, L2TP_AVP_HOST_NAME, "lac.example");
	l2tp_msg_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES, 3);
	l2tp_msg_put_hidden(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, "\x12\x34", 2);
	l2tp_msg_put_u16(&b, L2TP_AVP_RECEIVE_WINDOW_SIZE, 8);
	return l2tp_msg_finish(&b);
}

static void test_build_parse_sccrq(void **state)
{
	assert_int_equal(l2tp_msg_selfcheck(), 0);
	uint8_t buf[256];
	uint16_t v;
	uint32_t u;
	char host[64];
	int len;

	(void)state;
	len = build_sccrq(buf, sizeof buf, false, true);
	/* header 12 + msgtype 8 + version 8 + host 6+11 + framing 10 + tunnel 8 + rws 8 */
	assert_int_equal(len, 12 + 8 + 8 + 17 + 10 + 8 + 8);
	assert_int_equal(buf[0], 0xc8);
	assert_int_equal(buf[1], 0x02);
	assert_int_equal(buf[2] << 8 | buf[3], len);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), 0);
	assert_int_equal(msg.type, L2TP_MSG_SCCRQ);
	assert_int_equal(l2tp_msg_u16(&msg, L2TP_AVP_ASSIGNED_TUNNEL_ID, &v), 0);
	assert_int_equal(v, 0x1234);
	assert_int_equal(l2tp_msg_u32(&msg, L2TP_AVP_FRAMING_CAPABILITIES, &u), 0);
	assert_int_equal(u, 3);
	assert_int_equal(l2tp_msg_str(&msg, L2TP_AVP_HOST_NAME, host, sizeof host), 0);
	assert_string_equal(host, "lac.example");
	assert_int_equal(l2tp_msg_u16(&msg, L2TP_AVP_CHALLENGE, &v), -ENOENT);
	assert_int_equal(msg.hidden, 0);
}

static void test_hidden_roundtrip(void **state)
{
	uint8_t buf[256];
	uint16_t v;
	int len;

	(void)state;
	len = build_sccrq(buf, sizeof buf, true, true);
	assert_true(len > 0);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, &secret, &err), 0);
	assert_true(l2tp_msg_has(&msg, L2TP_AVP_RANDOM_VECTOR));
	assert_true(msg.hidden & (1u << L2TP_AVP_ASSIGNED_TUNNEL_ID));
	assert_int_equal(l2tp_msg_u16(&msg, L2TP_AVP_ASSIGNED_TUNNEL_ID, &v), 0);
	assert_int_equal(v, 0x1234);
	/* without the secret the tunnel cannot be accepted */
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.verdict, L2TP_MSG_CLOSE_TUNNEL);
	assert_int_equal(err.avp_type, L2TP_AVP_ASSIGNED_TUNNEL_ID);
}

static void test_missing_required(void **state)
{
	uint8_t buf[256];
	int len;

	(void)state;
	len = build_sccrq(buf, sizeof buf, false, false);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.verdict, L2TP_MSG_CLOSE_TUNNEL);
	assert_int_equal(err.result, L2TP_STOPCCN_GENERAL_ERROR);
	assert_int_equal(err.avp_type, L2TP_AVP_HOST_NAME);
	assert_non_null(strstr(err.reason, "host_name"));
}

static int build_icrq_with(uint8_t *buf, size_t cap, uint16_t flags, uint16_t vendor)
{
	struct l2tp_msg_builder b;

	l2tp_msg_begin(&b, buf, cap, 7, 0, L2TP_MSG_ICRQ, NULL);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 99);
	l2tp_msg_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 1);
	/* a vendor AVP: header by hand */
	bw_u16(&b.w, (uint16_t)(flags | 8));
	bw_u16(&b.w, vendor);
	bw_u16(&b.w, 100);
	bw_u16(&b.w, 0xabcd);
	return l2tp_msg_finish(&b);
}

static void test_unknown_avps(void **state)
{
	uint8_t buf[128];
	int len;

	(void)state;
	len = build_icrq_with(buf, sizeof buf, 0, 311);   /* no M bit: skipped */
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), 0);
	assert_int_equal(msg.type, L2TP_MSG_ICRQ);
	assert_int_equal(msg.hdr.tunnel_id, 7);
	len = build_icrq_with(buf, sizeof buf, L2TP_AVP_F_MANDATORY, 311);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	/* ICRQ is a session message: the session closes, not the tunnel (§4.1) */
	assert_int_equal(err.verdict, L2TP_MSG_CLOSE_SESSION);
	assert_int_equal(err.result, L2TP_CDN_GENERAL_ERROR);
	assert_int_equal(err.error, L2TP_ERR_UNKNOWN_MANDATORY_AVP);
	len = build_icrq_with(buf, sizeof buf, L2TP_AVP_F_MANDATORY, 0); /* IETF type 100 */
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.error, L2TP_ERR_UNKNOWN_MANDATORY_AVP);
}

static void test_unknown_message_type(void **state)
{
	uint8_t buf[64];
	struct l2tp_msg_builder b;
	int len;

	(void)state;
	l2tp_msg_begin(&b, buf, sizeof buf, 1, 0, 42, NULL);   /* M bit set by begin */
	len = l2tp_msg_finish(&b);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.verdict, L2TP_MSG_CLOSE_TUNNEL);
	buf[12] &= 0x7f;                                          /* clear M */
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -ENOMSG);
	assert_int_equal(err.verdict, L2TP_MSG_IGNORE);
}

static void test_zlb_and_headers(void **state)
{
	uint8_t buf[32];
	const uint8_t zlb[12] = { 0xc8, 0x02, 0, 12, 0, 5, 0, 0, 0, 3, 0, 9 };

	(void)state;
	assert_int_equal(l2tp_zlb_build(buf, sizeof buf, 5, 3, 9), 12);
	assert_memory_equal(buf, zlb, 12);
	assert_int_equal(l2tp_msg_parse(&msg, buf, 12, NULL, &err), 0);
	assert_int_equal(msg.type, L2TP_MSG_ZLB);
	assert_int_equal(msg.hdr.ns, 3);
	assert_int_equal(msg.hdr.nr, 9);
	assert_int_equal(l2tp_zlb_build(buf, 11, 5, 3, 9), -EMSGSIZE);
	/* Length disagreeing with the datagram */
	assert_int_equal(l2tp_msg_parse(&msg, buf, 11, NULL, &err), -EBADMSG);
	assert_int_equal(err.verdict, L2TP_MSG_DROP);
	buf[0] = 0xc0;   /* S bit missing */
	assert_int_equal(l2tp_msg_parse(&msg, buf, 12, NULL, &err), -EBADMSG);
	buf[0] = 0xca;   /* O bit set */
	assert_int_equal(l2tp_msg_parse(&msg, buf, 12, NULL, &err), -EBADMSG);
	buf[0] = 0xc8;
	buf[1] = 0x03;   /* L2TPv3 */
	assert_int_equal(l2tp_msg_parse(&msg, buf, 12, NULL, &err), -EBADMSG);
	assert_int_equal(l2tp_classify(buf, 12), -EPROTONOSUPPORT);
	buf[1] = 0x02;
	assert_int_equal(l2tp_classify(buf, 12), 1);
	buf[0] = 0x40;
	assert_int_equal(l2tp_classify(buf, 12), 0);
}

static void test_wrong_avp_length(void **state)
{
	uint8_t buf[64];
	struct l2tp_msg_builder b;
	int len;

	(void)state;
	l2tp_msg_begin(&b, buf, sizeof buf, 1, 0, L2TP_MSG_HELLO, NULL);
	l2tp_msg_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, "short", 5);
	len = l2tp_msg_finish(&b);
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.error, L2TP_ERR_BAD_LENGTH);
	assert_int_equal(err.avp_type, L2TP_AVP_CHALLENGE_RESPONSE);
	/* first AVP not Message Type: drop */
	l2tp_msg_begin(&b, buf, sizeof buf, 1, 0, L2TP_MSG_HELLO, NULL);
	len = l2tp_msg_finish(&b);
	buf[17] = L2TP_AVP_HOST_NAME;
	assert_int_equal(l2tp_msg_parse(&msg, buf, (size_t)len, NULL, &err), -EBADMSG);
	assert_int_equal(err.verdict, L2TP_MSG_DROP);
}

/* StopCCN with a Result Code, checked against the RFC layout byte by byte. */
static void test_stopccn_bytes(void **state)
{
	uint8_t buf[64];
	struct l2tp_msg_builder b;
	const uint8_t expect[] = {
		0xc8, 0x02, 0x00, 0x1e, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x80, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,     /* Message Type 4 */
		0x80, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00, 0x21,     /* Assigned Tunnel 33 */
		0x80, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06,     /* Result 6 */
	};

	(void)state;
	l2tp_msg_begin(&b, buf, sizeof buf, 9, 0, L2TP_MSG_STOPCCN, NULL);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 33);
	l2tp_avp_put_result(&b.w, L2TP_STOPCCN_SHUTTING_DOWN, L2TP_RESULT_NO_ERROR, NULL);
	assert_int_equal(l2tp_msg_finish(&b), 36);
	/* length is 36 = 0x24, fix the expectation's length field accordingly */
	assert_int_equal(buf[3], 0x24);
	assert_memory_equal(buf + 4, expect + 4, 32);
	assert_int_equal(l2tp_msg_parse(&msg, buf, 36, NULL, &err), 0);
	struct l2tp_result res;
	assert_int_equal(l2tp_result_parse(msg.avp[L2TP_AVP_RESULT_CODE].data,
					   msg.avp[L2TP_AVP_RESULT_CODE].len, &res), 0);
	assert_int_equal(res.result, 6);
	assert_false(res.has_error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse_sccrq),
		cmocka_unit_test(test_hidden_roundtrip),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_unknown_avps),
		cmocka_unit_test(test_unknown_message_type),
		cmocka_unit_test(test_zlb_and_headers),
		cmocka_unit_test(test_wrong_avp_length),
		cmocka_unit_test(test_stopccn_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
