/*
 * The state store: a file of fixed-size slots holding ikd's records (one per established
 * ISAKMP SA, one per IPsec SA pair), each record rewritten in place when its SA changes,
 * so that the newest state survives any end of the process, kill -9 included.
 *
 * The file is a memfd kept in systemd's file-descriptor store, or a 0600 file in the run
 * directory (ike_restore.c decides); this module only sees a descriptor.
 *
 * Layout (all integers big-endian; docs/ikd.md "State across restarts"):
 *   slot 0          file header: magic "l2sikdst", u16 version, u16 slot size, u32 0,
 *                   16-byte boot id, 16-byte BLAKE2b checksum of the bytes before it
 *   record          in 1..STATE_STORE_RECORD_SLOTS_MAX consecutive slots: a 32-byte
 *                   header (u32 magic "IKDR", u8 kind, u8 slots, u16 body length,
 *                   u64 sequence, 16-byte BLAKE2b of header-before-checksum | body),
 *                   then the body
 *   free slot       zero bytes (a deleted record is overwritten with zeros: no key
 *                   material stays behind)
 *
 * A record is replaced by one pwrite of its slots; a record that grows to more slots is
 * written to a new place first and the old one wiped after, so a crash in between leaves
 * two copies, told apart by the sequence number. Everything read back is input: the
 * scanner checks every length and checksum and skips what does not verify.
 *
 * Ownership: a struct state_store owns its descriptor (closed by state_store_close).
 */
#ifndef L2SEC_IKD_STATE_STORE_H
#define L2SEC_IKD_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_STORE_VERSION 1
#define STATE_STORE_SLOT 512u
#define STATE_STORE_HDR 32u                     /* record header */
#define STATE_STORE_RECORD_SLOTS_MAX 4u
#define STATE_STORE_BODY_MAX (STATE_STORE_RECORD_SLOTS_MAX * STATE_STORE_SLOT - STATE_STORE_HDR)
#define STATE_STORE_BOOT_ID_LEN 16
/* Refuse to read more than this back (a corrupt or hostile size). */
#define STATE_STORE_FILE_MAX ((size_t)256 << 20)

enum state_kind {
	STATE_KIND_IKE = 1,
	STATE_KIND_CHILD = 2,
};

/* Where a record lives; n == 0: not stored. Embedded in the SA it describes. */
struct store_ref {
	uint32_t slot;
	uint8_t n;
};

struct state_store;

/*
 * Take over fd (a memfd or a regular file opened read-write). With fresh, or when the
 * header does not match (other version, other boot, corrupt), the file is reset to an
 * empty store and *image_out is NULL. Otherwise *image_out gets a copy of the whole file
 * (*image_len bytes, owned by the caller: wipe with state_store_image_free) for
 * state_store_scan, and every slot stays allocated until state_store_keep/del says what
 * survives. *reset_why gets a short reason when an existing file was reset ("" else).
 * Returns 0 or -errno (fd is closed on failure).
 */
int state_store_open(int fd, bool fresh, const uint8_t boot_id[STATE_STORE_BOOT_ID_LEN],
		     struct state_store **out, uint8_t **image_out, size_t *image_len,
		     const char **reset_why);
void state_store_close(struct state_store *s);
void state_store_image_free(uint8_t *image, size_t len);

/* The store's descriptor (for tests). */
int state_store_fd(const struct state_store *s);

/* Callback of state_store_scan: one record that verified. */
typedef void (*state_record_fn)(void *arg, uint8_t kind, const uint8_t *body, size_t len,
				struct store_ref ref, uint64_t seq);
/*
 * Walk image (a whole file as state_store_open returned it, or any bytes: it is input),
 * calling fn for every record whose header and checksum verify. Returns the number of
 * records, or -EINVAL when the file header is wrong (boot_id NULL: not compared).
 */
int state_store_scan(const uint8_t *image, size_t len, const uint8_t *boot_id,
		     state_record_fn fn, void *arg);
/* After a scan: the record at ref stays (marks its slots in use). */
void state_store_keep(struct state_store *s, const struct store_ref *ref, uint64_t seq);
/* After the restore: wipe every slot nobody kept (records that did not verify or that
 * lost their SA). Returns how many slots were wiped. */
unsigned state_store_sweep(struct state_store *s);

/*
 * Write (or rewrite) a record of kind with body[0..len): in place when it still fits
 * ref's slots, else in new slots (the file grows as needed) with the old ones wiped.
 * Updates *ref. Returns 0 or -errno (-EMSGSIZE above STATE_STORE_BODY_MAX).
 */
int state_store_put(struct state_store *s, struct store_ref *ref, uint8_t kind,
		    const uint8_t *body, size_t len);
/* Wipe the record at ref and clear *ref. Nothing when ref->n == 0. */
void state_store_del(struct state_store *s, struct store_ref *ref);

/* Slots in use / in the file (for status and tests). */
size_t state_store_used(const struct state_store *s);
size_t state_store_slots(const struct state_store *s);

#endif
