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

void dpd_check(struct ike_sa *sa)
{
	uint64_t now = ike_now_ms();
	uint64_t delay = (uint64_t)sa->conn->dpd_delay * 1000u;
	bool idle = now - sa->last_rx_ms >= delay;
	if (esp_activity(sa)) {
		sa->last_rx_ms = now;
		idle = false;
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
	if (idle) {
		if (!sa->dpd_pending)
			sa->dpd_sent_ms = now;
		sa->dpd_pending = true;
		sa->dpd_seq_out++;
		uint32_t be = htonl(sa->dpd_seq_out);
		log_debug("dpd_r_u_there", "ike_sa=%u seq=%u", sa->id, sa->dpd_seq_out);
		ikev1_send_notify(sa, ISAKMP_N_DPD_R_U_THERE, ISAKMP_PROTO_ISAKMP, NULL, 0,
				  (const uint8_t *)&be, 4);
		ike_persist_save(sa);   /* the sequence number moved */
	}
	/* Probe at the delay while idle; while waiting for an ACK, retry every 5 s. */
	uint64_t next = sa->dpd_pending && delay > 5000 ? 5000 : delay;
	ike_timer_start(&sa->dpd_timer, next);
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
