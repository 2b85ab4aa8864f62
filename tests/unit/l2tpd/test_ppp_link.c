/*
 * The PPP engine end to end, as the clients of CLIENTS.md drive it: LCP with Windows'
 * MRU 1400 + Callback + PFC/ACFC, Identification packets, IPV6CP and CCP (Protocol-Reject),
 * MS-CHAPv2 computed here as a client would; Android/macOS pppd with ACCM, VJ compression
 * and DNS requests; CHAP-MD5 after a Nak; PAP; failures with their reasons.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/mschap.h"
#include "l2tpd/ppp_lcp.h"

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct frame { uint16_t proto; uint8_t code, id; uint16_t len; uint8_t data[1600]; };

struct h {
	struct ppp_link link;
	struct ppp_link_cfg cfg;
	struct frame out[64];
	unsigned nout, next;
	bool timer[PPP_TIMER_COUNT];
	uint32_t allocated, freed;
	struct ppp_link_info info;
	char user_seen[64];
	int ups, downs, finished;
	char reason[128];
};

static struct h H;

static void o_send(void *ctx, const uint8_t *f, size_t len)
{
	struct h *h = ctx;
	struct frame *fr = &h->out[h->nout++];

	assert_true(h->nout < 64 && len >= 6 && len - 6 <= sizeof fr->data);
	fr->proto = (uint16_t)(f[0] << 8 | f[1]);
	fr->code = f[2];
	fr->id = f[3];
	fr->len = (uint16_t)(f[4] << 8 | f[5]);
	assert_int_equal(fr->len, len - 2);
	memcpy(fr->data, f + 6, len - 6);
}
static void o_tstart(void *ctx, enum ppp_timer t, uint32_t ms) { ((struct h *)ctx)->timer[t] = true; }
static void o_tstop(void *ctx, enum ppp_timer t) { ((struct h *)ctx)->timer[t] = false; }

static int o_secret(void *ctx, const char *user, struct ppp_user_secret *s)
{
	snprintf(((struct h *)ctx)->user_seen, 64, "%s", user);
	if (!strcmp(user, "alice")) {
		s->has_password = true;
		strcpy(s->password, "clientPass");
		return 0;
	}
	if (!strcmp(user, "bob")) {   /* NT hash only */
		s->has_nt_hash = true;
		return mschap_nt_hash("b0b-secret", s->nt_hash);
	}
	return -ENOENT;
}
static int o_alloc(void *ctx, const char *user, uint32_t *a)
{
	*a = ADDR(198, 51, 100, 10);
	((struct h *)ctx)->allocated = *a;
	return 0;
}
static void o_free(void *ctx, uint32_t a) { ((struct h *)ctx)->freed = a; }
static void o_up(void *ctx, const struct ppp_link_info *i)
{
	struct h *h = ctx;
	h->info = *i;
	h->ups++;
}
static void o_down(void *ctx) { ((struct h *)ctx)->downs++; }
static void o_finished(void *ctx, const char *reason)
{
	struct h *h = ctx;
	h->finished++;
	snprintf(h->reason, sizeof h->reason, "%s", reason);
}

static const struct ppp_link_ops ops = { o_send, o_tstart, o_tstop, o_secret, o_alloc, o_free,
					 o_up, o_down, o_finished };

static int setup(void **state)
{
	memset(&H, 0, sizeof H);
	ppp_lcp_cfg_default(&H.cfg.lcp);
	H.cfg.ipcp.local_addr = ADDR(198, 51, 100, 1);
	H.cfg.ipcp.dns[0] = ADDR(192, 0, 2, 53);
	H.cfg.ipcp.dns[1] = ADDR(192, 0, 2, 54);
	H.cfg.server_name = "l2sec";
	ppp_link_init(&H.link, &H.cfg, &ops, &H);
	*state = &H;
	return 0;
}

/* The next frame the server sent: must be proto/code. */
static struct frame *next_out(uint16_t proto, uint8_t code)
{
	if (H.next >= H.nout)
		fail_msg("expected %04x/%u, server sent nothing more", proto, code);
	struct frame *f = &H.out[H.next++];
	if (f->proto != proto || f->code != code)
		fail_msg("expected %04x/%u, got %04x/%u", proto, code, f->proto, f->code);
	return f;
}

