/*
 * SAs: encoding NEWSA/UPDSA/DELSA/GETSA/ALLOCSPI requests, decoding the kernel's SA
 * messages, and the public SA calls.
 */
#include "xfrm/xfrm_sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm_alg.h"
#include "xfrm/xfrm_codec.h"
#include "xfrm/xfrm_sock.h"

#define REPLAY_LEGACY_MAX 32    /* the kernel's legacy bitmap is one u32 */
#define REPLAY_MAX 4096         /* XFRMA_REPLAY_ESN_MAX bytes -> 128 words of 32 bits */

static int put_alg(struct nlmsghdr *nlh, size_t cap, uint16_t type, const char *name,
		   const uint8_t *key, size_t key_len, uint32_t icv_or_trunc)
{
	/* The kernel structs end in a flexible key array: header + key in one attribute. */
	uint8_t tmp[sizeof(struct xfrm_algo_auth) + 128];
	size_t hdr;

	if (key_len > 128)
		return -EINVAL;
	memset(tmp, 0, sizeof(tmp));
	if (type == XFRMA_ALG_AEAD) {
		struct xfrm_algo_aead *a = (struct xfrm_algo_aead *)tmp;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", name);
		a->alg_key_len = (unsigned int)(key_len * 8);
		a->alg_icv_len = icv_or_trunc;
		hdr = sizeof(*a);
	} else if (type == XFRMA_ALG_AUTH_TRUNC) {
		struct xfrm_algo_auth *a = (struct xfrm_algo_auth *)tmp;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", name);
		a->alg_key_len = (unsigned int)(key_len * 8);
		a->alg_trunc_len = icv_or_trunc;
		hdr = sizeof(*a);
	} else {
		struct xfrm_algo *a = (struct xfrm_algo *)tmp;
		snprintf(a->alg_name, sizeof(a->alg_name), "%s", name);
		a->alg_key_len = (unsigned int)(key_len * 8);
		hdr = sizeof(*a);
	}
	if (key_len)
		memcpy(tmp + hdr, key, key_len);
	bool ok = mnl_attr_put_check(nlh, cap, type, hdr + key_len, tmp);
	explicit_bzero(tmp, sizeof(tmp));
	return ok ? 0 : -EMSGSIZE;
}

static int check_crypto(const struct xfrm_sa *sa, const struct xfrm_alg_info **enc,
			const struct xfrm_alg_info **integ, const char **why)
{
	const struct xfrm_crypto *c = &sa->crypto;

	*integ = NULL;
	*enc = xfrm_alg_encr(c->encr, c->encr_key_bits);
	if (!*enc)
		return *why = "encryption transform not supported (id/key length)", -ENOTSUP;
	if (c->encr_key_len != (*enc)->key_bytes || (c->encr_key_len && !c->encr_key))
		return *why = "encryption key length does not match the transform", -EINVAL;
	if ((*enc)->aead) {
		if (c->integ != XFRM_INTEG_NONE)
			return *why = "an AEAD transform takes no integrity transform", -EINVAL;
		return 0;
	}
	*integ = xfrm_alg_integ(c->integ);
	if (!*integ)
		return *why = "integrity transform missing or not supported", -ENOTSUP;
	if (c->integ_key_len != (*integ)->key_bytes || !c->integ_key)
		return *why = "integrity key length does not match the transform", -EINVAL;
	return 0;
}

static int check_sa(const struct xfrm_sa *sa, const char **why)
{
	if (!sa->dst.family || sa->src.family != sa->dst.family)
		return *why = "source and destination need the same address family", -EINVAL;
	if (sa->mode != XFRM_SA_TRANSPORT && sa->mode != XFRM_SA_TUNNEL)
		return *why = "mode is neither transport nor tunnel", -EINVAL;
	if (xfrm_proto_or_esp(sa->proto) != IPPROTO_ESP)
		return *why = "only ESP SAs are supported", -ENOTSUP;
	if (sa->reqid > XFRM_REQID_MAX)
		return *why = "reqid above XFRM_REQID_MAX", -EINVAL;
	if (sa->replay_window > REPLAY_MAX)
		return *why = "replay window above 4096", -EINVAL;
	if (sa->esn && sa->replay_window == 0)
		return *why = "ESN needs a replay window (the kernel refuses 0)", -EINVAL;
	if (sa->encap && (!sa->encap_sport || !sa->encap_dport))
		return *why = "UDP encapsulation needs both ports", -EINVAL;
	return 0;
}

