/*
 * Control-socket transport, server side: the libev server's socket set-up, accepting
 * clients and reading their credentials, reading requests, per-client output queues and
 * events. Requests are parsed, dispatched and answered (replies, dumps, deferred replies) in
 * ctl_request.c; the client is in ctl_client.c; the protocol is described in ctl.h and
 * docs/control-protocol.md.
 */
#include "common/ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl_internal.h"
#include "common/ctl_server_priv.h"
#include "common/log.h"

#define DEFAULT_MAX_QUEUE (1u << 20)
#define DEFAULT_MAX_EVENT_BACKLOG (1u << 20)
#define DEFAULT_MAX_CLIENTS 128u
#define LISTEN_BACKLOG 64

/* --- output queue ------------------------------------------------------------------- */

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents);
static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void conn_set_reading(struct ctl_conn *conn, bool on)
{
	if (conn->dead || conn->paused == !on)
		return;
	conn->paused = !on;
	log_debug(on ? "ctl_client_resumed" : "ctl_client_paused", "socket=%s client=%u queued=%zu",
		  conn->srv->path, conn->peer.id, conn->queued);
	if (on)
		ev_io_start(conn->srv->loop, &conn->rio);
	else
		ev_io_stop(conn->srv->loop, &conn->rio);
}

/* Send what the socket takes; wait for POLLOUT for the rest. */
static void conn_flush(struct ctl_conn *conn)
{
	while (conn->head && !conn->dead) {
		struct ctl_chunk *ch = conn->head;
		ssize_t n = send(conn->fd, ch->data, ch->len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(conn->srv->loop, &conn->wio);
			return;
		}
		if (n < 0) {
			ctl_conn_kill(conn, errno == EPIPE ? "peer_closed" : "send_failed");
			return;
		}
		conn->head = ch->next;
		if (!conn->head)
			conn->tail = NULL;
		conn->queued -= ch->len;
		if (ch->event)
			conn->event_queued -= ch->len;
		free(ch);
	}
	if (conn->dead)
		return;
	ev_io_stop(conn->srv->loop, &conn->wio);
	if (conn->paused && conn->queued <= conn->srv->max_queue)
		conn_set_reading(conn, true);
}

void ctl_conn_queue_chunk(struct ctl_conn *conn, struct ctl_chunk *ch)
{
	ch->next = NULL;
	if (conn->tail)
		conn->tail->next = ch;
	else
		conn->head = ch;
	conn->tail = ch;
	conn->queued += ch->len;
	if (ch->event)
		conn->event_queued += ch->len;
	if (conn->head == ch)
		conn_flush(conn);   /* queue was empty: try to send right away */
}

struct ctl_chunk *ctl_chunk_new(size_t cap)
{
	struct ctl_chunk *ch = malloc(sizeof(*ch) + cap);

	if (ch) {
		ch->next = NULL;
		ch->len = 0;
		ch->event = false;
	}
	return ch;
}

int ctl_conn_queue(struct ctl_conn *conn, const void *data, size_t len, bool event)
{
	struct ctl_chunk *ch;

	if (conn->dead)
		return -EPIPE;
	ch = ctl_chunk_new(len);
	if (!ch) {
		ctl_conn_kill(conn, "out_of_memory");
		return -ENOMEM;
	}
	memcpy(ch->data, data, len);
	ch->len = len;
	ch->event = event;
	ctl_conn_queue_chunk(conn, ch);
	return 0;
}

/* NLMSG_ERROR in the kernel's extended-ack layout: capped echo of the request header,
 * then NLMSGERR_ATTR_MSG (and NLMSGERR_ATTR_OFFS when known). err 0 = ack. */
void ctl_conn_send_error(struct ctl_conn *conn, const struct nlmsghdr *req, int err,
			 const char *msg, uint32_t bad_off)
{
	uint32_t buf[(MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr) + 2 * MNL_ATTR_HDRLEN +
		      ERRMSG_MAX + 8) / 4];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = req ? req->nlmsg_seq : 0;
	e->error = err;
	if (req)
		memcpy(&e->msg, req, sizeof(e->msg));
	if (msg && *msg) {
		char text[ERRMSG_MAX];

		snprintf(text, sizeof(text), "%s", msg);
		mnl_attr_put_strz_check(nlh, sizeof(buf), NLMSGERR_ATTR_MSG, text);
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	}
	if (bad_off) {
		mnl_attr_put_u32_check(nlh, sizeof(buf), NLMSGERR_ATTR_OFFS, bad_off);
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	}
	ctl_conn_queue(conn, nlh, nlh->nlmsg_len, false);
}

