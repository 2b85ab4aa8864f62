/*
 * Least privilege without systemd: after a daemon has opened its sockets it keeps only
 * the capabilities it still needs (libcap-ng), optionally as an unprivileged user, and
 * can never regain the others (bounding set cleared, no_new_privs set).
 */
#ifndef L2SEC_COMMON_PRIVDROP_H
#define L2SEC_COMMON_PRIVDROP_H

#include <stdbool.h>

enum privdrop_cap {
	PRIVDROP_NET_ADMIN = 1 << 0,        /* xfrm, genl l2tp, rtnetlink, SO_MARK */
	PRIVDROP_NET_BIND_SERVICE = 1 << 1, /* bind ports < 1024 again after a reload */
	PRIVDROP_NET_RAW = 1 << 2,
};

struct privdrop_opts {
	unsigned caps;          /* enum privdrop_cap bits to keep */
	const char *user;       /* NULL: stay the current user (root keeps uid 0) */
	const char *group;      /* NULL: the user's primary group */
};

/*
 * Drop to exactly opts->caps in the effective, permitted (and, after a uid change,
 * ambient-free) sets, clear the bounding set, set PR_SET_NO_NEW_PRIVS. With a user,
 * switch uid/gid and supplementary groups, keeping the capabilities across the change.
 * Returns 0 or a negative errno; *why (static text) says what failed.
 */
int privdrop_apply(const struct privdrop_opts *opts, const char **why);

/* True when the process has the capability in its effective set. */
bool privdrop_have(enum privdrop_cap cap);

#endif
