/*
 * Control socket: request/reply, dumps, errors, permissions, malformed input, events,
 * stale sockets. Two styles, both deterministic:
 *  - in-process: the server runs on a libev loop in this process and the test talks to
 *    it through a raw SOCK_SEQPACKET socket, turning the loop with EVRUN_NOWAIT between
 *    its own sends and receives (lets the test see raw datagrams and server state);
 *  - forked: the server runs in a child process and the test uses the blocking client
 *    API, as vpnctl does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl.h"
#include "common/log.h"

#define DUMP_ENTRIES 5000u
#define FLOW_ENTRIES 50000u

struct fixture {
	char dir[64];
	char path[100];
	struct ev_loop *loop;
	struct ctl_server *srv;
	pid_t child;
};

static int log_drops;   /* "ctl_subscriber_dropped" lines seen */

static void log_capture(enum log_level level, const char *line, void *arg)
{
	if (strstr(line, "event=ctl_subscriber_dropped"))
		log_drops++;
}

/* --- the daemon under test ---------------------------------------------------------- */

/* STATUS: echo with hand-checkable changes: pid + 1, tunnel-id * 2 inside the nest. */
static int h_status(struct ctl_request *req, void *arg)
{
	const struct nlattr *nested[CTL_A_MAX + 1];
	struct sockaddr_storage ss;
	socklen_t sl;
	struct ctl_msg *m;
	struct nlattr *nest;

	if (!req->tb[CTL_A_CONN_NAME]) {
		ctl_request_set_error_msg(req, "conn-name missing");
		return -EINVAL;
	}
	m = ctl_reply_begin(req);
	ctl_msg_put_str(m, CTL_A_DAEMON, "test");
	ctl_msg_put_str(m, CTL_A_CONN_NAME, mnl_attr_get_str(req->tb[CTL_A_CONN_NAME]));
	if (req->tb[CTL_A_PID])
		ctl_msg_put_u32(m, CTL_A_PID, mnl_attr_get_u32(req->tb[CTL_A_PID]) + 1);
	if (req->tb[CTL_A_PEER_ADDR] &&
	    ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &ss, &sl) == 0)
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (struct sockaddr *)&ss);
	if (req->tb[CTL_A_LOCAL_ADDR] &&
	    ctl_attr_get_sockaddr(req->tb[CTL_A_LOCAL_ADDR], &ss, &sl) == 0)
		ctl_msg_put_sockaddr(m, CTL_A_LOCAL_ADDR, (struct sockaddr *)&ss);
	if (req->tb[CTL_A_TEST] && ctl_attr_parse_nested(req->tb[CTL_A_TEST], nested, NULL) == 0) {
		nest = ctl_msg_nest_start(m, CTL_A_TEST);
		if (nested[CTL_A_USER])
			ctl_msg_put_str(m, CTL_A_USER, mnl_attr_get_str(nested[CTL_A_USER]));
		if (nested[CTL_A_TUNNEL_ID])
			ctl_msg_put_u32(m, CTL_A_TUNNEL_ID,
					2 * mnl_attr_get_u32(nested[CTL_A_TUNNEL_ID]));
		ctl_msg_nest_end(m, nest);
	}
	ctl_msg_put_u32(m, CTL_A_CLIENT_COUNT, ctl_server_client_count(req->server));
	return ctl_reply_end(req);
}

/* TUNNEL_LIST: TUNNEL_COUNT entries (default DUMP_ENTRIES), id i, hostname "host-%05u". */
static int h_tunnel_list(struct ctl_request *req, void *arg)
{
	uint32_t n = DUMP_ENTRIES;
	char host[32];

	if (req->tb[CTL_A_TUNNEL_COUNT])
		n = mnl_attr_get_u32(req->tb[CTL_A_TUNNEL_COUNT]);
	for (uint32_t i = 0; i < n; i++) {
		struct ctl_msg *m = ctl_dump_entry_begin(req);

		snprintf(host, sizeof(host), "host-%05u", i);
		ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, i);
		ctl_msg_put_str(m, CTL_A_HOSTNAME, host);
		ctl_msg_put_u8(m, CTL_A_TUNNEL_STATE, CTL_TUNNEL_ESTABLISHED);
		if (ctl_dump_entry_end(req) < 0)
			return -EIO;
	}
	return 0;
}

static int h_disconnect(struct ctl_request *req, void *arg)
{
	ctl_request_set_error_msg(req, "no session 7 on tunnel 3");
	return -ENOENT;
}

/* RELOAD broadcasts PEER_PROTECTED_UP, TERMINATE broadcasts TUNNEL_ENDED. */
static int h_broadcast(struct ctl_request *req, void *arg)
{
	struct ctl_server *srv = req->server;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct ctl_msg *m;

	inet_pton(AF_INET, "192.0.2.10", &peer.sin_addr);
	if (req->cmd == CTL_CMD_RELOAD) {
		m = ctl_server_event_begin(srv, CTL_EVT_PEER_PROTECTED_UP);
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (struct sockaddr *)&peer);
		ctl_msg_put_str(m, CTL_A_PEER_ID, "client@example.com");
		ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, 42);
		ctl_msg_put_flag(m, CTL_A_ENCAP);
	} else {
		m = ctl_server_event_begin(srv, CTL_EVT_TUNNEL_ENDED);
		ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, 9);
		ctl_msg_put_str(m, CTL_A_REASON, "StopCCN");
	}
	return ctl_server_broadcast_event(srv) < 0 ? -EIO : 0;
}

/* INITIATE: answered later by the test through ctl_deferred_*. */
static struct ctl_deferred *deferred_initiate[4];
static int n_deferred;

static int h_initiate(struct ctl_request *req, void *arg)
{
	struct ctl_deferred *d = ctl_request_defer(req);

	if (!d)
		return -ENOMEM;
	deferred_initiate[n_deferred++ % 4] = d;
	return 0;
}

/* DELETE_PEER: defers, then fails anyway: the failure is the only answer. */
static int h_defer_then_fail(struct ctl_request *req, void *arg)
{
	h_initiate(req, arg);
	ctl_request_set_error_msg(req, "changed my mind");
	return -EBUSY;
}

/* SET_LOG_LEVEL: a reply over CTL_MSG_MAX. PEER_LIST: entries 0, 1 (too large), 2. */
static int h_too_big(struct ctl_request *req, void *arg)
{
	static char blob[4000];
	struct ctl_msg *m;

	memset(blob, 'b', sizeof(blob) - 1);
	if (req->cmd == CTL_CMD_SET_LOG_LEVEL) {
		m = ctl_reply_begin(req);
		for (int i = 0; i < 10; i++)
			ctl_msg_put_str(m, CTL_A_MESSAGE, blob);
		return ctl_reply_end(req);
	}
	for (uint32_t i = 0; i < 3; i++) {
		m = ctl_dump_entry_begin(req);
		ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, i);
		for (int j = 0; i == 1 && j < 10; j++)
			ctl_msg_put_str(m, CTL_A_MESSAGE, blob);
		assert_int_equal(ctl_dump_entry_end(req), i == 1 ? -EMSGSIZE : 0);
	}
	return 0;
}

static const struct ctl_command test_cmds[] = {
	{ CTL_CMD_SET_LOG_LEVEL, true, h_too_big },
	{ CTL_CMD_PEER_LIST, false, h_too_big },
	{ CTL_CMD_INITIATE, true, h_initiate },
	{ CTL_CMD_DELETE_PEER, true, h_defer_then_fail },
	{ CTL_CMD_STATUS, false, h_status },
	{ CTL_CMD_TUNNEL_LIST, false, h_tunnel_list },
	{ CTL_CMD_DISCONNECT, true, h_disconnect },
	{ CTL_CMD_RELOAD, true, h_broadcast },
	{ CTL_CMD_TERMINATE, true, h_broadcast },
};

