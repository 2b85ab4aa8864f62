/*
 * `vpnctl diagnose PEER`: ikd's and l2tpd's evidence about one peer merged into one
 * checklist. Entries (peer-diag and l2tp-peer-diag dump entries) are collected, put in
 * time order (oldest first), and summed up per step of an L2TP/IPsec connection:
 *
 *     IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: MS-CHAPv2 failed for user bob: wrong password
 *
 * A step's verdict is its newest entry that is not an ending ("ok", or the failure in
 * plain words); an ending (an SA deleted, a session closed) is shown in the time line but
 * does not undo the step's success. Printing is for people (summary, then the time line)
 * or JSON (one object, fields documented in vpnctl(8)).
 */
#ifndef L2SEC_CTL_DIAG_VIEW_H
#define L2SEC_CTL_DIAG_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/netlink.h>

enum diag_source {
	DIAG_FROM_IKD = 0,
	DIAG_FROM_L2TPD = 1,
};

struct diag_item {
	uint64_t age_ms;
	uint32_t repeat;
	uint8_t source;                 /* enum diag_source */
	uint8_t stage;                  /* enum ctl_diag_stage */
	uint8_t result;                 /* enum ctl_diag_result */
	char addr[48];                  /* "192.0.2.254" */
	uint16_t port;
	char user[64], conn[64];
	char text[256];
};

/* The steps of the summary, in connection order. */
enum diag_step {
	DIAG_STEP_IKE = 0,
	DIAG_STEP_PHASE2,
	DIAG_STEP_L2TP,
	DIAG_STEP_PPP,
	DIAG_STEP_COUNT,
};

struct diag_view {
	struct diag_item *items;        /* owned */
	size_t n, cap;
	bool have[2];                   /* [enum diag_source]: that daemon answered */
};

/* Add one dump entry (tb[CTL_A_MAX + 1]) from src. Entries without a stage (an older
 * ikd) count as IKE failures. Returns 0, -EINVAL (no reason) or -ENOMEM. */
int diag_view_add(struct diag_view *v, enum diag_source src, const struct nlattr *const *tb);
/* Oldest first; at the same time, in connection order (IKE before L2TP...). */
void diag_view_sort(struct diag_view *v);
void diag_view_free(struct diag_view *v);

/* The newest non-ending entry of step, or NULL. Call after diag_view_sort. */
const struct diag_item *diag_view_verdict(const struct diag_view *v, enum diag_step step);
/* "IKE: ok, phase 2: ok, L2TP: tunnel ok, PPP: ..." into buf. After diag_view_sort. */
void diag_view_summary(const struct diag_view *v, char *buf, size_t len);

/* Print for peer (as the user typed it); now is the wall clock for the time column. */
void diag_view_print(const struct diag_view *v, FILE *out, bool json, const char *peer,
		     time_t now);

#endif
