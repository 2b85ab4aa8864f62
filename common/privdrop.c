/* Capability dropping with libcap-ng. */
#include "common/privdrop.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <linux/capability.h>

static const struct {
	enum privdrop_cap bit;
	unsigned cap;
} cap_map[] = {
	{ PRIVDROP_NET_ADMIN, CAP_NET_ADMIN },
	{ PRIVDROP_NET_BIND_SERVICE, CAP_NET_BIND_SERVICE },
	{ PRIVDROP_NET_RAW, CAP_NET_RAW },
};

static int lookup_ids(const struct privdrop_opts *o, uid_t *uid, gid_t *gid, const char **why)
{
	struct passwd *pw = getpwnam(o->user);

	if (!pw) {
		*why = "unknown user";
		return -ENOENT;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (o->group) {
		struct group *gr = getgrnam(o->group);

		if (!gr) {
			*why = "unknown group";
			return -ENOENT;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int privdrop_apply(const struct privdrop_opts *opts, const char **why)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int flags = CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING;
	int r;

	*why = "";
	if (opts->user) {
		r = lookup_ids(opts, &uid, &gid, why);
		if (r < 0)
			return r;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < sizeof(cap_map) / sizeof(cap_map[0]); i++)
		if (opts->caps & cap_map[i].bit &&
		    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, cap_map[i].cap)) {
			*why = "capng_update failed";
			return -EINVAL;
		}
	if (opts->user) {
		if (initgroups(opts->user, gid) < 0) {
			*why = "initgroups failed";
			return -errno;
		}
		flags &= ~CAPNG_DROP_SUPP_GRP;
		r = capng_change_id((int)uid, (int)gid, flags);
	} else {
		r = capng_apply(CAPNG_SELECT_BOTH);
	}
	if (r != 0) {
		*why = "applying the capability sets failed (not root?)";
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*why = "PR_SET_NO_NEW_PRIVS failed";
		return -errno;
	}
	return 0;
}

bool privdrop_have(enum privdrop_cap cap)
{
	capng_get_caps_process();
	for (size_t i = 0; i < sizeof(cap_map) / sizeof(cap_map[0]); i++)
		if (cap_map[i].bit == cap)
			return capng_have_capability(CAPNG_EFFECTIVE, cap_map[i].cap) == 1;
	return false;
}
