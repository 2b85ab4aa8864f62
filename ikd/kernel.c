/*
 * IPsec SA and policy installation. See kernel.h.
 */
#include "ikd/kernel.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "ikd/ike_sa.h"

/* ---- xfrm/ backend ------------------------------------------------------------------- */

static int x_spi_alloc(void *ctx, const struct xfrm_sa *key, uint32_t *spi)
{
	return xfrm_spi_alloc(ctx, key, 0, 0, spi);
}

static int x_spi_release(void *ctx, const struct xfrm_sa *key, uint32_t spi)
{
	return xfrm_spi_release(ctx, key, spi);
}

static int x_sa_add(void *ctx, const struct xfrm_sa *sa, bool update)
{
	return update ? xfrm_sa_update(ctx, sa) : xfrm_sa_add(ctx, sa);
}

static int x_sa_del(void *ctx, const struct xfrm_sa *sa)
{
	return xfrm_sa_del(ctx, sa);
}

static int x_sa_get(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	return xfrm_sa_get(ctx, key, out);
}

static int x_policy_set(void *ctx, const struct xfrm_policy *p)
{
	int rc = xfrm_policy_add(ctx, p);
	if (rc == -EEXIST)
		rc = xfrm_policy_update(ctx, p);
	return rc;
}

static int x_policy_del(void *ctx, const struct xfrm_policy *p)
{
	return xfrm_policy_del(ctx, p);
}

static const char *x_strerror(void *ctx)
{
	return xfrm_strerror(ctx);
}

static int x_sa_dump(void *ctx, int (*fn)(const struct xfrm_sa_info *, void *), void *arg)
{
	return xfrm_sa_dump(ctx, fn, arg);
}

const struct ikd_kernel_ops ikd_kernel_xfrm_ops = {
	.spi_alloc = x_spi_alloc,
	.spi_release = x_spi_release,
	.sa_add = x_sa_add,
	.sa_del = x_sa_del,
	.sa_get = x_sa_get,
	.policy_set = x_policy_set,
	.policy_del = x_policy_del,
	.strerror = x_strerror,
	.sa_dump = x_sa_dump,
};

/* ---- building requests ---------------------------------------------------------------- */

static void ip_of(const union ikd_sockaddr *a, struct xfrm_ip *out)
{
	size_t len;
	const uint8_t *b = ikd_addr_bytes(&a->sa, &len);
	memset(out, 0, sizeof *out);
	if (!b)
		return;
	out->family = (uint8_t)a->sa.sa_family;
	memcpy(out->raw, b, len);
}

static void ip_of_host(const struct ikd_host *h, struct xfrm_ip *out, uint8_t *plen)
{
	memset(out, 0, sizeof *out);
	*plen = 0;
	if (h->any)
		return;
	out->family = (uint8_t)h->family;
	memcpy(out->raw, h->addr.bytes, h->family == AF_INET ? 4 : 16);
	*plen = h->prefix;
}

static uint8_t host_plen(const union ikd_sockaddr *a)
{
	return a->sa.sa_family == AF_INET ? 32 : 128;
}

/* The traffic selector local -> remote of a child (outbound direction). */
static void child_ts_out(const struct ike_sa *sa, const struct ipsec_sa *c, struct xfrm_ts *ts)
{
	memset(ts, 0, sizeof *ts);
	if (c->params.tunnel) {
		ip_of_host(&c->local_ts.net, &ts->src, &ts->src_plen);
		ip_of_host(&c->remote_ts.net, &ts->dst, &ts->dst_plen);
	} else {
		/* Transport mode: the addresses on the wire, never the (maybe private)
		 * addresses a client behind NAT names in its IDs. */
		ip_of(&sa->local, &ts->src);
		ip_of(&sa->peer, &ts->dst);
		ts->src_plen = ts->dst_plen = host_plen(&sa->local);
	}
	ts->proto = c->local_ts.proto ? c->local_ts.proto : c->remote_ts.proto;
	ts->sport = c->local_ts.port;
	ts->dport = c->remote_ts.port;
}

static void ts_reverse(const struct xfrm_ts *in, struct xfrm_ts *out)
{
	*out = *in;
	out->src = in->dst;
	out->dst = in->src;
	out->src_plen = in->dst_plen;
	out->dst_plen = in->src_plen;
	out->sport = in->dport;
	out->dport = in->sport;
}