static void no_more_out(void) { assert_int_equal(H.next, H.nout); }

static int peer(uint16_t proto, uint8_t code, uint8_t id, const void *data, size_t len)
{
	uint8_t f[1700];

	f[0] = (uint8_t)(proto >> 8); f[1] = (uint8_t)proto;
	f[2] = code; f[3] = id;
	f[4] = (uint8_t)((len + 4) >> 8); f[5] = (uint8_t)(len + 4);
	if (len)
		memcpy(f + 6, data, len);
	return ppp_link_input(&H.link, f, len + 6);
}

/* Ack the server's Configure-Request in f (echo its options). */
static void peer_ack(uint16_t proto, const struct frame *f)
{
	assert_int_equal(peer(proto, PPP_CONF_ACK, f->id, f->data, f->len - 4u), 0);
}

/* LCP up the Windows way; returns the server's Configure-Request. */
static struct frame *lcp_windows(void)
{
	/* MRU 1400, Magic, PFC, ACFC, Callback (6: by authentication) */
	const uint8_t cr1[] = { 1, 4, 0x05, 0x78, 5, 6, 0x11, 0x22, 0x33, 0x44, 7, 2, 8, 2,
				13, 3, 6 };
	const uint8_t rej[] = { 7, 2, 8, 2, 13, 3, 6 };
	const uint8_t cr2[] = { 1, 4, 0x05, 0x78, 5, 6, 0x11, 0x22, 0x33, 0x44 };

	ppp_link_start(&H.link);
	struct frame *scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	/* we ask MS-CHAPv2 (c223 81) and a magic number */
	assert_int_equal(scr->len, 4 + 5 + 6);
	const uint8_t auth[] = { 3, 5, 0xc2, 0x23, 0x81 };
	assert_memory_equal(scr->data, auth, 5);
	assert_true(H.timer[PPP_TIMER_LCP]);

	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr1, sizeof cr1);
	struct frame *f = next_out(PPP_PROTO_LCP, PPP_CONF_REJ);
	assert_int_equal(f->id, 1);
	assert_int_equal(f->len, 4 + sizeof rej);
	assert_memory_equal(f->data, rej, sizeof rej);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 2, cr2, sizeof cr2);
	f = next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	assert_memory_equal(f->data, cr2, sizeof cr2);
	return scr;
}

