/* The systemd notify protocol against a socket of our own: states, fd store, LISTEN_FDS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/sdnotify.h"

static int listener(const char *env_value)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(env_value);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, env_value, n);
	if (env_value[0] == '@')
		sun.sun_path[0] = '\0';
	else
		unlink(env_value);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	setenv("NOTIFY_SOCKET", env_value, 1);
	return fd;
}

/* Receive one datagram; return its text and the first passed fd (or -1). */
static int receive(int fd, char *buf, size_t len, int *passed)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctrl;
	struct iovec iov = { buf, len - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl.b,
			      .msg_controllen = sizeof(ctrl.b) };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	struct cmsghdr *c;

	*passed = -1;
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(passed, CMSG_DATA(c), sizeof(int));
	return (int)n;
}

static void test_not_under_systemd_is_a_noop(void **state)
{
	int p[2];

	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_false(sd_notify_enabled());
	assert_int_equal(sd_notify_state("READY=1"), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sd_notify_fdstore("tunnel-1", p, 1), -ENOTCONN);
	close(p[0]);
	close(p[1]);
}

static void test_ready_and_status(void **state)
{
	char path[64] = "/tmp/l2sec-notify-XXXXXX";
	char buf[256];
	int fd, passed;

	(void)state;
	assert_non_null(mkdtemp(path));
	strcat(path, "/n");
	fd = listener(path);
	assert_true(sd_notify_enabled());
	assert_int_equal(sd_notify_state("READY=1"), 0);
	assert_int_equal(receive(fd, buf, sizeof(buf), &passed), 7);
	assert_string_equal(buf, "READY=1");
	assert_int_equal(sd_notify_statusf("%u tunnels", 12u), 0);
	receive(fd, buf, sizeof(buf), &passed);
	assert_string_equal(buf, "STATUS=12 tunnels");
	assert_int_equal(sd_notify_reloading(), 0);
	receive(fd, buf, sizeof(buf), &passed);
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	assert_true(strtoull(buf + 27, NULL, 10) > 0);
	close(fd);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	unsetenv("NOTIFY_SOCKET");
}

static void test_fdstore_passes_the_descriptor(void **state)
{
	char name[64], buf[256];
	int fd, passed, p[2];
	char byte = 0;

	(void)state;
	snprintf(name, sizeof(name), "@l2sec-test-%d", (int)getpid());
	fd = listener(name);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sd_notify_fdstore("tunnel-7", &p[1], 1), 0);
	receive(fd, buf, sizeof(buf), &passed);
	assert_string_equal(buf, "FDSTORE=1\nFDNAME=tunnel-7");
	assert_true(passed >= 0);
	/* the stored descriptor is the pipe's write end */
	assert_int_equal(write(passed, "x", 1), 1);
	assert_int_equal(read(p[0], &byte, 1), 1);
	assert_int_equal(byte, 'x');
	assert_int_equal(sd_notify_fdstore("bad name", &p[1], 1), -EINVAL);
	assert_int_equal(sd_notify_fdstore_remove("tunnel-7"), 0);
	receive(fd, buf, sizeof(buf), &passed);
	assert_string_equal(buf, "FDSTOREREMOVE=1\nFDNAME=tunnel-7");
	close(passed);
	close(p[0]);
	close(p[1]);
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

struct seen {
	int n;
	int fds[4];
	char names[4][32];
};

static void collect(int fd, const char *name, void *arg)
{
	struct seen *s = arg;

	s->fds[s->n] = fd;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	s->n++;
}

static void test_listen_fds(void **state)
{
	struct seen s = { 0 };
	char pid[16];

	(void)state;
	assert_true(dup2(0, 3) == 3 && dup2(0, 4) == 4);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "2", 1);
	setenv("LISTEN_FDNAMES", "tunnel-1:ppp-4", 1);
	assert_int_equal(sd_listen_fds_named(collect, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.fds[0], 3);
	assert_string_equal(s.names[0], "tunnel-1");
	assert_int_equal(s.fds[1], 4);
	assert_string_equal(s.names[1], "ppp-4");
	assert_null(getenv("LISTEN_FDS"));
	/* a second call sees nothing: the variables are consumed */
	assert_int_equal(sd_listen_fds_named(collect, &s), 0);
	/* meant for another process: ignored */
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "2", 1);
	assert_int_equal(sd_listen_fds_named(collect, &s), 0);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "two", 1);
	assert_int_equal(sd_listen_fds_named(collect, &s), -EINVAL);
	assert_int_equal(s.n, 2);
	close(3);
	close(4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_under_systemd_is_a_noop),
		cmocka_unit_test(test_ready_and_status),
		cmocka_unit_test(test_fdstore_passes_the_descriptor),
		cmocka_unit_test(test_listen_fds),
	};

	return cmocka_run_group_tests_name("common.sdnotify", tests, NULL, NULL);
}
