/*
 * ikd: the IKE daemon of l2sec.
 *
 *   ikd [-f ikd.conf] [-S secrets.conf] [-s ikd.sock] [-d] [-t]
 *
 * -d stays in the foreground and logs to stderr at debug level; otherwise ikd logs to
 * syslog (a service manager keeps it in the foreground). -t checks the configuration
 * and exits. SIGHUP reloads; SIGTERM/SIGINT stop without touching kernel SAs. Once its
 * sockets are open ikd keeps CAP_NET_ADMIN only, as ikd.user when set (ikd_privs.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "common/sdnotify.h"
#include "common/secret.h"
#include "ikd/daemon.h"
#include "ikd/ikd_privs.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ikd [-f CONFIG] [-S SECRETS] [-s SOCKET] [-d] [-t] [-h]\n"
		   "  -f CONFIG   configuration (default %s/ikd.conf)\n"
		   "  -S SECRETS  secrets file (default: ikd.secrets in CONFIG, %s/secrets.conf)\n"
		   "  -s SOCKET   control socket (default: ikd.socket in CONFIG, %s/ikd.sock)\n"
		   "  -d          foreground, debug log on stderr\n"
		   "  -t          check the configuration and exit\n",
		L2SEC_CONFDIR, L2SEC_CONFDIR, L2SEC_RUNDIR);
}

static void on_reload(void *arg)
{
	char msg[300];

	ikd_reload(arg, msg, sizeof msg);      /* logged and notified inside */
}

static void on_shutdown(void *arg)
{
	sd_notify_state("STOPPING=1");
	ikd_stop(arg);
}

/* Descriptors systemd hands back: the saved SA state (ike_restore.h); nothing else is
 * expected, so anything else is closed. */
static void take_listen_fd(int fd, const char *name, void *arg)
{
	struct ikd *d = arg;
	if (strcmp(name, "ikd-state") == 0 && d->state_fd < 3)
		d->state_fd = fd;
	else
		close(fd);
}

static void apply_log_level(const struct ikd *d)
{
	if (d->foreground)
		return;
	int lvl = log_level_parse(d->conf->set.log_level);
	if (lvl >= 0)
		log_set_level((enum log_level)lvl);
}

int main(int argc, char **argv)
{
	static struct ikd d;
	const char *conf_path = L2SEC_CONFDIR "/ikd.conf";
	bool check_only = false;
	int opt;
	while ((opt = getopt(argc, argv, "f:S:s:dth")) != -1) {
		switch (opt) {
		case 'f': conf_path = optarg; break;
		case 'S': d.secrets_override = optarg; break;
		case 's': d.ctl_path = optarg; break;
		case 'd': d.foreground = true; break;
		case 't': check_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 64;
		}
	}
	d.conf_path = conf_path;
	log_init("ikd", d.foreground || check_only ? LOG_TO_STDERR : LOG_TO_SYSLOG,
		 d.foreground ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (secret_init() < 0) {
		log_err("ikd_start_failed", "reason=\"libsodium did not initialise\"");
		return 1;
	}
	struct ikd_conf *conf = NULL;
	struct ikd_conf_diag diag = { 0 };
	int rc = ikd_conf_load(conf_path, d.secrets_override, true, &conf, &diag);
	if (rc < 0) {
		for (unsigned i = 0; i < diag.n && i < IKD_DIAG_MAX; i++)
			fprintf(stderr, "%s\n", diag.text[i]);
		if (diag.n > IKD_DIAG_MAX)
			fprintf(stderr, "... and %u more errors\n", diag.n - IKD_DIAG_MAX);
		if (!diag.n)
			fprintf(stderr, "%s: %s\n", conf_path, strerror(-rc));
		return 78;      /* EX_CONFIG */
	}
	if (check_only) {
		printf("%s: %zu connections, %zu pre-shared keys: OK\n", conf_path, conf->n_conns,
		       conf->n_psks);
		ikd_conf_free(conf);
		return 0;
	}
	if (sd_listen_fds_named(take_listen_fd, &d) < 0)
		log_warn("listen_fds_invalid", "reason=\"malformed LISTEN_FDS/LISTEN_FDNAMES\"");
	static struct evloop loop;
	if (evloop_open(&loop) < 0) {
		ikd_conf_free(conf);
		return 1;
	}
	rc = ikd_init_core(&d, &loop, conf, NULL);
	if (rc < 0) {
		ikd_conf_free(conf);
		return 1;
	}
	apply_log_level(&d);
	rc = ikd_start(&d);
	if (rc < 0) {
		ikd_stop(&d);
		evloop_close(&loop);
		return 1;
	}
	/* Sockets are open: keep CAP_NET_ADMIN only, as ikd.user if set (ikd_privs.h). */
	if (ikd_drop_privileges(&d.conf->set) < 0) {
		ikd_stop(&d);
		evloop_close(&loop);
		return 1;
	}
	evloop_set_reload(&loop, on_reload, &d);
	evloop_add_cleanup(&loop, on_shutdown, &d);
	/* UDP 500/4500 and the control socket are open: tell systemd (Type=notify). */
	sd_notify_state("READY=1");
	sd_notify_statusf("%zu connections", d.conf->n_conns);
	int sig = evloop_run(&loop);
	evloop_close(&loop);
	log_notice("ikd_exit", "signal=%d", sig);
	return 0;
}
