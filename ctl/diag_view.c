/* vpnctl diagnose: merging, summing up and printing the daemons' evidence. See diag_view.h. */
#include "ctl/diag_view.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "common/ctl_proto.h"
#include "ctl/render.h"

static const char *const source_names[] = { "ikd", "l2tpd" };

static const char *const step_labels[DIAG_STEP_COUNT] = { "IKE", "phase 2", "L2TP", "PPP" };
static const char *const step_keys[DIAG_STEP_COUNT] = { "ike", "phase2", "l2tp", "ppp" };

static enum diag_step step_of(uint8_t stage)
{
	switch (stage) {
	case CTL_DIAG_IPSEC: return DIAG_STEP_PHASE2;
	case CTL_DIAG_L2TP_TUNNEL:
	case CTL_DIAG_L2TP_SESSION: return DIAG_STEP_L2TP;
	case CTL_DIAG_PPP_LCP:
	case CTL_DIAG_PPP_AUTH:
	case CTL_DIAG_PPP_IPCP: return DIAG_STEP_PPP;
	default: return DIAG_STEP_IKE;
	}
}

/* The daemon that speaks for a step. */
static enum diag_source source_of(enum diag_step s)
{
	return s <= DIAG_STEP_PHASE2 ? DIAG_FROM_IKD : DIAG_FROM_L2TPD;
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	snprintf(dst, size, "%s", a ? mnl_attr_get_str(a) : "");
}

int diag_view_add(struct diag_view *v, enum diag_source src, const struct nlattr *const *tb)
{
	struct diag_item *it;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!tb[CTL_A_REASON])
		return -EINVAL;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct diag_item *n = realloc(v->items, cap * sizeof *n);

		if (!n)
			return -ENOMEM;
		v->items = n;
		v->cap = cap;
	}
	it = &v->items[v->n++];
	memset(it, 0, sizeof *it);
	it->source = (uint8_t)src;
	it->stage = tb[CTL_A_DIAG_STAGE] ? mnl_attr_get_u8(tb[CTL_A_DIAG_STAGE]) : CTL_DIAG_IKE;
	it->result = tb[CTL_A_DIAG_RESULT] ? mnl_attr_get_u8(tb[CTL_A_DIAG_RESULT])
					   : CTL_DIAG_FAILED;
	it->repeat = tb[CTL_A_REPEAT] ? mnl_attr_get_u32(tb[CTL_A_REPEAT]) : 1;
	if (tb[CTL_A_AGE_MS])
		it->age_ms = mnl_attr_get_u64(tb[CTL_A_AGE_MS]);
	else if (tb[CTL_A_AGE_SEC])
		it->age_ms = mnl_attr_get_u64(tb[CTL_A_AGE_SEC]) * 1000u;
	copy_str(it->text, sizeof it->text, tb[CTL_A_REASON]);
	copy_str(it->user, sizeof it->user, tb[CTL_A_USER]);
	copy_str(it->conn, sizeof it->conn, tb[CTL_A_CONN_NAME]);
	if (tb[CTL_A_PEER_ADDR] && ctl_attr_get_sockaddr(tb[CTL_A_PEER_ADDR], &ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, it->addr, sizeof it->addr);
			it->port = ntohs(s4->sin_port);
		} else {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, it->addr, sizeof it->addr);
			it->port = ntohs(s6->sin6_port);
		}
	}
	return 0;
}

static int older_first(const void *a, const void *b)
{
	const struct diag_item *x = a, *y = b;

	if (x->age_ms != y->age_ms)
		return x->age_ms > y->age_ms ? -1 : 1;
	return (int)x->stage - (int)y->stage;
}

void diag_view_sort(struct diag_view *v)
{
	if (v->n > 1)
		qsort(v->items, v->n, sizeof v->items[0], older_first);
}

void diag_view_free(struct diag_view *v)
{
	free(v->items);
	memset(v, 0, sizeof *v);
}

const struct diag_item *diag_view_verdict(const struct diag_view *v, enum diag_step step)
{
	for (size_t i = v->n; i-- > 0;)
		if (step_of(v->items[i].stage) == step && v->items[i].result != CTL_DIAG_ENDED)
			return &v->items[i];
	return NULL;
}

/* One step's verdict in words. */
static void step_words(const struct diag_view *v, enum diag_step s, char *buf, size_t len,
		       const char **status)
{
	const struct diag_item *it = diag_view_verdict(v, s);

	if (!v->have[source_of(s)]) {
		*status = "unknown";
		snprintf(buf, len, "unknown (%s not running)", source_names[source_of(s)]);
	} else if (!it) {
		*status = "none";
		snprintf(buf, len, "nothing recorded");
	} else if (it->result == CTL_DIAG_OK) {
		*status = "ok";
		snprintf(buf, len, "%s", s == DIAG_STEP_L2TP ? "tunnel ok" : "ok");
	} else {
		*status = "failed";
		snprintf(buf, len, "%s", it->text);
	}
}

