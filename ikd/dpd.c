/*
 * Dead Peer Detection and NAT-T keepalives. See dpd.h.
 */
#include "ikd/dpd.h"

#include <arpa/inet.h>
#include <string.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/daemon.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_info.h"
#include "ikd/ike_restore.h"
#include "ikd/kernel.h"

static void dpd_timer_cb(void *arg)
{
	dpd_check(arg);
}

static void keepalive_cb(void *arg)
{
	struct ike_sa *sa = arg;
	struct ikd *d = ikd_of(sa);
	if (d->socks_open)
		ike_sockets_send_keepalive(&d->socks, &sa->local, &sa->peer);
	ike_timer_start(&sa->keepalive_timer, (uint64_t)sa->conf->set.nat_keepalive * 1000u);
}

void dpd_start(struct ike_sa *sa)
{
	ike_timer_init(&sa->dpd_timer, dpd_timer_cb, sa);
	ike_timer_init(&sa->keepalive_timer, keepalive_cb, sa);
	if (sa->conn->dpd_delay && (sa->peer_caps & IKE_PEER_DPD)) {
		if (!sa->dpd_seq_out)   /* a restored SA goes on with its sequence */
			sa->dpd_seq_out = random_u32() & 0x7fffffff;
		ike_timer_start(&sa->dpd_timer, (uint64_t)sa->conn->dpd_delay * 1000u);
	}
	if ((sa->nat & IKE_NAT_LOCAL) && sa->conf->set.nat_keepalive)
		ike_timer_start(&sa->keepalive_timer, (uint64_t)sa->conf->set.nat_keepalive * 1000u);
}

/* Did ESP arrive on any inbound SA since the last look? */
static bool esp_activity(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	bool active = false;
	for (struct ipsec_sa *c = sa->children; c; c = c->next) {
		uint64_t bytes, packets;
		if (!c->installed || kernel_child_bytes_in(&d->kernel, sa, c, &bytes, &packets) < 0)
			continue;
		if (bytes != c->last_bytes_in)
			active = true;
		c->last_bytes_in = bytes;
	}
	return active;
}

/*
 * Is a Quick Mode of sa exchanging messages (ours or the peer's, before its last message)?
 * An Informational exchange in the middle of one can cost the peer that exchange's IV:
 * strongSwan keeps the IVs of its last three phase 2 exchanges only. Bounded: an exchange
 * older than its own retransmission budget no longer counts, so a stuck one cannot hold
 * DPD back for longer than it could have lasted. *until_ms: when the last one stops
 * counting.
 */
static bool quick_mode_in_flight(const struct ike_sa *sa, uint64_t now, uint64_t *until_ms)
{
	uint64_t budget = ike_xmit_budget_ms();
	bool any = false;
	*until_ms = 0;
	for (const struct ikev1_qm *qm = sa->qms; qm; qm = qm->next) {
		if ((qm->state != QM_I1 && qm->state != QM_R1) || qm->gave_up ||
		    !qm->xmit.retransmit || now >= qm->started_ms + budget)
			continue;
		any = true;
		if (qm->started_ms + budget - now > *until_ms)
			*until_ms = qm->started_ms + budget - now;
	}
	return any;
}

/* Send an R-U-THERE with the next sequence number. */
static void send_probe(struct ike_sa *sa, uint64_t now)
{
	if (!sa->dpd_pending)
		sa->dpd_sent_ms = now;
	sa->dpd_pending = true;
	sa->dpd_deferred = false;
	sa->dpd_seq_out++;
	uint32_t be = htonl(sa->dpd_seq_out);
	log_debug("dpd_r_u_there", "ike_sa=%u seq=%u", sa->id, sa->dpd_seq_out);
	ikev1_send_notify(sa, ISAKMP_N_DPD_R_U_THERE, ISAKMP_PROTO_ISAKMP, NULL, 0,
			  (const uint8_t *)&be, 4);
	ike_persist_save(sa);   /* the sequence number moved */
}

