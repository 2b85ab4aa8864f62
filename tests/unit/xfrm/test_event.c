/*
 * Kernel event parsing from hand-built messages laid out as the kernel sends them:
 * EXPIRE (usersa_info + hard flag + attributes), DELSA (usersa_id + XFRMA_SA), ACQUIRE
 * (template family decides the SA's), MAPPING, a DELPOLICY; truncated and unknown
 * messages; and SA read-back (algorithm ids from kernel names, untagged reqid).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm.h"
#include "xfrm/xfrm_sa.h"

/* Offset 4 on purpose: netlink only guarantees 4-byte alignment, the structs want 8. */
static uint64_t storage[1024];
#define BUF ((uint8_t *)storage + 4)
#define CAP (sizeof(storage) - 4)

static struct nlmsghdr *msg(uint16_t type)
{
	memset(storage, 0, sizeof(storage));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(BUF);
	nlh->nlmsg_type = type;
	return nlh;
}

static void put_extra(struct nlmsghdr *nlh, const void *hdr, size_t len)
{
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), hdr, len);
}

/* A message of type: fixed header hdr, then one attribute (atype, attr) unless atype is 0. */
static struct nlmsghdr *build(uint16_t type, const void *hdr, size_t len, uint16_t atype,
			      const void *attr, size_t alen)
{
	struct nlmsghdr *nlh = msg(type);

	put_extra(nlh, hdr, len);
	if (atype)
		mnl_attr_put(nlh, atype, alen, attr);
	return nlh;
}

static void sa_info(struct xfrm_usersa_info *p)
{
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &p->saddr.a4);
	inet_pton(AF_INET, "198.51.100.2", &p->id.daddr.a4);
	p->id.spi = htonl(0xc0de0042);
	p->id.proto = IPPROTO_ESP;
	p->reqid = 0x6c200000 + 12;
	p->mode = XFRM_MODE_TUNNEL;
	p->curlft.bytes = 1500;
	p->curlft.packets = 3;
	p->curlft.add_time = 1700000000;
	p->lft.soft_byte_limit = XFRM_INF;
	p->lft.hard_add_expires_seconds = 60;
}

static void put_aead(struct nlmsghdr *nlh)
{
	uint8_t tmp[sizeof(struct xfrm_algo_aead) + 20] = { 0 };
	struct xfrm_algo_aead *a = (struct xfrm_algo_aead *)tmp;
	strcpy(a->alg_name, "rfc4106(gcm(aes))");
	a->alg_key_len = 160;
	a->alg_icv_len = 96;
	mnl_attr_put(nlh, XFRMA_ALG_AEAD, sizeof(tmp), tmp);
}

static void test_expire(void **state)
{
	struct xfrm_user_expire ue;
	struct xfrm_event e;
	struct xfrm_mark m = { 7, 0xff };

	sa_info(&ue.state);
	ue.hard = 1;
	struct nlmsghdr *nlh = msg(XFRM_MSG_EXPIRE);
	put_extra(nlh, &ue, sizeof(ue));
	put_aead(nlh);
	mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	struct xfrm_encap_tmpl enc = { .encap_type = 2, .encap_sport = htons(4500),
				       .encap_dport = htons(31000) };
	mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(enc), &enc);

	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_EXPIRE);
	assert_true(e.hard);
	assert_true(e.owned);
	assert_int_equal(e.sa.sa.spi, 0xc0de0042);
	assert_int_equal(e.sa.sa.reqid, 12);
	assert_int_equal(e.sa.raw_reqid, 0x6c20000c);
	assert_int_equal(e.sa.sa.mode, XFRM_SA_TUNNEL);
	assert_int_equal(e.sa.sa.mark, 7);
	assert_int_equal(e.sa.sa.mark_mask, 0xff);
	assert_true(e.sa.sa.encap);
	assert_int_equal(e.sa.sa.encap_dport, 31000);
	assert_int_equal(e.sa.bytes, 1500);
	assert_int_equal(e.sa.packets, 3);
	assert_int_equal(e.sa.sa.limits.soft_bytes, 0);         /* XFRM_INF -> "no limit" */
	assert_int_equal(e.sa.sa.limits.hard_add_s, 60);
	assert_string_equal(e.sa.encr_name, "rfc4106(gcm(aes))");
	assert_int_equal(e.sa.sa.crypto.encr, XFRM_ENCR_AES_GCM_12);
	assert_int_equal(e.sa.sa.crypto.encr_key_bits, 128);
	char a[64];
	assert_string_equal(xfrm_ip_str(&e.sa.sa.dst, a, sizeof(a)), "198.51.100.2");

	/* Cut anywhere inside the fixed header: malformed, never a read past the end. */
	for (uint32_t len = 16; len < 16 + sizeof(ue); len += 7) {
		nlh->nlmsg_len = len;
		assert_int_equal(xfrm_event_parse(nlh, len, &e), -EBADMSG);
	}
	/* A short attribute (a 4-byte mark) is refused too. */
	nlh = msg(XFRM_MSG_EXPIRE);
	put_extra(nlh, &ue, sizeof(ue));
	mnl_attr_put_u32(nlh, XFRMA_MARK, 7);
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), -EBADMSG);
	/* nlmsg_len larger than the buffer. */
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len - 1, &e), -EBADMSG);
}

