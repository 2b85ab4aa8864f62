/*
 * Configuration reload on a daemon without kernel L2TP (l2tpd_init only), files in a
 * temporary directory, sessions made by hand in established tunnels:
 *   - users removed / with a moved dedicated address / whose address became another
 *     user's end their sessions (and their remote-access tunnel); a new password and
 *     unrelated users keep theirs, with the same ids and address;
 *   - a new user can authorize at once and gets its dedicated address;
 *   - a broken file is refused with FILE:LINE and nothing changes;
 *   - a new port is reported as "needs restart" and kept, the rest (DNS) applies;
 *   - a shrunk pool keeps a live out-of-range address held.
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

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/reload.h"
#include "l2tpd/session.h"
#include "l2tpd/tunnel.h"

static struct l2tpd d;
static struct l2tpd_conf conf;
static char dir[64];
static char conf_path[300], secrets_path[300];
static int port;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

static void write_conf(int listen_port, const char *dns, const char *pool_end)
{
	char text[1024];

	snprintf(text, sizeof text,
		 "l2tpd = { listen = \"127.0.0.1\"; port = %d; secrets = \"%s\"; };\n"
		 "ppp = { dns = [ \"%s\" ]; };\n"
		 "pools = ( { start = \"203.0.113.10\"; end = \"%s\"; } );\n",
		 listen_port, secrets_path, dns, pool_end);
	write_file(conf_path, text);
}

static const char users_v1[] =
	"users = (\n"
	"  { name = \"alice\"; password = \"a\"; ip = \"203.0.113.15\"; },\n"
	"  { name = \"bob\"; password = \"b\"; },\n"
	"  { name = \"carol\"; password = \"c\"; },\n"
	"  { name = \"dave\"; password = \"d\"; ip = \"203.0.113.16\"; }\n"
	");\n";
/* alice gone, bob's password changed, erin new with carol's pool address, dave moved */
static const char users_v2[] =
	"users = (\n"
	"  { name = \"bob\"; password = \"B\"; },\n"
	"  { name = \"carol\"; password = \"c\"; },\n"
	"  { name = \"erin\"; password = \"e\"; ip = \"203.0.113.10\"; },\n"
	"  { name = \"dave\"; password = \"d\"; ip = \"203.0.113.17\"; }\n"
	");\n";

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/l2sec-reload-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(conf_path, sizeof conf_path, "%s/l2tpd.conf", dir);
	snprintf(secrets_path, sizeof secrets_path, "%s/secrets.conf", dir);
	port = 20000 + getpid() % 20000;
	write_conf(port, "192.0.2.53", "203.0.113.20");
	write_file(secrets_path, users_v1);
	l2tpd_conf_defaults(&conf);
	assert_int_equal(l2tpd_conf_load(&conf, conf_path, NULL, stderr), 0);
	assert_int_equal(l2tpd_init(&d, &conf), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2tpd_stop(&d);
	l2tpd_conf_free(&conf);
	unlink(conf_path);
	unlink(secrets_path);
	rmdir(dir);
	return 0;
}

/* A remote-access tunnel from 127.0.0.1:peer_port with one authorized session. */
static struct session *connected(const char *user, uint16_t peer_port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	const char *why = NULL;
	struct tunnel *t;
	struct session *s;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(peer_port);
	t = tunnel_create(&d, &ss, sizeof *sin, false);
	assert_non_null(t);
	t->state = TUNNEL_ESTABLISHED;
	s = session_new(t);
	assert_non_null(s);
	assert_int_equal(session_authorized(s, user, &why), 0);
	return s;
}

static const char *ip_of(const struct session *s, char *buf)
{
	return inet_ntop(AF_INET, &s->client_ip, buf, INET_ADDRSTRLEN);
}

