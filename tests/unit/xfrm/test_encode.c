/*
 * xfrm message encoding against hand-computed kernel layouts: the usersa_info and
 * userpolicy_info fields, each attribute's type, exact length and bytes, the algorithm
 * table, validation failures and the readable error text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/udp.h>
#include <string.h>
#include <sys/socket.h>

#include "xfrm/xfrm.h"
#include "xfrm/xfrm_alg.h"
#include "xfrm/xfrm_policy.h"
#include "xfrm/xfrm_sa.h"
#include "xfrm/xfrm_sock.h"

static uint8_t buf[XFRM_REQ_MAX];
static const uint8_t key20[20] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				   0xa0, 0xa1, 0xa2, 0xa3 };
static const uint8_t key32[32] = { [0] = 0x11, [31] = 0x22 };

static struct nlmsghdr *new_msg(uint16_t type)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	return nlh;
}

static struct xfrm_ip ip(const char *s)
{
	struct xfrm_ip a;
	assert_int_equal(xfrm_ip_parse(&a, s), 0);
	return a;
}

static struct xfrm_sa gcm_sa(void)
{
	struct xfrm_sa sa = { 0 };
	sa.src = ip("192.0.2.1");
	sa.dst = ip("198.51.100.2");
	sa.spi = 0xc0de0001;
	sa.mode = XFRM_SA_TRANSPORT;
	sa.reqid = 7;
	sa.crypto.encr = XFRM_ENCR_AES_GCM_16;
	sa.crypto.encr_key_bits = 128;
	sa.crypto.encr_key = key20;
	sa.crypto.encr_key_len = 20;
	return sa;
}

/* The attributes after the fixed header, in order, as (type, len, payload). */
struct attr_list {
	unsigned int n;
	uint16_t type[16];
	uint16_t len[16];
	const uint8_t *data[16];
};

static void attrs_of(const struct nlmsghdr *nlh, size_t hdrlen, struct attr_list *l)
{
	const struct nlattr *a;
	memset(l, 0, sizeof(*l));
	mnl_attr_for_each(a, nlh, hdrlen) {
		assert_true(l->n < 16);
		l->type[l->n] = mnl_attr_get_type(a);
		l->len[l->n] = mnl_attr_get_payload_len(a);
		l->data[l->n] = mnl_attr_get_payload(a);
		l->n++;
	}
}

static void test_sa_gcm_transport_natt(void **state)
{
	struct xfrm_sa sa = gcm_sa();
	const char *why;
	struct attr_list l;

	sa.encap = true;
	sa.encap_sport = 4500;
	sa.encap_dport = 40001;
	sa.mark = 0x10;
	sa.mark_mask = 0xff;
	sa.set_mark = 0x2000;
	sa.set_mark_mask = 0xf000;
	sa.if_id = 9;
	sa.replay_window = 32;
	sa.limits.soft_add_s = 3000;
	sa.limits.hard_add_s = 3600;
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_NEWSA);
	assert_int_equal(xfrm_sa_encode(nlh, sizeof(buf), &sa, &why), 0);

	const struct xfrm_usersa_info *p = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(p->family, AF_INET);
	assert_int_equal(p->mode, XFRM_MODE_TRANSPORT);
	assert_int_equal(p->id.proto, IPPROTO_ESP);
	assert_memory_equal(&p->id.spi, "\xc0\xde\x00\x01", 4);
	assert_memory_equal(&p->id.daddr.a4, "\xc6\x33\x64\x02", 4);
	assert_memory_equal(&p->saddr.a4, "\xc0\x00\x02\x01", 4);
	assert_int_equal(p->reqid, 0x6c200007);
	assert_int_equal(p->replay_window, 32);
	assert_int_equal(p->flags, 0);
	assert_int_equal(p->sel.family, AF_INET);       /* selector: any, of the SA's family */
	assert_int_equal(p->sel.prefixlen_d, 0);
	assert_true(p->lft.soft_byte_limit == XFRM_INF && p->lft.hard_packet_limit == XFRM_INF);
	assert_int_equal(p->lft.soft_add_expires_seconds, 3000);
	assert_int_equal(p->lft.hard_add_expires_seconds, 3600);

	attrs_of(nlh, sizeof(*p), &l);
	assert_int_equal(l.n, 6);
	/* AEAD: name[64] + key_len + icv_len + 20 key bytes (16 AES + 4 salt). */
	assert_int_equal(l.type[0], XFRMA_ALG_AEAD);
	assert_int_equal(l.len[0], 64 + 4 + 4 + 20);
	const struct xfrm_algo_aead *a = (const void *)l.data[0];
	assert_string_equal(a->alg_name, "rfc4106(gcm(aes))");
	assert_int_equal(a->alg_key_len, 160);
	assert_int_equal(a->alg_icv_len, 128);
	assert_memory_equal(a->alg_key, key20, 20);
	/* ENCAP: type ESPINUDP, ports in network order, no original address. */
	assert_int_equal(l.type[1], XFRMA_ENCAP);
	assert_int_equal(l.len[1], sizeof(struct xfrm_encap_tmpl));
	const struct xfrm_encap_tmpl *e = (const void *)l.data[1];
	assert_int_equal(e->encap_type, UDP_ENCAP_ESPINUDP);
	assert_memory_equal(&e->encap_sport, "\x11\x94", 2);     /* 4500 */
	assert_memory_equal(&e->encap_dport, "\x9c\x41", 2);     /* 40001 */
	assert_int_equal(l.type[2], XFRMA_MARK);
	assert_int_equal(l.len[2], 8);
	assert_memory_equal(l.data[2], "\x10\x00\x00\x00\xff\x00\x00\x00", 8);
	assert_int_equal(l.type[3], XFRMA_SET_MARK);
	assert_int_equal(*(const uint32_t *)l.data[3], 0x2000);
	assert_int_equal(l.type[4], XFRMA_SET_MARK_MASK);
	assert_int_equal(*(const uint32_t *)l.data[4], 0xf000);
	assert_int_equal(l.type[5], XFRMA_IF_ID);
	assert_int_equal(*(const uint32_t *)l.data[5], 9);
	/* Total: header + usersa_info + attributes, nothing else. */
	assert_int_equal(nlh->nlmsg_len, 16 + sizeof(*p) + (4 + 92) + (4 + 24) + (4 + 8) +
			 3 * (4 + 4));
}

