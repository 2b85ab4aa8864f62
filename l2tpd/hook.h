/*
 * The optional session hook (docs/firewall.md): a program run on every session up and
 * down, without a shell, with the session described in L2SEC_* environment variables.
 * It runs asynchronously on the event loop; its exit status is logged and never affects
 * the session; one that runs longer than the timeout is killed.
 */
#ifndef L2SEC_L2TPD_HOOK_H
#define L2SEC_L2TPD_HOOK_H

#include <ev.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HOOK_TIMEOUT_S 30
#define HOOK_MAX_RUNNING 64
#define HOOK_ENV_MAX 14

struct hook_session {
	const char *event;              /* "session-up" / "session-down" */
	const char *user;
	struct in_addr ip;              /* 0.0.0.0 when none was given */
	const char *ifname;
	const struct sockaddr *peer;    /* AF_INET/AF_INET6, may be NULL */
	const char *ike_id;             /* may be NULL */
	uint32_t tunnel_id, session_id;
	const char *reason;             /* session-down only, may be NULL */
};

/*
 * The environment for one run: "L2SEC_EVENT=..." strings in store (caller's buffer), with
 * pointers in env[] (NULL-terminated, at most HOOK_ENV_MAX entries + NULL). Values are
 * copied as they are (no shell ever sees them). Returns the number of variables, or
 * -ENOSPC when store is too small.
 */
int hook_build_env(const struct hook_session *s, char *store, size_t storelen,
		   char *env[HOOK_ENV_MAX + 1]);

struct hook_runner;

/* path is kept by copy. Returns NULL on ENOMEM. Free with hook_runner_free (running
 * hooks are left to finish; they are no longer watched). */
struct hook_runner *hook_runner_new(struct ev_loop *loop, const char *path);
void hook_runner_free(struct hook_runner *h);
/* Start the hook for s. Returns 0 or a negative errno (logged). */
int hook_run(struct hook_runner *h, const struct hook_session *s);
/* Hooks started and not yet finished. */
unsigned hook_running(const struct hook_runner *h);

#endif
