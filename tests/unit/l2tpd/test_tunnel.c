/*
 * The LNS control plane over loopback, without kernel L2TP (l2tpd_init only): a test LAC
 * socket sends hand-built messages and checks what l2tpd answers.
 *   - the state table is consistent;
 *   - SCCRQ -> SCCRP with the RFC 2661 §5.1.1 Challenge Response (computed here with
 *     OpenSSL, independently of tunnel_auth.c) and our own Challenge;
 *   - a wrong SCCCN response -> StopCCN "not authorized"; the right one passes the check
 *     and fails on the missing kernel -> StopCCN "general error";
 *   - a Challenge without a configured secret -> StopCCN "not authorized";
 *   - a retransmitted SCCRQ makes no second tunnel;
 *   - require_protected: silent until the peer is reported protected;
 *   - ICRQ -> ICRP, ICCN -> CDN when the kernel refuses the session;
 *   - address pools (dedicated addresses reserved) and the duplicate-login policies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

#define SECRET "s3cret"

static struct l2tpd d;
static struct l2tpd_conf conf;
static int lac = -1;
static struct sockaddr_in lns_addr;
static uint16_t port;
static struct l2tp_msg rx;
static uint8_t rxbuf[4096];

static void md5_chap(uint8_t id, const char *secret, const uint8_t *chal, size_t len,
		     uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 16;

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_md5(), NULL), 1);
	EVP_DigestUpdate(c, &id, 1);
	EVP_DigestUpdate(c, secret, strlen(secret));
	EVP_DigestUpdate(c, chal, len);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

/* conf.users from a secrets.conf text, through users.h like the daemon. */
static void load_users(const char *text)
{
	char path[] = "/tmp/l2tpd-users-XXXXXX";
	int fd = mkstemp(path);
	struct cfg c;
	config_setting_t *list;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cfg_init(&c);
	assert_int_equal(cfg_load(&c, path), 0);
	assert_int_equal(cfg_get_list(&c, cfg_root(&c), "users", CFG_REQUIRED, &list), 1);
	assert_int_equal(users_load(&c, list, &conf.users), 0);
	cfg_free(&c);
	unlink(path);
}

/* Start an LNS on 127.0.0.1:port with the given secret (NULL: none). */
static void lns_up(const char *secret, bool require_protected)
{
	struct sockaddr_in *l = (struct sockaddr_in *)&conf.listen;

	l2tpd_conf_defaults(&conf);
	port = (uint16_t)(20000 + getpid() % 20000);
	l->sin_family = AF_INET;
	l->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->sin_port = htons(port);
	conf.listen_len = sizeof *l;
	conf.require_protected = require_protected;
	inet_pton(AF_INET, "203.0.113.10", &conf.pools[0].start);
	inet_pton(AF_INET, "203.0.113.12", &conf.pools[0].end);
	conf.n_pools = 1;
	load_users("users = ( { name = \"zed\"; password = \"pw\"; ip = \"203.0.113.11\"; } );\n");
	if (secret)
		assert_int_equal(secret_dup(&conf.tunnel_secret, secret, strlen(secret)), 0);
	assert_int_equal(l2tpd_init(&d, &conf), 0);
	lns_addr = *l;
	lac = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(lac >= 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(lac, (struct sockaddr *)&me, sizeof me), 0);
}

static int lns_down(void **state)
{
	(void)state;
	l2tpd_stop(&d);
	l2tpd_conf_free(&conf);
	if (lac >= 0)
		close(lac);
	lac = -1;
	return 0;
}

/* Run the daemon's loop until a non-ZLB message reaches the LAC (parsed into rx), or
 * timeout_ms passes: returns its type, or -1. */
static int pump(int timeout_ms)
{
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		struct pollfd p = { .fd = lac, .events = POLLIN };
		struct l2tp_msg_error err;

		ev_run(d.ev.loop, EVRUN_NOWAIT);
		if (poll(&p, 1, 10) <= 0)
			continue;
		ssize_t n = recv(lac, rxbuf, sizeof rxbuf, 0);

		assert_true(n > 0);
		assert_int_equal(l2tp_msg_parse(&rx, rxbuf, (size_t)n, NULL, &err), 0);
		if (rx.type != L2TP_MSG_ZLB)
			return rx.type;
	}
	return -1;
}

