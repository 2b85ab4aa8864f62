/*
 * A crash-safe record store for a daemon's restart state (DESIGN.md "Restart without
 * dropping tunnels"): a file of fixed-size slots, each record rewritten in place with one
 * pwrite whenever what it describes changes, so that the newest state survives any end of
 * the process, kill -9 included. ikd keeps its SAs in one (ike_restore.h), l2tpd its
 * tunnels and sessions (l2tpd/statestore.h); each says what its records are and how they
 * are encoded, this module only stores opaque bodies.
 *
 * The file is a memfd (state_store_memfd: kept in systemd's file-descriptor store or
 * handed to a successor) or a 0600 file locked by its one writer (state_store_file_open);
 * this module only sees a descriptor. A user of the store describes its file with a
 * struct state_store_format (magic, version, slot size); a file of another magic, version
 * or slot size, of another boot, or with a damaged header is never parsed: open resets it
 * and says why (the caller logs it).
 *
 * Layout (all integers big-endian):
 *   slot 0       file header: 8-byte magic, u16 version, u16 slot size, u32 0,
 *                16-byte boot id, 16-byte BLAKE2b of the 32 bytes before it, zeros
 *   a record     in 1..record_slots_max consecutive slots: a 32-byte header (u32 record
 *                magic, u8 kind, u8 slots, u16 body length, u64 sequence, 16-byte
 *                BLAKE2b of the header's first 16 bytes | body), the body, zeros
 *   a free slot  zero bytes (a deleted record is overwritten: no key material stays)
 * A record is replaced by one pwrite of its slots; one that grows to more slots is written
 * to new slots first and the old ones wiped after, so a crash in between leaves two
 * copies, told apart by the sequence number (the newer wins). A write torn by a crash
 * fails its checksum and is skipped. Everything read back is input: the scanner checks
 * every length and checksum.
 *
 * Ownership: a struct state_store owns its descriptor (closed by state_store_close).
 */
#ifndef L2SEC_COMMON_STATE_STORE_H
#define L2SEC_COMMON_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_STORE_MAGIC_LEN 8
#define STATE_STORE_BOOT_ID_LEN 16
#define STATE_STORE_RECORD_HDR 32u              /* record header */
#define STATE_STORE_FILE_HDR 48u                /* file header before its zero padding */
#define STATE_STORE_RECORD_SLOTS_LIMIT 16u
/* Refuse to read (or grow) more than this (a corrupt or hostile size). */
#define STATE_STORE_FILE_MAX ((size_t)256 << 20)

/* What a user's file looks like; checked by state_store_open. */
struct state_store_format {
	const char *magic;              /* STATE_STORE_MAGIC_LEN bytes (a terminating NUL
					 * of a 7-character string counts) */
	uint32_t record_magic;          /* the first 4 bytes of each record */
	uint16_t version;               /* of the user's record encoding: bump it when a
					 * record changes, and old files are refused */
	uint16_t slot_size;             /* bytes, >= STATE_STORE_FILE_HDR, multiple of 16 */
	uint8_t record_slots_max;       /* 1..STATE_STORE_RECORD_SLOTS_LIMIT */
};

/* Largest record body f allows (record_slots_max slots less the record header). */
size_t state_store_body_max(const struct state_store_format *f);

/* Where a record lives; n == 0: not stored. Slot 0 is the header, so slot >= 1. */
struct store_ref {
	uint32_t slot;
	uint8_t n;
};

struct state_store;

/*
 * Take over fd (a memfd or a regular file opened read-write) as a store of format f
 * (copied; f->magic must stay valid). With fresh, or when the header is not f's (other
 * magic, version or slot size, other boot, damaged), the file becomes an empty store,
 * zeroed rather than truncated (a sealed memfd cannot shrink; nothing of the old contents
 * may linger), and *image_out is NULL. Otherwise *image_out gets a copy of the whole file
 * (*image_len bytes, owned by the caller: wipe and free it with state_store_image_free)
 * for state_store_scan, and every slot stays allocated until state_store_keep and
 * state_store_sweep say what survives. *reset_why gets a static reason when an existing
 * file was reset, "" otherwise (an empty file is a first start, not a reset).
 * Returns 0 or -errno (-EINVAL for a bad f); fd is closed on failure.
 */
