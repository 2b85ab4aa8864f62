/*
 * Unit tests for common/config: error lines (file, line, key, value), all errors of a file
 * at once, @include, typed getters, duration/byte syntax, secrets file checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "common/config.h"

#define DATA L2SEC_TEST_DATA

enum ike_mode { MODE_MAIN = 1, MODE_AGGRESSIVE = 2 };

static const struct cfg_enum ike_modes[] = {
	{ "main", MODE_MAIN },
	{ "aggressive", MODE_AGGRESSIVE },
	{ NULL, 0 },
};

struct ike_conf {
	struct sockaddr_storage listen, listen6, peer;
	int64_t port;
	int mode;
	uint64_t lifetime_ms, rekey_margin_ms, life_bytes;
	int64_t life_packets;
	bool dpd;
};

/* What a daemon does: every getter, then the unknown-key check. */
static void read_ike(struct cfg *c, struct ike_conf *ike)
{
	static const char *const known[] = {
		"listen", "listen6", "port", "mode", "lifetime", "rekey_margin",
		"life_bytes", "life_packets", "dpd", "peer", NULL,
	};
	config_setting_t *g = NULL;

	memset(ike, 0, sizeof *ike);
	ike->port = 500;
	ike->mode = MODE_MAIN;
	if (cfg_get_group(c, cfg_root(c), "ike", CFG_REQUIRED, &g) <= 0)
		return;
	cfg_get_addr(c, g, "listen", CFG_REQUIRED, &ike->listen);
	cfg_get_addr(c, g, "listen6", 0, &ike->listen6);
	cfg_get_int_range(c, g, "port", 0, 1, 65535, &ike->port);
	cfg_get_enum(c, g, "mode", 0, ike_modes, &ike->mode);
	cfg_get_duration(c, g, "lifetime", CFG_REQUIRED, 60000, 86400000, &ike->lifetime_ms);
	cfg_get_duration(c, g, "rekey_margin", 0, 0, 3600000, &ike->rekey_margin_ms);
	cfg_get_bytes(c, g, "life_bytes", 0, 0, UINT64_MAX, &ike->life_bytes);
	cfg_get_int_range(c, g, "life_packets", 0, 0, INT64_MAX, &ike->life_packets);
	cfg_get_bool(c, g, "dpd", 0, &ike->dpd);
	cfg_get_addr(c, g, "peer", CFG_ANY, &ike->peer);
	cfg_check_keys(c, g, known);
}

static char *all_errors(const struct cfg *c)
{
	size_t need = cfg_errors_format(c, NULL, 0);
	char *buf = malloc(need + 1);

	assert_non_null(buf);
	assert_int_equal(cfg_errors_format(c, buf, need + 1), need);
	return buf;
}

/* The error lines, in order, must be exactly `expected` (NULL-terminated). */
static void assert_errors(const struct cfg *c, const char *const expected[])
{
	char *text = all_errors(c), *line, *save = NULL;
	size_t i = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!expected[i])
			fail_msg("unexpected error line: %s", line);
		if (strcmp(line, expected[i]) != 0)
			fail_msg("error %zu:\n  got      %s\n  expected %s", i, line, expected[i]);
		i++;
	}
	if (expected[i])
		fail_msg("missing error line: %s", expected[i]);
	free(text);
}

