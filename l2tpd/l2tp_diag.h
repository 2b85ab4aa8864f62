/*
 * l2tpd's evidence for `vpnctl diagnose PEER`: what happened to each peer's L2TP tunnels,
 * calls and PPP sessions, in plain words, kept per peer address (common/diag_ring.h: the
 * last L2TP_DIAG_PER_PEER entries of each of the last L2TP_DIAG_PEERS addresses, least
 * recently noted forgotten first) and answered on the l2tp-peer-diag dump.
 *
 * Entries: a tunnel refused (not IPsec-protected, bad tunnel secret...), established, failed
 * before it was, lost (HELLO/retransmission timeout) or ended; a call refused; a PPP session
 * that stopped in LCP, in authentication (with the method, the user and the verdict: wrong
 * password, unknown user), at the user's authorization (pool exhausted, address in use,
 * duplicate login) or in IPCP; a session up; a session ended.
 * One book per process (l2tpd runs one daemon).
 */
#ifndef L2SEC_L2TPD_L2TP_DIAG_H
#define L2SEC_L2TPD_L2TP_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "l2tpd/ppp_auth.h"
#include "l2tpd/session.h"

struct ctl_request;
struct diag_entry;
struct tunnel;

#define L2TP_DIAG_PEERS 512
#define L2TP_DIAG_PER_PEER 10

/* A tunnel from peer refused before it was created (e.g. not protected by IPsec). */
void l2tp_diag_tunnel_refused(const struct sockaddr_storage *peer, const char *why);
/* t reached established. */
void l2tp_diag_tunnel_up(const struct tunnel *t);
/* t is being torn down for reason (once per tunnel). lost: the peer stopped answering. */
void l2tp_diag_tunnel_down(const struct tunnel *t, bool lost, const char *reason);
/* An incoming call (ICRQ) on t was refused. */
void l2tp_diag_call_refused(const struct tunnel *t, const char *why);
/* s reached established (PPP network phase up, address set). */
void l2tp_diag_session_up(const struct session *s);
/* s is closing for reason; call before its PPP engine is freed. */
void l2tp_diag_session_down(const struct session *s, const char *reason);

/* Control handler of CTL_CMD_L2TP_PEER_DIAG (diag_ring_dump). arg unused. */
int l2tp_diag_cmd(struct ctl_request *req, void *arg);

/* Entries kept for peer's address (tests). */
unsigned l2tp_diag_count(const struct sockaddr *peer);
/* Visit peer's entries oldest first (tests): diag_ring_each on the book. */
int l2tp_diag_each(const struct sockaddr *peer,
		   int (*fn)(const struct diag_entry *e, void *arg), void *arg);
/* Forget everything and free the book (tests, and l2tpd's exit). */
void l2tp_diag_reset(void);

/* --- the words alone (unit tests) ------------------------------------------------------ */

/* What a closing session tells about how far it got. */
struct l2tp_diag_call {
	enum session_state state;
	bool ppp;                       /* PPP had started (ICCN seen) */
	bool auth_finished, auth_success;
	enum ppp_auth_method method;    /* NONE before LCP opened (or when none is asked) */
	const char *user;               /* the name tried or authenticated, "" if none */
	const char *auth_why;           /* the verdict's reason when it failed */
	const char *reason;             /* why the session closed */
	uint64_t age_s;
};

/* Stage (enum ctl_diag_stage), result (enum ctl_diag_result) and plain words for c. */
void l2tp_diag_call_words(const struct l2tp_diag_call *c, uint8_t *stage, uint8_t *result,
			  char *text, size_t size);
/* "MS-CHAPv2", "CHAP-MD5", "PAP", "no authentication". */
const char *l2tp_diag_method_name(enum ppp_auth_method m);

#endif
