/*
 * ikd.conf and secrets.conf loading, on common/config.h (FILE:LINE: KEY errors, typed
 * getters, unknown keys, durations). See ikd_conf.h.
 */
#include "ikd/ikd_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"

/* ---- values ikd parses itself --------------------------------------------------------- */

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


/* ---- typed settings ----------------------------------------------------------------- */

static void get_u32(struct cfg *c, const config_setting_t *g, const char *key, int64_t min,
		    int64_t max, uint32_t *out)
{
	int64_t v;
	if (cfg_get_int_range(c, g, key, 0, min, max, &v) == 1)
		*out = (uint32_t)v;
}

static void get_u16(struct cfg *c, const config_setting_t *g, const char *key, int64_t min,
		    int64_t max, uint16_t *out)
{
	int64_t v;
	if (cfg_get_int_range(c, g, key, 0, min, max, &v) == 1)
		*out = (uint16_t)v;
}

/* A duration in whole seconds ("8h", "30m", or a bare number of seconds). */
static void get_seconds(struct cfg *c, const config_setting_t *g, const char *key,
			uint32_t min_s, uint32_t max_s, uint32_t *out)
{
	uint64_t ms;
	if (cfg_get_duration(c, g, key, 0, min_s * 1000ull, max_s * 1000ull, &ms) != 1)
		return;
	if (ms % 1000u)
		cfg_value_error(c, config_setting_get_member(g, key), 0, "must be whole seconds");
	else
		*out = (uint32_t)(ms / 1000u);
}

/* A string member parsed by parse (0 or <0); what names the expected form in the error. */
static void get_parsed(struct cfg *c, const config_setting_t *g, const char *key,
		       const char *what, int (*parse)(const char *v, void *out), void *out)
{
	const char *v;
	if (cfg_get_string(c, g, key, 0, &v) == 1 && parse(v, out) < 0)
		cfg_value_error(c, config_setting_get_member(g, key), 0, what);
}

static int host_parse(const char *v, void *out)
{
	return ikd_host_parse(v, out);
}

static int id_parse(const char *v, void *out)
{
	return ikd_id_parse(v, out);
}

struct protoport {
	uint8_t proto;
	uint16_t port;
};

static int protoport_parse_into(const char *v, void *out)
{
	struct protoport *pp = out;
	return protoport_parse(v, &pp->proto, &pp->port);
}

static void get_enum(struct cfg *c, const config_setting_t *g, const char *key,
		     const struct cfg_enum *table, int *out)
{
	int v;
	if (cfg_get_enum(c, g, key, 0, table, &v) == 1)
		*out = v;
}

/* ---- ikd { } ------------------------------------------------------------------------ */

static const struct cfg_enum log_level_names[] = {
	{ "err", 0 }, { "warn", 1 }, { "notice", 2 }, { "info", 3 }, { "debug", 4 }, { NULL, 0 },
};

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

static void load_settings(struct cfg *c, const config_setting_t *g, struct ikd_settings *s)
{
	static const char *const known[] = { "log_level", "socket", "secrets", "keylog",
		"ike_port", "natt_port", "ipv6", "half_open_max", "half_open_per_peer",
		"retransmit_ms", "retransmit_tries", "nat_keepalive", "socket_mark", "nat_marks",
		"mark_base", "fragment_size", "user", "group", NULL };
	int lvl = -1;
	cfg_check_keys(c, g, known);
	get_enum(c, g, "log_level", log_level_names, &lvl);
	if (lvl >= 0)
		snprintf(s->log_level, sizeof s->log_level, "%s", cfg_enum_name(log_level_names, lvl));
	cfg_get_string_buf(c, g, "socket", 0, s->socket, sizeof s->socket);
	cfg_get_string_buf(c, g, "secrets", 0, s->secrets, sizeof s->secrets);
	cfg_get_string_buf(c, g, "keylog", 0, s->keylog, sizeof s->keylog);
	get_u16(c, g, "ike_port", 1, 65535, &s->ike_port);
	get_u16(c, g, "natt_port", 1, 65535, &s->natt_port);
	cfg_get_bool(c, g, "ipv6", 0, &s->ipv6);
	get_u32(c, g, "half_open_max", 1, 1000000, &s->half_open_max);
	get_u32(c, g, "half_open_per_peer", 1, 1000000, &s->half_open_per_peer);
	get_u32(c, g, "retransmit_ms", 50, 60000, &s->retransmit_ms);
	get_u32(c, g, "retransmit_tries", 0, 20, &s->retransmit_tries);
	get_seconds(c, g, "nat_keepalive", 0, 3600, &s->nat_keepalive);
	get_u32(c, g, "socket_mark", 0, UINT32_MAX, &s->socket_mark);
	cfg_get_bool(c, g, "nat_marks", 0, &s->nat_marks);
	get_u32(c, g, "mark_base", 1, 0xff000000u, &s->mark_base);
	get_u32(c, g, "fragment_size", IKD_FRAGMENT_SIZE_MIN, 65535, &s->fragment_size);
	cfg_get_string_buf(c, g, "user", 0, s->user, sizeof s->user);
	cfg_get_string_buf(c, g, "group", 0, s->group, sizeof s->group);
	if (s->user[0] && !getpwnam(s->user))
		cfg_value_error(c, config_setting_get_member(g, "user"), 0, "no such user");
	if (s->group[0] && !getgrnam(s->group))
		cfg_value_error(c, config_setting_get_member(g, "group"), 0, "no such group");
	if (s->group[0] && !s->user[0])
		cfg_error_at(c, config_setting_get_member(g, "group"), NULL, "needs ikd.user as well");
	if (s->ike_port == s->natt_port)
		cfg_error_at(c, g, "natt_port", "must differ from ike_port (%u)", s->ike_port);
}

