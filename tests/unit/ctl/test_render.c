/* vpnctl output: JSON field names and values, aligned tables, human values. */
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
#include "ctl/render.h"

static uint32_t msgbuf[1024];

/* A session-list entry as l2tpd would send it, parsed back into tb. */
static void session_entry(const struct nlattr **tb, const char *user, const char *ip,
			  uint64_t bytes_in, uint64_t age)
{
	struct ctl_msg m;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in client = { .sin_family = AF_INET };

	inet_pton(AF_INET, "198.51.100.7", &peer.sin_addr);
	inet_pton(AF_INET, ip, &client.sin_addr);
	ctl_msg_init(&m, msgbuf, sizeof(msgbuf), CTL_CMD_SESSION_LIST, NLM_F_MULTI, 1);
	ctl_msg_put_str(&m, CTL_A_USER, user);
	ctl_msg_put_sockaddr(&m, CTL_A_CLIENT_IP, (struct sockaddr *)&client);
	ctl_msg_put_sockaddr(&m, CTL_A_PEER_ADDR, (struct sockaddr *)&peer);
	ctl_msg_put_str(&m, CTL_A_IFNAME, "ppp0");
	ctl_msg_put_u8(&m, CTL_A_SESSION_STATE, CTL_SESSION_ESTABLISHED);
	ctl_msg_put_u64(&m, CTL_A_BYTES_IN, bytes_in);
	ctl_msg_put_u64(&m, CTL_A_AGE_SEC, age);
	ctl_msg_put_flag(&m, CTL_A_ENCAP);
	assert_true(ctl_msg_ok(&m));
	memset(tb, 0, sizeof(*tb) * (CTL_A_MAX + 1));
	assert_int_equal(ctl_attr_parse(m.nlh, tb, NULL), 0);
}

static void test_json_members(void **state)
{
	const struct nlattr *tb[CTL_A_MAX + 1];
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	session_entry(tb, "alice \"the admin\"", "192.0.2.10", 1234, 3700);
	render_json_members(f, tb);
	fclose(f);
	assert_string_equal(out,
		"\"peer_addr\":\"198.51.100.7\",\"peer_port\":4500,\"age_sec\":3700,"
		"\"bytes_in\":1234,\"encap\":true,\"session_state\":\"established\","
		"\"user\":\"alice \\\"the admin\\\"\",\"ifname\":\"ppp0\","
		"\"client_ip\":\"192.0.2.10\"");
	free(out);
}

static void test_table_alignment(void **state)
{
	static const struct render_col cols[] = {
		{ CTL_A_USER, "USER" }, { CTL_A_CLIENT_IP, "IP" },
		{ CTL_A_PEER_ADDR, "PEER" }, { CTL_A_AGE_SEC, "UPTIME" },
		{ CTL_A_BYTES_IN, "IN" }, { CTL_A_PEER_ID, "IKE-ID" },
	};
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct render_table t;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	render_begin(&t, cols, 6, false, f);
	session_entry(tb, "alice", "192.0.2.10", 512, 59);
	assert_int_equal(render_row(&t, tb), 0);
	session_entry(tb, "bob", "192.0.2.11", 3 * 1024 * 1024 + 512 * 1024, 90061);
	assert_int_equal(render_row(&t, tb), 0);
	render_end(&t, "no sessions");
	fclose(f);
	assert_string_equal(out,
		"USER   IP          PEER               UPTIME  IN       IKE-ID\n"
		"alice  192.0.2.10  198.51.100.7:4500  59s     512 B    -\n"
		"bob    192.0.2.11  198.51.100.7:4500  1d01h   3.5 MiB  -\n");
	free(out);
}

static void test_empty_list(void **state)
{
	static const struct render_col cols[] = { { CTL_A_USER, "USER" } };
	struct render_table t;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	render_begin(&t, cols, 1, false, f);
	render_end(&t, "no sessions");
	render_begin(&t, cols, 1, true, f);
	render_end(&t, "no sessions");
	fclose(f);
	assert_string_equal(out, "no sessions\n[]\n");
	free(out);
}

static void test_human_values(void **state)
{
	struct ctl_msg m;
	const struct nlattr *tb[CTL_A_MAX + 1] = { 0 };
	struct sockaddr_in6 p6 = { .sin6_family = AF_INET6, .sin6_port = htons(500) };
	char buf[64];

	(void)state;
	inet_pton(AF_INET6, "2001:db8::1", &p6.sin6_addr);
	ctl_msg_init(&m, msgbuf, sizeof(msgbuf), CTL_CMD_IPSEC_SA_LIST, 0, 1);
	ctl_msg_put_u32(&m, CTL_A_SPI_IN, 0xc0ffee01);
	ctl_msg_put_sockaddr(&m, CTL_A_PEER_ADDR, (struct sockaddr *)&p6);
	ctl_msg_put_u8(&m, CTL_A_IKE_STATE, 99);
	ctl_msg_put_u64(&m, CTL_A_REKEY_IN_SEC, 3599);
	assert_int_equal(ctl_attr_parse(m.nlh, tb, NULL), 0);
	render_value_human(tb[CTL_A_SPI_IN], CTL_A_SPI_IN, buf, sizeof(buf));
	assert_string_equal(buf, "0xc0ffee01");
	render_value_human(tb[CTL_A_PEER_ADDR], CTL_A_PEER_ADDR, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:500");
	render_value_human(tb[CTL_A_IKE_STATE], CTL_A_IKE_STATE, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	render_value_human(tb[CTL_A_REKEY_IN_SEC], CTL_A_REKEY_IN_SEC, buf, sizeof(buf));
	assert_string_equal(buf, "59m59s");
	render_value_human(NULL, CTL_A_USER, buf, sizeof(buf));
	assert_string_equal(buf, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_members),
		cmocka_unit_test(test_table_alignment),
		cmocka_unit_test(test_empty_list),
		cmocka_unit_test(test_human_values),
	};

	return cmocka_run_group_tests_name("ctl.render", tests, NULL, NULL);
}
