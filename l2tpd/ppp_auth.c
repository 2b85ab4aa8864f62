/* PAP, CHAP-MD5 and MS-CHAPv2, authenticator side. See ppp_auth.h. */
#include "l2tpd/ppp_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "common/log.h"
#include "l2tpd/ppp_fsm.h"

enum { PAP_AUTH_REQ = 1, PAP_AUTH_ACK = 2, PAP_AUTH_NAK = 3 };
enum { CHAP_CHALLENGE = 1, CHAP_RESPONSE = 2, CHAP_SUCCESS = 3, CHAP_FAILURE = 4 };
#define MSCHAPV2_RESPONSE_LEN 49   /* peer challenge 16, reserved 8, NT-Response 24, flags 1 */

static const char *const method_names[PPP_AUTH_METHOD_COUNT] = {
	"none", "pap", "chap-md5", "mschapv2",
};

const char *ppp_auth_method_name(enum ppp_auth_method m)
{
	return (unsigned)m < PPP_AUTH_METHOD_COUNT ? method_names[m] : "unknown";
}

int ppp_auth_method_parse(const char *name)
{
	for (int i = 0; i < PPP_AUTH_METHOD_COUNT; i++)
		if (!strcmp(name, method_names[i]))
			return i;
	return -1;
}

const char *mschapv2_strip_domain(const char *name)
{
	const char *bs = strrchr(name, '\\');

	return bs ? bs + 1 : name;
}

void ppp_auth_init(struct ppp_auth *a, const struct ppp_auth_ops *ops, void *ctx,
		   const char *our_name)
{
	memset(a, 0, sizeof *a);
	a->ops = ops;
	a->ctx = ctx;
	a->our_name = our_name ? our_name : "l2sec";
	a->restart_ms = 3000;
	a->max_tries = 10;
	/* The first Identifier is random; later ones count on from it, across rounds too
	 * (see ppp_auth_start). */
	if (RAND_bytes(&a->id, 1) != 1)
		a->id = 0;
}

static uint16_t auth_proto(const struct ppp_auth *a)
{
	return a->method == PPP_AUTH_PAP ? PPP_PROTO_PAP : PPP_PROTO_CHAP;
}

/* Build code/id/length + body into the verdict buffer, send it, keep it for repeats. */
static void send_verdict(struct ppp_auth *a, uint8_t code, uint8_t id, const char *msg,
			 bool pap)
{
	struct buf_writer w;
	size_t mlen = strlen(msg);

	if (mlen > sizeof a->verdict - 5)
		mlen = sizeof a->verdict - 5;
	bw_init(&w, a->verdict, sizeof a->verdict);
	bw_u8(&w, code);
	bw_u8(&w, id);
	bw_u16(&w, (uint16_t)(4 + (pap ? 1 : 0) + mlen));
	if (pap)
		bw_u8(&w, (uint8_t)mlen);
	bw_bytes(&w, msg, mlen);
	a->verdict_len = (uint16_t)bw_len(&w);
	a->verdict_id = id;
	a->verdict_proto = auth_proto(a);
	a->ops->send(a->ctx, a->verdict_proto, a->verdict, a->verdict_len);
}

static void finish(struct ppp_auth *a, bool ok, const char *reason)
{
	char q[LOG_QUOTE_MAX], r[LOG_QUOTE_MAX];

	a->finished = true;
	a->success = ok;
	snprintf(a->why, sizeof a->why, "%s", ok ? "" : reason);
	if (a->running) {
		a->running = false;
		a->ops->timer_stop(a->ctx);
	}
	log_info(ok ? "ppp_auth_ok" : "ppp_auth_failed", "method=%s user=%s reason=%s",
		 ppp_auth_method_name(a->method), log_quote(q, sizeof q, a->user),
		 ok ? "-" : log_quote(r, sizeof r, reason));
	/* the name the database knows: without the DOMAIN\ prefix for MS-CHAPv2 */
	a->ops->done(a->ctx, ok,
		     a->method == PPP_AUTH_MSCHAPV2 ? mschapv2_strip_domain(a->user) : a->user,
		     reason);
}

static int send_challenge(struct ppp_auth *a)
{
	uint8_t pkt[4 + 1 + sizeof a->challenge + PPP_AUTH_NAME_MAX];
	size_t nlen = strnlen(a->our_name, PPP_AUTH_NAME_MAX);
	struct buf_writer w;

	if (RAND_bytes(a->challenge, sizeof a->challenge) != 1)
		return -EIO;
	a->id++;
	bw_init(&w, pkt, sizeof pkt);
	bw_u8(&w, CHAP_CHALLENGE);
	bw_u8(&w, a->id);
	bw_u16(&w, (uint16_t)(5 + sizeof a->challenge + nlen));
	bw_u8(&w, sizeof a->challenge);
	bw_bytes(&w, a->challenge, sizeof a->challenge);
	bw_bytes(&w, a->our_name, nlen);
	a->ops->send(a->ctx, PPP_PROTO_CHAP, pkt, bw_len(&w));
	return 0;
}

