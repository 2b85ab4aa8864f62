/* The user database. See users.h. */
#include "l2tpd/users.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "l2tpd/ippool.h"

struct users {
	struct user *v;
	size_t n;
	uint32_t *index;         /* hash slots: 1 + position in v, 0 = empty */
	size_t cap;              /* power of two, >= 2n */
	const struct user **by_ip;   /* users with a dedicated address, sorted by it */
	size_t n_ip;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void wipe_str(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void users_free(struct users *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n; i++) {
		free(db->v[i].name);
		wipe_str(db->v[i].password);
	}
	if (db->v)
		OPENSSL_cleanse(db->v, db->n * sizeof *db->v);
	free(db->v);
	free(db->index);
	free(db->by_ip);
	free(db);
}

const struct user *users_find(const struct users *db, const char *name)
{
	if (!db || !db->cap)
		return NULL;
	for (size_t i = name_hash(name) & (db->cap - 1);; i = (i + 1) & (db->cap - 1)) {
		if (!db->index[i])
			return NULL;
		if (!strcmp(db->v[db->index[i] - 1].name, name))
			return &db->v[db->index[i] - 1];
	}
}

size_t users_count(const struct users *db) { return db ? db->n : 0; }

const struct user *users_at(const struct users *db, size_t i)
{
	return db && i < db->n ? &db->v[i] : NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_nt_hash(const char *s, uint8_t out[MSCHAP_NT_HASH_LEN])
{
	if (strlen(s) != 2 * MSCHAP_NT_HASH_LEN)
		return -EINVAL;
	for (int i = 0; i < MSCHAP_NT_HASH_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char *const user_keys[] = { "name", "password", "nt_hash", "ip", NULL };

/* One { name = ...; ... } entry into *u. Errors are recorded in c. */
static void load_one(struct cfg *c, config_setting_t *e, struct user *u)
{
	const char *name = NULL, *pw = NULL, *nt = NULL, *ip = NULL;

	if (!config_setting_is_group(e)) {
		cfg_error_at(c, e, NULL, "each user is a group { name = ...; password = ...; }");
		return;
	}
	cfg_check_keys(c, e, user_keys);
	cfg_get_string(c, e, "name", CFG_REQUIRED, &name);
	cfg_get_string(c, e, "password", CFG_SECRET, &pw);
	cfg_get_string(c, e, "nt_hash", CFG_SECRET, &nt);
	cfg_get_string(c, e, "ip", 0, &ip);
	if (name && (!*name || strlen(name) > PPP_AUTH_NAME_MAX))
		cfg_error_at(c, e, "name", "must be 1 to %d characters", PPP_AUTH_NAME_MAX);
	if (!pw && !nt)
		cfg_error_at(c, e, NULL, "user needs a password or an nt_hash");
	if (pw && strlen(pw) > 255)
		cfg_error_at(c, e, "password", "longer than 255 characters");
	if (nt && parse_nt_hash(nt, u->nt_hash) < 0)
		cfg_error_at(c, e, "nt_hash", "must be 32 hexadecimal digits");
	else if (nt)
		u->has_nt_hash = true;
	if (ip && (ippool_parse_addr(ip, &u->ip) < 0 || u->ip == 0))
		cfg_error_at(c, e, "ip", "not an IPv4 address (got '%s')", ip);
	u->name = name ? strdup(name) : NULL;
	u->password = pw ? strdup(pw) : NULL;
}

static int build_index(struct cfg *c, const config_setting_t *list, struct users *db)
{
	db->cap = 16;
	while (db->cap < 2 * db->n)
		db->cap *= 2;
	db->index = calloc(db->cap, sizeof *db->index);
	if (!db->index)
		return -ENOMEM;
	for (size_t k = 0; k < db->n; k++) {
		const char *name = db->v[k].name;
		size_t i;

		if (!name)
			continue;
		if (users_find(db, name)) {
			cfg_error_at(c, config_setting_get_elem(list, (unsigned)k), "name",
				     "user '%s' is defined twice", name);
			continue;
		}
		for (i = name_hash(name) & (db->cap - 1); db->index[i]; i = (i + 1) & (db->cap - 1))
			;
		db->index[i] = (uint32_t)k + 1;
	}
	return 0;
}

/* A dedicated address may belong to one user only. O(n log n) via sorting. */
static int cmp_ip(const void *a, const void *b)
{
	const struct user *const *x = a, *const *y = b;

	return (*x)->ip < (*y)->ip ? -1 : (*x)->ip > (*y)->ip;
}

static int check_ips(struct cfg *c, const config_setting_t *list, struct users *db)
{
	const struct user **by_ip = calloc(db->n ? db->n : 1, sizeof *by_ip);
	size_t m = 0;
	char a[16];

	if (!by_ip)
		return -ENOMEM;
	for (size_t k = 0; k < db->n; k++)
		if (db->v[k].ip)
			by_ip[m++] = &db->v[k];
	qsort(by_ip, m, sizeof *by_ip, cmp_ip);
	for (size_t k = 1; k < m; k++)
		if (by_ip[k]->ip == by_ip[k - 1]->ip)
			cfg_error_at(c, config_setting_get_elem(list, (unsigned)(by_ip[k] - db->v)),
				     "ip", "%s is already the dedicated address of user '%s'",
				     ippool_fmt_addr(by_ip[k]->ip, a), by_ip[k - 1]->name);
	db->by_ip = by_ip;   /* kept for users_find_by_ip() */
	db->n_ip = m;
	return 0;
}

int users_load(struct cfg *c, const config_setting_t *list, struct users **out)
{
	size_t before = cfg_error_count(c);
	struct users *db;
	int rc;

	*out = NULL;
	db = calloc(1, sizeof *db);
	if (!db)
		return -ENOMEM;
	db->n = list ? (size_t)config_setting_length(list) : 0;
	db->v = calloc(db->n ? db->n : 1, sizeof *db->v);
	if (!db->v) {
		users_free(db);
		return -ENOMEM;
	}
	for (size_t k = 0; k < db->n; k++)
		load_one(c, config_setting_get_elem(list, (unsigned)k), &db->v[k]);
	rc = build_index(c, list, db);
	if (rc == 0)
		rc = check_ips(c, list, db);
	if (rc == 0 && cfg_error_count(c) != before)
		rc = -EINVAL;
	if (rc < 0) {
		users_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

int users_get_secret(const struct users *db, const char *name, struct ppp_user_secret *out)
{
	const struct user *u = users_find(db, name);

	memset(out, 0, sizeof *out);
	if (!u)
		return -ENOENT;
	if (u->password) {
		out->has_password = true;
		memcpy(out->password, u->password, strlen(u->password) + 1);
	}
	if (u->has_nt_hash) {
		out->has_nt_hash = true;
		memcpy(out->nt_hash, u->nt_hash, sizeof out->nt_hash);
	}
	return 0;
}

const struct user *users_find_by_ip(const struct users *db, uint32_t ip)
{
	size_t lo = 0, hi = db ? db->n_ip : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (db->by_ip[mid]->ip == ip)
			return db->by_ip[mid];
		if (db->by_ip[mid]->ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

enum users_verdict users_session_verdict(const struct users *db, const char *name,
					 uint32_t held_ip)
{
	const struct user *u = users_find(db, name), *owner;

	if (!u)
		return USERS_GONE;
	if (u->ip)
		return u->ip == held_ip ? USERS_KEEP : USERS_IP_MOVED;
	owner = held_ip ? users_find_by_ip(db, held_ip) : NULL;
	return owner && owner != u ? USERS_IP_TAKEN : USERS_KEEP;
}

const char *users_verdict_reason(enum users_verdict v)
{
	switch (v) {
	case USERS_GONE: return "user removed from the configuration";
	case USERS_IP_MOVED: return "dedicated address changed: reconnect to get the new one";
	case USERS_IP_TAKEN: return "address is now another user's dedicated address";
	default: return "kept";
	}
}

static bool same_secret(const struct user *a, const struct user *b)
{
	if (!a->password != !b->password || a->has_nt_hash != b->has_nt_hash)
		return false;
	if (a->password && (strlen(a->password) != strlen(b->password) ||
			    CRYPTO_memcmp(a->password, b->password, strlen(a->password)) != 0))
		return false;
	return !a->has_nt_hash || CRYPTO_memcmp(a->nt_hash, b->nt_hash, sizeof a->nt_hash) == 0;
}

void users_diff(const struct users *old, const struct users *new, struct users_diff *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < users_count(new); i++) {
		const struct user *n = &new->v[i], *o = users_find(old, n->name);

		if (!o)
			out->added++;
		else if (o->ip != n->ip)
			out->ip_changed++;
		else if (!same_secret(o, n))
			out->secret_changed++;
		else
			out->unchanged++;
	}
	for (size_t i = 0; i < users_count(old); i++)
		if (!users_find(new, old->v[i].name))
			out->removed++;
}
