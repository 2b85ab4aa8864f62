/* vpnctl events: follow both daemons' event streams, one line per event. */
#include "ctl/vpnctl.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/render.h"

struct events_ctx {
	struct vpnctl *v;
	struct ev_loop *loop;
	struct ctl_client *client[2];
	int open;
	long remaining;                 /* -n N: stop after N events; <0: forever */
};

struct stream {
	struct events_ctx *ec;
	enum vpnctl_daemon d;
};

static void print_time(FILE *out)
{
	char buf[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	fputs(buf, out);
}

static void on_event(const struct nlmsghdr *nlh, const struct nlattr *const *tb, void *arg)
{
	struct stream *s = arg;
	struct events_ctx *ec = s->ec;
	char val[256];

	if (ec->v->json) {
		fputs("{\"time\":\"", stdout);
		print_time(stdout);
		printf("\",\"daemon\":\"%s\",\"event\":\"%s\",", vpnctl_daemon_name(s->d),
		       ctl_cmd_name(nlh->nlmsg_type));
		render_json_members(stdout, tb);
		fputs("}\n", stdout);
	} else {
		print_time(stdout);
		printf(" %s %s", vpnctl_daemon_name(s->d), ctl_cmd_name(nlh->nlmsg_type));
		for (uint16_t t = 1; t <= CTL_A_MAX; t++) {
			if (!tb[t])
				continue;
			render_value_human(tb[t], t, val, sizeof(val));
			printf(strchr(val, ' ') ? " %s=\"%s\"" : " %s=%s", ctl_attr_name(t), val);
		}
		putchar('\n');
	}
	fflush(stdout);
	if (ec->remaining > 0 && --ec->remaining == 0)
		ev_break(ec->loop, EVBREAK_ALL);
}

static void on_closed(int err, void *arg)
{
	struct stream *s = arg;

	fprintf(stderr, "vpnctl: %s closed its event stream%s\n", vpnctl_daemon_name(s->d),
		err ? " (error)" : "");
	ctl_client_close(s->ec->client[s->d]);
	s->ec->client[s->d] = NULL;
	if (--s->ec->open == 0)
		ev_break(s->ec->loop, EVBREAK_ALL);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int cmd_events(struct vpnctl *v, int argc, char **argv)
{
	struct events_ctx ec = { .v = v, .remaining = -1 };
	struct stream streams[2];
	ev_signal sigint, sigterm;
	int code = VPNCTL_OK;

	if (argc == 3 && strcmp(argv[1], "-n") == 0) {
		ec.remaining = strtol(argv[2], NULL, 10);
		if (ec.remaining <= 0) {
			fprintf(stderr, "vpnctl: -n wants a positive count\n");
			return VPNCTL_EUSAGE;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: vpnctl events [-n COUNT]\n");
		return VPNCTL_EUSAGE;
	}
	ec.loop = ev_default_loop(0);
	for (int d = VPNCTL_IKD; d <= VPNCTL_L2TPD; d++) {
		struct ctl_error err = { 0 };
		struct ctl_client *c = vpnctl_connect(v, d, &code);

		streams[d] = (struct stream){ &ec, d };
		if (!c)
			continue;
		if (ctl_client_subscribe(c, CTL_EVENT_MASK_ALL, &err) < 0 ||
		    ctl_client_watch(c, ec.loop, on_event, on_closed, &streams[d]) < 0) {
			fprintf(stderr, "vpnctl: %s: subscribe: %s\n", vpnctl_daemon_name(d),
				err.msg[0] ? err.msg : "failed");
			ctl_client_close(c);
			continue;
		}
		ec.client[d] = c;
		ec.open++;
	}
	if (ec.open == 0)
		return code ? code : VPNCTL_EDOWN;
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_start(ec.loop, &sigint);
	ev_signal_start(ec.loop, &sigterm);
	ev_run(ec.loop, 0);
	for (int d = VPNCTL_IKD; d <= VPNCTL_L2TPD; d++)
		ctl_client_close(ec.client[d]);
	return VPNCTL_OK;
}