static void test_good_config(void **state)
{
	struct cfg c;
	struct ike_conf ike;
	config_setting_t *pool = NULL;
	int64_t size = 0;
	const char *start = NULL;
	struct sockaddr_in *l4;
	struct sockaddr_in6 *l6;
	struct in6_addr want6;

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, DATA "/good.conf"), 0);
	read_ike(&c, &ike);
	assert_int_equal(cfg_get_group(&c, cfg_root(&c), "pool", CFG_REQUIRED, &pool), 1);
	assert_int_equal(cfg_get_string(&c, pool, "start", CFG_REQUIRED, &start), 1);
	assert_int_equal(cfg_get_int_range(&c, pool, "size", CFG_REQUIRED, 1, 1000, &size), 1);
	if (cfg_error_count(&c))
		cfg_errors_print(&c, stdout);
	assert_int_equal(cfg_error_count(&c), 0);

	l4 = (struct sockaddr_in *)&ike.listen;
	assert_int_equal(l4->sin_family, AF_INET);
	assert_int_equal(ntohl(l4->sin_addr.s_addr), 0xc0000201); /* 192.0.2.1 */
	l6 = (struct sockaddr_in6 *)&ike.listen6;
	assert_int_equal(l6->sin6_family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::1", &want6);
	assert_memory_equal(&l6->sin6_addr, &want6, sizeof want6);
	assert_int_equal(ike.peer.ss_family, AF_UNSPEC);
	assert_int_equal(ike.port, 500);
	assert_int_equal(ike.mode, MODE_AGGRESSIVE); /* "Aggressive": case-insensitive */
	assert_int_equal(ike.lifetime_ms, 8 * 3600 * 1000);
	assert_int_equal(ike.rekey_margin_ms, 540 * 1000);
	assert_int_equal(ike.life_bytes, 250000ull * 1024);
	assert_int_equal(ike.life_packets, 5000000000ll);
	assert_true(ike.dpd);
	assert_string_equal(start, "198.51.100.10");
	assert_int_equal(size, 100);
	cfg_free(&c);
}

static void test_defaults_when_absent(void **state)
{
	struct cfg c;
	config_setting_t *pool = NULL;
	int64_t port = 4500;
	bool flag = true;
	const char *s = "default";

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, DATA "/inc_good.conf"), 0);
	assert_int_equal(cfg_get_group(&c, cfg_root(&c), "pool", 0, &pool), 1);
	assert_int_equal(cfg_get_int_range(&c, pool, "port", 0, 1, 65535, &port), 0);
	assert_int_equal(cfg_get_bool(&c, pool, "flag", 0, &flag), 0);
	assert_int_equal(cfg_get_string(&c, pool, "name", 0, &s), 0);
	assert_int_equal(port, 4500);
	assert_true(flag);
	assert_string_equal(s, "default");
	/* a NULL parent (an optional group that is absent) reads as "absent" */
	assert_int_equal(cfg_get_string(&c, NULL, "name", CFG_REQUIRED, &s), 0);
	assert_int_equal(cfg_error_count(&c), 0);
	cfg_free(&c);
}

static void test_all_errors_reported(void **state)
{
	static const char *const expected[] = {
		DATA "/errors.conf:2: ike.lifetime: missing required key",
		DATA "/errors.conf:3: ike.listen: expected an IPv4 or IPv6 address "
		     "(got '192.0.2.300')",
		DATA "/errors.conf:4: ike.port: out of range 1..65535 (got '70000')",
		DATA "/errors.conf:5: ike.mode: expected one of main, aggressive (got 'mian')",
		DATA "/errors.conf:6: ike.lifetme: unknown key (did you mean 'lifetime'?)",
		DATA "/errors.conf:7: ike.rekey_margin: expected a duration like 30s, 15m, 8h "
		     "or 1d (got 'soon')",
		DATA "/errors.conf:8: ike.life_bytes: integer does not fit in 32 bits: add an "
		     "L suffix or a unit (got '5000000000')",
		DATA "/errors.conf:9: ike.dpd: expected true or false (got 'yes')",
		DATA "/errors.conf:10: ike.peer: expected an IPv4 or IPv6 address or 'any' "
		     "(got '42')",
		NULL,
	};
	struct cfg c;
	struct ike_conf ike;

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, DATA "/errors.conf"), 0);
	read_ike(&c, &ike);
	assert_errors(&c, expected);
	assert_int_equal(cfg_error_count(&c), 9);
	/* values that failed leave the defaults in place */
	assert_int_equal(ike.port, 500);
	assert_int_equal(ike.mode, MODE_MAIN);

	/* structured access agrees with the text; the list is in line order */
	const struct cfg_error *e = cfg_error_get(&c, 2);
	assert_non_null(e);
	assert_string_equal(e->file, DATA "/errors.conf");
	assert_int_equal(e->line, 4);
	assert_string_equal(e->key, "ike.port");
	assert_string_equal(e->msg, "out of range 1..65535 (got '70000')");
	assert_null(cfg_error_get(&c, 9));
	cfg_free(&c);
	assert_int_equal(cfg_error_count(&c), 0);
}

