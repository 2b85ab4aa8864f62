/* kppp_bind: blocking operations run side by side off the caller's thread, results in
 * completion order through the eventfd, cancellation hands the descriptor to the binder;
 * close requests own their descriptors, wait finishes one request now, flush all. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "l2tpd/kppp_bind.h"

#define OP_MS 100

static int op_calls;   /* touched by the threads: read only after they are idle */
static int ops_running, ops_running_max;

/*
 * Stands in for PPPIOCGCHAN: sleeps like a grace period, answers fd + 1000, and counts
 * how many ran at the same moment (what the pool is for, measured without a clock that a
 * loaded host stretches).
 */
static int slow_op(int fd)
{
	struct timespec ts = { 0, OP_MS * 1000000L };
	int now = __atomic_add_fetch(&ops_running, 1, __ATOMIC_SEQ_CST);
	int max = __atomic_load_n(&ops_running_max, __ATOMIC_SEQ_CST);

	while (now > max && !__atomic_compare_exchange_n(&ops_running_max, &max, now, false,
							  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	nanosleep(&ts, NULL);
	__atomic_sub_fetch(&ops_running, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&op_calls, 1, __ATOMIC_RELAXED);
	return fd + 1000;
}

static int fast_op(int fd)
{
	return fd < 0 ? -EBADF : fd + 1000;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void wait_event(struct kppp_binder *b)
{
	struct pollfd p = { .fd = kppp_binder_event_fd(b), .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
}

struct got {
	int cookie[32], result[32];
	unsigned n;
	struct kppp_binder *b;
	struct kppp_bind_req *cancel_me;   /* cancelled from inside the first report */
};

static void on_done(void *arg, void *cookie, int result)
{
	struct got *g = arg;

	assert_true(g->n < 32);
	g->cookie[g->n] = (int)(intptr_t)cookie;
	g->result[g->n++] = result;
	if (g->cancel_me) {
		kppp_binder_cancel(g->b, g->cancel_me);
		g->cancel_me = NULL;
	}
}

/* 16 operations of 100 ms each run side by side (about 100 ms, not 1.6 s), each reported
 * once with its own result. */
static void test_overlap(void **state)
{
	struct kppp_binder *b = kppp_binder_new(16, slow_op);
	struct got g = { 0 };
	int fds[16][2];

	(void)state;
	assert_non_null(b);
	op_calls = 0;
	ops_running_max = 0;
	for (int i = 0; i < 16; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		assert_non_null(kppp_binder_submit(b, fds[i][0], (void *)(intptr_t)(i + 1)));
	}
	while (g.n < 16) {
		wait_event(b);
		kppp_binder_collect(b, on_done, &g);
	}
	assert_int_equal(op_calls, 16);
	assert_true(ops_running_max >= 2);        /* serial would be 1 */
	for (unsigned i = 0; i < g.n; i++) {
		int k = g.cookie[i] - 1;

		assert_true(k >= 0 && k < 16);
		assert_int_equal(g.result[i], fds[k][0] + 1000);
		g.cookie[i] = 0;
		for (unsigned j = 0; j < i; j++)   /* each reported once */
			assert_int_not_equal(g.cookie[j], k + 1);
		g.cookie[i] = k + 1;
	}
	kppp_binder_free(b);
	for (int i = 0; i < 16; i++) {
		assert_true(fd_open(fds[i][0]));   /* reported: still the caller's */
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

/* One thread: the second request waits; cancelled there, its descriptor closes at once
 * and it is never reported. */
static void test_cancel_queued(void **state)
{
	struct kppp_binder *b = kppp_binder_new(1, slow_op);
	struct kppp_bind_req *second;
	struct got g = { 0 };
	int a[2], c[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(c), 0);
	assert_non_null(kppp_binder_submit(b, a[0], (void *)1));
	second = kppp_binder_submit(b, c[0], (void *)2);
	assert_non_null(second);
	kppp_binder_cancel(b, second);
	assert_false(fd_open(c[0]));
	wait_event(b);
	assert_int_equal(kppp_binder_collect(b, on_done, &g), 1);
	assert_int_equal(g.cookie[0], 1);
	assert_int_equal(g.result[0], a[0] + 1000);
	kppp_binder_free(b);
	close(a[0]);
	close(a[1]);
	close(c[1]);
}

/* Cancelled while a thread runs it: the descriptor stays open until the thread is done,
 * then collect closes it without reporting. */
static void test_cancel_running(void **state)
{
	struct kppp_binder *b = kppp_binder_new(1, slow_op);
	struct kppp_bind_req *r;
	struct timespec ts = { 0, OP_MS / 4 * 1000000L };
	struct got g = { 0 };
	int a[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	r = kppp_binder_submit(b, a[0], (void *)1);
	assert_non_null(r);
	nanosleep(&ts, NULL);   /* the thread is in slow_op now */
	kppp_binder_cancel(b, r);
	assert_true(fd_open(a[0]));
	wait_event(b);
	assert_int_equal(kppp_binder_collect(b, on_done, &g), 0);
	assert_false(fd_open(a[0]));
	kppp_binder_free(b);
	close(a[1]);
}

/* A report may cancel a later request that finished in the same batch. */
static void test_cancel_from_report(void **state)
{
	struct kppp_binder *b = kppp_binder_new(1, fast_op);
	struct timespec ts = { 0, 50 * 1000000L };
	struct got g = { .b = b };
	int a[2], c[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(c), 0);
	assert_non_null(kppp_binder_submit(b, a[0], (void *)1));
	g.cancel_me = kppp_binder_submit(b, c[0], (void *)2);
	assert_non_null(g.cancel_me);
	nanosleep(&ts, NULL);   /* both are done, one batch */
	assert_int_equal(kppp_binder_collect(b, on_done, &g), 1);
	assert_int_equal(g.cookie[0], 1);
	assert_false(fd_open(c[0]));
	kppp_binder_free(b);
	close(a[0]);
	close(a[1]);
	close(c[1]);
}

/* Freed with requests queued and running: nothing reported, descriptors left to their
 * owners, no leak (ASan). */
static void test_free_pending(void **state)
{
	struct kppp_binder *b = kppp_binder_new(1, slow_op);
	int a[2], c[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(c), 0);
	assert_non_null(kppp_binder_submit(b, a[0], (void *)1));
	assert_non_null(kppp_binder_submit(b, c[0], (void *)2));
	kppp_binder_free(b);
	assert_true(fd_open(a[0]));
	assert_true(fd_open(c[0]));
	close(a[0]);
	close(a[1]);
	close(c[0]);
	close(c[1]);
}

/* A close request closes the descriptors it was given with kppp_session_close (channel,
 * unit, PPPoL2TP socket), on a thread, and is reported like any other. */
static void test_close_request(void **state)
{
	struct kppp_binder *b = kppp_binder_new(2, fast_op);
	struct kppp_session k;
	struct got g = { 0 };
	int p[3][2];

	(void)state;
	kppp_session_init(&k);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pipe(p[i]), 0);
	k.pppox_fd = p[0][0];
	k.chan_fd = p[1][0];
	k.unit_fd = p[2][0];
	assert_non_null(kppp_binder_submit_close(b, &k, (void *)7));
	wait_event(b);
	assert_int_equal(kppp_binder_collect(b, on_done, &g), 1);
	assert_int_equal(g.cookie[0], 7);
	assert_int_equal(g.result[0], 0);
	for (int i = 0; i < 3; i++) {
		assert_false(fd_open(p[i][0]));
		close(p[i][1]);
	}
	kppp_binder_free(b);
}

static int close_calls;
/* gated_close: the session whose channel is gated_fd blocks until gate gets a byte;
 * closed_on records the thread that closed each of two channels (ran_fd[i]). */
static int gate[2] = { -1, -1 }, gated_fd = -1, ran_fd[2] = { -1, -1 };
static pthread_t closed_on[2];

static void slow_close(struct kppp_session *k)
{
	struct timespec ts = { 0, OP_MS * 1000000L };

	nanosleep(&ts, NULL);
	kppp_session_close(k);
	__atomic_add_fetch(&close_calls, 1, __ATOMIC_SEQ_CST);
}

static void gated_close(struct kppp_session *k)
{
	char c;

	for (int i = 0; i < 2; i++)
		if (k->chan_fd == ran_fd[i])
			closed_on[i] = pthread_self();
	if (k->chan_fd == gated_fd)
		assert_int_equal(read(gate[0], &c, 1), 1);
	kppp_session_close(k);
	__atomic_add_fetch(&close_calls, 1, __ATOMIC_SEQ_CST);
}

/* A pipe's read end as the only descriptor of a session. */
static struct kppp_session one_fd(int fds[2])
{
	struct kppp_session k;

	kppp_session_init(&k);
	assert_int_equal(pipe(fds), 0);
	k.chan_fd = fds[0];
	return k;
}

/*
 * wait: a queued request (the one thread is busy) runs on the caller at once; a running
 * one is waited for; neither is reported afterwards. The first close blocks until the
 * test opens its gate, so the second is queued whatever the scheduler does.
 */
static void test_wait(void **state)
{
	struct kppp_binder *b = kppp_binder_new(1, fast_op);
	struct kppp_bind_req *first, *second;
	struct kppp_session k1, k2;
	struct timespec ts = { 0, OP_MS / 4 * 1000000L };
	struct got g = { 0 };
	int a[2], c[2];

	(void)state;
	kppp_binder_set_close_op(b, gated_close);
	close_calls = 0;
	assert_int_equal(pipe(gate), 0);
	k1 = one_fd(a);
	k2 = one_fd(c);
	gated_fd = ran_fd[0] = a[0];
	ran_fd[1] = c[0];
	first = kppp_binder_submit_close(b, &k1, (void *)1);
	second = kppp_binder_submit_close(b, &k2, (void *)2);
	assert_non_null(first);
	assert_non_null(second);
	nanosleep(&ts, NULL);   /* the thread usually takes the first meanwhile */
	assert_int_equal(kppp_binder_wait(b, second), 0);
	assert_false(fd_open(c[0]));
	assert_true(pthread_equal(closed_on[1], pthread_self()));   /* ran here */
	assert_int_equal(write(gate[1], "x", 1), 1);
	assert_int_equal(kppp_binder_wait(b, first), 0);    /* waited for (or run here) */
	assert_false(fd_open(a[0]));
	assert_int_equal(close_calls, 2);
	assert_int_equal(kppp_binder_collect(b, on_done, &g), 0);
	kppp_binder_free(b);
	close(a[1]);
	close(c[1]);
	close(gate[0]);
	close(gate[1]);
	gated_fd = ran_fd[0] = ran_fd[1] = -1;
}

/* flush: everything queued or running is done and reported when it returns. */
static void test_flush(void **state)
{
	struct kppp_binder *b = kppp_binder_new(2, fast_op);
	struct got g = { 0 };
	int fds[6][2];

	(void)state;
	kppp_binder_set_close_op(b, slow_close);
	close_calls = 0;
	for (int i = 0; i < 6; i++) {
		struct kppp_session k = one_fd(fds[i]);

		assert_non_null(kppp_binder_submit_close(b, &k, (void *)(intptr_t)(i + 1)));
	}
	assert_int_equal(kppp_binder_flush(b, on_done, &g), 6);
	assert_int_equal(close_calls, 6);
	for (int i = 0; i < 6; i++) {
		assert_false(fd_open(fds[i][0]));
		close(fds[i][1]);
	}
	kppp_binder_free(b);
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_null(kppp_binder_new(0, fast_op));
	assert_null(kppp_binder_new(KPPP_BIND_THREADS + 1, fast_op));
	assert_null(kppp_binder_new(1, NULL));
	/* no PPP in this kernel, or not a PPPoL2TP socket: an error, not a channel */
	assert_true(kppp_bind_op_gchan(-1) == -EBADF);
	assert_true(kppp_bind_op_gchan(0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_cancel_queued),
		cmocka_unit_test(test_cancel_running),
		cmocka_unit_test(test_cancel_from_report),
		cmocka_unit_test(test_free_pending),
		cmocka_unit_test(test_close_request),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
