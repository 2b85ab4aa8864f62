/*
 * Records of ikd's saved state. See ike_persist.h.
 */
#include "ikd/ike_persist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/buf.h"
#include "ikd/ikev1_states.h"
#include "ikd/kernel.h"

const struct state_store_format ike_persist_format = {
	.magic = "l2sikdst",
	.record_magic = 0x494b4452u,    /* "IKDR" */
	.version = IKE_PERSIST_VERSION,
	.slot_size = IKE_PERSIST_SLOT,
	.record_slots_max = IKE_PERSIST_RECORD_SLOTS,
};

/* Flags of the ISAKMP SA record. */
enum {
	PF_INITIATOR = 1, PF_AGGRESSIVE = 2, PF_NATT = 4, PF_INITIAL_CONTACT = 8,
	PF_DPD_PENDING = 16,
};
/* Flags of the IPsec SA record. */
enum {
	CF_INITIATOR = 1, CF_SUPERSEDED = 2, CF_TUNNEL = 4, CF_UDP_ENCAP = 8,
	CF_LIFE_REDUCED = 16, CF_KEYS = 32,
};

int64_t ike_persist_boot_offset(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	int64_t boot = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return boot - (int64_t)ike_now_ms();
}

static uint64_t to_boot(uint64_t ms, int64_t off)
{
	return (uint64_t)((int64_t)ms + off);
}

/* Back to the engine's clock; a time before its epoch becomes 0 (long ago). */
static uint64_t from_boot(uint64_t boot_ms, int64_t off)
{
	int64_t v = (int64_t)boot_ms - off;
	return v < 0 ? 0 : (uint64_t)v;
}

/* ---- addresses, identities, selectors ------------------------------------------------------ */

static void put_addr(struct buf_writer *w, const union ikd_sockaddr *a)
{
	size_t len = 0;
	const uint8_t *b = ikd_addr_bytes(&a->sa, &len);
	bw_u8(w, (uint8_t)len);
	if (b)
		bw_bytes(w, b, len);
	bw_u16(w, ikd_addr_port(&a->sa));
}

static int get_addr(struct buf_reader *r, union ikd_sockaddr *a)
{
	uint8_t len = 0;
	uint16_t port = 0;
	memset(a, 0, sizeof *a);
	br_u8(r, &len);
	if (len == 4) {
		a->in.sin_family = AF_INET;
		br_bytes(r, &a->in.sin_addr, 4);
	} else if (len == 16) {
		a->in6.sin6_family = AF_INET6;
		br_bytes(r, &a->in6.sin6_addr, 16);
	} else {
		return br_fail(r);
	}
	br_u16(r, &port);
	ikd_addr_set_port(a, port);
	return br_ok(r) ? 0 : -EBADMSG;
}

static void put_id(struct buf_writer *w, const struct ikd_id *id)
{
	uint16_t len = id->len > IKD_ID_MAX ? IKD_ID_MAX : id->len;
	bw_u8(w, id->type);
	bw_u16(w, len);
	bw_bytes(w, id->data, len);
}

static int get_id(struct buf_reader *r, struct ikd_id *id)
{
	br_u8(r, &id->type);
	br_u16(r, &id->len);
	if (id->len > IKD_ID_MAX)
		return br_fail(r);
	return br_bytes(r, id->data, id->len);
}

static void put_ts(struct buf_writer *w, const struct ipsec_ts *ts)
{
	bw_u8(w, ts->net.any);
	bw_u8(w, ts->net.family == AF_INET6 ? 6 : ts->net.family == AF_INET ? 4 : 0);
	bw_u8(w, ts->net.prefix);
	bw_bytes(w, ts->net.addr.bytes, 16);
	bw_u8(w, ts->proto);
	bw_u16(w, ts->port);
}

