/*
 * ppp_auth, CHAP-MD5 across authentication rounds (an LCP renegotiation restarts
 * authentication): the new round's Challenge carries an Identifier that no earlier
 * Challenge of the link used, so a slow peer's Response to the old Challenge is ignored as
 * stale instead of being judged against the new challenge and failing with "wrong
 * password"; the Response to the new Challenge succeeds. Responses are computed here from
 * RFC 1994 §4.1 (MD5 of Identifier, secret, challenge).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "l2tpd/ppp_auth.h"
#include "l2tpd/ppp_fsm.h"

#define SECRET "pw-u2694"
#define USER "u2694"

struct peer {
	uint8_t last[512];          /* the last packet sent (a Challenge or a verdict) */
	size_t last_len;
	int done_calls;
	bool ok;
	char reason[128];
};

static void op_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct peer *p = ctx;

	assert_int_equal(proto, PPP_PROTO_CHAP);
	assert_true(len <= sizeof p->last);
	memcpy(p->last, pkt, len);
	p->last_len = len;
}

static void op_timer_start(void *ctx, uint32_t ms)
{
	(void)ctx;
	(void)ms;
}

static void op_timer_stop(void *ctx)
{
	(void)ctx;
}

static int op_get_secret(void *ctx, const char *user, struct ppp_user_secret *out)
{
	(void)ctx;
	if (strcmp(user, USER) != 0)
		return -ENOENT;
	memset(out, 0, sizeof *out);
	out->has_password = true;
	snprintf(out->password, sizeof out->password, "%s", SECRET);
	return 0;
}

static void op_done(void *ctx, bool ok, const char *user, const char *reason)
{
	struct peer *p = ctx;

	(void)user;
	p->done_calls++;
	p->ok = ok;
	snprintf(p->reason, sizeof p->reason, "%s", reason ? reason : "");
}

static const struct ppp_auth_ops ops = { op_send, op_timer_start, op_timer_stop, op_get_secret,
					 op_done };

/* The peer's Response to the Challenge in p->last: code 2, same id, MD5(id|secret|chal). */
static size_t response_to(const struct peer *p, uint8_t *out)
{
	const uint8_t *c = p->last;
	uint8_t id = c[1], vlen = c[4];
	unsigned int mdlen = 16;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n;

	assert_int_equal(c[0], 1);   /* a Challenge */
	assert_int_equal(vlen, 16);
	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_md5(), NULL), 1);
	EVP_DigestUpdate(md, &id, 1);
	EVP_DigestUpdate(md, SECRET, strlen(SECRET));
	EVP_DigestUpdate(md, c + 5, vlen);
	out[0] = 2;
	out[1] = id;
	out[4] = 16;
	assert_int_equal(EVP_DigestFinal_ex(md, out + 5, &mdlen), 1);
	EVP_MD_CTX_free(md);
	memcpy(out + 21, USER, strlen(USER));
	n = 21 + strlen(USER);
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return n;
}

static void test_stale_response_after_restart(void **state)
{
	struct ppp_auth a;
	struct peer p = { 0 };
	uint8_t stale[64], fresh[64];
	size_t stale_len, fresh_len;
	uint8_t ids[4];

	(void)state;
	ppp_auth_init(&a, &ops, &p, "lns");
	ppp_auth_start(&a, PPP_AUTH_CHAP_MD5);
	ids[0] = p.last[1];
	ppp_auth_timeout(&a);                 /* retransmitted: a new Challenge */
	ids[1] = p.last[1];
	stale_len = response_to(&p, stale);   /* the slow peer answers it... */
	ppp_auth_start(&a, PPP_AUTH_CHAP_MD5);  /* ...after LCP renegotiated */
	ids[2] = p.last[1];
	ppp_auth_timeout(&a);
	ids[3] = p.last[1];
	/* every Challenge of the link has its own Identifier, counting on */
	for (int i = 1; i < 4; i++)
		assert_int_equal(ids[i], (uint8_t)(ids[0] + i));
	/* the old Response arrives (or is repeated): ignored, no verdict */
	assert_int_equal(ppp_auth_input(&a, PPP_PROTO_CHAP, stale, stale_len), -EBADMSG);
	assert_int_equal(p.done_calls, 0);
	/* the Response to the current Challenge: success */
	fresh_len = response_to(&p, fresh);
	assert_int_equal(ppp_auth_input(&a, PPP_PROTO_CHAP, fresh, fresh_len), 0);
	assert_int_equal(p.done_calls, 1);
	assert_true(p.ok);
	assert_int_equal(p.last[0], 3);   /* Success sent */
	assert_int_equal(p.last[1], ids[3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_response_after_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
