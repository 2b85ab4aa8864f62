/*
 * xfrm/ against this machine's kernel, inside a private network namespace: policies
 * round-trip (added by the library, read back with `ip xfrm policy` and by the library's
 * dump, deleted), scoped flush, batching with a failure in the middle, SPI allocation
 * and release, events, socket helpers, and the readable error of an ESP SA add on a kernel
 * without ESP (on a kernel with ESP the SA must install and read back instead).
 *
 * Needs root (a network namespace of its own); skipped with a message otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfrm/xfrm.h"

static bool have_netns;
static struct xfrm_handle *h;

static int setup(void **state)
{
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "xfrm.kernel: skipped: cannot create a network namespace (%s); "
			"run as root\n", strerror(errno));
		return 0;
	}
	have_netns = true;
	if (system("ip link set lo up") != 0)
		return -1;
	return xfrm_open(&h) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	xfrm_close(h);
	return 0;
}

static int reset(void **state)
{
	if (have_netns && system("ip xfrm policy flush; ip xfrm state flush") != 0)
		return -1;
	return 0;
}

#define NEED_NETNS() do { if (!have_netns) skip(); } while (0)

/* Output of a shell command; the caller frees it. */
static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *out = calloc(1, 65536);
	size_t n = 0;

	assert_non_null(f);
	assert_non_null(out);
	while (n < 65535) {
		size_t r = fread(out + n, 1, 65535 - n, f);
		if (r == 0)
			break;
		n += r;
	}
	pclose(f);
	return out;
}

static int count_lines(const char *cmd)
{
	char *out = run(cmd);
	int n = 0;

	for (const char *p = out; *p; p++)
		n += *p == '\n';
	free(out);
	return n;
}

static struct xfrm_ip ip(const char *s)
{
	struct xfrm_ip a;
	assert_int_equal(xfrm_ip_parse(&a, s), 0);
	return a;
}

static void l2tp_out(struct xfrm_policy *p)
{
	struct xfrm_ip local = ip("192.0.2.1"), peer = ip("198.51.100.2");

	xfrm_policy_l2tp(p, XFRM_DIR_OUT, &local, &peer, 4500, 5);
	p->priority = 100;
	p->mark = 0x10;
	p->mark_mask = 0xff;
}

static void tunnel_fwd6(struct xfrm_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->sel.src = ip("2001:db8:1::");
	p->sel.src_plen = 48;
	p->sel.dst = ip("2001:db8:2::");
	p->sel.dst_plen = 48;
	p->dir = XFRM_DIR_FWD;
	p->ipsec = true;
	p->mode = XFRM_SA_TUNNEL;
	p->proto = IPPROTO_ESP;         /* as read back (0 also means ESP when adding) */
	p->tun_src = ip("2001:db8::a");
	p->tun_dst = ip("2001:db8::b");
	p->optional = true;
	p->reqid = 6;
	p->if_id = 3;
}

struct collected {
	struct xfrm_policy p[8];
	bool owned[8];
	int n;
};

static int collect(const struct xfrm_policy *p, bool owned, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8) {
		c->p[c->n] = *p;
		c->owned[c->n] = owned;
	}
	c->n++;
	return 0;
}

static void test_policy_roundtrip(void **state)
{
	struct xfrm_policy out, fwd;
	struct collected c = { .n = 0 };

	NEED_NETNS();
	l2tp_out(&out);
	tunnel_fwd6(&fwd);
	assert_int_equal(xfrm_policy_add(h, &out), 0);
	assert_int_equal(xfrm_policy_add(h, &fwd), 0);

	char *text = run("ip xfrm policy list dir out");
	assert_string_equal(text,
		"src 192.0.2.1/32 dst 198.51.100.2/32 proto udp sport 1701 dport 4500 \n"
		"\tdir out priority 100 ptype main \n"
		"\tmark 0x10/0xff \n"
		"\ttmpl src 0.0.0.0 dst 0.0.0.0\n"
		"\t\tproto esp reqid 1814036485 mode transport\n");     /* 0x6c200005 */
	free(text);
	text = run("ip -6 xfrm policy list dir fwd");
	assert_non_null(strstr(text, "src 2001:db8:1::/48 dst 2001:db8:2::/48"));
	assert_non_null(strstr(text, "tmpl src 2001:db8::a dst 2001:db8::b"));
	assert_non_null(strstr(text, "proto esp reqid 1814036486 mode tunnel"));
	assert_non_null(strstr(text, "level use"));
	assert_non_null(strstr(text, "if_id 0x3"));
	free(text);

	/* The library reads back what it wrote (the kernel added an index). */
	assert_int_equal(xfrm_policy_dump(h, collect, &c), 0);
	assert_int_equal(c.n, 2);
	for (int i = 0; i < 2; i++) {
		const struct xfrm_policy *want = c.p[i].dir == XFRM_DIR_OUT ? &out : &fwd;
		struct xfrm_policy got = c.p[i];
		assert_true(c.owned[i]);
		assert_int_not_equal(got.index, 0);
		got.index = 0;
		assert_memory_equal(&got, want, sizeof(got));
	}

	assert_int_equal(xfrm_policy_del(h, &out), 0);          /* by selector + mark */
	fwd.index = c.p[0].dir == XFRM_DIR_FWD ? c.p[0].index : c.p[1].index;
	assert_int_equal(xfrm_policy_del(h, &fwd), 0);          /* by index */
	assert_int_equal(count_lines("ip xfrm policy; ip -6 xfrm policy"), 0);
	/* Deleting again: a readable "no such policy". */
	assert_int_equal(xfrm_policy_del(h, &out), -ENOENT);
	assert_non_null(strstr(xfrm_strerror(h), "no such policy"));
}

