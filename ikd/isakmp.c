/*
 * ISAKMP header, payload chain, presence rules and message builder. See isakmp.h.
 */
#include "ikd/isakmp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ikd/isakmp_payload.h"

struct name_entry {
	uint16_t value;
	const char *name;
};

static const char *name_lookup(const struct name_entry *t, size_t n, uint16_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

#define LOOKUP(t, v) name_lookup(t, sizeof(t) / sizeof(t[0]), v)

static const struct name_entry payload_names[] = {
	{ ISAKMP_PL_SA, "SA" },         { ISAKMP_PL_P, "P" },
	{ ISAKMP_PL_T, "T" },           { ISAKMP_PL_KE, "KE" },
	{ ISAKMP_PL_ID, "ID" },         { ISAKMP_PL_CERT, "CERT" },
	{ ISAKMP_PL_CR, "CR" },         { ISAKMP_PL_HASH, "HASH" },
	{ ISAKMP_PL_SIG, "SIG" },       { ISAKMP_PL_NONCE, "NONCE" },
	{ ISAKMP_PL_N, "N" },           { ISAKMP_PL_D, "D" },
	{ ISAKMP_PL_VID, "VID" },       { ISAKMP_PL_ATTR, "ATTR" },
	{ ISAKMP_PL_NATD, "NAT-D" },    { ISAKMP_PL_NATOA, "NAT-OA" },
	{ ISAKMP_PL_NATD_DRAFT, "NAT-D(draft)" },
	{ ISAKMP_PL_NATOA_DRAFT, "NAT-OA(draft)" },
	{ ISAKMP_PL_FRAG, "FRAG" },
};

static const struct name_entry exchange_names[] = {
	{ ISAKMP_XCHG_BASE, "Base" },
	{ ISAKMP_XCHG_MAIN, "Main Mode" },
	{ ISAKMP_XCHG_AUTH_ONLY, "Authentication Only" },
	{ ISAKMP_XCHG_AGGRESSIVE, "Aggressive Mode" },
	{ ISAKMP_XCHG_INFO, "Informational" },
	{ ISAKMP_XCHG_TRANSACTION, "Transaction" },
	{ ISAKMP_XCHG_QUICK, "Quick Mode" },
	{ ISAKMP_XCHG_NEW_GROUP, "New Group Mode" },
};

static const struct name_entry notify_names[] = {
	{ 1, "INVALID-PAYLOAD-TYPE" },   { 2, "DOI-NOT-SUPPORTED" },
	{ 3, "SITUATION-NOT-SUPPORTED" }, { 4, "INVALID-COOKIE" },
	{ 5, "INVALID-MAJOR-VERSION" },  { 6, "INVALID-MINOR-VERSION" },
	{ 7, "INVALID-EXCHANGE-TYPE" },  { 8, "INVALID-FLAGS" },
	{ 9, "INVALID-MESSAGE-ID" },     { 10, "INVALID-PROTOCOL-ID" },
	{ 11, "INVALID-SPI" },           { 12, "INVALID-TRANSFORM-ID" },
	{ 13, "ATTRIBUTES-NOT-SUPPORTED" }, { 14, "NO-PROPOSAL-CHOSEN" },
	{ 15, "BAD-PROPOSAL-SYNTAX" },   { 16, "PAYLOAD-MALFORMED" },
	{ 17, "INVALID-KEY-INFORMATION" }, { 18, "INVALID-ID-INFORMATION" },
	{ 19, "INVALID-CERT-ENCODING" }, { 20, "INVALID-CERTIFICATE" },
	{ 21, "CERT-TYPE-UNSUPPORTED" }, { 22, "INVALID-CERT-AUTHORITY" },
	{ 23, "INVALID-HASH-INFORMATION" }, { 24, "AUTHENTICATION-FAILED" },
	{ 25, "INVALID-SIGNATURE" },     { 26, "ADDRESS-NOTIFICATION" },
	{ 27, "NOTIFY-SA-LIFETIME" },    { 28, "CERTIFICATE-UNAVAILABLE" },
	{ 29, "UNSUPPORTED-EXCHANGE-TYPE" }, { 30, "UNEQUAL-PAYLOAD-LENGTHS" },
	{ 16384, "CONNECTED" },          { 24576, "RESPONDER-LIFETIME" },
	{ 24577, "REPLAY-STATUS" },      { 24578, "INITIAL-CONTACT" },
	{ 36136, "R-U-THERE" },          { 36137, "R-U-THERE-ACK" },
};

uint8_t isakmp_payload_kind(uint8_t type)
{
	switch (type) {
	case ISAKMP_PL_SA: case ISAKMP_PL_KE: case ISAKMP_PL_ID: case ISAKMP_PL_CERT:
	case ISAKMP_PL_CR: case ISAKMP_PL_HASH: case ISAKMP_PL_SIG: case ISAKMP_PL_NONCE:
	case ISAKMP_PL_N: case ISAKMP_PL_D: case ISAKMP_PL_VID: case ISAKMP_PL_ATTR:
	case ISAKMP_PL_NATD: case ISAKMP_PL_NATOA: case ISAKMP_PL_FRAG:
		return type;
	case ISAKMP_PL_NATD_DRAFT:
		return ISAKMP_PL_NATD;
	case ISAKMP_PL_NATOA_DRAFT:
		return ISAKMP_PL_NATOA;
	default:
		return 0;       /* P and T never appear in the message chain */
	}
}

const char *isakmp_payload_name(uint8_t type)
{
	const char *n = LOOKUP(payload_names, type);
	return n ? n : "?";
}

const char *isakmp_exchange_name(uint8_t exchange)
{
	const char *n = LOOKUP(exchange_names, exchange);
	return n ? n : "?";
}

const char *isakmp_notify_name(uint16_t type)
{
	return LOOKUP(notify_names, type);
}

int isakmp_parse_header(const uint8_t *pkt, size_t len, struct isakmp_msg *m,
			struct isakmp_err *err)
{
	struct buf_reader r;
	memset(m, 0, sizeof(*m));
	br_init(&r, pkt, len);
	br_bytes(&r, m->hdr.icookie, ISAKMP_COOKIE_LEN);
	br_bytes(&r, m->hdr.rcookie, ISAKMP_COOKIE_LEN);
	br_u8(&r, &m->hdr.next_payload);
	br_u8(&r, &m->hdr.version);
	br_u8(&r, &m->hdr.exchange);
	br_u8(&r, &m->hdr.flags);
	br_u32(&r, &m->hdr.msgid);
	br_u32(&r, &m->hdr.length);
	if (!br_ok(&r))
		return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, 0,
				   "datagram of %zu bytes is shorter than an ISAKMP header", len);
	if ((m->hdr.version >> 4) != 1)
		return isakmp_fail(err, ISAKMP_N_INVALID_MAJOR_VERSION, 0,
				   "major version %u, not 1", m->hdr.version >> 4);
	if (m->hdr.length < ISAKMP_HDR_LEN || m->hdr.length > len)
		return isakmp_fail(err, ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS, 0,
				   "header length %u but datagram has %zu bytes", m->hdr.length,
				   len);
	m->raw = pkt;
	m->raw_len = m->hdr.length;
	m->body = pkt + ISAKMP_HDR_LEN;
	m->body_len = m->hdr.length - ISAKMP_HDR_LEN;
	m->trailing = len - m->hdr.length;
	return 0;
}

