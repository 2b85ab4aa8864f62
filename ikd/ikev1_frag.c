/*
 * IKEv1 fragment reassembly. See ikev1_frag.h.
 */
#include "ikd/ikev1_frag.h"

#include <stdlib.h>
#include <string.h>

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
	log_debug("ike_fragments_reassembled", "ike_sa=%u fragments=%u bytes=%zu", sa->id, f->last,
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