/* Loading path must fail with err and exactly the expected error lines. */
static void assert_load_fails(const char *path, int err, const char *const expected[])
{
	struct cfg c;

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, path), err);
	assert_errors(&c, expected);
	assert_null(cfg_root(&c));
	cfg_free(&c);
}

static void test_syntax_error(void **state)
{
	static const char *const expected[] = {
		DATA "/syntax.conf:4: syntax error",
		NULL,
	};

	assert_load_fails(DATA "/syntax.conf", -EINVAL, expected);
}

static void test_missing_file(void **state)
{
	static const char *const missing[] = {
		DATA "/does-not-exist.conf: cannot read: No such file or directory",
		NULL,
	};
	static const char *const directory[] = {
		DATA ": cannot read: not a regular file",
		NULL,
	};

	assert_load_fails(DATA "/does-not-exist.conf", -ENOENT, missing);
	assert_load_fails(DATA, -EINVAL, directory);
}

static void test_include_errors_name_the_included_file(void **state)
{
	static const char *const semantic[] = {
		DATA "/inc_bad.conf:2: pool: a cross-field check",
		DATA "/inc_bad.conf:3: pool.size: expected an integer (got 'many')",
		DATA "/include_bad.conf:1: top: out of range 0..0 (got '1')",
		"no location at all",
		NULL,
	};
	static const char *const syntax[] = {
		DATA "/inc_syntax.conf:2: syntax error",
		NULL,
	};
	static const char *const missing[] = {
		DATA "/include_missing.conf:2: cannot open include file 'nope.conf' "
		     "(looked in " DATA ")",
		NULL,
	};
	struct cfg c;
	config_setting_t *pool = NULL;
	int64_t size = 0, top = 0;

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, DATA "/include_bad.conf"), 0);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "top", 0, 0, 9, &top), 1);
	assert_int_equal(cfg_get_group(&c, cfg_root(&c), "pool", 0, &pool), 1);
	assert_int_equal(cfg_get_int_range(&c, pool, "size", 0, 1, 9, &size), -EINVAL);
	/* files keep the order of their first error, lines are sorted within a file */
	cfg_error_at(&c, NULL, NULL, "no location at all");
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "top", 0, 0, 0, &top), -EINVAL);
	cfg_error_at(&c, pool, NULL, "a cross-field check");
	assert_errors(&c, semantic);
	cfg_free(&c);

	assert_load_fails(DATA "/include_syntax.conf", -EINVAL, syntax);
	assert_load_fails(DATA "/include_missing.conf", -EINVAL, missing);
}

static void test_list_elements_and_paths(void **state)
{
	static const char *const expected[] = {
		DATA "/lists.conf:3: conns[1].name: expected a string (got '5')",
		DATA "/lists.conf:3: conns[1].dns[1]: expected an IPv4 or IPv6 address "
		     "(got 'dns.example')",
		NULL,
	};
	struct cfg c;
	config_setting_t *conns = NULL;
	int good_addrs = 0;

	cfg_init(&c);
	assert_int_equal(cfg_load(&c, DATA "/lists.conf"), 0);
	assert_int_equal(cfg_get_list(&c, cfg_root(&c), "conns", CFG_REQUIRED, &conns), 1);
	for (int i = 0; i < config_setting_length(conns); i++) {
		config_setting_t *conn = config_setting_get_elem(conns, (unsigned)i);
		config_setting_t *dns = NULL;
		const char *name;

		cfg_get_string(&c, conn, "name", CFG_REQUIRED, &name);
		if (cfg_get_list(&c, conn, "dns", 0, &dns) <= 0)
			continue;
		for (int j = 0; j < config_setting_length(dns); j++) {
			struct sockaddr_storage ss;

			if (cfg_get_addr(&c, config_setting_get_elem(dns, (unsigned)j), NULL,
					 0, &ss) == 1)
				good_addrs++;
		}
	}
	assert_int_equal(good_addrs, 3);
	assert_errors(&c, expected);
	cfg_free(&c);
}

/* --- value syntax tables ------------------------------------------------------------ */

