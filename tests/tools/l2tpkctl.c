/*
 * l2tpkctl - drive l2tpd's kernel data path API by hand, for tests/vm/l2tp-kernel.sh.
 *
 *   l2tpkctl probe                       capability report; exit 0 when complete
 *   l2tpkctl show                        tunnels and sessions as the API reads them
 *   l2tpkctl sweep PORT PREFIX           start-up cleanup: delete our leftovers
 *   l2tpkctl session OPTIONS             build one tunnel + session, then obey stdin
 *   l2tpkctl bench N LOCAL PEER          time N tunnels, each with a session and an up unit
 *
 * session OPTIONS: --local IP --peer IP --tid N --ptid N --sid N --psid N
 *                  [--port 1701] [--mark N] [--prefix l2sec] [--ioctl-unit]
 * Then one command per stdin line, "SEQ CMD [ARGS]", answered by "SEQ ok [...]" or
 * "SEQ err ERRNO TEXT":
 *   unit                    create the PPP unit and connect the channel to it
 *   up LOCAL PEER MTU MRU   address, MTU, MRU, NPMODE_PASS for IP (IPv6 for v6
 *                           addresses), link up; again with the other family adds it
 *   send chan|unit HEX      write one PPP frame (protocol field first)
 *   recv chan|unit MS       wait up to MS for one frame: "SEQ ok HEX" or "SEQ err 62 timeout"
 *   stats                   interface counters and the kernel session's counters
 *   info                    ifname, ifindex, unit, channel
 *   down                    tear everything down and exit (also on end of input)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <net/if.h>
#include <linux/ppp-ioctl.h>
#include <linux/ppp_defs.h>

#include "l2tpd/kernel_l2tp.h"
#include "l2tpd/kernel_ppp.h"
#include "l2tpd/kernel_probe.h"
#include "l2tpd/rtnl.h"
#include "l2tpd/udp_sock.h"

struct ctl {
	struct kl2tp l2tp;
	struct rtnl rtnl;
	struct kppp_session ppp;
	int udp_fd;
	uint32_t tid, ptid, sid, psid;
	unsigned int next_index;
	const char *prefix;
	int ioctl_unit;
};

static int cmd_probe(int argc, char **argv)
{
	struct kprobe_report r;
	char text[1024];

	kprobe_run(&r);
	kprobe_explain(&r, text, sizeof(text));
	printf("missing: %s\n", text[0] ? text : "nothing");
	kprobe_version_statement(&r, text, sizeof(text));
	printf("version: %s\n", text);
	return kprobe_ok(&r) ? 0 : 1;
}

static int show_tunnel(const struct kl2tp_tunnel_info *t, void *arg)
{
	printf("tunnel %u peer %u version %u encap %u ports %u/%u rx_packets %llu tx_packets %llu\n",
	       t->tunnel_id, t->peer_tunnel_id, t->version, t->encap, t->local_port, t->peer_port,
	       (unsigned long long)t->stats.rx_packets, (unsigned long long)t->stats.tx_packets);
	return 0;
}

static int show_session(const struct kl2tp_session_info *s, void *arg)
{
	printf("session %u in tunnel %u peer %u/%u pw_type %u\n", s->session_id, s->tunnel_id,
	       s->peer_session_id, s->peer_tunnel_id, s->pw_type);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct kl2tp l;
	int err = kl2tp_open(&l);

	if (!err)
		err = kl2tp_tunnel_dump(&l, show_tunnel, NULL);
	if (!err)
		err = kl2tp_session_dump(&l, show_session, NULL);
	if (err)
		fprintf(stderr, "show: %s %s\n", strerror(-err), l.k.errmsg);
	kl2tp_close(&l);
	return err ? 1 : 0;
}

static int cmd_sweep(int argc, char **argv)
{
	struct kl2tp l;
	struct rtnl r;
	struct kl2tp_owner owner = { 0 };
	unsigned int tunnels = 0, links = 0;
	int err;

	if (argc != 2)
		return 64;
	owner.local_port = (uint16_t)atoi(argv[0]);
	err = kl2tp_open(&l);
	if (!err) {
		err = kl2tp_sweep(&l, &owner, &tunnels);
		kl2tp_close(&l);
	}
	if (!err)
		err = rtnl_open(&r);
	if (!err) {
		err = kppp_sweep(&r, argv[1], NULL, NULL, &links);
		rtnl_close(&r);
	}
	printf("swept tunnels=%u links=%u err=%d\n", tunnels, links, err);
	return err ? 1 : 0;
}

static int hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);

	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static int frame_fd(struct ctl *c, const char *which)
{
	return strcmp(which, "unit") == 0 ? c->ppp.unit_fd : c->ppp.chan_fd;
}

static int do_recv(struct ctl *c, const char *which, int ms, char *reply, size_t size)
{
	struct pollfd p = { .fd = frame_fd(c, which), .events = POLLIN };
	uint8_t frame[2048];
	ssize_t n;
	size_t off;

	if (poll(&p, 1, ms) <= 0)
		return -ETIME;
	n = read(p.fd, frame, sizeof(frame));
	if (n < 0)
		return -errno;
	off = 0;
	for (ssize_t i = 0; i < n && off + 3 < size; i++)
		off += (size_t)snprintf(reply + off, size - off, "%02x", frame[i]);
	return 0;
}

static int do_up(struct ctl *c, char **args, int nargs)
{
	struct knl_ip local, peer;
	int err;

	if (nargs != 4 || knl_ip_parse(&local, args[0]) || knl_ip_parse(&peer, args[1]))
		return -EINVAL;
	err = rtnl_link_set_mtu(&c->rtnl, c->ppp.ifindex, (uint32_t)atoi(args[2]));
	if (!err)
		err = kppp_unit_set_mru(&c->ppp, atoi(args[3]));
	if (!err)
		err = rtnl_addr_add_ptp(&c->rtnl, c->ppp.ifindex, &local, &peer);
	if (!err)
		err = kppp_unit_set_npmode(&c->ppp, local.family == AF_INET6 ? PPP_IPV6 : PPP_IP,
					   NPMODE_PASS);
	if (!err)
		err = rtnl_link_set_up(&c->rtnl, c->ppp.ifindex, true);
	return err;
}

static int do_stats(struct ctl *c, char *reply, size_t size)
{
	struct rtnl_counters st;
	struct kl2tp_session_info s;
	int err = rtnl_link_counters(&c->rtnl, c->ppp.ifindex, &st);

	if (!err)
		err = kl2tp_session_get(&c->l2tp, c->tid, c->sid, &s);
	if (!err)
		snprintf(reply, size, "if_rx_bytes=%llu if_tx_bytes=%llu if_rx_packets=%llu "
			 "if_tx_packets=%llu l2tp_rx_packets=%llu l2tp_tx_packets=%llu",
			 (unsigned long long)st.rx_bytes, (unsigned long long)st.tx_bytes,
			 (unsigned long long)st.rx_packets, (unsigned long long)st.tx_packets,
			 (unsigned long long)s.stats.rx_packets, (unsigned long long)s.stats.tx_packets);
	return err;
}

/* One command line; returns 1 when the session should end. */
static int session_command(struct ctl *c, char *line)
{
	char *args[8], *save = NULL, reply[4200] = "";
	int nargs = 0, err = 0, done = 0;
	char *seq = strtok_r(line, " \n", &save), *cmd = strtok_r(NULL, " \n", &save);
	uint8_t frame[2048];

	if (!seq || !cmd)
		return 0;
	while (nargs < 8 && (args[nargs] = strtok_r(NULL, " \n", &save)))
		nargs++;
	if (strcmp(cmd, "unit") == 0) {
		err = c->ioctl_unit ? kppp_unit_create_ioctl(&c->ppp, &c->rtnl, c->prefix, &c->next_index)
				    : kppp_unit_create(&c->ppp, &c->rtnl, c->prefix, &c->next_index);
		if (!err)
			err = kppp_unit_connect(&c->ppp);
	} else if (strcmp(cmd, "up") == 0) {
		err = do_up(c, args, nargs);
	} else if (strcmp(cmd, "send") == 0 && nargs == 2) {
		int n = hex_decode(args[1], frame, sizeof(frame));

		err = n < 0 ? n : write(frame_fd(c, args[0]), frame, (size_t)n) == n ? 0 : -errno;
	} else if (strcmp(cmd, "recv") == 0 && nargs == 2) {
		err = do_recv(c, args[0], atoi(args[1]), reply, sizeof(reply));
	} else if (strcmp(cmd, "stats") == 0) {
		err = do_stats(c, reply, sizeof(reply));
	} else if (strcmp(cmd, "info") == 0) {
		snprintf(reply, sizeof(reply), "ifname=%s ifindex=%d unit=%d chindex=%d",
			 c->ppp.ifname, c->ppp.ifindex, c->ppp.unit, c->ppp.chindex);
	} else if (strcmp(cmd, "down") == 0) {
		done = 1;
	} else {
		err = -EINVAL;
	}
	if (err)
		printf("%s err %d %s %s\n", seq, -err, err == -ETIME ? "timeout" : strerror(-err),
		       c->rtnl.k.errmsg[0] ? c->rtnl.k.errmsg : c->l2tp.k.errmsg);
	else
		printf("%s ok %s\n", seq, reply);
	fflush(stdout);
	return done;
}

