/*
 * ikd's saved state on hostile bytes: the store's scanner on the raw input taken as a
 * whole state file, then the full restore path (record decoding, parent lookup, kernel
 * reconciliation, timers, rewrite) on records taken from the input.
 *
 * Input for the second part: a sequence of records, each [kind u8][length u16 BE][body].
 * They are written with valid checksums into a fresh memfd store (the fuzzer cannot forge
 * BLAKE2b), which ike_restore_from_fd then reads back as a restarting ikd would. The
 * configuration has one connection, "l2tp"; the kernel stub reports every SA present.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "ikd/daemon.h"
#include "ikd/ike_restore.h"
#include "common/state_store.h"
#include "ikd/ike_persist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int k_spi_alloc(void *ctx, const struct xfrm_sa *key, uint32_t *spi)
{
	*spi = 0x1000;
	return 0;
}
static int k_spi_release(void *ctx, const struct xfrm_sa *key, uint32_t spi) { return 0; }
static int k_sa_add(void *ctx, const struct xfrm_sa *sa, bool update) { return 0; }
static int k_sa_del(void *ctx, const struct xfrm_sa *sa) { return 0; }
static int k_sa_get(void *ctx, const struct xfrm_sa *key, struct xfrm_sa_info *out)
{
	memset(out, 0, sizeof *out);
	return key->spi & 1 ? -ESRCH : 0;       /* odd SPIs: gone from the kernel */
}
static int k_policy(void *ctx, const struct xfrm_policy *p) { return 0; }
static const char *k_strerror(void *ctx) { return "fuzz"; }

static const struct ikd_kernel_ops kops = {
	k_spi_alloc, k_spi_release, k_sa_add, k_sa_del, k_sa_get, k_policy, k_policy, k_strerror,
	NULL,
};

static const char conf_text[] =
	"connections = ( { name = \"l2tp\"; remote = \"%any\"; local_protoport = \"udp/1701\";\n"
	"  remote_protoport = \"udp/%any\"; } );\n";

static void ignore(void *arg, const struct state_record *rec)
{
	(void)arg, (void)rec;
}

/* Write the input's records into a fresh store on memfd. */
static void write_records(int memfd, const uint8_t *data, size_t size)
{
	uint8_t boot[STATE_STORE_BOOT_ID_LEN];
	struct state_store *s;
	state_store_boot_id(boot);
	uint8_t *img;
	size_t len;
	const char *why;
	if (ftruncate(memfd, 0) < 0 ||
	    state_store_open(&ike_persist_format, dup(memfd), true, boot, &s, &img, &len, &why) < 0)
		return;
	size_t off = 0;
	for (int n = 0; n < 64 && off + 3 <= size; n++) {
		uint8_t kind = data[off];
		size_t blen = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (blen > size - off)
			blen = size - off;
		struct store_ref ref = { 0 };
		state_store_put(s, &ref, kind, data + off, blen);
		off += blen;
	}
	state_store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ikd_conf *conf;
	static int memfd = -1;
	if (!conf) {
		log_init("fuzz", LOG_TO_STDERR, LOG_LVL_ERR);
		memfd = memfd_create("fuzz-ikd-state", MFD_CLOEXEC);
		if (memfd < 0 || ikd_conf_parse_string(conf_text, &conf, NULL) < 0)
			return 0;
	}
	state_store_scan(&ike_persist_format, data, size, NULL, ignore, NULL);

	write_records(memfd, data, size);
	static struct ikd d;
	memset(&d, 0, sizeof d);
	struct ikd_kernel k = { &kops, NULL };
	if (ikd_init_core(&d, NULL, ikd_conf_ref(conf), &k) < 0)
		return 0;
	struct ike_restore_stats st;
	ike_restore_from_fd(&d, dup(memfd), false, &st);
	ike_restore_stop(&d);
	ikd_free_core(&d);
	return 0;
}
