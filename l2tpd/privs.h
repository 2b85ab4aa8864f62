/*
 * l2tpd's least privilege (common/privdrop.h), applied once start-up has opened the
 * listener, the netlink handles and the control socket:
 *   CAP_NET_ADMIN          genl l2tp, rtnetlink, PPP unit ioctls, SO_MARK, the nftables
 *                          set (libnftables), and opening /dev/ppp (ppp_open checks it);
 *   CAP_NET_BIND_SERVICE   only when the L2TP port is below 1024 (not 1701): every
 *                          tunnel's own socket binds it;
 *   CAP_DAC_OVERRIDE       only with `user`, permitted but not effective, raised around
 *                          open("/dev/ppp") (kernel_ppp.c): the node is 0600 root.
 * The bounding set is cut to the effective set and no_new_privs is set, so a hook
 * program gets at most that. With `user` (and `group`) in l2tpd.conf the process runs
 * as that user; the secrets file must then be owned by it (mode 0600) to be read again
 * on reload.
 */
#ifndef L2SEC_L2TPD_PRIVS_H
#define L2SEC_L2TPD_PRIVS_H

struct l2tpd_conf;

/* Drop what c does not need. Not started as root: nothing to drop, 0. Else 0 or -errno
 * (logged with the reason: the daemon must not run on with more than it meant to). */
int l2tpd_drop_privileges(const struct l2tpd_conf *c);

#endif