static uint8_t kernel_flags(uint32_t f)
{
	return (uint8_t)(((f & XFRM_SA_F_NOECN) ? XFRM_STATE_NOECN : 0) |
			 ((f & XFRM_SA_F_DECAP_DSCP) ? XFRM_STATE_DECAP_DSCP : 0) |
			 ((f & XFRM_SA_F_NOPMTUDISC) ? XFRM_STATE_NOPMTUDISC : 0) |
			 ((f & XFRM_SA_F_AF_UNSPEC) ? XFRM_STATE_AF_UNSPEC : 0));
}

static int put_replay(struct nlmsghdr *nlh, size_t cap, struct xfrm_usersa_info *p,
		      const struct xfrm_sa *sa)
{
	if (!sa->esn && sa->replay_window <= REPLAY_LEGACY_MAX) {
		p->replay_window = (uint8_t)sa->replay_window;
		return 0;
	}
	/* Windows above 32 packets and ESN both need the bitmap attribute, and then the
	 * legacy field must stay 0. */
	uint8_t tmp[sizeof(struct xfrm_replay_state_esn) + REPLAY_MAX / 8];
	struct xfrm_replay_state_esn *r = (struct xfrm_replay_state_esn *)tmp;
	unsigned int words = (sa->replay_window + 31) / 32;

	memset(tmp, 0, sizeof(tmp));
	r->bmp_len = words;
	r->replay_window = sa->replay_window;
	if (sa->esn)
		p->flags |= XFRM_STATE_ESN;
	if (!mnl_attr_put_check(nlh, cap, XFRMA_REPLAY_ESN_VAL, sizeof(*r) + words * 4, r))
		return -EMSGSIZE;
	return 0;
}

static int put_u32_if(struct nlmsghdr *nlh, size_t cap, uint16_t type, uint32_t v, bool cond)
{
	if (!cond)
		return 0;
	return mnl_attr_put_u32_check(nlh, cap, type, v) ? 0 : -EMSGSIZE;
}

static int put_mark(struct nlmsghdr *nlh, size_t cap, uint32_t v, uint32_t m)
{
	struct xfrm_mark mark = { .v = v, .m = m };

	if (!v && !m)
		return 0;
	return mnl_attr_put_check(nlh, cap, XFRMA_MARK, sizeof(mark), &mark) ? 0 : -EMSGSIZE;
}

static int put_sa_attrs(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *sa,
			const struct xfrm_alg_info *enc, const struct xfrm_alg_info *integ)
{
	const struct xfrm_crypto *c = &sa->crypto;
	int rc;

	if (enc->aead)
		rc = put_alg(nlh, cap, XFRMA_ALG_AEAD, enc->kernel_name, c->encr_key,
			     c->encr_key_len, enc->icv_bits);
	else
		rc = put_alg(nlh, cap, XFRMA_ALG_CRYPT, enc->kernel_name, c->encr_key,
			     c->encr_key_len, 0);
	if (rc == 0 && integ)
		rc = put_alg(nlh, cap, XFRMA_ALG_AUTH_TRUNC, integ->kernel_name, c->integ_key,
			     c->integ_key_len, integ->icv_bits);
	if (rc == 0 && sa->encap) {
		struct xfrm_encap_tmpl e = {
			.encap_type = UDP_ENCAP_ESPINUDP,
			.encap_sport = htons(sa->encap_sport),
			.encap_dport = htons(sa->encap_dport),
		};
		if (!mnl_attr_put_check(nlh, cap, XFRMA_ENCAP, sizeof(e), &e))
			rc = -EMSGSIZE;
	}
	if (rc == 0)
		rc = put_mark(nlh, cap, sa->mark, sa->mark_mask);
	if (rc == 0)
		rc = put_u32_if(nlh, cap, XFRMA_SET_MARK, sa->set_mark, sa->set_mark_mask != 0);
	if (rc == 0)
		rc = put_u32_if(nlh, cap, XFRMA_SET_MARK_MASK, sa->set_mark_mask,
				sa->set_mark_mask != 0);
	if (rc == 0)
		rc = put_u32_if(nlh, cap, XFRMA_IF_ID, sa->if_id, sa->if_id != 0);
	return rc;
}