static void test_policy_update_and_exists(void **state)
{
	struct xfrm_policy p;

	NEED_NETNS();
	l2tp_out(&p);
	assert_int_equal(xfrm_policy_add(h, &p), 0);
	assert_int_equal(xfrm_policy_add(h, &p), -EEXIST);
	assert_string_equal(xfrm_strerror(h), "add policy out 192.0.2.1/32->198.51.100.2/32 proto "
			    "17: a policy with this selector, direction, mark and priority exists "
			    "(EEXIST)");
	p.priority = 200;
	p.optional = true;
	assert_int_equal(xfrm_policy_update(h, &p), 0);
	char *text = run("ip xfrm policy list dir out");
	assert_non_null(strstr(text, "dir out priority 200"));
	assert_non_null(strstr(text, "level use"));
	free(text);
	assert_int_equal(count_lines("ip xfrm policy list dir out | grep -c '^src'"), 1);
}

static void test_flush_owned_spares_foreign(void **state)
{
	struct xfrm_policy p;

	NEED_NETNS();
	assert_int_equal(system("ip xfrm policy add src 203.0.113.0/24 dst 192.0.2.0/24 dir in "
				"tmpl proto esp reqid 5 mode transport"), 0);
	for (uint16_t i = 0; i < 3; i++) {
		l2tp_out(&p);
		p.sel.dport = (uint16_t)(5000 + i);
		assert_int_equal(xfrm_policy_add(h, &p), 0);
	}
	assert_int_equal(xfrm_policy_flush_owned(h), 3);
	char *text = run("ip xfrm policy");
	assert_non_null(strstr(text, "src 203.0.113.0/24 dst 192.0.2.0/24"));
	assert_null(strstr(text, "192.0.2.1/32"));
	free(text);
	assert_int_equal(xfrm_policy_flush_owned(h), 0);
}

struct batch_errors {
	unsigned int calls, ordinal;
	int err;
	char text[512];
};

static void on_error(void *arg, unsigned int ordinal, int err, const char *text)
{
	struct batch_errors *b = arg;

	b->calls++;
	b->ordinal = ordinal;
	b->err = err;
	snprintf(b->text, sizeof(b->text), "%s", text);
}

static void test_batch_reports_failures_by_ordinal(void **state)
{
	struct xfrm_policy p;
	struct batch_errors b = { 0 };

	NEED_NETNS();
	/* 2000 policies need several sendmsg; request 1500 repeats request 10. */
	assert_int_equal(xfrm_batch_begin(h, on_error, &b), 0);
	for (unsigned int i = 0; i < 2000; i++) {
		l2tp_out(&p);
		p.sel.dport = (uint16_t)(10000 + (i == 1500 ? 10 : i));
		assert_int_equal(xfrm_policy_add(h, &p), 0);
	}
	assert_int_equal(xfrm_batch_end(h), 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.ordinal, 1500);
	assert_int_equal(b.err, -EEXIST);
	assert_non_null(strstr(b.text, "add policy out"));
	char *n = run("ip xfrm policy | grep -c '^src'");
	assert_string_equal(n, "1999\n");
	free(n);
	assert_int_equal(xfrm_policy_flush_owned(h), 1999);
	assert_int_equal(count_lines("ip xfrm policy"), 0);
}

