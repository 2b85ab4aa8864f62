/*
 * IKE UDP sockets. See ike_socket.h.
 */
#include "ikd/ike_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "xfrm/xfrm.h"

static const uint8_t non_esp_marker[IKE_NON_ESP_MARKER_LEN] = { 0, 0, 0, 0 };

static bool is_natt_index(int i)
{
	return i == IKE_SOCK_V4_NATT || i == IKE_SOCK_V6_NATT;
}

static int open_one(int family, uint16_t port, bool natt, const struct ike_socket_opts *opt)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	int one = 1, rc;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (family == AF_INET) {
		rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
	}
	if (rc < 0)
		goto fail;
	if (opt->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &opt->mark, sizeof opt->mark) < 0)
		log_warn("ike_socket_mark_failed", "mark=%u errno=%d", opt->mark, errno);
	union ikd_sockaddr a;
	memset(&a, 0, sizeof a);
	a.sa.sa_family = (sa_family_t)family;
	ikd_addr_set_port(&a, port);
	if (bind(fd, &a.sa, ikd_addr_len(&a.sa)) < 0)
		goto fail;
	/* Bypass before encap: the first ESP must never hit a policy lookup on this socket. */
	if (opt->bypass && (rc = xfrm_socket_bypass(fd, family)) < 0)
		log_warn("ike_socket_bypass_failed",
			 "family=%s port=%u errno=%d hint=\"IKE may be caught by IPsec policies\"",
			 family == AF_INET ? "ipv4" : "ipv6", port, -rc);
	if (natt && (rc = xfrm_natt_socket_enable(fd)) < 0) {
		log_warn("ike_socket_encap_failed",
			 "family=%s port=%u errno=%d hint=\"UDP-encapsulated ESP will not be decrypted\"",
			 family == AF_INET ? "ipv4" : "ipv6", port, -rc);
	}
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

static void on_readable(void *arg, int fd, int events)
{
	struct ike_sockets *s = arg;
	for (int i = 0; i < IKE_SOCK_COUNT; i++)
		if (s->fd[i] == fd)
			ike_sockets_read(s, i);
}

int ike_sockets_open(struct ike_sockets *s, struct evloop *loop,
		     const struct ike_socket_opts *opt, ike_socket_rx_fn rx, void *arg)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < IKE_SOCK_COUNT; i++)
		s->fd[i] = -1;
	s->port = opt->port;
	s->natt_port = opt->natt_port;
	s->rx = rx;
	s->rx_arg = arg;
	s->rxbuf = malloc(IKE_PACKET_MAX);
	if (!s->rxbuf)
		return -ENOMEM;
	static const struct { int family; bool natt; } layout[IKE_SOCK_COUNT] = {
		[IKE_SOCK_V4] = { AF_INET, false }, [IKE_SOCK_V4_NATT] = { AF_INET, true },
		[IKE_SOCK_V6] = { AF_INET6, false }, [IKE_SOCK_V6_NATT] = { AF_INET6, true },
	};
	for (int i = 0; i < IKE_SOCK_COUNT; i++) {
		if (layout[i].family == AF_INET6 && !opt->ipv6)
			continue;
		uint16_t port = layout[i].natt ? opt->natt_port : opt->port;
		int fd = open_one(layout[i].family, port, layout[i].natt, opt);
		if (fd < 0) {
			if (layout[i].family == AF_INET6) {
				log_warn("ike_socket_ipv6_unavailable", "port=%u errno=%d", port, -fd);
				continue;
			}
			log_err("ike_socket_open_failed", "family=ipv4 port=%u errno=%d error=%s",
				port, -fd, strerror(-fd));
			ike_sockets_close(s);
			return fd;
		}
		s->fd[i] = fd;
		if (loop) {
			evloop_io_init(&s->io[i], loop, fd, EVLOOP_READ, on_readable, s);
			evloop_io_start(&s->io[i]);
		}
		log_info("ike_socket_listening", "family=%s port=%u natt=%s",
			 layout[i].family == AF_INET ? "ipv4" : "ipv6", port,
			 layout[i].natt ? "yes" : "no");
	}
	return 0;
}

void ike_sockets_close(struct ike_sockets *s)
{
	for (int i = 0; i < IKE_SOCK_COUNT; i++) {
		if (s->fd[i] < 0)
			continue;
		if (s->io[i].l)
			evloop_io_stop(&s->io[i]);
		close(s->fd[i]);
		s->fd[i] = -1;
	}
	free(s->rxbuf);
	s->rxbuf = NULL;
}

/* Fill pkt->local from the PKTINFO control message. */
static void read_pktinfo(struct msghdr *mh, int family, uint16_t port, struct ike_packet *pkt)
{
	memset(&pkt->local, 0, sizeof pkt->local);
	pkt->local.sa.sa_family = (sa_family_t)family;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pkt->local.in.sin_addr = pi.ipi_addr;
			pkt->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof pi);
			pkt->local.in6.sin6_addr = pi.ipi6_addr;
			pkt->ifindex = (int)pi.ipi6_ifindex;
		}
	}
	ikd_addr_set_port(&pkt->local, port);
}

