/*
 * Session teardown off the event loop.
 *
 * Why: closing a session's PPP objects sleeps in the kernel. On 6.12 in the test VM
 * (tests/bench/l2tp-teardown.sh, function_graph): PPPIOCDISCONN waits for an RCU grace
 * period (synchronize_net in ppp_disconnect_channel, ~20 ms) and closing the unit
 * unregisters the interface (synchronize_net under rtnl, then rcu_barrier, ~29 ms). On the
 * one event loop that capped teardown at about 20 sessions per second and stalled every
 * other tunnel meanwhile; threads tearing down side by side share those waits.
 *
 * What happens when a session closes (session_close):
 *   on the loop, at once   CDN sent, session-down event and log line, state slot and
 *                          fd-store entries released (statestore.h), the session out of
 *                          every table (vpnctl no longer lists it) and freed;
 *   on a thread            kppp_session_close on its descriptors, in that order:
 *                          PPPIOCDISCONN, channel, unit (the interface goes), PPPoL2TP
 *                          socket (the kernel session goes) — teardown_submit;
 *   on the loop, after     the genl session delete (normally already gone), then the
 *                          client's address back to its pool: an address is never handed
 *                          out while an interface that carries it still exists.
 * Until the last step the session's (tunnel id, session id) stays reserved
 * (teardown_pending: no new session takes it, so the late genl delete can only hit the
 * old one) and so does its address (the pool keeps it; reload re-claims it:
 * teardown_addrs). A login that needs that very address (a user's dedicated address, a
 * new login replacing the old one) or finds the pool exhausted waits for the teardown
 * holding it (teardown_wait_addr): the loop sleeps for that one session as it used to.
 * Shutdown finishes every pending teardown before the netlink handles close and the
 * process exits (teardown_stop).
 *
 * The tunnel's kernel object is still deleted on the loop when the tunnel ends; the
 * kernel then deletes that tunnel's sessions still pending here, and the threads' closes
 * find them gone (as when a peer vanishes): nothing is left behind either way.
 */
#ifndef L2SEC_L2TPD_TEARDOWN_H
#define L2SEC_L2TPD_TEARDOWN_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct l2tpd;
struct kppp_session;
struct kppp_bind_req;

#define TEARDOWN_THREADS 16
#define TEARDOWN_BUCKETS 4096u

/* One session being torn down. */
struct session_td {
	struct session_td *prev, *next;   /* d->td_head: oldest first */
	struct session_td *hash_next;     /* d->td_hash */
	struct kppp_bind_req *req;        /* on d->closer */
	uint16_t tid, sid;
	bool kernel_session;              /* genl session delete after the closes */
	bool have_addr;                   /* ip goes back to the pool at the end */
	struct in_addr ip;
};

/* The teardown threads (a kppp_binder of their own) and their watcher. Without them
 * (start failed, or l2tpd_init alone) sessions are torn down inline. */
void teardown_start(struct l2tpd *d);
/* Finish every pending teardown (waits; runs queued ones on this thread too), then stop
 * the threads. Before the netlink handles and pools go. Safe when never started. */
void teardown_stop(struct l2tpd *d);

/*
 * Hand a closing session's kernel objects over: its PPP descriptors (k, left reset: the
 * teardown owns them), its genl session (tid, sid) when kernel_session, and its address
 * ip (NULL: none), which the caller took out of its tables but not out of the pool.
 * Inline when there are no threads or nothing to close (then nothing waits).
 */
void teardown_submit(struct l2tpd *d, struct kppp_session *k, uint16_t tid, uint16_t sid,
		     bool kernel_session, const struct in_addr *ip);

/* (tid, sid) is still being torn down (a new session must not take it). */
bool teardown_pending(const struct l2tpd *d, uint16_t tid, uint16_t sid);

/*
 * Finish the teardown that holds address a (any address when a is NULL: the oldest
 * teardown holding one) now, waiting for its thread. True when one was finished (its
 * address is back in the pool), false when none held it.
 */
bool teardown_wait_addr(struct l2tpd *d, const struct in_addr *a);

/* The addresses pending teardowns hold, for fn (reload re-claims them in new pools). */
void teardown_addrs(const struct l2tpd *d, void (*fn)(struct in_addr a, void *arg), void *arg);

#endif
