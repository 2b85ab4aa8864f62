/*
 * The slot file behind a daemon's restart state. See state_store.h.
 */
#include "common/state_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/buf.h"

#define CKSUM_LEN 16

enum slot_state { SLOT_FREE = 0, SLOT_USED, SLOT_PENDING };

struct state_store {
	struct state_store_format f;
	int fd;
	uint8_t *state;                 /* enum slot_state per slot; slot 0 is the header */
	size_t nslots, used, hint;
	uint64_t seq;                   /* of the newest record written or found */
	uint8_t boot_id[STATE_STORE_BOOT_ID_LEN];
	uint8_t *scratch;               /* record_slots_max slots: one record being written */
};

static size_t slot_sz(const struct state_store *s)
{
	return s->f.slot_size;
}

static size_t record_bytes(const struct state_store_format *f)
{
	return (size_t)f->record_slots_max * f->slot_size;
}

size_t state_store_body_max(const struct state_store_format *f)
{
	size_t max = record_bytes(f) - STATE_STORE_RECORD_HDR;
	return max > UINT16_MAX ? UINT16_MAX : max;
}

static bool format_ok(const struct state_store_format *f)
{
	return f && f->magic && f->slot_size >= STATE_STORE_FILE_HDR && f->slot_size % 16 == 0 &&
	       f->record_slots_max >= 1 && f->record_slots_max <= STATE_STORE_RECORD_SLOTS_LIMIT;
}

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

/* ---- the file header ---------------------------------------------------------------- */

static int write_header(struct state_store *s)
{
	uint8_t *h = s->scratch;        /* at least one slot */
	struct buf_writer w;
	memset(h, 0, slot_sz(s));
	bw_init(&w, h, slot_sz(s));
	bw_bytes(&w, s->f.magic, STATE_STORE_MAGIC_LEN);
	bw_u16(&w, s->f.version);
	bw_u16(&w, s->f.slot_size);
	bw_u32(&w, 0);
	bw_bytes(&w, s->boot_id, STATE_STORE_BOOT_ID_LEN);
	uint8_t c[CKSUM_LEN];
	cksum(h, bw_len(&w), NULL, 0, c);
	bw_bytes(&w, c, CKSUM_LEN);
	return pwrite_all(s->fd, h, slot_sz(s), 0);
}

/* Is this a header of f (and of this boot)? NULL when yes, else why not. The version is
 * checked before the checksum: an older layout is reported as such, never parsed. */
static const char *check_header(const struct state_store_format *f, const uint8_t *image,
				size_t len, const uint8_t *boot_id)
{
	if (len < f->slot_size)
		return "shorter than its header";
	struct buf_reader r;
	br_init(&r, image, STATE_STORE_FILE_HDR);
	uint8_t magic[STATE_STORE_MAGIC_LEN], boot[STATE_STORE_BOOT_ID_LEN];
	uint8_t c[CKSUM_LEN], want[CKSUM_LEN];
	uint16_t version = 0, slot = 0;
	uint32_t zero = 1;
	br_bytes(&r, magic, sizeof magic);
	br_u16(&r, &version);
	br_u16(&r, &slot);
	br_u32(&r, &zero);
	br_bytes(&r, boot, sizeof boot);
	br_bytes(&r, c, sizeof c);
	if (!br_done(&r) || memcmp(magic, f->magic, STATE_STORE_MAGIC_LEN) != 0)
		return "not a state file of this daemon";
	if (version != f->version || slot != f->slot_size || zero != 0)
		return "other format version";
	cksum(image, STATE_STORE_FILE_HDR - CKSUM_LEN, NULL, 0, want);
	if (sodium_memcmp(c, want, CKSUM_LEN) != 0)
		return "header checksum";
	if (boot_id && memcmp(boot, boot_id, STATE_STORE_BOOT_ID_LEN) != 0)
		return "written before a reboot";
	return NULL;
}

/* ---- opening ------------------------------------------------------------------------ */

static int grow(struct state_store *s, size_t nslots)
{
	uint8_t *st = realloc(s->state, nslots);
	if (!st)
		return -ENOMEM;
	memset(st + s->nslots, SLOT_FREE, nslots - s->nslots);
	s->state = st;
	if (ftruncate(s->fd, (off_t)(nslots * slot_sz(s))) < 0)
		return -errno;
	s->nslots = nslots;
	return 0;
}

