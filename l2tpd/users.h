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
/* For struct ppp_auth_ops.get_secret: 0 or -ENOENT. The caller wipes *out. */
int users_get_secret(const struct users *db, const char *name, struct ppp_user_secret *out);

#endif