void kernel_child_sa(const struct ike_sa *sa, const struct ipsec_sa *c, bool inbound,
		     struct xfrm_sa *out)
{
	memset(out, 0, sizeof *out);
	if (inbound) {
		ip_of(&sa->peer, &out->src);
		ip_of(&sa->local, &out->dst);
		out->spi = c->spi_in;
		out->replay_window = 64;
	} else {
		ip_of(&sa->local, &out->src);
		ip_of(&sa->peer, &out->dst);
		out->spi = c->spi_out;
	}
	out->proto = IPPROTO_ESP;
	out->mode = c->params.tunnel ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
	out->reqid = c->reqid;
	/* Marks (several clients behind one NAT): the outbound SA applies to packets with
	 * the client's mark (l2tpd's tunnel socket sets it); the inbound SA is found by SPI
	 * and marks what it decrypts, so the inbound policy with that mark accepts it. */
	if (c->mark && inbound) {
		out->set_mark = c->mark;
		out->set_mark_mask = 0xffffffffu;
	} else if (c->mark) {
		out->mark = c->mark;
		out->mark_mask = 0xffffffffu;
	}
	if (c->params.udp_encap || (sa->natt && sa->nat)) {
		out->encap = true;
		uint16_t lp = ikd_addr_port(&sa->local.sa), pp = ikd_addr_port(&sa->peer.sa);
		out->encap_sport = inbound ? pp : lp;
		out->encap_dport = inbound ? lp : pp;
	}
	out->crypto.encr = c->params.encr;
	out->crypto.encr_key_bits = c->params.key_bits;
	out->crypto.integ = c->params.integ;
	struct xfrm_ts ts;
	child_ts_out(sa, c, &ts);
	if (inbound)
		ts_reverse(&ts, &out->sel);
	else
		out->sel = ts;
	if (c->params.tunnel)
		memset(&out->sel, 0, sizeof out->sel);
	out->limits.hard_add_s = c->params.life_s;
	if (c->params.life_kb)
		out->limits.hard_bytes = c->params.life_kb * 1024u;
}

int kernel_child_alloc_spi(const struct ikd_kernel *k, const struct ike_sa *sa,
			   struct ipsec_sa *c)
{
	struct xfrm_sa key;
	kernel_child_sa(sa, c, true, &key);
	int rc = k->ops->spi_alloc(k->ctx, &key, &c->spi_in);
	if (rc < 0)
		log_err("ipsec_spi_alloc_failed", "ike_sa=%u error=\"%s\"", sa->id,
			k->ops->strerror(k->ctx));
	return rc;
}

static void child_policy(const struct ike_sa *sa, const struct ipsec_sa *c, uint8_t dir,
			 struct xfrm_policy *p)
{
	memset(p, 0, sizeof *p);
	struct xfrm_ts out;
	child_ts_out(sa, c, &out);
	if (dir == XFRM_DIR_OUT)
		p->sel = out;
	else
		ts_reverse(&out, &p->sel);
	p->dir = dir;
	p->priority = c->params.tunnel ? 2000 : 1000;
	p->mark = c->mark;
	p->mark_mask = c->mark ? 0xffffffffu : 0;
	p->ipsec = true;
	p->mode = c->params.tunnel ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
	p->proto = IPPROTO_ESP;
	p->reqid = c->reqid;
	if (c->params.tunnel) {
		if (dir == XFRM_DIR_OUT) {
			ip_of(&sa->local, &p->tun_src);
			ip_of(&sa->peer, &p->tun_dst);
		} else {
			ip_of(&sa->peer, &p->tun_src);
			ip_of(&sa->local, &p->tun_dst);
		}
	}
}

static int set_policies(const struct ikd_kernel *k, const struct ike_sa *sa,
			const struct ipsec_sa *c, bool remove)
{
	static const uint8_t dirs[] = { XFRM_DIR_OUT, XFRM_DIR_IN, XFRM_DIR_FWD };
	size_t n = c->params.tunnel ? 3 : 2;
	int first_err = 0;
	for (size_t i = 0; i < n; i++) {
		struct xfrm_policy p;
		child_policy(sa, c, dirs[i], &p);
		int rc = remove ? k->ops->policy_del(k->ctx, &p) : k->ops->policy_set(k->ctx, &p);
		if (rc < 0 && rc != -ENOENT && !first_err) {
			first_err = rc;
			log_err(remove ? "ipsec_policy_del_failed" : "ipsec_policy_add_failed",
				"ike_sa=%u ipsec_sa=%u dir=%u error=\"%s\"", sa->id, c->id, dirs[i],
				k->ops->strerror(k->ctx));
		}
	}
	return first_err;
}

