/*
 * vpnctl diagnose PEER: why a peer could not connect, from ikd's and l2tpd's memory of
 * what happened to it, merged into one checklist (ctl/diag_view.h).
 */
#include "ctl/vpnctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/diag_view.h"

struct diag_ctx {
	struct sockaddr_storage peer;
	struct diag_view view;
	enum diag_source source;
};

static int build_peer(struct ctl_msg *m, void *arg)
{
	const struct diag_ctx *dc = arg;

	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&dc->peer);
	return ctl_msg_ok(m) ? 0 : -EMSGSIZE;
}

static int add_entry(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct diag_ctx *dc = arg;
	int r = diag_view_add(&dc->view, dc->source, tb);

	(void)nlh;
	return r == -EINVAL ? 0 : r;    /* an entry without words is skipped */
}

/* An address without port: "192.0.2.7" or "2001:db8::7". */
static bool parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

/* Ask one daemon. A daemon that is not running is not an error (the checklist says so);
 * any other failure is: returns VPNCTL_OK or an exit code. */
static int ask(struct vpnctl *v, struct diag_ctx *dc, enum vpnctl_daemon d, uint16_t cmd)
{
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	int code, ret;

	c = vpnctl_connect(v, d, &code);
	if (!c)
		return code == VPNCTL_EDOWN ? VPNCTL_OK : code;
	dc->source = d == VPNCTL_IKD ? DIAG_FROM_IKD : DIAG_FROM_L2TPD;
	ret = ctl_client_request(c, cmd, build_peer, add_entry, dc, &err);
	ctl_client_close(c);
	if (ret < 0)
		return vpnctl_request_failed(d, cmd, ret, &err);
	dc->view.have[dc->source] = true;
	return VPNCTL_OK;
}

int cmd_diagnose(struct vpnctl *v, int argc, char **argv)
{
	struct diag_ctx dc;
	int code;

	memset(&dc, 0, sizeof dc);
	if (argc != 2 || !parse_addr(argv[1], &dc.peer)) {
		fprintf(stderr, "usage: vpnctl diagnose PEER-ADDRESS (e.g. 192.0.2.7)\n");
		return VPNCTL_EUSAGE;
	}
	code = ask(v, &dc, VPNCTL_IKD, CTL_CMD_PEER_DIAG);
	if (code == VPNCTL_OK)
		code = ask(v, &dc, VPNCTL_L2TPD, CTL_CMD_L2TP_PEER_DIAG);
	if (code == VPNCTL_OK && !dc.view.have[DIAG_FROM_IKD] && !dc.view.have[DIAG_FROM_L2TPD])
		code = VPNCTL_EDOWN;    /* vpnctl_connect said which ones */
	if (code == VPNCTL_OK) {
		diag_view_sort(&dc.view);
		diag_view_print(&dc.view, stdout, v->json, argv[1], time(NULL));
	}
	diag_view_free(&dc.view);
	return code;
}
