/*
 * PPPoL2TP sockets, PPP channels and units. See kernel_ppp.h for which descriptor
 * carries which frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>
#include <linux/if_pppox.h>
#include <linux/if_pppol2tp.h>
#include <linux/ppp-ioctl.h>
#include <linux/ppp_defs.h>

#include "l2tpd/kernel_ppp.h"
#include "common/privdrop.h"

#define KPPP_DEV "/dev/ppp"
#define KPPP_NAME_TRIES 1024
#define KPPP_MRU_MIN 64		/* below any MRU a real peer asks for; the kernel takes anything */

void kppp_session_init(struct kppp_session *s)
{
	memset(s, 0, sizeof(*s));
	s->pppox_fd = -1;
	s->chan_fd = -1;
	s->unit_fd = -1;
	s->chindex = -1;
	s->unit = -1;
}

/*
 * The four connect addresses share their field names but not their layout (id width, and
 * where the IPv6 address sits), so one macro defines the filler of each variant. The kernel
 * tells the variants apart by length alone.
 */
#define DEFINE_PPPOL2TP_FILL(name, sa_type, sin_type)                                   \
	static int name(const struct kppp_l2tp_addr *a, void *buf, size_t size)         \
	{                                                                               \
		sa_type sa;                                                             \
                                                                                        \
		if (size < sizeof(sa) || a->peer_len < sizeof(sin_type))                \
			return -EINVAL;                                                 \
		memset(&sa, 0, sizeof(sa));                                             \
		sa.sa_family = AF_PPPOX;                                                \
		sa.sa_protocol = PX_PROTO_OL2TP;                                        \
		sa.pppol2tp.fd = a->tunnel_fd;                                          \
		memcpy(&sa.pppol2tp.addr, a->peer, sizeof(sin_type));                   \
		sa.pppol2tp.s_tunnel = a->tunnel_id;                                    \
		sa.pppol2tp.s_session = a->session_id;                                  \
		sa.pppol2tp.d_tunnel = a->peer_tunnel_id;                               \
		sa.pppol2tp.d_session = a->peer_session_id;                             \
		memcpy(buf, &sa, sizeof(sa));                                           \
		return (int)sizeof(sa);                                                 \
	}

/* L2TPv2 ids are checked to fit 16 bits before these are called. */
DEFINE_PPPOL2TP_FILL(pppol2tp_v2_in, struct sockaddr_pppol2tp, struct sockaddr_in)
DEFINE_PPPOL2TP_FILL(pppol2tp_v2_in6, struct sockaddr_pppol2tpin6, struct sockaddr_in6)
DEFINE_PPPOL2TP_FILL(pppol2tp_v3_in, struct sockaddr_pppol2tpv3, struct sockaddr_in)
DEFINE_PPPOL2TP_FILL(pppol2tp_v3_in6, struct sockaddr_pppol2tpv3in6, struct sockaddr_in6)

int kppp_pppol2tp_sockaddr(const struct kppp_l2tp_addr *a, void *buf, size_t size)
{
	bool v6;

	if (!a->peer || a->tunnel_fd < 0 || !a->tunnel_id || !a->session_id)
		return -EINVAL;
	if (a->peer->sa_family != AF_INET && a->peer->sa_family != AF_INET6)
		return -EINVAL;
	v6 = a->peer->sa_family == AF_INET6;
	if (a->version == 2) {
		if (a->tunnel_id > 0xffff || a->session_id > 0xffff ||
		    a->peer_tunnel_id > 0xffff || a->peer_session_id > 0xffff)
			return -EINVAL;
		return v6 ? pppol2tp_v2_in6(a, buf, size) : pppol2tp_v2_in(a, buf, size);
	}
	if (a->version == 3)
		return v6 ? pppol2tp_v3_in6(a, buf, size) : pppol2tp_v3_in(a, buf, size);
	return -EINVAL;
}

int kppp_pppox_open(struct kppp_session *s, const struct kppp_l2tp_addr *a)
{
	uint8_t sa[sizeof(struct sockaddr_pppol2tpv3in6)];
	int len = kppp_pppol2tp_sockaddr(a, sa, sizeof(sa));
	int fd, err;

	if (len < 0)
		return len;
	if (s->pppox_fd >= 0)
		return -EBUSY;
	fd = socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, (socklen_t)len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	s->pppox_fd = fd;
	return 0;
}