int xfrm_sa_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *sa, const char **why)
{
	const struct xfrm_alg_info *enc, *integ;
	struct xfrm_usersa_info *p;
	int rc;

	*why = "";
	if ((rc = check_sa(sa, why)) < 0 || (rc = check_crypto(sa, &enc, &integ, why)) < 0)
		return rc;
	if (cap < nlh->nlmsg_len + sizeof(*p))
		return *why = "buffer too small", -EMSGSIZE;
	p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	if (xfrm_sel_put(&p->sel, &sa->sel, sa->src.family) < 0)
		return *why = "bad traffic selector (family or prefix length)", -EINVAL;
	xfrm_addr_put(&p->id.daddr, &sa->dst);
	p->id.spi = htonl(sa->spi);
	p->id.proto = xfrm_proto_or_esp(sa->proto);
	xfrm_addr_put(&p->saddr, &sa->src);
	xfrm_lft_put(&p->lft, &sa->limits);
	p->seq = sa->acquire_seq;
	p->reqid = xfrm_reqid_tagged(sa->reqid);
	p->family = sa->src.family;
	p->mode = sa->mode == XFRM_SA_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	p->flags = kernel_flags(sa->flags);
	rc = put_replay(nlh, cap, p, sa);
	if (rc == 0)
		rc = put_sa_attrs(nlh, cap, sa, enc, integ);
	if (rc < 0)
		*why = "request too large";
	return rc;
}

int xfrm_sa_id_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *key, uint32_t spi)
{
	struct xfrm_usersa_id *id;

	if (!key->dst.family)
		return -EINVAL;
	if (cap < nlh->nlmsg_len + sizeof(*id))
		return -EMSGSIZE;
	id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	xfrm_addr_put(&id->daddr, &key->dst);
	id->spi = htonl(spi);
	id->family = key->dst.family;
	id->proto = xfrm_proto_or_esp(key->proto);
	return put_mark(nlh, cap, key->mark, key->mark_mask);
}

int xfrm_spi_encode(struct nlmsghdr *nlh, size_t cap, const struct xfrm_sa *key, uint32_t min,
		    uint32_t max)
{
	struct xfrm_userspi_info *u;

	if (!key->dst.family || key->src.family != key->dst.family || key->reqid > XFRM_REQID_MAX)
		return -EINVAL;
	if (min == 0 && max == 0) {
		min = 0x100;    /* 1..255 are reserved by IANA (RFC 4303 s2.1) */
		max = 0xffffffff;
	}
	if (min > max || min < 0x100)
		return -EINVAL;
	if (cap < nlh->nlmsg_len + sizeof(*u))
		return -EMSGSIZE;
	u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	xfrm_addr_put(&u->info.id.daddr, &key->dst);
	u->info.id.proto = xfrm_proto_or_esp(key->proto);
	xfrm_addr_put(&u->info.saddr, &key->src);
	u->info.family = key->dst.family;
	u->info.sel.family = key->dst.family;
	u->info.mode = key->mode == XFRM_SA_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	u->info.reqid = xfrm_reqid_tagged(key->reqid);
	u->info.seq = key->acquire_seq;
	xfrm_lft_put(&u->info.lft, &key->limits);
	u->min = min;
	u->max = max;
	int rc = put_mark(nlh, cap, key->mark, key->mark_mask);
	if (rc == 0)
		rc = put_u32_if(nlh, cap, XFRMA_IF_ID, key->if_id, key->if_id != 0);
	return rc;
}

/* ---- decoding ---- */