static int get_ts(struct buf_reader *r, struct ipsec_ts *ts)
{
	uint8_t any = 0, fam = 0;
	br_u8(r, &any);
	br_u8(r, &fam);
	br_u8(r, &ts->net.prefix);
	br_bytes(r, ts->net.addr.bytes, 16);
	br_u8(r, &ts->proto);
	br_u16(r, &ts->port);
	if (any > 1 || (fam != 0 && fam != 4 && fam != 6) || (!any && !fam) ||
	    ts->net.prefix > (fam == 4 ? 32 : 128))
		return br_fail(r);
	ts->net.any = any;
	ts->net.family = fam == 6 ? AF_INET6 : fam == 4 ? AF_INET : 0;
	return br_ok(r) ? 0 : -EBADMSG;
}

/* ---- ISAKMP SA -------------------------------------------------------------------------- */

static void put_keys(struct buf_writer *w, const struct ike_sa *sa)
{
	const struct ikev1_keys *k = &sa->keys;
	size_t kl = ike_cipher_key_len(k->suite.cipher);
	bw_u8(w, (uint8_t)k->suite.prf);
	bw_u8(w, (uint8_t)k->suite.hash);
	bw_u8(w, (uint8_t)k->suite.cipher);
	bw_u8(w, (uint8_t)k->prf_len);
	bw_bytes(w, k->skeyid_d, k->prf_len);
	bw_bytes(w, k->skeyid_a, k->prf_len);
	bw_bytes(w, k->skeyid_e, k->prf_len);
	bw_u8(w, (uint8_t)kl);
	bw_bytes(w, k->enc_key, kl);
	size_t bl = ike_cipher_block_len(k->suite.cipher);
	bw_u8(w, (uint8_t)bl);
	bw_bytes(w, sa->iv, bl);
}

static int get_keys(struct buf_reader *r, struct ike_sa *sa)
{
	struct ikev1_keys *k = &sa->keys;
	uint8_t prf = 0, hash = 0, cipher = 0, prf_len = 0, kl = 0, bl = 0;
	br_u8(r, &prf);
	br_u8(r, &hash);
	br_u8(r, &cipher);
	br_u8(r, &prf_len);
	if (!br_ok(r) || !ike_hash_negotiable(prf) || !ike_hash_negotiable(hash) ||
	    ike_hash_len(prf) != prf_len || prf_len > IKE_HASH_MAX ||
	    ike_cipher_key_len(cipher) == 0)
		return br_fail(r);
	k->suite.prf = prf;
	k->suite.hash = hash;
	k->suite.cipher = cipher;
	k->prf_len = prf_len;
	br_bytes(r, k->skeyid_d, prf_len);
	br_bytes(r, k->skeyid_a, prf_len);
	br_bytes(r, k->skeyid_e, prf_len);
	br_u8(r, &kl);
	if (kl != ike_cipher_key_len(cipher) || kl > IKE_KEY_MAX)
		return br_fail(r);
	br_bytes(r, k->enc_key, kl);
	br_u8(r, &bl);
	if (bl != ike_cipher_block_len(cipher) || bl > IKE_BLOCK_MAX)
		return br_fail(r);
	return br_bytes(r, sa->iv, bl);
}

/* Message ids of finished Quick Modes (newest first, at most IKE_PERSIST_DONE_MAX). */
static void put_done_qms(struct buf_writer *w, const struct ike_sa *sa)
{
	uint32_t ids[IKE_PERSIST_DONE_MAX];
	uint8_t n = 0;
	for (const struct ikev1_qm *qm = sa->qms; qm && n < IKE_PERSIST_DONE_MAX; qm = qm->next)
		if (qm->state == QM_DONE)
			ids[n++] = qm->msgid;
	bw_u8(w, n);
	for (uint8_t i = 0; i < n; i++)
		bw_u32(w, ids[i]);
}

