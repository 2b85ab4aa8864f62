/*
 * The restart state store (common/state_store.h): records round-trip across a re-open,
 * are rewritten in place (same slot, one pwrite, nothing else in the file changes) or
 * moved when they grow, are wiped when deleted; a torn or damaged record fails its
 * checksum and is reported as a damaged slot, never handed over; a file of another
 * version, magic, slot size or boot is reset with the reason; the file is 0600 and
 * locked; the memfd is sealed against shrinking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/state_store.h"

#define SLOT 128u

static const struct state_store_format fmt = {
	.magic = "l2stest",
	.record_magic = 0x54455354u,    /* "TEST" */
	.version = 3,
	.slot_size = SLOT,
	.record_slots_max = 4,
};

static const uint8_t boot_a[STATE_STORE_BOOT_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t boot_b[STATE_STORE_BOOT_ID_LEN] = { 9, 9, 9 };

struct seen {
	unsigned n, bad;
	uint8_t kind[16];
	size_t len[16];
	uint8_t first[16];
	struct store_ref ref[16];
	uint64_t seq[16];
	uint32_t bad_slot[16];
};

static void seen_fn(void *arg, const struct state_record *rec)
{
	struct seen *s = arg;
	if (!rec->body) {
		assert_true(s->bad < 16);
		assert_int_equal(rec->ref.n, 1);
		s->bad_slot[s->bad++] = rec->ref.slot;
		return;
	}
	assert_true(s->n < 16);
	s->kind[s->n] = rec->kind;
	s->len[s->n] = rec->len;
	s->first[s->n] = rec->len ? rec->body[0] : 0;
	s->ref[s->n] = rec->ref;
	s->seq[s->n] = rec->seq;
	s->n++;
}

static struct state_store *open_store(int fd, bool fresh, const uint8_t *boot, uint8_t **img,
				      size_t *len, const char **why)
{
	struct state_store *s = NULL;
	const char *w;
	assert_int_equal(state_store_open(&fmt, dup(fd), fresh, boot, &s, img, len, why ? why : &w),
			 0);
	return s;
}

/* The end of a test: the image, the store, the memfd. */
static void finish(struct state_store *s, uint8_t *img, size_t len, int fd)
{
	state_store_image_free(img, len);
	state_store_close(s);
	close(fd);
}

/* A new memfd with an empty store of fmt on it. */
static struct state_store *new_store(int *fd)
{
	uint8_t *img;
	size_t len;
	*fd = memfd_create("store-test", MFD_CLOEXEC);
	assert_true(*fd >= 0);
	struct state_store *s = open_store(*fd, true, boot_a, &img, &len, NULL);
	assert_null(img);
	return s;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The header and a record, byte for byte as state_store.h describes them. */
static void test_layout(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	assert_int_equal(state_store_body_max(&fmt), 4 * SLOT - 32);
	uint8_t body[5] = { 'h', 'e', 'l', 'l', 'o' };
	struct store_ref a = { 0 };
	assert_int_equal(state_store_put(s, &a, 7, body, sizeof body), 0);
	assert_int_equal(a.slot, 1);
	assert_int_equal(a.n, 1);
	state_store_close(s);

	uint8_t f[2 * SLOT], want[16];
	assert_int_equal(pread(fd, f, sizeof f, 0), (ssize_t)sizeof f);
	assert_memory_equal(f, "l2stest\0", 8);
	assert_int_equal(rd16(f + 8), 3);
	assert_int_equal(rd16(f + 10), SLOT);
	assert_memory_equal(f + 12, "\0\0\0\0", 4);
	assert_memory_equal(f + 16, boot_a, 16);
	crypto_generichash(want, 16, f, 32, NULL, 0);
	assert_memory_equal(f + 32, want, 16);
	for (size_t i = 48; i < SLOT; i++)
		assert_int_equal(f[i], 0);
	const uint8_t *r = f + SLOT;
	assert_memory_equal(r, "TEST", 4);
	assert_int_equal(r[4], 7);                      /* kind */
	assert_int_equal(r[5], 1);                      /* slots */
	assert_int_equal(rd16(r + 6), 5);               /* body length */
	assert_memory_equal(r + 8, "\0\0\0\0\0\0\0\1", 8);      /* first sequence number */
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, r, 16);
	crypto_generichash_update(&st, body, sizeof body);
	crypto_generichash_final(&st, want, 16);
	assert_memory_equal(r + 16, want, 16);
	assert_memory_equal(r + 32, "hello", 5);
	for (size_t i = 37; i < SLOT; i++)
		assert_int_equal(r[i], 0);
	close(fd);
}

static void test_round_trip_and_moves(void **state)
{
	(void)state;
	int fd = memfd_create("store-test", MFD_CLOEXEC);
	uint8_t *img;
	size_t len;
	const char *why;
	struct state_store *s = open_store(fd, true, boot_a, &img, &len, &why);
	assert_null(img);
	assert_string_equal(why, "");
	uint8_t body[400];
	memset(body, 0x11, sizeof body);
	struct store_ref a = { 0 }, b = { 0 }, c = { 0 };
	assert_int_equal(state_store_put(s, &a, 1, body, 60), 0);
	assert_int_equal(a.n, 1);
	body[0] = 0x22;
	assert_int_equal(state_store_put(s, &b, 2, body, 20), 0);
	body[0] = 0x33;
	assert_int_equal(state_store_put(s, &c, 1, body, 300), 0);
	assert_int_equal(c.n, 3);
	/* grow a: it moves, the old place is wiped */
	struct store_ref a0 = a;
	body[0] = 0x55;
	assert_int_equal(state_store_put(s, &a, 1, body, 150), 0);
	assert_int_equal(a.n, 2);
	assert_int_not_equal(a.slot, a0.slot);
	uint32_t b_slot = b.slot;
	state_store_del(s, &b);
	assert_int_equal(b.n, 0);
	assert_int_equal(state_store_used(s), 1 + 2 + 3);
	state_store_close(s);

	/* re-open: the grown a and c; the wiped slots are zeros (not damaged slots) */
	s = open_store(fd, false, boot_a, &img, &len, &why);
	assert_string_equal(why, "");
	assert_non_null(img);
	struct seen seen = { 0 };
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), 2);
	assert_int_equal(seen.bad, 0);
	bool got_a = false, got_c = false;
	for (unsigned i = 0; i < seen.n; i++) {
		if (seen.first[i] == 0x55 && seen.len[i] == 150 && seen.kind[i] == 1)
			got_a = true;
		if (seen.first[i] == 0x33 && seen.len[i] == 300)
			got_c = true;
		assert_int_equal(state_store_keep(s, &seen.ref[i]), 0);
		assert_int_equal(state_store_keep(s, &seen.ref[i]), -EINVAL);   /* twice */
	}
	assert_true(got_a && got_c);
	for (size_t k = 0; k < SLOT; k++) {
		assert_int_equal(img[b_slot * SLOT + k], 0);
		assert_int_equal(img[a0.slot * SLOT + k], 0);
	}
	state_store_image_free(img, len);
	assert_int_equal(state_store_sweep(s), state_store_slots(s) - 1 - 5);
	/* new records go after the kept ones, never over them, with a newer sequence */
	struct store_ref d = { 0 };
	assert_int_equal(state_store_put(s, &d, 2, body, 10), 0);
	assert_true(d.slot != a.slot && d.slot != a.slot + 1 &&
		    (d.slot < c.slot || d.slot >= c.slot + 3));
	state_store_close(s);
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), 3);
	for (unsigned i = 0; i < seen.n; i++)
		if (seen.ref[i].slot == d.slot)
			assert_true(seen.seq[i] > 3);
	finish(s, img, len, fd);
}

