/*
 * Secret memory and randomness, on libsodium.
 *
 * Key material (PSKs, SKEYID, SK_d, CHAP secrets...) lives in a struct secret: the bytes sit
 * in sodium_malloc() memory (guard pages around it, mlock()ed where the kernel allows, a
 * canary checked on free) and are wiped before they are released. The struct itself is a
 * plain value that can be embedded in any other struct; a zeroed struct secret is a valid
 * empty secret, so secret_free() on it is a no-op.
 *
 * Every function here calls secret_init() itself, so a caller that forgets it is still
 * safe; daemons call it once at start-up to fail early and loudly.
 */
#ifndef L2SEC_COMMON_SECRET_H
#define L2SEC_COMMON_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct secret {
	uint8_t *p;   /* sodium_malloc()ed, NULL when len == 0 */
	size_t len;
};

/* Initialise libsodium once (thread-safe). Returns 0, or -EIO if libsodium cannot start. */
int secret_init(void);

/*
 * Allocate len zeroed secret bytes into *s (which must be empty or freed). Returns 0,
 * -ENOMEM, or -EIO when libsodium failed to initialise. len == 0 gives an empty secret.
 * The caller owns s->p and releases it with secret_free().
 */
int secret_new(struct secret *s, size_t len);

/* Like secret_new(), then copy len bytes from src. Caller frees with secret_free(). */
int secret_dup(struct secret *s, const void *src, size_t len);

/* Wipe and release s->p; leaves *s empty. Safe on an empty (zeroed) secret and on NULL. */
void secret_free(struct secret *s);

/*
 * Constant-time equality of two secrets. Lengths are not secret: different lengths
 * compare unequal at once. Two empty secrets are equal.
 */
bool secret_eq(const struct secret *a, const struct secret *b);

/* Constant-time equality of n bytes (sodium_memcmp). */
bool ct_memeq(const void *a, const void *b, size_t n);

/*
 * Decode hex text (optionally prefixed "0x"/"0X", upper or lower case digits, no
 * separators) into a new secret. Returns 0, -EINVAL for empty input, an odd number of
 * digits or a non-hex character, or -ENOMEM. On success the caller owns *s (secret_free);
 * on failure *s is left empty.
 */
int secret_from_hex(struct secret *s, const char *hex);

/* Wipe n bytes at p in a way the compiler may not optimise away. */
void memwipe(void *p, size_t n);

/* Fill buf with n bytes from the kernel CSPRNG (via libsodium). */
void random_bytes(void *buf, size_t n);

/* A uniformly distributed 32-bit random number. */
uint32_t random_u32(void);

/* A uniform random number in [0, upper) without modulo bias; 0 when upper < 2. */
uint32_t random_uniform(uint32_t upper);

#endif
