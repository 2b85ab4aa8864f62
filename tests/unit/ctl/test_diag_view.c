/*
 * vpnctl diagnose: ikd's and l2tpd's entries merged in time order and summed up per step.
 *   - wrong password: "IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed for
 *     user bob: wrong password", the time line oldest first across both daemons;
 *   - an ending (SA deleted after the failure) does not undo a step's success;
 *   - a newer attempt's verdict replaces an older one;
 *   - a daemon that did not answer makes its steps "unknown", not "ok";
 *   - JSON: stable field names, strings escaped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "ctl/diag_view.h"

static uint32_t msgbuf[1024];

static void add(struct diag_view *v, enum diag_source src, uint64_t age_ms, uint8_t stage,
		uint8_t result, const char *text, const char *user)
{
	struct ctl_msg m;
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_port = htons(src == DIAG_FROM_IKD ? 4500 : 1701) };
	const struct nlattr *tb[CTL_A_MAX + 1];

	inet_pton(AF_INET, "192.0.2.254", &peer.sin_addr);
	ctl_msg_init(&m, msgbuf, sizeof msgbuf, CTL_CMD_PEER_DIAG, NLM_F_MULTI, 1);
	ctl_msg_put_sockaddr(&m, CTL_A_PEER_ADDR, (struct sockaddr *)&peer);
	ctl_msg_put_u8(&m, CTL_A_DIAG_STAGE, stage);
	ctl_msg_put_u8(&m, CTL_A_DIAG_RESULT, result);
	ctl_msg_put_str(&m, CTL_A_REASON, text);
	ctl_msg_put_u64(&m, CTL_A_AGE_SEC, age_ms / 1000);
	ctl_msg_put_u64(&m, CTL_A_AGE_MS, age_ms);
	ctl_msg_put_u32(&m, CTL_A_REPEAT, 1);
	if (user)
		ctl_msg_put_str(&m, CTL_A_USER, user);
	assert_true(ctl_msg_ok(&m));
	memset(tb, 0, sizeof tb);
	assert_int_equal(ctl_attr_parse(m.nlh, tb, NULL), 0);
	assert_int_equal(diag_view_add(v, src, tb), 0);
}

/* The wrong-password story as the two daemons tell it (ages in ms). */
static void wrong_password(struct diag_view *v)
{
	memset(v, 0, sizeof *v);
	v->have[DIAG_FROM_IKD] = v->have[DIAG_FROM_L2TPD] = true;
	add(v, DIAG_FROM_L2TPD, 7000, CTL_DIAG_PPP_AUTH, CTL_DIAG_FAILED,
	    "MS-CHAPv2 failed for user bob: wrong password", "bob");
	add(v, DIAG_FROM_IKD, 9500, CTL_DIAG_IKE, CTL_DIAG_OK, "IKE SA 1 established", NULL);
	add(v, DIAG_FROM_IKD, 9000, CTL_DIAG_IPSEC, CTL_DIAG_OK, "IPsec SA 1 established",
	    NULL);
	add(v, DIAG_FROM_L2TPD, 8000, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_OK,
	    "L2TP tunnel 7 established (host c1)", NULL);
	add(v, DIAG_FROM_L2TPD, 6000, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_ENDED,
	    "L2TP tunnel 7 ended: StopCCN from peer", NULL);
	add(v, DIAG_FROM_IKD, 5000, CTL_DIAG_IKE, CTL_DIAG_ENDED,
	    "IKE SA 1 ended: L2TP tunnel ended (l2tpd)", NULL);
	diag_view_sort(v);
}

static void test_summary_wrong_password(void **state)
{
	struct diag_view v;
	char sum[1024];

	(void)state;
	wrong_password(&v);
	assert_int_equal(v.n, 6);
	/* oldest first, across daemons */
	assert_string_equal(v.items[0].text, "IKE SA 1 established");
	assert_string_equal(v.items[1].text, "IPsec SA 1 established");
	assert_string_equal(v.items[2].text, "L2TP tunnel 7 established (host c1)");
	assert_string_equal(v.items[3].text, "MS-CHAPv2 failed for user bob: wrong password");
	assert_int_equal(v.items[3].port, 1701);
	assert_string_equal(v.items[5].text, "IKE SA 1 ended: L2TP tunnel ended (l2tpd)");
	diag_view_summary(&v, sum, sizeof sum);
	assert_string_equal(sum, "IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed "
				 "for user bob: wrong password");
	diag_view_free(&v);
}

