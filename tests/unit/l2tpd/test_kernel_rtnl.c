/*
 * rtnetlink requests of l2tpd's PPP interfaces, byte by byte; the link parser on a reply
 * laid out as the kernel sends it; and the request loop against this machine's kernel
 * (lo exists everywhere; a "ppp" link either works or is refused with the kernel's text).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "l2tpd/rtnl.h"

static uint16_t u16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_ppp_newlink_bytes(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	const uint8_t *a;

	(void)state;
	nlh = rtnl_msg_ppp_newlink(buf, sizeof(buf), 9, "l2sec0");
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	/* 16 header + 16 ifinfomsg + 12 IFLA_IFNAME + 24 IFLA_LINKINFO nest */
	assert_int_equal(nlh->nlmsg_len, 68);
	a = buf + 32;
	assert_int_equal(u16_at(a), 11);                /* "l2sec0\0" */
	assert_int_equal(u16_at(a + 2), IFLA_IFNAME);
	assert_memory_equal(a + 4, "l2sec0\0\0", 8);   /* padding zeroed */
	a += 12;
	assert_int_equal(u16_at(a), 24);
	assert_int_equal(u16_at(a + 2) & NLA_TYPE_MASK, IFLA_LINKINFO);
	assert_int_equal(u16_at(a + 4), 8);
	assert_int_equal(u16_at(a + 6), IFLA_INFO_KIND);
	assert_memory_equal(a + 8, "ppp\0", 4);
	assert_int_equal(u16_at(a + 12), 12);
	assert_int_equal(u16_at(a + 14) & NLA_TYPE_MASK, IFLA_INFO_DATA);
	assert_int_equal(u16_at(a + 16), 8);
	assert_int_equal(u16_at(a + 18), IFLA_PPP_DEV_FD);
	assert_int_equal(u32_at(a + 20), 9);
	/* Names are at most 15 characters. */
	assert_null(rtnl_msg_ppp_newlink(buf, sizeof(buf), 9, "l2sec0123456789x"));
	assert_non_null(rtnl_msg_ppp_newlink(buf, sizeof(buf), 9, "l2sec0123456789"));
}

static void test_link_change(void **state)
{
	uint8_t buf[256];
	struct rtnl_link_change up = { .up = 1 }, mtu = { .up = -1, .mtu = 1400 },
				 name = { .up = -1, .ifname = "l2sec3" };
	struct nlmsghdr *nlh;
	const struct ifinfomsg *ifi = (const struct ifinfomsg *)(buf + 16);

	(void)state;
	nlh = rtnl_msg_link_change(buf, sizeof(buf), 42, &up);
	assert_int_equal(nlh->nlmsg_type, RTM_SETLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nlh->nlmsg_len, 32);
	assert_int_equal(ifi->ifi_index, 42);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_flags, IFF_UP);

	nlh = rtnl_msg_link_change(buf, sizeof(buf), 42, &mtu);
	assert_int_equal(nlh->nlmsg_len, 40);
	assert_int_equal(ifi->ifi_change, 0);   /* the up/down state is left alone */
	assert_int_equal(u16_at(buf + 34), IFLA_MTU);
	assert_int_equal(u32_at(buf + 36), 1400);

	nlh = rtnl_msg_link_change(buf, sizeof(buf), 42, &name);
	assert_int_equal(u16_at(buf + 34), IFLA_IFNAME);
	assert_string_equal((const char *)buf + 36, "l2sec3");

	assert_null(rtnl_msg_link_change(buf, sizeof(buf), 0, &up));  /* no such index */
	nlh = rtnl_msg_link_delete(buf, sizeof(buf), 42);
	assert_int_equal(nlh->nlmsg_type, RTM_DELLINK);
	assert_int_equal(ifi->ifi_index, 42);
}

static void test_addr_ptp(void **state)
{
	uint8_t buf[256];
	struct knl_ip l4, p4, l6, p6;
	struct nlmsghdr *nlh;
	const struct ifaddrmsg *ifa = (const struct ifaddrmsg *)(buf + 16);
	static const uint8_t v4[] = {
		8, 0, IFA_LOCAL, 0, 198, 51, 100, 1,
		8, 0, IFA_ADDRESS, 0, 198, 51, 100, 2,
	};

	(void)state;
	assert_int_equal(knl_ip_parse(&l4, "198.51.100.1"), 0);
	assert_int_equal(knl_ip_parse(&p4, "198.51.100.2"), 0);
	assert_int_equal(knl_ip_parse(&l6, "2001:db8::1"), 0);
	assert_int_equal(knl_ip_parse(&p6, "2001:db8::2"), 0);
	assert_int_equal(knl_ip_parse(&l6, "2001:db8::1::"), -EINVAL);
	assert_int_equal(knl_ip_parse(&l6, "2001:db8::1"), 0);

	nlh = rtnl_msg_addr_ptp(buf, sizeof(buf), RTM_NEWADDR, 42, &l4, &p4);
	assert_non_null(nlh);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	assert_int_equal(nlh->nlmsg_len, 16 + 8 + 16);
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 32);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(ifa->ifa_index, 42);
	assert_memory_equal(buf + 24, v4, sizeof(v4));

	nlh = rtnl_msg_addr_ptp(buf, sizeof(buf), RTM_DELADDR, 42, &l6, &p6);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_prefixlen, 128);
	assert_int_equal(u16_at(buf + 24), 20);
	assert_int_equal(u16_at(buf + 26), IFA_LOCAL);
	assert_memory_equal(buf + 28, &l6.v6, 16);
	assert_int_equal(u16_at(buf + 46), IFA_ADDRESS);
	assert_memory_equal(buf + 48, &p6.v6, 16);

	assert_null(rtnl_msg_addr_ptp(buf, sizeof(buf), RTM_NEWADDR, 42, &l4, &p6));  /* mixed */
}

