/*
 * Session teardown off the event loop (teardown.h), on a daemon without kernel L2TP
 * (l2tpd_init + teardown_start), sessions made by hand, pipes standing in for the PPP
 * descriptors and a close operation that sleeps like the kernel's grace periods:
 *   - a closed session is out of every table at once, while its descriptors are still
 *     being closed; its address is not handed out again until they are, then it is;
 *   - its (tunnel id, session id) is not given to a new session meanwhile;
 *   - a new login of a user with a dedicated address replacing the old session gets the
 *     address only after the old session's objects are closed;
 *   - an exhausted pool waits for a closing session's address instead of refusing;
 *   - shutdown finishes pending teardowns (descriptors closed, nothing leaked);
 *   - reload keeps the addresses of closing sessions held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "l2tpd/daemon.h"
#include "l2tpd/kppp_bind.h"
#include "l2tpd/reload.h"
#include "l2tpd/session.h"
#include "l2tpd/teardown.h"
#include "l2tpd/tunnel.h"

#define CLOSE_MS 150

static struct l2tpd d;
static struct l2tpd_conf conf;
static char dir[64], conf_path[300], secrets_path[300];
static int closes_done;   /* by the close operation's thread: atomics */

/* The kernel's teardown as far as timing goes: sleeps, then closes the descriptors. */
static void slow_close(struct kppp_session *k)
{
	struct timespec ts = { 0, CLOSE_MS * 1000000L };

	nanosleep(&ts, NULL);
	kppp_session_close(k);
	__atomic_add_fetch(&closes_done, 1, __ATOMIC_SEQ_CST);
}

