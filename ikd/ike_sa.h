/*
 * IKE SAs (ISAKMP SAs), their IPsec SAs, and the table that finds them.
 *
 * The table hashes every IKE SA twice: by its initiator cookie (the only cookie a first
 * message carries; a full lookup then compares the responder cookie) and by the peer's
 * (address, port), so that a peer's SAs are found for INITIAL-CONTACT, DPD and the
 * control socket. Many clients behind one NAT share an address, never an (address, port).
 *
 * Half-open SAs (not yet authenticated) are counted in total and per peer address; the
 * table refuses new ones above the limits so a flood of first messages costs a bounded
 * amount of memory.
 *
 * Each exchange in flight owns a struct ike_xmit: the last message we sent (retransmitted
 * with exponential back-off until the peer's next message arrives or the tries run out)
 * and a digest of the last message we received, so a duplicate is answered with the
 * cached reply instead of being processed again.
 *
 * Ownership: the table owns its SAs (ike_sa_table_free frees what is left); an IKE SA
 * owns its IPsec SAs, its Quick Mode exchanges and its negotiation scratch. Key material
 * is wiped when an SA is freed.
 */
#ifndef L2SEC_IKD_IKE_SA_H
#define L2SEC_IKD_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "ikd/ike_crypto.h"
#include "ikd/ikd_conf.h"
#include "ikd/ikd_id.h"
#include "common/state_store.h"

struct ike_sa;
struct ike_dh;
struct ikev1_frags;
struct child_keys;

/* ---- retransmission and duplicate detection ---------------------------------------- */

#define IKE_RX_DIGEST_LEN 16

struct ike_xmit {
	uint8_t *pkt;                   /* last message sent (owned), NULL if none */
	size_t len;
	bool retransmit;                /* we expect an answer: resend on timeout */
	unsigned tries;                 /* sends so far */
	uint32_t next_ms;               /* current back-off */
	struct evloop_timer timer;
	uint8_t rx_digest[IKE_RX_DIGEST_LEN];   /* of the message that caused pkt */
	bool have_rx;
	struct ike_sa *sa;
	uint32_t msgid;                 /* 0 = phase 1, else the QM/info exchange */
};

/* ---- negotiated parameters ----------------------------------------------------------- */

struct ike_p1_params {
	enum ike_cipher cipher;
	enum ike_hash hash;             /* hash (IVs, NAT-D) */
	enum ike_hash prf;              /* HMAC of this is the PRF */
	uint16_t dh_group;
	uint16_t auth;                  /* enum ikd_auth */
	uint32_t lifetime;              /* seconds, 0 = none */
};

struct ipsec_params {
	uint8_t protocol;               /* 3 = ESP (IKEv1 protocol id) */
	uint16_t encr;                  /* XFRM_ENCR_* (IKEv1 ESP transform id) */
	uint16_t key_bits;
	uint16_t integ;                 /* XFRM_INTEG_* */
	uint16_t icv_bits;              /* truncation to install */
	uint16_t v1_auth;               /* IKEv1 auth attribute as negotiated */
	uint16_t encap_mode;            /* IKEv1 encapsulation mode attribute as negotiated */
	bool tunnel;
	bool udp_encap;
	bool life_reduced;              /* we cut the peer's lifetime: RESPONDER-LIFETIME */
	uint32_t life_s;
	uint64_t life_kb;
	uint16_t pfs_group;
};

/* A traffic selector as IKEv1 carries it in IDci/IDcr. */
struct ipsec_ts {
	struct ikd_host net;            /* address or subnet (never %any on the wire) */
	uint8_t proto;
	uint16_t port;                  /* 0 = any */
};

/* ---- IPsec SA pair ------------------------------------------------------------------- */

