/*
 * ikd's saved state: the records (ike_persist.c) round-trip every field and refuse
 * truncated or corrupted input and fit the store's slots (the store itself:
 * tests/unit/common/test_state_store.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "ikd/ike_persist.h"
#include "ikd/ikev1_states.h"
#include "ikd/kernel.h"


static struct ikd_conn conn = { .name = "l2tp-psk" };

static void fill_sa(struct ike_sa *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->id = 4242;
	memcpy(sa->cky_i, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(sa->cky_r, "\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8", 8);
	sa->natt = true;
	sa->nat = IKE_NAT_PEER;
	sa->natt_method = IKE_NATT_RFC;
	sa->peer_caps = IKE_PEER_DPD | IKE_PEER_FRAG;
	sa->initial_contact_seen = true;
	ikd_addr_parse("192.0.2.2", 4500, &sa->local);
	ikd_addr_parse("203.0.113.5", 40001, &sa->peer);
	sa->conn = &conn;
	sa->p1 = (struct ike_p1_params){ IKE_CIPHER_AES256_CBC, IKE_HASH_SHA2_256,
					 IKE_HASH_SHA2_256, 14, IKD_AUTH_PSK, 28800 };
	sa->keys.suite = (struct ikev1_suite){ IKE_HASH_SHA2_256, IKE_HASH_SHA2_256,
					       IKE_CIPHER_AES256_CBC };
	sa->keys.prf_len = 32;
	for (int i = 0; i < 32; i++) {
		sa->keys.skeyid_d[i] = (uint8_t)(0x10 + i);
		sa->keys.skeyid_a[i] = (uint8_t)(0x40 + i);
		sa->keys.skeyid_e[i] = (uint8_t)(0x70 + i);
		sa->keys.enc_key[i] = (uint8_t)(0xa0 + i);
	}
	for (int i = 0; i < 16; i++)
		sa->iv[i] = (uint8_t)(0xe0 + i);
	ikd_id_parse("@vpn.example", &sa->local_id);
	ikd_id_parse("C=US, O=Example, CN=client", &sa->peer_id);
	sa->created_ms = ike_now_ms() - 5000;
	sa->established_ms = ike_now_ms() - 4000;
	sa->dpd_seq_out = 0x1234;
	sa->dpd_seq_in = 0x7777;
	sa->recent_msgids[0] = 0xdeadbeef;
	sa->recent_msgids[7] = 0x01020304;
	sa->recent_pos = 3;
}

static void fill_child(struct ipsec_sa *c, struct ike_sa *sa, bool keys)
{
	memset(c, 0, sizeof *c);
	c->ike = sa;
	c->id = 77;
	c->reqid = 77;
	c->spi_in = 0xc0ffee01;
	c->spi_out = 0xc0ffee02;
	c->mark = 0x100;
	c->initiator = false;
	c->superseded = true;
	c->installed = true;
	c->installed_ms = ike_now_ms() - 3000;
	c->params = (struct ipsec_params){ .protocol = 3, .encr = XFRM_ENCR_AES_CBC,
					   .key_bits = 128, .integ = XFRM_INTEG_HMAC_SHA1_96,
					   .icv_bits = 96, .v1_auth = 2, .encap_mode = 4,
					   .udp_encap = true, .life_s = 3600, .life_kb = 1000000 };
	ikd_host_parse("192.0.2.2/32", &c->local_ts.net);
	c->local_ts.proto = 17;
	c->local_ts.port = 1701;
	ikd_host_parse("10.1.2.3/32", &c->remote_ts.net);
	c->remote_ts.proto = 17;
	if (keys) {
		c->keys = calloc(1, sizeof *c->keys);
		c->keys->encr_len = 16;
		c->keys->integ_len = 20;
		for (int i = 0; i < 36; i++) {
			c->keys->in[i] = (uint8_t)i;
			c->keys->out[i] = (uint8_t)(100 + i);
		}
	}
}

static void test_ike_round_trip(void **state)
{
	struct ike_sa sa, back;
	fill_sa(&sa);
	uint8_t buf[IKE_PERSIST_IKE_MAX];
	int64_t off = ike_persist_boot_offset();
	int n = ike_persist_encode_ike(&sa, off, buf, sizeof buf);
	assert_true(n > 0 && (size_t)n <= state_store_body_max(&ike_persist_format));
	char name[IKD_NAME_MAX];
	uint32_t done[IKE_PERSIST_DONE_MAX];
	unsigned nd = 99;
	memset(&back, 0, sizeof back);
	assert_int_equal(ike_persist_decode_ike(buf, (size_t)n, off, &back, name, done, &nd), 0);
	assert_string_equal(name, "l2tp-psk");
	assert_int_equal(nd, 0);
	assert_int_equal(back.id, 4242);
	assert_memory_equal(back.cky_i, sa.cky_i, 8);
	assert_memory_equal(back.cky_r, sa.cky_r, 8);
	assert_true(back.natt && back.initial_contact_seen && back.established);
	assert_false(back.initiator || back.aggressive);
	assert_int_equal(back.nat, IKE_NAT_PEER);
	assert_int_equal(back.natt_method, IKE_NATT_RFC);
	assert_int_equal(back.peer_caps, IKE_PEER_DPD | IKE_PEER_FRAG);
	assert_true(ikd_addr_equal(&back.local.sa, &sa.local.sa, true));
	assert_true(ikd_addr_equal(&back.peer.sa, &sa.peer.sa, true));
	assert_memory_equal(&back.p1, &sa.p1, sizeof sa.p1);
	assert_int_equal(back.keys.prf_len, 32);
	assert_memory_equal(back.keys.skeyid_d, sa.keys.skeyid_d, 32);
	assert_memory_equal(back.keys.skeyid_a, sa.keys.skeyid_a, 32);
	assert_memory_equal(back.keys.skeyid_e, sa.keys.skeyid_e, 32);
	assert_memory_equal(back.keys.enc_key, sa.keys.enc_key, 32);
	assert_memory_equal(back.iv, sa.iv, 16);
	assert_true(ikd_id_equal(&back.local_id, &sa.local_id));
	assert_true(ikd_id_equal(&back.peer_id, &sa.peer_id));
	assert_int_equal(back.state, P1_ESTABLISHED);
	assert_int_equal(back.established_ms, sa.established_ms);
	assert_int_equal(back.created_ms, sa.created_ms);
	assert_int_equal(back.dpd_seq_out, 0x1234);
	assert_int_equal(back.dpd_seq_in, 0x7777);
	assert_memory_equal(back.recent_msgids, sa.recent_msgids, sizeof sa.recent_msgids);
	assert_int_equal(back.recent_pos, 3);
	/* Times are absolute: another process (another clock offset) sees the same moment. */
	memset(&back, 0, sizeof back);
	assert_int_equal(ike_persist_decode_ike(buf, (size_t)n, off - 60000, &back, name, done,
						&nd), 0);
	assert_int_equal(back.established_ms, sa.established_ms + 60000);
}