/* ---- connections ( { }, ... ) ----------------------------------------------------------- */

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

static const struct cfg_enum auth_names[] = {
	{ "psk", IKD_AUTH_PSK }, { "rsa", IKD_AUTH_RSA }, { NULL, 0 },
};
static const struct cfg_enum mode_names[] = {
	{ "transport", IKD_MODE_TRANSPORT }, { "tunnel", IKD_MODE_TUNNEL }, { NULL, 0 },
};
static const struct cfg_enum start_names[] = {
	{ "add", IKD_START_ADD }, { "start", IKD_START_NOW }, { NULL, 0 },
};
static const struct cfg_enum exchange_names[] = {
	{ "main", 0 }, { "aggressive", 1 }, { NULL, 0 },
};

static const char *const conn_keys[] = { "name", "local", "remote", "remote_port", "auth",
	"exchange", "local_id", "remote_id", "ike", "esp", "ike_lifetime", "lifetime",
	"lifetime_kb", "rekey_margin", "pfs_group", "dpd_delay", "dpd_timeout", "nat_t",
	"fragmentation", "mode", "local_protoport", "remote_protoport", "local_subnet",
	"remote_subnet", "start", "cert", "key", "ca", "crl", NULL };

/* local_protoport / remote_protoport: one protocol for both selectors. */
static void load_selectors(struct cfg *c, const config_setting_t *g, struct ikd_conn *conn)
{
	const char *what = "must be PROTO/PORT like udp/1701 or udp/%any";
	struct protoport l = { conn->proto, conn->local_port };
	struct protoport r = { conn->proto, conn->remote_port_sel };
	const config_setting_t *ls = config_setting_get_member(g, "local_protoport");
	const config_setting_t *rs = config_setting_get_member(g, "remote_protoport");
	get_parsed(c, g, "local_protoport", what, protoport_parse_into, &l);
	get_parsed(c, g, "remote_protoport", what, protoport_parse_into, &r);
	conn->local_port = l.port;
	conn->remote_port_sel = r.port;
	if (ls)
		conn->proto = l.proto;
	else if (rs)
		conn->proto = r.proto;
	if (ls && rs && l.proto != r.proto)
		cfg_error_at(c, rs, NULL, "protocol differs from local_protoport");
}

/* The proposals: a profile name or a list (proposal.h), parsed now so a typo fails here. */
static void load_proposals(struct cfg *c, const config_setting_t *g, struct ikd_conn *conn)
{
	char why[IKE_WHY_MAX];
	const config_setting_t *s;
	cfg_get_string_buf(c, g, "ike", 0, conn->ike, sizeof conn->ike);
	cfg_get_string_buf(c, g, "esp", 0, conn->esp, sizeof conn->esp);
	if (ike_p1_list_parse(conn->ike, &conn->ike_list, why, sizeof why) < 0) {
		s = config_setting_get_member(g, "ike");
		cfg_error_at(c, s ? s : g, s ? NULL : "ike", "%s", why);
	}
	if (ike_p2_list_parse(conn->esp, &conn->esp_list, why, sizeof why) < 0) {
		s = config_setting_get_member(g, "esp");
		cfg_error_at(c, s ? s : g, s ? NULL : "esp", "%s", why);
	}
}

