/*
 * Saving ikd's SAs and bringing them back after a restart. See ike_restore.h.
 */
#include "ikd/ike_restore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/log.h"
#include "common/sdnotify.h"
#include "common/state_store.h"
#include "ikd/dpd.h"
#include "ikd/ike_persist.h"
#include "ikd/ikev1_child.h"
#include "ikd/ikev1_p1.h"
#include "ikd/ikev1_states.h"
#include "ikd/kernel.h"

#define FDSTORE_NAME "ikd-state"
#define STATE_FILE "ikd.state"

/* ---- saving ------------------------------------------------------------------------------ */

static void save_child(struct state_store *st, struct ipsec_sa *c, int64_t off)
{
	uint8_t buf[IKE_PERSIST_CHILD_MAX];
	int n = ike_persist_encode_child(c, off, buf, sizeof buf);
	int rc = n < 0 ? n : state_store_put(st, &c->store, STATE_KIND_CHILD, buf, (size_t)n);
	sodium_memzero(buf, sizeof buf);
	if (rc < 0)
		log_warn("ike_state_save_failed", "ike_sa=%u ipsec_sa=%u errno=%d", c->ike->id,
			 c->id, -rc);
}

void ike_persist_save(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	if (!d || !d->store || sa->dead || !sa->established)
		return;
	int64_t off = ike_persist_boot_offset();
	uint8_t buf[IKE_PERSIST_IKE_MAX];
	int n = ike_persist_encode_ike(sa, off, buf, sizeof buf);
	int rc = n < 0 ? n : state_store_put(d->store, &sa->store, STATE_KIND_IKE, buf, (size_t)n);
	sodium_memzero(buf, sizeof buf);
	if (rc < 0)
		log_warn("ike_state_save_failed", "ike_sa=%u errno=%d", sa->id, -rc);
	for (struct ipsec_sa *c = sa->children; c; c = c->next)
		if (c->installed)
			save_child(d->store, c, off);
}

void ike_persist_forget(struct ike_sa *sa)
{
	struct ikd *d = ikd_of(sa);
	if (!d || !d->store)
		return;
	for (struct ipsec_sa *c = sa->children; c; c = c->next)
		state_store_del(d->store, &c->store);
	state_store_del(d->store, &sa->store);
}

void ike_persist_forget_child(struct ipsec_sa *c)
{
	struct ikd *d = c->ike ? ikd_of(c->ike) : NULL;
	if (d && d->store)
		state_store_del(d->store, &c->store);
}

/* ---- where the state lives ------------------------------------------------------------ */

