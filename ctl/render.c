/* Table and JSON output driven by the control-protocol catalogue. */
#include "ctl/render.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/ctl_proto.h"
#include "common/log.h"

static const struct ctl_attr_policy *policy_of(uint16_t type)
{
	if (type > ctl_attr_space.max || !ctl_attr_space.attrs[type].name)
		return NULL;
	return &ctl_attr_space.attrs[type];
}

/* Attributes whose u8 value is an enumeration: printed by name. */
static const struct ctl_enum_name *enum_table_of(uint16_t type)
{
	switch (type) {
	case CTL_A_IKE_STATE: return ctl_ike_state_names;
	case CTL_A_AUTH_METHOD: return ctl_auth_method_names;
	case CTL_A_IPSEC_MODE: return ctl_ipsec_mode_names;
	case CTL_A_TUNNEL_STATE: return ctl_tunnel_state_names;
	case CTL_A_SESSION_STATE: return ctl_session_state_names;
	case CTL_A_DIAG_STAGE: return ctl_diag_stage_names;
	case CTL_A_DIAG_RESULT: return ctl_diag_result_names;
	default: return NULL;
	}
}

static bool is_duration(uint16_t type)
{
	return type == CTL_A_AGE_SEC || type == CTL_A_UPTIME_SEC || type == CTL_A_REKEY_IN_SEC;
}

static bool is_bytes(uint16_t type)
{
	return type == CTL_A_BYTES_IN || type == CTL_A_BYTES_OUT;
}

static bool is_hex(uint16_t type)
{
	return type == CTL_A_SPI_I || type == CTL_A_SPI_R || type == CTL_A_SPI_IN ||
	       type == CTL_A_SPI_OUT || type == CTL_A_XFRM_MARK;
}

static uint64_t attr_uint(const struct nlattr *a, uint8_t t)
{
	switch (t) {
	case CTL_T_U8: return mnl_attr_get_u8(a);
	case CTL_T_U16: return mnl_attr_get_u16(a);
	case CTL_T_U32: return mnl_attr_get_u32(a);
	default: return mnl_attr_get_u64(a);
	}
}

/* "192.0.2.1" and the port, or false when the nest is malformed. */
static bool attr_addr(const struct nlattr *a, char *addr, size_t len, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (ctl_attr_get_sockaddr(a, &ss, &sl) < 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)len);
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)len);
		*port = ntohs(s6->sin6_port);
	}
	return true;
}

static void human_duration(uint64_t s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
}

static void human_bytes(uint64_t b, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", b);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %ciB", v, units[u]);
}

void render_value_human(const struct nlattr *a, uint16_t type, char *buf, size_t len)
{
	const struct ctl_attr_policy *p = policy_of(type);
	const struct ctl_enum_name *names = enum_table_of(type);
	char addr[INET6_ADDRSTRLEN];
	uint16_t port;
	uint64_t v;

	if (!a || !p) {
		snprintf(buf, len, "-");
		return;
	}
	switch (p->type) {
	case CTL_T_U8:
	case CTL_T_U16:
	case CTL_T_U32:
	case CTL_T_U64:
		v = attr_uint(a, p->type);
		if (names)
			snprintf(buf, len, "%s", ctl_enum_name(names, (uint32_t)v, "?"));
		else if (type == CTL_A_LOG_LEVEL)
			snprintf(buf, len, "%s", log_level_name((enum log_level)v));
		else if (is_duration(type))
			human_duration(v, buf, len);
		else if (is_bytes(type))
			human_bytes(v, buf, len);
		else if (is_hex(type))
			snprintf(buf, len, p->type == CTL_T_U64 ? "%016" PRIx64 : "0x%08" PRIx64, v);
		else
			snprintf(buf, len, "%" PRIu64, v);
		break;
	case CTL_T_FLAG:
		snprintf(buf, len, "yes");
		break;
	case CTL_T_STRING:
		snprintf(buf, len, "%s", mnl_attr_get_str(a));
		break;
	case CTL_T_SOCKADDR:
		if (!attr_addr(a, addr, sizeof(addr), &port))
			snprintf(buf, len, "?");
		else if (port == 0)
			snprintf(buf, len, "%s", addr);
		else if (strchr(addr, ':'))
			snprintf(buf, len, "[%s]:%u", addr, port);
		else
			snprintf(buf, len, "%s:%u", addr, port);
		break;
	default:
		snprintf(buf, len, "(%u bytes)", (unsigned)mnl_attr_get_payload_len(a));
	}
}