int ike_persist_encode_ike(const struct ike_sa *sa, int64_t boot_offset, uint8_t *buf,
			   size_t cap)
{
	struct buf_writer w;
	bw_init(&w, buf, cap);
	bw_u32(&w, sa->id);
	bw_bytes(&w, sa->cky_i, 8);
	bw_bytes(&w, sa->cky_r, 8);
	bw_u8(&w, (uint8_t)((sa->initiator ? PF_INITIATOR : 0) |
			    (sa->aggressive ? PF_AGGRESSIVE : 0) | (sa->natt ? PF_NATT : 0) |
			    (sa->initial_contact_seen ? PF_INITIAL_CONTACT : 0) |
			    (sa->dpd_pending ? PF_DPD_PENDING : 0)));
	bw_u8(&w, sa->nat);
	bw_u8(&w, sa->natt_method);
	bw_u8(&w, sa->peer_caps);
	put_addr(&w, &sa->local);
	put_addr(&w, &sa->peer);
	size_t nl = sa->conn ? strnlen(sa->conn->name, IKD_NAME_MAX - 1) : 0;
	bw_u8(&w, (uint8_t)nl);
	if (nl)
		bw_bytes(&w, sa->conn->name, nl);
	bw_u8(&w, (uint8_t)sa->p1.cipher);
	bw_u8(&w, (uint8_t)sa->p1.hash);
	bw_u8(&w, (uint8_t)sa->p1.prf);
	bw_u16(&w, sa->p1.dh_group);
	bw_u16(&w, sa->p1.auth);
	bw_u32(&w, sa->p1.lifetime);
	put_keys(&w, sa);
	put_id(&w, &sa->local_id);
	put_id(&w, &sa->peer_id);
	bw_u64(&w, to_boot(sa->created_ms, boot_offset));
	bw_u64(&w, to_boot(sa->established_ms, boot_offset));
	bw_u64(&w, to_boot(sa->dpd_sent_ms, boot_offset));
	bw_u32(&w, sa->dpd_seq_out);
	bw_u32(&w, sa->dpd_seq_in);
	bw_u8(&w, (uint8_t)(sa->recent_pos % 8));
	for (int i = 0; i < 8; i++)
		bw_u32(&w, sa->recent_msgids[i]);
	put_done_qms(&w, sa);
	return bw_ok(&w) ? (int)bw_len(&w) : -EMSGSIZE;
}

static int get_p1(struct buf_reader *r, struct ike_sa *sa)
{
	uint8_t cipher = 0, hash = 0, prf = 0;
	br_u8(r, &cipher);
	br_u8(r, &hash);
	br_u8(r, &prf);
	br_u16(r, &sa->p1.dh_group);
	br_u16(r, &sa->p1.auth);
	br_u32(r, &sa->p1.lifetime);
	if (!br_ok(r) || ike_cipher_key_len(cipher) == 0 || !ike_hash_negotiable(hash) ||
	    !ike_hash_negotiable(prf) ||
	    (sa->p1.auth != IKD_AUTH_PSK && sa->p1.auth != IKD_AUTH_RSA))
		return br_fail(r);
	sa->p1.cipher = cipher;
	sa->p1.hash = hash;
	sa->p1.prf = prf;
	return 0;
}

