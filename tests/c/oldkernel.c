// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Make getsockopt(SO_NETNS_COOKIE) fail with ENOPROTOOPT, as on Linux before
 * 5.14, to test libxdp's fallback on a current kernel. Built two ways:
 * as an LD_PRELOAD object for the shared library, and with -DNOCOOKIE_WRAP
 * for linking with -Wl,--wrap=getsockopt against the static library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static bool refuse(int level, int name)
{
	if (level != SOL_SOCKET || name != SO_NETNS_COOKIE)
		return false;
	errno = ENOPROTOOPT;
	return true;
}

#ifdef NOCOOKIE_WRAP
int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return refuse(level, name) ? -1 : __real_getsockopt(fd, level, name, val, len);
}
#else
int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (refuse(level, name))
		return -1;
	if (!real)
		real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, val, len);
}
#endif