static void child_sa_keyed(const struct ike_sa *sa, const struct ipsec_sa *c, bool inbound,
			   const struct child_keys *keys, struct xfrm_sa *out)
{
	const uint8_t *key = inbound ? keys->in : keys->out;
	kernel_child_sa(sa, c, inbound, out);
	out->crypto.encr_key = key;
	out->crypto.encr_key_len = keys->encr_len;
	out->crypto.integ_key = key + keys->encr_len;
	out->crypto.integ_key_len = keys->integ_len;
}

int kernel_install_child_in(const struct ikd_kernel *k, const struct ike_sa *sa,
			    const struct ipsec_sa *c, const struct child_keys *keys)
{
	struct xfrm_sa in;
	child_sa_keyed(sa, c, true, keys, &in);
	/* The inbound SPI was reserved with ALLOCSPI: complete that larval SA. */
	int rc = k->ops->sa_add(k->ctx, &in, true);
	if (rc == -ESRCH || rc == -ENOENT)      /* no larval SA (re-install): add it */
		rc = k->ops->sa_add(k->ctx, &in, false);
	if (rc < 0)
		log_err("ipsec_sa_add_failed", "ike_sa=%u ipsec_sa=%u dir=in spi=%08x error=\"%s\"",
			sa->id, c->id, c->spi_in, k->ops->strerror(k->ctx));
	return rc;
}

int kernel_install_child_out(const struct ikd_kernel *k, const struct ike_sa *sa,
			     struct ipsec_sa *c, const struct child_keys *keys)
{
	struct xfrm_sa out;
	child_sa_keyed(sa, c, false, keys, &out);
	int rc = k->ops->sa_add(k->ctx, &out, false);
	if (rc < 0) {
		log_err("ipsec_sa_add_failed", "ike_sa=%u ipsec_sa=%u dir=out spi=%08x error=\"%s\"",
			sa->id, c->id, c->spi_out, k->ops->strerror(k->ctx));
		return rc;
	}
	/* Added or updated in place (same selector and reqid as an older pair's): never a
	 * moment without them, and the kernel prefers the newest SA of that reqid. */
	rc = set_policies(k, sa, c, false);
	if (rc < 0) {
		k->ops->sa_del(k->ctx, &out);
		return rc;
	}
	c->installed = true;
	c->installed_ms = ike_now_ms();
	return 0;
}

int kernel_install_child(const struct ikd_kernel *k, const struct ike_sa *sa,
			 struct ipsec_sa *c, const struct child_keys *keys)
{
	int rc = kernel_install_child_in(k, sa, c, keys);
	if (rc < 0)
		return rc;
	rc = kernel_install_child_out(k, sa, c, keys);
	if (rc < 0) {
		struct xfrm_sa in;
		kernel_child_sa(sa, c, true, &in);
		k->ops->sa_del(k->ctx, &in);
	}
	return rc;
}

int kernel_remove_child(const struct ikd_kernel *k, const struct ike_sa *sa,
			struct ipsec_sa *c, bool with_policies)
{
	int rc = 0;
	if (!c->installed) {
		/* Our SPI alone: a larval SA, or the inbound SA a responder completed before
		 * sending message 2 (kernel_install_child_in). Deleting by SPI covers both. */
		if (c->spi_in) {
			struct xfrm_sa key;
			kernel_child_sa(sa, c, true, &key);
			k->ops->spi_release(k->ctx, &key, c->spi_in);
		}
		return 0;
	}
	struct xfrm_sa in, out;
	kernel_child_sa(sa, c, true, &in);
	kernel_child_sa(sa, c, false, &out);
	int r1 = k->ops->sa_del(k->ctx, &in);
	int r2 = k->ops->sa_del(k->ctx, &out);
	if (r1 < 0 && r1 != -ESRCH && r1 != -ENOENT)
		rc = r1;
	if (r2 < 0 && r2 != -ESRCH && r2 != -ENOENT)
		rc = r2;
	if (with_policies) {
		int r3 = set_policies(k, sa, c, true);
		if (r3 < 0 && !rc)
			rc = r3;
	}
	c->installed = false;
	return rc;
}

int kernel_child_bytes_in(const struct ikd_kernel *k, const struct ike_sa *sa,
			  const struct ipsec_sa *c, uint64_t *bytes, uint64_t *packets)
{
	struct xfrm_sa key;
	struct xfrm_sa_info info;
	kernel_child_sa(sa, c, true, &key);
	int rc = k->ops->sa_get(k->ctx, &key, &info);
	if (rc < 0)
		return rc;
	*bytes = info.bytes;
	*packets = info.packets;
	return 0;
}
