/*
 * libFuzzer target: the restart state file parser (statefile.h). The input is a whole file
 * (header and slots) as a previous l2tpd, or anything else, may have left it; every record
 * the parser accepts must encode again to a slot that decodes to the same record.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2tpd/statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(void *arg, size_t slot, const struct l2st_record *rec, int err)
{
	static uint8_t enc[L2ST_SLOT_LEN];
	struct l2st_record back;

	(void)arg;
	(void)slot;
	if (err < 0 || !rec)
		return;
	if (l2st_slot_encode(rec, enc) != 0 || l2st_slot_decode(enc, sizeof enc, &back) != 1 ||
	    memcmp(&back, rec, sizeof back) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2st_record rec;

	(void)l2st_parse(data, size, check_record, NULL);
	/* the input as a single slot too, without a header in front */
	if (size >= L2ST_SLOT_LEN && l2st_slot_decode(data, L2ST_SLOT_LEN, &rec) == 1)
		check_record(NULL, 0, &rec, 0);
	return 0;
}
