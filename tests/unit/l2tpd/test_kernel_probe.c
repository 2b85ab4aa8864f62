/*
 * Kernel capability report: release parsing and the version statement (6.1 vs 6.11+),
 * the messages for each missing piece, the log lines, and the live probe of this machine,
 * whose kernel has no L2TP and no PPP: it must say so in the readable form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_pppox.h>

#include "common/log.h"
#include "l2tpd/kernel_probe.h"

static void test_release(void **state)
{
	struct kprobe_report r = { 0 };

	(void)state;
	assert_int_equal(kprobe_set_release(&r, "6.1.0-56-amd64"), 0);
	assert_int_equal(r.major, 6);
	assert_int_equal(r.minor, 1);
	assert_false(r.shared_quadruple);
	assert_int_equal(kprobe_set_release(&r, "6.10.14"), 0);
	assert_false(r.shared_quadruple);       /* 6.10 allows the sockets, 6.11 routes them */
	assert_int_equal(kprobe_set_release(&r, "6.11.0"), 0);
	assert_true(r.shared_quadruple);
	assert_int_equal(kprobe_set_release(&r, "6.12.117+deb12-amd64"), 0);
	assert_int_equal(r.minor, 12);
	assert_true(r.shared_quadruple);
	assert_int_equal(kprobe_set_release(&r, "7.0-rc1"), 0);
	assert_true(r.shared_quadruple);
	assert_int_equal(kprobe_set_release(&r, "5.15.0"), 0);
	assert_false(r.shared_quadruple);
	assert_int_equal(kprobe_set_release(&r, "linux"), -EINVAL);
	assert_int_equal(r.major, 0);
	assert_false(r.shared_quadruple);
}

static void test_version_statement(void **state)
{
	struct kprobe_report r = { 0 };
	char text[512];

	(void)state;
	kprobe_set_release(&r, "6.1.0-56-amd64");
	kprobe_version_statement(&r, text, sizeof(text));
	assert_non_null(strstr(text, "Linux 6.1: kernel L2TP data path for one tunnel per peer address and port only"));
	assert_non_null(strstr(text, "several clients behind one NAT"));
	assert_non_null(strstr(text, "need Linux 6.11 or newer"));
	kprobe_set_release(&r, "6.12.117+deb12-amd64");
	kprobe_version_statement(&r, text, sizeof(text));
	assert_string_equal(text, "Linux 6.12: kernel L2TP data path for every tunnel, including "
			    "several clients behind one NAT (tunnels sharing one address/port quadruple)");
	kprobe_set_release(&r, "weird");
	kprobe_version_statement(&r, text, sizeof(text));
	assert_non_null(strstr(text, "kernel release weird not understood"));
	/* snprintf-style: the length it wanted, the text cut and terminated. */
	kprobe_set_release(&r, "6.12.1");
	assert_true(kprobe_version_statement(&r, text, 10) > 10);
	assert_string_equal(text, "Linux 6.1");
}

static void test_explain(void **state)
{
	struct kprobe_report r = { 0 };
	char text[1024];

	(void)state;
	assert_true(kprobe_ok(&r));
	assert_int_equal(kprobe_explain(&r, text, sizeof(text)), 0);
	assert_string_equal(text, "");

	r.status[KPROBE_GENL_L2TP] = -ENOENT;
	assert_false(kprobe_ok(&r));
	kprobe_explain(&r, text, sizeof(text));
	assert_string_equal(text, "kernel has no L2TP support (generic netlink family \"l2tp\" not "
			    "found): modprobe l2tp_ppp (CONFIG_L2TP, CONFIG_L2TP_PPP) (No such file or directory)");

	r.status[KPROBE_GENL_L2TP] = 0;
	r.status[KPROBE_DEV_PPP] = -ENODEV;
	r.status[KPROBE_PPPOX_L2TP] = -EPROTONOSUPPORT;
	kprobe_explain(&r, text, sizeof(text));
	assert_non_null(strstr(text, "kernel has no PPP support (/dev/ppp has no driver): modprobe ppp_generic (CONFIG_PPP)"));
	assert_non_null(strstr(text, "; kernel has no PPP-over-L2TP sockets (PX_PROTO_OL2TP): modprobe l2tp_ppp"));

	r.status[KPROBE_PPPOX_L2TP] = 0;
	r.status[KPROBE_DEV_PPP] = -EACCES;
	kprobe_explain(&r, text, sizeof(text));
	assert_non_null(strstr(text, "cannot open /dev/ppp: permission denied"));
}

static char lines[4][1024];
static int nlines;

static void capture(enum log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	if (nlines < 4)
		snprintf(lines[nlines], sizeof(lines[0]), "%s", line);
	nlines++;
}

static void test_log(void **state)
{
	struct kprobe_report r = { 0 };

	(void)state;
	log_init("test", LOG_TO_STDERR, LOG_LVL_INFO);
	log_set_sink(capture, NULL);
	r.status[KPROBE_DEV_PPP] = -ENOENT;
	kprobe_set_release(&r, "6.1.0-56-amd64");
	kprobe_log(&r);
	log_set_sink(NULL, NULL);
	assert_int_equal(nlines, 2);
	assert_non_null(strstr(lines[0], "level=err event=kernel_missing probe=dev_ppp errno=2 reason=\"kernel has no PPP support"));
	assert_non_null(strstr(lines[1], "level=warn event=kernel_version release=6.1.0-56-amd64 shared_quadruple=no statement=\"Linux 6.1:"));
}

/* The live probe agrees with direct checks, and explains every failure. On this
 * development machine all three pieces are missing. */
static void test_live(void **state)
{
	struct kprobe_report r;
	char text[1024];
	int fd;

	(void)state;
	kprobe_run(&r);
	assert_true(r.major > 0);
	fd = open("/dev/ppp", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		assert_int_equal(r.status[KPROBE_DEV_PPP], -errno);
	else
		close(fd);
	fd = socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
	if (fd < 0) {
		assert_int_equal(r.status[KPROBE_PPPOX_L2TP], -errno);
		assert_false(kprobe_ok(&r));
	} else
		close(fd);
	kprobe_explain(&r, text, sizeof(text));
	printf("# this kernel: %s\n", kprobe_ok(&r) ? "L2TP and PPP present" : text);
	if (r.status[KPROBE_GENL_L2TP])
		assert_non_null(strstr(text, "kernel has no L2TP support"));
	if (r.status[KPROBE_DEV_PPP] == -ENOENT)
		assert_non_null(strstr(text, "modprobe ppp_generic (CONFIG_PPP)"));
	if (r.status[KPROBE_PPPOX_L2TP] == -EAFNOSUPPORT)
		assert_non_null(strstr(text, "modprobe l2tp_ppp (CONFIG_L2TP_PPP"));
	assert_int_equal(kprobe_ok(&r), text[0] == '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_version_statement),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
