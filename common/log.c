/*
 * One line per event. The line is formatted once into a stack buffer and handed to
 * exactly one sink, so concurrent writers never interleave halves of lines.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 1024

static struct {
	const char *ident;
	enum log_target target;
	enum log_level level;
	log_sink_fn sink;
	void *sink_arg;
} log_state = { "l2sec", LOG_TO_STDERR, LOG_LVL_INFO, NULL, NULL };

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_NOTICE] = "notice",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int syslog_prio[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_NOTICE] = LOG_NOTICE,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

void log_init(const char *ident, enum log_target target, enum log_level level)
{
	const char *slash = ident ? strrchr(ident, '/') : NULL;

	log_state.ident = slash ? slash + 1 : (ident ? ident : "l2sec");
	log_state.target = target;
	log_state.level = level;
	if (target == LOG_TO_SYSLOG)
		openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	if (level <= LOG_LVL_DEBUG)
		log_state.level = level;
}

enum log_level log_get_level(void)
{
	return log_state.level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

const char *log_level_name(enum log_level level)
{
	return level <= LOG_LVL_DEBUG ? level_names[level] : "unknown";
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "error") == 0)
		return LOG_LVL_ERR;
	if (strcasecmp(name, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

void log_set_sink(log_sink_fn fn, void *arg)
{
	log_state.sink = fn;
	log_state.sink_arg = arg;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t n;
	int k;
	va_list ap;

	if (!log_enabled(level))
		return;
	k = snprintf(line, sizeof(line), "level=%s event=%s", log_level_name(level), event);
	n = k < 0 ? 0 : ((size_t)k >= sizeof(line) ? sizeof(line) - 1 : (size_t)k);
	if (fmt && fmt[0] && n < sizeof(line) - 2) {
		line[n++] = ' ';
		line[n] = '\0';
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	/* Never let a field from the network split the line in two. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	if (log_state.sink) {
		log_state.sink(level, line, log_state.sink_arg);
	} else if (log_state.target == LOG_TO_SYSLOG) {
		syslog(syslog_prio[level], "%s", line);
	} else {
		fprintf(stderr, "%s[%d]: %s\n", log_state.ident, (int)getpid(), line);
	}
}

static bool log_plain_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

const char *log_quote(char *buf, size_t size, const char *s)
{
	size_t o = 0;
	bool plain = s && s[0];

	if (size == 0)
		return buf;
	if (!s)
		s = "";
	for (const char *p = s; *p && plain; p++)
		plain = log_plain_char((unsigned char)*p);
	if (plain && strlen(s) < size) {
		memcpy(buf, s, strlen(s) + 1);
		return buf;
	}
	if (size < 6) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[5];
		size_t n;

		if (*p == '"' || *p == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			n = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", *p);
		/* keep room for "...\"" and the NUL */
		if (o + n + 5 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
