/*
 * Addresses and identities. See ikd_id.h.
 */
#include "ikd/ikd_id.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

int ikd_host_parse(const char *s, struct ikd_host *h)
{
	memset(h, 0, sizeof *h);
	if (!s || strcmp(s, "%any") == 0 || strcmp(s, "%any4") == 0 || strcmp(s, "%any6") == 0) {
		h->any = true;
		return 0;
	}
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(s) >= sizeof buf)
		return -EINVAL;
	snprintf(buf, sizeof buf, "%s", s);
	char *slash = strchr(buf, '/');
	long prefix = -1;
	if (slash) {
		char *end;
		*slash = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &h->addr.v4) == 1) {
		h->family = AF_INET;
		if (prefix > 32)
			return -EINVAL;
		h->prefix = (uint8_t)(prefix < 0 ? 32 : prefix);
	} else if (inet_pton(AF_INET6, buf, &h->addr.v6) == 1) {
		h->family = AF_INET6;
		if (prefix > 128)
			return -EINVAL;
		h->prefix = (uint8_t)(prefix < 0 ? 128 : prefix);
	} else {
		return -EINVAL;
	}
	return 0;
}

/* "C=US, O=Example, CN=vpn" or "/C=US/O=Example/CN=vpn" -> DER. */
static int dn_parse(const char *s, struct ikd_id *id)
{
	X509_NAME *name = X509_NAME_new();
	char buf[IKD_ID_MAX];
	int rc = -EINVAL;
	if (!name || strlen(s) >= sizeof buf)
		goto out;
	snprintf(buf, sizeof buf, "%s", s[0] == '/' ? s + 1 : s);
	const char *sep = s[0] == '/' ? "/" : ",";
	char *save = NULL;
	for (char *rdn = strtok_r(buf, sep, &save); rdn; rdn = strtok_r(NULL, sep, &save)) {
		while (isspace((unsigned char)*rdn))
			rdn++;
		char *eq = strchr(rdn, '=');
		if (!eq)
			goto out;
		*eq = 0;
		char *end = eq - 1;
		while (end > rdn && isspace((unsigned char)*end))
			*end-- = 0;
		const char *val = eq + 1;
		while (isspace((unsigned char)*val))
			val++;
		if (!X509_NAME_add_entry_by_txt(name, rdn, MBSTRING_UTF8,
						(const unsigned char *)val, -1, -1, 0))
			goto out;
	}
	int len = i2d_X509_NAME(name, NULL);
	if (len <= 0 || len > IKD_ID_MAX)
		goto out;
	unsigned char *p = id->data;
	i2d_X509_NAME(name, &p);
	id->type = IKD_ID_DER_ASN1_DN;
	id->len = (uint16_t)len;
	rc = 0;
out:
	X509_NAME_free(name);
	return rc;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ikd_id_parse(const char *s, struct ikd_id *id)
{
	memset(id, 0, sizeof *id);
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || strcmp(s, "%any") == 0)
		return 0;
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKD_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKD_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	if (strncmp(s, "keyid:", 6) == 0) {
		const char *h = s + 6;
		size_t hl = strlen(h);
		if (hl == 0 || hl % 2 || hl / 2 > IKD_ID_MAX)
			return -EINVAL;
		for (size_t i = 0; i < hl / 2; i++) {
			int a = hex_nibble(h[2 * i]), b = hex_nibble(h[2 * i + 1]);
			if (a < 0 || b < 0)
				return -EINVAL;
			id->data[i] = (uint8_t)(a << 4 | b);
		}
		id->type = IKD_ID_KEY_ID;
		id->len = (uint16_t)(hl / 2);
		return 0;
	}
	if (strchr(s, '=') != NULL)
		return dn_parse(s, id);
	if (s[0] == '@') {
		s++;
		n--;
		id->type = IKD_ID_FQDN;
	} else {
		id->type = strchr(s, '@') ? IKD_ID_USER_FQDN : IKD_ID_FQDN;
	}
	if (n == 0 || n > IKD_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)s[i]))
			return -EINVAL;
	memcpy(id->data, s, n);
	id->len = (uint16_t)n;
	return 0;
}

bool ikd_host_match(const struct ikd_host *h, const struct sockaddr *addr)
{
	if (h->any)
		return true;
	size_t len;
	const uint8_t *b = ikd_addr_bytes(addr, &len);
	if (!b || addr->sa_family != h->family)
		return false;
	unsigned bits = h->prefix;
	for (size_t i = 0; i < len && bits; i++) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((b[i] & mask) != (h->addr.bytes[i] & mask))
			return false;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return true;
}

bool ikd_id_equal(const struct ikd_id *a, const struct ikd_id *b)
{
	if (a->type != b->type || a->len != b->len)
		return false;
	if (a->type == IKD_ID_FQDN || a->type == IKD_ID_USER_FQDN)
		return strncasecmp((const char *)a->data, (const char *)b->data, a->len) == 0;
	return memcmp(a->data, b->data, a->len) == 0;
}

void ikd_id_from_addr(struct ikd_id *id, const struct sockaddr *addr)
{
	size_t len;
	const uint8_t *b = ikd_addr_bytes(addr, &len);
	memset(id, 0, sizeof *id);
	if (!b)
		return;
	id->type = len == 4 ? IKD_ID_IPV4_ADDR : IKD_ID_IPV6_ADDR;
	id->len = (uint16_t)len;
	memcpy(id->data, b, len);
}

