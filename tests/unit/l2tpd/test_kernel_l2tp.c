/*
 * Generic-netlink "l2tp" messages: the requests byte by byte, the parsers on replies laid
 * out as the kernel sends them (l2tp_netlink.c), the ownership rule of the start-up sweep,
 * and the family look-up against this machine's kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l2tp.h>

#include "l2tpd/kernel_l2tp.h"

#define FAMILY 0x1a

/* Tunnel create, id 101, peer 202, L2TPv2, fd 7: every byte as the kernel must see it. */
static void test_tunnel_create_bytes(void **state)
{
	static const uint8_t want[] = {
		0x3c, 0, 0, 0, FAMILY, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* len 60, REQUEST|ACK */
		L2TP_CMD_TUNNEL_CREATE, L2TP_GENL_VERSION, 0, 0,
		8, 0, L2TP_ATTR_CONN_ID, 0, 101, 0, 0, 0,
		8, 0, L2TP_ATTR_PEER_CONN_ID, 0, 202, 0, 0, 0,
		5, 0, L2TP_ATTR_PROTO_VERSION, 0, 2, 0, 0, 0,
		6, 0, L2TP_ATTR_ENCAP_TYPE, 0, L2TP_ENCAPTYPE_UDP, 0, 0, 0,
		8, 0, L2TP_ATTR_FD, 0, 7, 0, 0, 0,
	};
	uint8_t buf[256];
	struct kl2tp_tunnel_cfg cfg = { .tunnel_id = 101, .peer_tunnel_id = 202, .version = 2, .fd = 7 };
	struct nlmsghdr *nlh;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	nlh = kl2tp_msg_tunnel_create(buf, sizeof(buf), FAMILY, &cfg);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_tunnel_create_rejects(void **state)
{
	uint8_t buf[256];
	struct kl2tp_tunnel_cfg cfg = { .tunnel_id = 101, .peer_tunnel_id = 202, .version = 2, .fd = 7 };

	(void)state;
	cfg.tunnel_id = 0x10000;        /* L2TPv2 ids are 16 bits */
	assert_null(kl2tp_msg_tunnel_create(buf, sizeof(buf), FAMILY, &cfg));
	cfg.tunnel_id = 0x10000;
	cfg.version = 3;                /* fine for v3 */
	assert_non_null(kl2tp_msg_tunnel_create(buf, sizeof(buf), FAMILY, &cfg));
	cfg.version = 1;
	assert_null(kl2tp_msg_tunnel_create(buf, sizeof(buf), FAMILY, &cfg));
	cfg.version = 2;
	cfg.tunnel_id = 5;
	cfg.fd = -1;
	assert_null(kl2tp_msg_tunnel_create(buf, sizeof(buf), FAMILY, &cfg));
	cfg.fd = 7;
	assert_null(kl2tp_msg_tunnel_create(buf, 59, FAMILY, &cfg));  /* one byte short */
	assert_non_null(kl2tp_msg_tunnel_create(buf, 60, FAMILY, &cfg));
}

/* Walk attributes after the genl header: returns the count, fills types/lengths. */
static int walk(const struct nlmsghdr *nlh, uint16_t *types, uint16_t *lens, const uint8_t **vals)
{
	const uint8_t *p = (const uint8_t *)nlh + 16 + 4, *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	int n = 0;

	while (p + 4 <= end) {
		uint16_t len, type;

		memcpy(&len, p, 2);
		memcpy(&type, p + 2, 2);
		assert_true(len >= 4 && p + len <= end);
		types[n] = type;
		lens[n] = (uint16_t)(len - 4);
		vals[n] = p + 4;
		n++;
		p += (len + 3) & ~3u;
	}
	assert_ptr_equal(p, end);
	return n;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_session_create_layout(void **state)
{
	uint8_t buf[256];
	struct kl2tp_session_cfg cfg = { .tunnel_id = 101, .session_id = 11, .peer_session_id = 22,
					 .lns_mode = true, .reorder_timeout_ms = 250 };
	uint16_t types[16], lens[16];
	const uint8_t *vals[16];
	struct nlmsghdr *nlh = kl2tp_msg_session_create(buf, sizeof(buf), FAMILY, &cfg);
	const struct genlmsghdr *g;
	uint64_t timeout;
	uint16_t pw;
	int n;

	(void)state;
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	g = (const struct genlmsghdr *)(buf + 16);
	assert_int_equal(g->cmd, L2TP_CMD_SESSION_CREATE);
	n = walk(nlh, types, lens, vals);
	assert_int_equal(n, 8);
	assert_int_equal(types[0], L2TP_ATTR_CONN_ID);
	assert_int_equal(u32_at(vals[0]), 101);
	assert_int_equal(types[1], L2TP_ATTR_SESSION_ID);
	assert_int_equal(u32_at(vals[1]), 11);
	assert_int_equal(types[2], L2TP_ATTR_PEER_SESSION_ID);
	assert_int_equal(u32_at(vals[2]), 22);
	assert_int_equal(types[3], L2TP_ATTR_PW_TYPE);
	assert_int_equal(lens[3], 2);
	memcpy(&pw, vals[3], 2);
	assert_int_equal(pw, L2TP_PWTYPE_PPP);
	assert_int_equal(types[4], L2TP_ATTR_RECV_SEQ);
	assert_int_equal(lens[4], 1);
	assert_int_equal(vals[4][0], 0);
	assert_int_equal(types[5], L2TP_ATTR_SEND_SEQ);
	assert_int_equal(vals[5][0], 0);
	assert_int_equal(types[6], L2TP_ATTR_LNS_MODE);
	assert_int_equal(vals[6][0], 1);
	assert_int_equal(types[7], L2TP_ATTR_RECV_TIMEOUT);
	assert_int_equal(lens[7], 8);
	memcpy(&timeout, vals[7], 8);
	assert_int_equal(timeout, 250);
}

static void test_id_requests(void **state)
{
	uint8_t buf[128];
	uint16_t types[4], lens[4];
	const uint8_t *vals[4];
	struct nlmsghdr *nlh;

	(void)state;
	nlh = kl2tp_msg_session_id(buf, sizeof(buf), FAMILY, L2TP_CMD_SESSION_DELETE, 101, 11, false);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(walk(nlh, types, lens, vals), 2);
	assert_int_equal(types[0], L2TP_ATTR_CONN_ID);
	assert_int_equal(u32_at(vals[0]), 101);
	assert_int_equal(types[1], L2TP_ATTR_SESSION_ID);
	assert_int_equal(u32_at(vals[1]), 11);

	/* A GET is acked too: the request loop reads the data message, then the ack. */
	nlh = kl2tp_msg_tunnel_id(buf, sizeof(buf), FAMILY, L2TP_CMD_TUNNEL_GET, 101, false);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(walk(nlh, types, lens, vals), 1);

	/* A dump names nothing. */
	nlh = kl2tp_msg_tunnel_id(buf, sizeof(buf), FAMILY, L2TP_CMD_TUNNEL_GET, 0, true);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_len, 20);
	assert_int_equal(((struct genlmsghdr *)(buf + 16))->cmd, L2TP_CMD_TUNNEL_GET);
}

static void test_getfamily(void **state)
{
	uint8_t buf[128];
	struct nlmsghdr *nlh = kl2tp_msg_getfamily(buf, sizeof(buf));
	uint16_t types[4], lens[4], family;
	const uint8_t *vals[4];
	struct genlmsghdr *g;

	(void)state;
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(((struct genlmsghdr *)(buf + 16))->cmd, CTRL_CMD_GETFAMILY);
	assert_int_equal(walk(nlh, types, lens, vals), 1);
	assert_int_equal(types[0], CTRL_ATTR_FAMILY_NAME);
	assert_int_equal(lens[0], 5);
	assert_memory_equal(vals[0], "l2tp", 5);

	/* The controller's answer: name, then id. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "l2tp");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1b);
	assert_int_equal(kl2tp_parse_family(nlh, &family), 0);
	assert_int_equal(family, 0x1b);
}

/* A tunnel as l2tp_nl_tunnel_send() lays it out. */
static struct nlmsghdr *kernel_tunnel(uint8_t *buf, bool bad_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *nest;
	struct in_addr a;

	nlh->nlmsg_type = FAMILY;
	g->cmd = L2TP_CMD_TUNNEL_GET;
	if (bad_len)
		mnl_attr_put_u16(nlh, L2TP_ATTR_CONN_ID, 101);
	else
		mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, 101);
	mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_CONN_ID, 202);
	mnl_attr_put_u8(nlh, L2TP_ATTR_PROTO_VERSION, 2);
	mnl_attr_put_u16(nlh, L2TP_ATTR_ENCAP_TYPE, L2TP_ENCAPTYPE_UDP);
	mnl_attr_put_u32(nlh, L2TP_ATTR_DEBUG, 0);
	nest = mnl_attr_nest_start(nlh, L2TP_ATTR_STATS);
	mnl_attr_put_u64(nlh, L2TP_ATTR_TX_PACKETS, 9);
	mnl_attr_put_u64(nlh, L2TP_ATTR_TX_BYTES, 900);
	mnl_attr_put_u64(nlh, L2TP_ATTR_RX_PACKETS, 7);
	mnl_attr_put_u64(nlh, L2TP_ATTR_RX_BYTES, 700);
	mnl_attr_put_u64(nlh, L2TP_ATTR_RX_INVALID, 1);        /* newer than our table */
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u16(nlh, L2TP_ATTR_UDP_SPORT, 1701);
	mnl_attr_put_u16(nlh, L2TP_ATTR_UDP_DPORT, 4500);
	inet_pton(AF_INET, "192.0.2.1", &a);
	mnl_attr_put(nlh, L2TP_ATTR_IP_SADDR, 4, &a);
	inet_pton(AF_INET, "192.0.2.2", &a);
	mnl_attr_put(nlh, L2TP_ATTR_IP_DADDR, 4, &a);
	mnl_attr_put_u32(nlh, L2TP_ATTR_MAX + 7, 1);           /* unknown: skipped */
	return nlh;
}

