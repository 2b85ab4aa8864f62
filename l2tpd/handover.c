/*
 * Hand-over of tunnels and sessions to a successor over a Unix socket. See handover.h.
 */
#include "l2tpd/handover.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/session.h"
#include "l2tpd/statestore.h"
#include "l2tpd/tunnel.h"

#define END_MARK "."
#define OK_MARK "OK"
#define REFUSED_MARK "REFUSED"
#define WAIT_MS 10000

static int handover_path(const char *ctl_path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof sun->sun_path, "%s.handover", ctl_path) >=
	    sizeof sun->sun_path)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- old side ----------------------------------------------------------------------- */

static void successor_cb(void *arg, int fd, int events)
{
	struct l2tpd *d = arg;
	struct ucred cred;
	socklen_t len = sizeof cred;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

	(void)events;
	if (c < 0)
		return;
	/* Root too: l2tpd is started as root and drops to its user only later (privdrop.h),
	 * so a successor of a daemon running as l2sec is root when it asks. */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != geteuid() && cred.uid != 0) || d->handover_conn >= 0) {
		log_warn("successor_refused", "pid=%d uid=%u reason=\"%s\"", (int)cred.pid,
			 (unsigned)cred.uid, d->handover_conn >= 0 ? "a hand-over is under way" :
			 "neither root nor our uid");
		/* Said, not just closed: the successor must not start beside us. */
		send(c, REFUSED_MARK, strlen(REFUSED_MARK), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(c);
		return;
	}
	log_notice("successor_connected", "pid=%d", (int)cred.pid);
	d->handover_conn = c;
	evloop_io_stop(&d->handover_io);
	evloop_shutdown(&d->ev, 0);   /* shutdown_hook hands over (daemon.c) */
}

int handover_listen(struct l2tpd *d)
{
	struct sockaddr_un sun;
	int fd, r = handover_path(d->conf->ctl_path, &sun);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(sun.sun_path);   /* a dead predecessor's: a live one has handed over by now */
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 || chmod(sun.sun_path, 0600) < 0 ||
	    listen(fd, 1) < 0) {
		r = -errno;
		close(fd);
		log_warn("handover_unavailable", "path=%s err=%d", sun.sun_path, r);
		return r;
	}
	d->handover_fd = fd;
	evloop_io_init(&d->handover_io, &d->ev, fd, EVLOOP_READ, successor_cb, d);
	evloop_io_start(&d->handover_io);
	return 0;
}

struct batch {
	int conn;
	char names[HANDOVER_BATCH * STATESTORE_NAME_MAX];
	size_t len;
	int fds[HANDOVER_BATCH];
	unsigned n, total;
	int err;
};

static void flush(struct batch *b)
{
	char cbuf[CMSG_SPACE(sizeof(int) * HANDOVER_BATCH)];
	struct iovec iov = { b->names, b->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (!b->n || b->err)
		return;
	memset(cbuf, 0, sizeof cbuf);
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * b->n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * b->n);
	memcpy(CMSG_DATA(cm), b->fds, sizeof(int) * b->n);
	if (sendmsg(b->conn, &mh, MSG_NOSIGNAL) != (ssize_t)b->len)
		b->err = -EIO;
	b->total += b->n;
	b->n = 0;
	b->len = 0;
}

static void add(struct batch *b, const char *name, int fd)
{
	int n;

	if (fd < 0) {
		b->err = -EBADF;
		return;
	}
	if (b->n == HANDOVER_BATCH)
		flush(b);
	n = snprintf(b->names + b->len, sizeof b->names - b->len, "%s\n", name);
	b->len += (size_t)n;
	b->fds[b->n++] = fd;
}

static int wait_answer(int conn)
{
	struct pollfd p = { .fd = conn, .events = POLLIN };
	char buf[8] = "";
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	n = recv(conn, buf, sizeof buf - 1, 0);
	return n == (ssize_t)strlen(OK_MARK) && memcmp(buf, OK_MARK, (size_t)n) == 0 ? 0 : -EPROTO;
}

int handover_send(struct l2tpd *d)
{
	struct batch b = { .conn = d->handover_conn };
	char name[STATESTORE_NAME_MAX];
	static const char *const parts[3] = { "sock", "chan", "unit" };

	if (b.conn < 0)
		return -ENOTCONN;
	add(&b, "state", statestore_fd(d));
	for (uint32_t id = 1; id < 65536; id++) {
		struct tunnel *t = d->tunnel_by_id[id];

		if (!t || t->reaping || !t->store_slot || t->state != TUNNEL_ESTABLISHED)
			continue;
		statestore_tunnel_name(name, t->tid);
		add(&b, name, t->fd);
		for (struct session *s = t->sessions; s; s = s->tunnel_next) {
			int fds[3] = { s->k.pppox_fd, s->k.chan_fd, s->k.unit_fd };

			if (!s->fds_stored)
				continue;
			for (int i = 0; i < 3; i++) {
				statestore_session_name(name, t->tid, s->sid, parts[i]);
				add(&b, name, fds[i]);
			}
		}
	}
	flush(&b);
	if (!b.err && send(b.conn, END_MARK, strlen(END_MARK), MSG_NOSIGNAL) < 0)
		b.err = -errno;
	if (!b.err)
		b.err = wait_answer(b.conn);
	if (b.err)
		log_err("handover_failed", "err=%d reason=\"closing every tunnel instead\"", b.err);
	else
		log_notice("handover_sent", "descriptors=%u", b.total);
	return b.err;
}

