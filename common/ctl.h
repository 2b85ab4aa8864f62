/*
 * Control-socket transport: an AF_UNIX SOCK_SEQPACKET server on libev for the daemons
 * (handlers answer at once or later: ctl_request_defer), and a client: blocking
 * requests for vpnctl, asynchronous requests and an event stream on libev for daemons.
 *
 * Messages are the netlink-formatted ones of common/ctl_proto.h. One datagram carries one
 * or more whole messages. The server answers every request (nlmsg_seq echoed) with
 * exactly one of:
 *   - one reply message of the request's type (no NLM_F_MULTI);
 *   - for a dump: messages with NLM_F_MULTI, packed into datagrams of at most
 *     CTL_DGRAM_MAX bytes, then NLMSG_DONE;
 *   - NLMSG_ERROR: error 0 (an ack) when the handler sent nothing, or a negative errno
 *     with an NLMSGERR_ATTR_MSG text (NLM_F_ACK_TLVS | NLM_F_CAPPED, as the kernel does).
 * With NLM_F_ACK in the request an ack also follows a reply. A deferred answer may come
 * after answers to later requests: clients match by nlmsg_seq. Subscribers additionally get
 * event messages (nlmsg_seq 0, type CTL_EVT_*).
 *
 * Who may do what comes from SO_PEERCRED / SO_PEERGROUPS, read when the client connects:
 * read-only commands need uid 0 (or the admin uid) or membership of the socket's group;
 * admin commands need the admin uid (0 by default). Refusals are EPERM.
 *
 * Flow control: a client's replies are queued (never dropped for size); while more than
 * max_queue bytes wait for it, the server stops reading its requests. Events are the
 * exception: a subscriber with more than max_event_backlog bytes of events unsent is
 * dropped with a log line - a slow `vpnctl monitor` never blocks or bloats a daemon.
 *
 * Not thread-safe; one loop.
 */
#ifndef L2SEC_COMMON_CTL_H
#define L2SEC_COMMON_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>
#include <linux/netlink.h>

#include "common/ctl_proto.h"

/* --- server ------------------------------------------------------------------------- */

struct ctl_server;
struct ctl_conn;

/* Who is on the other end, from SO_PEERCRED at connect time. */
struct ctl_peer {
	unsigned id;            /* per-server connection number, for logs */
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool may_read;          /* read-only commands allowed */
	bool may_admin;         /* admin commands allowed */
};

/*
 * A request being handled. The fields are for reading; reply with the functions below.
 * tb[] holds the request's attributes, already checked against the catalogue's policy
 * (sizes, NUL-terminated strings, well-formed nests); absent ones are NULL.
 */
struct ctl_request {
	const struct nlmsghdr *nlh;
	const struct nlattr *const *tb;     /* [CTL_A_MAX + 1] */
	const struct ctl_peer *peer;
	struct ctl_server *server;          /* e.g. to broadcast an event from a handler */
	uint16_t cmd;
	uint32_t seq;
	bool dump;                          /* NLM_F_DUMP was set */
	struct ctl_request_priv *priv;      /* server internals */
};

/*
 * A handler returns 0 (having replied, dumped, or nothing: then an ack is sent) or a
 * negative errno, which becomes an NLMSG_ERROR with the text of
 * ctl_request_set_error_msg() (or strerror if none was set).
 */
typedef int (*ctl_handler_fn)(struct ctl_request *req, void *arg);

struct ctl_command {
	uint16_t cmd;           /* enum ctl_cmd; name and dump-ness come from the catalogue */
	bool admin;             /* true: changes state, admin uid only */
	ctl_handler_fn handler;
};

/* Optional policy override: return true to allow peer to run cmd. */
typedef bool (*ctl_authorize_fn)(const struct ctl_peer *peer, const struct ctl_command *cmd,
				 void *arg);

struct ctl_server_options {
	const char *path;           /* required: e.g. L2SEC_RUNDIR "/ikd.sock" */
	const char *daemon;         /* "ikd": for logs and the built-in VERSION reply */
	const char *group;          /* NULL: "l2sec" if that group exists, else gid 0 */
	mode_t mode;                /* 0: 0660 */
	uid_t admin_uid;            /* who may run admin commands (default 0 = root) */
	ctl_authorize_fn authorize; /* NULL: the uid/group policy above */
	size_t max_queue;           /* 0: 1 MiB; stop reading a client's requests above */
	size_t max_event_backlog;   /* 0: 1 MiB; drop a subscriber above */
	unsigned max_clients;       /* 0: 128 */
};

