/*
 * The IKEv1 engine: receives a datagram, finds its SA, decrypts it, checks it against
 * the state table (ikev1_states.h) and runs the row's handler; builds, encrypts and
 * sends our messages; reports failures with a reason an admin can act on.
 *
 * Handlers (ikev1_main.c, ikev1_quick.c, ikev1_info.c, ikev1_aggr.c) receive a
 * struct ikev1_in and use the output helpers below.
 */
#ifndef L2SEC_IKD_IKEV1_H
#define L2SEC_IKD_IKEV1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "ikd/daemon.h"
#include "ikd/ike_sa.h"
#include "ikd/ike_socket.h"
#include "ikd/ikev1_states.h"
#include "ikd/isakmp.h"
#include "ikd/isakmp_payload.h"

/* One received message being handled. */
struct ikev1_in {
	struct ikd *d;
	struct ike_sa *sa;
	struct ikev1_qm *qm;                    /* Quick Mode rows */
	const struct ike_packet *pkt;
	struct isakmp_msg *m;
	const struct ikev1_transition *row;
	uint8_t iv_next[IKE_BLOCK_MAX];         /* last ciphertext block of this message */
	bool encrypted;
	struct isakmp_err err;                  /* failure: reason and notify */
	const char *fail_kind;                  /* short tag for the event: "psk_mismatch" */
	bool keep_sa;                           /* failure must not delete the SA */
};

/* A message being built. */
struct ikev1_out {
	struct ike_sa *sa;
	struct buf_writer w;
	struct isakmp_builder b;
	struct isakmp_hdr hdr;
	uint8_t *buf;
	size_t cap;
};

/* Start a message of sa (cookies from sa) with exchange, msgid; encrypted sets the flag. */
int ikev1_out_begin(struct ikev1_out *o, struct ike_sa *sa, uint8_t exchange,
		    uint32_t msgid, bool encrypted);
/*
 * Finish: patch the length and, when encrypted, pad and encrypt under iv, then store
 * the last ciphertext block into iv (the chain goes on). The packet points into o.s
 * buffer, valid until the next ikev1_out_begin.
 */
int ikev1_out_finish(struct ikev1_out *o, const struct ike_sa *sa, uint8_t *iv,
		     const uint8_t **pkt, size_t *len);

/* Quick Mode / Informational HASH payload: put a placeholder first with this,
 * then the rest of the payloads, then write the hash into the slot. */
int ikev1_out_hash_slot(struct ikev1_out *o, const struct ike_sa *sa, size_t *slot);

/* Fail helper: fill in->err and return -EBADMSG (or -EPERM for auth failures). */
int ikev1_fail(struct ikev1_in *in, const char *kind, uint16_t notify, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Entry point for every datagram. */
void ikev1_input(struct ikd *d, const struct ike_packet *pkt);

/* Delete an IKE SA: optionally tell the peer (Delete payloads for its IPsec SAs and
 * itself), remove its IPsec SAs from the kernel when remove_children, log, report. */
void ikev1_delete_sa(struct ike_sa *sa, bool notify_peer, bool remove_children,
		     const char *reason);
/* Retransmissions exhausted (ike_xmit callback). */
void ikev1_xmit_exhausted(struct ike_sa *sa, uint32_t msgid);
/* A phase 1 negotiation failed: log line + event with the reason, SA deleted. */
void ikev1_report_failure(struct ike_sa *sa, const char *kind, const char *reason);

/* A fresh random message id not in use on sa. */
uint32_t ikev1_new_msgid(struct ike_sa *sa);

#endif
