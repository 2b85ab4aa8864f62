/*
 * vpnctl: the admin CLI for ikd and l2tpd. One table of subcommands (main.c) dispatches
 * to small command files; conn.c talks to the daemons, render.c prints what they answer.
 */
#ifndef L2SEC_CTL_VPNCTL_H
#define L2SEC_CTL_VPNCTL_H

#include <stdbool.h>

#include "common/ctl.h"

/* Exit codes scripts can rely on (documented in vpnctl(8)). */
enum vpnctl_exit {
	VPNCTL_OK = 0,
	VPNCTL_EFAIL = 1,       /* the daemon refused or failed the request */
	VPNCTL_EUSAGE = 2,      /* bad command line */
	VPNCTL_EDOWN = 3,       /* a daemon needed for the command is not running / not answering */
	VPNCTL_EPERM = 4,       /* permission denied (socket or command) */
	VPNCTL_ENOTFOUND = 5,   /* the named user/session/peer/connection does not exist */
};

enum vpnctl_daemon {
	VPNCTL_IKD = 0,
	VPNCTL_L2TPD = 1,
};

struct vpnctl {
	bool json;
	const char *rundir;     /* directory of ikd.sock and l2tpd.sock */
	unsigned timeout_ms;
};

struct vpnctl_cmd {
	const char *name;
	int (*run)(struct vpnctl *v, int argc, char **argv);
	const char *args;
	const char *help;
};

/* Connect to a daemon. On failure prints the reason to stderr and returns NULL with
 * *exit_code set. The caller owns the client (ctl_client_close). */
struct ctl_client *vpnctl_connect(const struct vpnctl *v, enum vpnctl_daemon d, int *exit_code);
const char *vpnctl_daemon_name(enum vpnctl_daemon d);

/* Map a failed request to an exit code and print "vpnctl: DAEMON: CMD: message". */
int vpnctl_request_failed(enum vpnctl_daemon d, uint16_t cmd, int ret,
			  const struct ctl_error *err);

/* Commands (one file per group). */
int cmd_status(struct vpnctl *v, int argc, char **argv);
int cmd_version(struct vpnctl *v, int argc, char **argv);
int cmd_ike(struct vpnctl *v, int argc, char **argv);
int cmd_sa(struct vpnctl *v, int argc, char **argv);
int cmd_tunnels(struct vpnctl *v, int argc, char **argv);
int cmd_sessions(struct vpnctl *v, int argc, char **argv);
int cmd_disconnect(struct vpnctl *v, int argc, char **argv);
int cmd_up(struct vpnctl *v, int argc, char **argv);
int cmd_down(struct vpnctl *v, int argc, char **argv);
int cmd_reload(struct vpnctl *v, int argc, char **argv);
int cmd_log_level(struct vpnctl *v, int argc, char **argv);
int cmd_events(struct vpnctl *v, int argc, char **argv);
int cmd_diagnose(struct vpnctl *v, int argc, char **argv);

#endif