static int start_server(struct fixture *f, const struct ctl_server_options *opt_in)
{
	struct ctl_server_options opt = { .daemon = "test" };

	if (opt_in)
		opt = *opt_in;
	opt.path = f->path;
	return ctl_server_create(f->loop, &opt, test_cmds, sizeof(test_cmds) / sizeof(test_cmds[0]),
				 NULL, &f->srv);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	log_init("test_ctl", LOG_TO_STDERR, LOG_LVL_INFO);
	log_set_sink(log_capture, NULL);
	snprintf(f->dir, sizeof(f->dir), "/tmp/l2sec-ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ikd.sock", f->dir);
	f->loop = ev_loop_new(EVFLAG_AUTO);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	ctl_server_destroy(f->srv);
	ev_loop_destroy(f->loop);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Run the server in a child process; returns once it listens. */
static void fork_server(struct fixture *f, const struct ctl_server_options *opt)
{
	int pfd[2];
	char c;

	assert_int_equal(pipe(pfd), 0);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

		close(pfd[0]);
		f->loop = loop;
		if (start_server(f, opt) != 0)
			_exit(1);
		if (write(pfd[1], "r", 1) != 1)
			_exit(1);
		ev_run(loop, 0);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
}

/* --- raw client helpers (in-process server) ----------------------------------------- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Turn the server's loop until a datagram is there; returns its length (0 = EOF). */
static ssize_t raw_recv(struct fixture *f, int fd, void *buf, size_t cap)
{
	for (int i = 0; i < 2000; i++) {
		ssize_t n;

		ev_run(f->loop, EVRUN_NOWAIT);
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		assert_true(errno == EAGAIN);
		poll(NULL, 0, 1);
	}
	fail_msg("no answer from the server");
	return -1;
}

/* Expect one NLMSG_ERROR with errno err (negative) and a message containing text. */
static void expect_error(struct fixture *f, int fd, uint32_t seq, int err, const char *text)
{
	uint32_t buf[CTL_DGRAM_MAX / 4];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	ssize_t n = raw_recv(f, fd, buf, sizeof(buf));
	const char *msg;
	int e;

	assert_true(n >= (ssize_t)(sizeof(*nlh) + sizeof(struct nlmsgerr)));
	assert_int_equal(nlh->nlmsg_len, n);
	assert_int_equal(nlh->nlmsg_type, NLMSG_ERROR);
	assert_int_equal(nlh->nlmsg_seq, seq);
	assert_int_equal(ctl_parse_error_msg(nlh, &e, &msg), 0);
	assert_int_equal(e, err);
	if (text) {
		assert_true(nlh->nlmsg_flags & NLM_F_ACK_TLVS);
		assert_non_null(msg);
		if (!strstr(msg, text))
			fail_msg("error text '%s' lacks '%s'", msg, text);
	}
}

static struct nlmsghdr *raw_header(void *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static void raw_send(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, 0), (ssize_t)len);
}

/* --- blocking client callbacks ------------------------------------------------------ */

static int build_status(struct ctl_msg *m, void *arg)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in6 local = { .sin6_family = AF_INET6, .sin6_port = htons(500) };
	struct nlattr *nest;

	inet_pton(AF_INET, "192.0.2.1", &peer.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &local.sin6_addr);
	ctl_msg_put_str(m, CTL_A_CONN_NAME, "office");
	ctl_msg_put_u32(m, CTL_A_PID, 41);
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (struct sockaddr *)&peer);
	ctl_msg_put_sockaddr(m, CTL_A_LOCAL_ADDR, (struct sockaddr *)&local);
	nest = ctl_msg_nest_start(m, CTL_A_TEST);
	ctl_msg_put_str(m, CTL_A_USER, "alice");
	ctl_msg_put_u32(m, CTL_A_TUNNEL_ID, 21);
	ctl_msg_nest_end(m, nest);
	return 0;
}

static int check_status(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	const struct nlattr *nested[CTL_A_MAX + 1];
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];
	socklen_t sl;
	int *calls = arg;

	(*calls)++;
	assert_int_equal(nlh->nlmsg_type, CTL_CMD_STATUS);
	assert_false(nlh->nlmsg_flags & NLM_F_MULTI);
	assert_string_equal(mnl_attr_get_str(tb[CTL_A_DAEMON]), "test");
	assert_string_equal(mnl_attr_get_str(tb[CTL_A_CONN_NAME]), "office");
	assert_int_equal(mnl_attr_get_u32(tb[CTL_A_PID]), 42);
	assert_int_equal(ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.1");
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 4500);
	assert_int_equal(ctl_attr_get_sockaddr(tb[CTL_A_LOCAL_ADDR], &ss, &sl), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof(text));
	assert_string_equal(text, "2001:db8::1");
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 500);
	assert_non_null(tb[CTL_A_TEST]);
	assert_int_equal(ctl_attr_parse_nested(tb[CTL_A_TEST], nested, NULL), 0);
	assert_string_equal(mnl_attr_get_str(nested[CTL_A_USER]), "alice");
	assert_int_equal(mnl_attr_get_u32(nested[CTL_A_TUNNEL_ID]), 42);
	return 0;
}

static int check_version(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	assert_string_equal(mnl_attr_get_str(tb[CTL_A_DAEMON]), "test");
	assert_non_null(tb[CTL_A_VERSION]);
	assert_int_equal(mnl_attr_get_u32(tb[CTL_A_PROTO_VERSION]), CTL_PROTO_VERSION);
	return 0;
}

struct dump_state {
	uint32_t next;
};

static int check_entry(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct dump_state *d = arg;
	char host[32];

	assert_int_equal(nlh->nlmsg_type, CTL_CMD_TUNNEL_LIST);
	assert_true(nlh->nlmsg_flags & NLM_F_MULTI);
	assert_int_equal(mnl_attr_get_u32(tb[CTL_A_TUNNEL_ID]), d->next);
	snprintf(host, sizeof(host), "host-%05u", d->next);
	assert_string_equal(mnl_attr_get_str(tb[CTL_A_HOSTNAME]), host);
	d->next++;
	return 0;
}

/* --- tests: forked server, blocking client ------------------------------------------ */

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	int calls = 0;

	fork_server(f, NULL);
	c = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	assert_int_equal(ctl_client_request(c, CTL_CMD_STATUS, build_status, check_status, &calls,
					     &err), 0);
	assert_int_equal(calls, 1);
	/* built-in VERSION */
	assert_int_equal(ctl_client_request(c, CTL_CMD_VERSION, NULL, check_version, NULL, &err),
			 0);
	/* a handler's own validation error comes back with its text */
	assert_int_equal(ctl_client_request(c, CTL_CMD_STATUS, NULL, NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "ikd: conn-name missing");
	ctl_client_close(c);
}

static void test_dump_blocking_client(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct dump_state d = { 0 };
	struct ctl_client *c;

	fork_server(f, NULL);
	c = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	assert_int_equal(ctl_client_request(c, CTL_CMD_TUNNEL_LIST, NULL, check_entry, &d, &err),
			 0);
	assert_int_equal(d.next, DUMP_ENTRIES);
	/* the connection is still in step: a second request works */
	d.next = 0;
	assert_int_equal(ctl_client_request(c, CTL_CMD_TUNNEL_LIST, NULL, check_entry, &d, &err),
			 0);
	assert_int_equal(d.next, DUMP_ENTRIES);
	ctl_client_close(c);
}

