/*
 * Start-up checks of the kernel l2tpd runs on: is the L2TP/PPP data path there, and what
 * does this kernel version support.
 *
 * Three probes, each of which makes the kernel load the module on demand where modprobe
 * is available, so a missing piece means "not built" or "not loadable":
 *   genl_l2tp   the generic-netlink family "l2tp"       (l2tp_netlink, via l2tp_ppp)
 *   dev_ppp     open("/dev/ppp")                        (ppp_generic)
 *   pppox_l2tp  socket(AF_PPPOX, SOCK_DGRAM, PX_PROTO_OL2TP)   (pppox + l2tp_ppp)
 *
 * Version: several L2TP tunnel sockets with the same address/port quadruple (every
 * client behind one NAT talks from the NAT's address and port 1701) work in the kernel
 * data path only since Linux 6.10 ("l2tp: Support several sockets with same IP/port
 * quadruple") together with the 6.11 receive path that looks sessions up without the
 * receiving socket's tunnel. Older kernels work for one tunnel per peer address/port.
 */
#ifndef L2SEC_L2TPD_KERNEL_PROBE_H
#define L2SEC_L2TPD_KERNEL_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum kprobe_item {
	KPROBE_GENL_L2TP,
	KPROBE_DEV_PPP,
	KPROBE_PPPOX_L2TP,
	KPROBE_ITEMS,
};

struct kprobe_report {
	int status[KPROBE_ITEMS];       /* 0 = present, else -errno of the probe */
	char release[65];               /* uname -r */
	unsigned int major, minor;      /* 0.0 when the release could not be read */
	bool shared_quadruple;          /* several tunnels per address/port quadruple */
};

/* The first kernel with several tunnels per quadruple in the data path. */
#define KPROBE_SHARED_QUADRUPLE_MAJOR 6
#define KPROBE_SHARED_QUADRUPLE_MINOR 11

/* Run the probes and read the version. Never fails: the report says what is missing. */
void kprobe_run(struct kprobe_report *r);
/* Fill version fields from a release string ("6.1.0-56-amd64"); the probes' fields are
 * left alone. -EINVAL when it does not start with MAJOR.MINOR. */
int kprobe_set_release(struct kprobe_report *r, const char *release);
bool kprobe_ok(const struct kprobe_report *r);

/*
 * What is missing and how to get it, one sentence per missing piece, e.g.
 *   kernel has no L2TP support: modprobe l2tp_ppp (CONFIG_L2TP, CONFIG_L2TP_PPP) ...
 * Writes "" when nothing is missing. Returns the length it wanted (snprintf-style).
 */
size_t kprobe_explain(const struct kprobe_report *r, char *buf, size_t size);
/* The plain statement of what works on this kernel version (snprintf-style return). */
size_t kprobe_version_statement(const struct kprobe_report *r, char *buf, size_t size);
/* Log both at start-up: error lines for missing pieces, a notice (or a warning on a
 * kernel without shared quadruples) for the version. */
void kprobe_log(const struct kprobe_report *r);

#endif
