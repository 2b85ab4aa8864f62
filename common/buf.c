/*
 * Bounds-checked reader and writer. Every accessor funnels through br_take()/bw_take(),
 * the only two places that compare an offset with a length.
 */
#include "common/buf.h"

#include <errno.h>
#include <string.h>

void br_init(struct buf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = data ? len : 0;
	r->off = 0;
	r->error = false;
}

int br_fail(struct buf_reader *r)
{
	r->error = true;
	return -EBADMSG;
}

/* Consume n bytes and return a pointer to them, or NULL (and fail the reader). */
static const uint8_t *br_take(struct buf_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->error || n > r->len - r->off) {
		r->error = true;
		return NULL;
	}
	p = r->data + r->off;
	r->off += n;
	return p;
}

static const uint8_t *br_look(const struct buf_reader *r, size_t n)
{
	if (r->error || n > r->len - r->off)
		return NULL;
	return r->data + r->off;
}

static uint64_t be_load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t le_load(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

#define BR_INT(name, type, width, load)                                 \
	int name(struct buf_reader *r, type *out)                       \
	{                                                               \
		const uint8_t *p = br_take(r, width);                   \
		*out = p ? (type)load(p, width) : 0;                    \
		return p ? 0 : -EBADMSG;                                \
	}

BR_INT(br_u8, uint8_t, 1, be_load)
BR_INT(br_u16, uint16_t, 2, be_load)
BR_INT(br_u24, uint32_t, 3, be_load)
BR_INT(br_u32, uint32_t, 4, be_load)
BR_INT(br_u64, uint64_t, 8, be_load)
BR_INT(br_u16_le, uint16_t, 2, le_load)
BR_INT(br_u32_le, uint32_t, 4, le_load)

int br_peek_u8(const struct buf_reader *r, uint8_t *out)
{
	const uint8_t *p = br_look(r, 1);

	*out = p ? p[0] : 0;
	return p ? 0 : -EBADMSG;
}

int br_peek_u16(const struct buf_reader *r, uint16_t *out)
{
	const uint8_t *p = br_look(r, 2);

	*out = p ? (uint16_t)be_load(p, 2) : 0;
	return p ? 0 : -EBADMSG;
}

int br_bytes(struct buf_reader *r, void *dst, size_t n)
{
	const uint8_t *p = br_take(r, n);

	if (!p) {
		if (n)
			memset(dst, 0, n);
		return -EBADMSG;
	}
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int br_ptr(struct buf_reader *r, size_t n, const uint8_t **out)
{
	*out = br_take(r, n);
	return *out ? 0 : -EBADMSG;
}

int br_skip(struct buf_reader *r, size_t n)
{
	return br_take(r, n) ? 0 : -EBADMSG;
}

int br_sub(struct buf_reader *r, size_t n, struct buf_reader *sub)
{
	const uint8_t *p = br_take(r, n);

	br_init(sub, p, p ? n : 0);
	if (!p) {
		sub->error = true;
		return -EBADMSG;
	}
	return 0;
}

int br_sub_u8len(struct buf_reader *r, struct buf_reader *sub)
{
	uint8_t n;

	br_u8(r, &n);
	return br_sub(r, n, sub);
}

int br_sub_u16len(struct buf_reader *r, struct buf_reader *sub)
{
	uint16_t n;

	br_u16(r, &n);
	return br_sub(r, n, sub);
}

int br_rest(struct buf_reader *r, struct buf_reader *sub)
{
	return br_sub(r, br_left(r), sub);
}

static int br_uint(struct buf_reader *r, uint8_t size, uint32_t *out)
{
	const uint8_t *p;

	if (size != 1 && size != 2 && size != 4) {
		*out = 0;
		return br_fail(r);
	}
	p = br_take(r, size);
	*out = p ? (uint32_t)be_load(p, size) : 0;
	return p ? 0 : -EBADMSG;
}

int br_tlv_next(struct buf_reader *r, const struct buf_tlv_spec *spec, uint32_t *type,
		struct buf_reader *value)
{
	size_t hdr = (size_t)spec->type_size + spec->len_size;
	uint32_t len;

	*type = 0;
	br_init(value, NULL, 0);
	if (r->error)
		return -EBADMSG;
	if (r->off == r->len)
		return 0;
	if (br_uint(r, spec->type_size, type) < 0 || br_uint(r, spec->len_size, &len) < 0)
		goto bad;
	if (spec->len_mask)
		len &= spec->len_mask;
	if (spec->len_includes_header) {
		if (len < hdr)
			goto bad;
		len -= (uint32_t)hdr;
	}
	if (br_sub(r, len, value) < 0)
		goto bad;
	return 1;
bad:
	*type = 0;
	value->error = true;
	return br_fail(r);
}

void bw_init(struct buf_writer *w, void *mem, size_t cap)
{
	w->data = mem;
	w->cap = mem ? cap : 0;
	w->len = 0;
	w->error = false;
}

/* Claim n bytes at the end and return them, or NULL (and fail the writer). */
static uint8_t *bw_take(struct buf_writer *w, size_t n)
{
	uint8_t *p;

	if (w->error || n > w->cap - w->len) {
		w->error = true;
		return NULL;
	}
	p = w->data + w->len;
	w->len += n;
	return p;
}

static void be_store(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		p[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

static void le_store(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

#define BW_INT(name, type, width, store)                                \
	int name(struct buf_writer *w, type v)                          \
	{                                                               \
		uint8_t *p = bw_take(w, width);                         \
		if (!p)                                                 \
			return -EMSGSIZE;                               \
		store(p, v, width);                                     \
		return 0;                                               \
	}

BW_INT(bw_u8, uint8_t, 1, be_store)
BW_INT(bw_u16, uint16_t, 2, be_store)
BW_INT(bw_u24, uint32_t, 3, be_store)
BW_INT(bw_u32, uint32_t, 4, be_store)
BW_INT(bw_u64, uint64_t, 8, be_store)
BW_INT(bw_u16_le, uint16_t, 2, le_store)
BW_INT(bw_u32_le, uint32_t, 4, le_store)

int bw_bytes(struct buf_writer *w, const void *src, size_t n)
{
	uint8_t *p = bw_take(w, n);

	if (!p)
		return -EMSGSIZE;
	if (n)
		memcpy(p, src, n);
	return 0;
}

int bw_zero(struct buf_writer *w, size_t n)
{
	uint8_t *p = bw_take(w, n);

	if (!p)
		return -EMSGSIZE;
	if (n)
		memset(p, 0, n);
	return 0;
}

int bw_reserve(struct buf_writer *w, size_t n, size_t *off)
{
	size_t at = w->len;

	*off = 0;
	if (bw_zero(w, n) < 0)
		return -EMSGSIZE;
	*off = at;
	return 0;
}

static int bw_patch(struct buf_writer *w, size_t off, uint64_t v, size_t width)
{
	if (off > w->len || width > w->len - off)
		return -EINVAL;
	be_store(w->data + off, v, width);
	return 0;
}

int bw_patch_u8(struct buf_writer *w, size_t off, uint8_t v)
{
	return bw_patch(w, off, v, 1);
}

int bw_patch_u16(struct buf_writer *w, size_t off, uint16_t v)
{
	return bw_patch(w, off, v, 2);
}

int bw_patch_u32(struct buf_writer *w, size_t off, uint32_t v)
{
	return bw_patch(w, off, v, 4);
}
