/*
 * Synchronous netlink requests (shared with kernel_l2tp.c) and rtnetlink link, address,
 * route and counter calls for l2tpd's PPP interfaces. See rtnl.h.
 */
#include "l2tpd/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* ---- the request loop ---------------------------------------------------------------- */

int knl_open(struct knl *k, int bus)
{
	int one = 1;
	int err;

	memset(k, 0, sizeof(*k));
	k->rxbuf = malloc(KNL_RECV_SIZE);
	if (!k->rxbuf)
		return -ENOMEM;
	k->nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!k->nl) {
		err = -errno;
		goto fail;
	}
	if (mnl_socket_bind(k->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto fail;
	}
	/* Best effort: older kernels lack them, and the errno alone still says enough. */
	(void)mnl_socket_setsockopt(k->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(k->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	k->portid = mnl_socket_get_portid(k->nl);
	k->seq = (uint32_t)time(NULL);
	return 0;
fail:
	knl_close(k);
	return err;
}

void knl_close(struct knl *k)
{
	if (k->nl)
		mnl_socket_close(k->nl);
	k->nl = NULL;
	free(k->rxbuf);
	k->rxbuf = NULL;
}

struct knl_run {
	struct knl *k;
	mnl_cb_t cb;
	void *data;
	bool cb_stopped;        /* the caller's callback stopped a dump: drain the rest */
	int cb_errno;
};

static int knl_ext_ack_attr(const struct nlattr *a, void *data)
{
	struct knl *k = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(k->errmsg, sizeof(k->errmsg), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int knl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl_run *run = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t payload = mnl_nlmsg_get_payload_len(nlh);
	size_t off;

	if (payload < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(struct nlmsghdr);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < payload)
		(void)mnl_attr_parse(nlh, (unsigned int)off, knl_ext_ack_attr, run->k);
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static int knl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	int dump_err = 0;

	/* A dump that failed part-way reports its error in NLMSG_DONE's payload. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&dump_err, mnl_nlmsg_get_payload(nlh), sizeof(int));
	if (dump_err < 0) {
		errno = -dump_err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int knl_noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static int knl_overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

static int knl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct knl_run *run = data;
	int ret;

	if (!run->cb || run->cb_stopped)
		return MNL_CB_OK;
	errno = 0;
	ret = run->cb(nlh, run->data);
	if (ret == MNL_CB_ERROR) {
		run->cb_errno = errno ? errno : EBADMSG;
		run->cb_stopped = true;
	} else if (ret == MNL_CB_STOP) {
		run->cb_stopped = true;
	}
	/* Keep reading up to the ack/DONE so that the next request starts clean. */
	return MNL_CB_OK;
}

int knl_request(struct knl *k, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = knl_noop_cb,
		[NLMSG_ERROR] = knl_error_cb,
		[NLMSG_DONE] = knl_done_cb,
		[NLMSG_OVERRUN] = knl_overrun_cb,
	};
	struct knl_run run = { .k = k, .cb = cb, .data = data };
	uint32_t seq;

	if (!k->nl)
		return -EBADF;
	k->errmsg[0] = '\0';
	seq = ++k->seq;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(k->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(k->nl, k->rxbuf, KNL_RECV_SIZE);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run2(k->rxbuf, (size_t)n, seq, k->portid, knl_data_cb, &run,
				  ctl, NLMSG_MIN_TYPE);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
		if (ret == MNL_CB_STOP)
			return run.cb_errno ? -run.cb_errno : 0;
	}
}

int knl_u32_push(uint32_t **items, size_t *n, size_t *cap, uint32_t v)
{
	if (*n == *cap) {
		size_t grown = *cap ? *cap * 2 : 64;
		uint32_t *p = realloc(*items, grown * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*items = p;
		*cap = grown;
	}
	(*items)[(*n)++] = v;
	return 0;
}

int knl_ip_parse(struct knl_ip *ip, const char *text)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, text, &ip->v4) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &ip->v6) == 1) {
		ip->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static size_t knl_ip_len(const struct knl_ip *ip)
{
	return ip->family == AF_INET ? sizeof(ip->v4) : ip->family == AF_INET6 ? sizeof(ip->v6) : 0;
}

/* ---- rtnetlink builders ------------------------------------------------------------- */

static struct nlmsghdr *rtnl_hdr(void *buf, size_t size, uint16_t type, uint16_t flags,
				 size_t extra)
{
	struct nlmsghdr *nlh;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra))
		return NULL;
	/* libmnl 1.0.4 leaves attribute padding as it finds it: send no stale bytes. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static struct ifinfomsg *rtnl_ifinfo(struct nlmsghdr *nlh, int ifindex)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return ifi;
}

struct nlmsghdr *rtnl_msg_ppp_newlink(void *buf, size_t size, int ppp_fd, const char *ifname)
{
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo, *data;

	nlh = rtnl_hdr(buf, size, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
		       sizeof(struct ifinfomsg));
	if (!nlh || !ifname || strlen(ifname) >= IFNAMSIZ)
		return NULL;
	rtnl_ifinfo(nlh, 0);
	if (!mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, ifname))
		return NULL;
	linkinfo = mnl_attr_nest_start_check(nlh, size, IFLA_LINKINFO);
	if (!linkinfo || !mnl_attr_put_strz_check(nlh, size, IFLA_INFO_KIND, "ppp"))
		return NULL;
	data = mnl_attr_nest_start_check(nlh, size, IFLA_INFO_DATA);
	if (!data || !mnl_attr_put_u32_check(nlh, size, IFLA_PPP_DEV_FD, (uint32_t)ppp_fd))
		return NULL;
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

struct nlmsghdr *rtnl_msg_link_change(void *buf, size_t size, int ifindex,
				      const struct rtnl_link_change *c)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = rtnl_hdr(buf, size, RTM_SETLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	if (!nlh || ifindex <= 0)
		return NULL;
	ifi = rtnl_ifinfo(nlh, ifindex);
	if (c->up >= 0) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = c->up ? IFF_UP : 0;
	}
	if (c->mtu && !mnl_attr_put_u32_check(nlh, size, IFLA_MTU, c->mtu))
		return NULL;
	if (c->ifname && (strlen(c->ifname) >= IFNAMSIZ ||
			  !mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, c->ifname)))
		return NULL;
	return nlh;
}

struct nlmsghdr *rtnl_msg_link_delete(void *buf, size_t size, int ifindex)
{
	struct nlmsghdr *nlh = rtnl_hdr(buf, size, RTM_DELLINK, NLM_F_ACK, sizeof(struct ifinfomsg));

	if (!nlh || ifindex <= 0)
		return NULL;
	rtnl_ifinfo(nlh, ifindex);
	return nlh;
}

struct nlmsghdr *rtnl_msg_link_get(void *buf, size_t size, int ifindex, const char *ifname)
{
	struct nlmsghdr *nlh = rtnl_hdr(buf, size, RTM_GETLINK, NLM_F_ACK, sizeof(struct ifinfomsg));

	if (!nlh)
		return NULL;
	rtnl_ifinfo(nlh, ifindex);
	if (ifname && (strlen(ifname) >= IFNAMSIZ ||
		       !mnl_attr_put_strz_check(nlh, size, IFLA_IFNAME, ifname)))
		return NULL;
	return nlh;
}

struct nlmsghdr *rtnl_msg_addr_ptp(void *buf, size_t size, uint16_t cmd, int ifindex,
				   const struct knl_ip *local, const struct knl_ip *peer)
{
	uint16_t flags = cmd == RTM_NEWADDR ? NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE : NLM_F_ACK;
	struct nlmsghdr *nlh = rtnl_hdr(buf, size, cmd, flags, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa;
	size_t alen = knl_ip_len(local);

	if (!nlh || ifindex <= 0 || !alen || local->family != peer->family)
		return NULL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = local->family;
	ifa->ifa_prefixlen = (uint8_t)(alen * 8);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	if (!mnl_attr_put_check(nlh, size, IFA_LOCAL, alen, &local->v4) ||
	    !mnl_attr_put_check(nlh, size, IFA_ADDRESS, alen, &peer->v4))
		return NULL;
	return nlh;
}

struct nlmsghdr *rtnl_msg_route(void *buf, size_t size, uint16_t cmd, int ifindex,
				const struct knl_ip *dst, uint8_t plen)
{
	uint16_t flags = cmd == RTM_NEWROUTE ? NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE : NLM_F_ACK;
	struct nlmsghdr *nlh = rtnl_hdr(buf, size, cmd, flags, sizeof(struct rtmsg));
	struct rtmsg *rtm;
	size_t alen = knl_ip_len(dst);

	if (!nlh || ifindex <= 0 || !alen || plen > alen * 8)
		return NULL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (!mnl_attr_put_check(nlh, size, RTA_DST, alen, &dst->v4) ||
	    !mnl_attr_put_u32_check(nlh, size, RTA_OIF, (uint32_t)ifindex))
		return NULL;
	return nlh;
}

/* ---- parsing RTM_NEWLINK ---------------------------------------------------------- */

