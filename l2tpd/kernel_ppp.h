/*
 * The PPP side of a kernel L2TP session: the PPPoL2TP socket, the PPP channel and the
 * PPP unit (the network interface) in /dev/ppp.
 *
 * Objects and descriptors of one session, in the order they are made:
 *   pppox_fd  socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP) connected to (tunnel id,
 *             session id, tunnel UDP fd): binds the kernel session to a PPP channel.
 *             l2tpd never reads or writes it; it only keeps it open (closing it deletes
 *             the kernel session).
 *   chan_fd   /dev/ppp attached to that channel (PPPIOCGCHAN on pppox_fd, PPPIOCATTCHAN).
 *   unit_fd   /dev/ppp owning a new unit, the interface (created named, see below);
 *             PPPIOCCONNECT on chan_fd joins channel and unit.
 *
 * Which descriptor carries which PPP frames (the kernel's ppp_input()):
 *   - Every frame of protocol >= 0xc000 (LCP c021, PAP c023, CHAP c223, EAP c227, LQR,
 *     and CCP fragments) is read on chan_fd, before and after the unit is connected.
 *   - While no unit is connected, every other frame is read on chan_fd too.
 *   - Once connected, NCP frames (IPCP 8021, IPV6CP 8057, CCP 80fd) and frames of
 *     unknown protocols are read on unit_fd (so a Protocol-Reject can be sent); IP
 *     (0021) and IPv6 (0057) go to the interface while their NP mode is NPMODE_PASS and
 *     the interface is up, and are dropped otherwise (never read by l2tpd).
 *   - Writes: a frame written to chan_fd goes out on that channel as it is; a frame
 *     written to unit_fd goes out through the unit. So: LCP and authentication on
 *     chan_fd, NCPs on unit_fd (or chan_fd: both reach the peer).
 *   - A frame read or written is the PPP protocol field (2 bytes, big-endian) followed
 *     by the information field: no address/control bytes (the kernel strips and adds
 *     ff 03), no FCS. A read that returns -1/EAGAIN means nothing queued; the kernel
 *     keeps at most 32 unread frames per descriptor and drops the oldest beyond that.
 *   - Watch unit_fd only while a channel is connected: a unit without channels polls
 *     readable and reads 0 forever. chan_fd polling POLLHUP / reading 0 means the channel
 *     is gone (the kernel session was deleted): the session has ended.
 *
 * Interface names. A unit is created through rtnetlink (RTM_NEWLINK kind "ppp" with
 * IFLA_PPP_DEV_FD) under its final name PREFIX<n>: no moment exists in which an l2tpd
 * interface carries a name that start-up cleanup would not recognise. When the kernel
 * refuses that (-EOPNOTSUPP: no rtnetlink support for ppp), it falls back to
 * PPPIOCNEWUNIT ("ppp<unit>") and a rename.
 *
 * Lifetimes: closing unit_fd deletes the interface (with its addresses and routes);
 * closing pppox_fd deletes the kernel session. All descriptors are close-on-exec, and the
 * ones in struct kppp_session belong to it: kppp_session_close() closes them.
 */
#ifndef L2SEC_L2TPD_KERNEL_PPP_H
#define L2SEC_L2TPD_KERNEL_PPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "l2tpd/rtnl.h"

#define KPPP_DEFAULT_PREFIX "l2sec"

struct kppp_l2tp_addr {
	int tunnel_fd;                  /* the tunnel's connected UDP socket */
	uint8_t version;                /* 2 or 3 */
	uint32_t tunnel_id, session_id;           /* ours: for matching incoming packets */
	uint32_t peer_tunnel_id, peer_session_id; /* the peer's: for sending */
	const struct sockaddr *peer;    /* AF_INET or AF_INET6: picks the sockaddr variant */
	socklen_t peer_len;
};

struct kppp_session {
	int pppox_fd;
	int chan_fd;
	int unit_fd;
	int chindex;                    /* kernel channel number */
	int unit;                       /* unit number, -1 before kppp_unit_create */
	int ifindex;
	char ifname[IFNAMSIZ];
};

/* All descriptors -1, no unit. Call before anything else. */
void kppp_session_init(struct kppp_session *s);

/* Build the sockaddr_pppol2tp (or in6 / v3 / v3in6 variant) for connect() into buf.
 * Returns its length, or -EINVAL (ids out of range for the version, bad family, small buf). */
int kppp_pppol2tp_sockaddr(const struct kppp_l2tp_addr *a, void *buf, size_t size);

/* Open and connect the PPPoL2TP socket into s->pppox_fd. -EAFNOSUPPORT: no pppox in the
 * kernel; -EPROTONOSUPPORT: no l2tp_ppp; -ENOENT: no such tunnel. */
int kppp_pppox_open(struct kppp_session *s, const struct kppp_l2tp_addr *a);

/* PPPIOCGCHAN on the PPPoL2TP socket, then kppp_channel_attach(). PPPIOCGCHAN sleeps for
 * an RCU grace period (kppp_bind.h): l2tpd runs it on kppp_bind's threads instead. */
int kppp_channel_open(struct kppp_session *s);

/* /dev/ppp + PPPIOCATTCHAN to channel chindex (PPPIOCGCHAN's answer) into s->chan_fd
 * (non-blocking). -ENOENT/-ENODEV: no /dev/ppp (ppp_generic). */
int kppp_channel_attach(struct kppp_session *s, int chindex);

/*
 * Create the unit named prefix<n>, n = *next_index, *next_index + 1, ... (names already
 * taken are skipped, at most 1024 tries); *next_index is left past the name used.
 * Fills unit_fd (non-blocking), unit, ifindex, ifname. rtnl is used for the creation and
 * the ifindex look-up.
 */
int kppp_unit_create(struct kppp_session *s, struct rtnl *r, const char *prefix,
		     unsigned int *next_index);
/* The same through PPPIOCNEWUNIT + rename only (the fallback, exposed for the tests). */
int kppp_unit_create_ioctl(struct kppp_session *s, struct rtnl *r, const char *prefix,
			   unsigned int *next_index);

/* PPPIOCCONNECT the channel to the unit / PPPIOCDISCONN it. */
int kppp_unit_connect(struct kppp_session *s);
int kppp_unit_disconnect(struct kppp_session *s);
/* PPPIOCSMRU on the unit: the largest frame it accepts (the MRU we negotiated). */
int kppp_unit_set_mru(struct kppp_session *s, int mru);
/* PPPIOCSNPMODE: proto is a network protocol (PPP_IP 0x21, PPP_IPV6 0x57), mode one of
 * NPMODE_PASS, NPMODE_DROP, NPMODE_ERROR, NPMODE_QUEUE (linux/ppp_defs.h). */
int kppp_unit_set_npmode(struct kppp_session *s, uint16_t proto, int mode);

/*
 * Start-up cleanup of interfaces: a link is l2tpd's when its kind is "ppp" and its name is
 * the prefix followed by decimal digits only (l2tpd creates no other names, see above).
 * kppp_sweep deletes every such link for which keep (may be NULL) returns false, and
 * counts them in *deleted. 0 or the first -errno (the others are still tried).
 */
bool kppp_ifname_is_ours(const char *ifname, const char *prefix);
int kppp_sweep(struct rtnl *r, const char *prefix, bool (*keep)(const char *ifname, void *arg),
	       void *keep_arg, unsigned int *deleted);

/* Tear the session's PPP objects down: disconnect, close chan_fd, unit_fd (the interface
 * goes) and pppox_fd (the kernel session goes). Safe on a partly built session. */
void kppp_session_close(struct kppp_session *s);

#endif
