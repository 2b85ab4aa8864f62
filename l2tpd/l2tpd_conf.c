/*
 * l2tpd.conf and secrets.conf loading. See l2tpd_conf.h.
 */
#include "l2tpd/l2tpd_conf.h"
#include "l2tpd/fwset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "l2tpd/udp_sock.h"

const struct cfg_enum l2tpd_dup_policy_names[] = {
	{ "replace", L2TPD_DUP_REPLACE },
	{ "refuse", L2TPD_DUP_REFUSE },
	{ NULL, 0 },
};

static const struct cfg_enum auth_names[] = {
	{ "pap", PPP_AUTH_PAP },
	{ "chap-md5", PPP_AUTH_CHAP_MD5 },
	{ "chap", PPP_AUTH_CHAP_MD5 },
	{ "mschapv2", PPP_AUTH_MSCHAPV2 },
	{ "ms-chapv2", PPP_AUTH_MSCHAPV2 },
	{ NULL, 0 },
};

void l2tpd_conf_defaults(struct l2tpd_conf *c)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&c->listen;

	memset(c, 0, sizeof *c);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(L2TP_UDP_PORT);
	c->listen_len = sizeof *sin;
	snprintf(c->hostname, sizeof c->hostname, "l2sec");
	c->hello_ms = 60000;
	snprintf(c->secrets_path, sizeof c->secrets_path, "%s/secrets.conf", L2SEC_CONFDIR);
	snprintf(c->ctl_path, sizeof c->ctl_path, "%s/l2tpd.sock", L2SEC_RUNDIR);
	snprintf(c->if_prefix, sizeof c->if_prefix, "l2sec");
	c->max_sessions = 20000;
	c->rws = 8;
	c->auth[0] = PPP_AUTH_MSCHAPV2;
	c->auth[1] = PPP_AUTH_CHAP_MD5;
	c->auth[2] = PPP_AUTH_NONE;
	c->mtu = 1400;
	c->mru = 1400;
	inet_pton(AF_INET, "192.0.2.1", &c->local_ip);
	c->dup_policy = L2TPD_DUP_REPLACE;
	c->echo_interval_ms = 30000;
	c->echo_failures = 5;
}

static void copy_str(struct cfg *cf, const config_setting_t *g, const char *key, char *dst,
		     size_t cap)
{
	const char *v;

	if (cfg_get_string(cf, g, key, 0, &v) != 1)
		return;
	if (strlen(v) >= cap)
		cfg_error_at(cf, g, key, "longer than %zu characters", cap - 1);
	else
		snprintf(dst, cap, "%s", v);
}

/* firewall_set and hook (docs/firewall.md): checked here so a typo fails at load time. */
static void load_integrations(struct cfg *cf, const config_setting_t *g, struct l2tpd_conf *c)
{
	char spec[sizeof c->firewall_set] = "";
	const char *why;

	copy_str(cf, g, "firewall_set", spec, sizeof spec);
	if (spec[0] && fwset_parse_spec(spec, c->firewall_set, sizeof c->firewall_set, &why) < 0)
		cfg_error_at(cf, g, "firewall_set", "%s (got '%s')", why, spec);
	copy_str(cf, g, "hook", c->hook, sizeof c->hook);
	if (c->hook[0] && c->hook[0] != '/')
		cfg_error_at(cf, g, "hook", "must be an absolute path (got '%s')", c->hook);
}

/* An IPv4 address into *out; 1 when set. */
static int get_ipv4(struct cfg *cf, const config_setting_t *g, const char *key, unsigned fl,
		    struct in_addr *out)
{
	struct sockaddr_storage ss;
	int r = cfg_get_addr(cf, g, key, fl, &ss);

	if (r != 1)
		return r;
	if (ss.ss_family != AF_INET) {
		cfg_error_at(cf, g, key, "an IPv4 address is needed here");
		return -EINVAL;
	}
	*out = ((struct sockaddr_in *)&ss)->sin_addr;
	return 1;
}

