/*
 * Configured IKEv1 proposal lists, the default profiles, and lifetime helpers.
 * Selection among a peer's offers lives in proposal_select.c.
 */
#include "ikd/proposal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ikd/ike_dh.h"
#include "ikd/ike_names.h"

/* ---- tokens ---- */

struct enc_word {
	const char *word;
	uint16_t ike_enc;       /* Phase 1 value */
	uint16_t esp_id;        /* Phase 2 value */
	uint16_t keylen;
};

static const struct enc_word enc_words[] = {
	{ "aes", IKE_ENC_AES, ESP_ID_AES_CBC, 128 },
	{ "aes128", IKE_ENC_AES, ESP_ID_AES_CBC, 128 },
	{ "aes192", IKE_ENC_AES, ESP_ID_AES_CBC, 192 },
	{ "aes256", IKE_ENC_AES, ESP_ID_AES_CBC, 256 },
	{ "3des", IKE_ENC_3DES, ESP_ID_3DES, 0 },
};

/* Words refused outright, with the reason. */
static const char *never_reason(const char *w)
{
	static const char *const never[] = { "des", "md5", "modp768", "null", "1des" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (strcasecmp(w, never[i]) == 0)
			return "is never accepted";
	return NULL;
}

static const struct enc_word *enc_find(const char *w)
{
	for (size_t i = 0; i < sizeof(enc_words) / sizeof(enc_words[0]); i++)
		if (strcasecmp(w, enc_words[i].word) == 0)
			return &enc_words[i];
	return NULL;
}

static int p1_hash_find(const char *w, uint16_t *h)
{
	if (strcasecmp(w, "sha") == 0)
		w = "sha1";
	if (ike_value_of(ike_hash_names, w, h) || !ike_hash_negotiable((enum ike_hash)*h))
		return -ENOENT;
	return 0;
}

struct auth_word {
	const char *word;
	uint16_t auth;
	uint16_t trunc;
};

static const struct auth_word auth_words[] = {
	{ "sha1", IPSEC_AUTH_HMAC_SHA1, 96 },
	{ "sha", IPSEC_AUTH_HMAC_SHA1, 96 },
	{ "sha256", IPSEC_AUTH_HMAC_SHA2_256, 128 },
	{ "sha256_96", IPSEC_AUTH_HMAC_SHA2_256, 96 },  /* Android 6/7 compatibility */
	{ "sha384", IPSEC_AUTH_HMAC_SHA2_384, 192 },
	{ "sha512", IPSEC_AUTH_HMAC_SHA2_512, 256 },
};

static const struct auth_word *auth_find(const char *w)
{
	for (size_t i = 0; i < sizeof(auth_words) / sizeof(auth_words[0]); i++)
		if (strcasecmp(w, auth_words[i].word) == 0)
			return &auth_words[i];
	return NULL;
}

static int group_find(const char *w, uint16_t *g)
{
	if (ike_value_of(ike_group_names, w, g) || !ike_dh_supported(*g))
		return -ENOENT;
	return 0;
}

/* ---- rendering ---- */

static const char *enc_str(uint16_t ike_enc, uint16_t keylen, char *buf, size_t size)
{
	const char *n = ike_name_of(ike_enc_names, ike_enc);
	if (!n)
		snprintf(buf, size, "enc%u", ike_enc);
	else if (keylen && ike_enc == IKE_ENC_AES)
		snprintf(buf, size, "%s%u", n, keylen);
	else
		snprintf(buf, size, "%s", n);
	return buf;
}

static const char *name_or_num(const struct ike_name *t, uint16_t v, const char *pfx,
			       char *buf, size_t size)
{
	const char *n = ike_name_of(t, v);
	if (n)
		snprintf(buf, size, "%s", n);
	else
		snprintf(buf, size, "%s%u", pfx, v);
	return buf;
}

const char *ike_p1_prop_str(const struct ike_p1_prop *p, char *buf, size_t size)
{
	char e[24], h[16], g[20];
	snprintf(buf, size, "%s-%s-%s", enc_str(p->enc, p->keylen, e, sizeof e),
		 name_or_num(ike_hash_names, p->hash, "hash", h, sizeof h),
		 name_or_num(ike_group_names, p->group, "group", g, sizeof g));
	return buf;
}

const char *ike_p2_prop_str(const struct ike_p2_prop *p, char *buf, size_t size)
{
	char e[24], a[24], g[24] = "";
	const char *en = ike_name_of(esp_id_names, p->esp_id);
	if (!en)
		snprintf(e, sizeof e, "esp%u", p->esp_id);
	else if (p->keylen && p->esp_id == ESP_ID_AES_CBC)
		snprintf(e, sizeof e, "%s%u", en, p->keylen);
	else
		snprintf(e, sizeof e, "%s", en);
	name_or_num(ipsec_auth_names, p->auth, "auth", a, sizeof a);
	if (p->auth == IPSEC_AUTH_HMAC_SHA2_256 && p->trunc_bits == 96)
		snprintf(a, sizeof a, "sha256_96");
	if (p->pfs_group) {
		char gn[20];
		snprintf(g, sizeof g, "-%s",
			 name_or_num(ike_group_names, p->pfs_group, "group", gn, sizeof gn));
	}
	snprintf(buf, size, "%s-%s%s", e, a, g);
	return buf;
}

static bool group_weak(uint16_t g)
{
	return g == 2 || g == 5;
}

bool ike_p1_prop_weak(const struct ike_p1_prop *p)
{
	return group_weak(p->group) || p->enc == IKE_ENC_3DES || p->hash == IKE_HASH_SHA1;
}

bool ike_p2_prop_weak(const struct ike_p2_prop *p)
{
	return p->esp_id == ESP_ID_3DES || p->auth == IPSEC_AUTH_HMAC_SHA1 ||
	       group_weak(p->pfs_group);
}

/* ---- lists and profiles ---- */

static int p1_add(struct ike_p1_list *l, const struct ike_p1_prop *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(&l->p[i], p, sizeof(*p)) == 0)
			return 0;
	if (l->n == IKE_PROP_MAX)
		return -ENOSPC;
	l->p[l->n++] = *p;
	return 0;
}

