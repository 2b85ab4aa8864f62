/*
 * ikd's capability drop. See ikd_privs.h.
 */
#include "ikd/ikd_privs.h"

#include "common/privdrop.h"
#include "ikd/ikd_conf.h"

int ikd_drop_privileges(const struct ikd_settings *s)
{
	struct privdrop_opts o = {
		.caps = PRIVDROP_NET_ADMIN,
		.user = s->user[0] ? s->user : NULL,
		.group = s->group[0] ? s->group : NULL,
	};

	return privdrop_daemon(&o);
}
