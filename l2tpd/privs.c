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

	if (listen_port(c) < 1024)
		o.caps |= PRIVDROP_NET_BIND_SERVICE;
	if (o.user) {
		o.on_demand = PRIVDROP_DAC_OVERRIDE;
		if (geteuid() == 0)
			check_secrets_owner(c);
	}
	return privdrop_daemon(&o);
}