static int kppp_open_dev(void)
{
	int fd = open(KPPP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	/* Running as a user (l2tpd.conf `user`): the node is 0600 root, so CAP_DAC_OVERRIDE
	 * is raised for this one open only (privs.h). */
	if (fd < 0 && errno == EACCES && privdrop_permitted(PRIVDROP_DAC_OVERRIDE) &&
	    privdrop_raise(PRIVDROP_DAC_OVERRIDE) == 0) {
		fd = open(KPPP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		int err = errno;

		privdrop_lower(PRIVDROP_DAC_OVERRIDE);
		errno = err;
	}
	return fd < 0 ? -errno : fd;
}

int kppp_channel_open(struct kppp_session *s)
{
	int chindex;

	if (s->pppox_fd < 0)
		return -EBADF;
	if (s->chan_fd >= 0)
		return -EBUSY;
	/* Also marks the socket bound: from now on its frames go to the channel. */
	if (ioctl(s->pppox_fd, PPPIOCGCHAN, &chindex) < 0)
		return -errno;
	return kppp_channel_attach(s, chindex);
}

int kppp_channel_attach(struct kppp_session *s, int chindex)
{
	int fd, err;

	if (s->chan_fd >= 0)
		return -EBUSY;
	if (chindex < 0)
		return -EINVAL;
	fd = kppp_open_dev();
	if (fd < 0)
		return fd;
	if (ioctl(fd, PPPIOCATTCHAN, &chindex) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	s->chindex = chindex;
	s->chan_fd = fd;
	return 0;
}

static int kppp_name(char *out, const char *prefix, unsigned int n)
{
	int len = snprintf(out, IFNAMSIZ, "%s%u", prefix, n);

	return len > 0 && len < IFNAMSIZ ? 0 : -ENAMETOOLONG;
}

/* Record what the kernel made: unit number and interface index. */
static int kppp_unit_finish(struct kppp_session *s, struct rtnl *r, int fd, const char *name)
{
	struct rtnl_link_info info;
	int unit, err;

	if (ioctl(fd, PPPIOCGUNIT, &unit) < 0)
		return -errno;
	err = rtnl_link_get(r, 0, name, &info);
	if (err)
		return err;
	s->unit_fd = fd;
	s->unit = unit;
	s->ifindex = info.ifindex;
	snprintf(s->ifname, sizeof(s->ifname), "%s", name);
	return 0;
}

int kppp_unit_create(struct kppp_session *s, struct rtnl *r, const char *prefix,
		     unsigned int *next_index)
{
	char name[IFNAMSIZ];
	int fd, err = -EEXIST;

	if (s->unit_fd >= 0)
		return -EBUSY;
	fd = kppp_open_dev();
	if (fd < 0)
		return fd;
	for (int i = 0; i < KPPP_NAME_TRIES && err == -EEXIST; i++) {
		err = kppp_name(name, prefix, (*next_index)++);
		if (!err)
			err = rtnl_ppp_create(r, fd, name);
	}
	/* EBUSY: the kernel's ppp_nl_newlink only trylocks ppp_mutex (it holds rtnl, and
	 * PPPIOCNEWUNIT takes them the other way round), so any concurrent /dev/ppp ioctl of
	 * another process (a pppd) fails it. PPPIOCNEWUNIT waits for the mutex instead. */
	if (err == -EOPNOTSUPP || err == -EBUSY) {
		close(fd);
		return kppp_unit_create_ioctl(s, r, prefix, next_index);
	}
	if (!err)
		err = kppp_unit_finish(s, r, fd, name);
	if (err)
		close(fd);      /* also deletes a unit created before a later step failed */
	return err;
}

int kppp_unit_create_ioctl(struct kppp_session *s, struct rtnl *r, const char *prefix,
			   unsigned int *next_index)
{
	char name[IFNAMSIZ], kname[IFNAMSIZ];
	struct rtnl_link_info info;
	int fd, unit = -1, err = -EEXIST;

	if (s->unit_fd >= 0)
		return -EBUSY;
	fd = kppp_open_dev();
	if (fd < 0)
		return fd;
	if (ioctl(fd, PPPIOCNEWUNIT, &unit) < 0) {
		err = -errno;
		goto fail;
	}
	/* The kernel names a unit made this way "ppp<unit>". */
	snprintf(kname, sizeof(kname), "ppp%d", unit);
	err = rtnl_link_get(r, 0, kname, &info);
	if (err)
		goto fail;
	err = -EEXIST;
	for (int i = 0; i < KPPP_NAME_TRIES && err == -EEXIST; i++) {
		err = kppp_name(name, prefix, (*next_index)++);
		if (!err)
			err = rtnl_link_rename(r, info.ifindex, name);
	}
	if (!err)
		err = kppp_unit_finish(s, r, fd, name);
	if (!err)
		return 0;
fail:
	close(fd);
	return err;
}

int kppp_unit_connect(struct kppp_session *s)
{
	if (s->chan_fd < 0 || s->unit < 0)
		return -EBADF;
	return ioctl(s->chan_fd, PPPIOCCONNECT, &s->unit) < 0 ? -errno : 0;
}

int kppp_unit_disconnect(struct kppp_session *s)
{
	if (s->chan_fd < 0)
		return -EBADF;
	return ioctl(s->chan_fd, PPPIOCDISCONN) < 0 ? -errno : 0;
}

int kppp_unit_set_mru(struct kppp_session *s, int mru)
{
	if (s->unit_fd < 0)
		return -EBADF;
	if (mru < KPPP_MRU_MIN || mru > 65535)
		return -EINVAL;
	return ioctl(s->unit_fd, PPPIOCSMRU, &mru) < 0 ? -errno : 0;
}

int kppp_unit_set_npmode(struct kppp_session *s, uint16_t proto, int mode)
{
	struct npioctl np = { .protocol = proto, .mode = (enum NPmode)mode };

	if (s->unit_fd < 0)
		return -EBADF;
	return ioctl(s->unit_fd, PPPIOCSNPMODE, &np) < 0 ? -errno : 0;
}

void kppp_session_close(struct kppp_session *s)
{
	if (s->chan_fd >= 0 && s->unit >= 0)
		(void)ioctl(s->chan_fd, PPPIOCDISCONN);
	if (s->chan_fd >= 0)
		close(s->chan_fd);
	if (s->unit_fd >= 0)
		close(s->unit_fd);
	if (s->pppox_fd >= 0)
		close(s->pppox_fd);
	kppp_session_init(s);
}

bool kppp_ifname_is_ours(const char *ifname, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p;

	if (!plen || strncmp(ifname, prefix, plen) != 0 || !ifname[plen])
		return false;
	for (p = ifname + plen; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

struct kppp_sweep_ctx {
	const char *prefix;
	bool (*keep)(const char *ifname, void *arg);
	void *keep_arg;
	uint32_t *ifindex;
	size_t n, cap;
};

static int kppp_sweep_collect(const struct rtnl_link_info *link, void *arg)
{
	struct kppp_sweep_ctx *c = arg;

	if (strcmp(link->kind, "ppp") != 0 || !kppp_ifname_is_ours(link->ifname, c->prefix))
		return 0;
	if (c->keep && c->keep(link->ifname, c->keep_arg))
		return 0;
	return knl_u32_push(&c->ifindex, &c->n, &c->cap, (uint32_t)link->ifindex);
}

int kppp_sweep(struct rtnl *r, const char *prefix, bool (*keep)(const char *ifname, void *arg),
	       void *keep_arg, unsigned int *deleted)
{
	struct kppp_sweep_ctx c = { .prefix = prefix, .keep = keep, .keep_arg = keep_arg };
	int err, first = 0;

	*deleted = 0;
	err = rtnl_link_dump(r, kppp_sweep_collect, &c);
	for (size_t i = 0; !err && i < c.n; i++) {
		int e = rtnl_link_delete(r, (int)c.ifindex[i]);

		if (!e)
			(*deleted)++;
		else if (e != -ENODEV && !first)
			first = e;
	}
	free(c.ifindex);
	return err ? err : first;
}
