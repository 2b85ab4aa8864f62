/*
 * The records of ikd's saved state (common/state_store.h): what an established ISAKMP SA and
 * an installed IPsec SA pair need so that a restarted ikd carries on with them.
 *
 * ISAKMP SA record: id, cookies, role and NAT-T state, the local and peer (address, port),
 * the connection name, the negotiated Phase 1 algorithms, SKEYID_d, SKEYID_a, SKEYID_e and
 * the cipher key, the last Phase 1 CBC block (the IV every Phase 2 IV derives from), both
 * identities, creation/establishment times, DPD sequence numbers, the recent
 * Informational message ids and the message ids of finished Quick Modes (replays of
 * those are dropped, not taken for new exchanges).
 * IPsec SA record: its ISAKMP SA (id and cookies), id, reqid, SPIs, XFRM mark, the
 * negotiated parameters (transforms, mode, encapsulation, lifetimes, PFS group), traffic
 * selectors, installation time, role, superseded flag, and the KEYMAT when ikd keeps it
 * (peers behind NAT, for re-installing after a NAT rebinding).
 *
 * Times are stored as CLOCK_BOOTTIME milliseconds (the state never outlives a boot:
 * the store checks the boot id), converted from and to the engine's clock
 * (ike_now_ms) with boot_offset = boottime - ike_now_ms at the moment of the call.
 *
 * Every field is big-endian, read with common/buf.h, every length checked; a record that
 * does not decode completely is refused (-EBADMSG). The version of the format is the
 * store file's (IKE_PERSIST_VERSION in ike_persist_format): bump it when a record changes,
 * so that a file of the old encoding is reset, never misread. Key material passes
 * through caller buffers: callers wipe them (sodium_memzero) after use.
 */
#ifndef L2SEC_IKD_IKE_PERSIST_H
#define L2SEC_IKD_IKE_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "common/state_store.h"
#include "ikd/ike_sa.h"

/* ikd's store file (docs/ikd.md "State across restarts"): magic "l2sikdst", 512-byte
 * slots, a record in up to 4 of them. */
#define IKE_PERSIST_VERSION 1
#define IKE_PERSIST_SLOT 512u
#define IKE_PERSIST_RECORD_SLOTS 4u
extern const struct state_store_format ike_persist_format;

/* The kinds of record in it. */
enum ike_persist_kind {
	STATE_KIND_IKE = 1,
	STATE_KIND_CHILD = 2,
};

/* Largest record bodies the encoders produce (checked against the store's limit). */
#define IKE_PERSIST_IKE_MAX 1400
#define IKE_PERSIST_CHILD_MAX 480

/* The ISAKMP SA a child record belongs to. */
struct ike_persist_parent {
	uint32_t ike_id;
	uint8_t cky_i[8], cky_r[8];
};

/* boottime - ike_now_ms(), in ms. */
int64_t ike_persist_boot_offset(void);

/* Encode sa (established) into buf. Returns the length or -EMSGSIZE. */
int ike_persist_encode_ike(const struct ike_sa *sa, int64_t boot_offset, uint8_t *buf,
			   size_t cap);
/* Encode c (installed, a child of c->ike). Returns the length or -EMSGSIZE. */
int ike_persist_encode_child(const struct ipsec_sa *c, int64_t boot_offset, uint8_t *buf,
			     size_t cap);

/*
 * Decode an ISAKMP SA record into sa (zeroed by the caller; no table, conf, timers):
 * every field of the record, state P1_ESTABLISHED, established. conn gets the
 * connection's name. done_msgids[0..*n_done) gets the finished Quick Mode message ids.
 * Returns 0 or -EBADMSG.
 */
int ike_persist_decode_ike(const uint8_t *p, size_t len, int64_t boot_offset,
			   struct ike_sa *sa, char conn[IKD_NAME_MAX], uint32_t *done_msgids,
			   unsigned *n_done);
#define IKE_PERSIST_DONE_MAX 8

/*
 * Decode an IPsec SA record into c (zeroed by the caller) and its parent. When the record
 * carries KEYMAT, c->keys is allocated (the caller owns c and frees it with
 * ipsec_sa_free, which wipes the keys). Returns 0, -EBADMSG or -ENOMEM.
 */
int ike_persist_decode_child(const uint8_t *p, size_t len, int64_t boot_offset,
			     struct ipsec_sa *c, struct ike_persist_parent *parent);

#endif
