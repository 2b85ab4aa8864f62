/*
 * The value syntax of the configuration, for common/config.c: durations and byte counts,
 * values quoted back in error messages, and the re-read of the source text that catches
 * integer literals libconfig 1.5 truncated to 32 bits. See config_value.h.
 */
#include "common/config_value.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/secret.h"

#define GOT_MAX 64         /* longest value we quote back in an error */
#define SRC_MAX (64 << 20) /* source files larger than this are not re-read */

/* --- durations and byte counts --------------------------------------------------------- */

static int parse_u64(const char **p, uint64_t *out)
{
	uint64_t n = 0;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	for (; isdigit((unsigned char)**p); (*p)++) {
		unsigned d = (unsigned)(**p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

int cfgv_mul_add(uint64_t *acc, uint64_t n, uint64_t unit)
{
	if (unit && n > UINT64_MAX / unit)
		return -ERANGE;
	if (*acc > UINT64_MAX - n * unit)
		return -ERANGE;
	*acc += n * unit;
	return 0;
}

static const struct {
	const char *suffix;
	uint64_t ms;
} duration_units[] = {
	/* "ms" before "m": the longest suffix must match first */
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	{ "d", 86400000 }, { "w", 604800000 },
};

int cfg_parse_duration(const char *s, uint64_t *out_ms)
{
	const char *p = s;
	uint64_t total = 0;

	while (*p) {
		const char *term = p;
		uint64_t n, unit = 0;
		int err = parse_u64(&p, &n);

		if (err)
			return err;
		for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
			size_t len = strlen(duration_units[i].suffix);

			if (strncmp(p, duration_units[i].suffix, len) == 0) {
				unit = duration_units[i].ms;
				p += len;
				break;
			}
		}
		if (!unit) {
			if (term != s || *p)
				return -EINVAL; /* only a lone bare number means seconds */
			unit = 1000;
		}
		err = cfgv_mul_add(&total, n, unit);
		if (err)
			return err;
	}
	if (p == s)
		return -EINVAL;
	*out_ms = total;
	return 0;
}

void cfg_format_duration(uint64_t ms, char *buf, size_t len)
{
	/* largest unit that divides exactly, weeks left out: "14d" reads better than "2w" */
	for (size_t i = 4; i > 0; i--) {
		uint64_t unit = duration_units[i].ms;

		if (ms != 0 && ms % unit == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ms / unit),
				 duration_units[i].suffix);
			return;
		}
	}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
}

static const char byte_units[] = "KMGT";

int cfg_parse_bytes(const char *s, uint64_t *out)
{
	const char *p = s, *u;
	uint64_t n, total = 0, unit = 1;
	int err = parse_u64(&p, &n);

	if (err)
		return err;
	if (*p) {
		u = strchr(byte_units, toupper((unsigned char)*p));
		if (!u || p[1])
			return -EINVAL;
		for (const char *k = byte_units; k <= u; k++)
			unit *= 1024;
	}
	err = cfgv_mul_add(&total, n, unit);
	if (err)
		return err;
	*out = total;
	return 0;
}

static void format_bytes(uint64_t n, char *buf, size_t len)
{
	size_t i = 0;

	while (i < 4 && n != 0 && n % 1024 == 0) {
		n /= 1024;
		i++;
	}
	/* A plain %c rather than "%.*s" on a table entry: gcc 12's -Wformat-overflow pass
	 * crashes on the latter in -O0 ASan builds. */
	if (i)
		snprintf(buf, len, "%llu%c", (unsigned long long)n, byte_units[i - 1]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)n);
}

const struct cfgv_amount_kind cfgv_duration_kind = {
	"expected a duration like 30s, 15m, 8h or 1d", cfg_parse_duration, 1000,
	cfg_format_duration,
};
const struct cfgv_amount_kind cfgv_bytes_kind = {
	"expected a size like 1500, 250000K, 1M or 4G", cfg_parse_bytes, 1, format_bytes,
};

/* --- values in error messages ---------------------------------------------------------- */

/* Quote at most GOT_MAX bytes of v, escaping what is not printable. */
static void quote_value(const char *v, char *buf, size_t len)
{
	size_t pos = 0, i;

	for (i = 0; v[i] && i < GOT_MAX && pos + 5 < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (isprint(ch) && ch != '\'' && ch != '\\')
			buf[pos++] = (char)ch;
		else
			pos += (size_t)snprintf(buf + pos, len - pos, "\\x%02x", ch);
	}
	if (v[i] && pos + 4 < len) {
		memcpy(buf + pos, "...", 3);
		pos += 3;
	}
	buf[pos] = '\0';
}

/* "(got 'VALUE')" for scalars, "(got a group)" for aggregates; hidden for secrets. */
static void got_text(const struct cfg *c, const config_setting_t *s, unsigned flags,
		     char *buf, size_t len)
{
	char q[GOT_MAX * 4 + 8];

	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		snprintf(buf, len, "(got a group)");
		return;
	case CONFIG_TYPE_LIST:
		snprintf(buf, len, "(got a list)");
		return;
	case CONFIG_TYPE_ARRAY:
		snprintf(buf, len, "(got an array)");
		return;
	default:
		break;
	}
	if ((flags & CFG_SECRET) || c->secret) {
		snprintf(buf, len, "(value not shown)");
		return;
	}
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		snprintf(buf, len, "(got '%d')", config_setting_get_int(s));
		break;
	case CONFIG_TYPE_INT64:
		snprintf(buf, len, "(got '%lld')", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, len, "(got '%g')", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, len, "(got '%s')", config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_STRING:
		quote_value(config_setting_get_string(s), q, sizeof q);
		snprintf(buf, len, "(got '%s')", q);
		break;
	default:
		snprintf(buf, len, "(got an unknown type)");
		break;
	}
}

