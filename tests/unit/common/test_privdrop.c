/* Dropping capabilities in a child process: only the asked-for ones remain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>

#include "common/privdrop.h"

/* Run fn in a child and return its exit status (0 = all checks passed). */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int keep_net_admin_as_root(void)
{
	struct privdrop_opts o = { .caps = PRIVDROP_NET_ADMIN };
	const char *why;

	if (privdrop_apply(&o, &why) != 0)
		return 1;
	if (!privdrop_have(PRIVDROP_NET_ADMIN))
		return 2;
	if (privdrop_have(PRIVDROP_NET_RAW) || privdrop_have(PRIVDROP_NET_BIND_SERVICE))
		return 3;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 4;
	/* root without CAP_SETUID cannot become someone else any more */
	if (setuid(65534) == 0)
		return 5;
	return 0;
}

static int keep_net_admin_as_nobody(void)
{
	struct privdrop_opts o = { .caps = PRIVDROP_NET_ADMIN | PRIVDROP_NET_BIND_SERVICE,
				   .user = "nobody" };
	struct passwd *pw = getpwnam("nobody");
	const char *why;

	if (!pw)
		return 0;
	if (privdrop_apply(&o, &why) != 0)
		return 1;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid)
		return 2;
	if (!privdrop_have(PRIVDROP_NET_ADMIN) || !privdrop_have(PRIVDROP_NET_BIND_SERVICE))
		return 3;
	if (privdrop_have(PRIVDROP_NET_RAW))
		return 4;
	return 0;
}

/* CapXxx: of /proc/self/status as a number, or ~0 when missing. */
static unsigned long long cap_line(const char *name)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

/* nobody with CAP_NET_ADMIN, and CAP_DAC_OVERRIDE permitted only: a root-only file
 * opens only between raise and lower; the bounding set is exactly CAP_NET_ADMIN. */
static int dac_override_on_demand(void)
{
	struct privdrop_opts o = { .caps = PRIVDROP_NET_ADMIN, .on_demand = PRIVDROP_DAC_OVERRIDE,
				   .user = "nobody" };
	char path[] = "/tmp/l2sec-privdrop-XXXXXX";
	int fd = mkstemp(path), rc = 0;
	const char *why;

	if (!getpwnam("nobody") || fd < 0)
		return fd < 0 ? 10 : 0;
	close(fd);
	chmod(path, 0600);   /* root's, like /dev/ppp */
	if (privdrop_apply(&o, &why) != 0)
		rc = 1;
	else if (cap_line("CapEff") != 1ull << 12 || cap_line("CapBnd") != 1ull << 12 ||
		 cap_line("CapPrm") != (1ull << 12 | 1ull << 1) || cap_line("CapAmb") != 0)
		rc = 2;
	else if (privdrop_have(PRIVDROP_DAC_OVERRIDE) || !privdrop_permitted(PRIVDROP_DAC_OVERRIDE))
		rc = 3;
	else if ((fd = open(path, O_RDONLY)) >= 0 || errno != EACCES)
		rc = 4;
	else if (privdrop_raise(PRIVDROP_DAC_OVERRIDE) != 0 || (fd = open(path, O_RDONLY)) < 0)
		rc = 5;
	else if (close(fd), privdrop_lower(PRIVDROP_DAC_OVERRIDE) != 0 ||
		 open(path, O_RDONLY) >= 0)
		rc = 6;
	else if (privdrop_raise(PRIVDROP_NET_RAW) == 0)   /* never permitted */
		rc = 7;
	return rc;
}

/* Like under systemd's CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE (no
 * CAP_SETPCAP): the bounding set cannot be cut further, the drop still succeeds. */
static int under_service_manager(void)
{
	struct privdrop_opts o = { .caps = PRIVDROP_NET_ADMIN };
	const char *why;

	capng_clear(CAPNG_SELECT_BOTH);
	capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
		      CAP_NET_ADMIN, CAP_NET_BIND_SERVICE, -1);
	if (capng_apply(CAPNG_SELECT_BOTH) != 0)
		return 10;
	if (privdrop_apply(&o, &why) != 0)
		return 1;
	if (cap_line("CapEff") != 1ull << 12 || cap_line("CapPrm") != 1ull << 12)
		return 2;
	if (cap_line("CapBnd") != (1ull << 12 | 1ull << 10))   /* the manager's, untouched */
		return 3;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 4;
}

static int unknown_user_refused(void)
{
	struct privdrop_opts o = { .caps = PRIVDROP_NET_ADMIN, .user = "no-such-user-l2sec" };
	const char *why;

	return privdrop_apply(&o, &why) < 0 ? 0 : 1;
}

static void test_as_root(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(keep_net_admin_as_root), 0);
}

static void test_as_nobody(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(keep_net_admin_as_nobody), 0);
}

static void test_on_demand(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(dac_override_on_demand), 0);
}

static void test_under_service_manager(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(under_service_manager), 0);
}

static void test_unknown_user(void **state)
{
	(void)state;
	assert_int_equal(in_child(unknown_user_refused), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_root),
		cmocka_unit_test(test_as_nobody),
		cmocka_unit_test(test_on_demand),
		cmocka_unit_test(test_under_service_manager),
		cmocka_unit_test(test_unknown_user),
	};

	return cmocka_run_group_tests_name("common.privdrop", tests, NULL, NULL);
}
