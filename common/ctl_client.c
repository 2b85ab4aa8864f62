/*
 * Control-socket transport, client side: blocking requests (vpnctl), and on libev
 * asynchronous requests, subscriptions and the event stream (daemons). The server is in
 * ctl_server.c; the protocol is described in ctl.h and docs/control-protocol.md.
 */
#include "common/ctl.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl_internal.h"
#include "common/log.h"

/* --- client ------------------------------------------------------------------------- */

struct ctl_client {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char daemon[32];
	unsigned timeout_ms;
	uint32_t seq;
	struct ev_loop *loop;       /* set while attached: watching events or async requests */
	ev_io io;
	ctl_event_fn on_event;
	ctl_closed_fn on_closed;
	void *arg;
	struct ctl_pending *pending;    /* async requests, oldest first */
	unsigned busy;              /* > 0 inside a callback: closing is deferred */
	bool close_later, dead;
	uint32_t buf[CTL_DGRAM_MAX / 4];   /* received datagrams */
	/* Requests are built here, never in buf: a callback may start a request while the
	 * rest of the datagram it was called from still waits in buf. */
	uint32_t sbuf[CTL_MSG_MAX / 4];
};

static int set_error(struct ctl_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_error(struct ctl_error *err, int errnum, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->errnum = errnum;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

/* "/run/l2sec/ikd.sock" -> "ikd": the name users know the daemon by. */
static void daemon_name(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	snprintf(out, size, "%.*s", (int)n, base);
}

static void connect_error(const struct ctl_client *c, int e, struct ctl_error *err)
{
	struct stat st;
	struct group *gr;

	if (e == ENOENT)
		set_error(err, e, "%s is not running (no %s)", c->daemon, c->path);
	else if (e == ECONNREFUSED)
		set_error(err, e, "%s is not running (stale socket %s)", c->daemon, c->path);
	else if (e == EACCES || e == EPERM) {
		gr = stat(c->path, &st) == 0 ? getgrgid(st.st_gid) : NULL;
		set_error(err, e, "permission denied on %s: are you in group %s?", c->path,
			  gr ? gr->gr_name : CTL_DEFAULT_GROUP);
	} else {
		set_error(err, e, "cannot connect to %s at %s: %s", c->daemon, c->path,
			  strerror(e));
	}
}

struct ctl_client *ctl_client_connect(const char *path, struct ctl_error *err)
{
	struct ctl_client *c;
	struct sockaddr_un sun;

	if (ctl_fill_sun(&sun, path) < 0) {
		set_error(err, ENAMETOOLONG, "bad control socket path");
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_error(err, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(c->path, sun.sun_path, sizeof(c->path));
	daemon_name(path, c->daemon, sizeof(c->daemon));
	c->timeout_ms = 5000;
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		connect_error(c, errno, err);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	return c;
}

static void client_detach(struct ctl_client *c);

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	c->on_event = NULL;
	c->on_closed = NULL;
	if (c->busy) {
		c->close_later = true;  /* a callback closed us: free when it returns */
		return;
	}
	client_detach(c);
	close(c->fd);
	free(c);
}

int ctl_client_fd(const struct ctl_client *c)
{
	return c->fd;
}

void ctl_client_set_timeout(struct ctl_client *c, unsigned ms)
{
	c->timeout_ms = ms;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on the socket until deadline. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Receive one datagram into c->buf. Returns its length, or a negative errno. */
static ssize_t client_recv(struct ctl_client *c, int64_t deadline, struct ctl_error *err)
{
	for (;;) {
		struct iovec iov = { c->buf, sizeof(c->buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
		int ret;

		if (n > 0 && (mh.msg_flags & MSG_TRUNC))
			return set_error(err, EBADMSG, "%s sent a datagram over %u bytes",
					 c->daemon, CTL_DGRAM_MAX);
		if (n > 0)
			return n;
		if (n == 0)
			return set_error(err, EPIPE, "%s closed the connection", c->daemon);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return set_error(err, errno, "reading from %s: %s", c->daemon,
					 strerror(errno));
		ret = wait_fd(c->fd, POLLIN, deadline);
		if (ret < 0)
			return set_error(err, -ret, "no answer from %s within %u ms", c->daemon,
					 c->timeout_ms);
	}
}

struct answer {
	uint16_t cmd;
	uint32_t seq;
	ctl_reply_fn reply;
	void *arg;
	int ret;        /* first failure: the daemon's, a malformed reply, the callback's */
	bool done;
};

/* One message of the answer. */
static void answer_message(struct ctl_client *c, struct answer *a, const struct nlmsghdr *nlh,
			   struct ctl_error *err)
{
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct ctl_parse_error perr;
	const char *msg;
	int e;

	if (nlh->nlmsg_seq != a->seq)
		return;     /* late answer to a timed-out request, or an event */
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		a->done = true;
		if (ctl_parse_error_msg(nlh, &e, &msg) < 0)
			e = -EBADMSG, msg = "short error message";
		if (e < 0 && !a->ret) {
			a->ret = e;
			set_error(err, -e, "%s: %s", c->daemon, msg ? msg : strerror(-e));
		}
		return;
	}
	if (nlh->nlmsg_type == NLMSG_DONE) {
		a->done = true;
		return;
	}
	if (nlh->nlmsg_type != a->cmd || ctl_attr_parse(nlh, tb, &perr) < 0) {
		if (!a->ret)
			a->ret = set_error(err, EBADMSG, "malformed answer from %s: %s", c->daemon,
					   nlh->nlmsg_type != a->cmd ? "unexpected type" : perr.why);
	} else if (!a->ret && a->reply) {
		a->ret = a->reply(nlh, tb, a->arg);
		if (a->ret > 0)
			a->ret = 0;
		if (a->ret < 0)
			set_error(err, -a->ret, "%s", strerror(-a->ret));
	}
	if (!(nlh->nlmsg_flags & NLM_F_MULTI))
		a->done = true;
}

static int client_send(struct ctl_client *c, const struct nlmsghdr *nlh, int64_t deadline,
		       struct ctl_error *err)
{
	for (;;) {
		int ret;

		if (send(c->fd, nlh, nlh->nlmsg_len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return set_error(err, errno, "sending to %s: %s", c->daemon,
					 strerror(errno));
		ret = wait_fd(c->fd, POLLOUT, deadline);
		if (ret < 0)
			return set_error(err, -ret, "%s does not take requests", c->daemon);
	}
}

/* Build the request in c->sbuf with the next sequence number. */
static int client_build(struct ctl_client *c, uint16_t cmd, ctl_build_fn build, void *arg,
			struct ctl_msg *m, struct ctl_error *err)
{
	int ret;

	if (++c->seq == 0)
		++c->seq;   /* seq 0 is for events */
	ctl_msg_init(m, c->sbuf, CTL_MSG_MAX, cmd,
		     NLM_F_REQUEST | (ctl_cmd_is_dump(cmd) ? NLM_F_DUMP : 0), c->seq);
	ret = build ? build(m, arg) : 0;
	if (ret < 0)
		return set_error(err, -ret, "building %s: %s", ctl_cmd_name(cmd), strerror(-ret));
	if (!ctl_msg_ok(m))
		return set_error(err, EMSGSIZE, "%s request larger than %u bytes",
				 ctl_cmd_name(cmd), CTL_MSG_MAX);
	return 0;
}

int ctl_client_request(struct ctl_client *c, uint16_t cmd, ctl_build_fn build,
		       ctl_reply_fn reply, void *arg, struct ctl_error *err)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	struct answer a = { .cmd = cmd, .reply = reply, .arg = arg };
	struct ctl_msg m;
	int ret;

	if (c->loop || c->dead)
		return set_error(err, c->dead ? EPIPE : EBUSY, "%s connection is %s", c->daemon,
				 c->dead ? "closed" : "attached to an event loop");
	ret = client_build(c, cmd, build, arg, &m, err);
	if (ret < 0)
		return ret;
	a.seq = c->seq;
	ret = client_send(c, m.nlh, deadline, err);
	while (ret == 0 && !a.done) {
		ssize_t n = client_recv(c, deadline, err);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)c->buf;
		int len = (int)n;

		if (n < 0)
			return (int)n;
		for (; ctl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			answer_message(c, &a, nlh, err);
		if (len > 0)
			return set_error(err, EBADMSG, "%s sent a datagram with a bad length",
					 c->daemon);
	}
	return ret ? ret : a.ret;
}

static int build_subscribe(struct ctl_msg *m, void *arg)
{
	uint64_t mask = *(const uint64_t *)arg;

	return mask == CTL_EVENT_MASK_ALL ? 0 : ctl_msg_put_u64(m, CTL_A_EVENT_MASK, mask);
}

int ctl_client_subscribe(struct ctl_client *c, uint64_t mask, struct ctl_error *err)
{
	return ctl_client_request(c, CTL_CMD_SUBSCRIBE, build_subscribe, NULL, &mask, err);
}

/* --- client on libev: event stream and asynchronous requests ------------------------ */

struct ctl_pending {
	struct ctl_pending *next;
	struct ctl_client *c;
	struct answer a;
	ctl_done_fn done;
	ev_timer timer;
	struct ctl_error err;
};

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void client_attach(struct ctl_client *c, struct ev_loop *loop)
{
	if (c->loop)
		return;
	c->loop = loop;
	ev_io_init(&c->io, client_io_cb, c->fd, EV_READ);
	c->io.data = c;
	ev_io_start(loop, &c->io);
}

/* Forget pending requests without their callbacks (the owner is closing us). */
static void client_detach(struct ctl_client *c)
{
	while (c->pending) {
		struct ctl_pending *p = c->pending;

		c->pending = p->next;
		ev_timer_stop(c->loop, &p->timer);
		free(p);
	}
	if (c->loop)
		ev_io_stop(c->loop, &c->io);
	c->loop = NULL;
}

static void pending_unlink(struct ctl_client *c, struct ctl_pending *p)
{
	for (struct ctl_pending **pp = &c->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	ev_timer_stop(c->loop, &p->timer);
	if (!c->pending && !c->on_event) {
		ev_io_stop(c->loop, &c->io);
		c->loop = NULL;
	}
}

/* Complete p: unlink first so the callback may start new requests. */
static void pending_finish(struct ctl_client *c, struct ctl_pending *p)
{
	pending_unlink(c, p);
	p->done(p->a.ret, &p->err, p->a.arg);
	free(p);
}

static void pending_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_pending *p = w->data;
	struct ctl_client *c = p->c;

	c->busy++;
	p->a.ret = set_error(&p->err, ETIMEDOUT, "no answer from %s within %u ms", c->daemon,
			     c->timeout_ms);
	pending_finish(c, p);   /* a late answer is skipped: its seq is no longer pending */
	c->busy--;
	if (c->close_later)
		ctl_client_close(c);
}

/* The connection ended: fail every pending request, then tell the event watcher. */
static void client_stream_end(struct ctl_client *c, int err)
{
	ctl_closed_fn closed = c->on_closed;
	void *arg = c->arg;

	c->dead = true;
	while (c->pending && !c->close_later) {
		struct ctl_pending *p = c->pending;

		p->a.ret = set_error(&p->err, err ? -err : EPIPE, "%s closed the connection",
				     c->daemon);
		pending_finish(c, p);
	}
	c->on_event = NULL;
	c->on_closed = NULL;
	client_detach(c);
	if (closed && !c->close_later)
		closed(err, arg);
}

static void client_message(struct ctl_client *c, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct ctl_pending *p;

	if (ctl_is_event(nlh->nlmsg_type) && nlh->nlmsg_seq == 0) {
		if (!c->on_event)
			return;
		if (ctl_attr_parse(nlh, tb, NULL) < 0) {
			log_debug("ctl_event_malformed", "socket=%s type=0x%x", c->path,
				  nlh->nlmsg_type);
			return;
		}
		c->on_event(nlh, tb, c->arg);
		return;
	}
	for (p = c->pending; p && p->a.seq != nlh->nlmsg_seq; p = p->next)
		;
	if (!p)
		return;     /* an ack we did not wait for, or a late answer */
	answer_message(c, &p->a, nlh, &p->err);
	if (p->a.done)
		pending_finish(c, p);
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	struct iovec iov = { c->buf, sizeof(c->buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)c->buf;
	int len = (int)n;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	c->busy++;
	if (n <= 0 || (mh.msg_flags & MSG_TRUNC)) {
		client_stream_end(c, n == 0 ? 0 : n < 0 ? -errno : -EMSGSIZE);
	} else {
		for (; ctl_nlmsg_ok(nlh, len) && c->loop && !c->close_later;
		     nlh = mnl_nlmsg_next(nlh, &len))
			client_message(c, nlh);
		if (len > 0 && c->loop && !c->close_later)
			client_stream_end(c, -EBADMSG);
	}
	c->busy--;
	if (c->close_later)
		ctl_client_close(c);
}

int ctl_client_watch(struct ctl_client *c, struct ev_loop *loop, ctl_event_fn on_event,
		     ctl_closed_fn on_closed, void *arg)
{
	if (!on_event || c->on_event || c->dead || (c->loop && c->loop != loop))
		return -EINVAL;
	c->on_event = on_event;
	c->on_closed = on_closed;
	c->arg = arg;
	client_attach(c, loop);
	return 0;
}

void ctl_client_unwatch(struct ctl_client *c)
{
	c->on_event = NULL;
	c->on_closed = NULL;
	if (c->loop && !c->pending) {
		ev_io_stop(c->loop, &c->io);
		c->loop = NULL;
	}
}

static int request_async(struct ctl_client *c, struct ev_loop *loop, uint16_t cmd,
			 ctl_build_fn build, void *build_arg, ctl_reply_fn reply, ctl_done_fn done,
			 void *arg, struct ctl_error *err)
{
	struct ctl_pending *p, **tail;
	struct ctl_msg m;
	int ret;

	if (!done || c->dead || (c->loop && c->loop != loop))
		return set_error(err, c->dead ? EPIPE : EINVAL, "%s connection is %s", c->daemon,
				 c->dead ? "closed" : "unusable here");
	ret = client_build(c, cmd, build, build_arg, &m, err);
	if (ret < 0)
		return ret;
	/* Requests are small; a full socket means the daemon is not reading us at all. */
	if (send(c->fd, m.nlh, m.nlh->nlmsg_len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return set_error(err, errno, "sending to %s: %s", c->daemon, strerror(errno));
	p = calloc(1, sizeof(*p));
	if (!p)
		return set_error(err, ENOMEM, "out of memory");
	p->c = c;
	p->a = (struct answer){ .cmd = cmd, .seq = c->seq, .reply = reply, .arg = arg };
	p->done = done;
	ev_timer_init(&p->timer, pending_timeout_cb, c->timeout_ms / 1000.0, 0.0);
	p->timer.data = p;
	for (tail = &c->pending; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	client_attach(c, loop);
	ev_timer_start(loop, &p->timer);
	return 0;
}

int ctl_client_request_async(struct ctl_client *c, struct ev_loop *loop, uint16_t cmd,
			     ctl_build_fn build, ctl_reply_fn reply, ctl_done_fn done, void *arg,
			     struct ctl_error *err)
{
	return request_async(c, loop, cmd, build, arg, reply, done, arg, err);
}

int ctl_client_subscribe_async(struct ctl_client *c, struct ev_loop *loop, uint64_t mask,
			       ctl_done_fn done, void *arg, struct ctl_error *err)
{
	/* build runs before this returns, so the mask may live on our stack */
	return request_async(c, loop, CTL_CMD_SUBSCRIBE, build_subscribe, &mask, NULL, done, arg,
			     err);
}