struct ipsec_sa {
	struct ipsec_sa *next;
	struct ike_sa *ike;
	uint32_t id;
	uint32_t reqid;
	uint32_t spi_in, spi_out;       /* host order */
	struct ipsec_params params;
	struct ipsec_ts local_ts, remote_ts;
	uint32_t mark;                  /* XFRM mark keeping this peer apart, 0 = none */
	bool installed;
	bool initiator;                 /* we started the Quick Mode */
	bool superseded;                /* a newer pair covers the same traffic */
	bool rekey_started;
	bool out_pending;               /* our rekey: inbound SA in, outbound held back
					   until the peer has message 3 (ikev1_child.h) */
	uint64_t installed_ms;
	struct evloop_timer rekey_timer, expire_timer;
	uint64_t last_bytes_in;         /* kernel counter at the last DPD check */
	struct child_keys *keys;        /* KEYMAT, kept to re-install after a NAT rebinding;
					   wiped and freed with the record */
	struct store_ref store;         /* its record in the saved state (ike_restore.h) */
};

/* ---- IKE SA ------------------------------------------------------------------------- */

enum ike_nat_flags { IKE_NAT_LOCAL = 1, IKE_NAT_PEER = 2 };
enum ike_natt_method {
	IKE_NATT_NONE = 0,
	IKE_NATT_DRAFT_02,              /* payload types 130/131, encap modes 61443/61444 */
	IKE_NATT_DRAFT_03,
	IKE_NATT_RFC,                   /* RFC 3947: 20/21, modes 3/4 */
};
enum ike_peer_caps {
	IKE_PEER_DPD = 1,
	IKE_PEER_FRAG = 2,
	IKE_PEER_MS = 4,                /* Windows */
};

/* Phase 1 scratch, freed once the SA is established or dead. */
struct ike_p1_neg {
	struct ike_dh *dh;
	uint8_t *sai_b;                 /* initiator's SA payload body (for HASH_I/R) */
	size_t sai_len;
	uint8_t gxi[512], gxr[512];     /* IKE_DH_PUB_MAX */
	size_t gxi_len, gxr_len;
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	uint8_t idi_b[4 + 256];         /* Aggressive Mode: IDii body for HASH_I */
	size_t idi_len;
	char peer_offer[512];           /* what the peer proposed, for failure logs */
};

/* A Quick Mode exchange in flight (both roles). */
struct ikev1_qm {
	struct ikev1_qm *next;
	uint32_t msgid;
	uint8_t state;                  /* enum ikev1_state */
	bool gave_up;                   /* retransmissions ran out while waiting for the
					   last message, which still completes it */
	struct evloop_timer late_timer; /* gave_up: how long a late message 3 may come */
	uint8_t iv[IKE_BLOCK_MAX];      /* this exchange's CBC chain (RFC 2409 appendix B) */
	struct ike_xmit xmit;
	struct ike_dh *dh;              /* PFS */
	uint8_t ni[64], nr[64];
	size_t ni_len, nr_len;
	uint8_t gqm_peer[512];
	size_t gqm_peer_len;
	struct ipsec_sa *child;         /* being negotiated (not yet in the child list) */
	struct ipsec_sa *rekey_of;      /* the pair this one replaces, if a rekey */
	uint8_t *sa_body;               /* our SA payload body (initiator) */
	size_t sa_len;
	uint64_t started_ms;
};

