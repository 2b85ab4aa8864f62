/*
 * A real peer's bytes: strongSwan 5.9.8's Main Mode message 1, captured with
 * data/capture_strongswan_mm1.sh (proposals aes256-sha256-modp2048, aes128-sha1-ecp256,
 * 3des-sha1-modp1024, PSK). Parsed, checked against the presence table, its vendor IDs
 * recognised, its SA rebuilt byte for byte, and a proposal chosen from it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ikd/ike_crypto.h"
#include "ikd/ike_names.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"
#include "ikd/proposal.h"

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", L2SEC_TEST_DATA, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_strongswan_mm1(void **state)
{
	(void)state;
	static uint8_t pkt[2048];
	size_t len = load("strongswan-5.9.8-mm1.bin", pkt, sizeof pkt);
	assert_int_equal(len, 248);
	static struct isakmp_msg m;
	struct isakmp_err err = { 0 };
	assert_int_equal(isakmp_parse_header(pkt, len, &m, &err), 0);
	assert_int_equal(m.hdr.exchange, ISAKMP_XCHG_MAIN);
	assert_int_equal(m.hdr.version, 0x10);
	assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), 0);
	assert_int_equal(m.n, 6);       /* SA V V V V V */
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_mm_sa, &err), 0);

	/* VIDs: XAuth (not ours), DPD, FRAGMENTATION + flags, RFC 3947, draft-02\n. */
	static const int want[5] = { -1, IKE_VID_DPD, IKE_VID_FRAGMENTATION,
				     IKE_VID_NATT_RFC3947, IKE_VID_NATT_DRAFT_02_N };
	for (int i = 0; i < 5; i++) {
		const struct isakmp_payload *p = &m.pl[1 + i];
		assert_int_equal(p->kind, ISAKMP_PL_VID);
		const struct ike_vid_info *v = ike_vid_lookup(p->body, p->body_len);
		if (want[i] < 0)
			assert_null(v);
		else
			assert_int_equal(v->id, want[i]);
	}

	static struct isakmp_sa sa;
	assert_int_equal(isakmp_sa_parse(&m.pl[0], &sa, &err), 0);
	assert_int_equal(sa.nprop, 1);
	assert_int_equal(sa.ntrans, 3);

	/* Our builder reproduces strongSwan's SA payload exactly. */
	static uint8_t out[2048];
	struct buf_writer w;
	struct isakmp_builder b;
	size_t olen;
	bw_init(&w, out, sizeof out);
	isakmp_build_begin(&b, &w, &m.hdr);
	assert_int_equal(isakmp_put_sa(&b, &sa), 0);
	assert_int_equal(isakmp_build_finish(&b, &olen), 0);
	assert_int_equal(olen - 28, m.pl[0].len);
	assert_memory_equal(out + 32, m.pl[0].body, m.pl[0].body_len);

	/* Decoded offers, and the choice of each profile. */
	struct ike_p1_offer o;
	char s[64], why[IKE_WHY_MAX];
	ike_p1_decode(&sa, 0, 0, &o);
	assert_null(o.unsupported);
	assert_string_equal(ike_p1_prop_str(&o.prop, s, sizeof s), "aes256-sha256-modp2048");
	assert_int_equal(o.auth, IKE_AUTH_PSK);
	assert_int_equal(o.life.seconds, 15840);        /* 4h24m minus strongSwan's jitter */
	ike_p1_decode(&sa, 0, 1, &o);
	assert_string_equal(ike_p1_prop_str(&o.prop, s, sizeof s), "aes128-sha1-ecp256");
	ike_p1_decode(&sa, 0, 2, &o);
	assert_string_equal(ike_p1_prop_str(&o.prop, s, sizeof s), "3des-sha1-modp1024");

	static struct ike_p1_list ours;
	static const uint16_t psk[] = { IKE_AUTH_PSK };
	struct ike_p1_choice c;
	assert_int_equal(ike_p1_list_parse("modern", &ours, why, sizeof why), 0);
	struct ike_p1_policy pol = { &ours, psk, 1, { 28800, 0 } };
	assert_int_equal(ike_p1_select(&sa, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.trans_idx, 0);
	assert_false(c.weak);
	assert_int_equal(c.life.seconds, 15840);
	assert_int_equal(ike_p1_list_parse("aes128-sha1-ecp256", &ours, why, sizeof why), 0);
	assert_int_equal(ike_p1_select(&sa, &pol, &c, why, sizeof why), 0);
	assert_int_equal(c.offer.trans_idx, 1);
	assert_true(c.weak);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strongswan_mm1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
