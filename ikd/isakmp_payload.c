/*
 * IKEv1 payload bodies: validate/parse and build, one pair per type. See isakmp_payload.h.
 * Every read goes through the bounded reader; each structured field is carved into a
 * sub-reader of its declared length, so an inner parser cannot see past its field.
 */
#include "ikd/isakmp_payload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int isakmp_fail(struct isakmp_err *err, uint16_t notify, uint8_t payload, const char *fmt,
		...)
{
	if (err) {
		va_list ap;
		err->notify = notify;
		err->payload = payload;
		va_start(ap, fmt);
		vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

#define MALFORMED(err, p, ...) isakmp_fail(err, ISAKMP_N_PAYLOAD_MALFORMED, (p)->type, __VA_ARGS__)

static void reader_of(const struct isakmp_payload *p, struct buf_reader *r)
{
	br_init(r, p->body, p->body_len);
}

/* ---- SA ---- */

/*
 * SA parsing state. The counters run in validate-only mode too (sa == NULL), so the
 * same caps apply whether or not the result is stored.
 */
struct sa_ctx {
	struct isakmp_sa *sa;
	unsigned nprop, ntrans, nattr;
	struct isakmp_err *err;
};

#define SA_SYNTAX(c, ...) isakmp_fail((c)->err, ISAKMP_N_BAD_PROPOSAL_SYNTAX, ISAKMP_PL_SA, \
				      __VA_ARGS__)

/* Data attributes of one transform (RFC 2408 3.3): AF bit set = 16-bit value (TV). */
static int parse_attrs(struct sa_ctx *c, struct buf_reader *r, uint16_t *count, unsigned tnum)
{
	*count = 0;
	while (br_left(r) > 0) {
		uint16_t type, vl;
		br_u16(r, &type);
		br_u16(r, &vl);
		if (!br_ok(r))
			return SA_SYNTAX(c, "SA: transform %u: attribute header cut short", tnum);
		struct isakmp_attr a = { .type = type & ~ISAKMP_ATTR_AF };
		if (type & ISAKMP_ATTR_AF) {
			a.tv = true;
			a.value = vl;
		} else {
			a.len = vl;
			if (br_ptr(r, vl, &a.data))
				return SA_SYNTAX(c, "SA: transform %u: attribute %u length %u runs "
						 "past the transform", tnum, a.type, vl);
			for (uint16_t i = 0; i < vl && vl <= 8; i++)
				a.value = a.value << 8 | a.data[i];
		}
		if (c->nattr == ISAKMP_MAX_ATTRS)
			return SA_SYNTAX(c, "SA: more than %d attributes", ISAKMP_MAX_ATTRS);
		if (c->sa)
			c->sa->attr[c->nattr] = a;
		c->nattr++;
		(*count)++;
	}
	return 0;
}

/* A proposal's or transform's generic header; *sub covers its body. */
static int read_sub(struct sa_ctx *c, struct buf_reader *r, uint8_t want_type, uint8_t *next,
		    struct buf_reader *sub, const char *what)
{
	uint8_t reserved;
	uint16_t len;
	br_u8(r, next);
	br_u8(r, &reserved);
	br_u16(r, &len);
	if (!br_ok(r))
		return SA_SYNTAX(c, "SA: %s header cut short", what);
	if (len < ISAKMP_GENERIC_LEN + 4 || br_sub(r, len - ISAKMP_GENERIC_LEN, sub))
		return SA_SYNTAX(c, "SA: %s length %u is invalid", what, len);
	if (*next != ISAKMP_PL_NONE && *next != want_type)
		return SA_SYNTAX(c, "SA: %s followed by payload type %u", what, *next);
	return 0;
}

static int parse_transforms(struct sa_ctx *c, struct buf_reader *r, unsigned declared,
			    unsigned pnum, uint16_t *found)
{
	uint8_t next = ISAKMP_PL_T;
	*found = 0;
	while (next == ISAKMP_PL_T) {
		struct buf_reader tr;
		int rc = read_sub(c, r, ISAKMP_PL_T, &next, &tr, "transform");
		if (rc)
			return rc;
		uint8_t tnum, tid;
		uint16_t reserved2, nattrs;
		br_u8(&tr, &tnum);
		br_u8(&tr, &tid);
		br_u16(&tr, &reserved2);
		if (c->ntrans == ISAKMP_MAX_TRANSFORMS)
			return SA_SYNTAX(c, "SA: more than %d transforms", ISAKMP_MAX_TRANSFORMS);
		uint16_t first_attr = (uint16_t)c->nattr;
		rc = parse_attrs(c, &tr, &nattrs, tnum);
		if (rc)
			return rc;
		if (c->sa)
			c->sa->trans[c->ntrans] = (struct isakmp_transform){
				.num = tnum, .id = tid, .first_attr = first_attr, .nattrs = nattrs };
		c->ntrans++;
		(*found)++;
	}
	if (br_left(r))
		return SA_SYNTAX(c, "SA: proposal %u: %zu bytes after the last transform", pnum,
				 br_left(r));
	if (*found != declared)
		return SA_SYNTAX(c, "SA: proposal %u declares %u transforms, carries %u", pnum,
				 declared, *found);
	return 0;
}

static int parse_proposal(struct sa_ctx *c, struct buf_reader *pr, int *prev_num)
{
	uint8_t pnum, proto, spi_size, ntrans;
	br_u8(pr, &pnum);
	br_u8(pr, &proto);
	br_u8(pr, &spi_size);
	br_u8(pr, &ntrans);
	if (spi_size > ISAKMP_MAX_SPI)
		return isakmp_fail(c->err, ISAKMP_N_INVALID_SPI, ISAKMP_PL_SA,
				   "SA: proposal %u: SPI size %u", pnum, spi_size);
	if ((int)pnum < *prev_num)
		return SA_SYNTAX(c, "SA: proposal numbers decrease (%d then %u)", *prev_num, pnum);
	if (ntrans == 0)
		return SA_SYNTAX(c, "SA: proposal %u has no transforms", pnum);
	if (c->nprop == ISAKMP_MAX_PROPOSALS)
		return SA_SYNTAX(c, "SA: more than %d proposals", ISAKMP_MAX_PROPOSALS);
	struct isakmp_proposal p = { .num = pnum, .protocol = proto, .spi_size = spi_size,
				     .first_transform = (uint16_t)c->ntrans };
	if (br_bytes(pr, p.spi, spi_size))
		return SA_SYNTAX(c, "SA: proposal %u: SPI cut short", pnum);
	int rc = parse_transforms(c, pr, ntrans, pnum, &p.ntransforms);
	if (rc)
		return rc;
	if (c->sa)
		c->sa->prop[c->nprop] = p;
	c->nprop++;
	*prev_num = pnum;
	return 0;
}

int isakmp_sa_parse(const struct isakmp_payload *p, struct isakmp_sa *sa,
		    struct isakmp_err *err)
{
	struct buf_reader r;
	struct sa_ctx c = { .sa = sa, .err = err };
	uint32_t doi, sit;
	reader_of(p, &r);
	br_u32(&r, &doi);
	br_u32(&r, &sit);
	if (!br_ok(&r))
		return MALFORMED(err, p, "SA payload of %u bytes is too short", p->body_len);
	if (doi != ISAKMP_DOI_IPSEC)
		return isakmp_fail(err, ISAKMP_N_DOI_NOT_SUPPORTED, p->type, "SA: DOI %u", doi);
	if (sit != ISAKMP_SIT_IDENTITY_ONLY)
		return isakmp_fail(err, ISAKMP_N_SITUATION_NOT_SUPPORTED, p->type,
				   "SA: situation 0x%x", sit);
	uint8_t next = ISAKMP_PL_P;
	int prev = -1;
	while (next == ISAKMP_PL_P) {
		struct buf_reader pr;
		int rc = read_sub(&c, &r, ISAKMP_PL_P, &next, &pr, "proposal");
		if (!rc)
			rc = parse_proposal(&c, &pr, &prev);
		if (rc)
			return rc;
	}
	if (br_left(&r))
		return SA_SYNTAX(&c, "SA: %zu bytes after the last proposal", br_left(&r));
	if (sa) {
		sa->doi = doi;
		sa->situation = sit;
		sa->nprop = (uint16_t)c.nprop;
		sa->ntrans = (uint16_t)c.ntrans;
		sa->nattr = (uint16_t)c.nattr;
	}
	return 0;
}

const struct isakmp_attr *isakmp_attr_find(const struct isakmp_sa *sa,
					   const struct isakmp_transform *t, uint16_t type)
{
	for (uint16_t i = 0; i < t->nattrs; i++) {
		const struct isakmp_attr *a = &sa->attr[t->first_attr + i];
		if (a->type == type)
			return a;
	}
	return NULL;
}

void isakmp_sa_init(struct isakmp_sa *sa)
{
	sa->doi = ISAKMP_DOI_IPSEC;
	sa->situation = ISAKMP_SIT_IDENTITY_ONLY;
	sa->nprop = sa->ntrans = sa->nattr = 0;
}

struct isakmp_proposal *isakmp_sa_add_proposal(struct isakmp_sa *sa, uint8_t num,
					       uint8_t protocol, const uint8_t *spi,
					       uint8_t spi_size)
{
	if (sa->nprop == ISAKMP_MAX_PROPOSALS || spi_size > ISAKMP_MAX_SPI)
		return NULL;
	struct isakmp_proposal *p = &sa->prop[sa->nprop++];
	*p = (struct isakmp_proposal){ .num = num, .protocol = protocol, .spi_size = spi_size,
				       .first_transform = sa->ntrans };
	if (spi_size)
		memcpy(p->spi, spi, spi_size);
	return p;
}

struct isakmp_transform *isakmp_sa_add_transform(struct isakmp_sa *sa, uint8_t num,
						 uint8_t id)
{
	if (sa->nprop == 0 || sa->ntrans == ISAKMP_MAX_TRANSFORMS)
		return NULL;
	struct isakmp_transform *t = &sa->trans[sa->ntrans++];
	*t = (struct isakmp_transform){ .num = num, .id = id, .first_attr = sa->nattr };
	sa->prop[sa->nprop - 1].ntransforms++;
	return t;
}

int isakmp_sa_add_attr(struct isakmp_sa *sa, uint16_t type, bool tv, uint64_t value,
		       uint16_t len)
{
	if (sa->ntrans == 0 || sa->nattr == ISAKMP_MAX_ATTRS || (type & ISAKMP_ATTR_AF))
		return -EINVAL;
	if ((tv && value > UINT16_MAX) || (!tv && (len == 0 || len > 8)))
		return -EINVAL;
	if (!tv && len < 8 && value >> (8 * len))
		return -EINVAL;
	sa->attr[sa->nattr++] = (struct isakmp_attr){ .type = type, .tv = tv, .value = value,
						      .len = tv ? 0 : len };
	sa->trans[sa->ntrans - 1].nattrs++;
	return 0;
}

int isakmp_sa_copy_transform(struct isakmp_sa *dst, const struct isakmp_sa *src,
			     const struct isakmp_transform *t)
{
	if (!isakmp_sa_add_transform(dst, t->num, t->id))
		return -EINVAL;
	if (dst->nattr + t->nattrs > ISAKMP_MAX_ATTRS)
		return -EINVAL;
	for (uint16_t i = 0; i < t->nattrs; i++)
		dst->attr[dst->nattr++] = src->attr[t->first_attr + i];
	dst->trans[dst->ntrans - 1].nattrs = t->nattrs;
	return 0;
}

static void put_attr(struct buf_writer *w, const struct isakmp_attr *a)
{
	if (a->tv) {
		bw_u16(w, a->type | ISAKMP_ATTR_AF);
		bw_u16(w, (uint16_t)a->value);
		return;
	}
	bw_u16(w, a->type);
	bw_u16(w, a->len);
	if (a->data) {
		bw_bytes(w, a->data, a->len);
		return;
	}
	for (int i = a->len - 1; i >= 0; i--)
		bw_u8(w, i >= 8 ? 0 : (uint8_t)(a->value >> (8 * i)));
}

/* A substructure (proposal or transform) header; its length is patched by the caller. */
static size_t put_sub_header(struct buf_writer *w)
{
	size_t off = bw_len(w);
	bw_u8(w, 0);    /* next: patched */
	bw_u8(w, 0);
	bw_u16(w, 0);   /* length: patched */
	return off;
}

static void close_sub(struct buf_writer *w, size_t off, uint8_t next)
{
	size_t len = bw_len(w) - off;
	bw_patch_u8(w, off, next);
	if (len <= UINT16_MAX)
		bw_patch_u16(w, off + 2, (uint16_t)len);
	else
		w->error = true;
}

int isakmp_put_sa(struct isakmp_builder *b, const struct isakmp_sa *sa)
{
	if (isakmp_payload_begin(b, ISAKMP_PL_SA))
		return b->err;
	struct buf_writer *w = b->w;
	bw_u32(w, sa->doi);
	bw_u32(w, sa->situation);
	for (uint16_t pi = 0; pi < sa->nprop; pi++) {
		const struct isakmp_proposal *p = &sa->prop[pi];
		size_t poff = put_sub_header(w);
		bw_u8(w, p->num);
		bw_u8(w, p->protocol);
		bw_u8(w, p->spi_size);
		bw_u8(w, (uint8_t)p->ntransforms);
		bw_bytes(w, p->spi, p->spi_size);
		for (uint16_t ti = 0; ti < p->ntransforms; ti++) {
			const struct isakmp_transform *t = &sa->trans[p->first_transform + ti];
			size_t toff = put_sub_header(w);
			bw_u8(w, t->num);
			bw_u8(w, t->id);
			bw_u16(w, 0);
			for (uint16_t ai = 0; ai < t->nattrs; ai++)
				put_attr(w, &sa->attr[t->first_attr + ai]);
			close_sub(w, toff, ti + 1 == p->ntransforms ? 0 : ISAKMP_PL_T);
		}
		close_sub(w, poff, pi + 1 == sa->nprop ? 0 : ISAKMP_PL_P);
	}
	return isakmp_payload_end(b);
}

/* ---- ID ---- */

static bool printable_name(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			return false;
	return true;
}

static int mask_prefix(const uint8_t *m, size_t n)
{
	int bits = 0;
	size_t i = 0;
	for (; i < n && m[i] == 0xff; i++)
		bits += 8;
	if (i < n) {
		uint8_t b = m[i];
		while (b & 0x80) {
			bits++;
			b = (uint8_t)(b << 1);
		}
		if (b)
			return -1;
		for (i++; i < n; i++)
			if (m[i])
				return -1;
	}
	return bits;
}

int isakmp_id_prefix_len(const struct isakmp_id *id)
{
	if (id->type == ISAKMP_ID_IPV4_ADDR_SUBNET && id->len == 8)
		return mask_prefix(id->data + 4, 4);
	if (id->type == ISAKMP_ID_IPV6_ADDR_SUBNET && id->len == 32)
		return mask_prefix(id->data + 16, 16);
	return -1;
}

static int id_check_data(const struct isakmp_id *id, const char **why)
{
	size_t need = 0;
	switch (id->type) {
	case ISAKMP_ID_IPV4_ADDR: need = 4; break;
	case ISAKMP_ID_IPV6_ADDR: need = 16; break;
	case ISAKMP_ID_IPV4_ADDR_SUBNET: case ISAKMP_ID_IPV4_ADDR_RANGE: need = 8; break;
	case ISAKMP_ID_IPV6_ADDR_SUBNET: case ISAKMP_ID_IPV6_ADDR_RANGE: need = 32; break;
	case ISAKMP_ID_FQDN: case ISAKMP_ID_USER_FQDN:
		*why = "name must be 1..255 printable bytes";
		return id->len >= 1 && id->len <= 255 && printable_name(id->data, id->len) ? 0 : -1;
	case ISAKMP_ID_DER_ASN1_DN: case ISAKMP_ID_DER_ASN1_GN: case ISAKMP_ID_KEY_ID:
		*why = "empty or too long";
		return id->len >= 1 && id->len <= ISAKMP_ID_DATA_MAX ? 0 : -1;
	default:
		*why = "unknown ID type";
		return -1;
	}
	*why = "wrong address length";
	if (id->len != need)
		return -1;
	if (id->type == ISAKMP_ID_IPV4_ADDR_SUBNET || id->type == ISAKMP_ID_IPV6_ADDR_SUBNET) {
		*why = "subnet mask not contiguous";
		return isakmp_id_prefix_len(id) < 0 ? -1 : 0;
	}
	if (id->type == ISAKMP_ID_IPV4_ADDR_RANGE || id->type == ISAKMP_ID_IPV6_ADDR_RANGE) {
		*why = "range start above its end";
		return memcmp(id->data, id->data + need / 2, need / 2) > 0 ? -1 : 0;
	}
	return 0;
}

int isakmp_id_parse(const struct isakmp_payload *p, struct isakmp_id *id,
		    struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_id tmp;
	if (!id)
		id = &tmp;
	reader_of(p, &r);
	br_u8(&r, &id->type);
	br_u8(&r, &id->proto);
	br_u16(&r, &id->port);
	if (!br_ok(&r))
		return MALFORMED(err, p, "ID payload of %u bytes is too short", p->body_len);
	id->len = (uint16_t)br_left(&r);
	br_ptr(&r, id->len, &id->data);
	const char *why = "";
	if (id_check_data(id, &why))
		return isakmp_fail(err, ISAKMP_N_INVALID_ID_INFORMATION, p->type,
				   "ID type %u with %u data bytes: %s", id->type, id->len, why);
	return 0;
}

int isakmp_put_id(struct isakmp_builder *b, const struct isakmp_id *id)
{
	if (isakmp_payload_begin(b, ISAKMP_PL_ID))
		return b->err;
	bw_u8(b->w, id->type);
	bw_u8(b->w, id->proto);
	bw_u16(b->w, id->port);
	bw_bytes(b->w, id->data, id->len);
	return isakmp_payload_end(b);
}

static void fmt_hex(char *out, size_t size, const uint8_t *d, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 3 <= size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", d[i]);
	if (size)
		out[o < size ? o : size - 1] = 0;
}

static void fmt_addr(char *out, size_t size, const uint8_t *d, size_t n)
{
	if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, d, out, (socklen_t)size) && size)
		out[0] = 0;
}

