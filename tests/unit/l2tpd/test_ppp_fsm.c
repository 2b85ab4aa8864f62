/*
 * The RFC 1661 automaton against the RFC's own state table: every (event, state) cell is
 * driven and the resulting state and actions compared with the table below, transcribed
 * from RFC 1661 §4.1 (independently of the table in ppp_fsm.c). Then two automata
 * negotiate with each other through real packets, and restart timers run out.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "l2tpd/ppp_fsm.h"

/* RFC 1661 §4.1, states 0..9 across, events down. */
static const char *const rfc_table[PPP_EV_COUNT] = {
	/*          0      1          2      3            4      5      6        7          8          9 */
	/* Up   */ "2      irc,scr/6  -      -            -      -      -        -          -          -",
	/* Down */ "-      -          0      tls/1        0      1      1        1          1          tld/1",
	/* Open */ "tls/1  1          irc,scr/6 3r        5r     5r     6        7          8          9r",
	/* Close*/ "0      tlf/0      2      2            4      4      irc,str/4 irc,str/4 irc,str/4 tld,irc,str/4",
	/* TO+  */ "-      -          -      -            str/4  str/5  scr/6    scr/6      scr/8      -",
	/* TO-  */ "-      -          -      -            tlf/2  tlf/3  tlf/3p   tlf/3p     tlf/3p     -",
	/* RCR+ */ "-      -          sta/2  irc,scr,sca/8 4     5      sca/8    sca,tlu/9  sca/8      tld,scr,sca/8",
	/* RCR- */ "-      -          sta/2  irc,scr,scn/6 4     5      scn/6    scn/7      scn/6      tld,scr,scn/6",
	/* RCA  */ "-      -          sta/2  sta/3        4      5      irc/7    scr/6x     irc,tlu/9  tld,scr/6x",
	/* RCN  */ "-      -          sta/2  sta/3        4      5      irc,scr/6 scr/6x    irc,scr/8  tld,scr/6x",
	/* RTR  */ "-      -          sta/2  sta/3        sta/4  sta/5  sta/6    sta/6      sta/6      tld,zrc,sta/5",
	/* RTA  */ "-      -          2      3            tlf/2  tlf/3  6        6          8          tld,scr/6",
	/* RUC  */ "-      -          scj/2  scj/3        scj/4  scj/5  scj/6    scj/7      scj/8      scj/9",
	/* RXJ+ */ "-      -          2      3            4      5      6        6          8          9",
	/* RXJ- */ "-      -          tlf/2  tlf/3        tlf/2  tlf/3  tlf/3    tlf/3      tlf/3      tld,irc,str/5",
	/* RXR  */ "-      -          2      3            4      5      6        7          8          ser/9",
};

struct rec {
	char acts[128];          /* actions seen, comma separated, in order */
	bool timer;
	int timer_starts;
	struct ppp_fsm *peer;    /* back-to-back mode: deliver sends to this one */
	uint8_t last_pkt[PPP_MAX_PACKET];
	size_t last_len;
};

struct queued { struct ppp_fsm *to; uint8_t pkt[64]; size_t len; };
static struct queued queue[32];
static unsigned nqueued;

static void add(struct rec *r, const char *a)
{
	if (r->acts[0])
		strcat(r->acts, ",");
	strcat(r->acts, a);
}

static void io_send(void *ctx, uint16_t proto, const uint8_t *pkt, size_t len)
{
	static const char *const names[] = { "?", "scr", "sca", "scn", "scn", "str", "sta",
					     "scj", "?", "?", "ser" };
	struct rec *r = ctx;

	assert_true(len >= 4 && pkt[0] <= 10);
	add(r, names[pkt[0]]);
	memcpy(r->last_pkt, pkt, len);
	r->last_len = len;
	if (r->peer) {
		assert_true(nqueued < 32);
		queue[nqueued].to = r->peer;
		memcpy(queue[nqueued].pkt, pkt, len);
		queue[nqueued++].len = len;
	}
}

/* Deliver queued packets until both sides are quiet (sending is asynchronous). */
static void pump(void)
{
	while (nqueued) {
		struct queued q = queue[0];
		memmove(queue, queue + 1, --nqueued * sizeof queue[0]);
		ppp_fsm_input(q.to, q.pkt, q.len);
	}
}

