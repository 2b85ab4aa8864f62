/*
 * Control socket commands and events of ikd. See ikd_ctl.h.
 */
#include "ikd/ikd_ctl.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "common/ctl.h"
#include "common/ctl_proto.h"
#include "common/log.h"
#include "ikd/ike_names.h"
#include "ikd/ikev1.h"
#include "ikd/ikev1_child.h"
#include "ikd/kernel.h"
#include "ikd/l2tp_link.h"

static uint64_t cookie_u64(const uint8_t *c)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | c[i];
	return v;
}

static uint8_t ike_state(const struct ike_sa *sa)
{
	if (sa->dead)
		return CTL_IKE_DELETING;
	if (!sa->established)
		return CTL_IKE_CONNECTING;
	return sa->rekeyed ? CTL_IKE_REKEYING : CTL_IKE_ESTABLISHED;
}

static void put_ike_sa(struct ctl_msg *m, const struct ike_sa *sa)
{
	char id[300];
	uint64_t now = ike_now_ms();
	ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, sa->id);
	ctl_msg_put_u8(m, CTL_A_IKE_VERSION, 1);
	ctl_msg_put_u8(m, CTL_A_IKE_STATE, ike_state(sa));
	if (sa->conn)
		ctl_msg_put_str(m, CTL_A_CONN_NAME, sa->conn->name);
	ctl_msg_put_sockaddr(m, CTL_A_LOCAL_ADDR, &sa->local.sa);
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, &sa->peer.sa);
	ctl_msg_put_u64(m, CTL_A_SPI_I, cookie_u64(sa->cky_i));
	ctl_msg_put_u64(m, CTL_A_SPI_R, cookie_u64(sa->cky_r));
	if (sa->initiator)
		ctl_msg_put_flag(m, CTL_A_INITIATOR);
	if (sa->local_id.type)
		ctl_msg_put_str(m, CTL_A_LOCAL_ID, ikd_id_str(&sa->local_id, id, sizeof id));
	if (sa->peer_id.type)
		ctl_msg_put_str(m, CTL_A_PEER_ID, ikd_id_str(&sa->peer_id, id, sizeof id));
	if (sa->nat & IKE_NAT_LOCAL)
		ctl_msg_put_flag(m, CTL_A_NAT_LOCAL);
	if (sa->nat & IKE_NAT_PEER)
		ctl_msg_put_flag(m, CTL_A_NAT_PEER);
	if (sa->natt)
		ctl_msg_put_flag(m, CTL_A_ENCAP);
	if (sa->p1.cipher) {
		char enc[32];
		snprintf(enc, sizeof enc, "%s", ike_cipher_name(sa->p1.cipher));
		ctl_msg_put_str(m, CTL_A_ENC_ALG, enc);
		ctl_msg_put_str(m, CTL_A_INTEG_ALG, ike_hash_name(sa->p1.hash));
		ctl_msg_put_u16(m, CTL_A_DH_GROUP, sa->p1.dh_group);
		ctl_msg_put_u8(m, CTL_A_AUTH_METHOD,
			       sa->p1.auth == IKD_AUTH_PSK ? CTL_AUTH_PSK : CTL_AUTH_RSA);
	}
	if (sa->established)
		ctl_msg_put_u64(m, CTL_A_AGE_SEC, (now - sa->established_ms) / 1000u);
	if (sa->initiator && sa->life_timer.l && evloop_timer_active(&sa->life_timer))
		ctl_msg_put_u64(m, CTL_A_REKEY_IN_SEC,
				evloop_timer_remaining_ms(&sa->life_timer) / 1000u);
	unsigned n = 0;
	for (const struct ipsec_sa *c = sa->children; c; c = c->next)
		n++;
	ctl_msg_put_u32(m, CTL_A_IPSEC_SA_COUNT, n);
}

static int cmd_ike_sa_list(struct ctl_request *req, void *arg)
{
	struct ikd *d = arg;
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		for (struct ike_sa *sa = d->sas.by_cookie[i]; sa; sa = sa->next_by_cookie) {
			if (sa->dead)
				continue;
			struct ctl_msg *m = ctl_dump_entry_begin(req);
			if (!m)
				return -ENOMEM;
			put_ike_sa(m, sa);
			ctl_dump_entry_end(req);
		}
	return 0;
}

