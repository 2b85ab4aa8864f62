/*
 * ikd.conf and secrets.conf loading. See ikd_conf.h.
 */
#include "ikd/ikd_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* One load: the file being read and where its errors go. */
struct loader {
	const char *file;
	struct ikd_conf_diag *diag;
	unsigned errors;
};

static void diag_add(struct loader *ld, const config_setting_t *s, const char *key,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void diag_add(struct loader *ld, const config_setting_t *s, const char *key,
		     const char *fmt, ...)
{
	ld->errors++;
	if (!ld->diag)
		return;
	unsigned i = ld->diag->n++;
	if (i >= IKD_DIAG_MAX)
		return;
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	int line = s ? config_setting_source_line(s) : 0;
	snprintf(ld->diag->text[i], IKD_DIAG_LEN, "%s:%d: %s: %s", ld->file, line, key, what);
}

/* ---- value helpers: each reports its own error and leaves *out unchanged ---------- */

static void get_str(struct loader *ld, const config_setting_t *grp, const char *key,
		    const char *path, char *out, size_t size)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	const char *v = config_setting_get_string(s);
	if (!v) {
		diag_add(ld, s, path, "must be a string");
		return;
	}
	if (strlen(v) >= size) {
		diag_add(ld, s, path, "longer than %zu characters", size - 1);
		return;
	}
	snprintf(out, size, "%s", v);
}

static void get_uint(struct loader *ld, const config_setting_t *grp, const char *key,
		     const char *path, uint64_t min, uint64_t max, uint64_t *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		diag_add(ld, s, path, "must be a number");
		return;
	}
	long long v = config_setting_get_int64(s);
	if (v < 0 || (uint64_t)v < min || (uint64_t)v > max) {
		diag_add(ld, s, path, "must be %llu..%llu (got %lld)", (unsigned long long)min,
			 (unsigned long long)max, v);
		return;
	}
	*out = (uint64_t)v;
}

#define GET_U32(ld, g, key, path, min, max, dst)                                   \
	do {                                                                       \
		uint64_t v_ = (dst);                                               \
		get_uint(ld, g, key, path, min, max, &v_);                         \
		(dst) = (__typeof__(dst))v_;                                       \
	} while (0)

static void get_bool(struct loader *ld, const config_setting_t *grp, const char *key,
		     const char *path, bool *out)
{
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		diag_add(ld, s, path, "must be true or false");
		return;
	}
	*out = config_setting_get_bool(s);
}

/* A string member that must be one of names[]; *out gets values[i]. */
static void get_enum(struct loader *ld, const config_setting_t *grp, const char *key,
		     const char *path, const char *const *names, const int *values, size_t n,
		     int *out)
{
	char v[64] = "";
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	get_str(ld, grp, key, path, v, sizeof v);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = values[i];
			return;
		}
	}
	char list[160] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(list, names[i], sizeof list - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, i + 2 == n ? " or " : ", ", sizeof list - strlen(list) - 1);
	}
	diag_add(ld, s, path, "must be %s (got '%s')", list, v);
}

static void get_host(struct loader *ld, const config_setting_t *grp, const char *key,
		     const char *path, struct ikd_host *out)
{
	char v[INET6_ADDRSTRLEN + 8] = "";
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	get_str(ld, grp, key, path, v, sizeof v);
	if (ikd_host_parse(v, out) < 0)
		diag_add(ld, s, path, "not an address, subnet or %%any (got '%s')", v);
}

static void get_id(struct loader *ld, const config_setting_t *grp, const char *key,
		   const char *path, struct ikd_id *out)
{
	char v[IKD_ID_MAX] = "";
	const config_setting_t *s = config_setting_get_member(grp, key);
	if (!s)
		return;
	get_str(ld, grp, key, path, v, sizeof v);
	if (ikd_id_parse(v, out) < 0)
		diag_add(ld, s, path, "not a valid identity (got '%s')", v);
}

