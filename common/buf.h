/*
 * Bounds-checked reading and writing of network buffers.
 *
 * Every byte that arrives from the network is read through a struct buf_reader; every
 * message l2sec sends is built with a struct buf_writer. Both carry a sticky error: once
 * a read runs past the end (or a write past the capacity), that call and every later one
 * fail, outputs are zeroed, and br_ok()/bw_ok() report it. So a parser may read a whole
 * header field by field and check once, and a forgotten check can yield zeros but never
 * a read outside the buffer.
 *
 * Length-prefixed fields and TLVs are read by carving a sub-reader (br_sub and friends)
 * whose end is the field's end: a parser of the field's contents cannot see past it.
 *
 * All integers are big-endian (network order) unless the name says _le.
 */
#ifndef L2SEC_COMMON_BUF_H
#define L2SEC_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf_reader {
	const uint8_t *data;
	size_t len;
	size_t off;
	bool error;
};

/* A reader over data[0..len). The reader borrows data; the caller keeps it alive. */
void br_init(struct buf_reader *r, const void *data, size_t len);

static inline bool br_ok(const struct buf_reader *r) { return !r->error; }
/* Bytes not yet consumed; 0 after an error. */
static inline size_t br_left(const struct buf_reader *r) { return r->error ? 0 : r->len - r->off; }
static inline size_t br_offset(const struct buf_reader *r) { return r->off; }
/* True when everything was consumed without error. */
static inline bool br_done(const struct buf_reader *r) { return !r->error && r->off == r->len; }
/* Mark the reader failed, e.g. when a field's value is out of range. Returns -EBADMSG. */
int br_fail(struct buf_reader *r);

/* Each returns 0, or -EBADMSG (and *out = 0, sticky error) when too few bytes are left. */
int br_u8(struct buf_reader *r, uint8_t *out);
int br_u16(struct buf_reader *r, uint16_t *out);
int br_u24(struct buf_reader *r, uint32_t *out);
int br_u32(struct buf_reader *r, uint32_t *out);
int br_u64(struct buf_reader *r, uint64_t *out);
int br_u16_le(struct buf_reader *r, uint16_t *out);
int br_u32_le(struct buf_reader *r, uint32_t *out);

/* Copy n bytes to dst (dst zeroed on failure). */
int br_bytes(struct buf_reader *r, void *dst, size_t n);
/* Zero-copy: *p points at the next n bytes inside the reader's buffer (NULL on failure). */
int br_ptr(struct buf_reader *r, size_t n, const uint8_t **p);
int br_skip(struct buf_reader *r, size_t n);
/* Look at the next byte(s) without consuming them. */
int br_peek_u8(const struct buf_reader *r, uint8_t *out);
int br_peek_u16(const struct buf_reader *r, uint16_t *out);

/*
 * Sub-readers. On success *sub covers exactly the field and r has moved past it; on
 * failure *sub is an empty failed reader and r is failed too.
 */
int br_sub(struct buf_reader *r, size_t n, struct buf_reader *sub);
/* A field preceded by its length in a u8 / u16 (the length does not count itself). */
int br_sub_u8len(struct buf_reader *r, struct buf_reader *sub);
int br_sub_u16len(struct buf_reader *r, struct buf_reader *sub);
/* Everything that is left. Never fails unless r has already failed. */
int br_rest(struct buf_reader *r, struct buf_reader *sub);

/*
 * Generic TLV walking for "type, then length" formats (PPP options, IKE attributes
 * with fixed sizes, control-protocol records...).
 */
struct buf_tlv_spec {
	uint8_t type_size;      /* 1, 2 or 4 bytes */
	uint8_t len_size;       /* 1, 2 or 4 bytes */
	bool len_includes_header;
	uint32_t len_mask;      /* bits of the length field that are the length; 0 = all */
};

/*
 * Read the next TLV from r: *type gets the type, *value a reader over its value.
 * Returns 1 when a TLV was read, 0 at a clean end of r, -EBADMSG when the header is cut
 * short, the length is smaller than the header, or the value runs past the end.
 */
int br_tlv_next(struct buf_reader *r, const struct buf_tlv_spec *spec, uint32_t *type,
		struct buf_reader *value);

struct buf_writer {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool error;
};

/* A writer into mem[0..cap). The writer borrows mem. */
void bw_init(struct buf_writer *w, void *mem, size_t cap);

static inline bool bw_ok(const struct buf_writer *w) { return !w->error; }
static inline size_t bw_len(const struct buf_writer *w) { return w->len; }
static inline size_t bw_room(const struct buf_writer *w) { return w->error ? 0 : w->cap - w->len; }

/* Each returns 0, or -EMSGSIZE (sticky error) when the value does not fit. */
int bw_u8(struct buf_writer *w, uint8_t v);
int bw_u16(struct buf_writer *w, uint16_t v);
int bw_u24(struct buf_writer *w, uint32_t v);
int bw_u32(struct buf_writer *w, uint32_t v);
int bw_u64(struct buf_writer *w, uint64_t v);
int bw_u16_le(struct buf_writer *w, uint16_t v);
int bw_u32_le(struct buf_writer *w, uint32_t v);
int bw_bytes(struct buf_writer *w, const void *src, size_t n);
int bw_zero(struct buf_writer *w, size_t n);

/*
 * Reserve n bytes to fill in later (a length field written once the contents are known).
 * *off receives their offset. Returns 0 or -EMSGSIZE.
 */
int bw_reserve(struct buf_writer *w, size_t n, size_t *off);
/* Overwrite bytes already written at off. -EINVAL if off+width is beyond len. */
int bw_patch_u8(struct buf_writer *w, size_t off, uint8_t v);
int bw_patch_u16(struct buf_writer *w, size_t off, uint16_t v);
int bw_patch_u32(struct buf_writer *w, size_t off, uint32_t v);

#endif
