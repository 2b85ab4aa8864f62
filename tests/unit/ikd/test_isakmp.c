/*
 * ISAKMP messages: build/parse round trips, hand-assembled wire bytes, malformed inputs
 * (truncation at every length, lengths too small/large, counts, caps) and the presence
 * rules of the IKEv1 exchanges.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"

static const uint8_t icky[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

static struct isakmp_hdr hdr_of(uint8_t exchange, uint8_t flags, uint32_t msgid)
{
	struct isakmp_hdr h = { .version = ISAKMP_VERSION_1, .exchange = exchange,
				.flags = flags, .msgid = msgid };
	memcpy(h.icookie, icky, 8);
	return h;
}

/* Windows 10's Main Mode proposal list (CLIENTS.md), as one proposal of 6 transforms. */
static void windows_sa(struct isakmp_sa *sa)
{
	static const struct { uint16_t enc, keylen, group; } t[] = {
		{ 7, 256, 20 }, { 7, 128, 19 }, { 7, 256, 14 }, { 7, 128, 14 }, { 5, 0, 14 },
		{ 5, 0, 2 },
	};
	isakmp_sa_init(sa);
	assert_non_null(isakmp_sa_add_proposal(sa, 1, ISAKMP_PROTO_ISAKMP, NULL, 0));
	for (unsigned i = 0; i < 6; i++) {
		assert_non_null(isakmp_sa_add_transform(sa, (uint8_t)(i + 1), 1));
		assert_int_equal(isakmp_sa_add_attr(sa, 1, true, t[i].enc, 0), 0);
		if (t[i].keylen)
			assert_int_equal(isakmp_sa_add_attr(sa, 14, true, t[i].keylen, 0), 0);
		assert_int_equal(isakmp_sa_add_attr(sa, 2, true, 2, 0), 0);
		assert_int_equal(isakmp_sa_add_attr(sa, 3, true, 1, 0), 0);
		assert_int_equal(isakmp_sa_add_attr(sa, 4, true, t[i].group, 0), 0);
		assert_int_equal(isakmp_sa_add_attr(sa, 11, true, 1, 0), 0);
		/* lifetime as a 4-byte TLV, as Windows sends it */
		assert_int_equal(isakmp_sa_add_attr(sa, 12, false, 28800, 4), 0);
	}
}

static size_t build_mm1(uint8_t *buf, size_t cap)
{
	struct buf_writer w;
	struct isakmp_builder b;
	static struct isakmp_sa sa;
	windows_sa(&sa);
	bw_init(&w, buf, cap);
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_MAIN, 0, 0);
	assert_int_equal(isakmp_build_begin(&b, &w, &h), 0);
	assert_int_equal(isakmp_put_sa(&b, &sa), 0);
	static const uint8_t rfc3947[16] = { 0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
					     0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f };
	assert_int_equal(isakmp_put_data(&b, ISAKMP_PL_VID, rfc3947, 16, NULL), 0);
	size_t len = 0;
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	return len;
}

