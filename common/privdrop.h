/*
 * Least privilege without systemd: after a daemon has opened its sockets it keeps only
 * the capabilities it still needs (libcap-ng), optionally as an unprivileged user, and
 * can never regain the others (bounding set cut to the kept set, no_new_privs set).
 *
 * A capability a daemon needs only for an instant (l2tpd opening /dev/ppp, mode 0600
 * root, as a non-root user) is kept "permitted only": not effective, not in the bounding
 * set, raised around that one call (privdrop_raise/privdrop_lower).
 */
#ifndef L2SEC_COMMON_PRIVDROP_H
#define L2SEC_COMMON_PRIVDROP_H

#include <stdbool.h>

enum privdrop_cap {
	PRIVDROP_NET_ADMIN = 1 << 0,        /* xfrm, genl l2tp, rtnetlink, SO_MARK, nftables */
	PRIVDROP_NET_BIND_SERVICE = 1 << 1, /* bind ports < 1024 again after a reload */
	PRIVDROP_NET_RAW = 1 << 2,
	PRIVDROP_DAC_OVERRIDE = 1 << 3,     /* open root-only files (/dev/ppp) as a user */
};

struct privdrop_opts {
	unsigned caps;          /* enum privdrop_cap bits to keep effective */
	unsigned on_demand;     /* bits to keep permitted only (privdrop_raise) */
	const char *user;       /* NULL: stay the current user (root keeps uid 0) */
	const char *group;      /* NULL: the user's primary group */
};

/*
 * Drop to exactly opts->caps in the effective and permitted sets (plus opts->on_demand
 * in the permitted set), cut the bounding set to opts->caps (when CAP_SETPCAP allows: a
 * service manager's smaller bounding set stays as it is), clear the inheritable and
 * ambient sets, set PR_SET_NO_NEW_PRIVS. With a user, switch uid/gid and supplementary
 * groups (the user's, or none but group), keeping those capabilities across the change.
 * Returns 0 or a negative errno; *why (static text) says what failed.
 */
int privdrop_apply(const struct privdrop_opts *opts, const char **why);

/*
 * For a daemon once its sockets are open: privdrop_apply() when started as root (not
 * root: the service manager chose the capabilities, nothing is dropped), the outcome
 * logged ("privileges_dropped" with user and sets, or "privilege_drop_failed" with why).
 * 0 or a negative errno.
 */
int privdrop_daemon(const struct privdrop_opts *opts);

/* True when the process has the capability in its effective set. */
bool privdrop_have(enum privdrop_cap cap);
/* True when it is in the permitted set (privdrop_raise() can make it effective). */
bool privdrop_permitted(enum privdrop_cap cap);

/* Make a permitted capability effective / not effective again. 0 or -EPERM. */
int privdrop_raise(enum privdrop_cap cap);
int privdrop_lower(enum privdrop_cap cap);

#endif
