/*
 * The restart state file format. See statefile.h.
 */
#include "l2tpd/statefile.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "common/buf.h"

const struct state_store_format l2st_format = {
	.magic = "L2SECST",             /* and its NUL: 8 bytes, as in version 1 */
	.record_magic = 0x4c325352u,    /* "L2SR" */
	.version = L2ST_VERSION,
	.slot_size = L2ST_SLOT_LEN,
	.record_slots_max = 1,
};

#define FAM_V4 4
#define FAM_V6 6
#define AUTH_METHOD_MAX 3       /* PPP_AUTH_MSCHAPV2 (ppp_auth.h) */

/* ---- strings: u8 length, bytes; no control characters (names, never free text) ------- */

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return true;
}

static int put_str(struct buf_writer *w, const char *s, size_t max, bool may_be_empty)
{
	size_t n = strnlen(s, max + 1);

	if (n > max || (!n && !may_be_empty) || !printable(s, n))
		return -EINVAL;
	bw_u8(w, (uint8_t)n);
	return bw_bytes(w, s, n);
}

static int get_str(struct buf_reader *r, char *out, size_t max, bool may_be_empty)
{
	struct buf_reader sub;
	size_t n;

	out[0] = 0;
	if (br_sub_u8len(r, &sub) < 0)
		return -EBADMSG;
	n = br_left(&sub);
	if (n > max || (!n && !may_be_empty) || br_bytes(&sub, out, n) < 0 || !printable(out, n))
		return br_fail(r);
	out[n] = 0;
	return 0;
}

/* ---- peer address: u8 family (4/6), address, u16 port ---------------------------------- */

static int put_peer(struct buf_writer *w, const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		if (!s->sin_port)
			return -EINVAL;
		bw_u8(w, FAM_V4);
		bw_bytes(w, &s->sin_addr, 4);
		return bw_u16(w, ntohs(s->sin_port));
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		if (!s->sin6_port)
			return -EINVAL;
		bw_u8(w, FAM_V6);
		bw_bytes(w, &s->sin6_addr, 16);
		return bw_u16(w, ntohs(s->sin6_port));
	}
	return -EINVAL;
}

static int get_peer(struct buf_reader *r, struct sockaddr_storage *ss)
{
	uint8_t fam = 0;
	uint16_t port = 0;

	memset(ss, 0, sizeof *ss);
	br_u8(r, &fam);
	if (fam == FAM_V4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		br_bytes(r, &s->sin_addr, 4);
		br_u16(r, &port);
		s->sin_port = htons(port);
	} else if (fam == FAM_V6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		br_bytes(r, &s->sin6_addr, 16);
		br_u16(r, &port);
		s->sin6_port = htons(port);
	} else {
		return br_fail(r);
	}
	return br_ok(r) && port ? 0 : br_fail(r);
}

/* ---- tunnel record ------------------------------------------------------------------ */

/* Each pending message: u16 length, then a control message (T bit set, L bit set). */
static bool pending_valid(const uint8_t *p, size_t len)
{
	struct buf_reader r, msg;
	uint8_t flags;

	br_init(&r, p, len);
	while (br_left(&r)) {
		if (br_sub_u16len(&r, &msg) < 0 || br_left(&msg) < L2ST_CTRL_MIN ||
		    br_peek_u8(&msg, &flags) < 0 || (flags & 0xc0) != 0xc0)
			return false;
	}
	return br_done(&r);
}

static int put_tunnel(struct buf_writer *w, const struct l2st_tunnel *t)
{
	if (!t->tid || !t->peer_tid || !t->peer_rws)
		return -EINVAL;
	bw_u16(w, t->tid);
	bw_u16(w, t->peer_tid);
	if (put_peer(w, &t->peer) < 0)
		return -EINVAL;
	bw_u16(w, t->ns);
	bw_u16(w, t->nr);
	bw_u16(w, t->peer_rws);
	bw_u32(w, t->hello_ms);
	bw_u64(w, t->created_ms);
	if (put_str(w, t->host, L2ST_HOST_MAX, true) < 0 || t->pending_len > L2ST_PENDING_MAX ||
	    !pending_valid(t->pending, t->pending_len))
		return -EINVAL;
	bw_u16(w, t->pending_len);
	return bw_bytes(w, t->pending, t->pending_len);
}

static int get_tunnel(struct buf_reader *r, struct l2st_tunnel *t)
{
	br_u16(r, &t->tid);
	br_u16(r, &t->peer_tid);
	get_peer(r, &t->peer);
	br_u16(r, &t->ns);
	br_u16(r, &t->nr);
	br_u16(r, &t->peer_rws);
	br_u32(r, &t->hello_ms);
	br_u64(r, &t->created_ms);
	get_str(r, t->host, L2ST_HOST_MAX, true);
	br_u16(r, &t->pending_len);
	if (!br_ok(r) || t->pending_len > L2ST_PENDING_MAX)
		return br_fail(r);
	br_bytes(r, t->pending, t->pending_len);
	if (!br_ok(r) || !t->tid || !t->peer_tid || !t->peer_rws ||
	    !pending_valid(t->pending, t->pending_len))
		return br_fail(r);
	return 0;
}

/* ---- session record ----------------------------------------------------------------- */

static bool session_valid(const struct l2st_session *s)
{
	bool up = s->state == L2ST_SESS_ESTABLISHED;

	if (!s->tid || !s->sid || !s->peer_sid || s->auth_method > AUTH_METHOD_MAX)
		return false;
	if (s->state != L2ST_SESS_NEGOTIATING && !up)
		return false;
	if (!up)
		return true;
	/* an established session has everything a restart needs */
	return s->client_ip && s->user[0] && s->ifname[0] && s->ifindex > 0 && s->unit >= 0 &&
	       s->chindex >= 0 && s->up_ms >= s->created_ms && (!s->peer_mru || s->peer_mru >= 64);
}

