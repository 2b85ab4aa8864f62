/*
 * libFuzzer target: PPP packet and option parsing through a whole ppp_link (LCP, PAP,
 * CHAP/MS-CHAPv2, IPCP, Protocol-Reject). Input: one mode octet (which phase to start in),
 * then records of [length octet][frame]; a zero length means "a timer fires" (next octet
 * picks which) or an echo tick.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "l2tpd/ppp_lcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sent_bytes;
static void f_send(void *ctx, const uint8_t *f, size_t len) { sent_bytes += len; }
static void f_tstart(void *ctx, enum ppp_timer t, uint32_t ms) {}
static void f_tstop(void *ctx, enum ppp_timer t) {}
static int f_secret(void *ctx, const char *user, struct ppp_user_secret *s)
{
	if (user[0] == 'n') {
		s->has_nt_hash = true;
		memset(s->nt_hash, 0x11, sizeof s->nt_hash);
		return 0;
	}
	s->has_password = true;
	strcpy(s->password, "pw");
	return user[0] ? 0 : -ENOENT;
}
static int f_alloc(void *ctx, const char *user, uint32_t *a) { *a = 0xc6336410; return 0; }
static void f_free(void *ctx, uint32_t a) {}
static void f_up(void *ctx, const struct ppp_link_info *i) {}
static void f_down(void *ctx) {}
static void f_finished(void *ctx, const char *reason) {}

static const struct ppp_link_ops ops = { f_send, f_tstart, f_tstop, f_secret, f_alloc, f_free,
					 f_up, f_down, f_finished };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ppp_link link;
	struct ppp_link_cfg cfg;
	size_t off = 1;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	memset(&cfg, 0, sizeof cfg);
	ppp_lcp_cfg_default(&cfg.lcp);
	cfg.lcp.accept_pfc = mode & 0x10;
	cfg.ipcp.local_addr = 0xc6336401;
	cfg.ipcp.dns[0] = 0xc0000235;
	ppp_link_init(&link, &cfg, &ops, NULL);
	ppp_link_start(&link);
	if ((mode & 3) >= 1) {     /* skip to authentication with one of the methods */
		ppp_fsm_set_state(&link.lcp.fsm, PPP_OPENED);
		link.phase = PPP_PHASE_AUTHENTICATE;
		ppp_auth_start(&link.auth, (enum ppp_auth_method)(1 + (mode >> 2) % 3));
	}
	if ((mode & 3) >= 2) {     /* and on to the network phase */
		link.phase = PPP_PHASE_NETWORK;
		link.ipcp.peer_addr = 0xc6336410;
		ppp_fsm_event(&link.ipcp.fsm, PPP_EV_OPEN);
		ppp_fsm_event(&link.ipcp.fsm, PPP_EV_UP);
	}
	while (off < size) {
		size_t len = data[off++];

		if (len == 0) {
			uint8_t which = off < size ? data[off++] : 0;

			if (which % 4 == 3)
				ppp_link_echo_tick(&link);
			else
				ppp_link_timeout(&link, (enum ppp_timer)(which % 4));
			continue;
		}
		if (len > size - off)
			len = size - off;
		(void)ppp_link_input(&link, data + off, len);
		off += len;
	}
	ppp_link_lower_down(&link, "fuzz done");
	return 0;
}