void ike_sockets_read(struct ike_sockets *s, int i)
{
	for (int budget = 64; budget > 0; budget--) {
		struct ike_packet pkt;
		memset(&pkt, 0, sizeof pkt);
		struct iovec iov = { .iov_base = s->rxbuf, .iov_len = IKE_PACKET_MAX };
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + 64];
			struct cmsghdr align;
		} cbuf;
		struct msghdr mh = {
			.msg_name = &pkt.peer, .msg_namelen = sizeof pkt.peer,
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf.buf, .msg_controllen = sizeof cbuf.buf,
		};
		ssize_t n = recvmsg(s->fd[i], &mh, 0);
		if (n < 0)
			return;         /* EAGAIN or a transient error: the watcher comes back */
		if (mh.msg_flags & MSG_TRUNC) {
			s->stats.rx_truncated++;
			continue;
		}
		bool natt = is_natt_index(i);
		read_pktinfo(&mh, (i == IKE_SOCK_V4 || i == IKE_SOCK_V4_NATT) ? AF_INET : AF_INET6,
			     natt ? s->natt_port : s->port, &pkt);
		pkt.natt = natt;
		pkt.data = s->rxbuf;
		pkt.len = (size_t)n;
		if (natt) {
			if (pkt.len == 1 && pkt.data[0] == 0xff)
				continue;       /* a keepalive the kernel let through */
			if (pkt.len < IKE_NON_ESP_MARKER_LEN ||
			    memcmp(pkt.data, non_esp_marker, IKE_NON_ESP_MARKER_LEN) != 0) {
				s->stats.rx_no_marker++;
				continue;
			}
			pkt.data += IKE_NON_ESP_MARKER_LEN;
			pkt.len -= IKE_NON_ESP_MARKER_LEN;
		}
		if (pkt.len < 28) {     /* shorter than an ISAKMP header */
			s->stats.rx_short++;
			continue;
		}
		s->stats.rx++;
		s->rx(s->rx_arg, &pkt);
	}
}

static int fd_for(const struct ike_sockets *s, int family, bool natt)
{
	if (family == AF_INET)
		return s->fd[natt ? IKE_SOCK_V4_NATT : IKE_SOCK_V4];
	return s->fd[natt ? IKE_SOCK_V6_NATT : IKE_SOCK_V6];
}

static int send_parts(struct ike_sockets *s, const union ikd_sockaddr *local,
		      const union ikd_sockaddr *peer, bool natt, struct iovec *iov, int niov)
{
	int fd = fd_for(s, peer->sa.sa_family, natt);
	if (fd < 0)
		return -EAFNOSUPPORT;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	memset(&cbuf, 0, sizeof cbuf);
	struct msghdr mh = {
		.msg_name = (void *)&peer->sa, .msg_namelen = ikd_addr_len(&peer->sa),
		.msg_iov = iov, .msg_iovlen = (size_t)niov,
	};
	if (local && local->sa.sa_family == peer->sa.sa_family && !ikd_addr_is_any(&local->sa)) {
		mh.msg_control = cbuf.buf;
		struct cmsghdr *c = (struct cmsghdr *)cbuf.buf;
		if (peer->sa.sa_family == AF_INET) {
			struct in_pktinfo pi = { .ipi_spec_dst = local->in.sin_addr };
			mh.msg_controllen = CMSG_SPACE(sizeof pi);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(c), &pi, sizeof pi);
		} else {
			struct in6_pktinfo pi = { .ipi6_addr = local->in6.sin6_addr };
			mh.msg_controllen = CMSG_SPACE(sizeof pi);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof pi);
			memcpy(CMSG_DATA(c), &pi, sizeof pi);
		}
	}
	if (sendmsg(fd, &mh, 0) < 0) {
		s->stats.tx_errors++;
		return -errno;
	}
	s->stats.tx++;
	return 0;
}

int ike_sockets_send(struct ike_sockets *s, const union ikd_sockaddr *local,
		     const union ikd_sockaddr *peer, bool natt, const uint8_t *data, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)non_esp_marker, .iov_len = IKE_NON_ESP_MARKER_LEN },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	return natt ? send_parts(s, local, peer, true, iov, 2)
		    : send_parts(s, local, peer, false, iov + 1, 1);
}

int ike_sockets_send_keepalive(struct ike_sockets *s, const union ikd_sockaddr *local,
			       const union ikd_sockaddr *peer)
{
	uint8_t ff = 0xff;
	struct iovec iov = { .iov_base = &ff, .iov_len = 1 };
	s->stats.keepalives++;
	return send_parts(s, local, peer, true, &iov, 1);
}
