/*
 * PPP authentication, authenticator side: PAP (RFC 1334 §2), CHAP with MD5 (RFC 1994) and
 * MS-CHAPv2 (RFC 2759). The peer (the VPN client) proves who it is; we never authenticate
 * ourselves to it.
 *
 * Driven like the automaton: ppp_auth_start() when LCP is up, ppp_auth_input() for PAP/CHAP
 * packets, ppp_auth_timeout() when its timer fires. It reports through callbacks: bytes to
 * send, timer start/stop, "look up this user's secret", and the outcome.
 */
#ifndef L2SEC_L2TPD_PPP_AUTH_H
#define L2SEC_L2TPD_PPP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tpd/mschap.h"

enum ppp_auth_method {
	PPP_AUTH_NONE = 0,
	PPP_AUTH_PAP,
	PPP_AUTH_CHAP_MD5,
	PPP_AUTH_MSCHAPV2,
	PPP_AUTH_METHOD_COUNT,
};

#define PPP_CHAP_ALG_MD5      0x05
#define PPP_CHAP_ALG_MSCHAPV2 0x81
#define PPP_AUTH_NAME_MAX     255

/* "none", "pap", "chap-md5", "mschapv2"; parse returns -1 for an unknown name. */
const char *ppp_auth_method_name(enum ppp_auth_method m);
int ppp_auth_method_parse(const char *name);

/* What the user database knows about a user. */
struct ppp_user_secret {
	bool has_password;
	char password[256];          /* NUL-terminated; works for every method */
	bool has_nt_hash;
	uint8_t nt_hash[MSCHAP_NT_HASH_LEN];   /* works for PAP and MS-CHAPv2 only */
};

struct ppp_auth_ops {
	void (*send)(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len);
	void (*timer_start)(void *ctx, uint32_t ms);
	void (*timer_stop)(void *ctx);
	/* Fill *out for user (the name as the peer sent it, domain stripped). 0 or -ENOENT.
	 * The caller wipes *out after use. */
	int (*get_secret)(void *ctx, const char *user, struct ppp_user_secret *out);
	/* Authentication finished: ok, the user name as looked up in the database (for
	 * MS-CHAPv2 without a DOMAIN\ prefix), and a reason for the log when not ok. */
	void (*done)(void *ctx, bool ok, const char *user, const char *reason);
};

struct ppp_auth {
	const struct ppp_auth_ops *ops;
	void *ctx;
	enum ppp_auth_method method;
	const char *our_name;          /* Name field of our CHAP Challenge (borrowed) */
	uint32_t restart_ms;           /* challenge retransmission / PAP wait period */
	uint8_t max_tries;             /* challenges sent / periods waited before failing */
	uint8_t tries;
	uint8_t id;
	uint8_t challenge[MSCHAPV2_CHALLENGE_LEN];
	bool running;
	bool finished;                 /* a verdict was given */
	bool success;
	uint8_t verdict_id;            /* to repeat Success/Failure for a repeated Response */
	uint16_t verdict_len;
	uint8_t verdict[128];          /* the Success/Failure packet (retransmitted on demand) */
	uint16_t verdict_proto;
	char user[PPP_AUTH_NAME_MAX + 1];
	char why[64];                  /* the verdict's reason ("wrong password"), for diagnose */
};

void ppp_auth_init(struct ppp_auth *a, const struct ppp_auth_ops *ops, void *ctx,
		   const char *our_name);
/* Begin authenticating with method (NONE: reports success at once). */
void ppp_auth_start(struct ppp_auth *a, enum ppp_auth_method method);
/* Stop timers (LCP went down). */
void ppp_auth_stop(struct ppp_auth *a);
/* A PAP or CHAP packet (starting at the code). Returns 0 or -EBADMSG (dropped). */
int ppp_auth_input(struct ppp_auth *a, uint16_t proto, const uint8_t *pkt, size_t len);
void ppp_auth_timeout(struct ppp_auth *a);

/*
 * The MS-CHAPv2 user name used in the ChallengeHash: the part after the last backslash
 * ("DOMAIN\user" -> "user"), RFC 2759 §4. Returns a pointer into name.
 */
const char *mschapv2_strip_domain(const char *name);

#endif
