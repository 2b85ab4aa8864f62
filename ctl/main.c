/*
 * vpnctl - see and steer ikd and l2tpd. The subcommand table below both dispatches and
 * prints the usage; each command lives in a small file of its group.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vpnctl.h"

static const struct vpnctl_cmd commands[] = {
	{ "status", cmd_status, "", "overview of both daemons" },
	{ "ike", cmd_ike, "[CONNECTION]", "IKE SAs" },
	{ "sa", cmd_sa, "[IKE_SA_ID|CONNECTION]", "IPsec SAs with their counters" },
	{ "tunnels", cmd_tunnels, "", "L2TP tunnels" },
	{ "sessions", cmd_sessions, "[USER]", "users connected: IP, interface, peer, uptime, bytes" },
	{ "disconnect", cmd_disconnect, "USER | session ID | tunnel ID | peer ADDR[:PORT] | --all",
	  "end a user's session(s) and their IPsec SAs" },
	{ "up", cmd_up, "CONNECTION", "initiate a configured connection" },
	{ "down", cmd_down, "CONNECTION", "terminate a connection's SAs" },
	{ "reload", cmd_reload, "[ikd|l2tpd]", "re-read the configuration" },
	{ "log-level", cmd_log_level, "[ikd|l2tpd] LEVEL", "set the log level at run time" },
	{ "events", cmd_events, "[-n COUNT]", "follow both daemons' events" },
	{ "diagnose", cmd_diagnose, "PEER", "why a peer failed to connect: IKE, IPsec, L2TP, PPP" },
	{ "version", cmd_version, "", "versions of vpnctl and the daemons" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vpnctl [--json] [--rundir DIR] [--timeout MS] COMMAND [ARGS]\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		if (strlen(left) > 34)
			fprintf(out, "  %s\n  %-34s %s\n", left, "", commands[i].help);
		else
			fprintf(out, "  %-34s %s\n", left, commands[i].help);
	}
	fprintf(out, "\nexit codes: 0 ok, 1 request failed, 2 usage, 3 daemon not running,\n"
		     "            4 permission denied, 5 not found. See vpnctl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "rundir", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vpnctl v = { .rundir = getenv("L2SEC_RUNDIR"), .timeout_ms = 5000 };
	int c;

	if (!v.rundir || !v.rundir[0])
		v.rundir = L2SEC_RUNDIR;
	while ((c = getopt_long(argc, argv, "+jr:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			v.json = true;
			break;
		case 'r':
			v.rundir = optarg;
			break;
		case 't':
			v.timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
			if (v.timeout_ms == 0) {
				fprintf(stderr, "vpnctl: --timeout wants milliseconds > 0\n");
				return VPNCTL_EUSAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return VPNCTL_OK;
		default:
			usage(stderr);
			return VPNCTL_EUSAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VPNCTL_EUSAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			return commands[i].run(&v, argc - optind, argv + optind);
	fprintf(stderr, "vpnctl: unknown command '%s'\n\n", argv[optind]);
	usage(stderr);
	return VPNCTL_EUSAGE;
}
