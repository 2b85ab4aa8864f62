/*
 * The IKE UDP sockets: port 500 and the NAT-T port 4500, IPv4 and IPv6.
 *
 * Received packets come with the local address they were sent to (IP_PKTINFO /
 * IPV6_PKTINFO), so a multi-homed responder answers from the address the peer used, and
 * with the port they arrived on. On the NAT-T socket the kernel (UDP_ENCAP_ESPINUDP)
 * consumes ESP and keepalives itself and hands us only IKE, which starts with the
 * four-byte non-ESP marker; the marker is stripped here on receipt and added on sending,
 * so the rest of ikd never sees it.
 *
 * Each socket carries per-socket bypass policies (IKE itself is never IPsec-processed)
 * and optionally a fwmark (SO_MARK).
 */
#ifndef L2SEC_IKD_IKE_SOCKET_H
#define L2SEC_IKD_IKE_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "ikd/ikd_id.h"

/* Largest IKE datagram we read (bigger ones are truncated and dropped). */
#define IKE_PACKET_MAX 65535
#define IKE_NON_ESP_MARKER_LEN 4

struct ike_packet {
	union ikd_sockaddr local;       /* our address and port it arrived on */
	union ikd_sockaddr peer;        /* sender's address and port */
	int ifindex;
	bool natt;                      /* came through the NAT-T socket (marker stripped) */
	const uint8_t *data;
	size_t len;
};

typedef void (*ike_socket_rx_fn)(void *arg, const struct ike_packet *pkt);

enum { IKE_SOCK_V4 = 0, IKE_SOCK_V4_NATT, IKE_SOCK_V6, IKE_SOCK_V6_NATT, IKE_SOCK_COUNT };

struct ike_socket_stats {
	uint64_t rx, tx, rx_short, rx_no_marker, rx_truncated, tx_errors, keepalives;
};

struct ike_sockets {
	int fd[IKE_SOCK_COUNT];         /* -1 when not open */
	struct evloop_io io[IKE_SOCK_COUNT];
	uint16_t port, natt_port;
	ike_socket_rx_fn rx;
	void *rx_arg;
	uint8_t *rxbuf;                 /* IKE_PACKET_MAX bytes */
	struct ike_socket_stats stats;
};

struct ike_socket_opts {
	uint16_t port, natt_port;       /* 500, 4500 */
	bool ipv6;                      /* also open the IPv6 pair */
	uint32_t mark;                  /* SO_MARK, 0 = none */
	bool bypass;                    /* install per-socket bypass policies */
};

/*
 * Open and bind the sockets and start reading on loop (loop may be NULL: no watchers,
 * for tests that call ike_sockets_read()). Failure to open IPv6 is logged and tolerated
 * (an IPv4-only host); failure of the IPv4 pair is an error. Returns 0 or -errno.
 */
int ike_sockets_open(struct ike_sockets *s, struct evloop *loop,
		     const struct ike_socket_opts *opt, ike_socket_rx_fn rx, void *arg);
void ike_sockets_close(struct ike_sockets *s);

/* Read and dispatch what is pending on socket index i (what the watcher does). */
void ike_sockets_read(struct ike_sockets *s, int i);

/*
 * Send data to peer from local (its address; the port chooses nothing: natt does).
 * local may be NULL or a wildcard address (the kernel picks). natt: send from the NAT-T
 * socket with the non-ESP marker. Returns 0 or -errno.
 */
int ike_sockets_send(struct ike_sockets *s, const union ikd_sockaddr *local,
		     const union ikd_sockaddr *peer, bool natt, const uint8_t *data, size_t len);

/* A NAT-T keepalive (one 0xff byte, RFC 3948 section 2.3) from the NAT-T socket. */
int ike_sockets_send_keepalive(struct ike_sockets *s, const union ikd_sockaddr *local,
			       const union ikd_sockaddr *peer);

#endif
