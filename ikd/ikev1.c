/*
 * The IKEv1 engine: input dispatch through the state table, output, failures.
 * See ikev1.h.
 */
#include "ikd/ikev1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/dpd.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_frag.h"
#include "ikd/ikev1_info.h"
#include "ikd/ike_restore.h"
#include "ikd/kernel.h"

/* One message is built at a time (single-threaded daemon). Room for padding after it. */
static uint8_t out_buf[IKE_PACKET_MAX];
#define OUT_SLACK 64

int ikev1_out_begin(struct ikev1_out *o, struct ike_sa *sa, uint8_t exchange,
		    uint32_t msgid, bool encrypted)
{
	memset(o, 0, sizeof *o);
	o->sa = sa;
	o->buf = out_buf;
	o->cap = sizeof out_buf - OUT_SLACK;
	bw_init(&o->w, o->buf, o->cap);
	memcpy(o->hdr.icookie, sa->cky_i, 8);
	memcpy(o->hdr.rcookie, sa->cky_r, 8);
	o->hdr.version = ISAKMP_VERSION_1;
	o->hdr.exchange = exchange;
	o->hdr.flags = encrypted ? ISAKMP_FLAG_ENC : 0;
	o->hdr.msgid = msgid;
	return isakmp_build_begin(&o->b, &o->w, &o->hdr);
}

int ikev1_out_finish(struct ikev1_out *o, const struct ike_sa *sa, uint8_t *iv,
		     const uint8_t **pkt, size_t *len)
{
	size_t total;
	int rc = isakmp_build_finish(&o->b, &total);
	if (rc < 0)
		return rc;
	if (o->hdr.flags & ISAKMP_FLAG_ENC) {
		size_t body_len;
		rc = ikev1_encrypt_body(sa->keys.suite.cipher, sa->keys.enc_key, iv,
					o->buf + ISAKMP_HDR_LEN, total - ISAKMP_HDR_LEN,
					sizeof out_buf - ISAKMP_HDR_LEN, &body_len, iv);
		if (rc < 0)
			return rc;
		total = ISAKMP_HDR_LEN + body_len;
		uint32_t be = htonl((uint32_t)total);
		memcpy(o->buf + 24, &be, 4);
	}
	*pkt = o->buf;
	*len = total;
	return 0;
}

int ikev1_out_hash_slot(struct ikev1_out *o, const struct ike_sa *sa, size_t *slot)
{
	return isakmp_put_data(&o->b, ISAKMP_PL_HASH, NULL, sa->keys.prf_len, slot);
}

int ikev1_fail(struct ikev1_in *in, const char *kind, uint16_t notify, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->err.reason, sizeof in->err.reason, fmt, ap);
	va_end(ap);
	in->err.notify = notify;
	in->fail_kind = kind;
	return notify == ISAKMP_N_AUTHENTICATION_FAILED ||
	       notify == ISAKMP_N_INVALID_HASH_INFORMATION ? -EPERM : -EBADMSG;
}

uint32_t ikev1_new_msgid(struct ike_sa *sa)
{
	for (;;) {
		uint32_t id = random_u32();
		if (id && !ikev1_qm_find(sa, id))
			return id;
	}
}

/* ---- failures and deletion ------------------------------------------------------------ */

static void sa_log_fields(const struct ike_sa *sa, char *buf, size_t size)
{
	char peer[IKD_ADDRSTR_MAX], q[LOG_QUOTE_MAX];
	snprintf(buf, size, "ike_sa=%u peer=%s conn=%s state=%s", sa->id,
		 ikd_addr_str(&sa->peer.sa, true, peer, sizeof peer),
		 log_quote(q, sizeof q, sa->conn ? sa->conn->name : "-"),
		 ikev1_state_name(sa->state));
}

void ikev1_report_failure(struct ike_sa *sa, const char *kind, const char *reason)
{
	struct ikd *d = ikd_of(sa);
	char f[256], q[LOG_QUOTE_MAX];
	sa_log_fields(sa, f, sizeof f);
	log_warn("ike_negotiation_failed", "%s kind=%s reason=%s", f, kind ? kind : "error",
		 log_quote(q, sizeof q, reason));
	d->stats.negotiations_failed++;
	ikd_event(d, IKD_EV_FAILED, sa, NULL, reason);
}

