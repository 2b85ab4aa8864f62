/*
 * The slot file behind ikd's saved state. See state_store.h.
 */
#include "ikd/state_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"

#define FILE_MAGIC "l2sikdst"
#define REC_MAGIC 0x494b4452u           /* "IKDR" */
#define CKSUM_LEN 16
#define FILE_HDR_LEN (8 + 2 + 2 + 4 + STATE_STORE_BOOT_ID_LEN + CKSUM_LEN)

enum slot_state { SLOT_FREE = 0, SLOT_USED, SLOT_PENDING };

struct state_store {
	int fd;
	uint8_t *state;                 /* enum slot_state per slot; slot 0 is the header */
	size_t nslots, used, hint;
	uint64_t seq;                   /* of the newest record written or kept */
	uint8_t boot_id[STATE_STORE_BOOT_ID_LEN];
};

static void cksum(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		  uint8_t out[CKSUM_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, CKSUM_LEN);
	crypto_generichash_update(&st, a, alen);
	if (blen)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, CKSUM_LEN);
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int write_header(struct state_store *s)
{
	uint8_t h[STATE_STORE_SLOT] = { 0 };
	struct buf_writer w;
	bw_init(&w, h, sizeof h);
	bw_bytes(&w, FILE_MAGIC, 8);
	bw_u16(&w, STATE_STORE_VERSION);
	bw_u16(&w, STATE_STORE_SLOT);
	bw_u32(&w, 0);
	bw_bytes(&w, s->boot_id, STATE_STORE_BOOT_ID_LEN);
	uint8_t c[CKSUM_LEN];
	cksum(h, bw_len(&w), NULL, 0, c);
	bw_bytes(&w, c, CKSUM_LEN);
	return pwrite_all(s->fd, h, sizeof h, 0);
}

/* Is this a header of our version and boot? NULL when yes, else why not. */
static const char *check_header(const uint8_t *image, size_t len, const uint8_t *boot_id)
{
	if (len < STATE_STORE_SLOT)
		return "too short";
	struct buf_reader r;
	br_init(&r, image, FILE_HDR_LEN);
	uint8_t magic[8], boot[STATE_STORE_BOOT_ID_LEN], c[CKSUM_LEN], want[CKSUM_LEN];
	uint16_t version = 0, slot = 0;
	uint32_t zero = 1;
	br_bytes(&r, magic, 8);
	br_u16(&r, &version);
	br_u16(&r, &slot);
	br_u32(&r, &zero);
	br_bytes(&r, boot, sizeof boot);
	br_bytes(&r, c, sizeof c);
	if (!br_done(&r) || memcmp(magic, FILE_MAGIC, 8) != 0)
		return "not an ikd state file";
	cksum(image, FILE_HDR_LEN - CKSUM_LEN, NULL, 0, want);
	if (sodium_memcmp(c, want, CKSUM_LEN) != 0)
		return "header checksum";
	if (version != STATE_STORE_VERSION || slot != STATE_STORE_SLOT || zero != 0)
		return "other format version";
	if (boot_id && memcmp(boot, boot_id, STATE_STORE_BOOT_ID_LEN) != 0)
		return "written before a reboot";
	return NULL;
}

static int grow(struct state_store *s, size_t nslots)
{
	uint8_t *st = realloc(s->state, nslots);
	if (!st)
		return -ENOMEM;
	memset(st + s->nslots, SLOT_FREE, nslots - s->nslots);
	s->state = st;
	if (ftruncate(s->fd, (off_t)(nslots * STATE_STORE_SLOT)) < 0)
		return -errno;
	s->nslots = nslots;
	return 0;
}

static int read_image(int fd, uint8_t **out, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || (size_t)st.st_size > STATE_STORE_FILE_MAX)
		return -EFBIG;
	size_t n = (size_t)st.st_size / STATE_STORE_SLOT * STATE_STORE_SLOT;
	uint8_t *img = malloc(n ? n : 1);
	if (!img)
		return -ENOMEM;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, img + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*out = img;
	*len = got / STATE_STORE_SLOT * STATE_STORE_SLOT;
	return 0;
}

static void wipe(struct state_store *s, size_t slot, size_t n);

/* An empty store over what the file holds: zeroed, not truncated (the memfd is sealed
 * against shrinking, and no key of a discarded record may linger). */