static void test_parse_tunnel(void **state)
{
	uint8_t buf[512];
	struct kl2tp_tunnel_info t;
	char ip[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(kl2tp_parse_tunnel(kernel_tunnel(buf, false), &t), 0);
	assert_int_equal(t.tunnel_id, 101);
	assert_int_equal(t.peer_tunnel_id, 202);
	assert_int_equal(t.version, 2);
	assert_int_equal(t.encap, L2TP_ENCAPTYPE_UDP);
	assert_int_equal(t.local_port, 1701);
	assert_int_equal(t.peer_port, 4500);
	assert_int_equal(t.local.family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &t.local.v4, ip, sizeof(ip)), "192.0.2.1");
	assert_string_equal(inet_ntop(AF_INET, &t.peer.v4, ip, sizeof(ip)), "192.0.2.2");
	assert_true(t.has_stats);
	assert_int_equal(t.stats.tx_packets, 9);
	assert_int_equal(t.stats.tx_bytes, 900);
	assert_int_equal(t.stats.rx_packets, 7);
	assert_int_equal(t.stats.rx_bytes, 700);
	/* A u32 attribute two bytes long is a malformed message, not a zero. */
	assert_int_equal(kl2tp_parse_tunnel(kernel_tunnel(buf, true), &t), -EBADMSG);
}