static int read_image(int fd, size_t slot, uint8_t **out, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 0 || (size_t)st.st_size > STATE_STORE_FILE_MAX)
		return -EFBIG;
	size_t n = (size_t)st.st_size / slot * slot;
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
	*len = got / slot * slot;
	return 0;
}

static void wipe(struct state_store *s, size_t slot, size_t n)
{
	size_t chunk = s->f.record_slots_max;
	memset(s->scratch, 0, record_bytes(&s->f));
	while (n) {
		size_t k = n > chunk ? chunk : n;
		pwrite_all(s->fd, s->scratch, k * slot_sz(s), (off_t)(slot * slot_sz(s)));
		slot += k;
		n -= k;
	}
}

/* An empty store over what the file holds: zeroed, not truncated. */
static int reset(struct state_store *s)
{
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size > STATE_STORE_FILE_MAX)
		return -EFBIG;
	size_t have = ((size_t)st.st_size + slot_sz(s) - 1) / slot_sz(s);
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

static void note_seq(void *arg, const struct state_record *rec)
{
	struct state_store *s = arg;
	if (rec->body && rec->seq > s->seq)
		s->seq = rec->seq;
}

/* The file verified: every slot pending until kept, new sequence numbers above the old. */
static int adopt(struct state_store *s, const uint8_t *img, size_t len)
{
	size_t n = len / slot_sz(s);
	/* check_header saw a header slot; gcc -O2 cannot tell (-Wstringop-overflow below) */
	uint8_t *st = n ? malloc(n) : NULL;

	if (!st)
		return n ? -ENOMEM : -EINVAL;
	memset(st, SLOT_PENDING, n);
	st[0] = SLOT_USED;
	s->state = st;
	s->nslots = n;
	s->used = 1;
	state_store_scan(&s->f, img, len, NULL, note_seq, s);
	return 0;
}

