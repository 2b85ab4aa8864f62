/*
 * Generic-netlink "l2tp": tunnels and sessions of the kernel's L2TP data path.
 * See kernel_l2tp.h for the lifetime rules.
 */
#include "l2tpd/kernel_l2tp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/l2tp.h>
#include <linux/netlink.h>

/* ---- builders ---------------------------------------------------------------------- */

/* Every request that is not a dump carries NLM_F_ACK: knl_request reads up to the ack,
 * so the answer to a GET is its data message followed by the ack. */
static struct nlmsghdr *genl_hdr(void *buf, size_t size, uint16_t family, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	if (size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		return NULL;
	/* libmnl 1.0.4 leaves attribute padding as it finds it: send no stale bytes. */
	memset(buf, 0, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *kl2tp_msg_getfamily(void *buf, size_t size)
{
	struct nlmsghdr *nlh = genl_hdr(buf, size, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);

	if (!nlh || !mnl_attr_put_strz_check(nlh, size, CTRL_ATTR_FAMILY_NAME, L2TP_GENL_NAME))
		return NULL;
	return nlh;
}

struct nlmsghdr *kl2tp_msg_tunnel_create(void *buf, size_t size, uint16_t family,
					 const struct kl2tp_tunnel_cfg *cfg)
{
	struct nlmsghdr *nlh = genl_hdr(buf, size, family, L2TP_CMD_TUNNEL_CREATE,
					L2TP_GENL_VERSION, NLM_F_ACK);

	if (!nlh || cfg->fd < 0 || (cfg->version != 2 && cfg->version != 3) || !cfg->tunnel_id)
		return NULL;
	/* L2TPv2 ids are 16 bits on the wire. */
	if (cfg->version == 2 && (cfg->tunnel_id > 0xffff || cfg->peer_tunnel_id > 0xffff))
		return NULL;
	if (!mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_CONN_ID, cfg->tunnel_id) ||
	    !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_PEER_CONN_ID, cfg->peer_tunnel_id) ||
	    !mnl_attr_put_u8_check(nlh, size, L2TP_ATTR_PROTO_VERSION, cfg->version) ||
	    !mnl_attr_put_u16_check(nlh, size, L2TP_ATTR_ENCAP_TYPE, L2TP_ENCAPTYPE_UDP) ||
	    !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_FD, (uint32_t)cfg->fd))
		return NULL;
	return nlh;
}

struct nlmsghdr *kl2tp_msg_tunnel_id(void *buf, size_t size, uint16_t family, uint8_t cmd,
				     uint32_t tunnel_id, bool dump)
{
	uint16_t flags = dump ? NLM_F_DUMP : NLM_F_ACK;
	struct nlmsghdr *nlh = genl_hdr(buf, size, family, cmd, L2TP_GENL_VERSION, flags);

	if (!nlh)
		return NULL;
	if (!dump && !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_CONN_ID, tunnel_id))
		return NULL;
	return nlh;
}

struct nlmsghdr *kl2tp_msg_session_create(void *buf, size_t size, uint16_t family,
					  const struct kl2tp_session_cfg *cfg)
{
	struct nlmsghdr *nlh = genl_hdr(buf, size, family, L2TP_CMD_SESSION_CREATE,
					L2TP_GENL_VERSION, NLM_F_ACK);

	if (!nlh || !cfg->tunnel_id || !cfg->session_id)
		return NULL;
	if (!mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_CONN_ID, cfg->tunnel_id) ||
	    !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_SESSION_ID, cfg->session_id) ||
	    !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_PEER_SESSION_ID, cfg->peer_session_id) ||
	    !mnl_attr_put_u16_check(nlh, size, L2TP_ATTR_PW_TYPE, L2TP_PWTYPE_PPP) ||
	    !mnl_attr_put_u8_check(nlh, size, L2TP_ATTR_RECV_SEQ, cfg->recv_seq) ||
	    !mnl_attr_put_u8_check(nlh, size, L2TP_ATTR_SEND_SEQ, cfg->send_seq) ||
	    !mnl_attr_put_u8_check(nlh, size, L2TP_ATTR_LNS_MODE, cfg->lns_mode))
		return NULL;
	if (cfg->reorder_timeout_ms &&
	    !mnl_attr_put_u64_check(nlh, size, L2TP_ATTR_RECV_TIMEOUT, cfg->reorder_timeout_ms))
		return NULL;
	return nlh;
}