int ike_persist_decode_ike(const uint8_t *p, size_t len, int64_t boot_offset,
			   struct ike_sa *sa, char conn[IKD_NAME_MAX], uint32_t *done_msgids,
			   unsigned *n_done)
{
	struct buf_reader r;
	br_init(&r, p, len);
	uint8_t flags = 0, nl = 0, pos = 0, nd = 0;
	uint64_t created = 0, established = 0, dpd_sent = 0;
	br_u32(&r, &sa->id);
	br_bytes(&r, sa->cky_i, 8);
	br_bytes(&r, sa->cky_r, 8);
	br_u8(&r, &flags);
	br_u8(&r, &sa->nat);
	br_u8(&r, &sa->natt_method);
	br_u8(&r, &sa->peer_caps);
	if (!br_ok(&r) || sa->id == 0 || flags >= 32 || sa->nat > 3 ||
	    sa->natt_method > IKE_NATT_RFC)
		return -EBADMSG;
	if (get_addr(&r, &sa->local) < 0 || get_addr(&r, &sa->peer) < 0 ||
	    sa->local.sa.sa_family != sa->peer.sa.sa_family)
		return -EBADMSG;
	br_u8(&r, &nl);
	if (nl == 0 || nl >= IKD_NAME_MAX || br_bytes(&r, conn, nl) < 0)
		return -EBADMSG;
	conn[nl] = '\0';
	if (strlen(conn) != nl || get_p1(&r, sa) < 0 || get_keys(&r, sa) < 0 ||
	    sa->keys.suite.cipher != sa->p1.cipher || sa->keys.suite.prf != sa->p1.prf ||
	    get_id(&r, &sa->local_id) < 0 || get_id(&r, &sa->peer_id) < 0)
		return -EBADMSG;
	br_u64(&r, &created);
	br_u64(&r, &established);
	br_u64(&r, &dpd_sent);
	br_u32(&r, &sa->dpd_seq_out);
	br_u32(&r, &sa->dpd_seq_in);
	br_u8(&r, &pos);
	for (int i = 0; i < 8; i++)
		br_u32(&r, &sa->recent_msgids[i]);
	br_u8(&r, &nd);
	if (!br_ok(&r) || pos >= 8 || nd > IKE_PERSIST_DONE_MAX)
		return -EBADMSG;
	for (uint8_t i = 0; i < nd; i++)
		br_u32(&r, &done_msgids[i]);
	if (!br_done(&r))
		return -EBADMSG;
	*n_done = nd;
	sa->recent_pos = pos;
	sa->initiator = flags & PF_INITIATOR;
	sa->aggressive = flags & PF_AGGRESSIVE;
	sa->natt = flags & PF_NATT;
	sa->initial_contact_seen = flags & PF_INITIAL_CONTACT;
	sa->dpd_pending = flags & PF_DPD_PENDING;
	sa->created_ms = from_boot(created, boot_offset);
	sa->established_ms = from_boot(established, boot_offset);
	sa->dpd_sent_ms = from_boot(dpd_sent, boot_offset);
	sa->established = true;
	sa->state = P1_ESTABLISHED;
	return 0;
}

/* ---- IPsec SA pair ---------------------------------------------------------------------- */

static void put_params(struct buf_writer *w, const struct ipsec_params *pp)
{
	bw_u8(w, pp->protocol);
	bw_u16(w, pp->encr);
	bw_u16(w, pp->key_bits);
	bw_u16(w, pp->integ);
	bw_u16(w, pp->icv_bits);
	bw_u16(w, pp->v1_auth);
	bw_u16(w, pp->encap_mode);
	bw_u32(w, pp->life_s);
	bw_u64(w, pp->life_kb);
	bw_u16(w, pp->pfs_group);
}

static int get_params(struct buf_reader *r, struct ipsec_params *pp)
{
	br_u8(r, &pp->protocol);
	br_u16(r, &pp->encr);
	br_u16(r, &pp->key_bits);
	br_u16(r, &pp->integ);
	br_u16(r, &pp->icv_bits);
	br_u16(r, &pp->v1_auth);
	br_u16(r, &pp->encap_mode);
	br_u32(r, &pp->life_s);
	br_u64(r, &pp->life_kb);
	br_u16(r, &pp->pfs_group);
	size_t el, il;
	if (!br_ok(r) || xfrm_alg_keymat(pp->encr, pp->key_bits, pp->integ, &el, &il) < 0)
		return br_fail(r);
	return 0;
}