/* Checks between settings of one connection, once they are all read. */
static void check_conn(struct cfg *c, const config_setting_t *g, const struct ikd_conn *conn)
{
	if (conn->auth == IKD_AUTH_RSA && (!conn->cert[0] || !conn->key[0] || !conn->ca[0]))
		cfg_error_at(c, g, "auth", "rsa needs cert, key and ca");
	if (conn->auth == IKD_AUTH_RSA && conn->aggressive)
		cfg_error_at(c, g, "exchange", "aggressive mode is supported with psk only");
	if (conn->start == IKD_START_NOW && conn->remote.any)
		cfg_error_at(c, g, "start", "start needs a remote address, not %%any");
	if (!conn->remote.any &&
	    conn->remote.prefix != (conn->remote.family == AF_INET ? 32 : 128) &&
	    conn->start == IKD_START_NOW)
		cfg_error_at(c, g, "remote", "start needs a single host, not a subnet");
	if (conn->mode == IKD_MODE_TUNNEL && (conn->local_subnet.any || conn->remote_subnet.any))
		cfg_error_at(c, g, "mode", "tunnel mode needs local_subnet and remote_subnet");
	if (conn->rekey_margin >= conn->lifetime)
		cfg_error_at(c, g, "rekey_margin", "must be shorter than lifetime (%u s)",
			     conn->lifetime);
}

static void load_conn(struct cfg *c, const config_setting_t *g, struct ikd_conn *conn)
{
	int v;
	conn_defaults(conn);
	conn->line = config_setting_source_line(g);
	cfg_check_keys(c, g, conn_keys);
	cfg_get_string_buf(c, g, "name", CFG_REQUIRED, conn->name, sizeof conn->name);
	get_parsed(c, g, "local", "not an address, subnet or %any", host_parse, &conn->local);
	get_parsed(c, g, "remote", "not an address, subnet or %any", host_parse, &conn->remote);
	get_u16(c, g, "remote_port", 1, 65535, &conn->remote_port);
	v = (int)conn->auth;
	get_enum(c, g, "auth", auth_names, &v);
	conn->auth = (enum ikd_auth)v;
	v = conn->aggressive;
	get_enum(c, g, "exchange", exchange_names, &v);
	conn->aggressive = v;
	get_parsed(c, g, "local_id", "not a valid identity", id_parse, &conn->local_id);
	get_parsed(c, g, "remote_id", "not a valid identity", id_parse, &conn->remote_id);
	get_seconds(c, g, "ike_lifetime", 120, 86400 * 7, &conn->ike_lifetime);
	get_seconds(c, g, "lifetime", 60, 86400 * 7, &conn->lifetime);
	int64_t kb;
	if (cfg_get_int_range(c, g, "lifetime_kb", 0, 0, (int64_t)(UINT64_MAX / 1024), &kb) == 1)
		conn->lifetime_kb = (uint64_t)kb;
	get_seconds(c, g, "rekey_margin", 0, 86400, &conn->rekey_margin);
	get_u16(c, g, "pfs_group", 0, 65535, &conn->pfs_group);
	get_seconds(c, g, "dpd_delay", 0, 86400, &conn->dpd_delay);
	get_seconds(c, g, "dpd_timeout", 1, 86400, &conn->dpd_timeout);
	cfg_get_bool(c, g, "nat_t", 0, &conn->natt);
	cfg_get_bool(c, g, "fragmentation", 0, &conn->fragmentation);
	v = (int)conn->mode;
	get_enum(c, g, "mode", mode_names, &v);
	conn->mode = (enum ikd_ipsec_mode)v;
	load_selectors(c, g, conn);
	get_parsed(c, g, "local_subnet", "not an address, subnet or %any", host_parse,
		   &conn->local_subnet);
	get_parsed(c, g, "remote_subnet", "not an address, subnet or %any", host_parse,
		   &conn->remote_subnet);
	v = (int)conn->start;
	get_enum(c, g, "start", start_names, &v);
	conn->start = (enum ikd_start)v;
	cfg_get_string_buf(c, g, "cert", 0, conn->cert, sizeof conn->cert);
	cfg_get_string_buf(c, g, "key", 0, conn->key, sizeof conn->key);
	cfg_get_string_buf(c, g, "ca", 0, conn->ca, sizeof conn->ca);
	cfg_get_string_buf(c, g, "crl", 0, conn->crl, sizeof conn->crl);
	load_proposals(c, g, conn);
	check_conn(c, g, conn);
}