const char *ikd_id_str(const struct ikd_id *id, char *buf, size_t size)
{
	char tmp[IKD_ID_MAX + 1];
	switch (id->type) {
	case IKD_ID_ANY:
		snprintf(buf, size, "any");
		break;
	case IKD_ID_IPV4_ADDR:
	case IKD_ID_IPV6_ADDR:
		if (id->len != (id->type == IKD_ID_IPV4_ADDR ? 4 : 16) ||
		    !inet_ntop(id->type == IKD_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, tmp,
			       sizeof tmp))
			snprintf(tmp, sizeof tmp, "?");
		snprintf(buf, size, "%s:%s", id->type == IKD_ID_IPV4_ADDR ? "ipv4" : "ipv6", tmp);
		break;
	case IKD_ID_FQDN:
	case IKD_ID_USER_FQDN: {
		size_t n = id->len < IKD_ID_MAX ? id->len : IKD_ID_MAX;
		for (size_t i = 0; i < n; i++)
			tmp[i] = isgraph(id->data[i]) ? (char)id->data[i] : '?';
		tmp[n] = 0;
		snprintf(buf, size, "%s:%s", id->type == IKD_ID_FQDN ? "fqdn" : "user", tmp);
		break;
	}
	case IKD_ID_DER_ASN1_DN: {
		const unsigned char *p = id->data;
		X509_NAME *name = d2i_X509_NAME(NULL, &p, id->len);
		if (name) {
			X509_NAME_oneline(name, tmp, sizeof tmp);
			X509_NAME_free(name);
		} else {
			snprintf(tmp, sizeof tmp, "(bad DER)");
		}
		snprintf(buf, size, "dn:%s", tmp);
		break;
	}
	default:
		snprintf(buf, size, "type%u:%u-bytes", id->type, id->len);
		break;
	}
	return buf;
}

bool ikd_host_to_addr(const struct ikd_host *h, uint16_t port, union ikd_sockaddr *out)
{
	memset(out, 0, sizeof *out);
	if (h->any)
		return false;
	if (h->family == AF_INET) {
		out->in.sin_family = AF_INET;
		out->in.sin_addr = h->addr.v4;
		out->in.sin_port = htons(port);
	} else {
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr = h->addr.v6;
		out->in6.sin6_port = htons(port);
	}
	return true;
}

socklen_t ikd_addr_len(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					: sizeof(struct sockaddr_in);
}

uint16_t ikd_addr_port(const struct sockaddr *a)
{
	if (a->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

void ikd_addr_set_port(union ikd_sockaddr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
	else if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
}

const uint8_t *ikd_addr_bytes(const struct sockaddr *a, size_t *len)
{
	if (a->sa_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	}
	if (a->sa_family == AF_INET6) {
		*len = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
	}
	*len = 0;
	return NULL;
}

bool ikd_addr_equal(const struct sockaddr *a, const struct sockaddr *b, bool with_port)
{
	size_t la, lb;
	const uint8_t *pa = ikd_addr_bytes(a, &la), *pb = ikd_addr_bytes(b, &lb);
	if (!pa || !pb || la != lb || memcmp(pa, pb, la) != 0)
		return false;
	return !with_port || ikd_addr_port(a) == ikd_addr_port(b);
}

bool ikd_addr_is_any(const struct sockaddr *a)
{
	size_t len;
	const uint8_t *p = ikd_addr_bytes(a, &len);
	if (!p)
		return true;
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

const char *ikd_addr_str(const struct sockaddr *a, bool with_port, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t len;
	const uint8_t *p = ikd_addr_bytes(a, &len);
	if (!p || !inet_ntop(a->sa_family, p, tmp, sizeof tmp)) {
		snprintf(buf, size, "?");
		return buf;
	}
	if (!with_port)
		snprintf(buf, size, "%s", tmp);
	else if (a->sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", tmp, ikd_addr_port(a));
	else
		snprintf(buf, size, "%s:%u", tmp, ikd_addr_port(a));
	return buf;
}

int ikd_addr_parse(const char *s, uint16_t default_port, union ikd_sockaddr *out)
{
	char buf[INET6_ADDRSTRLEN + 16];
	memset(out, 0, sizeof *out);
	if (!s || strlen(s) >= sizeof buf)
		return -EINVAL;
	snprintf(buf, sizeof buf, "%s", s);
	char *host = buf, *port = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = 0;
		host = buf + 1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -EINVAL;
	} else if (strchr(buf, ':') == strrchr(buf, ':') && strchr(buf, ':')) {
		port = strchr(buf, ':');
		*port++ = 0;
	}
	unsigned long p = default_port;
	if (port) {
		char *end;
		p = strtoul(port, &end, 10);
		if (*end || !*port || p > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
	} else {
		return -EINVAL;
	}
	ikd_addr_set_port(out, (uint16_t)p);
	return 0;
}

uint32_t ikd_addr_hash(const struct sockaddr *a)
{
	size_t len;
	const uint8_t *p = ikd_addr_bytes(a, &len);
	uint32_t h = 2166136261u;     /* FNV-1a */
	for (size_t i = 0; p && i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	uint16_t port = ikd_addr_port(a);
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}
