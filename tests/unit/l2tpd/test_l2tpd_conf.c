/*
 * l2tpd.conf / secrets.conf loading: values, defaults, cross-field checks, every error
 * with file, line and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2tpd/l2tpd_conf.h"

static char dir[64];

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[2][128];
	static int k;
	char *p = path[k++ & 1];
	FILE *f;

	snprintf(p, 128, "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

/* Load main + secrets texts; errors go to a memory stream returned in *errs (free it). */
static int load(struct l2tpd_conf *c, const char *main_text, const char *secrets_text,
		char **errs)
{
	size_t len;
	FILE *f = open_memstream(errs, &len);
	const char *sp = write_file("secrets.conf", secrets_text, 0600);
	int r;

	l2tpd_conf_defaults(c);
	r = l2tpd_conf_load(c, write_file("l2tpd.conf", main_text, 0644), sp, f);
	fclose(f);
	return r;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

static void test_full(void **state)
{
	struct l2tpd_conf c;
	char *errs = NULL;
	const struct user *u;

	(void)state;
	assert_int_equal(load(&c,
		"l2tpd = { listen = \"192.0.2.1\"; port = 1702; hostname = \"lns1\";\n"
		"  hello_interval = \"10s\"; require_protected = true; rws = 4; };\n"
		"ppp = { auth = [ \"pap\", \"mschapv2\" ]; mtu = 1280; mru = 1300;\n"
		"  local_ip = \"203.0.113.1\"; dns = [ \"203.0.113.53\", \"203.0.113.54\" ];\n"
		"  duplicate_login = \"refuse\"; echo_interval = \"0\"; };\n"
		"pools = ( { start = \"203.0.113.10\"; end = \"203.0.113.20\"; } );\n",
		"l2tp = { tunnel_secret = \"tsecret\"; };\n"
		"users = ( { name = \"zed\"; password = \"pw-z\"; ip = \"203.0.113.200\"; },\n"
		"  { name = \"amy\"; nt_hash = \"8846F7EAEE8FB117AD06BDD830B7586C\"; } );\n",
		&errs), 0);
	assert_string_equal(errs, "");
	assert_int_equal(c.listen.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&c.listen)->sin_addr.s_addr, ip("192.0.2.1"));
	assert_int_equal(ntohs(((struct sockaddr_in *)&c.listen)->sin_port), 1702);
	assert_string_equal(c.hostname, "lns1");
	assert_int_equal(c.hello_ms, 10000);
	assert_true(c.require_protected);
	assert_int_equal(c.rws, 4);
	assert_int_equal(c.auth[0], PPP_AUTH_PAP);
	assert_int_equal(c.auth[1], PPP_AUTH_MSCHAPV2);
	assert_int_equal(c.auth[2], PPP_AUTH_NONE);
	assert_int_equal(c.mtu, 1280);
	assert_int_equal(c.mru, 1300);
	assert_int_equal(c.n_dns, 2);
	assert_int_equal(c.dns[1].s_addr, ip("203.0.113.54"));
	assert_int_equal(c.dup_policy, L2TPD_DUP_REFUSE);
	assert_int_equal(c.echo_interval_ms, 0);
	assert_int_equal(c.n_pools, 1);
	assert_true(l2tpd_conf_in_pool(&c, (struct in_addr){ ip("203.0.113.20") }));
	assert_false(l2tpd_conf_in_pool(&c, (struct in_addr){ ip("203.0.113.21") }));
	assert_int_equal(c.tunnel_secret.len, 7);
	assert_memory_equal(c.tunnel_secret.p, "tsecret", 7);
	/* users are found by exact name */
	assert_int_equal(l2tpd_conf_n_users(&c), 2);
	u = l2tpd_conf_user(&c, "zed");
	assert_non_null(u);
	assert_int_equal(u->ip, ntohl(ip("203.0.113.200")));
	assert_string_equal(u->password, "pw-z");
	u = l2tpd_conf_user(&c, "amy");
	assert_non_null(u);
	assert_true(u->has_nt_hash);
	assert_int_equal(u->nt_hash[0], 0x88);
	assert_int_equal(u->nt_hash[15], 0x6c);
	assert_null(u->password);
	assert_null(l2tpd_conf_user(&c, "Zed"));
	free(errs);
	l2tpd_conf_free(&c);
}