/* A new memfd handed to the service manager's fd store. -errno when that is not possible. */
static int new_fdstore_memfd(void)
{
	const char *max = getenv("FDSTORE");          /* systemd >= 254 tells the limit */
	if (!sd_notify_enabled() || (max && strcmp(max, "0") == 0))
		return -ENOTCONN;
	int fd = state_store_memfd(FDSTORE_NAME);
	if (fd < 0)
		return fd;
	int rc = sd_notify_fdstore(FDSTORE_NAME, &fd, 1);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* The file next to the control socket: 0600, ours, a regular file. */
static int open_state_file(const struct ikd *d, char *path, size_t size)
{
	const char *sock = d->ctl_path ? d->ctl_path : d->conf->set.socket;
	const char *slash = strrchr(sock, '/');
	int dl = slash ? (int)(slash - sock) : 1;
	snprintf(path, size, "%.*s/%s", dl, slash ? sock : ".", STATE_FILE);
	return state_store_file_open(path);
}

/* ---- restoring ---------------------------------------------------------------------------- */

struct recs {
	struct state_record *v;
	size_t n, cap;
	bool oom;
};

/* Records that verified (damaged slots are left to the sweep). */
static void collect(void *arg, const struct state_record *rec)
{
	struct recs *rs = arg;
	if (!rec->body)
		return;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		struct state_record *v = realloc(rs->v, cap * sizeof *v);
		if (!v) {
			rs->oom = true;
			return;
		}
		rs->v = v;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *rec;
}

/* Newest first: of two copies of a record (a crash while it moved) the newer wins. */
static int by_seq_desc(const void *a, const void *b)
{
	uint64_t x = ((const struct state_record *)a)->seq,
		 y = ((const struct state_record *)b)->seq;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void restore_ike(struct ikd *d, const struct state_record *r, int64_t off,
			struct ike_restore_stats *stats)
{
	char conn[IKD_NAME_MAX];
	uint32_t done[IKE_PERSIST_DONE_MAX];
	unsigned n_done = 0;
	struct ike_sa *sa = calloc(1, sizeof *sa);
	if (!sa)
		return;
	const struct ikd_conn *c = NULL;
	bool ok = false;
	if (ike_persist_decode_ike(r->body, r->len, off, sa, conn, done, &n_done) < 0)
		stats->dropped_invalid++;
	else if (!(c = ikd_conf_find_conn(d->conf, conn)))
		log_warn("ike_state_dropped", "ike_sa=%u conn=%s reason=\"connection no longer in "
			 "the configuration\"", sa->id, conn);
	else
		ok = ike_sa_insert_restored(&d->sas, sa) == 0;  /* else an older copy */
	if (!ok) {
		sodium_memzero(sa, sizeof *sa);
		free(sa);
		return;
	}
	sa->owner = d;
	sa->conf = ikd_conf_ref(d->conf);
	sa->conn = c;
	sa->store = r->ref;
	sa->last_rx_ms = ike_now_ms();
	state_store_keep(d->store, &r->ref);
	for (unsigned i = n_done; i-- > 0;) {
		struct ikev1_qm *qm = ikev1_qm_new(sa, done[i]);
		if (qm)
			qm->state = QM_DONE;
	}
	stats->ike_sas++;
}

/* Are both SAs of pair c (under sa) still in the kernel? */
static bool in_kernel(struct ikd *d, const struct ike_sa *sa, const struct ipsec_sa *c)
{
	if (!d->kernel.ops || !d->kernel.ops->sa_get)
		return true;
	struct xfrm_sa key;
	struct xfrm_sa_info info;
	kernel_child_sa(sa, c, true, &key);
	if (d->kernel.ops->sa_get(d->kernel.ctx, &key, &info) < 0)
		return false;
	kernel_child_sa(sa, c, false, &key);
	return d->kernel.ops->sa_get(d->kernel.ctx, &key, &info) == 0;
}

static void restore_child(struct ikd *d, const struct state_record *r, int64_t off,
			  struct ike_restore_stats *stats)
{
	struct ike_persist_parent p;
	struct ipsec_sa *c = calloc(1, sizeof *c);
	if (!c)
		return;
	struct ike_sa *sa = NULL;
	if (ike_persist_decode_child(r->body, r->len, off, c, &p) < 0 ||
	    !(sa = ike_sa_find(&d->sas, p.cky_i, p.cky_r, NULL)) || sa->id != p.ike_id ||
	    ipsec_sa_find_spi(sa, c->spi_in, true)) {
		stats->dropped_invalid++;
		ipsec_sa_free(c);
		return;
	}
	c->ike = sa;
	if (!in_kernel(d, sa, c)) {
		log_info("ipsec_sa_dropped", "ike_sa=%u ipsec_sa=%u spi_in=%08x spi_out=%08x "
			 "reason=\"no longer in the kernel\"", sa->id, c->id, c->spi_in, c->spi_out);
		stats->dropped_missing++;
		ipsec_sa_free(c);
		return;
	}
	c->store = r->ref;
	state_store_keep(d->store, &r->ref);
	ipsec_sa_link(sa, c);
	ipsec_sa_id_floor(c->id);
	if (c->mark && c->mark >= d->next_mark)
		d->next_mark = c->mark + 1;
	stats->ipsec_sas++;
}

/* The SPIs (both directions) of every restored pair, sorted, to find kernel SAs that no
 * record describes in one pass over the kernel's SAs. */
struct unmanaged_scan {
	uint32_t *spis;
	size_t n, cap;
	unsigned unmanaged;
};

static void add_spi(struct unmanaged_scan *u, uint32_t spi)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 256;
		uint32_t *v = realloc(u->spis, cap * sizeof *v);
		if (!v)
			return;         /* then it reads as unmanaged: only a log line */
		u->spis = v;
		u->cap = cap;
	}
	u->spis[u->n++] = spi;
}