static void test_esp_sa_add(void **state)
{
	static const uint8_t ek[16] = { 1 }, ik[20] = { 2 };
	struct xfrm_sa sa = { 0 };

	NEED_NETNS();
	sa.src = ip("192.0.2.1");
	sa.dst = ip("198.51.100.2");
	sa.spi = 0x2000;
	sa.reqid = 9;
	sa.crypto = (struct xfrm_crypto){ XFRM_ENCR_AES_CBC, 128, XFRM_INTEG_HMAC_SHA1_96, ek, 16,
					  ik, 20 };
	int rc = xfrm_sa_add(h, &sa);
	if (rc == -EPROTONOSUPPORT) {
		/* This machine's kernel: no ESP. The error must say so in words. */
		assert_non_null(strstr(xfrm_strerror(h), "kernel has no ESP support (esp4 not loaded)"));
		assert_non_null(strstr(xfrm_strerror(h), "EPROTONOSUPPORT"));
		assert_int_equal(count_lines("ip xfrm state"), 0);
		return;
	}
	/* A kernel with ESP: the SA is there and reads back. */
	assert_int_equal(rc, 0);
	struct xfrm_sa_info info;
	assert_int_equal(xfrm_sa_get(h, &sa, &info), 0);
	assert_true(info.owned);
	assert_int_equal(info.sa.reqid, 9);
	assert_int_equal(info.sa.crypto.integ, XFRM_INTEG_HMAC_SHA1_96);
	assert_int_equal(xfrm_sa_del(h, &sa), 0);
}

static int spi_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void test_allocspi_distinct_and_released(void **state)
{
	struct xfrm_sa key = { 0 };
	uint32_t spis[50];

	NEED_NETNS();
	key.src = ip("198.51.100.2");
	key.dst = ip("192.0.2.1");
	key.reqid = 77;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(xfrm_spi_alloc(h, &key, 0x1000, 0x1fff, &spis[i]), 0);
		assert_in_range(spis[i], 0x1000, 0x1fff);
	}
	qsort(spis, 50, sizeof(spis[0]), spi_cmp);
	for (int i = 1; i < 50; i++)
		assert_int_not_equal(spis[i], spis[i - 1]);
	assert_int_equal(count_lines("ip xfrm state | grep -c '^src'"), 1);
	char *text = run("ip xfrm state | grep -c 'reqid 1814036557 mode transport'");
	assert_string_equal(text, "50\n");
	free(text);

	/* The larval SA reads back: addresses, owned reqid. */
	struct xfrm_sa_info info;
	key.spi = spis[7];
	assert_int_equal(xfrm_sa_get(h, &key, &info), 0);
	assert_int_equal(info.sa.spi, spis[7]);
	assert_true(info.owned);
	assert_int_equal(info.sa.reqid, 77);
	assert_true(xfrm_ip_equal(&info.sa.src, &key.src));

	/* A failed negotiation releases its SPI: nothing is left behind. */
	for (int i = 0; i < 50; i++)
		assert_int_equal(xfrm_spi_release(h, &key, spis[i]), 0);
	assert_int_equal(count_lines("ip xfrm state"), 0);
	assert_int_equal(xfrm_spi_release(h, &key, spis[0]), -ESRCH);
	assert_non_null(strstr(xfrm_strerror(h), "no such SA"));

	/* Flush removes owned larval SAs too, and reports how many. */
	uint32_t spi;
	assert_int_equal(xfrm_spi_alloc(h, &key, 0, 0, &spi), 0);
	assert_true(spi >= 0x100);
	assert_int_equal(xfrm_sa_flush_owned(h), 1);
	assert_int_equal(count_lines("ip xfrm state"), 0);
}

static void on_acquire(const struct xfrm_event *e, void *arg)
{
	*(struct xfrm_event *)arg = *e;
}

/* A policy without its SA: sending makes the kernel create a larval SA (SPI 0) and send
 * ACQUIRE. The acquire carries the endpoints and a seq; the scoped flush removes the
 * larval SA although DELSA cannot find an SA without SPI. */
