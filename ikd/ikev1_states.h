/*
 * The IKEv1 state machine as data: one const row per transition, in the manner of
 * Libreswan's "microcode". A row says: in this state, a message of this exchange
 * (carrying the payloads the row's isakmp_rules require and allow, under this
 * authentication method) is handled by this function, which leaves the SA (or the
 * Quick Mode exchange) in the next state. Each row carries its RFC 2409 flow.
 *
 * Initiators start exchanges outside the table (ikev1_main_initiate, ikev1_quick_initiate);
 * every received message goes through ikev1_find_transition(). ikev1_states_check() runs at
 * start-up and refuses a table with gaps, duplicates or rows that cannot be reached.
 */
#ifndef L2SEC_IKD_IKEV1_STATES_H
#define L2SEC_IKD_IKEV1_STATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikd/isakmp.h"

enum ikev1_state {
	IKEV1_NONE = 0,
	/* Main Mode (Identity Protection) */
	MM_R0,          /* responder: nothing yet (a new SA receives MM1) */
	MM_R1,          /* sent MM2 (SA), awaiting MM3 (KE, Ni) */
	MM_R2,          /* sent MM4 (KE, Nr), awaiting MM5 (IDii, HASH_I) */
	MM_I1,          /* sent MM1 (SA), awaiting MM2 */
	MM_I2,          /* sent MM3 (KE, Ni), awaiting MM4 */
	MM_I3,          /* sent MM5 (IDii, HASH_I), awaiting MM6 */
	/* Aggressive Mode */
	AM_R0,          /* responder: nothing yet (a new SA receives AM1) */
	AM_R1,          /* sent AM2, awaiting AM3 */
	AM_I1,          /* sent AM1, awaiting AM2 */
	/* Phase 1 done: Quick Mode and Informational run under it */
	P1_ESTABLISHED,
	/* Quick Mode, per exchange (message id) */
	QM_R0,          /* responder: nothing yet (a new exchange receives QM1) */
	QM_R1,          /* sent QM2, awaiting QM3 */
	QM_I1,          /* sent QM1, awaiting QM2 */
	QM_DONE,        /* IPsec SAs installed */
	IKEV1_STATE_COUNT,
};

struct ikev1_in;

/* A handler returns 0 (the state advances to row->next) or a negative errno with
 * in->err filled (reason and the notify to answer with). */
typedef int (*ikev1_handler_fn)(struct ikev1_in *in);

enum ikev1_row_flags {
	IKEV1_F_PHASE2 = 1,             /* state lives in the Quick Mode exchange */
	IKEV1_F_NEW_SA = 2,             /* message creates the SA (rcookie zero) */
};

struct ikev1_transition {
	uint8_t state;                  /* enum ikev1_state */
	uint8_t next;
	uint8_t exchange;               /* ISAKMP_XCHG_* */
	uint8_t auth;                   /* 0 = any method, else enum ikd_auth */
	uint8_t flags;                  /* enum ikev1_row_flags */
	const struct isakmp_rules *rules;
	ikev1_handler_fn handler;
	const char *name;               /* "main_r1" */
	const char *flow;               /* "HDR, SA --> HDR, SA" */
};

extern const struct ikev1_transition ikev1_transitions[];
extern const size_t ikev1_n_transitions;

/* The row for (state, exchange, auth); NULL when the message is not expected. */
const struct ikev1_transition *ikev1_find_transition(uint8_t state, uint8_t exchange,
						     uint8_t auth);
/* "MM_R1"..., "?" */
const char *ikev1_state_name(uint8_t state);
/*
 * Consistency of the table: states in range, no two rows for the same (state, exchange,
 * auth), every non-terminal state handled by some row, every row's rules match its
 * exchange. Returns 0 or -EINVAL with why filled.
 */
int ikev1_states_check(char *why, size_t size);

#endif