static void test_defaults(void **state)
{
	struct l2tpd_conf c;
	char *errs = NULL;

	(void)state;
	assert_int_equal(load(&c, "", "", &errs), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&c.listen)->sin_port), 1701);
	assert_int_equal(c.hello_ms, 60000);
	assert_int_equal(c.auth[0], PPP_AUTH_MSCHAPV2);
	assert_int_equal(c.auth[1], PPP_AUTH_CHAP_MD5);
	assert_int_equal(c.auth[2], PPP_AUTH_NONE);
	assert_int_equal(c.dup_policy, L2TPD_DUP_REPLACE);
	assert_false(c.require_protected);
	assert_int_equal(l2tpd_conf_n_users(&c), 0);
	assert_int_equal(c.tunnel_secret.len, 0);
	free(errs);
	l2tpd_conf_free(&c);
}

/* Every error is reported, with its file, line and key. */
static void test_errors(void **state)
{
	struct l2tpd_conf c;
	char *errs = NULL;

	(void)state;
	assert_int_equal(load(&c,
		"l2tpd = { port = 70000; hello_intervall = 5; };\n"
		"ppp = { auth = [ \"chap\", \"eap\" ];\n"
		"  local_ip = \"203.0.113.15\"; dns = [ \"2001:db8::1\" ]; };\n"
		"pools = ( { start = \"203.0.113.10\"; end = \"203.0.113.20\"; },\n"
		"  { start = \"203.0.113.50\"; end = \"203.0.113.40\"; } );\n",
		"users = ( { name = \"a\"; password = \"x\"; ip = \"203.0.113.9\"; },\n"
		"  { name = \"b\"; nt_hash = \"abc\"; },\n"
		"  { name = \"c\"; },\n"
		"  { name = \"d\"; password = \"y\"; ip = \"203.0.113.9\"; },\n"
		"  { name = \"a\"; password = \"z\"; } );\n",
		&errs), -EINVAL);
	assert_non_null(strstr(errs, "l2tpd.conf:1: l2tpd.port:"));
	assert_non_null(strstr(errs, "l2tpd.conf:1: l2tpd.hello_intervall: unknown key"));
	assert_non_null(strstr(errs, "l2tpd.conf:2: "));     /* "eap" */
	assert_non_null(strstr(errs, "eap"));
	assert_non_null(strstr(errs, "an IPv4 address is needed here"));
	assert_non_null(strstr(errs, "l2tpd.conf:5: pools[1].end: lies before start"));
	assert_non_null(strstr(errs, "l2tpd.conf:3: ppp.local_ip: lies inside a pool"));
	assert_non_null(strstr(errs, "secrets.conf:2: users[1].nt_hash: must be 32 hexadecimal digits"));
	assert_non_null(strstr(errs, "secrets.conf:3: users[2]: user needs a password or an nt_hash"));
	assert_non_null(strstr(errs, "secrets.conf:5: users[4].name: user 'a' is defined twice"));
	assert_non_null(strstr(errs, "secrets.conf:4: users[3].ip: 203.0.113.9 is already the dedicated address of user 'a'"));
	/* secrets are never echoed */
	assert_null(strstr(errs, "abc"));
	free(errs);
	l2tpd_conf_free(&c);
}

/* A secrets file readable by others is refused. */
static void test_secret_mode(void **state)
{
	struct l2tpd_conf c;
	char *errs = NULL;
	size_t len;
	FILE *f = open_memstream(&errs, &len);

	(void)state;
	l2tpd_conf_defaults(&c);
	const char *sp = write_file("open.conf", "users = ();\n", 0644);
	assert_int_equal(l2tpd_conf_load(&c, write_file("l2tpd.conf", "", 0644), sp, f), -EINVAL);
	fclose(f);
	assert_non_null(strstr(errs, "open.conf"));
	free(errs);
	l2tpd_conf_free(&c);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/l2tpd-conftest-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_secret_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