static void decode_name(char *dst, size_t size, const char *src, size_t src_size)
{
	size_t n = strnlen(src, src_size);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void decode_algs(struct xfrm_sa_info *out, const struct nlattr *const tb[])
{
	struct xfrm_crypto *c = &out->sa.crypto;

	if (tb[XFRMA_ALG_AEAD]) {
		const struct xfrm_algo_aead *a = mnl_attr_get_payload(tb[XFRMA_ALG_AEAD]);
		decode_name(out->encr_name, sizeof(out->encr_name), a->alg_name, sizeof(a->alg_name));
		out->encr_key_bits = a->alg_key_len;
		out->icv_bits = a->alg_icv_len;
		(void)xfrm_alg_encr_reverse(out->encr_name, a->alg_key_len, a->alg_icv_len, &c->encr,
					    &c->encr_key_bits);
	} else if (tb[XFRMA_ALG_CRYPT]) {
		const struct xfrm_algo *a = mnl_attr_get_payload(tb[XFRMA_ALG_CRYPT]);
		decode_name(out->encr_name, sizeof(out->encr_name), a->alg_name, sizeof(a->alg_name));
		out->encr_key_bits = a->alg_key_len;
		(void)xfrm_alg_encr_reverse(out->encr_name, a->alg_key_len, 0, &c->encr,
					    &c->encr_key_bits);
	}
	if (tb[XFRMA_ALG_AUTH_TRUNC]) {
		const struct xfrm_algo_auth *a = mnl_attr_get_payload(tb[XFRMA_ALG_AUTH_TRUNC]);
		decode_name(out->integ_name, sizeof(out->integ_name), a->alg_name, sizeof(a->alg_name));
		out->icv_bits = a->alg_trunc_len;
		(void)xfrm_alg_integ_reverse(out->integ_name, a->alg_trunc_len, &c->integ);
	} else if (tb[XFRMA_ALG_AUTH]) {
		const struct xfrm_algo *a = mnl_attr_get_payload(tb[XFRMA_ALG_AUTH]);
		decode_name(out->integ_name, sizeof(out->integ_name), a->alg_name, sizeof(a->alg_name));
	}
}

static void decode_replay(struct xfrm_sa_info *out, const struct xfrm_usersa_info *p,
			  const struct nlattr *const tb[])
{
	out->sa.replay_window = p->replay_window;
	out->sa.esn = (p->flags & XFRM_STATE_ESN) != 0;
	if (tb[XFRMA_REPLAY_ESN_VAL]) {
		const struct xfrm_replay_state_esn *r = mnl_attr_get_payload(tb[XFRMA_REPLAY_ESN_VAL]);
		out->sa.replay_window = r->replay_window;
		out->oseq = ((uint64_t)r->oseq_hi << 32) | r->oseq;
		out->seq = ((uint64_t)r->seq_hi << 32) | r->seq;
	} else if (tb[XFRMA_REPLAY_VAL]) {
		const struct xfrm_replay_state *r = mnl_attr_get_payload(tb[XFRMA_REPLAY_VAL]);
		out->oseq = r->oseq;
		out->seq = r->seq;
	}
}

void xfrm_sa_decode(struct xfrm_sa_info *out, const void *raw,
		    const struct nlattr *const tb[XFRMA_MAX + 1])
{
	struct xfrm_sa *sa = &out->sa;
	struct xfrm_usersa_info copy;   /* netlink aligns to 4, the struct has u64s */
	const struct xfrm_usersa_info *p = &copy;

	memcpy(&copy, raw, sizeof(copy));

	memset(out, 0, sizeof(*out));
	xfrm_addr_get(&sa->src, &p->saddr, p->family);
	xfrm_addr_get(&sa->dst, &p->id.daddr, p->family);
	sa->spi = ntohl(p->id.spi);
	sa->proto = p->id.proto;
	sa->mode = p->mode == XFRM_MODE_TUNNEL ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
	out->raw_reqid = p->reqid;
	out->owned = xfrm_reqid_is_owned(p->reqid);
	sa->reqid = out->owned ? p->reqid & XFRM_REQID_MAX : p->reqid;
	sa->flags = ((p->flags & XFRM_STATE_NOECN) ? XFRM_SA_F_NOECN : 0) |
		    ((p->flags & XFRM_STATE_DECAP_DSCP) ? XFRM_SA_F_DECAP_DSCP : 0) |
		    ((p->flags & XFRM_STATE_NOPMTUDISC) ? XFRM_SA_F_NOPMTUDISC : 0) |
		    ((p->flags & XFRM_STATE_AF_UNSPEC) ? XFRM_SA_F_AF_UNSPEC : 0);
	sa->acquire_seq = p->seq;
	xfrm_sel_get(&sa->sel, &p->sel);
	xfrm_lft_get(&sa->limits, &p->lft);
	out->bytes = p->curlft.bytes;
	out->packets = p->curlft.packets;
	out->add_time = p->curlft.add_time;
	out->use_time = p->curlft.use_time;
	out->replay_window_drops = p->stats.replay_window;
	out->replay_errors = p->stats.replay;
	out->integrity_failed = p->stats.integrity_failed;
	decode_algs(out, tb);
	decode_replay(out, p, tb);
	if (tb[XFRMA_ENCAP]) {
		const struct xfrm_encap_tmpl *e = mnl_attr_get_payload(tb[XFRMA_ENCAP]);
		sa->encap = true;
		sa->encap_sport = ntohs(e->encap_sport);
		sa->encap_dport = ntohs(e->encap_dport);
	}
	if (tb[XFRMA_MARK]) {
		const struct xfrm_mark *m = mnl_attr_get_payload(tb[XFRMA_MARK]);
		sa->mark = m->v;
		sa->mark_mask = m->m;
	}
	if (tb[XFRMA_SET_MARK])
		sa->set_mark = mnl_attr_get_u32(tb[XFRMA_SET_MARK]);
	if (tb[XFRMA_SET_MARK_MASK])
		sa->set_mark_mask = mnl_attr_get_u32(tb[XFRMA_SET_MARK_MASK]);
	if (tb[XFRMA_IF_ID])
		sa->if_id = mnl_attr_get_u32(tb[XFRMA_IF_ID]);
}

/* ---- public calls ---- */

static const char *sa_op_name(uint16_t type)
{
	return type == XFRM_MSG_UPDSA ? "update" : "add";
}

static int sa_change(struct xfrm_handle *h, uint16_t type, const struct xfrm_sa *sa)
{
	struct nlmsghdr *nlh = xfrm_req_start(h, type, 0);
	const char *why;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	int rc = xfrm_sa_encode(nlh, XFRM_REQ_MAX, sa, &why);
	if (rc < 0) {
		xfrm_req_abort(h);
		return xfrm_set_error(h, rc, "%s SA %s->%s spi 0x%08x: %s", sa_op_name(type),
				      xfrm_ip_str(&sa->src, s, sizeof(s)),
				      xfrm_ip_str(&sa->dst, d, sizeof(d)), sa->spi, why);
	}
	return xfrm_req_finish(h);
}

int xfrm_sa_add(struct xfrm_handle *h, const struct xfrm_sa *sa)
{
	return sa_change(h, XFRM_MSG_NEWSA, sa);
}

int xfrm_sa_update(struct xfrm_handle *h, const struct xfrm_sa *sa)
{
	return sa_change(h, XFRM_MSG_UPDSA, sa);
}

static int sa_del_spi(struct xfrm_handle *h, const struct xfrm_sa *key, uint32_t spi)
{
	struct nlmsghdr *nlh = xfrm_req_start(h, XFRM_MSG_DELSA, 0);

	int rc = xfrm_sa_id_encode(nlh, XFRM_REQ_MAX, key, spi);
	if (rc < 0) {
		xfrm_req_abort(h);
		return xfrm_set_error(h, rc, "delete SA spi 0x%08x: no destination address", spi);
	}
	return xfrm_req_finish(h);
}

int xfrm_sa_del(struct xfrm_handle *h, const struct xfrm_sa *sa)
{
	return sa_del_spi(h, sa, sa->spi);
}

int xfrm_spi_release(struct xfrm_handle *h, const struct xfrm_sa *key, uint32_t spi)
{
	return sa_del_spi(h, key, spi);
}

struct sa_reply {
	struct xfrm_sa_info *info;
	int (*fn)(const struct xfrm_sa_info *, void *);
	void *arg;
	bool seen;
};

static int sa_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sa_reply *r = data;
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_sa_info tmp;
	struct xfrm_sa_info *out = r->info ? r->info : &tmp;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return 0;
	if (xfrm_attrs_parse(nlh, sizeof(struct xfrm_usersa_info), tb) < 0)
		return -EBADMSG;
	xfrm_sa_decode(out, mnl_nlmsg_get_payload(nlh), tb);
	r->seen = true;
	return r->fn ? r->fn(out, r->arg) : 0;
}