/* "udp/1701", "17/1701", "udp/%any", "udp", "%any" -> proto, port. */
static int protoport_parse(const char *s, uint8_t *proto, uint16_t *port)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%s", s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	if (strcmp(buf, "%any") == 0 || buf[0] == 0)
		*proto = 0;
	else if (strcmp(buf, "udp") == 0)
		*proto = IPPROTO_UDP;
	else if (strcmp(buf, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else {
		char *end;
		unsigned long v = strtoul(buf, &end, 10);
		if (*end || v > 255)
			return -EINVAL;
		*proto = (uint8_t)v;
	}
	*port = 0;
	if (slash && strcmp(slash, "%any") != 0) {
		char *end;
		unsigned long v = strtoul(slash, &end, 10);
		if (*end || v > 65535 || !*slash)
			return -EINVAL;
		*port = (uint16_t)v;
	}
	return 0;
}

/* ---- sections -------------------------------------------------------------------- */

static void settings_defaults(struct ikd_settings *s)
{
	snprintf(s->log_level, sizeof s->log_level, "info");
	snprintf(s->socket, sizeof s->socket, "%s/ikd.sock", L2SEC_RUNDIR);
	snprintf(s->secrets, sizeof s->secrets, "%s/secrets.conf", L2SEC_CONFDIR);
	s->ike_port = 500;
	s->natt_port = 4500;
	s->ipv6 = true;
	s->half_open_max = 2048;
	s->half_open_per_peer = 64;
	s->retransmit_ms = 1000;
	s->retransmit_tries = 6;
	s->nat_keepalive = 20;
	s->mark_base = 0x100;
	s->fragment_size = IKD_FRAGMENT_SIZE_DEFAULT;
}

static void load_settings(struct loader *ld, const config_setting_t *g, struct ikd_settings *s)
{
	get_str(ld, g, "log_level", "ikd.log_level", s->log_level, sizeof s->log_level);
	if (strcmp(s->log_level, "err") && strcmp(s->log_level, "warn") &&
	    strcmp(s->log_level, "notice") && strcmp(s->log_level, "info") &&
	    strcmp(s->log_level, "debug"))
		diag_add(ld, config_setting_get_member(g, "log_level"), "ikd.log_level",
			 "must be err, warn, notice, info or debug (got '%s')", s->log_level);
	get_str(ld, g, "socket", "ikd.socket", s->socket, sizeof s->socket);
	get_str(ld, g, "secrets", "ikd.secrets", s->secrets, sizeof s->secrets);
	get_str(ld, g, "keylog", "ikd.keylog", s->keylog, sizeof s->keylog);
	GET_U32(ld, g, "ike_port", "ikd.ike_port", 1, 65535, s->ike_port);
	GET_U32(ld, g, "natt_port", "ikd.natt_port", 1, 65535, s->natt_port);
	get_bool(ld, g, "ipv6", "ikd.ipv6", &s->ipv6);
	GET_U32(ld, g, "half_open_max", "ikd.half_open_max", 1, 1000000, s->half_open_max);
	GET_U32(ld, g, "half_open_per_peer", "ikd.half_open_per_peer", 1, 1000000,
		s->half_open_per_peer);
	GET_U32(ld, g, "retransmit_ms", "ikd.retransmit_ms", 50, 60000, s->retransmit_ms);
	GET_U32(ld, g, "retransmit_tries", "ikd.retransmit_tries", 0, 20, s->retransmit_tries);
	GET_U32(ld, g, "nat_keepalive", "ikd.nat_keepalive", 0, 3600, s->nat_keepalive);
	GET_U32(ld, g, "socket_mark", "ikd.socket_mark", 0, UINT32_MAX, s->socket_mark);
	get_bool(ld, g, "nat_marks", "ikd.nat_marks", &s->nat_marks);
	GET_U32(ld, g, "mark_base", "ikd.mark_base", 1, 0xff000000u, s->mark_base);
	GET_U32(ld, g, "fragment_size", "ikd.fragment_size", IKD_FRAGMENT_SIZE_MIN, 65535,
		s->fragment_size);
	get_str(ld, g, "user", "ikd.user", s->user, sizeof s->user);
	get_str(ld, g, "group", "ikd.group", s->group, sizeof s->group);
	if (s->user[0] && !getpwnam(s->user))
		diag_add(ld, config_setting_get_member(g, "user"), "ikd.user",
			 "no such user (got '%s')", s->user);
	if (s->group[0] && !getgrnam(s->group))
		diag_add(ld, config_setting_get_member(g, "group"), "ikd.group",
			 "no such group (got '%s')", s->group);
	if (s->group[0] && !s->user[0])
		diag_add(ld, config_setting_get_member(g, "group"), "ikd.group",
			 "needs ikd.user as well");
	if (s->ike_port == s->natt_port)
		diag_add(ld, g, "ikd.natt_port", "must differ from ike_port (%u)", s->ike_port);
}

static void conn_defaults(struct ikd_conn *c)
{
	memset(c, 0, sizeof *c);
	c->local.any = c->remote.any = true;
	c->remote_port = 500;
	c->auth = IKD_AUTH_PSK;
	c->ike_lifetime = 28800;
	c->lifetime = 3600;
	c->rekey_margin = 540;
	c->dpd_delay = 30;
	c->dpd_timeout = 150;
	c->natt = true;
	c->fragmentation = true;
	c->mode = IKD_MODE_TRANSPORT;
	c->proto = IPPROTO_UDP;
	c->local_port = 1701;
	c->local_subnet.any = c->remote_subnet.any = true;
}

static const char *const auth_names[] = { "psk", "rsa" };
static const int auth_values[] = { IKD_AUTH_PSK, IKD_AUTH_RSA };
static const char *const mode_names[] = { "transport", "tunnel" };
static const int mode_values[] = { IKD_MODE_TRANSPORT, IKD_MODE_TUNNEL };
static const char *const start_names[] = { "add", "start" };
static const int start_values[] = { IKD_START_ADD, IKD_START_NOW };
static const char *const exch_names[] = { "main", "aggressive" };
static const int exch_values[] = { 0, 1 };

static void load_protoport(struct loader *ld, const config_setting_t *g, const char *key,
			   const char *path, uint8_t *proto, uint16_t *port)
{
	char v[32] = "";
	const config_setting_t *s = config_setting_get_member(g, key);
	if (!s)
		return;
	get_str(ld, g, key, path, v, sizeof v);
	uint8_t p = 0;
	uint16_t po = 0;
	if (protoport_parse(v, &p, &po) < 0) {
		diag_add(ld, s, path, "must be PROTO/PORT like udp/1701 or udp/%%any (got '%s')", v);
		return;
	}
	*proto = p;
	*port = po;
}

static void load_conn(struct loader *ld, const config_setting_t *g, unsigned idx,
		      struct ikd_conn *c)
{
	char p[96];
#define P(k) (snprintf(p, sizeof p, "connections.[%u].%s", idx, k), p)
	conn_defaults(c);
	c->line = config_setting_source_line(g);
	get_str(ld, g, "name", P("name"), c->name, sizeof c->name);
	if (!c->name[0])
		diag_add(ld, g, P("name"), "missing: every connection needs a name");
	get_host(ld, g, "local", P("local"), &c->local);
	get_host(ld, g, "remote", P("remote"), &c->remote);
	GET_U32(ld, g, "remote_port", P("remote_port"), 1, 65535, c->remote_port);
	int v = (int)c->auth;
	get_enum(ld, g, "auth", P("auth"), auth_names, auth_values, 2, &v);
	c->auth = (enum ikd_auth)v;
	v = c->aggressive;
	get_enum(ld, g, "exchange", P("exchange"), exch_names, exch_values, 2, &v);
	c->aggressive = v;
	get_id(ld, g, "local_id", P("local_id"), &c->local_id);
	get_id(ld, g, "remote_id", P("remote_id"), &c->remote_id);
	get_str(ld, g, "ike", P("ike"), c->ike, sizeof c->ike);
	get_str(ld, g, "esp", P("esp"), c->esp, sizeof c->esp);
	GET_U32(ld, g, "ike_lifetime", P("ike_lifetime"), 120, 86400 * 7, c->ike_lifetime);
	GET_U32(ld, g, "lifetime", P("lifetime"), 60, 86400 * 7, c->lifetime);
	get_uint(ld, g, "lifetime_kb", P("lifetime_kb"), 0, UINT64_MAX / 1024, &c->lifetime_kb);
	GET_U32(ld, g, "rekey_margin", P("rekey_margin"), 0, 86400, c->rekey_margin);
	GET_U32(ld, g, "pfs_group", P("pfs_group"), 0, 65535, c->pfs_group);
	GET_U32(ld, g, "dpd_delay", P("dpd_delay"), 0, 86400, c->dpd_delay);
	GET_U32(ld, g, "dpd_timeout", P("dpd_timeout"), 1, 86400, c->dpd_timeout);
	get_bool(ld, g, "nat_t", P("nat_t"), &c->natt);
	get_bool(ld, g, "fragmentation", P("fragmentation"), &c->fragmentation);
	v = (int)c->mode;
	get_enum(ld, g, "mode", P("mode"), mode_names, mode_values, 2, &v);
	c->mode = (enum ikd_ipsec_mode)v;
	uint8_t lproto = c->proto, rproto = c->proto;
	load_protoport(ld, g, "local_protoport", P("local_protoport"), &lproto, &c->local_port);
	load_protoport(ld, g, "remote_protoport", P("remote_protoport"), &rproto,
		       &c->remote_port_sel);
	if (config_setting_get_member(g, "local_protoport"))
		c->proto = lproto;
	else if (config_setting_get_member(g, "remote_protoport"))
		c->proto = rproto;
	if (lproto != rproto && config_setting_get_member(g, "local_protoport") &&
	    config_setting_get_member(g, "remote_protoport"))
		diag_add(ld, g, P("remote_protoport"), "protocol differs from local_protoport");
	get_host(ld, g, "local_subnet", P("local_subnet"), &c->local_subnet);
	get_host(ld, g, "remote_subnet", P("remote_subnet"), &c->remote_subnet);
	v = (int)c->start;
	get_enum(ld, g, "start", P("start"), start_names, start_values, 2, &v);
	c->start = (enum ikd_start)v;
	get_str(ld, g, "cert", P("cert"), c->cert, sizeof c->cert);
	get_str(ld, g, "key", P("key"), c->key, sizeof c->key);
	get_str(ld, g, "ca", P("ca"), c->ca, sizeof c->ca);
	get_str(ld, g, "crl", P("crl"), c->crl, sizeof c->crl);

	char perr[IKE_WHY_MAX];
	if (ike_p1_list_parse(c->ike, &c->ike_list, perr, sizeof perr) < 0)
		diag_add(ld, config_setting_get_member(g, "ike") ? config_setting_get_member(g, "ike")
								 : g, P("ike"), "%s", perr);
	if (ike_p2_list_parse(c->esp, &c->esp_list, perr, sizeof perr) < 0)
		diag_add(ld, config_setting_get_member(g, "esp") ? config_setting_get_member(g, "esp")
								 : g, P("esp"), "%s", perr);

	/* Cross-field checks. */
	if (c->auth == IKD_AUTH_RSA && (!c->cert[0] || !c->key[0] || !c->ca[0]))
		diag_add(ld, g, P("auth"), "rsa needs cert, key and ca");
	if (c->auth == IKD_AUTH_RSA && c->aggressive)
		diag_add(ld, g, P("exchange"), "aggressive mode is supported with psk only");
	if (c->start == IKD_START_NOW && c->remote.any)
		diag_add(ld, g, P("start"), "start needs a remote address, not %%any");
	if (!c->remote.any && c->remote.prefix != (c->remote.family == AF_INET ? 32 : 128) &&
	    c->start == IKD_START_NOW)
		diag_add(ld, g, P("remote"), "start needs a single host, not a subnet");
	if (c->mode == IKD_MODE_TUNNEL && (c->local_subnet.any || c->remote_subnet.any))
		diag_add(ld, g, P("mode"), "tunnel mode needs local_subnet and remote_subnet");
	if (c->rekey_margin >= c->lifetime)
		diag_add(ld, g, P("rekey_margin"), "must be shorter than lifetime (%u s)",
			 c->lifetime);
#undef P
}

static void load_conns(struct loader *ld, const config_setting_t *list, struct ikd_conf *conf)
{
	if (!config_setting_is_list(list) && !config_setting_is_array(list)) {
		diag_add(ld, list, "connections", "must be a list ( { ... }, { ... } )");
		return;
	}
	int n = config_setting_length(list);
	if (n <= 0)
		return;
	conf->conns = calloc((size_t)n, sizeof *conf->conns);
	if (!conf->conns) {
		diag_add(ld, list, "connections", "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(g)) {
			diag_add(ld, g, "connections", "element %d must be a group { ... }", i);
			continue;
		}
		struct ikd_conn *c = &conf->conns[conf->n_conns];
		load_conn(ld, g, (unsigned)i, c);
		for (size_t j = 0; j < conf->n_conns; j++)
			if (c->name[0] && strcmp(conf->conns[j].name, c->name) == 0)
				diag_add(ld, g, "connections", "name '%s' used twice (line %d)",
					 c->name, conf->conns[j].line);
		conf->n_conns++;
	}
}

static int load_main(struct loader *ld, config_t *cf, struct ikd_conf *conf)
{
	const config_setting_t *root = config_root_setting(cf);
	for (unsigned i = 0; i < (unsigned)config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "ikd") && strcmp(name, "connections"))
			diag_add(ld, s, name, "unknown section (expected ikd or connections)");
	}
	const config_setting_t *g = config_lookup(cf, "ikd");
	if (g && config_setting_is_group(g))
		load_settings(ld, g, &conf->set);
	else if (g)
		diag_add(ld, g, "ikd", "must be a group { ... }");
	const config_setting_t *list = config_lookup(cf, "connections");
	if (list)
		load_conns(ld, list, conf);
	return ld->errors ? -EINVAL : 0;
}

