/*
 * libev glue: default loop, signal policy, cleanup hooks, thin watcher wrappers.
 * See evloop.h.
 */
#include "common/evloop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* libev has exactly one default loop, so at most one evloop can own it. */
static struct evloop *open_evloop;

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct evloop *l = w->data;

	if (w->signum == SIGHUP) {
		if (l->reload_fn)
			l->reload_fn(l->reload_arg);
		return;
	}
	evloop_shutdown(l, w->signum);
}

static void signal_start(struct evloop *l, ev_signal *w, int signo)
{
	ev_signal_init(w, on_signal, signo);
	w->data = l;
	ev_signal_start(l->loop, w);
	/* Signal watchers alone must not keep evloop_run() from returning. */
	ev_unref(l->loop);
}

static void signal_stop(struct evloop *l, ev_signal *w)
{
	if (!ev_is_active(w))
		return;
	ev_ref(l->loop); /* balances the ev_unref() in signal_start() */
	ev_signal_stop(l->loop, w);
}

int evloop_open(struct evloop *l)
{
	if (open_evloop)
		return -EBUSY;
	memset(l, 0, sizeof *l);
	l->loop = ev_default_loop(EVFLAG_AUTO);
	if (!l->loop)
		return -ENOMEM;
	/* A peer closing a socket must give EPIPE on write, not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	signal_start(l, &l->sig_int, SIGINT);
	signal_start(l, &l->sig_term, SIGTERM);
	signal_start(l, &l->sig_hup, SIGHUP);
	open_evloop = l;
	return 0;
}

void evloop_close(struct evloop *l)
{
	if (!l->loop)
		return;
	signal_stop(l, &l->sig_int);
	signal_stop(l, &l->sig_term);
	signal_stop(l, &l->sig_hup);
	ev_loop_destroy(l->loop);
	l->loop = NULL;
	if (open_evloop == l)
		open_evloop = NULL;
}

int evloop_run(struct evloop *l)
{
	/* ev_run() forgets an ev_break() made before it started, so check first. */
	if (!l->stopping)
		ev_run(l->loop, 0);
	return l->exit_signal;
}

void evloop_shutdown(struct evloop *l, int signo)
{
	if (!l->stopping) {
		l->stopping = true;
		l->exit_signal = signo;
		/* Reverse order: what was set up last depends on what was set up first. */
		while (l->n_hooks > 0) {
			struct evloop_hook *h = &l->hooks[--l->n_hooks];

			h->fn(h->arg);
		}
	}
	ev_break(l->loop, EVBREAK_ALL);
}

int evloop_add_cleanup(struct evloop *l, evloop_fn fn, void *arg)
{
	if (l->n_hooks >= EVLOOP_MAX_HOOKS)
		return -ENOSPC;
	l->hooks[l->n_hooks].fn = fn;
	l->hooks[l->n_hooks].arg = arg;
	l->n_hooks++;
	return 0;
}

void evloop_set_reload(struct evloop *l, evloop_fn fn, void *arg)
{
	l->reload_fn = fn;
	l->reload_arg = arg;
}

uint64_t evloop_now_ms(const struct evloop *l)
{
	return (uint64_t)(ev_now(l->loop) * 1000.0);
}

/* --- I/O ------------------------------------------------------------------------------ */

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct evloop_io *io = w->data;

	io->fn(io->arg, w->fd, revents & (EV_READ | EV_WRITE));
}

void evloop_io_init(struct evloop_io *io, struct evloop *l, int fd, int events,
		    evloop_io_fn fn, void *arg)
{
	memset(io, 0, sizeof *io);
	ev_io_init(&io->w, on_io, fd, events & (EV_READ | EV_WRITE));
	io->w.data = io;
	io->l = l;
	io->fn = fn;
	io->arg = arg;
}

void evloop_io_start(struct evloop_io *io)
{
	ev_io_start(io->l->loop, &io->w);
}

void evloop_io_stop(struct evloop_io *io)
{
	ev_io_stop(io->l->loop, &io->w);
}

void evloop_io_set_events(struct evloop_io *io, int events)
{
	bool active = ev_is_active(&io->w);

	/* libev requires a stopped watcher to change its event set. */
	if (active)
		ev_io_stop(io->l->loop, &io->w);
	ev_io_set(&io->w, io->w.fd, events & (EV_READ | EV_WRITE));
	if (active)
		ev_io_start(io->l->loop, &io->w);
}

bool evloop_io_active(const struct evloop_io *io)
{
	return ev_is_active(&io->w);
}

/* --- timers --------------------------------------------------------------------------- */

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct evloop_timer *t = w->data;

	t->fn(t->arg);
}

void evloop_timer_init(struct evloop_timer *t, struct evloop *l, evloop_fn fn, void *arg)
{
	memset(t, 0, sizeof *t);
	ev_timer_init(&t->w, on_timer, 0., 0.);
	t->w.data = t;
	t->l = l;
	t->fn = fn;
	t->arg = arg;
}

void evloop_timer_start(struct evloop_timer *t, uint64_t after_ms, uint64_t repeat_ms)
{
	ev_timer_stop(t->l->loop, &t->w);
	ev_timer_set(&t->w, (ev_tstamp)after_ms / 1000.0, (ev_tstamp)repeat_ms / 1000.0);
	ev_timer_start(t->l->loop, &t->w);
}

void evloop_timer_stop(struct evloop_timer *t)
{
	ev_timer_stop(t->l->loop, &t->w);
}

bool evloop_timer_active(const struct evloop_timer *t)
{
	return ev_is_active(&t->w);
}

uint64_t evloop_timer_remaining_ms(const struct evloop_timer *t)
{
	ev_tstamp left;

	if (!ev_is_active(&t->w))
		return 0;
	left = ev_timer_remaining(t->l->loop, (ev_timer *)&t->w);
	return left > 0 ? (uint64_t)(left * 1000.0 + 0.5) : 0;
}