static void test_error_reply(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct ctl_client *c;

	fork_server(f, NULL);
	c = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	assert_int_equal(ctl_client_request(c, CTL_CMD_DISCONNECT, NULL, NULL, NULL, &err),
			 -ENOENT);
	assert_int_equal(err.errnum, ENOENT);
	assert_string_equal(err.msg, "ikd: no session 7 on tunnel 3");
	/* an unknown command: EOPNOTSUPP naming it */
	assert_int_equal(ctl_client_request(c, CTL_CMD_IKE_SA_LIST, NULL, NULL, NULL, &err),
			 -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "ike-sa-list"));
	ctl_client_close(c);
}

static void test_unauthorised_peer(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_options opt = { .daemon = "test", .admin_uid = 4242 };
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	int calls = 0;

	fork_server(f, &opt);
	c = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	/* admin command: refused before the handler runs (which would say ENOENT) */
	assert_int_equal(ctl_client_request(c, CTL_CMD_DISCONNECT, NULL, NULL, NULL, &err),
			 -EPERM);
	assert_int_equal(err.errnum, EPERM);
	assert_non_null(strstr(err.msg, "needs uid 4242 (you are uid 0)"));
	assert_int_equal(ctl_client_request(c, CTL_CMD_RELOAD, NULL, NULL, NULL, &err), -EPERM);
	/* read-only command: allowed */
	assert_int_equal(ctl_client_request(c, CTL_CMD_STATUS, build_status, check_status, &calls,
					    &err), 0);
	assert_int_equal(calls, 1);
	ctl_client_close(c);
}

struct events_seen {
	int n;
	uint16_t types[4];
	int closed;
	int closed_err;
	struct ev_loop *loop;
};

static void on_event(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct events_seen *ev = arg;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (ev->n < 4)
		ev->types[ev->n] = nlh->nlmsg_type;
	ev->n++;
	assert_int_equal(nlh->nlmsg_seq, 0);
	if (nlh->nlmsg_type == CTL_EVT_PEER_PROTECTED_UP) {
		assert_string_equal(mnl_attr_get_str(tb[CTL_A_PEER_ID]), "client@example.com");
		assert_int_equal(mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]), 42);
		assert_non_null(tb[CTL_A_ENCAP]);
		assert_int_equal(ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &ss, &sl), 0);
		assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 4500);
	} else {
		assert_int_equal(nlh->nlmsg_type, CTL_EVT_TUNNEL_ENDED);
		assert_string_equal(mnl_attr_get_str(tb[CTL_A_REASON]), "StopCCN");
	}
	ev_break(ev->loop, EVBREAK_ONE);
}