struct parse_case {
	const char *text;
	int err;
	uint64_t value;
};

/* Each text must parse to value, or fail with err leaving the output untouched. */
static void check_parse_table(int (*parse)(const char *, uint64_t *),
			      const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		int err = parse(cases[i].text, &v);

		if (err != cases[i].err)
			fail_msg("'%s': got %d, expected %d", cases[i].text, err, cases[i].err);
		assert_int_equal(v, err ? 12345 : cases[i].value);
	}
}

static void test_duration_table(void **state)
{
	static const struct parse_case cases[] = {
		{ "30", 0, 30000 },            /* bare number: seconds */
		{ "0", 0, 0 },
		{ "30s", 0, 30000 },
		{ "500ms", 0, 500 },
		{ "15m", 0, 900000 },
		{ "8h", 0, 28800000 },
		{ "1d", 0, 86400000 },
		{ "2w", 0, 1209600000 },
		{ "1h30m", 0, 5400000 },
		{ "1m1s1ms", 0, 61001 },
		{ "", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "8 h", -EINVAL, 0 },
		{ "8hours", -EINVAL, 0 },
		{ "1h30", -EINVAL, 0 },        /* a bare number only on its own */
		{ "-5s", -EINVAL, 0 },
		{ "1.5h", -EINVAL, 0 },
		{ "8H", -EINVAL, 0 },
		{ "99999999999999999999s", -ERANGE, 0 },
		{ "18446744073709551615s", -ERANGE, 0 }, /* fits u64, not once in ms */
		{ "18446744073709551615ms", 0, UINT64_MAX },
	};

	check_parse_table(cfg_parse_duration, cases, sizeof cases / sizeof cases[0]);
}