static void test_sa_cbc_sha256_tunnel_v6_esn(void **state)
{
	struct xfrm_sa sa = { 0 };
	const char *why;
	struct attr_list l;

	sa.src = ip("2001:db8::1");
	sa.dst = ip("2001:db8::2");
	sa.spi = 0x1000;
	sa.mode = XFRM_SA_TUNNEL;
	sa.crypto = (struct xfrm_crypto){ XFRM_ENCR_AES_CBC, 256, XFRM_INTEG_HMAC_SHA2_256_128,
					  key32, 32, key32, 32 };
	sa.esn = true;
	sa.replay_window = 64;
	sa.flags = XFRM_SA_F_AF_UNSPEC;
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_NEWSA);
	assert_int_equal(xfrm_sa_encode(nlh, sizeof(buf), &sa, &why), 0);
	const struct xfrm_usersa_info *p = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(p->family, AF_INET6);
	assert_int_equal(p->mode, XFRM_MODE_TUNNEL);
	assert_int_equal(p->replay_window, 0);  /* must be 0 when the ESN attribute is used */
	assert_int_equal(p->flags, XFRM_STATE_ESN | XFRM_STATE_AF_UNSPEC);
	assert_memory_equal(p->id.daddr.a6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);

	attrs_of(nlh, sizeof(*p), &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.type[0], XFRMA_REPLAY_ESN_VAL);
	assert_int_equal(l.len[0], sizeof(struct xfrm_replay_state_esn) + 2 * 4);
	const struct xfrm_replay_state_esn *r = (const void *)l.data[0];
	assert_int_equal(r->bmp_len, 2);
	assert_int_equal(r->replay_window, 64);
	assert_int_equal(l.type[1], XFRMA_ALG_CRYPT);
	assert_int_equal(l.len[1], 64 + 4 + 32);
	assert_string_equal(((const struct xfrm_algo *)l.data[1])->alg_name, "cbc(aes)");
	assert_int_equal(((const struct xfrm_algo *)l.data[1])->alg_key_len, 256);
	assert_int_equal(l.type[2], XFRMA_ALG_AUTH_TRUNC);
	assert_int_equal(l.len[2], 64 + 4 + 4 + 32);
	const struct xfrm_algo_auth *au = (const void *)l.data[2];
	assert_string_equal(au->alg_name, "hmac(sha256)");
	assert_int_equal(au->alg_key_len, 256);
	assert_int_equal(au->alg_trunc_len, 128);
}

