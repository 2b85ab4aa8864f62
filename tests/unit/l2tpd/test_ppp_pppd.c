/*
 * Interoperability: our PPP engine against a real pppd (the client stack of Android and of
 * Linux's xl2tpd setups), over a pty with async HDLC framing (RFC 1662) done here.
 * pppd needs the kernel's PPP support and root, so this only runs where L2SEC_PPPD_TEST=1
 * is set (a VM scenario); elsewhere it is skipped.
 *
 * For each of MS-CHAPv2, CHAP-MD5 and PAP: pppd (as an Android-like client: mru 1400,
 * usepeerdns, refuse-eap, VJ on by default) must reach the network phase with the address
 * and DNS servers we give, and end cleanly when we close the link.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "l2tpd/ppp_lcp.h"

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct run {
	int fd;                       /* pty master */
	struct ppp_link link;
	struct ppp_link_cfg cfg;
	uint64_t deadline[PPP_TIMER_COUNT];
	bool up, finished;
	struct ppp_link_info info;
	char reason[128];
	uint8_t rx[4096];
	size_t rxlen;
	bool esc;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FCS-16 of RFC 1662 §C.2 (reflected CRC-CCITT). */
static uint16_t fcs16(uint16_t fcs, const uint8_t *p, size_t n)
{
	while (n--) {
		fcs ^= *p++;
		for (int i = 0; i < 8; i++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) : (uint16_t)(fcs >> 1);
	}
	return fcs;
}

static void put_escaped(uint8_t *out, size_t *n, uint8_t b)
{
	if (b < 0x20 || b == 0x7e || b == 0x7d) {
		out[(*n)++] = 0x7d;
		b ^= 0x20;
	}
	out[(*n)++] = b;
}

/* Our frame (protocol + packet) out as ff 03 ... FCS, escaped, between flags. */
static void o_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct run *r = ctx;
	uint8_t body[2048], out[4200];
	size_t n = 0;
	uint16_t fcs;

	body[0] = 0xff;
	body[1] = 0x03;
	memcpy(body + 2, frame, len);
	fcs = (uint16_t)~fcs16(0xffff, body, len + 2);
	body[len + 2] = (uint8_t)fcs;
	body[len + 3] = (uint8_t)(fcs >> 8);
	out[n++] = 0x7e;
	for (size_t i = 0; i < len + 4; i++)
		put_escaped(out, &n, body[i]);
	out[n++] = 0x7e;
	assert_int_equal(write(r->fd, out, n), (ssize_t)n);
}

static void o_tstart(void *ctx, enum ppp_timer t, uint32_t ms)
{
	((struct run *)ctx)->deadline[t] = now_ms() + ms;
}
static void o_tstop(void *ctx, enum ppp_timer t) { ((struct run *)ctx)->deadline[t] = 0; }

static int o_secret(void *ctx, const char *user, struct ppp_user_secret *s)
{
	if (strcmp(user, "alice"))
		return -ENOENT;
	s->has_password = true;
	strcpy(s->password, "clientPass");
	return 0;
}
static int o_alloc(void *ctx, const char *user, uint32_t *a) { *a = ADDR(198, 51, 100, 10); return 0; }
static void o_free(void *ctx, uint32_t a) {}
static void o_up(void *ctx, const struct ppp_link_info *i)
{
	struct run *r = ctx;
	r->up = true;
	r->info = *i;
}
static void o_down(void *ctx) {}
static void o_finished(void *ctx, const char *reason)
{
	struct run *r = ctx;
	r->finished = true;
	snprintf(r->reason, sizeof r->reason, "%s", reason);
}

static const struct ppp_link_ops ops = { o_send, o_tstart, o_tstop, o_secret, o_alloc, o_free,
					 o_up, o_down, o_finished };

/* Bytes from pppd: unescape, split at flags, check the FCS, hand frames to the link. */
static void rx_bytes(struct run *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];

		if (b == 0x7e) {
			if (r->rxlen >= 4 && fcs16(0xffff, r->rx, r->rxlen) == 0xf0b8)
				ppp_link_input(&r->link, r->rx, r->rxlen - 2);
			r->rxlen = 0;
			r->esc = false;
			continue;
		}
		if (b == 0x7d) {
			r->esc = true;
			continue;
		}
		if (r->esc) {
			b ^= 0x20;
			r->esc = false;
		}
		if (r->rxlen < sizeof r->rx)
			r->rx[r->rxlen++] = b;
	}
}

