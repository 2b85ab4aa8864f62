/*
 * l2tpd/l2tp_diag: the plain words `vpnctl diagnose` shows for l2tpd's evidence.
 *   - a closing session is put at the stage it reached: LCP, authentication (method, user,
 *     verdict), authorization after a good password (pool, duplicate login), IPCP, or ended;
 *   - tunnels: established, failed before establishment, lost (HELLO timeout), ended;
 *   - entries are kept per peer address, repeats of a refusal collapse into one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "common/diag_ring.h"
#include "l2tpd/l2tp_diag.h"
#include "l2tpd/tunnel.h"

static void words(const struct l2tp_diag_call *c, uint8_t want_stage, uint8_t want_result,
		  const char *want)
{
	char text[DIAG_TEXT_MAX];
	uint8_t stage = 0xff, result = 0xff;

	l2tp_diag_call_words(c, &stage, &result, text, sizeof text);
	assert_string_equal(text, want);
	assert_int_equal(stage, want_stage);
	assert_int_equal(result, want_result);
}

static void test_session_words(void **state)
{
	struct l2tp_diag_call c;

	(void)state;
	/* MS-CHAPv2 with a wrong password */
	c = (struct l2tp_diag_call){ .state = SESSION_PPP_LCP, .ppp = true, .auth_finished = true,
				     .method = PPP_AUTH_MSCHAPV2, .user = "bob",
				     .auth_why = "wrong password",
				     .reason = "authentication failed (mschapv2): wrong password" };
	words(&c, CTL_DIAG_PPP_AUTH, CTL_DIAG_FAILED,
	      "MS-CHAPv2 failed for user bob: wrong password");
	/* PAP, unknown user */
	c.method = PPP_AUTH_PAP;
	c.user = "mallory";
	c.auth_why = "unknown user";
	words(&c, CTL_DIAG_PPP_AUTH, CTL_DIAG_FAILED, "PAP failed for user mallory: unknown user");
	/* good password, then the pool is empty */
	c = (struct l2tp_diag_call){ .state = SESSION_PPP_LCP, .ppp = true, .auth_finished = true,
				     .auth_success = true, .method = PPP_AUTH_CHAP_MD5,
				     .user = "alice", .reason = "address pool exhausted" };
	words(&c, CTL_DIAG_PPP_AUTH, CTL_DIAG_FAILED,
	      "user alice authenticated (CHAP-MD5) but was refused: address pool exhausted");
	/* authorized, IPCP never opened */
	c.state = SESSION_PPP_NCP;
	c.reason = "IPCP could not be negotiated or was closed by the peer";
	words(&c, CTL_DIAG_PPP_IPCP, CTL_DIAG_FAILED,
	      "IPCP did not converge for user alice: IPCP could not be negotiated or was "
	      "closed by the peer");
	/* LCP never opened */
	c = (struct l2tp_diag_call){ .state = SESSION_PPP_LCP, .ppp = true,
				     .reason = "peer closed the link" };
	words(&c, CTL_DIAG_PPP_LCP, CTL_DIAG_FAILED,
	      "LCP negotiation did not converge: peer closed the link");
	/* LCP opened, the client never answered the challenge */
	c.method = PPP_AUTH_MSCHAPV2;
	c.reason = "no response to our challenge";
	words(&c, CTL_DIAG_PPP_AUTH, CTL_DIAG_FAILED,
	      "MS-CHAPv2 authentication did not complete: no response to our challenge");
	/* before ICCN */
	c = (struct l2tp_diag_call){ .state = SESSION_WAIT_CONNECT, .reason = "tunnel closed" };
	words(&c, CTL_DIAG_L2TP_SESSION, CTL_DIAG_FAILED,
	      "L2TP call ended before PPP started: tunnel closed");
	/* a session that was up */
	c = (struct l2tp_diag_call){ .state = SESSION_ESTABLISHED, .ppp = true, .user = "bob",
				     .auth_finished = true, .auth_success = true, .age_s = 75,
				     .reason = "disconnected by admin" };
	words(&c, CTL_DIAG_L2TP_SESSION, CTL_DIAG_ENDED,
	      "session of user bob ended after 75s: disconnected by admin");
}

