/*
 * INTERNAL to common/config*.c: do not include it anywhere else (the API is
 * common/config.h, which declares cfg_parse_duration, cfg_format_duration and
 * cfg_parse_bytes, defined in config_value.c).
 *
 * The value syntax of the configuration, split out of config.c:
 *   - durations and byte counts: what cfg_get_duration / cfg_get_bytes share;
 *   - values quoted back in error messages ("(got '1O0')", escaped, capped, hidden for
 *     secrets);
 *   - a one-file cache of the source text (struct cfg's src_* fields), re-read to catch
 *     integer literals that libconfig 1.5 silently truncated to 32 bits, and to name the
 *     file of a failed @include.
 */
#ifndef L2SEC_COMMON_CONFIG_VALUE_H
#define L2SEC_COMMON_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

/* --- durations and byte counts ------------------------------------------------------ */

/* How one kind of amount is read from a setting and shown in a range error. */
struct cfgv_amount_kind {
	const char *expected;
	int (*parse)(const char *s, uint64_t *out);
	uint64_t int_unit;   /* what a bare integer setting counts */
	void (*format)(uint64_t v, char *buf, size_t len);
};

extern const struct cfgv_amount_kind cfgv_duration_kind;   /* milliseconds */
extern const struct cfgv_amount_kind cfgv_bytes_kind;

/* *acc += n * unit. 0, or -ERANGE on overflow (then *acc is unchanged). */
int cfgv_mul_add(uint64_t *acc, uint64_t n, uint64_t unit);

/* --- values in error messages ------------------------------------------------------- */

/* Error about the value of s: "what (got 'VALUE')"; the value is hidden for CFG_SECRET
 * settings and secrets files. */
void cfgv_value_error(struct cfg *c, const config_setting_t *s, unsigned flags,
		      const char *what);
/* Error for an integer literal libconfig truncated to 32 bits (lit: its source text). */
void cfgv_truncated_error(struct cfg *c, const config_setting_t *s, unsigned flags,
			  const char *lit);

/* --- source text -------------------------------------------------------------------- */

/* Start of line `line` (1-based) of file, read into c's one-file cache (replacing the
 * file cached before), or NULL if the file or line cannot be had. The text ends at '\n'
 * or NUL and belongs to c: valid until the next call or cfgv_source_drop. */
const char *cfgv_source_line(struct cfg *c, const char *file, unsigned line);
/* Put text into the cache as the contents of file (cfg_load_string: the text has no file
 * to read back). false when out of memory (the cache is then empty). */
bool cfgv_source_set(struct cfg *c, const char *file, const char *text);
/* Wipe and free the cache (a secrets file's text is in it). */
void cfgv_source_drop(struct cfg *c);

/*
 * Scan the integer literals on one source line (outside strings and comments). If one is
 * outside the 32-bit range, has no L suffix and truncates to `value` the way libconfig 1.5
 * does, copy its text to lit and return true.
 */
bool cfgv_truncated_literal(const char *line, int value, char *lit, size_t litlen);

#endif