static void load_l2tpd_group(struct l2tpd_conf *c, struct cfg *cf, config_setting_t *g)
{
	static const char *const known[] = { "listen", "port", "hostname", "hello_interval",
		"secrets", "control_socket", "interface_prefix", "max_sessions",
		"require_protected", "rws", "firewall_set", "hook", "user", "group", NULL };
	struct sockaddr_storage ss;
	int64_t v;
	uint64_t ms;
	uint16_t port = ntohs(((struct sockaddr_in *)&c->listen)->sin_port);

	cfg_check_keys(cf, g, known);
	if (cfg_get_int_range(cf, g, "port", 0, 1, 65535, &v) == 1)
		port = (uint16_t)v;
	if (cfg_get_addr(cf, g, "listen", CFG_ANY, &ss) == 1 && ss.ss_family == AF_INET6) {
		c->listen = ss;
		c->listen_len = sizeof(struct sockaddr_in6);
	} else if (ss.ss_family == AF_INET) {
		c->listen = ss;
		c->listen_len = sizeof(struct sockaddr_in);
	}
	if (c->listen.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&c->listen)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&c->listen)->sin_port = htons(port);
	copy_str(cf, g, "hostname", c->hostname, sizeof c->hostname);
	if (cfg_get_duration(cf, g, "hello_interval", 0, 0, 3600000, &ms) == 1)
		c->hello_ms = (uint32_t)ms;
	copy_str(cf, g, "secrets", c->secrets_path, sizeof c->secrets_path);
	copy_str(cf, g, "control_socket", c->ctl_path, sizeof c->ctl_path);
	copy_str(cf, g, "interface_prefix", c->if_prefix, sizeof c->if_prefix);
	load_integrations(cf, g, c);
	copy_str(cf, g, "user", c->run_user, sizeof c->run_user);
	copy_str(cf, g, "group", c->run_group, sizeof c->run_group);
	if (c->run_user[0] && !getpwnam(c->run_user))
		cfg_error_at(cf, g, "user", "no such user (got '%s')", c->run_user);
	if (c->run_group[0] && !getgrnam(c->run_group))
		cfg_error_at(cf, g, "group", "no such group (got '%s')", c->run_group);
	if (c->run_group[0] && !c->run_user[0])
		cfg_error_at(cf, g, "group", "needs user as well");
	if (cfg_get_int_range(cf, g, "max_sessions", 0, 1, 65535, &v) == 1)
		c->max_sessions = (uint32_t)v;
	cfg_get_bool(cf, g, "require_protected", 0, &c->require_protected);
	if (cfg_get_int_range(cf, g, "rws", 0, 1, 16, &v) == 1)
		c->rws = (uint16_t)v;
}

static void load_auth_list(struct l2tpd_conf *c, struct cfg *cf, config_setting_t *list)
{
	int n = config_setting_length(list), k = 0;

	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		int m;

		if (cfg_get_enum(cf, e, NULL, 0, auth_names, &m) != 1)
			continue;
		bool dup = false;
		for (int j = 0; j < k; j++)
			dup |= c->auth[j] == (enum ppp_auth_method)m;
		if (dup)
			cfg_error_at(cf, e, NULL, "method listed twice (got '%s')",
				     ppp_auth_method_name((enum ppp_auth_method)m));
		else if (k < PPP_AUTH_METHOD_COUNT - 1)
			c->auth[k++] = (enum ppp_auth_method)m;
	}
	c->auth[k] = PPP_AUTH_NONE;
}

static void load_ppp_group(struct l2tpd_conf *c, struct cfg *cf, config_setting_t *g)
{
	static const char *const known[] = { "auth", "mtu", "mru", "local_ip", "dns",
		"duplicate_login", "echo_interval", "echo_failures", NULL };
	config_setting_t *list;
	int64_t v;
	uint64_t ms;
	int e;

	cfg_check_keys(cf, g, known);
	if (cfg_get_list(cf, g, "auth", 0, &list) == 1)
		load_auth_list(c, cf, list);
	if (cfg_get_int_range(cf, g, "mtu", 0, 576, 1500, &v) == 1)
		c->mtu = (uint16_t)v;
	if (cfg_get_int_range(cf, g, "mru", 0, 576, 1500, &v) == 1)
		c->mru = (uint16_t)v;
	get_ipv4(cf, g, "local_ip", 0, &c->local_ip);
	if (cfg_get_list(cf, g, "dns", 0, &list) == 1) {
		int n = config_setting_length(list);

		if (n > L2TPD_MAX_DNS)
			cfg_error_at(cf, g, "dns", "at most %d servers (got %d)", L2TPD_MAX_DNS, n);
		for (int i = 0; i < n && i < L2TPD_MAX_DNS; i++)
			if (get_ipv4(cf, config_setting_get_elem(list, (unsigned)i), NULL, 0,
				     &c->dns[c->n_dns]) == 1)
				c->n_dns++;
	}
	if (cfg_get_enum(cf, g, "duplicate_login", 0, l2tpd_dup_policy_names, &e) == 1)
		c->dup_policy = (enum l2tpd_dup_policy)e;
	if (cfg_get_duration(cf, g, "echo_interval", 0, 0, 3600000, &ms) == 1)
		c->echo_interval_ms = (uint32_t)ms;
	if (cfg_get_int_range(cf, g, "echo_failures", 0, 1, 100, &v) == 1)
		c->echo_failures = (uint8_t)v;
}