static int done_count(void)
{
	return __atomic_load_n(&closes_done, __ATOMIC_SEQ_CST);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* Pool of two addresses (.10, .11); alice has .15 for herself. */
static void write_conf(const char *pool_end)
{
	char text[1024];

	snprintf(text, sizeof text,
		 "l2tpd = { listen = \"127.0.0.1\"; port = %d; secrets = \"%s\"; };\n"
		 "pools = ( { start = \"203.0.113.10\"; end = \"%s\"; } );\n",
		 20000 + getpid() % 20000, secrets_path, pool_end);
	write_file(conf_path, text);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/l2sec-td-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(conf_path, sizeof conf_path, "%s/l2tpd.conf", dir);
	snprintf(secrets_path, sizeof secrets_path, "%s/secrets.conf", dir);
	write_conf("203.0.113.11");
	write_file(secrets_path, "users = (\n"
				 "  { name = \"alice\"; password = \"a\"; ip = \"203.0.113.15\"; },\n"
				 "  { name = \"bob\"; password = \"b\"; },\n"
				 "  { name = \"carol\"; password = \"c\"; },\n"
				 "  { name = \"dave\"; password = \"d\"; }\n);\n");
	l2tpd_conf_defaults(&conf);
	assert_int_equal(l2tpd_conf_load(&conf, conf_path, NULL, stderr), 0);
	assert_int_equal(l2tpd_init(&d, &conf), 0);
	teardown_start(&d);
	assert_non_null(d.closer);
	kppp_binder_set_close_op(d.closer, slow_close);
	closes_done = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2tpd_stop(&d);
	l2tpd_conf_free(&conf);
	unlink(conf_path);
	unlink(secrets_path);
	rmdir(dir);
	return 0;
}

static struct tunnel *tunnel_up(uint16_t peer_port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct tunnel *t;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(peer_port);
	t = tunnel_create(&d, &ss, sizeof *sin, false);
	assert_non_null(t);
	t->state = TUNNEL_ESTABLISHED;
	return t;
}

/* A session of user in t with pipes as its PPP descriptors (pipe[0] each; the write
 * ends go to ends[3]). */
static struct session *connected(struct tunnel *t, const char *user, int ends[3])
{
	int *fds[3];
	const char *why = NULL;
	struct session *s = session_new(t);

	assert_non_null(s);
	assert_int_equal(session_authorized(s, user, &why), 0);
	fds[0] = &s->k.pppox_fd;
	fds[1] = &s->k.chan_fd;
	fds[2] = &s->k.unit_fd;
	for (int i = 0; i < 3; i++) {
		int p[2];

		assert_int_equal(pipe(p), 0);
		*fds[i] = p[0];
		ends[i] = p[1];
	}
	return s;
}

static const char *ip_of(const struct session *s, char *buf)
{
	return inet_ntop(AF_INET, &s->client_ip, buf, INET_ADDRSTRLEN);
}

/* The read ends are closed when writing to the pipes fails with EPIPE. */
static bool closed(const int ends[3])
{
	for (int i = 0; i < 3; i++)
		if (write(ends[i], "x", 1) != -1 || errno != EPIPE)
			return false;
	return true;
}

static void close_ends(const int ends[3])
{
	for (int i = 0; i < 3; i++)
		close(ends[i]);
}

/* Let the loop collect finished teardowns, waiting up to 5 s for n of them in all. */
static void run_until_done(int n)
{
	for (int i = 0; i < 500 && (done_count() < n || d.n_teardowns); i++) {
		struct pollfd p = { .fd = kppp_binder_event_fd(d.closer), .events = POLLIN };

		poll(&p, 1, 10);
		ev_run(d.ev.loop, EVRUN_NOWAIT);
	}
}

static void test_closed_session_leaves_at_once(void **state)
{
	struct tunnel *t = tunnel_up(41001);
	int ends[3], ends2[3];
	char ip[INET_ADDRSTRLEN];
	struct session *s = connected(t, "bob", ends), *s2;
	uint16_t tid = t->tid, sid = s->sid;
	const char *why = NULL;

	(void)state;
	assert_string_equal(ip_of(s, ip), "203.0.113.10");
	session_close(s, false, 0, "test");
	/* gone from the tables at once (vpnctl sessions walks t->sessions) */
	assert_null(session_lookup(&d, tid, sid));
	assert_null(t->sessions);
	assert_int_equal(d.n_sessions, 0);
	/* but its objects are still being closed, and hold id and address */
	assert_int_equal(done_count(), 0);
	assert_false(closed(ends));
	assert_int_equal(d.n_teardowns, 1);
	assert_true(teardown_pending(&d, tid, sid));
	/* a new session skips the id; a new login gets the other pool address */
	d.next_session_id = (uint16_t)(sid - 1);
	s2 = session_new(t);
	assert_non_null(s2);
	assert_int_not_equal(s2->sid, sid);
	assert_int_equal(session_authorized(s2, "carol", &why), 0);
	assert_string_equal(ip_of(s2, ip), "203.0.113.11");
	/* once closed, .10 is free again */
	run_until_done(1);
	assert_true(closed(ends));
	assert_int_equal(d.n_teardowns, 0);
	assert_false(teardown_pending(&d, tid, sid));
	s = connected(t, "dave", ends2);
	assert_string_equal(ip_of(s, ip), "203.0.113.10");
	close_ends(ends);
	session_close(s, false, 0, "test");
	session_close(s2, false, 0, "test");
	run_until_done(2);
	assert_true(closed(ends2));
	close_ends(ends2);
}

/* Pool exhausted by sessions that are closing: the login waits for one instead of
 * being refused. */
static void test_exhausted_pool_waits(void **state)
{
	struct tunnel *t = tunnel_up(41002);
	int e1[3], e2[3], e3[3];
	char ip[INET_ADDRSTRLEN];
	struct session *a = connected(t, "bob", e1), *b = connected(t, "carol", e2);
	struct session *c;

	(void)state;
	session_close(a, false, 0, "test");   /* .10, closing */
	c = connected(t, "dave", e3);         /* pool empty but for .10: waits for it */
	assert_string_equal(ip_of(c, ip), "203.0.113.10");
	assert_int_equal(done_count(), 1);
	assert_true(closed(e1));
	assert_int_equal(d.n_teardowns, 0);
	session_close(b, false, 0, "test");
	session_close(c, false, 0, "test");
	run_until_done(3);
	assert_true(closed(e2) && closed(e3));
	close_ends(e1);
	close_ends(e2);
	close_ends(e3);
}

/* alice logs in again while her old session holds her dedicated address: the old one is
 * replaced, and the new one gets the address only once the old objects are closed. */
static void test_dedicated_address_waits_for_teardown(void **state)
{
	struct tunnel *t1 = tunnel_up(41003), *t2 = tunnel_up(41004);
	int e1[3];
	char ip[INET_ADDRSTRLEN];
	struct session *old = connected(t1, "alice", e1), *s;
	const char *why = NULL;

	(void)state;
	assert_string_equal(ip_of(old, ip), "203.0.113.15");
	s = session_new(t2);
	assert_non_null(s);
	assert_int_equal(session_authorized(s, "alice", &why), 0);
	assert_string_equal(ip_of(s, ip), "203.0.113.15");
	assert_int_equal(done_count(), 1);    /* the old interface was gone first */
	assert_true(closed(e1));
	assert_null(t1->sessions);
	assert_int_equal(d.n_sessions, 1);
	session_close(s, false, 0, "test");
	close_ends(e1);
}

/* Reload while a session is closing: its address stays held in the new pools. */
static void test_reload_keeps_closing_address(void **state)
{
	struct tunnel *t = tunnel_up(41005);
	int e1[3], e2[3];
	char ip[INET_ADDRSTRLEN], msg[L2TPD_RELOAD_MSG_MAX];
	struct session *a = connected(t, "bob", e1), *b;

	(void)state;
	session_close(a, false, 0, "test");   /* .10 closing */
	write_conf("203.0.113.12");           /* the pool grows: .10 .. .12 */
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	b = connected(t, "carol", e2);
	assert_string_equal(ip_of(b, ip), "203.0.113.11");   /* not .10 */
	assert_int_equal(done_count(), 0);
	session_close(b, false, 0, "test");
	run_until_done(2);
	assert_true(closed(e1) && closed(e2));
	close_ends(e1);
	close_ends(e2);
}

/* Shutdown with teardowns pending: l2tpd_stop returns once they are done. */
static void test_shutdown_finishes_teardowns(void **state)
{
	struct tunnel *t = tunnel_up(41006);
	int ends[3][3];
	const char *users[3] = { "alice", "bob", "carol" };

	(void)state;
	for (int i = 0; i < 3; i++)
		connected(t, users[i], ends[i]);
	tunnel_close(t, 0, 0, "test");       /* the sessions first */
	assert_int_equal(d.n_teardowns, 3);
	l2tpd_stop(&d);                      /* teardown() stops again: idempotent */
	assert_int_equal(done_count(), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(closed(ends[i]));
		close_ends(ends[i]);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);   /* closed() writes to pipes whose read end is gone */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_closed_session_leaves_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhausted_pool_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedicated_address_waits_for_teardown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_closing_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_finishes_teardowns, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
