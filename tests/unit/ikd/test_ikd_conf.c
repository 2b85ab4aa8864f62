/*
 * ikd.conf / secrets.conf parsing (on common/config.h): values, defaults, durations, every
 * class of error with its exact FILE:LINE: KEY: text, PSK lookup precedence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ikd/ikd_conf.h"

static const char good_conf[] =
	"ikd: { log_level = \"debug\"; ike_port = 1500; natt_port = 14500; };\n"
	"connections = (\n"
	"  { name = \"l2tp\"; remote = \"%any\"; auth = \"psk\";\n"
	"    local_protoport = \"udp/1701\"; remote_protoport = \"udp/%any\"; },\n"
	"  { name = \"site\"; remote = \"198.51.100.7\"; mode = \"tunnel\"; start = \"start\";\n"
	"    local_subnet = \"192.0.2.0/24\"; remote_subnet = \"203.0.113.0/24\";\n"
	"    local_id = \"@gw.example\"; remote_id = \"user@peer.example\"; pfs_group = 14;\n"
	"    lifetime = 600; rekey_margin = 60; }\n"
	");\n";

static void test_good_conf(void **state)
{
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_string(good_conf, &c, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(c->set.log_level, "debug");
	assert_int_equal(c->set.ike_port, 1500);
	assert_int_equal(c->set.natt_port, 14500);
	assert_int_equal(c->n_conns, 2);
	const struct ikd_conn *l = ikd_conf_find_conn(c, "l2tp");
	assert_non_null(l);
	assert_true(l->remote.any);
	assert_int_equal(l->proto, IPPROTO_UDP);
	assert_int_equal(l->local_port, 1701);
	assert_int_equal(l->remote_port_sel, 0);
	assert_int_equal(l->ike_lifetime, 28800);
	assert_int_equal(l->mode, IKD_MODE_TRANSPORT);
	const struct ikd_conn *s = ikd_conf_find_conn(c, "site");
	assert_non_null(s);
	assert_int_equal(s->mode, IKD_MODE_TUNNEL);
	assert_int_equal(s->remote_subnet.prefix, 24);
	assert_int_equal(s->local_id.type, IKD_ID_FQDN);
	assert_int_equal(s->local_id.len, 10);
	assert_memory_equal(s->local_id.data, "gw.example", 10);
	assert_int_equal(s->remote_id.type, IKD_ID_USER_FQDN);
	assert_int_equal(s->pfs_group, 14);
	assert_int_equal(s->lifetime, 600);
	assert_null(ikd_conf_find_conn(c, "nope"));
	ikd_conf_free(c);
}

/* The whole error list of text, one line each, exactly. */
static void expect_errors(const char *text, const char *const want[])
{
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	size_t n = 0;
	assert_int_equal(ikd_conf_parse_string(text, &c, &d), -EINVAL);
	assert_null(c);
	while (want[n])
		n++;
	for (unsigned i = 0; d.n != n && i < d.n && i < IKD_DIAG_MAX; i++)
		print_message("got: %s\n", d.text[i]);
	assert_int_equal(d.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(d.text[i], want[i]);
}

/* Every class of error, all reported at once, in file order, as docs/config-errors.md
 * writes them: FILE:LINE: KEY: what (got 'VALUE'). */
static void test_errors_collected(void **state)
{
	(void)state;
	static const char bad[] =
		"ikd: { ike_port = 0; natt_port = \"x\"; ipv6 = 1;\n"
		"  log_level = \"loud\"; ike_prot = 500; socket_mark = 5000000000; };\n"
		"connections = (\n"
		"  { name = \"a\"; auth = \"pks\"; lifetime = \"soon\"; },\n"
		"  { name = \"a\"; remote = \"300.1.1.1\"; lifetime = 100; rekey_margin = 200;\n"
		"    local_protoport = \"udp/99999\"; ike_lifetime = 60; dpd_delay = \"1500ms\"; },\n"
		"  { remote = \"192.0.2.1\"; local_id = \"has space\"; remote_port = 70000; },\n"
		"  \"not a group\"\n"
		");\n"
		"l2tpd = { };\n";
	static const char *const want[] = {
		"ikd.conf:1: ikd.ike_port: out of range 1..65535 (got '0')",
		"ikd.conf:1: ikd.natt_port: expected an integer (got 'x')",
		"ikd.conf:1: ikd.ipv6: expected true or false (got '1')",
		"ikd.conf:2: ikd.ike_prot: unknown key (did you mean 'ike_port'?)",
		"ikd.conf:2: ikd.log_level: expected one of err, warn, notice, info, debug (got 'loud')",
		"ikd.conf:2: ikd.socket_mark: integer does not fit in 32 bits: add an L suffix or a "
		"unit (got '5000000000')",
		"ikd.conf:4: connections[0].auth: expected one of psk, rsa (got 'pks')",
		"ikd.conf:4: connections[0].lifetime: expected a duration like 30s, 15m, 8h or 1d "
		"(got 'soon')",
		"ikd.conf:5: connections[1].remote: not an address, subnet or %any (got '300.1.1.1')",
		"ikd.conf:5: connections[1].rekey_margin: must be shorter than lifetime (100 s)",
		"ikd.conf:5: connections[1].name: 'a' used twice (line 4)",
		"ikd.conf:6: connections[1].ike_lifetime: out of range 2m..7d (got '60')",
		"ikd.conf:6: connections[1].dpd_delay: must be whole seconds (got '1500ms')",
		"ikd.conf:6: connections[1].local_protoport: must be PROTO/PORT like udp/1701 or "
		"udp/%any (got 'udp/99999')",
		"ikd.conf:7: connections[2].name: missing required key",
		"ikd.conf:7: connections[2].remote_port: out of range 1..65535 (got '70000')",
		"ikd.conf:7: connections[2].local_id: not a valid identity (got 'has space')",
		/* libconfig puts a scalar list element on the line after it */
		"ikd.conf:9: connections[3]: must be a group { name = ...; ... }",
		"ikd.conf:10: l2tpd: unknown key",
		NULL,
	};
	expect_errors(bad, want);
}

/* Cross-field checks of a connection, each in its own words. */
static void test_cross_field_errors(void **state)
{
	(void)state;
	static const char bad[] =
		"ikd: { ike_port = 4500; group = \"root\"; };\n"
		"connections = (\n"
		"  { name = \"r\"; auth = \"rsa\"; exchange = \"aggressive\"; },\n"
		"  { name = \"s\"; start = \"start\"; mode = \"tunnel\"; lifetime = \"1h\";\n"
		"    rekey_margin = \"1h\"; ike = \"aes999-sha1-modp2048\"; },\n"
		"  { name = \"t\"; start = \"start\"; remote = \"192.0.2.0/24\";\n"
		"    local_protoport = \"udp/1701\"; remote_protoport = \"tcp/%any\"; }\n"
		");\n";
	static const char *const want[] = {
		"ikd.conf:1: ikd.group: needs ikd.user as well",
		"ikd.conf:1: ikd.natt_port: must differ from ike_port (4500)",
		"ikd.conf:3: connections[0].auth: rsa needs cert, key and ca",
		"ikd.conf:3: connections[0].exchange: aggressive mode is supported with psk only",
		"ikd.conf:4: connections[1].start: start needs a remote address, not %any",
		"ikd.conf:4: connections[1].mode: tunnel mode needs local_subnet and remote_subnet",
		"ikd.conf:4: connections[1].rekey_margin: must be shorter than lifetime (3600 s)",
		"ikd.conf:5: connections[1].ike: 'aes999-sha1-modp2048': aes999 is not a known "
		"encryption algorithm",
		"ikd.conf:6: connections[2].remote: start needs a single host, not a subnet",
		"ikd.conf:7: connections[2].remote_protoport: protocol differs from local_protoport",
		NULL,
	};
	expect_errors(bad, want);
}

/* Durations accept units; a bare number is still seconds, as before. */
static void test_durations(void **state)
{
	(void)state;
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_string(
		"ikd: { nat_keepalive = \"1m\"; };\n"
		"connections = ( { name = \"x\"; ike_lifetime = \"8h\"; lifetime = 3600;\n"
		"  rekey_margin = \"9m\"; dpd_delay = \"30s\"; dpd_timeout = \"2m30s\";\n"
		"  lifetime_kb = 5000000000L; log = 1; } );\n", &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.text[0], "ikd.conf:4: connections[0].log: unknown key");
	assert_int_equal(ikd_conf_parse_string(
		"ikd: { nat_keepalive = \"1m\"; };\n"
		"connections = ( { name = \"x\"; ike_lifetime = \"8h\"; lifetime = 3600;\n"
		"  rekey_margin = \"9m\"; dpd_delay = \"30s\"; dpd_timeout = \"2m30s\";\n"
		"  lifetime_kb = 5000000000L; auth = \"PSK\"; } );\n", &c, NULL), 0);
	assert_int_equal(c->set.nat_keepalive, 60);
	assert_int_equal(c->conns[0].ike_lifetime, 28800);
	assert_int_equal(c->conns[0].lifetime, 3600);
	assert_int_equal(c->conns[0].rekey_margin, 540);
	assert_int_equal(c->conns[0].dpd_delay, 30);
	assert_int_equal(c->conns[0].dpd_timeout, 150);
	assert_true(c->conns[0].lifetime_kb == 5000000000ull);
	assert_int_equal(c->conns[0].auth, IKD_AUTH_PSK);
	ikd_conf_free(c);
}

static void test_syntax_error_line(void **state)
{
	(void)state;
	static const char *const want[] = { "ikd.conf:2: syntax error", NULL };
	expect_errors("ikd: {\n log_level = ;\n};\n", want);
}

/* Errors of secrets.conf never quote a value (a PSK could be in it). */
static void test_secrets_errors(void **state)
{
	(void)state;
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_string("", &c, NULL), 0);
	assert_int_equal(ikd_conf_parse_secrets_string(c,
		"ike: { psk = (\n"
		"  { peer = \"192.0.2.300\"; secret = \"x\"; },\n"
		"  { id = \"a b\"; secret = \"x\"; },\n"
		"  { peer = \"%any\"; },\n"
		"  { secret = \"x\"; },\n"
		"  { peer = \"%any\"; secret = \"0xzz\"; },\n"
		"  { peer = \"%any\"; secret = 42; sekret = \"x\"; }\n"
		"); psks = 1; };\n", &d), -EINVAL);
	static const char *const want[] = {
		"secrets.conf:2: ike.psk[0].peer: not an address, subnet or %any",
		"secrets.conf:3: ike.psk[1].id: not a valid identity",
		"secrets.conf:4: ike.psk[2].secret: missing required key",
		"secrets.conf:5: ike.psk[3]: needs peer or id (use peer = \"%any\" for a default)",
		"secrets.conf:6: ike.psk[4].secret: not valid hex",
		"secrets.conf:7: ike.psk[5].sekret: unknown key (did you mean 'secret'?)",
		"secrets.conf:7: ike.psk[5].secret: expected a string (value not shown)",
		"secrets.conf:8: ike.psks: unknown key (did you mean 'psk'?)",
		NULL,
	};
	assert_int_equal(d.n, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_string_equal(d.text[i], want[i]);
	assert_int_equal(c->n_psks, 0);
	ikd_conf_free(c);
}

/* A file that cannot be read, and a secrets file others can read. */
static void test_file_errors(void **state)
{
	(void)state;
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_load("/nonexistent/ikd.conf", NULL, true, &c, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.text[0],
			    "/nonexistent/ikd.conf: cannot read: No such file or directory");
	char dir[] = "/tmp/ikd-conf-XXXXXX", conf[64], sec[64];
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof conf, "%s/ikd.conf", dir);
	snprintf(sec, sizeof sec, "%s/secrets.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "ikd: { secrets = \"%s\"; };\n", sec);
	fclose(f);
	/* no secrets file: fine unless it was named on the command line */
	assert_int_equal(ikd_conf_load(conf, NULL, true, &c, NULL), 0);
	ikd_conf_free(c);
	memset(&d, 0, sizeof d);
	assert_int_equal(ikd_conf_load(conf, sec, true, &c, &d), -ENOENT);
	assert_int_equal(d.n, 1);
	f = fopen(sec, "w");
	assert_non_null(f);
	fprintf(f, "ike: { psk = ( { peer = \"%%any\"; secret = \"s3cret\"; } ); };\n");
	fclose(f);
	assert_int_equal(chmod(sec, 0640), 0);
	memset(&d, 0, sizeof d);
	assert_int_equal(ikd_conf_load(conf, NULL, true, &c, &d), -EACCES);
	char want[160];
	snprintf(want, sizeof want, "%s: secrets file is accessible by group or others "
		 "(mode 0640): chmod 600 it", sec);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.text[0], want);
	assert_int_equal(chmod(sec, 0600), 0);
	assert_int_equal(ikd_conf_load(conf, NULL, true, &c, NULL), 0);
	assert_int_equal(c->n_psks, 1);
	ikd_conf_free(c);
	unlink(sec);
	unlink(conf);
	rmdir(dir);
}