static void on_closed(int err, void *arg)
{
	struct events_seen *ev = arg;

	ev->closed++;
	ev->closed_err = err;
	ev_break(ev->loop, EVBREAK_ONE);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Run the test's loop until a callback breaks it (or 5 s pass). */
static void run_until_break(struct ev_loop *loop)
{
	ev_timer t;

	ev_timer_init(&t, timeout_cb, 5.0, 0.0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void test_event_subscription(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct ctl_client *all, *some, *admin;
	struct events_seen ev_all = { .loop = f->loop }, ev_some = { .loop = f->loop };

	fork_server(f, NULL);
	all = ctl_client_connect(f->path, &err);
	some = ctl_client_connect(f->path, &err);
	admin = ctl_client_connect(f->path, &err);
	assert_non_null(all);
	assert_non_null(some);
	assert_non_null(admin);
	assert_int_equal(ctl_client_subscribe(all, CTL_EVENT_MASK_ALL, &err), 0);
	assert_int_equal(ctl_client_subscribe(some, ctl_event_bit(CTL_EVT_TUNNEL_ENDED), &err), 0);
	assert_int_equal(ctl_client_watch(all, f->loop, on_event, on_closed, &ev_all), 0);
	assert_int_equal(ctl_client_watch(some, f->loop, on_event, on_closed, &ev_some), 0);

	/* RELOAD broadcasts PEER_PROTECTED_UP, then TERMINATE broadcasts TUNNEL_ENDED */
	assert_int_equal(ctl_client_request(admin, CTL_CMD_RELOAD, NULL, NULL, NULL, &err), 0);
	assert_int_equal(ctl_client_request(admin, CTL_CMD_TERMINATE, NULL, NULL, NULL, &err), 0);
	while (ev_all.n < 2 || ev_some.n < 1) {
		int before = ev_all.n + ev_some.n;

		run_until_break(f->loop);
		assert_true(ev_all.n + ev_some.n > before);
	}
	assert_int_equal(ev_all.types[0], CTL_EVT_PEER_PROTECTED_UP);
	assert_int_equal(ev_all.types[1], CTL_EVT_TUNNEL_ENDED);
	/* the masked subscriber skipped the first event */
	assert_int_equal(ev_some.n, 1);
	assert_int_equal(ev_some.types[0], CTL_EVT_TUNNEL_ENDED);

	/* the daemon goes away: on_closed, once, clean */
	kill(f->child, SIGKILL);
	waitpid(f->child, NULL, 0);
	f->child = 0;
	while (!ev_all.closed || !ev_some.closed)
		run_until_break(f->loop);
	assert_int_equal(ev_all.closed, 1);
	assert_int_equal(ev_all.closed_err, 0);
	ctl_client_close(all);
	ctl_client_close(some);
	ctl_client_close(admin);
}

static void test_connect_errors(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	char want[256];

	assert_null(ctl_client_connect(f->path, &err));
	assert_int_equal(err.errnum, ENOENT);
	snprintf(want, sizeof(want), "ikd is not running (no %s)", f->path);
	assert_string_equal(err.msg, want);
	/* a socket file nobody listens on */
	{
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
		close(fd);
	}
	assert_null(ctl_client_connect(f->path, &err));
	assert_int_equal(err.errnum, ECONNREFUSED);
	snprintf(want, sizeof(want), "ikd is not running (stale socket %s)", f->path);
	assert_string_equal(err.msg, want);
}

struct async_state {
	struct ev_loop *loop;
	int order[4];
	int n, want;
};

struct async_req {
	struct async_state *st;
	struct ctl_client *close_me;    /* closed from the done callback */
	int id, ret, calls;
	bool finished;
	struct dump_state dump;
	char msg[256];
};

static int async_status_reply(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
			      void *arg)
{
	return check_status(nlh, tb, &((struct async_req *)arg)->calls);
}

static int async_dump_reply(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
			    void *arg)
{
	return check_entry(nlh, tb, &((struct async_req *)arg)->dump);
}

static void async_done(int ret, const struct ctl_error *err, void *arg)
{
	struct async_req *r = arg;

	r->ret = ret;
	r->finished = true;
	if (ret < 0)
		snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
	if (r->st->n < 4)
		r->st->order[r->st->n] = r->id;
	r->st->n++;
	if (r->close_me)
		ctl_client_close(r->close_me);
	if (r->st->n >= r->st->want)
		ev_break(r->st->loop, EVBREAK_ONE);
}

static void run_until_done(struct async_state *st)
{
	while (st->n < st->want) {
		int before = st->n;

		run_until_break(st->loop);
		assert_true(st->n > before);
	}
}

static void test_async_requests(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct async_state st = { .loop = f->loop, .want = 3 };
	struct async_req r[3] = { { .st = &st, .id = 0 }, { .st = &st, .id = 1 },
				  { .st = &st, .id = 2 } };
	struct events_seen ev = { .loop = f->loop };
	struct async_req sub = { .st = &st, .id = 3 };
	struct ctl_client *c, *admin;

	fork_server(f, NULL);
	c = ctl_client_connect(f->path, &err);
	admin = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	assert_non_null(admin);
	/* three in flight at once; they complete in order */
	assert_int_equal(ctl_client_request_async(c, f->loop, CTL_CMD_STATUS, build_status,
						  async_status_reply, async_done, &r[0], &err), 0);
	assert_int_equal(ctl_client_request_async(c, f->loop, CTL_CMD_TUNNEL_LIST, NULL,
						  async_dump_reply, async_done, &r[1], &err), 0);
	assert_int_equal(ctl_client_request_async(c, f->loop, CTL_CMD_DISCONNECT, NULL, NULL,
						  async_done, &r[2], &err), 0);
	assert_int_equal(ctl_client_request(c, CTL_CMD_VERSION, NULL, NULL, NULL, &err), -EBUSY);
	run_until_done(&st);
	assert_int_equal(st.order[0], 0);
	assert_int_equal(st.order[1], 1);
	assert_int_equal(st.order[2], 2);
	assert_int_equal(r[0].ret, 0);
	assert_int_equal(r[0].calls, 1);
	assert_int_equal(r[1].ret, 0);
	assert_int_equal(r[1].dump.next, DUMP_ENTRIES);
	assert_int_equal(r[2].ret, -ENOENT);
	assert_string_equal(r[2].msg, "ikd: no session 7 on tunnel 3");
	/* nothing in flight: the client is detached and blocking calls work again */
	assert_int_equal(ctl_client_request(c, CTL_CMD_VERSION, NULL, check_version, NULL, &err),
			 0);

	/* subscribe without blocking, then events on the same client */
	st.want = 4;
	assert_int_equal(ctl_client_subscribe_async(c, f->loop, CTL_EVENT_MASK_ALL, async_done,
						    &sub, &err), 0);
	run_until_done(&st);
	assert_int_equal(sub.ret, 0);
	assert_int_equal(ctl_client_watch(c, f->loop, on_event, on_closed, &ev), 0);
	assert_int_equal(ctl_client_request(admin, CTL_CMD_RELOAD, NULL, NULL, NULL, &err), 0);
	run_until_break(f->loop);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.types[0], CTL_EVT_PEER_PROTECTED_UP);
	ctl_client_close(c);
	ctl_client_close(admin);
}

/* A request started from inside a reply callback, while the rest of the dump's datagram
 * still waits to be parsed: the new request must not overwrite it (it used to be built in
 * the receive buffer, and the dump then failed with EBADMSG). */
struct chain_req {
	struct async_req base;          /* first: async_done() reads it */
	struct ctl_client *c;
	struct ev_loop *loop;
	struct async_req *next;
	bool started;
};

static int chain_dump_reply(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
			    void *arg)
{
	struct chain_req *cr = arg;
	struct ctl_error e = { 0 };

	if (!cr->started) {
		cr->started = true;
		if (ctl_client_request_async(cr->c, cr->loop, CTL_CMD_STATUS, build_status,
					     async_status_reply, async_done, cr->next, &e) < 0)
			return -EIO;
	}
	return check_entry(nlh, tb, &cr->base.dump);
}

static void test_async_request_from_callback(void **state)
{
	struct fixture *f = *state;
	struct ctl_error err = { 0 };
	struct async_state st = { .loop = f->loop, .want = 2 };
	struct async_req status = { .st = &st, .id = 1 };
	struct chain_req cr = { .base = { .st = &st, .id = 0 }, .loop = f->loop, .next = &status };

	fork_server(f, NULL);
	cr.c = ctl_client_connect(f->path, &err);
	assert_non_null(cr.c);
	assert_int_equal(ctl_client_request_async(cr.c, f->loop, CTL_CMD_TUNNEL_LIST, NULL,
						  chain_dump_reply, async_done, &cr, &err), 0);
	run_until_done(&st);
	assert_int_equal(cr.base.ret, 0);
	assert_int_equal(cr.base.dump.next, DUMP_ENTRIES);
	assert_int_equal(status.ret, 0);
	assert_int_equal(status.calls, 1);
	ctl_client_close(cr.c);
}

/* A daemon that accepts nothing: timeouts, then the connection dies with a request in
 * flight whose callback closes the client (deferred close, checked by ASan). */
static void test_async_timeout_and_close(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_error err = { 0 };
	struct async_state st = { .loop = f->loop, .want = 1 };
	struct async_req r1 = { .st = &st, .id = 1 }, r2 = { .st = &st, .id = 2 };
	struct events_seen ev = { .loop = f->loop };
	struct ctl_client *c;
	int lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	c = ctl_client_connect(f->path, &err);
	assert_non_null(c);
	ctl_client_set_timeout(c, 50);
	assert_int_equal(ctl_client_request_async(c, f->loop, CTL_CMD_STATUS, build_status, NULL,
						  async_done, &r1, &err), 0);
	run_until_done(&st);
	assert_int_equal(r1.ret, -ETIMEDOUT);
	assert_string_equal(r1.msg, "no answer from ikd within 50 ms");

	ctl_client_set_timeout(c, 5000);
	r2.close_me = c;
	st.want = 2;
	assert_int_equal(ctl_client_request_async(c, f->loop, CTL_CMD_STATUS, build_status, NULL,
						  async_done, &r2, &err), 0);
	assert_int_equal(ctl_client_watch(c, f->loop, on_event, on_closed, &ev), 0);
	close(lfd);     /* the pending connection is reset */
	run_until_done(&st);
	assert_true(r2.ret < 0);
	assert_int_not_equal(r2.ret, -ETIMEDOUT);
	assert_int_equal(ev.closed, 0);     /* closed by the done callback first */
}

/* Run fn in a child that dropped to uid nobody, primary gid 1, supplementary groups
 * supp[0..n_supp); returns fn's result (the child's exit status). */
static int run_as_nobody(const gid_t *supp, size_t n_supp, int (*fn)(const char *path),
			 const char *path)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(n_supp, supp) < 0 || setgid(1) < 0 || setuid(65534) < 0)
			_exit(100);
		_exit(fn(path));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* In group nogroup through a supplementary group only: read yes, admin no. */
static int client_in_group(const char *path)
{
	struct ctl_error err = { 0 };
	struct ctl_client *c = ctl_client_connect(path, &err);
	int calls = 0;

	if (!c) {
		fprintf(stderr, "connect: %s\n", err.msg);
		return 1;
	}
	if (ctl_client_request(c, CTL_CMD_STATUS, build_status, check_status, &calls, &err) != 0 ||
	    calls != 1) {
		fprintf(stderr, "status: %s\n", err.msg);
		return 2;
	}
	if (ctl_client_request(c, CTL_CMD_DISCONNECT, NULL, NULL, NULL, &err) != -EPERM ||
	    !strstr(err.msg, "needs uid 0 (you are uid 65534)")) {
		fprintf(stderr, "disconnect: %s\n", err.msg);
		return 3;
	}
	ctl_client_close(c);
	return 0;
}

/* Not in the group: the socket's mode refuses the connection, with a hint. */
static int client_outside_group(const char *path)
{
	struct ctl_error err = { 0 };
	char want[256];

	if (ctl_client_connect(path, &err))
		return 1;
	snprintf(want, sizeof(want), "permission denied on %s: are you in group nogroup?", path);
	if (err.errnum != EACCES || strcmp(err.msg, want) != 0) {
		fprintf(stderr, "got '%s'\n", err.msg);
		return 2;
	}
	return 0;
}

static void test_group_members_read_only(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_options opt = { .daemon = "test", .group = "nogroup" };
	gid_t nogroup = 65534;

	if (getuid() != 0)
		skip();
	assert_int_equal(chmod(f->dir, 0755), 0);
	fork_server(f, &opt);
	assert_int_equal(run_as_nobody(&nogroup, 1, client_in_group, f->path), 0);
	assert_int_equal(run_as_nobody(NULL, 0, client_outside_group, f->path), 0);
}

/* --- tests: in-process server, raw client ------------------------------------------- */

static void test_dump_raw_datagrams(void **state)
{
	struct fixture *f = *state;
	uint32_t buf[CTL_DGRAM_MAX / 4];
	uint32_t next = 0, datagrams = 0;
	bool done = false;
	int fd;

	assert_int_equal(start_server(f, NULL), 0);
	fd = raw_connect(f->path);
	raw_send(fd, raw_header(buf, CTL_CMD_TUNNEL_LIST, NLM_F_DUMP, 77),
		 sizeof(struct nlmsghdr));
	/* Reading one datagram per loop turn: the server's socket buffer fills and the
	 * rest waits in its queue, so this also exercises the EAGAIN/write-watcher path. */
	while (!done) {
		ssize_t n = raw_recv(f, fd, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		assert_true(n > 0 && n <= (ssize_t)CTL_DGRAM_MAX);
		datagrams++;
		for (; ctl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlattr *tb[CTL_A_MAX + 1];

			assert_int_equal(nlh->nlmsg_seq, 77);
			assert_false(done);
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				continue;
			}
			assert_int_equal(ctl_attr_parse(nlh, tb, NULL), 0);
			assert_int_equal(mnl_attr_get_u32(tb[CTL_A_TUNNEL_ID]), next);
			next++;
		}
		assert_int_equal(len, 0);
	}
	assert_int_equal(next, DUMP_ENTRIES);
	/* ~45 bytes per entry: 5,000 entries cannot fit one 32 KiB datagram */
	assert_true(datagrams >= 6);
	close(fd);
}

static int log_paused, log_resumed;

static void log_count_flow(enum log_level level, const char *line, void *arg)
{
	log_paused += strstr(line, "event=ctl_client_paused") != NULL;
	log_resumed += strstr(line, "event=ctl_client_resumed") != NULL;
}

/* A client that sends requests without reading answers: the server stops reading it
 * (paused) once max_queue bytes wait, refuses further batched requests with ENOBUFS, and
 * resumes when the client catches up; nothing is lost or reordered. */
static void test_request_flow_control(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_options opt = { .daemon = "test", .max_queue = 4096 };
	uint32_t buf[CTL_DGRAM_MAX / 4];
	struct nlmsghdr *nlh;
	uint32_t next[4] = { 0 };
	int done = 0, enobufs = 0, fd;
	size_t len;

	log_set_sink(log_count_flow, NULL);
	log_set_level(LOG_LVL_DEBUG);
	assert_int_equal(start_server(f, &opt), 0);
	fd = raw_connect(f->path);
	/* one datagram with dump seq 1 and dump seq 2 batched, then a separate dump seq 3 */
	/* 50,000 entries: ~2.4 MB, more than any socket buffer holds, so output queues */
	nlh = raw_header(buf, CTL_CMD_TUNNEL_LIST, NLM_F_DUMP, 1);
	mnl_attr_put_u32(nlh, CTL_A_TUNNEL_COUNT, FLOW_ENTRIES);
	len = nlh->nlmsg_len;
	nlh = raw_header((char *)buf + len, CTL_CMD_TUNNEL_LIST, NLM_F_DUMP, 2);
	len += nlh->nlmsg_len;
	raw_send(fd, buf, len);
	nlh = raw_header(buf, CTL_CMD_TUNNEL_LIST, NLM_F_DUMP, 3);
	mnl_attr_put_u32(nlh, CTL_A_TUNNEL_COUNT, FLOW_ENTRIES);
	raw_send(fd, buf, nlh->nlmsg_len);
	for (int i = 0; i < 20; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(log_paused, 1);
	assert_int_equal(log_resumed, 0);

	while (done < 2) {
		ssize_t n = raw_recv(f, fd, buf, sizeof(buf));
		int left = (int)n;

		assert_true(n > 0);
		for (nlh = (struct nlmsghdr *)buf; ctl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlattr *tb[CTL_A_MAX + 1];
			uint32_t seq = nlh->nlmsg_seq;

			assert_true(seq >= 1 && seq <= 3);
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				assert_int_equal(seq, 2);
				enobufs++;
				continue;
			}
			/* dumps never interleave: 3 starts after 1 ended */
			assert_true(seq == 1 || next[1] == FLOW_ENTRIES + 1);
			if (nlh->nlmsg_type == NLMSG_DONE) {
				assert_int_equal(next[seq], FLOW_ENTRIES);
				next[seq]++;
				done++;
				continue;
			}
			assert_int_equal(ctl_attr_parse(nlh, tb, NULL), 0);
			assert_int_equal(mnl_attr_get_u32(tb[CTL_A_TUNNEL_ID]), next[seq]);
			next[seq]++;
		}
	}
	assert_int_equal(enobufs, 1);
	assert_true(log_resumed >= 1);
	log_set_level(LOG_LVL_INFO);
	log_set_sink(log_capture, NULL);
	close(fd);
}

static int log_accept_failed;

static void log_count_accept(enum log_level level, const char *line, void *arg)
{
	log_accept_failed += strstr(line, "event=ctl_accept_failed") != NULL;
}

/* Out of descriptors: the server stops accepting for a second instead of spinning, then
 * serves the waiting client. */
static void test_accept_out_of_fds(void **state)
{
	struct fixture *f = *state;
	uint32_t buf[1024];
	struct nlmsghdr *nlh;
	struct rlimit old, low;
	int fd, probe;

	assert_int_equal(start_server(f, NULL), 0);
	log_accept_failed = 0;
	log_set_sink(log_count_accept, NULL);
	fd = raw_connect(f->path);
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 1);
	mnl_attr_put_strz(nlh, CTL_A_CONN_NAME, "x");
	raw_send(fd, buf, nlh->nlmsg_len);
	probe = open("/dev/null", O_RDONLY);
	close(probe);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;   /* the lowest free descriptor is now over the limit */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	for (int i = 0; i < 10; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	log_set_sink(log_capture, NULL);
	assert_int_equal(log_accept_failed, 1);     /* once, not a spin */
	assert_int_equal(ctl_server_client_count(f->srv), 0);
	assert_true(raw_recv(f, fd, buf, sizeof(buf)) > 0);    /* served after the retry */
	assert_int_equal(((struct nlmsghdr *)buf)->nlmsg_type, CTL_CMD_STATUS);
	close(fd);
}

static bool refuse_status(const struct ctl_peer *peer, const struct ctl_command *cmd, void *arg)
{
	return cmd->cmd != CTL_CMD_STATUS;
}

/* Limits and options: too many clients, a custom policy, oversize replies and entries,
 * bad paths and groups. */
static void test_limits_and_options(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_options opt = { .daemon = "test", .max_clients = 1,
					  .authorize = refuse_status };
	struct ctl_server *srv;
	uint32_t buf[CTL_DGRAM_MAX / 4];
	struct nlmsghdr *nlh;
	uint32_t ids[4], n_ids = 0;
	bool done = false;
	int fd, extra;

	assert_int_equal(start_server(f, &opt), 0);
	fd = raw_connect(f->path);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	extra = raw_connect(f->path);   /* accepted by the kernel, closed by the server */
	assert_int_equal(raw_recv(f, extra, buf, sizeof(buf)), 0);
	close(extra);
	assert_int_equal(ctl_server_client_count(f->srv), 1);

	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 1);
	mnl_attr_put_strz(nlh, CTL_A_CONN_NAME, "x");
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 1, -EPERM, "status refused by the daemon's policy");

	raw_send(fd, raw_header(buf, CTL_CMD_SET_LOG_LEVEL, 0, 2), 16);
	expect_error(f, fd, 2, -EMSGSIZE, "reply larger than 32768 bytes");

	raw_send(fd, raw_header(buf, CTL_CMD_PEER_LIST, NLM_F_DUMP, 3), 16);
	while (!done) {
		ssize_t n = raw_recv(f, fd, buf, sizeof(buf));
		int left = (int)n;

		for (nlh = (struct nlmsghdr *)buf; ctl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlattr *tb[CTL_A_MAX + 1];

			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				continue;
			}
			assert_int_equal(ctl_attr_parse(nlh, tb, NULL), 0);
			ids[n_ids++ % 4] = mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]);
		}
	}
	assert_int_equal(n_ids, 2);     /* the oversize entry was dropped, the dump went on */
	assert_int_equal(ids[0], 0);
	assert_int_equal(ids[1], 2);
	close(fd);

	opt = (struct ctl_server_options){ .path = f->dir, .group = "no-such-group-l2sec" };
	assert_int_equal(ctl_server_create(f->loop, &opt, test_cmds, 1, NULL, &srv), -ENOENT);
	opt.group = NULL;
	opt.path = "/tmp/a-path-far-too-long-for-sun_path-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock";
	assert_int_equal(ctl_server_create(f->loop, &opt, test_cmds, 1, NULL, &srv),
			 -ENAMETOOLONG);
	assert_null(srv);
}

