/*
 * UDP sockets of l2tpd on loopback: a per-peer connected socket shares the listener's
 * port and receives its peer's datagrams, the listener gets the others; the socket mark.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "l2tpd/udp_sock.h"

static uint16_t free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static int recv_byte(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b;

	if (poll(&p, 1, 1000) != 1 || recv(fd, &b, 1, 0) != 1)
		return -1;
	return b;
}

static void test_demux(void **state)
{
	uint16_t port = free_port(), peer_port = free_port();
	struct sockaddr_storage local, peer;
	int llen = udp_sock_addr(&local, "127.0.0.1", port);
	int plen = udp_sock_addr(&peer, "127.0.0.1", peer_port);
	struct udp_sock_cfg lcfg = { .local = (struct sockaddr *)&local, .local_len = (socklen_t)llen,
				     .pktinfo = true };
	struct udp_sock_cfg tcfg = { .local = (struct sockaddr *)&local, .local_len = (socklen_t)llen,
				     .peer = (struct sockaddr *)&peer, .peer_len = (socklen_t)plen };
	struct sockaddr_storage src;
	int listener, tunnel, peer_fd, other;
	uint8_t one = 1, two = 2;

	(void)state;
	listener = udp_sock_open(&lcfg);
	assert_true(listener >= 0);
	tunnel = udp_sock_open(&tcfg);  /* same local port: SO_REUSEADDR on both */
	assert_true(tunnel >= 0);
	/* The peer, and a stranger, send to our port. */
	udp_sock_addr(&src, "127.0.0.1", peer_port);
	peer_fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(peer_fd, (struct sockaddr *)&src, sizeof(struct sockaddr_in)), 0);
	other = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto(peer_fd, &one, 1, 0, (struct sockaddr *)&local, (socklen_t)llen), 1);
	assert_int_equal(sendto(other, &two, 1, 0, (struct sockaddr *)&local, (socklen_t)llen), 1);
	assert_int_equal(recv_byte(tunnel), 1);         /* the connected socket wins for its peer */
	assert_int_equal(recv_byte(listener), 2);       /* everyone else reaches the listener */
	assert_int_equal(recv_byte(tunnel), -1);
	assert_int_equal(recv_byte(listener), -1);
	/* And the tunnel socket sends to its peer without an address. */
	assert_int_equal(send(tunnel, &two, 1, 0), 1);
	assert_int_equal(recv_byte(peer_fd), 2);
	close(listener);
	close(tunnel);
	close(peer_fd);
	close(other);
}

static void test_mark(void **state)
{
	struct sockaddr_storage local;
	int llen = udp_sock_addr(&local, "127.0.0.1", 0);
	struct udp_sock_cfg cfg = { .local = (struct sockaddr *)&local, .local_len = (socklen_t)llen,
				    .mark = 0x1701 };
	uint32_t mark = 0;
	socklen_t len = sizeof(mark);
	int fd = udp_sock_open(&cfg);

	(void)state;
	if (fd == -EPERM) {             /* SO_MARK needs CAP_NET_ADMIN */
		skip();
		return;
	}
	assert_true(fd >= 0);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len), 0);
	assert_int_equal(mark, 0x1701);
	assert_int_equal(udp_sock_set_mark(fd, 0x2000), 0);     /* rekeyed SA, new mark */
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len), 0);
	assert_int_equal(mark, 0x2000);
	close(fd);
}

/* udp_sock_recv reports each datagram's mark (SO_RCVMARK): what tells clients behind one
 * NAT apart (their inbound SAs mark what they decrypt; here the sender's SO_MARK, which
 * loopback keeps), with the sender's address; an unmarked datagram reads as 0. */
static void test_recv_mark(void **state)
{
	struct sockaddr_storage local, from;
	int llen = udp_sock_addr(&local, "127.0.0.1", free_port());
	struct udp_sock_cfg lcfg = { .local = (struct sockaddr *)&local, .local_len = (socklen_t)llen,
				     .pktinfo = true };
	struct udp_sock_cfg scfg = { .local = (struct sockaddr *)&local, .local_len = (socklen_t)llen,
				     .mark = 0x101 };
	struct pollfd p = { .events = POLLIN };
	socklen_t flen = sizeof from;
	uint32_t mark = 7;
	uint8_t b = 0;
	int listener, marked, plain;

	(void)state;
	udp_sock_addr(&from, "127.0.0.1", 0);     /* the sender: any port */
	scfg.local = (struct sockaddr *)&from;
	marked = udp_sock_open(&scfg);
	if (marked == -EPERM) {
		skip();
		return;
	}
	assert_true(marked >= 0);
	listener = udp_sock_open(&lcfg);
	assert_true(listener >= 0);
	plain = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto(marked, "\x11", 1, 0, (struct sockaddr *)&local, (socklen_t)llen), 1);
	p.fd = listener;
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(udp_sock_recv(listener, &b, 1, &from, &flen, &mark), 1);
	assert_int_equal(b, 0x11);
	assert_int_equal(mark, 0x101);
	assert_int_equal(flen, sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)&from)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(sendto(plain, "\x22", 1, 0, (struct sockaddr *)&local, (socklen_t)llen), 1);
	assert_int_equal(poll(&p, 1, 1000), 1);
	assert_int_equal(udp_sock_recv(listener, &b, 1, NULL, NULL, &mark), 1);
	assert_int_equal(b, 0x22);
	assert_int_equal(mark, 0);
	assert_int_equal(udp_sock_recv(listener, &b, 1, NULL, NULL, &mark), -EAGAIN);
	close(listener);
	close(marked);
	close(plain);
}

static void test_args(void **state)
{
	struct sockaddr_storage l4, p6;
	int len4 = udp_sock_addr(&l4, "127.0.0.1", 0), len6 = udp_sock_addr(&p6, "::1", 1701);
	struct udp_sock_cfg mixed = { .local = (struct sockaddr *)&l4, .local_len = (socklen_t)len4,
				      .peer = (struct sockaddr *)&p6, .peer_len = (socklen_t)len6 };
	struct udp_sock_cfg none = { 0 };
	struct sockaddr_storage bad;

	(void)state;
	assert_int_equal(len4, sizeof(struct sockaddr_in));
	assert_int_equal(len6, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&p6)->sin6_port), 1701);
	assert_int_equal(udp_sock_addr(&bad, "localhost", 1), -EINVAL);   /* no name look-ups */
	assert_int_equal(udp_sock_open(&mixed), -EINVAL);
	assert_int_equal(udp_sock_open(&none), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_recv_mark),
		cmocka_unit_test(test_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
