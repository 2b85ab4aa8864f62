/*
 * Kernel xfrm events: a subscription socket (acquire, expire, SA and policy changes,
 * NAT mapping changes) and the parser that turns each message into a struct xfrm_event.
 *
 * Every message comes from the kernel, but it is still checked like network input: the
 * fixed header must fit, attributes are length-checked, unknown types are skipped.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm_codec.h"
#include "xfrm/xfrm_policy.h"
#include "xfrm/xfrm_sa.h"

#define EVENT_RX_SIZE (64 * 1024)

struct xfrm_events {
	struct mnl_socket *nl;
	uint8_t *rx;
};

/* p: the usersa_info inside the message (any alignment), NULL to take it from XFRMA_SA. */
static int parse_sa(const struct nlmsghdr *nlh, size_t hdrlen, const void *p,
		    struct xfrm_event *out)
{
	const struct nlattr *tb[XFRMA_MAX + 1];

	if (xfrm_attrs_parse(nlh, hdrlen, tb) < 0)
		return -EBADMSG;
	if (!p) {       /* DELSA: the state is in XFRMA_SA */
		if (!tb[XFRMA_SA])
			return -EBADMSG;
		p = mnl_attr_get_payload(tb[XFRMA_SA]);
	}
	xfrm_sa_decode(&out->sa, p, tb);
	out->owned = out->sa.owned;
	return 1;
}

static int parse_policy(const struct nlmsghdr *nlh, size_t hdrlen, const void *u,
			struct xfrm_event *out)
{
	const struct nlattr *tb[XFRMA_MAX + 1];

	if (xfrm_attrs_parse(nlh, hdrlen, tb) < 0)
		return -EBADMSG;
	if (!u) {       /* DELPOLICY: the policy is in XFRMA_POLICY */
		if (!tb[XFRMA_POLICY])
			return -EBADMSG;
		u = mnl_attr_get_payload(tb[XFRMA_POLICY]);
	}
	xfrm_policy_decode(&out->policy, &out->owned, u, tb);
	return 1;
}

static int parse_acquire(const struct nlmsghdr *nlh, struct xfrm_event *out)
{
	struct xfrm_user_acquire a;     /* aligned copy: it holds u64s */
	const struct nlattr *tb[XFRMA_MAX + 1];

	if (xfrm_attrs_parse(nlh, sizeof(a), tb) < 0)
		return -EBADMSG;
	memcpy(&a, mnl_nlmsg_get_payload(nlh), sizeof(a));
	xfrm_policy_decode(&out->policy, &out->owned, &a.policy, tb);
	/* The SA's outer family is the template's; the selector's is the flow's. */
	uint16_t family = a.sel.family;
	if (tb[XFRMA_TMPL])
		family = ((const struct xfrm_user_tmpl *)mnl_attr_get_payload(tb[XFRMA_TMPL]))->family;
	xfrm_addr_get(&out->acquire.src, &a.saddr, family);
	xfrm_addr_get(&out->acquire.dst, &a.id.daddr, family);
	out->acquire.seq = a.seq;
	out->acquire.policy_index = a.policy.index;
	return 1;
}

static int parse_mapping(const struct nlmsghdr *nlh, struct xfrm_event *out)
{
	struct xfrm_user_mapping copy;
	const struct xfrm_user_mapping *m = &copy;

	memcpy(&copy, mnl_nlmsg_get_payload(nlh), sizeof(copy));

	xfrm_addr_get(&out->mapping.dst, &m->id.daddr, m->id.family);
	xfrm_addr_get(&out->mapping.old_src, &m->old_saddr, m->id.family);
	xfrm_addr_get(&out->mapping.new_src, &m->new_saddr, m->id.family);
	out->mapping.old_sport = ntohs(m->old_sport);
	out->mapping.new_sport = ntohs(m->new_sport);
	out->mapping.spi = ntohl(m->id.spi);
	out->owned = xfrm_reqid_is_owned(m->reqid);
	out->mapping.reqid = out->owned ? m->reqid & XFRM_REQID_MAX : m->reqid;
	return 1;
}

/* Minimum fixed-header length per message type; 0 = not an event we report. */
static size_t header_len(uint16_t type)
{
	switch (type) {
	case XFRM_MSG_EXPIRE: return sizeof(struct xfrm_user_expire);
	case XFRM_MSG_ACQUIRE: return sizeof(struct xfrm_user_acquire);
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA: return sizeof(struct xfrm_usersa_info);
	case XFRM_MSG_DELSA: return sizeof(struct xfrm_usersa_id);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY: return sizeof(struct xfrm_userpolicy_info);
	case XFRM_MSG_DELPOLICY: return sizeof(struct xfrm_userpolicy_id);
	case XFRM_MSG_POLEXPIRE: return sizeof(struct xfrm_user_polexpire);
	case XFRM_MSG_FLUSHSA: return sizeof(struct xfrm_usersa_flush);
	case XFRM_MSG_FLUSHPOLICY: return 0 + 1;       /* no payload needed */
	case XFRM_MSG_MAPPING: return sizeof(struct xfrm_user_mapping);
	default: return 0;
	}
}

