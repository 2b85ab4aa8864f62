/*
 * PPPIOCGCHAN off the event loop.
 *
 * Why: on the kernels l2tpd runs on (measured on Debian's 6.12.117 with function_graph),
 * PPPIOCGCHAN on a PPPoL2TP socket calls synchronize_net() — it waits for an RCU grace
 * period — before it moves the frames that arrived before the bind into the channel. The
 * process sleeps meanwhile (15-30 ms per call in the TCG test VM, milliseconds on
 * hardware). Done on l2tpd's one event loop, that sleep stalls every tunnel once per new
 * session and caps session setup at one per grace period. Concurrent synchronize_rcu()
 * callers share grace periods, so a few threads issuing the ioctl side by side bind many
 * sessions per grace period while the loop goes on.
 *
 * The threads run one blocking operation on a descriptor they are handed and touch
 * nothing else; results come back in completion order through an eventfd that the event
 * loop watches (kppp_binder_event_fd) and kppp_binder_collect drains.
 *
 * Descriptor ownership: a submitted descriptor stays the caller's, but the caller must
 * not close it while the request is pending; to give up a pending request the caller
 * calls kppp_binder_cancel, which takes the descriptor over (the binder closes it once no
 * thread uses it).
 *
 * Teardowns (kppp_binder_submit_close) go the same way. Measured on 6.12 in the TCG VM
 * (tests/bench/l2tp-teardown.sh): PPPIOCDISCONN waits in synchronize_net (ppp_disconnect_
 * channel, 20 ms) and closing the unit unregisters the interface (synchronize_net under
 * rtnl, then rcu_barrier: 29 ms); the other steps take under 1.5 ms. 4 processes tearing
 * down side by side finished 2.5 times as many sessions per second as one, 16 processes
 * 3.7 times: the waits are shared. A close request owns the descriptors it was given and
 * runs kppp_session_close on them, in that function's order, on one thread; l2tpd uses a
 * binder of its own for them (teardown.h), so that a mass teardown does not hold up the
 * PPPIOCGCHANs of new sessions.
 */
#ifndef L2SEC_L2TPD_KPPP_BIND_H
#define L2SEC_L2TPD_KPPP_BIND_H

#include "l2tpd/kernel_ppp.h"

#define KPPP_BIND_THREADS 16   /* binds per grace period, at most */

/* A blocking operation on fd: a result >= 0 or -errno. */
typedef int (*kppp_bind_op)(int fd);

/* The real one: PPPIOCGCHAN on a connected PPPoL2TP socket, giving the channel index. */
int kppp_bind_op_gchan(int fd);

struct kppp_binder;
struct kppp_bind_req;

/* How results are reported (kppp_binder_collect, kppp_binder_flush). */
typedef void (*kppp_bind_done)(void *arg, void *cookie, int result);

/*
 * A binder whose threads (started on demand, at most nthreads) run op. The caller owns
 * it and frees it with kppp_binder_free(). NULL with errno set on failure.
 */
struct kppp_binder *kppp_binder_new(unsigned int nthreads, kppp_bind_op op);

/* Readable when results wait for kppp_binder_collect(). */
int kppp_binder_event_fd(const struct kppp_binder *b);

/*
 * Queue op(fd); cookie comes back with the result. The request is the binder's (freed
 * after it was reported or cancelled). NULL with errno set (ENOMEM, EAGAIN: no thread).
 */
struct kppp_bind_req *kppp_binder_submit(struct kppp_binder *b, int fd, void *cookie);

/*
 * Queue the teardown of k's objects: the request takes k's descriptors over (the caller
 * forgets them, e.g. kppp_session_init) and a thread closes them with the close
 * operation (kppp_session_close unless kppp_binder_set_close_op changed it); its result
 * (0) comes back with cookie like any other. Never cancel it. NULL with errno set
 * (ENOMEM, EAGAIN: no thread): the descriptors are then still the caller's.
 */
struct kppp_bind_req *kppp_binder_submit_close(struct kppp_binder *b,
					       const struct kppp_session *k, void *cookie);

/* Tests: the close operation (default kppp_session_close). Set it before submitting. */
typedef void (*kppp_close_op)(struct kppp_session *k);
void kppp_binder_set_close_op(struct kppp_binder *b, kppp_close_op op);

/*
 * Wait until the request r (submitted, not cancelled, not reported yet) is finished: run
 * it on the calling thread if no thread took it yet, else wait for its thread. Returns
 * its result; r is then gone and never reported.
 */
int kppp_binder_wait(struct kppp_binder *b, struct kppp_bind_req *r);

/*
 * Finish everything submitted: the calling thread runs queued requests itself beside the
 * threads, waits for the running ones, then reports every result like
 * kppp_binder_collect. Returns how many were reported.
 */
unsigned int kppp_binder_flush(struct kppp_binder *b, kppp_bind_done done, void *arg);

/*
 * Forget a request that was submitted and not reported yet: its result is never
 * reported, and its descriptor is closed by the binder (at once if no thread took it
 * yet, otherwise when the thread is done with it).
 */
void kppp_binder_cancel(struct kppp_binder *b, struct kppp_bind_req *r);

/*
 * Report every finished, not cancelled request through done(arg, cookie, result), in
 * completion order; done may submit or cancel other requests. Returns how many were
 * reported.
 */
unsigned int kppp_binder_collect(struct kppp_binder *b, kppp_bind_done done, void *arg);

/* Wait for the threads (each finishes its current operation), close the descriptors of
 * cancelled requests, free everything. Requests still pending are dropped unreported;
 * their descriptors stay their owners' (close requests: call kppp_binder_flush first, or
 * their descriptors leak). NULL is allowed. */
void kppp_binder_free(struct kppp_binder *b);

#endif