static void test_bytes_table(void **state)
{
	static const struct parse_case cases[] = {
		{ "0", 0, 0 },
		{ "1500", 0, 1500 },
		{ "1K", 0, 1024 },
		{ "250000K", 0, 256000000 },
		{ "1M", 0, 1048576 },
		{ "4G", 0, 4294967296ull },
		{ "1T", 0, 1099511627776ull },
		{ "2k", 0, 2048 },
		{ "16777215T", 0, 16777215ull << 40 },
		{ "16777216T", -ERANGE, 0 },   /* 2^64 */
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1 K", -EINVAL, 0 },
		{ "1P", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
	};

	check_parse_table(cfg_parse_bytes, cases, sizeof cases / sizeof cases[0]);
}

static void test_format_duration(void **state)
{
	static const struct {
		uint64_t ms;
		const char *text;
	} cases[] = {
		{ 0, "0ms" }, { 1, "1ms" }, { 1500, "1500ms" }, { 90000, "90s" },
		{ 3600000, "1h" }, { 86400000, "1d" }, { 1209600000, "14d" },
		{ 5400000, "90m" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cfg_format_duration(cases[i].ms, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_enum_lookup(void **state)
{
	int v = -7;

	assert_int_equal(cfg_enum_value(ike_modes, "MAIN", &v), 0);
	assert_int_equal(v, MODE_MAIN);
	assert_int_equal(cfg_enum_value(ike_modes, "aggressive", &v), 0);
	assert_int_equal(v, MODE_AGGRESSIVE);
	assert_int_equal(cfg_enum_value(ike_modes, "quick", &v), -ENOENT);
	assert_int_equal(v, MODE_AGGRESSIVE);
	assert_string_equal(cfg_enum_name(ike_modes, MODE_MAIN), "main");
	assert_null(cfg_enum_name(ike_modes, 99));
}

/* --- configurations written on the fly --------------------------------------------- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/l2sec-cfgtest-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name with mode; returns the path in a static buffer. */
static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void load_text(struct cfg *c, const char *text)
{
	cfg_init(c);
	assert_int_equal(cfg_load(c, write_file("t.conf", text, 0644)), 0);
}

/* The message of the only error recorded. */
static const char *only_msg(const struct cfg *c)
{
	if (cfg_error_count(c) != 1) {
		cfg_errors_print(c, stdout);
		fail_msg("expected exactly one error, got %zu", cfg_error_count(c));
	}
	return cfg_error_get(c, 0)->msg;
}

static void test_addresses(void **state)
{
	static const struct {
		const char *text;
		unsigned flags;
		int family;  /* -1: must be rejected */
	} cases[] = {
		{ "192.0.2.1", 0, AF_INET },
		{ "0.0.0.0", 0, AF_INET },
		{ "2001:db8::1", 0, AF_INET6 },
		{ "::", 0, AF_INET6 },
		{ "::ffff:192.0.2.1", 0, AF_INET6 },
		{ "any", CFG_ANY, AF_UNSPEC },
		{ "%any", CFG_ANY, AF_UNSPEC },
		{ "any", 0, -1 },
		{ "%any", 0, -1 },
		{ "192.0.2", 0, -1 },
		{ "192.0.2.1/24", 0, -1 },
		{ "192.0.2.1:500", 0, -1 },
		{ "fe80::1%eth0", 0, -1 },
		{ "2001:db8::g", 0, -1 },
		{ " 192.0.2.1", 0, -1 },
		{ "", CFG_ANY, -1 },
	};
	char text[128];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct cfg c;
		struct sockaddr_storage ss;
		int r;

		memset(&ss, 0xff, sizeof ss);
		snprintf(text, sizeof text, "a = \"%s\";\n", cases[i].text);
		load_text(&c, text);
		r = cfg_get_addr(&c, cfg_root(&c), "a", cases[i].flags, &ss);
		if (cases[i].family < 0) {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(cfg_error_count(&c), 1);
		} else {
			if (r != 1)
				fail_msg("'%s' rejected", cases[i].text);
			assert_int_equal(ss.ss_family, cases[i].family);
		}
		cfg_free(&c);
	}
}

static void test_wrong_types(void **state)
{
	struct cfg c;
	const char *s;
	int64_t i;
	bool b;
	uint64_t u;
	config_setting_t *g;

	load_text(&c, "s = 1.5; i = \"7\"; b = 1; g = [1, 2]; l = { x = 1; }; "
		      "d = -5; n = 5; big = 5000000000L;\n");
	assert_int_equal(cfg_get_string(&c, cfg_root(&c), "s", 0, &s), -EINVAL);
	assert_string_equal(only_msg(&c), "expected a string (got '1.5')");
	cfg_free(&c);

	load_text(&c, "i = \"7\";\n");
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "i", 0, 0, 9, &i), -EINVAL);
	assert_string_equal(only_msg(&c), "expected an integer (got '7')");
	cfg_free(&c);

	load_text(&c, "b = 1;\n");
	assert_int_equal(cfg_get_bool(&c, cfg_root(&c), "b", 0, &b), -EINVAL);
	assert_string_equal(only_msg(&c), "expected true or false (got '1')");
	cfg_free(&c);

	load_text(&c, "g = [1, 2];\n");
	assert_int_equal(cfg_get_group(&c, cfg_root(&c), "g", 0, &g), -EINVAL);
	assert_string_equal(only_msg(&c), "expected a group { ... } (got an array)");
	cfg_free(&c);

	load_text(&c, "l = { x = 1; };\n");
	assert_int_equal(cfg_get_list(&c, cfg_root(&c), "l", 0, &g), -EINVAL);
	assert_string_equal(only_msg(&c),
			    "expected a list ( ... ) or an array [ ... ] (got a group)");
	cfg_free(&c);

	load_text(&c, "d = -5;\n");
	assert_int_equal(cfg_get_duration(&c, cfg_root(&c), "d", 0, 0, UINT64_MAX, &u),
			 -EINVAL);
	assert_string_equal(only_msg(&c),
			    "expected a duration like 30s, 15m, 8h or 1d (got '-5')");
	cfg_free(&c);

	/* ranges are written in the unit of the value */
	load_text(&c, "n = \"2d\"; m = \"5000000\"; k = 3;\n");
	assert_int_equal(cfg_get_duration(&c, cfg_root(&c), "n", 0, 1000, 86400000, &u),
			 -EINVAL);
	assert_int_equal(cfg_get_bytes(&c, cfg_root(&c), "m", 0, 1024, 1048576, &u), -EINVAL);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "k", 0, -2, 2, &i), -EINVAL);
	assert_int_equal(cfg_error_count(&c), 3);
	assert_string_equal(cfg_error_get(&c, 0)->msg, "out of range 1s..1d (got '2d')");
	assert_string_equal(cfg_error_get(&c, 1)->msg, "out of range 1K..1M (got '5000000')");
	assert_string_equal(cfg_error_get(&c, 2)->msg, "out of range -2..2 (got '3')");
	cfg_free(&c);
}