void ikev1_delete_sa(struct ike_sa *sa, bool notify_peer, bool remove_children,
		     const char *reason)
{
	struct ikd *d = ikd_of(sa);
	if (sa->dead)
		return;
	ike_persist_forget(sa);
	if (notify_peer && sa->established) {
		uint32_t spis[16];
		size_t n = 0;
		for (struct ipsec_sa *c = sa->children; c && n < 16; c = c->next)
			if (c->installed && remove_children)
				spis[n++] = c->spi_in;
		if (n)
			ikev1_send_delete_esp(sa, spis, n);
		ikev1_send_delete_ike(sa);
	}
	for (struct ipsec_sa *c = sa->children; c; c = c->next) {
		if (!c->installed)
			continue;
		if (remove_children) {
			kernel_remove_child(&d->kernel, sa, c, !c->superseded);
			ikd_event(d, IKD_EV_IPSEC_DOWN, sa, c, reason);
		}
	}
	char f[256], q[LOG_QUOTE_MAX];
	sa_log_fields(sa, f, sizeof f);
	log_info("ike_sa_deleted", "%s reason=%s", f, log_quote(q, sizeof q, reason));
	if (sa->established)
		ikd_event(d, IKD_EV_IKE_DOWN, sa, NULL, reason);
	sa->dead = true;
	ike_xmit_clear(&sa->xmit);
	if (d->in_input && d->n_dying < IKD_DYING_MAX)
		d->dying[d->n_dying++] = sa;
	else
		ike_sa_destroy(sa);
}

/* End a Quick Mode that failed but keep its message id (state QM_DONE): the peer's
 * retransmissions and late messages of it are then dropped as unexpected instead of being
 * taken for the first message of a new exchange (and decrypted with that one's IV). Its
 * SPI is released: the larval SA, or the inbound SA a responder installed before
 * message 2. A DPD probe that waited for it may go now. */
static void qm_abandon(struct ike_sa *sa, struct ikev1_qm *qm)
{
	if (qm->child) {
		kernel_remove_child(&ikd_of(sa)->kernel, sa, qm->child, false);
		ipsec_sa_free(qm->child);
		qm->child = NULL;
	}
	ike_xmit_clear(&qm->xmit);
	ike_timer_stop(&qm->late_timer);
	qm->state = QM_DONE;
	dpd_quick_mode_ended(sa);
}

/* A responder's exchange gave up waiting for message 3 a retransmission budget ago: no
 * late message 3 any more, its inbound SA goes. */
static void late_qm3_expired(void *arg)
{
	struct ikev1_qm *qm = arg;
	struct ike_sa *sa = qm->xmit.sa;
	if (qm->state != QM_R1 || sa->dead)
		return;
	log_info("quick_mode_abandoned", "ike_sa=%u msgid=%08x spi_in=%08x reason=\"no message 3 "
		 "after the retransmissions and as long again\"", sa->id, qm->msgid,
		 qm->child ? qm->child->spi_in : 0);
	qm_abandon(sa, qm);
}

void ikev1_xmit_exhausted(struct ike_sa *sa, uint32_t msgid)
{
	char why[256];
	if (msgid == 0 || !sa->established) {
		snprintf(why, sizeof why, "no answer from the peer after %u transmissions in %s %s",
			 ike_xmit_get_config()->max_tries, ikev1_state_name(sa->state),
			 sa->state == MM_I3 ? "(it could not decrypt our message 5: the pre-shared "
					      "keys probably differ)" :
			 "(peer down, UDP 500/4500 filtered, or it silently refused our proposal)");
		ikev1_report_failure(sa, "retransmits_exhausted", why);
		ikev1_delete_sa(sa, false, true, "retransmits exhausted");
		return;
	}
	struct ikev1_qm *qm = ikev1_qm_find(sa, msgid);
	if (!qm || qm->state == QM_DONE)
		return;
	bool wait_qm3 = qm->state == QM_R1;
	snprintf(why, sizeof why, "Quick Mode %08x: no answer after %u transmissions%s", msgid,
		 ike_xmit_get_config()->max_tries,
		 wait_qm3 ? " (a late message 3 still completes it)" : "");
	ikev1_report_failure(sa, "retransmits_exhausted", why);
	if (wait_qm3) {
		/* The initiator installed its SAs on our message 2 and may only be slow (a
		 * loaded peer answers after our last retransmission): keep the exchange, its
		 * CBC chain, nonces and inbound SA (the peer may be sending on it), so that its
		 * message 3 still installs our side. Kept as long again as we retransmitted,
		 * then abandoned (late_qm3_expired); sooner if trimmed with the finished ones
		 * (ike_sa.c) or the IKE SA goes. Both delete the inbound SA. */
		qm->gave_up = true;
		ike_timer_init(&qm->late_timer, late_qm3_expired, qm);
		ike_timer_start(&qm->late_timer, ike_xmit_budget_ms());
		dpd_quick_mode_ended(sa);
		return;
	}
	qm_abandon(sa, qm);
}