/* Run the link until cond(r) holds or ms pass. */
static bool pump(struct run *r, bool (*cond)(struct run *), uint64_t ms)
{
	uint64_t end = now_ms() + ms;

	while (!cond(r) && now_ms() < end) {
		uint64_t next = end;
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		uint8_t buf[2048];

		for (int t = 0; t < PPP_TIMER_COUNT; t++)
			if (r->deadline[t] && r->deadline[t] < next)
				next = r->deadline[t];
		int wait = next > now_ms() ? (int)(next - now_ms()) : 0;
		if (poll(&pfd, 1, wait) > 0) {
			ssize_t n = read(r->fd, buf, sizeof buf);
			if (n <= 0)
				return cond(r);   /* pppd closed the pty */
			rx_bytes(r, buf, (size_t)n);
		}
		for (int t = 0; t < PPP_TIMER_COUNT; t++)
			if (r->deadline[t] && r->deadline[t] <= now_ms()) {
				r->deadline[t] = 0;
				ppp_link_timeout(&r->link, (enum ppp_timer)t);
			}
	}
	return cond(r);
}

static bool is_up(struct run *r) { return r->up || r->finished; }
static bool is_finished(struct run *r) { return r->finished; }

static void run_pppd(enum ppp_auth_method method, const char *tag)
{
	static struct run r;
	char log[128], *slave, cmd[1024];
	pid_t pid;
	int status = 0;

	const char *env = getenv("L2SEC_PPPD_TEST");

	if (!env || strcmp(env, "1"))
		skip();   /* needs root, kernel PPP and pppd: run from a VM scenario */
	memset(&r, 0, sizeof r);
	ppp_lcp_cfg_default(&r.cfg.lcp);
	r.cfg.lcp.auth[0] = method;
	r.cfg.lcp.auth[1] = PPP_AUTH_NONE;
	r.cfg.ipcp.local_addr = ADDR(198, 51, 100, 1);
	r.cfg.ipcp.dns[0] = ADDR(192, 0, 2, 53);
	r.cfg.ipcp.dns[1] = ADDR(192, 0, 2, 54);
	r.cfg.server_name = "l2sec";
	r.fd = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(r.fd >= 0);
	assert_int_equal(grantpt(r.fd), 0);
	assert_int_equal(unlockpt(r.fd), 0);
	slave = ptsname(r.fd);
	assert_non_null(slave);
	struct termios tio;
	tcgetattr(r.fd, &tio);
	cfmakeraw(&tio);
	tcsetattr(r.fd, TCSANOW, &tio);
	snprintf(log, sizeof log, "/tmp/pppd-%s.log", tag);
	unlink(log);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("pppd", "pppd", slave, "nodetach", "noauth", "local", "nocrtscts", "nolock",
		       "debug", "logfile", log, "user", "alice", "password", "clientPass",
		       "refuse-eap", "noipdefault", "usepeerdns", "nodefaultroute", "mru", "1400",
		       "lcp-echo-interval", "0", (char *)NULL);
		_exit(127);
	}
	ppp_link_init(&r.link, &r.cfg, &ops, &r);
	ppp_link_start(&r.link);
	bool up = pump(&r, is_up, 20000);
	if (!up || r.finished) {
		snprintf(cmd, sizeof cmd, "cat %s", log);
		if (system(cmd) < 0)
			perror("cat");
		fail_msg("%s: network not up (%s)", tag, r.finished ? r.reason : "timeout");
	}
	assert_int_equal(r.info.peer_addr, ADDR(198, 51, 100, 10));
	assert_int_equal(r.info.peer_mru, 1400);
	assert_true(r.info.dns_requested);
	assert_int_equal(r.info.method, method);
	/* pppd logs its view once its ip-pre-up script ran: wait up to 15 s for it */
	snprintf(cmd, sizeof cmd,
		 "grep -q 'local  IP address 198.51.100.10' %s && "
		 "grep -q 'remote IP address 198.51.100.1' %s && "
		 "grep -q 'primary   DNS address 192.0.2.53' %s", log, log, log);
	bool seen = false;
	for (int i = 0; i < 30 && !seen; i++) {
		pump(&r, is_finished, 500);
		seen = system(cmd) == 0;
	}
	if (!seen) {
		snprintf(cmd, sizeof cmd, "cat %s", log);
		if (system(cmd) < 0)
			perror("cat");
		fail_msg("%s: pppd did not report our addresses", tag);
	}
	ppp_link_close(&r.link, "test done");
	assert_true(pump(&r, is_finished, 10000));
	for (int i = 0; i < 200 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		fail_msg("%s: pppd did not exit within 20 s of our Terminate", tag);
	}
	close(r.fd);
	printf("%s: pppd reached the network phase; link closed: %s\n", tag, r.reason);
}

static void test_pppd_mschapv2(void **state) { run_pppd(PPP_AUTH_MSCHAPV2, "mschapv2"); }
static void test_pppd_chap_md5(void **state) { run_pppd(PPP_AUTH_CHAP_MD5, "chap-md5"); }
static void test_pppd_pap(void **state) { run_pppd(PPP_AUTH_PAP, "pap"); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pppd_mschapv2),
		cmocka_unit_test(test_pppd_chap_md5),
		cmocka_unit_test(test_pppd_pap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