/* ---- secrets ----------------------------------------------------------------------- */

static void load_psk(struct loader *ld, const config_setting_t *g, unsigned idx,
		     struct ikd_conf *conf)
{
	char p[64], peer[INET6_ADDRSTRLEN + 8] = "", id[IKD_ID_MAX] = "";
	struct ikd_psk *k = &conf->psks[conf->n_psks];
	memset(k, 0, sizeof *k);
	k->line = config_setting_source_line(g);
	snprintf(p, sizeof p, "ike.psk.[%u]", idx);
	get_str(ld, g, "peer", p, peer, sizeof peer);
	get_str(ld, g, "id", p, id, sizeof id);
	k->peer.any = true;
	if (peer[0] && ikd_host_parse(peer, &k->peer) < 0) {
		diag_add(ld, g, p, "peer is not an address, subnet or %%any (got '%s')", peer);
		return;
	}
	if (id[0]) {
		if (ikd_id_parse(id, &k->id) < 0) {
			diag_add(ld, g, p, "id is not a valid identity (got '%s')", id);
			return;
		}
		k->by_id = k->id.type != IKD_ID_ANY;
	}
	if (!peer[0] && !id[0]) {
		diag_add(ld, g, p, "needs peer or id (use peer = \"%%any\" for a default)");
		return;
	}
	const config_setting_t *s = config_setting_get_member(g, "secret");
	const char *v = s ? config_setting_get_string(s) : NULL;
	if (!v || !v[0]) {
		diag_add(ld, s ? s : g, p, "secret missing or not a string");
		return;
	}
	int rc = strncmp(v, "0x", 2) == 0 ? secret_from_hex(&k->key, v)
					  : secret_dup(&k->key, v, strlen(v));
	if (rc < 0) {
		diag_add(ld, s, p, "secret is not valid hex");
		return;
	}
	conf->n_psks++;
}

