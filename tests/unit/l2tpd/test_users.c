/* User database from a libconfig list: lookups, secrets, dedicated IPs, every error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/users.h"

static struct users *load(const char *file, struct cfg *c, int *rc)
{
	char path[512];
	config_setting_t *list = NULL;
	struct users *db = NULL;

	snprintf(path, sizeof path, "%s/%s", L2SEC_TEST_DATA, file);
	cfg_init(c);
	assert_int_equal(cfg_load(c, path), 0);
	assert_int_equal(cfg_get_list(c, cfg_root(c), "users", CFG_REQUIRED, &list), 1);
	*rc = users_load(c, list, &db);
	return db;
}

static void test_good(void **state)
{
	struct cfg c;
	int rc;
	struct users *db = load("users-good.conf", &c, &rc);
	struct ppp_user_secret s;
	const uint8_t hash[16] = { 0x44, 0xEB, 0xBA, 0x8D, 0x53, 0x12, 0xB8, 0xD6,
				   0x11, 0x47, 0x44, 0x11, 0xF5, 0x69, 0x89, 0xAE };

	(void)state;
	assert_int_equal(rc, 0);
	assert_int_equal(users_count(db), 3);
	const struct user *u = users_find(db, "alice");
	assert_non_null(u);
	assert_string_equal(u->password, "clientPass");
	assert_int_equal(u->ip, 0xc6336432);        /* 198.51.100.50 */
	assert_null(users_find(db, "Alice"));       /* exact names */
	assert_null(users_find(db, "mallory"));
	assert_int_equal(users_get_secret(db, "bob", &s), 0);
	assert_false(s.has_password);
	assert_true(s.has_nt_hash);
	assert_memory_equal(s.nt_hash, hash, 16);
	assert_int_equal(users_get_secret(db, "carol", &s), 0);
	assert_true(s.has_password && s.has_nt_hash);
	assert_string_equal(s.password, "c");
	assert_memory_equal(s.nt_hash, hash, 16);   /* lower-case hex too */
	assert_int_equal(users_at(db, 2)->ip, 0xcb007109);
	assert_int_equal(users_get_secret(db, "nobody", &s), -ENOENT);
	users_free(db);
	cfg_free(&c);
}

static void test_bad(void **state)
{
	struct cfg c;
	int rc;
	char buf[2048];
	struct users *db = load("users-bad.conf", &c, &rc);

	(void)state;
	assert_int_equal(rc, -EINVAL);
	assert_null(db);
	cfg_errors_format(&c, buf, sizeof buf);
	/* one error per broken entry, each naming the file, line and key */
	assert_non_null(strstr(buf, "users-bad.conf:3:"));
	assert_non_null(strstr(buf, "needs a password or an nt_hash"));
	assert_non_null(strstr(buf, "nt_hash: must be 32 hexadecimal digits"));
	assert_non_null(strstr(buf, "198.51.100.300"));
	assert_non_null(strstr(buf, "defined twice"));
	assert_non_null(strstr(buf, "already the dedicated address of user 'alice'"));
	assert_non_null(strstr(buf, "pasword"));
	assert_null(strstr(buf, "typo"));          /* secrets never echoed */
	cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