const char *isakmp_id_format(const struct isakmp_id *id, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN], c[INET6_ADDRSTRLEN], name[260], ext[24] = "";
	const char *why;
	if (!size)
		return buf;
	if (id_check_data(id, &why)) {
		snprintf(buf, size, "invalid-id-type-%u", id->type);
		return buf;
	}
	if (id->proto || id->port)
		snprintf(ext, sizeof ext, "[%u/%u]", id->proto, id->port);
	size_t half = id->len / 2;
	switch (id->type) {
	case ISAKMP_ID_IPV4_ADDR: case ISAKMP_ID_IPV6_ADDR:
		fmt_addr(a, sizeof a, id->data, id->len);
		snprintf(buf, size, "%s%s", a, ext);
		break;
	case ISAKMP_ID_IPV4_ADDR_SUBNET: case ISAKMP_ID_IPV6_ADDR_SUBNET:
		fmt_addr(a, sizeof a, id->data, half);
		snprintf(buf, size, "%s/%d%s", a, isakmp_id_prefix_len(id), ext);
		break;
	case ISAKMP_ID_IPV4_ADDR_RANGE: case ISAKMP_ID_IPV6_ADDR_RANGE:
		fmt_addr(a, sizeof a, id->data, half);
		fmt_addr(c, sizeof c, id->data + half, half);
		snprintf(buf, size, "%s-%s%s", a, c, ext);
		break;
	case ISAKMP_ID_FQDN: case ISAKMP_ID_USER_FQDN:
		memcpy(name, id->data, id->len);
		name[id->len] = 0;
		snprintf(buf, size, "%s:%s%s", id->type == ISAKMP_ID_FQDN ? "fqdn" : "user", name,
			 ext);
		break;
	default:
		fmt_hex(name, sizeof name, id->data, id->len);
		snprintf(buf, size, "%s:%s%s", id->type == ISAKMP_ID_KEY_ID ? "keyid" :
			 id->type == ISAKMP_ID_DER_ASN1_DN ? "dn" : "gn", name, ext);
		break;
	}
	return buf;
}