static void test_parse_session(void **state)
{
	uint8_t buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct kl2tp_session_info s;

	(void)state;
	g->cmd = L2TP_CMD_SESSION_GET;
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, 101);
	mnl_attr_put_u32(nlh, L2TP_ATTR_SESSION_ID, 11);
	mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_CONN_ID, 202);
	mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_SESSION_ID, 22);
	mnl_attr_put_u16(nlh, L2TP_ATTR_PW_TYPE, L2TP_PWTYPE_PPP);
	mnl_attr_put_u8(nlh, L2TP_ATTR_RECV_SEQ, 0);
	mnl_attr_put_u8(nlh, L2TP_ATTR_SEND_SEQ, 1);
	mnl_attr_put_u8(nlh, L2TP_ATTR_LNS_MODE, 1);
	assert_int_equal(kl2tp_parse_session(nlh, &s), 0);
	assert_int_equal(s.tunnel_id, 101);
	assert_int_equal(s.session_id, 11);
	assert_int_equal(s.peer_tunnel_id, 202);
	assert_int_equal(s.peer_session_id, 22);
	assert_int_equal(s.pw_type, L2TP_PWTYPE_PPP);
	assert_false(s.recv_seq);
	assert_true(s.send_seq);
	assert_true(s.lns_mode);
	assert_false(s.has_stats);
	/* Without a session id it is not a session. */
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, 101);
	assert_int_equal(kl2tp_parse_session(nlh, &s), -EBADMSG);
}