static void test_windows_mschapv2(void **state)
{
	struct frame *scr = lcp_windows(), *f;
	uint8_t ident[] = { 0x11, 0x22, 0x33, 0x44, 'M', 'S', 'R', 'A', 'S', 'V', '5', '.', '2', '0' };

	peer_ack(PPP_PROTO_LCP, scr);
	assert_int_equal(H.link.lcp.fsm.state, PPP_OPENED);
	assert_int_equal(H.link.lcp.peer_mru, 1400);
	assert_false(H.timer[PPP_TIMER_LCP]);
	assert_int_equal(H.link.phase, PPP_PHASE_AUTHENTICATE);
	/* Windows sends LCP Identification: silently discarded, no Code-Reject */
	peer(PPP_PROTO_LCP, 12, 3, ident, sizeof ident);

	struct frame *ch = next_out(PPP_PROTO_CHAP, 1);
	assert_int_equal(ch->data[0], 16);
	assert_memory_equal(ch->data + 17, "l2sec", 5);
	no_more_out();

	/* the client side of RFC 2759, computed with the crypto module */
	uint8_t peer_ch[16], hash[16], ntr[24], resp[5 + 49 + 11];
	memset(peer_ch, 0x42, 16);
	assert_int_equal(mschap_nt_hash("clientPass", hash), 0);
	assert_int_equal(mschapv2_nt_response(ch->data + 1, peer_ch, "alice", hash, ntr), 0);
	resp[0] = 49;
	memcpy(resp + 1, peer_ch, 16);
	memset(resp + 17, 0, 8);
	memcpy(resp + 25, ntr, 24);
	resp[49] = 0;
	memcpy(resp + 50, "CORP\\alice", 10);   /* Windows prefixes the domain */
	assert_int_equal(peer(PPP_PROTO_CHAP, 2, ch->id, resp, 60), 0);
	assert_string_equal(H.user_seen, "alice");
	f = next_out(PPP_PROTO_CHAP, 3);
	char expect[43] = { 0 };
	assert_int_equal(mschapv2_authenticator_response(hash, ntr, peer_ch, ch->data + 1,
							 "alice", expect), 0);
	assert_memory_equal(f->data, expect, 42);
	assert_memory_equal(f->data + 42, " M=", 3);
	assert_int_equal(H.link.phase, PPP_PHASE_NETWORK);

	/* Network phase: server IPCP request, then Windows' IPCP, IPV6CP and CCP */
	struct frame *icr = next_out(PPP_PROTO_IPCP, PPP_CONF_REQ);
	const uint8_t our_addr[] = { 3, 6, 198, 51, 100, 1 };
	assert_memory_equal(icr->data, our_addr, 6);
	const uint8_t v6cp[] = { 1, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
	peer(PPP_PROTO_IPV6CP, PPP_CONF_REQ, 5, v6cp, sizeof v6cp);
	f = next_out(PPP_PROTO_LCP, PPP_PROTO_REJ);
	assert_int_equal(f->data[0] << 8 | f->data[1], PPP_PROTO_IPV6CP);
	assert_int_equal(f->data[2], PPP_CONF_REQ);   /* the rejected packet follows */
	const uint8_t ccp[] = { 18, 6, 0, 0, 0, 0x60 };  /* MPPE */
	peer(PPP_PROTO_CCP, PPP_CONF_REQ, 6, ccp, sizeof ccp);
	f = next_out(PPP_PROTO_LCP, PPP_PROTO_REJ);
	assert_int_equal(f->data[0] << 8 | f->data[1], PPP_PROTO_CCP);

	const uint8_t i1[] = { 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 130, 6, 0, 0, 0, 0,
			       131, 6, 0, 0, 0, 0, 132, 6, 0, 0, 0, 0 };
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 7, i1, sizeof i1);
	f = next_out(PPP_PROTO_IPCP, PPP_CONF_REJ);       /* no WINS configured */
	const uint8_t rej_nbns[] = { 130, 6, 0, 0, 0, 0, 132, 6, 0, 0, 0, 0 };
	assert_int_equal(f->len, 4 + 12);
	assert_memory_equal(f->data, rej_nbns, 12);
	const uint8_t i2[] = { 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0, 131, 6, 0, 0, 0, 0 };
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 8, i2, sizeof i2);
	f = next_out(PPP_PROTO_IPCP, PPP_CONF_NAK);
	const uint8_t nak[] = { 3, 6, 198, 51, 100, 10, 129, 6, 192, 0, 2, 53, 131, 6, 192, 0, 2, 54 };
	assert_int_equal(f->len, 4 + sizeof nak);
	assert_memory_equal(f->data, nak, sizeof nak);
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 9, nak, sizeof nak);
	f = next_out(PPP_PROTO_IPCP, PPP_CONF_ACK);
	assert_int_equal(H.ups, 0);
	peer_ack(PPP_PROTO_IPCP, icr);
	assert_int_equal(H.ups, 1);
	assert_string_equal(H.info.user, "alice");   /* as the database knows it */
	assert_int_equal(H.info.method, PPP_AUTH_MSCHAPV2);
	assert_int_equal(H.info.peer_addr, ADDR(198, 51, 100, 10));
	assert_int_equal(H.info.local_addr, ADDR(198, 51, 100, 1));
	assert_int_equal(H.info.peer_mru, 1400);
	assert_true(H.info.dns_requested);
	no_more_out();

	/* Echo request from the peer is answered with our magic */
	const uint8_t echo[] = { 0x11, 0x22, 0x33, 0x44, 'x' };
	peer(PPP_PROTO_LCP, PPP_ECHO_REQ, 40, echo, sizeof echo);
	f = next_out(PPP_PROTO_LCP, PPP_ECHO_REP);
	assert_int_equal(f->id, 40);
	assert_int_equal((uint32_t)f->data[0] << 24 | (uint32_t)f->data[1] << 16 | (uint32_t)f->data[2] << 8 | f->data[3],
			 H.link.lcp.our_magic);
	assert_int_equal(f->data[4], 'x');
	/* a long one: the reply is cut to the peer's MRU of 1400 (RFC 1661 §5.8) */
	uint8_t big[1500 - 4];
	memset(big, 'y', sizeof big);
	peer(PPP_PROTO_LCP, PPP_ECHO_REQ, 42, big, sizeof big);
	f = next_out(PPP_PROTO_LCP, PPP_ECHO_REP);
	assert_int_equal(f->len, 1400);

	/* The client hangs up: Terminate-Request, we ack, network down, finished after zrc */
	peer(PPP_PROTO_LCP, PPP_TERM_REQ, 41, NULL, 0);
	next_out(PPP_PROTO_LCP, PPP_TERM_ACK);
	assert_int_equal(H.downs, 1);
	assert_int_equal(H.freed, ADDR(198, 51, 100, 10));
	assert_true(H.timer[PPP_TIMER_LCP]);
	ppp_link_timeout(&H.link, PPP_TIMER_LCP);
	assert_int_equal(H.finished, 1);
	assert_string_equal(H.reason, "peer closed the link");
	assert_int_equal(H.link.phase, PPP_PHASE_DEAD);
}