static int p2_add(struct ike_p2_list *l, const struct ike_p2_prop *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (memcmp(&l->p[i], p, sizeof(*p)) == 0)
			return 0;
	if (l->n == IKE_PROP_MAX)
		return -ENOSPC;
	l->p[l->n++] = *p;
	return 0;
}

static const uint16_t modern_groups[] = { 20, 19, 31, 16, 15, 14 };
static const uint16_t modern_hashes[] = { IKE_HASH_SHA2_256, IKE_HASH_SHA2_384,
					  IKE_HASH_SHA2_512 };
static const uint16_t aes_keys[] = { 256, 128 };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int p1_profile_modern(struct ike_p1_list *l)
{
	int rc = 0;
	for (size_t k = 0; k < N_OF(aes_keys); k++)
		for (size_t h = 0; h < N_OF(modern_hashes); h++)
			for (size_t g = 0; g < N_OF(modern_groups) && !rc; g++)
				rc = p1_add(l, &(struct ike_p1_prop){ IKE_ENC_AES, aes_keys[k],
							modern_hashes[h], modern_groups[g] });
	return rc;
}

/*
 * What the built-in L2TP/IPsec clients need beyond "modern" (CLIENTS.md):
 * Windows: AES/3DES with SHA-1 and ECP-384/256, MODP-2048/1024; macOS/iOS: AES-256 with
 * SHA-256/SHA-1 and MODP-1536/1024; Android: AES with SHA-256/SHA-1 and MODP-1024.
 */
static int p1_profile_legacy(struct ike_p1_list *l)
{
	static const uint16_t sha1_groups[] = { 20, 19, 14, 5, 2 };
	static const uint16_t old_groups[] = { 5, 2 };
	int rc = p1_profile_modern(l);
	for (size_t k = 0; k < N_OF(aes_keys) && !rc; k++)
		for (size_t g = 0; g < N_OF(old_groups) && !rc; g++)
			rc = p1_add(l, &(struct ike_p1_prop){ IKE_ENC_AES, aes_keys[k],
						IKE_HASH_SHA2_256, old_groups[g] });
	for (size_t k = 0; k < N_OF(aes_keys) && !rc; k++)
		for (size_t g = 0; g < N_OF(sha1_groups) && !rc; g++)
			rc = p1_add(l, &(struct ike_p1_prop){ IKE_ENC_AES, aes_keys[k],
						IKE_HASH_SHA1, sha1_groups[g] });
	if (!rc)
		rc = p1_add(l, &(struct ike_p1_prop){ IKE_ENC_3DES, 0, IKE_HASH_SHA1, 14 });
	if (!rc)
		rc = p1_add(l, &(struct ike_p1_prop){ IKE_ENC_3DES, 0, IKE_HASH_SHA1, 2 });
	return rc;
}

static const struct auth_word *auth_by(uint16_t auth)
{
	for (size_t i = 0; i < N_OF(auth_words); i++)
		if (auth_words[i].auth == auth)
			return &auth_words[i];
	return NULL;
}

