/*
 * The control protocol's parsers on hostile bytes. The input is a datagram as the server
 * (from a client) or a client (from a daemon) receives it: walked message by message
 * with ctl_nlmsg_ok, every message through ctl_attr_parse, NLMSG_ERROR ones through
 * ctl_parse_error_msg as well, then nested attributes through ctl_attr_parse_nested and
 * sockaddr ones through ctl_attr_get_sockaddr, as handlers and vpnctl do. Two more
 * passes reach the parsers without first guessing valid headers: the whole input as one
 * message (its length field fixed up), and as the payload of one attribute given to
 * ctl_attr_get_sockaddr and ctl_attr_parse_nested.
 *
 * ASan/UBSan catch stray accesses; the checks below abort when a parser accepts what its
 * contract forbids (an attribute of the wrong size in tb[], an error text outside the
 * message, a validated nest that no longer parses...).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>

#include "common/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Payload size each fixed-size type must have. */
static const uint16_t fixed_len[] = {
	[CTL_T_U8] = 1, [CTL_T_U16] = 2, [CTL_T_U32] = 4, [CTL_T_U64] = 8, [CTL_T_FLAG] = 0,
};

/* A failed parse still says why, in bounds, and points inside what it parsed. */
static void check_failure(const struct ctl_parse_error *perr, size_t parsed_len)
{
	size_t n = strnlen(perr->why, sizeof(perr->why));

	CHECK(n > 0 && n < sizeof(perr->why));
	CHECK(perr->bad_off <= parsed_len);
}

/* attr lies within [start, start + len) and matches the policy of its number. */
static void check_attr(const struct nlattr *attr, const struct ctl_attr_policy *p,
		       const void *start, size_t len)
{
	const char *a = (const char *)attr, *s = start;
	uint16_t plen;

	CHECK(a >= s && a + MNL_ATTR_HDRLEN <= s + len);
	CHECK(attr->nla_len >= MNL_ATTR_HDRLEN && a + attr->nla_len <= s + len);
	CHECK(p->name != NULL);
	plen = mnl_attr_get_payload_len(attr);
	switch (p->type) {
	case CTL_T_U8: case CTL_T_U16: case CTL_T_U32: case CTL_T_U64: case CTL_T_FLAG:
		CHECK(plen == fixed_len[p->type]);
		break;
	case CTL_T_STRING:
		CHECK(plen > 0 && mnl_attr_get_str(attr)[plen - 1] == '\0');
		CHECK(!p->max_len || plen <= p->max_len);
		break;
	case CTL_T_BINARY:
		CHECK(plen >= p->min_len && (!p->max_len || plen <= p->max_len));
		break;
	case CTL_T_NESTED: case CTL_T_SOCKADDR:
		CHECK(plen == 0 || plen >= MNL_ATTR_HDRLEN);
		break;
	default:
		break;
	}
}

static void check_sockaddr(const struct nlattr *attr)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;

	if (ctl_attr_get_sockaddr(attr, &ss, &len) < 0)
		return;
	CHECK((ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	      (ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)));
}

/* Everything in tb[] (parsed from start..len) is well-formed; go into nests. */
static void check_table(const struct nlattr *const *tb, const void *start, size_t len,
			unsigned depth)
{
	for (uint16_t i = 0; i <= CTL_A_MAX; i++) {
		const struct ctl_attr_policy *p = &ctl_attr_space.attrs[i];
		const struct nlattr *sub[CTL_A_MAX + 1];
		struct ctl_parse_error perr;
		const struct ctl_enum_name *names;

		if (!tb[i])
			continue;
		check_attr(tb[i], p, start, len);
		names = ctl_attr_enum(i);
		if (names && p->type == CTL_T_U8)
			CHECK(ctl_enum_name(names, mnl_attr_get_u8(tb[i]), "?") != NULL);
		if (p->type == CTL_T_SOCKADDR) {
			check_sockaddr(tb[i]);
		} else if (p->type == CTL_T_NESTED && depth < CTL_NEST_DEPTH_MAX) {
			/* the message parse validated this nest: it must parse on its own */
			CHECK(ctl_attr_parse_nested(tb[i], sub, &perr) == 0);
			check_table(sub, mnl_attr_get_payload(tb[i]),
				    mnl_attr_get_payload_len(tb[i]), depth + 1);
		}
	}
}

static void check_error_msg(const struct nlmsghdr *nlh)
{
	const char *msg = NULL, *start = (const char *)nlh;
	int err = 1;

	if (ctl_parse_error_msg(nlh, &err, &msg) < 0) {
		CHECK(nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr));
		return;
	}
	if (!msg)
		return;
	/* the text points into the message and ends there */
	CHECK(msg > start && msg < start + nlh->nlmsg_len);
	CHECK(memchr(msg, '\0', (size_t)(start + nlh->nlmsg_len - msg)) != NULL);
}

static void check_message(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct ctl_parse_error perr;

	if (nlh->nlmsg_type == NLMSG_ERROR)
		check_error_msg(nlh);
	memset(&perr, 0, sizeof(perr));
	if (ctl_attr_parse(nlh, tb, &perr) < 0) {
		check_failure(&perr, nlh->nlmsg_len);
		return;
	}
	check_table(tb, mnl_nlmsg_get_payload(nlh), mnl_nlmsg_get_payload_len(nlh), 1);
	/* without a perr the verdict is the same */
	CHECK(ctl_attr_parse(nlh, tb, NULL) == 0);
}

/* data as the payload of one attribute (exact-size heap copy, as above). */
static void check_as_attribute(const uint8_t *data, size_t size)
{
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct ctl_parse_error perr;
	struct nlattr *attr;

	if (size > UINT16_MAX - MNL_ATTR_HDRLEN)
		return;
	attr = malloc(MNL_ATTR_HDRLEN + size);
	if (!attr)
		return;
	attr->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + size);
	attr->nla_type = CTL_A_PEER_ADDR;
	memcpy((char *)attr + MNL_ATTR_HDRLEN, data, size);
	check_sockaddr(attr);
	attr->nla_type = CTL_A_ENTRY;
	memset(&perr, 0, sizeof(perr));
	if (ctl_attr_parse_nested(attr, tb, &perr) == 0)
		check_table(tb, (char *)attr + MNL_ATTR_HDRLEN, size, 2);
	else
		check_failure(&perr, attr->nla_len);
	free(attr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct nlmsghdr *nlh;
	struct nlmsghdr *whole;
	void *buf;
	int len;

	if (size > CTL_DGRAM_MAX)
		return 0;   /* the receivers refuse bigger datagrams (MSG_TRUNC) */
	/* An exact-size heap copy: malloc's alignment, as the receive buffers have, and
	 * ASan sees any read past the end. */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	nlh = buf;
	len = (int)size;
	while (ctl_nlmsg_ok(nlh, len)) {
		check_message(nlh);
		nlh = mnl_nlmsg_next(nlh, &len);
	}

	if (size >= sizeof(*whole)) {
		whole = buf;
		whole->nlmsg_len = (uint32_t)size;
		check_message(whole);
	}
	free(buf);
	check_as_attribute(data, size);
	return 0;
}
