/*
 * ikd reload (vpnctl reload / SIGHUP, ikd_reload): a good file is applied, restart-only
 * settings keep their running value and are named in the reply; a broken file is refused
 * with its FILE:LINE: KEY errors and the running configuration stays, established SAs
 * keep the configuration they were made under.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "ikd/daemon.h"
#include "ikd/ikd_conf.h"

static char dir[] = "/tmp/ikd-reload-XXXXXX";
static char conf_path[64];

static void write_conf(const char *text)
{
	FILE *f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char first[] =
	"ikd: { ike_port = 1500; natt_port = 14500; half_open_max = 100;\n"
	"       retransmit_ms = 800; socket = \"/tmp/ikd-reload-a.sock\"; };\n"
	"connections = ( { name = \"l2tp\"; remote = \"%any\"; } );\n";

/* A core ikd (no sockets, no kernel) running the first file. */
static void start(struct ikd *d)
{
	struct ikd_conf *conf = NULL;
	memset(d, 0, sizeof *d);
	write_conf(first);
	assert_int_equal(ikd_conf_load(conf_path, "", true, &conf, NULL), 0);
	assert_int_equal(ikd_init_core(d, NULL, conf, NULL), 0);
	d->conf_path = conf_path;
	d->secrets_override = "";
	d->foreground = true;
}

static void test_reload_applies_and_reports_restart_only(void **state)
{
	(void)state;
	struct ikd d;
	char msg[300];
	start(&d);
	struct ikd_conf *established = ikd_conf_ref(d.conf);   /* as an SA holds it */
	write_conf("ikd: { ike_port = 1600; natt_port = 14500; half_open_max = 200;\n"
		   "       retransmit_ms = 400; socket = \"/tmp/ikd-reload-b.sock\";\n"
		   "       user = \"root\"; };\n"
		   "connections = ( { name = \"l2tp\"; remote = \"%any\"; },\n"
		   "                { name = \"site\"; remote = \"198.51.100.7\"; } );\n");
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), 0);
	assert_string_equal(msg, "reloaded: 2 connections, 0 PSKs; needs restart: ike_port, "
			    "socket, user");
	assert_ptr_not_equal(d.conf, established);
	assert_int_equal(d.conf->n_conns, 2);
	assert_non_null(ikd_conf_find_conn(d.conf, "site"));
	/* restart-only: the running values */
	assert_int_equal(d.conf->set.ike_port, 1500);
	assert_string_equal(d.conf->set.socket, "/tmp/ikd-reload-a.sock");
	assert_string_equal(d.conf->set.user, "");
	/* at once */
	assert_int_equal(d.sas.half_open_max, 200);
	assert_int_equal(ike_xmit_get_config()->base_ms, 400);
	/* the established SA's configuration is the old one, still whole */
	assert_int_equal(established->n_conns, 1);
	assert_int_equal(established->set.half_open_max, 100);
	ikd_conf_free(established);

	/* the same file again: nothing needs a restart any more (the running values are
	 * compared, and the file still asks for other ones) */
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), 0);
	assert_string_equal(msg, "reloaded: 2 connections, 0 PSKs; needs restart: ike_port, "
			    "socket, user");
	write_conf(first);
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), 0);
	assert_string_equal(msg, "reloaded: 1 connections, 0 PSKs");
	/* with -s, the control socket comes from the command line: not reported */
	d.ctl_path = "/tmp/fixed.sock";
	write_conf("ikd: { ike_port = 1500; natt_port = 14500; socket = \"/tmp/other.sock\"; };\n");
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), 0);
	assert_string_equal(msg, "reloaded: 0 connections, 0 PSKs");
	ikd_free_core(&d);
}

static void test_reload_refuses_broken_file(void **state)
{
	(void)state;
	struct ikd d;
	char msg[300], want[300];
	start(&d);
	struct ikd_conf *running = d.conf;
	write_conf("ikd: { ike_port = 1500; natt_port = 14500; half_open_max = 0; };\n"
		   "connections = ( { name = \"l2tp\"; remote = \"%any\"; lifetme = 60; } );\n");
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), -EINVAL);
	snprintf(want, sizeof want, "reload refused, old configuration kept: 2 error(s), first: "
		 "%s:1: ikd.half_open_max: out of range 1..1000000 (got '0')", conf_path);
	assert_string_equal(msg, want);
	assert_ptr_equal(d.conf, running);
	assert_int_equal(d.sas.half_open_max, 100);
	assert_int_equal(d.conf->n_conns, 1);
	/* a syntax error, and a file that is gone */
	write_conf("ikd: { ike_port = ; };\n");
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), -EINVAL);
	snprintf(want, sizeof want, "reload refused, old configuration kept: 1 error(s), first: "
		 "%s:1: syntax error", conf_path);
	assert_string_equal(msg, want);
	unlink(conf_path);
	assert_int_equal(ikd_reload(&d, msg, sizeof msg), -EINVAL);
	snprintf(want, sizeof want, "reload refused, old configuration kept: 1 error(s), first: "
		 "%s: cannot read: No such file or directory", conf_path);
	assert_string_equal(msg, want);
	assert_ptr_equal(d.conf, running);
	ikd_free_core(&d);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof conf_path, "%s/ikd.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	log_init("test", LOG_TO_STDERR, LOG_LVL_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_applies_and_reports_restart_only),
		cmocka_unit_test(test_reload_refuses_broken_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
