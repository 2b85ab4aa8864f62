/*
 * UDP sockets for L2TP tunnels. See udp_sock.h for why each option is set.
 */
#include "l2tpd/udp_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

static int setopt_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

int udp_sock_set_mark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ? -errno : 0;
}

static int udp_sock_options(int fd, const struct udp_sock_cfg *cfg, int family)
{
	int err = setopt_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);

	if (!err && cfg->reuseport)
		err = setopt_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!err && family == AF_INET6)
		err = setopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	if (!err && cfg->pktinfo)
		err = family == AF_INET6 ? setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
					 : setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	if (!err && cfg->mark)
		err = udp_sock_set_mark(fd, cfg->mark);
	/* Best effort: kernels before 6.0 lack it, and then every datagram reads as mark 0. */
	if (!err)
		setopt_int(fd, SOL_SOCKET, SO_RCVMARK, 1);
	return err;
}

ssize_t udp_sock_recv(int fd, void *buf, size_t len, struct sockaddr_storage *from,
		      socklen_t *fromlen, uint32_t *mark)
{
	/* room for IP(V6)_PKTINFO of a wildcard listener and the mark */
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_name = from, .msg_namelen = fromlen ? *fromlen : 0,
			     .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = c.buf, .msg_controllen = sizeof c.buf };
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);

	*mark = 0;
	if (n < 0)
		return -errno;
	if (fromlen)
		*fromlen = mh.msg_namelen;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_MARK &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t)))
			memcpy(mark, CMSG_DATA(cm), sizeof(uint32_t));
	return n;
}

int udp_sock_open(const struct udp_sock_cfg *cfg)
{
	int family, fd, err;

	if (!cfg->local || cfg->local_len < sizeof(sa_family_t))
		return -EINVAL;
	family = cfg->local->sa_family;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (cfg->peer && cfg->peer->sa_family != family)
		return -EINVAL;
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	err = udp_sock_options(fd, cfg, family);
	if (!err && bind(fd, cfg->local, cfg->local_len) < 0)
		err = -errno;
	if (!err && cfg->peer && connect(fd, cfg->peer, cfg->peer_len) < 0)
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int udp_sock_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return (int)sizeof(*sin);
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return (int)sizeof(*sin6);
	}
	return -EINVAL;
}
