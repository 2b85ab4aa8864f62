/*
 * Policies: encoding NEWPOLICY/UPDPOLICY/DELPOLICY, decoding, dump and flush of ours.
 */
#include "xfrm/xfrm_policy.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm_codec.h"
#include "xfrm/xfrm_sock.h"

static uint8_t policy_family(const struct xfrm_policy *p)
{
	if (p->sel.src.family)
		return p->sel.src.family;
	if (p->sel.dst.family)
		return p->sel.dst.family;
	return p->tun_dst.family;
}

static int put_mark_ifid(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p)
{
	if (p->mark || p->mark_mask) {
		struct xfrm_mark m = { .v = p->mark, .m = p->mark_mask };
		if (!mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(m), &m))
			return -EMSGSIZE;
	}
	if (p->if_id && !mnl_attr_put_u32_check(nlh, cap, XFRMA_IF_ID, p->if_id))
		return -EMSGSIZE;
	return 0;
}

static int put_tmpl(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p,
		    uint8_t family, const char **why)
{
	struct xfrm_user_tmpl t;

	memset(&t, 0, sizeof(t));
	if (p->mode == XFRM_SA_TUNNEL) {
		if (!p->tun_src.family || p->tun_src.family != p->tun_dst.family)
			return *why = "tunnel mode needs both tunnel endpoints", -EINVAL;
		xfrm_addr_put(&t.id.daddr, &p->tun_dst);
		xfrm_addr_put(&t.saddr, &p->tun_src);
		t.family = p->tun_dst.family;
		t.mode = XFRM_MODE_TUNNEL;
	} else {
		t.family = family;     /* transport: the flow's own addresses */
		t.mode = XFRM_MODE_TRANSPORT;
	}
	if (p->reqid > XFRM_REQID_MAX)
		return *why = "reqid above XFRM_REQID_MAX", -EINVAL;
	t.id.proto = xfrm_proto_or_esp(p->proto);
	t.reqid = xfrm_reqid_tagged(p->reqid);
	t.optional = p->optional ? 1 : 0;
	t.aalgos = t.ealgos = t.calgos = ~0u;   /* any algorithm: the SA decides */
	if (!mnl_attr_put_check(nlh, cap, XFRMA_TMPL, sizeof(t), &t))
		return *why = "request too large", -EMSGSIZE;
	return 0;
}

int xfrm_policy_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p,
		       const char **why)
{
	struct xfrm_userpolicy_info *u;
	uint8_t family = policy_family(p);
	static const struct xfrm_limits none;

	*why = "";
	if (family != AF_INET && family != AF_INET6)
		return *why = "no address family (selector or tunnel endpoints)", -EINVAL;
	if (p->dir > XFRM_DIR_FWD)
		return *why = "direction is not in/out/fwd", -EINVAL;
	if (cap < nlh->nlmsg_len + sizeof(*u))
		return *why = "buffer too small", -EMSGSIZE;
	u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	if (xfrm_sel_put(&u->sel, &p->sel, family) < 0)
		return *why = "bad traffic selector (family or prefix length)", -EINVAL;
	xfrm_lft_put(&u->lft, &none);
	u->priority = p->priority;
	u->index = p->index;
	u->dir = p->dir;        /* XFRM_DIR_* has the kernel's numbers */
	u->action = p->block ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
	u->share = XFRM_SHARE_ANY;
	int rc = p->ipsec && !p->block ? put_tmpl(nlh, cap, p, family, why) : 0;
	if (rc == 0 && (rc = put_mark_ifid(nlh, cap, p)) < 0)
		*why = "request too large";
	return rc;
}

int xfrm_policy_id_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_policy *p)
{
	struct xfrm_userpolicy_id *id;

	if (p->dir > XFRM_DIR_FWD)
		return -EINVAL;
	if (cap < nlh->nlmsg_len + sizeof(*id))
		return -EMSGSIZE;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	id->dir = p->dir;
	id->index = p->index;
	if (!p->index) {
		uint8_t family = policy_family(p);
		if ((family != AF_INET && family != AF_INET6) ||
		    xfrm_sel_put(&id->sel, &p->sel, family) < 0)
			return -EINVAL;
	}
	return put_mark_ifid(nlh, cap, p);
}

void xfrm_policy_decode(struct xfrm_policy *out, bool *owned, const void *raw,
			const struct nlattr *const tb[XFRMA_MAX + 1])
{
	struct xfrm_userpolicy_info copy;       /* netlink aligns to 4, the struct has u64s */
	const struct xfrm_userpolicy_info *u = &copy;

	memcpy(&copy, raw, sizeof(copy));
	memset(out, 0, sizeof(*out));
	*owned = false;
	xfrm_sel_get(&out->sel, &u->sel);
	out->dir = u->dir;
	out->block = u->action == XFRM_POLICY_BLOCK;
	out->priority = u->priority;
	out->index = u->index;
	if (tb[XFRMA_TMPL]) {
		/* l2sec installs one template; read the first. */
		const struct xfrm_user_tmpl *t = mnl_attr_get_payload(tb[XFRMA_TMPL]);
		out->ipsec = true;
		out->mode = t->mode == XFRM_MODE_TUNNEL ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
		out->proto = t->id.proto;
		out->optional = t->optional != 0;
		*owned = xfrm_reqid_is_owned(t->reqid);
		out->reqid = *owned ? t->reqid & XFRM_REQID_MAX : t->reqid;
		if (out->mode == XFRM_SA_TUNNEL) {
			xfrm_addr_get(&out->tun_dst, &t->id.daddr, t->family);
			xfrm_addr_get(&out->tun_src, &t->saddr, t->family);
		}
	}
	if (tb[XFRMA_MARK]) {
		const struct xfrm_mark *m = mnl_attr_get_payload(tb[XFRMA_MARK]);
		out->mark = m->v;
		out->mark_mask = m->m;
	}
	if (tb[XFRMA_IF_ID])
		out->if_id = mnl_attr_get_u32(tb[XFRMA_IF_ID]);
}