static int p2_profile_modern(struct ike_p2_list *l)
{
	static const uint16_t auths[] = { IPSEC_AUTH_HMAC_SHA2_256, IPSEC_AUTH_HMAC_SHA2_384,
					  IPSEC_AUTH_HMAC_SHA2_512 };
	int rc = 0;
	for (size_t k = 0; k < N_OF(aes_keys); k++)
		for (size_t a = 0; a < N_OF(auths) && !rc; a++)
			rc = p2_add(l, &(struct ike_p2_prop){ ESP_ID_AES_CBC, aes_keys[k], auths[a],
						auth_by(auths[a])->trunc, 0 });
	return rc;
}

static int p2_profile_legacy(struct ike_p2_list *l)
{
	int rc = p2_profile_modern(l);
	for (size_t k = 0; k < N_OF(aes_keys) && !rc; k++)
		rc = p2_add(l, &(struct ike_p2_prop){ ESP_ID_AES_CBC, aes_keys[k],
					IPSEC_AUTH_HMAC_SHA1, 96, 0 });
	if (!rc)
		rc = p2_add(l, &(struct ike_p2_prop){ ESP_ID_3DES, 0, IPSEC_AUTH_HMAC_SHA1, 96, 0 });
	l->legacy = true;
	return rc;
}

/* Split s into tokens at commas and white space; call fn for each. */
static int for_each_token(const char *s, int (*fn)(const char *tok, void *arg), void *arg)
{
	char tok[64];
	while (*s) {
		size_t n = strcspn(s, ", \t\n");
		if (n >= sizeof tok)
			return -E2BIG;
		if (n) {
			memcpy(tok, s, n);
			tok[n] = 0;
			int rc = fn(tok, arg);
			if (rc)
				return rc;
		}
		s += n;
		s += strspn(s, ", \t\n");
	}
	return 0;
}

/* Split "a-b-c" into at most max words (in place). Returns the word count. */
static size_t split_words(char *tok, char **words, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(tok, "-", &save); w;
	     w = strtok_r(NULL, "-", &save)) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

struct parse_ctx {
	void *list;
	char *err;
	size_t err_len;
};

static int bad(struct parse_ctx *c, const char *tok, const char *word, const char *what)
{
	snprintf(c->err, c->err_len, "'%s': %s %s", tok, word, what);
	return -EINVAL;
}

/* Common checks on a word that did not parse: refused outright, or unknown. */
static int bad_word(struct parse_ctx *c, const char *tok, const char *word, const char *kind)
{
	const char *never = never_reason(word);
	if (never)
		return bad(c, tok, word, never);
	char what[48];
	snprintf(what, sizeof what, "is not a known %s", kind);
	return bad(c, tok, word, what);
}

/* The profiles, by name; each fills both phases' lists. */
static const struct profile {
	const char *name;
	int (*p1)(struct ike_p1_list *l);
	int (*p2)(struct ike_p2_list *l);
} profiles[] = {
	{ "modern", p1_profile_modern, p2_profile_modern },
	{ "legacy-clients", p1_profile_legacy, p2_profile_legacy },
};

static const struct profile *profile_find(const char *name)
{
	for (size_t i = 0; i < N_OF(profiles); i++)
		if (strcasecmp(name, profiles[i].name) == 0)
			return &profiles[i];
	return NULL;
}

static int p1_token(const char *tok, void *arg)
{
	struct parse_ctx *c = arg;
	struct ike_p1_list *l = c->list;
	const struct profile *pr = profile_find(tok);
	int rc;
	if (pr)
		rc = pr->p1(l);
	else {
		char copy[64], *w[4];
		snprintf(copy, sizeof copy, "%s", tok);
		if (split_words(copy, w, 3) != 3)
			return bad(c, tok, "proposal", "must be ENC-HASH-GROUP or a profile name");
		const struct enc_word *e = enc_find(w[0]);
		struct ike_p1_prop p = { 0 };
		if (!e)
			return bad_word(c, tok, w[0], "encryption algorithm");
		p.enc = e->ike_enc;
		p.keylen = e->keylen;
		if (p1_hash_find(w[1], &p.hash))
			return bad_word(c, tok, w[1], "hash");
		if (group_find(w[2], &p.group))
			return bad_word(c, tok, w[2], "DH group");
		rc = p1_add(l, &p);
	}
	if (rc)
		snprintf(c->err, c->err_len, "more than %d proposals", IKE_PROP_MAX);
	return rc ? -EINVAL : 0;
}

