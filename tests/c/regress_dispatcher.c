// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Multi-program dispatchers on two devices with the same ifindex in two
 * namespaces that share one bpffs. libxdp pins a dispatcher's state under
 * xdp/dispatch-IFINDEX-PROGID, so equal ifindexes meet in one directory;
 * adding or removing a program on one device must not pick, replace or
 * remove the other device's dispatcher.
 *
 * Where the dispatcher cannot load (no kernel BTF for freplace), libxdp
 * falls back to attaching single programs and the test is skipped.
 *
 *   regress_dispatcher OUTER INNER NS XDP_PASS_OBJECT
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdp/libxdp.h>

#include "testlib.h"

struct dispatcher {
	int programs;		/* 0: nothing attached */
	bool legacy;		/* a single program, no dispatcher */
	__u32 id;		/* the dispatcher's (or the single program's) id */
};

static const char *obj_path;

static void in_ns(const char *ns, struct ns_saved *saved)
{
	if (ns_enter(ns, saved)) {
		fprintf(stderr, "FATAL: cannot enter namespace %s\n", ns);
		exit(1);
	}
}

static void back(struct ns_saved *saved)
{
	if (ns_return(saved)) {
		fprintf(stderr, "FATAL: cannot return from a namespace\n");
		exit(1);
	}
}

static struct dispatcher query(const char *ns, const char *dev)
{
	struct dispatcher d = {};
	struct xdp_multiprog *mp;
	struct ns_saved saved;

	in_ns(ns, &saved);
	mp = xdp_multiprog__get_from_ifindex(if_nametoindex(dev));
	back(&saved);
	if (libxdp_get_error(mp) || !mp)
		return d;
	d.legacy = xdp_multiprog__is_legacy(mp);
	d.programs = d.legacy ? 1 : xdp_multiprog__program_count(mp);
	d.id = xdp_program__id(xdp_multiprog__main_prog(mp));
	xdp_multiprog__close(mp);
	return d;
}

static struct xdp_program *attach(const char *ns, const char *dev)
{
	struct xdp_program *prog;
	struct ns_saved saved;
	int err;

	prog = xdp_program__open_file(obj_path, "xdp", NULL);
	err = libxdp_get_error(prog);
	if (err) {
		fprintf(stderr, "FAIL: opening %s: %s\n", obj_path, strerror(-err));
		exit(1);
	}
	in_ns(ns, &saved);
	err = xdp_program__attach(prog, if_nametoindex(dev), XDP_MODE_NATIVE, 0);
	back(&saved);
	if (err) {
		fprintf(stderr, "FAIL: attaching to %s: %s\n", dev, strerror(-err));
		exit(1);
	}
	return prog;
}

static void detach(const char *ns, const char *dev, struct xdp_program *prog)
{
	struct ns_saved saved;
	int err;

	in_ns(ns, &saved);
	err = xdp_program__detach(prog, if_nametoindex(dev), XDP_MODE_NATIVE, 0);
	back(&saved);
	if (err)
		fprintf(stderr, "detaching from %s: %s\n", dev, strerror(-err));
	xdp_program__close(prog);
}

static int expect(const char *what, struct dispatcher got, int programs, __u32 id)
{
	if (got.programs == programs && (!id || got.id == id))
		return 0;
	fprintf(stderr, "FAIL: %s: %d program(s) under dispatcher %u, want %d under %u\n", what,
		got.programs, got.id, programs, id);
	return -1;
}

int main(int argc, char **argv)
{
	const char *outer, *inner, *ns;
	struct xdp_program *o1, *o2, *i1;
	struct dispatcher od, nd;
	int ret = test_start(argc, argv, 4, "OUTER INNER NS XDP_PASS_OBJECT");

	if (ret)
		return ret;
	outer = argv[1];
	inner = argv[2];
	ns = argv[3];
	obj_path = argv[4];

	o1 = attach(NULL, outer);
	i1 = attach(ns, inner);
	od = query(NULL, outer);
	nd = query(ns, inner);
	if (od.legacy || nd.legacy) {
		printf("SKIP: libxdp could not load its multi-program dispatcher here (it attached a single program instead; the dispatcher needs kernel BTF for freplace), so dispatcher pin paths cannot be tested on this machine\n");
		detach(ns, inner, i1);
		detach(NULL, outer, o1);
		return TEST_SKIP;
	}
	printf("dispatchers: %s %u, %s (%s) %u\n", outer, od.id, inner, ns, nd.id);

	/* A second program on outer: libxdp must extend outer's dispatcher only. */
	o2 = attach(NULL, outer);
	ret |= expect("outer after adding a program", query(NULL, outer), 2, 0);
	ret |= expect("inner after adding a program to outer", query(ns, inner), 1, nd.id);

	/* Removing inner's only program must leave outer's dispatcher alone. */
	detach(ns, inner, i1);
	ret |= expect("inner after removing its program", query(ns, inner), 0, 0);
	od = query(NULL, outer);
	ret |= expect("outer after removing inner's program", od, 2, 0);

	detach(NULL, outer, o2);
	detach(NULL, outer, o1);
	ret |= expect("outer at the end", query(NULL, outer), 0, 0);
	if (!ret)
		printf("PASS: each device's dispatcher changed only through its own namespace\n");
	return ret ? 1 : 0;
}