struct seen {
	unsigned n;
	char text[8][DIAG_TEXT_MAX];
	uint8_t result[8];
	uint32_t repeat[8];
};

static int collect(const struct diag_entry *e, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		strcpy(s->text[s->n], e->text);
		s->result[s->n] = e->result;
		s->repeat[s->n] = e->repeat;
	}
	s->n++;
	return 0;
}

static void test_tunnel_notes(void **state)
{
	struct tunnel t;
	struct sockaddr_in *p = (struct sockaddr_in *)&t.peer;
	struct sockaddr_in other = { .sin_family = AF_INET };

	(void)state;
	l2tp_diag_reset();
	memset(&t, 0, sizeof t);
	p->sin_family = AF_INET;
	p->sin_port = htons(1701);
	inet_pton(AF_INET, "192.0.2.254", &p->sin_addr);
	inet_pton(AF_INET, "192.0.2.253", &other.sin_addr);
	t.tid = 4711;
	strcpy(t.hostname, "client1");

	for (int i = 0; i < 5; i++)     /* SCCRQ retransmissions: one entry */
		l2tp_diag_tunnel_refused(&t.peer, "not protected by IPsec");
	assert_int_equal(l2tp_diag_count((struct sockaddr *)p), 1);
	t.state = TUNNEL_WAIT_CTL_CONN;
	l2tp_diag_tunnel_down(&t, false, "bad tunnel secret: Challenge Response does not match");
	t.state = TUNNEL_ESTABLISHED;
	l2tp_diag_tunnel_up(&t);
	l2tp_diag_tunnel_down(&t, true, "peer dead: no ack for Ns=3 after 5 retransmissions");
	t.lac = true;                   /* our own LAC tunnels are not noted */
	l2tp_diag_tunnel_up(&t);
	assert_int_equal(l2tp_diag_count((struct sockaddr *)p), 4);
	assert_int_equal(l2tp_diag_count((struct sockaddr *)&other), 0);
	struct seen s = { 0 };
	assert_int_equal(l2tp_diag_each((struct sockaddr *)p, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.text[0], "L2TP tunnel refused: not protected by IPsec");
	assert_int_equal(s.repeat[0], 5);
	assert_int_equal(s.result[0], CTL_DIAG_FAILED);
	assert_string_equal(s.text[1], "L2TP tunnel 4711 failed before it was established: "
				       "bad tunnel secret: Challenge Response does not match");
	assert_int_equal(s.result[1], CTL_DIAG_FAILED);
	assert_string_equal(s.text[2], "L2TP tunnel 4711 established (host client1)");
	assert_int_equal(s.result[2], CTL_DIAG_OK);
	assert_string_equal(s.text[3], "L2TP tunnel 4711 lost, the client stopped answering "
				       "(HELLO/retransmission timeout): peer dead: no ack for "
				       "Ns=3 after 5 retransmissions");
	assert_int_equal(s.result[3], CTL_DIAG_FAILED);
	l2tp_diag_reset();
	assert_int_equal(l2tp_diag_count((struct sockaddr *)p), 0);
}

static void test_method_names(void **state)
{
	(void)state;
	assert_string_equal(l2tp_diag_method_name(PPP_AUTH_MSCHAPV2), "MS-CHAPv2");
	assert_string_equal(l2tp_diag_method_name(PPP_AUTH_CHAP_MD5), "CHAP-MD5");
	assert_string_equal(l2tp_diag_method_name(PPP_AUTH_PAP), "PAP");
	assert_string_equal(l2tp_diag_method_name(PPP_AUTH_NONE), "no authentication");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_words),
		cmocka_unit_test(test_tunnel_notes),
		cmocka_unit_test(test_method_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
