/*
 * libFuzzer target: the xfrm event parser on arbitrary bytes, and the SA/policy decoding
 * behind it. The input is copied to a 4-byte aligned (not 8) buffer, as netlink delivers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xfrm/xfrm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t storage[8192 + 1];
	uint8_t *buf = (uint8_t *)storage + 4;
	struct xfrm_event e;

	if (size > sizeof(storage) - 4)
		return 0;
	memcpy(buf, data, size);
	(void)xfrm_event_parse(buf, size, &e);
	return 0;
}
