/*
 * l2tpd.conf and the l2tpd parts of secrets.conf (docs/l2tpd.md has the full reference).
 *
 * l2tpd.conf (libconfig):
 *   l2tpd = {
 *     listen = "any";                 # address of the L2TP listener ("any" or a literal)
 *     port = 1701;
 *     hostname = "l2sec";             # our Host Name AVP
 *     hello_interval = "60s";         # HELLO after this long without input; 0 = off
 *     secrets = "/etc/l2sec/secrets.conf";
 *     control_socket = "/run/l2sec/l2tpd.sock";
 *     interface_prefix = "l2sec";     # PPP interfaces are PREFIX<n>
 *     max_sessions = 20000;
 *     require_protected = false;      # accept L2TP only from peers ikd reports protected
 *     rws = 8;                        # receive window we offer
 *     user = "l2sec"; group = "l2sec"; # run as this user after start-up (privdrop.h)
 *   };
 *   ppp = {
 *     auth = [ "mschapv2", "chap-md5" ];  # allowed methods, preferred first
 *     mtu = 1400; mru = 1400;
 *     local_ip = "192.0.2.1";         # our end of every PPP link
 *     dns = [ "192.0.2.53" ];         # up to two, offered in IPCP
 *     duplicate_login = "replace";    # or "refuse"
 *     echo_interval = "30s"; echo_failures = 5;
 *   };
 *   pools = ( { start = "198.51.100.10"; end = "198.51.100.250"; } );
 *   lac = ( { name = "site"; lns = "192.0.2.1"; port = 1701;
 *             pppd_options = "/etc/l2sec/site.options"; autostart = true; } );
 *
 * secrets.conf (mode 0600), l2tpd's keys:
 *   l2tp = { tunnel_secret = "..."; };      # optional: tunnel authentication (RFC 2661 §5.1.1)
 *   users = ( { name = "alice"; password = "..."; ip = "198.51.100.5"; },
 *             { name = "bob"; nt_hash = "<32 hex digits>"; } );
 */
#ifndef L2SEC_L2TPD_L2TPD_CONF_H
#define L2SEC_L2TPD_L2TPD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/config.h"
#include "common/secret.h"
#include "l2tpd/ppp_auth.h"
#include "l2tpd/users.h"

#define L2TPD_NAME_MAX 64
#define L2TPD_PATH_MAX 256
#define L2TPD_MAX_POOLS 16
#define L2TPD_MAX_DNS 2

enum l2tpd_dup_policy {
	L2TPD_DUP_REPLACE = 0,   /* a second login of a user ends the first session */
	L2TPD_DUP_REFUSE,        /* a second login is refused while the first lives */
};

struct l2tpd_pool {
	struct in_addr start, end;   /* inclusive, network order */
};

#define L2TPD_MAX_LACS 16

/* A tunnel we open as LAC (site links, tests): one call, PPP run by pppd's pppol2tp
 * plugin on the call's PPPoL2TP socket. */
struct l2tpd_lac {
	char name[L2TPD_NAME_MAX];
	struct sockaddr_storage peer;   /* the LNS: address and port */
	socklen_t peer_len;
	char pppd_options[L2TPD_PATH_MAX];   /* pppd "file" for the call */
	bool autostart;                 /* connect at start-up */
};

struct l2tpd_conf {
	/* l2tpd { } */
	struct sockaddr_storage listen;     /* address and port (AF_INET, or AF_INET6) */
	socklen_t listen_len;
	char hostname[L2TPD_NAME_MAX];
	uint32_t hello_ms;
	char secrets_path[L2TPD_PATH_MAX];
	char ctl_path[L2TPD_PATH_MAX];
	char if_prefix[8];
	uint32_t max_sessions;
	bool require_protected;
	uint16_t rws;
	char firewall_set[160];          /* "" or canonical "family table set" (fwset.h) */
	char hook[L2TPD_PATH_MAX];          /* "" or the session hook program (hook.h) */
	char run_user[L2TPD_NAME_MAX];      /* "" = keep the starting user (root) */
	char run_group[L2TPD_NAME_MAX];     /* "" = run_user's primary group */
	/* ppp { } */
	enum ppp_auth_method auth[PPP_AUTH_METHOD_COUNT];   /* PPP_AUTH_NONE-terminated */
	uint16_t mtu, mru;
	struct in_addr local_ip;
	struct in_addr dns[L2TPD_MAX_DNS];
	unsigned n_dns;
	enum l2tpd_dup_policy dup_policy;
	uint32_t echo_interval_ms;
	uint8_t echo_failures;
	/* pools ( ) */
	struct l2tpd_pool pools[L2TPD_MAX_POOLS];
	unsigned n_pools;
	/* lac ( ) */
	struct l2tpd_lac lacs[L2TPD_MAX_LACS];
	unsigned n_lacs;
	/* secrets.conf */
	struct secret tunnel_secret;        /* empty: no tunnel authentication */
	struct users *users;                /* users.h; NULL when secrets.conf has none */
	/* where it came from, for reloads (set by l2tpd_conf_load) */
	char conf_path[L2TPD_PATH_MAX];
	char secrets_override[L2TPD_PATH_MAX];   /* "" = secrets_path */
	bool ctl_path_fixed;                /* ctl_path given on the command line (-s) */
};

/* Defaults for everything (no pools, no users, no secret). */
void l2tpd_conf_defaults(struct l2tpd_conf *c);

/*
 * Load l2tpd.conf from path, then the secrets file it names (secrets_override, if not
 * NULL, wins). Every problem of both files is printed to errout, one
 * "FILE:LINE: KEY: what is wrong" line each. Returns 0, or -EINVAL when any error was
 * found (conf is then partly filled: free it anyway).
 */
int l2tpd_conf_load(struct l2tpd_conf *c, const char *path, const char *secrets_override,
		    FILE *errout);

/* The same from already-loaded libconfig documents (for tests). secrets may be NULL. */
int l2tpd_conf_from_cfg(struct l2tpd_conf *c, struct cfg *main_cfg, struct cfg *secrets_cfg);

/* Release users and secrets (wiped). c stays usable after l2tpd_conf_defaults(). */
void l2tpd_conf_free(struct l2tpd_conf *c);

/* The user named name (exact match), or NULL; and how many there are. */
const struct user *l2tpd_conf_user(const struct l2tpd_conf *c, const char *name);
size_t l2tpd_conf_n_users(const struct l2tpd_conf *c);

/* Is addr inside one of the pools? */
bool l2tpd_conf_in_pool(const struct l2tpd_conf *c, struct in_addr addr);

extern const struct cfg_enum l2tpd_dup_policy_names[];

#endif