void diag_view_summary(const struct diag_view *v, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int s = 0; s < DIAG_STEP_COUNT && off < len; s++) {
		char w[300];
		const char *status;

		step_words(v, (enum diag_step)s, w, sizeof w, &status);
		int n = snprintf(buf + off, len - off, "%s%s: %s", s ? ", " : "", step_labels[s],
				 w);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static void fmt_time(time_t now, uint64_t age_ms, char *buf, size_t len, bool full)
{
	time_t at = now - (time_t)(age_ms / 1000u);
	struct tm tm;

	localtime_r(&at, &tm);
	strftime(buf, len, full ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
}

static const char *stage_name(uint8_t stage)
{
	return ctl_enum_name(ctl_diag_stage_names, stage, "unknown");
}

static const char *result_name(uint8_t result)
{
	return ctl_enum_name(ctl_diag_result_names, result, "unknown");
}

static void print_json(const struct diag_view *v, FILE *out, const char *peer, time_t now)
{
	char sum[1400], w[300], t[32];
	const char *status;

	diag_view_summary(v, sum, sizeof sum);
	fputs("{\"peer\":", out);
	render_json_string(out, peer);
	fprintf(out, ",\"ikd\":%s,\"l2tpd\":%s,\"summary\":", v->have[0] ? "true" : "false",
		v->have[1] ? "true" : "false");
	render_json_string(out, sum);
	fputs(",\"checks\":[", out);
	for (int s = 0; s < DIAG_STEP_COUNT; s++) {
		step_words(v, (enum diag_step)s, w, sizeof w, &status);
		fprintf(out, "%s{\"step\":\"%s\",\"status\":\"%s\",\"reason\":", s ? "," : "",
			step_keys[s], status);
		render_json_string(out, w);
		fputc('}', out);
	}
	fputs("],\"events\":[", out);
	for (size_t i = 0; i < v->n; i++) {
		const struct diag_item *it = &v->items[i];

		fmt_time(now, it->age_ms, t, sizeof t, true);
		fprintf(out, "%s{\"time\":\"%s\",\"age_ms\":%" PRIu64 ",\"daemon\":\"%s\","
			"\"diag_stage\":\"%s\",\"diag_result\":\"%s\",\"repeat\":%" PRIu32 ","
			"\"peer_addr\":", i ? "," : "", t, it->age_ms, source_names[it->source],
			stage_name(it->stage), result_name(it->result), it->repeat);
		render_json_string(out, it->addr);
		fprintf(out, ",\"peer_port\":%u,\"user\":", it->port);
		render_json_string(out, it->user);
		fputs(",\"conn_name\":", out);
		render_json_string(out, it->conn);
		fputs(",\"reason\":", out);
		render_json_string(out, it->text);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

static void print_human(const struct diag_view *v, FILE *out, const char *peer, time_t now)
{
	char w[300], t[32], from[64], sum[1400];
	const char *status;

	fprintf(out, "Checklist for %s (the newest evidence of each step):\n", peer);
	for (int s = 0; s < DIAG_STEP_COUNT; s++) {
		step_words(v, (enum diag_step)s, w, sizeof w, &status);
		fprintf(out, "  %-8s %s\n", step_labels[s], w);
	}
	diag_view_summary(v, sum, sizeof sum);
	fprintf(out, "In short: %s\n", sum);
	if (!v->n) {
		fprintf(out, "\nNeither daemon remembers anything about %s.\n", peer);
		return;
	}
	fprintf(out, "\nWhat happened, oldest first:\n  %-8s %-6s %-21s %-12s %-7s %s\n", "TIME",
		"FROM", "PEER", "STEP", "RESULT", "WHAT");
	for (size_t i = 0; i < v->n; i++) {
		const struct diag_item *it = &v->items[i];

		fmt_time(now, it->age_ms, t, sizeof t, false);
		snprintf(from, sizeof from, "%s:%u", it->addr, it->port);
		fprintf(out, "  %-8s %-6s %-21s %-12s %-7s %s", t, source_names[it->source], from,
			stage_name(it->stage), result_name(it->result), it->text);
		if (it->repeat > 1)
			fprintf(out, " (%" PRIu32 " times)", it->repeat);
		fputc('\n', out);
	}
}

void diag_view_print(const struct diag_view *v, FILE *out, bool json, const char *peer,
		     time_t now)
{
	if (json)
		print_json(v, out, peer, now);
	else
		print_human(v, out, peer, now);
}
