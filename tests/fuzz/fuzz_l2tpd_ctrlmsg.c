/*
 * libFuzzer target: the L2TP control message parser (header, AVPs, hidden AVPs, required
 * AVPs per message). Every input is parsed twice, with and without a shared secret, and the
 * typed getters are run on what was accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2tpd/ctrlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct l2tp_msg msg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct l2tp_secret secret = { (const uint8_t *)"fuzz", 4 };
	struct l2tp_msg_error err;
	char s[64];
	uint16_t v16;
	uint32_t v32;

	(void)l2tp_classify(data, size);
	for (int pass = 0; pass < 2; pass++) {
		if (l2tp_msg_parse(&msg, data, size, pass ? &secret : NULL, &err) < 0)
			continue;
		for (uint16_t t = 0; t < L2TP_AVP_COUNT; t++) {
			(void)l2tp_msg_u16(&msg, t, &v16);
			(void)l2tp_msg_u32(&msg, t, &v32);
			(void)l2tp_msg_str(&msg, t, s, sizeof s);
		}
		if (l2tp_msg_has(&msg, L2TP_AVP_RESULT_CODE)) {
			struct l2tp_result res;

			(void)l2tp_result_parse(msg.avp[L2TP_AVP_RESULT_CODE].data,
						msg.avp[L2TP_AVP_RESULT_CODE].len, &res);
		}
	}
	return 0;
}
