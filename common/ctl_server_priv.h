/*
 * Internals of the control-socket server shared by its two halves: ctl_server.c (socket,
 * connections, output queues, events) and ctl_request.c (parsing, dispatch, replies,
 * dumps, deferred replies). Not for use outside them: the API is common/ctl.h.
 */
#ifndef L2SEC_COMMON_CTL_SERVER_PRIV_H
#define L2SEC_COMMON_CTL_SERVER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include <ev.h>

#include "common/ctl.h"

#define ERRMSG_MAX 256

/* One datagram waiting to be sent to a client. */
struct ctl_chunk {
	struct ctl_chunk *next;
	size_t len;
	bool event;
	uint8_t data[];
};

struct ctl_conn {
	struct ctl_conn *next;
	struct ctl_server *srv;
	int fd;
	ev_io rio, wio;
	struct ctl_peer peer;
	bool dead;          /* closed; freed by ctl_server_reap() once nothing uses it */
	unsigned deferred;  /* deferred requests still pointing at this connection */
	bool paused;        /* reading stopped: too much output queued */
	bool subscribed;
	uint64_t event_mask;
	struct ctl_chunk *head, *tail;
	size_t queued, event_queued;
};

struct ctl_request_priv {
	struct ctl_conn *conn;
	struct ctl_msg msg;
	bool reply_open, replied, entry_open, dumped;
	struct ctl_deferred *deferred;  /* set by ctl_request_defer */
	struct ctl_chunk *dump_chunk;   /* datagram being filled with dump entries */
	char errmsg[ERRMSG_MAX];
};

struct ctl_server {
	struct ev_loop *loop;
	int fd;
	ev_io lio;
	ev_timer accept_retry;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ino_t ino;
	char daemon[32];
	gid_t gid;
	uid_t admin_uid;
	ctl_authorize_fn authorize;
	size_t max_queue, max_event_backlog;
	unsigned max_clients;
	const struct ctl_command *cmds;
	size_t n_cmds;
	void *arg;
	struct ctl_conn *conns;
	unsigned n_conns, next_id;
	unsigned busy;      /* > 0 while conns may be referenced up the stack */
	struct ctl_msg event;
	struct ctl_deferred *deferreds;     /* answers promised, not yet given */
	struct ctl_msg dmsg;
	/* 4-byte aligned buffers: netlink headers and attributes are read in place */
	uint32_t rbuf[CTL_DGRAM_MAX / 4];
	uint32_t scratch[CTL_MSG_MAX / 4];
	uint32_t evbuf[CTL_MSG_MAX / 4];
	uint32_t dbuf[CTL_MSG_MAX / 4];     /* deferred replies */
};

/* A request answered later (ctl_request_defer). conn is NULL once the server is gone. */
struct ctl_deferred {
	struct ctl_deferred *next, **pprev;
	struct ctl_conn *conn;
	struct nlmsghdr hdr;    /* the request's header, echoed in errors */
	bool reply_open;
	bool answered;          /* the handler failed after deferring: already answered */
};

/* --- ctl_server.c --------------------------------------------------------------------- */

/* A chunk with room for cap bytes (NULL on ENOMEM); the queue owns it once queued. */
struct ctl_chunk *ctl_chunk_new(size_t cap);
/* Queue a datagram for conn (takes ch). */
void ctl_conn_queue_chunk(struct ctl_conn *conn, struct ctl_chunk *ch);
/* Queue a copy of data as one datagram; event: counts against the event backlog.
 * Returns 0 or -errno (the connection is killed on ENOMEM). */
int ctl_conn_queue(struct ctl_conn *conn, const void *data, size_t len, bool event);
/* Queue an NLMSG_ERROR for req (NULL: no request header to echo) with err and msg. */
void ctl_conn_send_error(struct ctl_conn *conn, const struct nlmsghdr *req, int err,
			 const char *msg, uint32_t bad_off);
/* Close conn (freed later by ctl_server_reap). */
void ctl_conn_kill(struct ctl_conn *conn, const char *reason);
/* Free dead connections nothing refers to any more. */
void ctl_server_reap(struct ctl_server *srv);

/* --- ctl_request.c -------------------------------------------------------------------- */

/* Handle a datagram of n bytes read from conn: each whole message is a request. */
void ctl_server_handle_datagram(struct ctl_conn *conn, const void *buf, size_t n);

#endif