static void test_truncated_integer_literals(void **state)
{
	struct cfg c;
	int64_t v;
	uint64_t u;
	config_setting_t *arr = NULL;

	/* libconfig 1.5 would hand back 705032704, 0, -1 and 2147483647 here */
	load_text(&c, "a = 5000000000;\nb = 0x100000000;\nc = 0xffffffff;\n"
		      "d = -2147483649; # comment 5000000000\n"
		      "e = [1, 4294967298, 3];\nok = 2147483647; s = \"5000000000\";\n"
		      "big = 5000000000L;\n");
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "a", 0, INT64_MIN, INT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "b", 0, INT64_MIN, INT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "c", 0, INT64_MIN, INT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "d", 0, INT64_MIN, INT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(cfg_get_list(&c, cfg_root(&c), "e", 0, &arr), 1);
	/*
	 * only the element that was truncated is blamed (4294967298 truncates to 2; an
	 * element that really is 2 on the same line would be blamed as well)
	 */
	assert_int_equal(cfg_get_int_range(&c, config_setting_get_elem(arr, 0), NULL, 0,
					   INT64_MIN, INT64_MAX, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(cfg_get_int_range(&c, config_setting_get_elem(arr, 1), NULL, 0,
					   INT64_MIN, INT64_MAX, &v), -EINVAL);
	assert_int_equal(cfg_get_int_range(&c, config_setting_get_elem(arr, 2), NULL, 0,
					   INT64_MIN, INT64_MAX, &v), 1);
	assert_int_equal(v, 3);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "ok", 0, 0, INT64_MAX, &v), 1);
	assert_int_equal(v, 2147483647);
	/* as a string or with L, big values are fine */
	assert_int_equal(cfg_get_bytes(&c, cfg_root(&c), "s", 0, 0, UINT64_MAX, &u), 1);
	assert_int_equal(u, 5000000000ull);
	assert_int_equal(cfg_get_bytes(&c, cfg_root(&c), "big", 0, 0, UINT64_MAX, &u), 1);
	assert_int_equal(u, 5000000000ull);

	assert_int_equal(cfg_error_count(&c), 5);
	assert_string_equal(cfg_error_get(&c, 0)->msg, "integer does not fit in 32 bits: add "
			    "an L suffix or a unit (got '5000000000')");
	assert_string_equal(strstr(cfg_error_get(&c, 1)->msg, "(got"), "(got '0x100000000')");
	assert_string_equal(strstr(cfg_error_get(&c, 2)->msg, "(got"), "(got '0xffffffff')");
	assert_string_equal(strstr(cfg_error_get(&c, 3)->msg, "(got"), "(got '-2147483649')");
	assert_string_equal(cfg_error_get(&c, 4)->key, "e[1]");
	assert_string_equal(strstr(cfg_error_get(&c, 4)->msg, "(got"), "(got '4294967298')");
	cfg_free(&c);
}

static void test_value_quoting(void **state)
{
	struct cfg c;
	int64_t v;
	char text[256];
	const char *out = NULL;

	/* a non-printable byte and a quote are escaped, long values are cut */
	load_text(&c, "a = \"x\\ty'z\";\n");
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "a", 0, 0, 1, &v), -EINVAL);
	assert_string_equal(only_msg(&c), "expected an integer (got 'x\\x09y\\x27z')");
	cfg_free(&c);

	snprintf(text, sizeof text, "a = \"%0100d\";\n", 0);
	load_text(&c, text);
	assert_int_equal(cfg_get_int_range(&c, cfg_root(&c), "a", 0, 0, 1, &v), -EINVAL);
	assert_non_null(strstr(only_msg(&c), "0000...')"));
	assert_true(strlen(only_msg(&c)) < 100);
	cfg_free(&c);

	/* CFG_SECRET never echoes the value */
	load_text(&c, "psk = 12345;\n");
	assert_int_equal(cfg_get_string(&c, cfg_root(&c), "psk", CFG_SECRET, &out), -EINVAL);
	assert_string_equal(only_msg(&c), "expected a string (value not shown)");
	cfg_free(&c);
}