void xfrm_policy_l2tp(struct xfrm_policy *p, uint8_t dir, const struct xfrm_ip *local,
		      const struct xfrm_ip *peer, uint16_t peer_port, uint32_t reqid)
{
	unsigned int plen = local->family == AF_INET6 ? 128 : 32;
	bool out = dir == XFRM_DIR_OUT;

	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->sel.src = out ? *local : *peer;
	p->sel.dst = out ? *peer : *local;
	p->sel.src_plen = p->sel.dst_plen = (uint8_t)plen;
	p->sel.proto = IPPROTO_UDP;
	/* Our side is always 1701; the peer's port may be translated by its NAT. */
	p->sel.sport = out ? 1701 : peer_port;
	p->sel.dport = out ? peer_port : 1701;
	p->ipsec = true;
	p->mode = XFRM_SA_TRANSPORT;
	p->proto = IPPROTO_ESP;
	p->reqid = reqid;
}

static int policy_change(struct xfrm_handle *h, uint16_t type, const struct xfrm_policy *p)
{
	struct nlmsghdr *nlh = xfrm_req_start(h, type, 0);
	const char *why = "bad selector or direction";
	int rc;

	if (type == XFRM_MSG_DELPOLICY)
		rc = xfrm_policy_id_encode(nlh, XFRM_REQ_MAX, p);
	else
		rc = xfrm_policy_encode(nlh, XFRM_REQ_MAX, p, &why);
	if (rc < 0) {
		xfrm_req_abort(h);
		return xfrm_set_error(h, rc, "%s policy: %s", type == XFRM_MSG_DELPOLICY ? "delete" :
				      "add", why);
	}
	return xfrm_req_finish(h);
}

int xfrm_policy_add(struct xfrm_handle *h, const struct xfrm_policy *p)
{
	return policy_change(h, XFRM_MSG_NEWPOLICY, p);
}

int xfrm_policy_update(struct xfrm_handle *h, const struct xfrm_policy *p)
{
	return policy_change(h, XFRM_MSG_UPDPOLICY, p);
}

int xfrm_policy_del(struct xfrm_handle *h, const struct xfrm_policy *p)
{
	return policy_change(h, XFRM_MSG_DELPOLICY, p);
}

struct policy_reply {
	int (*fn)(const struct xfrm_policy *, bool, void *);
	void *arg;
};

static int policy_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct policy_reply *r = data;
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_policy p;
	bool owned;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return 0;
	if (xfrm_attrs_parse(nlh, sizeof(struct xfrm_userpolicy_info), tb) < 0)
		return -EBADMSG;
	const struct xfrm_userpolicy_info *u = mnl_nlmsg_get_payload(nlh);
	uint8_t dir;
	memcpy(&dir, (const uint8_t *)u + offsetof(struct xfrm_userpolicy_info, dir), 1);
	if (dir > XFRM_POLICY_FWD)
		return 0;       /* a socket policy */
	xfrm_policy_decode(&p, &owned, u, tb);
	return r->fn(&p, owned, r->arg);
}

int xfrm_policy_dump(struct xfrm_handle *h,
		     int (*fn)(const struct xfrm_policy *, bool owned, void *), void *arg)
{
	struct policy_reply r = { fn, arg };
	bool saved;
	int rc = xfrm_read_start(h, &saved);

	if (rc < 0)
		return rc;
	xfrm_req_start(h, XFRM_MSG_GETPOLICY, NLM_F_DUMP);
	return xfrm_read_run(h, saved, policy_reply_cb, &r);
}

struct owned_policies {
	struct xfrm_policy *v;
	size_t n, cap;
};

static int collect_owned(const struct xfrm_policy *p, bool owned, void *arg)
{
	struct owned_policies *l = arg;

	if (!owned)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct xfrm_policy *v = reallocarray(l->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

int xfrm_policy_flush_owned(struct xfrm_handle *h)
{
	struct owned_policies l = { 0 };
	int rc = xfrm_policy_dump(h, collect_owned, &l);
	bool was_batching = h->batching;

	if (rc < 0)
		goto out;
	if (!was_batching)
		xfrm_batch_begin(h, NULL, NULL);
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = xfrm_policy_del(h, &l.v[i]);       /* by index: exact */
	if (!was_batching) {
		int failed = xfrm_batch_end(h);
		if (rc == 0 && failed < 0)
			rc = failed;
	}
	if (rc == 0)
		rc = (int)l.n;
out:
	free(l.v);
	return rc;
}