/* Read one generic payload header + body from r into *p. */
static int read_payload(struct buf_reader *r, uint8_t type, uint8_t *next,
			struct isakmp_payload *p, struct isakmp_err *err)
{
	const uint8_t *start = r->data + br_offset(r);
	uint8_t reserved;
	uint16_t len;
	br_u8(r, next);
	br_u8(r, &reserved);
	br_u16(r, &len);
	if (!br_ok(r))
		return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, type,
				   "%s payload: generic header cut short", isakmp_payload_name(type));
	if (len < ISAKMP_GENERIC_LEN || (size_t)(len - ISAKMP_GENERIC_LEN) > br_left(r))
		return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, type,
				   "%s payload: length %u, but %zu bytes left",
				   isakmp_payload_name(type), len, br_left(r) + ISAKMP_GENERIC_LEN);
	p->type = type;
	p->kind = isakmp_payload_kind(type);
	p->len = len;
	p->start = start;
	p->body_len = (uint16_t)(len - ISAKMP_GENERIC_LEN);
	br_ptr(r, p->body_len, &p->body);
	return 0;
}

int isakmp_parse_payloads(struct isakmp_msg *m, const uint8_t *body, size_t len,
			  struct isakmp_err *err)
{
	struct buf_reader r;
	uint8_t type = m->hdr.next_payload;
	br_init(&r, body, len);
	m->n = 0;
	m->padding = 0;
	m->natt_draft = false;
	memset(m->count, 0, sizeof(m->count));
	while (type != ISAKMP_PL_NONE) {
		if (!isakmp_payload_kind(type))
			return isakmp_fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE, type,
					   "unknown payload type %u after %zu payloads", type,
					   m->n);
		if (m->n == ISAKMP_MAX_PAYLOADS)
			return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, type,
					   "more than %d payloads", ISAKMP_MAX_PAYLOADS);
		struct isakmp_payload *p = &m->pl[m->n];
		uint8_t next = 0;
		int rc = read_payload(&r, type, &next, p, err);
		if (rc)
			return rc;
		rc = isakmp_payload_validate(p, err);
		if (rc)
			return rc;
		if (type == ISAKMP_PL_NATD_DRAFT || type == ISAKMP_PL_NATOA_DRAFT)
			m->natt_draft = true;
		if (m->count[p->kind] < 255)
			m->count[p->kind]++;
		m->n++;
		type = next;
	}
	m->padding = br_left(&r);
	if (m->padding > 255)
		return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, 0,
				   "%zu bytes after the last payload", m->padding);
	return 0;
}

