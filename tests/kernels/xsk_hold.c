// SPDX-License-Identifier: GPL-2.0
/*
 * The seed scenario's sockets, held open so that a script can look at the XDP program on each
 * device, then deleted from the root namespace (the inner device's sockets thus from another
 * namespace than their own).
 *
 *   xsk_hold OUTER_DEV INNER_DEV INNER_NETNS_PATH QUEUES
 *
 * Creates one UMEM in the calling (root) namespace, a socket on every queue of OUTER_DEV there
 * and on every queue of INNER_DEV in INNER_NETNS_PATH (entered by this thread only), all over
 * that UMEM with libxdp's default program (native XDP, copy mode). Then prints "READY" and
 * waits for a line on stdin; deletes every socket from the root namespace and the UMEM,
 * prints "DELETED" and waits for a line again (or EOF) before it exits, so the script can look
 * at the devices while the process still lives.
 *
 * Exit status: 0 when every call succeeded, 1 otherwise (the failing call is printed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#define MAX_QUEUES 16
#define FRAMES 4096
#define FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE

struct port {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
};

static int enter(int ns_fd, const char *what)
{
	if (setns(ns_fd, CLONE_NEWNET)) {
		fprintf(stderr, "FAIL: setns(%s): %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static void wait_line(void)
{
	char buf[64];

	if (!fgets(buf, sizeof(buf), stdin))
		return;
}

int main(int argc, char **argv)
{
	struct port outer[MAX_QUEUES] = {}, inner[MAX_QUEUES] = {};
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = 0,
		.libxdp_flags = 0,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct xsk_umem *umem = NULL;
	int root_fd, inner_fd, err, rc = 0;
	unsigned int queues, q;
	void *area;

	if (argc != 5) {
		fprintf(stderr, "usage: %s OUTER_DEV INNER_DEV INNER_NETNS_PATH QUEUES\n", argv[0]);
		return 2;
	}
	queues = strtoul(argv[4], NULL, 10);
	if (!queues || queues > MAX_QUEUES) {
		fprintf(stderr, "QUEUES must be 1..%d\n", MAX_QUEUES);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	root_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	inner_fd = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (root_fd < 0 || inner_fd < 0) {
		fprintf(stderr, "FAIL: open namespace: %s\n", strerror(errno));
		return 1;
	}
	area = mmap(NULL, (size_t)FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	err = xsk_umem__create(&umem, area, (size_t)FRAMES * FRAME_SIZE, &outer[0].fill,
			       &outer[0].comp, NULL);
	if (err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}
	for (q = 0; q < queues; q++) {
		struct port *p = &outer[q];

		err = xsk_socket__create_shared(&p->xsk, argv[1], q, umem, &p->rx, NULL, &p->fill,
						&p->comp, &cfg);
		if (err) {
			fprintf(stderr, "FAIL: xsk_socket__create_shared(%s queue %u) in the root namespace: %s\n",
				argv[1], q, strerror(-err));
			rc = 1;
			p->xsk = NULL;
		}
	}
	if (enter(inner_fd, argv[3]))
		return 1;
	for (q = 0; q < queues; q++) {
		struct port *p = &inner[q];

		err = xsk_socket__create_shared(&p->xsk, argv[2], q, umem, &p->rx, NULL, &p->fill,
						&p->comp, &cfg);
		if (err) {
			fprintf(stderr, "FAIL: xsk_socket__create_shared(%s queue %u) in %s: %s\n",
				argv[2], q, argv[3], strerror(-err));
			rc = 1;
			p->xsk = NULL;
		}
	}
	if (enter(root_fd, "the root namespace"))
		return 1;

	printf("READY\n");
	wait_line();

	/* Every socket deleted from the root namespace: inner's from another namespace. */
	for (q = 0; q < queues; q++) {
		if (outer[q].xsk)
			xsk_socket__delete(outer[q].xsk);
		if (inner[q].xsk)
			xsk_socket__delete(inner[q].xsk);
	}
	err = xsk_umem__delete(umem);
	if (err) {
		fprintf(stderr, "FAIL: xsk_umem__delete: %s\n", strerror(-err));
		rc = 1;
	}
	printf("DELETED\n");
	wait_line();
	return rc;
}
