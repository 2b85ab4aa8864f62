/*
 * Readable failures: the request that failed, what its errno means for that request, and
 * the kernel's own extended-ack text. A missing kernel module should read as such
 * ("kernel has no ESP support (esp4 not loaded)"), not as a bare -93.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm_codec.h"
#include "xfrm/xfrm_sock.h"

static const char *addr_str(const xfrm_address_t *a, uint16_t family, char *buf, size_t size)
{
	struct xfrm_ip ip;

	xfrm_addr_get(&ip, a, family);
	return xfrm_ip_str(&ip, buf, size);
}

static const char *dir_name(uint8_t dir)
{
	return dir == XFRM_POLICY_IN ? "in" : dir == XFRM_POLICY_OUT ? "out" :
	       dir == XFRM_POLICY_FWD ? "fwd" : "?";
}

/* "add SA 192.0.2.1->192.0.2.2 spi 0x00001000" and the like. */
static void describe(char *buf, size_t size, const struct nlmsghdr *req)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	union {                 /* aligned copy of the fixed header: it may hold u64s */
		struct xfrm_usersa_info sa;
		struct xfrm_usersa_id id;
		struct xfrm_userspi_info spi;
		struct xfrm_userpolicy_info pol;
		struct xfrm_userpolicy_id polid;
	} u;
	const void *p = &u;
	size_t len = mnl_nlmsg_get_payload_len(req);

	memset(&u, 0, sizeof(u));
	memcpy(&u, mnl_nlmsg_get_payload(req), len < sizeof(u) ? len : sizeof(u));

	switch (req->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA: {
		const struct xfrm_usersa_info *s = p;
		if (len < sizeof(*s))
			break;
		snprintf(buf, size, "%s SA %s->%s spi 0x%08x", req->nlmsg_type == XFRM_MSG_NEWSA ?
			 "add" : "update", addr_str(&s->saddr, s->family, a, sizeof(a)),
			 addr_str(&s->id.daddr, s->family, b, sizeof(b)), ntohl(s->id.spi));
		return;
	}
	case XFRM_MSG_DELSA:
	case XFRM_MSG_GETSA: {
		const struct xfrm_usersa_id *s = p;
		if (len < sizeof(*s) || (req->nlmsg_flags & NLM_F_DUMP))
			break;
		snprintf(buf, size, "%s SA ->%s spi 0x%08x", req->nlmsg_type == XFRM_MSG_DELSA ?
			 "delete" : "get", addr_str(&s->daddr, s->family, a, sizeof(a)),
			 ntohl(s->spi));
		return;
	}
	case XFRM_MSG_ALLOCSPI: {
		const struct xfrm_userspi_info *s = p;
		if (len < sizeof(*s))
			break;
		snprintf(buf, size, "allocate SPI %s->%s", addr_str(&s->info.saddr, s->info.family, a,
			 sizeof(a)), addr_str(&s->info.id.daddr, s->info.family, b, sizeof(b)));
		return;
	}
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY: {
		const struct xfrm_userpolicy_info *s = p;
		if (len < sizeof(*s))
			break;
		snprintf(buf, size, "%s policy %s %s/%u->%s/%u proto %u",
			 req->nlmsg_type == XFRM_MSG_NEWPOLICY ? "add" : "update", dir_name(s->dir),
			 addr_str(&s->sel.saddr, s->sel.family, a, sizeof(a)), s->sel.prefixlen_s,
			 addr_str(&s->sel.daddr, s->sel.family, b, sizeof(b)), s->sel.prefixlen_d,
			 s->sel.proto);
		return;
	}
	case XFRM_MSG_DELPOLICY: {
		const struct xfrm_userpolicy_id *s = p;
		if (len < sizeof(*s))
			break;
		snprintf(buf, size, "delete policy %s %s/%u->%s/%u index %u", dir_name(s->dir),
			 addr_str(&s->sel.saddr, s->sel.family, a, sizeof(a)), s->sel.prefixlen_s,
			 addr_str(&s->sel.daddr, s->sel.family, b, sizeof(b)), s->sel.prefixlen_d,
			 s->index);
		return;
	}
	default:
		break;
	}
	snprintf(buf, size, "xfrm request %u%s", req->nlmsg_type,
		 (req->nlmsg_flags & NLM_F_DUMP) ? " (dump)" : "");
}

/*
 * The kernel names of the algorithms a NEWSA/UPDSA request asks for, for ENOSYS: the one
 * the kernel's text names ("Requested CRYPT algorithm not found"), else all of them.
 */