/*
 * Create the socket, bind, chmod/chown, listen and start accepting on loop. A stale
 * socket file (nobody answers) is replaced; a live one gives -EADDRINUSE; a path that
 * is not a socket gives -EEXIST. cmds[] (kept by pointer: static const storage) is the
 * daemon's command table; SUBSCRIBE, UNSUBSCRIBE and VERSION are built in unless the
 * table lists them. arg is passed to every handler.
 * Returns 0 and *out (free with ctl_server_destroy), or a negative errno (logged).
 */
int ctl_server_create(struct ev_loop *loop, const struct ctl_server_options *opt,
		      const struct ctl_command *cmds, size_t n_cmds, void *arg,
		      struct ctl_server **out);

/* Close every client and the listening socket, unlink the path (if it is still ours),
 * free. NULL is fine. Not from inside a handler. */
void ctl_server_destroy(struct ctl_server *srv);

/* Connected clients (for STATUS). */
unsigned ctl_server_client_count(const struct ctl_server *srv);
/* The group the socket was given. */
gid_t ctl_server_gid(const struct ctl_server *srv);

/* --- replying (inside a handler) ---------------------------------------------------- */

/*
 * One reply message of type req->cmd. Put attributes into the returned builder (owned
 * by the server, valid until ctl_reply_end or the handler's return), then call
 * ctl_reply_end (a reply still open when the handler returns 0 is ended for it).
 * ctl_reply_end returns 0 or -EMSGSIZE if the reply did not fit in CTL_MSG_MAX.
 */
struct ctl_msg *ctl_reply_begin(struct ctl_request *req);
int ctl_reply_end(struct ctl_request *req);

/*
 * One dump entry: a message of type req->cmd with NLM_F_MULTI. Entries are packed into
 * datagrams and queued at ctl_dump_entry_end; NLMSG_DONE follows when the handler returns
 * 0. Any number of entries may be sent. ctl_dump_entry_end returns 0 or -EMSGSIZE if this
 * entry alone exceeded CTL_MSG_MAX (the entry is dropped; the dump goes on), -ENOMEM.
 */
struct ctl_msg *ctl_dump_entry_begin(struct ctl_request *req);
int ctl_dump_entry_end(struct ctl_request *req);

/*
 * A reply carrying only human text (CTL_A_MESSAGE, at most 1 KiB here): the outcome of a
 * reload, a count. printf-like. 0, -ENOMEM or -EMSGSIZE, as ctl_reply_end.
 */