/* Android / macOS pppd: ACCM, PFC, ACFC; IPCP with VJ compression and DNS. */
static void test_pppd_client(void **state)
{
	const uint8_t cr[] = { 2, 6, 0, 0, 0, 0, 5, 6, 0xde, 0xad, 0xbe, 0xef, 7, 2, 8, 2 };
	const uint8_t cr2[] = { 2, 6, 0, 0, 0, 0, 5, 6, 0xde, 0xad, 0xbe, 0xef };
	struct frame *scr, *f;

	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	f = next_out(PPP_PROTO_LCP, PPP_CONF_REJ);
	assert_int_equal(f->len, 4 + 4);                    /* PFC and ACFC only */
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 2, cr2, sizeof cr2);
	next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	peer_ack(PPP_PROTO_LCP, scr);
	struct frame *ch = next_out(PPP_PROTO_CHAP, 1);

	uint8_t peer_ch[16], hash[16], ntr[24], resp[5 + 49 + 3];
	memset(peer_ch, 7, 16);
	mschap_nt_hash("b0b-secret", hash);
	mschapv2_nt_response(ch->data + 1, peer_ch, "bob", hash, ntr);
	resp[0] = 49;
	memcpy(resp + 1, peer_ch, 16);
	memset(resp + 17, 0, 8);
	memcpy(resp + 25, ntr, 24);
	resp[49] = 0;
	memcpy(resp + 50, "bob", 3);
	peer(PPP_PROTO_CHAP, 2, ch->id, resp, 53);
	next_out(PPP_PROTO_CHAP, 3);
	/* the Success was lost: the peer repeats its Response and gets it again */
	peer(PPP_PROTO_CHAP, 2, ch->id, resp, 53);
	struct frame *icr = next_out(PPP_PROTO_IPCP, PPP_CONF_REQ);
	next_out(PPP_PROTO_CHAP, 3);

	/* VJ (2, 002d, max slot 15, compress slot id 1), address 0, DNS */
	const uint8_t i1[] = { 2, 6, 0x00, 0x2d, 0x0f, 0x01, 3, 6, 0, 0, 0, 0, 129, 6, 0, 0, 0, 0,
			       131, 6, 0, 0, 0, 0 };
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, i1, sizeof i1);
	f = next_out(PPP_PROTO_IPCP, PPP_CONF_REJ);
	assert_int_equal(f->len, 4 + 6);
	assert_int_equal(f->data[0], 2);
	/* the peer Naks our address with 0.0.0.0 (some do): we keep asking for ours */
	const uint8_t naked[] = { 3, 6, 0, 0, 0, 0 };
	peer(PPP_PROTO_IPCP, PPP_CONF_NAK, icr->id, naked, sizeof naked);
	icr = next_out(PPP_PROTO_IPCP, PPP_CONF_REQ);
	assert_int_equal(icr->data[2], 198);
	const uint8_t i2[] = { 3, 6, 198, 51, 100, 10, 129, 6, 192, 0, 2, 53, 131, 6, 192, 0, 2, 54 };
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 2, i2, sizeof i2);
	next_out(PPP_PROTO_IPCP, PPP_CONF_ACK);
	peer_ack(PPP_PROTO_IPCP, icr);
	assert_int_equal(H.ups, 1);
	assert_int_equal(H.info.peer_mru, 1500);
	assert_string_equal(H.info.user, "bob");

	/* keepalive: five echoes unanswered, the sixth tick closes the link */
	for (int i = 0; i < 5; i++) {
		ppp_link_echo_tick(&H.link);
		next_out(PPP_PROTO_LCP, PPP_ECHO_REQ);
	}
	ppp_link_echo_tick(&H.link);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	assert_int_equal(H.downs, 1);
	ppp_link_timeout(&H.link, PPP_TIMER_LCP);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	ppp_link_timeout(&H.link, PPP_TIMER_LCP);
	assert_int_equal(H.finished, 1);
	assert_string_equal(H.reason, "peer stopped answering LCP echo requests");
}

