/*
 * Control-socket server, request side: parsing and authorizing requests, dispatching them
 * to the daemon's handlers (and the built-in ones), and answering: replies, dumps packed
 * into datagrams, errors and acks, deferred replies. See ctl.h; the socket, connections
 * and output queues are in ctl_server.c.
 */
#include "common/ctl.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "common/ctl_server_priv.h"
#include "common/log.h"

#ifndef L2SEC_VERSION
#define L2SEC_VERSION "unknown"
#endif

/* --- replies ------------------------------------------------------------------------ */

static struct ctl_msg *begin_msg(struct ctl_request *req, uint16_t flags)
{
	struct ctl_server *srv = req->priv->conn->srv;

	ctl_msg_init(&req->priv->msg, srv->scratch, sizeof(srv->scratch), req->cmd, flags,
		     req->seq);
	return &req->priv->msg;
}

struct ctl_msg *ctl_reply_begin(struct ctl_request *req)
{
	req->priv->reply_open = true;
	return begin_msg(req, 0);
}

int ctl_reply_end(struct ctl_request *req)
{
	struct ctl_request_priv *p = req->priv;

	if (!p->reply_open)
		return -EINVAL;
	p->reply_open = false;
	if (!ctl_msg_ok(&p->msg)) {
		snprintf(p->errmsg, sizeof(p->errmsg), "reply larger than %u bytes", CTL_MSG_MAX);
		return -EMSGSIZE;
	}
	p->replied = true;
	return ctl_conn_queue(p->conn, p->msg.nlh, p->msg.nlh->nlmsg_len, false);
}

struct ctl_msg *ctl_dump_entry_begin(struct ctl_request *req)
{
	req->priv->entry_open = true;
	req->priv->dumped = true;
	return begin_msg(req, NLM_F_MULTI);
}

/* Queue the datagram of packed dump entries, if any. */
static void dump_flush(struct ctl_request_priv *p)
{
	if (p->dump_chunk && p->dump_chunk->len && !p->conn->dead)
		ctl_conn_queue_chunk(p->conn, p->dump_chunk);
	else
		free(p->dump_chunk);
	p->dump_chunk = NULL;
}

/* Append a whole message to the dump's current datagram, starting a new one when full. */
static int dump_append(struct ctl_request_priv *p, const struct nlmsghdr *nlh)
{
	if (p->conn->dead)
		return -EPIPE;
	if (p->dump_chunk && p->dump_chunk->len + nlh->nlmsg_len > CTL_DGRAM_MAX)
		dump_flush(p);
	if (!p->dump_chunk && !(p->dump_chunk = ctl_chunk_new(CTL_DGRAM_MAX))) {
		ctl_conn_kill(p->conn, "out_of_memory");
		return -ENOMEM;
	}
	memcpy(p->dump_chunk->data + p->dump_chunk->len, nlh, nlh->nlmsg_len);
	p->dump_chunk->len += nlh->nlmsg_len;
	return 0;
}

int ctl_dump_entry_end(struct ctl_request *req)
{
	struct ctl_request_priv *p = req->priv;

	if (!p->entry_open)
		return -EINVAL;
	p->entry_open = false;
	if (!ctl_msg_ok(&p->msg)) {
		log_warn("ctl_dump_entry_dropped", "socket=%s cmd=%s reason=larger_than_%u_bytes",
			 p->conn->srv->path, ctl_cmd_name(req->cmd), CTL_MSG_MAX);
		return -EMSGSIZE;
	}
	return dump_append(p, p->msg.nlh);
}

int ctl_reply_message(struct ctl_request *req, const char *fmt, ...)
{
	struct ctl_msg *m = ctl_reply_begin(req);
	char text[1024];
	va_list ap;

	if (!m)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ctl_msg_put_str(m, CTL_A_MESSAGE, text);
	return ctl_reply_end(req);
}

void ctl_request_set_error_msg(struct ctl_request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->priv->errmsg, sizeof(req->priv->errmsg), fmt, ap);
	va_end(ap);
}

struct ctl_deferred *ctl_request_defer(struct ctl_request *req)
{
	struct ctl_server *srv = req->server;
	struct ctl_deferred *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->conn = req->priv->conn;
	d->conn->deferred++;
	d->hdr = *req->nlh;
	d->next = srv->deferreds;
	if (d->next)
		d->next->pprev = &d->next;
	d->pprev = &srv->deferreds;
	srv->deferreds = d;
	req->priv->deferred = d;
	return d;
}

struct ctl_msg *ctl_deferred_reply_begin(struct ctl_deferred *d)
{
	struct ctl_server *srv = d->conn ? d->conn->srv : NULL;
	static struct ctl_msg orphan;   /* server gone: a builder that takes nothing */

	if (!srv) {
		ctl_msg_init(&orphan, NULL, 0, 0, 0, 0);
		return &orphan;
	}
	d->reply_open = true;
	ctl_msg_init(&srv->dmsg, srv->dbuf, sizeof(srv->dbuf), d->hdr.nlmsg_type, 0,
		     d->hdr.nlmsg_seq);
	return &srv->dmsg;
}

