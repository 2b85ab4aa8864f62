/*
 * l2tpd: the L2TP daemon of l2sec (L2TPv2 control plane, kernel data path, PPP engine).
 *
 *   l2tpd [-f l2tpd.conf] [-S secrets.conf] [-s l2tpd.sock] [-d] [-v] [-t]
 *
 * -d stays in the foreground and logs to stderr; -v adds debug lines. Otherwise l2tpd logs
 * to syslog (a service manager keeps it in the foreground). -t checks the configuration
 * and exits. SIGHUP reloads the configuration (reload.h); SIGTERM/SIGINT close every
 * tunnel (StopCCN) and exit. Once started, l2tpd drops the capabilities it does not need
 * and, with `user` in l2tpd.conf, runs as that user (privs.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "common/secret.h"
#include "l2tpd/daemon.h"
#include "l2tpd/l2tpd_conf.h"
#include "l2tpd/mschap.h"
#include "l2tpd/privs.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: l2tpd [-f CONFIG] [-S SECRETS] [-s SOCKET] [-d] [-v] [-t] [-h]\n"
		   "  -f CONFIG   configuration (default %s/l2tpd.conf)\n"
		   "  -S SECRETS  secrets file (default: l2tpd.secrets in CONFIG)\n"
		   "  -s SOCKET   control socket (default: l2tpd.control_socket in CONFIG)\n"
		   "  -d          foreground, log on stderr\n"
		   "  -v          debug log\n"
		   "  -t          check the configuration and exit\n",
		L2SEC_CONFDIR);
}

/* Descriptors per client: its tunnel's UDP socket, the PPPoL2TP socket, the PPP channel
 * and the PPP unit (/dev/ppp twice). Plus a margin for listener, netlink, control socket. */
#define FDS_PER_CLIENT 4
#define FDS_FIXED 64

/*
 * Raise the soft RLIMIT_NOFILE to the hard limit: the usual soft limit of 1024 would stop
 * l2tpd at about 250 clients with EMFILE. libev polls with epoll, so no select() limit
 * applies. Under systemd, LimitNOFILE= in l2tpd.service sets both limits (setrlimit is
 * filtered there, and unneeded).
 */
static void raise_fd_limit(uint32_t max_sessions)
{
	struct rlimit rl;
	unsigned long long was, need = (unsigned long long)max_sessions * FDS_PER_CLIENT + FDS_FIXED;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	was = (unsigned long long)rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("fd_limit_raise_failed", "soft=%llu hard=%llu errno=%d", was,
				 (unsigned long long)rl.rlim_max, errno);
			rl.rlim_cur = (rlim_t)was;
		}
	}
	log_info("fd_limit", "soft=%llu was=%llu hard=%llu clients=%llu",
		 (unsigned long long)rl.rlim_cur, was, (unsigned long long)rl.rlim_max,
		 rl.rlim_cur > FDS_FIXED ? ((unsigned long long)rl.rlim_cur - FDS_FIXED) / FDS_PER_CLIENT : 0);
	if (rl.rlim_cur != RLIM_INFINITY && (unsigned long long)rl.rlim_cur < need)
		log_warn("fd_limit_low",
			 "soft=%llu max_sessions=%u needs=%llu hint=\"LimitNOFILE= or ulimit -n\"",
			 (unsigned long long)rl.rlim_cur, max_sessions, need);
}

int main(int argc, char **argv)
{
	static struct l2tpd d;
	static struct l2tpd_conf conf;
	const char *conf_path = L2SEC_CONFDIR "/l2tpd.conf", *secrets = NULL, *sock = NULL;
	bool foreground = false, check_only = false, verbose = false;
	int opt, r;

	while ((opt = getopt(argc, argv, "f:S:s:dvth")) != -1) {
		switch (opt) {
		case 'f': conf_path = optarg; break;
		case 'S': secrets = optarg; break;
		case 's': sock = optarg; break;
		case 'd': foreground = true; break;
		case 'v': verbose = true; break;
		case 't': check_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	log_init("l2tpd", foreground || check_only ? LOG_TO_STDERR : LOG_TO_SYSLOG,
		 verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (secret_init() < 0) {
		fprintf(stderr, "l2tpd: libsodium did not initialise\n");
		return 1;
	}
	l2tpd_conf_defaults(&conf);
	if (l2tpd_conf_load(&conf, conf_path, secrets, stderr) < 0) {
		fprintf(stderr, "l2tpd: configuration has errors, not starting\n");
		l2tpd_conf_free(&conf);
		return 78;   /* EX_CONFIG */
	}
	if (sock) {
		snprintf(conf.ctl_path, sizeof conf.ctl_path, "%s", sock);
		conf.ctl_path_fixed = true;   /* a reload keeps it */
	}
	if (check_only) {
		printf("l2tpd: configuration OK (%zu users, %u pools)\n", l2tpd_conf_n_users(&conf), conf.n_pools);
		l2tpd_conf_free(&conf);
		return 0;
	}
	for (unsigned i = 0; conf.auth[i] != PPP_AUTH_NONE; i++)
		if (conf.auth[i] == PPP_AUTH_MSCHAPV2 && !mschap_available())
			log_warn("mschapv2_unavailable",
				 "reason=\"OpenSSL legacy provider (MD4/DES) missing\"");
	raise_fd_limit(conf.max_sessions);
	r = l2tpd_start(&d, &conf);
	if (r == 0)
		r = l2tpd_drop_privileges(&conf);   /* sockets are open: keep only what is needed */
	if (r == 0)
		r = l2tpd_run(&d) >= 0 ? 0 : -1;
	else if (r == -EALREADY)
		fprintf(stderr, "l2tpd: another l2tpd runs with control socket %s and refused to "
			"hand over to this one (see its log: successor_refused)\n", conf.ctl_path);
	else
		fprintf(stderr, "l2tpd: start-up failed: %s\n", strerror(-r));
	l2tpd_stop(&d);
	mschap_cleanup();
	l2tpd_conf_free(&conf);
	return r < 0 ? 1 : 0;
}