static void test_unknown_keys(void **state)
{
	static const char *const known[] = { "lifetime", "listen", "dpd_delay", "id", NULL };
	struct cfg c;
	config_setting_t *g = NULL;

	load_text(&c, "g = {\n lifetme = 1;\n Listen = 2;\n dpd_dely = 3;\n"
		      " color = 4;\n lifetime = 5;\n ip = 6;\n};\n");
	assert_int_equal(cfg_get_group(&c, cfg_root(&c), "g", 0, &g), 1);
	assert_int_equal(cfg_check_keys(&c, g, known), 5);
	assert_int_equal(cfg_error_count(&c), 5);
	assert_string_equal(cfg_error_get(&c, 0)->key, "g.lifetme");
	assert_int_equal(cfg_error_get(&c, 0)->line, 2);
	assert_string_equal(cfg_error_get(&c, 0)->msg, "unknown key (did you mean 'lifetime'?)");
	assert_string_equal(cfg_error_get(&c, 1)->msg, "unknown key (did you mean 'listen'?)");
	assert_string_equal(cfg_error_get(&c, 2)->msg,
			    "unknown key (did you mean 'dpd_delay'?)");
	assert_string_equal(cfg_error_get(&c, 3)->msg, "unknown key"); /* nothing close */
	/* a case difference or one edit is enough for a hint */
	assert_string_equal(cfg_error_get(&c, 4)->msg, "unknown key (did you mean 'id'?)");
	cfg_free(&c);
}

static void test_error_limit_and_format(void **state)
{
	static const char *const none[] = { NULL };
	char text[4096], small[40];
	size_t pos = 0, need;
	struct cfg c;

	for (int i = 0; i < CFG_MAX_ERRORS + 20; i++)
		pos += (size_t)snprintf(text + pos, sizeof text - pos, "k%d = 1;\n", i);
	load_text(&c, text);
	assert_int_equal(cfg_check_keys(&c, cfg_root(&c), none), CFG_MAX_ERRORS + 20);
	assert_int_equal(cfg_error_count(&c), CFG_MAX_ERRORS + 20);
	assert_null(cfg_error_get(&c, CFG_MAX_ERRORS));
	need = cfg_errors_format(&c, NULL, 0);
	{
		char *all = all_errors(&c);

		assert_non_null(strstr(all, "\n... and 20 more errors\n"));
		assert_int_equal(strlen(all), need);
		free(all);
	}
	/* truncation keeps a terminated prefix and still reports the full size */
	assert_int_equal(cfg_errors_format(&c, small, sizeof small), need);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, tmpdir, strlen(tmpdir));
	cfg_free(&c);
}

static void test_secret_file_mode(void **state)
{
	struct cfg c;
	const char *path, *psk = NULL;
	char expect[256];

	path = write_file("secrets.conf", "psk = \"hunter2\";\nn = \"x\";\n", 0640);
	cfg_init(&c);
	assert_int_equal(cfg_load_secret(&c, path), -EACCES);
	snprintf(expect, sizeof expect,
		 "%s: secrets file is accessible by group or others (mode 0640): chmod 600 it",
		 path);
	assert_int_equal(cfg_error_count(&c), 1);
	{
		char line[512];

		cfg_error_format(cfg_error_get(&c, 0), line, sizeof line);
		assert_string_equal(line, expect);
	}
	assert_null(cfg_root(&c));
	cfg_free(&c);

	assert_int_equal(chmod(path, 0604), 0);
	cfg_init(&c);
	assert_int_equal(cfg_check_secret_file(&c, path), -EACCES);
	assert_non_null(strstr(cfg_error_get(&c, 0)->msg, "(mode 0604)"));
	cfg_free(&c);

	assert_int_equal(chmod(path, 0600), 0);
	cfg_init(&c);
	assert_int_equal(cfg_load_secret(&c, path), 0);
	assert_int_equal(cfg_get_string(&c, cfg_root(&c), "psk", CFG_REQUIRED, &psk), 1);
	assert_string_equal(psk, "hunter2");
	/* in a secrets file no value is ever echoed, flag or not */
	assert_int_equal(cfg_get_enum(&c, cfg_root(&c), "n", 0, ike_modes, &(int){ 0 }),
			 -EINVAL);
	assert_string_equal(only_msg(&c), "expected one of main, aggressive (value not shown)");
	cfg_free(&c);

	cfg_init(&c);
	assert_int_equal(cfg_check_secret_file(&c, tmpdir), -EACCES); /* a directory */
	assert_int_equal(cfg_check_secret_file(&c, "/nonexistent/secrets"), -ENOENT);
	assert_int_equal(cfg_error_count(&c), 2);
	cfg_free(&c);
}