static int reset(struct state_store *s)
{
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	size_t have = ((size_t)st.st_size + STATE_STORE_SLOT - 1) / STATE_STORE_SLOT;
	free(s->state);
	s->state = NULL;
	s->nslots = s->used = s->hint = 0;
	int rc = grow(s, have > 64 ? have : 64);
	if (rc < 0)
		return rc;
	wipe(s, 1, s->nslots - 1);
	s->state[0] = SLOT_USED;
	s->used = 1;
	return write_header(s);
}

int state_store_open(int fd, bool fresh, const uint8_t boot_id[STATE_STORE_BOOT_ID_LEN],
		     struct state_store **out, uint8_t **image_out, size_t *image_len,
		     const char **reset_why)
{
	*image_out = NULL;
	*image_len = 0;
	*reset_why = "";
	struct state_store *s = calloc(1, sizeof *s);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	memcpy(s->boot_id, boot_id, STATE_STORE_BOOT_ID_LEN);
	uint8_t *img = NULL;
	size_t len = 0;
	int rc = 0;
	if (!fresh) {
		rc = read_image(fd, &img, &len);
		const char *why = rc < 0 ? "unreadable" : check_header(img, len, boot_id);
		if (why && len == 0 && rc == 0)
			why = "";               /* an empty file: a first start */
		if (why) {
			*reset_why = why;
			state_store_image_free(img, len);
			img = NULL;
			fresh = true;
		}
	}
	if (fresh) {
		rc = reset(s);
	} else {
		s->state = malloc(len / STATE_STORE_SLOT);
		if (!s->state)
			rc = -ENOMEM;
		else {
			s->nslots = len / STATE_STORE_SLOT;
			memset(s->state, SLOT_PENDING, s->nslots);
			s->state[0] = SLOT_USED;
			s->used = 1;
		}
	}
	if (rc < 0) {
		state_store_image_free(img, len);
		state_store_close(s);
		return rc;
	}
	*out = s;
	*image_out = img;
	*image_len = img ? len : 0;
	return 0;
}

void state_store_close(struct state_store *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->state);
	free(s);
}

void state_store_image_free(uint8_t *image, size_t len)
{
	if (!image)
		return;
	sodium_memzero(image, len);
	free(image);
}

int state_store_fd(const struct state_store *s)
{
	return s->fd;
}

size_t state_store_used(const struct state_store *s)
{
	return s->used;
}

