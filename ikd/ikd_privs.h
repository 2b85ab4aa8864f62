/*
 * ikd's least privilege (common/privdrop.h), applied once UDP 500/4500, the XFRM netlink
 * handle and the control socket are open: ikd keeps CAP_NET_ADMIN only (XFRM states and
 * policies, the per-socket bypass policy and SO_MARK are set at open already; a reload
 * never rebinds 500/4500, so CAP_NET_BIND_SERVICE goes). The bounding set is cut to it,
 * no_new_privs is set. With `user` (and `group`) in ikd.conf the process runs as that
 * user: secrets.conf, certificates and private keys must then be readable by it for a
 * reload, and l2tpd should run as the same user (ikd accepts its delete-peer requests).
 */
#ifndef L2SEC_IKD_IKD_PRIVS_H
#define L2SEC_IKD_IKD_PRIVS_H

struct ikd_settings;

/* Drop what ikd does not need. Not started as root: nothing to drop, 0. Else 0 or
 * -errno (logged). */
int ikd_drop_privileges(const struct ikd_settings *s);

#endif