int ike_persist_encode_child(const struct ipsec_sa *c, int64_t boot_offset, uint8_t *buf,
			     size_t cap)
{
	const struct ike_sa *sa = c->ike;
	struct buf_writer w;
	bw_init(&w, buf, cap);
	bw_u32(&w, sa->id);
	bw_bytes(&w, sa->cky_i, 8);
	bw_bytes(&w, sa->cky_r, 8);
	bw_u32(&w, c->id);
	bw_u32(&w, c->reqid);
	bw_u32(&w, c->spi_in);
	bw_u32(&w, c->spi_out);
	bw_u32(&w, c->mark);
	bw_u8(&w, (uint8_t)((c->initiator ? CF_INITIATOR : 0) |
			    (c->superseded ? CF_SUPERSEDED : 0) |
			    (c->params.tunnel ? CF_TUNNEL : 0) |
			    (c->params.udp_encap ? CF_UDP_ENCAP : 0) |
			    (c->params.life_reduced ? CF_LIFE_REDUCED : 0) |
			    (c->keys ? CF_KEYS : 0)));
	put_params(&w, &c->params);
	put_ts(&w, &c->local_ts);
	put_ts(&w, &c->remote_ts);
	bw_u64(&w, to_boot(c->installed_ms, boot_offset));
	if (c->keys) {
		size_t n = c->keys->encr_len + c->keys->integ_len;
		bw_u16(&w, (uint16_t)c->keys->encr_len);
		bw_u16(&w, (uint16_t)c->keys->integ_len);
		if (n > sizeof c->keys->in)
			return -EMSGSIZE;
		bw_bytes(&w, c->keys->in, n);
		bw_bytes(&w, c->keys->out, n);
	}
	return bw_ok(&w) ? (int)bw_len(&w) : -EMSGSIZE;
}

static int get_child_keys(struct buf_reader *r, struct ipsec_sa *c)
{
	uint16_t el = 0, il = 0;
	size_t want_e, want_i;
	br_u16(r, &el);
	br_u16(r, &il);
	if (!br_ok(r) || xfrm_alg_keymat(c->params.encr, c->params.key_bits, c->params.integ,
					 &want_e, &want_i) < 0 ||
	    el != want_e || il != want_i || (size_t)el + il > sizeof c->keys->in)
		return -EBADMSG;
	c->keys = calloc(1, sizeof *c->keys);
	if (!c->keys)
		return -ENOMEM;
	c->keys->encr_len = el;
	c->keys->integ_len = il;
	br_bytes(r, c->keys->in, (size_t)el + il);
	br_bytes(r, c->keys->out, (size_t)el + il);
	return br_ok(r) ? 0 : -EBADMSG;
}

int ike_persist_decode_child(const uint8_t *p, size_t len, int64_t boot_offset,
			     struct ipsec_sa *c, struct ike_persist_parent *parent)
{
	struct buf_reader r;
	br_init(&r, p, len);
	uint8_t flags = 0;
	uint64_t installed = 0;
	br_u32(&r, &parent->ike_id);
	br_bytes(&r, parent->cky_i, 8);
	br_bytes(&r, parent->cky_r, 8);
	br_u32(&r, &c->id);
	br_u32(&r, &c->reqid);
	br_u32(&r, &c->spi_in);
	br_u32(&r, &c->spi_out);
	br_u32(&r, &c->mark);
	br_u8(&r, &flags);
	if (!br_ok(&r) || c->id == 0 || c->reqid == 0 || c->reqid > XFRM_REQID_MAX ||
	    !c->spi_in || !c->spi_out || flags >= 64)
		return -EBADMSG;
	if (get_params(&r, &c->params) < 0 || get_ts(&r, &c->local_ts) < 0 ||
	    get_ts(&r, &c->remote_ts) < 0 || br_u64(&r, &installed) < 0)
		return -EBADMSG;
	if (flags & CF_KEYS) {
		int rc = get_child_keys(&r, c);
		if (rc < 0)
			return rc;
	}
	if (!br_done(&r))
		return -EBADMSG;
	c->initiator = flags & CF_INITIATOR;
	c->superseded = flags & CF_SUPERSEDED;
	c->params.tunnel = flags & CF_TUNNEL;
	c->params.udp_encap = flags & CF_UDP_ENCAP;
	c->params.life_reduced = flags & CF_LIFE_REDUCED;
	c->installed = true;
	c->installed_ms = from_boot(installed, boot_offset);
	return 0;
}