int state_store_open(const struct state_store_format *f, int fd, bool fresh,
		     const uint8_t boot_id[STATE_STORE_BOOT_ID_LEN], struct state_store **out,
		     uint8_t **image_out, size_t *image_len, const char **reset_why);
/* Close the descriptor and free s (the file keeps its records). NULL: nothing. */
void state_store_close(struct state_store *s);
/* Wipe and free an image from state_store_open. */
void state_store_image_free(uint8_t *image, size_t len);

/* The store's descriptor (for a hand-over to a successor, and tests). */
int state_store_fd(const struct state_store *s);

/* One record found by state_store_scan. */
struct state_record {
	uint8_t kind;
	const uint8_t *body;            /* into the image; NULL: a damaged slot */
	size_t len;
	struct store_ref ref;
	uint64_t seq;                   /* higher: written later */
};
typedef void (*state_record_fn)(void *arg, const struct state_record *rec);
/*
 * Walk image (a whole file as state_store_open returned it, or any bytes: it is input),
 * calling fn for every record whose header and checksum verify, and, with body NULL and
 * ref.n 1, for every slot that is not zero yet not part of such a record (a torn write,
 * damage). Returns the number of records that verified, or -EINVAL when the file header
 * is not f's (boot_id NULL: not compared).
 */
int state_store_scan(const struct state_store_format *f, const uint8_t *image, size_t len,
		     const uint8_t *boot_id, state_record_fn fn, void *arg);
/*
 * After a scan: the record at ref stays (its slots are marked in use). 0, or -EINVAL when
 * ref is outside the file or one of its slots is kept already.
 */
int state_store_keep(struct state_store *s, const struct store_ref *ref);
/* After the restore: wipe every slot nobody kept (records that did not verify or that
 * lost their object). Returns how many slots were wiped. */
unsigned state_store_sweep(struct state_store *s);

/*
 * Write (or rewrite) a record of kind with body[0..len): in place when it still fits
 * ref's slots, else in new slots (the file grows as needed) with the old ones wiped
 * after. Updates *ref. Returns 0 or -errno (-EMSGSIZE above state_store_body_max).
 */
int state_store_put(struct state_store *s, struct store_ref *ref, uint8_t kind,
		    const uint8_t *body, size_t len);
/* Wipe the record at ref and clear *ref. Nothing when ref->n == 0. */
void state_store_del(struct state_store *s, struct store_ref *ref);

/* Slots in use (the header counts) / in the file (for status and tests). */
size_t state_store_used(const struct state_store *s);
size_t state_store_slots(const struct state_store *s);

/* ---- where a store lives ---------------------------------------------------------------- */

/*
 * A new memfd for a store, called name (for /proc): mode 0600, sealed against shrinking
 * and against further seals (F_SEAL_WRITE would stop our updates). Returns the fd
 * (close-on-exec, the caller's) or -errno.
 */
int state_store_memfd(const char *name);
/*
 * Open (creating it 0600) the store file at path: not through a symbolic link, a regular
 * file of our effective uid (group/other bits are removed), and locked (flock) against a
 * second writer. Returns the fd (close-on-exec, the caller's), -EPERM when it is not such
 * a file, -EBUSY when another process holds it, or -errno.
 */
int state_store_file_open(const char *path);
/* This boot's id (/proc/sys/kernel/random/boot_id as 16 bytes; zeros when unreadable). */
void state_store_boot_id(uint8_t out[STATE_STORE_BOOT_ID_LEN]);

#endif