/* A rewrite that still fits stays in its slot, and changes no other byte of the file. */
static void test_in_place_rewrite(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	uint8_t *img, body[80];
	size_t len;
	struct store_ref a = { 0 }, b = { 0 };
	memset(body, 0xaa, sizeof body);
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	assert_int_equal(state_store_put(s, &b, 1, body, sizeof body), 0);
	size_t size = state_store_slots(s) * SLOT;
	uint8_t *before = malloc(size), *after = malloc(size);
	assert_non_null(before);
	assert_non_null(after);
	assert_int_equal(pread(fd, before, size, 0), (ssize_t)size);
	struct store_ref a0 = a;
	memset(body, 0xbb, sizeof body);
	assert_int_equal(state_store_put(s, &a, 1, body, 40), 0);     /* shorter */
	assert_memory_equal(&a, &a0, sizeof a);
	assert_int_equal(state_store_used(s), 3);
	assert_int_equal(pread(fd, after, size, 0), (ssize_t)size);
	for (size_t i = 0; i < size; i++)
		if (i / SLOT != a.slot)
			assert_int_equal(after[i], before[i]);
	assert_int_equal(after[a.slot * SLOT + 32], 0xbb);
	assert_int_equal(rd16(after + a.slot * SLOT + 6), 40);
	for (size_t i = 32 + 40; i < SLOT; i++)         /* the old tail is zeroed */
		assert_int_equal(after[a.slot * SLOT + i], 0);
	state_store_close(s);
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	struct seen seen = { 0 };
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), 2);
	assert_int_equal(seen.first[0], 0xbb);
	assert_int_equal(seen.len[0], 40);
	state_store_image_free(img, len);
	state_store_close(s);
	free(before);
	free(after);
	close(fd);
}

