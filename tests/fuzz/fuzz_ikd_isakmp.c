/*
 * libFuzzer target: the IKEv1 message parser. A datagram goes through the header check,
 * the payload chain walk, every payload parser and every presence table, and is then
 * rebuilt from its parsed SA. Any crash, sanitizer report or inconsistency (a payload
 * that validated but fails to parse) is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_one(const struct isakmp_payload *p)
{
	static struct isakmp_sa sa;
	struct isakmp_err err;
	int rc = 0;
	switch (p->kind) {
	case ISAKMP_PL_SA: {
		rc = isakmp_sa_parse(p, &sa, &err);
		if (rc)
			break;
		/* Rebuild: must fit in a buffer as large as the input and succeed. */
		uint8_t out[70000];
		struct buf_writer w;
		struct isakmp_builder b;
		struct isakmp_hdr h = { .exchange = ISAKMP_XCHG_MAIN };
		bw_init(&w, out, sizeof out);
		isakmp_build_begin(&b, &w, &h);
		if (isakmp_put_sa(&b, &sa) || isakmp_build_finish(&b, NULL))
			abort();
		break;
	}
	case ISAKMP_PL_ID: {
		struct isakmp_id id;
		char s[300];
		rc = isakmp_id_parse(p, &id, &err);
		if (!rc)
			isakmp_id_format(&id, s, sizeof s);
		break;
	}
	case ISAKMP_PL_N: {
		struct isakmp_notify_pl n;
		rc = isakmp_notify_parse(p, &n, &err);
		break;
	}
	case ISAKMP_PL_D: {
		struct isakmp_delete_pl d;
		rc = isakmp_delete_parse(p, &d, &err);
		break;
	}
	case ISAKMP_PL_NATOA: {
		struct isakmp_natoa oa;
		rc = isakmp_natoa_parse(p, &oa, &err);
		break;
	}
	default:
		break;
	}
	if (rc)
		abort();        /* validated by the chain walk, so parsing cannot fail */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isakmp_msg *m = malloc(sizeof(*m));
	struct isakmp_err err;
	if (!m)
		return 0;
	if (isakmp_parse_header(data, size, m, &err) == 0 &&
	    isakmp_parse_payloads(m, m->body, m->body_len, &err) == 0) {
		for (size_t i = 0; i < m->n; i++)
			parse_one(&m->pl[i]);
		for (const struct isakmp_rules *const *r = isakmp_rules_all; *r; r++)
			isakmp_check_payloads(m, *r, &err);
		size_t len;
		isakmp_span_from(m, 1, &len);
	}
	free(m);
	return 0;
}