static void test_mm1_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[1024], again[1024];
	size_t len = build_mm1(buf, sizeof buf);
	/* header 28 + SA (4+8 + proposal 8 + 6 transforms) + VID 20 */
	struct isakmp_msg m;
	struct isakmp_err err = { 0 };
	assert_int_equal(isakmp_parse_header(buf, len, &m, &err), 0);
	assert_int_equal(m.hdr.length, len);
	assert_int_equal(m.hdr.next_payload, ISAKMP_PL_SA);
	assert_memory_equal(m.hdr.icookie, icky, 8);
	assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.pl[0].kind, ISAKMP_PL_SA);
	assert_int_equal(m.pl[1].kind, ISAKMP_PL_VID);
	assert_int_equal(m.padding, 0);
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_mm_sa, &err), 0);

	static struct isakmp_sa sa;
	assert_int_equal(isakmp_sa_parse(&m.pl[0], &sa, &err), 0);
	assert_int_equal(sa.nprop, 1);
	assert_int_equal(sa.prop[0].ntransforms, 6);
	assert_int_equal(sa.ntrans, 6);
	assert_int_equal(sa.nattr, 6 * 6 + 4);
	const struct isakmp_transform *t0 = &sa.trans[0];
	assert_int_equal(isakmp_attr_find(&sa, t0, 4)->value, 20);
	assert_int_equal(isakmp_attr_find(&sa, t0, 14)->value, 256);
	const struct isakmp_attr *life = isakmp_attr_find(&sa, t0, 12);
	assert_false(life->tv);
	assert_int_equal(life->len, 4);
	assert_int_equal(life->value, 28800);
	assert_null(isakmp_attr_find(&sa, &sa.trans[5], 14));

	/* Rebuild from the parsed SA: identical bytes. */
	struct buf_writer w;
	struct isakmp_builder b;
	bw_init(&w, again, sizeof again);
	assert_int_equal(isakmp_build_begin(&b, &w, &m.hdr), 0);
	assert_int_equal(isakmp_put_sa(&b, &sa), 0);
	assert_int_equal(isakmp_put_data(&b, ISAKMP_PL_VID, m.pl[1].body, m.pl[1].body_len,
					 NULL), 0);
	size_t len2;
	assert_int_equal(isakmp_build_finish(&b, &len2), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(again, buf, len);
}

/* A message assembled byte by byte from RFC 2408's diagrams, to pin the wire layout. */
static void test_wire_layout(void **state)
{
	(void)state;
	static const uint8_t pkt[] = {
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  /* CKY-I */
		0, 0, 0, 0, 0, 0, 0, 0,                          /* CKY-R */
		1, 0x10, 2, 0,                                   /* SA, v1.0, Main, flags */
		0, 0, 0, 0,                                      /* message id */
		0, 0, 0, 80,                                     /* length */
		/* SA */
		0x0d, 0, 0, 40,  0, 0, 0, 1,  0, 0, 0, 1,
		/* proposal 1, ISAKMP, SPI size 0, 1 transform */
		0, 0, 0, 28,  1, 1, 0, 1,
		/* transform 1, KEY_IKE */
		0, 0, 0, 20,  1, 1, 0, 0,
		0x80, 0x01, 0x00, 0x07,         /* enc = AES (TV) */
		0x80, 0x0e, 0x01, 0x00,         /* key length 256 */
		0x00, 0x0c, 0x00, 0x04,         /* life duration, TLV 4 bytes... */
		/* VID (next = 0) */
		0, 0, 0, 12,  1, 2, 3, 4, 5, 6, 7, 8,
	};
	/* The TLV above claims 4 value bytes inside a transform with none left: the first
	 * 4 bytes of the next structure are NOT part of the transform. Must fail. */
	struct isakmp_msg m;
	struct isakmp_err err = { 0 };
	assert_int_equal(isakmp_parse_header(pkt, sizeof pkt, &m, &err), 0);
	assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_BAD_PROPOSAL_SYNTAX);
	assert_non_null(strstr(err.reason, "attribute 12 length 4"));

	/* Fixed: the TLV gets its value inside a longer transform. */
	uint8_t good[sizeof pkt + 4];
	memcpy(good, pkt, 68);
	memcpy(good + 68, "\x00\x00\x70\x80", 4);      /* 28800 */
	memcpy(good + 72, pkt + 68, 12);
	good[27] = 84;                                 /* message length */
	good[31] = 44;                                 /* SA length */
	good[43] = 32;                                 /* proposal length */
	good[51] = 24;                                 /* transform length */
	assert_int_equal(isakmp_parse_header(good, sizeof good, &m, &err), 0);
	assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err), 0);
	static struct isakmp_sa sa;
	assert_int_equal(isakmp_sa_parse(&m.pl[0], &sa, &err), 0);
	assert_int_equal(sa.attr[0].value, 7);
	assert_true(sa.attr[0].tv);
	assert_int_equal(sa.attr[1].value, 256);
	assert_int_equal(sa.attr[2].value, 28800);
	assert_int_equal(m.pl[1].body_len, 8);

	/* Build the same from structures: byte-identical. */
	uint8_t out[128];
	struct buf_writer w;
	struct isakmp_builder b;
	bw_init(&w, out, sizeof out);
	assert_int_equal(isakmp_build_begin(&b, &w, &m.hdr), 0);
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, 1, NULL, 0);
	isakmp_sa_add_transform(&sa, 1, 1);
	isakmp_sa_add_attr(&sa, 1, true, 7, 0);
	isakmp_sa_add_attr(&sa, 14, true, 256, 0);
	isakmp_sa_add_attr(&sa, 12, false, 28800, 4);
	assert_int_equal(isakmp_put_sa(&b, &sa), 0);
	assert_int_equal(isakmp_put_data(&b, ISAKMP_PL_VID, "\1\2\3\4\5\6\7\x08", 8, NULL), 0);
	size_t len;
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(len, sizeof good);
	assert_memory_equal(out, good, len);
}