void ppp_auth_start(struct ppp_auth *a, enum ppp_auth_method method)
{
	a->method = method;
	a->finished = a->success = false;
	a->tries = 0;
	a->user[0] = '\0';
	if (method == PPP_AUTH_NONE) {
		finish(a, true, "no authentication required");
		return;
	}
	/* Identifiers go on from the previous round (an LCP renegotiation restarts
	 * authentication): a slow peer's Response to an earlier round's Challenge, still in
	 * flight or repeated, must not carry the new Challenge's Identifier, or it is judged
	 * against the wrong challenge ("wrong password"). Seen at 10,000 sessions: 9 clients
	 * refused with their right password when the Identifier was drawn anew each round. */
	if (method != PPP_AUTH_PAP && send_challenge(a) < 0) {
		finish(a, false, "no random bytes for a challenge");
		return;
	}
	a->tries = 1;
	a->running = true;
	a->ops->timer_start(a->ctx, a->restart_ms);
}

void ppp_auth_stop(struct ppp_auth *a)
{
	if (a->running) {
		a->running = false;
		a->ops->timer_stop(a->ctx);
	}
}

void ppp_auth_timeout(struct ppp_auth *a)
{
	if (!a->running || a->finished)
		return;
	if (a->tries >= a->max_tries) {
		finish(a, false, a->method == PPP_AUTH_PAP ? "no PAP request from the peer"
							   : "no response to our challenge");
		return;
	}
	a->tries++;
	if (a->method != PPP_AUTH_PAP)
		send_challenge(a);
	a->ops->timer_start(a->ctx, a->restart_ms);
}

/* Copy a name field into a->user (NUL-free, bounded). */
static int take_name(struct ppp_auth *a, struct buf_reader *r, size_t n)
{
	const uint8_t *p;

	if (n > PPP_AUTH_NAME_MAX || br_ptr(r, n, &p) < 0 || memchr(p, 0, n))
		return -EBADMSG;
	memcpy(a->user, p, n);
	a->user[n] = '\0';
	return 0;
}

static bool lookup(struct ppp_auth *a, const char *name, struct ppp_user_secret *s)
{
	memset(s, 0, sizeof *s);
	return a->ops->get_secret(a->ctx, name, s) == 0;
}

static int pap_input(struct ppp_auth *a, uint8_t code, uint8_t id, struct buf_reader *r)
{
	struct ppp_user_secret s;
	const uint8_t *pw;
	uint8_t idlen = 0, pwlen = 0, h[MSCHAP_NT_HASH_LEN];
	char pwbuf[256];
	bool ok = false;
	const char *why = "wrong password";

	if (code != PAP_AUTH_REQ)
		return -EBADMSG;
	if (a->finished) {    /* our Ack/Nak was lost: say it again */
		if (a->verdict_len) {
			a->verdict[1] = id;
			a->ops->send(a->ctx, PPP_PROTO_PAP, a->verdict, a->verdict_len);
		}
		return 0;
	}
	if (br_u8(r, &idlen) < 0 || take_name(a, r, idlen) < 0 || br_u8(r, &pwlen) < 0 ||
	    br_ptr(r, pwlen, &pw) < 0)
		return -EBADMSG;
	if (!lookup(a, a->user, &s)) {
		why = "unknown user";
	} else if (s.has_password) {
		ok = strlen(s.password) == pwlen && CRYPTO_memcmp(s.password, pw, pwlen) == 0;
	} else if (s.has_nt_hash && !memchr(pw, 0, pwlen)) {
		memcpy(pwbuf, pw, pwlen);
		pwbuf[pwlen] = '\0';
		ok = mschap_nt_hash(pwbuf, h) == 0 && CRYPTO_memcmp(h, s.nt_hash, sizeof h) == 0;
		OPENSSL_cleanse(pwbuf, sizeof pwbuf);
		OPENSSL_cleanse(h, sizeof h);
	}
	OPENSSL_cleanse(&s, sizeof s);
	send_verdict(a, ok ? PAP_AUTH_ACK : PAP_AUTH_NAK, id,
		     ok ? "Login ok" : "Authentication failure", true);
	finish(a, ok, why);
	return 0;
}