/* --- connections -------------------------------------------------------------------- */

void ctl_conn_kill(struct ctl_conn *conn, const char *reason)
{
	struct ctl_server *srv = conn->srv;

	if (conn->dead)
		return;
	/* Normal ends at debug: every vpnctl command connects and disconnects. */
	log_event(strcmp(reason, "peer_closed") && strcmp(reason, "server_shutdown")
			  ? LOG_LVL_INFO : LOG_LVL_DEBUG,
		  "ctl_client_closed", "socket=%s client=%u uid=%u reason=%s queued=%zu",
		  srv->path, conn->peer.id, (unsigned)conn->peer.uid, reason, conn->queued);
	ev_io_stop(srv->loop, &conn->rio);
	ev_io_stop(srv->loop, &conn->wio);
	close(conn->fd);
	conn->fd = -1;
	while (conn->head) {
		struct ctl_chunk *ch = conn->head;

		conn->head = ch->next;
		free(ch);
	}
	conn->tail = NULL;
	conn->queued = conn->event_queued = 0;
	conn->dead = true;
	srv->n_conns--;
}

/* Free dead connections, unless a caller up the stack may still hold one. */
void ctl_server_reap(struct ctl_server *srv)
{
	struct ctl_conn **pp = &srv->conns;

	if (srv->busy)
		return;
	while (*pp) {
		struct ctl_conn *conn = *pp;

		if (conn->dead && !conn->deferred) {
			*pp = conn->next;
			free(conn);
		} else {
			pp = &conn->next;
		}
	}
}

static bool gid_listed(const gid_t *groups, size_t n, gid_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Fallback for kernels without SO_PEERGROUPS: the Groups: line of /proc/PID/status. */
static bool proc_groups_has(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (char *p = line + 7, *end;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			found |= g == gid;
		}
	}
	fclose(f);
	return found;
}

/* Supplementary groups of the peer: SO_PEERGROUPS (Linux >= 4.13) is captured at
 * connect time like SO_PEERCRED, so it cannot race with the peer's exit or exec. */
static bool peer_in_groups(int fd, pid_t pid, gid_t gid)
{
	gid_t small[64], *big;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, small, &len) == 0)
		return gid_listed(small, len / sizeof(gid_t), gid);
	if (errno != ERANGE)
		return proc_groups_has(pid, gid);
	big = malloc(len);
	if (big && getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, big, &len) == 0)
		found = gid_listed(big, len / sizeof(gid_t), gid);
	free(big);
	return found;
}

static void server_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_server *srv = w->data;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_conn *conn;
	int fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		/* Out of descriptors or memory: the listening socket stays readable, so
		 * stop watching it for a second instead of spinning on accept(). */
		log_warn("ctl_accept_failed", "socket=%s errno=%d retry_in_sec=1", srv->path,
			 errno);
		ev_io_stop(loop, &srv->lio);
		ev_timer_start(loop, &srv->accept_retry);
		return;
	}
	if (srv->n_conns >= srv->max_clients) {
		log_warn("ctl_client_refused", "socket=%s reason=too_many_clients max=%u",
			 srv->path, srv->max_clients);
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    !(conn = calloc(1, sizeof(*conn)))) {
		log_warn("ctl_client_refused", "socket=%s reason=no_credentials_or_memory",
			 srv->path);
		close(fd);
		return;
	}
	conn->srv = srv;
	conn->fd = fd;
	conn->peer.id = ++srv->next_id;
	conn->peer.pid = cred.pid;
	conn->peer.uid = cred.uid;
	conn->peer.gid = cred.gid;
	conn->peer.may_admin = cred.uid == srv->admin_uid;
	conn->peer.may_read = conn->peer.may_admin || cred.uid == 0 || cred.gid == srv->gid ||
			      peer_in_groups(fd, cred.pid, srv->gid);
	ev_io_init(&conn->rio, NULL, fd, EV_READ);
	ev_io_init(&conn->wio, NULL, fd, EV_WRITE);
	conn->rio.data = conn->wio.data = conn;
	conn->next = srv->conns;
	srv->conns = conn;
	srv->n_conns++;
	ev_set_cb(&conn->rio, conn_read_cb);
	ev_set_cb(&conn->wio, conn_write_cb);
	ev_io_start(loop, &conn->rio);
	log_debug("ctl_client_connected", "socket=%s client=%u pid=%d uid=%u read=%d admin=%d",
		 srv->path, conn->peer.id, (int)cred.pid, (unsigned)cred.uid,
		 conn->peer.may_read, conn->peer.may_admin);
}

