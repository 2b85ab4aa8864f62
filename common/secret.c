/*
 * Secret memory and randomness on libsodium. See secret.h.
 */
#include "common/secret.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -EIO;

static void sodium_init_once(void)
{
	/* sodium_init(): 0 = initialised now, 1 = already initialised, -1 = failure. */
	sodium_status = sodium_init() < 0 ? -EIO : 0;
}

int secret_init(void)
{
	pthread_once(&sodium_once, sodium_init_once);
	return sodium_status;
}

int secret_new(struct secret *s, size_t len)
{
	int err = secret_init();

	s->p = NULL;
	s->len = 0;
	if (err)
		return err;
	if (len == 0)
		return 0;
	s->p = sodium_malloc(len);
	if (!s->p)
		return -ENOMEM;
	/* sodium_malloc() fills with garbage (0xdb) on purpose; callers expect zeroes. */
	sodium_memzero(s->p, len);
	s->len = len;
	return 0;
}

int secret_dup(struct secret *s, const void *src, size_t len)
{
	int err = secret_new(s, len);

	if (err)
		return err;
	if (len)
		memcpy(s->p, src, len);
	return 0;
}

void secret_free(struct secret *s)
{
	if (!s || !s->p)
		return;
	/* sodium_free() wipes the region itself; the explicit wipe keeps that obvious. */
	sodium_memzero(s->p, s->len);
	sodium_free(s->p);
	s->p = NULL;
	s->len = 0;
}

bool ct_memeq(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return true;
	return sodium_memcmp(a, b, n) == 0;
}

bool secret_eq(const struct secret *a, const struct secret *b)
{
	if (a->len != b->len)
		return false;
	return ct_memeq(a->p, b->p, a->len);
}

int secret_from_hex(struct secret *s, const char *hex)
{
	size_t hex_len, bin_len = 0;
	int err;

	s->p = NULL;
	s->len = 0;
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	hex_len = strlen(hex);
	if (hex_len == 0 || hex_len % 2 != 0)
		return -EINVAL;
	err = secret_new(s, hex_len / 2);
	if (err)
		return err;
	/*
	 * sodium_hex2bin() is constant-time in the digit values; with hex_end == NULL it
	 * fails unless every character was consumed as a digit.
	 */
	if (sodium_hex2bin(s->p, s->len, hex, hex_len, NULL, &bin_len, NULL) != 0 ||
	    bin_len != s->len) {
		secret_free(s);
		return -EINVAL;
	}
	return 0;
}

void memwipe(void *p, size_t n)
{
	if (p && n)
		sodium_memzero(p, n);
}

void random_bytes(void *buf, size_t n)
{
	(void)secret_init();
	randombytes_buf(buf, n);
}

uint32_t random_u32(void)
{
	(void)secret_init();
	return randombytes_random();
}

uint32_t random_uniform(uint32_t upper)
{
	(void)secret_init();
	if (upper < 2)
		return 0;
	return randombytes_uniform(upper);
}