static void collect_spis(struct ike_sa *sa, void *arg)
{
	for (struct ipsec_sa *c = sa->children; c; c = c->next) {
		add_spi(arg, c->spi_in);
		add_spi(arg, c->spi_out);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int note_unmanaged(const struct xfrm_sa_info *info, void *arg)
{
	struct unmanaged_scan *u = arg;
	if (!info->owned || (u->n && bsearch(&info->sa.spi, u->spis, u->n, sizeof *u->spis,
					      cmp_u32)))
		return 0;
	char a[64], b[64];
	log_notice("ipsec_sa_unmanaged", "spi=%08x src=%s dst=%s reqid=%u reason=\"in the "
		   "kernel without saved state: left until it expires\"", info->sa.spi,
		   xfrm_ip_str(&info->sa.src, a, sizeof a), xfrm_ip_str(&info->sa.dst, b, sizeof b),
		   info->sa.reqid);
	u->unmanaged++;
	return 0;
}

/* Timers of everything restored, due from the saved times. */
static void arm(struct ike_sa *sa, void *arg)
{
	(void)arg;
	dpd_start(sa);
	ikev1_p1_start_lifetime(sa);
	for (struct ipsec_sa *c = sa->children; c; c = c->next)
		ikev1_child_start_timers(sa, c);
	char a[IKD_ADDRSTR_MAX];
	log_info("ike_sa_restored", "ike_sa=%u conn=%s peer=%s age_s=%llu", sa->id,
		 sa->conn->name, ikd_addr_str(&sa->peer.sa, true, a, sizeof a),
		 (unsigned long long)((ike_now_ms() - sa->established_ms) / 1000u));
}

static void arm_and_save(struct ike_sa *sa, void *arg)
{
	arm(sa, arg);
	ike_persist_save(sa);
}

static void restore_image(struct ikd *d, const uint8_t *img, size_t len, const uint8_t *boot,
			  struct ike_restore_stats *stats)
{
	struct recs rs = { 0 };
	state_store_scan(&ike_persist_format, img, len, boot, collect, &rs);
	if (rs.n)
		qsort(rs.v, rs.n, sizeof *rs.v, by_seq_desc);
	int64_t off = ike_persist_boot_offset();
	for (size_t i = 0; i < rs.n; i++)
		if (rs.v[i].kind == STATE_KIND_IKE)
			restore_ike(d, &rs.v[i], off, stats);
	for (size_t i = 0; i < rs.n; i++)
		if (rs.v[i].kind == STATE_KIND_CHILD)
			restore_child(d, &rs.v[i], off, stats);
	if (rs.oom)
		log_err("ike_state_restore_incomplete", "reason=\"out of memory\"");
	free(rs.v);
}

int ike_restore_from_fd(struct ikd *d, int fd, bool fresh, struct ike_restore_stats *stats)
{
	uint8_t boot[STATE_STORE_BOOT_ID_LEN], *img = NULL;
	size_t len = 0;
	const char *why = "";
	memset(stats, 0, sizeof *stats);
	state_store_boot_id(boot);
	int rc = state_store_open(&ike_persist_format, fd, fresh, boot, &d->store, &img, &len, &why);
	if (rc < 0)
		return rc;
	if (why[0])
		log_warn("ike_state_reset", "reason=\"%s\"", why);
	if (img)
		restore_image(d, img, len, boot, stats);
	state_store_image_free(img, len);
	state_store_sweep(d->store);
	if (d->kernel.ops && d->kernel.ops->sa_dump) {
		struct unmanaged_scan u = { 0 };
		ike_sa_foreach(&d->sas, collect_spis, &u);
		if (u.n)
			qsort(u.spis, u.n, sizeof *u.spis, cmp_u32);
		d->kernel.ops->sa_dump(d->kernel.ctx, note_unmanaged, &u);
		stats->unmanaged = u.unmanaged;
		free(u.spis);
	}
	/* Rewritten at once: what the reconciliation dropped must not come back. */
	ike_sa_foreach(&d->sas, arm_and_save, NULL);
	return 0;
}

int ike_restore_start(struct ikd *d, struct ike_restore_stats *stats)
{
	char path[512] = "";
	const char *source = "fdstore";
	bool fresh = false;
	int fd = d->state_fd >= 3 ? d->state_fd : -1;
	d->state_fd = 0;
	if (fd < 0) {
		fd = new_fdstore_memfd();
		source = "memfd";
		fresh = true;
	}
	if (fd < 0) {
		fd = open_state_file(d, path, sizeof path);
		source = path;
		fresh = false;
	}
	memset(stats, 0, sizeof *stats);
	int rc = fd < 0 ? fd : ike_restore_from_fd(d, fd, fresh, stats);
	if (rc < 0) {
		log_err("ike_state_unavailable", "source=%s errno=%d error=\"%s\" effect=\"SAs will "
			"not survive a restart of ikd\"", source, -rc, strerror(-rc));
		return 0;
	}
	log_notice("ike_state_restored", "source=%s ike_sas=%u ipsec_sas=%u dropped_missing=%u "
		   "dropped_invalid=%u unmanaged=%u", source, stats->ike_sas, stats->ipsec_sas,
		   stats->dropped_missing, stats->dropped_invalid, stats->unmanaged);
	return 0;
}

void ike_restore_stop(struct ikd *d)
{
	state_store_close(d->store);
	d->store = NULL;
}