static void put_child(struct ikd *d, struct ctl_msg *m, const struct ike_sa *sa,
		      const struct ipsec_sa *c)
{
	ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, sa->id);
	ctl_msg_put_u32(m, CTL_A_CHILD_SA_ID, c->id);
	if (sa->conn)
		ctl_msg_put_str(m, CTL_A_CONN_NAME, sa->conn->name);
	ctl_msg_put_sockaddr(m, CTL_A_LOCAL_ADDR, &sa->local.sa);
	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, &sa->peer.sa);
	char id[300];
	if (sa->peer_id.type)
		ctl_msg_put_str(m, CTL_A_PEER_ID, ikd_id_str(&sa->peer_id, id, sizeof id));
	ctl_msg_put_u32(m, CTL_A_SPI_IN, c->spi_in);
	ctl_msg_put_u32(m, CTL_A_SPI_OUT, c->spi_out);
	ctl_msg_put_u8(m, CTL_A_IPSEC_MODE, c->params.tunnel ? CTL_IPSEC_TUNNEL : CTL_IPSEC_TRANSPORT);
	if (c->params.udp_encap || sa->nat)
		ctl_msg_put_flag(m, CTL_A_ENCAP);
	if (c->mark)
		ctl_msg_put_u32(m, CTL_A_XFRM_MARK, c->mark);
	const char *e = ike_name_of(esp_id_names, c->params.encr);
	char enc[48];
	snprintf(enc, sizeof enc, "%s-%u", e ? e : "?", c->params.key_bits);
	ctl_msg_put_str(m, CTL_A_ENC_ALG, enc);
	const char *a = ike_name_of(ipsec_auth_names, c->params.v1_auth);
	ctl_msg_put_str(m, CTL_A_INTEG_ALG, a ? a : "?");
	if (c->params.pfs_group)
		ctl_msg_put_u16(m, CTL_A_DH_GROUP, c->params.pfs_group);
	if (c->initiator)
		ctl_msg_put_flag(m, CTL_A_INITIATOR);
	uint64_t now = ike_now_ms();
	ctl_msg_put_u64(m, CTL_A_AGE_SEC, (now - c->installed_ms) / 1000u);
	if (c->rekey_timer.l && evloop_timer_active(&c->rekey_timer))
		ctl_msg_put_u64(m, CTL_A_REKEY_IN_SEC,
				evloop_timer_remaining_ms(&c->rekey_timer) / 1000u);
	struct xfrm_sa key;
	struct xfrm_sa_info info;
	kernel_child_sa(sa, c, true, &key);
	if (d->kernel.ops && d->kernel.ops->sa_get(d->kernel.ctx, &key, &info) == 0) {
		ctl_msg_put_u64(m, CTL_A_BYTES_IN, info.bytes);
		ctl_msg_put_u64(m, CTL_A_PACKETS_IN, info.packets);
	}
	kernel_child_sa(sa, c, false, &key);
	if (d->kernel.ops && d->kernel.ops->sa_get(d->kernel.ctx, &key, &info) == 0) {
		ctl_msg_put_u64(m, CTL_A_BYTES_OUT, info.bytes);
		ctl_msg_put_u64(m, CTL_A_PACKETS_OUT, info.packets);
	}
}

static int cmd_ipsec_sa_list(struct ctl_request *req, void *arg)
{
	struct ikd *d = arg;
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		for (struct ike_sa *sa = d->sas.by_cookie[i]; sa; sa = sa->next_by_cookie)
			for (struct ipsec_sa *c = sa->children; c && !sa->dead; c = c->next) {
				struct ctl_msg *m = ctl_dump_entry_begin(req);
				if (!m)
					return -ENOMEM;
				put_child(d, m, sa, c);
				ctl_dump_entry_end(req);
			}
	return 0;
}

static int cmd_status(struct ctl_request *req, void *arg)
{
	struct ikd *d = arg;
	struct ctl_msg *m = ctl_reply_begin(req);
	if (!m)
		return -ENOMEM;
	unsigned children = 0;
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		for (struct ike_sa *sa = d->sas.by_cookie[i]; sa; sa = sa->next_by_cookie)
			for (struct ipsec_sa *c = sa->children; c; c = c->next)
				children++;
	ctl_msg_put_str(m, CTL_A_DAEMON, "ikd");
	ctl_msg_put_str(m, CTL_A_VERSION, L2SEC_VERSION);
	ctl_msg_put_u32(m, CTL_A_PID, (uint32_t)getpid());
	ctl_msg_put_u64(m, CTL_A_UPTIME_SEC, (ike_now_ms() - d->start_ms) / 1000u);
	ctl_msg_put_u8(m, CTL_A_LOG_LEVEL, (uint8_t)log_get_level());
	ctl_msg_put_u32(m, CTL_A_IKE_SA_COUNT, (uint32_t)d->sas.count);
	ctl_msg_put_u32(m, CTL_A_IPSEC_SA_COUNT, children);
	return ctl_reply_end(req);
}

