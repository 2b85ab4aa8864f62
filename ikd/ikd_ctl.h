/*
 * ikd's control socket commands (common/ctl.h server, common/ctl_proto.h catalogue):
 * status, ike-sa-list, ipsec-sa-list, initiate, terminate, delete-peer, reload,
 * set-log-level; and the event stream (IKE SA up/down, protected peer up/down for
 * l2tpd, negotiation failures with their reason).
 */
#ifndef L2SEC_IKD_IKD_CTL_H
#define L2SEC_IKD_IKD_CTL_H

#include "ikd/daemon.h"

/* Open d->ctl_path (default L2SEC_RUNDIR "/ikd.sock", or the config's). 0 or -errno. */
int ikd_ctl_start(struct ikd *d);
void ikd_ctl_stop(struct ikd *d);
/* Broadcast an event to subscribers. */
void ikd_ctl_event(struct ikd *d, enum ikd_event ev, const struct ike_sa *sa,
		   const struct ipsec_sa *child, const char *reason);

#endif