/* A client set to CHAP only: Naks MS-CHAPv2 with CHAP-MD5; we follow. */
/*
 * LCP up with a client set to CHAP only: it Naks our MS-CHAPv2 with CHAP-MD5 and we
 * follow. Returns the CHAP-MD5 response to our challenge computed with password.
 */
static struct frame *lcp_chap_md5_client(const char *password, uint8_t resp[1 + 16 + 5])
{
	const uint8_t cr[] = { 5, 6, 1, 2, 3, 4 };
	const uint8_t nak[] = { 3, 5, 0xc2, 0x23, 0x05 };
	struct frame *scr;

	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	peer(PPP_PROTO_LCP, PPP_CONF_NAK, scr->id, nak, sizeof nak);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	assert_memory_equal(scr->data, nak, 5);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	peer_ack(PPP_PROTO_LCP, scr);
	struct frame *ch = next_out(PPP_PROTO_CHAP, 1);
	resp[0] = 16;
	chap_md5_response(ch->id, password, strlen(password), ch->data + 1, ch->data[0],
			  resp + 1);
	memcpy(resp + 17, "alice", 5);
	return ch;
}

static void test_chap_md5_after_nak(void **state)
{
	uint8_t resp[1 + 16 + 5];
	struct frame *ch = lcp_chap_md5_client("clientPass", resp), *f;

	/* a response to an older challenge id is ignored */
	assert_int_equal(peer(PPP_PROTO_CHAP, 2, (uint8_t)(ch->id - 1), resp, sizeof resp),
			 -EBADMSG);
	peer(PPP_PROTO_CHAP, 2, ch->id, resp, sizeof resp);
	f = next_out(PPP_PROTO_CHAP, 3);
	assert_memory_equal(f->data, "Access granted", 14);
	assert_int_equal(H.link.phase, PPP_PHASE_NETWORK);
}

static void test_wrong_password_closes(void **state)
{
	uint8_t resp[1 + 16 + 5];
	struct frame *ch = lcp_chap_md5_client("wrong", resp);

	peer(PPP_PROTO_CHAP, 2, ch->id, resp, sizeof resp);
	next_out(PPP_PROTO_CHAP, 4);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	peer(PPP_PROTO_LCP, PPP_TERM_ACK, 0, NULL, 0);
	assert_int_equal(H.finished, 1);
	assert_string_equal(H.reason, "authentication failed (chap-md5): wrong password");
	assert_int_equal(H.allocated, 0);
}

/* A client that only does PAP, with a server that allows MS-CHAPv2 and CHAP-MD5 only. */
static void test_auth_mismatch_names_method(void **state)
{
	const uint8_t nak[] = { 3, 4, 0xc0, 0x23 };
	struct frame *scr;

	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	peer(PPP_PROTO_LCP, PPP_CONF_NAK, scr->id, nak, sizeof nak);   /* -> CHAP-MD5 */
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	assert_int_equal(scr->data[4], 0x05);
	peer(PPP_PROTO_LCP, PPP_CONF_NAK, scr->id, nak, sizeof nak);   /* nothing left */
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	assert_true(H.link.lcp.auth_given_up);
}

