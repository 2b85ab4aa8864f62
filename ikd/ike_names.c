/*
 * IKEv1 value <-> name tables. Names are what the configuration accepts and what logs
 * show, so they follow the strongSwan-style keywords admins already know.
 */
#include "ikd/ike_names.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

const struct ike_name ike_enc_names[] = {
	{ IKE_ENC_DES, "des" },         { IKE_ENC_IDEA, "idea" },
	{ IKE_ENC_BLOWFISH, "blowfish" }, { IKE_ENC_RC5, "rc5" },
	{ IKE_ENC_3DES, "3des" },       { IKE_ENC_CAST, "cast" },
	{ IKE_ENC_AES, "aes" },         { IKE_ENC_CAMELLIA, "camellia" },
	{ 0, NULL },
};

const struct ike_name ike_hash_names[] = {
	{ 1, "md5" }, { 2, "sha1" }, { 3, "tiger" }, { 4, "sha256" }, { 5, "sha384" },
	{ 6, "sha512" }, { 0, NULL },
};

const struct ike_name ike_auth_names[] = {
	{ IKE_AUTH_PSK, "psk" },                { IKE_AUTH_DSS, "dss" },
	{ IKE_AUTH_RSA_SIG, "rsa-sig" },        { IKE_AUTH_RSA_ENC, "rsa-enc" },
	{ IKE_AUTH_RSA_REV_ENC, "rsa-rev-enc" }, { IKE_AUTH_ECDSA_256, "ecdsa-256" },
	{ IKE_AUTH_ECDSA_384, "ecdsa-384" },    { IKE_AUTH_ECDSA_521, "ecdsa-521" },
	{ IKE_AUTH_XAUTH_INIT_PSK, "xauth-psk" }, { IKE_AUTH_XAUTH_RESP_PSK, "xauth-resp-psk" },
	{ IKE_AUTH_XAUTH_INIT_RSA, "xauth-rsa" }, { IKE_AUTH_XAUTH_RESP_RSA, "xauth-resp-rsa" },
	{ 0, NULL },
};

const struct ike_name ike_group_names[] = {
	{ 1, "modp768" },   { 2, "modp1024" },  { 5, "modp1536" },  { 14, "modp2048" },
	{ 15, "modp3072" }, { 16, "modp4096" }, { 17, "modp6144" }, { 18, "modp8192" },
	{ 19, "ecp256" },   { 20, "ecp384" },   { 21, "ecp521" },   { 31, "curve25519" },
	{ 0, NULL },
};

const struct ike_name ike_life_names[] = {
	{ IKE_LIFE_SECONDS, "seconds" }, { IKE_LIFE_KILOBYTES, "kilobytes" }, { 0, NULL },
};

const struct ike_name ike_p1_attr_names[] = {
	{ 1, "encryption" },    { 2, "hash" },          { 3, "auth-method" },
	{ 4, "group" },         { 5, "group-type" },    { 6, "group-prime" },
	{ 7, "group-gen1" },    { 8, "group-gen2" },    { 9, "group-curve-a" },
	{ 10, "group-curve-b" }, { 11, "life-type" },   { 12, "life-duration" },
	{ 13, "prf" },          { 14, "key-length" },   { 15, "field-size" },
	{ 16, "group-order" },  { 0, NULL },
};

const struct ike_name ipsec_attr_names[] = {
	{ 1, "life-type" },     { 2, "life-duration" }, { 3, "group" },
	{ 4, "encapsulation" }, { 5, "auth" },          { 6, "key-length" },
	{ 7, "key-rounds" },    { 8, "compress-dict" }, { 9, "compress-alg" },
	{ 0, NULL },
};

const struct ike_name esp_id_names[] = {
	{ ESP_ID_DES_IV64, "des-iv64" }, { ESP_ID_DES, "des" },     { ESP_ID_3DES, "3des" },
	{ ESP_ID_RC5, "rc5" },           { ESP_ID_IDEA, "idea" },   { ESP_ID_CAST, "cast" },
	{ ESP_ID_BLOWFISH, "blowfish" }, { ESP_ID_NULL, "null" },   { ESP_ID_AES_CBC, "aes" },
	{ ESP_ID_AES_CTR, "aesctr" },    { ESP_ID_AES_GCM_8, "aes-gcm8" },
	{ ESP_ID_AES_GCM_12, "aes-gcm12" }, { ESP_ID_AES_GCM_16, "aes-gcm16" },
	{ 0, NULL },
};

const struct ike_name ipsec_auth_names[] = {
	{ IPSEC_AUTH_HMAC_MD5, "md5" },         { IPSEC_AUTH_HMAC_SHA1, "sha1" },
	{ IPSEC_AUTH_DES_MAC, "des-mac" },      { IPSEC_AUTH_KPDK, "kpdk" },
	{ IPSEC_AUTH_HMAC_SHA2_256, "sha256" }, { IPSEC_AUTH_HMAC_SHA2_384, "sha384" },
	{ IPSEC_AUTH_HMAC_SHA2_512, "sha512" }, { 0, NULL },
};

const struct ike_name ipsec_encap_names[] = {
	{ IPSEC_ENCAP_TUNNEL, "tunnel" },
	{ IPSEC_ENCAP_TRANSPORT, "transport" },
	{ IPSEC_ENCAP_UDP_TUNNEL, "udp-tunnel" },
	{ IPSEC_ENCAP_UDP_TRANSPORT, "udp-transport" },
	{ IPSEC_ENCAP_UDP_TUNNEL_DRAFT, "udp-tunnel-draft" },
	{ IPSEC_ENCAP_UDP_TRANSPORT_DRAFT, "udp-transport-draft" },
	{ 0, NULL },
};

const char *ike_name_of(const struct ike_name *table, uint16_t value)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return NULL;
}

int ike_value_of(const struct ike_name *table, const char *name, uint16_t *value)
{
	for (; table->name; table++)
		if (strcasecmp(table->name, name) == 0) {
			*value = table->value;
			return 0;
		}
	return -ENOENT;
}

bool ipsec_encap_is_transport(uint16_t encap)
{
	return encap == IPSEC_ENCAP_TRANSPORT || encap == IPSEC_ENCAP_UDP_TRANSPORT ||
	       encap == IPSEC_ENCAP_UDP_TRANSPORT_DRAFT;
}

bool ipsec_encap_is_udp(uint16_t encap)
{
	return encap == IPSEC_ENCAP_UDP_TUNNEL || encap == IPSEC_ENCAP_UDP_TRANSPORT ||
	       encap == IPSEC_ENCAP_UDP_TUNNEL_DRAFT || encap == IPSEC_ENCAP_UDP_TRANSPORT_DRAFT;
}

bool ipsec_encap_known(uint16_t encap)
{
	return ike_name_of(ipsec_encap_names, encap) != NULL;
}
