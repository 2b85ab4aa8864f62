/*
 * handover: who may take over from a running l2tpd, and what a successor does when it may
 * not. The running side is a bare struct l2tpd with its event loop and the hand-over
 * listener; the successor is a forked child calling handover_receive() as l2tpd's
 * start-up does. A refused successor must learn it (-EALREADY: it must not start beside
 * the running daemon, whose kernel objects its start-up sweep would take for stale ones);
 * nobody listening, or a dead daemon's socket file, means a plain start (0).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/evloop.h"
#include "l2tpd/daemon.h"
#include "l2tpd/handover.h"
#include "l2tpd/l2tpd_conf.h"

static char dir[64];
static struct l2tpd_conf conf;

static void no_fd(int fd, const char *name, void *arg)
{
	(void)name;
	(void)arg;
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/l2sec-handover-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	memset(&conf, 0, sizeof conf);
	snprintf(conf.ctl_path, sizeof conf.ctl_path, "%s/l2tpd.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[sizeof conf.ctl_path + 16];

	(void)state;
	snprintf(p, sizeof p, "%s.handover", conf.ctl_path);
	unlink(p);
	rmdir(dir);
	return 0;
}

/*
 * The successor's handover_receive() result comes back through a pipe (libev reaps
 * children itself, so the exit status is not ours to wait for). Returns the read end.
 */
static int successor(void)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	if (fork() == 0) {
		int r = handover_receive(conf.ctl_path, no_fd, NULL);

		_exit(write(p[1], &r, sizeof r) == sizeof r ? 0 : 1);
	}
	close(p[1]);
	return p[0];
}

static int successor_result(int fd)
{
	int r = 1;

	assert_int_equal(read(fd, &r, sizeof r), (ssize_t)sizeof r);
	close(fd);
	return r;
}

static void stop_loop(void *arg)
{
	evloop_shutdown(arg, 0);
}

/* Run d's loop until the successor connected (the callback shuts it down) or 3 s. */
static void run_loop(struct l2tpd *d)
{
	struct evloop_timer guard;

	evloop_timer_init(&guard, &d->ev, stop_loop, &d->ev);
	evloop_timer_start(&guard, 3000, 0);
	evloop_run(&d->ev);
	evloop_timer_stop(&guard);
}

static void running_daemon(struct l2tpd *d)
{
	memset(d, 0, sizeof *d);
	d->conf = &conf;
	d->handover_fd = d->handover_conn = -1;
	assert_int_equal(evloop_open(&d->ev), 0);
	assert_int_equal(handover_listen(d), 0);
}

/* Our own uid (root when the tests run as root, as l2tpd's successor is): accepted. */
static void test_same_uid_accepted(void **state)
{
	struct l2tpd d;
	int res;

	(void)state;
	running_daemon(&d);
	res = successor();
	run_loop(&d);
	assert_true(d.handover_conn >= 0);      /* accepted: the shutdown will hand over */
	handover_close(&d);                     /* ... but we go without sending anything */
	/* end of file before the list: a plain start, not one with half a predecessor */
	assert_int_equal(successor_result(res), -EPIPE);
	evloop_close(&d.ev);
}

/* A second successor while one is served is told so, and must not start. */
static void test_second_successor_refused(void **state)
{
	struct l2tpd d;
	int pair[2], res;

	(void)state;
	running_daemon(&d);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
	d.handover_conn = pair[0];              /* a hand-over under way */
	res = successor();
	run_loop(&d);                           /* the guard ends it: nobody was accepted */
	assert_int_equal(d.handover_conn, pair[0]);
	assert_int_equal(successor_result(res), -EALREADY);
	close(pair[1]);
	handover_close(&d);
	evloop_close(&d.ev);
}

static void test_nobody_running(void **state)
{
	(void)state;
	assert_int_equal(handover_receive(conf.ctl_path, no_fd, NULL), 0);
}

/* A crashed daemon's socket file: connection refused, a plain start. */
static void test_stale_socket_file(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	(void)state;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/l2tpd.sock.handover", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);                              /* the file stays, nobody listens */
	assert_int_equal(handover_receive(conf.ctl_path, no_fd, NULL), 0);
	unlink(sun.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_uid_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_successor_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nobody_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