/* Every truncation of a valid message fails cleanly (no crash, an error). */
static void test_truncation(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t len = build_mm1(buf, sizeof buf);
	for (size_t cut = 0; cut < len; cut++) {
		struct isakmp_msg m;
		struct isakmp_err err;
		/* Datagram cut short: the header's length no longer fits. */
		assert_int_equal(isakmp_parse_header(buf, cut, &m, &err), -EBADMSG);
		/* Header patched to the cut length: the chain itself is cut. */
		if (cut >= ISAKMP_HDR_LEN) {
			uint8_t copy[1024];
			memcpy(copy, buf, cut);
			copy[24] = (uint8_t)(cut >> 24);
			copy[25] = (uint8_t)(cut >> 16);
			copy[26] = (uint8_t)(cut >> 8);
			copy[27] = (uint8_t)cut;
			assert_int_equal(isakmp_parse_header(copy, cut, &m, &err), 0);
			assert_int_equal(isakmp_parse_payloads(&m, m.body, m.body_len, &err),
					 -EBADMSG);
		}
	}
}

static int parse_all(uint8_t *buf, size_t len, struct isakmp_msg *m, struct isakmp_err *err)
{
	int rc = isakmp_parse_header(buf, len, m, err);
	return rc ? rc : isakmp_parse_payloads(m, m->body, m->body_len, err);
}

static void test_payload_lengths(void **state)
{
	(void)state;
	uint8_t buf[1024];
	size_t len = build_mm1(buf, sizeof buf);
	struct isakmp_msg m;
	struct isakmp_err err;
	size_t sa_len = (size_t)buf[30] << 8 | buf[31];

	/* SA length 3 (below the generic header), and one past the datagram. */
	buf[30] = 0;
	buf[31] = 3;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_PAYLOAD_MALFORMED);
	buf[30] = (uint8_t)((len - 28 + 1) >> 8);
	buf[31] = (uint8_t)(len - 28 + 1);
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "bytes left"));
	/* SA length 4 short: the VID header lands inside the last transform. */
	buf[30] = (uint8_t)((sa_len - 4) >> 8);
	buf[31] = (uint8_t)(sa_len - 4);
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	buf[30] = (uint8_t)(sa_len >> 8);
	buf[31] = (uint8_t)sa_len;
	assert_int_equal(parse_all(buf, len, &m, &err), 0);

	/* Declared transform count 7 for 6 transforms. */
	assert_int_equal(buf[28 + 12 + 7], 6);
	buf[28 + 12 + 7] = 7;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "declares 7 transforms, carries 6"));
	buf[28 + 12 + 7] = 6;

	/* Unknown next payload type. */
	buf[16] = 99;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_PAYLOAD_TYPE);
	buf[16] = ISAKMP_PL_SA;

	/* Major version 2 (IKEv2) and header length beyond the datagram. */
	buf[17] = 0x20;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_MAJOR_VERSION);
	buf[17] = 0x10;
	assert_int_equal(parse_all(buf, len - 1, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS);

	/* DOI 2 and situation 2 refused with their own notify types. */
	buf[28 + 7] = 2;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_DOI_NOT_SUPPORTED);
	buf[28 + 7] = 1;
	buf[28 + 11] = 2;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_SITUATION_NOT_SUPPORTED);
	buf[28 + 11] = 1;
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
}

