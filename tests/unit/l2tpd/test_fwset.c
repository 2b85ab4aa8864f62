/* The users' nftables set: spec parsing, and add/delete in a private network namespace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "l2tpd/fwset.h"

static void test_spec(void **state)
{
	char out[160];
	const char *why;

	(void)state;
	assert_int_equal(fwset_parse_spec("l2sec_users", out, sizeof(out), &why), 0);
	assert_string_equal(out, "inet l2sec l2sec_users");
	assert_int_equal(fwset_parse_spec("ip  filter vpn-users", out, sizeof(out), &why), 0);
	assert_string_equal(out, "ip filter vpn-users");
	assert_int_equal(fwset_parse_spec("bridge t s", out, sizeof(out), &why), -EINVAL);
	assert_int_equal(fwset_parse_spec("inet t", out, sizeof(out), &why), -EINVAL);
	assert_int_equal(fwset_parse_spec("users; flush ruleset", out, sizeof(out), &why), -EINVAL);
	assert_int_equal(fwset_parse_spec("a b c d", out, sizeof(out), &why), -EINVAL);
	assert_int_equal(fwset_parse_spec("", out, sizeof(out), &why), -EINVAL);
	assert_non_null(strstr(why, "FAMILY TABLE SET"));
}

static bool set_has(const char *addr)
{
	char buf[4096] = "";
	FILE *p = popen("nft list set inet l2sec l2sec_users 2>&1", "r");
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;

	if (p)
		pclose(p);
	buf[n] = '\0';
	return strstr(buf, addr) != NULL;
}

/* In a child with its own network namespace: 0 = every check passed. */
static int live_checks(void)
{
	struct fwset *fs;
	struct in_addr a, b;
	char err[256];

	if (unshare(CLONE_NEWNET) < 0)
		return 10;
	/* missing set: a readable error, nothing created */
	if (fwset_open(&fs, "l2sec_users", err, sizeof(err)) != -EIO || !strstr(err, "No such"))
		return 1;
	if (system("nft 'add table inet l2sec; add set inet l2sec l2sec_users { type ipv4_addr; };"
		   " add element inet l2sec l2sec_users { 192.0.2.99 }'") != 0)
		return 11;
	/* open flushes what a previous run left */
	if (fwset_open(&fs, "l2sec_users", err, sizeof(err)) != 0 || set_has("192.0.2.99"))
		return 2;
	inet_pton(AF_INET, "203.0.113.200", &a);
	inet_pton(AF_INET, "203.0.113.11", &b);
	if (fwset_add(fs, a, err, sizeof(err)) || fwset_add(fs, b, err, sizeof(err)))
		return 3;
	if (!set_has("203.0.113.200") || !set_has("203.0.113.11"))
		return 4;
	if (fwset_del(fs, a, err, sizeof(err)) || set_has("203.0.113.200") || !set_has("203.0.113.11"))
		return 5;
	/* deleting what is not there reports nft's error */
	if (fwset_del(fs, a, err, sizeof(err)) != -EIO || !err[0])
		return 6;
	fwset_close(fs);
	return 0;
}

static void test_live(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0 || system("command -v nft > /dev/null") != 0)
		skip();
	pid = fork();
	if (pid == 0)
		_exit(live_checks());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11)
		skip();    /* no network namespaces or no nftables in this kernel */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests_name("l2tpd.fwset", tests, NULL, NULL);
}
