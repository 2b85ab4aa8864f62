/* Reaching the daemons, and turning their failures into messages and exit codes. */
#include "ctl/vpnctl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

const char *vpnctl_daemon_name(enum vpnctl_daemon d)
{
	return d == VPNCTL_IKD ? "ikd" : "l2tpd";
}

struct ctl_client *vpnctl_connect(const struct vpnctl *v, enum vpnctl_daemon d, int *exit_code)
{
	char path[PATH_MAX];
	struct ctl_error err = { 0 };
	struct ctl_client *c;

	snprintf(path, sizeof(path), "%s/%s.sock", v->rundir, vpnctl_daemon_name(d));
	c = ctl_client_connect(path, &err);
	if (!c) {
		fprintf(stderr, "vpnctl: %s\n", err.msg);
		*exit_code = (err.errnum == EACCES || err.errnum == EPERM) ? VPNCTL_EPERM
									   : VPNCTL_EDOWN;
		return NULL;
	}
	ctl_client_set_timeout(c, v->timeout_ms);
	*exit_code = VPNCTL_OK;
	return c;
}

int vpnctl_request_failed(enum vpnctl_daemon d, uint16_t cmd, int ret,
			  const struct ctl_error *err)
{
	const char *msg = err && err->msg[0] ? err->msg : NULL;
	char fallback[64];

	if (!msg) {
		snprintf(fallback, sizeof(fallback), "error %d", -ret);
		msg = fallback;
	}
	fprintf(stderr, "vpnctl: %s: %s: %s\n", vpnctl_daemon_name(d), ctl_cmd_name(cmd), msg);
	switch (-ret) {
	case EPERM:
	case EACCES:
		return VPNCTL_EPERM;
	case ENOENT:
	case ESRCH:
		return VPNCTL_ENOTFOUND;
	case ETIMEDOUT:
	case EPIPE:
	case ECONNRESET:
		return VPNCTL_EDOWN;
	default:
		return VPNCTL_EFAIL;
	}
}
