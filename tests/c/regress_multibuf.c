// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * An AF_XDP socket bound with XDP_USE_SG (multi-buffer, Linux 6.6) gets
 * libxdp's default program, and a packet longer than a UMEM frame arrives
 * in several descriptors.
 *
 * DEV, in namespace NS, and its veth peer PEER, in this namespace, have an
 * MTU of 9000, more than a page: veth then takes only an XDP program with
 * frags support. A socket on DEV queue 0, copy mode, XDP_USE_SG, over a
 * UMEM of 4096-byte frames, gets libxdp's default program; 100 frames of
 * 9000 bytes sent on PEER must each arrive as several descriptors
 * (XDP_PKT_CONTD on all but the last) that hold the 9000 bytes sent. Then
 * a socket without XDP_USE_SG (a UMEM of its own) on queue 1 shares the
 * program: DEV keeps it when the first socket goes, and runs none once
 * both are gone. DEV needs 2 queues.
 *
 * On a kernel whose bind() does not know XDP_USE_SG (before 6.6) the
 * socket must fail with a negative errno and leave no program on DEV and
 * no fd behind; the test then skips.
 *
 *   regress_multibuf DEV NS PEER
 *
 * Exit status: 0 pass, 1 fail, 2 usage, 77 skipped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "testlib.h"
#include "xsktest.h"

#define FRAMES 2048
#define COUNT 100
#define LEN 9000
#define BURST 8
#define TAG 'M'

static void *area;
static int failures;

/* The packet being put together from its descriptors, and what came. */
static struct {
	uint8_t data[TEST_FRAME_MAX];
	size_t len;
	unsigned int descs, min_descs, max_descs;
	unsigned int packets, good;
	bool seen[COUNT];
} rx = { .min_descs = ~0U };

/* What is wrong with the packet put together, or NULL; *SEQ: which it is. */
static const char *packet_fault(unsigned int *seq)
{
	struct test_frame f;

	*seq = rx.packets;
	if (rx.len > sizeof(rx.data) || !frame_parse(rx.data, rx.len, &f) || f.tag != TAG ||
	    f.seq >= COUNT)
		return "is not one of those sent";
	*seq = f.seq;
	if (rx.seen[f.seq])
		return "arrived twice";
	rx.seen[f.seq] = true;
	if (rx.descs < 2)
		return "arrived in one descriptor";
	if (rx.len != LEN)
		return "arrived with another length";
	if (!frame_payload_intact(rx.data, rx.len, f.seq))
		return "arrived with other contents";
	return NULL;
}

static void packet_done(void)
{
	unsigned int seq;
	const char *fault = packet_fault(&seq);

	if (!fault)
		rx.good++;
	else if (++failures <= 5)
		fprintf(stderr, "FAIL: frame %u (%zu bytes in %u descriptors) %s\n", seq, rx.len,
			rx.descs, fault);
	if (rx.descs < rx.min_descs)
		rx.min_descs = rx.descs;
	if (rx.descs > rx.max_descs)
		rx.max_descs = rx.descs;
	rx.packets++;
	rx.len = 0;
	rx.descs = 0;
}

static void take_desc(const struct xdp_desc *d)
{
	if (rx.len + d->len <= sizeof(rx.data))
		memcpy(rx.data + rx.len, xsk_umem__get_data(area, d->addr), d->len);
	rx.len += d->len;
	rx.descs++;
	if (!(d->options & XDP_PKT_CONTD))
		packet_done();
}

/* Read the RX ring until WANT packets came in all, or nothing comes for 200 ms. */
static void drain(struct xt_port *p, unsigned int want)
{
	struct pollfd pfd = { .fd = xsk_socket__fd(p->xsk), .events = POLLIN };
	__u32 idx_rx = 0, idx_fill = 0, n, i;

	while (rx.packets < want && poll(&pfd, 1, 200) > 0) {
		n = xsk_ring_cons__peek(&p->rx, 64, &idx_rx);
		if (!n)
			continue;
		/* Each frame taken from RX goes back: the fill ring has room. */
		xsk_ring_prod__reserve(&p->fill, n, &idx_fill);
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx_rx + i);

			take_desc(d);
			*xsk_ring_prod__fill_addr(&p->fill, idx_fill + i) =
				d->addr & ~(__u64)(XT_FRAME_SIZE - 1);
		}
		xsk_ring_prod__submit(&p->fill, n);
		xsk_ring_cons__release(&p->rx, n);
	}
}

/* How DEV in NS runs the default program, for the log. */
static const char *program_kind(const char *ns, const char *dev)
{
	struct xdp_multiprog *mp;
	struct ns_saved saved;
	const char *kind;

	if (ns_enter(ns, &saved))
		return "unknown";
	mp = xdp_multiprog__get_from_ifindex(if_nametoindex(dev));
	if (ns_return(&saved) || libxdp_get_error(mp))
		kind = "unknown";
	else if (xdp_multiprog__is_legacy(mp))
		kind = "a single program";
	else if (xdp_multiprog__xdp_frags_support(mp))
		kind = "a dispatcher with frags support";
	else
		kind = "a dispatcher without frags support";
	if (!libxdp_get_error(mp))
		xdp_multiprog__close(mp);
	return kind;
}

static struct xsk_umem *umem_create(const char *ns, void *mem, unsigned int frames,
				    struct xt_port *port)
{
	struct xsk_umem *umem = NULL;
	struct ns_saved saved;
	int err;