static void test_sa_validation(void **state)
{
	const char *why;
	struct xfrm_sa sa = gcm_sa();

	sa.crypto.encr_key_len = 16;    /* salt forgotten */
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	assert_non_null(strstr(why, "key length"));
	sa = gcm_sa();
	sa.crypto.integ = XFRM_INTEG_HMAC_SHA1_96;
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	sa = gcm_sa();
	sa.crypto.encr_key_bits = 0;    /* AES needs the key length attribute */
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why),
			 -ENOTSUP);
	sa = gcm_sa();
	sa.esn = true;
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	sa = gcm_sa();
	sa.dst = ip("2001:db8::2");
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	sa = gcm_sa();
	sa.encap = true;
	sa.encap_sport = 4500;
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	sa = gcm_sa();
	sa.reqid = XFRM_REQID_MAX + 1;
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), sizeof(buf), &sa, &why), -EINVAL);
	/* A too small buffer fails instead of writing past it. */
	sa = gcm_sa();
	assert_int_equal(xfrm_sa_encode(new_msg(XFRM_MSG_NEWSA), 200, &sa, &why), -EMSGSIZE);
}

static void test_alg_table(void **state)
{
	size_t e, i;
	const struct {
		uint16_t encr, bits, integ;
		size_t ekey, ikey;
		const char *kname;
		uint16_t icv;
	} rows[] = {
		{ XFRM_ENCR_AES_GCM_8, 128, 0, 20, 0, "rfc4106(gcm(aes))", 64 },
		{ XFRM_ENCR_AES_GCM_12, 192, 0, 28, 0, "rfc4106(gcm(aes))", 96 },
		{ XFRM_ENCR_AES_GCM_16, 256, 0, 36, 0, "rfc4106(gcm(aes))", 128 },
		{ XFRM_ENCR_CHACHA20_POLY1305, 0, 0, 36, 0, "rfc7539esp(chacha20,poly1305)", 128 },
		{ XFRM_ENCR_AES_CBC, 128, XFRM_INTEG_HMAC_SHA1_96, 16, 20, "cbc(aes)", 0 },
		{ XFRM_ENCR_AES_CBC, 256, XFRM_INTEG_HMAC_SHA2_384_192, 32, 48, "cbc(aes)", 0 },
		{ XFRM_ENCR_3DES, 0, XFRM_INTEG_HMAC_SHA2_512_256, 24, 64, "cbc(des3_ede)", 0 },
		{ XFRM_ENCR_3DES, 192, XFRM_INTEG_HMAC_SHA2_256_128, 24, 32, "cbc(des3_ede)", 0 },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		assert_int_equal(xfrm_alg_keymat(rows[r].encr, rows[r].bits, rows[r].integ, &e, &i),
				 0);
		assert_int_equal(e, rows[r].ekey);
		assert_int_equal(i, rows[r].ikey);
		const struct xfrm_alg_info *a = xfrm_alg_encr(rows[r].encr, rows[r].bits);
		assert_string_equal(a->kernel_name, rows[r].kname);
		assert_int_equal(a->icv_bits, rows[r].icv);
	}
	/* RFC 2404 / RFC 4868 truncations. */
	assert_int_equal(xfrm_alg_integ(XFRM_INTEG_HMAC_SHA1_96)->icv_bits, 96);
	assert_int_equal(xfrm_alg_integ(XFRM_INTEG_HMAC_SHA2_256_128)->icv_bits, 128);
	assert_int_equal(xfrm_alg_integ(XFRM_INTEG_HMAC_SHA2_384_192)->icv_bits, 192);
	assert_int_equal(xfrm_alg_integ(XFRM_INTEG_HMAC_SHA2_512_256)->icv_bits, 256);
	assert_string_equal(xfrm_alg_integ(XFRM_INTEG_HMAC_SHA2_512_256)->kernel_name,
			    "hmac(sha512)");
	/* Refused combinations. */
	assert_int_equal(xfrm_alg_keymat(XFRM_ENCR_AES_CBC, 128, 0, &e, &i), -ENOTSUP);
	assert_int_equal(xfrm_alg_keymat(XFRM_ENCR_AES_GCM_16, 128, 2, &e, &i), -ENOTSUP);
	assert_int_equal(xfrm_alg_keymat(XFRM_ENCR_AES_CBC, 160, 2, &e, &i), -ENOTSUP);
	assert_null(xfrm_alg_encr(XFRM_ENCR_CHACHA20_POLY1305, 128));
	assert_null(xfrm_alg_integ(1));                 /* HMAC-MD5-96 */
	/* IKEv1 authentication algorithm attribute values. */
	assert_int_equal(xfrm_integ_from_ikev1(2), XFRM_INTEG_HMAC_SHA1_96);
	assert_int_equal(xfrm_integ_from_ikev1(5), XFRM_INTEG_HMAC_SHA2_256_128);
	assert_int_equal(xfrm_integ_from_ikev1(7), XFRM_INTEG_HMAC_SHA2_512_256);
	assert_int_equal(xfrm_integ_from_ikev1(1), 0);
	/* Reverse lookups, as SAs read back from the kernel need them. */
	uint16_t id, bits;
	assert_int_equal(xfrm_alg_encr_reverse("rfc4106(gcm(aes))", 288, 96, &id, &bits), 0);
	assert_int_equal(id, XFRM_ENCR_AES_GCM_12);
	assert_int_equal(bits, 256);
	assert_int_equal(xfrm_alg_encr_reverse("cbc(aes)", 100, 0, &id, &bits), -ENOENT);
	assert_int_equal(xfrm_alg_integ_reverse("hmac(sha1)", 96, &id), 0);
	assert_int_equal(id, XFRM_INTEG_HMAC_SHA1_96);
}

