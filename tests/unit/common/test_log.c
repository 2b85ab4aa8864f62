/* Log lines: format, levels, quoting, one line per event. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/log.h"

static char last_line[2048];
static int lines;

static void capture(enum log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(last_line, sizeof(last_line), "%s", line);
	lines++;
}

static int setup(void **state)
{
	(void)state;
	log_init("test", LOG_TO_STDERR, LOG_LVL_INFO);
	log_set_sink(capture, NULL);
	last_line[0] = '\0';
	lines = 0;
	return 0;
}

static void test_line_format(void **state)
{
	(void)state;
	log_info("ike_sa_established", "peer=%s ike_sa=%u", "192.0.2.1:4500", 7u);
	assert_string_equal(last_line,
			    "level=info event=ike_sa_established peer=192.0.2.1:4500 ike_sa=7");
	log_err("startup_failed", NULL);
	assert_string_equal(last_line, "level=err event=startup_failed");
}

static void test_level_filter(void **state)
{
	(void)state;
	log_debug("noise", "x=%d", 1);
	assert_int_equal(lines, 0);
	log_set_level(LOG_LVL_DEBUG);
	log_debug("noise", "x=%d", 1);
	assert_int_equal(lines, 1);
	assert_string_equal(last_line, "level=debug event=noise x=1");
	log_set_level(LOG_LVL_ERR);
	log_warn("w", NULL);
	assert_int_equal(lines, 1);
}

static void test_newlines_never_split_a_line(void **state)
{
	(void)state;
	log_info("peer_said", "msg=%s", "evil\nlevel=err event=forged");
	assert_null(strchr(last_line, '\n'));
	assert_int_equal(lines, 1);
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("debug"), LOG_LVL_DEBUG);
	assert_int_equal(log_level_parse("WARNING"), LOG_LVL_WARN);
	assert_int_equal(log_level_parse("verbose"), -1);
	assert_string_equal(log_level_name(LOG_LVL_NOTICE), "notice");
}

static void test_quote(void **state)
{
	char q[LOG_QUOTE_MAX];
	char small[12];

	(void)state;
	assert_string_equal(log_quote(q, sizeof(q), "alice"), "alice");
	assert_string_equal(log_quote(q, sizeof(q), "no proposal chosen"),
			    "\"no proposal chosen\"");
	assert_string_equal(log_quote(q, sizeof(q), "a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(log_quote(q, sizeof(q), "x\x01y"), "\"x\\x01y\"");
	assert_string_equal(log_quote(q, sizeof(q), ""), "\"\"");
	assert_string_equal(log_quote(q, sizeof(q), "k=v"), "\"k=v\"");
	assert_string_equal(log_quote(small, sizeof(small), "a very long reason"),
			    "\"a very...\"");
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_line_format, setup),
		cmocka_unit_test_setup(test_level_filter, setup),
		cmocka_unit_test_setup(test_newlines_never_split_a_line, setup),
		cmocka_unit_test_setup(test_level_names, setup),
		cmocka_unit_test_setup(test_quote, setup),
	};

	return cmocka_run_group_tests_name("common.log", tests, NULL, NULL);
}
