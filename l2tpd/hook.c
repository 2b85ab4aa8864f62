/* Session hooks: posix_spawn, an ev_child to reap, an ev_timer to kill a stuck one. */
#include "l2tpd/hook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"

struct hook_child {
	struct hook_runner *h;
	ev_child child;
	ev_timer timeout;
	char event[16];
	uint32_t session_id;
	struct hook_child *next;
};

struct hook_runner {
	struct ev_loop *loop;
	char *path;
	unsigned running;
	struct hook_child *children;
};

static int put(char **p, size_t *left, char **env, int *n, const char *key, const char *val)
{
	int k;

	if (*n >= HOOK_ENV_MAX)
		return -ENOSPC;
	k = snprintf(*p, *left, "%s=%s", key, val ? val : "");
	if (k < 0 || (size_t)k >= *left)
		return -ENOSPC;
	env[(*n)++] = *p;
	*p += k + 1;
	*left -= (size_t)k + 1;
	return 0;
}

int hook_build_env(const struct hook_session *s, char *store, size_t storelen,
		   char *env[HOOK_ENV_MAX + 1])
{
	char ip[INET6_ADDRSTRLEN] = "", peer[INET6_ADDRSTRLEN] = "", port[8] = "";
	char tid[12], sid[12];
	char *p = store;
	size_t left = storelen;
	int n = 0, r = 0;

	if (s->ip.s_addr)
		inet_ntop(AF_INET, &s->ip, ip, sizeof(ip));
	if (s->peer && s->peer->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)s->peer;

		inet_ntop(AF_INET, &a->sin_addr, peer, sizeof(peer));
		snprintf(port, sizeof(port), "%u", ntohs(a->sin_port));
	} else if (s->peer && s->peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)s->peer;

		inet_ntop(AF_INET6, &a->sin6_addr, peer, sizeof(peer));
		snprintf(port, sizeof(port), "%u", ntohs(a->sin6_port));
	}
	snprintf(tid, sizeof(tid), "%u", s->tunnel_id);
	snprintf(sid, sizeof(sid), "%u", s->session_id);
	r |= put(&p, &left, env, &n, "L2SEC_EVENT", s->event);
	r |= put(&p, &left, env, &n, "L2SEC_USER", s->user);
	r |= put(&p, &left, env, &n, "L2SEC_IP", ip);
	r |= put(&p, &left, env, &n, "L2SEC_IFNAME", s->ifname);
	r |= put(&p, &left, env, &n, "L2SEC_PEER", peer);
	r |= put(&p, &left, env, &n, "L2SEC_PEER_PORT", port);
	r |= put(&p, &left, env, &n, "L2SEC_IKE_ID", s->ike_id);
	r |= put(&p, &left, env, &n, "L2SEC_TUNNEL_ID", tid);
	r |= put(&p, &left, env, &n, "L2SEC_SESSION_ID", sid);
	if (s->reason)
		r |= put(&p, &left, env, &n, "L2SEC_REASON", s->reason);
	r |= put(&p, &left, env, &n, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[n] = NULL;
	return r ? -ENOSPC : n;
}

struct hook_runner *hook_runner_new(struct ev_loop *loop, const char *path)
{
	struct hook_runner *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->path = strdup(path);
	if (!h->path) {
		free(h);
		return NULL;
	}
	return h;
}

static void child_forget(struct hook_child *c)
{
	struct hook_runner *h = c->h;

	ev_child_stop(h->loop, &c->child);
	ev_timer_stop(h->loop, &c->timeout);
	for (struct hook_child **pp = &h->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	h->running--;
	free(c);
}

void hook_runner_free(struct hook_runner *h)
{
	if (!h)
		return;
	while (h->children)
		child_forget(h->children);
	free(h->path);
	free(h);
}

unsigned hook_running(const struct hook_runner *h)
{
	return h->running;
}

static void on_child_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct hook_child *c = w->data;
	int st = w->rstatus;

	(void)loop;
	(void)revents;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_debug("hook_done", "event=%s session=%u", c->event, c->session_id);
	else if (WIFEXITED(st))
		log_warn("hook_failed", "hook_event=%s session=%u exit=%d", c->event, c->session_id,
			 WEXITSTATUS(st));
	else
		log_warn("hook_failed", "hook_event=%s session=%u signal=%d", c->event,
			 c->session_id, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	child_forget(c);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hook_child *c = w->data;

	(void)loop;
	(void)revents;
	log_warn("hook_timeout", "hook_event=%s session=%u pid=%d after=%ds", c->event,
		 c->session_id, c->child.pid, HOOK_TIMEOUT_S);
	kill(c->child.pid, SIGKILL);   /* reaped by on_child_exit */
}

int hook_run(struct hook_runner *h, const struct hook_session *s)
{
	char store[2048], *env[HOOK_ENV_MAX + 1], *argv[3];
	posix_spawn_file_actions_t fa;
	struct hook_child *c;
	pid_t pid;
	int r;

	if (h->running >= HOOK_MAX_RUNNING) {
		log_warn("hook_skipped", "hook_event=%s session=%u reason=\"%u hooks still running\"",
			 s->event, s->session_id, h->running);
		return -EAGAIN;
	}
	if (hook_build_env(s, store, sizeof(store), env) < 0)
		return -ENOSPC;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	argv[0] = h->path;
	argv[1] = (char *)s->event;
	argv[2] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawn(&pid, h->path, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		log_warn("hook_failed", "hook_event=%s session=%u path=%s error=\"%s\"", s->event,
			 s->session_id, h->path, strerror(r));
		free(c);
		return -r;
	}
	c->h = h;
	snprintf(c->event, sizeof(c->event), "%s", s->event);
	c->session_id = s->session_id;
	ev_child_init(&c->child, on_child_exit, pid, 0);
	c->child.data = c;
	ev_child_start(h->loop, &c->child);
	ev_timer_init(&c->timeout, on_timeout, HOOK_TIMEOUT_S, 0);
	c->timeout.data = c;
	ev_timer_start(h->loop, &c->timeout);
	c->next = h->children;
	h->children = c;
	h->running++;
	return 0;
}