static void test_pap(void **state)
{
	const uint8_t cr[] = { 5, 6, 1, 2, 3, 4 };
	struct frame *scr, *f;

	H.cfg.lcp.auth[0] = PPP_AUTH_PAP;
	H.cfg.lcp.auth[1] = PPP_AUTH_NONE;
	ppp_link_init(&H.link, &H.cfg, &ops, &H);
	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	const uint8_t pap[] = { 3, 4, 0xc0, 0x23 };
	assert_memory_equal(scr->data, pap, 4);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	peer_ack(PPP_PROTO_LCP, scr);
	assert_true(H.timer[PPP_TIMER_AUTH]);           /* waiting for the peer's request */
	/* IPCP before authentication is over: silently discarded */
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	no_more_out();
	const uint8_t req[] = { 3, 'b', 'o', 'b', 10, 'b', '0', 'b', '-', 's', 'e', 'c', 'r', 'e', 't' };
	peer(PPP_PROTO_PAP, 1, 9, req, sizeof req);
	f = next_out(PPP_PROTO_PAP, 2);                 /* Ack, against the NT hash */
	assert_int_equal(f->id, 9);
	assert_int_equal(f->data[0], 8);
	assert_memory_equal(f->data + 1, "Login ok", 8);
	assert_false(H.timer[PPP_TIMER_AUTH]);
	next_out(PPP_PROTO_IPCP, PPP_CONF_REQ);
}

static void test_pap_bad_password_and_lower_down(void **state)
{
	const uint8_t cr[] = { 5, 6, 1, 2, 3, 4 };
	struct frame *scr;

	H.cfg.lcp.auth[0] = PPP_AUTH_PAP;
	H.cfg.lcp.auth[1] = PPP_AUTH_NONE;
	ppp_link_init(&H.link, &H.cfg, &ops, &H);
	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	peer_ack(PPP_PROTO_LCP, scr);
	const uint8_t req[] = { 5, 'a', 'l', 'i', 'c', 'e', 3, 'b', 'a', 'd' };
	peer(PPP_PROTO_PAP, 1, 9, req, sizeof req);
	next_out(PPP_PROTO_PAP, 3);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	ppp_link_lower_down(&H.link, "l2tp session closed");
	assert_int_equal(H.finished, 1);
	assert_string_equal(H.reason, "authentication failed (pap): wrong password");
}

static void test_malformed_frames(void **state)
{
	const uint8_t opt_past_end[] = { 1, 4, 5, 0x78, 5, 9, 0, 0 };
	struct frame *scr;

	ppp_link_start(&H.link);
	scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	(void)scr;
	assert_int_equal(peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, opt_past_end, sizeof opt_past_end),
			 -EBADMSG);
	const uint8_t zero_len_opt[] = { 1, 0 };
	assert_int_equal(peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, zero_len_opt, 2), -EBADMSG);
	no_more_out();
	uint8_t one[] = { 0xc0 };   /* half a protocol field */
	assert_int_equal(ppp_link_input(&H.link, one, 1), -EBADMSG);
	/* ff 03 and a compressed protocol field are accepted: c0 21 can't compress, try 0x21 */
	uint8_t ip[] = { 0xff, 0x03, 0x21, 0x45 };
	assert_int_equal(ppp_link_input(&H.link, ip, sizeof ip), 0);
	no_more_out();
	/* MRU below the minimum is Nak'ed with the minimum */
	const uint8_t small[] = { 1, 4, 0, 100 };
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 2, small, sizeof small);
	struct frame *f = next_out(PPP_PROTO_LCP, PPP_CONF_NAK);
	const uint8_t sugg[] = { 1, 4, 0x02, 0x40 };
	assert_memory_equal(f->data, sugg, 4);
	/* our own magic number coming back: Nak with another */
	uint8_t loop[] = { 5, 6, 0, 0, 0, 0 };
	uint32_t m = H.link.lcp.our_magic;
	loop[2] = (uint8_t)(m >> 24); loop[3] = (uint8_t)(m >> 16);
	loop[4] = (uint8_t)(m >> 8); loop[5] = (uint8_t)m;
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 3, loop, sizeof loop);
	f = next_out(PPP_PROTO_LCP, PPP_CONF_NAK);
	assert_int_equal(f->data[0], 5);
	assert_memory_not_equal(f->data + 2, loop + 2, 4);
}

