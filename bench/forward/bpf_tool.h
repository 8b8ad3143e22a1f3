/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the bench's small BPF tools (xdp_count_drop, xdp_gen) share: entering
 * the network namespace named on their command line, and finding their BPF
 * object next to their own binary.
 */
#ifndef BENCH_BPF_TOOL_H
#define BENCH_BPF_TOOL_H

/* setns() needs _GNU_SOURCE, defined before the includer's first #include. */
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any #include"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Enter `ns` (a /run/netns name, or a path when it holds a '/'; NULL or empty:
 * stay) for good. Returns 0 or a negative errno. */
static inline int enter_netns(const char *ns)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!ns || !*ns)
		return 0;
	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

/* The path of `name` in the directory of the running binary, into buf.
 * Returns buf, or NULL (errno set) when /proc/self/exe cannot be read or the
 * path does not fit. */
static inline const char *next_to_binary(char *buf, size_t size, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", buf, size);
	char *slash;

	if (n < 0)
		return NULL;
	if ((size_t)n >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash + 1 - buf) + strlen(name) >= size) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(slash + 1, name);
	return buf;
}

#endif
