/*
 * The IKEv1 transition table. See ikev1_states.h.
 */
#include "ikd/ikev1_states.h"

#include <errno.h>
#include <stdio.h>

#include "ikd/ikd_conf.h"
#include "ikd/ikev1_aggr.h"
#include "ikd/ikev1_info.h"
#include "ikd/ikev1_main.h"
#include "ikd/ikev1_quick.h"

#define PSK IKD_AUTH_PSK
#define RSA IKD_AUTH_RSA
#define MAIN ISAKMP_XCHG_MAIN
#define AGGR ISAKMP_XCHG_AGGRESSIVE
#define QUICK ISAKMP_XCHG_QUICK
#define INFO ISAKMP_XCHG_INFO

const struct ikev1_transition ikev1_transitions[] = {
	/* ---- Main Mode, responder (RFC 2409 5.4 / 5.1) ---- */
	{ MM_R0, MM_R1, MAIN, 0, IKEV1_F_NEW_SA, &isakmp_rules_mm_sa, ikev1_main_r0,
	  "main_r0", "HDR, SA --> HDR, SA" },
	{ MM_R1, MM_R2, MAIN, 0, 0, &isakmp_rules_mm_ke, ikev1_main_r1,
	  "main_r1", "HDR, KE, Ni [, NAT-D, NAT-D] --> HDR, KE, Nr [, NAT-D, NAT-D]" },
	{ MM_R2, P1_ESTABLISHED, MAIN, PSK, 0, &isakmp_rules_mm_auth_psk, ikev1_main_r2,
	  "main_r2_psk", "HDR*, IDii, HASH_I --> HDR*, IDir, HASH_R" },
	{ MM_R2, P1_ESTABLISHED, MAIN, RSA, 0, &isakmp_rules_mm_auth_sig, ikev1_main_r2,
	  "main_r2_sig", "HDR*, IDii, [CERT,] SIG_I --> HDR*, IDir, [CERT,] SIG_R" },
	/* ---- Main Mode, initiator ---- */
	{ MM_I1, MM_I2, MAIN, 0, 0, &isakmp_rules_mm_sa, ikev1_main_i1,
	  "main_i1", "HDR, SA <-- HDR, SA; send HDR, KE, Ni [, NAT-D, NAT-D]" },
	{ MM_I2, MM_I3, MAIN, 0, 0, &isakmp_rules_mm_ke, ikev1_main_i2,
	  "main_i2", "HDR, KE, Nr [, NAT-D, NAT-D] <--; send HDR*, IDii, HASH_I|SIG_I" },
	{ MM_I3, P1_ESTABLISHED, MAIN, PSK, 0, &isakmp_rules_mm_auth_psk, ikev1_main_i3,
	  "main_i3_psk", "HDR*, IDir, HASH_R <--" },
	{ MM_I3, P1_ESTABLISHED, MAIN, RSA, 0, &isakmp_rules_mm_auth_sig, ikev1_main_i3,
	  "main_i3_sig", "HDR*, IDir, [CERT,] SIG_R <--" },
	/* ---- Aggressive Mode, PSK (RFC 2409 5.4) ---- */
	{ AM_R0, AM_R1, AGGR, 0, IKEV1_F_NEW_SA, &isakmp_rules_am1, ikev1_aggr_r0,
	  "aggr_r0", "HDR, SA, KE, Ni, IDii --> HDR, SA, KE, Nr, IDir, HASH_R [, NAT-D, NAT-D]" },
	{ AM_R1, P1_ESTABLISHED, AGGR, PSK, 0, &isakmp_rules_am3_psk, ikev1_aggr_r1,
	  "aggr_r1_psk", "HDR[*], HASH_I [, NAT-D, NAT-D] -->" },
	{ AM_I1, P1_ESTABLISHED, AGGR, PSK, 0, &isakmp_rules_am2_psk, ikev1_aggr_i1,
	  "aggr_i1_psk", "HDR, SA, KE, Nr, IDir, HASH_R <--; send HDR*, HASH_I" },
	/* ---- Quick Mode (RFC 2409 5.5) ---- */
	{ QM_R0, QM_R1, QUICK, 0, IKEV1_F_PHASE2, &isakmp_rules_qm1, ikev1_quick_r0,
	  "quick_r0", "HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OA] --> "
		      "HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] [, NAT-OA]" },
	{ QM_R1, QM_DONE, QUICK, 0, IKEV1_F_PHASE2, &isakmp_rules_qm3, ikev1_quick_r1,
	  "quick_r1", "HDR*, HASH(3) -->" },
	{ QM_I1, QM_DONE, QUICK, 0, IKEV1_F_PHASE2, &isakmp_rules_qm1, ikev1_quick_i1,
	  "quick_i1", "HDR*, HASH(2), SA, Nr [, KE] [, IDci, IDcr] <--; send HDR*, HASH(3)" },
	/* ---- Informational (RFC 2409 5.7), protected once Phase 1 is up ---- */
	{ P1_ESTABLISHED, P1_ESTABLISHED, INFO, 0, 0, &isakmp_rules_info, ikev1_info_protected,
	  "info", "HDR*, HASH(1), N/D -->" },
	/* Before Phase 1 completes a peer may only tell us why it gave up, in clear. */
	{ MM_R1, MM_R1, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_r1", "HDR, N -->" },
	{ MM_R2, MM_R2, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_r2", "HDR, N -->" },
	{ MM_I1, MM_I1, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_i1", "HDR, N <--" },
	{ MM_I2, MM_I2, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_i2", "HDR, N <--" },
	{ MM_I3, MM_I3, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_i3", "HDR, N <--" },
	{ AM_I1, AM_I1, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_ai1", "HDR, N <--" },
	{ AM_R1, AM_R1, INFO, 0, 0, &isakmp_rules_info_plain, ikev1_info_plain,
	  "info_plain_ar1", "HDR, N -->" },
};

const size_t ikev1_n_transitions = sizeof ikev1_transitions / sizeof ikev1_transitions[0];

static const char *const state_names[IKEV1_STATE_COUNT] = {
	[IKEV1_NONE] = "NONE", [MM_R0] = "MM_R0", [MM_R1] = "MM_R1", [MM_R2] = "MM_R2",
	[MM_I1] = "MM_I1", [MM_I2] = "MM_I2", [MM_I3] = "MM_I3", [AM_R0] = "AM_R0",
	[AM_R1] = "AM_R1", [AM_I1] = "AM_I1", [P1_ESTABLISHED] = "P1_ESTABLISHED",
	[QM_R0] = "QM_R0", [QM_R1] = "QM_R1", [QM_I1] = "QM_I1", [QM_DONE] = "QM_DONE",
};

const char *ikev1_state_name(uint8_t state)
{
	return state < IKEV1_STATE_COUNT && state_names[state] ? state_names[state] : "?";
}

const struct ikev1_transition *ikev1_find_transition(uint8_t state, uint8_t exchange,
						     uint8_t auth)
{
	for (size_t i = 0; i < ikev1_n_transitions; i++) {
		const struct ikev1_transition *t = &ikev1_transitions[i];
		if (t->state == state && t->exchange == exchange && (!t->auth || t->auth == auth))
			return t;
	}
	return NULL;
}

int ikev1_states_check(char *why, size_t size)
{
	bool handled[IKEV1_STATE_COUNT] = { false };
	for (size_t i = 0; i < ikev1_n_transitions; i++) {
		const struct ikev1_transition *t = &ikev1_transitions[i];
		if (t->state == IKEV1_NONE || t->state >= IKEV1_STATE_COUNT ||
		    t->next >= IKEV1_STATE_COUNT || !t->handler || !t->rules || !t->name) {
			snprintf(why, size, "row %zu: bad state, handler or rules", i);
			return -EINVAL;
		}
		if (t->rules->exchange != t->exchange) {
			snprintf(why, size, "row %s: rules %s are for exchange %u, row is %u",
				 t->name, t->rules->name, t->rules->exchange, t->exchange);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++) {
			const struct ikev1_transition *u = &ikev1_transitions[j];
			if (u->state == t->state && u->exchange == t->exchange &&
			    (u->auth == t->auth || !u->auth)) {
				snprintf(why, size, "rows %s and %s overlap", u->name, t->name);
				return -EINVAL;
			}
		}
		bool phase2 = t->state >= QM_R0 && t->state <= QM_DONE;
		if (phase2 != !!(t->flags & IKEV1_F_PHASE2)) {
			snprintf(why, size, "row %s: PHASE2 flag does not match its state", t->name);
			return -EINVAL;
		}
		handled[t->state] = true;
	}
	/* Every state waiting for a message must have a row. */
	static const uint8_t waiting[] = { MM_R0, MM_R1, MM_R2, MM_I1, MM_I2, MM_I3, AM_R0,
					   AM_R1, AM_I1, P1_ESTABLISHED, QM_R0, QM_R1, QM_I1 };
	for (size_t i = 0; i < sizeof waiting; i++)
		if (!handled[waiting[i]]) {
			snprintf(why, size, "state %s has no transition", state_names[waiting[i]]);
			return -EINVAL;
		}
	return 0;
}