static void sin4(struct sockaddr_in *a, const char *s)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, s, &a->sin_addr);
}

static void test_psk_precedence(void **state)
{
	struct ikd_conf *c = NULL;
	assert_int_equal(ikd_conf_parse_string("", &c, NULL), 0);
	static const char secrets[] =
		"ike: { psk = (\n"
		"  { peer = \"%any\"; secret = \"default\"; },\n"
		"  { peer = \"192.0.2.0/24\"; secret = \"subnet\"; },\n"
		"  { peer = \"192.0.2.7\"; secret = \"host\"; },\n"
		"  { id = \"@client.example\"; secret = \"byid\"; },\n"
		"  { peer = \"198.51.100.1\"; secret = \"0x414243\"; }\n"
		"); };\n"
		"l2tp: { ignored = 1; };\n";
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_secrets_string(c, secrets, &d), 0);
	assert_int_equal(c->n_psks, 5);
	struct sockaddr_in a;
	sin4(&a, "192.0.2.7");
	const struct ikd_psk *k = ikd_conf_find_psk(c, (struct sockaddr *)&a, NULL);
	assert_non_null(k);
	assert_int_equal(k->key.len, 4);
	assert_memory_equal(k->key.p, "host", 4);
	sin4(&a, "192.0.2.8");
	k = ikd_conf_find_psk(c, (struct sockaddr *)&a, NULL);
	assert_memory_equal(k->key.p, "subnet", 6);
	sin4(&a, "203.0.113.9");
	k = ikd_conf_find_psk(c, (struct sockaddr *)&a, NULL);
	assert_memory_equal(k->key.p, "default", 7);
	struct ikd_id id;
	assert_int_equal(ikd_id_parse("@client.example", &id), 0);
	sin4(&a, "192.0.2.7");
	k = ikd_conf_find_psk(c, (struct sockaddr *)&a, &id);
	assert_memory_equal(k->key.p, "byid", 4);
	sin4(&a, "198.51.100.1");
	k = ikd_conf_find_psk(c, (struct sockaddr *)&a, NULL);
	assert_int_equal(k->key.len, 3);
	assert_memory_equal(k->key.p, "ABC", 3);
	ikd_conf_free(c);
}