static int p2_token(const char *tok, void *arg)
{
	struct parse_ctx *c = arg;
	struct ike_p2_list *l = c->list;
	const struct profile *pr = profile_find(tok);
	int rc;
	if (pr)
		rc = pr->p2(l);
	else {
		char copy[64], *w[4];
		snprintf(copy, sizeof copy, "%s", tok);
		size_t n = split_words(copy, w, 3);
		if (n < 2 || n > 3)
			return bad(c, tok, "proposal", "must be ENC-AUTH[-GROUP] or a profile name");
		const struct enc_word *e = enc_find(w[0]);
		const struct auth_word *a = auth_find(w[1]);
		struct ike_p2_prop p = { 0 };
		if (!e)
			return bad_word(c, tok, w[0], "encryption algorithm");
		if (!a)
			return bad_word(c, tok, w[1], "integrity algorithm");
		if (n == 3 && group_find(w[2], &p.pfs_group))
			return bad_word(c, tok, w[2], "DH group");
		p.esp_id = e->esp_id;
		p.keylen = e->keylen;
		p.auth = a->auth;
		p.trunc_bits = a->trunc;
		rc = p2_add(l, &p);
	}
	if (rc)
		snprintf(c->err, c->err_len, "more than %d proposals", IKE_PROP_MAX);
	return rc ? -EINVAL : 0;
}

/* Reset the list at out (size bytes), then feed each token of s ("" = modern) to fn. */
static int list_parse(const char *s, void *out, size_t size, int (*fn)(const char *, void *),
		      char *err, size_t err_len)
{
	struct parse_ctx c = { out, err, err_len };
	memset(out, 0, size);
	if (!s || !*s)
		s = "modern";
	int rc = for_each_token(s, fn, &c);
	if (rc == -E2BIG)
		snprintf(err, err_len, "a proposal is longer than 63 characters");
	return rc ? -EINVAL : 0;
}

int ike_p1_list_parse(const char *s, struct ike_p1_list *out, char *err, size_t err_len)
{
	return list_parse(s, out, sizeof(*out), p1_token, err, err_len);
}

int ike_p2_list_parse(const char *s, struct ike_p2_list *out, char *err, size_t err_len)
{
	return list_parse(s, out, sizeof(*out), p2_token, err, err_len);
}

/* ---- lifetimes ---- */

bool ike_lifetime_clamp(const struct ike_lifetime *peer, const struct ike_lifetime *max,
			uint32_t dflt_seconds, struct ike_lifetime *eff)
{
	bool reduced = false;
	eff->seconds = peer->seconds ? peer->seconds : dflt_seconds;
	if (max->seconds && eff->seconds > max->seconds) {
		eff->seconds = max->seconds;
		reduced = peer->seconds != 0;
	}
	eff->kilobytes = peer->kilobytes;
	if (max->kilobytes && (!eff->kilobytes || eff->kilobytes > max->kilobytes)) {
		eff->kilobytes = max->kilobytes;
		reduced = true;
	}
	return reduced;
}

static int put_attr_value(uint8_t *buf, size_t cap, size_t *off, uint16_t type, uint64_t v)
{
	size_t vlen = v <= UINT16_MAX ? 0 : v <= UINT32_MAX ? 4 : 8;
	size_t need = 4 + vlen;
	if (cap - *off < need)
		return -ENOSPC;
	uint8_t *p = buf + *off;
	if (!vlen) {
		p[0] = (uint8_t)((type | 0x8000) >> 8);
		p[1] = (uint8_t)type;
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	} else {
		p[0] = (uint8_t)(type >> 8);
		p[1] = (uint8_t)type;
		p[2] = 0;
		p[3] = (uint8_t)vlen;
		for (size_t i = 0; i < vlen; i++)
			p[4 + i] = (uint8_t)(v >> (8 * (vlen - 1 - i)));
	}
	*off += need;
	return 0;
}

int ike_lifetime_attrs(const struct ike_lifetime *lt, bool ipsec, uint8_t *buf, size_t cap)
{
	uint16_t t_type = ipsec ? IPSEC_ATTR_LIFE_TYPE : IKE_ATTR_LIFE_TYPE;
	uint16_t t_dur = ipsec ? IPSEC_ATTR_LIFE_DURATION : IKE_ATTR_LIFE_DURATION;
	size_t off = 0;
	if (lt->seconds && (put_attr_value(buf, cap, &off, t_type, IKE_LIFE_SECONDS) ||
			    put_attr_value(buf, cap, &off, t_dur, lt->seconds)))
		return -ENOSPC;
	if (lt->kilobytes && (put_attr_value(buf, cap, &off, t_type, IKE_LIFE_KILOBYTES) ||
			      put_attr_value(buf, cap, &off, t_dur, lt->kilobytes)))
		return -ENOSPC;
	return (int)off;
}