static void test_malformed_input(void **state)
{
	struct fixture *f = *state;
	uint32_t buf[CTL_DGRAM_MAX / 4 + 64];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int fd;

	assert_int_equal(start_server(f, NULL), 0);
	fd = raw_connect(f->path);

	/* truncated header */
	raw_send(fd, "\x10\x00\x00", 3);
	expect_error(f, fd, 0, -EINVAL, "truncated message: 3 bytes");

	/* nlmsg_len larger than the datagram */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 5);
	nlh->nlmsg_len = 100;
	raw_send(fd, buf, 20);
	expect_error(f, fd, 5, -EINVAL, "bad message length 100");

	/* nlmsg_len smaller than a header */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 6);
	nlh->nlmsg_len = 8;
	raw_send(fd, buf, 16);
	expect_error(f, fd, 6, -EINVAL, "bad message length 8");

	/* a good message followed by a header claiming 2^32 - 16 bytes (libmnl's own
	 * mnl_nlmsg_ok accepts that length: regression for a crash found by the mutation
	 * test) */
	nlh = raw_header(buf, CTL_CMD_SUBSCRIBE, 0, 20);
	nlh = raw_header((char *)buf + 16, CTL_CMD_STATUS, 0, 21);
	nlh->nlmsg_len = 0xfffffff0u;
	raw_send(fd, buf, 32);
	expect_error(f, fd, 20, 0, NULL);   /* the subscribe ack */
	expect_error(f, fd, 21, -EINVAL, "bad message length 4294967280 with 16 bytes left");
	assert_true(ctl_nlmsg_ok((struct nlmsghdr *)buf, 32));
	assert_false(ctl_nlmsg_ok(nlh, 16));

	/* unknown command */
	nlh = raw_header(buf, 0x7f, 0, 7);
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 7, -EOPNOTSUPP, "does not implement command 0x7f");

	/* not a request: a control type, or no NLM_F_REQUEST */
	nlh = raw_header(buf, NLMSG_DONE, 0, 8);
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 8, -EINVAL, "not a request");
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 9);
	nlh->nlmsg_flags = 0;
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 9, -EINVAL, "not a request");

	/* a u32 attribute with 2 bytes */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 10);
	mnl_attr_put_u16(nlh, CTL_A_PID, 1);
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 10, -EINVAL, "attribute pid (4): wrong size 2");

	/* a string without its NUL */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 11);
	mnl_attr_put(nlh, CTL_A_CONN_NAME, 4, "abcd");
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 11, -EINVAL, "conn-name (11): string empty or not NUL-terminated");

	/* trailing bytes that are not an attribute */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 12);
	mnl_attr_put_strz(nlh, CTL_A_CONN_NAME, "x");
	memset((char *)nlh + nlh->nlmsg_len, 0xff, 4);
	nlh->nlmsg_len += 4;
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 12, -EINVAL, "trailing bytes");

	/* an attribute whose length runs past the message */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 13);
	mnl_attr_put_u32(nlh, CTL_A_PID, 1);
	((struct nlattr *)mnl_nlmsg_get_payload(nlh))->nla_len = 200;
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 13, -EINVAL, "trailing bytes");

	/* nests deeper than the limit */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 14);
	{
		struct nlattr *nests[CTL_NEST_DEPTH_MAX + 2];

		for (int i = 0; i < CTL_NEST_DEPTH_MAX + 2; i++)
			nests[i] = mnl_attr_nest_start(nlh, CTL_A_TEST);
		mnl_attr_put_u32(nlh, CTL_A_PID, 1);
		for (int i = CTL_NEST_DEPTH_MAX + 1; i >= 0; i--)
			mnl_attr_nest_end(nlh, nests[i]);
	}
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 14, -EINVAL, "nested more than");

	/* a bad sockaddr nest: family u16 given 1 byte */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 15);
	nest = mnl_attr_nest_start(nlh, CTL_A_PEER_ADDR);
	mnl_attr_put_u8(nlh, CTL_SA_A_FAMILY, 2);
	mnl_attr_nest_end(nlh, nest);
	raw_send(fd, buf, nlh->nlmsg_len);
	expect_error(f, fd, 15, -EINVAL, "attribute sockaddr.family (1): wrong size 1");

	/* a datagram larger than the server reads */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 16);
	nlh->nlmsg_len = CTL_DGRAM_MAX + 64;
	raw_send(fd, buf, CTL_DGRAM_MAX + 64);
	expect_error(f, fd, 0, -EMSGSIZE, "larger than");

	/* still alive, same connection: a good request works */
	nlh = raw_header(buf, CTL_CMD_STATUS, 0, 17);
	mnl_attr_put_strz(nlh, CTL_A_CONN_NAME, "ok");
	raw_send(fd, buf, nlh->nlmsg_len);
	{
		const struct nlattr *tb[CTL_A_MAX + 1];
		ssize_t n = raw_recv(f, fd, buf, sizeof(buf));

		assert_true(n > 0);
		nlh = (struct nlmsghdr *)buf;
		assert_int_equal(nlh->nlmsg_type, CTL_CMD_STATUS);
		assert_int_equal(nlh->nlmsg_seq, 17);
		assert_int_equal(ctl_attr_parse(nlh, tb, NULL), 0);
		assert_string_equal(mnl_attr_get_str(tb[CTL_A_CONN_NAME]), "ok");
		assert_int_equal(mnl_attr_get_u32(tb[CTL_A_CLIENT_COUNT]), 1);
	}
	assert_int_equal(ctl_server_client_count(f->srv), 1);
	close(fd);
}