static void test_newer_attempt_wins(void **state)
{
	struct diag_view v;
	char sum[1024];

	(void)state;
	wrong_password(&v);
	/* later: IKE fails outright (newest), the older success no longer counts */
	add(&v, DIAG_FROM_IKD, 1000, CTL_DIAG_IKE, CTL_DIAG_FAILED,
	    "PSK mismatch: the HASH_I payload does not verify", NULL);
	diag_view_sort(&v);
	assert_string_equal(diag_view_verdict(&v, DIAG_STEP_IKE)->text,
			    "PSK mismatch: the HASH_I payload does not verify");
	diag_view_summary(&v, sum, sizeof sum);
	assert_string_equal(sum, "IKE: PSK mismatch: the HASH_I payload does not verify, "
				 "phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed for user "
				 "bob: wrong password");
	diag_view_free(&v);
}

static void test_daemon_missing(void **state)
{
	struct diag_view v;
	char sum[1024];

	(void)state;
	memset(&v, 0, sizeof v);
	v.have[DIAG_FROM_IKD] = true;
	add(&v, DIAG_FROM_IKD, 3000, CTL_DIAG_IKE, CTL_DIAG_OK, "IKE SA 2 established", NULL);
	diag_view_sort(&v);
	diag_view_summary(&v, sum, sizeof sum);
	assert_string_equal(sum, "IKE: ok, phase 2: nothing recorded, L2TP: unknown (l2tpd not "
				 "running), PPP: unknown (l2tpd not running)");
	diag_view_free(&v);
}

static char *print(const struct diag_view *v, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diag_view_print(v, f, json, "192.0.2.254", 1000000);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	struct diag_view v;
	char *h, *j;

	(void)state;
	wrong_password(&v);
	add(&v, DIAG_FROM_L2TPD, 500, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_FAILED,
	    "say \"hi\"", NULL);
	diag_view_sort(&v);
	h = print(&v, false);
	assert_non_null(strstr(h, "  PPP      MS-CHAPv2 failed for user bob: wrong password\n"));
	assert_non_null(strstr(h, "In short: IKE: ok, phase 2: ok, L2TP: say \"hi\", PPP: "));
	/* 1000000 - 9.5 s = 999990.5 -> 13:46:30 UTC on 1970-01-12 */
	assert_non_null(strstr(h, "  13:46:31 ikd    192.0.2.254:4500      ike          ok      "
				  "IKE SA 1 established\n"));
	assert_true(strstr(h, "IKE SA 1 established") < strstr(h, "wrong password\n  "));
	j = print(&v, true);
	assert_non_null(strstr(j, "{\"peer\":\"192.0.2.254\",\"ikd\":true,\"l2tpd\":true,"
				  "\"summary\":\"IKE: ok, "));
	assert_non_null(strstr(j, "{\"step\":\"ppp\",\"status\":\"failed\",\"reason\":"
				  "\"MS-CHAPv2 failed for user bob: wrong password\"}"));
	assert_non_null(strstr(j, "{\"step\":\"l2tp\",\"status\":\"failed\",\"reason\":"
				  "\"say \\\"hi\\\"\"}"));
	assert_non_null(strstr(j, "\"events\":[{\"time\":\"1970-01-12T13:46:31\",\"age_ms\":9500,"
				  "\"daemon\":\"ikd\",\"diag_stage\":\"ike\",\"diag_result\":\"ok\","
				  "\"repeat\":1,\"peer_addr\":\"192.0.2.254\",\"peer_port\":4500,"
				  "\"user\":\"\",\"conn_name\":\"\",\"reason\":\"IKE SA 1 "
				  "established\"}"));
	assert_non_null(strstr(j, "\"diag_stage\":\"ppp-auth\",\"diag_result\":\"failed\""));
	assert_string_equal(j + strlen(j) - 3, "]}\n");
	free(h);
	free(j);
	diag_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_wrong_password),
		cmocka_unit_test(test_newer_attempt_wins),
		cmocka_unit_test(test_daemon_missing),
		cmocka_unit_test(test_print),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