/* ---- input ------------------------------------------------------------------------------ */

/* The connection for a new responder SA: the first whose local and remote match. */
static const struct ikd_conn *match_conn(struct ikd *d, const struct ike_packet *pkt,
					 bool aggressive)
{
	const struct ikd_conn *fallback = NULL;
	for (size_t i = 0; i < d->conf->n_conns; i++) {
		const struct ikd_conn *c = &d->conf->conns[i];
		if (!ikd_host_match(&c->remote, &pkt->peer.sa) ||
		    !ikd_host_match(&c->local, &pkt->local.sa))
			continue;
		if (c->aggressive == aggressive)
			return c;
		if (!fallback)
			fallback = c;
	}
	return aggressive ? NULL : fallback;
}

static struct ike_sa *responder_new(struct ikd *d, const struct ike_packet *pkt,
				    const struct isakmp_msg *m)
{
	char peer[IKD_ADDRSTR_MAX];
	bool aggr = m->hdr.exchange == ISAKMP_XCHG_AGGRESSIVE;
	const struct ikd_conn *conn = match_conn(d, pkt, aggr);
	if (!conn) {
		log_warn("ike_no_connection", "peer=%s exchange=%s reason=%s",
			 ikd_addr_str(&pkt->peer.sa, true, peer, sizeof peer),
			 isakmp_exchange_name(m->hdr.exchange),
			 aggr ? "\"Aggressive Mode refused: no connection sets exchange=aggressive\""
			      : "\"no connection in ikd.conf matches this peer address\"");
		d->stats.negotiations_failed++;
		return NULL;
	}
	struct ike_sa *sa;
	int rc = ike_sa_new(&d->sas, &pkt->local, &pkt->peer, m->hdr.icookie, false, &sa);
	if (rc < 0) {
		log_debug("ike_half_open_refused", "peer=%s errno=%d",
			  ikd_addr_str(&pkt->peer.sa, true, peer, sizeof peer), -rc);
		return NULL;
	}
	uint8_t ckr[8];
	random_bytes(ckr, sizeof ckr);
	ike_sa_set_rcookie(sa, ckr);
	sa->owner = d;
	sa->conf = ikd_conf_ref(d->conf);
	sa->conn = conn;
	sa->aggressive = aggr;
	sa->natt = pkt->natt;
	sa->state = aggr ? AM_R0 : MM_R0;
	return sa;
}

static int decrypt(struct ikd *d, struct ike_sa *sa, const struct isakmp_msg *m,
		   const uint8_t *iv, uint8_t *iv_next, const uint8_t **plain)
{
	size_t bl = ike_cipher_block_len(sa->keys.suite.cipher);
	if (!bl || m->body_len == 0 || m->body_len % bl)
		return -EBADMSG;
	memcpy(d->plain, m->body, m->body_len);
	int rc = ikev1_decrypt_body(sa->keys.suite.cipher, sa->keys.enc_key, iv, d->plain,
				    m->body_len, iv_next);
	*plain = d->plain;
	return rc;
}

static bool keys_ready(const struct ike_sa *sa)
{
	return sa->keys.prf_len != 0;
}

/* The peer reached us from a new (address, port): NAT-T float or a NAT rebinding.
 * Only called once the message proved authentic. */
static void follow_peer(struct ike_sa *sa, const struct ike_packet *pkt)
{
	if (pkt->natt && !sa->natt) {
		sa->natt = true;
		sa->local = pkt->local;
	}
	if (ikd_addr_equal(&sa->peer.sa, &pkt->peer.sa, true))
		return;
	char a[IKD_ADDRSTR_MAX], b[IKD_ADDRSTR_MAX];
	log_info("ike_peer_moved", "ike_sa=%u from=%s to=%s", sa->id,
		 ikd_addr_str(&sa->peer.sa, true, a, sizeof a),
		 ikd_addr_str(&pkt->peer.sa, true, b, sizeof b));
	union ikd_sockaddr old_peer = sa->peer, old_local = sa->local;
	ike_sa_set_peer(sa, &pkt->peer);
	sa->local = pkt->local;
	if (sa->established && sa->children)
		ikev1_child_rebind(sa, &old_peer, &old_local);
}