struct ike_sa {
	struct ike_sa *next_by_cookie, *next_by_peer;
	uint32_t id;
	uint8_t cky_i[8], cky_r[8];
	bool initiator;
	bool aggressive;
	bool established;
	bool dead;                      /* deleted; freed when the current handler returns */
	bool rekeyed;                   /* a newer IKE SA replaces this one */
	uint8_t state;                  /* enum ikev1_state */
	struct ikd_conf *conf;          /* reference (ikd_conf_ref) */
	const struct ikd_conn *conn;    /* inside conf */
	union ikd_sockaddr local, peer;
	bool natt;                      /* talk over the NAT-T port */
	uint8_t nat;                    /* enum ike_nat_flags */
	uint8_t natt_method;            /* enum ike_natt_method */
	uint8_t peer_caps;              /* enum ike_peer_caps */
	bool initial_contact_seen;
	struct ike_p1_params p1;
	struct ikev1_keys keys;
	uint8_t iv[IKE_BLOCK_MAX];      /* phase 1 CBC chain; after phase 1: its last block */
	struct ikd_id local_id, peer_id;
	struct ike_p1_neg *neg;
	struct ikev1_frags *frags;      /* fragments being collected (ikev1_frag.h) */
	uint16_t frag_out_id;           /* fragment id of the last message we fragmented */
	uint8_t frag_out_digest[8];     /* and its digest: a resend keeps the id */
	struct ike_xmit xmit;           /* phase 1 */
	struct ikev1_qm *qms;
	struct ipsec_sa *children;
	uint64_t created_ms, established_ms;
	struct evloop_timer life_timer; /* rekey (initiator) or expiry */
	struct evloop_timer dpd_timer;
	struct evloop_timer keepalive_timer;
	uint32_t dpd_seq_out, dpd_seq_in;
	bool dpd_pending;
	bool dpd_deferred;              /* an R-U-THERE waits for a Quick Mode to end (dpd.h) */
	uint64_t dpd_sent_ms, last_rx_ms;
	uint32_t recent_msgids[8];      /* informational replay window */
	unsigned recent_pos;
	void *owner;                    /* struct ikd * */
	struct ike_sa_table *table;
	struct store_ref store;         /* its record in the saved state (ike_restore.h) */
};

/* ---- table -------------------------------------------------------------------------- */

struct ike_sa_table_stats {
	uint64_t created, destroyed, established, refused_half_open;
};

struct ike_sa_table {
	struct ike_sa **by_cookie, **by_peer;
	size_t nbuckets;                /* power of two */
	size_t count, half_open;
	uint32_t half_open_max, half_open_per_peer;
	uint32_t next_id;
	struct ike_sa_table_stats stats;
};

/* nbuckets is rounded up to a power of two. Returns 0 or -ENOMEM. */
int ike_sa_table_init(struct ike_sa_table *t, size_t nbuckets, uint32_t half_open_max,
		      uint32_t half_open_per_peer);
/* Free every SA left (ike_sa_free on each) and the buckets. */
void ike_sa_table_free(struct ike_sa_table *t);

/*
 * A new, half-open SA for peer, inserted. cky_i NULL: we initiate and pick it; cky_r
 * NULL: pick ours later (ike_sa_set_rcookie) or it is the responder's to pick.
 * Returns 0 and *out, -EAGAIN when a half-open limit is reached (counted), -ENOMEM.
 */
int ike_sa_new(struct ike_sa_table *t, const union ikd_sockaddr *local,
	       const union ikd_sockaddr *peer, const uint8_t *cky_i, bool initiator,
	       struct ike_sa **out);
/*
 * Insert sa, an established SA rebuilt from saved state (allocated with calloc by the
 * caller, id and cookies set): the table takes it over and hands out later ids above
 * sa->id. Returns 0, or -EEXIST when an SA with the same cookies is in the table (the
 * caller still owns sa then).
 */
int ike_sa_insert_restored(struct ike_sa_table *t, struct ike_sa *sa);
/* Set the responder cookie (rehashes nothing: the table hashes on cky_i). */
void ike_sa_set_rcookie(struct ike_sa *sa, const uint8_t *cky_r);
/* Count sa as established: leaves the half-open count. Idempotent. */
void ike_sa_mark_established(struct ike_sa *sa);
/* Move sa to a new peer (address, port): NAT-T port switch or a NAT mapping change. */
void ike_sa_set_peer(struct ike_sa *sa, const union ikd_sockaddr *peer);

/*
 * Find by cookies. cky_r all-zero matches an SA whose responder cookie is not set, or
 * (for a retransmitted first message) any SA with this cky_i from the same peer.
 */
struct ike_sa *ike_sa_find(struct ike_sa_table *t, const uint8_t *cky_i, const uint8_t *cky_r,
			   const union ikd_sockaddr *peer);
struct ike_sa *ike_sa_find_id(struct ike_sa_table *t, uint32_t id);
/* Iterate SAs of a peer: pass prev NULL to start. with_port false: any port. */
struct ike_sa *ike_sa_next_of_peer(struct ike_sa_table *t, const union ikd_sockaddr *peer,
				   bool with_port, struct ike_sa *prev);