static int session_setup(struct ctl *c, const char *local, const char *peer, uint16_t port,
			 uint32_t mark)
{
	struct sockaddr_storage lss, pss;
	int llen = udp_sock_addr(&lss, local, port), plen = udp_sock_addr(&pss, peer, port);
	struct udp_sock_cfg ucfg = { .local = (struct sockaddr *)&lss, .local_len = (socklen_t)llen,
				     .peer = (struct sockaddr *)&pss, .peer_len = (socklen_t)plen,
				     .mark = mark };
	struct kl2tp_tunnel_cfg tcfg = { .tunnel_id = c->tid, .peer_tunnel_id = c->ptid, .version = 2 };
	struct kl2tp_session_cfg scfg = { .tunnel_id = c->tid, .session_id = c->sid,
					  .peer_session_id = c->psid };
	struct kppp_l2tp_addr pa = { .version = 2, .tunnel_id = c->tid, .session_id = c->sid,
				     .peer_tunnel_id = c->ptid, .peer_session_id = c->psid,
				     .peer = (struct sockaddr *)&pss, .peer_len = (socklen_t)plen };
	int err;

	if (llen < 0 || plen < 0)
		return -EINVAL;
	c->udp_fd = udp_sock_open(&ucfg);
	if (c->udp_fd < 0)
		return c->udp_fd;
	tcfg.fd = pa.tunnel_fd = c->udp_fd;
	err = kl2tp_tunnel_create(&c->l2tp, &tcfg);
	if (!err)
		err = kl2tp_session_create(&c->l2tp, &scfg);
	if (!err)
		err = kppp_pppox_open(&c->ppp, &pa);
	if (!err)
		err = kppp_channel_open(&c->ppp);
	return err;
}