static void fail_exchange(struct ikev1_in *in, int rc)
{
	struct ike_sa *sa = in->sa;
	const char *reason = in->err.reason[0] ? in->err.reason : strerror(-rc);
	if (in->row && (in->row->flags & IKEV1_F_PHASE2)) {
		char why[200];
		snprintf(why, sizeof why, "Quick Mode: %s", reason);
		ikev1_report_failure(sa, in->fail_kind ? in->fail_kind : "quick_mode", why);
		if (in->err.notify && in->qm && in->qm->state == QM_R0)
			ikev1_send_notify(sa, in->err.notify, ISAKMP_PROTO_ESP, NULL, 0, NULL, 0);
		if (in->qm)
			qm_abandon(sa, in->qm);  /* retransmissions dropped, not reported again */
		return;
	}
	ikev1_report_failure(sa, in->fail_kind, reason);
	if (in->keep_sa)
		return;
	/* Tell the peer why while we still can (in clear: no Phase 1 keys it trusts). */
	if (in->err.notify && !sa->established)
		ikev1_send_plain_notify(sa, in->err.notify);
	ikev1_delete_sa(sa, false, false, reason);
}

static void run_row(struct ikev1_in *in, uint8_t state)
{
	struct ike_sa *sa = in->sa;
	in->row = ikev1_find_transition(state, in->m->hdr.exchange, sa->p1.auth);
	if (!in->row) {
		in->d->stats.rx_unexpected++;
		log_debug("ike_unexpected_message", "ike_sa=%u state=%s exchange=%s", sa->id,
			  ikev1_state_name(state), isakmp_exchange_name(in->m->hdr.exchange));
		if (in->qm && in->qm->state == QM_R0)
			ikev1_qm_free(sa, in->qm);
		return;
	}
	int rc = isakmp_check_payloads(in->m, in->row->rules, &in->err);
	/* During Phase 1 nothing is authenticated yet and a failure deletes the SA: answer
	 * where the peer speaks from (the NAT-T port after its float) right away. Once
	 * established, only a message that proved authentic moves the peer (below). */
	bool was_established = sa->established;
	if (rc == 0 && !was_established)
		follow_peer(sa, in->pkt);
	if (rc == 0)
		rc = in->row->handler(in);
	else if (in->encrypted && (state == MM_R2 || state == MM_I3))
		in->fail_kind = "psk_mismatch";
	if (rc < 0) {
		fail_exchange(in, rc);
		return;
	}
	sa->last_rx_ms = ike_now_ms();
	if (was_established)
		follow_peer(sa, in->pkt);
	if (in->row->flags & IKEV1_F_PHASE2) {
		if (in->qm)
			in->qm->state = in->row->next;
		/* Only now: an initiator's message 3 went out after its handler installed. */
		if (in->qm && in->qm->state == QM_DONE)
			dpd_quick_mode_ended(sa);
	} else {
		sa->state = in->row->next;
	}
	/* An authentic message changed the SA (pairs, DPD, message ids, peer address):
	 * the saved state follows before the next event. */
	ike_persist_save(sa);
}

static void phase1_input(struct ikd *d, const struct ike_packet *pkt, struct isakmp_msg *m)
{
	static const uint8_t zero[8];
	struct ike_sa *sa = ike_sa_find(&d->sas, m->hdr.icookie, m->hdr.rcookie, &pkt->peer);
	if (!sa) {
		if (memcmp(m->hdr.rcookie, zero, 8) != 0 || (m->hdr.flags & ISAKMP_FLAG_ENC)) {
			d->stats.rx_unknown_sa++;
			return;
		}
		sa = responder_new(d, pkt, m);
		if (!sa)
			return;
	} else if (ike_xmit_duplicate(&sa->xmit, pkt->data, pkt->len)) {
		d->stats.rx_duplicates++;
		return;
	} else if (sa->established) {
		d->stats.rx_duplicates++;      /* a repeated last message of Phase 1 */
		return;
	}
	struct ikev1_in in = { .d = d, .sa = sa, .pkt = pkt, .m = m };
	const uint8_t *body = m->body;
	if (m->hdr.flags & ISAKMP_FLAG_ENC) {
		if (!keys_ready(sa) || decrypt(d, sa, m, sa->iv, in.iv_next, &body) < 0) {
			d->stats.rx_malformed++;
			return;
		}
		in.encrypted = true;
	}
	if (isakmp_parse_payloads(m, body, m->body_len, &in.err) < 0) {
		if (in.encrypted && (sa->state == MM_R2 || sa->state == MM_I3)) {
			char why[400];
			snprintf(why, sizeof why, "the pre-shared keys differ: Main Mode message %d "
				 "from the peer does not decrypt (%s)", sa->state == MM_R2 ? 5 : 6,
				 in.err.reason);
			ikev1_report_failure(sa, "psk_mismatch", why);
			ikev1_delete_sa(sa, false, false, "psk mismatch");
			return;
		}
		d->stats.rx_malformed++;
		log_debug("ike_malformed", "ike_sa=%u reason=\"%s\"", sa->id, in.err.reason);
		if (sa->state == MM_R0 || sa->state == AM_R0)
			ikev1_delete_sa(sa, false, false, "malformed first message");
		return;
	}
	run_row(&in, sa->state);
}

