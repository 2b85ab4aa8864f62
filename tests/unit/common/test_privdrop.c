/* Dropping capabilities in a child process: only the asked-for ones remain. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

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
		cmocka_unit_test(test_unknown_user),
	};

	return cmocka_run_group_tests_name("common.privdrop", tests, NULL, NULL);
}