int isakmp_find(const struct isakmp_msg *m, uint8_t kind, unsigned i)
{
	for (size_t k = 0; k < m->n; k++)
		if (m->pl[k].kind == kind && i-- == 0)
			return (int)k;
	return -1;
}

const uint8_t *isakmp_span_from(const struct isakmp_msg *m, size_t idx, size_t *len)
{
	if (idx >= m->n) {
		*len = 0;
		return NULL;
	}
	const struct isakmp_payload *last = &m->pl[m->n - 1];
	*len = (size_t)(last->body + last->body_len - m->pl[idx].start);
	return m->pl[idx].start;
}

/* ---- presence rules ---- */

static const struct isakmp_rule *rule_for(const struct isakmp_rules *r, uint8_t kind)
{
	for (size_t i = 0; i < ISAKMP_RULES_MAX && r->rules[i].kind; i++)
		if (r->rules[i].kind == kind)
			return &r->rules[i];
	return NULL;
}

static int check_flags(const struct isakmp_msg *m, const struct isakmp_rules *r,
		       struct isakmp_err *err)
{
	if (m->hdr.exchange != r->exchange)
		return isakmp_fail(err, ISAKMP_N_INVALID_EXCHANGE_TYPE, 0,
				   "%s: exchange type %u (%s), expected %s", r->name,
				   m->hdr.exchange, isakmp_exchange_name(m->hdr.exchange),
				   isakmp_exchange_name(r->exchange));
	bool enc = m->hdr.flags & ISAKMP_FLAG_ENC;
	if ((r->enc == ISAKMP_ENC_ALWAYS && !enc) || (r->enc == ISAKMP_ENC_NEVER && enc))
		return isakmp_fail(err, ISAKMP_N_INVALID_FLAGS, 0, "%s: must %sbe encrypted",
				   r->name, enc ? "not " : "");
	if (r->hash_first && (m->n == 0 || m->pl[0].kind != ISAKMP_PL_HASH))
		return isakmp_fail(err, ISAKMP_N_INVALID_HASH_INFORMATION, ISAKMP_PL_HASH,
				   "%s: HASH must be the first payload", r->name);
	return 0;
}

