/*
 * Configuration loading on libconfig with an error list. See config.h for the contract
 * and docs/config-errors.md for the error format. The value syntax (durations, byte
 * counts, values quoted in errors, the 32-bit truncation check) is in config_value.c.
 */
#include "common/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config_value.h"
#include "common/secret.h"

#define KEY_MAX 256        /* longest dotted key path we render */

/* --- error list ----------------------------------------------------------------------- */

/*
 * Where a new error goes so that the list reads top-down: after the errors of the same
 * file with a line <= line, before those with a greater line. Files keep the order of
 * their first error; errors without a file come last.
 */
static size_t error_slot(const struct cfg *c, const char *file, unsigned line)
{
	size_t after_same = 0, first_fileless = c->n_errors;
	bool same_seen = false;

	for (size_t i = 0; i < c->n_errors; i++) {
		const struct cfg_error *e = &c->errors[i];

		if (!e->file) {
			if (first_fileless == c->n_errors)
				first_fileless = i;
			continue;
		}
		if (!file || strcmp(e->file, file) != 0)
			continue;
		if (e->line > line)
			return same_seen ? after_same : i;
		after_same = i + 1;
		same_seen = true;
	}
	if (same_seen)
		return after_same;
	return file ? first_fileless : c->n_errors;
}

static void record(struct cfg *c, const char *file, unsigned line, const char *key,
		   const char *msg)
{
	struct cfg_error e = { NULL, line, NULL, NULL };
	size_t slot;

	if (c->n_errors >= CFG_MAX_ERRORS) {
		c->n_dropped++;
		return;
	}
	if (!c->errors)
		c->errors = calloc(CFG_MAX_ERRORS, sizeof *c->errors);
	e.file = file ? strdup(file) : NULL;
	e.key = key ? strdup(key) : NULL;
	e.msg = strdup(msg);
	if (!c->errors || (file && !e.file) || (key && !e.key) || !e.msg) {
		free(e.file);
		free(e.key);
		free(e.msg);
		c->n_dropped++;
		return;
	}
	slot = error_slot(c, file, line);
	memmove(&c->errors[slot + 1], &c->errors[slot],
		(c->n_errors - slot) * sizeof c->errors[0]);
	c->errors[slot] = e;
	c->n_errors++;
}

/*
 * libconfig names an @include'd file as written, relative to the include directory;
 * show the admin the path that was actually read.
 */
static void display_file(const struct cfg *c, const char *file, char *buf, size_t len)
{
	if (!file)
		file = c->path;
	if (!file) {
		buf[0] = '\0';
		return;
	}
	if (file[0] == '/' || !c->include_dir || strcmp(file, c->path) == 0 ||
	    strcmp(c->include_dir, ".") == 0)
		snprintf(buf, len, "%s", file);
	else
		snprintf(buf, len, "%s/%s", c->include_dir, file);
}

/* Dotted path of s ("conn[2].lifetime"), plus ".key" when key is given. */
static void key_path(const config_setting_t *s, const char *key, char *buf, size_t len)
{
	const config_setting_t *chain[32];
	size_t depth = 0, pos = 0;

	buf[0] = '\0';
	for (; s && config_setting_parent(s) && depth < 32; s = config_setting_parent(s))
		chain[depth++] = s;
	while (depth > 0 && pos < len) {
		const config_setting_t *e = chain[--depth];
		const char *name = config_setting_name(e);
		int n;

		if (name)
			n = snprintf(buf + pos, len - pos, "%s%s", pos ? "." : "", name);
		else
			n = snprintf(buf + pos, len - pos, "[%d]", config_setting_index(e));
		if (n < 0)
			break;
		pos += (size_t)n;
	}
	if (key && pos < len)
		snprintf(buf + pos, len - pos, "%s%s", pos ? "." : "", key);
}

static void verror_at(struct cfg *c, const config_setting_t *s, const char *key,
		      const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void verror_at(struct cfg *c, const config_setting_t *s, const char *key,
		      const char *fmt, va_list ap)
{
	char file[PATH_MAX], path[KEY_MAX], msg[512];
	bool has_key = key || (s && config_setting_parent(s));

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!s) {
		record(c, NULL, 0, key, msg);
		return;
	}
	display_file(c, config_setting_source_file(s), file, sizeof file);
	key_path(s, key, path, sizeof path);
	record(c, file[0] ? file : NULL, config_setting_source_line(s), has_key ? path : NULL,
	       msg);
}