int xfrm_sa_get(struct xfrm_handle *h, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	struct sa_reply r = { .info = out };
	bool saved;
	int rc = xfrm_read_start(h, &saved);

	if (rc < 0)
		return rc;
	struct nlmsghdr *nlh = xfrm_req_start(h, XFRM_MSG_GETSA, 0);
	if ((rc = xfrm_sa_id_encode(nlh, XFRM_REQ_MAX, key, key->spi)) < 0) {
		xfrm_read_abort(h, saved);
		return xfrm_set_error(h, rc, "get SA spi 0x%08x: no destination address", key->spi);
	}
	rc = xfrm_read_run(h, saved, sa_reply_cb, &r);
	if (rc == 0 && !r.seen)
		rc = xfrm_set_error(h, -ESRCH, "get SA spi 0x%08x: no answer", key->spi);
	return rc;
}

int xfrm_sa_dump(struct xfrm_handle *h, int (*fn)(const struct xfrm_sa_info *, void *),
		 void *arg)
{
	struct sa_reply r = { .fn = fn, .arg = arg };
	bool saved;
	int rc = xfrm_read_start(h, &saved);

	if (rc < 0)
		return rc;
	xfrm_req_start(h, XFRM_MSG_GETSA, NLM_F_DUMP);
	return xfrm_read_run(h, saved, sa_reply_cb, &r);
}