/* A chain of 33 tiny VIDs exceeds the payload cap; 300 bytes of padding are refused. */
static void test_caps(void **state)
{
	(void)state;
	uint8_t buf[4096];
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_MAIN, 0, 0);
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	for (int i = 0; i < 33; i++)
		isakmp_put_data(&b, ISAKMP_PL_VID, "abcd", 4, NULL);
	size_t len;
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	struct isakmp_msg m;
	struct isakmp_err err;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "more than 32 payloads"));

	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_VID, "abcd", 4, NULL);
	bw_zero(&w, 300);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);

	/* An SA with 17 proposals, and one with 65 transforms. */
	static struct isakmp_sa sa;
	isakmp_sa_init(&sa);
	for (int i = 0; i < 16; i++) {
		isakmp_sa_add_proposal(&sa, (uint8_t)i, ISAKMP_PROTO_ESP, (const uint8_t *)"spi!", 4);
		isakmp_sa_add_transform(&sa, 1, 12);
	}
	assert_null(isakmp_sa_add_proposal(&sa, 17, ISAKMP_PROTO_ESP, NULL, 0));
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_sa(&b, &sa);
	isakmp_build_finish(&b, &len);
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	/* Hand-append a 17th proposal by duplicating the last one. */
	size_t plen = 8 + 4 + 8;
	memcpy(buf + len, buf + len - plen, plen);
	buf[len - plen] = ISAKMP_PL_P;  /* previous last proposal now has a successor */
	len += plen;
	size_t salen = len - 28;
	buf[30] = (uint8_t)(salen >> 8);
	buf[31] = (uint8_t)salen;
	buf[26] = (uint8_t)(len >> 8);
	buf[27] = (uint8_t)len;
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "more than 16 proposals"));

	/* 65 transforms in one proposal (the count byte says 65 too). */
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_payload_begin(&b, ISAKMP_PL_SA);
	bw_u32(&w, 1);
	bw_u32(&w, 1);
	bw_u8(&w, 0);
	bw_u8(&w, 0);
	bw_u16(&w, 8 + 65 * 8);
	bw_u8(&w, 1);
	bw_u8(&w, 1);
	bw_u8(&w, 0);
	bw_u8(&w, 65);
	for (int i = 0; i < 65; i++) {
		bw_u8(&w, i == 64 ? 0 : 3);
		bw_u8(&w, 0);
		bw_u16(&w, 8);
		bw_u8(&w, (uint8_t)i);
		bw_u8(&w, 1);
		bw_u16(&w, 0);
	}
	isakmp_payload_end(&b);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(parse_all(buf, len, &m, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "more than 64 transforms"));
}

static int one_payload(uint8_t type, const void *body, size_t blen, uint8_t *buf, size_t cap,
		       struct isakmp_msg *m, struct isakmp_err *err)
{
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_INFO, 0, 0);
	size_t len;
	bw_init(&w, buf, cap);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, type, body, blen, NULL);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	return parse_all(buf, len, m, err);
}