int ctl_reply_message(struct ctl_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The human text of the error the handler is about to return. printf-like. */
void ctl_request_set_error_msg(struct ctl_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Answer later (a request that waits for the network: initiate until the SA is up, a
 * password check through RADIUS...). In the handler: d = ctl_request_defer(req), keep d,
 * return 0 (NULL means -ENOMEM: return that; if the handler returns an error after
 * deferring, that error is the answer and finishing d later sends nothing).
 * Later, from any callback:
 *     m = ctl_deferred_reply_begin(d); ctl_msg_put_...(m, ...);   (optional)
 *     ctl_deferred_finish(d, 0 or -errno, "why" or NULL);
 * which sends the reply (or an ack when no reply was begun, or the error) and frees d.
 * Other requests of the same client are answered meanwhile (clients match by seq).
 * Every d must be finished exactly once, even when the client has gone (then nothing
 * is sent and -ENOTCONN returned) or the server was destroyed. Only one deferred reply
 * may be under construction at a time (begin..finish, no other begin in between).
 * Not for dumps.
 */
struct ctl_deferred;
struct ctl_deferred *ctl_request_defer(struct ctl_request *req);
struct ctl_msg *ctl_deferred_reply_begin(struct ctl_deferred *d);
int ctl_deferred_finish(struct ctl_deferred *d, int ret, const char *errmsg);

/* --- events ------------------------------------------------------------------------- */

/*
 * Build an event (type CTL_EVT_*) in the returned builder (owned by the server), then
 * ctl_server_broadcast_event() queues it to every subscriber whose mask includes it.
 * Returns the number of subscribers it was queued to, or -EMSGSIZE / -EINVAL.
 * May be called from a handler.
 */
struct ctl_msg *ctl_server_event_begin(struct ctl_server *srv, uint16_t type);
int ctl_server_broadcast_event(struct ctl_server *srv);

/* --- client ------------------------------------------------------------------------- */

struct ctl_client;

/* An error for humans: errnum is a positive errno, msg says what happened and why. */
struct ctl_error {
	int errnum;
	char msg[256];
};

/*
 * Connect to a daemon's socket. On failure returns NULL with err filled, e.g.
 * "ikd is not running (no /run/l2sec/ikd.sock)" or
 * "permission denied on /run/l2sec/ikd.sock: are you in group l2sec?".
 * The client is owned by the caller: ctl_client_close() frees it.
 */
struct ctl_client *ctl_client_connect(const char *path, struct ctl_error *err);
void ctl_client_close(struct ctl_client *c);
int ctl_client_fd(const struct ctl_client *c);
/* Per-request timeout (default 5000 ms). */
void ctl_client_set_timeout(struct ctl_client *c, unsigned ms);

/* Fill the request's attributes. Return 0 or a negative errno to abort. */
typedef int (*ctl_build_fn)(struct ctl_msg *msg, void *arg);
/* Called per reply message (once, or per dump entry) with its attributes checked
 * against the policy. Return 0, or a negative errno to stop (the rest of the answer
 * is read and discarded so the connection stays usable). */
typedef int (*ctl_reply_fn)(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
			    void *arg);

/*
 * Send cmd (NLM_F_DUMP added when the catalogue says it is a dump) and wait for the whole
 * answer, up to the timeout. build and reply may be NULL. Returns 0, or a negative errno:
 * the daemon's (err->msg = its text), -ETIMEDOUT, -EBADMSG (malformed answer), -EPIPE
 * (daemon went away), or the reply callback's.
 */
int ctl_client_request(struct ctl_client *c, uint16_t cmd, ctl_build_fn build,
		       ctl_reply_fn reply, void *arg, struct ctl_error *err);

/* SUBSCRIBE with an event mask (CTL_EVENT_MASK_ALL, or ctl_event_bit() ORed). Blocking. */
int ctl_client_subscribe(struct ctl_client *c, uint64_t mask, struct ctl_error *err);

/*
 * The same request without blocking, for daemons asking each other (a daemon must not
 * stall its loop on another one): the request is sent now and done(ret, err, arg) runs
 * from loop once the answer is complete (ret 0 or negative errno as for
 * ctl_client_request; err describes a failure), or after the timeout (-ETIMEDOUT), or
 * when the connection ends (-EPIPE). reply is called per reply message as above.
 * Several requests may be in flight; each completes when its answer (matched by seq)
 * arrives, usually in request order. Returns 0, or a negative
 * errno with err filled (then done is never called). Callbacks may start requests and
 * may close the client (pending requests are then dropped without their callback).
 * While a client has requests in flight or watches events, ctl_client_request on it
 * fails with -EBUSY.
 */
typedef void (*ctl_done_fn)(int ret, const struct ctl_error *err, void *arg);
int ctl_client_request_async(struct ctl_client *c, struct ev_loop *loop, uint16_t cmd,
			     ctl_build_fn build, ctl_reply_fn reply, ctl_done_fn done, void *arg,
			     struct ctl_error *err);

/* SUBSCRIBE without blocking: two daemons subscribing to each other at start-up with the
 * blocking call would wait for each other until the timeout. done's arg is arg. */
int ctl_client_subscribe_async(struct ctl_client *c, struct ev_loop *loop, uint64_t mask,
			       ctl_done_fn done, void *arg, struct ctl_error *err);

/*
 * Non-blocking event stream on loop: on_event is called for each event message (type
 * in nlh->nlmsg_type, attributes checked); on_closed once when the daemon goes away or
 * the stream breaks (err = 0 for a clean close, else negative errno). After on_closed
 * the client is dead (pending async requests got -EPIPE first): close it; reconnecting
 * is the caller's business. Callbacks may unwatch or close the client. Events and async
 * requests may share a client; blocking requests may not (subscribe first, then watch).
 */
typedef void (*ctl_event_fn)(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
			     void *arg);
typedef void (*ctl_closed_fn)(int err, void *arg);
int ctl_client_watch(struct ctl_client *c, struct ev_loop *loop, ctl_event_fn on_event,
		     ctl_closed_fn on_closed, void *arg);
void ctl_client_unwatch(struct ctl_client *c);

#endif