static void test_users_change(void **state)
{
	char msg[L2TPD_RELOAD_MSG_MAX], ip[INET_ADDRSTRLEN];
	struct session *alice, *bob, *carol, *dave, *s;
	uint16_t bob_tid, bob_sid;
	const char *why = NULL;

	(void)state;
	alice = connected("alice", 40001);
	carol = connected("carol", 40003);   /* first pool address: .10 */
	bob = connected("bob", 40002);
	dave = connected("dave", 40004);
	assert_string_equal(ip_of(alice, ip), "203.0.113.15");
	assert_string_equal(ip_of(carol, ip), "203.0.113.10");
	assert_string_equal(ip_of(bob, ip), "203.0.113.11");
	assert_string_equal(ip_of(dave, ip), "203.0.113.16");
	bob_tid = bob->t->tid;
	bob_sid = bob->sid;
	assert_int_equal(d.n_sessions, 4);

	write_file(secrets_path, users_v2);
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	assert_string_equal(msg, "reloaded: 4 users (1 added, 1 removed, 1 with a new address, "
				 "1 with a new secret), 3 sessions ended");
	/* bob stays: same tunnel, same session, same address */
	assert_int_equal(d.n_sessions, 1);
	s = session_lookup(&d, bob_tid, bob_sid);
	assert_ptr_equal(s, bob);
	assert_string_equal(ip_of(s, ip), "203.0.113.11");
	assert_int_equal(tunnel_by_id(&d, bob_tid)->state, TUNNEL_ESTABLISHED);
	/* the others' tunnels are closing (StopCCN sent) */
	for (uint32_t id = 1; id < 65536; id++)
		if (d.tunnel_by_id[id] && id != bob_tid)
			assert_int_equal(d.tunnel_by_id[id]->state, TUNNEL_CLOSING);
	/* erin logs in and gets carol's old address, dedicated now; dave gets his new one */
	s = connected("erin", 40005);
	assert_string_equal(ip_of(s, ip), "203.0.113.10");
	s = connected("dave", 40006);
	assert_string_equal(ip_of(s, ip), "203.0.113.17");
	s = connected("carol", 40007);
	assert_string_equal(ip_of(s, ip), "203.0.113.12");   /* .10 is erin's, .11 bob's */
	/* alice is unknown now */
	s = session_new(tunnel_by_id(&d, bob_tid));
	assert_non_null(s);
	assert_int_equal(session_authorized(s, "alice", &why), 0);   /* pool address... */
	assert_null(l2tpd_conf_user(&conf, "alice"));                /* ...but no secret */
	session_close(s, false, 0, "test");
}

static void test_broken_file_refused(void **state)
{
	char msg[L2TPD_RELOAD_MSG_MAX];

	(void)state;
	write_file(secrets_path, "users = (\n  { name = \"bob\"; password = \"b\"; },\n"
				 "  { name = \"zoe\"; password = \"z\"; ip = \"203.0.113.300\"; }\n);\n");
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), -EINVAL);
	assert_non_null(strstr(msg, "reload refused, old configuration kept: 1 error(s)"));
	assert_non_null(strstr(msg, "secrets.conf:3:"));
	assert_non_null(strstr(msg, "ip"));
	assert_non_null(l2tpd_conf_user(&conf, "alice"));   /* the v1 users still */
	assert_null(l2tpd_conf_user(&conf, "zoe"));
	/* a syntax error in l2tpd.conf */
	write_file(conf_path, "l2tpd = { port = ; };\n");
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), -EINVAL);
	assert_non_null(strstr(msg, "l2tpd.conf:1"));
	assert_int_equal(l2tpd_conf_n_users(&conf), 4);
}

static void test_restart_only_and_settings(void **state)
{
	char msg[L2TPD_RELOAD_MSG_MAX], ip[INET_ADDRSTRLEN];

	(void)state;
	write_conf(port + 1, "192.0.2.54", "203.0.113.20");
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	assert_non_null(strstr(msg, "; needs restart: listen/port"));
	assert_int_equal(ntohs(((struct sockaddr_in *)&conf.listen)->sin_port), port);
	assert_string_equal(inet_ntop(AF_INET, &conf.dns[0], ip, sizeof ip), "192.0.2.54");
	/* the same again: the file still differs from the running port */
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	assert_non_null(strstr(msg, "needs restart: listen/port"));
	write_conf(port, "192.0.2.54", "203.0.113.20");
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	assert_null(strstr(msg, "needs restart"));
}

static void test_pool_shrinks(void **state)
{
	char msg[L2TPD_RELOAD_MSG_MAX], ip[INET_ADDRSTRLEN];
	struct session *s[4];
	struct in_addr a;

	(void)state;
	s[0] = connected("bob", 40011);     /* .10 */
	s[1] = connected("carol", 40012);   /* .11 */
	assert_string_equal(ip_of(s[1], ip), "203.0.113.11");
	write_conf(port, "192.0.2.53", "203.0.113.10");   /* only .10 now */
	assert_int_equal(l2tpd_reload(&d, msg, sizeof msg), 0);
	assert_int_equal(d.n_sessions, 2);
	/* carol's .11 is outside the pool but still hers */
	inet_pton(AF_INET, "203.0.113.11", &a);
	assert_int_equal(l2tpd_addr_claim(&d, a), -EADDRINUSE);
	assert_int_equal(l2tpd_addr_alloc(&d, &a), -EADDRNOTAVAIL);   /* .10 is bob's */
	session_close(s[1], false, 0, "test");
	inet_pton(AF_INET, "203.0.113.11", &a);
	assert_int_equal(l2tpd_addr_claim(&d, a), 0);   /* given back */
	l2tpd_addr_release(&d, a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_only_and_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_shrinks, setup, teardown),
	};

	log_init("test_reload", LOG_TO_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
