/* Commands that change state: they need root (the daemons check SO_PEERCRED). */
#include "ctl/vpnctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct change_ctx {
	struct vpnctl *v;
	uint16_t attr;                  /* what names the target */
	const char *str;
	uint32_t u32;
	struct sockaddr_storage addr;
	const char *reason;
	uint8_t level;
	const char *prefix;             /* printed before a reply's message, e.g. "l2tpd: " */
};

static int build_target(struct ctl_msg *m, void *arg)
{
	const struct change_ctx *cc = arg;

	switch (cc->attr) {
	case 0:
		break;
	case CTL_A_ALL:
		ctl_msg_put_flag(m, CTL_A_ALL);
		break;
	case CTL_A_PEER_ADDR:
		ctl_msg_put_sockaddr(m, CTL_A_PEER_ADDR, (const struct sockaddr *)&cc->addr);
		break;
	case CTL_A_LOG_LEVEL:
		ctl_msg_put_u8(m, CTL_A_LOG_LEVEL, cc->level);
		break;
	default:
		if (cc->str)
			ctl_msg_put_str(m, cc->attr, cc->str);
		else
			ctl_msg_put_u32(m, cc->attr, cc->u32);
	}
	if (cc->reason)
		ctl_msg_put_str(m, CTL_A_REASON, cc->reason);
	return ctl_msg_ok(m) ? 0 : -EMSGSIZE;
}

static int print_message(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct change_ctx *cc = arg;

	(void)nlh;
	if (cc->v->json)
		return 0;
	if (tb[CTL_A_MESSAGE])
		printf("%s%s\n", cc->prefix ? cc->prefix : "", mnl_attr_get_str(tb[CTL_A_MESSAGE]));
	if (tb[CTL_A_IKE_SA_ID])
		printf("ike-sa-id %u\n", mnl_attr_get_u32(tb[CTL_A_IKE_SA_ID]));
	return 0;
}

static int ask(struct change_ctx *cc, enum vpnctl_daemon d, uint16_t cmd)
{
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	int code, ret;

	c = vpnctl_connect(cc->v, d, &code);
	if (!c)
		return code;
	ret = ctl_client_request(c, cmd, build_target, print_message, cc, &err);
	ctl_client_close(c);
	return ret < 0 ? vpnctl_request_failed(d, cmd, ret, &err) : VPNCTL_OK;
}

/* "192.0.2.7", "192.0.2.7:4500", "2001:db8::7" or "[2001:db8::7]:4500". */
static bool parse_peer(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port = 0;
	char *end;

	memset(ss, 0, sizeof(*ss));
	snprintf(host, sizeof(host), "%s", s);
	if (s[0] == '[') {
		char *close = strchr(host, ']');

		if (!close)
			return false;
		*close = '\0';
		if (close[1] == ':') {
			port = strtoul(close + 2, &end, 10);
			if (*end || port > 65535)
				return false;
		} else if (close[1]) {
			return false;
		}
		memmove(host, host + 1, strlen(host));
	} else if (colon && strchr(s, ':') == colon) {
		host[colon - s] = '\0';
		port = strtoul(colon + 1, &end, 10);
		if (*end || port > 65535 || !colon[1])
			return false;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return true;
	}
	return false;
}

static bool parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (!*s || *end || errno || n > UINT32_MAX)
		return false;
	*out = (uint32_t)n;
	return true;
}

/*
 * Every L2TP tunnel (StopCCN) and every IKE SA (Delete): peers learn at once, and nothing
 * stays in the kernel. Either daemon may be down; the other is still asked.
 */
static int disconnect_all(struct vpnctl *v)
{
	struct change_ctx cc = { .v = v, .attr = CTL_A_ALL,
				 .reason = "vpnctl disconnect --all" };
	int r_l2tpd, r_ikd;

	cc.prefix = "l2tpd: ";
	r_l2tpd = ask(&cc, VPNCTL_L2TPD, CTL_CMD_DISCONNECT);
	cc.prefix = "ikd: ";
	r_ikd = ask(&cc, VPNCTL_IKD, CTL_CMD_TERMINATE);
	if (r_l2tpd == VPNCTL_EDOWN && r_ikd == VPNCTL_EDOWN)
		return VPNCTL_EDOWN;
	if (r_l2tpd != VPNCTL_OK && r_l2tpd != VPNCTL_EDOWN)
		return r_l2tpd;
	if (r_ikd != VPNCTL_OK && r_ikd != VPNCTL_EDOWN)
		return r_ikd;
	return VPNCTL_OK;
}

