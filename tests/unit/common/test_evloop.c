/*
 * Unit tests for common/evloop: timers, I/O watchers, signal policy, cleanup hooks.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/evloop.h"

static struct evloop loop;

static int setup(void **state)
{
	return evloop_open(&loop);
}

static int teardown(void **state)
{
	evloop_close(&loop);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Records the order in which callbacks ran. */
struct trace {
	int seq[16];
	int n;
};

struct tagged {
	struct trace *trace;
	int tag;
};

static void record(void *arg)
{
	struct tagged *t = arg;

	if (t->trace->n < 16)
		t->trace->seq[t->trace->n] = t->tag;
	t->trace->n++;
}

static void test_second_open_is_busy(void **state)
{
	struct evloop other;

	assert_int_equal(evloop_open(&other), -EBUSY);
}

static void test_one_shot_timers_in_order(void **state)
{
	struct trace tr = { .n = 0 };
	struct tagged late = { &tr, 1 }, early = { &tr, 2 };
	struct evloop_timer t_late, t_early;
	uint64_t start = mono_ms(), took, loop_start = evloop_now_ms(&loop);

	/* loop time is wall-clock milliseconds */
	assert_true(loop_start / 1000 + 2 >= (uint64_t)time(NULL));
	assert_true(loop_start / 1000 <= (uint64_t)time(NULL));
	evloop_timer_init(&t_late, &loop, record, &late);
	evloop_timer_init(&t_early, &loop, record, &early);
	evloop_timer_start(&t_late, 40, 0);
	evloop_timer_start(&t_early, 10, 0);
	assert_true(evloop_timer_active(&t_late));
	assert_true(evloop_timer_remaining_ms(&t_late) > 20);
	assert_true(evloop_timer_remaining_ms(&t_late) <= 40);

	/* Nothing but the two timers: the loop returns by itself once both fired. */
	assert_int_equal(evloop_run(&loop), 0);
	took = mono_ms() - start;

	assert_int_equal(tr.n, 2);
	assert_int_equal(tr.seq[0], 2);
	assert_int_equal(tr.seq[1], 1);
	assert_false(evloop_timer_active(&t_late));
	assert_false(evloop_timer_active(&t_early));
	assert_true(took >= 39);  /* libev may round the 40 ms down by < 1 ms */
	assert_true(took < 2000);
	assert_true(evloop_now_ms(&loop) - loop_start >= 39);
}

struct counter {
	struct evloop_timer t;
	int count;
	int stop_at;
};

static void count_tick(void *arg)
{
	struct counter *c = arg;

	if (++c->count == c->stop_at)
		evloop_timer_stop(&c->t);
}

static void test_repeating_timer_count(void **state)
{
	struct counter c = { .count = 0, .stop_at = 5 };
	uint64_t start = mono_ms(), took;

	evloop_timer_init(&c.t, &loop, count_tick, &c);
	evloop_timer_start(&c.t, 5, 5);
	evloop_run(&loop);
	took = mono_ms() - start;

	assert_int_equal(c.count, 5);
	assert_false(evloop_timer_active(&c.t));
	assert_true(took >= 24); /* 5 ticks 5 ms apart */
}

static void test_restart_moves_timer(void **state)
{
	struct trace tr = { .n = 0 };
	struct tagged a = { &tr, 1 }, b = { &tr, 2 };
	struct evloop_timer ta, tb;

	evloop_timer_init(&ta, &loop, record, &a);
	evloop_timer_init(&tb, &loop, record, &b);
	evloop_timer_start(&ta, 5, 0);
	evloop_timer_start(&tb, 20, 0);
	evloop_timer_start(&ta, 40, 0); /* moved behind b, and it fires only once */
	evloop_run(&loop);
	assert_int_equal(tr.n, 2);
	assert_int_equal(tr.seq[0], 2);
	assert_int_equal(tr.seq[1], 1);
}

struct io_test {
	struct evloop_io rd, wr;
	struct evloop_timer send_timer;
	int sv[2];
	char got[8];
	int got_len;
	int write_ready;
};

static void io_read(void *arg, int fd, int events)
{
	struct io_test *t = arg;
	ssize_t n;

	assert_int_equal(events, EVLOOP_READ);
	assert_int_equal(fd, t->sv[0]);
	n = read(fd, t->got + t->got_len, sizeof t->got - (size_t)t->got_len);
	assert_true(n > 0);
	t->got_len += (int)n;
	if (t->got_len >= 3)
		evloop_io_stop(&t->rd);
}

static void io_write_ready(void *arg, int fd, int events)
{
	struct io_test *t = arg;

	assert_int_equal(events, EVLOOP_WRITE);
	t->write_ready++;
	evloop_io_stop(&t->wr);
}

static void io_send(void *arg)
{
	struct io_test *t = arg;

	assert_int_equal(write(t->sv[1], "abc", 3), 3);
}

static void test_io_on_socketpair(void **state)
{
	struct io_test t = { .got_len = 0, .write_ready = 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, t.sv), 0);
	evloop_io_init(&t.rd, &loop, t.sv[0], EVLOOP_READ, io_read, &t);
	/* watch sv[1] for reading first, then switch to writing: set_events must work */
	evloop_io_init(&t.wr, &loop, t.sv[1], EVLOOP_READ, io_write_ready, &t);
	evloop_io_start(&t.rd);
	evloop_io_start(&t.wr);
	evloop_io_set_events(&t.wr, EVLOOP_WRITE);
	assert_true(evloop_io_active(&t.wr));
	evloop_timer_init(&t.send_timer, &loop, io_send, &t);
	evloop_timer_start(&t.send_timer, 10, 0);

	evloop_run(&loop);

	assert_int_equal(t.got_len, 3);
	assert_memory_equal(t.got, "abc", 3);
	assert_int_equal(t.write_ready, 1);
	assert_false(evloop_io_active(&t.rd));
	close(t.sv[0]);
	close(t.sv[1]);
}

