/*
 * Inside the library: the NETLINK_XFRM request socket, the request queue that makes
 * batching and single requests one code path, acknowledgements and extended-ack text.
 *
 * A request is built with xfrm_req_start() (which returns an 8-byte aligned scratch
 * message: the kernel structs hold u64 fields, and netlink only aligns messages to 4),
 * filled with libmnl put calls bounded by XFRM_REQ_MAX, and appended to the queue by
 * xfrm_req_commit(). Outside a batch every public call commits and then flushes at once,
 * so a single request is a batch of one.
 */
#ifndef L2SEC_XFRM_XFRM_SOCK_H
#define L2SEC_XFRM_XFRM_SOCK_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfrm/xfrm.h"

#define XFRM_REQ_MAX     2048           /* one request never needs more */
#define XFRM_QUEUE_SIZE  (192 * 1024)   /* one sendmsg of a batch */
#define XFRM_RX_SIZE     (64 * 1024)
#define XFRM_ERR_SIZE    512

/* Called for each data message (not ack/error/done) answering the flushed requests. */
typedef int (*xfrm_reply_fn)(const struct nlmsghdr *nlh, void *arg);

struct xfrm_handle {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;                   /* next sequence number */
	uint8_t *queue;                 /* XFRM_QUEUE_SIZE bytes of queued requests */
	size_t queue_len;
	unsigned int queued;            /* messages in the queue */
	uint32_t queue_seq0;            /* seq of the first queued message */
	uint8_t *rx;                    /* XFRM_RX_SIZE */
	uint64_t *scratch;              /* XFRM_REQ_MAX bytes: the request being built */
	bool batching;
	unsigned int batch_ordinal0;    /* ordinal of the first queued message */
	unsigned int batch_failures;
	xfrm_batch_error_fn on_error;
	void *on_error_arg;
	int last_err;
	char errtext[XFRM_ERR_SIZE];
};

/* A fresh request of type/flags in the scratch buffer: header with type, flags and seq
 * set; put the payload with mnl_* calls and XFRM_REQ_MAX as the buffer length. */
struct nlmsghdr *xfrm_req_start(struct xfrm_handle *h, uint16_t type, uint16_t flags);
/* Append the request to the queue, sending the queue first when it is full. Returns 0 or
 * the error of that forced flush (outside a batch; in a batch failures go to the callback). */
int xfrm_req_commit(struct xfrm_handle *h);
/* Drop the request being built (an encoding error). */
void xfrm_req_abort(struct xfrm_handle *h);
/*
 * Send the queue and read every answer. Data messages go to fn. Outside a batch, returns
 * 0 or the (negative) errno of the failed request, with h->errtext set. In a batch,
 * failures go to the batch callback and 0 is returned unless the exchange itself failed.
 * The queue (it may hold keys) is wiped.
 */
int xfrm_flush(struct xfrm_handle *h, xfrm_reply_fn fn, void *arg);
/* Commit + (outside a batch) flush: the end of every change call. */
int xfrm_req_finish(struct xfrm_handle *h);

/* Reads (get, dump, allocspi) are never batched: xfrm_read_start() sends what a batch has
 * queued and suspends batching (*saved keeps the state); build and commit the request;
 * xfrm_read_run() flushes it alone, giving data messages to fn, and restores batching. */
int xfrm_read_start(struct xfrm_handle *h, bool *saved);
int xfrm_read_run(struct xfrm_handle *h, bool saved, xfrm_reply_fn fn, void *arg);
void xfrm_read_abort(struct xfrm_handle *h, bool saved);

/* Record a library-side failure (bad argument...) as the last error; returns err. */
int xfrm_set_error(struct xfrm_handle *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The readable sentence for a failed request: describes req, explains errno in its
 * context and appends the kernel's text. Exposed for unit tests. */
void xfrm_error_text(char *buf, size_t size, const struct nlmsghdr *req, int err,
		     const char *extack);

#endif
