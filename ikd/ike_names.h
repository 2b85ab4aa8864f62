/*
 * IKEv1 numbers and their names, as tables used both to parse configuration and to log.
 *
 * Phase 1 attribute values are RFC 2409 appendix A (+ RFC 3602 AES, RFC 4754 ECDSA);
 * Phase 2 values are the IPsec DOI, RFC 2407 section 4.5 (+ RFC 3947 encapsulation
 * modes 3/4, and 61443/61444 of draft-ietf-ipsec-nat-t-ike-02/03).
 */
#ifndef L2SEC_IKD_IKE_NAMES_H
#define L2SEC_IKD_IKE_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* Phase 1 SA attribute types (RFC 2409 appendix A). */
enum ike_p1_attr {
	IKE_ATTR_ENC = 1,
	IKE_ATTR_HASH = 2,
	IKE_ATTR_AUTH = 3,
	IKE_ATTR_GROUP = 4,
	IKE_ATTR_GROUP_TYPE = 5,
	IKE_ATTR_GROUP_PRIME = 6,
	IKE_ATTR_GROUP_GEN1 = 7,
	IKE_ATTR_GROUP_GEN2 = 8,
	IKE_ATTR_GROUP_CURVE_A = 9,
	IKE_ATTR_GROUP_CURVE_B = 10,
	IKE_ATTR_LIFE_TYPE = 11,
	IKE_ATTR_LIFE_DURATION = 12,
	IKE_ATTR_PRF = 13,
	IKE_ATTR_KEY_LENGTH = 14,
	IKE_ATTR_FIELD_SIZE = 15,
	IKE_ATTR_GROUP_ORDER = 16,
};

/* Phase 1 encryption algorithms. */
enum ike_enc {
	IKE_ENC_DES = 1,
	IKE_ENC_IDEA = 2,
	IKE_ENC_BLOWFISH = 3,
	IKE_ENC_RC5 = 4,
	IKE_ENC_3DES = 5,
	IKE_ENC_CAST = 6,
	IKE_ENC_AES = 7,
	IKE_ENC_CAMELLIA = 8,
};

/* Phase 1 authentication methods. */
enum ike_auth {
	IKE_AUTH_PSK = 1,
	IKE_AUTH_DSS = 2,
	IKE_AUTH_RSA_SIG = 3,
	IKE_AUTH_RSA_ENC = 4,
	IKE_AUTH_RSA_REV_ENC = 5,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_XAUTH_INIT_PSK = 65001,
	IKE_AUTH_XAUTH_RESP_PSK = 65002,
	IKE_AUTH_XAUTH_INIT_RSA = 65005,
	IKE_AUTH_XAUTH_RESP_RSA = 65006,
};

enum ike_life_type { IKE_LIFE_SECONDS = 1, IKE_LIFE_KILOBYTES = 2 };

/* IPsec DOI SA attributes (RFC 2407 4.5). */
enum ipsec_attr {
	IPSEC_ATTR_LIFE_TYPE = 1,
	IPSEC_ATTR_LIFE_DURATION = 2,
	IPSEC_ATTR_GROUP = 3,
	IPSEC_ATTR_ENCAP = 4,
	IPSEC_ATTR_AUTH = 5,
	IPSEC_ATTR_KEY_LENGTH = 6,
	IPSEC_ATTR_KEY_ROUNDS = 7,
	IPSEC_ATTR_COMP_DICT = 8,
	IPSEC_ATTR_COMP_ALG = 9,
};

/* ESP transform ids (RFC 2407 4.4.4, RFC 3602, RFC 4106). */
enum esp_id {
	ESP_ID_DES_IV64 = 1,
	ESP_ID_DES = 2,
	ESP_ID_3DES = 3,
	ESP_ID_RC5 = 4,
	ESP_ID_IDEA = 5,
	ESP_ID_CAST = 6,
	ESP_ID_BLOWFISH = 7,
	ESP_ID_NULL = 11,
	ESP_ID_AES_CBC = 12,
	ESP_ID_AES_CTR = 13,
	ESP_ID_AES_GCM_8 = 18,
	ESP_ID_AES_GCM_12 = 19,
	ESP_ID_AES_GCM_16 = 20,
};

/* IPsec authentication algorithms (attribute 5). */
enum ipsec_auth {
	IPSEC_AUTH_HMAC_MD5 = 1,
	IPSEC_AUTH_HMAC_SHA1 = 2,
	IPSEC_AUTH_DES_MAC = 3,
	IPSEC_AUTH_KPDK = 4,
	IPSEC_AUTH_HMAC_SHA2_256 = 5,
	IPSEC_AUTH_HMAC_SHA2_384 = 6,
	IPSEC_AUTH_HMAC_SHA2_512 = 7,
};

/* Encapsulation modes (attribute 4). */
enum ipsec_encap {
	IPSEC_ENCAP_TUNNEL = 1,
	IPSEC_ENCAP_TRANSPORT = 2,
	IPSEC_ENCAP_UDP_TUNNEL = 3,             /* RFC 3947 */
	IPSEC_ENCAP_UDP_TRANSPORT = 4,          /* RFC 3947 */
	IPSEC_ENCAP_UDP_TUNNEL_DRAFT = 61443,   /* draft-ietf-ipsec-nat-t-ike-02/03 */
	IPSEC_ENCAP_UDP_TRANSPORT_DRAFT = 61444,
};

struct ike_name {
	uint16_t value;
	const char *name;
};

/* The tables (terminated by a NULL name). */
extern const struct ike_name ike_enc_names[];
extern const struct ike_name ike_hash_names[];
extern const struct ike_name ike_auth_names[];
extern const struct ike_name ike_group_names[];
extern const struct ike_name ike_life_names[];
extern const struct ike_name ike_p1_attr_names[];
extern const struct ike_name ipsec_attr_names[];
extern const struct ike_name esp_id_names[];
extern const struct ike_name ipsec_auth_names[];
extern const struct ike_name ipsec_encap_names[];

/* Name of value in table, or NULL. */
const char *ike_name_of(const struct ike_name *table, uint16_t value);
/* Value of name (case-insensitive) in table: 0 and *value set, or -ENOENT. */
int ike_value_of(const struct ike_name *table, const char *name, uint16_t *value);

/* Encapsulation mode helpers: transport (2, 4, 61444) vs tunnel; UDP-encapsulated. */
bool ipsec_encap_is_transport(uint16_t encap);
bool ipsec_encap_is_udp(uint16_t encap);
bool ipsec_encap_known(uint16_t encap);

#endif