struct nlmsghdr *kl2tp_msg_session_id(void *buf, size_t size, uint16_t family, uint8_t cmd,
				      uint32_t tunnel_id, uint32_t session_id, bool dump)
{
	uint16_t flags = dump ? NLM_F_DUMP : NLM_F_ACK;
	struct nlmsghdr *nlh = genl_hdr(buf, size, family, cmd, L2TP_GENL_VERSION, flags);

	if (!nlh)
		return NULL;
	if (!dump && (!mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_CONN_ID, tunnel_id) ||
		      !mnl_attr_put_u32_check(nlh, size, L2TP_ATTR_SESSION_ID, session_id)))
		return NULL;
	return nlh;
}

/* ---- parsers ---------------------------------------------------------------------- */

static int kl2tp_family_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		*(uint16_t *)data = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

int kl2tp_parse_family(const struct nlmsghdr *nlh, uint16_t *family)
{
	*family = 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), kl2tp_family_attr, family) < 0 ||
	    *family == 0)
		return -EBADMSG;
	return 0;
}

/* Expected payload length of each attribute we read; 0 = we do not read it. */
static const uint8_t kl2tp_attr_len[L2TP_ATTR_MAX + 1] = {
	[L2TP_ATTR_PW_TYPE] = 2,        [L2TP_ATTR_ENCAP_TYPE] = 2,
	[L2TP_ATTR_PROTO_VERSION] = 1,  [L2TP_ATTR_CONN_ID] = 4,
	[L2TP_ATTR_PEER_CONN_ID] = 4,   [L2TP_ATTR_SESSION_ID] = 4,
	[L2TP_ATTR_PEER_SESSION_ID] = 4, [L2TP_ATTR_RECV_SEQ] = 1,
	[L2TP_ATTR_SEND_SEQ] = 1,       [L2TP_ATTR_LNS_MODE] = 1,
	[L2TP_ATTR_IP_SADDR] = 4,       [L2TP_ATTR_IP_DADDR] = 4,
	[L2TP_ATTR_UDP_SPORT] = 2,      [L2TP_ATTR_UDP_DPORT] = 2,
	[L2TP_ATTR_IP6_SADDR] = 16,     [L2TP_ATTR_IP6_DADDR] = 16,
};

/* Fill tb[] with the attributes of one reply, checking the exact length of those we use. */
static int kl2tp_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, L2TP_ATTR_MAX) < 0)
		return MNL_CB_OK;       /* newer kernel: skip what we do not know */
	if (kl2tp_attr_len[type] && mnl_attr_get_payload_len(a) != kl2tp_attr_len[type])
		return MNL_CB_ERROR;
	if (type == L2TP_ATTR_STATS && mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	if (type == L2TP_ATTR_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int kl2tp_stats_attr(const struct nlattr *a, void *data)
{
	struct kl2tp_stats *s = data;
	uint64_t *field;

	switch (mnl_attr_get_type(a)) {
	case L2TP_ATTR_TX_PACKETS: field = &s->tx_packets; break;
	case L2TP_ATTR_TX_BYTES: field = &s->tx_bytes; break;
	case L2TP_ATTR_TX_ERRORS: field = &s->tx_errors; break;
	case L2TP_ATTR_RX_PACKETS: field = &s->rx_packets; break;
	case L2TP_ATTR_RX_BYTES: field = &s->rx_bytes; break;
	case L2TP_ATTR_RX_SEQ_DISCARDS: field = &s->rx_seq_discards; break;
	case L2TP_ATTR_RX_OOS_PACKETS: field = &s->rx_oos_packets; break;
	case L2TP_ATTR_RX_ERRORS: field = &s->rx_errors; break;
	default: return MNL_CB_OK;
	}
	if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	*field = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

static int kl2tp_parse_tb(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (L2TP_ATTR_MAX + 1));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), kl2tp_attr_cb, tb) < 0)
		return -EBADMSG;
	return 0;
}