/* ---- CERT, CR ---- */

static int cert_like_parse(const struct isakmp_payload *p, struct isakmp_cert *c,
			   bool need_data, struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_cert tmp;
	if (!c)
		c = &tmp;
	reader_of(p, &r);
	if (br_u8(&r, &c->encoding))
		return MALFORMED(err, p, "%s payload is empty", isakmp_payload_name(p->type));
	c->len = (uint16_t)br_left(&r);
	br_ptr(&r, c->len, &c->data);
	if (need_data && c->len == 0)
		return isakmp_fail(err, ISAKMP_N_INVALID_CERT_ENCODING, p->type,
				   "CERT payload without data");
	return 0;
}

int isakmp_cert_parse(const struct isakmp_payload *p, struct isakmp_cert *c,
		      struct isakmp_err *err)
{
	return cert_like_parse(p, c, true, err);
}

int isakmp_cr_parse(const struct isakmp_payload *p, struct isakmp_cert *c,
		    struct isakmp_err *err)
{
	return cert_like_parse(p, c, false, err);
}

int isakmp_put_cert(struct isakmp_builder *b, uint8_t type, const struct isakmp_cert *c)
{
	if (isakmp_payload_begin(b, type))
		return b->err;
	bw_u8(b->w, c->encoding);
	bw_bytes(b->w, c->data, c->len);
	return isakmp_payload_end(b);
}