int xfrm_spi_alloc(struct xfrm_handle *h, const struct xfrm_sa *key, uint32_t min,
		   uint32_t max, uint32_t *spi)
{
	struct xfrm_sa_info info;
	struct sa_reply r = { .info = &info };
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	bool saved;
	int rc = xfrm_read_start(h, &saved);

	*spi = 0;
	if (rc < 0)
		return rc;
	struct nlmsghdr *nlh = xfrm_req_start(h, XFRM_MSG_ALLOCSPI, 0);
	if ((rc = xfrm_spi_encode(nlh, XFRM_REQ_MAX, key, min, max)) < 0) {
		xfrm_read_abort(h, saved);
		return xfrm_set_error(h, rc, "allocate SPI %s->%s: bad addresses, reqid or range",
				      xfrm_ip_str(&key->src, s, sizeof(s)),
				      xfrm_ip_str(&key->dst, d, sizeof(d)));
	}
	rc = xfrm_read_run(h, saved, sa_reply_cb, &r);
	if (rc == 0 && !r.seen)
		rc = xfrm_set_error(h, -EPROTO, "allocate SPI: the kernel sent no SA back");
	if (rc == 0)
		*spi = info.sa.spi;
	return rc;
}

struct owned_list {
	struct xfrm_sa *keys;
	size_t n, cap;
};

static int collect_owned(const struct xfrm_sa_info *info, void *arg)
{
	struct owned_list *l = arg;

	if (!info->owned)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct xfrm_sa *k = reallocarray(l->keys, cap, sizeof(*k));
		if (!k)
			return -ENOMEM;
		l->keys = k;
		l->cap = cap;
	}
	l->keys[l->n++] = info->sa;     /* no keys in a decoded SA */
	return 0;
}

int xfrm_sa_flush_owned(struct xfrm_handle *h)
{
	struct owned_list l = { 0 };
	int rc = xfrm_sa_dump(h, collect_owned, &l);
	bool was_batching = h->batching;

	if (rc < 0)
		goto out;
	/* A larval SA the kernel made for an ACQUIRE has no SPI yet, and DELSA finds SAs by
	 * SPI: give it one through its acquire seq first (left to expire if that fails). */
	for (size_t i = 0; i < l.n; i++)
		if (l.keys[i].spi == 0 && l.keys[i].acquire_seq != 0 &&
		    xfrm_spi_alloc(h, &l.keys[i], 0, 0, &l.keys[i].spi) < 0)
			l.keys[i].spi = 0;
	if (!was_batching)
		xfrm_batch_begin(h, NULL, NULL);
	int deleted = 0;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (l.keys[i].spi != 0 && (rc = xfrm_sa_del(h, &l.keys[i])) == 0)
			deleted++;
	if (!was_batching) {
		int failed = xfrm_batch_end(h);
		/* An SA that expired meanwhile is not a failure of the flush. */
		if (rc == 0 && failed < 0)
			rc = failed;
	}
	if (rc == 0)
		rc = deleted;
out:
	free(l.keys);
	return rc;
}