int isakmp_check_payloads(const struct isakmp_msg *m, const struct isakmp_rules *r,
			  struct isakmp_err *err)
{
	int rc = check_flags(m, r, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < m->n; i++)
		if (!rule_for(r, m->pl[i].kind))
			return isakmp_fail(err, ISAKMP_N_INVALID_PAYLOAD_TYPE, m->pl[i].type,
					   "%s: unexpected %s payload", r->name,
					   isakmp_payload_name(m->pl[i].type));
	bool enc = m->hdr.flags & ISAKMP_FLAG_ENC;
	for (size_t i = 0; i < ISAKMP_RULES_MAX && r->rules[i].kind; i++) {
		const struct isakmp_rule *ru = &r->rules[i];
		unsigned c = m->count[ru->kind];
		const char *name = isakmp_payload_name(ru->kind);
		if (c < ru->min)
			return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, ru->kind,
					   "%s: missing %s payload%s%s%s", r->name, name,
					   enc && r->hint ? " (" : "", enc && r->hint ? r->hint : "",
					   enc && r->hint ? ")" : "");
		if (c > ru->max || (ru->pair && c != 0 && c != 2))
			return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, ru->kind,
					   "%s: %u %s payloads (allowed %s%u..%u)", r->name, c, name,
					   ru->pair ? "0 or 2, " : "", ru->min, ru->max);
	}
	if (r->one_of[0] && !m->count[r->one_of[0]] && !(r->one_of[1] && m->count[r->one_of[1]]))
		return isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, r->one_of[0],
				   "%s: needs a %s%s%s payload", r->name,
				   isakmp_payload_name(r->one_of[0]), r->one_of[1] ? " or " : "",
				   r->one_of[1] ? isakmp_payload_name(r->one_of[1]) : "");
	return 0;
}

#define R(k, lo, hi) { .kind = (k), .min = (lo), .max = (hi) }
#define VIDS R(ISAKMP_PL_VID, 0, 16)
#define NATDS R(ISAKMP_PL_NATD, 0, 8)
#define NOTES R(ISAKMP_PL_N, 0, 4)
#define CERTS R(ISAKMP_PL_CERT, 0, 8)
#define CRS R(ISAKMP_PL_CR, 0, 8)

static const char psk_hint[] = "PSK mismatch?";

