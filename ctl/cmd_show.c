/* Read-only commands: status, version and the lists. */
#include "ctl/vpnctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/render.h"

static int reply_kv(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct vpnctl *v = arg;

	(void)nlh;
	if (v->json)
		render_json_members(stdout, tb);
	else
		render_kv(stdout, "  ", tb);
	return 0;
}

/* Ask both daemons one generic question; a daemon that is down is reported, not fatal. */
static int ask_both(struct vpnctl *v, uint16_t cmd)
{
	int worst = VPNCTL_OK;

	if (v->json)
		fputc('{', stdout);
	for (int d = VPNCTL_IKD; d <= VPNCTL_L2TPD; d++) {
		struct ctl_error err = { 0 };
		struct ctl_client *c;
		int code, ret;

		if (v->json)
			printf("%s\"%s\":", d ? "," : "", vpnctl_daemon_name(d));
		c = vpnctl_connect(v, d, &code);
		if (!c) {
			if (v->json)
				fputs("null", stdout);
			else
				printf("%s: not running\n", vpnctl_daemon_name(d));
			worst = worst ? worst : code;
			continue;
		}
		if (v->json)
			fputc('{', stdout);
		else
			printf("%s:\n", vpnctl_daemon_name(d));
		ret = ctl_client_request(c, cmd, NULL, reply_kv, v, &err);
		if (v->json)
			fputc('}', stdout);
		if (ret < 0) {
			fflush(stdout);
			code = vpnctl_request_failed(d, cmd, ret, &err);
			worst = worst ? worst : code;
		}
		ctl_client_close(c);
	}
	if (v->json)
		fputs("}\n", stdout);
	return worst;
}

int cmd_status(struct vpnctl *v, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ask_both(v, CTL_CMD_STATUS);
}

int cmd_version(struct vpnctl *v, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (!v->json)
		printf("vpnctl %s\n", L2SEC_VERSION);
	return ask_both(v, CTL_CMD_VERSION);
}

struct list_ctx {
	struct render_table table;
	uint16_t filter_attr;
	const char *filter_str;
	uint32_t filter_u32;
};

static int build_filter(struct ctl_msg *m, void *arg)
{
	const struct list_ctx *lc = arg;

	if (!lc->filter_attr)
		return 0;
	if (lc->filter_str)
		return ctl_msg_put_str(m, lc->filter_attr, lc->filter_str);
	return ctl_msg_put_u32(m, lc->filter_attr, lc->filter_u32);
}

static int reply_row(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct list_ctx *lc = arg;

	(void)nlh;
	return render_row(&lc->table, tb);
}

static int run_list(struct vpnctl *v, enum vpnctl_daemon d, uint16_t cmd,
		    const struct render_col *cols, size_t ncols, struct list_ctx *lc,
		    const char *empty)
{
	struct ctl_error err = { 0 };
	struct ctl_client *c;
	int code, ret;

	c = vpnctl_connect(v, d, &code);
	if (!c)
		return code;
	render_begin(&lc->table, cols, ncols, v->json, stdout);
	ret = ctl_client_request(c, cmd, build_filter, reply_row, lc, &err);
	render_end(&lc->table, ret < 0 ? NULL : empty);
	ctl_client_close(c);
	if (ret < 0) {
		fflush(stdout);
		return vpnctl_request_failed(d, cmd, ret, &err);
	}
	return VPNCTL_OK;
}

/* An optional numeric or string filter argument. */
static int parse_filter(int argc, char **argv, struct list_ctx *lc, uint16_t num_attr,
			uint16_t str_attr, const char *usage)
{
	char *end;
	unsigned long n;

	memset(lc, 0, sizeof(*lc));
	if (argc > 2) {
		fprintf(stderr, "usage: vpnctl %s\n", usage);
		return VPNCTL_EUSAGE;
	}
	if (argc < 2)
		return VPNCTL_OK;
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (num_attr && *end == '\0' && !errno && n <= UINT32_MAX) {
		lc->filter_attr = num_attr;
		lc->filter_u32 = (uint32_t)n;
	} else if (str_attr) {
		lc->filter_attr = str_attr;
		lc->filter_str = argv[1];
	} else {
		fprintf(stderr, "vpnctl: '%s' is not a number\nusage: vpnctl %s\n", argv[1], usage);
		return VPNCTL_EUSAGE;
	}
	return VPNCTL_OK;
}

#define COLS(x) x, sizeof(x) / sizeof(x[0])