static void io_timer_start(void *ctx, struct ppp_fsm *f, uint32_t ms)
{
	struct rec *r = ctx;
	assert_int_equal(ms, 3000);
	r->timer = true;
	r->timer_starts++;
}

static void io_timer_stop(void *ctx, struct ppp_fsm *f) { ((struct rec *)ctx)->timer = false; }

static const struct ppp_fsm_io io = { io_send, io_timer_start, io_timer_stop };

/* A test protocol with one option, type 1, len 3: a value; the peer accepts 5..9 only. */
struct tproto { uint8_t want, got; int ups, downs, started, finished; };

static int t_build_cr(struct ppp_fsm *f, struct buf_writer *w)
{
	struct tproto *t = f->priv;
	bw_u8(w, 1); bw_u8(w, 3); bw_u8(w, t->want);
	return 0;
}

static int t_recv_cr(struct ppp_fsm *f, struct buf_reader *opts, struct buf_writer *w)
{
	uint8_t type, len, v;
	br_u8(opts, &type); br_u8(opts, &len); br_u8(opts, &v);
	if (!br_done(opts) || type != 1 || len != 3)
		return -EBADMSG;
	bw_u8(w, 1); bw_u8(w, 3);
	if (v >= 5 && v <= 9) {
		((struct tproto *)f->priv)->got = v;
		bw_u8(w, v);
		return PPP_CONF_ACK;
	}
	bw_u8(w, 7);
	return PPP_CONF_NAK;
}

static void t_recv_ca(struct ppp_fsm *f, struct buf_reader *opts) { (void)opts; }
static int t_recv_cn(struct ppp_fsm *f, struct buf_reader *opts, bool rej)
{
	uint8_t type, len, v;
	br_u8(opts, &type); br_u8(opts, &len); br_u8(opts, &v);
	if (!br_ok(opts))
		return -EBADMSG;
	if (rej)
		return -EPROTO;
	((struct tproto *)f->priv)->want = v;
	return 0;
}
static uint32_t t_magic(struct ppp_fsm *f) { return 0x01020304; }
static void t_up(struct ppp_fsm *f) { add(f->io_ctx, "tlu"); ((struct tproto *)f->priv)->ups++; }
static void t_down(struct ppp_fsm *f) { add(f->io_ctx, "tld"); ((struct tproto *)f->priv)->downs++; }
static void t_started(struct ppp_fsm *f) { add(f->io_ctx, "tls"); }
static void t_finished(struct ppp_fsm *f) { add(f->io_ctx, "tlf"); ((struct tproto *)f->priv)->finished++; }

static const struct ppp_fsm_proto tproto_ops = {
	"test", 0x8001, t_build_cr, t_recv_cr, t_recv_ca, t_recv_cn, NULL, t_magic,
	t_up, t_down, t_started, t_finished,
};

/* Cell "irc,scr/6" -> next state 6, action list "irc,scr"; "-" -> next -1. */
static void cell(const char *row, int col, int *next, char *acts)
{
	char buf[256], *tok, *save = NULL;
	int i = 0;

	snprintf(buf, sizeof buf, "%s", row);
	for (tok = strtok_r(buf, " ", &save); tok && i < col; tok = strtok_r(NULL, " ", &save))
		i++;
	assert_non_null(tok);
	acts[0] = '\0';
	if (!strcmp(tok, "-")) {
		*next = -1;
		return;
	}
	char *slash = strchr(tok, '/');
	if (slash) {
		*slash = '\0';
		strcpy(acts, tok);
		tok = slash + 1;
	}
	*next = tok[0] - '0';
}

/* Actions we observe directly; irc/zrc are checked through the restart counter. */
static void strip_counter_actions(const char *in, char *out, bool *irc, bool *zrc)
{
	char buf[64], *tok, *save = NULL;

	*irc = *zrc = false;
	out[0] = '\0';
	snprintf(buf, sizeof buf, "%s", in);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "irc")) { *irc = true; continue; }
		if (!strcmp(tok, "zrc")) { *zrc = true; continue; }
		if (out[0])
			strcat(out, ",");
		strcat(out, tok);
	}
}

