/*
 * IKEv1 fragment reassembly. See ikev1_frag.h.
 */
#include "ikd/ikev1_frag.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/log.h"
#include "ikd/ikev1.h"

struct ikev1_frags {
	uint16_t id;
	uint8_t last;                   /* number of the LAST fragment, 0 = not seen yet */
	uint16_t len[IKEV1_FRAG_MAX + 1];
	uint8_t *data[IKEV1_FRAG_MAX + 1];
	size_t total;
};

void ikev1_frag_free(struct ike_sa *sa)
{
	struct ikev1_frags *f = sa->frags;
	if (!f)
		return;
	for (int i = 0; i <= IKEV1_FRAG_MAX; i++)
		free(f->data[i]);
	free(f);
	sa->frags = NULL;
}

static bool complete(const struct ikev1_frags *f)
{
	if (!f->last)
		return false;
	for (int i = 1; i <= f->last; i++)
		if (!f->data[i])
			return false;
	return true;
}

void ikev1_frag_input(struct ikd *d, const struct ike_packet *pkt, struct isakmp_msg *m)
{
	struct isakmp_err err = { 0 };
	struct ike_sa *sa = ike_sa_find(&d->sas, m->hdr.icookie, m->hdr.rcookie, &pkt->peer);
	if (!sa || !sa->conn || !sa->conn->fragmentation || (m->hdr.flags & ISAKMP_FLAG_ENC) ||
	    isakmp_parse_payloads(m, m->body, m->body_len, &err) < 0 || m->n != 1 ||
	    m->pl[0].kind != ISAKMP_PL_FRAG) {
		d->stats.rx_malformed++;
		return;
	}
	struct isakmp_frag fr;
	if (isakmp_frag_parse(&m->pl[0], &fr, &err) < 0 || fr.number > IKEV1_FRAG_MAX) {
		d->stats.rx_malformed++;
		return;
	}
	if (!sa->frags || sa->frags->id != fr.id) {
		ikev1_frag_free(sa);
		sa->frags = calloc(1, sizeof *sa->frags);
		if (!sa->frags)
			return;
		sa->frags->id = fr.id;
	}
	struct ikev1_frags *f = sa->frags;
	if (f->data[fr.number] || f->total + fr.len > IKE_PACKET_MAX)
		return;                 /* a repeat, or too much */
	f->data[fr.number] = malloc(fr.len ? fr.len : 1);
	if (!f->data[fr.number])
		return;
	memcpy(f->data[fr.number], fr.data, fr.len);
	f->len[fr.number] = fr.len;
	f->total += fr.len;
	if (fr.flags & ISAKMP_FRAG_LAST)
		f->last = fr.number;
	if (!complete(f))
		return;
	uint8_t *whole = malloc(f->total ? f->total : 1);
	if (!whole) {
		ikev1_frag_free(sa);
		return;
	}
	size_t off = 0;
	for (int i = 1; i <= f->last; i++) {
		memcpy(whole + off, f->data[i], f->len[i]);
		off += f->len[i];
	}
	d->stats.rx_reassembled++;
	log_info("ike_fragments_reassembled", "ike_sa=%u fragments=%u bytes=%zu", sa->id, f->last,
		 off);
	ikev1_frag_free(sa);
	struct ike_packet p = *pkt;
	p.data = whole;
	p.len = off;
	struct isakmp_msg inner;
	if (isakmp_parse_header(whole, off, &inner, &err) == 0 &&
	    inner.hdr.next_payload != ISAKMP_PL_FRAG)
		ikev1_input(d, &p);     /* a fragment inside a fragment is not followed */
	else
		d->stats.rx_malformed++;
	free(whole);
}

/* ---- sending ---------------------------------------------------------------------------- */

int ikev1_frag_count(size_t len, size_t max_len)
{
	if (max_len <= IKEV1_FRAG_OVERHEAD || len < ISAKMP_HDR_LEN)
		return -EINVAL;
	if (len <= max_len)
		return 1;
	size_t piece = max_len - IKEV1_FRAG_OVERHEAD;
	size_t n = (len + piece - 1) / piece;
	return n > IKEV1_FRAG_MAX ? -EMSGSIZE : (int)n;
}