/* ---- N, D ---- */

int isakmp_notify_parse(const struct isakmp_payload *p, struct isakmp_notify_pl *n,
			struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_notify_pl tmp;
	if (!n)
		n = &tmp;
	reader_of(p, &r);
	br_u32(&r, &n->doi);
	br_u8(&r, &n->protocol);
	br_u8(&r, &n->spi_size);
	br_u16(&r, &n->type);
	if (!br_ok(&r))
		return MALFORMED(err, p, "N payload of %u bytes is too short", p->body_len);
	if (n->spi_size > ISAKMP_MAX_SPI || br_ptr(&r, n->spi_size, &n->spi))
		return isakmp_fail(err, ISAKMP_N_INVALID_SPI, p->type,
				   "N payload: SPI size %u does not fit", n->spi_size);
	n->data_len = (uint16_t)br_left(&r);
	br_ptr(&r, n->data_len, &n->data);
	return 0;
}

int isakmp_put_notify(struct isakmp_builder *b, const struct isakmp_notify_pl *n)
{
	if (isakmp_payload_begin(b, ISAKMP_PL_N))
		return b->err;
	bw_u32(b->w, n->doi);
	bw_u8(b->w, n->protocol);
	bw_u8(b->w, n->spi_size);
	bw_u16(b->w, n->type);
	bw_bytes(b->w, n->spi, n->spi_size);
	bw_bytes(b->w, n->data, n->data_len);
	return isakmp_payload_end(b);
}