static void test_id(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct isakmp_msg m;
	struct isakmp_err err;
	struct isakmp_id id;
	char s[128];

	/* Quick Mode ID: IPv4 address, UDP port 1701. */
	static const uint8_t v4[] = { 1, 17, 0x06, 0xa5, 192, 0, 2, 10 };
	assert_int_equal(one_payload(ISAKMP_PL_ID, v4, sizeof v4, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_int_equal(id.proto, 17);
	assert_int_equal(id.port, 1701);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "192.0.2.10[17/1701]");

	static const uint8_t sub[] = { 4, 0, 0, 0, 198, 51, 100, 0, 255, 255, 255, 0 };
	assert_int_equal(one_payload(ISAKMP_PL_ID, sub, sizeof sub, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "198.51.100.0/24");

	uint8_t sub6[4 + 32] = { 6, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8 };
	memset(sub6 + 20, 0xff, 8);
	assert_int_equal(one_payload(ISAKMP_PL_ID, sub6, sizeof sub6, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "2001:db8::/64");

	static const uint8_t range[] = { 7, 0, 0, 0, 203, 0, 113, 1, 203, 0, 113, 9 };
	assert_int_equal(one_payload(ISAKMP_PL_ID, range, sizeof range, buf, sizeof buf, &m, &err),
			 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "203.0.113.1-203.0.113.9");

	static const uint8_t fqdn[] = { 2, 17, 0x01, 0xf4, 'v', 'p', 'n', '.', 'e', 'x' };
	assert_int_equal(one_payload(ISAKMP_PL_ID, fqdn, sizeof fqdn, buf, sizeof buf, &m, &err),
			 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "fqdn:vpn.ex[17/500]");

	static const uint8_t user[] = { 3, 0, 0, 0, 'a', '@', 'b' };
	assert_int_equal(one_payload(ISAKMP_PL_ID, user, sizeof user, buf, sizeof buf, &m, &err),
			 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "user:a@b");

	static const uint8_t dn[] = { 9, 0, 0, 0, 0x30, 0x00 };
	assert_int_equal(one_payload(ISAKMP_PL_ID, dn, sizeof dn, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(isakmp_id_parse(&m.pl[0], &id, &err), 0);
	assert_string_equal(isakmp_id_format(&id, s, sizeof s), "dn:3000");

	/* Invalid: short address, holey mask, reversed range, empty/binary name, type 12. */
	static const uint8_t bad[][12] = {
		{ 1, 0, 0, 0, 192, 0, 2 },
		{ 4, 0, 0, 0, 198, 51, 100, 0, 255, 0, 255, 0 },
		{ 7, 0, 0, 0, 203, 0, 113, 9, 203, 0, 113, 1 },
		{ 2, 0, 0, 0 },
		{ 2, 0, 0, 0, 'a', 0, 'b' },
		{ 12, 0, 0, 0, 1 },
	};
	static const size_t bad_len[] = { 7, 12, 12, 4, 7, 5 };
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(one_payload(ISAKMP_PL_ID, bad[i], bad_len[i], buf, sizeof buf, &m,
					     &err), -EBADMSG);
		assert_int_equal(err.notify, ISAKMP_N_INVALID_ID_INFORMATION);
	}
	assert_int_equal(one_payload(ISAKMP_PL_ID, v4, 3, buf, sizeof buf, &m, &err), -EBADMSG);

	/* Build round trip. */
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_INFO, 0, 0);
	struct isakmp_id out = { .type = 1, .proto = 17, .port = 1701, .data = v4 + 4, .len = 4 };
	size_t len;
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_id(&b, &out);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(len, 28 + 4 + sizeof v4);
	assert_memory_equal(buf + 32, v4, sizeof v4);
}

static void test_notify_delete_natoa(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct isakmp_msg m;
	struct isakmp_err err;
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_INFO, 0, 0);
	size_t len;

	/* DPD R-U-THERE: protocol ISAKMP, SPI = both cookies, data = sequence number. */
	uint8_t spi[16], seq[4] = { 0, 0, 0, 7 };
	memcpy(spi, icky, 8);
	memset(spi + 8, 0xaa, 8);
	struct isakmp_notify_pl n = { .doi = 1, .protocol = 1, .spi_size = 16,
				      .type = ISAKMP_N_DPD_R_U_THERE, .spi = spi, .data = seq,
				      .data_len = 4 };
	uint8_t spis[8] = { 0xc0, 0xff, 0xee, 0x01, 0xc0, 0xff, 0xee, 0x02 };
	struct isakmp_delete_pl d = { .doi = 1, .protocol = ISAKMP_PROTO_ESP, .spi_size = 4,
				      .nspis = 2, .spis = spis };
	struct isakmp_natoa oa = { .id_type = 1, .addr = { 192, 0, 2, 7 }, .addr_len = 4 };
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_notify(&b, &n);
	isakmp_put_delete(&b, &d);
	isakmp_put_natoa(&b, true, &oa);
	isakmp_put_data(&b, ISAKMP_PL_NATD_DRAFT, "0123456789abcdefghij", 20, NULL);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	assert_true(m.natt_draft);
	assert_int_equal(m.pl[2].type, ISAKMP_PL_NATOA_DRAFT);
	assert_int_equal(m.pl[2].kind, ISAKMP_PL_NATOA);
	assert_int_equal(m.pl[3].kind, ISAKMP_PL_NATD);
	assert_int_equal(m.count[ISAKMP_PL_NATD], 1);

	struct isakmp_notify_pl n2;
	assert_int_equal(isakmp_notify_parse(&m.pl[0], &n2, &err), 0);
	assert_int_equal(n2.type, 36136);
	assert_int_equal(n2.spi_size, 16);
	assert_memory_equal(n2.spi, spi, 16);
	assert_int_equal(n2.data_len, 4);
	assert_string_equal(isakmp_notify_name(n2.type), "R-U-THERE");
	struct isakmp_delete_pl d2;
	assert_int_equal(isakmp_delete_parse(&m.pl[1], &d2, &err), 0);
	assert_int_equal(d2.nspis, 2);
	assert_memory_equal(d2.spis, spis, 8);
	struct isakmp_natoa oa2;
	assert_int_equal(isakmp_natoa_parse(&m.pl[2], &oa2, &err), 0);
	assert_int_equal(oa2.addr_len, 4);
	assert_memory_equal(oa2.addr, oa.addr, 4);

	/* Malformed: delete count vs bytes, ISAKMP delete with 4-byte SPI, notify SPI past
	 * the end, NAT-OA IPv4 with 16 bytes. */
	static const uint8_t d_bad[] = { 0, 0, 0, 1, 3, 4, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8 };
	assert_int_equal(one_payload(ISAKMP_PL_D, d_bad, sizeof d_bad, buf, sizeof buf, &m,
				     &err), -EBADMSG);
	static const uint8_t d_bad2[] = { 0, 0, 0, 1, 1, 4, 0, 1, 1, 2, 3, 4 };
	assert_int_equal(one_payload(ISAKMP_PL_D, d_bad2, sizeof d_bad2, buf, sizeof buf, &m,
				     &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_SPI);
	static const uint8_t n_bad[] = { 0, 0, 0, 1, 1, 16, 0x5f, 0xf0, 1, 2, 3 };
	assert_int_equal(one_payload(ISAKMP_PL_N, n_bad, sizeof n_bad, buf, sizeof buf, &m,
				     &err), -EBADMSG);
	uint8_t oa_bad[20] = { 1 };
	assert_int_equal(one_payload(ISAKMP_PL_NATOA, oa_bad, sizeof oa_bad, buf, sizeof buf, &m,
				     &err), -EBADMSG);
	/* Nonce limits: 7 and 257 refused, 8 and 256 accepted. */
	uint8_t nonce[257] = { 0 };
	assert_int_equal(one_payload(ISAKMP_PL_NONCE, nonce, 7, buf, sizeof buf, &m, &err),
			 -EBADMSG);
	assert_int_equal(one_payload(ISAKMP_PL_NONCE, nonce, 8, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(one_payload(ISAKMP_PL_NONCE, nonce, 256, buf, sizeof buf, &m, &err), 0);
	assert_int_equal(one_payload(ISAKMP_PL_NONCE, nonce, 257, buf, sizeof buf, &m, &err),
			 -EBADMSG);
	assert_int_equal(one_payload(ISAKMP_PL_KE, nonce, 0, buf, sizeof buf, &m, &err), -EBADMSG);
	/* CERT needs data, CR does not. */
	assert_int_equal(one_payload(ISAKMP_PL_CERT, "\x04", 1, buf, sizeof buf, &m, &err),
			 -EBADMSG);
	assert_int_equal(one_payload(ISAKMP_PL_CR, "\x04", 1, buf, sizeof buf, &m, &err), 0);
	struct isakmp_cert c;
	assert_int_equal(isakmp_cr_parse(&m.pl[0], &c, &err), 0);
	assert_int_equal(c.encoding, 4);
	assert_int_equal(c.len, 0);
}

/* Quick Mode message 1, built and checked against the table, plus the HASH span. */
static void test_rules_quick_mode(void **state)
{
	(void)state;
	uint8_t buf[1024];
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_QUICK, ISAKMP_FLAG_ENC, 0x01020304);
	static struct isakmp_sa sa;
	isakmp_sa_init(&sa);
	isakmp_sa_add_proposal(&sa, 1, ISAKMP_PROTO_ESP, (const uint8_t *)"\xc0\xff\xee\x01", 4);
	isakmp_sa_add_transform(&sa, 1, 12);
	isakmp_sa_add_attr(&sa, 4, true, 2, 0);
	isakmp_sa_add_attr(&sa, 5, true, 2, 0);
	isakmp_sa_add_attr(&sa, 6, true, 128, 0);
	uint8_t nonce[16] = { 9 };
	static const uint8_t idci[] = { 192, 0, 2, 10 }, idcr[] = { 198, 51, 100, 1 };
	struct isakmp_id a = { 1, 17, 1701, idci, 4 }, z = { 1, 17, 1701, idcr, 4 };
	size_t hash_off, len;
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, NULL, 20, &hash_off);
	size_t after_hash = isakmp_build_offset(&b);
	isakmp_put_sa(&b, &sa);
	isakmp_put_data(&b, ISAKMP_PL_NONCE, nonce, sizeof nonce, NULL);
	isakmp_put_id(&b, &a);
	isakmp_put_id(&b, &z);
	size_t span_len;
	const uint8_t *span = isakmp_build_ptr(&b, after_hash, &span_len);
	assert_non_null(span);
	assert_int_equal(isakmp_build_pad(&b, 16), 0);
	assert_int_equal(isakmp_build_finish(&b, &len), 0);
	assert_int_equal((len - 28) % 16, 0);

	struct isakmp_msg m;
	struct isakmp_err err;
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	assert_int_equal(m.padding, len - 28 - 20 - 4 - span_len);
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_qm1, &err), 0);
	size_t got_len;
	const uint8_t *got = isakmp_span_from(&m, 1, &got_len);
	assert_int_equal(got_len, span_len);
	assert_ptr_equal(got, buf + after_hash);
	assert_int_equal(hash_off, 28 + 4);

	/* The same without the E flag, with one ID, with HASH second: each refused. */
	m.hdr.flags = 0;
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_qm1, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_FLAGS);
	m.hdr.flags = ISAKMP_FLAG_ENC;
	m.count[ISAKMP_PL_ID] = 1;
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_qm1, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "0 or 2"));
	m.count[ISAKMP_PL_ID] = 2;
	struct isakmp_payload tmp = m.pl[0];
	m.pl[0] = m.pl[1];
	m.pl[1] = tmp;
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_qm1, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_HASH_INFORMATION);
	m.pl[1] = m.pl[0];
	m.pl[0] = tmp;
	/* Wrong exchange type. */
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_mm_sa, &err), -EBADMSG);
	assert_int_equal(err.notify, ISAKMP_N_INVALID_EXCHANGE_TYPE);
}

