/* Session hooks: the environment, a real run, a failing hook logged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "l2tpd/hook.h"

static struct hook_session sample(struct sockaddr_in *peer)
{
	struct hook_session s = {
		.event = "session-up", .user = "alice smith", .ifname = "l2sec3",
		.ike_id = "ipv4:198.51.100.2", .tunnel_id = 7, .session_id = 42,
	};

	memset(peer, 0, sizeof(*peer));
	peer->sin_family = AF_INET;
	peer->sin_port = htons(4500);
	inet_pton(AF_INET, "192.0.2.254", &peer->sin_addr);
	inet_pton(AF_INET, "203.0.113.200", &s.ip);
	s.peer = (struct sockaddr *)peer;
	return s;
}

static void test_env(void **state)
{
	struct sockaddr_in peer;
	struct hook_session s = sample(&peer);
	char store[1024], *env[HOOK_ENV_MAX + 1], small[64];

	(void)state;
	assert_int_equal(hook_build_env(&s, store, sizeof(store), env), 10);
	assert_string_equal(env[0], "L2SEC_EVENT=session-up");
	assert_string_equal(env[1], "L2SEC_USER=alice smith");
	assert_string_equal(env[2], "L2SEC_IP=203.0.113.200");
	assert_string_equal(env[3], "L2SEC_IFNAME=l2sec3");
	assert_string_equal(env[4], "L2SEC_PEER=192.0.2.254");
	assert_string_equal(env[5], "L2SEC_PEER_PORT=4500");
	assert_string_equal(env[6], "L2SEC_IKE_ID=ipv4:198.51.100.2");
	assert_string_equal(env[7], "L2SEC_TUNNEL_ID=7");
	assert_string_equal(env[8], "L2SEC_SESSION_ID=42");
	assert_non_null(strstr(env[9], "PATH="));
	assert_null(env[10]);
	s.event = "session-down";
	s.reason = "peer hung up";
	assert_int_equal(hook_build_env(&s, store, sizeof(store), env), 11);
	assert_string_equal(env[9], "L2SEC_REASON=peer hung up");
	assert_int_equal(hook_build_env(&s, small, sizeof(small), env), -ENOSPC);
}

static char logged[512];

static void sink(enum log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	if (strstr(line, "hook_"))
		snprintf(logged, sizeof(logged), "%s", line);
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0700);
}

static void test_run(void **state)
{
	char dir[] = "/tmp/l2sec-hook-XXXXXX", script[64], out[64], buf[1024] = "";
	struct ev_loop *loop = ev_default_loop(0);
	struct sockaddr_in peer;
	struct hook_session s = sample(&peer);
	struct hook_runner *h;
	FILE *f;
	size_t n;

	(void)state;
	log_init("test", LOG_TO_STDERR, LOG_LVL_DEBUG);
	log_set_sink(sink, NULL);
	assert_non_null(mkdtemp(dir));
	snprintf(script, sizeof(script), "%s/hook", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	{
		char body[256];

		snprintf(body, sizeof(body), "echo \"$1 $L2SEC_USER $L2SEC_IP $L2SEC_PEER:$L2SEC_PEER_PORT\" > %s", out);
		write_script(script, body);
	}
	h = hook_runner_new(loop, script);
	assert_non_null(h);
	assert_int_equal(hook_run(h, &s), 0);
	assert_int_equal(hook_running(h), 1);
	while (hook_running(h))
		ev_run(loop, EVRUN_ONCE);
	f = fopen(out, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, "session-up alice smith 203.0.113.200 192.0.2.254:4500\n");
	hook_runner_free(h);

	/* a failing hook is logged with its status, and nothing else happens */
	write_script(script, "exit 3");
	h = hook_runner_new(loop, script);
	assert_int_equal(hook_run(h, &s), 0);
	while (hook_running(h))
		ev_run(loop, EVRUN_ONCE);
	assert_non_null(strstr(logged, "event=hook_failed"));
	assert_non_null(strstr(logged, "exit=3"));
	hook_runner_free(h);

	/* a missing program */
	h = hook_runner_new(loop, "/nonexistent/l2sec-hook");
	assert_true(hook_run(h, &s) < 0);
	assert_int_equal(hook_running(h), 0);
	hook_runner_free(h);
	unlink(out);
	unlink(script);
	rmdir(dir);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests_name("l2tpd.hook", tests, NULL, NULL);
}
