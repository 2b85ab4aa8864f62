/*
 * libFuzzer target: proposal selection on a hostile SA payload. The input is an SA
 * payload body; once it parses, it is offered to Phase 1 and Phase 2 selection with the
 * legacy-clients profiles (the largest lists), which decode every transform and, on a
 * mismatch, write the explanation. A second pass reads the input as a configuration
 * string. Crashes, sanitizer reports and unterminated explanations are bugs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikd/ike_names.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"
#include "ikd/proposal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_p1_list p1;
static struct ike_p2_list p2;
static struct isakmp_sa sa;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char why[IKE_WHY_MAX], err[128];
	if (!ready) {
		if (ike_p1_list_parse("legacy-clients", &p1, err, sizeof err) ||
		    ike_p2_list_parse("aes256-sha256_96 legacy-clients", &p2, err, sizeof err))
			abort();
		ready = 1;
	}
	if (size > UINT16_MAX - 4)
		return 0;
	struct isakmp_payload pl = { .type = ISAKMP_PL_SA, .kind = ISAKMP_PL_SA,
				     .len = (uint16_t)(size + 4), .start = data, .body = data,
				     .body_len = (uint16_t)size };
	struct isakmp_err e;
	if (isakmp_sa_parse(&pl, &sa, &e) == 0) {
		static const uint16_t auth[] = { IKE_AUTH_PSK, IKE_AUTH_RSA_SIG };
		struct ike_p1_policy pol1 = { &p1, auth, 2, { 3600, 100000 } };
		struct ike_p1_choice c1;
		memset(why, 0x55, sizeof why);
		if (ike_p1_select(&sa, &pol1, &c1, why, sizeof why) != 0 &&
		    !memchr(why, 0, sizeof why))
			abort();
		for (int nat = 0; nat < 2; nat++) {
			struct ike_p2_policy pol2 = { &p2, true, nat, { 1800, 0 } };
			struct ike_p2_choice c2;
			memset(why, 0x55, sizeof why);
			if (ike_p2_select(&sa, &pol2, &c2, why, sizeof why) != 0 &&
			    !memchr(why, 0, sizeof why))
				abort();
		}
	}
	/* The same bytes as a configuration string. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	static struct ike_p1_list l1;
	static struct ike_p2_list l2;
	ike_p1_list_parse(s, &l1, err, sizeof err);
	ike_p2_list_parse(s, &l2, err, sizeof err);
	free(s);
	return 0;
}