int cmd_ike(struct vpnctl *v, int argc, char **argv)
{
	static const struct render_col cols[] = {
		{ CTL_A_IKE_SA_ID, "ID" },        { CTL_A_CONN_NAME, "CONN" },
		{ CTL_A_IKE_STATE, "STATE" },     { CTL_A_PEER_ADDR, "PEER" },
		{ CTL_A_PEER_ID, "PEER-ID" },     { CTL_A_AUTH_METHOD, "AUTH" },
		{ CTL_A_ENC_ALG, "ENC" },         { CTL_A_INTEG_ALG, "INTEG" },
		{ CTL_A_DH_GROUP, "DH" },         { CTL_A_NAT_PEER, "PEER-NAT" },
		{ CTL_A_AGE_SEC, "AGE" },         { CTL_A_REKEY_IN_SEC, "REKEY-IN" },
	};
	struct list_ctx lc;
	int r = parse_filter(argc, argv, &lc, 0, CTL_A_CONN_NAME, "ike [CONNECTION]");

	return r ? r : run_list(v, VPNCTL_IKD, CTL_CMD_IKE_SA_LIST, COLS(cols), &lc,
				"no IKE SAs");
}

int cmd_sa(struct vpnctl *v, int argc, char **argv)
{
	static const struct render_col cols[] = {
		{ CTL_A_CHILD_SA_ID, "ID" },      { CTL_A_IKE_SA_ID, "IKE" },
		{ CTL_A_CONN_NAME, "CONN" },      { CTL_A_IPSEC_MODE, "MODE" },
		{ CTL_A_PEER_ADDR, "PEER" },      { CTL_A_SPI_IN, "SPI-IN" },
		{ CTL_A_SPI_OUT, "SPI-OUT" },     { CTL_A_ENC_ALG, "ENC" },
		{ CTL_A_INTEG_ALG, "INTEG" },     { CTL_A_ENCAP, "UDP-ENCAP" },
		{ CTL_A_BYTES_IN, "IN" },         { CTL_A_BYTES_OUT, "OUT" },
		{ CTL_A_AGE_SEC, "AGE" },
	};
	struct list_ctx lc;
	int r = parse_filter(argc, argv, &lc, CTL_A_IKE_SA_ID, CTL_A_CONN_NAME,
			     "sa [IKE_SA_ID|CONNECTION]");

	return r ? r : run_list(v, VPNCTL_IKD, CTL_CMD_IPSEC_SA_LIST, COLS(cols), &lc,
				"no IPsec SAs");
}

int cmd_tunnels(struct vpnctl *v, int argc, char **argv)
{
	static const struct render_col cols[] = {
		{ CTL_A_TUNNEL_ID, "ID" },        { CTL_A_PEER_TUNNEL_ID, "PEER-ID" },
		{ CTL_A_TUNNEL_STATE, "STATE" },  { CTL_A_PEER_ADDR, "PEER" },
		{ CTL_A_HOSTNAME, "HOSTNAME" },   { CTL_A_SESSION_COUNT, "SESSIONS" },
		{ CTL_A_AGE_SEC, "AGE" },
	};
	struct list_ctx lc;
	int r = parse_filter(argc, argv, &lc, 0, 0, "tunnels");

	return r ? r : run_list(v, VPNCTL_L2TPD, CTL_CMD_TUNNEL_LIST, COLS(cols), &lc,
				"no tunnels");
}

int cmd_sessions(struct vpnctl *v, int argc, char **argv)
{
	static const struct render_col cols[] = {
		{ CTL_A_USER, "USER" },           { CTL_A_CLIENT_IP, "IP" },
		{ CTL_A_IFNAME, "IFACE" },        { CTL_A_PEER_ADDR, "PEER" },
		{ CTL_A_PEER_ID, "IKE-ID" },      { CTL_A_TUNNEL_ID, "TUNNEL" },
		{ CTL_A_SESSION_ID, "SESSION" },  { CTL_A_SESSION_STATE, "STATE" },
		{ CTL_A_AGE_SEC, "UPTIME" },      { CTL_A_BYTES_IN, "IN" },
		{ CTL_A_BYTES_OUT, "OUT" },
	};
	struct list_ctx lc;
	int r = parse_filter(argc, argv, &lc, 0, CTL_A_USER, "sessions [USER]");

	return r ? r : run_list(v, VPNCTL_L2TPD, CTL_CMD_SESSION_LIST, COLS(cols), &lc,
				"no sessions");
}