static int spi_size_for(uint8_t protocol)
{
	switch (protocol) {
	case ISAKMP_PROTO_ISAKMP: return 16;
	case ISAKMP_PROTO_AH: case ISAKMP_PROTO_ESP: return 4;
	case ISAKMP_PROTO_IPCOMP: return 2;
	default: return -1;
	}
}

int isakmp_delete_parse(const struct isakmp_payload *p, struct isakmp_delete_pl *d,
			struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_delete_pl tmp;
	if (!d)
		d = &tmp;
	reader_of(p, &r);
	br_u32(&r, &d->doi);
	br_u8(&r, &d->protocol);
	br_u8(&r, &d->spi_size);
	br_u16(&r, &d->nspis);
	if (!br_ok(&r))
		return MALFORMED(err, p, "D payload of %u bytes is too short", p->body_len);
	if (spi_size_for(d->protocol) < 0)
		return isakmp_fail(err, ISAKMP_N_INVALID_PROTOCOL_ID, p->type,
				   "D payload: protocol %u", d->protocol);
	if (d->spi_size != spi_size_for(d->protocol))
		return isakmp_fail(err, ISAKMP_N_INVALID_SPI, p->type,
				   "D payload: SPI size %u for protocol %u", d->spi_size,
				   d->protocol);
	if (d->nspis == 0 || (size_t)d->nspis * d->spi_size != br_left(&r))
		return MALFORMED(err, p, "D payload: %u SPIs of %u bytes in %zu bytes", d->nspis,
				 d->spi_size, br_left(&r));
	br_ptr(&r, br_left(&r), &d->spis);
	return 0;
}

