/*
 * Addresses and identities as ikd handles them: socket addresses of peers (always with
 * their port: peers are (address, port)), configured hosts/subnets with %any, and ISAKMP
 * identities in wire form.
 */
#ifndef L2SEC_IKD_IKD_ID_H
#define L2SEC_IKD_IKD_ID_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ISAKMP identification types (RFC 2407 section 4.6.2.1); 0 = "any identity". */
enum ikd_id_type {
	IKD_ID_ANY = 0,
	IKD_ID_IPV4_ADDR = 1,
	IKD_ID_FQDN = 2,
	IKD_ID_USER_FQDN = 3,
	IKD_ID_IPV4_ADDR_SUBNET = 4,
	IKD_ID_IPV6_ADDR = 5,
	IKD_ID_IPV6_ADDR_SUBNET = 6,
	IKD_ID_DER_ASN1_DN = 9,
	IKD_ID_KEY_ID = 11,
};

#define IKD_ID_MAX 256

/* An identity as it travels in an ID payload (data in wire form: 4/16 address bytes,
 * the name without NUL, or the DER of a distinguished name). */
struct ikd_id {
	uint8_t type;           /* enum ikd_id_type */
	uint16_t len;
	uint8_t data[IKD_ID_MAX];
};

/* An address or subnet, or %any (any == true, family 0). */
struct ikd_host {
	bool any;
	sa_family_t family;     /* AF_INET or AF_INET6 when !any */
	uint8_t prefix;         /* 32/128 for a host */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} addr;
};

/* A socket address of either family. */
union ikd_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* Parse "192.0.2.1", "2001:db8::/32", "%any". Returns 0 or -EINVAL. */
int ikd_host_parse(const char *s, struct ikd_host *h);
/* Parse "%any", "@fqdn", "user@example.org", "192.0.2.1", "2001:db8::1",
 * "C=US, O=Example, CN=vpn" (a DN), "keyid:hex", or a bare name (FQDN). 0 or -EINVAL. */
int ikd_id_parse(const char *s, struct ikd_id *id);
/* True when addr lies in h (always for %any). */
bool ikd_host_match(const struct ikd_host *h, const struct sockaddr *addr);
bool ikd_id_equal(const struct ikd_id *a, const struct ikd_id *b);
/* The identity an address stands for (ID_IPV4_ADDR / ID_IPV6_ADDR). */
void ikd_id_from_addr(struct ikd_id *id, const struct sockaddr *addr);
/* Render an identity for logs ("fqdn:vpn.example", "ipv4:192.0.2.1", "any"). Returns buf. */
const char *ikd_id_str(const struct ikd_id *id, char *buf, size_t size);
/* The host's address as a sockaddr with port (false for %any). */
bool ikd_host_to_addr(const struct ikd_host *h, uint16_t port, union ikd_sockaddr *out);

/* Socket address helpers. Lengths are those of the family; port is host order. */
socklen_t ikd_addr_len(const struct sockaddr *a);
uint16_t ikd_addr_port(const struct sockaddr *a);
void ikd_addr_set_port(union ikd_sockaddr *a, uint16_t port);
/* Pointer to the 4 or 16 address bytes; *len gets 4 or 16 (0 and NULL if unknown). */
const uint8_t *ikd_addr_bytes(const struct sockaddr *a, size_t *len);
/* Same family and address (and port when with_port). */
bool ikd_addr_equal(const struct sockaddr *a, const struct sockaddr *b, bool with_port);
bool ikd_addr_is_any(const struct sockaddr *a);
/* "192.0.2.1:500", "[2001:db8::1]:4500" (without port: with_port false). Returns buf. */
#define IKD_ADDRSTR_MAX 64
const char *ikd_addr_str(const struct sockaddr *a, bool with_port, char *buf, size_t size);
/* Parse an address with optional port ("192.0.2.1", "[2001:db8::1]:500"). 0 or -EINVAL. */
int ikd_addr_parse(const char *s, uint16_t default_port, union ikd_sockaddr *out);
/* A hash of address and port, for tables. */
uint32_t ikd_addr_hash(const struct sockaddr *a);

#endif