/* No answer to our challenges: 10 challenges, each with a new identifier, then failure. */
static void test_chap_no_response(void **state)
{
	uint8_t resp[1 + 16 + 5];
	struct frame *ch = lcp_chap_md5_client("clientPass", resp);
	uint8_t last_id = ch->id;

	for (int i = 1; i < 10; i++) {
		assert_true(H.timer[PPP_TIMER_AUTH]);
		ppp_link_timeout(&H.link, PPP_TIMER_AUTH);
		ch = next_out(PPP_PROTO_CHAP, 1);
		assert_int_not_equal(ch->id, last_id);
		last_id = ch->id;
	}
	ppp_link_timeout(&H.link, PPP_TIMER_AUTH);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	assert_false(H.timer[PPP_TIMER_AUTH]);
	ppp_link_timeout(&H.link, PPP_TIMER_LCP);
	next_out(PPP_PROTO_LCP, PPP_TERM_REQ);
	ppp_link_timeout(&H.link, PPP_TIMER_LCP);
	assert_int_equal(H.finished, 1);
	assert_string_equal(H.reason,
			    "authentication failed (chap-md5): no response to our challenge");
}

/* PFC/ACFC accepted when configured; an IPCP peer that never takes our Nak converges. */
static void test_pfc_accepted_and_ipcp_max_failure(void **state)
{
	const uint8_t cr[] = { 5, 6, 1, 2, 3, 4, 7, 2, 8, 2 };
	uint8_t resp[1 + 16 + 5];
	struct frame *ch, *f;

	H.cfg.lcp.accept_pfc = H.cfg.lcp.accept_acfc = true;
	H.cfg.lcp.auth[0] = PPP_AUTH_CHAP_MD5;
	H.cfg.lcp.auth[1] = PPP_AUTH_NONE;
	ppp_link_init(&H.link, &H.cfg, &ops, &H);
	ppp_link_start(&H.link);
	struct frame *scr = next_out(PPP_PROTO_LCP, PPP_CONF_REQ);
	peer(PPP_PROTO_LCP, PPP_CONF_REQ, 1, cr, sizeof cr);
	next_out(PPP_PROTO_LCP, PPP_CONF_ACK);
	assert_true(H.link.lcp.peer_pfc && H.link.lcp.peer_acfc);
	peer_ack(PPP_PROTO_LCP, scr);
	ch = next_out(PPP_PROTO_CHAP, 1);
	resp[0] = 16;
	chap_md5_response(ch->id, "clientPass", 10, ch->data + 1, 16, resp + 1);
	memcpy(resp + 17, "alice", 5);
	/* PFC: the protocol field arrives compressed (c2 23 cannot be; send CHAP uncompressed) */
	peer(PPP_PROTO_CHAP, 2, ch->id, resp, sizeof resp);
	next_out(PPP_PROTO_CHAP, 3);
	next_out(PPP_PROTO_IPCP, PPP_CONF_REQ);
	/* a peer insisting on its own address: 5 Naks, then the option is rejected */
	const uint8_t mine[] = { 3, 6, 203, 0, 113, 77 };
	for (int i = 0; i < 5; i++) {
		peer(PPP_PROTO_IPCP, PPP_CONF_REQ, (uint8_t)(10 + i), mine, sizeof mine);
		f = next_out(PPP_PROTO_IPCP, PPP_CONF_NAK);
		assert_int_equal(f->data[2], 198);
	}
	peer(PPP_PROTO_IPCP, PPP_CONF_REQ, 20, mine, sizeof mine);
	f = next_out(PPP_PROTO_IPCP, PPP_CONF_REJ);
	assert_memory_equal(f->data, mine, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_windows_mschapv2, setup),
		cmocka_unit_test_setup(test_pppd_client, setup),
		cmocka_unit_test_setup(test_chap_md5_after_nak, setup),
		cmocka_unit_test_setup(test_wrong_password_closes, setup),
		cmocka_unit_test_setup(test_auth_mismatch_names_method, setup),
		cmocka_unit_test_setup(test_pap, setup),
		cmocka_unit_test_setup(test_pap_bad_password_and_lower_down, setup),
		cmocka_unit_test_setup(test_malformed_frames, setup),
		cmocka_unit_test_setup(test_chap_no_response, setup),
		cmocka_unit_test_setup(test_pfc_accepted_and_ipcp_max_failure, setup),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	mschap_cleanup();
	return rc;
}
