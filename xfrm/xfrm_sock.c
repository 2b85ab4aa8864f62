/*
 * The NETLINK_XFRM request socket: open/close, the request queue, sending, reading
 * acknowledgements with extended-ack text, and batching.
 *
 * Why one queue for everything: the kernel's xfrm input runs every message of a sendmsg
 * in turn and acknowledges failures even without NLM_F_ACK. So a batch is "many messages,
 * NLM_F_ACK only on the last", and its answers are the failures plus one final ack; a
 * single request is the same thing with one message. No round trip per SA.
 */
#include "xfrm/xfrm_sock.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static void set_sockbuf(int fd, int force_opt, int opt, int size)
{
	/* FORCE needs CAP_NET_ADMIN; without it the kernel caps at {r,w}mem_max. */
	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int open_socket(struct xfrm_handle *h)
{
	int one = 1;

	h->nl = mnl_socket_open(NETLINK_XFRM);
	if (!h->nl)
		return xfrm_set_error(h, -errno, "open NETLINK_XFRM socket: %s%s", strerror(errno),
				      errno == EPROTONOSUPPORT ? " (kernel has no xfrm_user)" : "");
	if (mnl_socket_bind(h->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return xfrm_set_error(h, -errno, "bind NETLINK_XFRM socket: %s", strerror(errno));
	h->portid = mnl_socket_get_portid(h->nl);
	/* Both are best effort: old kernels just give bare errnos and full echoes. */
	(void)mnl_socket_setsockopt(h->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(h->nl, NETLINK_CAP_ACK, &one, sizeof(one));

	int fd = mnl_socket_get_fd(h->nl);
	set_sockbuf(fd, SO_SNDBUFFORCE, SO_SNDBUF, 2 * XFRM_QUEUE_SIZE);
	/* Every failed request of a batch is acknowledged: leave room for all of them. */
	set_sockbuf(fd, SO_RCVBUFFORCE, SO_RCVBUF, 8 * 1024 * 1024);
	/* Answers to a request are queued before sendmsg returns; a dump streams. A stuck
	 * kernel must not hang the daemon's event loop forever. */
	struct timeval tv = { .tv_sec = 10 };
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

/* *out is allocated here and owned by the caller, who frees it with xfrm_close(). */
int xfrm_open(struct xfrm_handle **out)
{
	struct xfrm_handle *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	h->queue = calloc(1, XFRM_QUEUE_SIZE);
	h->rx = calloc(1, XFRM_RX_SIZE);
	h->scratch = calloc(1, XFRM_REQ_MAX);
	if (!h->queue || !h->rx || !h->scratch) {
		xfrm_close(h);
		return -ENOMEM;
	}
	h->seq = (uint32_t)time(NULL);
	int rc = open_socket(h);
	if (rc < 0) {
		xfrm_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void xfrm_close(struct xfrm_handle *h)
{
	if (!h)
		return;
	if (h->nl)
		mnl_socket_close(h->nl);
	if (h->queue)
		explicit_bzero(h->queue, XFRM_QUEUE_SIZE);
	if (h->scratch)
		explicit_bzero(h->scratch, XFRM_REQ_MAX);
	free(h->queue);
	free(h->rx);
	free(h->scratch);
	free(h);
}

const char *xfrm_strerror(const struct xfrm_handle *h)
{
	return h->errtext;
}

int xfrm_set_error(struct xfrm_handle *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errtext, sizeof(h->errtext), fmt, ap);
	va_end(ap);
	h->last_err = err;
	return err;
}

struct nlmsghdr *xfrm_req_start(struct xfrm_handle *h, uint16_t type, uint16_t flags)
{
	memset(h->scratch, 0, XFRM_REQ_MAX);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(h->scratch);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

int xfrm_req_commit(struct xfrm_handle *h)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)h->scratch;
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);
	int rc = 0;

	if (h->queue_len + len > XFRM_QUEUE_SIZE)
		rc = xfrm_flush(h, NULL, NULL);
	/* The sequence number is given here: a forced flush may have used some. */
	nlh->nlmsg_seq = h->seq++;
	if (h->queued == 0)
		h->queue_seq0 = nlh->nlmsg_seq;
	memcpy(h->queue + h->queue_len, nlh, len);
	h->queue_len += len;
	h->queued++;
	explicit_bzero(h->scratch, len);        /* may hold keys */
	return rc;
}

void xfrm_req_abort(struct xfrm_handle *h)
{
	explicit_bzero(h->scratch, XFRM_REQ_MAX);
}

/* The queued request with sequence number seq, or NULL. */
static const struct nlmsghdr *queued_request(const struct xfrm_handle *h, uint32_t seq)
{
	uint32_t idx = seq - h->queue_seq0;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)h->queue;
	int left = (int)h->queue_len;

	if (idx >= h->queued)
		return NULL;
	for (uint32_t i = 0; i < idx && mnl_nlmsg_ok(nlh, left); i++)
		nlh = mnl_nlmsg_next(nlh, &left);
	return mnl_nlmsg_ok(nlh, left) ? nlh : NULL;
}

struct extack_ctx {
	const char *msg;
};

static int extack_attr(const struct nlattr *attr, void *data)
{
	struct extack_ctx *ctx = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		ctx->msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* errno (negative) of an NLMSG_ERROR and its extended-ack text (NULL if none). */
static int parse_error(const struct nlmsghdr *nlh, const char **extack)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct extack_ctx ctx = { NULL };

	*extack = NULL;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, (unsigned int)off, extack_attr, &ctx);
	}
	*extack = ctx.msg;
	return e->error;
}

static void report_failure(struct xfrm_handle *h, uint32_t seq, int err, const char *extack)
{
	const struct nlmsghdr *req = queued_request(h, seq);

	xfrm_error_text(h->errtext, sizeof(h->errtext), req, err, extack);
	h->last_err = err;
	if (h->batching) {
		h->batch_failures++;
		if (h->on_error)
			h->on_error(h->on_error_arg, h->batch_ordinal0 + (seq - h->queue_seq0), err,
				    h->errtext);
	}
}

struct flush_state {
	uint32_t last_seq;
	bool done;
	int first_err;          /* first failed request (single mode result) */
	int cb_err;             /* first error returned by the reply callback */
};

static void handle_message(struct xfrm_handle *h, const struct nlmsghdr *nlh,
			   struct flush_state *st, xfrm_reply_fn fn, void *arg)
{
	uint32_t seq = nlh->nlmsg_seq;
	const char *extack;
	int err;

	if (nlh->nlmsg_pid != h->portid || seq - h->queue_seq0 >= h->queued)
		return;         /* not an answer to this queue (a stale one) */
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		err = parse_error(nlh, &extack);
		if (err != 0) {
			report_failure(h, seq, err, extack);
			if (!st->first_err)
				st->first_err = err;
		}
		if (seq == st->last_seq)
			st->done = true;
		break;
	case NLMSG_DONE:
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
			err = *(const int *)mnl_nlmsg_get_payload(nlh);
			if (err < 0) {
				report_failure(h, seq, err, NULL);
				if (!st->first_err)
					st->first_err = err;
			}
		}
		if (seq == st->last_seq)
			st->done = true;
		break;
	case NLMSG_NOOP:
		break;
	default:
		if (fn && !st->cb_err) {
			int rc = fn(nlh, arg);
			if (rc < 0)
				st->cb_err = rc;
		}
	}
}

