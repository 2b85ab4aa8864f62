/*
 * The user database: name, password and/or NT hash, optional dedicated IPv4 address,
 * read from a libconfig list (the `users` list of secrets.conf):
 *
 *     users = (
 *       { name = "alice"; password = "clientPass"; ip = "198.51.100.50"; },
 *       { name = "bob";   nt_hash = "44EBBA8D5312B8D611474411F56989AE"; }
 *     );
 *
 * A password works with every method (PAP, CHAP-MD5, MS-CHAPv2); an NT hash (MD4 of the
 * UTF-16LE password, what Windows servers store) works with PAP and MS-CHAPv2 only.
 * A dedicated address belongs to one user: two users with the same address are an error.
 * Lookups are O(1) (hash on the name). Secrets are wiped when the database is freed.
 */
#ifndef L2SEC_L2TPD_USERS_H
#define L2SEC_L2TPD_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "common/config.h"
#include "l2tpd/ppp_auth.h"

struct user {
	char *name;
	char *password;          /* NULL if none */
	bool has_nt_hash;
	uint8_t nt_hash[MSCHAP_NT_HASH_LEN];
	uint32_t ip;             /* dedicated address (host order), 0 = from the pool */
};

struct users;

/*
 * Read the list `list` (a setting of c, e.g. cfg_get_list(c, root, "users", ...)).
 * Every problem is recorded in c with its file, line and key; returns 0 and *out (free with
 * users_free) when there were none, -EINVAL otherwise (*out NULL), -ENOMEM.
 */
int users_load(struct cfg *c, const config_setting_t *list, struct users **out);
void users_free(struct users *db);

size_t users_count(const struct users *db);
/* By exact name; NULL if unknown. Valid until users_free. */
const struct user *users_find(const struct users *db, const char *name);
/* The i-th user in file order (i < users_count), e.g. to reserve dedicated addresses. */
const struct user *users_at(const struct users *db, size_t i);
/* The user whose dedicated address is ip (host order), or NULL. O(log n). */
const struct user *users_find_by_ip(const struct users *db, uint32_t ip);

/*
 * Configuration reload: may a live session of user name, holding client address held_ip
 * (host order), go on under the database db? It may when the user still exists and holds
 * what db would give it now: its dedicated address, or (no dedicated address) any address
 * that is not another user's dedicated one. A changed password never ends a session
 * (authentication happened already).
 */
enum users_verdict {
	USERS_KEEP = 0,
	USERS_GONE,         /* the user is not in db any more */
	USERS_IP_MOVED,     /* the user's dedicated address is another one now (or new) */
	USERS_IP_TAKEN,     /* held_ip is now another user's dedicated address */
};
enum users_verdict users_session_verdict(const struct users *db, const char *name,
					 uint32_t held_ip);
/* Why a session ends, for logs and the CDN: static text. */
const char *users_verdict_reason(enum users_verdict v);

/* What a reload changes, user by user (old or new may be NULL: no users). A user whose
 * address changed counts in ip_changed even when the secret changed too. */
struct users_diff {
	size_t added, removed, ip_changed, secret_changed, unchanged;
};
void users_diff(const struct users *old, const struct users *new, struct users_diff *out);

/* For struct ppp_auth_ops.get_secret: 0 or -ENOENT. The caller wipes *out. */
int users_get_secret(const struct users *db, const char *name, struct ppp_user_secret *out);

#endif