int ctl_deferred_finish(struct ctl_deferred *d, int ret, const char *errmsg)
{
	struct ctl_conn *conn = d->conn;
	struct ctl_server *srv = conn ? conn->srv : NULL;
	bool alive = conn && !conn->dead;

	if (d->pprev) {
		*d->pprev = d->next;
		if (d->next)
			d->next->pprev = d->pprev;
	}
	if (srv && d->answered) {
		conn->deferred--;
		ctl_server_reap(srv);
	} else if (srv) {
		srv->busy++;
		if (ret == 0 && d->reply_open && !ctl_msg_ok(&srv->dmsg)) {
			ret = -EMSGSIZE;
			errmsg = "reply too large";
		}
		if (ret < 0 || !d->reply_open)
			ctl_conn_send_error(conn, &d->hdr, ret,
					    ret < 0 && !errmsg ? strerror(-ret) : errmsg, 0);
		else
			ctl_conn_queue(conn, srv->dmsg.nlh, srv->dmsg.nlh->nlmsg_len, false);
		conn->deferred--;
		srv->busy--;
		ctl_server_reap(srv);
	}
	free(d);
	return alive ? 0 : -ENOTCONN;
}

/* --- dispatch ----------------------------------------------------------------------- */

static int builtin_subscribe(struct ctl_request *req, void *arg)
{
	struct ctl_conn *conn = req->priv->conn;

	conn->subscribed = req->cmd == CTL_CMD_SUBSCRIBE;
	conn->event_mask = CTL_EVENT_MASK_ALL;
	if (req->tb[CTL_A_EVENT_MASK])
		conn->event_mask = mnl_attr_get_u64(req->tb[CTL_A_EVENT_MASK]);
	log_info("ctl_client_subscribed", "socket=%s client=%u subscribed=%d mask=0x%llx",
		 conn->srv->path, conn->peer.id, conn->subscribed,
		 (unsigned long long)conn->event_mask);
	return 0;
}

static int builtin_version(struct ctl_request *req, void *arg)
{
	struct ctl_msg *m = ctl_reply_begin(req);

	ctl_msg_put_str(m, CTL_A_DAEMON, req->priv->conn->srv->daemon);
	ctl_msg_put_str(m, CTL_A_VERSION, L2SEC_VERSION);
	ctl_msg_put_u32(m, CTL_A_PROTO_VERSION, CTL_PROTO_VERSION);
	return ctl_reply_end(req);
}

static const struct ctl_command builtin_cmds[] = {
	{ CTL_CMD_VERSION, false, builtin_version },
	{ CTL_CMD_SUBSCRIBE, false, builtin_subscribe },
	{ CTL_CMD_UNSUBSCRIBE, false, builtin_subscribe },
};

static const struct ctl_command *find_command(const struct ctl_server *srv, uint16_t cmd)
{
	for (size_t i = 0; i < srv->n_cmds; i++)
		if (srv->cmds[i].cmd == cmd)
			return &srv->cmds[i];
	for (size_t i = 0; i < sizeof(builtin_cmds) / sizeof(builtin_cmds[0]); i++)
		if (builtin_cmds[i].cmd == cmd)
			return &builtin_cmds[i];
	return NULL;
}

/* Returns 0 when allowed, else -EPERM with the reason in why. */
static int authorize(const struct ctl_server *srv, const struct ctl_peer *peer,
		     const struct ctl_command *cmd, char *why, size_t why_len)
{
	if (srv->authorize) {
		if (srv->authorize(peer, cmd, srv->arg))
			return 0;
		snprintf(why, why_len, "%s refused by the daemon's policy", ctl_cmd_name(cmd->cmd));
		return -EPERM;
	}
	if (cmd->admin && !peer->may_admin) {
		snprintf(why, why_len, "%s changes state and needs uid %u (you are uid %u)",
			 ctl_cmd_name(cmd->cmd), (unsigned)srv->admin_uid, (unsigned)peer->uid);
		return -EPERM;
	}
	if (!peer->may_read) {
		struct group *gr = getgrgid(srv->gid);

		snprintf(why, why_len, "%s needs membership of group %s", ctl_cmd_name(cmd->cmd),
			 gr ? gr->gr_name : "?");
		return -EPERM;
	}
	return 0;
}