/* Any flipped byte, and a write torn anywhere, fails the checksum: that record is reported
 * as damaged slots, the others are read. */
static void test_torn_and_corrupt_records(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	uint8_t *img, body[200];
	size_t len;
	memset(body, 0x5a, sizeof body);
	struct store_ref a = { 0 }, b = { 0 };
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	assert_int_equal(state_store_put(s, &b, 2, body, 40), 0);
	state_store_close(s);
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	size_t base = a.slot * SLOT;
	for (size_t k = 0; k < 32 + sizeof body; k++) {
		img[base + k] ^= 0x01;
		struct seen seen = { 0 };
		assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), 1);
		assert_int_equal(seen.kind[0], 2);
		assert_true(seen.bad >= 1 && seen.bad_slot[0] == a.slot);
		img[base + k] ^= 0x01;
	}
	/* a header claiming more slots than allowed, or than the file has */
	img[base + 5] = 5;
	struct seen seen = { 0 };
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), 1);
	img[base + 5] = 2;
	assert_int_equal(state_store_scan(&fmt, img, SLOT + SLOT, boot_a, seen_fn, &seen), 0);
	/* shorter than the header: nothing */
	assert_int_equal(state_store_scan(&fmt, img, SLOT / 2, boot_a, seen_fn, &seen), -EINVAL);
	finish(s, img, len, fd);
}

/* A rewrite in place torn after any number of bytes (the process killed in the middle):
 * the slot holds either the old record whole, or the new one whole, or it is damaged;
 * never a mixture passed off as a record. */
static void test_torn_rewrite(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	uint8_t *img, body[90], old_rec[SLOT], new_rec[SLOT];
	size_t len;
	struct store_ref a = { 0 }, b = { 0 };
	memset(body, 0x5a, sizeof body);
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	assert_int_equal(state_store_put(s, &b, 2, body, 10), 0);
	assert_int_equal(pread(fd, old_rec, SLOT, (off_t)a.slot * SLOT), (ssize_t)SLOT);
	memset(body, 0xa5, sizeof body);
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	assert_int_equal(pread(fd, new_rec, SLOT, (off_t)a.slot * SLOT), (ssize_t)SLOT);
	state_store_close(s);
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	unsigned mixed = 0;
	for (size_t k = 0; k <= SLOT; k++) {
		uint8_t *p = img + a.slot * SLOT;
		memcpy(p, new_rec, k);
		memcpy(p + k, old_rec + k, SLOT - k);
		bool is_old = memcmp(p, old_rec, SLOT) == 0, is_new = memcmp(p, new_rec, SLOT) == 0;
		struct seen seen = { 0 };
		int n = state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen);
		if (is_old || is_new) {
			assert_int_equal(n, 2);
			for (unsigned i = 0; i < seen.n; i++)
				if (seen.ref[i].slot == a.slot)
					assert_int_equal(seen.first[i], is_new ? 0xa5 : 0x5a);
		} else {
			mixed++;
			assert_int_equal(n, 1);
			assert_int_equal(seen.kind[0], 2);
			assert_int_equal(seen.bad, 1);
			assert_int_equal(seen.bad_slot[0], a.slot);
		}
	}
	assert_true(mixed >= 100);
	finish(s, img, len, fd);
}