static int cmd_initiate(struct ctl_request *req, void *arg)
{
	struct ikd *d = arg;
	if (!req->tb[CTL_A_CONN_NAME]) {
		ctl_request_set_error_msg(req, "initiate needs a connection name");
		return -EINVAL;
	}
	const char *name = mnl_attr_get_str(req->tb[CTL_A_CONN_NAME]);
	union ikd_sockaddr peer, *pp = NULL;
	if (req->tb[CTL_A_PEER_ADDR]) {
		socklen_t len;
		if (ctl_attr_get_sockaddr(req->tb[CTL_A_PEER_ADDR], &peer.ss, &len) < 0) {
			ctl_request_set_error_msg(req, "bad peer address");
			return -EINVAL;
		}
		pp = &peer;
	}
	uint32_t id = 0;
	char msg[200];
	int rc = ikd_initiate(d, name, pp, &id, msg, sizeof msg);
	if (rc < 0) {
		ctl_request_set_error_msg(req, "%s", msg);
		return rc;
	}
	struct ctl_msg *m = ctl_reply_begin(req);
	if (!m)
		return -ENOMEM;
	ctl_msg_put_u32(m, CTL_A_IKE_SA_ID, id);
	return ctl_reply_end(req);
}

/* Terminate by IKE SA id, connection name or peer address: SAs, kernel state, Deletes. */
static int terminate_matching(struct ikd *d, const struct nlattr *const *tb, const char *why)
{
	uint32_t id = tb[CTL_A_IKE_SA_ID] ? mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]) : 0;
	const char *name = tb[CTL_A_CONN_NAME] ? mnl_attr_get_str(tb[CTL_A_CONN_NAME]) : NULL;
	union ikd_sockaddr peer;
	bool by_peer = false, all = tb[CTL_A_ALL] != NULL;
	socklen_t len;
	if (tb[CTL_A_PEER_ADDR] && ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &peer.ss, &len) == 0)
		by_peer = true;
	int n = 0;
	for (size_t i = 0; i < d->sas.nbuckets; i++) {
		struct ike_sa *sa = d->sas.by_cookie[i], *next;
		for (; sa; sa = next) {
			next = sa->next_by_cookie;
			if (sa->dead)
				continue;
			bool match = all || (id && sa->id == id) ||
				     (name && sa->conn && strcmp(sa->conn->name, name) == 0) ||
				     (by_peer && ikd_addr_equal(&sa->peer.sa, &peer.sa,
								ikd_addr_port(&peer.sa) != 0));
			if (!match)
				continue;
			ikev1_delete_sa(sa, true, true, why);
			n++;
		}
	}
	return n;
}

/*
 * With CTL_A_ALL every IKE SA goes, each with its Delete notifications so that the peers
 * and the kernel drop their SAs too: the clean goodbye before a final `systemctl stop`,
 * which leaves the kernel SAs in place as a restart must. Zero SAs is an answer then.
 */
static int terminate_all(struct ctl_request *req, struct ikd *d)
{
	int n = terminate_matching(d, req->tb, "terminated by admin (all)");

	log_notice("terminate_all", "ike_sas=%d uid=%u", n, (unsigned)req->peer->uid);
	return ctl_reply_message(req, "deleted %d IKE SA%s", n, n == 1 ? "" : "s");
}

static int cmd_terminate(struct ctl_request *req, void *arg)
{
	if (req->tb[CTL_A_ALL])
		return terminate_all(req, arg);
	if (!req->tb[CTL_A_IKE_SA_ID] && !req->tb[CTL_A_CONN_NAME] && !req->tb[CTL_A_PEER_ADDR]) {
		ctl_request_set_error_msg(req, "terminate needs an IKE SA id, a connection name "
					  "or a peer address");
		return -EINVAL;
	}
	int n = terminate_matching(arg, req->tb, "terminated by admin");
	if (n == 0) {
		ctl_request_set_error_msg(req, "no IKE SA matches");
		return -ESRCH;
	}
	return 0;
}

static int cmd_delete_peer(struct ctl_request *req, void *arg)
{
	if (!req->tb[CTL_A_PEER_ADDR]) {
		ctl_request_set_error_msg(req, "delete-peer needs a peer address");
		return -EINVAL;
	}
	terminate_matching(arg, req->tb, "L2TP tunnel ended (l2tpd)");
	return 0;
}

static int cmd_reload(struct ctl_request *req, void *arg)
{
	char msg[300];
	int rc = ikd_reload(arg, msg, sizeof msg);
	if (rc < 0) {
		ctl_request_set_error_msg(req, "%s", msg);
		return rc;
	}
	return ctl_reply_message(req, "%s", msg);
}

