/*
 * Event loop glue on libev, shared by every daemon.
 *
 * One struct evloop owns libev's default loop (the only loop that may watch signals) and
 * the process-wide signal policy:
 *   SIGINT, SIGTERM  -> evloop_shutdown(): the registered cleanup hooks run in reverse
 *                       order of registration, then evloop_run() returns;
 *   SIGHUP           -> the reload callback, if one is set (ignored otherwise);
 *   SIGPIPE          -> ignored, so a write to a closed socket returns EPIPE instead of
 *                       killing the daemon.
 * The signal watchers do not keep the loop alive by themselves: evloop_run() also returns
 * when no I/O watcher or timer is left.
 *
 * Watchers are small structs the caller embeds in its own objects (no allocation here);
 * callbacks get the caller's `void *arg`. Times are milliseconds.
 *
 * Not thread-safe: use one evloop from one thread.
 */
#ifndef L2SEC_COMMON_EVLOOP_H
#define L2SEC_COMMON_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#define EVLOOP_MAX_HOOKS 32

typedef void (*evloop_fn)(void *arg);

struct evloop_hook {
	evloop_fn fn;
	void *arg;
};

struct evloop {
	struct ev_loop *loop;
	ev_signal sig_int, sig_term, sig_hup;
	evloop_fn reload_fn;
	void *reload_arg;
	struct evloop_hook hooks[EVLOOP_MAX_HOOKS];
	unsigned n_hooks;
	bool stopping;      /* evloop_shutdown() ran (hooks run once) */
	int exit_signal;    /* signal that caused the shutdown, 0 if none */
};

/*
 * Take libev's default loop and install the signal policy above. Only one evloop may be
 * open at a time: a second open returns -EBUSY. Returns 0, -EBUSY or -ENOMEM.
 */
int evloop_open(struct evloop *l);

/*
 * Stop the signal watchers (restoring default dispositions for SIGINT/SIGTERM/SIGHUP) and
 * destroy the default loop. Stop your own watchers first. Does not run cleanup hooks.
 */
void evloop_close(struct evloop *l);

/* Run until evloop_shutdown() or until nothing is left to watch. Returns exit_signal. */
int evloop_run(struct evloop *l);

/*
 * Shut down: run the cleanup hooks once, newest first, then make evloop_run() return.
 * Safe to call from any callback and more than once; signo is recorded as exit_signal
 * (0 for a shutdown that no signal caused). Called before evloop_run(), it makes the
 * next evloop_run() return at once.
 */
void evloop_shutdown(struct evloop *l, int signo);

/* Register a cleanup hook. Returns 0 or -ENOSPC after EVLOOP_MAX_HOOKS hooks. */
int evloop_add_cleanup(struct evloop *l, evloop_fn fn, void *arg);

/* Set (or with fn == NULL clear) the SIGHUP reload callback. */
void evloop_set_reload(struct evloop *l, evloop_fn fn, void *arg);

/*
 * Wall-clock time in ms since the epoch as cached by libev at the start of this loop
 * iteration: cheap, for timestamps in logs and state. Not monotonic; timers are.
 */
uint64_t evloop_now_ms(const struct evloop *l);

/* --- I/O watchers ------------------------------------------------------------------ */

enum {
	EVLOOP_READ = EV_READ,
	EVLOOP_WRITE = EV_WRITE,
};

/* events is the subset of EVLOOP_READ|EVLOOP_WRITE that is ready. */
typedef void (*evloop_io_fn)(void *arg, int fd, int events);

struct evloop_io {
	ev_io w;
	struct evloop *l;
	evloop_io_fn fn;
	void *arg;
};

/* Prepare (but do not start) a watcher for events (EVLOOP_READ|EVLOOP_WRITE) on fd. */
void evloop_io_init(struct evloop_io *io, struct evloop *l, int fd, int events,
		    evloop_io_fn fn, void *arg);
void evloop_io_start(struct evloop_io *io);
void evloop_io_stop(struct evloop_io *io);
/* Change the watched events, e.g. add EVLOOP_WRITE while output is queued. */
void evloop_io_set_events(struct evloop_io *io, int events);
bool evloop_io_active(const struct evloop_io *io);

/* --- timers -------------------------------------------------------------------------- */

struct evloop_timer {
	ev_timer w;
	struct evloop *l;
	evloop_fn fn;
	void *arg;
};

void evloop_timer_init(struct evloop_timer *t, struct evloop *l, evloop_fn fn, void *arg);
/*
 * (Re)start: fire after after_ms, then every repeat_ms (0 = once). Restarting an active
 * timer moves it. A one-shot timer is inactive again when its callback runs, so the
 * callback may restart it. after_ms counts from the loop time of this iteration (libev's
 * cached "now"), so after a long callback the timer fires correspondingly early; repeats
 * do not drift.
 */
void evloop_timer_start(struct evloop_timer *t, uint64_t after_ms, uint64_t repeat_ms);
void evloop_timer_stop(struct evloop_timer *t);
bool evloop_timer_active(const struct evloop_timer *t);
/* Milliseconds until the timer fires next (0 if inactive or due). */
uint64_t evloop_timer_remaining_ms(const struct evloop_timer *t);

#endif