void cfg_error_at(struct cfg *c, const config_setting_t *s, const char *key,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(c, s, key, fmt, ap);
	va_end(ap);
}

/* --- getters ---------------------------------------------------------------------------- */

/* Integer value of s: 0, -EINVAL (not an integer) or -ERANGE (truncated literal in lit). */
static int int_value(struct cfg *c, const config_setting_t *s, int64_t *v, char *lit,
		     size_t litlen)
{
	char file[PATH_MAX];
	const char *line;

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT64:
		*v = config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_INT:
		*v = config_setting_get_int(s);
		break;
	default:
		return -EINVAL;
	}
	display_file(c, config_setting_source_file(s), file, sizeof file);
	line = cfgv_source_line(c, file, config_setting_source_line(s));
	if (line && cfgv_truncated_literal(line, (int)*v, lit, litlen))
		return -ERANGE;
	return 0;
}

/* 1 found (*s set), 0 absent and optional, -ENOENT absent and required (error recorded). */
static int lookup(struct cfg *c, const config_setting_t *parent, const char *key,
		  unsigned flags, config_setting_t **s)
{
	if (!parent)
		return 0;
	if (!key) {
		*s = (config_setting_t *)parent;
		return 1;
	}
	*s = config_setting_is_group(parent) ? config_setting_get_member(parent, key) : NULL;
	if (*s)
		return 1;
	if (flags & CFG_REQUIRED) {
		cfg_error_at(c, parent, key, "missing required key");
		return -ENOENT;
	}
	return 0;
}

/* lookup(), then require one of the types in the bit set `types` (1 << CONFIG_TYPE_x). */
static int lookup_typed(struct cfg *c, const config_setting_t *parent, const char *key,
			unsigned flags, unsigned types, const char *expected,
			config_setting_t **s)
{
	int r = lookup(c, parent, key, flags, s);

	if (r <= 0)
		return r;
	if (!(types & (1u << config_setting_type(*s)))) {
		cfgv_value_error(c, *s, flags, expected);
		return -EINVAL;
	}
	return 1;
}

int cfg_get_string(struct cfg *c, const config_setting_t *parent, const char *key,
		   unsigned flags, const char **out)
{
	config_setting_t *s;
	int r = lookup_typed(c, parent, key, flags, 1u << CONFIG_TYPE_STRING,
			     "expected a string", &s);

	if (r > 0)
		*out = config_setting_get_string(s);
	return r;
}

int cfg_get_string_buf(struct cfg *c, const config_setting_t *parent, const char *key,
		       unsigned flags, char *dst, size_t cap)
{
	config_setting_t *s;
	char what[64];
	int r = lookup_typed(c, parent, key, flags, 1u << CONFIG_TYPE_STRING,
			     "expected a string", &s);

	if (r <= 0)
		return r;
	if (strlen(config_setting_get_string(s)) >= cap) {
		snprintf(what, sizeof what, "longer than %zu characters", cap - 1);
		cfgv_value_error(c, s, flags, what);
		return -EINVAL;
	}
	snprintf(dst, cap, "%s", config_setting_get_string(s));
	return 1;
}

void cfg_value_error(struct cfg *c, const config_setting_t *s, unsigned flags,
		     const char *what)
{
	cfgv_value_error(c, s, flags, what);
}

int cfg_get_int_range(struct cfg *c, const config_setting_t *parent, const char *key,
		      unsigned flags, int64_t min, int64_t max, int64_t *out)
{
	config_setting_t *s;
	char lit[64], what[96];
	int64_t v;
	int r = lookup(c, parent, key, flags, &s);

	if (r <= 0)
		return r;
	r = int_value(c, s, &v, lit, sizeof lit);
	if (r == -ERANGE) {
		cfgv_truncated_error(c, s, flags, lit);
		return -EINVAL;
	}
	if (r < 0) {
		cfgv_value_error(c, s, flags, "expected an integer");
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(what, sizeof what, "out of range %lld..%lld", (long long)min,
			 (long long)max);
		cfgv_value_error(c, s, flags, what);
		return -EINVAL;
	}
	*out = v;
	return 1;
}

int cfg_get_bool(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, bool *out)
{
	config_setting_t *s;
	int r = lookup_typed(c, parent, key, flags, 1u << CONFIG_TYPE_BOOL,
			     "expected true or false", &s);

	if (r > 0)
		*out = config_setting_get_bool(s) != 0;
	return r;
}

