/*
 * libFuzzer target: the restart state records (statefile.h). The input is taken as a whole
 * store file (l2st_parse: the common store's scanner, then the record decoder), and as one
 * record body of either kind; every record the decoder accepts must encode again to a body
 * that decodes to the same record.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2tpd/statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(void *arg, size_t slot, const struct l2st_record *rec, int err)
{
	static uint8_t enc[L2ST_BODY_MAX];
	struct l2st_record back;
	int n;

	(void)arg;
	(void)slot;
	if (err < 0 || !rec)
		return;
	n = l2st_encode(rec, enc, sizeof enc);
	if (n < 0 || l2st_decode((uint8_t)rec->kind, enc, (size_t)n, &back) != 0 ||
	    memcmp(&back, rec, sizeof back) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2st_record rec;

	(void)l2st_parse(data, size, check_record, NULL);
	/* the input as a record body, without the store around it */
	for (uint8_t kind = L2ST_TUNNEL; kind <= L2ST_SESSION; kind++)
		if (l2st_decode(kind, data, size, &rec) == 0)
			check_record(NULL, 0, &rec, 0);
	return 0;
}