static int read_answers(struct xfrm_handle *h, struct flush_state *st, xfrm_reply_fn fn,
			void *arg)
{
	while (!st->done) {
		ssize_t n = mnl_socket_recvfrom(h->nl, h->rx, XFRM_RX_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			return xfrm_set_error(h, err, "reading the kernel's answer: %s%s",
					      strerror(-err), err == -ENOBUFS ?
					      " (receive buffer overrun; answers lost)" : "");
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)h->rx;
		int left = (int)n;
		while (mnl_nlmsg_ok(nlh, left)) {
			handle_message(h, nlh, st, fn, arg);
			nlh = mnl_nlmsg_next(nlh, &left);
		}
		explicit_bzero(h->rx, (size_t)n);       /* SA replies carry keys */
	}
	return 0;
}

static void queue_reset(struct xfrm_handle *h)
{
	explicit_bzero(h->queue, h->queue_len);
	if (h->batching)
		h->batch_ordinal0 += h->queued;
	h->queue_len = 0;
	h->queued = 0;
}

int xfrm_flush(struct xfrm_handle *h, xfrm_reply_fn fn, void *arg)
{
	struct flush_state st = { 0 };
	struct nlmsghdr *last = NULL;
	int left = (int)h->queue_len;
	int rc;

	if (h->queued == 0)
		return 0;
	for (struct nlmsghdr *nlh = (struct nlmsghdr *)h->queue; mnl_nlmsg_ok(nlh, left);
	     nlh = (struct nlmsghdr *)mnl_nlmsg_next(nlh, &left))
		last = nlh;
	last->nlmsg_flags |= NLM_F_ACK;
	st.last_seq = last->nlmsg_seq;

	if (mnl_socket_sendto(h->nl, h->queue, h->queue_len) < 0) {
		rc = xfrm_set_error(h, -errno, "sending %u request(s) to the kernel: %s", h->queued,
				    strerror(errno));
	} else {
		rc = read_answers(h, &st, fn, arg);
		if (rc == 0 && !h->batching)
			rc = st.first_err ? st.first_err : st.cb_err;
	}
	queue_reset(h);
	return rc;
}

int xfrm_req_finish(struct xfrm_handle *h)
{
	int rc = xfrm_req_commit(h);

	if (h->batching)
		return 0;
	h->errtext[0] = '\0';
	return rc < 0 ? rc : xfrm_flush(h, NULL, NULL);
}

int xfrm_batch_begin(struct xfrm_handle *h, xfrm_batch_error_fn on_error, void *arg)
{
	if (h->batching)
		return xfrm_set_error(h, -EBUSY, "a batch is already open on this handle");
	h->batching = true;
	h->on_error = on_error;
	h->on_error_arg = arg;
	h->batch_ordinal0 = 0;
	h->batch_failures = 0;
	return 0;
}

int xfrm_batch_end(struct xfrm_handle *h)
{
	if (!h->batching)
		return xfrm_set_error(h, -EINVAL, "no batch is open on this handle");
	int rc = xfrm_flush(h, NULL, NULL);
	h->batching = false;
	h->on_error = NULL;
	h->on_error_arg = NULL;
	return rc < 0 ? rc : (int)h->batch_failures;
}

int xfrm_read_start(struct xfrm_handle *h, bool *saved)
{
	int rc = xfrm_flush(h, NULL, NULL);

	*saved = h->batching;
	if (rc < 0)
		return rc;
	h->batching = false;
	h->errtext[0] = '\0';
	return 0;
}

int xfrm_read_run(struct xfrm_handle *h, bool saved, xfrm_reply_fn fn, void *arg)
{
	(void)xfrm_req_commit(h);       /* the queue is empty: never flushes */
	int rc = xfrm_flush(h, fn, arg);
	h->batching = saved;
	return rc;
}

void xfrm_read_abort(struct xfrm_handle *h, bool saved)
{
	xfrm_req_abort(h);
	h->batching = saved;
}