static void session_teardown(struct ctl *c)
{
	kppp_session_close(&c->ppp);
	/* Usually gone with the PPPoL2TP socket already; -ENODEV is fine then. */
	(void)kl2tp_session_delete(&c->l2tp, c->tid, c->sid);
	(void)kl2tp_tunnel_delete(&c->l2tp, c->tid);
	if (c->udp_fd >= 0)
		close(c->udp_fd);
	c->udp_fd = -1;
}

static int cmd_session(int argc, char **argv)
{
	struct ctl c = { .udp_fd = -1, .prefix = KPPP_DEFAULT_PREFIX };
	const char *local = NULL, *peer = NULL;
	unsigned long port = L2TP_UDP_PORT, mark = 0;
	char line[4400];
	int err;

	kppp_session_init(&c.ppp);
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--ioctl-unit") == 0) { c.ioctl_unit = 1; continue; }
		if (!v)
			return 64;
		i++;
		if (!strcmp(o, "--local")) local = v;
		else if (!strcmp(o, "--peer")) peer = v;
		else if (!strcmp(o, "--tid")) c.tid = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(o, "--ptid")) c.ptid = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(o, "--sid")) c.sid = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(o, "--psid")) c.psid = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(o, "--port")) port = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--mark")) mark = strtoul(v, NULL, 0);
		else if (!strcmp(o, "--prefix")) c.prefix = v;
		else return 64;
	}
	if (!local || !peer)
		return 64;
	err = kl2tp_open(&c.l2tp);
	if (!err)
		err = rtnl_open(&c.rtnl);
	if (!err)
		err = session_setup(&c, local, peer, (uint16_t)port, (uint32_t)mark);
	printf("0 %s %d %s %s\n", err ? "err" : "ok", -err, err ? strerror(-err) : "ready",
	       c.l2tp.k.errmsg);
	fflush(stdout);
	while (!err && fgets(line, sizeof(line), stdin))
		if (session_command(&c, line))
			break;
	session_teardown(&c);
	rtnl_close(&c.rtnl);
	kl2tp_close(&c.l2tp);
	return err ? 1 : 0;
}


struct bench_clock {
	struct timeval wall;
	struct rusage ru;
};

static void bench_now(struct bench_clock *c)
{
	gettimeofday(&c->wall, NULL);
	getrusage(RUSAGE_SELF, &c->ru);
}

static double tv_sec(struct timeval a, struct timeval b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
}