static int load_secrets_cf(struct loader *ld, config_t *cf, struct ikd_conf *conf)
{
	const config_setting_t *list = config_lookup(cf, "ike.psk");
	if (!list)
		return ld->errors ? -EINVAL : 0;
	if (!config_setting_is_list(list)) {
		diag_add(ld, list, "ike.psk", "must be a list ( { ... } )");
		return -EINVAL;
	}
	unsigned n = (unsigned)config_setting_length(list);
	struct ikd_psk *grown = realloc(conf->psks, (conf->n_psks + n) * sizeof *grown);
	if (!grown && n) {
		diag_add(ld, list, "ike.psk", "out of memory");
		return -ENOMEM;
	}
	conf->psks = grown;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		if (!config_setting_is_group(g)) {
			diag_add(ld, g, "ike.psk", "element %u must be a group { ... }", i);
			continue;
		}
		load_psk(ld, g, i, conf);
	}
	return ld->errors ? -EINVAL : 0;
}

/* ---- entry points ------------------------------------------------------------------- */

typedef int (*section_fn)(struct loader *ld, config_t *cf, struct ikd_conf *conf);

static int parse_with(const char *file, const char *text, section_fn fn,
		      struct ikd_conf *conf, struct ikd_conf_diag *diag)
{
	struct loader ld = { .file = file, .diag = diag };
	config_t cf;
	config_init(&cf);
	int rc;
	if (text)
		rc = config_read_string(&cf, text);
	else
		rc = config_read_file(&cf, file);
	if (rc != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO) {
			rc = -errno ? -errno : -ENOENT;
			diag_add(&ld, NULL, "file", "cannot read: %s", strerror(-rc));
		} else {
			ld.errors++;
			if (diag && diag->n < IKD_DIAG_MAX)
				snprintf(diag->text[diag->n], IKD_DIAG_LEN, "%s:%d: syntax: %s",
					 file, config_error_line(&cf), config_error_text(&cf));
			if (diag)
				diag->n++;
			rc = -EINVAL;
		}
		config_destroy(&cf);
		return rc;
	}
	rc = fn(&ld, &cf, conf);
	config_destroy(&cf);
	return rc;
}