struct sig_test {
	struct trace tr;
	struct tagged hooks[3];
	struct evloop_timer kick, guard;
	int signo;
	int guard_fired;
	int reloads;
};

static void kick_signal(void *arg)
{
	struct sig_test *t = arg;

	raise(t->signo);
}

static void guard_fired(void *arg)
{
	struct sig_test *t = arg;

	t->guard_fired++;
	evloop_shutdown(&loop, 0);
}

static void stop_guard(void *arg)
{
	struct sig_test *t = arg;

	evloop_timer_stop(&t->guard);
}

static void run_shutdown_signal(int signo)
{
	struct sig_test t;

	memset(&t, 0, sizeof t);
	t.signo = signo;
	assert_int_equal(evloop_add_cleanup(&loop, stop_guard, &t), 0);
	for (int i = 0; i < 3; i++) {
		t.hooks[i].trace = &t.tr;
		t.hooks[i].tag = i + 1;
		assert_int_equal(evloop_add_cleanup(&loop, record, &t.hooks[i]), 0);
	}
	evloop_timer_init(&t.kick, &loop, kick_signal, &t);
	evloop_timer_init(&t.guard, &loop, guard_fired, &t);
	evloop_timer_start(&t.kick, 5, 0);
	evloop_timer_start(&t.guard, 5000, 0);

	assert_int_equal(evloop_run(&loop), signo);

	assert_int_equal(t.guard_fired, 0);
	assert_false(evloop_timer_active(&t.guard)); /* the first-registered hook ran too */
	assert_int_equal(t.tr.n, 3);
	assert_int_equal(t.tr.seq[0], 3);
	assert_int_equal(t.tr.seq[1], 2);
	assert_int_equal(t.tr.seq[2], 1);

	/* hooks run once: a second shutdown does not repeat them */
	evloop_shutdown(&loop, 0);
	assert_int_equal(t.tr.n, 3);
	assert_int_equal(evloop_run(&loop), signo);
}

static void test_sigterm_runs_hooks_in_reverse(void **state)
{
	run_shutdown_signal(SIGTERM);
}

static void test_sigint_runs_hooks_in_reverse(void **state)
{
	run_shutdown_signal(SIGINT);
}

static void count_reload(void *arg)
{
	struct sig_test *t = arg;

	t->reloads++;
}

static void stop_after_hup(void *arg)
{
	evloop_shutdown(&loop, 0);
}

/*
 * Raise SIGHUP from a timer, with or without a reload callback. SIGHUP must never stop the
 * loop (nor kill the process, its default action): the end timer does, with no signal.
 */
static int run_sighup(bool with_reload)
{
	struct sig_test t;
	struct evloop_timer end;

	memset(&t, 0, sizeof t);
	t.signo = SIGHUP;
	if (with_reload)
		evloop_set_reload(&loop, count_reload, &t);
	evloop_timer_init(&t.kick, &loop, kick_signal, &t);
	evloop_timer_init(&end, &loop, stop_after_hup, NULL);
	evloop_timer_start(&t.kick, 5, 0);
	evloop_timer_start(&end, 100, 0);
	assert_int_equal(evloop_run(&loop), 0);
	return t.reloads;
}

static void test_sighup_reloads(void **state)
{
	assert_int_equal(run_sighup(true), 1);
}

static void test_sighup_without_reload_is_ignored(void **state)
{
	assert_int_equal(run_sighup(false), 0);
}

static void test_shutdown_before_run(void **state)
{
	struct trace tr = { .n = 0 };
	struct tagged h = { &tr, 7 };
	struct evloop_timer never;
	struct sig_test t;

	memset(&t, 0, sizeof t);
	evloop_timer_init(&never, &loop, guard_fired, &t);
	evloop_timer_start(&never, 10, 0);
	assert_int_equal(evloop_add_cleanup(&loop, record, &h), 0);
	evloop_shutdown(&loop, 0);
	assert_int_equal(tr.n, 1);
	assert_int_equal(evloop_run(&loop), 0); /* returns at once */
	assert_int_equal(t.guard_fired, 0);
	evloop_timer_stop(&never);
}

static void noop(void *arg)
{
}

static void test_hook_limit(void **state)
{
	for (int i = 0; i < EVLOOP_MAX_HOOKS; i++)
		assert_int_equal(evloop_add_cleanup(&loop, noop, NULL), 0);
	assert_int_equal(evloop_add_cleanup(&loop, noop, NULL), -ENOSPC);
}

static void test_sigpipe_ignored(void **state)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	/* With SIGPIPE at its default this write would kill the test process. */
	assert_int_equal(write(sv[0], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
}

/* every test gets a freshly opened loop */
#define LOOP_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		LOOP_TEST(test_second_open_is_busy),
		LOOP_TEST(test_one_shot_timers_in_order),
		LOOP_TEST(test_repeating_timer_count),
		LOOP_TEST(test_restart_moves_timer),
		LOOP_TEST(test_io_on_socketpair),
		LOOP_TEST(test_sigterm_runs_hooks_in_reverse),
		LOOP_TEST(test_sigint_runs_hooks_in_reverse),
		LOOP_TEST(test_sighup_reloads),
		LOOP_TEST(test_sighup_without_reload_is_ignored),
		LOOP_TEST(test_shutdown_before_run),
		LOOP_TEST(test_hook_limit),
		LOOP_TEST(test_sigpipe_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
