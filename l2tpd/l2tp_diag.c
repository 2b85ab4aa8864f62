/*
 * l2tpd's per-peer evidence for `vpnctl diagnose`. See l2tp_diag.h.
 */
#include "l2tpd/l2tp_diag.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/ctl.h"
#include "common/diag_ring.h"
#include "l2tpd/daemon.h"
#include "l2tpd/ppp_session.h"
#include "l2tpd/tunnel.h"

static struct diag_ring *book;  /* created at the first note */

static void note(const struct sockaddr_storage *peer, uint8_t stage, uint8_t result,
		 const char *user, const char *text)
{
	struct diag_entry e;

	if (!book && !(book = diag_ring_new(L2TP_DIAG_PEERS, L2TP_DIAG_PER_PEER)))
		return;
	memset(&e, 0, sizeof e);
	e.peer = *peer;
	e.stage = stage;
	e.result = result;
	snprintf(e.user, sizeof e.user, "%s", user ? user : "");
	snprintf(e.text, sizeof e.text, "%s", text);
	diag_ring_note(book, &e, l2tpd_now_ms());
}

const char *l2tp_diag_method_name(enum ppp_auth_method m)
{
	switch (m) {
	case PPP_AUTH_PAP: return "PAP";
	case PPP_AUTH_CHAP_MD5: return "CHAP-MD5";
	case PPP_AUTH_MSCHAPV2: return "MS-CHAPv2";
	default: return "no authentication";
	}
}

/* ---- tunnels and calls ------------------------------------------------------------------- */

void l2tp_diag_tunnel_refused(const struct sockaddr_storage *peer, const char *why)
{
	char text[DIAG_TEXT_MAX];

	snprintf(text, sizeof text, "L2TP tunnel refused: %s", why);
	note(peer, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_FAILED, NULL, text);
}

void l2tp_diag_tunnel_up(const struct tunnel *t)
{
	char text[DIAG_TEXT_MAX];

	if (t->lac)
		return;         /* our own outgoing tunnels are not a client's evidence */
	snprintf(text, sizeof text, "L2TP tunnel %u established (host %s)", t->tid,
		 t->hostname[0] ? t->hostname : "-");
	note(&t->peer, CTL_DIAG_L2TP_TUNNEL, CTL_DIAG_OK, NULL, text);
}

void l2tp_diag_tunnel_down(const struct tunnel *t, bool lost, const char *reason)
{
	char text[DIAG_TEXT_MAX];
	bool was_up = t->state == TUNNEL_ESTABLISHED;

	if (t->lac)
		return;         /* our own outgoing tunnels are not a client's evidence */
	if (lost)
		snprintf(text, sizeof text, "L2TP tunnel %u lost, the client stopped answering "
			 "(HELLO/retransmission timeout): %s", t->tid, reason);
	else
		snprintf(text, sizeof text, "L2TP tunnel %u %s: %s", t->tid,
			 was_up ? "ended" : "failed before it was established", reason);
	note(&t->peer, CTL_DIAG_L2TP_TUNNEL, was_up && !lost ? CTL_DIAG_ENDED : CTL_DIAG_FAILED,
	     NULL, text);
}

void l2tp_diag_call_refused(const struct tunnel *t, const char *why)
{
	char text[DIAG_TEXT_MAX];

	snprintf(text, sizeof text, "L2TP call refused in tunnel %u: %s", t->tid, why);
	note(&t->peer, CTL_DIAG_L2TP_SESSION, CTL_DIAG_FAILED, NULL, text);
}

/* ---- sessions ---------------------------------------------------------------------------- */