static void send_msg(struct l2tp_msg_builder *b, uint16_t ns, uint16_t nr)
{
	int n = l2tp_msg_finish(b);
	uint8_t *p = b->w.data;

	assert_true(n > 0);
	p[L2TP_CTRL_NS_OFFSET] = (uint8_t)(ns >> 8);
	p[L2TP_CTRL_NS_OFFSET + 1] = (uint8_t)ns;
	p[L2TP_CTRL_NR_OFFSET] = (uint8_t)(nr >> 8);
	p[L2TP_CTRL_NR_OFFSET + 1] = (uint8_t)nr;
	assert_int_equal(sendto(lac, p, (size_t)n, 0, (struct sockaddr *)&lns_addr,
				sizeof lns_addr), n);
}

static const uint8_t their_challenge[16] = "0123456789abcdef";

static void send_sccrq(bool with_challenge)
{
	struct l2tp_msg_builder b;
	uint8_t buf[256];

	assert_int_equal(l2tp_msg_begin(&b, buf, sizeof buf, 0, 0, L2TP_MSG_SCCRQ, NULL), 0);
	l2tp_msg_put_u16(&b, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	l2tp_msg_put_str(&b, L2TP_AVP_HOST_NAME, "lac");
	l2tp_msg_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES, 3);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 77);
	if (with_challenge)
		l2tp_msg_put(&b, L2TP_AVP_CHALLENGE, their_challenge, sizeof their_challenge);
	send_msg(&b, 0, 0);
}

/* SCCRQ -> SCCRP; returns our tunnel id and copies our challenge (if any). */
static uint16_t handshake_sccrp(bool with_challenge, uint8_t our_challenge[16])
{
	uint16_t tid = 0;

	send_sccrq(with_challenge);
	assert_int_equal(pump(2000), L2TP_MSG_SCCRP);
	assert_int_equal(rx.hdr.tunnel_id, 77);
	assert_int_equal(rx.hdr.ns, 0);
	assert_int_equal(rx.hdr.nr, 1);
	assert_int_equal(l2tp_msg_u16(&rx, L2TP_AVP_ASSIGNED_TUNNEL_ID, &tid), 0);
	assert_true(tid != 0);
	if (our_challenge && l2tp_msg_has(&rx, L2TP_AVP_CHALLENGE)) {
		assert_int_equal(rx.avp[L2TP_AVP_CHALLENGE].len, 16);
		memcpy(our_challenge, rx.avp[L2TP_AVP_CHALLENGE].data, 16);
	}
	return tid;
}

static void send_scccn(uint16_t tid, const uint8_t *response)
{
	struct l2tp_msg_builder b;
	uint8_t buf[128];

	assert_int_equal(l2tp_msg_begin(&b, buf, sizeof buf, tid, 0, L2TP_MSG_SCCCN, NULL), 0);
	if (response)
		l2tp_msg_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, response, 16);
	send_msg(&b, 1, 1);
}

static uint16_t result_of(const struct l2tp_msg *m)
{
	struct l2tp_result r;

	assert_true(l2tp_msg_has(m, L2TP_AVP_RESULT_CODE));
	assert_int_equal(l2tp_result_parse(m->avp[L2TP_AVP_RESULT_CODE].data,
					   m->avp[L2TP_AVP_RESULT_CODE].len, &r), 0);
	return r.result;
}

static void test_rules(void **state)
{
	(void)state;
	assert_int_equal(tunnel_rules_check(), 0);
}

