/*
 * Internals shared by the control-socket server (common/ctl_server.c) and client
 * (common/ctl_client.c). Not for use outside common/ctl_*.c: the API is common/ctl.h.
 */
#ifndef L2SEC_COMMON_CTL_INTERNAL_H
#define L2SEC_COMMON_CTL_INTERNAL_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* The socket's group when none is configured, and the one a refused client is told of. */
#define CTL_DEFAULT_GROUP "l2sec"

/* path -> AF_UNIX address. 0, or -ENAMETOOLONG for a NULL, empty or too long path. */
static inline int ctl_fill_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!path || !*path || strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

#endif