/* Another version, magic or slot size, or a damaged header: refused by the scanner, and
 * the file reset by open with the reason, its records zeroed. */
static void test_wrong_version(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	uint8_t *img, body[64];
	size_t len;
	const char *why;
	memset(body, 0xee, sizeof body);
	struct store_ref a = { 0 };
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	state_store_close(s);

	struct state_store_format other = fmt;
	other.version = 4;
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	struct seen seen = { 0 };
	assert_int_equal(state_store_scan(&other, img, len, boot_a, seen_fn, &seen), -EINVAL);
	other = fmt;
	other.magic = "l2sother";
	assert_int_equal(state_store_scan(&other, img, len, boot_a, seen_fn, &seen), -EINVAL);
	other = fmt;
	other.slot_size = 256;
	assert_int_equal(state_store_scan(&other, img, len, boot_a, seen_fn, &seen), -EINVAL);
	img[40] ^= 1;                                   /* the header's checksum */
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), -EINVAL);
	assert_int_equal(seen.n + seen.bad, 0);
	state_store_image_free(img, len);
	state_store_close(s);

	other = fmt;
	other.version = 4;
	assert_int_equal(state_store_open(&other, dup(fd), false, boot_a, &s, &img, &len, &why), 0);
	assert_string_equal(why, "other format version");
	assert_null(img);
	uint8_t slot[SLOT], zero[SLOT] = { 0 };
	assert_int_equal(pread(fd, slot, sizeof slot, (off_t)a.slot * SLOT), (ssize_t)sizeof slot);
	assert_memory_equal(slot, zero, sizeof slot);
	state_store_close(s);
	/* now a file of the other version: ours refuses it in turn */
	assert_int_equal(state_store_open(&fmt, dup(fd), false, boot_a, &s, &img, &len, &why), 0);
	assert_string_equal(why, "other format version");
	state_store_close(s);
	other.magic = "l2sother";
	assert_int_equal(state_store_open(&other, dup(fd), false, boot_a, &s, &img, &len, &why), 0);
	assert_string_equal(why, "not a state file of this daemon");
	state_store_close(s);
	/* a bad format is the caller's bug */
	other = fmt;
	other.record_slots_max = 0;
	assert_int_equal(state_store_open(&other, dup(fd), true, boot_a, &s, &img, &len, &why),
			 -EINVAL);
	close(fd);
}

/* Another boot: the kernel state the records described is gone; so are they. Sealed as
 * the daemons seal their memfd: the reset cannot truncate, it zeroes. */
static void test_wrong_boot_id(void **state)
{
	(void)state;
	int fd = state_store_memfd("store-test");
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL);
	assert_int_equal(ftruncate(fd, 0), 0);          /* growing and size 0 at first: fine */
	uint8_t *img, body[64];
	size_t len;
	const char *why;
	memset(body, 0xee, sizeof body);
	struct state_store *s = open_store(fd, true, boot_a, &img, &len, NULL);
	struct store_ref a = { 0 };
	assert_int_equal(state_store_put(s, &a, 1, body, sizeof body), 0);
	state_store_close(s);
	assert_int_equal(ftruncate(fd, SLOT), -1);      /* sealed against shrinking */
	s = open_store(fd, false, boot_b, &img, &len, &why);
	assert_string_equal(why, "written before a reboot");
	assert_null(img);
	uint8_t slot[SLOT], zero[SLOT] = { 0 };
	assert_int_equal(pread(fd, slot, sizeof slot, (off_t)a.slot * SLOT), (ssize_t)sizeof slot);
	assert_memory_equal(slot, zero, sizeof slot);
	state_store_close(s);
	s = open_store(fd, false, boot_b, &img, &len, &why);
	assert_string_equal(why, "");
	assert_non_null(img);
	struct seen seen = { 0 };
	assert_int_equal(state_store_scan(&fmt, img, len, boot_b, seen_fn, &seen), 0);
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, seen_fn, &seen), -EINVAL);
	assert_int_equal(state_store_scan(&fmt, img, len, NULL, seen_fn, &seen), 0);
	finish(s, img, len, fd);
}