/* Call fn on every SA (fn must not remove SAs). */
void ike_sa_foreach(struct ike_sa_table *t, void (*fn)(struct ike_sa *, void *), void *arg);

/* Unlink from the table and free (children, QMs, scratch, keys wiped, timers stopped). */
void ike_sa_destroy(struct ike_sa *sa);

/* ---- children ----------------------------------------------------------------------- */

/* A new IPsec SA record (not yet linked). Caller links it or frees it with ipsec_sa_free. */
struct ipsec_sa *ipsec_sa_new(struct ike_sa *ike);
void ipsec_sa_link(struct ike_sa *ike, struct ipsec_sa *c);
void ipsec_sa_unlink(struct ike_sa *ike, struct ipsec_sa *c);
void ipsec_sa_free(struct ipsec_sa *c);
/* Records made later get ids (and reqids) above id (restored records keep theirs). */
void ipsec_sa_id_floor(uint32_t id);
struct ipsec_sa *ipsec_sa_find_spi(struct ike_sa *ike, uint32_t spi, bool inbound);

/* ---- Quick Mode exchanges ------------------------------------------------------------- */

struct ikev1_qm *ikev1_qm_new(struct ike_sa *sa, uint32_t msgid);
struct ikev1_qm *ikev1_qm_find(struct ike_sa *sa, uint32_t msgid);
/* Unlink and free. Its child, if still attached (never installed as a pair), is freed too
 * and its SPI released in the kernel of the SA's daemon (sa->owner, if set). */
void ikev1_qm_free(struct ike_sa *sa, struct ikev1_qm *qm);

/* ---- xmit ---------------------------------------------------------------------------- */

/* Send function used by ike_xmit (set once by the daemon or a test). */
typedef int (*ike_send_fn)(struct ike_sa *sa, const uint8_t *pkt, size_t len);

struct ike_xmit_config {
	struct evloop *loop;            /* NULL: timers never start (tests drive them) */
	ike_send_fn send;
	uint32_t base_ms;               /* first retransmission after this */
	uint32_t max_tries;             /* sends in total before giving up */
	/* Called when tries are exhausted (sa, msgid): the engine fails the exchange. */
	void (*exhausted)(struct ike_sa *sa, uint32_t msgid);
};

void ike_xmit_configure(const struct ike_xmit_config *cfg);
const struct ike_xmit_config *ike_xmit_get_config(void);

void ike_xmit_init(struct ike_xmit *x, struct ike_sa *sa, uint32_t msgid);
/*
 * Take pkt (copied) as the message of this exchange, send it, and arm the
 * retransmission timer when expect_reply. The digest of the message that caused it
 * (rx, may be NULL) is remembered for duplicate detection. Returns the send result.
 */
int ike_xmit_send(struct ike_xmit *x, const uint8_t *pkt, size_t len, bool expect_reply,
		  const uint8_t *rx, size_t rx_len);
/* From the first send until the tries of an unanswered exchange run out (the back-off of
 * ike_xmit_timeout summed), in ms. */
uint64_t ike_xmit_budget_ms(void);
/* The peer answered: stop retransmitting (the cached message stays for duplicates). */
void ike_xmit_ack(struct ike_xmit *x);
/*
 * If rx is the message that caused our cached reply, resend the reply (at most once per
 * arrival) and return true: the caller drops rx. False: a new message.
 */
bool ike_xmit_duplicate(struct ike_xmit *x, const uint8_t *rx, size_t rx_len);
/* What the timer does: resend with doubled delay or report exhaustion. For tests. */
void ike_xmit_timeout(struct ike_xmit *x);
void ike_xmit_clear(struct ike_xmit *x);

/* Start/stop a timer only when a loop is configured. */
void ike_timer_start(struct evloop_timer *t, uint64_t after_ms);
void ike_timer_init(struct evloop_timer *t, void (*fn)(void *), void *arg);
void ike_timer_stop(struct evloop_timer *t);

/* Milliseconds: the loop's clock, or CLOCK_MONOTONIC without a loop. */
uint64_t ike_now_ms(void);

#endif