static bool chap_md5_check(struct ppp_auth *a, const struct ppp_user_secret *s,
			   const uint8_t *value, size_t vlen, const char **why)
{
	uint8_t expect[MD5_DIGEST_LEN];
	bool ok;

	if (!s->has_password) {
		*why = "chap-md5 needs a cleartext password, the user has only an NT hash";
		return false;
	}
	if (vlen != MD5_DIGEST_LEN ||
	    chap_md5_response(a->id, s->password, strlen(s->password), a->challenge,
			      sizeof a->challenge, expect) < 0)
		return false;
	ok = CRYPTO_memcmp(expect, value, sizeof expect) == 0;
	OPENSSL_cleanse(expect, sizeof expect);
	return ok;
}

/* MS-CHAPv2: on success writes "S=<authenticator response> M=..." into msg. */
static bool mschapv2_check(struct ppp_auth *a, const struct ppp_user_secret *s,
			   const uint8_t *value, size_t vlen, char *msg, size_t msgcap,
			   const char **why)
{
	const char *user = mschapv2_strip_domain(a->user);
	uint8_t hash[MSCHAP_NT_HASH_LEN];
	char resp[MSCHAPV2_AUTH_RESPONSE_LEN + 1] = { 0 };
	bool ok = false;

	if (vlen != MSCHAPV2_RESPONSE_LEN) {
		*why = "malformed MS-CHAPv2 response";
		return false;
	}
	if (s->has_nt_hash)
		memcpy(hash, s->nt_hash, sizeof hash);
	else if (mschap_nt_hash(s->password, hash) < 0) {
		*why = "MD4 unavailable (OpenSSL legacy provider missing)";
		return false;
	}
	/* value = Peer-Challenge(16) Reserved(8) NT-Response(24) Flags(1) */
	if (mschapv2_verify(a->challenge, value, user, hash, value + 24) == 0 &&
	    mschapv2_authenticator_response(hash, value + 24, value, a->challenge, user,
					    resp) == 0) {
		snprintf(msg, msgcap, "%s M=Access granted", resp);
		ok = true;
	}
	OPENSSL_cleanse(hash, sizeof hash);
	return ok;
}

static int chap_input(struct ppp_auth *a, uint8_t code, uint8_t id, struct buf_reader *r)
{
	struct ppp_user_secret s;
	const uint8_t *value;
	uint8_t vlen = 0;
	char msg[96], hex[2 * sizeof a->challenge + 1];
	const char *why = "wrong password";
	bool ok = false;

	if (code != CHAP_RESPONSE)
		return -EBADMSG;
	if (a->finished) {    /* RFC 1994 §4.2: a repeated Response gets the same verdict */
		if (id == a->verdict_id && a->verdict_len)
			a->ops->send(a->ctx, PPP_PROTO_CHAP, a->verdict, a->verdict_len);
		return 0;
	}
	if (id != a->id)
		return -EBADMSG;   /* stale: answers an older challenge */
	if (br_u8(r, &vlen) < 0 || br_ptr(r, vlen, &value) < 0 ||
	    take_name(a, r, br_left(r)) < 0)
		return -EBADMSG;
	if (!lookup(a, a->method == PPP_AUTH_MSCHAPV2 ? mschapv2_strip_domain(a->user) : a->user,
		    &s))
		why = "unknown user";
	else if (a->method == PPP_AUTH_CHAP_MD5)
		ok = chap_md5_check(a, &s, value, vlen, &why);
	else
		ok = mschapv2_check(a, &s, value, vlen, msg, sizeof msg, &why);
	OPENSSL_cleanse(&s, sizeof s);
	if (a->method == PPP_AUTH_CHAP_MD5) {
		snprintf(msg, sizeof msg, ok ? "Access granted" : "Authentication failure");
	} else if (!ok) {
		/* RFC 2759 §6: E=691 authentication failure, no retry */
		for (size_t i = 0; i < sizeof a->challenge; i++)
			snprintf(hex + 2 * i, 3, "%02X", a->challenge[i]);
		snprintf(msg, sizeof msg, "E=691 R=0 C=%s V=3 M=Authentication failure", hex);
	}
	send_verdict(a, ok ? CHAP_SUCCESS : CHAP_FAILURE, id, msg, false);
	finish(a, ok, why);
	return 0;
}

int ppp_auth_input(struct ppp_auth *a, uint16_t proto, const uint8_t *pkt, size_t len)
{
	struct buf_reader r, body;
	uint8_t code = 0, id = 0;
	uint16_t plen = 0;

	br_init(&r, pkt, len);
	br_u8(&r, &code);
	br_u8(&r, &id);
	br_u16(&r, &plen);
	if (!br_ok(&r) || plen < 4 || plen > len || a->method == PPP_AUTH_NONE ||
	    proto != auth_proto(a))
		return -EBADMSG;
	br_init(&body, pkt + 4, plen - 4u);
	return proto == PPP_PROTO_PAP ? pap_input(a, code, id, &body)
				      : chap_input(a, code, id, &body);
}