static void test_child_round_trip(void **state)
{
	struct ike_sa sa;
	struct ipsec_sa c, back;
	fill_sa(&sa);
	fill_child(&c, &sa, true);
	uint8_t buf[IKE_PERSIST_CHILD_MAX];
	int n = ike_persist_encode_child(&c, 0, buf, sizeof buf);
	assert_true(n > 0 && (size_t)n <= IKE_PERSIST_SLOT - STATE_STORE_RECORD_HDR);
	struct ike_persist_parent p;
	memset(&back, 0, sizeof back);
	assert_int_equal(ike_persist_decode_child(buf, (size_t)n, 0, &back, &p), 0);
	assert_int_equal(p.ike_id, 4242);
	assert_memory_equal(p.cky_i, sa.cky_i, 8);
	assert_memory_equal(p.cky_r, sa.cky_r, 8);
	assert_int_equal(back.id, 77);
	assert_int_equal(back.reqid, 77);
	assert_int_equal(back.spi_in, 0xc0ffee01);
	assert_int_equal(back.spi_out, 0xc0ffee02);
	assert_int_equal(back.mark, 0x100);
	assert_true(back.superseded && back.installed && back.params.udp_encap);
	assert_false(back.initiator || back.params.tunnel);
	assert_int_equal(back.params.encr, XFRM_ENCR_AES_CBC);
	assert_int_equal(back.params.key_bits, 128);
	assert_int_equal(back.params.life_s, 3600);
	assert_int_equal(back.params.life_kb, 1000000);
	assert_int_equal(back.params.encap_mode, 4);
	assert_memory_equal(&back.local_ts, &c.local_ts, sizeof c.local_ts);
	assert_memory_equal(&back.remote_ts, &c.remote_ts, sizeof c.remote_ts);
	assert_int_equal(back.installed_ms, c.installed_ms);
	assert_non_null(back.keys);
	assert_int_equal(back.keys->encr_len, 16);
	assert_memory_equal(back.keys->in, c.keys->in, 36);
	assert_memory_equal(back.keys->out, c.keys->out, 36);
	free(back.keys);
	free(c.keys);
	/* Without KEYMAT (no NAT): nothing allocated. */
	fill_child(&c, &sa, false);
	n = ike_persist_encode_child(&c, 0, buf, sizeof buf);
	memset(&back, 0, sizeof back);
	assert_int_equal(ike_persist_decode_child(buf, (size_t)n, 0, &back, &p), 0);
	assert_null(back.keys);
}