void l2tp_diag_call_words(const struct l2tp_diag_call *c, uint8_t *stage, uint8_t *result,
			  char *text, size_t size)
{
	const char *u = c->user && c->user[0] ? c->user : "(none)";
	const char *m = l2tp_diag_method_name(c->method);
	bool lcp_opened = c->auth_finished || c->method != PPP_AUTH_NONE;

	*result = CTL_DIAG_FAILED;
	if (c->state == SESSION_ESTABLISHED) {
		*stage = CTL_DIAG_L2TP_SESSION;
		*result = CTL_DIAG_ENDED;
		snprintf(text, size, "session of user %s ended after %llus: %s", u,
			 (unsigned long long)c->age_s, c->reason);
	} else if (!c->ppp) {
		*stage = CTL_DIAG_L2TP_SESSION;
		snprintf(text, size, "L2TP call ended before PPP started: %s", c->reason);
	} else if (c->auth_finished && !c->auth_success) {
		*stage = CTL_DIAG_PPP_AUTH;
		snprintf(text, size, "%s failed for user %s: %s", m, u,
			 c->auth_why && c->auth_why[0] ? c->auth_why : c->reason);
	} else if (c->auth_finished && c->state == SESSION_PPP_NCP) {
		*stage = CTL_DIAG_PPP_IPCP;
		snprintf(text, size, "IPCP did not converge for user %s: %s", u, c->reason);
	} else if (c->auth_finished) {
		/* authenticated, then refused by session_authorized() (pool, duplicate...) */
		*stage = CTL_DIAG_PPP_AUTH;
		snprintf(text, size, "user %s authenticated (%s) but was refused: %s", u, m,
			 c->reason);
	} else if (lcp_opened) {
		*stage = CTL_DIAG_PPP_AUTH;
		snprintf(text, size, "%s authentication did not complete%s%s: %s", m,
			 c->user && c->user[0] ? " for user " : "", c->user ? c->user : "",
			 c->reason);
	} else {
		*stage = CTL_DIAG_PPP_LCP;
		snprintf(text, size, "LCP negotiation did not converge: %s", c->reason);
	}
}

void l2tp_diag_session_up(const struct session *s)
{
	char text[DIAG_TEXT_MAX], ip[INET_ADDRSTRLEN] = "-";
	enum ppp_auth_method m = s->ppp ? s->ppp->link.auth.method : PPP_AUTH_NONE;

	if (s->t->lac)
		return;
	inet_ntop(AF_INET, &s->client_ip, ip, sizeof ip);
	snprintf(text, sizeof text, "user %.64s connected (%s): address %s on %s", s->user,
		 l2tp_diag_method_name(m), ip, s->k.ifname[0] ? s->k.ifname : "-");
	note(&s->t->peer, CTL_DIAG_PPP_IPCP, CTL_DIAG_OK, s->user, text);
}

void l2tp_diag_session_down(const struct session *s, const char *reason)
{
	const struct ppp_link *l = s->ppp ? &s->ppp->link : NULL;
	struct l2tp_diag_call c = {
		.state = s->state, .ppp = l != NULL, .reason = reason ? reason : "closed",
		.user = s->user,
		.age_s = (l2tpd_now_ms() - s->created_ms) / 1000u,
	};
	char text[DIAG_TEXT_MAX];
	uint8_t stage, result;

	if (s->t->lac || s->state == SESSION_CLOSING)
		return;
	if (l) {
		c.auth_finished = l->auth.finished;
		c.auth_success = l->auth.success;
		c.method = l->auth.method;
		c.auth_why = l->auth.why;
		if (!c.user[0])
			c.user = l->user[0] ? l->user : l->auth.user;
	}
	if (s->state == SESSION_ESTABLISHED && s->up_ms)
		c.age_s = (l2tpd_now_ms() - s->up_ms) / 1000u;
	l2tp_diag_call_words(&c, &stage, &result, text, sizeof text);
	note(&s->t->peer, stage, result, c.user, text);
}

/* ---- the dump ---------------------------------------------------------------------------- */

int l2tp_diag_cmd(struct ctl_request *req, void *arg)
{
	(void)arg;
	return diag_ring_dump(book, req, l2tpd_now_ms());
}

unsigned l2tp_diag_count(const struct sockaddr *peer)
{
	return diag_ring_count(book, peer);
}

int l2tp_diag_each(const struct sockaddr *peer,
		   int (*fn)(const struct diag_entry *e, void *arg), void *arg)
{
	return diag_ring_each(book, peer, fn, arg);
}

void l2tp_diag_reset(void)
{
	diag_ring_free(book);
	book = NULL;
}