void handover_close(struct l2tpd *d)
{
	struct sockaddr_un sun;

	if (d->handover_fd >= 0) {
		evloop_io_stop(&d->handover_io);
		close(d->handover_fd);
		d->handover_fd = -1;
		if (d->handover_conn < 0 && handover_path(d->conf->ctl_path, &sun) == 0)
			unlink(sun.sun_path);   /* a successor binds its own */
	}
	if (d->handover_conn >= 0) {
		close(d->handover_conn);   /* the successor's signal that we are gone */
		d->handover_conn = -1;
	}
}

/* ---- new side ----------------------------------------------------------------------- */

struct received {
	int *fds;
	char (*names)[STATESTORE_NAME_MAX];
	size_t n, cap;
};

static void received_close(struct received *rx)
{
	for (size_t i = 0; i < rx->n; i++)
		close(rx->fds[i]);
	rx->n = 0;
}

static int received_add(struct received *rx, int fd, const char *name, size_t len)
{
	if (rx->n == rx->cap) {
		size_t cap = rx->cap ? rx->cap * 2 : 256;
		int *f = realloc(rx->fds, cap * sizeof *f);
		char (*nm)[STATESTORE_NAME_MAX] = f ? realloc(rx->names, cap * sizeof *nm) : NULL;

		if (f)
			rx->fds = f;
		if (!nm) {
			close(fd);
			return -ENOMEM;
		}
		rx->names = nm;
		rx->cap = cap;
	}
	if (!len || len >= STATESTORE_NAME_MAX) {
		close(fd);
		return -EPROTO;
	}
	memcpy(rx->names[rx->n], name, len);
	rx->names[rx->n][len] = 0;
	rx->fds[rx->n++] = fd;
	return 0;
}

/* One message: names one per line, as many descriptors. 1 at the end mark, 0, -errno. */
static int receive_one(int conn, struct received *rx)
{
	char buf[HANDOVER_BATCH * STATESTORE_NAME_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(int) * HANDOVER_BATCH)];
	struct iovec iov = { buf, sizeof buf - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	struct pollfd p = { .fd = conn, .events = POLLIN };
	struct cmsghdr *cm;
	int fds[HANDOVER_BATCH], nfds = 0, r = 0;
	char *name = buf;
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n == 0 ? -EPIPE : -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < k && nfds < HANDOVER_BATCH; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		}
	buf[n] = 0;
	if (!nfds && strcmp(buf, END_MARK) == 0)
		return 1;
	if (!nfds && strcmp(buf, REFUSED_MARK) == 0)
		return -EALREADY;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		r = -EPROTO;
	for (int i = 0; i < nfds; i++) {
		char *nl = memchr(name, '\n', (size_t)(buf + n - name));

		if (r < 0 || !nl) {
			close(fds[i]);
			r = -EPROTO;
			continue;
		}
		r = received_add(rx, fds[i], name, (size_t)(nl - name));
		name = nl + 1;
	}
	return r < 0 ? r : (name == buf + n ? 0 : -EPROTO);
}

int handover_receive(const char *ctl_path, sd_listen_fd_fn fn, void *arg)
{
	struct received rx = { 0 };
	struct sockaddr_un sun;
	struct pollfd p;
	int c, r = handover_path(ctl_path, &sun);

	if (r < 0)
		return 0;
	c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -errno;
	if (connect(c, (struct sockaddr *)&sun, sizeof sun) < 0) {
		r = errno;
		close(c);
		if (r != EACCES && r != EPERM)
			return 0;   /* nobody running (or a stale path): a plain start */
		/* Somebody's socket we may not use: a daemon of another user may still run. */
		log_err("handover_refused", "path=%s reason=\"cannot connect (%s): an l2tpd of "
			"another user may run with this control socket\"", sun.sun_path,
			strerror(r));
		return -EALREADY;
	}
	log_notice("handover_started", "path=%s", sun.sun_path);
	while ((r = receive_one(c, &rx)) == 0)
		;
	if (r > 0 && send(c, OK_MARK, strlen(OK_MARK), MSG_NOSIGNAL) < 0)
		r = -errno;
	if (r > 0) {
		/* wait for the predecessor to be gone: end of file on the socket */
		char b;

		p = (struct pollfd){ .fd = c, .events = POLLIN };
		if (poll(&p, 1, WAIT_MS) != 1 || recv(c, &b, 1, 0) != 0)
			log_warn("handover_slow",
				 "reason=\"predecessor still running after 10 s\"");
		for (size_t i = 0; i < rx.n; i++)
			fn(rx.fds[i], rx.names[i], arg);
		r = (int)rx.n;
		log_notice("handover_received", "descriptors=%d", r);
	} else if (r == -EALREADY) {
		log_err("handover_refused", "path=%s reason=\"another l2tpd runs with this "
			"control socket and refused to hand over (see its successor_refused line)\"",
			sun.sun_path);
		received_close(&rx);
	} else {
		log_err("handover_failed",
			"err=%d reason=\"starting without the predecessor's sessions\"", r);
		received_close(&rx);
	}
	close(c);
	free(rx.fds);
	free(rx.names);
	return r;
}