int cmd_disconnect(struct vpnctl *v, int argc, char **argv)
{
	static const char usage[] =
		"usage: vpnctl disconnect USER | session ID | tunnel ID | peer ADDR[:PORT] | --all\n";
	struct change_ctx cc = { .v = v, .reason = "vpnctl disconnect" };
	const char *kind = argc == 3 ? argv[1] : NULL;
	const char *what = argc == 3 ? argv[2] : argc == 2 ? argv[1] : NULL;
	int r;

	if (!what) {
		fputs(usage, stderr);
		return VPNCTL_EUSAGE;
	}
	if (strcmp(what, "--all") == 0 && !kind)
		return disconnect_all(v);
	if (kind && strcmp(kind, "session") == 0) {
		cc.attr = CTL_A_SESSION_ID;
	} else if (kind && strcmp(kind, "tunnel") == 0) {
		cc.attr = CTL_A_TUNNEL_ID;
	} else if (kind && strcmp(kind, "user") == 0) {
		cc.attr = CTL_A_USER;
		cc.str = what;
	} else if ((kind && strcmp(kind, "peer") == 0) || (!kind && parse_peer(what, &cc.addr))) {
		cc.attr = CTL_A_PEER_ADDR;
		if (!parse_peer(what, &cc.addr)) {
			fprintf(stderr, "vpnctl: '%s' is not an address\n", what);
			return VPNCTL_EUSAGE;
		}
	} else if (!kind) {
		cc.attr = CTL_A_USER;
		cc.str = what;
	} else {
		fputs(usage, stderr);
		return VPNCTL_EUSAGE;
	}
	if ((cc.attr == CTL_A_SESSION_ID || cc.attr == CTL_A_TUNNEL_ID) && !parse_u32(what, &cc.u32)) {
		fprintf(stderr, "vpnctl: '%s' is not a %s id\n", what, kind);
		return VPNCTL_EUSAGE;
	}
	r = ask(&cc, VPNCTL_L2TPD, CTL_CMD_DISCONNECT);
	/* A peer may hold IPsec SAs without any L2TP tunnel: drop those too. */
	if (cc.attr == CTL_A_PEER_ADDR && (r == VPNCTL_OK || r == VPNCTL_ENOTFOUND)) {
		int r2 = ask(&cc, VPNCTL_IKD, CTL_CMD_TERMINATE);

		r = (r == VPNCTL_OK || r2 == VPNCTL_OK) ? VPNCTL_OK : r2;
	}
	return r;
}

static int conn_command(struct vpnctl *v, int argc, char **argv, uint16_t cmd)
{
	struct change_ctx cc = { .v = v, .attr = CTL_A_CONN_NAME };

	if (argc != 2) {
		fprintf(stderr, "usage: vpnctl %s CONNECTION\n", argv[0]);
		return VPNCTL_EUSAGE;
	}
	cc.str = argv[1];
	if (cmd == CTL_CMD_TERMINATE)
		cc.reason = "terminated by admin (vpnctl down)";
	return ask(&cc, VPNCTL_IKD, cmd);
}

int cmd_up(struct vpnctl *v, int argc, char **argv)
{
	return conn_command(v, argc, argv, CTL_CMD_INITIATE);
}

int cmd_down(struct vpnctl *v, int argc, char **argv)
{
	return conn_command(v, argc, argv, CTL_CMD_TERMINATE);
}

/* reload / log-level go to one daemon when named, else to both. */
static int each_daemon(struct change_ctx *cc, const char *only, uint16_t cmd)
{
	int worst = VPNCTL_OK;

	for (int d = VPNCTL_IKD; d <= VPNCTL_L2TPD; d++) {
		int r;

		if (only && strcmp(only, vpnctl_daemon_name(d)) != 0)
			continue;
		if (!cc->v->json && !only)
			printf("%s: ", vpnctl_daemon_name(d));
		fflush(stdout);
		r = ask(cc, d, cmd);
		if (!cc->v->json && !only && r == VPNCTL_OK)
			printf("ok\n");
		worst = worst ? worst : r;
	}
	return worst;
}

static bool is_daemon(const char *s)
{
	return strcmp(s, "ikd") == 0 || strcmp(s, "l2tpd") == 0;
}

int cmd_reload(struct vpnctl *v, int argc, char **argv)
{
	struct change_ctx cc = { .v = v };

	if (argc > 2 || (argc == 2 && !is_daemon(argv[1]))) {
		fprintf(stderr, "usage: vpnctl reload [ikd|l2tpd]\n");
		return VPNCTL_EUSAGE;
	}
	return each_daemon(&cc, argc == 2 ? argv[1] : NULL, CTL_CMD_RELOAD);
}

int cmd_log_level(struct vpnctl *v, int argc, char **argv)
{
	struct change_ctx cc = { .v = v, .attr = CTL_A_LOG_LEVEL };
	const char *only = argc == 3 ? argv[1] : NULL;
	int lvl = argc >= 2 ? log_level_parse(argv[argc - 1]) : -1;

	if (argc < 2 || argc > 3 || lvl < 0 || (only && !is_daemon(only))) {
		fprintf(stderr, "usage: vpnctl log-level [ikd|l2tpd] err|warn|notice|info|debug\n");
		return VPNCTL_EUSAGE;
	}
	cc.level = (uint8_t)lvl;
	return each_daemon(&cc, only, CTL_CMD_SET_LOG_LEVEL);
}