/* HDR, SA --> / <-- HDR, SA */
const struct isakmp_rules isakmp_rules_mm_sa = {
	"Main Mode message 1/2", "HDR, SA", ISAKMP_XCHG_MAIN, ISAKMP_ENC_NEVER, false,
	{ 0 }, NULL, { R(ISAKMP_PL_SA, 1, 1), VIDS },
};
/* HDR, KE, Ni [, CR] [, NAT-D, NAT-D] --> / <-- HDR, KE, Nr [, CR] [, NAT-D, NAT-D] */
const struct isakmp_rules isakmp_rules_mm_ke = {
	"Main Mode message 3/4", "HDR, KE, Nx [, NAT-D, NAT-D]", ISAKMP_XCHG_MAIN,
	ISAKMP_ENC_NEVER, false, { 0 }, NULL,
	{ R(ISAKMP_PL_KE, 1, 1), R(ISAKMP_PL_NONCE, 1, 1), NATDS, CRS, VIDS },
};
/* HDR*, IDii, HASH_I --> / <-- HDR*, IDir, HASH_R */
const struct isakmp_rules isakmp_rules_mm_auth_psk = {
	"Main Mode message 5/6 (PSK)", "HDR*, IDx, HASH_x", ISAKMP_XCHG_MAIN,
	ISAKMP_ENC_ALWAYS, false, { 0 }, psk_hint,
	{ R(ISAKMP_PL_ID, 1, 1), R(ISAKMP_PL_HASH, 1, 1), NOTES, VIDS },
};
/* HDR*, IDii, [CERT,] SIG_I --> / <-- HDR*, IDir, [CERT,] SIG_R */
const struct isakmp_rules isakmp_rules_mm_auth_sig = {
	"Main Mode message 5/6 (signature)", "HDR*, IDx, [CERT,] SIG_x", ISAKMP_XCHG_MAIN,
	ISAKMP_ENC_ALWAYS, false, { 0 }, "key mismatch?",
	{ R(ISAKMP_PL_ID, 1, 1), R(ISAKMP_PL_SIG, 1, 1), CERTS, CRS, NOTES, VIDS },
};
/* HDR, SA, KE, Ni, IDii --> */
const struct isakmp_rules isakmp_rules_am1 = {
	"Aggressive Mode message 1", "HDR, SA, KE, Ni, IDii", ISAKMP_XCHG_AGGRESSIVE,
	ISAKMP_ENC_NEVER, false, { 0 }, NULL,
	{ R(ISAKMP_PL_SA, 1, 1), R(ISAKMP_PL_KE, 1, 1), R(ISAKMP_PL_NONCE, 1, 1),
	  R(ISAKMP_PL_ID, 1, 1), CRS, VIDS },
};
/* <-- HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D] */
const struct isakmp_rules isakmp_rules_am2_psk = {
	"Aggressive Mode message 2 (PSK)", "HDR, SA, KE, Nr, IDir, HASH_R",
	ISAKMP_XCHG_AGGRESSIVE, ISAKMP_ENC_NEVER, false, { 0 }, NULL,
	{ R(ISAKMP_PL_SA, 1, 1), R(ISAKMP_PL_KE, 1, 1), R(ISAKMP_PL_NONCE, 1, 1),
	  R(ISAKMP_PL_ID, 1, 1), R(ISAKMP_PL_HASH, 1, 1), NATDS, VIDS },
};
/* <-- HDR, SA, KE, Nr, IDir, [CERT,] SIG_R [, NAT-D, NAT-D] */
const struct isakmp_rules isakmp_rules_am2_sig = {
	"Aggressive Mode message 2 (signature)", "HDR, SA, KE, Nr, IDir, [CERT,] SIG_R",
	ISAKMP_XCHG_AGGRESSIVE, ISAKMP_ENC_NEVER, false, { 0 }, NULL,
	{ R(ISAKMP_PL_SA, 1, 1), R(ISAKMP_PL_KE, 1, 1), R(ISAKMP_PL_NONCE, 1, 1),
	  R(ISAKMP_PL_ID, 1, 1), R(ISAKMP_PL_SIG, 1, 1), CERTS, CRS, NATDS, VIDS },
};
/* HDR[*], HASH_I [, NAT-D, NAT-D] --> (RFC 2409 lets message 3 be encrypted or not) */
const struct isakmp_rules isakmp_rules_am3_psk = {
	"Aggressive Mode message 3 (PSK)", "HDR[*], HASH_I", ISAKMP_XCHG_AGGRESSIVE,
	ISAKMP_ENC_EITHER, false, { 0 }, psk_hint,
	{ R(ISAKMP_PL_HASH, 1, 1), NATDS, NOTES, VIDS },
};
/* HDR[*], [CERT,] SIG_I [, NAT-D, NAT-D] --> */
const struct isakmp_rules isakmp_rules_am3_sig = {
	"Aggressive Mode message 3 (signature)", "HDR[*], [CERT,] SIG_I",
	ISAKMP_XCHG_AGGRESSIVE, ISAKMP_ENC_EITHER, false, { 0 }, "key mismatch?",
	{ R(ISAKMP_PL_SIG, 1, 1), CERTS, NATDS, NOTES, VIDS },
};
/* HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr] -->  (and message 2) */
const struct isakmp_rules isakmp_rules_qm1 = {
	"Quick Mode message 1/2", "HDR*, HASH, SA, Nx [, KE] [, IDci, IDcr] [, NAT-OA...]",
	ISAKMP_XCHG_QUICK, ISAKMP_ENC_ALWAYS, true, { 0 }, "keys out of step?",
	{ R(ISAKMP_PL_HASH, 1, 1), R(ISAKMP_PL_SA, 1, 1), R(ISAKMP_PL_NONCE, 1, 1),
	  R(ISAKMP_PL_KE, 0, 1), { ISAKMP_PL_ID, 0, 2, true }, R(ISAKMP_PL_NATOA, 0, 2),
	  NOTES },
};
/* HDR*, HASH(3) --> */
const struct isakmp_rules isakmp_rules_qm3 = {
	"Quick Mode message 3", "HDR*, HASH(3)", ISAKMP_XCHG_QUICK, ISAKMP_ENC_ALWAYS, true,
	{ 0 }, "keys out of step?", { R(ISAKMP_PL_HASH, 1, 1) },
};
/* HDR*, HASH(1), N/D --> */
const struct isakmp_rules isakmp_rules_info = {
	"Informational", "HDR*, HASH(1), N/D", ISAKMP_XCHG_INFO, ISAKMP_ENC_ALWAYS, true,
	{ ISAKMP_PL_N, ISAKMP_PL_D }, "keys out of step?",
	{ R(ISAKMP_PL_HASH, 1, 1), R(ISAKMP_PL_N, 0, 1), R(ISAKMP_PL_D, 0, 1) },
};
/* HDR, N --> (an error notify before keys exist) */
const struct isakmp_rules isakmp_rules_info_plain = {
	"Informational (unprotected)", "HDR, N", ISAKMP_XCHG_INFO, ISAKMP_ENC_NEVER, false,
	{ 0 }, NULL, { R(ISAKMP_PL_N, 1, 1) },
};