size_t state_store_slots(const struct state_store *s)
{
	return s->nslots;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* The record starting at slot i of image, if it verifies: 0 and its parts, else -1. */
static int record_at(const uint8_t *image, size_t nslots, size_t i, uint8_t *kind,
		     uint8_t *n, const uint8_t **body, size_t *blen, uint64_t *seq)
{
	const uint8_t *p = image + i * STATE_STORE_SLOT;
	struct buf_reader r;
	br_init(&r, p, STATE_STORE_HDR);
	uint32_t magic = 0;
	uint16_t len = 0;
	uint8_t c[CKSUM_LEN], want[CKSUM_LEN];
	br_u32(&r, &magic);
	br_u8(&r, kind);
	br_u8(&r, n);
	br_u16(&r, &len);
	br_u64(&r, seq);
	br_bytes(&r, c, CKSUM_LEN);
	if (!br_done(&r) || magic != REC_MAGIC || *n == 0 || *n > STATE_STORE_RECORD_SLOTS_MAX ||
	    i + *n > nslots || len > (size_t)*n * STATE_STORE_SLOT - STATE_STORE_HDR)
		return -1;
	*body = p + STATE_STORE_HDR;
	*blen = len;
	cksum(p, STATE_STORE_HDR - CKSUM_LEN, *body, len, want);
	return sodium_memcmp(c, want, CKSUM_LEN) == 0 ? 0 : -1;
}

int state_store_scan(const uint8_t *image, size_t len, const uint8_t *boot_id,
		     state_record_fn fn, void *arg)
{
	if (!image || check_header(image, len, boot_id))
		return -EINVAL;
	size_t nslots = len / STATE_STORE_SLOT;
	int count = 0;
	for (size_t i = 1; i < nslots;) {
		uint8_t kind, n;
		const uint8_t *body;
		size_t blen;
		uint64_t seq;
		if (record_at(image, nslots, i, &kind, &n, &body, &blen, &seq) < 0) {
			i++;
			continue;
		}
		fn(arg, kind, body, blen, (struct store_ref){ .slot = (uint32_t)i, .n = n }, seq);
		count++;
		i += n;
	}
	return count;
}

void state_store_keep(struct state_store *s, const struct store_ref *ref, uint64_t seq)
{
	if (!ref->n || ref->slot + (size_t)ref->n > s->nslots || ref->slot == 0)
		return;
	for (size_t i = ref->slot; i < ref->slot + (size_t)ref->n; i++)
		if (s->state[i] != SLOT_USED) {
			s->state[i] = SLOT_USED;
			s->used++;
		}
	if (seq > s->seq)
		s->seq = seq;
}

static void wipe(struct state_store *s, size_t slot, size_t n)
{
	static const uint8_t zero[STATE_STORE_SLOT * STATE_STORE_RECORD_SLOTS_MAX];
	while (n) {
		size_t k = n > STATE_STORE_RECORD_SLOTS_MAX ? STATE_STORE_RECORD_SLOTS_MAX : n;
		pwrite_all(s->fd, zero, k * STATE_STORE_SLOT, (off_t)(slot * STATE_STORE_SLOT));
		slot += k;
		n -= k;
	}
}

unsigned state_store_sweep(struct state_store *s)
{
	unsigned n = 0;
	for (size_t i = 1; i < s->nslots; i++)
		if (s->state[i] == SLOT_PENDING) {
			wipe(s, i, 1);
			s->state[i] = SLOT_FREE;
			n++;
		}
	return n;
}

/* ---- writing ---------------------------------------------------------------------------- */

static void release(struct state_store *s, const struct store_ref *ref)
{
	for (size_t i = ref->slot; i < ref->slot + (size_t)ref->n && i < s->nslots; i++)
		if (s->state[i] == SLOT_USED) {
			s->state[i] = SLOT_FREE;
			s->used--;
		}
}

/* First run of n free slots from the hint on (wrapping), growing the file when none. */
static int alloc(struct state_store *s, uint8_t n, uint32_t *slot)
{
	for (int pass = 0; pass < 2; pass++) {
		size_t run = 0;
		for (size_t k = 0; k < s->nslots; k++) {
			size_t i = (s->hint + k) % s->nslots;
			if (i == 0) {
				run = 0;
				continue;
			}
			run = s->state[i] == SLOT_FREE ? run + 1 : 0;
			if (run == n) {
				*slot = (uint32_t)(i + 1 - n);
				s->hint = i + 1;
				return 0;
			}
		}
		size_t want = s->nslots * 2;
		if (want * STATE_STORE_SLOT > STATE_STORE_FILE_MAX)
			return -ENOSPC;
		int rc = grow(s, want);
		if (rc < 0)
			return rc;
		s->hint = want / 2;
	}
	return -ENOSPC;
}

int state_store_put(struct state_store *s, struct store_ref *ref, uint8_t kind,
		    const uint8_t *body, size_t len)
{
	if (len > STATE_STORE_BODY_MAX)
		return -EMSGSIZE;
	uint8_t n = (uint8_t)((STATE_STORE_HDR + len + STATE_STORE_SLOT - 1) / STATE_STORE_SLOT);
	struct store_ref old = *ref, to = *ref;
	if (to.n != n) {
		int rc = alloc(s, n, &to.slot);
		if (rc < 0)
			return rc;
		to.n = n;
		for (size_t i = to.slot; i < to.slot + (size_t)n; i++)
			s->state[i] = SLOT_USED;
		s->used += n;
	}
	uint8_t rec[STATE_STORE_SLOT * STATE_STORE_RECORD_SLOTS_MAX];
	size_t total = (size_t)n * STATE_STORE_SLOT;
	memset(rec, 0, total);
	struct buf_writer w;
	bw_init(&w, rec, total);
	bw_u32(&w, REC_MAGIC);
	bw_u8(&w, kind);
	bw_u8(&w, n);
	bw_u16(&w, (uint16_t)len);
	bw_u64(&w, ++s->seq);
	uint8_t c[CKSUM_LEN];
	cksum(rec, bw_len(&w), body, len, c);
	bw_bytes(&w, c, CKSUM_LEN);
	bw_bytes(&w, body, len);
	int rc = bw_ok(&w) ? pwrite_all(s->fd, rec, total, (off_t)to.slot * STATE_STORE_SLOT)
			   : -EMSGSIZE;
	sodium_memzero(rec, total);
	if (rc < 0) {
		if (to.slot != old.slot || to.n != old.n)
			release(s, &to);
		return rc;
	}
	if (old.n && (old.slot != to.slot || old.n != to.n)) {
		wipe(s, old.slot, old.n);
		release(s, &old);
	}
	*ref = to;
	return 0;
}

void state_store_del(struct state_store *s, struct store_ref *ref)
{
	if (!ref->n)
		return;
	wipe(s, ref->slot, ref->n);
	release(s, ref);
	ref->slot = 0;
	ref->n = 0;
}