static void test_rules_main_mode(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_MAIN, ISAKMP_FLAG_ENC, 0);
	static const uint8_t addr[] = { 192, 0, 2, 10 };
	struct isakmp_id id = { 1, 17, 500, addr, 4 };
	size_t len;
	struct isakmp_msg m;
	struct isakmp_err err;

	/* MM5 (PSK) without HASH: named, with the PSK hint since it was encrypted. */
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_id(&b, &id);
	isakmp_build_finish(&b, &len);
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_mm_auth_psk, &err), -EBADMSG);
	assert_string_equal(err.reason,
			    "Main Mode message 5/6 (PSK): missing HASH payload (PSK mismatch?)");
	/* MM5 with an SA payload: unexpected. */
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_id(&b, &id);
	isakmp_put_data(&b, ISAKMP_PL_HASH, "01234567890123456789", 20, NULL);
	isakmp_put_data(&b, ISAKMP_PL_KE, "x", 1, NULL);
	isakmp_build_finish(&b, &len);
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_mm_auth_psk, &err), -EBADMSG);
	assert_string_equal(err.reason, "Main Mode message 5/6 (PSK): unexpected KE payload");
	/* Informational without N or D. */
	h = hdr_of(ISAKMP_XCHG_INFO, ISAKMP_FLAG_ENC, 5);
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_HASH, "01234567890123456789", 20, NULL);
	isakmp_build_finish(&b, &len);
	assert_int_equal(parse_all(buf, len, &m, &err), 0);
	assert_int_equal(isakmp_check_payloads(&m, &isakmp_rules_info, &err), -EBADMSG);
	assert_non_null(strstr(err.reason, "needs a N or D payload"));
}