static void load_pools(struct l2tpd_conf *c, struct cfg *cf, config_setting_t *list)
{
	static const char *const known[] = { "start", "end", NULL };
	int n = config_setting_length(list);

	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct l2tpd_pool p;

		if (!config_setting_is_group(g)) {
			cfg_error_at(cf, g, NULL, "a pool is a group { start = ...; end = ...; }");
			continue;
		}
		cfg_check_keys(cf, g, known);
		if (get_ipv4(cf, g, "start", CFG_REQUIRED, &p.start) != 1 ||
		    get_ipv4(cf, g, "end", CFG_REQUIRED, &p.end) != 1)
			continue;
		if (ntohl(p.end.s_addr) < ntohl(p.start.s_addr))
			cfg_error_at(cf, g, "end", "lies before start");
		else if (c->n_pools == L2TPD_MAX_POOLS)
			cfg_error_at(cf, g, NULL, "at most %d pools", L2TPD_MAX_POOLS);
		else
			c->pools[c->n_pools++] = p;
	}
}

static void load_lacs(struct l2tpd_conf *c, struct cfg *cf, config_setting_t *list)
{
	static const char *const known[] = { "name", "lns", "port", "pppd_options", "autostart",
					     NULL };
	int n = config_setting_length(list);

	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		struct l2tpd_lac *l = &c->lacs[c->n_lacs];
		int64_t port = L2TP_UDP_PORT;

		if (!config_setting_is_group(g) || c->n_lacs == L2TPD_MAX_LACS) {
			cfg_error_at(cf, g, NULL, "a lac is a group { name = ...; lns = ...; } (at most %d)",
				     L2TPD_MAX_LACS);
			continue;
		}
		memset(l, 0, sizeof *l);
		cfg_check_keys(cf, g, known);
		copy_str(cf, g, "name", l->name, sizeof l->name);
		copy_str(cf, g, "pppd_options", l->pppd_options, sizeof l->pppd_options);
		cfg_get_int_range(cf, g, "port", 0, 1, 65535, &port);
		cfg_get_bool(cf, g, "autostart", 0, &l->autostart);
		if (cfg_get_addr(cf, g, "lns", CFG_REQUIRED, &l->peer) != 1)
			continue;
		if (l->peer.ss_family != c->listen.ss_family) {
			cfg_error_at(cf, g, "lns", "not of the listen address's family");
			continue;
		}
		if (l->peer.ss_family == AF_INET) {
			((struct sockaddr_in *)&l->peer)->sin_port = htons((uint16_t)port);
			l->peer_len = sizeof(struct sockaddr_in);
		} else {
			((struct sockaddr_in6 *)&l->peer)->sin6_port = htons((uint16_t)port);
			l->peer_len = sizeof(struct sockaddr_in6);
		}
		if (!l->name[0])
			snprintf(l->name, sizeof l->name, "lac%u", c->n_lacs);
		c->n_lacs++;
	}
}

static int load_main(struct l2tpd_conf *c, struct cfg *cf)
{
	static const char *const known[] = { "l2tpd", "ppp", "pools", "lac", NULL };
	config_setting_t *root = cfg_root(cf), *g, *ppp = NULL;

	if (!root)
		return -EINVAL;
	cfg_check_keys(cf, root, known);
	if (cfg_get_group(cf, root, "l2tpd", 0, &g) == 1)
		load_l2tpd_group(c, cf, g);
	if (cfg_get_group(cf, root, "ppp", 0, &ppp) == 1)
		load_ppp_group(c, cf, ppp);
	if (cfg_get_list(cf, root, "pools", 0, &g) == 1)
		load_pools(c, cf, g);
	if (cfg_get_list(cf, root, "lac", 0, &g) == 1)
		load_lacs(c, cf, g);
	/* cross-field checks */
	if (l2tpd_conf_in_pool(c, c->local_ip)) {
		if (ppp && config_setting_get_member(ppp, "local_ip"))
			cfg_error_at(cf, config_setting_get_member(ppp, "local_ip"), NULL,
				     "lies inside a pool");
		else
			cfg_error_at(cf, NULL, "ppp.local_ip", "the default lies inside a pool");
	}
	return cfg_error_count(cf) ? -EINVAL : 0;
}

