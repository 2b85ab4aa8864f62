/*
 * UDP sockets for L2TP: the listener on :1701 and one connected socket per tunnel.
 *
 * Every tunnel gets its own UDP socket, bound to the same local address and port as the
 * listener (normally :1701) and connect()ed to the peer's address and port. The kernel
 * L2TP data path needs that: a tunnel created on a socket (L2TP_ATTR_FD) sends data only
 * while the socket is connected. All of them set SO_REUSEADDR, which lets UDP sockets
 * share a local port on Linux; for each datagram the kernel picks the socket that matches
 * best, so a connected tunnel socket wins over the wildcard listener for its peer, and
 * datagrams from unknown peers (a new SCCRQ) reach the listener.
 *
 * Many clients behind one NAT reach us from the same public address and port 1701 (in
 * IPsec transport mode the decapsulated L2TP packet carries the NAT's address), so their
 * tunnel sockets have identical 4-tuples. Linux >= 6.11 handles that in the data path
 * (see kernel_probe.h); control messages of those tunnels may arrive on any of the
 * sockets with that 4-tuple, so the daemon must demultiplex control messages by the
 * tunnel id in the L2TP header, not by the socket that received them. Outgoing packets
 * are told apart by their socket mark: each tunnel socket carries the SO_MARK of its
 * client's IPsec SA (the xfrm policy/state mark), so the right SA encrypts them.
 *
 * Cost: before Linux 6.13 connected UDP sockets sharing one local address and port sit in
 * one hash chain, so the kernel's socket look-up per received datagram grows with the
 * number of tunnels on that address.
 */
#ifndef L2SEC_L2TPD_UDP_SOCK_H
#define L2SEC_L2TPD_UDP_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define L2TP_UDP_PORT 1701

struct udp_sock_cfg {
	const struct sockaddr *local;   /* where to bind: address (may be any) and port */
	socklen_t local_len;
	const struct sockaddr *peer;    /* connect() here; NULL for the listener */
	socklen_t peer_len;
	uint32_t mark;                  /* SO_MARK (needs CAP_NET_ADMIN); 0 = none */
	bool reuseport;                 /* also SO_REUSEPORT (several processes sharing :1701) */
	bool pktinfo;                   /* IP_PKTINFO / IPV6_RECVPKTINFO: a wildcard listener
					 * learns the local address of each datagram */
};

/*
 * Open a UDP socket (non-blocking, close-on-exec; AF_INET6 ones are IPv6-only) as cfg
 * says. Returns the descriptor, owned by the caller, or -errno (-EPERM: SO_MARK without
 * CAP_NET_ADMIN; -EADDRINUSE: another program holds the port without SO_REUSEADDR).
 * local and peer must be of one family.
 */
int udp_sock_open(const struct udp_sock_cfg *cfg);

/* Set (or change: an SA was rekeyed with a new mark) the socket mark. 0 or -errno. */
int udp_sock_set_mark(int fd, uint32_t mark);

/*
 * Receive one datagram (MSG_DONTWAIT). from/fromlen may be NULL. *mark gets the packet's
 * mark (SO_RCVMARK, set on every socket udp_sock_open makes): for L2TP inside ESP, the
 * XFRM mark of the client's inbound SA, which tells apart clients behind one NAT; 0 when
 * unmarked or the kernel cannot say. Returns the length or -errno.
 */
ssize_t udp_sock_recv(int fd, void *buf, size_t len, struct sockaddr_storage *from,
		      socklen_t *fromlen, uint32_t *mark);

/* Fill a sockaddr_storage from "192.0.2.1" / "2001:db8::1" and a port. Returns the length
 * to pass with it, or -EINVAL. */
int udp_sock_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port);

#endif
