/*
 * PPPoL2TP connect addresses (all four variants, read back through the kernel's own
 * structs), interface-name ownership, and the errors a kernel without PPP gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_pppox.h>
#include <linux/if_pppol2tp.h>

#include "l2tpd/kernel_ppp.h"
#include "l2tpd/udp_sock.h"

static struct kppp_l2tp_addr addr(uint8_t version, const struct sockaddr_storage *peer, int len)
{
	struct kppp_l2tp_addr a = {
		.tunnel_fd = 9, .version = version, .tunnel_id = 101, .session_id = 11,
		.peer_tunnel_id = 202, .peer_session_id = 22,
		.peer = (const struct sockaddr *)peer, .peer_len = (socklen_t)len,
	};
	return a;
}

static void test_v2_inet(void **state)
{
	struct sockaddr_storage peer;
	int plen = udp_sock_addr(&peer, "192.0.2.2", 1701);
	struct kppp_l2tp_addr a = addr(2, &peer, plen);
	uint8_t buf[128];
	struct sockaddr_pppol2tp sa;
	char ip[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), sizeof(sa));
	memcpy(&sa, buf, sizeof(sa));
	assert_int_equal(sa.sa_family, AF_PPPOX);
	assert_int_equal(sa.sa_protocol, PX_PROTO_OL2TP);
	assert_int_equal(sa.pppol2tp.pid, 0);
	assert_int_equal(sa.pppol2tp.fd, 9);
	assert_int_equal(sa.pppol2tp.addr.sin_family, AF_INET);
	assert_int_equal(ntohs(sa.pppol2tp.addr.sin_port), 1701);
	assert_string_equal(inet_ntop(AF_INET, &sa.pppol2tp.addr.sin_addr, ip, sizeof(ip)), "192.0.2.2");
	assert_int_equal(sa.pppol2tp.s_tunnel, 101);
	assert_int_equal(sa.pppol2tp.s_session, 11);
	assert_int_equal(sa.pppol2tp.d_tunnel, 202);
	assert_int_equal(sa.pppol2tp.d_session, 22);
	/* The kernel tells the variants apart by length alone. */
	assert_int_equal(sizeof(sa), 38);

	a.session_id = 0x10000;         /* 16-bit ids in L2TPv2 */
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), -EINVAL);
	a.session_id = 11;
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(sa) - 1), -EINVAL);
	a.session_id = 0;
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), -EINVAL);
}

static void test_v2_inet6(void **state)
{
	struct sockaddr_storage peer;
	int plen = udp_sock_addr(&peer, "2001:db8::2", 1701);
	struct kppp_l2tp_addr a = addr(2, &peer, plen);
	uint8_t buf[128];
	struct sockaddr_pppol2tpin6 sa;
	struct in6_addr want;

	(void)state;
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), sizeof(sa));
	memcpy(&sa, buf, sizeof(sa));
	assert_int_equal(sa.sa_family, AF_PPPOX);
	assert_int_equal(sa.pppol2tp.fd, 9);
	assert_int_equal(sa.pppol2tp.s_tunnel, 101);
	assert_int_equal(sa.pppol2tp.d_session, 22);
	assert_int_equal(sa.pppol2tp.addr.sin6_family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::2", &want);
	assert_memory_equal(&sa.pppol2tp.addr.sin6_addr, &want, 16);
	/* A v4 sockaddr length with a v6 family is refused. */
	a.peer_len = sizeof(struct sockaddr_in);
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), -EINVAL);
}

static void test_v3(void **state)
{
	struct sockaddr_storage peer4, peer6;
	int l4 = udp_sock_addr(&peer4, "192.0.2.2", 1701), l6 = udp_sock_addr(&peer6, "2001:db8::2", 1701);
	struct kppp_l2tp_addr a = addr(3, &peer4, l4);
	uint8_t buf[128];
	struct sockaddr_pppol2tpv3 sa;
	struct sockaddr_pppol2tpv3in6 sa6;

	(void)state;
	a.session_id = 0x12345678;      /* 32-bit ids in L2TPv3 */
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), sizeof(sa));
	memcpy(&sa, buf, sizeof(sa));
	assert_int_equal(sa.pppol2tp.s_session, 0x12345678);
	assert_int_equal(sa.pppol2tp.d_tunnel, 202);
	a = addr(3, &peer6, l6);
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), sizeof(sa6));
	memcpy(&sa6, buf, sizeof(sa6));
	assert_int_equal(sa6.pppol2tp.s_tunnel, 101);
	assert_int_equal(sa6.pppol2tp.addr.sin6_port, htons(1701));
	a.version = 4;
	assert_int_equal(kppp_pppol2tp_sockaddr(&a, buf, sizeof(buf)), -EINVAL);
}

static void test_ifname_ownership(void **state)
{
	(void)state;
	assert_true(kppp_ifname_is_ours("l2sec0", "l2sec"));
	assert_true(kppp_ifname_is_ours("l2sec4294967295", "l2sec"));
	assert_false(kppp_ifname_is_ours("l2sec", "l2sec"));      /* no number */
	assert_false(kppp_ifname_is_ours("l2secx1", "l2sec"));
	assert_false(kppp_ifname_is_ours("l2sec1a", "l2sec"));
	assert_false(kppp_ifname_is_ours("ppp0", "l2sec"));
	assert_false(kppp_ifname_is_ours("l2se1", "l2sec"));
	assert_false(kppp_ifname_is_ours("l2sec0", ""));
}

/* Without /dev/ppp and pppox (this machine), each step names the missing piece by errno;
 * with them, the same calls fail on the bogus arguments instead. */
static void test_without_kernel_support(void **state)
{
	struct kppp_session s;
	struct sockaddr_storage peer;
	int plen = udp_sock_addr(&peer, "192.0.2.2", 1701);
	struct kppp_l2tp_addr a = addr(2, &peer, plen);
	int err;

	(void)state;
	kppp_session_init(&s);
	assert_int_equal(s.pppox_fd, -1);
	assert_int_equal(s.unit, -1);
	assert_int_equal(kppp_channel_open(&s), -EBADF);
	assert_int_equal(kppp_unit_connect(&s), -EBADF);
	assert_int_equal(kppp_unit_set_mru(&s, 1400), -EBADF);
	err = kppp_pppox_open(&s, &a);
	if (access("/proc/net/pppol2tp", F_OK) != 0)
		assert_true(err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT || err == -EBADF ||
			    err == -ENOTSOCK);
	assert_true(err < 0);           /* fd 9 is no UDP tunnel socket in any case */
	assert_int_equal(s.pppox_fd, -1);
	kppp_session_close(&s);         /* nothing open: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_inet),
		cmocka_unit_test(test_v2_inet6),
		cmocka_unit_test(test_v3),
		cmocka_unit_test(test_ifname_ownership),
		cmocka_unit_test(test_without_kernel_support),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