static void load_conns(struct cfg *c, const config_setting_t *list, struct ikd_conf *conf)
{
	int n = config_setting_length(list);
	if (n <= 0)
		return;
	conf->conns = calloc((size_t)n, sizeof *conf->conns);
	if (!conf->conns) {
		cfg_error_at(c, list, NULL, "out of memory");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(g)) {
			cfg_error_at(c, g, NULL, "must be a group { name = ...; ... }");
			continue;
		}
		struct ikd_conn *conn = &conf->conns[conf->n_conns];
		load_conn(c, g, conn);
		for (size_t j = 0; j < conf->n_conns; j++)
			if (conn->name[0] && strcmp(conf->conns[j].name, conn->name) == 0)
				cfg_error_at(c, g, "name", "'%s' used twice (line %d)", conn->name,
					     conf->conns[j].line);
		conf->n_conns++;
	}
}

static int load_main(struct cfg *c, struct ikd_conf *conf)
{
	static const char *const sections[] = { "ikd", "connections", NULL };
	config_setting_t *root = cfg_root(c), *g, *list;
	if (!root)
		return -EINVAL;
	cfg_check_keys(c, root, sections);
	if (cfg_get_group(c, root, "ikd", 0, &g) == 1)
		load_settings(c, g, &conf->set);
	if (cfg_get_list(c, root, "connections", 0, &list) == 1)
		load_conns(c, list, conf);
	return cfg_error_count(c) ? -EINVAL : 0;
}

/* ---- secrets.conf: ike { psk = ( ... ); } (other sections are l2tpd's) ------------------ */

static void load_psk(struct cfg *c, const config_setting_t *g, struct ikd_conf *conf)
{
	static const char *const known[] = { "peer", "id", "secret", NULL };
	struct ikd_psk *k = &conf->psks[conf->n_psks];
	const char *peer = NULL, *id = NULL, *v = NULL;
	memset(k, 0, sizeof *k);
	k->line = config_setting_source_line(g);
	k->peer.any = true;
	cfg_check_keys(c, g, known);
	cfg_get_string(c, g, "peer", 0, &peer);
	cfg_get_string(c, g, "id", 0, &id);
	if (cfg_get_string(c, g, "secret", CFG_SECRET | CFG_REQUIRED, &v) < 0)
		return;
	if (peer && ikd_host_parse(peer, &k->peer) < 0) {
		cfg_error_at(c, g, "peer", "not an address, subnet or %%any");
		return;
	}
	if (id && ikd_id_parse(id, &k->id) < 0) {
		cfg_error_at(c, g, "id", "not a valid identity");
		return;
	}
	k->by_id = id && k->id.type != IKD_ID_ANY;
	if (!peer && !id) {
		cfg_error_at(c, g, NULL, "needs peer or id (use peer = \"%%any\" for a default)");
		return;
	}
	int rc = !v[0] ? -EINVAL : strncmp(v, "0x", 2) == 0 ? secret_from_hex(&k->key, v)
							     : secret_dup(&k->key, v, strlen(v));
	if (rc < 0) {
		cfg_error_at(c, g, "secret", v[0] ? "not valid hex" : "must not be empty");
		return;
	}
	conf->n_psks++;
}

static int load_secrets(struct cfg *c, struct ikd_conf *conf)
{
	static const char *const known[] = { "psk", NULL };
	config_setting_t *root = cfg_root(c), *g, *list;
	if (!root)
		return -EINVAL;
	if (cfg_get_group(c, root, "ike", 0, &g) != 1)
		return cfg_error_count(c) ? -EINVAL : 0;
	cfg_check_keys(c, g, known);
	if (cfg_get_list(c, g, "psk", 0, &list) != 1)
		return cfg_error_count(c) ? -EINVAL : 0;
	unsigned n = (unsigned)config_setting_length(list);
	struct ikd_psk *grown = n ? realloc(conf->psks, (conf->n_psks + n) * sizeof *grown) : NULL;
	if (n && !grown) {
		cfg_error_at(c, list, NULL, "out of memory");
		return -ENOMEM;
	}
	if (grown)
		conf->psks = grown;
	for (unsigned i = 0; i < n; i++) {
		const config_setting_t *g1 = config_setting_get_elem(list, i);
		if (config_setting_is_group(g1))
			load_psk(c, g1, conf);
		else
			cfg_error_at(c, g1, NULL, "must be a group { peer = ...; secret = ...; }");
	}
	return cfg_error_count(c) ? -EINVAL : 0;
}