void render_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void json_key(FILE *out, const char *name, const char *suffix, bool *first)
{
	if (!*first)
		fputc(',', out);
	*first = false;
	fputc('"', out);
	for (const char *c = name; *c; c++)
		fputc(*c == '-' ? '_' : *c, out);
	fprintf(out, "%s\":", suffix);
}

static void json_member(FILE *out, const struct nlattr *a, uint16_t type, bool *first)
{
	const struct ctl_attr_policy *p = policy_of(type);
	const struct ctl_enum_name *names = enum_table_of(type);
	char addr[INET6_ADDRSTRLEN];
	size_t nl = strlen(p->name);
	uint16_t port;
	uint64_t v;

	switch (p->type) {
	case CTL_T_U8:
	case CTL_T_U16:
	case CTL_T_U32:
	case CTL_T_U64:
		v = attr_uint(a, p->type);
		json_key(out, p->name, "", first);
		if (names)
			render_json_string(out, ctl_enum_name(names, (uint32_t)v, "unknown"));
		else if (type == CTL_A_LOG_LEVEL)
			render_json_string(out, log_level_name((enum log_level)v));
		else
			fprintf(out, "%" PRIu64, v);
		break;
	case CTL_T_FLAG:
		json_key(out, p->name, "", first);
		fputs("true", out);
		break;
	case CTL_T_STRING:
		json_key(out, p->name, "", first);
		render_json_string(out, mnl_attr_get_str(a));
		break;
	case CTL_T_SOCKADDR:
		if (!attr_addr(a, addr, sizeof(addr), &port))
			break;
		json_key(out, p->name, "", first);
		render_json_string(out, addr);
		if (nl > 5 && strcmp(p->name + nl - 5, "-addr") == 0) {
			char base[64];

			snprintf(base, sizeof(base), "%.*s", (int)(nl - 5), p->name);
			json_key(out, base, "_port", first);
			fprintf(out, "%u", port);
		}
		break;
	default:
		break;  /* nested/binary: nothing scripts need yet */
	}
}

void render_json_members(FILE *out, const struct nlattr *const *tb)
{
	bool first = true;

	for (uint16_t t = 1; t <= CTL_A_MAX; t++)
		if (tb[t] && policy_of(t))
			json_member(out, tb[t], t, &first);
}

void render_kv(FILE *out, const char *indent, const struct nlattr *const *tb)
{
	char val[256];

	for (uint16_t t = 1; t <= CTL_A_MAX; t++) {
		if (!tb[t] || !policy_of(t))
			continue;
		render_value_human(tb[t], t, val, sizeof(val));
		fprintf(out, "%s%-16s %s\n", indent, ctl_attr_name(t), val);
	}
}

void render_begin(struct render_table *t, const struct render_col *cols, size_t ncols,
		  bool json, FILE *out)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->ncols = ncols;
	t->json = json;
	t->out = out;
	if (json)
		fputc('[', out);
}

int render_row(struct render_table *t, const struct nlattr *const *tb)
{
	char val[256];

	if (t->json) {
		fputs(t->any ? ",\n {" : "\n {", t->out);
		render_json_members(t->out, tb);
		fputc('}', t->out);
		t->any = true;
		return 0;
	}
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));

		if (!cells)
			return -ENOMEM;
		t->cells = cells;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		render_value_human(tb[t->cols[c].attr], t->cols[c].attr, val, sizeof(val));
		t->cells[t->nrows * t->ncols + c] = strdup(val);
		if (!t->cells[t->nrows * t->ncols + c]) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

static void print_cell(FILE *out, const char *s, size_t width, bool last)
{
	if (last)
		fprintf(out, "%s\n", s);
	else
		fprintf(out, "%-*s  ", (int)width, s);
}

void render_end(struct render_table *t, const char *empty)
{
	size_t width[32] = { 0 };
	size_t ncols = t->ncols < 32 ? t->ncols : 32;

	if (t->json) {
		fputs(t->any ? "\n]\n" : "]\n", t->out);
		return;
	}
	if (t->nrows == 0) {
		if (empty)
			fprintf(t->out, "%s\n", empty);
		free(t->cells);
		return;
	}
	for (size_t c = 0; c < ncols; c++) {
		width[c] = strlen(t->cols[c].header);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = strlen(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t c = 0; c < ncols; c++)
		print_cell(t->out, t->cols[c].header, width[c], c + 1 == ncols);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < ncols; c++)
			print_cell(t->out, t->cells[r * t->ncols + c], width[c], c + 1 == ncols);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
}