static bool keep_202(uint32_t id, void *arg)
{
	(void)arg;
	return id == 202;
}

static void test_ownership(void **state)
{
	struct kl2tp_tunnel_info t = { .tunnel_id = 101, .version = 2, .encap = L2TP_ENCAPTYPE_UDP,
				       .local_port = 1701 };
	struct knl_ip addrs[2];
	struct kl2tp_owner any = { .local_port = 1701 };
	struct kl2tp_owner some = { .local_port = 1701, .local_addrs = addrs, .n_local_addrs = 2,
				    .keep = keep_202 };

	(void)state;
	assert_int_equal(knl_ip_parse(&addrs[0], "192.0.2.1"), 0);
	assert_int_equal(knl_ip_parse(&addrs[1], "2001:db8::1"), 0);
	assert_int_equal(knl_ip_parse(&t.local, "192.0.2.1"), 0);
	assert_true(kl2tp_tunnel_is_ours(&t, &any));
	assert_true(kl2tp_tunnel_is_ours(&t, &some));
	t.tunnel_id = 202;                      /* adopted by the restarted daemon */
	assert_false(kl2tp_tunnel_is_ours(&t, &some));
	assert_true(kl2tp_tunnel_is_ours(&t, &any));
	t.tunnel_id = 101;
	assert_int_equal(knl_ip_parse(&t.local, "192.0.2.9"), 0);
	assert_false(kl2tp_tunnel_is_ours(&t, &some));  /* not an address we listen on */
	assert_true(kl2tp_tunnel_is_ours(&t, &any));
	assert_int_equal(knl_ip_parse(&t.local, "2001:db8::1"), 0);
	assert_true(kl2tp_tunnel_is_ours(&t, &some));
	t.local_port = 5000;                    /* someone else's port */
	assert_false(kl2tp_tunnel_is_ours(&t, &any));
	t.local_port = 1701;
	t.version = 3;                          /* l2tpd makes only L2TPv2 tunnels */
	assert_false(kl2tp_tunnel_is_ours(&t, &any));
	t.version = 2;
	t.encap = L2TP_ENCAPTYPE_IP;
	assert_false(kl2tp_tunnel_is_ours(&t, &any));
}

/* This machine's kernel may or may not have L2TP: either the family resolves, or the
 * answer is the "no such family" that kernel_probe turns into its message. */
static void test_open_live(void **state)
{
	struct kl2tp l;
	int err = kl2tp_open(&l);

	(void)state;
	if (err == 0) {
		assert_true(l.family >= GENL_MIN_ID);
		kl2tp_close(&l);
	} else {
		assert_int_equal(err, -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_create_bytes),
		cmocka_unit_test(test_tunnel_create_rejects),
		cmocka_unit_test(test_session_create_layout),
		cmocka_unit_test(test_id_requests),
		cmocka_unit_test(test_getfamily),
		cmocka_unit_test(test_parse_tunnel),
		cmocka_unit_test(test_parse_session),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_open_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
