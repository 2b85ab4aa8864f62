/*
 * Synchronous netlink requests, and the rtnetlink calls l2tpd needs for a PPP interface:
 * create it named, bring it up, set its MTU, rename it, give it a point-to-point address,
 * add routes through it, read its counters, list and delete interfaces.
 *
 * The first half (struct knl) is the request loop that kernel_l2tp.c shares: one netlink
 * socket, one request at a time, every change sent with NLM_F_ACK and the kernel's answer
 * (including its extended-ack text, "Unknown device type" and the like) kept for the log.
 * These calls block on the kernel, not on the network: the kernel answers in microseconds,
 * so l2tpd calls them from its event loop directly.
 *
 * Every rtnl_msg_* builder writes one request into a caller's buffer and returns its
 * header, or NULL when it does not fit; the unit tests check their layout byte by byte.
 */
#ifndef L2SEC_L2TPD_RTNL_H
#define L2SEC_L2TPD_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <net/if.h>
#include <libmnl/libmnl.h>

/* Size of the receive buffer of a request: enough for a dump batch of the kernel's. */
#define KNL_RECV_SIZE 32768
#define KNL_ERRMSG_MAX 128

struct knl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	void *rxbuf;            /* KNL_RECV_SIZE bytes, owned */
	/* The kernel's extended-ack text of the last failed request, or "". */
	char errmsg[KNL_ERRMSG_MAX];
};

/* Open a netlink socket of the given bus (NETLINK_ROUTE, NETLINK_GENERIC). 0 or -errno. */
int knl_open(struct knl *k, int bus);
/* Close it; safe on a zeroed or already-closed struct. */
void knl_close(struct knl *k);

/*
 * Send nlh (its nlmsg_seq is set here) and read answers until the kernel's ack, an
 * error, or NLMSG_DONE of a dump. Each data message goes to cb (may be NULL), which
 * returns MNL_CB_OK to go on, MNL_CB_STOP, or MNL_CB_ERROR with errno set.
 * Returns 0, or -errno of the kernel (k->errmsg then holds its text if it sent one).
 */
int knl_request(struct knl *k, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/* Append v to a growing array (the sweeps collect ids during a dump, act after it).
 * *items is owned by the caller, who frees it. 0 or -ENOMEM. */
int knl_u32_push(uint32_t **items, size_t *n, size_t *cap, uint32_t v);

/* An IPv4 or IPv6 address. */
struct knl_ip {
	uint8_t family;         /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* Parse "192.0.2.1" or "2001:db8::1". 0 or -EINVAL. */
int knl_ip_parse(struct knl_ip *ip, const char *text);

/* ---- rtnetlink ----------------------------------------------------------------------- */

struct rtnl {
	struct knl k;
};

int rtnl_open(struct rtnl *r);
void rtnl_close(struct rtnl *r);

/* What one RTM_SETLINK changes; zero/NULL/-1 fields are left alone. */
struct rtnl_link_change {
	int up;                 /* 1 up, 0 down, -1 unchanged */
	uint32_t mtu;           /* 0 = unchanged */
	const char *ifname;     /* new name, NULL = unchanged (the link must be down) */
};

struct rtnl_counters {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_errors, tx_errors;
	uint64_t rx_dropped, tx_dropped;
};

struct rtnl_link_info {
	int ifindex;
	char ifname[IFNAMSIZ];
	char kind[16];          /* IFLA_INFO_KIND ("ppp", "veth"...), "" when absent */
	unsigned int flags;     /* IFF_* */
	uint32_t mtu;
	bool has_stats;
	struct rtnl_counters stats;   /* from IFLA_STATS64 */
};

/* Create a PPP interface named ifname for the unattached /dev/ppp descriptor ppp_fd
 * (RTM_NEWLINK kind "ppp", IFLA_PPP_DEV_FD). -EEXIST when the name is taken. */
int rtnl_ppp_create(struct rtnl *r, int ppp_fd, const char *ifname);
int rtnl_link_change(struct rtnl *r, int ifindex, const struct rtnl_link_change *c);
int rtnl_link_set_up(struct rtnl *r, int ifindex, bool up);
int rtnl_link_set_mtu(struct rtnl *r, int ifindex, uint32_t mtu);
int rtnl_link_rename(struct rtnl *r, int ifindex, const char *ifname);
int rtnl_link_delete(struct rtnl *r, int ifindex);
/* Look a link up by index (ifname NULL) or by name (ifindex 0). -ENODEV if absent. */
int rtnl_link_get(struct rtnl *r, int ifindex, const char *ifname, struct rtnl_link_info *out);
/* Bytes and packets of a link (IFLA_STATS64): per-session accounting. */
int rtnl_link_counters(struct rtnl *r, int ifindex, struct rtnl_counters *out);
/* Call fn for every link; fn returns 0 to go on, anything else stops and is returned. */
typedef int (*rtnl_link_fn)(const struct rtnl_link_info *link, void *arg);
int rtnl_link_dump(struct rtnl *r, rtnl_link_fn fn, void *arg);

/* Point-to-point address: local/32 (/128) with the peer as IFA_ADDRESS, which also makes
 * the kernel install the host route to the peer through the interface. Add replaces an
 * existing identical address (idempotent on re-adoption after a restart). */
int rtnl_addr_add_ptp(struct rtnl *r, int ifindex, const struct knl_ip *local,
		      const struct knl_ip *peer);
int rtnl_addr_del_ptp(struct rtnl *r, int ifindex, const struct knl_ip *local,
		      const struct knl_ip *peer);
/* A route to dst/plen through the interface (no gateway: the link is point-to-point), in
 * the main table, protocol static. */
int rtnl_route_add(struct rtnl *r, int ifindex, const struct knl_ip *dst, uint8_t plen);
int rtnl_route_del(struct rtnl *r, int ifindex, const struct knl_ip *dst, uint8_t plen);

/* ---- builders and parser, exposed for the unit tests ---------------------------------- */
struct nlmsghdr *rtnl_msg_ppp_newlink(void *buf, size_t size, int ppp_fd, const char *ifname);
struct nlmsghdr *rtnl_msg_link_change(void *buf, size_t size, int ifindex,
				      const struct rtnl_link_change *c);
struct nlmsghdr *rtnl_msg_link_delete(void *buf, size_t size, int ifindex);
struct nlmsghdr *rtnl_msg_link_get(void *buf, size_t size, int ifindex, const char *ifname);
/* cmd is RTM_NEWADDR or RTM_DELADDR; local and peer must be of one family. */
struct nlmsghdr *rtnl_msg_addr_ptp(void *buf, size_t size, uint16_t cmd, int ifindex,
				   const struct knl_ip *local, const struct knl_ip *peer);
/* cmd is RTM_NEWROUTE or RTM_DELROUTE. */
struct nlmsghdr *rtnl_msg_route(void *buf, size_t size, uint16_t cmd, int ifindex,
				const struct knl_ip *dst, uint8_t plen);
/* Parse one RTM_NEWLINK message. 0, or -EBADMSG when it is malformed. */
int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_info *out);

#endif