/* ---- secrets.conf --------------------------------------------------------------------- */

/* A dedicated address may not be our own end of the links. */
static void check_users(struct l2tpd_conf *c, struct cfg *cf, const config_setting_t *list)
{
	for (size_t i = 0; i < users_count(c->users); i++) {
		const struct user *u = users_at(c->users, i);

		if (u->ip && u->ip == ntohl(c->local_ip.s_addr))
			cfg_error_at(cf, config_setting_get_elem(list, (unsigned)i), "ip",
				     "user '%s': ip is ppp.local_ip", u->name);
	}
}

static int load_secrets(struct l2tpd_conf *c, struct cfg *cf)
{
	config_setting_t *root = cfg_root(cf), *g, *list;
	const char *ts;

	if (!root)
		return -EINVAL;
	if (cfg_get_group(cf, root, "l2tp", 0, &g) == 1) {
		static const char *const known[] = { "tunnel_secret", NULL };

		cfg_check_keys(cf, g, known);
		if (cfg_get_string(cf, g, "tunnel_secret", CFG_SECRET, &ts) == 1 &&
		    secret_dup(&c->tunnel_secret, ts, strlen(ts)) < 0)
			cfg_error_at(cf, g, "tunnel_secret", "out of memory");
	}
	if (cfg_get_list(cf, root, "users", 0, &list) == 1 &&
	    users_load(cf, list, &c->users) == 0)
		check_users(c, cf, list);
	return cfg_error_count(cf) ? -EINVAL : 0;
}

int l2tpd_conf_from_cfg(struct l2tpd_conf *c, struct cfg *main_cfg, struct cfg *secrets_cfg)
{
	int r = load_main(c, main_cfg);
	int s = secrets_cfg ? load_secrets(c, secrets_cfg) : 0;

	return r < 0 ? r : s;
}

int l2tpd_conf_load(struct l2tpd_conf *c, const char *path, const char *secrets_override,
		    FILE *errout)
{
	struct cfg mc, sc;
	int r;

	snprintf(c->conf_path, sizeof c->conf_path, "%s", path);
	snprintf(c->secrets_override, sizeof c->secrets_override, "%s",
		 secrets_override ? secrets_override : "");
	cfg_init(&mc);
	cfg_init(&sc);
	r = cfg_load(&mc, path);
	if (r == 0)
		r = load_main(c, &mc);
	if (r == 0 || secrets_override) {   /* errors of both files at once */
		const char *sp = secrets_override ? secrets_override : c->secrets_path;
		const struct passwd *pw = c->run_user[0] ? getpwnam(c->run_user) : NULL;
		int s;

		if (pw)   /* the user we drop to must read it on reload */
			sc.secret_owner = pw->pw_uid;
		s = cfg_load_secret(&sc, sp);

		if (s == 0)
			s = load_secrets(c, &sc);
		if (r == 0)
			r = s;
	}
	cfg_errors_print(&mc, errout);
	cfg_errors_print(&sc, errout);
	cfg_free(&mc);
	cfg_free(&sc);
	return r < 0 ? -EINVAL : 0;
}

void l2tpd_conf_free(struct l2tpd_conf *c)
{
	users_free(c->users);
	c->users = NULL;
	secret_free(&c->tunnel_secret);
}

const struct user *l2tpd_conf_user(const struct l2tpd_conf *c, const char *name)
{
	return c->users ? users_find(c->users, name) : NULL;
}

size_t l2tpd_conf_n_users(const struct l2tpd_conf *c)
{
	return c->users ? users_count(c->users) : 0;
}

bool l2tpd_conf_in_pool(const struct l2tpd_conf *c, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	for (unsigned i = 0; i < c->n_pools; i++)
		if (a >= ntohl(c->pools[i].start.s_addr) && a <= ntohl(c->pools[i].end.s_addr))
			return true;
	return false;
}