static void test_delsa_uses_nested_state(void **state)
{
	struct xfrm_usersa_id id = { 0 };
	struct xfrm_usersa_info p;
	struct xfrm_event e;

	sa_info(&p);
	p.reqid = 3;            /* not ours */
	id.spi = p.id.spi;
	id.family = AF_INET;
	id.proto = IPPROTO_ESP;
	struct nlmsghdr *nlh = build(XFRM_MSG_DELSA, &id, sizeof(id), XFRMA_SA, &p, sizeof(p));
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_DELSA);
	assert_false(e.owned);
	assert_int_equal(e.sa.sa.reqid, 3);
	assert_int_equal(e.sa.sa.spi, 0xc0de0042);
	/* Without XFRMA_SA it is malformed. */
	nlh = build(XFRM_MSG_DELSA, &id, sizeof(id), 0, NULL, 0);
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), -EBADMSG);
}

static void test_acquire(void **state)
{
	struct xfrm_user_acquire ua;
	struct xfrm_user_tmpl t;
	struct xfrm_event e;

	memset(&ua, 0, sizeof(ua));
	memset(&t, 0, sizeof(t));
	/* An IPv6 flow in an IPv4 tunnel: the SA family is the template's. */
	ua.sel.family = AF_INET6;
	ua.policy.sel.family = AF_INET6;
	ua.policy.index = 0x99;
	ua.policy.dir = XFRM_POLICY_OUT;
	ua.seq = 4242;
	inet_pton(AF_INET, "192.0.2.1", &ua.saddr.a4);
	inet_pton(AF_INET, "203.0.113.5", &ua.id.daddr.a4);
	t.family = AF_INET;
	t.mode = XFRM_MODE_TUNNEL;
	t.reqid = 0x6c200000 + 8;
	t.id.proto = IPPROTO_ESP;
	struct nlmsghdr *nlh = build(XFRM_MSG_ACQUIRE, &ua, sizeof(ua), XFRMA_TMPL, &t, sizeof(t));
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_ACQUIRE);
	assert_true(e.owned);
	assert_int_equal(e.policy.reqid, 8);
	assert_int_equal(e.acquire.seq, 4242);
	assert_int_equal(e.acquire.policy_index, 0x99);
	char a[64];
	assert_string_equal(xfrm_ip_str(&e.acquire.dst, a, sizeof(a)), "203.0.113.5");
	assert_string_equal(xfrm_ip_str(&e.acquire.src, a, sizeof(a)), "192.0.2.1");
}

static void test_mapping_and_others(void **state)
{
	struct xfrm_user_mapping um;
	struct xfrm_event e;
	char a[64];

	memset(&um, 0, sizeof(um));
	um.id.family = AF_INET;
	um.id.spi = htonl(0x1234);
	um.reqid = 0x6c200000 + 1;
	inet_pton(AF_INET, "192.0.2.1", &um.id.daddr.a4);
	inet_pton(AF_INET, "203.0.113.7", &um.old_saddr.a4);
	inet_pton(AF_INET, "203.0.113.8", &um.new_saddr.a4);
	um.old_sport = htons(4500);
	um.new_sport = htons(61000);
	struct nlmsghdr *nlh = build(XFRM_MSG_MAPPING, &um, sizeof(um), 0, NULL, 0);
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_MAPPING);
	assert_int_equal(e.mapping.spi, 0x1234);
	assert_int_equal(e.mapping.new_sport, 61000);
	assert_int_equal(e.mapping.reqid, 1);
	assert_string_equal(xfrm_ip_str(&e.mapping.new_src, a, sizeof(a)), "203.0.113.8");

	nlh = msg(XFRM_MSG_FLUSHPOLICY);
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_FLUSHPOLICY);
	nlh = msg(XFRM_MSG_GETSADINFO);         /* not an event we report */
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 0);
	assert_int_equal(xfrm_event_parse(nlh, 8, &e), -EBADMSG);
	assert_string_equal(xfrm_event_kind_name(XFRM_EV_POLEXPIRE), "polexpire");
}

static void test_delpolicy(void **state)
{
	struct xfrm_userpolicy_id id;
	struct xfrm_userpolicy_info u;
	struct xfrm_user_tmpl t;
	struct xfrm_event e;

	memset(&id, 0, sizeof(id));
	memset(&u, 0, sizeof(u));
	memset(&t, 0, sizeof(t));
	u.sel.family = AF_INET;
	u.sel.prefixlen_d = 32;
	u.sel.proto = IPPROTO_UDP;
	u.sel.dport = htons(1701);
	u.sel.dport_mask = 0xffff;
	u.dir = XFRM_POLICY_IN;
	u.priority = 1000;
	t.reqid = 0x6c200000 + 44;
	t.id.proto = IPPROTO_ESP;
	t.optional = 1;
	struct nlmsghdr *nlh = build(XFRM_MSG_DELPOLICY, &id, sizeof(id), XFRMA_POLICY, &u, sizeof(u));
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
	assert_int_equal(xfrm_event_parse(nlh, nlh->nlmsg_len, &e), 1);
	assert_int_equal(e.kind, XFRM_EV_DELPOLICY);
	assert_true(e.owned);
	assert_int_equal(e.policy.reqid, 44);
	assert_int_equal(e.policy.sel.dport, 1701);
	assert_int_equal(e.policy.priority, 1000);
	assert_true(e.policy.optional);
	assert_int_equal(e.policy.mode, XFRM_SA_TRANSPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_delsa_uses_nested_state),
		cmocka_unit_test(test_acquire),
		cmocka_unit_test(test_mapping_and_others),
		cmocka_unit_test(test_delpolicy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