static void bench_report(const char *what, unsigned int n, const struct bench_clock *a,
			 const struct bench_clock *b)
{
	double wall = tv_sec(a->wall, b->wall);

	printf("%s n=%u wall=%.3fs user=%.3fs sys=%.3fs per_item=%.3fms\n", what, n, wall,
	       tv_sec(a->ru.ru_utime, b->ru.ru_utime), tv_sec(a->ru.ru_stime, b->ru.ru_stime),
	       wall * 1000.0 / n);
}

/* Wall time spent in each step of bench_one, summed over all items. */
enum {
	B_UDP, B_TUNNEL, B_SESSION, B_PPPOX, B_NOP, B_GCHAN, B_GCHAN2, B_OPEN, B_ATTCHAN, B_UNIT,
	B_LINK, T_DISCONN, T_CHAN, T_UNIT, T_PPPOX, T_SESSION, T_TUNNEL, T_UDP, B_STEPS
};
static double bench_step[B_STEPS];
static const char *const bench_step_name[B_STEPS] = {
	"udp_sock_open", "kl2tp_tunnel_create", "kl2tp_session_create", "kppp_pppox_open",
	"sched_yield (before PPPIOCGCHAN)", "PPPIOCGCHAN", "PPPIOCGCHAN again", "open(/dev/ppp)",
	"PPPIOCATTCHAN",
	"kppp_unit_create+connect", "mtu+npmode+up",
	"teardown PPPIOCDISCONN", "teardown close(chan)", "teardown close(unit)",
	"teardown close(pppox)", "teardown kl2tp_session_delete", "teardown kl2tp_tunnel_delete",
	"teardown close(udp)",
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Charge the time since *t to step, move *t on, pass err through. */
static int bench_lap(double *t, int step, int err)
{
	double now = mono_now();

	bench_step[step] += now - *t;
	*t = now;
	return err;
}

/* session_teardown() (kppp_session_close's steps one by one), each step timed. */
static void bench_teardown_one(struct ctl *c)
{
	struct kppp_session *k = &c->ppp;
	double t = mono_now();

	if (k->chan_fd >= 0 && k->unit >= 0)
		bench_lap(&t, T_DISCONN, ioctl(k->chan_fd, PPPIOCDISCONN));
	if (k->chan_fd >= 0)
		bench_lap(&t, T_CHAN, close(k->chan_fd));
	if (k->unit_fd >= 0)
		bench_lap(&t, T_UNIT, close(k->unit_fd));
	if (k->pppox_fd >= 0)
		bench_lap(&t, T_PPPOX, close(k->pppox_fd));
	kppp_session_init(k);
	bench_lap(&t, T_SESSION, kl2tp_session_delete(&c->l2tp, c->tid, c->sid));
	bench_lap(&t, T_TUNNEL, kl2tp_tunnel_delete(&c->l2tp, c->tid));
	if (c->udp_fd >= 0)
		bench_lap(&t, T_UDP, close(c->udp_fd));
	c->udp_fd = -1;
}

/* One tunnel with one session and a unit that is up: what l2tpd does per client. */
static int bench_one(struct ctl *c, const char *local, const char *peer, uint32_t i)
{
	struct sockaddr_storage lss, pss;
	int llen = udp_sock_addr(&lss, local, L2TP_UDP_PORT);
	int plen = udp_sock_addr(&pss, peer, (uint16_t)(10000 + i % 50000));
	struct udp_sock_cfg ucfg = { .local = (struct sockaddr *)&lss, .local_len = (socklen_t)llen,
				     .peer = (struct sockaddr *)&pss, .peer_len = (socklen_t)plen };
	struct kl2tp_tunnel_cfg tcfg = { .tunnel_id = i + 1, .peer_tunnel_id = i + 1, .version = 2 };
	struct kl2tp_session_cfg scfg = { .tunnel_id = i + 1, .session_id = 1, .peer_session_id = 1 };
	struct kppp_l2tp_addr pa = { .version = 2, .tunnel_id = i + 1, .session_id = 1,
				     .peer_tunnel_id = i + 1, .peer_session_id = 1,
				     .peer = (struct sockaddr *)&pss, .peer_len = (socklen_t)plen };
	double t = mono_now();
	int err;

	c->tid = i + 1;
	c->sid = 1;
	kppp_session_init(&c->ppp);
	c->udp_fd = udp_sock_open(&ucfg);
	err = bench_lap(&t, B_UDP, c->udp_fd < 0 ? c->udp_fd : 0);
	tcfg.fd = pa.tunnel_fd = c->udp_fd;
	if (!err)
		err = bench_lap(&t, B_TUNNEL, kl2tp_tunnel_create(&c->l2tp, &tcfg));
	if (!err)
		err = bench_lap(&t, B_SESSION, kl2tp_session_create(&c->l2tp, &scfg));
	if (!err)
		err = bench_lap(&t, B_PPPOX, kppp_pppox_open(&c->ppp, &pa));
	/* A no-op system call first: time that lands here is waiting for the CPU (deferred
	 * kernel work), not the ioctl's. Then kppp_channel_open's three steps one by one. */
	if (!err)
		err = bench_lap(&t, B_NOP, sched_yield());
	if (!err)
		err = bench_lap(&t, B_GCHAN,
				ioctl(c->ppp.pppox_fd, PPPIOCGCHAN, &c->ppp.chindex) < 0 ? -errno : 0);
	if (!err)
		err = bench_lap(&t, B_GCHAN2,
				ioctl(c->ppp.pppox_fd, PPPIOCGCHAN, &c->ppp.chindex) < 0 ? -errno : 0);
	if (!err) {
		c->ppp.chan_fd = open("/dev/ppp", O_RDWR | O_NONBLOCK | O_CLOEXEC);
		err = bench_lap(&t, B_OPEN, c->ppp.chan_fd < 0 ? -errno : 0);
	}
	if (!err)
		err = bench_lap(&t, B_ATTCHAN,
				ioctl(c->ppp.chan_fd, PPPIOCATTCHAN, &c->ppp.chindex) < 0 ? -errno : 0);
	if (!err)
		err = kppp_unit_create(&c->ppp, &c->rtnl, c->prefix, &c->next_index);
	if (!err)
		err = bench_lap(&t, B_UNIT, kppp_unit_connect(&c->ppp));
	if (!err)
		err = rtnl_link_set_mtu(&c->rtnl, c->ppp.ifindex, 1400);
	if (!err)
		err = kppp_unit_set_npmode(&c->ppp, PPP_IP, NPMODE_PASS);
	if (!err)
		err = bench_lap(&t, B_LINK, rtnl_link_set_up(&c->rtnl, c->ppp.ifindex, true));
	return err;
}

static int cmd_bench(int argc, char **argv)
{
	struct ctl c = { .udp_fd = -1, .prefix = KPPP_DEFAULT_PREFIX };
	struct rlimit rl;
	struct bench_clock t0, t1, t2;
	struct ctl *all;
	unsigned int n;
	int err = 0;

	if (argc != 3 || (n = (unsigned int)atoi(argv[0])) == 0)
		return 64;
	/* Four descriptors per client: raise the limit as l2tpd must (root may raise the
	 * hard limit too; the VM's default of 4096 stops at about 1,020 clients). */
	rl.rlim_cur = rl.rlim_max = 4 * (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	all = calloc(n, sizeof(*all));
	if (!all || kl2tp_open(&c.l2tp) || rtnl_open(&c.rtnl))
		return 1;
	bench_now(&t0);
	for (unsigned int i = 0; i < n && !err; i++) {
		err = bench_one(&c, argv[1], argv[2], i);
		all[i] = c;
		c.udp_fd = -1;
		if (err)
			fprintf(stderr, "bench: item %u: %s %s\n", i, strerror(-err), c.rtnl.k.errmsg);
	}
	bench_now(&t1);
	for (unsigned int i = 0; i < n; i++)
		if (all[i].tid) {
			all[i].l2tp = c.l2tp;   /* the items carry copies of the one handle */
			bench_teardown_one(&all[i]);
		}
	bench_now(&t2);
	bench_report("bench_create", n, &t0, &t1);
	bench_report("bench_teardown", n, &t1, &t2);
	for (int i = 0; i < B_STEPS; i++)
		printf("bench_step %s wall=%.3fs per_item=%.3fms\n", bench_step_name[i], bench_step[i],
		       bench_step[i] * 1000.0 / n);
	rtnl_close(&c.rtnl);
	kl2tp_close(&c.l2tp);
	free(all);
	return err ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "probe", cmd_probe, "capability report" },
	{ "show", cmd_show, "list tunnels and sessions" },
	{ "sweep", cmd_sweep, "PORT PREFIX: delete leftovers" },
	{ "session", cmd_session, "OPTIONS: one tunnel + session driven from stdin" },
	{ "bench", cmd_bench, "N LOCAL PEER: time N tunnels with a session and unit each" },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "usage: l2tpkctl COMMAND\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %-8s %s\n", commands[i].name, commands[i].help);
	return 64;
}
