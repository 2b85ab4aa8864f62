/*
 * Logging: one line per event, `key=value` fields, to stderr or syslog.
 *
 * A line reads
 *     level=info event=ike_sa_established peer=192.0.2.1:4500 ike_sa=3 ...
 * The event name is a short snake_case identifier an admin can grep for; the fields
 * are given by the caller's format. Values that may contain spaces or quotes (reasons,
 * identities, user names from the network) go through log_quote() so that every line
 * stays machine-parseable. Never pass key material to these functions.
 */
#ifndef L2SEC_COMMON_LOG_H
#define L2SEC_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_target {
	LOG_TO_STDERR = 0,
	LOG_TO_SYSLOG,
};

/* ident is the program name (kept by pointer: pass a string literal or argv[0]). */
void log_init(const char *ident, enum log_target target, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* "err", "warn", "notice", "info", "debug" <-> enum; parse returns -1 on an unknown name. */
const char *log_level_name(enum log_level level);
int log_level_parse(const char *name);

/* Emit one line: level=L event=EVENT then the formatted fields (may be NULL or ""). */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(ev, ...)    log_event(LOG_LVL_ERR, ev, __VA_ARGS__)
#define log_warn(ev, ...)   log_event(LOG_LVL_WARN, ev, __VA_ARGS__)
#define log_notice(ev, ...) log_event(LOG_LVL_NOTICE, ev, __VA_ARGS__)
#define log_info(ev, ...)   log_event(LOG_LVL_INFO, ev, __VA_ARGS__)
#define log_debug(ev, ...)                                              \
	do {                                                            \
		if (log_enabled(LOG_LVL_DEBUG))                         \
			log_event(LOG_LVL_DEBUG, ev, __VA_ARGS__);      \
	} while (0)

/*
 * Render s as a log value into buf: unchanged when it is a plain token, otherwise in
 * double quotes with \" \\ and non-printable bytes escaped (\xNN). Always NUL-terminates,
 * truncating with "..." if needed. Returns buf, so it can be used inline:
 *     char q[LOG_QUOTE_MAX]; log_info("x", "reason=%s", log_quote(q, sizeof q, why));
 */
#define LOG_QUOTE_MAX 256
const char *log_quote(char *buf, size_t size, const char *s);

/* For tests: send lines to a callback instead of stderr/syslog (NULL restores). */
typedef void (*log_sink_fn)(enum log_level level, const char *line, void *arg);
void log_set_sink(log_sink_fn fn, void *arg);

#endif