int cfg_enum_value(const struct cfg_enum *table, const char *name, int *out)
{
	for (; table->name; table++) {
		if (strcasecmp(table->name, name) == 0) {
			*out = table->value;
			return 0;
		}
	}
	return -ENOENT;
}

const char *cfg_enum_name(const struct cfg_enum *table, int value)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return NULL;
}

int cfg_get_enum(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, const struct cfg_enum *table, int *out)
{
	config_setting_t *s;
	char what[256];
	size_t pos;
	int r = lookup(c, parent, key, flags, &s);

	if (r <= 0)
		return r;
	if (config_setting_type(s) == CONFIG_TYPE_STRING &&
	    cfg_enum_value(table, config_setting_get_string(s), out) == 0)
		return 1;
	pos = (size_t)snprintf(what, sizeof what, "expected one of");
	for (const struct cfg_enum *e = table; e->name && pos < sizeof what; e++)
		pos += (size_t)snprintf(what + pos, sizeof what - pos, "%s %s",
					e == table ? "" : ",", e->name);
	cfgv_value_error(c, s, flags, what);
	return -EINVAL;
}

int cfg_get_addr(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, struct sockaddr_storage *out)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	config_setting_t *s;
	const char *v;
	int r = lookup(c, parent, key, flags, &s);

	if (r <= 0)
		return r;
	memset(&ss, 0, sizeof ss);
	v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
	if (v && (flags & CFG_ANY) && (strcmp(v, "any") == 0 || strcmp(v, "%any") == 0)) {
		ss.ss_family = AF_UNSPEC;
	} else if (v && inet_pton(AF_INET, v, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else if (v && inet_pton(AF_INET6, v, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
	} else {
		cfgv_value_error(c, s, flags, (flags & CFG_ANY) ?
				 "expected an IPv4 or IPv6 address or 'any'" :
				 "expected an IPv4 or IPv6 address");
		return -EINVAL;
	}
	*out = ss;
	return 1;
}

static int get_amount(struct cfg *c, const config_setting_t *parent, const char *key,
		      unsigned flags, const struct cfgv_amount_kind *kind, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	config_setting_t *s;
	char lit[64], what[128], lo[32], hi[32];
	uint64_t v = 0;
	int64_t i;
	int r = lookup(c, parent, key, flags, &s);

	if (r <= 0)
		return r;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		r = kind->parse(config_setting_get_string(s), &v);
	} else {
		r = int_value(c, s, &i, lit, sizeof lit);
		if (r == -ERANGE) {
			cfgv_truncated_error(c, s, flags, lit);
			return -EINVAL;
		}
		if (r == 0)
			r = i < 0 ? -EINVAL : cfgv_mul_add(&v, (uint64_t)i, kind->int_unit);
	}
	if (r == -EINVAL) {
		cfgv_value_error(c, s, flags, kind->expected);
		return -EINVAL;
	}
	if (r < 0 || v < min || v > max) {
		kind->format(min, lo, sizeof lo);
		kind->format(max, hi, sizeof hi);
		snprintf(what, sizeof what, "out of range %s..%s", lo, hi);
		cfgv_value_error(c, s, flags, what);
		return -EINVAL;
	}
	*out = v;
	return 1;
}

int cfg_get_duration(struct cfg *c, const config_setting_t *parent, const char *key,
		     unsigned flags, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
	return get_amount(c, parent, key, flags, &cfgv_duration_kind, min_ms, max_ms, out_ms);
}

int cfg_get_bytes(struct cfg *c, const config_setting_t *parent, const char *key,
		  unsigned flags, uint64_t min, uint64_t max, uint64_t *out)
{
	return get_amount(c, parent, key, flags, &cfgv_bytes_kind, min, max, out);
}

/* --- aggregates and unknown keys ----------------------------------------------------- */

static int get_aggregate(struct cfg *c, const config_setting_t *parent, const char *key,
			 unsigned flags, unsigned types, const char *expected,
			 config_setting_t **out)
{
	config_setting_t *s;
	int r = lookup_typed(c, parent, key, flags, types, expected, &s);

	if (r > 0)
		*out = s;
	return r;
}

int cfg_get_group(struct cfg *c, const config_setting_t *parent, const char *key,
		  unsigned flags, config_setting_t **out)
{
	return get_aggregate(c, parent, key, flags, 1u << CONFIG_TYPE_GROUP,
			     "expected a group { ... }", out);
}

int cfg_get_list(struct cfg *c, const config_setting_t *parent, const char *key,
		 unsigned flags, config_setting_t **out)
{
	return get_aggregate(c, parent, key, flags,
			     1u << CONFIG_TYPE_LIST | 1u << CONFIG_TYPE_ARRAY,
			     "expected a list ( ... ) or an array [ ... ]", out);
}

/* Levenshtein distance, or SIZE_MAX for names too long to bother with. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

int cfg_check_keys(struct cfg *c, const config_setting_t *group, const char *const known[])
{
	int unknown = 0;

	if (!group || !config_setting_is_group(group))
		return 0;
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s), *hint = NULL;
		size_t best = 3; /* suggest only within two edits */
		bool found = false;

		for (size_t k = 0; known[k] && !found; k++) {
			size_t d = edit_distance(name, known[k]);

			found = strcmp(name, known[k]) == 0;
			if (d < best && d < strlen(known[k])) {
				best = d;
				hint = known[k];
			}
		}
		if (found)
			continue;
		unknown++;
		if (hint)
			cfg_error_at(c, s, NULL, "unknown key (did you mean '%s'?)", hint);
		else
			cfg_error_at(c, s, NULL, "unknown key");
	}
	return unknown;
}