	if (!mem || ns_enter(ns, &saved))
		return NULL;
	err = xsk_umem__create(&umem, mem, (__u64)frames * XT_FRAME_SIZE, &port->fill,
			       &port->comp, NULL);
	if (ns_return(&saved) || err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return NULL;
	}
	return umem;
}

/* Frames go to the RX queue of DEV that is PEER's TX queue: queue 0. */
static int send_and_receive(struct xt_port *port, const char *peer)
{
	unsigned int sent, n;
	int sender, ret;

	if (pin_for_tx_queue(0, 2)) {
		fprintf(stderr, "FAIL: no CPU sends on TX queue 0 of %s\n", peer);
		return -1;
	}
	sender = packet_sender_open(NULL, peer);
	if (sender < 0) {
		fprintf(stderr, "FAIL: AF_PACKET sender on %s: %s\n", peer, strerror(-sender));
		return -1;
	}
	for (sent = 0; sent < COUNT; sent += n) {
		n = COUNT - sent < BURST ? COUNT - sent : BURST;
		ret = packet_send_frames(sender, TAG, sent, n, LEN);
		if (ret != (int)n) {
			fprintf(stderr, "FAIL: sending %u-byte frames on %s: %s\n", LEN, peer,
				ret < 0 ? strerror(-ret) : "short");
			return -1;
		}
		drain(port, sent + n);
	}
	drain(port, COUNT);
	return 0;
}

int main(int argc, char **argv)
{
	struct xt_port port = {}, plain = {};
	struct xsk_umem *umem, *plain_umem;
	const char *dev, *ns, *peer;
	int has_sg, fds, err = test_start(argc, argv, 3, "DEV NS PEER");
	long prog;

	if (err)
		return err;
	dev = argv[1];
	ns = argv[2];
	peer = argv[3];
	has_sg = xt_kernel_has_use_sg();
	if (has_sg < 0) {
		fprintf(stderr, "FAIL: cannot tell whether bind() knows XDP_USE_SG: %s\n",
			strerror(-has_sg));
		return 1;
	}

	fds = xt_count_fds();
	area = xt_umem_area(FRAMES);
	umem = umem_create(ns, area, FRAMES, &port);
	if (!umem)
		return 1;
	err = xt_socket_create_flags(ns, dev, 0, umem, &port, true, false,
				     XDP_COPY | XDP_USE_SG);
	if (!has_sg) {
		if (!err) {
			fprintf(stderr, "FAIL: a socket with XDP_USE_SG on a kernel that does not know it\n");
			failures++;
			goto out;
		}
		xsk_umem__delete(umem);
		if (xt_xdp_prog_id(ns, dev) || xt_count_fds() != fds) {
			fprintf(stderr, "FAIL: the socket failed (%s) but left %s behind\n",
				strerror(-err), xt_xdp_prog_id(ns, dev) ? "a program" : "fds");
			return 1;
		}
		printf("SKIP: bind() does not know XDP_USE_SG (Linux < 6.6); the socket failed with %s and left nothing behind\n",
		       strerror(-err));
		return TEST_SKIP;
	}
	if (err) {
		fprintf(stderr, "FAIL: xsk_socket__create(%s queue 0, XDP_USE_SG) with MTU 9000: %s\n",
			dev, strerror(-err));
		failures++;
		goto out;
	}
	printf("%s runs the default program in %s\n", dev, program_kind(ns, dev));

	xt_fill_frames(&port, FRAMES);
	if (send_and_receive(&port, peer)) {
		failures++;
		goto out;
	}
	if (rx.good == COUNT) {
		printf("%u of %u frames of %u bytes arrived intact, in %u to %u descriptors\n",
		       rx.good, COUNT, LEN, rx.min_descs, rx.max_descs);
	} else {
		fprintf(stderr, "FAIL: %u of %u frames of %u bytes arrived intact in several descriptors (%u packets came)\n",
			rx.good, COUNT, LEN, rx.packets);
		failures++;
	}

	/* A socket without XDP_USE_SG on the same device shares the program. */
	plain_umem = umem_create(ns, xt_umem_area(64), 64, &plain);
	if (!plain_umem) {
		failures++;
		goto out;
	}
	err = xt_socket_create(ns, dev, 1, plain_umem, &plain, true, false);
	if (err) {
		fprintf(stderr, "FAIL: a socket without XDP_USE_SG on %s queue 1 beside it: %s\n",
			dev, strerror(-err));
		failures++;
	} else {
		prog = xt_xdp_prog_id(ns, dev);
		xt_socket_delete(ns, &port);
		if (prog <= 0 || xt_xdp_prog_id(ns, dev) != prog) {
			fprintf(stderr, "FAIL: %s lost its program with the socket on queue 1 left\n",
				dev);
			failures++;
		}
		xt_socket_delete(ns, &plain);
	}
	xsk_umem__delete(plain_umem);
out:
	if (port.xsk)
		xt_socket_delete(ns, &port);
	xsk_umem__delete(umem);
	if (xt_xdp_prog_id(ns, dev)) {
		fprintf(stderr, "FAIL: an XDP program is left on %s\n", dev);
		failures++;
	}
	if (failures)
		return 1;
	printf("PASS: multi-buffer AF_XDP with the default program on %s, MTU 9000\n", dev);
	return 0;
}
