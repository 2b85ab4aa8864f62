/* User database from a libconfig list: lookups, secrets, dedicated IPs, every error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* A database from a secrets.conf text (through a temporary file, like the daemon). */
static struct users *from_text(const char *text)
{
	char path[] = "/tmp/l2sec-users-XXXXXX";
	int fd = mkstemp(path);
	struct cfg c;
	config_setting_t *list = NULL;
	struct users *db = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cfg_init(&c);
	assert_int_equal(cfg_load(&c, path), 0);
	assert_int_equal(cfg_get_list(&c, cfg_root(&c), "users", CFG_REQUIRED, &list), 1);
	assert_int_equal(users_load(&c, list, &db), 0);
	cfg_free(&c);
	unlink(path);
	return db;
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const char old_users[] =
	"users = ( { name = \"alice\"; password = \"a\"; ip = \"203.0.113.15\"; },\n"
	"  { name = \"bob\"; password = \"b\"; },\n"
	"  { name = \"carol\"; password = \"c\"; },\n"
	"  { name = \"dave\"; password = \"d\"; ip = \"203.0.113.16\"; },\n"
	"  { name = \"frank\"; nt_hash = \"44EBBA8D5312B8D611474411F56989AE\"; },\n"
	"  { name = \"gina\"; password = \"g\"; } );\n";
/* alice removed; bob's password and frank's NT hash changed; erin new, with carol's
 * pool address as her dedicated one; dave's address moved; gina got a dedicated one */
static const char new_users[] =
	"users = ( { name = \"bob\"; password = \"B\"; },\n"
	"  { name = \"carol\"; password = \"c\"; },\n"
	"  { name = \"erin\"; password = \"e\"; ip = \"203.0.113.10\"; },\n"
	"  { name = \"dave\"; password = \"d\"; ip = \"203.0.113.17\"; },\n"
	"  { name = \"frank\"; nt_hash = \"44EBBA8D5312B8D611474411F56989AF\"; },\n"
	"  { name = \"gina\"; password = \"g\"; ip = \"203.0.113.20\"; } );\n";

static void test_find_by_ip(void **state)
{
	struct users *db = from_text(old_users);

	(void)state;
	assert_string_equal(users_find_by_ip(db, IP(203, 0, 113, 15))->name, "alice");
	assert_string_equal(users_find_by_ip(db, IP(203, 0, 113, 16))->name, "dave");
	assert_null(users_find_by_ip(db, IP(203, 0, 113, 14)));
	assert_null(users_find_by_ip(db, IP(203, 0, 113, 17)));
	assert_null(users_find_by_ip(db, 0));
	assert_null(users_find_by_ip(NULL, IP(203, 0, 113, 15)));
	users_free(db);
}

static void test_diff(void **state)
{
	struct users *o = from_text(old_users), *n = from_text(new_users);
	struct users_diff df;

	(void)state;
	users_diff(o, n, &df);
	assert_int_equal(df.added, 1);            /* erin */
	assert_int_equal(df.removed, 1);          /* alice */
	assert_int_equal(df.ip_changed, 2);       /* dave, gina */
	assert_int_equal(df.secret_changed, 2);   /* bob, frank */
	assert_int_equal(df.unchanged, 1);        /* carol */
	users_diff(o, o, &df);
	assert_int_equal(df.unchanged, 6);
	assert_int_equal(df.added + df.removed + df.ip_changed + df.secret_changed, 0);
	users_diff(NULL, n, &df);                 /* first users ever */
	assert_int_equal(df.added, 6);
	users_diff(o, NULL, &df);                 /* users list deleted */
	assert_int_equal(df.removed, 6);
	assert_int_equal(df.added, 0);
	users_free(o);
	users_free(n);
}

/* Live sessions (user, held address) under the new database. */
static void test_session_verdicts(void **state)
{
	struct users *n = from_text(new_users);

	(void)state;
	assert_int_equal(users_session_verdict(n, "alice", IP(203, 0, 113, 15)), USERS_GONE);
	/* new password: the session was authenticated with the old one and stays */
	assert_int_equal(users_session_verdict(n, "bob", IP(203, 0, 113, 11)), USERS_KEEP);
	/* carol's pool address is erin's dedicated one now */
	assert_int_equal(users_session_verdict(n, "carol", IP(203, 0, 113, 10)), USERS_IP_TAKEN);
	assert_int_equal(users_session_verdict(n, "carol", IP(203, 0, 113, 12)), USERS_KEEP);
	assert_int_equal(users_session_verdict(n, "dave", IP(203, 0, 113, 16)), USERS_IP_MOVED);
	assert_int_equal(users_session_verdict(n, "dave", IP(203, 0, 113, 17)), USERS_KEEP);
	/* a pool user who now has a dedicated address reconnects to get it */
	assert_int_equal(users_session_verdict(n, "gina", IP(203, 0, 113, 13)), USERS_IP_MOVED);
	assert_int_equal(users_session_verdict(n, "frank", IP(203, 0, 113, 14)), USERS_KEEP);
	assert_int_equal(users_session_verdict(NULL, "bob", IP(203, 0, 113, 11)), USERS_GONE);
	assert_non_null(strstr(users_verdict_reason(USERS_GONE), "removed"));
	assert_non_null(strstr(users_verdict_reason(USERS_IP_MOVED), "dedicated address"));
	users_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_find_by_ip),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_session_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