/* Every proper prefix of a record is refused, and so is a byte more. */
static void test_truncation_refused(void **state)
{
	struct ike_sa sa, back;
	struct ipsec_sa c, cb;
	fill_sa(&sa);
	fill_child(&c, &sa, true);
	uint8_t ib[IKE_PERSIST_IKE_MAX + 1], cbuf[IKE_PERSIST_CHILD_MAX + 1];
	int ni = ike_persist_encode_ike(&sa, 0, ib, sizeof ib - 1);
	int nc = ike_persist_encode_child(&c, 0, cbuf, sizeof cbuf - 1);
	char name[IKD_NAME_MAX];
	uint32_t done[IKE_PERSIST_DONE_MAX];
	unsigned nd;
	struct ike_persist_parent p;
	for (int len = 0; len <= ni + 1; len++) {
		memset(&back, 0, sizeof back);
		int rc = ike_persist_decode_ike(ib, (size_t)len, 0, &back, name, done, &nd);
		assert_int_equal(rc, len == ni ? 0 : -EBADMSG);
	}
	for (int len = 0; len <= nc + 1; len++) {
		memset(&cb, 0, sizeof cb);
		int rc = ike_persist_decode_child(cbuf, (size_t)len, 0, &cb, &p);
		assert_int_equal(rc, len == nc ? 0 : -EBADMSG);
		free(cb.keys);
	}
	free(c.keys);
}

/* Fields that would make the engine misbehave are refused, not taken. */
static void test_corrupt_fields_refused(void **state)
{
	struct ike_sa sa, back;
	fill_sa(&sa);
	uint8_t buf[IKE_PERSIST_IKE_MAX];
	int n = ike_persist_encode_ike(&sa, 0, buf, sizeof buf);
	char name[IKD_NAME_MAX];
	uint32_t done[IKE_PERSIST_DONE_MAX];
	unsigned nd;
	/* Offsets: id 4, cookies 16, flags, nat, method, caps (4), local 1+4+2, peer 1+4+2,
	 * name length 1 + 8, cipher, hash, prf. */
	size_t o_local_len = 4 + 16 + 4, o_name = o_local_len + 14, o_cipher = o_name + 1 + 8;
	const struct { size_t off; uint8_t val; } bad[] = {
		{ 0, 0 }, { 1, 0 }, { 2, 0 }, { 3, 0 },          /* id 0 (with the others 0) */
		{ 20, 0xff },                                    /* unknown flags */
		{ 21, 7 },                                       /* NAT flags */
		{ 22, 9 },                                       /* NAT-T method */
		{ o_local_len, 5 },                              /* address length */
		{ o_name, 0 },                                   /* empty connection name */
		{ o_name, 200 },                                 /* name longer than allowed */
		{ o_name + 3, 0 },                               /* NUL inside the name */
		{ o_cipher, 0 },                                 /* no cipher */
		{ o_cipher + 1, IKE_HASH_MD5 },                  /* MD5 was never negotiated */
		{ o_cipher + 2, 3 },                             /* unknown PRF */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t copy[IKE_PERSIST_IKE_MAX];
		memcpy(copy, buf, (size_t)n);
		if (i < 4)
			memset(copy, 0, 4);
		else
			copy[bad[i].off] = bad[i].val;
		memset(&back, 0, sizeof back);
		assert_int_equal(ike_persist_decode_ike(copy, (size_t)n, 0, &back, name, done, &nd),
				 -EBADMSG);
	}
	/* A child with an unsupported transform or a reqid outside the band. */
	struct ipsec_sa c, cb;
	struct ike_persist_parent p;
	fill_child(&c, &sa, false);
	c.params.encr = 99;
	n = ike_persist_encode_child(&c, 0, buf, sizeof buf);
	memset(&cb, 0, sizeof cb);
	assert_int_equal(ike_persist_decode_child(buf, (size_t)n, 0, &cb, &p), -EBADMSG);
	fill_child(&c, &sa, false);
	c.reqid = XFRM_REQID_MAX + 1;
	n = ike_persist_encode_child(&c, 0, buf, sizeof buf);
	assert_int_equal(ike_persist_decode_child(buf, (size_t)n, 0, &cb, &p), -EBADMSG);
}

int main(void)
{
	log_init("test", LOG_TO_STDERR, LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ike_round_trip),
		cmocka_unit_test(test_child_round_trip),
		cmocka_unit_test(test_truncation_refused),
		cmocka_unit_test(test_corrupt_fields_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
