/*
 * The xfrm benchmark workload: N "clients behind NATs", each with an inbound and an
 * outbound transport-mode ESP SA (AES-GCM-16/128, UDP-encapsulated to the client's NAT
 * port, marked with the client's number) and the two L2TP policies (UDP/1701 <-> client
 * port). The same workload is printed as `ip -batch` input so iproute2 does identical work.
 * See tests/bench/README.md.
 */
#include "tests/bench/xfrm-bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "xfrm/xfrm.h"

#define LOCAL_ADDR "192.0.2.1"
#define PRIORITY 1000

struct client {
	struct xfrm_ip local, peer;
	uint16_t port;
	uint32_t spi_in, spi_out, reqid, mark;
};

static uint8_t bench_key[20];
static bool policies_only;      /* "policies": kernels without ESP can still be measured */

/* Client i: 500 public addresses in two documentation nets, 20 ports each per 10,000. */
static void client(unsigned int i, struct client *c)
{
	char addr[32];

	memset(c, 0, sizeof(*c));
	snprintf(addr, sizeof(addr), "%s.%u", (i % 500) < 250 ? "198.51.100" : "203.0.113",
		 1 + i % 250);
	xfrm_ip_parse(&c->peer, addr);
	xfrm_ip_parse(&c->local, LOCAL_ADDR);
	c->port = (uint16_t)(10000 + i / 500);
	c->spi_in = 0x00100000 + i;
	c->spi_out = 0x00200000 + i;
	c->reqid = 1 + i;
	c->mark = 1 + i;
}

static void client_sa(const struct client *c, bool inbound, struct xfrm_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->src = inbound ? c->peer : c->local;
	sa->dst = inbound ? c->local : c->peer;
	sa->spi = inbound ? c->spi_in : c->spi_out;
	sa->mode = XFRM_SA_TRANSPORT;
	sa->reqid = c->reqid;
	sa->crypto.encr = XFRM_ENCR_AES_GCM_16;
	sa->crypto.encr_key_bits = 128;
	sa->crypto.encr_key = bench_key;
	sa->crypto.encr_key_len = sizeof(bench_key);
	sa->replay_window = inbound ? 32 : 0;
	sa->encap = true;
	sa->encap_sport = inbound ? c->port : 4500;
	sa->encap_dport = inbound ? 4500 : c->port;
	sa->mark = c->mark;
	sa->mark_mask = 0xffffffff;
}

static void client_policy(const struct client *c, bool inbound, struct xfrm_policy *p)
{
	xfrm_policy_l2tp(p, inbound ? XFRM_DIR_IN : XFRM_DIR_OUT, &c->local, &c->peer, c->port,
			 c->reqid);
	p->priority = PRIORITY;
	p->mark = c->mark;
	p->mark_mask = 0xffffffff;
}

struct timing {
	struct timespec t;
	struct rusage ru;
};

static void now(struct timing *t)
{
	clock_gettime(CLOCK_MONOTONIC, &t->t);
	getrusage(RUSAGE_SELF, &t->ru);
}

static double tv_s(const struct timeval *a, const struct timeval *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_usec - a->tv_usec) / 1e6;
}

static void report(const char *phase, unsigned int pairs, const struct timing *a,
		   const struct timing *b)
{
	double wall = (double)(b->t.tv_sec - a->t.tv_sec) + (double)(b->t.tv_nsec - a->t.tv_nsec) / 1e9;

	printf("phase=%s pairs=%u wall=%.3f user=%.3f sys=%.3f sas_per_s=%.0f\n", phase, pairs, wall,
	       tv_s(&a->ru.ru_utime, &b->ru.ru_utime), tv_s(&a->ru.ru_stime, &b->ru.ru_stime),
	       wall > 0 ? 2.0 * pairs / wall : 0.0);
	fflush(stdout);
}

static void on_error(void *arg, unsigned int ordinal, int err, const char *text)
{
	unsigned int *shown = arg;

	if ((*shown)++ < 5)
		fprintf(stderr, "bench: request %u failed: %s\n", ordinal, text);
}

static int run_phase(struct xfrm_handle *h, unsigned int pairs, bool batch, bool install)
{
	struct client c;
	struct xfrm_sa sa;
	struct xfrm_policy p;
	unsigned int shown = 0;
	int rc = 0, failed = 0;

	if (batch)
		xfrm_batch_begin(h, on_error, &shown);
	for (unsigned int i = 0; i < pairs && rc == 0; i++) {
		client(i, &c);
		for (int dir = 0; dir < 2 && rc == 0; dir++) {
			client_sa(&c, dir == 0, &sa);
			client_policy(&c, dir == 0, &p);
			if (!policies_only)
				rc = install ? xfrm_sa_add(h, &sa) : xfrm_sa_del(h, &sa);
			if (rc == 0)
				rc = install ? xfrm_policy_add(h, &p) : xfrm_policy_del(h, &p);
		}
	}
	if (rc < 0)
		fprintf(stderr, "bench: %s\n", xfrm_strerror(h));
	if (batch)
		failed = xfrm_batch_end(h);
	if (failed != 0)
		fprintf(stderr, "bench: %d requests failed\n", failed);
	return rc < 0 ? rc : failed != 0 ? -EIO : 0;
}