/* Deterministic xorshift, so a failure reproduces. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Thousands of mutated requests (bit flips, cut lengths, patched length fields): every
 * one is answered, nothing crashes (ASan/UBSan watch), the connection stays usable. */
static void test_mutated_requests(void **state)
{
	struct fixture *f = *state;
	uint32_t good[256], buf[CTL_DGRAM_MAX / 4];
	struct nlmsghdr *nlh = raw_header(good, CTL_CMD_STATUS, NLM_F_ACK, 1);
	uint32_t seed = 0x2545f491, len;
	struct nlattr *nest;
	int fd;

	assert_int_equal(start_server(f, NULL), 0);
	fd = raw_connect(f->path);
	mnl_attr_put_strz(nlh, CTL_A_CONN_NAME, "office");
	mnl_attr_put_u32(nlh, CTL_A_PID, 7);
	nest = mnl_attr_nest_start(nlh, CTL_A_PEER_ADDR);
	mnl_attr_put_u16(nlh, CTL_SA_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, CTL_SA_A_ADDR, 4, "\xc0\x00\x02\x01");
	mnl_attr_put_u16(nlh, CTL_SA_A_PORT, 4500);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTL_A_TEST);
	mnl_attr_put_strz(nlh, CTL_A_USER, "alice");
	mnl_attr_nest_end(nlh, nest);
	len = nlh->nlmsg_len;

	for (int i = 0; i < 5000; i++) {
		uint8_t *m = (uint8_t *)buf;
		uint32_t n = len;
		int answers = 0;
		ssize_t got;

		memcpy(buf, good, len);
		for (uint32_t flips = 1 + rnd(&seed) % 4; flips; flips--)
			m[4 + rnd(&seed) % (len - 4)] ^= (uint8_t)(1u << (rnd(&seed) % 8));
		if (rnd(&seed) % 4 == 0)
			n = 1 + rnd(&seed) % len;           /* cut anywhere, header included */
		if (rnd(&seed) % 4 == 0 && n >= 4)
			((struct nlmsghdr *)buf)->nlmsg_len = rnd(&seed) % (len + 32);
		((struct nlmsghdr *)buf)->nlmsg_seq = 1000 + (uint32_t)i;
		raw_send(fd, buf, n);
		if (n >= 16 && ((struct nlmsghdr *)buf)->nlmsg_type == NLMSG_NOOP) {
			/* NOOP is ignored, as netlink does: there may be no answer */
			ev_run(f->loop, EVRUN_NOWAIT);
			while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				ev_run(f->loop, EVRUN_NOWAIT);
			continue;
		}
		got = raw_recv(f, fd, buf, sizeof(buf));
		assert_true(got > 0);
		do {    /* a mutated length can split one datagram into several messages */
			answers++;
			ev_run(f->loop, EVRUN_NOWAIT);
			got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		} while (got > 0);
		assert_true(answers >= 1);
		/* the parsers alone, on the same bytes */
		{
			const struct nlattr *tb[CTL_A_MAX + 1];
			struct ctl_parse_error perr;
			const char *msg;
			int e;

			memcpy(buf, good, len);
			m[16 + rnd(&seed) % (len - 16)] ^= 0xff;
			if (ctl_attr_parse((struct nlmsghdr *)buf, tb, &perr) == 0 &&
			    tb[CTL_A_PEER_ADDR]) {
				struct sockaddr_storage ss;
				socklen_t sl;

				ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &ss, &sl);
			}
			((struct nlmsghdr *)buf)->nlmsg_type = NLMSG_ERROR;
			((struct nlmsghdr *)buf)->nlmsg_flags = rnd(&seed) & 0x300;
			ctl_parse_error_msg((struct nlmsghdr *)buf, &e, &msg);
			if (msg)
				assert_true(strlen(msg) < len);
		}
	}
	assert_int_equal(ctl_server_client_count(f->srv), 1);
	raw_send(fd, good, len);
	assert_true(raw_recv(f, fd, buf, sizeof(buf)) > 0);
	assert_int_equal(((struct nlmsghdr *)buf)->nlmsg_type, CTL_CMD_STATUS);
	close(fd);
}

