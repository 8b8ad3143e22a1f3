// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Refuse what Linux 5.10 does not have, to test libxdp's fallbacks on a
 * current kernel:
 *
 *   netns_cookie  getsockopt(SO_NETNS_COOKIE) fails with ENOPROTOOPT
 *                 (the option exists since Linux 5.14);
 *   channels      ioctl(SIOCETHTOOL, ETHTOOL_GCHANNELS) fails with
 *                 EOPNOTSUPP (veth answers it since Linux 5.13; many other
 *                 drivers never do).
 *
 * OLDKERNEL_REFUSE names the features to refuse, separated by commas (unset:
 * both). Built two ways: as an LD_PRELOAD object for the shared library, and
 * with -DOLDKERNEL_WRAP for linking with -Wl,--wrap=getsockopt,--wrap=ioctl
 * against the static library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static bool refused(const char *feature)
{
	const char *list = getenv("OLDKERNEL_REFUSE");
	size_t len = strlen(feature);

	if (!list)
		return true;
	for (const char *p = list; (p = strstr(p, feature)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

static bool refuse_getsockopt(int level, int name)
{
	if (level != SOL_SOCKET || name != SO_NETNS_COOKIE || !refused("netns_cookie"))
		return false;
	errno = ENOPROTOOPT;
	return true;
}

static bool refuse_ioctl(unsigned long request, void *arg)
{
	struct ifreq *ifr = arg;
	__u32 cmd;

	if (request != SIOCETHTOOL || !refused("channels"))
		return false;
	memcpy(&cmd, ifr->ifr_data, sizeof(cmd));
	if (cmd != ETHTOOL_GCHANNELS)
		return false;
	errno = EOPNOTSUPP;
	return true;
}

#ifdef OLDKERNEL_WRAP
int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __real_ioctl(int fd, unsigned long request, ...);

int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	return refuse_getsockopt(level, name) ? -1 : __real_getsockopt(fd, level, name, val, len);
}

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	return refuse_ioctl(request, arg) ? -1 : __real_ioctl(fd, request, arg);
}
#else
int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (refuse_getsockopt(level, name))
		return -1;
	if (!real)
		real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, val, len);
}

int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (refuse_ioctl(request, arg))
		return -1;
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, request, arg);
}
#endif