static int count_owned_sa(const struct xfrm_sa_info *i, void *arg)
{
	*(unsigned int *)arg += i->owned;
	return 0;
}

static int count_owned_policy(const struct xfrm_policy *p, bool owned, void *arg)
{
	*(unsigned int *)arg += owned;
	return 0;
}

static int verify(struct xfrm_handle *h, unsigned int want_sas, unsigned int want_pols)
{
	unsigned int sas = 0, pols = 0;

	if (xfrm_sa_dump(h, count_owned_sa, &sas) < 0 ||
	    xfrm_policy_dump(h, count_owned_policy, &pols) < 0)
		return -EIO;
	printf("verify sas=%u/%u policies=%u/%u\n", sas, want_sas, pols, want_pols);
	return sas == want_sas && pols == want_pols ? 0 : -EIO;
}

int xfrmctl_bench(struct xfrm_handle *h, int argc, char **argv)
{
	struct timing t0, t1, t2;
	bool batch = true, check = false;

	if (argc < 1)
		return fprintf(stderr, "bench PAIRS [mode=batch|single] [verify] [policies]\n"), 2;
	unsigned int pairs = (unsigned int)strtoul(argv[0], NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "mode=single") == 0)
			batch = false;
		else if (strcmp(argv[i], "verify") == 0)
			check = true;
		else if (strcmp(argv[i], "policies") == 0)
			policies_only = true;
		else if (strcmp(argv[i], "mode=batch") != 0)
			return fprintf(stderr, "bench: bad option %s\n", argv[i]), 2;
	}
	if (pairs == 0 || pairs > 100000)
		return fprintf(stderr, "bench: PAIRS must be 1..100000\n"), 2;
	for (size_t i = 0; i < sizeof(bench_key); i++)
		bench_key[i] = (uint8_t)(0x40 + i);
	now(&t0);
	if (run_phase(h, pairs, batch, true) < 0)
		return 1;
	now(&t1);
	report(batch ? "install-batch" : "install-single", pairs, &t0, &t1);
	if (check && verify(h, policies_only ? 0 : 2 * pairs, 2 * pairs) < 0)
		return 1;
	now(&t1);
	if (run_phase(h, pairs, batch, false) < 0)
		return 1;
	now(&t2);
	report(batch ? "delete-batch" : "delete-single", pairs, &t1, &t2);
	if (check && verify(h, 0, 0) < 0)
		return 1;
	return 0;
}

static void ip_sa_line(const struct client *c, bool inbound, bool add)
{
	char s[64], d[64];
	struct xfrm_sa sa;

	client_sa(c, inbound, &sa);
	xfrm_ip_str(&sa.src, s, sizeof(s));
	xfrm_ip_str(&sa.dst, d, sizeof(d));
	if (!add) {
		printf("xfrm state delete src %s dst %s proto esp spi 0x%08x mark 0x%x mask 0xffffffff\n",
		       s, d, sa.spi, sa.mark);
		return;
	}
	printf("xfrm state add src %s dst %s proto esp spi 0x%08x reqid 0x%08x mode transport "
	       "replay-window %u mark 0x%x mask 0xffffffff aead 'rfc4106(gcm(aes))' 0x",
	       s, d, sa.spi, XFRM_REQID_TAG | sa.reqid, sa.replay_window, sa.mark);
	for (size_t i = 0; i < sizeof(bench_key); i++)
		printf("%02x", bench_key[i]);
	printf(" 128 encap espinudp %u %u 0.0.0.0\n", sa.encap_sport, sa.encap_dport);
}

static void ip_policy_line(const struct client *c, bool inbound, bool add)
{
	char s[64], d[64];
	struct xfrm_policy p;

	client_policy(c, inbound, &p);
	printf("xfrm policy %s src %s/32 dst %s/32 proto udp sport %u dport %u dir %s", add ? "add" :
	       "delete", xfrm_ip_str(&p.sel.src, s, sizeof(s)), xfrm_ip_str(&p.sel.dst, d, sizeof(d)),
	       p.sel.sport, p.sel.dport, inbound ? "in" : "out");
	if (add)
		printf(" priority %u", p.priority);
	printf(" mark 0x%x mask 0xffffffff", p.mark);
	if (add)
		printf(" tmpl proto esp reqid 0x%08x mode transport", XFRM_REQID_TAG | p.reqid);
	printf("\n");
}

int xfrmctl_bench_ipbatch(struct xfrm_handle *h, int argc, char **argv)
{
	struct client c;

	if (argc < 2 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "del") != 0))
		return fprintf(stderr, "bench-ipbatch PAIRS add|del\n"), 2;
	unsigned int pairs = (unsigned int)strtoul(argv[0], NULL, 0);
	bool add = strcmp(argv[1], "add") == 0;
	for (size_t i = 0; i < sizeof(bench_key); i++)
		bench_key[i] = (uint8_t)(0x40 + i);
	for (unsigned int i = 0; i < pairs; i++) {
		client(i, &c);
		for (int dir = 0; dir < 2; dir++) {
			ip_sa_line(&c, dir == 0, add);
			ip_policy_line(&c, dir == 0, add);
		}
	}
	return 0;
}