static int cmd_set_log_level(struct ctl_request *req, void *arg)
{
	if (!req->tb[CTL_A_LOG_LEVEL]) {
		ctl_request_set_error_msg(req, "set-log-level needs a level");
		return -EINVAL;
	}
	uint8_t lvl = mnl_attr_get_u8(req->tb[CTL_A_LOG_LEVEL]);
	if (lvl > LOG_LVL_DEBUG) {
		ctl_request_set_error_msg(req, "log level %u out of range", lvl);
		return -EINVAL;
	}
	log_set_level((enum log_level)lvl);
	return 0;
}

static const struct ctl_command commands[] = {
	{ CTL_CMD_STATUS, false, cmd_status },
	{ CTL_CMD_IKE_SA_LIST, false, cmd_ike_sa_list },
	{ CTL_CMD_IPSEC_SA_LIST, false, cmd_ipsec_sa_list },
	{ CTL_CMD_INITIATE, true, cmd_initiate },
	{ CTL_CMD_TERMINATE, true, cmd_terminate },
	{ CTL_CMD_DELETE_PEER, true, cmd_delete_peer },
	{ CTL_CMD_PEER_DIAG, false, l2tp_link_cmd_peer_diag },
	{ CTL_CMD_RELOAD, true, cmd_reload },
	{ CTL_CMD_SET_LOG_LEVEL, true, cmd_set_log_level },
};

/* ikd.user, when set: the daemons' unprivileged user (ikd_privs.h). */
static uid_t daemons_uid;

/* The default policy (admin: root; read: root and group l2sec), plus delete-peer from
 * the daemons' user: l2tpd running as it asks for that when a client's tunnel ends. */
static bool authorize(const struct ctl_peer *peer, const struct ctl_command *cmd, void *arg)
{
	(void)arg;
	if (!cmd->admin)
		return peer->may_read;
	return peer->may_admin || (cmd->cmd == CTL_CMD_DELETE_PEER && peer->uid == daemons_uid);
}

int ikd_ctl_start(struct ikd *d)
{
	const char *path = d->ctl_path ? d->ctl_path : d->conf->set.socket;
	struct ctl_server_options opt = { .path = path, .daemon = "ikd" };
	const struct passwd *pw = d->conf->set.user[0] ? getpwnam(d->conf->set.user) : NULL;

	if (pw && pw->pw_uid != 0) {   /* else the default policy and its clearer refusals */
		daemons_uid = pw->pw_uid;
		opt.authorize = authorize;
	}
	int rc = ctl_server_create(d->loop->loop, &opt, commands,
				   sizeof commands / sizeof commands[0], d, &d->ctl);
	if (rc < 0)
		log_err("ctl_start_failed", "path=%s errno=%d error=\"%s\"", path, -rc, strerror(-rc));
	return rc;
}

void ikd_ctl_stop(struct ikd *d)
{
	ctl_server_destroy(d->ctl);
	d->ctl = NULL;
}

/* Transport mode covering L2TP: what l2tpd needs to hear about. */
static bool protects_l2tp(const struct ipsec_sa *c)
{
	return !c->params.tunnel && (c->local_ts.proto == IPPROTO_UDP || c->local_ts.proto == 0) &&
	       (c->local_ts.port == 1701 || c->local_ts.port == 0);
}

void ikd_ctl_event(struct ikd *d, enum ikd_event ev, const struct ike_sa *sa,
		   const struct ipsec_sa *child, const char *reason)
{
	uint16_t type;
	l2tp_link_note_event(ev, sa, child, reason); /* for vpnctl diagnose */
	switch (ev) {
	case IKD_EV_IKE_UP: type = CTL_EVT_IKE_SA_UP; break;
	case IKD_EV_IKE_DOWN: type = CTL_EVT_IKE_SA_DOWN; break;
	case IKD_EV_FAILED: type = CTL_EVT_NEGOTIATION_FAILED; break;
	case IKD_EV_IPSEC_UP:
		if (!child || !protects_l2tp(child))
			return;
		type = CTL_EVT_PEER_PROTECTED_UP;
		break;
	case IKD_EV_IPSEC_DOWN:
		if (!child || !protects_l2tp(child))
			return;
		type = CTL_EVT_PEER_PROTECTED_DOWN;
		break;
	default:
		return;
	}
	struct ctl_msg *m = ctl_server_event_begin(d->ctl, type);
	if (!m)
		return;
	if (child)
		put_child(d, m, sa, child);
	else
		put_ike_sa(m, sa);
	if (reason)
		ctl_msg_put_str(m, CTL_A_REASON, reason);
	ctl_server_broadcast_event(d->ctl);
}