static int rtnl_linkinfo_attr(const struct nlattr *a, void *data)
{
	struct rtnl_link_info *out = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(out->kind, sizeof(out->kind), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static void rtnl_copy_stats64(const struct nlattr *a, struct rtnl_counters *s)
{
	struct rtnl_link_stats64 st;
	size_t len = mnl_attr_get_payload_len(a);

	/* The struct grew over kernel versions; the counters we read are at its start. */
	memset(&st, 0, sizeof(st));
	memcpy(&st, mnl_attr_get_payload(a), len < sizeof(st) ? len : sizeof(st));
	s->rx_packets = st.rx_packets;
	s->tx_packets = st.tx_packets;
	s->rx_bytes = st.rx_bytes;
	s->tx_bytes = st.tx_bytes;
	s->rx_errors = st.rx_errors;
	s->tx_errors = st.tx_errors;
	s->rx_dropped = st.rx_dropped;
	s->tx_dropped = st.tx_dropped;
}

static int rtnl_link_attr(const struct nlattr *a, void *data)
{
	struct rtnl_link_info *out = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(out->ifname, sizeof(out->ifname), "%s", mnl_attr_get_str(a));
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		out->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_parse_nested(a, rtnl_linkinfo_attr, out) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_STATS64:
		/* rx/tx packets, bytes, errors, dropped: the first eight u64s. */
		if (mnl_attr_get_payload_len(a) < 8 * sizeof(uint64_t))
			return MNL_CB_ERROR;
		rtnl_copy_stats64(a, &out->stats);
		out->has_stats = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int rtnl_parse_link(const struct nlmsghdr *nlh, struct rtnl_link_info *out)
{
	const struct ifinfomsg *ifi;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifi), rtnl_link_attr, out) < 0)
		return -EBADMSG;
	return 0;
}