/* Error about the value of s: "what (got 'VALUE')". */
void cfgv_value_error(struct cfg *c, const config_setting_t *s, unsigned flags,
		      const char *what)
{
	char got[GOT_MAX * 4 + 32];

	got_text(c, s, flags, got, sizeof got);
	cfg_error_at(c, s, NULL, "%s %s", what, got);
}

void cfgv_truncated_error(struct cfg *c, const config_setting_t *s, unsigned flags,
			  const char *lit)
{
	if ((flags & CFG_SECRET) || c->secret)
		lit = "value not shown";
	cfg_error_at(c, s, NULL,
		     "integer does not fit in 32 bits: add an L suffix or a unit (got '%s')",
		     lit);
}

/* --- source text: libconfig 1.5 truncates big integer literals ------------------------ */

void cfgv_source_drop(struct cfg *c)
{
	if (c->src_text)
		memwipe(c->src_text, c->src_len);
	free(c->src_text);
	free(c->src_file);
	free(c->src_lines);
	c->src_text = NULL;
	c->src_file = NULL;
	c->src_lines = NULL;
	c->src_len = 0;
	c->src_nlines = 0;
}

/* Index the line starts of the cached text (lookups are O(1)). */
static bool source_index(struct cfg *c)
{
	size_t n = c->src_len, lines = 1;

	for (size_t i = 0; i < n; i++)
		lines += c->src_text[i] == '\n';
	c->src_lines = malloc(lines * sizeof *c->src_lines);
	if (!c->src_lines)
		return false;
	c->src_lines[c->src_nlines++] = 0;
	for (size_t i = 0; i < n; i++)
		if (c->src_text[i] == '\n')
			c->src_lines[c->src_nlines++] = i + 1;
	return true;
}

/* Read file into the one-file cache. */
static bool source_read(struct cfg *c, const char *file)
{
	struct stat st;
	size_t n;
	FILE *f = fopen(file, "r");
	bool ok = false;

	if (!f)
		return false;
	if (fstat(fileno(f), &st) != 0 || st.st_size > SRC_MAX)
		goto out;
	c->src_text = malloc((size_t)st.st_size + 1);
	c->src_file = strdup(file);
	if (!c->src_text || !c->src_file)
		goto out;
	n = fread(c->src_text, 1, (size_t)st.st_size, f);
	c->src_text[n] = '\0';
	c->src_len = n;
	ok = source_index(c);
out:
	fclose(f);
	if (!ok)
		cfgv_source_drop(c);
	return ok;
}

bool cfgv_source_set(struct cfg *c, const char *file, const char *text)
{
	size_t n = strlen(text);

	cfgv_source_drop(c);
	c->src_text = malloc(n + 1);
	c->src_file = strdup(file);
	if (c->src_text && c->src_file) {
		memcpy(c->src_text, text, n + 1);
		c->src_len = n;
		if (source_index(c))
			return true;
	}
	cfgv_source_drop(c);
	return false;
}

/* Start of line `line` (1-based) of file, or NULL if the file or line cannot be had. */
const char *cfgv_source_line(struct cfg *c, const char *file, unsigned line)
{
	if (!c->src_file || strcmp(c->src_file, file) != 0) {
		cfgv_source_drop(c);
		if (!source_read(c, file))
			return NULL;
	}
	if (line == 0 || line > c->src_nlines)
		return NULL;
	return c->src_text + c->src_lines[line - 1];
}

/*
 * Scan the integer literals on one source line (outside strings and comments). If one is
 * outside the 32-bit range, has no L suffix and truncates to `value` the way libconfig 1.5
 * does (low 32 bits of the saturated strtoll/strtoull result), copy it to lit.
 */
bool cfgv_truncated_literal(const char *line, int value, char *lit, size_t litlen)
{
	const char *p = line;

	while (*p && *p != '\n') {
		const char *start = p;
		char *end;
		long long v;
		bool hex, overflow;

		if (*p == '"') {
			for (p++; *p && *p != '"' && *p != '\n'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '"')
				p++;
			continue;
		}
		if (*p == '#' || (p[0] == '/' && (p[1] == '/' || p[1] == '*')))
			return false;
		if (!isdigit((unsigned char)*p) && !(*p == '-' && isdigit((unsigned char)p[1]))) {
			p++;
			continue;
		}
		if (p > line && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.')) {
			p++;
			continue;
		}
		hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
		errno = 0;
		if (hex) {
			unsigned long long u = strtoull(p, &end, 16);

			overflow = u > INT_MAX;
			v = (long long)(uint32_t)u;
		} else {
			v = strtoll(p, &end, 10);
			overflow = v > INT_MAX || v < INT_MIN;
		}
		p = end;
		if (*p == 'L' || *p == '.' || *p == 'e' || *p == 'E')
			continue; /* int64 or float literal */
		if (overflow && (int32_t)(uint32_t)(unsigned long long)v == value) {
			snprintf(lit, litlen, "%.*s", (int)(end - start), start);
			return true;
		}
	}
	return false;
}