const struct isakmp_rules *const isakmp_rules_all[] = {
	&isakmp_rules_mm_sa, &isakmp_rules_mm_ke, &isakmp_rules_mm_auth_psk,
	&isakmp_rules_mm_auth_sig, &isakmp_rules_am1, &isakmp_rules_am2_psk,
	&isakmp_rules_am2_sig, &isakmp_rules_am3_psk, &isakmp_rules_am3_sig,
	&isakmp_rules_qm1, &isakmp_rules_qm3, &isakmp_rules_info, &isakmp_rules_info_plain,
	NULL,
};

static int rules_bad(char *why, size_t len, const struct isakmp_rules *r, const char *what,
		     uint8_t kind)
{
	if (why && len)
		snprintf(why, len, "%s: %s (%s)", r->name ? r->name : "unnamed table", what,
			 isakmp_payload_name(kind));
	return -EINVAL;
}

int isakmp_rules_check(const struct isakmp_rules *r, char *why, size_t why_len)
{
	if (!r->name || !r->flow || strcmp(isakmp_exchange_name(r->exchange), "?") == 0)
		return rules_bad(why, why_len, r, "name, flow or exchange missing", 0);
	for (size_t i = 0; i < ISAKMP_RULES_MAX && r->rules[i].kind; i++) {
		const struct isakmp_rule *ru = &r->rules[i];
		if (isakmp_payload_kind(ru->kind) != ru->kind)
			return rules_bad(why, why_len, r, "not a canonical payload kind", ru->kind);
		if (ru->min > ru->max || ru->max == 0 || (ru->pair && (ru->min || ru->max != 2)))
			return rules_bad(why, why_len, r, "bad min/max", ru->kind);
		for (size_t j = 0; j < i; j++)
			if (r->rules[j].kind == ru->kind)
				return rules_bad(why, why_len, r, "listed twice", ru->kind);
	}
	const struct isakmp_rule *hash = rule_for(r, ISAKMP_PL_HASH);
	if (r->hash_first && (!hash || hash->min < 1))
		return rules_bad(why, why_len, r, "HASH first but not required", ISAKMP_PL_HASH);
	for (size_t i = 0; i < 2 && r->one_of[i]; i++) {
		const struct isakmp_rule *ru = rule_for(r, r->one_of[i]);
		if (!ru || ru->min)
			return rules_bad(why, why_len, r, "one_of kind not optional in the table",
					 r->one_of[i]);
	}
	return 0;
}