/* ---- rtnetlink calls ---------------------------------------------------------------- */

int rtnl_open(struct rtnl *r)
{
	return knl_open(&r->k, NETLINK_ROUTE);
}

void rtnl_close(struct rtnl *r)
{
	knl_close(&r->k);
}

static int rtnl_send(struct rtnl *r, struct nlmsghdr *nlh)
{
	if (!nlh)
		return -EINVAL;
	return knl_request(&r->k, nlh, NULL, NULL);
}

int rtnl_ppp_create(struct rtnl *r, int ppp_fd, const char *ifname)
{
	uint8_t buf[256];

	return rtnl_send(r, rtnl_msg_ppp_newlink(buf, sizeof(buf), ppp_fd, ifname));
}

int rtnl_link_change(struct rtnl *r, int ifindex, const struct rtnl_link_change *c)
{
	uint8_t buf[256];

	return rtnl_send(r, rtnl_msg_link_change(buf, sizeof(buf), ifindex, c));
}

int rtnl_link_set_up(struct rtnl *r, int ifindex, bool up)
{
	struct rtnl_link_change c = { .up = up ? 1 : 0 };

	return rtnl_link_change(r, ifindex, &c);
}

int rtnl_link_set_mtu(struct rtnl *r, int ifindex, uint32_t mtu)
{
	struct rtnl_link_change c = { .up = -1, .mtu = mtu };

	if (!mtu)
		return -EINVAL;
	return rtnl_link_change(r, ifindex, &c);
}

