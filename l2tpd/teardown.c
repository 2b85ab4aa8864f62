/*
 * Session teardown off the event loop: the pending teardowns, their threads and what is
 * left for the loop once a thread is done. See teardown.h.
 */
#include "l2tpd/teardown.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "l2tpd/daemon.h"
#include "l2tpd/kernel_ppp.h"
#include "l2tpd/kppp_bind.h"

static uint32_t td_bucket(uint16_t tid, uint16_t sid)
{
	return (((uint32_t)tid << 16 | sid) * 2654435761u >> 16) % TEARDOWN_BUCKETS;
}

bool teardown_pending(const struct l2tpd *d, uint16_t tid, uint16_t sid)
{
	const struct session_td *e;

	for (e = d->td_hash[td_bucket(tid, sid)]; e; e = e->hash_next)
		if (e->tid == tid && e->sid == sid)
			return true;
	return false;
}

/* The kernel objects are closed: what only the loop may do (its genl socket, the pools). */
static void kernel_done(struct l2tpd *d, const struct session_td *e)
{
	if (e->kernel_session && d->kl2tp.k.nl) {
		int r = kl2tp_session_delete(&d->kl2tp, e->tid, e->sid);

		if (r < 0 && r != -ENOENT && r != -ENODEV)
			log_debug("kernel_session_delete", "tunnel=%u session=%u err=%d", e->tid,
				  e->sid, r);
	}
	if (e->have_addr)
		l2tpd_addr_release(d, e->ip);
}

static void td_link(struct l2tpd *d, struct session_td *e)
{
	uint32_t b = td_bucket(e->tid, e->sid);

	e->next = NULL;
	e->prev = d->td_tail;
	if (d->td_tail)
		d->td_tail->next = e;
	else
		d->td_head = e;
	d->td_tail = e;
	e->hash_next = d->td_hash[b];
	d->td_hash[b] = e;
	d->n_teardowns++;
}

static void td_unlink_free(struct l2tpd *d, struct session_td *e)
{
	struct session_td **pp = &d->td_hash[td_bucket(e->tid, e->sid)];

	for (; *pp; pp = &(*pp)->hash_next)
		if (*pp == e) {
			*pp = e->hash_next;
			break;
		}
	if (e->prev)
		e->prev->next = e->next;
	else
		d->td_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		d->td_tail = e->prev;
	d->n_teardowns--;
	free(e);
}

/* A thread closed e's descriptors (kppp_bind_done). */
static void on_closed(void *arg, void *cookie, int result)
{
	struct l2tpd *d = arg;
	struct session_td *e = cookie;

	(void)result;
	kernel_done(d, e);
	td_unlink_free(d, e);
}

static void closer_readable(void *arg, int fd, int events)
{
	struct l2tpd *d = arg;

	(void)fd;
	(void)events;
	kppp_binder_collect(d->closer, on_closed, d);
}

void teardown_start(struct l2tpd *d)
{
	/* only close requests go to this binder: its PPPIOCGCHAN op is never used */
	d->closer = kppp_binder_new(TEARDOWN_THREADS, kppp_bind_op_gchan);
	if (!d->closer) {
		log_warn("teardown_threads_failed",
			 "errno=%d effect=\"sessions torn down on the event loop\"", errno);
		return;
	}
	evloop_io_init(&d->closer_io, &d->ev, kppp_binder_event_fd(d->closer), EVLOOP_READ,
		       closer_readable, d);
	evloop_io_start(&d->closer_io);
}

void teardown_stop(struct l2tpd *d)
{
	if (!d->closer)
		return;
	evloop_io_stop(&d->closer_io);
	if (d->n_teardowns)
		log_info("teardown_finishing", "sessions=%u", d->n_teardowns);
	kppp_binder_flush(d->closer, on_closed, d);
	kppp_binder_free(d->closer);
	d->closer = NULL;
}

void teardown_submit(struct l2tpd *d, struct kppp_session *k, uint16_t tid, uint16_t sid,
		     bool kernel_session, const struct in_addr *ip)
{
	struct session_td tmp = { .tid = tid, .sid = sid, .kernel_session = kernel_session,
				  .have_addr = ip != NULL, .ip = ip ? *ip : (struct in_addr){ 0 } };
	struct session_td *e = NULL;

	if (d->closer && (k->pppox_fd >= 0 || k->chan_fd >= 0 || k->unit_fd >= 0))
		e = malloc(sizeof *e);
	if (e) {
		*e = tmp;
		e->req = kppp_binder_submit_close(d->closer, k, e);
		if (e->req) {
			kppp_session_init(k);   /* the request's now */
			td_link(d, e);
			return;
		}
		free(e);
	}
	kppp_session_close(k);   /* no threads, nothing to wait for, or out of memory */
	kernel_done(d, &tmp);
}

bool teardown_wait_addr(struct l2tpd *d, const struct in_addr *a)
{
	struct session_td *e;

	for (e = d->td_head; e; e = e->next)
		if (e->have_addr && (!a || e->ip.s_addr == a->s_addr))
			break;
	if (!e)
		return false;
	kppp_binder_wait(d->closer, e->req);
	kernel_done(d, e);
	td_unlink_free(d, e);
	return true;
}

void teardown_addrs(const struct l2tpd *d, void (*fn)(struct in_addr a, void *arg), void *arg)
{
	for (const struct session_td *e = d->td_head; e; e = e->next)
		if (e->have_addr)
			fn(e->ip, arg);
}