static void test_challenge_response(void **state)
{
	uint8_t expect[16], ours[16], resp[16];
	uint16_t tid;

	(void)state;
	lns_up(SECRET, false);
	tid = handshake_sccrp(true, ours);
	/* Response to our challenge: MD5(2 || secret || challenge), RFC 2661 §4.4.3 */
	md5_chap(L2TP_MSG_SCCRP, SECRET, their_challenge, 16, expect);
	assert_true(l2tp_msg_has(&rx, L2TP_AVP_CHALLENGE_RESPONSE));
	assert_memory_equal(rx.avp[L2TP_AVP_CHALLENGE_RESPONSE].data, expect, 16);
	assert_true(l2tp_msg_has(&rx, L2TP_AVP_CHALLENGE));
	assert_int_equal(d.n_tunnels, 1);
	/* the wrong secret in SCCCN */
	md5_chap(L2TP_MSG_SCCCN, "wrong", ours, 16, resp);
	send_scccn(tid, resp);
	assert_int_equal(pump(2000), L2TP_MSG_STOPCCN);
	assert_int_equal(result_of(&rx), L2TP_STOPCCN_NOT_AUTHORIZED);
	assert_int_equal(d.n_tunnels, 0);
}

static void test_right_secret(void **state)
{
	uint8_t ours[16], resp[16];
	uint16_t tid;

	(void)state;
	lns_up(SECRET, false);
	tid = handshake_sccrp(false, ours);
	assert_false(l2tp_msg_has(&rx, L2TP_AVP_CHALLENGE_RESPONSE));
	md5_chap(L2TP_MSG_SCCCN, SECRET, ours, 16, resp);
	send_scccn(tid, resp);
	/* authenticated; then the kernel tunnel cannot be made here */
	assert_int_equal(pump(2000), L2TP_MSG_STOPCCN);
	assert_int_equal(result_of(&rx), L2TP_STOPCCN_GENERAL_ERROR);
}

static void test_challenge_without_secret(void **state)
{
	(void)state;
	lns_up(NULL, false);
	send_sccrq(true);
	assert_int_equal(pump(2000), L2TP_MSG_STOPCCN);
	assert_int_equal(result_of(&rx), L2TP_STOPCCN_NOT_AUTHORIZED);
}

static void test_duplicate_sccrq(void **state)
{
	(void)state;
	lns_up(NULL, false);
	handshake_sccrp(false, NULL);
	send_sccrq(false);          /* our SCCRP "was lost": the LAC retransmits */
	pump(300);
	assert_int_equal(d.n_tunnels, 1);
}

static void test_protected(void **state)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof me;

	(void)state;
	lns_up(NULL, true);
	send_sccrq(false);
	assert_int_equal(pump(300), -1);
	assert_int_equal(d.n_tunnels, 0);
	assert_int_equal(getsockname(lac, (struct sockaddr *)&me, &len), 0);
	assert_int_equal(l2tpd_peer_protected_set(&d, &me, true), 0);
	assert_true(l2tpd_peer_is_protected(&d, &me));
	handshake_sccrp(false, NULL);
	assert_int_equal(l2tpd_peer_protected_set(&d, &me, false), 0);
	assert_false(l2tpd_peer_is_protected(&d, &me));
}

/* An established tunnel without a kernel: the handshake, then the state forced. */
static struct tunnel *established(uint16_t *tid)
{
	struct tunnel *t;

	lns_up(NULL, false);
	*tid = handshake_sccrp(false, NULL);
	t = tunnel_by_id(&d, *tid);
	assert_non_null(t);
	t->state = TUNNEL_ESTABLISHED;
	return t;
}

static void test_incoming_call(void **state)
{
	struct l2tp_msg_builder b;
	uint8_t buf[128];
	uint16_t tid, sid = 0;

	(void)state;
	established(&tid);
	assert_int_equal(l2tp_msg_begin(&b, buf, sizeof buf, tid, 0, L2TP_MSG_ICRQ, NULL), 0);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_SESSION_ID, 5);
	l2tp_msg_put_u32(&b, L2TP_AVP_CALL_SERIAL_NUMBER, 1);
	send_msg(&b, 1, 1);
	assert_int_equal(pump(2000), L2TP_MSG_ICRP);
	assert_int_equal(rx.hdr.tunnel_id, 77);
	assert_int_equal(rx.hdr.session_id, 5);
	assert_int_equal(l2tp_msg_u16(&rx, L2TP_AVP_ASSIGNED_SESSION_ID, &sid), 0);
	assert_non_null(session_lookup(&d, tid, sid));
	assert_int_equal(d.n_sessions, 1);

	assert_int_equal(l2tp_msg_begin(&b, buf, sizeof buf, tid, sid, L2TP_MSG_ICCN, NULL), 0);
	l2tp_msg_put_u32(&b, L2TP_AVP_TX_CONNECT_SPEED, 100000000);
	l2tp_msg_put_u32(&b, L2TP_AVP_FRAMING_TYPE, 1);
	send_msg(&b, 2, 2);
	assert_int_equal(pump(2000), L2TP_MSG_CDN);
	assert_int_equal(rx.hdr.session_id, 5);
	assert_int_equal(result_of(&rx), L2TP_CDN_NO_RESOURCES_TEMP);
	assert_int_equal(d.n_sessions, 0);
	assert_null(session_lookup(&d, tid, sid));
}