static void test_policy_l2tp(void **state)
{
	struct xfrm_policy p;
	struct xfrm_ip local = ip("192.0.2.1"), peer = ip("203.0.113.9");
	const char *why;
	struct attr_list l;

	xfrm_policy_l2tp(&p, XFRM_DIR_OUT, &local, &peer, 1701, 42);
	p.priority = 1000;
	p.mark = 0x5;
	p.mark_mask = 0xffffffff;
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_NEWPOLICY);
	assert_int_equal(xfrm_policy_encode(nlh, sizeof(buf), &p, &why), 0);
	const struct xfrm_userpolicy_info *u = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(u->dir, XFRM_POLICY_OUT);
	assert_int_equal(u->action, XFRM_POLICY_ALLOW);
	assert_int_equal(u->priority, 1000);
	assert_int_equal(u->sel.family, AF_INET);
	assert_int_equal(u->sel.proto, IPPROTO_UDP);
	assert_int_equal(u->sel.prefixlen_s, 32);
	assert_int_equal(u->sel.prefixlen_d, 32);
	assert_memory_equal(&u->sel.sport, "\x06\xa5", 2);      /* 1701 */
	assert_int_equal(u->sel.sport_mask, 0xffff);
	assert_memory_equal(&u->sel.saddr.a4, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(&u->sel.daddr.a4, "\xcb\x00\x71\x09", 4);
	assert_true(u->lft.hard_byte_limit == XFRM_INF);
	attrs_of(nlh, sizeof(*u), &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.type[0], XFRMA_TMPL);
	assert_int_equal(l.len[0], sizeof(struct xfrm_user_tmpl));
	const struct xfrm_user_tmpl *t = (const void *)l.data[0];
	assert_int_equal(t->id.proto, IPPROTO_ESP);
	assert_int_equal(t->mode, XFRM_MODE_TRANSPORT);
	assert_int_equal(t->reqid, 0x6c200000 + 42);
	assert_int_equal(t->family, AF_INET);
	assert_int_equal(t->optional, 0);
	assert_true(t->aalgos == ~0u && t->ealgos == ~0u && t->calgos == ~0u);
	assert_int_equal(l.type[1], XFRMA_MARK);

	/* Inbound: the peer is the source, its (NATed) port the source port. */
	xfrm_policy_l2tp(&p, XFRM_DIR_IN, &local, &peer, 4500, 42);
	nlh = new_msg(XFRM_MSG_NEWPOLICY);
	assert_int_equal(xfrm_policy_encode(nlh, sizeof(buf), &p, &why), 0);
	u = mnl_nlmsg_get_payload(nlh);
	assert_memory_equal(&u->sel.saddr.a4, "\xcb\x00\x71\x09", 4);
	assert_memory_equal(&u->sel.sport, "\x11\x94", 2);
	assert_memory_equal(&u->sel.dport, "\x06\xa5", 2);
}

