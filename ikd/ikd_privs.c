/*
 * ikd's capability drop. See ikd_privs.h.
 */
#include "ikd/ikd_privs.h"

#include <unistd.h>

#include "common/log.h"
#include "common/privdrop.h"
#include "ikd/ikd_conf.h"

int ikd_drop_privileges(const struct ikd_settings *s)
{
	struct privdrop_opts o = {
		.caps = PRIVDROP_NET_ADMIN,
		.user = s->user[0] ? s->user : NULL,
		.group = s->group[0] ? s->group : NULL,
	};
	const char *why = "";
	int r;

	if (geteuid() != 0) {
		log_info("privileges_kept", "reason=\"not started as root: the service manager "
			 "chose the capabilities\"");
		return 0;
	}
	r = privdrop_apply(&o, &why);
	if (r < 0) {
		log_err("privilege_drop_failed", "err=%d reason=\"%s\"", r, why);
		return r;
	}
	log_notice("privileges_dropped", "user=%s uid=%u gid=%u caps=cap_net_admin",
		   o.user ? o.user : "root", (unsigned)getuid(), (unsigned)getgid());
	return 0;
}
