/*
 * Kernel capability probes and the version statement. See kernel_probe.h.
 */
#include "l2tpd/kernel_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <netinet/in.h>
#include <net/if.h>              /* before the linux/ headers: glibc's and the kernel's if.h */
#include <linux/if_pppox.h>

#include "common/log.h"
#include "l2tpd/kernel_l2tp.h"

static int probe_genl_l2tp(void)
{
	struct kl2tp l;
	int err = kl2tp_open(&l);

	if (!err)
		kl2tp_close(&l);
	return err;
}

static int probe_dev_ppp(void)
{
	int fd = open("/dev/ppp", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int probe_pppox_l2tp(void)
{
	int fd = socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int kprobe_set_release(struct kprobe_report *r, const char *release)
{
	unsigned int major, minor;

	snprintf(r->release, sizeof(r->release), "%s", release);
	r->major = r->minor = 0;
	r->shared_quadruple = false;
	if (sscanf(release, "%u.%u", &major, &minor) != 2)
		return -EINVAL;
	r->major = major;
	r->minor = minor;
	r->shared_quadruple = major > KPROBE_SHARED_QUADRUPLE_MAJOR ||
			      (major == KPROBE_SHARED_QUADRUPLE_MAJOR &&
			       minor >= KPROBE_SHARED_QUADRUPLE_MINOR);
	return 0;
}

void kprobe_run(struct kprobe_report *r)
{
	struct utsname u;

	memset(r, 0, sizeof(*r));
	/* Order matters a little: the pppox probe loads l2tp_ppp, which brings
	 * l2tp_netlink along; the genl look-up also asks for it by itself. */
	r->status[KPROBE_PPPOX_L2TP] = probe_pppox_l2tp();
	r->status[KPROBE_GENL_L2TP] = probe_genl_l2tp();
	r->status[KPROBE_DEV_PPP] = probe_dev_ppp();
	if (uname(&u) == 0)
		(void)kprobe_set_release(r, u.release);
}

bool kprobe_ok(const struct kprobe_report *r)
{
	for (int i = 0; i < KPROBE_ITEMS; i++)
		if (r->status[i])
			return false;
	return true;
}

/* One sentence for one failed probe; NULL when it did not fail. */
static const char *kprobe_reason(enum kprobe_item item, int status)
{
	if (!status)
		return NULL;
	if (status == -EACCES || status == -EPERM)
		return item == KPROBE_DEV_PPP
			? "cannot open /dev/ppp: permission denied (l2tpd needs root or CAP_NET_ADMIN and access to /dev/ppp)"
			: "the kernel refused an L2TP probe: permission denied (l2tpd needs CAP_NET_ADMIN)";
	switch (item) {
	case KPROBE_GENL_L2TP:
		return "kernel has no L2TP support (generic netlink family \"l2tp\" not found): "
		       "modprobe l2tp_ppp (CONFIG_L2TP, CONFIG_L2TP_PPP)";
	case KPROBE_PPPOX_L2TP:
		return status == -EAFNOSUPPORT
			? "kernel has no PPPoX sockets (AF_PPPOX): modprobe l2tp_ppp (CONFIG_L2TP_PPP, CONFIG_PPP)"
			: "kernel has no PPP-over-L2TP sockets (PX_PROTO_OL2TP): modprobe l2tp_ppp (CONFIG_L2TP_PPP)";
	case KPROBE_DEV_PPP:
		return status == -ENOENT
			? "kernel has no PPP support (/dev/ppp missing): modprobe ppp_generic (CONFIG_PPP), "
			  "or create the node: mknod /dev/ppp c 108 0"
			: "kernel has no PPP support (/dev/ppp has no driver): modprobe ppp_generic (CONFIG_PPP)";
	default:
		return "unknown probe failed";
	}
}

/* snprintf that appends at *len and keeps counting past the end of buf. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

size_t kprobe_explain(const struct kprobe_report *r, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int i = 0; i < KPROBE_ITEMS; i++) {
		const char *why = kprobe_reason((enum kprobe_item)i, r->status[i]);

		if (why)
			append(buf, size, &len, "%s%s (%s)", len ? "; " : "", why,
			       strerror(-r->status[i]));
	}
	return len;
}

size_t kprobe_version_statement(const struct kprobe_report *r, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	if (!r->major) {
		append(buf, size, &len, "kernel release %s not understood: assuming one L2TP "
		       "tunnel per peer address and port (several clients behind one NAT need "
		       "Linux %u.%u or newer)", r->release[0] ? r->release : "(unknown)",
		       KPROBE_SHARED_QUADRUPLE_MAJOR, KPROBE_SHARED_QUADRUPLE_MINOR);
	} else if (r->shared_quadruple) {
		append(buf, size, &len, "Linux %u.%u: kernel L2TP data path for every tunnel, "
		       "including several clients behind one NAT (tunnels sharing one "
		       "address/port quadruple)", r->major, r->minor);
	} else {
		append(buf, size, &len, "Linux %u.%u: kernel L2TP data path for one tunnel per "
		       "peer address and port only; several clients behind one NAT (same public "
		       "address, port 1701) need Linux %u.%u or newer: on this kernel the data of "
		       "all but one of them reaches the wrong socket and is lost",
		       r->major, r->minor, KPROBE_SHARED_QUADRUPLE_MAJOR,
		       KPROBE_SHARED_QUADRUPLE_MINOR);
	}
	return len;
}

void kprobe_log(const struct kprobe_report *r)
{
	static const char *const names[KPROBE_ITEMS] = {
		[KPROBE_GENL_L2TP] = "genl_l2tp",
		[KPROBE_DEV_PPP] = "dev_ppp",
		[KPROBE_PPPOX_L2TP] = "pppox_l2tp",
	};
	char q[LOG_QUOTE_MAX], text[512];

	for (int i = 0; i < KPROBE_ITEMS; i++) {
		const char *why = kprobe_reason((enum kprobe_item)i, r->status[i]);

		if (why)
			log_err("kernel_missing", "probe=%s errno=%d reason=%s", names[i],
				-r->status[i], log_quote(q, sizeof(q), why));
	}
	kprobe_version_statement(r, text, sizeof(text));
	if (r->shared_quadruple)
		log_notice("kernel_version", "release=%s shared_quadruple=yes statement=%s",
			   r->release, log_quote(q, sizeof(q), text));
	else
		log_warn("kernel_version", "release=%s shared_quadruple=no statement=%s",
			 r->release, log_quote(q, sizeof(q), text));
}
