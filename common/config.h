/*
 * Configuration loading on libconfig, with errors an admin can act on.
 *
 * Every problem becomes one error line
 *     FILE:LINE: KEY: what is wrong (got 'VALUE')
 * (docs/config-errors.md), and all problems of a file are collected, not only the first:
 * load, call the getters for everything you need, run cfg_check_keys() on each group and
 * your cross-field checks (cfg_error_at()), then look at cfg_error_count() once.
 *
 * Getters take the parent setting and a key (key == NULL: the parent itself is the value,
 * for elements of lists and arrays), and return
 *      1  the key is present and valid: *out written;
 *      0  the key is absent and optional: *out untouched, so preset it to the default;
 *     <0  -ENOENT (missing and CFG_REQUIRED) or -EINVAL (wrong type, range or syntax),
 *         with an error recorded; *out untouched.
 *
 * @include "FILE" is resolved relative to the directory of the file given to cfg_load().
 *
 * libconfig 1.5 (Debian 12) silently truncates integer literals beyond 32 bits unless they
 * carry an L suffix; the integer getters detect that from the source text and report it.
 */
#ifndef L2SEC_COMMON_CONFIG_H
#define L2SEC_COMMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <libconfig.h>
#include <sys/types.h>

/* Stored errors per cfg; later ones are only counted ("... and N more"). */
#define CFG_MAX_ERRORS 100

struct cfg_error {
	char *file;      /* NULL if not known */
	unsigned line;   /* 0 if not known */
	char *key;       /* dotted path ("ike.proposals[1].lifetime"), NULL if none */
	char *msg;       /* what is wrong, with "(got '...')" where a value was given */
};

struct cfg {
	config_t lc;
	bool loaded;             /* lc is initialised (cfg_free() destroys it) */
	bool parsed;             /* the last cfg_load() succeeded: settings can be read */
	bool secret;             /* never echo values; wipe strings on cfg_free() */
	uid_t secret_owner;      /* may own a secrets file besides root and us (0: nobody
				  * else): the user a daemon drops to, who reads it on reload */
	char *path;              /* as given to cfg_load() */
	char *include_dir;       /* directory of path, where @include files are found */
	struct cfg_error *errors;
	size_t n_errors;
	size_t n_dropped;        /* errors beyond CFG_MAX_ERRORS or lost to ENOMEM */
	char *src_file;          /* one-file cache of source text, see config.c */
	char *src_text;
	size_t src_len;
	size_t *src_lines;       /* offset of each line start in src_text */
	size_t src_nlines;
};

/* Getter flags */
#define CFG_REQUIRED 0x01u  /* absence is an error */
#define CFG_ANY      0x02u  /* cfg_get_addr(): accept "any"/"%any" (family AF_UNSPEC) */
#define CFG_SECRET   0x04u  /* never copy the value into an error */

/* Name <-> value table, terminated by { NULL, 0 }. Also used for logging names. */
struct cfg_enum {
	const char *name;
	int value;
};

/* --- loading ----------------------------------------------------------------------- */

/* Make c empty and ready for cfg_load() (cfg_free() is then always safe). */
void cfg_init(struct cfg *c);

/*
 * Parse path. Returns 0, -EINVAL on a syntax error (one error with file and line),
 * -EALREADY if c was loaded before, or -errno if the file cannot be read (error recorded).
 * The settings stay valid until cfg_free().
 */
int cfg_load(struct cfg *c, const char *path);

/*
 * Parse text as if it were a file called name (errors say "name:LINE: ..."): for tests
 * and for configuration that arrives as text. Returns as cfg_load(); set c->secret first
 * for secrets. @include is read relative to the current directory.
 */
int cfg_load_string(struct cfg *c, const char *name, const char *text);

/*
 * For secrets files: cfg_check_secret_file(), then cfg_load() with values never echoed
 * in errors and string values wiped by cfg_free(). Returns as cfg_load() or -EACCES.
 */
int cfg_load_secret(struct cfg *c, const char *path);

/*
 * Refuse a secrets file that is not a regular file, is accessible by group or others
 * (any of mode 077), or is owned by someone else than root, us or c->secret_owner. Records an error that
 * names the file and its mode. Returns 0, -EACCES or -errno from stat().
 */
int cfg_check_secret_file(struct cfg *c, const char *path);

/* Release everything, including the error list; c is left as after cfg_init(). */
void cfg_free(struct cfg *c);

/* The root group (NULL unless cfg_load() succeeded). */
config_setting_t *cfg_root(const struct cfg *c);

/* --- getters ------------------------------------------------------------------------ */