/* A deferred answer: later requests are answered first, the reply carries the deferred
 * request's seq; error and ack forms; a client gone or a server destroyed before the
 * answer is safe. */
static void test_deferred_reply(void **state)
{
	struct fixture *f = *state;
	uint32_t buf[1024];
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct nlmsghdr *nlh;
	int fd, gone;

	n_deferred = 0;
	assert_int_equal(start_server(f, NULL), 0);
	fd = raw_connect(f->path);
	raw_send(fd, raw_header(buf, CTL_CMD_INITIATE, 0, 1), 16);
	raw_send(fd, raw_header(buf, CTL_CMD_INITIATE, 0, 2), 16);
	raw_send(fd, raw_header(buf, CTL_CMD_INITIATE, 0, 3), 16);
	raw_send(fd, raw_header(buf, CTL_CMD_SUBSCRIBE, 0, 4), 16);
	expect_error(f, fd, 4, 0, NULL);            /* answered first */
	assert_int_equal(n_deferred, 3);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);

	/* seq 2 finishes first, with a reply */
	ctl_msg_put_u32(ctl_deferred_reply_begin(deferred_initiate[1]), CTL_A_IKE_SA_ID, 5);
	assert_int_equal(ctl_deferred_finish(deferred_initiate[1], 0, NULL), 0);
	assert_true(raw_recv(f, fd, buf, sizeof(buf)) > 0);
	nlh = (struct nlmsghdr *)buf;
	assert_int_equal(nlh->nlmsg_type, CTL_CMD_INITIATE);
	assert_int_equal(nlh->nlmsg_seq, 2);
	assert_int_equal(ctl_attr_parse(nlh, tb, NULL), 0);
	assert_int_equal(mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]), 5);
	/* seq 1: an error with its text; seq 3: a plain ack */
	assert_int_equal(ctl_deferred_finish(deferred_initiate[0], -ETIMEDOUT,
					     "peer 192.0.2.7 did not answer"), 0);
	expect_error(f, fd, 1, -ETIMEDOUT, "peer 192.0.2.7 did not answer");
	assert_int_equal(ctl_deferred_finish(deferred_initiate[2], 0, NULL), 0);
	expect_error(f, fd, 3, 0, NULL);

	/* a handler that fails after deferring: one answer only */
	raw_send(fd, raw_header(buf, CTL_CMD_DELETE_PEER, 0, 5), 16);
	expect_error(f, fd, 5, -EBUSY, "changed my mind");
	assert_int_equal(n_deferred, 4);
	assert_int_equal(ctl_deferred_finish(deferred_initiate[3], 0, NULL), 0);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	n_deferred = 3;

	/* the client leaves before its answer */
	gone = raw_connect(f->path);
	raw_send(gone, raw_header(buf, CTL_CMD_INITIATE, 0, 9), 16);
	for (int i = 0; i < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(n_deferred, 4);
	close(gone);
	for (int i = 0; i < 5 && ctl_server_client_count(f->srv) == 2; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(ctl_server_client_count(f->srv), 1);
	ctl_msg_put_u32(ctl_deferred_reply_begin(deferred_initiate[3]), CTL_A_IKE_SA_ID, 6);
	assert_int_equal(ctl_deferred_finish(deferred_initiate[3], 0, NULL), -ENOTCONN);

	/* the server goes away before the answer */
	raw_send(fd, raw_header(buf, CTL_CMD_INITIATE, 0, 10), 16);
	for (int i = 0; i < 5 && n_deferred < 5; i++)
		ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(n_deferred, 5);
	ctl_server_destroy(f->srv);
	f->srv = NULL;
	ctl_msg_put_u32(ctl_deferred_reply_begin(deferred_initiate[0]), CTL_A_IKE_SA_ID, 7);
	assert_int_equal(ctl_deferred_finish(deferred_initiate[0], 0, NULL), -ENOTCONN);
	close(fd);
}

static void test_ack_and_error_layout(void **state)
{
	struct fixture *f = *state;
	uint32_t buf[1024];
	struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	int fd;

	assert_int_equal(start_server(f, NULL), 0);
	fd = raw_connect(f->path);
	/* SUBSCRIBE has no reply: an ack, error 0, request header echoed, capped */
	nlh = raw_header(buf, CTL_CMD_SUBSCRIBE, 0, 3);
	raw_send(fd, buf, nlh->nlmsg_len);
	assert_int_equal(raw_recv(f, fd, buf, sizeof(buf)),
			 MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	nlh = (struct nlmsghdr *)buf;
	e = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_type, NLMSG_ERROR);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_CAPPED);
	assert_int_equal(e->error, 0);
	assert_int_equal(e->msg.nlmsg_type, CTL_CMD_SUBSCRIBE);
	assert_int_equal(e->msg.nlmsg_seq, 3);
	/* an error: NLM_F_ACK_TLVS with NLMSGERR_ATTR_MSG right after the capped echo */
	nlh = raw_header(buf, CTL_CMD_DISCONNECT, 0, 4);
	raw_send(fd, buf, nlh->nlmsg_len);
	assert_true(raw_recv(f, fd, buf, sizeof(buf)) > 0);
	nlh = (struct nlmsghdr *)buf;
	e = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	assert_int_equal(e->error, -ENOENT);
	{
		const struct nlattr *a = (const struct nlattr *)(e + 1);

		assert_int_equal(mnl_attr_get_type(a), NLMSGERR_ATTR_MSG);
		assert_string_equal(mnl_attr_get_str(a), "no session 7 on tunnel 3");
	}
	close(fd);
}