static void requested_algs(char *buf, size_t size, const struct nlmsghdr *req,
			   const char *extack)
{
	static const struct {
		uint16_t type;
		const char *word;
	} kinds[] = {
		{ XFRMA_ALG_AEAD, "AEAD" }, { XFRMA_ALG_CRYPT, "CRYPT" }, { XFRMA_ALG_AUTH_TRUNC, "AUTH" },
	};
	const struct nlattr *tb[XFRMA_MAX + 1];
	size_t used = 0;
	bool named = false;

	buf[0] = '\0';
	if (xfrm_attrs_parse(req, sizeof(struct xfrm_usersa_info), tb) < 0)
		return;
	for (size_t i = 0; extack && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		named |= tb[kinds[i].type] && strstr(extack, kinds[i].word);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && used < size; i++) {
		if (!tb[kinds[i].type] || (named && !strstr(extack, kinds[i].word)))
			continue;
		uint16_t t = kinds[i].type;
		/* Every xfrm_algo* struct starts with char alg_name[64]. */
		const char *name = mnl_attr_get_payload(tb[t]);
		used += (size_t)snprintf(buf + used, size - used, "%s%.64s", used ? ", " : "", name);
	}
}

static void explain_sa_add(char *buf, size_t size, const struct nlmsghdr *req, int err,
			   const char *extack)
{
	struct xfrm_usersa_info copy;
	const struct xfrm_usersa_info *s = &copy;

	memcpy(&copy, mnl_nlmsg_get_payload(req), sizeof(copy));   /* caller checked the length */
	bool v6 = s->family == AF_INET6;
	char algs[200];

	switch (err) {
	case -EPROTONOSUPPORT:
		if (s->id.proto == IPPROTO_ESP)
			snprintf(buf, size, "kernel has no ESP support (%s not loaded)",
				 v6 ? "esp6" : "esp4");
		else
			snprintf(buf, size, "kernel has no support for IPsec protocol %u", s->id.proto);
		return;
	case -ENOSYS:
	case -ENOENT:
		requested_algs(algs, sizeof(algs), req, extack);
		snprintf(buf, size, "kernel lacks the crypto algorithm(s) %s (module not loaded?)",
			 algs);
		return;
	case -EEXIST:
		snprintf(buf, size, "an SA with this destination, SPI, protocol and mark exists");
		return;
	case -ESRCH:
		snprintf(buf, size, "no such SA to update (a larval SA may have expired)");
		return;
	default:
		snprintf(buf, size, "%s", strerror(-err));
	}
}

static void explain(char *buf, size_t size, const struct nlmsghdr *req, int err,
		    const char *extack)
{
	uint16_t t = req->nlmsg_type;
	bool has_payload = mnl_nlmsg_get_payload_len(req) > 0;

	if (err == -EPERM) {
		snprintf(buf, size, "permission denied (needs CAP_NET_ADMIN in this netns)");
	} else if ((t == XFRM_MSG_NEWSA || t == XFRM_MSG_UPDSA) && has_payload &&
		   mnl_nlmsg_get_payload_len(req) >= sizeof(struct xfrm_usersa_info)) {
		explain_sa_add(buf, size, req, err, extack);
	} else if ((t == XFRM_MSG_DELSA || t == XFRM_MSG_GETSA) && err == -ESRCH) {
		snprintf(buf, size, "no such SA");
	} else if (t == XFRM_MSG_ALLOCSPI && err == -ENOENT) {
		snprintf(buf, size, "no free SPI in the requested range");
	} else if (t == XFRM_MSG_DELPOLICY && err == -ENOENT) {
		snprintf(buf, size, "no such policy");
	} else if (t == XFRM_MSG_NEWPOLICY && err == -EEXIST) {
		snprintf(buf, size, "a policy with this selector, direction, mark and priority "
			 "exists");
	} else {
		snprintf(buf, size, "%s", strerror(-err));
	}
}

void xfrm_error_text(char *buf, size_t size, const struct nlmsghdr *req, int err,
		     const char *extack)
{
	char what[160], why[240];
	const char *ename = strerrorname_np(-err);

	if (req) {
		describe(what, sizeof(what), req);
		explain(why, sizeof(why), req, err, extack);
	} else {
		snprintf(what, sizeof(what), "xfrm request");
		snprintf(why, sizeof(why), "%s", strerror(-err));
	}
	if (!ename)
		ename = "unknown errno";
	if (extack && *extack)
		snprintf(buf, size, "%s: %s (kernel: \"%s\", %s)", what, why, extack, ename);
	else
		snprintf(buf, size, "%s: %s (%s)", what, why, ename);
}