/* Text parsed as a file of that name: errors name it, the 32-bit truncation check reads
 * the text (not a file of that name), a syntax error has its line. */
static void test_load_string(void **state)
{
	struct cfg c;
	char buf[8] = "", line[256];
	int64_t v;

	(void)state;
	cfg_init(&c);
	assert_int_equal(cfg_load_string(&c, "mem.conf", "g = {\n a = 5000000000;\n s = \"toolong\"; };\n"),
			 0);
	config_setting_t *g = config_setting_get_member(cfg_root(&c), "g");
	assert_int_equal(cfg_get_int_range(&c, g, "a", 0, 0, INT64_MAX, &v), -EINVAL);
	assert_int_equal(cfg_get_string_buf(&c, g, "s", 0, buf, 7), -EINVAL);
	assert_string_equal(buf, "");
	assert_int_equal(cfg_get_string_buf(&c, g, "s", 0, buf, 8), 1);
	assert_string_equal(buf, "toolong");
	cfg_value_error(&c, config_setting_get_member(g, "s"), 0, "not a colour");
	assert_int_equal(cfg_error_count(&c), 3);
	cfg_error_format(cfg_error_get(&c, 0), line, sizeof line);
	assert_string_equal(line, "mem.conf:2: g.a: integer does not fit in 32 bits: add an L "
			    "suffix or a unit (got '5000000000')");
	cfg_error_format(cfg_error_get(&c, 1), line, sizeof line);
	assert_string_equal(line, "mem.conf:3: g.s: longer than 6 characters (got 'toolong')");
	cfg_error_format(cfg_error_get(&c, 2), line, sizeof line);
	assert_string_equal(line, "mem.conf:3: g.s: not a colour (got 'toolong')");
	cfg_free(&c);
	cfg_init(&c);
	c.secret = true;
	assert_int_equal(cfg_load_string(&c, "secrets.conf", "k = \"s3cret\";\n"), 0);
	cfg_value_error(&c, config_setting_get_member(cfg_root(&c), "k"), 0, "bad");
	cfg_error_format(cfg_error_get(&c, 0), line, sizeof line);
	assert_string_equal(line, "secrets.conf:1: k: bad (value not shown)");
	cfg_free(&c);
	cfg_init(&c);
	assert_int_equal(cfg_load_string(&c, "mem.conf", "a = 1;\nb = ;\n"), -EINVAL);
	cfg_error_format(cfg_error_get(&c, 0), line, sizeof line);
	assert_string_equal(line, "mem.conf:2: syntax error");
	assert_int_equal(cfg_load_string(&c, "again.conf", "a = 1;\n"), -EALREADY);
	cfg_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_defaults_when_absent),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_include_errors_name_the_included_file),
		cmocka_unit_test(test_list_elements_and_paths),
		cmocka_unit_test(test_duration_table),
		cmocka_unit_test(test_bytes_table),
		cmocka_unit_test(test_format_duration),
		cmocka_unit_test(test_enum_lookup),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_truncated_integer_literals),
		cmocka_unit_test(test_value_quoting),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_error_limit_and_format),
		cmocka_unit_test(test_secret_file_mode),
		cmocka_unit_test(test_load_string),
	};

	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
