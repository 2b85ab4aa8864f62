/*
 * Printing what the daemons answer: aligned tables for people, JSON for scripts.
 *
 * Values are formatted from the catalogue (common/ctl_proto.h): an attribute's type and
 * name decide how it looks, so a new attribute shows up in --json without code here.
 * JSON field names are the catalogue's attribute names with '-' turned into '_'
 * ("peer-addr" -> "peer_addr"); a sockaddr attribute named *-addr also gives *_port.
 * Enumerations are printed by name, counters and durations as plain numbers.
 */
#ifndef L2SEC_CTL_RENDER_H
#define L2SEC_CTL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/netlink.h>

struct render_col {
	uint16_t attr;          /* enum ctl_attr */
	const char *header;
};

struct render_table {
	const struct render_col *cols;
	size_t ncols;
	bool json;
	FILE *out;
	char **cells;           /* human mode: nrows * ncols strings, owned */
	size_t nrows, cap;
	bool any;               /* json: an element was printed */
};

/* Start a list. JSON mode prints "[" at once and each row as it arrives. */
void render_begin(struct render_table *t, const struct render_col *cols, size_t ncols,
		  bool json, FILE *out);
/* One row from a parsed message (tb[CTL_A_MAX + 1]). Returns 0 or -ENOMEM. */
int render_row(struct render_table *t, const struct nlattr *const *tb);
/* Print (human) or close (JSON) the list and free the rows. `empty` is printed by
 * human mode when there are no rows, e.g. "no sessions". */
void render_end(struct render_table *t, const char *empty);

/* A value as people read it ("192.0.2.7:4500", "1h02m", "3.4 MiB", "established"). */
void render_value_human(const struct nlattr *a, uint16_t type, char *buf, size_t len);

/* Every attribute present in tb as JSON members ("key":value,...), no braces. */
void render_json_members(FILE *out, const struct nlattr *const *tb);
/* A string as a JSON string literal. */
void render_json_string(FILE *out, const char *s);

/* "key: value" lines of every attribute present (for status). */
void render_kv(FILE *out, const char *indent, const struct nlattr *const *tb);

#endif
