/*
 * ikd configuration: ikd.conf (global settings and connections) and the `ike` section of
 * secrets.conf (pre-shared keys by peer address or by identity, `%any` for either).
 *
 * ikd.conf (libconfig syntax):
 *
 *     ikd: { log_level = "info"; socket = "/run/l2sec/ikd.sock";
 *            secrets = "/etc/l2sec/secrets.conf"; ike_port = 500; natt_port = 4500;
 *            half_open_max = 1000; half_open_per_peer = 32;
 *            retransmit_ms = 1000; retransmit_tries = 6; nat_keepalive = 20;
 *            user = "l2sec"; group = "l2sec"; };
 *     connections = ( { name = "l2tp"; remote = "%any"; auth = "psk";
 *                       mode = "transport"; local_protoport = "udp/1701"; ... } );
 *
 * secrets.conf (shared with l2tpd, which reads its own sections):
 *
 *     ike: { psk = ( { peer = "192.0.2.7"; secret = "..."; },
 *                    { id = "@client.example"; secret = "..."; },
 *                    { peer = "%any"; secret = "..."; } ); };
 *
 * Loaded with common/config.h, so errors read as docs/config-errors.md says:
 * "ikd.conf:12: connections[0].auth: expected one of psk, rsa (got 'pks')"; every error
 * of a file is collected, unknown keys included ("did you mean"), cross-field checks run
 * once a connection is read. Lifetimes, DPD and NAT keepalive intervals are durations
 * ("8h", "30s"; a bare number is seconds).
 *
 * Ownership: ikd_conf_load() returns a heap struct the caller frees with ikd_conf_free();
 * PSKs live in libsodium-guarded memory (struct secret) and are wiped on free.
 */
#ifndef L2SEC_IKD_IKD_CONF_H
#define L2SEC_IKD_IKD_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/secret.h"
#include "ikd/ikd_id.h"
#include "ikd/proposal.h"

enum ikd_auth { IKD_AUTH_PSK = 1, IKD_AUTH_RSA = 3 };  /* Phase 1 attribute values */
enum ikd_ipsec_mode { IKD_MODE_TRANSPORT = 0, IKD_MODE_TUNNEL = 1 };
enum ikd_start { IKD_START_ADD = 0, IKD_START_NOW = 1 };

#define IKD_NAME_MAX 64
#define IKD_PROPOSAL_MAX 512
#define IKD_PATH_MAX 256
/* IKE fragments: 576 (the IPv4 datagram every host accepts) - 20 (IPv4) - 8 (UDP). The
 * minimum leaves room for the 36 bytes of fragment headers and some data. */
#define IKD_FRAGMENT_SIZE_DEFAULT 548
#define IKD_FRAGMENT_SIZE_MIN 128

struct ikd_conn {
	char name[IKD_NAME_MAX];
	struct ikd_host local, remote;       /* remote may be %any (responder only) */
	uint16_t remote_port;                /* where to send when initiating (500) */
	enum ikd_auth auth;
	bool aggressive;                     /* allow/use Aggressive Mode (PSK only) */
	struct ikd_id local_id, remote_id;   /* local ANY = our address; remote ANY = accept any */
	char ike[IKD_PROPOSAL_MAX];          /* Phase 1 proposals or profile name ("" = default) */
	char esp[IKD_PROPOSAL_MAX];          /* Phase 2 proposals or profile name */
	struct ike_p1_list ike_list;         /* ike, parsed */
	struct ike_p2_list esp_list;         /* esp, parsed */
	uint32_t ike_lifetime;               /* seconds */
	uint32_t lifetime;                   /* IPsec SA seconds */
	uint64_t lifetime_kb;                /* IPsec SA kilobytes, 0 = none */
	uint32_t rekey_margin;               /* seconds before expiry to rekey (initiator) */
	uint16_t pfs_group;                  /* 0 = no PFS */
	uint32_t dpd_delay, dpd_timeout;     /* seconds, delay 0 = off */
	bool natt;                           /* offer/accept NAT traversal */
	bool fragmentation;                  /* accept IKE fragments, send them to a peer
						that announced it (ikd.fragment_size) */
	enum ikd_ipsec_mode mode;
	uint8_t proto;                       /* transport selector protocol, 0 = any */
	uint16_t local_port, remote_port_sel;/* selector ports, 0 = any */
	struct ikd_host local_subnet, remote_subnet; /* tunnel mode */
	enum ikd_start start;
	char cert[IKD_PATH_MAX], key[IKD_PATH_MAX], ca[IKD_PATH_MAX], crl[IKD_PATH_MAX];
	int line;                            /* where it was defined, for logs */
};