int state_store_open(const struct state_store_format *f, int fd, bool fresh,
		     const uint8_t boot_id[STATE_STORE_BOOT_ID_LEN], struct state_store **out,
		     uint8_t **image_out, size_t *image_len, const char **reset_why)
{
	*image_out = NULL;
	*image_len = 0;
	*reset_why = "";
	struct state_store *s = format_ok(f) ? calloc(1, sizeof *s) : NULL;
	uint8_t *scratch = s ? malloc(record_bytes(f)) : NULL;
	if (!scratch) {
		free(s);
		close(fd);
		return format_ok(f) ? -ENOMEM : -EINVAL;
	}
	s->f = *f;
	s->fd = fd;
	s->scratch = scratch;
	memcpy(s->boot_id, boot_id, STATE_STORE_BOOT_ID_LEN);
	uint8_t *img = NULL;
	size_t len = 0;
	int rc = 0;
	if (!fresh) {
		rc = read_image(fd, slot_sz(s), &img, &len);
		const char *why = rc < 0 ? "unreadable" : check_header(f, img, len, boot_id);
		if (why && len == 0 && rc == 0)
			why = "";               /* an empty file: a first start */
		if (why) {
			*reset_why = why;
			state_store_image_free(img, len);
			img = NULL;
			fresh = true;
		}
	}
	rc = fresh ? reset(s) : adopt(s, img, len);
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
	if (s->scratch)
		sodium_memzero(s->scratch, record_bytes(&s->f));
	free(s->scratch);
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

/* The record starting at slot i of image, if it verifies: 0 and *rec, else -1. */
static int record_at(const struct state_store_format *f, const uint8_t *image, size_t nslots,
		     size_t i, struct state_record *rec)
{
	const uint8_t *p = image + i * f->slot_size;
	struct buf_reader r;
	br_init(&r, p, STATE_STORE_RECORD_HDR);
	uint32_t magic = 0;
	uint16_t len = 0;
	uint8_t n = 0, c[CKSUM_LEN], want[CKSUM_LEN];
	br_u32(&r, &magic);
	br_u8(&r, &rec->kind);
	br_u8(&r, &n);
	br_u16(&r, &len);
	br_u64(&r, &rec->seq);
	br_bytes(&r, c, CKSUM_LEN);
	if (!br_done(&r) || magic != f->record_magic || n == 0 || n > f->record_slots_max ||
	    i + n > nslots || len > (size_t)n * f->slot_size - STATE_STORE_RECORD_HDR)
		return -1;
	cksum(p, STATE_STORE_RECORD_HDR - CKSUM_LEN, p + STATE_STORE_RECORD_HDR, len, want);
	if (sodium_memcmp(c, want, CKSUM_LEN) != 0)
		return -1;
	rec->body = p + STATE_STORE_RECORD_HDR;
	rec->len = len;
	rec->ref = (struct store_ref){ .slot = (uint32_t)i, .n = n };
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

int state_store_scan(const struct state_store_format *f, const uint8_t *image, size_t len,
		     const uint8_t *boot_id, state_record_fn fn, void *arg)
{
	if (!format_ok(f) || !image || check_header(f, image, len, boot_id))
		return -EINVAL;
	size_t nslots = len / f->slot_size;
	int count = 0;
	for (size_t i = 1; i < nslots;) {
		struct state_record rec = { 0 };
		if (record_at(f, image, nslots, i, &rec) == 0) {
			fn(arg, &rec);
			count++;
			i += rec.ref.n;
			continue;
		}
		if (!all_zero(image + i * f->slot_size, f->slot_size)) {
			struct state_record bad = { .ref = { .slot = (uint32_t)i, .n = 1 } };
			fn(arg, &bad);
		}
		i++;
	}
	return count;
}

int state_store_keep(struct state_store *s, const struct store_ref *ref)
{
	if (!ref->n || ref->slot == 0 || ref->slot + (size_t)ref->n > s->nslots)
		return -EINVAL;
	for (size_t i = ref->slot; i < ref->slot + (size_t)ref->n; i++)
		if (s->state[i] == SLOT_USED)
			return -EINVAL;
	for (size_t i = ref->slot; i < ref->slot + (size_t)ref->n; i++)
		s->state[i] = SLOT_USED;
	s->used += ref->n;
	return 0;
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
		if (want * slot_sz(s) > STATE_STORE_FILE_MAX)
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
	if (len > state_store_body_max(&s->f))
		return -EMSGSIZE;
	uint8_t n = (uint8_t)((STATE_STORE_RECORD_HDR + len + slot_sz(s) - 1) / slot_sz(s));
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
	uint8_t *rec = s->scratch;
	size_t total = (size_t)n * slot_sz(s);
	memset(rec, 0, total);
	struct buf_writer w;
	bw_init(&w, rec, total);
	bw_u32(&w, s->f.record_magic);
	bw_u8(&w, kind);
	bw_u8(&w, n);
	bw_u16(&w, (uint16_t)len);
	bw_u64(&w, ++s->seq);
	uint8_t c[CKSUM_LEN];
	cksum(rec, bw_len(&w), body, len, c);
	bw_bytes(&w, c, CKSUM_LEN);
	bw_bytes(&w, body, len);
	int rc = bw_ok(&w) ? pwrite_all(s->fd, rec, total, (off_t)to.slot * (off_t)slot_sz(s))
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

/* ---- where a store lives ---------------------------------------------------------------- */

int state_store_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

int state_store_file_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    ((st.st_mode & 077) && fchmod(fd, 0600) < 0)) {
		close(fd);
		return -EPERM;
	}
	/* One writer: a second daemon started by mistake on the same directory must not
	 * rewrite (or sweep) the records of the running one. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return e;
	}
	return fd;
}

void state_store_boot_id(uint8_t out[STATE_STORE_BOOT_ID_LEN])
{
	memset(out, 0, STATE_STORE_BOOT_ID_LEN);
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	char text[64] = "";
	if (!f)
		return;
	if (!fgets(text, sizeof text, f))
		text[0] = '\0';
	fclose(f);
	size_t n = 0;
	for (const char *p = text; *p && n < 2 * STATE_STORE_BOOT_ID_LEN; p++) {
		int v = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (v < 0)
			continue;
		out[n / 2] |= (uint8_t)(n % 2 ? v : v << 4);
		n++;
	}
}