int isakmp_put_delete(struct isakmp_builder *b, const struct isakmp_delete_pl *d)
{
	if (isakmp_payload_begin(b, ISAKMP_PL_D))
		return b->err;
	bw_u32(b->w, d->doi);
	bw_u8(b->w, d->protocol);
	bw_u8(b->w, d->spi_size);
	bw_u16(b->w, d->nspis);
	bw_bytes(b->w, d->spis, (size_t)d->nspis * d->spi_size);
	return isakmp_payload_end(b);
}

/* ---- NAT-OA ---- */

int isakmp_natoa_parse(const struct isakmp_payload *p, struct isakmp_natoa *oa,
		       struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_natoa tmp;
	uint8_t reserved[3];
	if (!oa)
		oa = &tmp;
	reader_of(p, &r);
	br_u8(&r, &oa->id_type);
	br_bytes(&r, reserved, 3);
	if (!br_ok(&r))
		return MALFORMED(err, p, "NAT-OA payload of %u bytes is too short", p->body_len);
	size_t need = oa->id_type == ISAKMP_ID_IPV4_ADDR ? 4 :
		      oa->id_type == ISAKMP_ID_IPV6_ADDR ? 16 : 0;
	if (!need || br_left(&r) != need)
		return MALFORMED(err, p, "NAT-OA: ID type %u with %zu address bytes",
				 oa->id_type, br_left(&r));
	oa->addr_len = (uint8_t)need;
	br_bytes(&r, oa->addr, need);
	return 0;
}