/* Every exchange table is consistent; broken ones are named. */
static void test_rules_tables(void **state)
{
	(void)state;
	char why[160];
	size_t n = 0;
	for (const struct isakmp_rules *const *r = isakmp_rules_all; *r; r++, n++)
		assert_int_equal(isakmp_rules_check(*r, why, sizeof why), 0);
	assert_int_equal(n, 13);
	struct isakmp_rules bad = isakmp_rules_qm1;
	bad.rules[0].min = 0;                   /* HASH first, but optional */
	assert_int_equal(isakmp_rules_check(&bad, why, sizeof why), -EINVAL);
	assert_string_equal(why, "Quick Mode message 1/2: HASH first but not required (HASH)");
	bad = isakmp_rules_mm_ke;
	bad.rules[2] = bad.rules[0];            /* KE twice */
	assert_int_equal(isakmp_rules_check(&bad, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "listed twice (KE)"));
	bad = isakmp_rules_mm_ke;
	bad.rules[2].kind = ISAKMP_PL_NATD_DRAFT;       /* wire number, not the kind */
	assert_int_equal(isakmp_rules_check(&bad, why, sizeof why), -EINVAL);
	bad = isakmp_rules_info;
	bad.one_of[1] = ISAKMP_PL_SA;
	assert_int_equal(isakmp_rules_check(&bad, why, sizeof why), -EINVAL);
	bad = isakmp_rules_mm_sa;
	bad.exchange = 99;
	assert_int_equal(isakmp_rules_check(&bad, why, sizeof why), -EINVAL);
}

static void test_builder_errors(void **state)
{
	(void)state;
	uint8_t buf[40];
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr h = hdr_of(ISAKMP_XCHG_MAIN, 0, 0);
	size_t len;
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_put_data(&b, ISAKMP_PL_VID, "0123456789abcdef", 16, NULL);   /* 48 > 40 */
	assert_int_equal(isakmp_build_finish(&b, &len), -EMSGSIZE);
	bw_init(&w, buf, sizeof buf);
	isakmp_build_begin(&b, &w, &h);
	isakmp_payload_begin(&b, ISAKMP_PL_VID);
	assert_int_equal(isakmp_build_finish(&b, &len), -EINVAL);  /* payload left open */
	assert_int_equal(isakmp_sa_add_attr(&(struct isakmp_sa){ 0 }, 1, true, 1, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm1_roundtrip),
		cmocka_unit_test(test_wire_layout),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_payload_lengths),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_id),
		cmocka_unit_test(test_notify_delete_natoa),
		cmocka_unit_test(test_rules_quick_mode),
		cmocka_unit_test(test_rules_main_mode),
		cmocka_unit_test(test_rules_tables),
		cmocka_unit_test(test_builder_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