/* --- error output ------------------------------------------------------------------------ */

size_t cfg_error_count(const struct cfg *c)
{
	return c->n_errors + c->n_dropped;
}

const struct cfg_error *cfg_error_get(const struct cfg *c, size_t i)
{
	return i < c->n_errors ? &c->errors[i] : NULL;
}

int cfg_error_format(const struct cfg_error *e, char *buf, size_t len)
{
	char line[16] = "";

	if (e->file && e->line)
		snprintf(line, sizeof line, ":%u", e->line);
	return snprintf(buf, len, "%s%s%s%s%s%s", e->file ? e->file : "", line,
			e->file ? ": " : "", e->key ? e->key : "", e->key ? ": " : "", e->msg);
}

size_t cfg_errors_format(const struct cfg *c, char *buf, size_t len)
{
	size_t need = 0;
	int n;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i <= c->n_errors; i++) {
		char *at = need < len ? buf + need : NULL;
		size_t room = need < len ? len - need : 0;

		if (i < c->n_errors)
			n = cfg_error_format(&c->errors[i], at, room);
		else if (c->n_dropped)
			n = snprintf(at, room, "... and %zu more errors", c->n_dropped);
		else
			break;
		if (n < 0)
			break;
		need += (size_t)n;
		if (need < len)
			buf[need] = '\n';
		need++;
		if (need < len)
			buf[need] = '\0';
	}
	if (len && need >= len)
		buf[len - 1] = '\0';
	return need;
}

void cfg_errors_print(const struct cfg *c, FILE *f)
{
	char line[PATH_MAX + KEY_MAX + 600];

	for (size_t i = 0; i < c->n_errors; i++) {
		cfg_error_format(&c->errors[i], line, sizeof line);
		fprintf(f, "%s\n", line);
	}
	if (c->n_dropped)
		fprintf(f, "... and %zu more errors\n", c->n_dropped);
}

/* --- loading ------------------------------------------------------------------------------ */

void cfg_init(struct cfg *c)
{
	memset(c, 0, sizeof *c);
}

config_setting_t *cfg_root(const struct cfg *c)
{
	return c->parsed ? config_root_setting(&c->lc) : NULL;
}