int rtnl_link_rename(struct rtnl *r, int ifindex, const char *ifname)
{
	struct rtnl_link_change c = { .up = -1, .ifname = ifname };

	return rtnl_link_change(r, ifindex, &c);
}

int rtnl_link_delete(struct rtnl *r, int ifindex)
{
	uint8_t buf[64];

	return rtnl_send(r, rtnl_msg_link_delete(buf, sizeof(buf), ifindex));
}

static int rtnl_link_one_cb(const struct nlmsghdr *nlh, void *data)
{
	if (rtnl_parse_link(nlh, data) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int rtnl_link_get(struct rtnl *r, int ifindex, const char *ifname, struct rtnl_link_info *out)
{
	uint8_t buf[128];
	struct nlmsghdr *nlh = rtnl_msg_link_get(buf, sizeof(buf), ifindex, ifname);
	int err;

	if (!nlh)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	err = knl_request(&r->k, nlh, rtnl_link_one_cb, out);
	if (err == 0 && out->ifindex == 0)
		err = -ENODEV;
	return err;
}

int rtnl_link_counters(struct rtnl *r, int ifindex, struct rtnl_counters *out)
{
	struct rtnl_link_info info;
	int err = rtnl_link_get(r, ifindex, NULL, &info);

	if (err)
		return err;
	if (!info.has_stats)
		return -ENODATA;
	*out = info.stats;
	return 0;
}

struct rtnl_dump_ctx {
	rtnl_link_fn fn;
	void *arg;
	int result;
};

static int rtnl_link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_dump_ctx *ctx = data;
	struct rtnl_link_info info;

	if (rtnl_parse_link(nlh, &info) < 0)
		return MNL_CB_OK;       /* skip what we cannot read; the others still count */
	ctx->result = ctx->fn(&info, ctx->arg);
	return ctx->result ? MNL_CB_STOP : MNL_CB_OK;
}

int rtnl_link_dump(struct rtnl *r, rtnl_link_fn fn, void *arg)
{
	uint8_t buf[64];
	struct rtnl_dump_ctx ctx = { .fn = fn, .arg = arg };
	struct nlmsghdr *nlh = rtnl_hdr(buf, sizeof(buf), RTM_GETLINK, NLM_F_DUMP,
					sizeof(struct ifinfomsg));
	int err;

	rtnl_ifinfo(nlh, 0);
	err = knl_request(&r->k, nlh, rtnl_link_dump_cb, &ctx);
	return err ? err : ctx.result;
}

int rtnl_addr_add_ptp(struct rtnl *r, int ifindex, const struct knl_ip *local,
		      const struct knl_ip *peer)
{
	uint8_t buf[128];

	return rtnl_send(r, rtnl_msg_addr_ptp(buf, sizeof(buf), RTM_NEWADDR, ifindex, local, peer));
}

int rtnl_addr_del_ptp(struct rtnl *r, int ifindex, const struct knl_ip *local,
		      const struct knl_ip *peer)
{
	uint8_t buf[128];

	return rtnl_send(r, rtnl_msg_addr_ptp(buf, sizeof(buf), RTM_DELADDR, ifindex, local, peer));
}

int rtnl_route_add(struct rtnl *r, int ifindex, const struct knl_ip *dst, uint8_t plen)
{
	uint8_t buf[128];

	return rtnl_send(r, rtnl_msg_route(buf, sizeof(buf), RTM_NEWROUTE, ifindex, dst, plen));
}

int rtnl_route_del(struct rtnl *r, int ifindex, const struct knl_ip *dst, uint8_t plen)
{
	uint8_t buf[128];

	return rtnl_send(r, rtnl_msg_route(buf, sizeof(buf), RTM_DELROUTE, ifindex, dst, plen));
}