static void phase2_input(struct ikd *d, const struct ike_packet *pkt, struct isakmp_msg *m)
{
	struct ike_sa *sa = ike_sa_find(&d->sas, m->hdr.icookie, m->hdr.rcookie, NULL);
	if (!sa) {
		d->stats.rx_unknown_sa++;
		return;
	}
	struct ikev1_in in = { .d = d, .sa = sa, .pkt = pkt, .m = m };
	bool enc = m->hdr.flags & ISAKMP_FLAG_ENC;
	if (!sa->established) {
		/* Only a clear notify (why the peer gave up) makes sense before Phase 1. */
		if (m->hdr.exchange != ISAKMP_XCHG_INFO || enc ||
		    isakmp_parse_payloads(m, m->body, m->body_len, &in.err) < 0) {
			d->stats.rx_unexpected++;
			return;
		}
		run_row(&in, sa->state);
		return;
	}
	if (!enc || m->hdr.msgid == 0) {
		d->stats.rx_malformed++;
		return;
	}
	uint8_t iv[IKE_BLOCK_MAX];
	uint8_t state = P1_ESTABLISHED;
	if (m->hdr.exchange == ISAKMP_XCHG_QUICK) {
		in.qm = ikev1_qm_find(sa, m->hdr.msgid);
		if (in.qm && ike_xmit_duplicate(&in.qm->xmit, pkt->data, pkt->len)) {
			d->stats.rx_duplicates++;
			return;
		}
		if (in.qm && in.qm->state == QM_DONE) {
			d->stats.rx_unexpected++;
			return;
		}
		if (!in.qm) {
			in.qm = ikev1_qm_new(sa, m->hdr.msgid);
			if (!in.qm)
				return;
			in.qm->state = QM_R0;
			ikev1_phase2_iv(&sa->keys, sa->iv, m->hdr.msgid, in.qm->iv);
		}
		memcpy(iv, in.qm->iv, sizeof iv);
		state = in.qm->state;
	} else {
		ikev1_phase2_iv(&sa->keys, sa->iv, m->hdr.msgid, iv);
	}
	const uint8_t *body;
	if (decrypt(d, sa, m, iv, in.iv_next, &body) < 0 ||
	    isakmp_parse_payloads(m, body, m->body_len, &in.err) < 0) {
		d->stats.rx_malformed++;
		log_debug("ike_malformed", "ike_sa=%u exchange=%s msgid=%08x reason=\"%s\"", sa->id,
			  isakmp_exchange_name(m->hdr.exchange), m->hdr.msgid, in.err.reason);
		if (in.qm && in.qm->state == QM_R0)
			ikev1_qm_free(sa, in.qm);
		return;
	}
	run_row(&in, state);
}

void ikev1_input(struct ikd *d, const struct ike_packet *pkt)
{
	struct isakmp_msg m;
	struct isakmp_err err = { 0 };
	if (isakmp_parse_header(pkt->data, pkt->len, &m, &err) < 0) {
		d->stats.rx_malformed++;
		return;
	}
	if (m.hdr.next_payload == ISAKMP_PL_FRAG) {
		ikev1_frag_input(d, pkt, &m);
		return;
	}
	bool nested = d->in_input;      /* a reassembled message inside ikev1_frag_input */
	d->in_input = true;
	switch (m.hdr.exchange) {
	case ISAKMP_XCHG_MAIN:
	case ISAKMP_XCHG_AGGRESSIVE:
		phase1_input(d, pkt, &m);
		break;
	case ISAKMP_XCHG_QUICK:
	case ISAKMP_XCHG_INFO:
		phase2_input(d, pkt, &m);
		break;
	default:
		d->stats.rx_malformed++;
		log_debug("ike_unsupported_exchange", "exchange=%u", m.hdr.exchange);
		break;
	}
	if (nested)
		return;
	d->in_input = false;
	/* Free what the handlers deleted. */
	for (size_t i = 0; i < d->n_dying; i++)
		ike_sa_destroy(d->dying[i]);
	d->n_dying = 0;
}
