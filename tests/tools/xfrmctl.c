/*
 * xfrmctl: a small test CLI over the xfrm/ library, so VM scenarios and benchmarks can
 * drive exactly the code ikd uses from the shell. Not installed; not for production.
 *
 *   xfrmctl add-sa SRC DST SPI ALG [opt=value...]     (update: same with "update")
 *   xfrmctl del-sa DST SPI [mark=V/M]
 *   xfrmctl get-sa DST SPI [mark=V/M]                 key=value lines
 *   xfrmctl add-policy DIR SRC/PLEN DST/PLEN [opt=value...]
 *   xfrmctl del-policy DIR SRC/PLEN DST/PLEN [opt=value...]
 *   xfrmctl allocspi SRC DST [reqid=N] [count=N]      one SPI per line
 *   xfrmctl release DST SPI
 *   xfrmctl flush                                      deletes what l2sec owns
 *   xfrmctl monitor [count=N] [timeout=S]              one event per line
 *   xfrmctl natt-listen [PORT] [v6]                     hold a UDP_ENCAP socket (4500)
 *   xfrmctl bench PAIRS [mode=batch|single] [verify] [policies]  tests/bench/README.md
 *   xfrmctl bench-ipbatch PAIRS add|del                 the same work as `ip -batch` input
 *   xfrmctl -                                          commands from stdin, one per line
 *
 * Keys are derived from the SPI (and keyseed=N), so both ends of a test compute the same
 * key for the same SA without passing secrets around. ALG: gcm8-128, gcm12-192, gcm16-128,
 * gcm16-256, chacha, cbc128-sha1, cbc256-sha256, cbc192-sha384, cbc256-sha512, 3des-sha1.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "tests/bench/xfrm-bench.h"
#include "xfrm/xfrm.h"

struct alg_name {
	const char *name;
	uint16_t encr, bits, integ;
};

static const struct alg_name algs[] = {
	{ "gcm8-128", XFRM_ENCR_AES_GCM_8, 128, 0 },
	{ "gcm12-192", XFRM_ENCR_AES_GCM_12, 192, 0 },
	{ "gcm16-128", XFRM_ENCR_AES_GCM_16, 128, 0 },
	{ "gcm16-256", XFRM_ENCR_AES_GCM_16, 256, 0 },
	{ "chacha", XFRM_ENCR_CHACHA20_POLY1305, 0, 0 },
	{ "cbc128-sha1", XFRM_ENCR_AES_CBC, 128, XFRM_INTEG_HMAC_SHA1_96 },
	{ "cbc256-sha256", XFRM_ENCR_AES_CBC, 256, XFRM_INTEG_HMAC_SHA2_256_128 },
	{ "cbc192-sha384", XFRM_ENCR_AES_CBC, 192, XFRM_INTEG_HMAC_SHA2_384_192 },
	{ "cbc256-sha512", XFRM_ENCR_AES_CBC, 256, XFRM_INTEG_HMAC_SHA2_512_256 },
	{ "3des-sha1", XFRM_ENCR_3DES, 0, XFRM_INTEG_HMAC_SHA1_96 },
};

/* Key buffers of the SA being built (test keys, derived, not secret). */
static uint8_t ekey[64], ikey[64];

/* Usage or argument error: "xfrmctl: MSG ARG". */
static int die(const char *msg, const char *arg)
{
	fprintf(stderr, "xfrmctl: %s%s\n", msg, arg);
	return 2;
}

static int fail(struct xfrm_handle *h, int rc)
{
	fprintf(stderr, "xfrmctl: %s (%d)\n", xfrm_strerror(h), rc);
	return 1;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > 0xffffffffUL)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_pair(const char *s, uint32_t *a, uint32_t *b, char sep)
{
	char tmp[64];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", s);
	p = strchr(tmp, sep);
	if (!p) {
		*b = 0xffffffff;
		return parse_u32(tmp, a);
	}
	*p = '\0';
	return parse_u32(tmp, a) && parse_u32(p + 1, b);
}

