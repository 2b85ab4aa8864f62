/*
 * Per-peer memory of what happened, for `vpnctl diagnose PEER` (ikd and l2tpd each keep
 * one): for every peer address a small ring of the last entries (stage, result, plain-words
 * reason, user, connection), newest overwriting oldest.
 *
 * Bounded memory whatever the peers do: at most max_peers addresses are remembered; a
 * note for a new address when the book is full forgets the least recently noted one
 * (LRU). A note that repeats the newest entry of its peer (same stage, result and text)
 * only bumps that entry's time and repeat count, so a client retransmitting the same
 * refused request does not wash older evidence out of its ring.
 *
 * Keyed by address only: the port is kept in each entry (it tells clients behind one NAT
 * apart) but a client's NAT-T port changes between attempts, so it is not part of the key.
 * Times are the caller's monotonic milliseconds. Not thread-safe.
 */
#ifndef L2SEC_COMMON_DIAG_RING_H
#define L2SEC_COMMON_DIAG_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct ctl_request;

#define DIAG_TEXT_MAX 200
#define DIAG_NAME_MAX 64

struct diag_entry {
	uint64_t at_ms;                 /* monotonic, of the latest repeat */
	uint32_t repeat;                /* >= 1 */
	uint8_t stage;                  /* enum ctl_diag_stage */
	uint8_t result;                 /* enum ctl_diag_result */
	struct sockaddr_storage peer;   /* address and port as the daemon saw them */
	char user[DIAG_NAME_MAX];       /* PPP user, "" if none */
	char conn[DIAG_NAME_MAX];       /* connection name, "" if none */
	char text[DIAG_TEXT_MAX];       /* plain words: "MS-CHAPv2 failed for user bob: ..." */
};

struct diag_ring;

/*
 * A book for at most max_peers addresses of per_peer entries each (both >= 1). Memory is
 * allocated per address as it is first noted. Returns NULL on bad sizes or no memory; the
 * caller owns it and frees it with diag_ring_free.
 */
struct diag_ring *diag_ring_new(unsigned max_peers, unsigned per_peer);
void diag_ring_free(struct diag_ring *r);

/*
 * Note e (e->peer must be AF_INET or AF_INET6; e->repeat and e->at_ms are taken from now_ms
 * and set here). Returns 0, -EAFNOSUPPORT or -ENOMEM (then nothing is kept).
 */
int diag_ring_note(struct diag_ring *r, const struct diag_entry *e, uint64_t now_ms);

/* Entries kept for peer's address (port ignored); 0 if unknown. */
unsigned diag_ring_count(const struct diag_ring *r, const struct sockaddr *peer);
/* Addresses remembered. */
unsigned diag_ring_peers(const struct diag_ring *r);

/*
 * Visit the entries of peer's address (or of every address when peer is NULL, most
 * recently noted address first), each address's entries oldest first. fn returns 0 to go
 * on or a negative errno to stop, which is returned.
 */
typedef int (*diag_ring_fn)(const struct diag_entry *e, void *arg);
int diag_ring_each(const struct diag_ring *r, const struct sockaddr *peer, diag_ring_fn fn,
		   void *arg);

/*
 * Answer a peer-diag dump request (optional CTL_A_PEER_ADDR: one address) with one entry
 * per diag_entry: peer-addr, diag-stage, diag-result, reason, age-sec, age-ms, repeat,
 * [user], [conn-name]. Returns 0 or a negative errno (with the request's error message).
 * r may be NULL (nothing noted yet).
 */
int diag_ring_dump(const struct diag_ring *r, struct ctl_request *req, uint64_t now_ms);

#endif
