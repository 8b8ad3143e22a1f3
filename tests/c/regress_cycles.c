// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Repeated setup and teardown must leave nothing behind: the process's open
 * fds, the system's BPF maps and programs, and the devices' XDP attachments
 * are where they started, and libxdp does not warn.
 *
 *   regress_cycles namespaces OUTER INNER NS QUEUES CYCLES
 *	each cycle: a UMEM, a socket on OUTER (root namespace) and one on INNER
 *	(in NS) on queue cycle % QUEUES, sharing the UMEM, deleted from their
 *	own namespaces, then the UMEM.
 *   regress_cycles same-queue DEV CYCLES
 *	each cycle: a UMEM, a receiving socket and a sending socket on DEV
 *	queue 0, which share the queue's fill and completion rings.
 * Queues rotate so that a queue is rarely bound again right after the
 * kernel was asked to release it (which it does in deferred work).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xdp/xsk.h>

#include "testlib.h"
#include "xsktest.h"

#define FRAMES 4096

static void *area;

static struct xsk_umem *umem_create(struct xt_port *owner)
{
	struct xsk_umem *umem;
	int err = xsk_umem__create(&umem, area, (__u64)FRAMES * XT_FRAME_SIZE, &owner->fill,
				   &owner->comp, NULL);

	if (err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return NULL;
	}
	return umem;
}

static int cycle_namespaces(const char *outer, const char *inner, const char *ns, __u32 queue)
{
	struct xt_port o = {}, i = {};
	struct xsk_umem *umem = umem_create(&o);
	int err;

	if (!umem)
		return -1;
	err = xt_socket_create(NULL, outer, queue, umem, &o, true, false);
	if (!err)
		err = xt_socket_create(ns, inner, queue, umem, &i, true, false);
	if (err)
		fprintf(stderr, "FAIL: creating sockets on queue %u: %s\n", queue, strerror(-err));
	if (i.xsk)
		xt_socket_delete(ns, &i);
	if (o.xsk)
		xt_socket_delete(NULL, &o);
	xsk_umem__delete(umem);
	return err;
}

static int cycle_same_queue(const char *dev)
{
	struct xt_port rx = {}, tx = {};
	struct xsk_umem *umem = umem_create(&rx);
	int err;

	if (!umem)
		return -1;
	err = xt_socket_create(NULL, dev, 0, umem, &rx, true, false);
	if (!err) {
		/* Same device and queue: libxdp hands it rx's fill/completion rings. */
		tx.fill = rx.fill;
		tx.comp = rx.comp;
		err = xt_socket_create(NULL, dev, 0, umem, &tx, false, true);
	}
	if (err)
		fprintf(stderr, "FAIL: creating sockets on %s queue 0: %s\n", dev, strerror(-err));
	if (rx.xsk)
		xt_socket_delete(NULL, &rx);
	if (tx.xsk)
		xt_socket_delete(NULL, &tx);
	xsk_umem__delete(umem);
	return err;
}

static int check_detached(const char *ns, const char *dev)
{
	long id = xt_xdp_prog_id(ns, dev);

	if (id) {
		fprintf(stderr, "FAIL: %s still has XDP program %ld (or query error)\n", dev, id);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool namespaces = argc == 7 && !strcmp(argv[1], "namespaces");
	bool same_queue = argc == 4 && !strcmp(argv[1], "same-queue");
	unsigned int cycles, queues = 1, n;
	struct xt_counts start, end;
	int ret = 0;

	if (!namespaces && !same_queue) {
		fprintf(stderr, "usage: %s namespaces OUTER INNER NS QUEUES CYCLES\n"
				"       %s same-queue DEV CYCLES\n", argv[0], argv[0]);
		return 2;
	}
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	cycles = strtoul(argv[argc - 1], NULL, 0);
	if (namespaces)
		queues = strtoul(argv[5], NULL, 0);
	area = xt_umem_area(FRAMES);
	if (!area || !queues)
		return 2;
	xt_capture_libxdp_warnings();

	/* The first cycle brings in what lives as long as the process does. */
	ret = namespaces ? cycle_namespaces(argv[2], argv[3], argv[4], 0) :
			   cycle_same_queue(argv[2]);
	xt_take_counts(&start);
	for (n = 1; n < cycles && !ret; n++)
		ret = namespaces ? cycle_namespaces(argv[2], argv[3], argv[4], n % queues) :
				   cycle_same_queue(argv[2]);
	if (ret)
		return 1;
	xt_settle_counts(&start, &end);

	printf("%u cycles: open fds %d -> %d, BPF maps %d -> %d, BPF programs %d -> %d, libxdp warnings %u\n",
	       cycles, start.fds, end.fds, start.maps, end.maps, start.progs, end.progs,
	       xt_warnings());
	if (end.fds != start.fds || end.maps > start.maps || end.progs > start.progs) {
		fprintf(stderr, "FAIL: resources leaked\n");
		ret = -1;
	}
	if (namespaces)
		ret |= check_detached(NULL, argv[2]) | check_detached(argv[4], argv[3]);
	else
		ret |= check_detached(NULL, argv[2]);
	if (xt_warnings()) {
		fprintf(stderr, "FAIL: libxdp warned\n");
		ret = -1;
	}
	if (!ret)
		printf("PASS\n");
	return ret ? 1 : 0;
}