static void test_rfc1661_state_table(void **state)
{
	assert_int_equal(ppp_fsm_selfcheck(), 0);
	struct rec r;
	struct tproto t;
	struct ppp_fsm f;
	int checked = 0;

	(void)state;
	for (int ev = 0; ev < PPP_EV_COUNT; ev++) {
		for (int s = 0; s < PPP_STATE_COUNT; s++) {
			char acts[64], expect[64];
			int next;
			bool irc, zrc;

			cell(rfc_table[ev], s, &next, acts);
			memset(&r, 0, sizeof r);
			memset(&t, 0, sizeof t);
			t.want = 5;
			ppp_fsm_init(&f, &tproto_ops, &io, &r, &t);
			ppp_fsm_set_state(&f, (enum ppp_state)s);
			f.restart_count = 7;
			ppp_fsm_event(&f, (enum ppp_event)ev);
			if (next < 0) {   /* cannot happen: ignored, nothing done */
				assert_int_equal(f.state, s);
				assert_string_equal(r.acts, "");
				continue;
			}
			strip_counter_actions(acts, expect, &irc, &zrc);
			if (strcmp(r.acts, expect) || (int)f.state != next)
				fail_msg("event %s state %s: got %s/%d, RFC says %s/%d",
					 ppp_event_name(ev), ppp_state_name(s), r.acts, f.state,
					 acts, next);
			int sent = (strstr(acts, "scr") != NULL) + (strstr(acts, "str") != NULL);
			if (irc)
				assert_int_equal(f.restart_count,
						 (strstr(acts, "str") ? 2 : 10) - sent);
			else if (zrc)
				assert_int_equal(f.restart_count, 0);
			else
				assert_int_equal(f.restart_count, 7 - sent);
			/* the restart timer runs exactly in the states that need it */
			bool timed = next == PPP_CLOSING || next == PPP_STOPPING ||
				     next == PPP_REQSENT || next == PPP_ACKRCVD || next == PPP_ACKSENT;
			if (sent || zrc)
				assert_int_equal(r.timer, timed);
			checked++;
		}
	}
	assert_int_equal(checked, 120);   /* the table's non "-" cells */
}

static void link_pair(struct ppp_fsm *a, struct rec *ra, struct tproto *ta, struct ppp_fsm *b,
		      struct rec *rb, struct tproto *tb)
{
	memset(ra, 0, sizeof *ra);
	memset(rb, 0, sizeof *rb);
	memset(ta, 0, sizeof *ta);
	memset(tb, 0, sizeof *tb);
	ppp_fsm_init(a, &tproto_ops, &io, ra, ta);
	ppp_fsm_init(b, &tproto_ops, &io, rb, tb);
	ra->peer = b;
	rb->peer = a;
}

static void test_negotiation_back_to_back(void **state)
{
	struct ppp_fsm a, b;
	struct rec ra, rb;
	struct tproto ta, tb;

	(void)state;
	link_pair(&a, &ra, &ta, &b, &rb, &tb);
	ta.want = 3;       /* refused by b: Nak with 7, a retries with 7 */
	tb.want = 6;
	ppp_fsm_event(&b, PPP_EV_OPEN);
	ppp_fsm_event(&b, PPP_EV_UP);        /* b sends CR; a is Initial and drops it */
	pump();
	assert_int_equal(b.state, PPP_REQSENT);
	assert_int_equal(a.stats.discarded, 1);
	ppp_fsm_event(&a, PPP_EV_OPEN);
	ppp_fsm_event(&a, PPP_EV_UP);
	pump();
	ppp_fsm_timeout(&b);                 /* b's restart timer: CR again, now answered */
	pump();
	assert_int_equal(a.state, PPP_OPENED);
	assert_int_equal(b.state, PPP_OPENED);
	assert_int_equal(ta.ups, 1);
	assert_int_equal(tb.ups, 1);
	assert_int_equal(tb.got, 7);         /* a took b's Nak hint */
	assert_int_equal(ta.got, 6);
	assert_false(ra.timer);
	assert_false(rb.timer);
	assert_int_equal(b.stats.naks_sent, 1);

	/* a closes: Terminate-Request, b acks and goes down, a finishes */
	ppp_fsm_event(&a, PPP_EV_CLOSE);
	pump();
	assert_int_equal(a.state, PPP_CLOSED);
	assert_int_equal(b.state, PPP_STOPPING);
	assert_int_equal(ta.downs, 1);
	assert_int_equal(tb.downs, 1);
	assert_int_equal(ta.finished, 1);
	assert_true(rb.timer);               /* zrc: b waits one period */
	ppp_fsm_timeout(&b);
	assert_int_equal(b.state, PPP_STOPPED);
	assert_int_equal(tb.finished, 1);
}