static bool parse_prefix(const char *s, struct xfrm_ip *ip, uint8_t *plen)
{
	char tmp[64];
	char *slash;
	uint32_t v;

	snprintf(tmp, sizeof(tmp), "%s", s);
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	if (xfrm_ip_parse(ip, tmp) < 0)
		return false;
	if (!slash) {
		*plen = ip->family == AF_INET6 ? 128 : 32;
		return true;
	}
	if (!parse_u32(slash + 1, &v) || v > (ip->family == AF_INET6 ? 128u : 32u))
		return false;
	*plen = (uint8_t)v;
	return true;
}

static void derive_key(uint8_t *k, size_t n, uint32_t spi, uint32_t seed, uint8_t salt)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)(spi * 31u + seed * 131u + i * 7u + salt);
}

static int set_alg(struct xfrm_sa *sa, const char *name, uint32_t seed)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strcmp(algs[i].name, name) != 0)
			continue;
		struct xfrm_crypto *c = &sa->crypto;
		c->encr = algs[i].encr;
		c->encr_key_bits = algs[i].bits;
		c->integ = algs[i].integ;
		if (xfrm_alg_keymat(c->encr, c->encr_key_bits, c->integ, &c->encr_key_len,
				    &c->integ_key_len) < 0)
			return -ENOTSUP;
		derive_key(ekey, c->encr_key_len, sa->spi, seed, 0);
		derive_key(ikey, c->integ_key_len, sa->spi, seed, 0x55);
		c->encr_key = ekey;
		c->integ_key = c->integ_key_len ? ikey : NULL;
		return 0;
	}
	return -ENOENT;
}

/* Options shared by SAs and policies: mark=V/M reqid=N if-id=N. */
static bool common_opt(const char *k, const char *v, uint32_t *mark, uint32_t *mask,
		       uint32_t *reqid, uint32_t *if_id)
{
	if (strcmp(k, "mark") == 0)
		return parse_pair(v, mark, mask, '/');
	if (strcmp(k, "reqid") == 0)
		return parse_u32(v, reqid);
	if (strcmp(k, "if-id") == 0)
		return parse_u32(v, if_id);
	return false;
}

static bool sa_opt(struct xfrm_sa *sa, const char *k, const char *v, bool *update)
{
	uint32_t a, b;
	uint64_t *lim = NULL;

	if (common_opt(k, v, &sa->mark, &sa->mark_mask, &sa->reqid, &sa->if_id))
		return true;
	if (strcmp(k, "mode") == 0) {
		sa->mode = strcmp(v, "tunnel") == 0 ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
		return strcmp(v, "tunnel") == 0 || strcmp(v, "transport") == 0;
	}
	if (strcmp(k, "encap") == 0 && parse_pair(v, &a, &b, ':') && a < 65536 && b < 65536) {
		sa->encap = true;
		sa->encap_sport = (uint16_t)a;
		sa->encap_dport = (uint16_t)b;
		return true;
	}
	if (strcmp(k, "set-mark") == 0)
		return parse_pair(v, &sa->set_mark, &sa->set_mark_mask, '/');
	if (strcmp(k, "replay") == 0)
		return parse_u32(v, &sa->replay_window);
	if (strcmp(k, "esn") == 0)
		return (sa->esn = true);
	if (strcmp(k, "update") == 0)
		return (*update = true);
	if (strcmp(k, "sel") == 0) {    /* sel=SRC/PLEN,DST/PLEN */
		char tmp[128];
		snprintf(tmp, sizeof(tmp), "%s", v);
		char *comma = strchr(tmp, ',');
		if (!comma)
			return false;
		*comma = '\0';
		return parse_prefix(tmp, &sa->sel.src, &sa->sel.src_plen) &&
		       parse_prefix(comma + 1, &sa->sel.dst, &sa->sel.dst_plen);
	}
	if (strcmp(k, "soft-s") == 0) lim = &sa->limits.soft_add_s;
	else if (strcmp(k, "hard-s") == 0) lim = &sa->limits.hard_add_s;
	else if (strcmp(k, "soft-bytes") == 0) lim = &sa->limits.soft_bytes;
	else if (strcmp(k, "hard-bytes") == 0) lim = &sa->limits.hard_bytes;
	else if (strcmp(k, "soft-packets") == 0) lim = &sa->limits.soft_packets;
	else if (strcmp(k, "hard-packets") == 0) lim = &sa->limits.hard_packets;
	if (lim && parse_u32(v, &a)) {
		*lim = a;
		return true;
	}
	return false;
}