static void conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *conn = w->data;
	struct ctl_server *srv = conn->srv;
	struct iovec iov = { srv->rbuf, sizeof(srv->rbuf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(conn->fd, &mh, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	srv->busy++;
	if (n <= 0) {
		ctl_conn_kill(conn, n == 0 ? "peer_closed" : "recv_failed");
	} else if (mh.msg_flags & MSG_TRUNC) {
		char why[64];

		snprintf(why, sizeof(why), "datagram larger than %u bytes", CTL_DGRAM_MAX);
		ctl_conn_send_error(conn, NULL, -EMSGSIZE, why, 0);
	} else {
		ctl_server_handle_datagram(conn, srv->rbuf, (size_t)n);
	}
	/* Do not take more requests while the client is not reading its answers. */
	if (!conn->dead && conn->queued > srv->max_queue)
		conn_set_reading(conn, false);
	srv->busy--;
	ctl_server_reap(srv);
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_conn *conn = w->data;

	conn->srv->busy++;
	conn_flush(conn);
	conn->srv->busy--;
	ctl_server_reap(conn->srv);
}

/* --- events ------------------------------------------------------------------------- */

struct ctl_msg *ctl_server_event_begin(struct ctl_server *srv, uint16_t type)
{
	ctl_msg_init(&srv->event, srv->evbuf, sizeof(srv->evbuf), type, 0, 0);
	return &srv->event;
}

int ctl_server_broadcast_event(struct ctl_server *srv)
{
	const struct nlmsghdr *nlh = srv->event.nlh;
	int sent = 0;

	if (!nlh || !ctl_is_event(nlh->nlmsg_type))
		return -EINVAL;
	if (!ctl_msg_ok(&srv->event))
		return -EMSGSIZE;
	srv->busy++;
	for (struct ctl_conn *conn = srv->conns; conn; conn = conn->next) {
		if (conn->dead || !conn->subscribed ||
		    !(conn->event_mask & ctl_event_bit(nlh->nlmsg_type)))
			continue;
		if (conn->event_queued + nlh->nlmsg_len > srv->max_event_backlog) {
			log_warn("ctl_subscriber_dropped", "socket=%s client=%u uid=%u "
				 "reason=slow_reader backlog=%zu", srv->path, conn->peer.id,
				 (unsigned)conn->peer.uid, conn->event_queued);
			ctl_conn_kill(conn, "slow_subscriber");
			continue;
		}
		if (ctl_conn_queue(conn, nlh, nlh->nlmsg_len, true) == 0)
			sent++;
	}
	srv->busy--;
	ctl_server_reap(srv);
	return sent;
}

/* --- server set-up ------------------------------------------------------------------ */

static int resolve_group(const char *name, gid_t *gid)
{
	struct group *gr = getgrnam(name ? name : CTL_DEFAULT_GROUP);

	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!name) {
		*gid = 0;   /* no l2sec group on this system: root only */
		return 0;
	}
	log_err("ctl_server_failed", "reason=unknown_group group=%s", name);
	return -ENOENT;
}

/* The path is taken. If nobody answers on it, it is a stale socket: remove it.
 * Returns 0 when removed, -EADDRINUSE when a daemon is alive, -EEXIST when it is not
 * a socket (never delete what we did not create), or another negative errno. */
static int remove_stale_socket(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, ret;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	ret = ret == 0 ? -EADDRINUSE : (errno == ECONNREFUSED ? 0 : -errno);
	close(fd);
	if (ret == 0 && unlink(sun->sun_path) < 0 && errno != ENOENT)
		ret = -errno;
	if (ret == 0)
		log_notice("ctl_stale_socket_removed", "socket=%s", sun->sun_path);
	return ret;
}

/* bind() with the umask set so the socket is born with its final mode: no chmod on a
 * path that could meanwhile be something else. */
static int bind_with_mode(int fd, const struct sockaddr_un *sun, mode_t mode)
{
	mode_t old = umask(~mode & 0777);
	int ret = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;

	umask(old);
	errno = e;
	return ret;
}

static int server_bind(struct ctl_server *srv, const struct ctl_server_options *opt)
{
	mode_t mode = opt->mode ? opt->mode : 0660;
	struct sockaddr_un sun;
	struct stat st;
	int ret = ctl_fill_sun(&sun, opt->path);

	if (ret < 0)
		return ret;
	srv->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0)
		return -errno;
	if (bind_with_mode(srv->fd, &sun, mode) < 0) {
		if (errno != EADDRINUSE)
			return -errno;
		ret = remove_stale_socket(&sun);
		if (ret < 0)
			return ret;
		if (bind_with_mode(srv->fd, &sun, mode) < 0)
			return -errno;
	}
	/* No one can connect before listen(); lchown never follows a symlink. */
	if (lchown(sun.sun_path, (uid_t)-1, srv->gid) < 0 && (opt->group || srv->gid != 0)) {
		ret = -errno;
		unlink(sun.sun_path);
		return ret;
	}
	if (lstat(sun.sun_path, &st) < 0 || listen(srv->fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		unlink(sun.sun_path);
		return ret;
	}
	srv->ino = st.st_ino;
	memcpy(srv->path, sun.sun_path, sizeof(srv->path));
	return 0;
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_server *srv = w->data;

	ev_io_start(loop, &srv->lio);
}

int ctl_server_create(struct ev_loop *loop, const struct ctl_server_options *opt,
		      const struct ctl_command *cmds, size_t n_cmds, void *arg,
		      struct ctl_server **out)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	int ret;

	*out = NULL;
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->fd = -1;
	snprintf(srv->daemon, sizeof(srv->daemon), "%s", opt->daemon ? opt->daemon : "l2sec");
	srv->admin_uid = opt->admin_uid;
	srv->authorize = opt->authorize;
	srv->max_queue = opt->max_queue ? opt->max_queue : DEFAULT_MAX_QUEUE;
	srv->max_event_backlog = opt->max_event_backlog ? opt->max_event_backlog
							: DEFAULT_MAX_EVENT_BACKLOG;
	srv->max_clients = opt->max_clients ? opt->max_clients : DEFAULT_MAX_CLIENTS;
	srv->cmds = cmds;
	srv->n_cmds = n_cmds;
	srv->arg = arg;
	ret = resolve_group(opt->group, &srv->gid);
	if (ret == 0)
		ret = server_bind(srv, opt);
	if (ret < 0) {
		log_err("ctl_server_failed", "socket=%s errno=%d reason=%s",
			opt->path ? opt->path : "(null)", -ret,
			ret == -EADDRINUSE ? "daemon_already_running" : strerror(-ret));
		if (srv->fd >= 0)
			close(srv->fd);
		free(srv);
		return ret;
	}
	ev_io_init(&srv->lio, server_accept_cb, srv->fd, EV_READ);
	srv->lio.data = srv;
	ev_io_start(loop, &srv->lio);
	ev_timer_init(&srv->accept_retry, accept_retry_cb, 1.0, 0.0);
	srv->accept_retry.data = srv;
	log_info("ctl_server_listening", "socket=%s gid=%u admin_uid=%u", srv->path,
		 (unsigned)srv->gid, (unsigned)srv->admin_uid);
	*out = srv;
	return 0;
}

void ctl_server_destroy(struct ctl_server *srv)
{
	struct stat st;

	if (!srv)
		return;
	/* Promised answers can no longer be given: their handles stay valid but inert. */
	for (struct ctl_deferred *d = srv->deferreds; d; d = d->next) {
		d->conn->deferred--;
		d->conn = NULL;
		d->pprev = NULL;
	}
	for (struct ctl_conn *conn = srv->conns; conn; conn = conn->next)
		ctl_conn_kill(conn, "server_shutdown");
	srv->busy = 0;
	ctl_server_reap(srv);
	ev_io_stop(srv->loop, &srv->lio);
	ev_timer_stop(srv->loop, &srv->accept_retry);
	close(srv->fd);
	/* Unlink only our own socket, not one a successor has bound since. */
	if (stat(srv->path, &st) == 0 && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv);
}

unsigned ctl_server_client_count(const struct ctl_server *srv)
{
	return srv->n_conns;
}

gid_t ctl_server_gid(const struct ctl_server *srv)
{
	return srv->gid;
}