static int put_session(struct buf_writer *w, const struct l2st_session *s)
{
	uint8_t flags = (uint8_t)((s->dedicated_ip ? 1 : 0) | (s->peer_pfc ? 2 : 0) |
				  (s->peer_acfc ? 4 : 0));

	if (!session_valid(s))
		return -EINVAL;
	bw_u16(w, s->tid);
	bw_u16(w, s->sid);
	bw_u16(w, s->peer_sid);
	bw_u8(w, s->state);
	bw_u8(w, flags);
	bw_u32(w, s->call_serial);
	if (put_str(w, s->user, L2ST_USER_MAX, true) < 0 ||
	    put_str(w, s->ifname, L2ST_IFNAME_MAX, true) < 0 ||
	    put_str(w, s->ike_id, L2ST_IKE_ID_MAX, true) < 0)
		return -EINVAL;
	bw_u32(w, s->client_ip);
	bw_u32(w, s->local_ip);
	bw_u32(w, s->dns[0]);
	bw_u32(w, s->dns[1]);
	bw_u32(w, (uint32_t)s->ifindex);
	bw_u32(w, (uint32_t)s->unit);
	bw_u32(w, (uint32_t)s->chindex);
	bw_u16(w, s->our_mru);
	bw_u16(w, s->peer_mru);
	bw_u32(w, s->our_magic);
	bw_u32(w, s->peer_magic);
	bw_u8(w, s->auth_method);
	bw_u64(w, s->created_ms);
	return bw_u64(w, s->up_ms);
}

static int get_session(struct buf_reader *r, struct l2st_session *s)
{
	uint8_t flags = 0;
	uint32_t ifindex = 0, unit = 0, chindex = 0;

	br_u16(r, &s->tid);
	br_u16(r, &s->sid);
	br_u16(r, &s->peer_sid);
	br_u8(r, &s->state);
	br_u8(r, &flags);
	br_u32(r, &s->call_serial);
	get_str(r, s->user, L2ST_USER_MAX, true);
	get_str(r, s->ifname, L2ST_IFNAME_MAX, true);
	get_str(r, s->ike_id, L2ST_IKE_ID_MAX, true);
	br_u32(r, &s->client_ip);
	br_u32(r, &s->local_ip);
	br_u32(r, &s->dns[0]);
	br_u32(r, &s->dns[1]);
	br_u32(r, &ifindex);
	br_u32(r, &unit);
	br_u32(r, &chindex);
	br_u16(r, &s->our_mru);
	br_u16(r, &s->peer_mru);
	br_u32(r, &s->our_magic);
	br_u32(r, &s->peer_magic);
	br_u8(r, &s->auth_method);
	br_u64(r, &s->created_ms);
	br_u64(r, &s->up_ms);
	if (!br_ok(r) || (flags & ~7u) || ifindex > INT32_MAX || unit > INT32_MAX ||
	    chindex > INT32_MAX)
		return br_fail(r);
	s->dedicated_ip = flags & 1;
	s->peer_pfc = flags & 2;
	s->peer_acfc = flags & 4;
	s->ifindex = (int32_t)ifindex;
	s->unit = (int32_t)unit;
	s->chindex = (int32_t)chindex;
	return session_valid(s) ? 0 : br_fail(r);
}

/* ---- records ------------------------------------------------------------------------ */

int l2st_encode(const struct l2st_record *rec, uint8_t *buf, size_t cap)
{
	struct buf_writer w;
	int r;

	bw_init(&w, buf, cap);
	if (rec->kind == L2ST_TUNNEL)
		r = put_tunnel(&w, &rec->u.t);
	else if (rec->kind == L2ST_SESSION)
		r = put_session(&w, &rec->u.s);
	else
		r = -EINVAL;
	if (r < 0 || !bw_ok(&w))
		return -EINVAL;
	return (int)bw_len(&w);
}

int l2st_decode(uint8_t kind, const uint8_t *body, size_t len, struct l2st_record *rec)
{
	struct buf_reader r;
	int e;

	memset(rec, 0, sizeof *rec);
	br_init(&r, body, len);
	if (kind == L2ST_TUNNEL)
		e = get_tunnel(&r, &rec->u.t);
	else if (kind == L2ST_SESSION)
		e = get_session(&r, &rec->u.s);
	else
		e = -EBADMSG;
	if (e < 0 || !br_done(&r)) {
		memset(rec, 0, sizeof *rec);
		return -EBADMSG;
	}
	rec->kind = (enum l2st_kind)kind;
	return 0;
}

struct parse_ctx {
	l2st_record_fn fn;
	void *arg;
	struct l2st_record rec;
	int reported;
};

static void on_stored(void *arg, const struct state_record *sr)
{
	struct parse_ctx *p = arg;
	int e = sr->body ? l2st_decode(sr->kind, sr->body, sr->len, &p->rec) : -EBADMSG;

	p->reported++;
	p->fn(p->arg, sr->ref.slot - 1, e < 0 ? NULL : &p->rec, e);
}

int l2st_parse(const uint8_t *buf, size_t len, l2st_record_fn fn, void *arg)
{
	struct parse_ctx p = { .fn = fn, .arg = arg };

	if (state_store_scan(&l2st_format, buf, len, NULL, on_stored, &p) < 0)
		return -EBADMSG;
	return p.reported;
}
