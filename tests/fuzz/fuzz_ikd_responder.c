/*
 * The responder's packet handler (ikd_input) on hostile datagrams: header, SA lookup,
 * state table, decryption, payload checks, the Main/Aggressive/Quick Mode and
 * Informational handlers. The kernel is a no-op recorder, sending goes nowhere.
 *
 * Input: a sequence of datagrams, each preceded by a 2-byte big-endian length. Byte 0 of
 * a length's high bit set means "arrived on the NAT-T port". To get past the first
 * message, a datagram whose responder cookie is "RRRRRRRR" gets the cookie the responder
 * actually chose for its initiator cookie (the fuzzer cannot guess random cookies).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "ikd/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int k_spi_alloc(void *ctx, const struct xfrm_sa *key, uint32_t *spi)
{
	static uint32_t next = 0x1000;
	*spi = next++;
	return 0;
}
static int k_spi_release(void *ctx, const struct xfrm_sa *key, uint32_t spi) { return 0; }
static int k_sa_add(void *ctx, const struct xfrm_sa *sa, bool update) { return 0; }
static int k_sa_del(void *ctx, const struct xfrm_sa *sa) { return 0; }
static int k_sa_get(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	memset(out, 0, sizeof *out);
	return 0;
}
static int k_policy(void *ctx, const struct xfrm_policy *p) { return 0; }
static const char *k_strerror(void *ctx) { return "fuzz"; }

static const struct ikd_kernel_ops kops = {
	k_spi_alloc, k_spi_release, k_sa_add, k_sa_del, k_sa_get, k_policy, k_policy, k_strerror,
	NULL,
};

static int send_nowhere(void *arg, const struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
	return 0;
}

static const char conf_text[] =
	"connections = ( { name = \"l2tp\"; remote = \"%any\"; ike = \"modern, legacy-clients\";\n"
	"  esp = \"modern, legacy-clients\"; local_protoport = \"udp/1701\";\n"
	"  remote_protoport = \"udp/%any\"; },\n"
	"  { name = \"aggr\"; remote = \"198.51.100.0/24\"; exchange = \"aggressive\"; } );\n";
static const char secrets_text[] =
	"ike: { psk = ( { peer = \"%any\"; secret = \"fuzz-psk\"; } ); };\n";

static struct ikd_conf *conf;

static void patch_rcookie(struct ikd *d, uint8_t *pkt, size_t len)
{
	if (len < 28 || memcmp(pkt + 8, "RRRRRRRR", 8) != 0)
		return;
	for (size_t i = 0; i < d->sas.nbuckets; i++)
		for (struct ike_sa *sa = d->sas.by_cookie[i]; sa; sa = sa->next_by_cookie)
			if (memcmp(sa->cky_i, pkt, 8) == 0) {
				memcpy(pkt + 8, sa->cky_r, 8);
				return;
			}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!conf) {
		log_init("fuzz", LOG_TO_STDERR, LOG_LVL_ERR);
		if (ikd_conf_parse_string(conf_text, &conf, NULL) < 0 ||
		    ikd_conf_parse_secrets_string(conf, secrets_text, NULL) < 0)
			return 0;
	}
	static struct ikd d;
	memset(&d, 0, sizeof d);
	struct ikd_kernel k = { &kops, NULL };
	if (ikd_init_core(&d, NULL, ikd_conf_ref(conf), &k) < 0)
		return 0;
	d.send_hook = send_nowhere;
	static uint8_t pkt[65536];
	size_t off = 0;
	for (int n = 0; n < 16 && off + 2 <= size; n++) {
		size_t len = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
		bool natt = data[off] & 0x80;
		off += 2;
		if (len > size - off)
			len = size - off;
		memcpy(pkt, data + off, len);
		off += len;
		patch_rcookie(&d, pkt, len);
		struct ike_packet p = { .natt = natt, .data = pkt, .len = len };
		ikd_addr_parse("192.0.2.2", natt ? 4500 : 500, &p.local);
		ikd_addr_parse("198.51.100.7", natt ? 4501 : 500, &p.peer);
		ikd_input(&d, &p);
	}
	ikd_free_core(&d);
	return 0;
}