int xfrm_event_parse(const void *msg, size_t len, struct xfrm_event *out)
{
	const struct nlmsghdr *nlh = msg;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return -EBADMSG;
	size_t need = header_len(nlh->nlmsg_type);
	if (need == 0)
		return 0;
	if (nlh->nlmsg_type == XFRM_MSG_FLUSHPOLICY)
		need = 0;
	if (mnl_nlmsg_get_payload_len(nlh) < need)
		return -EBADMSG;
	const void *p = mnl_nlmsg_get_payload(nlh);

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_EXPIRE:
		out->kind = XFRM_EV_EXPIRE;
		out->hard = ((const uint8_t *)p)[offsetof(struct xfrm_user_expire, hard)] != 0;
		return parse_sa(nlh, need, p, out);
	case XFRM_MSG_ACQUIRE:
		out->kind = XFRM_EV_ACQUIRE;
		return parse_acquire(nlh, out);
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		out->kind = XFRM_EV_NEWSA;
		return parse_sa(nlh, need, p, out);
	case XFRM_MSG_DELSA:
		out->kind = XFRM_EV_DELSA;
		return parse_sa(nlh, need, NULL, out);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		out->kind = XFRM_EV_NEWPOLICY;
		return parse_policy(nlh, need, p, out);
	case XFRM_MSG_DELPOLICY:
		out->kind = XFRM_EV_DELPOLICY;
		return parse_policy(nlh, need, NULL, out);
	case XFRM_MSG_POLEXPIRE:
		out->kind = XFRM_EV_POLEXPIRE;
		out->hard = ((const uint8_t *)p)[offsetof(struct xfrm_user_polexpire, hard)] != 0;
		return parse_policy(nlh, need, p, out);
	case XFRM_MSG_FLUSHSA:
		out->kind = XFRM_EV_FLUSHSA;
		return 1;
	case XFRM_MSG_FLUSHPOLICY:
		out->kind = XFRM_EV_FLUSHPOLICY;
		return 1;
	case XFRM_MSG_MAPPING:
		out->kind = XFRM_EV_MAPPING;
		return parse_mapping(nlh, out);
	}
	return 0;
}

const char *xfrm_event_kind_name(enum xfrm_event_kind kind)
{
	switch (kind) {
	case XFRM_EV_EXPIRE: return "expire";
	case XFRM_EV_ACQUIRE: return "acquire";
	case XFRM_EV_NEWSA: return "newsa";
	case XFRM_EV_DELSA: return "delsa";
	case XFRM_EV_NEWPOLICY: return "newpolicy";
	case XFRM_EV_DELPOLICY: return "delpolicy";
	case XFRM_EV_POLEXPIRE: return "polexpire";
	case XFRM_EV_FLUSHSA: return "flushsa";
	case XFRM_EV_FLUSHPOLICY: return "flushpolicy";
	case XFRM_EV_MAPPING: return "mapping";
	case XFRM_EV_OVERRUN: return "overrun";
	}
	return "unknown";
}

static const struct {
	unsigned int bit;
	unsigned int group;
} group_map[] = {
	{ XFRM_EVGRP_ACQUIRE, XFRMNLGRP_ACQUIRE },
	{ XFRM_EVGRP_EXPIRE, XFRMNLGRP_EXPIRE },
	{ XFRM_EVGRP_SA, XFRMNLGRP_SA },
	{ XFRM_EVGRP_POLICY, XFRMNLGRP_POLICY },
	{ XFRM_EVGRP_MAPPING, XFRMNLGRP_MAPPING },
};

/* *out is allocated here and owned by the caller: xfrm_events_close(). */
int xfrm_events_open(struct xfrm_events **out, unsigned int groups)
{
	struct xfrm_events *ev = calloc(1, sizeof(*ev));
	int rc = 0;

	*out = NULL;
	if (!ev || !(ev->rx = malloc(EVENT_RX_SIZE))) {
		free(ev);
		return -ENOMEM;
	}
	ev->nl = mnl_socket_open2(NETLINK_XFRM, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!ev->nl || mnl_socket_bind(ev->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	for (size_t i = 0; rc == 0 && i < sizeof(group_map) / sizeof(group_map[0]); i++) {
		int g = (int)group_map[i].group;
		if ((groups & group_map[i].bit) &&
		    mnl_socket_setsockopt(ev->nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		xfrm_events_close(ev);
		return rc;
	}
	/* A burst of expiries (10,000 SAs added together expire together) must not overrun. */
	int size = 16 * 1024 * 1024, fd = mnl_socket_get_fd(ev->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	*out = ev;
	return 0;
}

void xfrm_events_close(struct xfrm_events *ev)
{
	if (!ev)
		return;
	if (ev->nl)
		mnl_socket_close(ev->nl);
	free(ev->rx);
	free(ev);
}

int xfrm_events_fd(const struct xfrm_events *ev)
{
	return mnl_socket_get_fd(ev->nl);
}

int xfrm_events_read(struct xfrm_events *ev, void (*fn)(const struct xfrm_event *, void *),
		     void *arg)
{
	struct xfrm_event e;
	int count = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(ev->nl, ev->rx, EVENT_RX_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			if (errno != ENOBUFS)
				return -errno;
			memset(&e, 0, sizeof(e));
			e.kind = XFRM_EV_OVERRUN;
			fn(&e, arg);
			count++;
			continue;
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)ev->rx;
		int left = (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_pid != 0)
				continue;       /* only the kernel sends events */
			if (xfrm_event_parse(nlh, (size_t)left, &e) == 1) {
				fn(&e, arg);
				count++;
			}
		}
		explicit_bzero(ev->rx, (size_t)n);      /* SA notifications carry keys */
		explicit_bzero(&e, sizeof(e));
	}
}
