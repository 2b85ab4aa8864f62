/*
 * The kernel's L2TP data path through its generic-netlink family "l2tp": create, delete,
 * read and list tunnels and sessions.
 *
 * A tunnel is always created on a UDP socket l2tpd made itself (udp_sock.h), handed over
 * with L2TP_ATTR_FD and connected to the peer (the kernel drops data on an unconnected
 * one). The tunnel then lives as long as that socket: closing the last descriptor of the
 * socket deletes the tunnel and its sessions, which is why a crashed l2tpd leaves no
 * tunnel behind. The kernel handles data messages; control messages (T bit set) are
 * still read by l2tpd from the same socket.
 *
 * Sessions are created here with pseudowire type PPP; the PPPoL2TP socket of
 * kernel_ppp.h then attaches to the existing session by tunnel and session id.
 *
 * Deletion is asynchronous in the kernel (a work item): right after a delete, a dump may
 * still show the object for a moment and the same id may be refused with -EEXIST.
 */
#ifndef L2SEC_L2TPD_KERNEL_L2TP_H
#define L2SEC_L2TPD_KERNEL_L2TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tpd/rtnl.h"

struct kl2tp {
	struct knl k;
	uint16_t family;        /* generic-netlink id of "l2tp" */
};

/*
 * Open a generic-netlink socket and resolve the "l2tp" family (CTRL_CMD_GETFAMILY; the
 * kernel loads l2tp_netlink on demand). -ENOENT when the kernel has no such family:
 * kernel_probe.h turns that into the "modprobe l2tp_ppp" message.
 */
int kl2tp_open(struct kl2tp *l);
void kl2tp_close(struct kl2tp *l);

struct kl2tp_tunnel_cfg {
	uint32_t tunnel_id;             /* ours: the id the peer writes in its headers */
	uint32_t peer_tunnel_id;        /* the peer's */
	uint8_t version;                /* 2 (L2TPv2) or 3 */
	int fd;                         /* connected UDP socket (udp_sock_open) */
};

struct kl2tp_stats {
	uint64_t tx_packets, tx_bytes, tx_errors;
	uint64_t rx_packets, rx_bytes, rx_seq_discards, rx_oos_packets, rx_errors;
};

struct kl2tp_tunnel_info {
	uint32_t tunnel_id, peer_tunnel_id;
	uint8_t version;
	uint16_t encap;                 /* L2TP_ENCAPTYPE_UDP / _IP */
	struct knl_ip local, peer;      /* family 0 when the kernel did not say */
	uint16_t local_port, peer_port; /* host order */
	bool has_stats;
	struct kl2tp_stats stats;
};

struct kl2tp_session_cfg {
	uint32_t tunnel_id, session_id, peer_session_id;
	bool recv_seq;                  /* drop data without sequence numbers */
	bool send_seq;                  /* put sequence numbers on data */
	bool lns_mode;                  /* we are the LNS: we decide about sequencing */
	uint64_t reorder_timeout_ms;    /* 0 = no reordering */
};

struct kl2tp_session_info {
	uint32_t tunnel_id, session_id, peer_tunnel_id, peer_session_id;
	uint16_t pw_type;               /* L2TP_PWTYPE_PPP for ours */
	char ifname[IFNAMSIZ];          /* "" for PPP pseudowires (the unit is separate) */
	bool recv_seq, send_seq, lns_mode;
	bool has_stats;
	struct kl2tp_stats stats;
};

/* Each returns 0 or -errno; l->k.errmsg has the kernel's text when it gave one. */
int kl2tp_tunnel_create(struct kl2tp *l, const struct kl2tp_tunnel_cfg *cfg);
int kl2tp_tunnel_delete(struct kl2tp *l, uint32_t tunnel_id);
/* -ENODEV when there is no such tunnel (the kernel's answer). */
int kl2tp_tunnel_get(struct kl2tp *l, uint32_t tunnel_id, struct kl2tp_tunnel_info *out);
/* fn returns 0 to go on, anything else stops the walk and is returned. */
typedef int (*kl2tp_tunnel_fn)(const struct kl2tp_tunnel_info *t, void *arg);
int kl2tp_tunnel_dump(struct kl2tp *l, kl2tp_tunnel_fn fn, void *arg);

int kl2tp_session_create(struct kl2tp *l, const struct kl2tp_session_cfg *cfg);
int kl2tp_session_delete(struct kl2tp *l, uint32_t tunnel_id, uint32_t session_id);
int kl2tp_session_get(struct kl2tp *l, uint32_t tunnel_id, uint32_t session_id,
		      struct kl2tp_session_info *out);
typedef int (*kl2tp_session_fn)(const struct kl2tp_session_info *s, void *arg);
int kl2tp_session_dump(struct kl2tp *l, kl2tp_session_fn fn, void *arg);

/*
 * Start-up cleanup. l2tpd's tunnels are recognised by their UDP socket: L2TPv2 over UDP
 * with the local port (and, if l2tpd listens on specific addresses, a local address) that
 * l2tpd itself listens on. That port is l2tpd's: only one L2TP daemon can serve a given
 * address and port in a network namespace, and l2tpd sweeps before it binds its listener.
 * Tunnels the restarted daemon adopted (fd store hand-over) are spared through keep().
 */
struct kl2tp_owner {
	uint16_t local_port;                    /* l2tpd's L2TP port, normally 1701 */
	const struct knl_ip *local_addrs;       /* l2tpd's listen addresses; none = any */
	size_t n_local_addrs;
	bool (*keep)(uint32_t tunnel_id, void *arg);    /* NULL = keep none */
	void *keep_arg;
};

bool kl2tp_tunnel_is_ours(const struct kl2tp_tunnel_info *t, const struct kl2tp_owner *o);
/* Delete every tunnel that is ours and not kept (its sessions go with it). *deleted gets
 * the count. 0, or the first -errno (the others are still tried). */
int kl2tp_sweep(struct kl2tp *l, const struct kl2tp_owner *o, unsigned int *deleted);

/* ---- builders and parsers, exposed for the unit tests ------------------------------- */
struct nlmsghdr *kl2tp_msg_tunnel_create(void *buf, size_t size, uint16_t family,
					 const struct kl2tp_tunnel_cfg *cfg);
/* cmd L2TP_CMD_TUNNEL_DELETE or L2TP_CMD_TUNNEL_GET; tunnel_id 0 with dump = true lists. */
struct nlmsghdr *kl2tp_msg_tunnel_id(void *buf, size_t size, uint16_t family, uint8_t cmd,
				     uint32_t tunnel_id, bool dump);
struct nlmsghdr *kl2tp_msg_session_create(void *buf, size_t size, uint16_t family,
					  const struct kl2tp_session_cfg *cfg);
/* cmd L2TP_CMD_SESSION_DELETE or L2TP_CMD_SESSION_GET; dump = true lists all sessions. */
struct nlmsghdr *kl2tp_msg_session_id(void *buf, size_t size, uint16_t family, uint8_t cmd,
				      uint32_t tunnel_id, uint32_t session_id, bool dump);
/* The CTRL_CMD_GETFAMILY request for "l2tp", and the parser of its answer. */
struct nlmsghdr *kl2tp_msg_getfamily(void *buf, size_t size);
int kl2tp_parse_family(const struct nlmsghdr *nlh, uint16_t *family);
int kl2tp_parse_tunnel(const struct nlmsghdr *nlh, struct kl2tp_tunnel_info *out);
int kl2tp_parse_session(const struct nlmsghdr *nlh, struct kl2tp_session_info *out);

#endif
