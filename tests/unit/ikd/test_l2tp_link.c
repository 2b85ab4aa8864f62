/*
 * ikd/l2tp_link: the per-peer failure memory behind `vpnctl diagnose`.
 *   - reasons are kept per address whatever the port, the last L2TP_LINK_DIAG_PER_PEER;
 *   - the least recently failing peer is forgotten when the table is full;
 *   - the peer-diag dump, through a real control server and client, carries them in order
 *     with the connection name, filtered by the address asked for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl.h"
#include "common/log.h"
#include "ikd/l2tp_link.h"

static struct sockaddr_in sin4(const char *a, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
	return s;
}

static void test_ring(void **state)
{
	struct sockaddr_in a500 = sin4("192.0.2.254", 500), a4500 = sin4("192.0.2.254", 4500);
	struct sockaddr_in other = sin4("192.0.2.253", 4500);
	char r[64];

	(void)state;
	l2tp_link_diag_reset();
	l2tp_link_note((struct sockaddr *)&a500, "l2tp", "PSK mismatch", 1000);
	assert_int_equal(l2tp_link_diag_count((struct sockaddr *)&a4500), 1);
	assert_int_equal(l2tp_link_diag_count((struct sockaddr *)&other), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(r, sizeof r, "reason %d", i);
		l2tp_link_note((struct sockaddr *)&a4500, "l2tp", r, 2000 + (uint64_t)i);
	}
	assert_int_equal(l2tp_link_diag_count((struct sockaddr *)&a500), L2TP_LINK_DIAG_PER_PEER);

	/* A full table forgets the peer that failed least recently: 256 newer peers push
	 * out 192.0.2.254 (last failure at 2019 ms), the first of them stays. */
	for (unsigned i = 0; i < L2TP_LINK_DIAG_PEERS; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "198.51.100.%u", i % 250 + 1);
		struct sockaddr_in p = sin4(i < 250 ? ip : "203.0.113.1", 500);
		if (i >= 250)
			p.sin_addr.s_addr = htonl(0xcb007100u + i);     /* 203.0.113.x */
		l2tp_link_note((struct sockaddr *)&p, NULL, "x", 3000 + i);
	}
	assert_int_equal(l2tp_link_diag_count((struct sockaddr *)&a500), 0);
	struct sockaddr_in first = sin4("198.51.100.1", 0);
	assert_int_equal(l2tp_link_diag_count((struct sockaddr *)&first), 1);
}

/* ---- the dump through the control socket ----------------------------------------------- */

static const struct ctl_command cmds[] = {
	{ CTL_CMD_PEER_DIAG, false, l2tp_link_cmd_peer_diag },
};

struct got {
	unsigned n;
	char reasons[10][64];
	char conn[64];
};

static int on_entry(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct got *g = arg;

	(void)nlh;
	assert_non_null(tb[CTL_A_REASON]);
	assert_non_null(tb[CTL_A_PEER_ADDR]);
	assert_non_null(tb[CTL_A_AGE_SEC]);
	if (g->n < 10)
		snprintf(g->reasons[g->n], sizeof g->reasons[0], "%s",
			 mnl_attr_get_str(tb[CTL_A_REASON]));
	if (tb[CTL_A_CONN_NAME])
		snprintf(g->conn, sizeof g->conn, "%s", mnl_attr_get_str(tb[CTL_A_CONN_NAME]));
	g->n++;
	return 0;
}

struct req_arg {
	struct sockaddr_in peer;
};

static int build(struct ctl_msg *m, void *arg)
{
	struct req_arg *r = arg;

	return ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (struct sockaddr *)&r->peer);
}

struct done_arg {
	bool done;
	int ret;
};

static void on_done(int ret, const struct ctl_error *err, void *arg)
{
	struct done_arg *d = arg;

	(void)err;
	d->done = true;
	d->ret = ret;
}

struct both {
	struct got g;
	struct done_arg d;
	struct req_arg r;
};

static int on_entry_both(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	return on_entry(nlh, tb, &((struct both *)arg)->g);
}

static void on_done_both(int ret, const struct ctl_error *err, void *arg)
{
	on_done(ret, err, &((struct both *)arg)->d);
}

static int build_both(struct ctl_msg *m, void *arg)
{
	return build(m, &((struct both *)arg)->r);
}

static void test_dump(void **state)
{
	char dir[] = "/tmp/l2sec-diag-XXXXXX", path[96];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ctl_server *srv;
	struct ctl_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ikd.sock", dir);
	struct ctl_server_options o = { .path = path, .daemon = "ikd", .admin_uid = getuid() };
	assert_int_equal(ctl_server_create(loop, &o, cmds, 1, NULL, &srv), 0);

	l2tp_link_diag_reset();
	struct sockaddr_in a = sin4("192.0.2.254", 4500), b = sin4("192.0.2.253", 500);
	l2tp_link_note((struct sockaddr *)&a, "l2tp", "negotiation failed: no proposal chosen", 10);
	l2tp_link_note((struct sockaddr *)&b, "l2tp", "other peer", 11);
	l2tp_link_note((struct sockaddr *)&a, "l2tp", "negotiation failed: PSK mismatch", 12);

	struct ctl_client *c = ctl_client_connect(path, &err);
	assert_non_null(c);
	struct both x;
	memset(&x, 0, sizeof x);
	x.r.peer = sin4("192.0.2.254", 0);
	assert_int_equal(ctl_client_request_async(c, loop, CTL_CMD_PEER_DIAG, build_both,
						  on_entry_both, on_done_both, &x, &err), 0);
	for (int i = 0; i < 300 && !x.d.done; i++)
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT), usleep(5000);
	assert_true(x.d.done);
	assert_int_equal(x.d.ret, 0);
	assert_int_equal(x.g.n, 2);
	/* oldest first: vpnctl merges ikd's and l2tpd's entries in time order */
	assert_string_equal(x.g.reasons[0], "negotiation failed: no proposal chosen");
	assert_string_equal(x.g.reasons[1], "negotiation failed: PSK mismatch");
	assert_string_equal(x.g.conn, "l2tp");

	ctl_client_close(c);
	ctl_server_destroy(srv);
	ev_loop_destroy(loop);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_dump),
	};

	log_init("test", LOG_TO_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