static void test_pool(void **state)
{
	struct in_addr a;
	char s[INET_ADDRSTRLEN];

	(void)state;
	lns_up(NULL, false);
	/* 10..12 with 11 dedicated to zed: the pool hands out 10 and 12 only */
	assert_int_equal(l2tpd_addr_alloc(&d, &a), 0);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof s), "203.0.113.10");
	assert_int_equal(l2tpd_addr_alloc(&d, &a), 0);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof s), "203.0.113.12");
	assert_int_equal(l2tpd_addr_alloc(&d, &a), -EADDRNOTAVAIL);
	assert_int_equal(l2tpd_addr_claim(&d, a), -EADDRINUSE);
	inet_pton(AF_INET, "203.0.113.11", &a);
	assert_int_equal(l2tpd_addr_claim(&d, a), 0);
	l2tpd_addr_release(&d, a);                   /* dedicated: stays reserved */
	inet_pton(AF_INET, "203.0.113.10", &a);
	l2tpd_addr_release(&d, a);
	assert_int_equal(l2tpd_addr_alloc(&d, &a), 0);
	assert_string_equal(inet_ntop(AF_INET, &a, s, sizeof s), "203.0.113.10");
}

static void test_duplicate_login(void **state)
{
	const char *why = NULL;
	struct session *s1, *s2, *s3;
	struct tunnel *t;
	uint16_t tid;
	char ip[INET_ADDRSTRLEN];

	(void)state;
	t = established(&tid);
	s1 = session_new(t);
	s2 = session_new(t);
	assert_non_null(s1);
	assert_non_null(s2);
	assert_int_equal(session_authorized(s1, "zed", &why), 0);
	assert_string_equal(inet_ntop(AF_INET, &s1->client_ip, ip, sizeof ip), "203.0.113.11");
	/* replace (default): the first session ends, the second gets the address */
	assert_int_equal(session_authorized(s2, "zed", &why), 0);
	assert_int_equal(d.n_sessions, 1);
	assert_string_equal(inet_ntop(AF_INET, &s2->client_ip, ip, sizeof ip), "203.0.113.11");
	/* refuse: a third login is turned away while s2 lives */
	conf.dup_policy = L2TPD_DUP_REFUSE;
	s3 = session_new(t);
	assert_int_equal(session_authorized(s3, "zed", &why), -EBUSY);
	assert_non_null(strstr(why, "duplicate_login"));
	/* pool users: distinct addresses, then exhaustion */
	assert_int_equal(session_authorized(s3, "p1", &why), 0);
	s1 = session_new(t);
	assert_int_equal(session_authorized(s1, "p2", &why), 0);
	assert_true(s1->client_ip.s_addr != s3->client_ip.s_addr);
	s1 = session_new(t);
	assert_int_equal(session_authorized(s1, "p3", &why), -EADDRNOTAVAIL);
	assert_string_equal(why, "address pool exhausted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test_teardown(test_challenge_response, lns_down),
		cmocka_unit_test_teardown(test_right_secret, lns_down),
		cmocka_unit_test_teardown(test_challenge_without_secret, lns_down),
		cmocka_unit_test_teardown(test_duplicate_sccrq, lns_down),
		cmocka_unit_test_teardown(test_protected, lns_down),
		cmocka_unit_test_teardown(test_incoming_call, lns_down),
		cmocka_unit_test_teardown(test_pool, lns_down),
		cmocka_unit_test_teardown(test_duplicate_login, lns_down),
	};

	log_init("test_tunnel", LOG_TO_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