static void test_id_parse(void **state)
{
	struct ikd_id id;
	char buf[300];
	assert_int_equal(ikd_id_parse("192.0.2.1", &id), 0);
	assert_int_equal(id.type, IKD_ID_IPV4_ADDR);
	assert_string_equal(ikd_id_str(&id, buf, sizeof buf), "ipv4:192.0.2.1");
	assert_int_equal(ikd_id_parse("2001:db8::1", &id), 0);
	assert_int_equal(id.type, IKD_ID_IPV6_ADDR);
	assert_int_equal(id.len, 16);
	assert_int_equal(ikd_id_parse("C=US, O=Example, CN=vpn.example", &id), 0);
	assert_int_equal(id.type, IKD_ID_DER_ASN1_DN);
	assert_int_equal(id.data[0], 0x30);     /* DER SEQUENCE */
	assert_string_equal(ikd_id_str(&id, buf, sizeof buf), "dn:/C=US/O=Example/CN=vpn.example");
	assert_int_equal(ikd_id_parse("keyid:0a0B", &id), 0);
	assert_int_equal(id.type, IKD_ID_KEY_ID);
	assert_int_equal(id.len, 2);
	assert_int_equal(id.data[1], 0x0b);
	assert_int_equal(ikd_id_parse("has space", &id), -EINVAL);
	assert_int_equal(ikd_id_parse("%any", &id), 0);
	assert_int_equal(id.type, IKD_ID_ANY);
	struct ikd_id a, b;
	ikd_id_parse("@VPN.example", &a);
	ikd_id_parse("vpn.EXAMPLE", &b);
	assert_true(ikd_id_equal(&a, &b));
}

static void test_addr_helpers(void **state)
{
	union ikd_sockaddr a;
	char buf[IKD_ADDRSTR_MAX];
	assert_int_equal(ikd_addr_parse("[2001:db8::1]:4500", 500, &a), 0);
	assert_string_equal(ikd_addr_str(&a.sa, true, buf, sizeof buf), "[2001:db8::1]:4500");
	assert_int_equal(ikd_addr_parse("192.0.2.1", 500, &a), 0);
	assert_string_equal(ikd_addr_str(&a.sa, true, buf, sizeof buf), "192.0.2.1:500");
	assert_int_equal(ikd_addr_parse("192.0.2.1:x", 500, &a), -EINVAL);
	struct ikd_host h;
	assert_int_equal(ikd_host_parse("192.0.2.0/25", &h), 0);
	ikd_addr_parse("192.0.2.127", 0, &a);
	assert_true(ikd_host_match(&h, &a.sa));
	ikd_addr_parse("192.0.2.128", 0, &a);
	assert_false(ikd_host_match(&h, &a.sa));
	assert_int_equal(ikd_host_parse("192.0.2.0/33", &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_conf),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_cross_field_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_secrets_errors),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_psk_precedence),
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_addr_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