static struct ikd_conf *conf_new(void)
{
	struct ikd_conf *conf = calloc(1, sizeof *conf);
	if (conf) {
		conf->refs = 1;
		settings_defaults(&conf->set);
	}
	return conf;
}

int ikd_conf_parse_string(const char *text, struct ikd_conf **out, struct ikd_conf_diag *diag)
{
	struct ikd_conf *conf = conf_new();
	if (!conf)
		return -ENOMEM;
	int rc = parse_with("ikd.conf", text, load_main, conf, diag);
	if (rc < 0) {
		ikd_conf_free(conf);
		return rc;
	}
	*out = conf;
	return 0;
}

int ikd_conf_parse_secrets_string(struct ikd_conf *conf, const char *text,
				  struct ikd_conf_diag *diag)
{
	return parse_with("secrets.conf", text, load_secrets_cf, conf, diag);
}

static int check_secrets_mode(const char *path, struct ikd_conf_diag *diag)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		if (diag && diag->n < IKD_DIAG_MAX)
			snprintf(diag->text[diag->n], IKD_DIAG_LEN,
				 "%.160s:0: file: readable by group or others (mode %04o): "
				 "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		if (diag)
			diag->n++;
		return -EINVAL;
	}
	return 0;
}

int ikd_conf_load(const char *path, const char *secrets_override, bool check_secret_mode,
		  struct ikd_conf **out, struct ikd_conf_diag *diag)
{
	struct ikd_conf *conf = conf_new();
	if (!conf)
		return -ENOMEM;
	snprintf(conf->path, sizeof conf->path, "%s", path);
	int rc = parse_with(path, NULL, load_main, conf, diag);
	const char *sec = secrets_override ? secrets_override : conf->set.secrets;
	if (rc == 0 && sec[0]) {
		if (check_secret_mode)
			rc = check_secrets_mode(sec, diag);
		if (rc == 0)
			rc = parse_with(sec, NULL, load_secrets_cf, conf, diag);
		if (rc == -ENOENT && !secrets_override)
			rc = 0;   /* no secrets file: certificate-only set-ups */
	}
	if (rc < 0) {
		ikd_conf_free(conf);
		return rc;
	}
	*out = conf;
	return 0;
}