/* ---- entry points ------------------------------------------------------------------- */

/* Copy c's errors (already in reading order) into diag. */
static void to_diag(const struct cfg *c, struct ikd_conf_diag *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < cfg_error_count(c); i++) {
		const struct cfg_error *e = cfg_error_get(c, i);
		if (e && diag->n < IKD_DIAG_MAX)
			cfg_error_format(e, diag->text[diag->n], IKD_DIAG_LEN);
		diag->n++;
	}
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
	struct cfg c;
	if (!conf)
		return -ENOMEM;
	cfg_init(&c);
	int rc = cfg_load_string(&c, "ikd.conf", text);
	if (rc == 0)
		rc = load_main(&c, conf);
	to_diag(&c, diag);
	cfg_free(&c);
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
	struct cfg c;
	cfg_init(&c);
	c.secret = true;
	int rc = cfg_load_string(&c, "secrets.conf", text);
	if (rc == 0)
		rc = load_secrets(&c, conf);
	to_diag(&c, diag);
	cfg_free(&c);
	return rc;
}

/* The secrets file named by the configuration (or the override) into conf. A missing
 * file is fine unless it was named on the command line: certificate-only set-ups. */
static int load_secrets_file(struct ikd_conf *conf, const char *path, bool must_exist,
			     bool check_mode, struct ikd_conf_diag *diag)
{
	struct cfg c;
	struct stat st;
	if (!must_exist && stat(path, &st) < 0 && errno == ENOENT)
		return 0;
	cfg_init(&c);
	const struct passwd *pw = conf->set.user[0] ? getpwnam(conf->set.user) : NULL;
	if (pw)         /* the user ikd drops to reads it again on reload */
		c.secret_owner = pw->pw_uid;
	int rc = check_mode ? cfg_load_secret(&c, path) : (c.secret = true, cfg_load(&c, path));
	if (rc == 0)
		rc = load_secrets(&c, conf);
	to_diag(&c, diag);
	cfg_free(&c);
	return rc;
}

int ikd_conf_load(const char *path, const char *secrets_override, bool check_secret_mode,
		  struct ikd_conf **out, struct ikd_conf_diag *diag)
{
	struct ikd_conf *conf = conf_new();
	struct cfg c;
	if (!conf)
		return -ENOMEM;
	snprintf(conf->path, sizeof conf->path, "%s", path);
	cfg_init(&c);
	int rc = cfg_load(&c, path);
	if (rc == 0)
		rc = load_main(&c, conf);
	to_diag(&c, diag);
	cfg_free(&c);
	const char *sec = secrets_override ? secrets_override : conf->set.secrets;
	if (rc == 0 && sec[0])
		rc = load_secrets_file(conf, sec, secrets_override != NULL, check_secret_mode, diag);
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

static void list_add(char *list, size_t cap, const char *what)
{
	size_t n = strlen(list);
	if (n < cap)
		snprintf(list + n, cap - n, "%s%s", n ? ", " : "", what);
}

void ikd_conf_keep_restart_only(const struct ikd_conf *cur, struct ikd_conf *nc,
				bool socket_fixed, char *changed, size_t cap)
{
	const struct ikd_settings *a = &cur->set;
	struct ikd_settings *b = &nc->set;
#define KEEP(field, name)                                                       \
	do {                                                                    \
		if (memcmp(&a->field, &b->field, sizeof a->field) != 0)         \
			list_add(changed, cap, name);                           \
		memcpy(&b->field, &a->field, sizeof b->field);                  \
	} while (0)
	changed[0] = '\0';
	KEEP(ike_port, "ike_port");
	KEEP(natt_port, "natt_port");
	KEEP(ipv6, "ipv6");
	KEEP(socket_mark, "socket_mark");
	if (!socket_fixed && strcmp(a->socket, b->socket) != 0)
		list_add(changed, cap, "socket");
	memcpy(b->socket, a->socket, sizeof b->socket);
	if (strcmp(a->user, b->user) != 0)
		list_add(changed, cap, "user");
	if (strcmp(a->group, b->group) != 0)
		list_add(changed, cap, "group");
	memcpy(b->user, a->user, sizeof b->user);
	memcpy(b->group, a->group, sizeof b->group);
#undef KEEP
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
