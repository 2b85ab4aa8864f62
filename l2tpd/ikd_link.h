/*
 * l2tpd's link to ikd (DESIGN.md "Who owns what"): an asynchronous control client of
 * ikd's socket that
 *   - follows ikd's peer-protected-up/-down events and keeps the table of IPsec SAs that
 *     protect L2TP (transport mode covering UDP/1701), with the peer's IKE identity;
 *   - answers "is this L2TP peer protected?" (require_protected) and "which IKE identity
 *     and IKE SA carry this tunnel?" (session-list);
 *   - tears down a peer's tunnels and sessions at once when ikd loses its last SA for it
 *     (a client behind a shared NAT: its last SA with its XFRM mark, its tunnels only);
 *   - asks ikd to delete the IKE and IPsec SAs of a client whose L2TP tunnel ended
 *     (delete-peer, 1 s later so that our CDN/StopCCN still reach the client inside the
 *     SA), so nothing waits for DPD;
 *   - reconnects with a back-off when ikd is away and resynchronises from an
 *     ipsec-sa-list dump; l2tpd never blocks on ikd.
 *
 * Matching is by the peer's address: in transport mode with NAT-T the decapsulated L2TP
 * datagram comes from the NAT's public address and the client's own port (1701), while
 * ikd knows the NAT-T port (4500 or a mapped one). Several clients behind one NAT share
 * that address; with ikd's nat_marks each client's SAs carry their own XFRM mark, which
 * the inbound SA puts on the client's decrypted datagrams and l2tpd keeps on the tunnel
 * (tunnel.mark, its socket's SO_MARK). The mark picks the client's SA, so a delete-peer
 * names that client's address and NAT-T port and its IKE SA, and the other clients behind
 * the NAT keep theirs. Without marks a delete-peer is sent only when the address has
 * exactly one IKE SA.
 *
 * SAs that a resync no longer finds (ikd restarted without its state) are kept as
 * "stale": their tunnels live on while the kernel carries them (HELLO and PPP echo end
 * them if the kernel SA is gone), and they are dropped with the last tunnel of the
 * address or when a fresh SA for the same address and NAT-T port comes up.
 */
#ifndef L2SEC_L2TPD_IKD_LINK_H
#define L2SEC_L2TPD_IKD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct l2tpd;
struct tunnel;
struct ctl_msg;
struct ikd_link;

#define IKD_LINK_ID_MAX 256

/* One IPsec SA protecting L2TP, as ikd reported it. */
struct ikd_protection {
	struct sockaddr_storage peer;   /* ikd's view: address and NAT-T / IKE port */
	char peer_id[IKD_LINK_ID_MAX];  /* IKE identity, printable ("" if unknown) */
	uint32_t ike_sa_id, child_sa_id;
	uint32_t mark;                  /* XFRM mark of this client's SAs, 0 = none */
	uint64_t resync_gen;            /* generation of the dump or event that confirmed it */
	bool stale;                     /* not in ikd's last dump */
};

/*
 * Create the link for d and start connecting to ikd's socket at path (NULL: the file
 * "ikd.sock" in the directory of l2tpd's own control socket). Never fails for ikd being
 * away: it retries with a back-off (200 ms doubling to 5 s). The link is owned by d
 * (d->ikd); ikd_link_stop frees it. Returns 0 or -ENOMEM.
 */
int ikd_link_start(struct l2tpd *d, const char *path);
void ikd_link_stop(struct l2tpd *d);

/* Is some SA known for peer's address (port ignored)? false when l is NULL. */
bool ikd_link_is_protected(const struct ikd_link *l, const struct sockaddr_storage *peer);
/* The SA protecting peer's address (the most recent one), or NULL. */
const struct ikd_protection *ikd_link_lookup(const struct ikd_link *l,
					     const struct sockaddr_storage *peer);
/* The SA of the client at peer's address whose XFRM mark is mark (the most recent one);
 * with mark 0, or when no SA of the address has that mark, ikd_link_lookup's answer. */
const struct ikd_protection *ikd_link_lookup_mark(const struct ikd_link *l,
						  const struct sockaddr_storage *peer,
						  uint32_t mark);
/* Put CTL_A_PEER_ID and CTL_A_IKE_SA_ID of the SA of (peer, mark) into m (nothing when
 * unknown). */
void ikd_link_put_identity(const struct ikd_link *l, struct ctl_msg *m,
			   const struct sockaddr_storage *peer, uint32_t mark);

/*
 * Tunnel t ended (tunnel.c, once per tunnel): unless the link itself is tearing the
 * peer down or l2tpd is shutting down, or another live tunnel of the same client (address
 * and mark) remains, ask ikd to delete that client's SAs (see above for several clients
 * behind one NAT).
 */
void ikd_link_tunnel_ended(struct tunnel *t, const char *reason);

/* Connected to ikd and resynchronised? */
bool ikd_link_in_sync(const struct ikd_link *l);

/* --- the table alone, for tests and for the event handlers ------------------------------ */

/* Add or refresh the SA of p->child_sa_id. Returns 0 or -ENOMEM. */
int ikd_link_sa_up(struct ikd_link *l, const struct ikd_protection *p);
/*
 * The SA child_sa_id went down. Returns 1 if it was the last SA of its address (the
 * caller then tears the address's tunnels down; *addr gets that address), 0 if others
 * remain, -ENOENT if unknown.
 */
int ikd_link_sa_down(struct ikd_link *l, uint32_t child_sa_id, struct sockaddr_storage *addr);
/* Number of SAs in the table. */
unsigned ikd_link_count(const struct ikd_link *l);

/* A link without a daemon or a socket (unit tests). Free with ikd_link_free. */
struct ikd_link *ikd_link_new_table(void);
void ikd_link_free(struct ikd_link *l);

#endif