void dpd_check(struct ike_sa *sa)
{
	uint64_t now = ike_now_ms();
	uint64_t delay = (uint64_t)sa->conn->dpd_delay * 1000u;
	bool idle = now - sa->last_rx_ms >= delay;
	if (esp_activity(sa)) {
		sa->last_rx_ms = now;
		idle = false;
	}
	/* Anything authentic from the peer since our probe (an IKE message, ESP) shows it
	 * alive as well as the ACK would (RFC 3706 section 5.5): a lost ACK while traffic
	 * flows, or retries held back by a Quick Mode, must not make it dead. */
	if (sa->dpd_pending && sa->last_rx_ms > sa->dpd_sent_ms) {
		sa->dpd_pending = false;
		log_debug("dpd_alive", "ike_sa=%u seq=%u reason=\"traffic from the peer\"", sa->id,
			  sa->dpd_seq_out);
	}
	if (sa->dpd_pending && now - sa->dpd_sent_ms >= (uint64_t)sa->conn->dpd_timeout * 1000u) {
		char a[IKD_ADDRSTR_MAX];
		log_warn("dpd_peer_dead", "ike_sa=%u peer=%s timeout=%u", sa->id,
			 ikd_addr_str(&sa->peer.sa, true, a, sizeof a), sa->conn->dpd_timeout);
		ikd_of(sa)->stats.dpd_dead++;
		ikev1_report_failure(sa, "dpd_dead", "peer stopped answering R-U-THERE (DPD)");
		ikev1_delete_sa(sa, false, true, "dead peer (DPD)");
		return;
	}
	/* Probe at the delay while idle; while waiting for an ACK, retry every 5 s. */
	uint64_t next = sa->dpd_pending && delay > 5000 ? 5000 : delay;
	uint64_t qm_until;
	if (idle && quick_mode_in_flight(sa, now, &qm_until)) {
		/* Sent when the exchange ends (dpd_quick_mode_ended), at the latest when it
		 * stops counting as in flight. */
		if (!sa->dpd_deferred)
			log_debug("dpd_deferred", "ike_sa=%u reason=\"Quick Mode in flight\"", sa->id);
		sa->dpd_deferred = true;
		ike_timer_start(&sa->dpd_timer, qm_until < next ? qm_until : next);
		return;
	}
	sa->dpd_deferred = false;
	if (idle)
		send_probe(sa, now);
	ike_timer_start(&sa->dpd_timer, next);
}

void dpd_quick_mode_ended(struct ike_sa *sa)
{
	uint64_t now = ike_now_ms(), qm_until;
	if (!sa->dpd_deferred || sa->dead || quick_mode_in_flight(sa, now, &qm_until))
		return;
	sa->dpd_deferred = false;
	/* The peer may have answered meanwhile (the exchange's last message): then it is
	 * not idle and the next check decides. */
	if (now - sa->last_rx_ms >= (uint64_t)sa->conn->dpd_delay * 1000u)
		send_probe(sa, now);
}

void dpd_on_notify(struct ike_sa *sa, const struct isakmp_notify_pl *n)
{
	if (n->data_len != 4)
		return;
	uint32_t seq;
	memcpy(&seq, n->data, 4);
	seq = ntohl(seq);
	if (n->type == ISAKMP_N_DPD_R_U_THERE) {
		sa->dpd_seq_in = seq;
		uint32_t be = htonl(seq);
		ikev1_send_notify(sa, ISAKMP_N_DPD_R_U_THERE_ACK, ISAKMP_PROTO_ISAKMP, NULL, 0,
				  (const uint8_t *)&be, 4);
		return;
	}
	if (sa->dpd_pending && seq == sa->dpd_seq_out) {
		sa->dpd_pending = false;
		log_debug("dpd_ack", "ike_sa=%u seq=%u", sa->id, seq);
	}
}
