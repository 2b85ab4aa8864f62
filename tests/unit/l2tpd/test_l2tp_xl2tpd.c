/*
 * Interoperability: the L2TP control codec, hidden AVPs, tunnel challenge/response and the
 * reliable layer against a real xl2tpd acting as LAC (challenge = yes, hidden bit = yes).
 * A minimal LNS written here with our modules answers SCCRQ -> SCCRP -> SCCCN (both
 * challenge responses checked), then
 * ICRQ -> ICRP -> ICCN, then sends StopCCN and waits for its acknowledgement.
 * Needs xl2tpd and 127.0.0.2, and binds UDP 127.0.0.1:1701: runs only where
 * L2SEC_XL2TPD_TEST=1 (a VM scenario), skipped elsewhere.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "l2tpd/reliable.h"

static const struct l2tp_secret secret = { (const uint8_t *)"s3cret-interop", 14 };

struct lns {
	int fd;
	struct sockaddr_in peer;
	bool have_peer;
	struct l2tp_rel *rel;
	uint16_t peer_tid, peer_sid;
	uint8_t our_challenge[16];
	bool sccrq_hidden, tunnel_up, call_up, stopccn_sent, got_cdn;
	char peer_host[64];
	struct l2tp_msg msg;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


static void l_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct lns *l = ctx;

	assert_true(l->have_peer);
	assert_int_equal(sendto(l->fd, pkt, len, 0, (struct sockaddr *)&l->peer, sizeof l->peer),
			 (ssize_t)len);
}

static void send_msg(struct lns *l, struct l2tp_msg_builder *b)
{
	int len = l2tp_msg_finish(b);

	assert_true(len > 0);
	assert_int_equal(l2tp_rel_send(l->rel, now_ms(), b->w.data, (size_t)len), 0);
}

static void on_sccrq(struct lns *l, const struct l2tp_msg *m)
{
	uint8_t buf[512], resp[16];
	struct l2tp_msg_builder b;
	uint16_t rws = 0;

	assert_int_equal(l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, &l->peer_tid), 0);
	l2tp_msg_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE, &rws);
	l2tp_msg_str(m, L2TP_AVP_HOST_NAME, l->peer_host, sizeof l->peer_host);
	l->sccrq_hidden = m->hidden != 0;
	assert_true(l2tp_msg_has(m, L2TP_AVP_CHALLENGE));
	l2tp_rel_set_peer(l->rel, l->peer_tid, rws);
	assert_int_equal(l2tp_challenge_response(L2TP_MSG_SCCRP, &secret,
						 m->avp[L2TP_AVP_CHALLENGE].data,
						 m->avp[L2TP_AVP_CHALLENGE].len, resp), 0);
	for (int i = 0; i < 16; i++)
		l->our_challenge[i] = (uint8_t)(rand() & 0xff);
	l2tp_msg_begin(&b, buf, sizeof buf, l->peer_tid, 0, L2TP_MSG_SCCRP, &secret);
	l2tp_msg_put_u16(&b, L2TP_AVP_PROTOCOL_VERSION, 0x0100);
	l2tp_msg_put_u32(&b, L2TP_AVP_FRAMING_CAPABILITIES, 3);
	l2tp_msg_put_str(&b, L2TP_AVP_HOST_NAME, "l2sec");
	/*
	 * Nothing hidden in SCCRP: xl2tpd (1.3.18) reveals the hidden AVPs of an SCCRP before
	 * it has loaded the tunnel secret, i.e. with an empty secret, and drops the tunnel.
	 * Found with this test; see docs/l2tp-ppp.md.
	 */
	l2tp_msg_put(&b, L2TP_AVP_CHALLENGE, l->our_challenge, 16);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 77);
	l2tp_msg_put_u16(&b, L2TP_AVP_RECEIVE_WINDOW_SIZE, 8);
	l2tp_msg_put(&b, L2TP_AVP_CHALLENGE_RESPONSE, resp, 16);
	send_msg(l, &b);
}

static void send_stopccn(struct lns *l)
{
	uint8_t buf[128];
	struct l2tp_msg_builder b;

	l2tp_msg_begin(&b, buf, sizeof buf, l->peer_tid, 0, L2TP_MSG_STOPCCN, &secret);
	l2tp_msg_put_u16(&b, L2TP_AVP_ASSIGNED_TUNNEL_ID, 77);
	l2tp_avp_put_result(&b.w, L2TP_STOPCCN_CLEAR, L2TP_RESULT_NO_ERROR, NULL);
	send_msg(l, &b);
	l->stopccn_sent = true;
}

