/*
 * The PPP engine of one L2TP session: a struct ppp_link (ppp_lcp.h: LCP, authentication,
 * IPCP) wired to the session's PPP channel descriptor, libev timers and the daemon's user
 * database, address pools and kernel unit.
 *
 * Control frames are read and written on the channel descriptor only: the unit (the
 * interface) is created once IPCP has opened, so until then every frame reaches the
 * channel (kernel_ppp.h); after that, NCP frames of a renegotiation arrive on the unit
 * descriptor, which is read too.
 *
 * The link's "finished" report never frees anything in place: the session is closed from
 * a zero-delay timer, outside the automaton's transition.
 */
#ifndef L2SEC_L2TPD_PPP_SESSION_H
#define L2SEC_L2TPD_PPP_SESSION_H

#include "common/evloop.h"
#include "l2tpd/ppp_lcp.h"

struct l2tpd;
struct session;

struct ppp_session {
	struct session *s;
	struct ppp_link link;
	struct evloop_timer timers[PPP_TIMER_COUNT];
	struct evloop_timer echo;
	struct evloop_timer finish;     /* deferred session close */
	struct evloop_io chan_io, unit_io;
	bool closing;                   /* finished reported or the session is going */
	char reason[96];
};

/* Build the shared link configuration from d->conf (once, at start-up). */
void ppp_session_setup(struct l2tpd *d);

/* A PPP engine for s (its channel is open). Owned by s; freed by ppp_session_free(). */
struct ppp_session *ppp_session_new(struct session *s);
/* LCP opens and sends its first Configure-Request. */
void ppp_session_start(struct ppp_session *p);
/* Close with an LCP Terminate exchange; the session ends when it is done. */
void ppp_session_close(struct ppp_session *p, const char *reason);
/* Stop everything at once (the session is being destroyed). NULL is fine. */
void ppp_session_free(struct ppp_session *p);
/* Free without a word to the peer or the kernel (exit with the session left to systemd's
 * fd store). NULL is fine. */
void ppp_session_forget(struct ppp_session *p);
/* Restart: an engine for the established session s (channel and unit open) resumed from
 * saved values: Opened, echo keepalives running, nothing sent. Owned by s. NULL on ENOMEM. */
struct ppp_session *ppp_session_adopt(struct session *s, const struct ppp_link_saved *v);

#endif