/* Split "key=value" (or a bare "key") into k and v; v is "" for a bare key. */
static void split_opt(const char *arg, char *k, size_t ksize, const char **v)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	if (n >= ksize)
		n = ksize - 1;
	memcpy(k, arg, n);
	k[n] = '\0';
	*v = eq ? eq + 1 : "";
}

static int cmd_add_sa(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_sa sa = { 0 };
	uint32_t seed = 1;
	bool update = false;
	char k[32];
	const char *v;

	if (argc < 4)
		return die("add-sa SRC DST SPI ALG [opt=value...]", "");
	if (xfrm_ip_parse(&sa.src, argv[0]) < 0 || xfrm_ip_parse(&sa.dst, argv[1]) < 0 ||
	    !parse_u32(argv[2], &sa.spi))
		return die("bad address or SPI: ", argv[2]);
	for (int i = 4; i < argc; i++) {
		split_opt(argv[i], k, sizeof(k), &v);
		if (strcmp(k, "keyseed") == 0 ? !parse_u32(v, &seed) : !sa_opt(&sa, k, v, &update))
			return die("bad option ", argv[i]);
	}
	if (set_alg(&sa, argv[3], seed) < 0)
		return die("unknown algorithm ", argv[3]);
	int rc = update ? xfrm_sa_update(h, &sa) : xfrm_sa_add(h, &sa);
	return rc < 0 ? fail(h, rc) : 0;
}

static int sa_key(struct xfrm_sa *key, int argc, char **argv)
{
	uint32_t reqid = 0, if_id = 0;
	char k[32];
	const char *v;

	memset(key, 0, sizeof(*key));
	if (argc < 2 || xfrm_ip_parse(&key->dst, argv[0]) < 0 || !parse_u32(argv[1], &key->spi))
		return die("expected DST SPI [mark=V/M]", "");
	for (int i = 2; i < argc; i++) {
		split_opt(argv[i], k, sizeof(k), &v);
		if (!common_opt(k, v, &key->mark, &key->mark_mask, &reqid, &if_id))
			return die("bad option ", argv[i]);
	}
	return 0;
}

static int cmd_del_sa(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_sa key;
	int rc = sa_key(&key, argc, argv);

	if (rc)
		return rc;
	rc = xfrm_sa_del(h, &key);
	return rc < 0 ? fail(h, rc) : 0;
}

static void print_sa(const struct xfrm_sa_info *i)
{
	char s[64], d[64];
	const struct xfrm_sa *sa = &i->sa;

	printf("src=%s dst=%s spi=0x%08x mode=%s reqid=%u owned=%d encr=%s icv_bits=%u "
	       "integ=%s encr_id=%u integ_id=%u key_bits=%u\n",
	       xfrm_ip_str(&sa->src, s, sizeof(s)), xfrm_ip_str(&sa->dst, d, sizeof(d)), sa->spi,
	       sa->mode == XFRM_SA_TUNNEL ? "tunnel" : "transport", sa->reqid, i->owned,
	       i->encr_name[0] ? i->encr_name : "-", i->icv_bits,
	       i->integ_name[0] ? i->integ_name : "-", sa->crypto.encr, sa->crypto.integ,
	       sa->crypto.encr_key_bits);
	printf("bytes=%llu packets=%llu add_time=%llu use_time=%llu oseq=%llu seq=%llu "
	       "replay_window=%u esn=%d encap=%d sport=%u dport=%u mark=0x%x/0x%x "
	       "set_mark=0x%x/0x%x if_id=%u soft_s=%llu hard_s=%llu\n",
	       (unsigned long long)i->bytes, (unsigned long long)i->packets,
	       (unsigned long long)i->add_time, (unsigned long long)i->use_time,
	       (unsigned long long)i->oseq, (unsigned long long)i->seq, sa->replay_window, sa->esn,
	       sa->encap, sa->encap_sport, sa->encap_dport, sa->mark, sa->mark_mask, sa->set_mark,
	       sa->set_mark_mask, sa->if_id, (unsigned long long)sa->limits.soft_add_s,
	       (unsigned long long)sa->limits.hard_add_s);
}

