/* sd_notify(3)'s wire protocol: one datagram to $NOTIFY_SOCKET, fds as SCM_RIGHTS. */
#include "common/sdnotify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SD_LISTEN_FDS_START 3
#define SD_FDS_MAX 253          /* SCM_MAX_FD is 253 */

bool sd_notify_enabled(void)
{
	const char *p = getenv("NOTIFY_SOCKET");

	return p && p[0];
}

/* $NOTIFY_SOCKET as an address: a path, or "@name" in the abstract namespace. */
static int notify_addr(struct sockaddr_un *sun, socklen_t *len)
{
	const char *p = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!p || !p[0])
		return -ENOTCONN;
	n = strlen(p);
	if ((p[0] != '/' && p[0] != '@') || n >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, p, n);
	if (p[0] == '@')
		sun->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

static int notify_send(const char *state, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * SD_FDS_MAX)];
	} ctrl;
	struct sockaddr_un sun;
	struct iovec iov = { (void *)state, strlen(state) };
	struct msghdr msg = { 0 };
	socklen_t alen;
	int fd, r = notify_addr(&sun, &alen);

	if (r < 0)
		return r;
	if (nfds > SD_FDS_MAX)
		return -E2BIG;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	msg.msg_name = &sun;
	msg.msg_namelen = alen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctrl, 0, sizeof(ctrl));
		msg.msg_control = ctrl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	r = sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int sd_notify_state(const char *state)
{
	int r = notify_send(state, NULL, 0);

	return r == -ENOTCONN ? 0 : r;
}

int sd_notify_statusf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	memcpy(buf, "STATUS=", 7);
	va_start(ap, fmt);
	n = vsnprintf(buf + 7, sizeof(buf) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return sd_notify_state(buf);
}

int sd_notify_reloading(void)
{
	struct timespec ts;
	char st[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(st, sizeof st, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	return sd_notify_state(st);
}

static bool fdname_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.:-", *p)))
			return false;
	return true;
}

int sd_notify_fdstore(const char *name, const int *fds, size_t n)
{
	char state[300];

	if (!fdname_ok(name) || n == 0)
		return -EINVAL;
	snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=%s", name);
	return notify_send(state, fds, n);
}

int sd_notify_fdstore_remove(const char *name)
{
	char state[300];

	if (!fdname_ok(name))
		return -EINVAL;
	snprintf(state, sizeof(state), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	return sd_notify_state(state);
}

static int parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (*end || errno) ? -EINVAL : 0;
}

int sd_listen_fds_named(sd_listen_fd_fn fn, void *arg)
{
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned long pid, n;
	char *copy = NULL, *save = NULL, *tok;
	int r = 0;

	if (!getenv("LISTEN_PID"))
		return 0;
	if (parse_uint(getenv("LISTEN_PID"), &pid) < 0 || parse_uint(getenv("LISTEN_FDS"), &n) < 0)
		r = -EINVAL;
	else if (pid != (unsigned long)getpid())
		r = 0;  /* meant for another process (our parent) */
	else if (n > SD_FDS_MAX)
		r = -E2BIG;
	else
		r = (int)n;
	if (r > 0) {
		copy = names ? strdup(names) : NULL;
		tok = copy ? strtok_r(copy, ":", &save) : NULL;
		for (int i = 0; i < r; i++) {
			int fd = SD_LISTEN_FDS_START + i;

			fcntl(fd, F_SETFD, FD_CLOEXEC);
			fn(fd, tok ? tok : "", arg);
			tok = tok ? strtok_r(NULL, ":", &save) : NULL;
		}
		free(copy);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return r;
}