struct ikd_psk {
	struct ikd_host peer;   /* any == true when keyed by id only or %any */
	struct ikd_id id;       /* IKD_ID_ANY when keyed by peer only */
	bool by_id;
	struct secret key;
	int line;
};

struct ikd_settings {
	char log_level[16];
	char socket[IKD_PATH_MAX];
	char secrets[IKD_PATH_MAX];
	char keylog[IKD_PATH_MAX];           /* "" = none */
	uint16_t ike_port, natt_port;
	bool ipv6;
	uint32_t half_open_max, half_open_per_peer;
	uint32_t retransmit_ms, retransmit_tries;
	uint32_t nat_keepalive;              /* seconds, 0 = off */
	uint32_t socket_mark;                /* fwmark on IKE sockets, 0 = none */
	bool nat_marks;                      /* XFRM marks per client behind NAT (l2tpd) */
	uint32_t mark_base;                  /* first mark handed out */
	uint32_t fragment_size;              /* largest IKE datagram (UDP payload) we send
						to a peer that announced fragmentation */
	char user[64];                       /* "" = stay root; else run as it (ikd_privs.h) */
	char group[64];                      /* "" = user's primary group */
};

struct ikd_conf {
	unsigned refs;                       /* ikd_conf_ref / ikd_conf_free */
	char path[IKD_PATH_MAX];
	struct ikd_settings set;
	struct ikd_conn *conns;
	size_t n_conns;
	struct ikd_psk *psks;
	size_t n_psks;
};

#define IKD_DIAG_MAX 32
#define IKD_DIAG_LEN 400
/* Collected errors of one load. */
struct ikd_conf_diag {
	unsigned n;             /* errors seen (may exceed IKD_DIAG_MAX; the rest dropped) */
	char text[IKD_DIAG_MAX][IKD_DIAG_LEN];
};

/*
 * Load ikd.conf at path and the secrets file it names (or secrets_override when not
 * NULL; "" skips secrets). Returns 0 and *out (caller frees with ikd_conf_free), or
 * -EINVAL with every error in diag, or -errno when a file cannot be read.
 * check_secret_mode: refuse a secrets file that is group- or world-readable.
 */
int ikd_conf_load(const char *path, const char *secrets_override, bool check_secret_mode,
		  struct ikd_conf **out, struct ikd_conf_diag *diag);
/* Parse ikd.conf text (no secrets); for tests. Same ownership as ikd_conf_load(). */
int ikd_conf_parse_string(const char *text, struct ikd_conf **out, struct ikd_conf_diag *diag);
/* Parse secrets text into conf (appending PSKs). Returns 0 or -EINVAL with diag. */
int ikd_conf_parse_secrets_string(struct ikd_conf *conf, const char *text,
				  struct ikd_conf_diag *diag);
/* Drop a reference; the last one frees (PSKs wiped). A loaded conf has one reference. */
void ikd_conf_free(struct ikd_conf *conf);
/* Take a reference (SAs keep the configuration they were negotiated under). */
struct ikd_conf *ikd_conf_ref(struct ikd_conf *conf);

/*
 * For a reload: the settings a running ikd cannot change (the IKE sockets: ike_port,
 * natt_port, ipv6, socket_mark; the control socket unless socket_fixed (-s); the
 * privileges: user, group) get cur's running values back in nc, and the name of each one
 * that differed is appended to changed[0..cap) (", "-separated; "" when none).
 */
void ikd_conf_keep_restart_only(const struct ikd_conf *cur, struct ikd_conf *nc,
				bool socket_fixed, char *changed, size_t cap);

const struct ikd_conn *ikd_conf_find_conn(const struct ikd_conf *conf, const char *name);

/*
 * The PSK for a peer: an entry for exactly this identity wins, then one for this
 * address (the most specific prefix), then %any. id may be NULL (Main Mode responder:
 * the ID is not known when the key is needed). NULL when none fits.
 */
const struct ikd_psk *ikd_conf_find_psk(const struct ikd_conf *conf,
					const struct sockaddr *peer, const struct ikd_id *id);

#endif