static void test_restart_counter_runs_out(void **state)
{
	struct ppp_fsm f;
	struct rec r;
	struct tproto t;
	int crs = 0;

	(void)state;
	memset(&r, 0, sizeof r);
	memset(&t, 0, sizeof t);
	ppp_fsm_init(&f, &tproto_ops, &io, &r, &t);
	ppp_fsm_event(&f, PPP_EV_UP);
	ppp_fsm_event(&f, PPP_EV_OPEN);
	while (r.timer) {
		crs++;
		ppp_fsm_timeout(&f);
	}
	/* Max-Configure = 10 requests, then TO- : tlf, Stopped (passive) */
	assert_int_equal(crs, 10);
	assert_int_equal(f.stats.cr_sent, 10);
	assert_int_equal(f.state, PPP_STOPPED);
	assert_int_equal(t.finished, 1);
	ppp_fsm_timeout(&f);                 /* a stale timer does nothing */
	assert_int_equal(f.state, PPP_STOPPED);
}

static void test_packet_validation(void **state)
{
	struct ppp_fsm a, b;
	struct rec ra, rb;
	struct tproto ta, tb;
	uint8_t pkt[16];

	(void)state;
	link_pair(&a, &ra, &ta, &b, &rb, &tb);
	rb.peer = NULL;                          /* b's output is captured, not delivered */
	ta.want = 5;
	ppp_fsm_event(&b, PPP_EV_UP);
	ppp_fsm_event(&b, PPP_EV_OPEN);
	/* an Ack with the wrong identifier or options is discarded */
	const uint8_t bad_id[] = { 2, (uint8_t)(b.cr_id + 1), 0, 7, 1, 3, 0 };
	assert_int_equal(ppp_fsm_input(&b, bad_id, sizeof bad_id), -EBADMSG);
	uint8_t bad_opts[] = { 2, b.cr_id, 0, 7, 1, 3, 99 };
	assert_int_equal(ppp_fsm_input(&b, bad_opts, sizeof bad_opts), -EBADMSG);
	assert_int_equal(b.state, PPP_REQSENT);
	/* length field beyond the packet; shorter than the header */
	const uint8_t long_len[] = { 5, 1, 0, 9, 0 };
	assert_int_equal(ppp_fsm_input(&b, long_len, sizeof long_len), -EBADMSG);
	const uint8_t short_len[] = { 5, 1, 0, 3 };
	assert_int_equal(ppp_fsm_input(&b, short_len, sizeof short_len), -EBADMSG);
	/* an unknown code is Code-Rejected with the packet inside */
	const uint8_t unknown[] = { 42, 9, 0, 5, 0xee, 0xff, 0xff };   /* 2 octets padding */
	memset(rb.acts, 0, sizeof rb.acts);
	assert_int_equal(ppp_fsm_input(&b, unknown, sizeof unknown), 0);
	assert_string_equal(rb.acts, "scj");
	assert_int_equal(rb.last_len, 4 + 5);
	assert_memory_equal(rb.last_pkt + 4, unknown, 5);
	/* a Code-Reject of Configure-Request is fatal (RXJ-) */
	const uint8_t cj[] = { 7, 3, 0, 8, 1, 1, 0, 4 };
	assert_int_equal(ppp_fsm_input(&b, cj, sizeof cj), 0);
	assert_int_equal(b.state, PPP_STOPPED);
	(void)pkt;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1661_state_table),
		cmocka_unit_test(test_negotiation_back_to_back),
		cmocka_unit_test(test_restart_counter_runs_out),
		cmocka_unit_test(test_packet_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
