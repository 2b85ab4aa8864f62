/* Capability dropping with libcap-ng. See privdrop.h. */
#include "common/privdrop.h"
#include "common/log.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <linux/capability.h>

static const struct {
	enum privdrop_cap bit;
	unsigned cap;
	const char *name;
} cap_map[] = {
	{ PRIVDROP_NET_ADMIN, CAP_NET_ADMIN, "cap_net_admin" },
	{ PRIVDROP_NET_BIND_SERVICE, CAP_NET_BIND_SERVICE, "cap_net_bind_service" },
	{ PRIVDROP_NET_RAW, CAP_NET_RAW, "cap_net_raw" },
	{ PRIVDROP_DAC_OVERRIDE, CAP_DAC_OVERRIDE, "cap_dac_override" },
};

#define N_CAPS (sizeof(cap_map) / sizeof(cap_map[0]))

static int cap_of(enum privdrop_cap bit)
{
	for (size_t i = 0; i < N_CAPS; i++)
		if (cap_map[i].bit == bit)
			return (int)cap_map[i].cap;
	return -1;
}

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

/* The wanted sets into libcap-ng's state (not applied yet). */
static int build_state(const struct privdrop_opts *o)
{
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < N_CAPS; i++) {
		unsigned type = 0;

		if (o->caps & cap_map[i].bit)
			type = CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET;
		else if (o->on_demand & cap_map[i].bit)
			type = CAPNG_PERMITTED;
		if (type && capng_update(CAPNG_ADD, (capng_type_t)type, cap_map[i].cap))
			return -EINVAL;
	}
	return 0;
}

/* Become uid/gid keeping the permitted set (PR_SET_KEEPCAPS); the effective set is
 * emptied by the kernel on the way and restored by the caller. */
static int change_ids(const struct privdrop_opts *o, uid_t uid, gid_t gid, const char **why)
{
	int r = o->group ? setgroups(1, &gid) : initgroups(o->user, gid);

	if (r < 0) {
		*why = "setting the supplementary groups failed";
		return -errno;
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		*why = "changing uid/gid failed";
		return -errno;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

int privdrop_apply(const struct privdrop_opts *opts, const char **why)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int r;

	*why = "";
	if (opts->user) {
		r = lookup_ids(opts, &uid, &gid, why);
		if (r < 0)
			return r;
	}
	/* Under a service manager that cut the bounding set already (systemd's
	 * CapabilityBoundingSet= without CAP_SETPCAP), it cannot be cut further: keep it. */
	capng_get_caps_process();
	bool can_cut_bounds = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;

	if (build_state(opts) < 0) {
		*why = "capng_update failed";
		return -EINVAL;
	}
	/* The bounding set first: cutting it needs CAP_SETPCAP, which is about to go. */
	if (can_cut_bounds && capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
		*why = "cutting the bounding set failed (not root?)";
		return -EPERM;
	}
	if (opts->user) {
		r = change_ids(opts, uid, gid, why);
		if (r < 0)
			return r;
	}
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		*why = "applying the capability sets failed";
		return -EPERM;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*why = "clearing the ambient set failed";
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*why = "PR_SET_NO_NEW_PRIVS failed";
		return -errno;
	}
	return 0;
}

/* "cap_a,cap_b" for the bits set, "none" when there are none. */
static const char *cap_names(unsigned bits, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_CAPS; i++)
		if (bits & cap_map[i].bit && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "",
					      cap_map[i].name);
	return buf[0] ? buf : "none";
}

int privdrop_daemon(const struct privdrop_opts *opts)
{
	char keep[128], demand[128];
	const char *why = "";
	int r;

	if (geteuid() != 0) {
		log_info("privileges_kept", "reason=\"not started as root: the service manager "
			 "chose the capabilities\"");
		return 0;
	}
	r = privdrop_apply(opts, &why);
	if (r < 0) {
		log_err("privilege_drop_failed", "err=%d reason=\"%s\"", r, why);
		return r;
	}
	log_notice("privileges_dropped", "user=%s uid=%u gid=%u caps=%s on_demand=%s",
		   opts->user ? opts->user : "root", (unsigned)getuid(), (unsigned)getgid(),
		   cap_names(opts->caps, keep, sizeof keep),
		   cap_names(opts->on_demand, demand, sizeof demand));
	return 0;
}

static bool have(capng_type_t type, enum privdrop_cap cap)
{
	int c = cap_of(cap);

	capng_get_caps_process();
	return c >= 0 && capng_have_capability(type, (unsigned)c) == 1;
}

bool privdrop_have(enum privdrop_cap cap)
{
	return have(CAPNG_EFFECTIVE, cap);
}

bool privdrop_permitted(enum privdrop_cap cap)
{
	return have(CAPNG_PERMITTED, cap);
}

static int set_effective(enum privdrop_cap cap, capng_act_t act)
{
	int c = cap_of(cap);

	if (c < 0 || capng_get_caps_process() != 0)
		return -EINVAL;
	if (capng_update(act, CAPNG_EFFECTIVE, (unsigned)c) != 0 ||
	    capng_apply(CAPNG_SELECT_CAPS) != 0)
		return -EPERM;
	return 0;
}

int privdrop_raise(enum privdrop_cap cap)
{
	return set_effective(cap, CAPNG_ADD);
}

int privdrop_lower(enum privdrop_cap cap)
{
	return set_effective(cap, CAPNG_DROP);
}