static int cmd_get_sa(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_sa key;
	struct xfrm_sa_info info;
	int rc = sa_key(&key, argc, argv);

	if (rc)
		return rc;
	rc = xfrm_sa_get(h, &key, &info);
	if (rc < 0)
		return fail(h, rc);
	print_sa(&info);
	return 0;
}

static bool policy_opt(struct xfrm_policy *p, const char *k, const char *v, bool *update)
{
	uint32_t n;

	if (common_opt(k, v, &p->mark, &p->mark_mask, &p->reqid, &p->if_id))
		return true;
	if (strcmp(k, "proto") == 0) {
		p->sel.proto = strcmp(v, "udp") == 0 ? IPPROTO_UDP : strcmp(v, "tcp") == 0 ?
			       IPPROTO_TCP : strcmp(v, "icmp") == 0 ? IPPROTO_ICMP : 0;
		return p->sel.proto != 0;
	}
	if ((strcmp(k, "sport") == 0 || strcmp(k, "dport") == 0) && parse_u32(v, &n) && n < 65536) {
		*(k[0] == 's' ? &p->sel.sport : &p->sel.dport) = (uint16_t)n;
		return true;
	}
	if (strcmp(k, "mode") == 0) {
		p->ipsec = true;
		p->mode = strcmp(v, "tunnel") == 0 ? XFRM_SA_TUNNEL : XFRM_SA_TRANSPORT;
		return true;
	}
	if (strcmp(k, "tsrc") == 0)
		return xfrm_ip_parse(&p->tun_src, v) == 0;
	if (strcmp(k, "tdst") == 0)
		return xfrm_ip_parse(&p->tun_dst, v) == 0;
	if (strcmp(k, "prio") == 0)
		return parse_u32(v, &p->priority);
	if (strcmp(k, "index") == 0)
		return parse_u32(v, &p->index);
	if (strcmp(k, "level") == 0)
		return (p->optional = strcmp(v, "use") == 0) || strcmp(v, "required") == 0;
	if (strcmp(k, "block") == 0)
		return (p->block = true);
	if (strcmp(k, "update") == 0)
		return (*update = true);
	return false;
}

static int parse_policy(struct xfrm_policy *p, bool *update, int argc, char **argv)
{
	char k[32];
	const char *v;

	memset(p, 0, sizeof(*p));
	*update = false;
	if (argc < 3)
		return die("expected DIR SRC/PLEN DST/PLEN [opt=value...]", "");
	p->dir = strcmp(argv[0], "in") == 0 ? XFRM_DIR_IN : strcmp(argv[0], "out") == 0 ?
		 XFRM_DIR_OUT : strcmp(argv[0], "fwd") == 0 ? XFRM_DIR_FWD : 99;
	if (p->dir == 99)
		return die("bad direction ", argv[0]);
	if (!parse_prefix(argv[1], &p->sel.src, &p->sel.src_plen) ||
	    !parse_prefix(argv[2], &p->sel.dst, &p->sel.dst_plen))
		return die("bad selector ", argv[1]);
	for (int i = 3; i < argc; i++) {
		split_opt(argv[i], k, sizeof(k), &v);
		if (!policy_opt(p, k, v, update))
			return die("bad option ", argv[i]);
	}
	return 0;
}

static int cmd_policy(struct xfrm_handle *h, int argc, char **argv, bool del)
{
	struct xfrm_policy p;
	bool update;
	int rc = parse_policy(&p, &update, argc, argv);

	if (rc)
		return rc;
	if (del)
		rc = xfrm_policy_del(h, &p);
	else
		rc = update ? xfrm_policy_update(h, &p) : xfrm_policy_add(h, &p);
	return rc < 0 ? fail(h, rc) : 0;
}