/* ---- builder ---- */

int isakmp_build_begin(struct isakmp_builder *b, struct buf_writer *w,
		       const struct isakmp_hdr *hdr)
{
	memset(b, 0, sizeof(*b));
	b->w = w;
	b->start = bw_len(w);
	b->np_off = b->start + 2 * ISAKMP_COOKIE_LEN;
	b->pl_off = SIZE_MAX;
	bw_bytes(w, hdr->icookie, ISAKMP_COOKIE_LEN);
	bw_bytes(w, hdr->rcookie, ISAKMP_COOKIE_LEN);
	bw_u8(w, ISAKMP_PL_NONE);
	bw_u8(w, hdr->version ? hdr->version : ISAKMP_VERSION_1);
	bw_u8(w, hdr->exchange);
	bw_u8(w, hdr->flags);
	bw_u32(w, hdr->msgid);
	bw_u32(w, 0);
	b->err = bw_ok(w) ? 0 : -EMSGSIZE;
	return b->err;
}

int isakmp_payload_begin(struct isakmp_builder *b, uint8_t type)
{
	if (b->err)
		return b->err;
	if (b->pl_off != SIZE_MAX)
		return b->err = -EINVAL;        /* previous payload still open */
	if (bw_patch_u8(b->w, b->np_off, type))
		return b->err = -EMSGSIZE;
	b->pl_off = bw_len(b->w);
	b->np_off = b->pl_off;
	bw_u8(b->w, ISAKMP_PL_NONE);
	bw_u8(b->w, 0);
	bw_u16(b->w, 0);
	if (!bw_ok(b->w))
		b->err = -EMSGSIZE;
	return b->err;
}

int isakmp_payload_end(struct isakmp_builder *b)
{
	if (b->err)
		return b->err;
	if (b->pl_off == SIZE_MAX)
		return b->err = -EINVAL;
	size_t len = bw_len(b->w) - b->pl_off;
	if (!bw_ok(b->w) || len > UINT16_MAX)
		return b->err = -EMSGSIZE;
	bw_patch_u16(b->w, b->pl_off + 2, (uint16_t)len);
	b->pl_off = SIZE_MAX;
	return 0;
}

size_t isakmp_build_offset(const struct isakmp_builder *b)
{
	return bw_len(b->w) - b->start;
}

uint8_t *isakmp_build_ptr(const struct isakmp_builder *b, size_t off, size_t *len)
{
	size_t end = bw_len(b->w) - b->start;
	if (off > end) {
		*len = 0;
		return NULL;
	}
	*len = end - off;
	return b->w->data + b->start + off;
}

int isakmp_build_pad(struct isakmp_builder *b, size_t block)
{
	if (b->err)
		return b->err;
	if (block == 0 || b->pl_off != SIZE_MAX)
		return b->err = -EINVAL;
	size_t body = bw_len(b->w) - b->start - ISAKMP_HDR_LEN;
	size_t pad = body == 0 ? block : (block - body % block) % block;
	if (bw_zero(b->w, pad))
		b->err = -EMSGSIZE;
	return b->err;
}

int isakmp_build_finish(struct isakmp_builder *b, size_t *len)
{
	if (!b->err && (b->pl_off != SIZE_MAX || !bw_ok(b->w)))
		b->err = b->pl_off != SIZE_MAX ? -EINVAL : -EMSGSIZE;
	if (b->err)
		return b->err;
	size_t total = bw_len(b->w) - b->start;
	if (total > UINT32_MAX)
		return b->err = -EMSGSIZE;
	bw_patch_u32(b->w, b->start + 24, (uint32_t)total);
	if (len)
		*len = total;
	return 0;
}