static int kl2tp_read_stats(const struct nlattr *a, struct kl2tp_stats *s, bool *has)
{
	if (!a)
		return 0;
	if (mnl_attr_parse_nested(a, kl2tp_stats_attr, s) < 0)
		return -EBADMSG;
	*has = true;
	return 0;
}

static uint32_t tb_u32(const struct nlattr *const *tb, int type)
{
	return tb[type] ? mnl_attr_get_u32(tb[type]) : 0;
}

static void tb_ip(const struct nlattr *const *tb, int v4, int v6, struct knl_ip *ip)
{
	if (tb[v4]) {
		ip->family = AF_INET;
		memcpy(&ip->v4, mnl_attr_get_payload(tb[v4]), 4);
	} else if (tb[v6]) {
		ip->family = AF_INET6;
		memcpy(&ip->v6, mnl_attr_get_payload(tb[v6]), 16);
	}
}

int kl2tp_parse_tunnel(const struct nlmsghdr *nlh, struct kl2tp_tunnel_info *out)
{
	const struct nlattr *tb[L2TP_ATTR_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (kl2tp_parse_tb(nlh, tb) < 0 || !tb[L2TP_ATTR_CONN_ID])
		return -EBADMSG;
	out->tunnel_id = tb_u32(tb, L2TP_ATTR_CONN_ID);
	out->peer_tunnel_id = tb_u32(tb, L2TP_ATTR_PEER_CONN_ID);
	if (tb[L2TP_ATTR_PROTO_VERSION])
		out->version = mnl_attr_get_u8(tb[L2TP_ATTR_PROTO_VERSION]);
	if (tb[L2TP_ATTR_ENCAP_TYPE])
		out->encap = mnl_attr_get_u16(tb[L2TP_ATTR_ENCAP_TYPE]);
	tb_ip(tb, L2TP_ATTR_IP_SADDR, L2TP_ATTR_IP6_SADDR, &out->local);
	tb_ip(tb, L2TP_ATTR_IP_DADDR, L2TP_ATTR_IP6_DADDR, &out->peer);
	/* The kernel sends the ports in host order. */
	if (tb[L2TP_ATTR_UDP_SPORT])
		out->local_port = mnl_attr_get_u16(tb[L2TP_ATTR_UDP_SPORT]);
	if (tb[L2TP_ATTR_UDP_DPORT])
		out->peer_port = mnl_attr_get_u16(tb[L2TP_ATTR_UDP_DPORT]);
	return kl2tp_read_stats(tb[L2TP_ATTR_STATS], &out->stats, &out->has_stats);
}

int kl2tp_parse_session(const struct nlmsghdr *nlh, struct kl2tp_session_info *out)
{
	const struct nlattr *tb[L2TP_ATTR_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (kl2tp_parse_tb(nlh, tb) < 0 || !tb[L2TP_ATTR_CONN_ID] || !tb[L2TP_ATTR_SESSION_ID])
		return -EBADMSG;
	out->tunnel_id = tb_u32(tb, L2TP_ATTR_CONN_ID);
	out->session_id = tb_u32(tb, L2TP_ATTR_SESSION_ID);
	out->peer_tunnel_id = tb_u32(tb, L2TP_ATTR_PEER_CONN_ID);
	out->peer_session_id = tb_u32(tb, L2TP_ATTR_PEER_SESSION_ID);
	if (tb[L2TP_ATTR_PW_TYPE])
		out->pw_type = mnl_attr_get_u16(tb[L2TP_ATTR_PW_TYPE]);
	if (tb[L2TP_ATTR_IFNAME])
		snprintf(out->ifname, sizeof(out->ifname), "%s", mnl_attr_get_str(tb[L2TP_ATTR_IFNAME]));
	out->recv_seq = tb[L2TP_ATTR_RECV_SEQ] && mnl_attr_get_u8(tb[L2TP_ATTR_RECV_SEQ]);
	out->send_seq = tb[L2TP_ATTR_SEND_SEQ] && mnl_attr_get_u8(tb[L2TP_ATTR_SEND_SEQ]);
	out->lns_mode = tb[L2TP_ATTR_LNS_MODE] && mnl_attr_get_u8(tb[L2TP_ATTR_LNS_MODE]);
	return kl2tp_read_stats(tb[L2TP_ATTR_STATS], &out->stats, &out->has_stats);
}

/* ---- calls ------------------------------------------------------------------------- */

static int kl2tp_family_cb(const struct nlmsghdr *nlh, void *data)
{
	if (kl2tp_parse_family(nlh, data) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int kl2tp_open(struct kl2tp *l)
{
	uint8_t buf[128];
	struct nlmsghdr *nlh;
	int err;

	l->family = 0;
	err = knl_open(&l->k, NETLINK_GENERIC);
	if (err)
		return err;
	nlh = kl2tp_msg_getfamily(buf, sizeof(buf));
	err = knl_request(&l->k, nlh, kl2tp_family_cb, &l->family);
	if (!err && !l->family)
		err = -ENOENT;
	if (err)
		knl_close(&l->k);
	return err;
}

void kl2tp_close(struct kl2tp *l)
{
	knl_close(&l->k);
	l->family = 0;
}

static int kl2tp_send(struct kl2tp *l, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	if (!nlh)
		return -EINVAL;
	return knl_request(&l->k, nlh, cb, data);
}

int kl2tp_tunnel_create(struct kl2tp *l, const struct kl2tp_tunnel_cfg *cfg)
{
	uint8_t buf[128];

	return kl2tp_send(l, kl2tp_msg_tunnel_create(buf, sizeof(buf), l->family, cfg), NULL, NULL);
}

int kl2tp_tunnel_delete(struct kl2tp *l, uint32_t tunnel_id)
{
	uint8_t buf[64];

	return kl2tp_send(l, kl2tp_msg_tunnel_id(buf, sizeof(buf), l->family,
						 L2TP_CMD_TUNNEL_DELETE, tunnel_id, false), NULL, NULL);
}

struct kl2tp_walk {
	kl2tp_tunnel_fn tunnel_fn;
	kl2tp_session_fn session_fn;
	void *arg;
	int result;
};

static int kl2tp_tunnel_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kl2tp_walk *w = data;
	struct kl2tp_tunnel_info t;

	if (kl2tp_parse_tunnel(nlh, &t) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	w->result = w->tunnel_fn(&t, w->arg);
	return w->result ? MNL_CB_STOP : MNL_CB_OK;
}

static int kl2tp_session_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kl2tp_walk *w = data;
	struct kl2tp_session_info s;

	if (kl2tp_parse_session(nlh, &s) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	w->result = w->session_fn(&s, w->arg);
	return w->result ? MNL_CB_STOP : MNL_CB_OK;
}

static int kl2tp_copy_tunnel(const struct kl2tp_tunnel_info *t, void *arg)
{
	*(struct kl2tp_tunnel_info *)arg = *t;
	return 0;
}

static int kl2tp_copy_session(const struct kl2tp_session_info *s, void *arg)
{
	*(struct kl2tp_session_info *)arg = *s;
	return 0;
}

int kl2tp_tunnel_get(struct kl2tp *l, uint32_t tunnel_id, struct kl2tp_tunnel_info *out)
{
	uint8_t buf[64];
	struct kl2tp_walk w = { .tunnel_fn = kl2tp_copy_tunnel, .arg = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = kl2tp_send(l, kl2tp_msg_tunnel_id(buf, sizeof(buf), l->family, L2TP_CMD_TUNNEL_GET,
						tunnel_id, false), kl2tp_tunnel_cb, &w);
	if (!err && out->tunnel_id != tunnel_id)
		err = -ENODEV;
	return err;
}

int kl2tp_tunnel_dump(struct kl2tp *l, kl2tp_tunnel_fn fn, void *arg)
{
	uint8_t buf[64];
	struct kl2tp_walk w = { .tunnel_fn = fn, .arg = arg };
	int err = kl2tp_send(l, kl2tp_msg_tunnel_id(buf, sizeof(buf), l->family,
						    L2TP_CMD_TUNNEL_GET, 0, true), kl2tp_tunnel_cb, &w);

	return err ? err : w.result;
}

int kl2tp_session_create(struct kl2tp *l, const struct kl2tp_session_cfg *cfg)
{
	uint8_t buf[256];

	return kl2tp_send(l, kl2tp_msg_session_create(buf, sizeof(buf), l->family, cfg), NULL, NULL);
}

int kl2tp_session_delete(struct kl2tp *l, uint32_t tunnel_id, uint32_t session_id)
{
	uint8_t buf[64];

	return kl2tp_send(l, kl2tp_msg_session_id(buf, sizeof(buf), l->family,
						  L2TP_CMD_SESSION_DELETE, tunnel_id, session_id, false),
			  NULL, NULL);
}

int kl2tp_session_get(struct kl2tp *l, uint32_t tunnel_id, uint32_t session_id,
		      struct kl2tp_session_info *out)
{
	uint8_t buf[64];
	struct kl2tp_walk w = { .session_fn = kl2tp_copy_session, .arg = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = kl2tp_send(l, kl2tp_msg_session_id(buf, sizeof(buf), l->family, L2TP_CMD_SESSION_GET,
						 tunnel_id, session_id, false), kl2tp_session_cb, &w);
	if (!err && out->session_id != session_id)
		err = -ENODEV;
	return err;
}

int kl2tp_session_dump(struct kl2tp *l, kl2tp_session_fn fn, void *arg)
{
	uint8_t buf[64];
	struct kl2tp_walk w = { .session_fn = fn, .arg = arg };
	int err = kl2tp_send(l, kl2tp_msg_session_id(buf, sizeof(buf), l->family,
						     L2TP_CMD_SESSION_GET, 0, 0, true),
			     kl2tp_session_cb, &w);

	return err ? err : w.result;
}

/* ---- start-up cleanup ---------------------------------------------------------------- */

static bool knl_ip_equal(const struct knl_ip *a, const struct knl_ip *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return a->family == AF_INET6 && memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

bool kl2tp_tunnel_is_ours(const struct kl2tp_tunnel_info *t, const struct kl2tp_owner *o)
{
	if (t->version != 2 || t->encap != L2TP_ENCAPTYPE_UDP || t->local_port != o->local_port)
		return false;
	if (o->keep && o->keep(t->tunnel_id, o->keep_arg))
		return false;
	if (!o->n_local_addrs)
		return true;
	for (size_t i = 0; i < o->n_local_addrs; i++)
		if (knl_ip_equal(&t->local, &o->local_addrs[i]))
			return true;
	return false;
}

struct kl2tp_sweep_list {
	const struct kl2tp_owner *owner;
	uint32_t *ids;
	size_t n, cap;
};

static int kl2tp_sweep_collect(const struct kl2tp_tunnel_info *t, void *arg)
{
	struct kl2tp_sweep_list *list = arg;

	if (!kl2tp_tunnel_is_ours(t, list->owner))
		return 0;
	return knl_u32_push(&list->ids, &list->n, &list->cap, t->tunnel_id);
}

int kl2tp_sweep(struct kl2tp *l, const struct kl2tp_owner *o, unsigned int *deleted)
{
	struct kl2tp_sweep_list list = { .owner = o };
	int err, first = 0;

	*deleted = 0;
	/* Collect first, delete after: no deletes while the kernel walks its list. */
	err = kl2tp_tunnel_dump(l, kl2tp_sweep_collect, &list);
	for (size_t i = 0; !err && i < list.n; i++) {
		int e = kl2tp_tunnel_delete(l, list.ids[i]);

		if (!e)
			(*deleted)++;
		else if (e != -ENODEV && !first)
			first = e;      /* gone by itself in the meantime is fine */
	}
	free(list.ids);
	return err ? err : first;
}