/* Terminate the answer: error, dump end, or ack. */
static void finish_request(struct ctl_request *req, int ret)
{
	struct ctl_request_priv *p = req->priv;
	struct ctl_conn *conn = p->conn;

	if (ret == 0 && p->deferred)
		return;     /* answered later through ctl_deferred_finish */
	if (p->deferred)
		p->deferred->answered = true;   /* the error below is the answer */
	if (ret == 0 && p->reply_open)
		ret = ctl_reply_end(req);
	if (ret == 0 && p->entry_open)
		ctl_dump_entry_end(req);
	if (ret < 0) {
		dump_flush(p);
		if (!p->errmsg[0])
			snprintf(p->errmsg, sizeof(p->errmsg), "%s", strerror(-ret));
		log_debug("ctl_request_failed", "socket=%s client=%u cmd=%s errno=%d",
			  conn->srv->path, conn->peer.id, ctl_cmd_name(req->cmd), -ret);
		ctl_conn_send_error(conn, req->nlh, ret, p->errmsg, 0);
		return;
	}
	if (p->dumped || (req->dump && !p->replied)) {
		uint32_t buf[(MNL_NLMSG_HDRLEN + sizeof(int)) / 4];
		struct ctl_msg done;

		ctl_msg_init(&done, buf, sizeof(buf), NLMSG_DONE, NLM_F_MULTI, req->seq);
		mnl_nlmsg_put_extra_header(done.nlh, sizeof(int));  /* zeroed: error 0 */
		if (dump_append(p, done.nlh) == 0)
			dump_flush(p);
		return;
	}
	if (!p->replied || (req->nlh->nlmsg_flags & NLM_F_ACK))
		ctl_conn_send_error(conn, req->nlh, 0, NULL, 0);
}

static void handle_message(struct ctl_conn *conn, const struct nlmsghdr *nlh)
{
	struct ctl_server *srv = conn->srv;
	const struct nlattr *tb[CTL_A_MAX + 1];
	struct ctl_request_priv priv = { .conn = conn };
	struct ctl_request req = {
		.nlh = nlh, .tb = tb, .peer = &conn->peer, .server = srv, .cmd = nlh->nlmsg_type,
		.seq = nlh->nlmsg_seq, .dump = nlh->nlmsg_flags & NLM_F_DUMP, .priv = &priv,
	};
	struct ctl_parse_error perr;
	const struct ctl_command *cmd;
	int ret;

	if (nlh->nlmsg_type == NLMSG_NOOP)
		return;
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !(nlh->nlmsg_flags & NLM_F_REQUEST)) {
		ctl_conn_send_error(conn, nlh, -EINVAL, "not a request (type below 0x10 or "
				    "NLM_F_REQUEST missing)", 0);
		return;
	}
	cmd = find_command(srv, nlh->nlmsg_type);
	if (!cmd) {
		char why[96];

		snprintf(why, sizeof(why), "%s does not implement command 0x%x (%s)",
			 srv->daemon, nlh->nlmsg_type, ctl_cmd_name(nlh->nlmsg_type));
		ctl_conn_send_error(conn, nlh, -EOPNOTSUPP, why, 0);
		return;
	}
	ret = authorize(srv, &conn->peer, cmd, priv.errmsg, sizeof(priv.errmsg));
	if (ret < 0) {
		log_notice("ctl_request_refused", "socket=%s client=%u uid=%u cmd=%s",
			   srv->path, conn->peer.id, (unsigned)conn->peer.uid,
			   ctl_cmd_name(cmd->cmd));
		ctl_conn_send_error(conn, nlh, ret, priv.errmsg, 0);
		return;
	}
	if (ctl_attr_parse(nlh, tb, &perr) < 0) {
		ctl_conn_send_error(conn, nlh, -EINVAL, perr.why, perr.bad_off);
		return;
	}
	log_debug("ctl_request", "socket=%s client=%u cmd=%s seq=%u", srv->path,
		  conn->peer.id, ctl_cmd_name(cmd->cmd), nlh->nlmsg_seq);
	ret = cmd->handler(&req, srv->arg);
	if (ret > 0)
		ret = 0;
	finish_request(&req, ret);
}

/* A datagram holds one or more whole messages; anything else is answered with EINVAL. */
void ctl_server_handle_datagram(struct ctl_conn *conn, const void *buf, size_t n)
{
	const struct nlmsghdr *nlh = buf;
	int len = (int)n;
	char why[96];

	if (n < sizeof(*nlh)) {
		snprintf(why, sizeof(why), "truncated message: %zu bytes, header needs %zu", n,
			 sizeof(*nlh));
		ctl_conn_send_error(conn, NULL, -EINVAL, why, 0);
		return;
	}
	while (ctl_nlmsg_ok(nlh, len) && !conn->dead) {
		/* A datagram may batch many requests: past the queue bound the rest are
		 * refused (small errors), so one datagram cannot pile up many dumps. */
		if (conn->queued > conn->srv->max_queue)
			ctl_conn_send_error(conn, nlh, -ENOBUFS,
					    "answers not read: request dropped", 0);
		else
			handle_message(conn, nlh);
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	if (len > 0 && !conn->dead) {
		const struct nlmsghdr *bad = len >= (int)sizeof(*nlh) ? nlh : NULL;

		snprintf(why, sizeof(why), "bad message length %u with %d bytes left",
			 bad ? bad->nlmsg_len : 0, len);
		ctl_conn_send_error(conn, bad, -EINVAL, why, 0);
	}
}