int ikev1_frag_build(const uint8_t *pkt, size_t len, size_t max_len, uint16_t id,
		     unsigned number, uint8_t *out, size_t cap, size_t *out_len)
{
	int n = ikev1_frag_count(len, max_len);
	if (n < 0)
		return n;
	if (number == 0 || number > (unsigned)n)
		return -EINVAL;
	size_t piece = max_len - IKEV1_FRAG_OVERHEAD;
	size_t off = (number - 1) * piece;
	size_t chunk = len - off < piece ? len - off : piece;
	struct buf_writer w;
	bw_init(&w, out, cap);
	bw_bytes(&w, pkt, 16);                          /* both cookies */
	bw_u8(&w, ISAKMP_PL_FRAG);
	bw_u8(&w, ISAKMP_VERSION_1);
	bw_u8(&w, pkt[18]);                             /* the original's exchange */
	bw_u8(&w, 0);                                   /* flags: the slice is as sent */
	bw_bytes(&w, pkt + 20, 4);                      /* the original's message id */
	bw_u32(&w, (uint32_t)(IKEV1_FRAG_OVERHEAD + chunk));
	bw_u8(&w, 0);                                   /* FRAG payload: no next payload */
	bw_u8(&w, 0);
	bw_u16(&w, (uint16_t)(8 + chunk));
	bw_u16(&w, id);
	bw_u8(&w, (uint8_t)number);
	bw_u8(&w, number == (unsigned)n ? ISAKMP_FRAG_LAST : 0);
	bw_bytes(&w, pkt + off, chunk);
	if (!bw_ok(&w))
		return -ENOSPC;
	*out_len = IKEV1_FRAG_OVERHEAD + chunk;
	return 0;
}

/* Largest message for one datagram to sa's peer, 0 when we must not fragment. */
static size_t frag_limit(const struct ike_sa *sa)
{
	if (!sa->conn || !sa->conn->fragmentation || !(sa->peer_caps & IKE_PEER_FRAG) ||
	    !sa->conf)
		return 0;
	size_t max = sa->conf->set.fragment_size;
	return sa->natt ? max - IKE_NON_ESP_MARKER_LEN : max;
}

/* The same message sent again (a retransmission) keeps its fragment id, so the peer can
 * complete a collection from fragments of several transmissions; a new message gets a
 * new id, which makes the peer drop what it collected of the previous one. */
static uint16_t frag_id_for(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	uint8_t dg[sizeof sa->frag_out_digest];
	crypto_generichash(dg, sizeof dg, pkt, len, NULL, 0);
	if (sa->frag_out_id && memcmp(dg, sa->frag_out_digest, sizeof dg) == 0)
		return sa->frag_out_id;
	memcpy(sa->frag_out_digest, dg, sizeof dg);
	if (++sa->frag_out_id == 0)
		sa->frag_out_id = 1;
	return sa->frag_out_id;
}

int ikev1_send(struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	struct ikd *d = ikd_of(sa);
	size_t max = frag_limit(sa);
	bool phase1 = len >= ISAKMP_HDR_LEN && (pkt[18] == ISAKMP_XCHG_MAIN ||
						pkt[18] == ISAKMP_XCHG_AGGRESSIVE);
	if (!max || !phase1 || len <= max)
		return ikd_send(d, sa, pkt, len);
	int n = ikev1_frag_count(len, max);
	if (n < 0) {
		log_warn("ike_fragments_too_many", "ike_sa=%u bytes=%zu fragment_size=%zu "
			 "reason=\"more than %d fragments: sent whole\"", sa->id, len, max,
			 IKEV1_FRAG_MAX);
		return ikd_send(d, sa, pkt, len);
	}
	static uint8_t frag[IKE_PACKET_MAX];
	uint16_t id = frag_id_for(sa, pkt, len);
	int rc = 0;
	for (int i = 1; i <= n && rc == 0; i++) {
		size_t flen;
		rc = ikev1_frag_build(pkt, len, max, id, (unsigned)i, frag, sizeof frag, &flen);
		if (rc == 0)
			rc = ikd_send(d, sa, frag, flen);
	}
	d->stats.tx_fragments += (uint64_t)n;
	log_info("ike_fragments_sent", "ike_sa=%u fragment_id=%u fragments=%d bytes=%zu "
		 "fragment_size=%zu", sa->id, id, n, len, max);
	return rc;
}