/* *out points into c, valid until cfg_free(). */
int cfg_get_string(struct cfg *c, const config_setting_t *parent, const char *key,
		   unsigned flags, const char **out);
/* A string copied into dst[0..cap); a longer one is an error ("longer than N
 * characters"), dst untouched. */
int cfg_get_string_buf(struct cfg *c, const config_setting_t *parent, const char *key,
		       unsigned flags, char *dst, size_t cap);
/* Integer in [min, max]. */
int cfg_get_int_range(struct cfg *c, const config_setting_t *parent, const char *key,
		      unsigned flags, int64_t min, int64_t max, int64_t *out);
/* true / false. */
int cfg_get_bool(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, bool *out);
/* A string naming one entry of table (case-insensitive); *out = its value. */
int cfg_get_enum(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, const struct cfg_enum *table, int *out);
/*
 * An IPv4 or IPv6 literal (no port, no zone); with CFG_ANY also "any" or "%any", which
 * yields ss_family == AF_UNSPEC. Ports are 0.
 */
int cfg_get_addr(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, struct sockaddr_storage *out);
/* A duration (see cfg_parse_duration(); a bare integer is seconds) in [min_ms, max_ms]. */
int cfg_get_duration(struct cfg *c, const config_setting_t *parent, const char *key,
		     unsigned flags, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);
/* A byte count (see cfg_parse_bytes(); a bare integer is bytes) in [min, max]. */
int cfg_get_bytes(struct cfg *c, const config_setting_t *parent, const char *key,
		  unsigned flags, uint64_t min, uint64_t max, uint64_t *out);
/* A group { ... }; *out points into c. */
int cfg_get_group(struct cfg *c, const config_setting_t *parent, const char *key,
		  unsigned flags, config_setting_t **out);
/* A list ( ... ) or array [ ... ]; *out points into c. */
int cfg_get_list(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, config_setting_t **out);

/*
 * Report every member of group whose name is not in known (NULL-terminated) as
 * "unknown key", suggesting the closest known name when one is close.
 * Returns the number of unknown keys.
 */
int cfg_check_keys(struct cfg *c, const config_setting_t *group, const char *const known[]);

/*
 * Record an error at setting s (its file and line), KEY being s's path plus ".key" when
 * key is not NULL; for cross-field checks. s may be NULL (no file/line/key).
 */
void cfg_error_at(struct cfg *c, const config_setting_t *s, const char *key,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Record "WHAT (got 'VALUE')" at setting s, the value quoted as the getters quote it
 * (escaped, capped; hidden with CFG_SECRET or in a secrets file): for values a caller
 * parses itself (addresses with a prefix, identities, PROTO/PORT).
 */
void cfg_value_error(struct cfg *c, const config_setting_t *s, unsigned flags,
		     const char *what);

/* --- errors ------------------------------------------------------------------------- */

/* Errors recorded, including dropped ones: 0 means the configuration is good. */
size_t cfg_error_count(const struct cfg *c);
/*
 * The i-th stored error (i < cfg_error_count() and < CFG_MAX_ERRORS), else NULL. The list
 * is kept in reading order: by line within a file, files in the order of their first
 * error, errors without a file last. Owned by c.
 */
const struct cfg_error *cfg_error_get(const struct cfg *c, size_t i);
/* One error as "FILE:LINE: KEY: msg" (parts that are unknown are left out); snprintf-like. */
int cfg_error_format(const struct cfg_error *e, char *buf, size_t len);
/* All errors, one per line, each ending in '\n'; truncated to len. Returns bytes needed. */
size_t cfg_errors_format(const struct cfg *c, char *buf, size_t len);
void cfg_errors_print(const struct cfg *c, FILE *f);

/* --- value syntax (no cfg needed; also for vpnctl arguments) ------------------------ */

/*
 * "500ms", "30s", "15m", "8h", "1d", "2w", combined like "1h30m"; a bare number is
 * seconds. Returns 0, -EINVAL (syntax) or -ERANGE (overflow).
 */
int cfg_parse_duration(const char *s, uint64_t *out_ms);
/* "1500", "250000K", "1M", "4G", "1T" (binary: K = 1024). Returns 0, -EINVAL, -ERANGE. */
int cfg_parse_bytes(const char *s, uint64_t *out);
/* Render ms with the largest exact unit ("90s" -> "90s", 86400000 -> "1d"). */
void cfg_format_duration(uint64_t ms, char *buf, size_t len);
/* Table lookups (names case-insensitive): 0 / -ENOENT, and NULL when not found. */
int cfg_enum_value(const struct cfg_enum *table, const char *name, int *out);
const char *cfg_enum_name(const struct cfg_enum *table, int value);

#endif
