/*
 * ikd.conf / secrets.conf parsing: values, defaults, errors with file:line:key, PSK
 * lookup precedence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

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

static void test_errors_collected(void **state)
{
	static const char bad[] =
		"ikd: { ike_port = 0; };\n"
		"connections = (\n"
		"  { name = \"a\"; auth = \"pks\"; },\n"
		"  { name = \"a\"; remote = \"300.1.1.1\"; lifetime = 100; rekey_margin = 200; }\n"
		");\n";
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_string(bad, &c, &d), -EINVAL);
	assert_null(c);
	assert_true(d.n >= 5);
	bool port = false, auth = false, dup = false, remote = false, margin = false;
	for (unsigned i = 0; i < d.n && i < IKD_DIAG_MAX; i++) {
		const char *t = d.text[i];
		port |= strstr(t, "ikd.conf:1: ikd.ike_port: must be 1..65535 (got 0)") != NULL;
		auth |= strstr(t, "ikd.conf:3: connections.[0].auth: must be psk or rsa (got 'pks')")
			!= NULL;
		dup |= strstr(t, "name 'a' used twice (line 3)") != NULL;
		remote |= strstr(t, ":4: connections.[1].remote: not an address") != NULL;
		margin |= strstr(t, "rekey_margin: must be shorter than lifetime (100 s)") != NULL;
	}
	assert_true(port);
	assert_true(auth);
	assert_true(dup);
	assert_true(remote);
	assert_true(margin);
}

static void test_syntax_error_line(void **state)
{
	struct ikd_conf *c = NULL;
	struct ikd_conf_diag d = { 0 };
	assert_int_equal(ikd_conf_parse_string("ikd: {\n log_level = ;\n};\n", &c, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.text[0], "ikd.conf:2: syntax:"));
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
		cmocka_unit_test(test_syntax_error_line),
		cmocka_unit_test(test_psk_precedence),
		cmocka_unit_test(test_id_parse),
		cmocka_unit_test(test_addr_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