int isakmp_put_natoa(struct isakmp_builder *b, bool draft, const struct isakmp_natoa *oa)
{
	if (isakmp_payload_begin(b, draft ? ISAKMP_PL_NATOA_DRAFT : ISAKMP_PL_NATOA))
		return b->err;
	bw_u8(b->w, oa->id_type);
	bw_zero(b->w, 3);
	bw_bytes(b->w, oa->addr, oa->addr_len);
	return isakmp_payload_end(b);
}

/* ---- FRAG ---- */

int isakmp_frag_parse(const struct isakmp_payload *p, struct isakmp_frag *f,
		      struct isakmp_err *err)
{
	struct buf_reader r;
	struct isakmp_frag tmp;
	if (!f)
		f = &tmp;
	reader_of(p, &r);
	br_u16(&r, &f->id);
	br_u8(&r, &f->number);
	br_u8(&r, &f->flags);
	if (!br_ok(&r) || f->number == 0)
		return MALFORMED(err, p, "FRAG payload: bad header");
	f->len = (uint16_t)br_left(&r);
	br_ptr(&r, f->len, &f->data);
	return 0;
}

/* ---- opaque payloads ---- */

int isakmp_put_data(struct isakmp_builder *b, uint8_t type, const void *data, size_t len,
		    size_t *body_off)
{
	if (isakmp_payload_begin(b, type))
		return b->err;
	if (body_off)
		*body_off = isakmp_build_offset(b);
	if (data)
		bw_bytes(b->w, data, len);
	else
		bw_zero(b->w, len);
	return isakmp_payload_end(b);
}

static int opaque_validate(const struct isakmp_payload *p, struct isakmp_err *err)
{
	switch (p->kind) {
	case ISAKMP_PL_NONCE:
		if (p->body_len < ISAKMP_NONCE_MIN || p->body_len > ISAKMP_NONCE_MAX)
			return MALFORMED(err, p, "NONCE of %u bytes (allowed %d..%d)", p->body_len,
					 ISAKMP_NONCE_MIN, ISAKMP_NONCE_MAX);
		return 0;
	case ISAKMP_PL_KE:
	case ISAKMP_PL_HASH:
	case ISAKMP_PL_SIG:
	case ISAKMP_PL_VID:
	case ISAKMP_PL_NATD:
		if (p->body_len == 0)
			return MALFORMED(err, p, "empty %s payload", isakmp_payload_name(p->type));
		return 0;
	default:
		return 0;       /* ATTR: parsed by the Mode Config code when there is one */
	}
}

int isakmp_payload_validate(const struct isakmp_payload *p, struct isakmp_err *err)
{
	switch (p->kind) {
	case ISAKMP_PL_SA: return isakmp_sa_parse(p, NULL, err);
	case ISAKMP_PL_ID: return isakmp_id_parse(p, NULL, err);
	case ISAKMP_PL_CERT: return isakmp_cert_parse(p, NULL, err);
	case ISAKMP_PL_CR: return isakmp_cr_parse(p, NULL, err);
	case ISAKMP_PL_N: return isakmp_notify_parse(p, NULL, err);
	case ISAKMP_PL_D: return isakmp_delete_parse(p, NULL, err);
	case ISAKMP_PL_NATOA: return isakmp_natoa_parse(p, NULL, err);
	case ISAKMP_PL_FRAG: return isakmp_frag_parse(p, NULL, err);
	default: return opaque_validate(p, err);
	}
}