static void test_policy_tunnel_and_delete(void **state)
{
	struct xfrm_policy p = { 0 };
	const char *why;
	struct attr_list l;

	p.sel.src = ip("2001:db8:1::");
	p.sel.src_plen = 48;
	p.sel.dst = ip("2001:db8:2::");
	p.sel.dst_plen = 48;
	p.dir = XFRM_DIR_FWD;
	p.ipsec = true;
	p.mode = XFRM_SA_TUNNEL;
	p.optional = true;
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_NEWPOLICY);
	assert_int_equal(xfrm_policy_encode(nlh, sizeof(buf), &p, &why), -EINVAL);
	assert_non_null(strstr(why, "tunnel endpoints"));
	p.tun_src = ip("2001:db8::a");
	p.tun_dst = ip("2001:db8::b");
	nlh = new_msg(XFRM_MSG_NEWPOLICY);
	assert_int_equal(xfrm_policy_encode(nlh, sizeof(buf), &p, &why), 0);
	attrs_of(nlh, sizeof(struct xfrm_userpolicy_info), &l);
	assert_int_equal(l.n, 1);
	const struct xfrm_user_tmpl *t = (const void *)l.data[0];
	assert_int_equal(t->mode, XFRM_MODE_TUNNEL);
	assert_int_equal(t->optional, 1);
	assert_int_equal(t->family, AF_INET6);
	assert_memory_equal(t->id.daddr.a6, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x0b", 16);

	/* Delete by index carries no selector; without an index it carries the selector. */
	p.index = 0x1234;
	nlh = new_msg(XFRM_MSG_DELPOLICY);
	assert_int_equal(xfrm_policy_id_encode(nlh, sizeof(buf), &p), 0);
	const struct xfrm_userpolicy_id *id = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(id->index, 0x1234);
	assert_int_equal(id->sel.family, 0);
	assert_int_equal(id->dir, XFRM_POLICY_FWD);
	p.index = 0;
	nlh = new_msg(XFRM_MSG_DELPOLICY);
	assert_int_equal(xfrm_policy_id_encode(nlh, sizeof(buf), &p), 0);
	id = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(id->sel.family, AF_INET6);
	assert_int_equal(id->sel.prefixlen_s, 48);
	assert_int_equal(nlh->nlmsg_len, 16 + sizeof(*id));
}

static void test_error_text(void **state)
{
	struct xfrm_sa sa = gcm_sa();
	const char *why;
	char text[XFRM_ERR_SIZE];
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_NEWSA);

	assert_int_equal(xfrm_sa_encode(nlh, sizeof(buf), &sa, &why), 0);
	xfrm_error_text(text, sizeof(text), nlh, -EPROTONOSUPPORT, "Requested type not found");
	assert_string_equal(text, "add SA 192.0.2.1->198.51.100.2 spi 0xc0de0001: kernel has no "
			    "ESP support (esp4 not loaded) (kernel: \"Requested type not found\", "
			    "EPROTONOSUPPORT)");
	xfrm_error_text(text, sizeof(text), nlh, -ENOSYS, NULL);
	assert_string_equal(text, "add SA 192.0.2.1->198.51.100.2 spi 0xc0de0001: kernel lacks "
			    "the crypto algorithm(s) rfc4106(gcm(aes)) (module not loaded?) (ENOSYS)");
	nlh = new_msg(XFRM_MSG_DELSA);
	assert_int_equal(xfrm_sa_id_encode(nlh, sizeof(buf), &sa, 0x100), 0);
	xfrm_error_text(text, sizeof(text), nlh, -ESRCH, NULL);
	assert_string_equal(text, "delete SA ->198.51.100.2 spi 0x00000100: no such SA (ESRCH)");
}

static void test_spi_encode(void **state)
{
	struct xfrm_sa key = gcm_sa();
	struct nlmsghdr *nlh = new_msg(XFRM_MSG_ALLOCSPI);

	key.mark = 3;
	key.mark_mask = 0xff;
	assert_int_equal(xfrm_spi_encode(nlh, sizeof(buf), &key, 0, 0), 0);
	const struct xfrm_userspi_info *u = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(u->min, 0x100);
	assert_int_equal(u->max, 0xffffffff);
	assert_int_equal(u->info.id.spi, 0);
	assert_int_equal(u->info.reqid, 0x6c200007);
	assert_int_equal(u->info.family, AF_INET);
	assert_int_equal(nlh->nlmsg_len, 16 + sizeof(*u) + 4 + 8);
	assert_int_equal(xfrm_spi_encode(new_msg(XFRM_MSG_ALLOCSPI), sizeof(buf), &key, 5, 0x200),
			 -EINVAL);
	assert_int_equal(xfrm_spi_encode(new_msg(XFRM_MSG_ALLOCSPI), sizeof(buf), &key, 0x300,
					 0x200), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sa_gcm_transport_natt),
		cmocka_unit_test(test_sa_cbc_sha256_tunnel_v6_esn),
		cmocka_unit_test(test_sa_validation),
		cmocka_unit_test(test_alg_table),
		cmocka_unit_test(test_policy_l2tp),
		cmocka_unit_test(test_policy_tunnel_and_delete),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_spi_encode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
