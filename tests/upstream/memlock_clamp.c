// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * LD_PRELOAD object for running upstream's libxdp tests where root lacks CAP_SYS_RESOURCE
 * (some containers): those tests raise RLIMIT_MEMLOCK (to infinity or to their UMEM size)
 * and exit when that fails. Such a raise is only needed on kernels that charge BPF memory to
 * RLIMIT_MEMLOCK (before 5.11) or for an XSK UMEM registered without CAP_IPC_LOCK, so when
 * raising fails with EPERM the limit is set as high as allowed (the hard limit) and success
 * is reported, with a note on stderr. Any other setrlimit() is passed through untouched.
 * tests/run-upstream-tests.sh preloads it only when the hard limit cannot be raised.
 * Written for this repository; not upstream code.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

typedef int (*setrlimit_fn)(__rlimit_resource_t, const struct rlimit *);

static int clamp(setrlimit_fn real, __rlimit_resource_t resource, const struct rlimit *rlim)
{
	struct rlimit cur, clamped;
	int err;

	err = real(resource, rlim);
	if (!err || errno != EPERM || resource != RLIMIT_MEMLOCK)
		return err;
	if (getrlimit(RLIMIT_MEMLOCK, &cur))
		return err;
	clamped.rlim_max = cur.rlim_max;
	clamped.rlim_cur = rlim->rlim_cur < cur.rlim_max ? rlim->rlim_cur : cur.rlim_max;
	if (real(resource, &clamped))
		return -1;
	fprintf(stderr, "memlock_clamp: setrlimit(RLIMIT_MEMLOCK, %llu) not permitted here; "
		"limit set to %llu instead\n", (unsigned long long)rlim->rlim_cur,
		(unsigned long long)clamped.rlim_cur);
	return 0;
}

/* Programs built with _FILE_OFFSET_BITS=64 (upstream's and ours) call setrlimit64. */
int setrlimit(__rlimit_resource_t resource, const struct rlimit *rlim)
{
	static setrlimit_fn real;

	if (!real)
		real = (setrlimit_fn)dlsym(RTLD_NEXT, "setrlimit");
	return clamp(real, resource, rlim);
}

int setrlimit64(__rlimit_resource_t resource, const struct rlimit64 *rlim)
{
	static setrlimit_fn real;

	_Static_assert(sizeof(struct rlimit64) == sizeof(struct rlimit), "64-bit rlim_t");
	if (!real)
		real = (setrlimit_fn)dlsym(RTLD_NEXT, "setrlimit64");
	return clamp(real, resource, (const struct rlimit *)rlim);
}