static int cmd_allocspi(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_sa key = { 0 };
	uint32_t count = 1, spi;
	char k[32];
	const char *v;

	if (argc < 2 || xfrm_ip_parse(&key.src, argv[0]) < 0 || xfrm_ip_parse(&key.dst, argv[1]) < 0)
		return die("allocspi SRC DST [reqid=N] [count=N]", "");
	for (int i = 2; i < argc; i++) {
		split_opt(argv[i], k, sizeof(k), &v);
		if (strcmp(k, "count") == 0 ? !parse_u32(v, &count) :
		    !common_opt(k, v, &key.mark, &key.mark_mask, &key.reqid, &key.if_id))
			return die("bad option ", argv[i]);
	}
	for (uint32_t i = 0; i < count; i++) {
		int rc = xfrm_spi_alloc(h, &key, 0, 0, &spi);
		if (rc < 0)
			return fail(h, rc);
		printf("0x%08x\n", spi);
	}
	return 0;
}

static int cmd_release(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_sa key;
	int rc = sa_key(&key, argc, argv);

	if (rc)
		return rc;
	rc = xfrm_spi_release(h, &key, key.spi);
	return rc < 0 ? fail(h, rc) : 0;
}

static int cmd_flush(struct xfrm_handle *h, int argc, char **argv)
{
	int sas = xfrm_sa_flush_owned(h);

	if (sas < 0)
		return fail(h, sas);
	int pols = xfrm_policy_flush_owned(h);
	if (pols < 0)
		return fail(h, pols);
	printf("flushed sas=%d policies=%d\n", sas, pols);
	return 0;
}

static void print_event(const struct xfrm_event *e, void *arg)
{
	char a[64], b[64];
	unsigned int *seen = arg;

	(*seen)++;
	printf("event=%s owned=%d", xfrm_event_kind_name(e->kind), e->owned);
	switch (e->kind) {
	case XFRM_EV_EXPIRE:
	case XFRM_EV_NEWSA:
	case XFRM_EV_DELSA:
		printf(" hard=%d spi=0x%08x src=%s dst=%s reqid=%u", e->hard, e->sa.sa.spi,
		       xfrm_ip_str(&e->sa.sa.src, a, sizeof(a)),
		       xfrm_ip_str(&e->sa.sa.dst, b, sizeof(b)), e->sa.sa.reqid);
		break;
	case XFRM_EV_ACQUIRE:
		printf(" src=%s dst=%s seq=%u", xfrm_ip_str(&e->acquire.src, a, sizeof(a)),
		       xfrm_ip_str(&e->acquire.dst, b, sizeof(b)), e->acquire.seq);
		break;
	case XFRM_EV_NEWPOLICY:
	case XFRM_EV_DELPOLICY:
	case XFRM_EV_POLEXPIRE:
		printf(" dir=%u src=%s/%u dst=%s/%u reqid=%u", e->policy.dir,
		       xfrm_ip_str(&e->policy.sel.src, a, sizeof(a)), e->policy.sel.src_plen,
		       xfrm_ip_str(&e->policy.sel.dst, b, sizeof(b)), e->policy.sel.dst_plen,
		       e->policy.reqid);
		break;
	case XFRM_EV_MAPPING:
		printf(" spi=0x%08x new_src=%s new_sport=%u", e->mapping.spi,
		       xfrm_ip_str(&e->mapping.new_src, a, sizeof(a)), e->mapping.new_sport);
		break;
	default:
		break;
	}
	printf("\n");
	fflush(stdout);
}

static int cmd_monitor(struct xfrm_handle *h, int argc, char **argv)
{
	struct xfrm_events *ev;
	uint32_t count = 0, timeout = 0;
	unsigned int seen = 0;
	char k[32];
	const char *v;

	for (int i = 0; i < argc; i++) {
		split_opt(argv[i], k, sizeof(k), &v);
		if (strcmp(k, "count") == 0 ? !parse_u32(v, &count) :
		    strcmp(k, "timeout") == 0 ? !parse_u32(v, &timeout) : true)
			return die("bad option ", argv[i]);
	}
	int rc = xfrm_events_open(&ev, XFRM_EVGRP_DEFAULT);
	if (rc < 0)
		return die("cannot subscribe: ", strerror(-rc));
	printf("monitor=ready\n");
	fflush(stdout);
	time_t end = timeout ? time(NULL) + timeout : 0;
	while ((!count || seen < count) && (!end || time(NULL) < end)) {
		struct pollfd pfd = { .fd = xfrm_events_fd(ev), .events = POLLIN };
		if (poll(&pfd, 1, 200) > 0 && (rc = xfrm_events_read(ev, print_event, &seen)) < 0)
			break;
	}
	xfrm_events_close(ev);
	return rc < 0 ? die("read: ", strerror(-rc)) : (count && seen < count ? 1 : 0);
}

