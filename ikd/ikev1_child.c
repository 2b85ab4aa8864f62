/*
 * IPsec SA records of Quick Mode. See ikev1_child.h.
 */
#include "ikd/ikev1_child.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secret.h"
#include "ikd/ike_names.h"
#include "ikd/ike_restore.h"
#include "ikd/ikev1_info.h"
#include "ikd/ikev1_quick.h"
#include "ikd/kernel.h"
#include "ikd/proposal.h"

#define SUPERSEDED_GRACE_MS 10000     /* old pair lives on after a rekey */
/* Our rekey: how often the new inbound SA's counters are read while its outbound SA is
 * held back, and how long at most the old outbound SA carries on (ikev1_child.h). */
#define OUT_POLL_MS 100
#define OUT_WAIT_MS 1500

void ikev1_ts_to_id(const struct ipsec_ts *ts, struct isakmp_id *id, uint8_t *buf)
{
	memset(id, 0, sizeof *id);
	size_t alen = ts->net.family == AF_INET6 ? 16 : 4;
	bool host = ts->net.prefix == alen * 8;
	memcpy(buf, ts->net.addr.bytes, alen);
	if (host) {
		id->type = alen == 4 ? ISAKMP_ID_IPV4_ADDR : ISAKMP_ID_IPV6_ADDR;
		id->len = (uint16_t)alen;
	} else {
		id->type = alen == 4 ? ISAKMP_ID_IPV4_ADDR_SUBNET : ISAKMP_ID_IPV6_ADDR_SUBNET;
		uint8_t *mask = buf + alen;
		memset(mask, 0, alen);
		for (unsigned b = 0; b < ts->net.prefix; b++)
			mask[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		id->len = (uint16_t)(2 * alen);
	}
	id->data = buf;
	id->proto = ts->proto;
	id->port = ts->port;
}

static int id_to_ts(const struct isakmp_id *id, struct ipsec_ts *ts)
{
	memset(ts, 0, sizeof *ts);
	ts->proto = id->proto;
	ts->port = id->port;
	switch (id->type) {
	case ISAKMP_ID_IPV4_ADDR:
	case ISAKMP_ID_IPV4_ADDR_SUBNET:
		ts->net.family = AF_INET;
		memcpy(ts->net.addr.bytes, id->data, 4);
		break;
	case ISAKMP_ID_IPV6_ADDR:
	case ISAKMP_ID_IPV6_ADDR_SUBNET:
		ts->net.family = AF_INET6;
		memcpy(ts->net.addr.bytes, id->data, 16);
		break;
	default:
		return -EINVAL;
	}
	int plen = (id->type == ISAKMP_ID_IPV4_ADDR_SUBNET ||
		    id->type == ISAKMP_ID_IPV6_ADDR_SUBNET) ? isakmp_id_prefix_len(id)
							   : (ts->net.family == AF_INET ? 32 : 128);
	if (plen < 0)
		return -EINVAL;
	ts->net.prefix = (uint8_t)plen;
	return 0;
}

static void ts_of_addr(const union ikd_sockaddr *a, struct ipsec_ts *ts)
{
	memset(ts, 0, sizeof *ts);
	size_t len;
	const uint8_t *b = ikd_addr_bytes(&a->sa, &len);
	ts->net.family = a->sa.sa_family;
	ts->net.prefix = (uint8_t)(len * 8);
	memcpy(ts->net.addr.bytes, b, len);
}

/* Is subnet `in` inside `outer` (%any contains everything)? */
static bool net_within(const struct ikd_host *in, const struct ikd_host *outer)
{
	if (outer->any)
		return true;
	if (in->family != outer->family || in->prefix < outer->prefix)
		return false;
	union ikd_sockaddr a;
	ikd_host_to_addr(in, 0, &a);
	return ikd_host_match(outer, &a.sa);
}

static const char *ts_str(const struct ipsec_ts *ts, char *buf, size_t size)
{
	union ikd_sockaddr a;
	char s[IKD_ADDRSTR_MAX];
	ikd_host_to_addr(&ts->net, 0, &a);
	snprintf(buf, size, "%s/%u[%u/%u]", ikd_addr_str(&a.sa, false, s, sizeof s),
		 ts->net.prefix, ts->proto, ts->port);
	return buf;
}

int ikev1_child_take_ids(struct ikev1_in *in, struct ipsec_sa *c)
{
	struct ike_sa *sa = in->sa;
	const struct ikd_conn *conn = sa->conn;
	const struct isakmp_msg *m = in->m;
	if (m->count[ISAKMP_PL_ID] == 0) {
		ts_of_addr(&sa->peer, &c->remote_ts);
		ts_of_addr(&sa->local, &c->local_ts);
		return 0;
	}
	struct isakmp_id idi, idr;
	if (isakmp_id_parse(&m->pl[isakmp_find(m, ISAKMP_PL_ID, 0)], &idi, &in->err) < 0 ||
	    isakmp_id_parse(&m->pl[isakmp_find(m, ISAKMP_PL_ID, 1)], &idr, &in->err) < 0 ||
	    id_to_ts(&idi, &c->remote_ts) < 0 || id_to_ts(&idr, &c->local_ts) < 0)
		return ikev1_fail(in, "ts_mismatch", ISAKMP_N_INVALID_ID_INFORMATION,
				  "Quick Mode IDs must be addresses or subnets");
	bool ok;
	if (conn->mode == IKD_MODE_TRANSPORT) {
		/* Addresses: whatever the client believes (its private one behind NAT). */
		ok = (!conn->proto || c->remote_ts.proto == conn->proto ||
		      c->remote_ts.proto == 0) &&
		     (!conn->local_port || c->local_ts.port == conn->local_port ||
		      c->local_ts.port == 0) &&
		     (!conn->remote_port_sel || c->remote_ts.port == conn->remote_port_sel);
	} else {
		ok = net_within(&c->remote_ts.net, &conn->remote_subnet) &&
		     net_within(&c->local_ts.net, &conn->local_subnet);
	}
	if (!ok) {
		char a[96], b[96];
		return ikev1_fail(in, "ts_mismatch", ISAKMP_N_INVALID_ID_INFORMATION,
				  "peer asks to protect %s <-> %s, connection %s allows only %s%s",
				  ts_str(&c->remote_ts, a, sizeof a), ts_str(&c->local_ts, b, sizeof b),
				  conn->name, conn->mode == IKD_MODE_TRANSPORT ? "transport mode " :
				  "tunnel mode between its subnets", conn->mode == IKD_MODE_TRANSPORT ?
				  "with the configured protocol/ports" : "");
	}
	/* Narrow a wildcard port to ours: the kernel policy follows the connection. */
	if (!c->local_ts.port)
		c->local_ts.port = conn->local_port;
	if (!c->local_ts.proto)
		c->local_ts.proto = conn->proto;
	if (!c->remote_ts.proto)
		c->remote_ts.proto = c->local_ts.proto;
	return 0;
}

void ikev1_child_our_ts(const struct ike_sa *sa, struct ipsec_sa *c)
{
	const struct ikd_conn *conn = sa->conn;
	if (conn->mode == IKD_MODE_TUNNEL) {
		c->local_ts.net = conn->local_subnet;
		c->remote_ts.net = conn->remote_subnet;
	} else {
		ts_of_addr(&sa->local, &c->local_ts);
		ts_of_addr(&sa->peer, &c->remote_ts);
	}
	c->local_ts.proto = c->remote_ts.proto = conn->proto;
	c->local_ts.port = conn->local_port;
	c->remote_ts.port = conn->remote_port_sel;
}

int ikev1_child_check_mode(struct ikev1_in *in, struct ipsec_sa *c)
{
	bool want_tunnel = in->sa->conn->mode == IKD_MODE_TUNNEL;
	if (c->params.tunnel != want_tunnel)
		return ikev1_fail(in, "mode_mismatch", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "peer wants %s mode, connection %s is %s mode",
				  c->params.tunnel ? "tunnel" : "transport", in->sa->conn->name,
				  want_tunnel ? "tunnel" : "transport");
	return 0;
}

int ikev1_child_put_responder_lifetime(struct ikev1_out *o, const struct ipsec_sa *c,
				       uint32_t peer_spi)
{
	uint8_t attrs[32], spi[4];
	struct ike_lifetime lt = { .seconds = c->params.life_s, .kilobytes = c->params.life_kb };
	int n = ike_lifetime_attrs(&lt, true, attrs, sizeof attrs);
	if (n < 0)
		return n;
	uint32_t be = htonl(peer_spi);
	memcpy(spi, &be, 4);
	struct isakmp_notify_pl np = { .doi = ISAKMP_DOI_IPSEC, .protocol = ISAKMP_PROTO_ESP,
				       .spi_size = 4, .spi = spi,
				       .type = ISAKMP_N_RESPONDER_LIFETIME, .data = attrs,
				       .data_len = (uint16_t)n };
	return isakmp_put_notify(&o->b, &np);
}

void ikev1_child_take_responder_lifetime(struct ikev1_in *in, struct ipsec_sa *c)
{
	const struct isakmp_msg *m = in->m;
	for (unsigned i = 0; i < m->count[ISAKMP_PL_N]; i++) {
		struct isakmp_notify_pl n;
		struct isakmp_err err;
		if (isakmp_notify_parse(&m->pl[isakmp_find(m, ISAKMP_PL_N, i)], &n, &err) < 0 ||
		    n.type != ISAKMP_N_RESPONDER_LIFETIME)
			continue;
		/* Attributes: (type, value) pairs in TV or 4/8-byte TLV form. */
		struct buf_reader r;
		br_init(&r, n.data, n.data_len);
		uint16_t life_type = 0;
		while (br_left(&r) >= 4) {
			uint16_t t, v;
			br_u16(&r, &t);
			br_u16(&r, &v);
			uint64_t val = v;
			if (!(t & ISAKMP_ATTR_AF)) {
				if (v == 4) { uint32_t x; br_u32(&r, &x); val = x; }
				else if (v == 8) br_u64(&r, &val);
				else break;
			}
			t &= (uint16_t)~ISAKMP_ATTR_AF;
			if (t == IPSEC_ATTR_LIFE_TYPE)
				life_type = (uint16_t)val;
			else if (t == IPSEC_ATTR_LIFE_DURATION && life_type == IKE_LIFE_SECONDS &&
				 val && val < c->params.life_s)
				c->params.life_s = (uint32_t)val;
			else if (t == IPSEC_ATTR_LIFE_DURATION && life_type == IKE_LIFE_KILOBYTES &&
				 val && (!c->params.life_kb || val < c->params.life_kb))
				c->params.life_kb = val;
		}
		log_info("ipsec_responder_lifetime", "ike_sa=%u lifetime=%u lifetime_kb=%llu",
			 in->sa->id, c->params.life_s, (unsigned long long)c->params.life_kb);
	}
}

/* ---- timers -------------------------------------------------------------------------- */

static void rekey_cb(void *arg)
{
	struct ipsec_sa *c = arg;
	struct ike_sa *sa = c->ike;
	if (c->superseded || c->rekey_started || !sa || sa->dead)
		return;
	c->rekey_started = true;
	log_info("ipsec_rekey_start", "ike_sa=%u ipsec_sa=%u spi_in=%08x", sa->id, c->id,
		 c->spi_in);
	ikev1_quick_initiate(sa, c);
}

static void expire_cb(void *arg)
{
	struct ipsec_sa *c = arg;
	ikev1_child_delete(c->ike, c, c->superseded ? "replaced by rekey" : "lifetime expired");
}

/* Due times count from installation, so a pair restored after a restart keeps them. */
static uint64_t left_of(uint64_t due_ms, uint64_t elapsed_ms)
{
	return due_ms > elapsed_ms ? due_ms - elapsed_ms : 0;
}

void ikev1_child_start_timers(struct ike_sa *sa, struct ipsec_sa *c)
{
	ike_timer_init(&c->rekey_timer, rekey_cb, c);
	ike_timer_init(&c->expire_timer, expire_cb, c);
	uint64_t now = ike_now_ms();
	uint64_t elapsed = now > c->installed_ms ? now - c->installed_ms : 0;
	uint64_t life_ms = (uint64_t)c->params.life_s * 1000u;
	if (c->superseded) {
		ike_timer_start(&c->expire_timer, SUPERSEDED_GRACE_MS);
		return;
	}
	if (c->initiator && c->params.life_s) {
		uint32_t margin = sa->conn->rekey_margin;
		if (margin > c->params.life_s / 3)
			margin = c->params.life_s / 3;
		uint32_t jitter = random_uniform(margin / 3 + 1);
		ike_timer_start(&c->rekey_timer,
				left_of((uint64_t)(c->params.life_s - margin - jitter) * 1000u,
					elapsed));
	}
	if (life_ms)
		ike_timer_start(&c->expire_timer, left_of(life_ms, elapsed));
}

/* ---- install / delete ---------------------------------------------------------------- */

static int make_keys(const struct ike_sa *sa, const struct ikev1_qm *qm,
		     const struct ipsec_sa *c, struct child_keys *k)
{
	int rc = xfrm_alg_keymat(c->params.encr, c->params.key_bits, c->params.integ,
				 &k->encr_len, &k->integ_len);
	if (rc < 0 || k->encr_len + k->integ_len > sizeof k->in)
		return rc < 0 ? rc : -EINVAL;
	struct ike_chunk ni = IKE_CHUNK(qm->ni, qm->ni_len), nr = IKE_CHUNK(qm->nr, qm->nr_len);
	struct ike_chunk g = IKE_CHUNK(qm->gqm_peer, qm->gqm_peer_len);
	uint8_t spi_in[4], spi_out[4];
	uint32_t a = htonl(c->spi_in), b = htonl(c->spi_out);
	memcpy(spi_in, &a, 4);
	memcpy(spi_out, &b, 4);
	size_t n = k->encr_len + k->integ_len;
	rc = ikev1_keymat(&sa->keys, qm->gqm_peer_len ? &g : NULL, ISAKMP_PROTO_ESP, spi_in, &ni,
			  &nr, k->in, n);
	if (rc == 0)
		rc = ikev1_keymat(&sa->keys, qm->gqm_peer_len ? &g : NULL, ISAKMP_PROTO_ESP,
				  spi_out, &ni, &nr, k->out, n);
	return rc;
}

/* Pairs of this SA covering the same traffic as c (same reqid). */
static struct ipsec_sa *same_traffic(struct ike_sa *sa, const struct ipsec_sa *c)
{
	for (struct ipsec_sa *o = sa->children; o; o = o->next)
		if (o != c && o->reqid == c->reqid && o->installed)
			return o;
	return NULL;
}

/* o, an installed pair not yet replaced, protects what c is negotiated for. */
static bool covers_same(const struct ipsec_sa *o, const struct ipsec_sa *c)
{
	return o != c && o->installed && !o->superseded && o->params.tunnel == c->params.tunnel &&
	       memcmp(&o->remote_ts, &c->remote_ts, sizeof o->remote_ts) == 0 &&
	       memcmp(&o->local_ts, &c->local_ts, sizeof o->local_ts) == 0;
}

/* A client behind NAT gets its own XFRM mark (ikd.nat_marks): clients sharing the NAT's
 * address have identical transport selectors. A pair replacing an older one keeps its mark. */
static void assign_mark(struct ikd *d, struct ike_sa *sa, struct ipsec_sa *c)
{
	if (c->mark || !sa->conf->set.nat_marks || c->params.tunnel || !(sa->nat & IKE_NAT_PEER))
		return;
	if (d->next_mark < sa->conf->set.mark_base)
		d->next_mark = sa->conf->set.mark_base;
	c->mark = d->next_mark++;
}

/* reqid and mark of c, fixed before any of its SAs enters the kernel. A rekey we started
 * keeps those of the pair it replaces; a responder sees a rekey as a new pair for traffic
 * an older pair covers and takes that one's, so the policies stay (updated in place) and
 * l2tpd's socket keeps its mark. */
static void choose_reqid_mark(struct ike_sa *sa, const struct ikev1_qm *qm, struct ipsec_sa *c)
{
	if (qm->rekey_of) {
		c->reqid = qm->rekey_of->reqid;
		c->mark = qm->rekey_of->mark;
	} else {
		for (struct ipsec_sa *o = sa->children; o; o = o->next)
			if (covers_same(o, c)) {
				c->reqid = o->reqid;
				c->mark = o->mark;
			}
	}
	assign_mark(ikd_of(sa), sa, c);
}

/* c is in the kernel: the pairs it replaces go after a grace period (their SAs keep
 * decrypting what the peer sent before it switched). */
static void supersede_older(struct ike_sa *sa, struct ipsec_sa *c, struct ipsec_sa *rekey_of)
{
	for (struct ipsec_sa *o = sa->children; o; o = o->next) {
		if (rekey_of ? o != rekey_of || o->superseded || !o->installed : !covers_same(o, c))
			continue;
		o->superseded = true;
		/* Both pairs of one traffic share their policies (set_policies updated them to
		 * c's reqid): so that o's deletion leaves them, it counts as the same traffic.
		 * Only differs when two first pairs were negotiated at the same time. */
		if (o->mark == c->mark)
			o->reqid = c->reqid;
		ike_timer_stop(&o->rekey_timer);
		ike_timer_start(&o->expire_timer, SUPERSEDED_GRACE_MS);
	}
}

/* Our rekey: the outbound SA once the peer has message 3. */

/* Hands c->keys back unless a NAT rebinding may need them (ikev1_child_rebind). */
static void drop_keys_unless_nat(const struct ike_sa *sa, struct ipsec_sa *c)
{
	if (!c->keys || (sa->nat & IKE_NAT_PEER))
		return;
	sodium_memzero(c->keys, sizeof *c->keys);
	free(c->keys);
	c->keys = NULL;
}

/* The held-back outbound SA of c (and the policies, updated in place) into the kernel: the
 * kernel prefers the newest SA of that reqid, so traffic moves to the new pair now. */
static void finish_outbound(struct ike_sa *sa, struct ipsec_sa *c, const char *trigger)
{
	struct ikd *d = ikd_of(sa);
	ike_timer_stop(&c->rekey_timer);
	c->out_pending = false;
	uint64_t since = c->installed_ms, now = ike_now_ms();
	int rc = c->keys ? kernel_install_child_out(&d->kernel, sa, c, c->keys) : -ENOKEY;
	c->installed = true;
	c->installed_ms = since;        /* lifetimes count from the negotiation */
	drop_keys_unless_nat(sa, c);
	log_info("ipsec_sa_outbound_installed", "ike_sa=%u ipsec_sa=%u spi_out=%08x after_ms=%llu "
		 "trigger=%s result=%s", sa->id, c->id, c->spi_out,
		 (unsigned long long)(now > since ? now - since : 0), trigger,
		 rc == 0 ? "ok" : "failed");
	ikev1_child_start_timers(sa, c);
}

static void outbound_poll_cb(void *arg)
{
	struct ipsec_sa *c = arg;
	struct ike_sa *sa = c->ike;
	if (!c->out_pending || !sa || sa->dead)
		return;
	uint64_t bytes = 0, packets = 0;
	bool heard = kernel_child_bytes_in(&ikd_of(sa)->kernel, sa, c, &bytes, &packets) == 0 &&
		     (bytes || packets);
	uint64_t now = ike_now_ms();
	if (heard || now >= c->installed_ms + OUT_WAIT_MS) {
		finish_outbound(sa, c, heard ? "peer_sent" : "waited");
		return;
	}
	ike_timer_start(&c->rekey_timer, OUT_POLL_MS);
}

/*
 * Our Quick Mode for traffic an older pair of ours carries (a rekey): hold the new
 * outbound SA back. The responder may install its SAs only when message 3 arrives
 * (strongSwan does), and the kernel sends on the newest outbound SA of a reqid as soon as
 * it is in: our first packets on it would be dropped. The old outbound SA carries on
 * until ESP arrives on the new inbound SA (the peer has message 3) or OUT_WAIT_MS passed.
 * Until then the rekey timer's slot polls (a pending pair has no rekey due).
 */
static bool hold_outbound(struct ike_sa *sa, const struct ikev1_qm *qm, struct ipsec_sa *c)
{
	if (qm->state != QM_I1)
		return false;
	for (const struct ipsec_sa *o = sa->children; o; o = o->next)
		if (o->reqid == c->reqid && o->installed && !o->superseded && !o->out_pending)
			return true;
	return false;
}

static void start_hold(struct ike_sa *sa, struct ipsec_sa *c)
{
	c->installed = true;            /* in the kernel as far as removal is concerned */
	c->installed_ms = ike_now_ms();
	c->out_pending = true;
	ike_timer_init(&c->rekey_timer, outbound_poll_cb, c);
	ike_timer_start(&c->rekey_timer, OUT_POLL_MS);
	log_debug("ipsec_sa_outbound_held", "ike_sa=%u ipsec_sa=%u spi_in=%08x spi_out=%08x "
		  "wait_ms=%u", sa->id, c->id, c->spi_in, c->spi_out, OUT_WAIT_MS);
}

int ikev1_child_install_inbound(struct ike_sa *sa, struct ikev1_qm *qm, struct ikev1_in *in)
{
	struct ikd *d = ikd_of(sa);
	struct ipsec_sa *c = qm->child;
	choose_reqid_mark(sa, qm, c);
	struct child_keys k;
	int rc = make_keys(sa, qm, c, &k);
	if (rc == 0)
		rc = kernel_install_child_in(&d->kernel, sa, c, &k);
	sodium_memzero(&k, sizeof k);
	if (rc < 0)
		return ikev1_fail(in, "kernel", ISAKMP_N_NO_PROPOSAL_CHOSEN,
				  "installing the inbound IPsec SA failed: %s",
				  d->kernel.ops->strerror(d->kernel.ctx));
	log_debug("ipsec_sa_inbound_installed", "ike_sa=%u ipsec_sa=%u msgid=%08x spi_in=%08x "
		  "reqid=%u", sa->id, c->id, qm->msgid, c->spi_in, c->reqid);
	return 0;
}

static void log_established(const struct ike_sa *sa, const struct ipsec_sa *c, bool rekey)
{
	char q[LOG_QUOTE_MAX];
	log_info("ipsec_sa_established", "ike_sa=%u ipsec_sa=%u conn=%s mode=%s spi_in=%08x "
		 "spi_out=%08x enc=%s/%u auth=%s lifetime=%u lifetime_kb=%llu encap=%s pfs=%u "
		 "mark=%#x rekey=%s", sa->id, c->id, log_quote(q, sizeof q, sa->conn->name),
		 c->params.tunnel ? "tunnel" : "transport", c->spi_in, c->spi_out,
		 ike_name_of(esp_id_names, c->params.encr) ? ike_name_of(esp_id_names,
									  c->params.encr) : "?",
		 c->params.key_bits, ike_name_of(ipsec_auth_names, c->params.v1_auth) ?
		 ike_name_of(ipsec_auth_names, c->params.v1_auth) : "?", c->params.life_s,
		 (unsigned long long)c->params.life_kb,
		 (c->params.udp_encap || sa->nat) ? "udp" : "none", c->params.pfs_group,
		 c->mark, rekey ? "yes" : "no");
}

int ikev1_child_install(struct ike_sa *sa, struct ikev1_qm *qm, struct ikev1_in *in)
{
	struct ikd *d = ikd_of(sa);
	struct ipsec_sa *c = qm->child;
	/* A responder put the inbound SA in before sending message 2. */
	bool inbound_done = qm->state == QM_R1;
	if (!inbound_done)
		choose_reqid_mark(sa, qm, c);
	bool hold = hold_outbound(sa, qm, c);
	struct child_keys k;
	int rc = make_keys(sa, qm, c, &k);
	if (rc == 0 && (hold || (sa->nat & IKE_NAT_PEER))) {
		/* Kept for the held-back outbound SA, or (a NAT may move the peer) to
		 * re-install the pair then. */
		c->keys = malloc(sizeof *c->keys);
		if (c->keys)
			*c->keys = k;
		else
			hold = false;
	}
	if (rc == 0)
		rc = inbound_done ? kernel_install_child_out(&d->kernel, sa, c, &k)
		     : hold ? kernel_install_child_in(&d->kernel, sa, c, &k)
			    : kernel_install_child(&d->kernel, sa, c, &k);
	sodium_memzero(&k, sizeof k);
	if (rc < 0)     /* the caller abandons the exchange: that deletes our inbound SA */
		return ikev1_fail(in, "kernel", 0, "installing the IPsec SAs failed: %s",
				  d->kernel.ops->strerror(d->kernel.ctx));
	qm->child = NULL;
	ipsec_sa_link(sa, c);
	supersede_older(sa, c, qm->rekey_of);
	if (hold)
		start_hold(sa, c);
	else
		ikev1_child_start_timers(sa, c);
	d->stats.ipsec_established++;
	log_established(sa, c, qm->rekey_of != NULL);
	ikd_event(d, IKD_EV_IPSEC_UP, sa, c, NULL);
	/* Done exchanges stay only for duplicates of their last message: keep the newest. */
	for (struct ikev1_qm *o = sa->qms, *next; o; o = next) {
		next = o->next;
		if (o != qm && o->state == QM_DONE)
			ikev1_qm_free(sa, o);
	}
	return 0;
}

void ikev1_child_delete(struct ike_sa *sa, struct ipsec_sa *c, const char *reason)
{
	struct ikd *d = ikd_of(sa);
	/* A newer pair still holding its outbound SA back takes the traffic now. */
	for (struct ipsec_sa *o = sa->children; o; o = o->next)
		if (o != c && o->out_pending && o->reqid == c->reqid && !c->out_pending)
			finish_outbound(sa, o, "older_pair_deleted");
	bool shared = same_traffic(sa, c) != NULL;
	if (c->initiator && c->superseded && sa->established)
		ikev1_send_delete_esp(sa, &c->spi_in, 1);
	kernel_remove_child(&d->kernel, sa, c, !shared);
	log_info("ipsec_sa_deleted", "ike_sa=%u ipsec_sa=%u spi_in=%08x spi_out=%08x reason=\"%s\"",
		 sa->id, c->id, c->spi_in, c->spi_out, reason);
	if (!c->superseded && !shared)
		ikd_event(d, IKD_EV_IPSEC_DOWN, sa, c, reason);
	ike_persist_forget_child(c);
	ipsec_sa_unlink(sa, c);
	ipsec_sa_free(c);
}

void ikev1_child_rebind(struct ike_sa *sa, const union ikd_sockaddr *old_peer,
			const union ikd_sockaddr *old_local)
{
	struct ikd *d = ikd_of(sa);
	for (struct ipsec_sa *c = sa->children; c; c = c->next) {
		if (!c->installed)
			continue;
		if (!c->keys) {
			log_warn("ipsec_sa_not_rebound", "ike_sa=%u ipsec_sa=%u reason=\"no keys kept: "
				 "ESP keeps the old address until the pair is rekeyed\"", sa->id, c->id);
			continue;
		}
		/* Out with the old view of the peer, in with the new one. */
		struct ike_sa old = *sa;
		old.peer = *old_peer;
		old.local = *old_local;
		kernel_remove_child(&d->kernel, &old, c, !same_traffic(sa, c));
		int rc = kernel_install_child(&d->kernel, sa, c, c->keys);
		if (c->out_pending) {   /* both SAs are in again: its hold is over */
			ike_timer_stop(&c->rekey_timer);
			c->out_pending = false;
			ikev1_child_start_timers(sa, c);
		}
		log_info("ipsec_sa_rebound", "ike_sa=%u ipsec_sa=%u result=%s", sa->id, c->id,
			 rc == 0 ? "ok" : "failed");
	}
}

void ikev1_child_adopt_all(struct ike_sa *sa, struct ike_sa *old)
{
	while (old->children) {
		struct ipsec_sa *c = old->children;
		old->children = c->next;
		ipsec_sa_link(sa, c);
	}
	ike_persist_save(sa);   /* the pairs' records name their new ISAKMP SA */
}
