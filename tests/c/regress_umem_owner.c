// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The first socket of a UMEM, created in another namespace than the UMEM,
 * must never bind another device silently.
 *
 * The UMEM is created in the root namespace; its first socket is created
 * with the thread in NS, on INNER, whose ifindex OUTER (in the root
 * namespace) has too. Either creation fails with EXDEV, or COUNT frames
 * sent into INNER (on its peer OUTER) all arrive on the socket. Success
 * with frames missing is the bug: the socket was bound to OUTER.
 * Use a topology with one queue, so every frame goes to queue 0.
 * With "control" the UMEM is made in NS too, and all frames must arrive:
 * that shows the receive path of this test works.
 *
 * With "again OBJ" the UMEM and its first socket are on OUTER, in the root
 * namespace, but OBJ's xsk_def_prog (not libxdp's) runs on OUTER, so the
 * socket cannot get its program and creation fails with -ENOENT. Once
 * that program is gone, the UMEM's first socket is created again on the
 * same queue, and COUNT frames sent on INNER must all arrive on it.
 *
 *   regress_umem_owner OUTER INNER NS [COUNT [control | again OBJ]]
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#include "testlib.h"
#include "xsktest.h"

#define FRAMES 2048
#define BURST 32
#define TAG 'I'

static void *area;

/* Read the RX ring until WANT of our frames arrived or nothing comes for 200 ms. */
static unsigned int drain(struct xt_port *p, unsigned int want)
{
	struct pollfd pfd = { .fd = xsk_socket__fd(p->xsk), .events = POLLIN };
	unsigned int got = 0, n, i;
	__u32 idx_rx = 0, idx_fill = 0;

	while (got < want && poll(&pfd, 1, 200) > 0) {
		n = xsk_ring_cons__peek(&p->rx, BURST, &idx_rx);
		if (!n)
			continue;
		xsk_ring_prod__reserve(&p->fill, n, &idx_fill);
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx_rx + i);
			struct test_frame f;

			if (frame_parse(xsk_umem__get_data(area, d->addr), d->len, &f) &&
			    f.tag == TAG)
				got++;
			*xsk_ring_prod__fill_addr(&p->fill, idx_fill + i) =
				d->addr & ~(__u64)(XT_FRAME_SIZE - 1);
		}
		xsk_ring_prod__submit(&p->fill, n);
		xsk_ring_cons__release(&p->rx, n);
	}
	return got;
}

int main(int argc, char **argv)
{
	const char *outer, *inner, *ns;
	unsigned int count = 1000, sent, received = 0;
	const char *mode = argc > 5 ? argv[5] : "", *sock_ns, *sock_dev;
	struct bpf_object *foreign = NULL;
	struct xsk_umem *umem = NULL;
	struct xt_port port = {};
	bool control, again;
	struct ns_saved saved;
	int err, sender, ret = 1;

	control = !strcmp(mode, "control");
	again = !strcmp(mode, "again");
	if (argc < 4 || (argc > 5 && !control && !again) || (again && argc != 7)) {
		fprintf(stderr, "usage: %s OUTER INNER NS [COUNT [control | again OBJ]]\n", argv[0]);
		return 2;
	}
	outer = argv[1];
	inner = argv[2];
	ns = argv[3];
	if (argc > 4)
		count = strtoul(argv[4], NULL, 0);
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}

	area = xt_umem_area(FRAMES);
	if (!area || ns_enter(control ? ns : NULL, &saved))
		return 1;
	err = xsk_umem__create(&umem, area, (__u64)FRAMES * XT_FRAME_SIZE, &port.fill, &port.comp,
			       NULL);
	if (ns_return(&saved) || err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}

	/* In "again" the socket is outer's, and frames come from inner. */
	sock_ns = again ? NULL : ns;
	sock_dev = again ? outer : inner;
	if (again) {
		if (!xt_attach_xdp_obj(outer, argv[6], "xsk_def_prog", &foreign)) {
			fprintf(stderr, "FAIL: attaching %s's xsk_def_prog to %s\n", argv[6], outer);
			goto out;
		}
		err = xt_socket_create(NULL, outer, 0, umem, &port, true, false);
		bpf_xdp_detach(if_nametoindex(outer), XDP_FLAGS_DRV_MODE, NULL);
		bpf_object__close(foreign);
		if (err != -ENOENT) {
			fprintf(stderr, "FAIL: the UMEM's first socket on %s with a foreign xsk_def_prog: %s (want -ENOENT)\n",
				outer, err ? strerror(-err) : "created");
			goto out;
		}
		err = xt_socket_create(NULL, outer, 0, umem, &port, true, false);
		if (err) {
			fprintf(stderr, "FAIL: the UMEM's first socket on %s again, its program gone: %s\n",
				outer, strerror(-err));
			goto out;
		}
	} else {
		err = xt_socket_create(ns, inner, 0, umem, &port, true, false);
	}
	if (err == -EXDEV && !control && !again) {
		printf("PASS: first socket of a root-namespace UMEM on %s in %s: refused with EXDEV\n",
		       inner, ns);
		ret = 0;
		goto out;
	}
	if (err) {
		fprintf(stderr, "FAIL: xsk_socket__create_shared(%s) in %s: %s (want success or EXDEV)\n",
			inner, ns, strerror(-err));
		goto out;
	}

	xt_fill_frames(&port, FRAMES);
	sender = again ? packet_sender_open(ns, inner) : packet_sender_open(NULL, outer);
	if (sender < 0) {
		fprintf(stderr, "FAIL: AF_PACKET sender: %s\n", strerror(-sender));
		goto out;
	}
	for (sent = 0; sent < count; sent += BURST) {
		unsigned int n = count - sent < BURST ? count - sent : BURST;

		if (packet_send_burst(sender, TAG, sent, n) != (int)n) {
			fprintf(stderr, "FAIL: sending into %s\n", sock_dev);
			goto out;
		}
		received += drain(&port, n);
	}
	received += drain(&port, count - received);
	if (received == count) {
		printf("PASS: created on %s in %s; %u of %u frames arrived\n", sock_dev,
		       sock_ns ? sock_ns : "the root namespace", received, count);
		ret = 0;
	} else {
		fprintf(stderr, "FAIL: socket on %s created, but %u of %u frames sent into it arrived%s\n",
			sock_dev, received, count, again ? "" : " (bound to another device)");
	}
out:
	if (port.xsk)
		xt_socket_delete(sock_ns, &port);
	xsk_umem__delete(umem);
	if (again && xt_xdp_prog_id(NULL, outer)) {
		fprintf(stderr, "FAIL: an XDP program is left on %s\n", outer);
		ret = 1;
	}
	return ret;
}