static void file_error(struct cfg *c, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void file_error(struct cfg *c, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	record(c, file, line, NULL, msg);
}

/* libconfig says "cannot open include file" without the name: read it from the source. */
static void include_error(struct cfg *c, const char *file, unsigned line, const char *text)
{
	const char *src = cfgv_source_line(c, file, line), *q1, *q2;

	q1 = src ? strchr(src, '"') : NULL;
	q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	if (q2 && !memchr(src, '\n', (size_t)(q2 - src)))
		file_error(c, file, line, "%s '%.*s' (looked in %s)", text, (int)(q2 - q1 - 1),
			   q1 + 1, c->include_dir);
	else
		file_error(c, file, line, "%s", text);
}

/* libconfig set up for one parse: no silent type conversions, includes from include_dir. */
static void start_parse(struct cfg *c)
{
	config_init(&c->lc);
	c->loaded = true;
	config_set_auto_convert(&c->lc, 0);
	config_set_include_dir(&c->lc, c->include_dir);
}

int cfg_load(struct cfg *c, const char *path)
{
	char file[PATH_MAX];
	const char *slash;
	struct stat st;
	int fd;

	if (c->loaded || c->path)
		return -EALREADY;
	c->path = strdup(path);
	slash = strrchr(path, '/');
	if (!slash)
		c->include_dir = strdup(".");
	else
		c->include_dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!c->path || !c->include_dir) {
		file_error(c, path, 0, "out of memory");
		return -ENOMEM;
	}
	/* libconfig reports only "file I/O error": find out why first. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int err = fd < 0 ? errno : EINVAL;

		if (fd >= 0)
			close(fd);
		file_error(c, path, 0, "cannot read: %s",
			   err == EINVAL ? "not a regular file" : strerror(err));
		return -err;
	}
	close(fd);

	start_parse(c);
	if (config_read_file(&c->lc, path) == CONFIG_TRUE) {
		c->parsed = true;
		return 0;
	}
	if (config_error_type(&c->lc) == CONFIG_ERR_FILE_IO) {
		file_error(c, path, 0, "cannot read: %s", config_error_text(&c->lc));
		return -EIO;
	}
	display_file(c, config_error_file(&c->lc), file, sizeof file);
	if (strcmp(config_error_text(&c->lc), "cannot open include file") == 0)
		include_error(c, file, (unsigned)config_error_line(&c->lc),
			      config_error_text(&c->lc));
	else
		file_error(c, file, (unsigned)config_error_line(&c->lc), "%s",
			   config_error_text(&c->lc));
	return -EINVAL;
}

int cfg_load_string(struct cfg *c, const char *name, const char *text)
{
	if (c->loaded || c->path)
		return -EALREADY;
	c->path = strdup(name);
	c->include_dir = strdup(".");
	/* the integer truncation check reads the source back: from this text, never from
	 * a file that happens to be called name */
	if (!c->path || !c->include_dir || !cfgv_source_set(c, name, text)) {
		file_error(c, name, 0, "out of memory");
		return -ENOMEM;
	}
	start_parse(c);
	if (config_read_string(&c->lc, text) == CONFIG_TRUE) {
		c->parsed = true;
		return 0;
	}
	file_error(c, name, (unsigned)config_error_line(&c->lc), "%s", config_error_text(&c->lc));
	return -EINVAL;
}

int cfg_check_secret_file(struct cfg *c, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		int err = errno;

		file_error(c, path, 0, "cannot read: %s", strerror(err));
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		file_error(c, path, 0, "secrets file is not a regular file");
		return -EACCES;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		file_error(c, path, 0,
			   "secrets file is accessible by group or others (mode %04o): "
			   "chmod 600 it", (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() &&
	    (c->secret_owner == 0 || st.st_uid != c->secret_owner)) {
		file_error(c, path, 0, "secrets file is owned by uid %u, not by root or us",
			   (unsigned)st.st_uid);
		return -EACCES;
	}
	return 0;
}

int cfg_load_secret(struct cfg *c, const char *path)
{
	int err = cfg_check_secret_file(c, path);

	if (err)
		return err;
	c->secret = true;
	return cfg_load(c, path);
}

/* Wipe every string value: the secrets file holds PSKs and passwords. */
static void wipe_strings(config_setting_t *s)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		char *v = (char *)config_setting_get_string(s);

		if (v)
			memwipe(v, strlen(v));
		return;
	}
	if (!config_setting_is_aggregate(s))
		return;
	for (int i = 0; i < config_setting_length(s); i++)
		wipe_strings(config_setting_get_elem(s, (unsigned)i));
}

void cfg_free(struct cfg *c)
{
	if (c->loaded) {
		if (c->secret)
			wipe_strings(config_root_setting(&c->lc));
		config_destroy(&c->lc);
	}
	for (size_t i = 0; i < c->n_errors; i++) {
		free(c->errors[i].file);
		free(c->errors[i].key);
		free(c->errors[i].msg);
	}
	free(c->errors);
	cfgv_source_drop(c);
	free(c->path);
	free(c->include_dir);
	cfg_init(c);
}