/* The file: 0600 (also when it existed with more), regular, ours, one writer. */
static void test_file_mode_and_lock(void **state)
{
	(void)state;
	char dir[] = "/tmp/l2sec-store-XXXXXX", path[64], link[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/x.state", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	mode_t old = umask(0);
	int fd = state_store_file_open(path);
	umask(old);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(state_store_file_open(path), -EBUSY);
	uint8_t *img;
	size_t len;
	struct state_store *s = open_store(fd, false, boot_a, &img, &len, NULL);
	close(fd);
	struct store_ref a = { 0 };
	assert_int_equal(state_store_put(s, &a, 1, (const uint8_t *)"x", 1), 0);
	state_store_close(s);                           /* lock released with the last fd */
	assert_int_equal(chmod(path, 0644), 0);
	fd = state_store_file_open(path);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
	assert_int_equal(symlink(path, link), 0);
	assert_true(state_store_file_open(link) < 0);   /* not through a link */
	assert_int_equal(state_store_file_open(dir), -EISDIR);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void count_fn(void *arg, const struct state_record *rec)
{
	assert_non_null(rec->body);
	(*(unsigned *)arg)++;
}

/* The file grows by itself when the slots run out. */
static void test_grows(void **state)
{
	(void)state;
	int fd;
	struct state_store *s = new_store(&fd);
	uint8_t *img, body[90] = { 0 };
	size_t len;
	size_t before = state_store_slots(s);
	struct store_ref refs[200] = { { 0 } };
	for (int i = 0; i < 200; i++) {
		body[0] = (uint8_t)i;
		assert_int_equal(state_store_put(s, &refs[i], 2, body, sizeof body), 0);
	}
	assert_true(state_store_slots(s) > before);
	assert_int_equal(state_store_used(s), 201);
	assert_int_equal(state_store_put(s, &refs[0], 1, body, state_store_body_max(&fmt) + 1),
			 -EMSGSIZE);
	state_store_close(s);
	s = open_store(fd, false, boot_a, &img, &len, NULL);
	unsigned count = 0;
	assert_int_equal(state_store_scan(&fmt, img, len, boot_a, count_fn, &count), 200);
	assert_int_equal(count, 200);
	finish(s, img, len, fd);
}

static void test_boot_id(void **state)
{
	(void)state;
	uint8_t a[STATE_STORE_BOOT_ID_LEN], b[STATE_STORE_BOOT_ID_LEN];
	uint8_t zero[STATE_STORE_BOOT_ID_LEN] = { 0 };
	char text[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	state_store_boot_id(a);
	state_store_boot_id(b);
	assert_memory_equal(a, b, sizeof a);
	if (!f || !fgets(text, sizeof text, f)) {
		assert_memory_equal(a, zero, sizeof a);
	} else {
		char hex[3] = { text[0], text[1], 0 };
		assert_int_equal(a[0], strtoul(hex, NULL, 16));
		assert_memory_not_equal(a, zero, sizeof a);
	}
	if (f)
		fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_round_trip_and_moves),
		cmocka_unit_test(test_in_place_rewrite),
		cmocka_unit_test(test_torn_and_corrupt_records),
		cmocka_unit_test(test_torn_rewrite),
		cmocka_unit_test(test_wrong_version),
		cmocka_unit_test(test_wrong_boot_id),
		cmocka_unit_test(test_file_mode_and_lock),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_boot_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