void ikd_conf_free(struct ikd_conf *conf)
{
	if (!conf || --conf->refs > 0)
		return;
	for (size_t i = 0; i < conf->n_psks; i++)
		secret_free(&conf->psks[i].key);
	free(conf->psks);
	free(conf->conns);
	free(conf);
}

struct ikd_conf *ikd_conf_ref(struct ikd_conf *conf)
{
	conf->refs++;
	return conf;
}

const struct ikd_conn *ikd_conf_find_conn(const struct ikd_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->n_conns; i++)
		if (strcmp(conf->conns[i].name, name) == 0)
			return &conf->conns[i];
	return NULL;
}

const struct ikd_psk *ikd_conf_find_psk(const struct ikd_conf *conf,
					const struct sockaddr *peer, const struct ikd_id *id)
{
	const struct ikd_psk *best = NULL;
	int best_score = -1;
	for (size_t i = 0; i < conf->n_psks; i++) {
		const struct ikd_psk *k = &conf->psks[i];
		int score;
		if (k->by_id) {
			if (!id || !ikd_id_equal(&k->id, id))
				continue;
			score = 1000;
		} else if (!k->peer.any) {
			if (!peer || !ikd_host_match(&k->peer, peer))
				continue;
			score = 100 + k->peer.prefix;
		} else {
			score = 0;
		}
		if (score > best_score) {
			best = k;
			best_score = score;
		}
	}
	return best;
}