static void test_route(void **state)
{
	uint8_t buf[256];
	struct knl_ip dst;
	struct nlmsghdr *nlh;
	const struct rtmsg *rtm = (const struct rtmsg *)(buf + 16);

	(void)state;
	assert_int_equal(knl_ip_parse(&dst, "203.0.113.0"), 0);
	nlh = rtnl_msg_route(buf, sizeof(buf), RTM_NEWROUTE, 42, &dst, 24);
	assert_non_null(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_dst_len, 24);
	assert_int_equal(rtm->rtm_table, RT_TABLE_MAIN);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_LINK);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_int_equal(u16_at(buf + 30), RTA_DST);
	assert_memory_equal(buf + 32, "\xcb\x00\x71\x00", 4);
	assert_int_equal(u16_at(buf + 38), RTA_OIF);
	assert_int_equal(u32_at(buf + 40), 42);
	assert_null(rtnl_msg_route(buf, sizeof(buf), RTM_NEWROUTE, 42, &dst, 33));
}

static void test_parse_link(void **state)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct rtnl_link_stats64 st = { .rx_packets = 6, .tx_packets = 7, .rx_bytes = 2912,
					.tx_bytes = 3000, .rx_dropped = 1 };
	struct rtnl_link_info info;
	struct nlattr *nest;

	(void)state;
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP | IFF_POINTOPOINT;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "l2sec4");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ppp");
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(st), &st);
	assert_int_equal(rtnl_parse_link(nlh, &info), 0);
	assert_int_equal(info.ifindex, 7);
	assert_string_equal(info.ifname, "l2sec4");
	assert_string_equal(info.kind, "ppp");
	assert_int_equal(info.mtu, 1400);
	assert_true(info.flags & IFF_POINTOPOINT);
	assert_true(info.has_stats);
	assert_int_equal(info.stats.rx_bytes, 2912);
	assert_int_equal(info.stats.tx_bytes, 3000);
	assert_int_equal(info.stats.rx_packets, 6);
	assert_int_equal(info.stats.tx_packets, 7);
	assert_int_equal(info.stats.rx_dropped, 1);

	/* A 4-byte IFLA_STATS64 is malformed. */
	mnl_attr_put_u32(nlh, IFLA_STATS64, 1);
	assert_int_equal(rtnl_parse_link(nlh, &info), -EBADMSG);
	nlh->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(rtnl_parse_link(nlh, &info), -EBADMSG);
}

static void test_u32_push(void **state)
{
	uint32_t *v = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	for (uint32_t i = 0; i < 200; i++)
		assert_int_equal(knl_u32_push(&v, &n, &cap, i * 3), 0);
	assert_int_equal(n, 200);
	assert_true(cap >= 200);
	for (uint32_t i = 0; i < 200; i++)
		assert_int_equal(v[i], i * 3);
	free(v);
}

static int count_links(const struct rtnl_link_info *link, void *arg)
{
	if (strcmp(link->ifname, "lo") == 0)
		(*(int *)arg)++;
	return 0;
}

static void test_live(void **state)
{
	struct rtnl r;
	struct rtnl_link_info lo;
	struct rtnl_counters c;
	int seen = 0, err;

	(void)state;
	assert_int_equal(rtnl_open(&r), 0);
	assert_int_equal(rtnl_link_get(&r, 0, "lo", &lo), 0);
	assert_true(lo.ifindex > 0);
	assert_string_equal(lo.ifname, "lo");
	assert_true(lo.has_stats);
	assert_int_equal(rtnl_link_counters(&r, lo.ifindex, &c), 0);
	assert_int_equal(rtnl_link_get(&r, 0, "l2sec-none", &lo), -ENODEV);
	assert_int_equal(rtnl_link_dump(&r, count_links, &seen), 0);
	assert_int_equal(seen, 1);
	/* A ppp link for a descriptor that is no /dev/ppp: refused, with the kernel's reason
	 * when it gives one ("Unknown device type" without ppp_generic). */
	err = rtnl_ppp_create(&r, STDIN_FILENO, "l2sec-test");
	/* -EBADF: ppp_generic is there and checked the descriptor; -EPERM: unprivileged. */
	assert_true(err == -EOPNOTSUPP || err == -EBADF || err == -EPERM);
	if (err == -EOPNOTSUPP)
		assert_string_equal(r.k.errmsg, "Unknown device type");
	rtnl_close(&r);
	rtnl_close(&r);         /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ppp_newlink_bytes),
		cmocka_unit_test(test_link_change),
		cmocka_unit_test(test_addr_ptp),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_parse_link),
		cmocka_unit_test(test_u32_push),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