static void test_slow_subscriber_dropped(void **state)
{
	struct fixture *f = *state;
	struct ctl_server_options opt = { .daemon = "test", .max_event_backlog = 64 * 1024 };
	uint32_t buf[1024];
	char blob[1000];
	struct nlmsghdr *nlh;
	int slow, fast, sent = 0, i;

	assert_int_equal(start_server(f, &opt), 0);
	slow = raw_connect(f->path);
	fast = raw_connect(f->path);
	nlh = raw_header(buf, CTL_CMD_SUBSCRIBE, 0, 1);
	raw_send(slow, buf, nlh->nlmsg_len);
	expect_error(f, slow, 1, 0, NULL);
	raw_send(fast, buf, nlh->nlmsg_len);
	expect_error(f, fast, 1, 0, NULL);
	assert_int_equal(ctl_server_client_count(f->srv), 2);

	memset(blob, 'x', sizeof(blob) - 1);
	blob[sizeof(blob) - 1] = '\0';
	log_drops = 0;
	/* The slow one never reads; the fast one drains after every event. */
	for (i = 0; i < 5000 && ctl_server_client_count(f->srv) == 2; i++) {
		struct ctl_msg *m = ctl_server_event_begin(f->srv, CTL_EVT_SESSION_UP);

		ctl_msg_put_str(m, CTL_A_REASON, blob);
		sent = ctl_server_broadcast_event(f->srv);
		assert_true(sent >= 1);
		assert_true(raw_recv(f, fast, buf, sizeof(buf)) > 1000);
	}
	assert_true(i < 5000);
	assert_int_equal(ctl_server_client_count(f->srv), 1);
	assert_int_equal(log_drops, 1);
	/* the slow client sees the queued events, then EOF */
	{
		ssize_t n;
		int events = 0;

		while ((n = raw_recv(f, slow, buf, sizeof(buf))) > 0)
			events++;
		assert_int_equal(n, 0);
		assert_true(events > 0);
	}
	/* the daemon did not block and the fast subscriber still gets events */
	ctl_server_event_begin(f->srv, CTL_EVT_SESSION_DOWN);
	assert_int_equal(ctl_server_broadcast_event(f->srv), 1);
	assert_true(raw_recv(f, fast, buf, sizeof(buf)) > 0);
	close(slow);
	close(fast);
}

static void test_stale_and_live_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_server *second;
	struct ctl_server_options opt = { .path = f->path, .daemon = "test" };
	struct stat st;
	int fd;

	/* a stale socket file: bound, then its owner died */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(start_server(f, NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, ctl_server_gid(f->srv));

	/* a live one: refused, and left alone */
	assert_int_equal(ctl_server_create(f->loop, &opt, test_cmds, 1, NULL, &second),
			 -EADDRINUSE);
	assert_null(second);
	fd = raw_connect(f->path);
	close(fd);

	/* destroy removes the socket; a path that is not a socket is never deleted */
	ctl_server_destroy(f->srv);
	f->srv = NULL;
	assert_int_equal(stat(f->path, &st), -1);
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_server_create(f->loop, &opt, test_cmds, 1, NULL, &second), -EEXIST);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	unlink(f->path);

	/* another mode, born with it (umask at bind), whatever the process umask */
	opt.mode = 0640;
	umask(0);
	assert_int_equal(ctl_server_create(f->loop, &opt, test_cmds, 1, NULL, &f->srv), 0);
	assert_int_equal(umask(022), 0);    /* the process umask was restored */
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void test_catalogue(void **state)
{
	assert_string_equal(ctl_cmd_name(CTL_CMD_IKE_SA_LIST), "ike-sa-list");
	assert_int_equal(ctl_cmd_by_name("peer-protected-up"), CTL_EVT_PEER_PROTECTED_UP);
	assert_int_equal(ctl_cmd_by_name("nope"), -ENOENT);
	assert_true(ctl_cmd_is_dump(CTL_CMD_SESSION_LIST));
	assert_false(ctl_cmd_is_dump(CTL_CMD_DISCONNECT));
	assert_string_equal(ctl_cmd_name(0x99), "unknown");
	assert_string_equal(ctl_attr_name(CTL_A_PEER_ADDR), "peer-addr");
	assert_string_equal(ctl_enum_name(ctl_tunnel_state_names, CTL_TUNNEL_ESTABLISHED, "?"),
			    "established");
	assert_string_equal(ctl_enum_name(ctl_tunnel_state_names, 99, "?"), "?");
	{
		uint32_t v;

		assert_int_equal(ctl_enum_value(ctl_ike_state_names, "rekeying", &v), 0);
		assert_int_equal(v, CTL_IKE_REKEYING);
	}
	assert_ptr_equal(ctl_attr_enum(CTL_A_TUNNEL_STATE), ctl_tunnel_state_names);
	assert_null(ctl_attr_enum(CTL_A_TUNNEL_ID));
	/* log-level names agree with common/log.h */
	for (int l = LOG_LVL_ERR; l <= LOG_LVL_DEBUG; l++)
		assert_string_equal(ctl_enum_name(ctl_attr_enum(CTL_A_LOG_LEVEL), (uint32_t)l, "?"),
				    log_level_name((enum log_level)l));
	assert_int_equal(ctl_event_bit(CTL_EVT_TUNNEL_ENDED), 1u << 2);
	assert_int_equal(ctl_event_bit(CTL_CMD_STATUS), 0);
	/* every command and attribute number is named, and names are unique */
	for (int a = 1; a <= CTL_A_MAX; a++)
		for (int b = a + 1; b <= CTL_A_MAX; b++)
			if (ctl_attr_space.attrs[a].name && ctl_attr_space.attrs[b].name)
				assert_string_not_equal(ctl_attr_space.attrs[a].name,
							ctl_attr_space.attrs[b].name);
}

/* A message builder never writes past its buffer: overflow is sticky and reported. */
static void test_builder_overflow(void **state)
{
	uint32_t buf[16];   /* 64 bytes */
	struct ctl_msg m;

	ctl_msg_init(&m, buf, sizeof(buf), CTL_CMD_STATUS, NLM_F_REQUEST, 1);
	assert_int_equal(ctl_msg_put_u32(&m, CTL_A_PID, 1), 0);            /* 16 + 8 */
	/* 31 chars + NUL + 4 = 36: exactly fills 64 */
	assert_int_equal(ctl_msg_put_str(&m, CTL_A_REASON, "0123456789012345678901234567890"),
			 0);
	assert_int_equal(m.nlh->nlmsg_len, 60);
	assert_int_equal(ctl_msg_put_flag(&m, CTL_A_ENCAP), 0);            /* 64 */
	assert_int_equal(ctl_msg_put_flag(&m, CTL_A_INITIATOR), -EMSGSIZE);
	assert_false(ctl_msg_ok(&m));
	assert_int_equal(ctl_msg_put_u8(&m, CTL_A_LOG_LEVEL, 1), -EMSGSIZE); /* sticky */
	assert_int_equal(m.nlh->nlmsg_len, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_builder_overflow),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_blocking_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_raw_datagrams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_and_error_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unauthorised_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_request_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_timeout_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_members_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_out_of_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutated_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_subscription, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_subscriber_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_errors, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