static void test_acquire_larval_flushed(void **state)
{
	struct xfrm_policy p = { 0 };
	struct xfrm_events *ev;
	struct xfrm_event got = { 0 };

	NEED_NETNS();
	assert_int_equal(system("ip link add xv0 type veth peer name xv1 && ip link set xv0 up && "
				"ip link set xv1 up && ip addr add 192.0.2.1/24 dev xv0"), 0);
	p.sel.src = ip("192.0.2.1");
	p.sel.dst = ip("192.0.2.2");
	p.sel.src_plen = p.sel.dst_plen = 32;
	p.sel.proto = IPPROTO_UDP;
	p.dir = XFRM_DIR_OUT;
	p.ipsec = true;
	p.reqid = 13;
	assert_int_equal(xfrm_events_open(&ev, XFRM_EVGRP_ACQUIRE), 0);
	assert_int_equal(xfrm_policy_add(h, &p), 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(1701) };
	inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
	/* Dropped or queued, depending on net.core.xfrm_larval_drop: only the ACQUIRE matters. */
	(void)sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	struct pollfd pfd = { .fd = xfrm_events_fd(ev), .events = POLLIN };
	int ready = poll(&pfd, 1, 2000);
	int n = xfrm_events_read(ev, on_acquire, &got);
	xfrm_events_close(ev);
	assert_int_equal(ready, 1);
	assert_int_equal(n, 1);
	assert_int_equal(got.kind, XFRM_EV_ACQUIRE);
	assert_true(got.owned);
	assert_int_not_equal(got.acquire.seq, 0);
	assert_true(xfrm_ip_equal(&got.acquire.dst, &p.sel.dst));
	char *text = run("ip xfrm state");
	assert_non_null(strstr(text, "proto esp spi 0x00000000 reqid 1814036493"));
	free(text);
	assert_int_equal(xfrm_sa_flush_owned(h), 1);
	assert_int_equal(count_lines("ip xfrm state"), 0);
	assert_int_equal(system("ip link del xv0"), 0);
}

struct seen_events {
	int newpol, delpol;
	bool owned;
};

static void on_event(const struct xfrm_event *e, void *arg)
{
	struct seen_events *s = arg;

	if (e->kind == XFRM_EV_NEWPOLICY) {
		s->newpol++;
		s->owned = e->owned && e->policy.reqid == 5 && e->policy.sel.dport == 4500;
	} else if (e->kind == XFRM_EV_DELPOLICY) {
		s->delpol++;
	}
}

static void test_events(void **state)
{
	struct xfrm_events *ev;
	struct xfrm_policy p;
	struct seen_events s = { 0 };

	NEED_NETNS();
	assert_int_equal(xfrm_events_open(&ev, XFRM_EVGRP_DEFAULT), 0);
	assert_int_equal(xfrm_events_read(ev, on_event, &s), 0);        /* nothing yet */
	l2tp_out(&p);
	assert_int_equal(xfrm_policy_add(h, &p), 0);
	assert_int_equal(xfrm_policy_del(h, &p), 0);
	struct pollfd pfd = { .fd = xfrm_events_fd(ev), .events = POLLIN };
	for (int i = 0; i < 20 && s.delpol == 0; i++) {
		assert_true(poll(&pfd, 1, 100) >= 0);
		assert_true(xfrm_events_read(ev, on_event, &s) >= 0);
	}
	assert_int_equal(s.newpol, 1);
	assert_int_equal(s.delpol, 1);
	assert_true(s.owned);
	xfrm_events_close(ev);
}

static void test_socket_helpers(void **state)
{
	NEED_NETNS();
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_true(fd >= 0 && fd6 >= 0);
	assert_int_equal(xfrm_natt_socket_enable(fd), 0);
	assert_int_equal(xfrm_socket_bypass(fd, AF_INET), 0);
	assert_int_equal(xfrm_socket_bypass(fd6, AF_INET6), 0);
	assert_int_equal(xfrm_socket_bypass(fd, AF_UNIX), -EAFNOSUPPORT);
	/* Socket policies are not global policies: the dump and flush ignore them. */
	assert_int_equal(xfrm_policy_flush_owned(h), 0);
	close(fd);
	close(fd6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_policy_roundtrip, reset),
		cmocka_unit_test_setup(test_policy_update_and_exists, reset),
		cmocka_unit_test_setup(test_flush_owned_spares_foreign, reset),
		cmocka_unit_test_setup(test_batch_reports_failures_by_ordinal, reset),
		cmocka_unit_test_setup(test_esp_sa_add, reset),
		cmocka_unit_test_setup(test_allocspi_distinct_and_released, reset),
		cmocka_unit_test_setup(test_acquire_larval_flushed, reset),
		cmocka_unit_test_setup(test_events, reset),
		cmocka_unit_test_setup(test_socket_helpers, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
