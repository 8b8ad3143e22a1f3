// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Drop-in compatibility: built against the distribution's libxdp headers and
 * linked against its libxdp.so.1, run with LD_LIBRARY_PATH pointing at ours.
 *
 *   compat_drop_in -l LIBDIR -p PROG.o -d DEV [-n NETNS]
 *
 * Checks that the libxdp.so.1 mapped into the process lives in LIBDIR, then
 * attaches PROG.o (native mode) to DEV in NETNS, shows what is attached,
 * detaches it and checks that nothing is left.
 * Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "testlib.h"

struct lib_search {
	char path[PATH_MAX];
	int found;
};

static int find_libxdp(struct dl_phdr_info *info, size_t size, void *data)
{
	struct lib_search *s = data;
	const char *base;

	(void)size;
	if (!info->dlpi_name || !*info->dlpi_name)
		return 0;
	base = strrchr(info->dlpi_name, '/');
	base = base ? base + 1 : info->dlpi_name;
	if (strncmp(base, "libxdp.so", 9))
		return 0;
	if (!realpath(info->dlpi_name, s->path))
		snprintf(s->path, sizeof(s->path), "%s", info->dlpi_name);
	s->found++;
	return 0;
}

static int check_loaded_lib(const char *libdir)
{
	struct lib_search s = {};
	char dir[PATH_MAX];
	size_t len;

	if (!realpath(libdir, dir)) {
		fprintf(stderr, "FAIL: %s: %s\n", libdir, strerror(errno));
		return -1;
	}
	dl_iterate_phdr(find_libxdp, &s);
	if (s.found != 1) {
		fprintf(stderr, "FAIL: %d copies of libxdp.so mapped (want 1)\n", s.found);
		return -1;
	}
	len = strlen(dir);
	printf("libxdp loaded from %s\n", s.path);
	if (strncmp(s.path, dir, len) || s.path[len] != '/') {
		fprintf(stderr, "FAIL: the loaded libxdp is not the one under %s\n", dir);
		return -1;
	}
	return 0;
}

static const char *mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE: return "native";
	case XDP_MODE_SKB: return "skb";
	case XDP_MODE_HW: return "hw";
	default: return "unspecified";
	}
}

/* Print what is attached to IFINDEX; returns the number of programs or -errno. */
static int show_attached(int ifindex, const char *dev, const char *want_name)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int n = 0, found = 0, err;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT) {
		printf("%s: no XDP program attached\n", dev);
		return 0;
	}
	if (err) {
		fprintf(stderr, "FAIL: xdp_multiprog__get_from_ifindex(%s): %s\n", dev,
			strerror(-err));
		return err;
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		printf("%s: single program (no dispatcher), %s mode: %s id %u\n", dev,
		       mode_name(xdp_multiprog__attach_mode(mp)), xdp_program__name(p),
		       xdp_program__id(p));
		n = 1;
		found = !strcmp(xdp_program__name(p), want_name);
	} else {
		p = xdp_multiprog__main_prog(mp);
		printf("%s: dispatcher %s id %u, %s mode\n", dev, xdp_program__name(p),
		       xdp_program__id(p), mode_name(xdp_multiprog__attach_mode(mp)));
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			printf("  %s id %u priority %u\n", xdp_program__name(p),
			       xdp_program__id(p), xdp_program__run_prio(p));
			n++;
			if (!strcmp(xdp_program__name(p), want_name))
				found = 1;
		}
	}
	xdp_multiprog__close(mp);
	if (!found) {
		fprintf(stderr, "FAIL: %s not among the programs on %s\n", want_name, dev);
		return -ENOENT;
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *libdir = NULL, *obj = NULL, *dev = NULL, *ns = NULL;
	struct xdp_program *prog = NULL;
	struct ns_saved saved;
	int opt, err, ifindex, ret = 1;
	char name[64];

	while ((opt = getopt(argc, argv, "l:p:d:n:")) != -1) {
		switch (opt) {
		case 'l': libdir = optarg; break;
		case 'p': obj = optarg; break;
		case 'd': dev = optarg; break;
		case 'n': ns = optarg; break;
		default:
			fprintf(stderr, "usage: %s -l LIBDIR -p PROG.o -d DEV [-n NETNS]\n", argv[0]);
			return 2;
		}
	}
	if (!libdir || !obj || !dev) {
		fprintf(stderr, "usage: %s -l LIBDIR -p PROG.o -d DEV [-n NETNS]\n", argv[0]);
		return 2;
	}
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (check_loaded_lib(libdir))
		return 1;

	/* Single threaded: the whole process may stay in the test namespace. */
	err = ns_enter(ns, &saved);
	if (err) {
		fprintf(stderr, "FAIL: cannot enter namespace %s: %s\n", ns, strerror(-err));
		return 1;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "FAIL: no device %s in %s: %s\n", dev, ns ? ns : "(current)",
			strerror(errno));
		goto out;
	}

	prog = xdp_program__open_file(obj, "xdp", NULL);
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		fprintf(stderr, "FAIL: xdp_program__open_file(%s): %s\n", obj, strerror(-err));
		goto out;
	}
	snprintf(name, sizeof(name), "%s", xdp_program__name(prog));

	err = xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0);
	if (err) {
		fprintf(stderr, "FAIL: xdp_program__attach(%s, native): %s\n", dev, strerror(-err));
		goto out;
	}
	printf("attached %s (id %u) to %s in %s\n", name, xdp_program__id(prog), dev,
	       ns ? ns : "(current)");
	test_checkpoint("attached");
	if (show_attached(ifindex, dev, name) < 1) {
		xdp_program__detach(prog, ifindex, XDP_MODE_NATIVE, 0);
		goto out;
	}
	err = xdp_program__detach(prog, ifindex, XDP_MODE_NATIVE, 0);
	if (err) {
		fprintf(stderr, "FAIL: xdp_program__detach(%s): %s\n", dev, strerror(-err));
		goto out;
	}
	err = show_attached(ifindex, dev, name);
	if (err) {
		if (err > 0)
			fprintf(stderr, "FAIL: %d programs still attached to %s\n", err, dev);
		goto out;
	}
	ret = 0;
out:
	xdp_program__close(prog);
	if (ns_return(&saved))
		ret = 1;
	printf("%s: drop-in compatibility\n", ret ? "FAIL" : "PASS");
	return ret;
}
