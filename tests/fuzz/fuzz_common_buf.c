/*
 * The reader must never read outside its buffer whatever the input: this target walks
 * the input as nested TLVs of every supported shape and as length-prefixed fields, the
 * way the protocol parsers will, and ASan reports any stray access.
 */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct buf_tlv_spec specs[] = {
	{ 1, 1, true, 0 },        /* PPP options */
	{ 2, 2, false, 0 },       /* plain T/L */
	{ 2, 2, true, 0x03ff },   /* L2TP-like masked length */
	{ 4, 4, true, 0 },
};

static void walk(struct buf_reader *r, unsigned depth)
{
	const struct buf_tlv_spec *spec = &specs[depth % (sizeof(specs) / sizeof(specs[0]))];
	struct buf_reader value, field;
	uint32_t type;
	uint8_t scratch[64];

	while (br_tlv_next(r, spec, &type, &value) > 0) {
		if (depth < 4 && (type & 1))
			walk(&value, depth + 1);
		else if (br_sub_u8len(&value, &field) == 0)
			br_bytes(&field, scratch, br_left(&field) < sizeof(scratch) ?
						  br_left(&field) : sizeof(scratch));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf_reader r;
	uint8_t out[8];
	uint64_t u64;
	uint32_t u32;
	uint16_t u16;
	struct buf_writer w;

	br_init(&r, data, size);
	walk(&r, 0);

	br_init(&r, data, size);
	while (br_ok(&r) && br_left(&r)) {
		br_u16(&r, &u16);
		br_u24(&r, &u32);
		br_u64(&r, &u64);
		br_sub_u16len(&r, &r);
	}

	/* the writer never writes past its capacity either */
	bw_init(&w, out, sizeof(out));
	for (size_t i = 0; i < size && bw_ok(&w); i++) {
		size_t n = data[i] % 5;

		bw_bytes(&w, data, n < size ? n : size);
	}
	return 0;
}