static int add_policy(struct xfrm_handle *h, int argc, char **argv)
{
	return cmd_policy(h, argc, argv, false);
}

static int del_policy(struct xfrm_handle *h, int argc, char **argv)
{
	return cmd_policy(h, argc, argv, true);
}


/* Hold an ESP-in-UDP socket (bypass policies + UDP_ENCAP) until killed, as ikd's port-4500
 * socket does: without one, the kernel does not decapsulate NAT-T traffic. */
static int cmd_natt_listen(struct xfrm_handle *h, int argc, char **argv)
{
	uint32_t port = 4500;
	bool v6 = argc > 1 && strcmp(argv[1], "v6") == 0;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };

	if (argc > 0 && (!parse_u32(argv[0], &port) || port > 65535))
		return die("bad port ", argv[0]);
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0), one = 1;
	a6.sin6_port = a4.sin_port = htons((uint16_t)port);
	/* IPv6-only, so that an IPv4 socket can hold the same port beside it. */
	if (fd >= 0 && v6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || (v6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
			    bind(fd, (struct sockaddr *)&a4, sizeof(a4))) < 0)
		return die("socket/bind: ", strerror(errno));
	int rc = xfrm_socket_bypass(fd, v6 ? AF_INET6 : AF_INET);
	if (rc == 0)
		rc = xfrm_natt_socket_enable(fd);
	if (rc < 0)
		return die("natt socket: ", strerror(-rc));
	printf("natt=listening port=%u\n", port);
	fflush(stdout);
	for (;;)
		pause();
}

static const struct {
	const char *name;
	int (*fn)(struct xfrm_handle *h, int argc, char **argv);
} commands[] = {
	{ "add-sa", cmd_add_sa },
	{ "del-sa", cmd_del_sa },
	{ "get-sa", cmd_get_sa },
	{ "allocspi", cmd_allocspi },
	{ "release", cmd_release },
	{ "flush", cmd_flush },
	{ "monitor", cmd_monitor },
	{ "natt-listen", cmd_natt_listen },
	{ "add-policy", add_policy },
	{ "del-policy", del_policy },
	{ "bench", xfrmctl_bench },
	{ "bench-ipbatch", xfrmctl_bench_ipbatch },
};

static int run_command(struct xfrm_handle *h, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			return commands[i].fn(h, argc - 1, argv + 1);
	return die("unknown command ", argv[0]);
}

/* "xfrmctl -": one command per line on stdin (words split on blanks), stop at the first
 * failure. Saves a process start per command in slow VMs. */
static int run_script(struct xfrm_handle *h)
{
	char line[1024];
	char *words[64];
	int rc = 0;

	while (rc == 0 && fgets(line, sizeof(line), stdin)) {
		int n = 0;
		for (char *save, *w = strtok_r(line, " \t\n", &save); w && n < 64;
		     w = strtok_r(NULL, " \t\n", &save))
			words[n++] = w;
		if (n > 0 && words[0][0] != '#')
			rc = run_command(h, n, words);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct xfrm_handle *h;

	if (argc < 2)
		return die("usage: xfrmctl COMMAND ARGS... (see the source's header)", "");
	int rc = xfrm_open(&h);
	if (rc < 0)
		return die("cannot open NETLINK_XFRM: ", strerror(-rc));
	rc = strcmp(argv[1], "-") == 0 ? run_script(h) : run_command(h, argc - 1, argv + 1);
	xfrm_close(h);
	return rc;
}
