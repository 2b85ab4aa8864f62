/*
 * l2tpd's capability drop. See privs.h.
 */
#include "l2tpd/privs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privdrop.h"
#include "l2tpd/l2tpd_conf.h"

static uint16_t listen_port(const struct l2tpd_conf *c)
{
	if (c->listen.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&c->listen)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&c->listen)->sin_port);
}

/* A reload as the user re-reads secrets.conf: say now when it will not be able to. */
static void check_secrets_owner(const struct l2tpd_conf *c)
{
	const char *path = c->secrets_override[0] ? c->secrets_override : c->secrets_path;
	const struct passwd *pw = getpwnam(c->run_user);
	struct stat st;

	if (pw && stat(path, &st) == 0 && st.st_uid != pw->pw_uid)
		log_warn("secrets_not_reloadable", "path=%s user=%s hint=\"reload runs as %s "
			 "and cannot read a file it does not own: chown %s it (mode 0600)\"",
			 path, c->run_user, c->run_user, c->run_user);
}

int l2tpd_drop_privileges(const struct l2tpd_conf *c)
{
	struct privdrop_opts o = {
		.caps = PRIVDROP_NET_ADMIN,
		.user = c->run_user[0] ? c->run_user : NULL,
		.group = c->run_group[0] ? c->run_group : NULL,
	};
	const char *why = "";
	int r;

	if (geteuid() != 0) {
		log_info("privileges_kept", "reason=\"not started as root: the service manager "
			 "chose the capabilities\"");
		return 0;
	}
	if (listen_port(c) < 1024)
		o.caps |= PRIVDROP_NET_BIND_SERVICE;
	if (o.user) {
		o.on_demand = PRIVDROP_DAC_OVERRIDE;
		check_secrets_owner(c);
	}
	r = privdrop_apply(&o, &why);
	if (r < 0) {
		log_err("privilege_drop_failed", "err=%d reason=\"%s\"", r, why);
		return r;
	}
	log_notice("privileges_dropped", "user=%s uid=%u gid=%u caps=cap_net_admin%s%s",
		   o.user ? o.user : "root", (unsigned)getuid(), (unsigned)getgid(),
		   o.caps & PRIVDROP_NET_BIND_SERVICE ? ",cap_net_bind_service" : "",
		   o.on_demand ? " on_demand=cap_dac_override" : "");
	return 0;
}
