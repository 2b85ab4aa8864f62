/* vpnctl diagnose PEER: why a peer could not connect, from ikd's memory of failures. */
#include "ctl/vpnctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ctl/render.h"

struct diag_ctx {
	struct sockaddr_storage peer;
	struct render_table table;
};

static int build_peer(struct ctl_msg *m, void *arg)
{
	const struct diag_ctx *dc = arg;

	ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&dc->peer);
	return ctl_msg_ok(m) ? 0 : -EMSGSIZE;
}

static int add_row(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct diag_ctx *dc = arg;

	(void)nlh;
	return render_row(&dc->table, tb);
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

int cmd_diagnose(struct vpnctl *v, int argc, char **argv)
{
	static const struct render_col cols[] = {
		{ CTL_A_AGE_SEC, "AGO" },
		{ CTL_A_CONN_NAME, "CONNECTION" },
		{ CTL_A_REASON, "WHAT WENT WRONG (newest first)" },
	};
	struct diag_ctx dc;
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	char empty[160];
	int code, ret;

	if (argc != 2 || !parse_addr(argv[1], &dc.peer)) {
		fprintf(stderr, "usage: vpnctl diagnose PEER-ADDRESS (e.g. 192.0.2.7)\n");
		return VPNCTL_EUSAGE;
	}
	c = vpnctl_connect(v, VPNCTL_IKD, &code);
	if (!c)
		return code;
	render_begin(&dc.table, cols, sizeof cols / sizeof cols[0], v->json, stdout);
	ret = ctl_client_request(c, CTL_CMD_PEER_DIAG, build_peer, add_row, &dc, &err);
	ctl_client_close(c);
	snprintf(empty, sizeof empty, "ikd remembers no failure from %s", argv[1]);
	render_end(&dc.table, empty);
	return ret < 0 ? vpnctl_request_failed(VPNCTL_IKD, CTL_CMD_PEER_DIAG, ret, &err)
		       : VPNCTL_OK;
}