static void l_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct lns *l = ctx;
	struct l2tp_msg_error err;
	struct l2tp_msg *m = &l->msg;
	uint8_t buf[256];
	struct l2tp_msg_builder b;

	if (l2tp_msg_parse(m, pkt, len, &secret, &err) < 0)
		fail_msg("xl2tpd sent a message we refuse: %s", err.reason);
	printf("lns: got %s%s\n", l2tp_msg_name(m->type), m->hidden ? " (with hidden AVPs)" : "");
	switch (m->type) {
	case L2TP_MSG_SCCRQ:
		on_sccrq(l, m);
		break;
	case L2TP_MSG_SCCCN:
		assert_true(l2tp_msg_has(m, L2TP_AVP_CHALLENGE_RESPONSE));
		assert_true(l2tp_challenge_verify(L2TP_MSG_SCCCN, &secret, l->our_challenge, 16,
						  m->avp[L2TP_AVP_CHALLENGE_RESPONSE].data,
						  m->avp[L2TP_AVP_CHALLENGE_RESPONSE].len));
		l->tunnel_up = true;
		break;
	case L2TP_MSG_ICRQ:
		assert_int_equal(l2tp_msg_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, &l->peer_sid), 0);
		l2tp_msg_begin(&b, buf, sizeof buf, l->peer_tid, l->peer_sid, L2TP_MSG_ICRP,
			       &secret);
		/* hidden (RFC 2661 §4.3): xl2tpd must reveal it with the tunnel secret */
		l2tp_msg_put_hidden(&b, L2TP_AVP_ASSIGNED_SESSION_ID, "\x00\x05", 2);
		send_msg(l, &b);
		break;
	case L2TP_MSG_ICCN:
		l->call_up = true;
		send_stopccn(l);
		break;
	case L2TP_MSG_CDN:
		l->got_cdn = true;
		break;
	default:
		break;
	}
}

static void l_hello(void *ctx) {}
static void l_dead(void *ctx, uint16_t ns, uint32_t r) { fail_msg("xl2tpd stopped acknowledging"); }

static const struct l2tp_rel_ops ops = { l_send, l_deliver, l_hello, l_dead };

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_xl2tpd_lac(void **state)
{
	const char *env = getenv("L2SEC_XL2TPD_TEST");
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1701) };
	static struct lns l;
	struct l2tp_rel_cfg cfg;
	pid_t pid;
	int status;

	if (!env || strcmp(env, "1"))
		skip();
	memset(&l, 0, sizeof l);
	write_file("/tmp/xl2tpd-test.conf",
		   "[global]\nlisten-addr = 127.0.0.2\nport = 1701\n"
		   "auth file = /tmp/xl2tpd-test.secrets\naccess control = no\n"
		   "[lac test]\nlns = 127.0.0.1\nchallenge = yes\nhidden bit = yes\n"
		   "autodial = yes\nredial = no\nhostname = lac-test\n"
		   "pppoptfile = /tmp/xl2tpd-test.ppp\n");
	write_file("/tmp/xl2tpd-test.secrets", "* * s3cret-interop\n");
	write_file("/tmp/xl2tpd-test.ppp", "noauth\nnodetach\n");
	l.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(l.fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&a, sizeof a), 0);
	l2tp_rel_cfg_default(&cfg);
	l.rel = l2tp_rel_new(&cfg, &ops, &l, now_ms());
	assert_non_null(l.rel);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("xl2tpd", "xl2tpd", "-D", "-c", "/tmp/xl2tpd-test.conf", "-p",
		       "/tmp/xl2tpd-test.pid", "-C", "/tmp/xl2tpd-test.control", (char *)NULL);
		_exit(127);
	}
	uint64_t end = now_ms() + 30000;
	while (now_ms() < end && !(l.stopccn_sent && l2tp_rel_idle(l.rel))) {
		uint64_t d = l2tp_rel_next_deadline(l.rel), now = now_ms();
		int wait = d == L2TP_REL_NO_DEADLINE ? 200 : d > now ? (int)(d - now) : 0;
		struct pollfd pfd = { l.fd, POLLIN, 0 };
		uint8_t pkt[2048];

		if (poll(&pfd, 1, wait > 200 ? 200 : wait) > 0) {
			socklen_t sl = sizeof l.peer;
			ssize_t n = recvfrom(l.fd, pkt, sizeof pkt, 0, (struct sockaddr *)&l.peer, &sl);
			struct l2tp_ctrl_hdr h;

			l.have_peer = true;
			if (n > 0 && l2tp_classify(pkt, (size_t)n) == 1 &&
			    l2tp_ctrl_hdr_parse(pkt, (size_t)n, &h) == 0)
				l2tp_rel_input(l.rel, now_ms(), &h, pkt, (size_t)n);
		}
		l2tp_rel_tick(l.rel, now_ms());
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	printf("lns: peer host %s, hidden AVPs in SCCRQ: %s, stats sent=%llu rtx=%llu zlb=%llu\n",
	       l.peer_host, l.sccrq_hidden ? "yes" : "no",
	       (unsigned long long)l2tp_rel_stats(l.rel)->sent,
	       (unsigned long long)l2tp_rel_stats(l.rel)->retransmitted,
	       (unsigned long long)l2tp_rel_stats(l.rel)->zlb_sent);
	assert_string_equal(l.peer_host, "lac-test");
	assert_true(l.tunnel_up);            /* both challenge responses checked */
	assert_true(l.call_up);
	assert_true(l2tp_rel_idle(l.rel));   /* our StopCCN was acknowledged */
	l2tp_rel_free(l.rel);
	close(l.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xl2tpd_lac),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
