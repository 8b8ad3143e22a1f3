// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The seed scenario: one UMEM shared by AF_XDP sockets on two devices with the
 * same ifindex in two network namespaces (a veth pair, `outer` in the
 * process's namespace and its peer `inner` in another one).
 *
 * Every (device, queue) gets its own socket and fill/completion ring pair, all
 * on the one UMEM (xsk_socket__create_shared, copy mode, native XDP, libxdp's
 * default program). Frames sent into each device must arrive on that device's
 * sockets only, all of them, once each.
 *
 *   seed_netns -o OUTER -i INNER -n INNER_NS [-q QUEUES] [-c COUNT] [-b BURST] [-v]
 *
 * Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "testlib.h"

#define MAX_QUEUES 16
#define FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define FRAMES_PER_PORT 1024
#define RING_SIZE 2048
#define RX_BATCH 64
#define DRAIN_TIMEOUT_MS 2000
#define LATE_WAIT_MS 200

enum { OUTER, INNER, NUM_DEVS };

/* One (device, queue): a socket and its own fill/completion rings. */
struct port {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	__u64 first_addr;
	unsigned int received;	/* frames tagged for this device */
	unsigned int misdelivered; /* frames tagged for the other device */
	unsigned int foreign;	/* frames that are not ours */
};

struct device {
	const char *name;
	const char *ns;		/* NULL: the process's namespace */
	char tag;
	struct port ports[MAX_QUEUES];
	int sender;		/* AF_PACKET socket on the peer, in the peer's namespace */
	unsigned int sent;
	unsigned char *seen;	/* per sequence number */
	__u64 cookie;
};

static struct device devs[NUM_DEVS];
static unsigned int num_queues = 2;
static unsigned int count = 1000;
static unsigned int burst = 32;
static bool verbose;
static void *umem_area;

static const char *ns_label(const struct device *dev)
{
	return dev->ns ? dev->ns : "(root)";
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s -o OUTER -i INNER -n INNER_NS [-q QUEUES] [-c COUNT] [-b BURST] [-v]\n",
		prog);
	exit(2);
}

static int create_sockets(struct xsk_umem *umem, struct device *dev)
{
	struct xsk_socket_config cfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.libxdp_flags = 0, /* libxdp loads its default program */
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct ns_saved saved;
	unsigned int q;
	int err, ret;

	err = ns_enter(dev->ns, &saved);
	if (err) {
		fprintf(stderr, "FAIL: cannot enter namespace %s: %s\n", dev->ns, strerror(-err));
		return err;
	}
	for (q = 0; q < num_queues; q++) {
		struct port *p = &dev->ports[q];

		err = xsk_socket__create_shared(&p->xsk, dev->name, q, umem, &p->rx, NULL,
						&p->fill, &p->comp, &cfg);
		if (err) {
			p->xsk = NULL;
			fprintf(stderr,
				"FAIL: xsk_socket__create_shared(%s queue %u) in namespace %s: %s\n",
				dev->name, q, ns_label(dev), strerror(-err));
			break;
		}
		if (verbose)
			printf("  socket %s queue %u in %s: fd %d, netns cookie %llu\n", dev->name,
			       q, ns_label(dev), xsk_socket__fd(p->xsk),
			       (unsigned long long)netns_cookie(xsk_socket__fd(p->xsk)));
	}
	ret = ns_return(&saved);
	if (ret) {
		fprintf(stderr, "FATAL: cannot leave namespace %s: %s\n", dev->ns, strerror(-ret));
		exit(1);
	}
	return err;
}

/* Delete the device's sockets from inside the namespace they were created in. */
static void delete_sockets(struct device *dev)
{
	struct ns_saved saved;
	unsigned int q;
	int err;

	err = ns_enter(dev->ns, &saved);
	if (err) {
		fprintf(stderr, "FATAL: cannot enter namespace %s: %s\n", dev->ns, strerror(-err));
		exit(1);
	}
	for (q = 0; q < num_queues; q++) {
		if (dev->ports[q].xsk)
			xsk_socket__delete(dev->ports[q].xsk);
		dev->ports[q].xsk = NULL;
	}
	err = ns_return(&saved);
	if (err) {
		fprintf(stderr, "FATAL: cannot leave namespace %s: %s\n", dev->ns, strerror(-err));
		exit(1);
	}
}

static int check_cookies(void)
{
	int d, ret = 0;
	unsigned int q;

	for (d = 0; d < NUM_DEVS; d++) {
		struct device *dev = &devs[d];

		dev->cookie = netns_cookie(xsk_socket__fd(dev->ports[0].xsk));
		if (!dev->cookie && errno == ENOPROTOOPT) {
			/* Linux < 5.14 (or a test that pretends to be one). */
			printf("netns cookies: not compared, SO_NETNS_COOKIE is not supported\n");
			return 0;
		}
		if (!dev->cookie) {
			fprintf(stderr, "FAIL: SO_NETNS_COOKIE on %s: %s\n", dev->name,
				strerror(errno));
			return -1;
		}
		for (q = 1; q < num_queues; q++) {
			__u64 c = netns_cookie(xsk_socket__fd(dev->ports[q].xsk));

			if (c != dev->cookie) {
				fprintf(stderr,
					"FAIL: netns cookie of %s queue %u is %llu, queue 0 has %llu\n",
					dev->name, q, (unsigned long long)c,
					(unsigned long long)dev->cookie);
				ret = -1;
			}
		}
	}
	if (devs[OUTER].cookie == devs[INNER].cookie) {
		fprintf(stderr, "FAIL: sockets in %s and %s share netns cookie %llu\n",
			ns_label(&devs[OUTER]), ns_label(&devs[INNER]),
			(unsigned long long)devs[OUTER].cookie);
		ret = -1;
	}
	if (!ret)
		printf("netns cookies: %s %llu, %s %llu (equal within, different across)\n",
		       ns_label(&devs[OUTER]), (unsigned long long)devs[OUTER].cookie,
		       ns_label(&devs[INNER]), (unsigned long long)devs[INNER].cookie);
	return ret;
}

static int fill_rings(void)
{
	unsigned int i, q;
	__u32 idx;
	int d;

	for (d = 0; d < NUM_DEVS; d++) {
		for (q = 0; q < num_queues; q++) {
			struct port *p = &devs[d].ports[q];

			if (xsk_ring_prod__reserve(&p->fill, FRAMES_PER_PORT, &idx) !=
			    FRAMES_PER_PORT) {
				fprintf(stderr, "FAIL: fill ring of %s queue %u has no room\n",
					devs[d].name, q);
				return -1;
			}
			for (i = 0; i < FRAMES_PER_PORT; i++)
				*xsk_ring_prod__fill_addr(&p->fill, idx++) =
					p->first_addr + (__u64)i * FRAME_SIZE;
			xsk_ring_prod__submit(&p->fill, FRAMES_PER_PORT);
		}
	}
	return 0;
}

/* Read one port's RX ring and give the frames back to its own fill ring. */
static unsigned int drain_port(struct device *dev, struct port *p)
{
	__u32 idx_rx = 0, idx_fill = 0;
	unsigned int n, i;

	n = xsk_ring_cons__peek(&p->rx, RX_BATCH, &idx_rx);
	if (!n)
		return 0;
	/* The port owns FRAMES_PER_PORT frames and its fill ring holds more. */
	if (xsk_ring_prod__reserve(&p->fill, n, &idx_fill) != n) {
		fprintf(stderr, "FATAL: fill ring of %s overflows\n", dev->name);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&p->rx, idx_rx + i);
		struct device *other = &devs[dev == &devs[OUTER] ? INNER : OUTER];
		struct test_frame f;

		if (!frame_parse(xsk_umem__get_data(umem_area, desc->addr), desc->len, &f))
			p->foreign++;
		else if (f.tag == dev->tag && f.seq < count) {
			p->received++;
			dev->seen[f.seq]++;
		} else if (f.tag == other->tag)
			p->misdelivered++;
		else
			p->foreign++;
		*xsk_ring_prod__fill_addr(&p->fill, idx_fill + i) =
			desc->addr & ~(__u64)(FRAME_SIZE - 1);
	}
	xsk_ring_prod__submit(&p->fill, n);
	xsk_ring_cons__release(&p->rx, n);
	return n;
}

static unsigned int total_frames(void)
{
	unsigned int n = 0, q;
	int d;

	for (d = 0; d < NUM_DEVS; d++)
		for (q = 0; q < num_queues; q++)
			n += devs[d].ports[q].received + devs[d].ports[q].misdelivered +
			     devs[d].ports[q].foreign;
	return n;
}

/* Drain all ports until TARGET frames arrived in total or TIMEOUT_MS passes quietly. */
static void drain(unsigned int target, int timeout_ms)
{
	struct pollfd fds[NUM_DEVS * MAX_QUEUES];
	unsigned int nfds = 0, q;
	int d, idle_ms = 0;

	for (d = 0; d < NUM_DEVS; d++)
		for (q = 0; q < num_queues; q++)
			fds[nfds++] = (struct pollfd){
				.fd = xsk_socket__fd(devs[d].ports[q].xsk),
				.events = POLLIN,
			};
	for (;;) {
		unsigned int got = 0;

		for (d = 0; d < NUM_DEVS; d++)
			for (q = 0; q < num_queues; q++)
				got += drain_port(&devs[d], &devs[d].ports[q]);
		if (total_frames() >= target && target)
			return;
		if (got) {
			idle_ms = 0;
			continue;
		}
		if (idle_ms >= timeout_ms)
			return;
		poll(fds, nfds, 10);
		idle_ms += 10;
	}
}

static int send_all(void)
{
	unsigned int seq = 0, b = 0, n;
	int d, ret;

	while (seq < count) {
		n = count - seq < burst ? count - seq : burst;
		/* Spread bursts over the queues where the CPUs allow it. */
		pin_for_tx_queue(b++ % num_queues, num_queues);
		for (d = 0; d < NUM_DEVS; d++) {
			ret = packet_send_burst(devs[d].sender, devs[d].tag, seq, n);
			if (ret < 0) {
				fprintf(stderr, "FAIL: sending into %s: %s\n", devs[d].name,
					strerror(-ret));
				return -1;
			}
			devs[d].sent += ret;
		}
		seq += n;
		drain(devs[OUTER].sent + devs[INNER].sent, DRAIN_TIMEOUT_MS);
	}
	/* Anything late or duplicated shows up here. */
	drain(0, LATE_WAIT_MS);
	return 0;
}

static int report(void)
{
	unsigned int q, i, received, misdelivered, foreign, missing, dups;
	int d, ret = 0;

	printf("%-10s %-18s %6s %9s  %s\n", "device", "namespace", "sent", "received",
	       "per queue");
	for (d = 0; d < NUM_DEVS; d++) {
		struct device *dev = &devs[d];
		char perq[256] = "";
		size_t off = 0;

		received = misdelivered = foreign = missing = dups = 0;
		for (q = 0; q < num_queues; q++) {
			struct port *p = &dev->ports[q];

			received += p->received;
			misdelivered += p->misdelivered;
			foreign += p->foreign;
			if (off < sizeof(perq))
				off += snprintf(perq + off, sizeof(perq) - off, "%sq%u=%u",
						q ? " " : "", q, p->received);
		}
		for (i = 0; i < count; i++) {
			if (!dev->seen[i])
				missing++;
			else if (dev->seen[i] > 1)
				dups += dev->seen[i] - 1;
		}
		printf("%-10s %-18s %6u %9u  %s\n", dev->name, ns_label(dev), dev->sent, received,
		       perq);
		if (dev->sent != count) {
			fprintf(stderr, "FAIL: %u of %u frames sent into %s\n", dev->sent, count,
				dev->name);
			ret = -1;
		}
		if (received != count || missing || dups) {
			fprintf(stderr,
				"FAIL: %s received %u of %u frames (%u missing, %u duplicates)\n",
				dev->name, received, count, missing, dups);
			ret = -1;
		}
		if (misdelivered) {
			fprintf(stderr,
				"FAIL: %u frames tagged for the other device arrived on %s's sockets\n",
				misdelivered, dev->name);
			ret = -1;
		}
		if (foreign)
			printf("note: %u frames that are not test frames arrived on %s\n", foreign,
			       dev->name);
	}
	return ret;
}

/* After teardown neither device may keep an XDP program. */
static int check_detached(void)
{
	struct ns_saved saved;
	int d, err, ret = 0;
	__u32 prog_id;

	for (d = 0; d < NUM_DEVS; d++) {
		struct device *dev = &devs[d];
		int ifindex;

		err = ns_enter(dev->ns, &saved);
		if (err) {
			fprintf(stderr, "FAIL: cannot enter namespace %s: %s\n", dev->ns,
				strerror(-err));
			return -1;
		}
		prog_id = 0;
		ifindex = if_nametoindex(dev->name);
		err = ifindex ? bpf_xdp_query_id(ifindex, 0, &prog_id) : -errno;
		if (ns_return(&saved)) {
			fprintf(stderr, "FATAL: cannot leave namespace %s\n", dev->ns);
			exit(1);
		}
		if (err) {
			fprintf(stderr, "FAIL: querying XDP on %s: %s\n", dev->name, strerror(-err));
			ret = -1;
		} else if (prog_id) {
			fprintf(stderr, "FAIL: XDP program %u still attached to %s in %s\n",
				prog_id, dev->name, ns_label(dev));
			ret = -1;
		}
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
		.frame_headroom = XSK_UMEM__DEFAULT_FRAME_HEADROOM,
		.flags = XSK_UMEM__DEFAULT_FLAGS,
	};
	const char *outer = NULL, *inner = NULL, *inner_ns = NULL;
	struct xsk_umem *umem = NULL;
	size_t umem_size;
	unsigned int q;
	int opt, d, err, ret = 1;

	while ((opt = getopt(argc, argv, "o:i:n:q:c:b:v")) != -1) {
		switch (opt) {
		case 'o': outer = optarg; break;
		case 'i': inner = optarg; break;
		case 'n': inner_ns = optarg; break;
		case 'q': num_queues = strtoul(optarg, NULL, 0); break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'b': burst = strtoul(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		default: usage(argv[0]);
		}
	}
	if (!outer || !inner || !inner_ns || !*inner_ns || !num_queues ||
	    num_queues > MAX_QUEUES || !count || !burst || burst > FRAMES_PER_PORT / 2)
		usage(argv[0]);
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	devs[OUTER] = (struct device){ .name = outer, .ns = NULL, .tag = 'O', .sender = -1 };
	devs[INNER] = (struct device){ .name = inner, .ns = inner_ns, .tag = 'I', .sender = -1 };

	umem_size = (size_t)NUM_DEVS * num_queues * FRAMES_PER_PORT * FRAME_SIZE;
	umem_area = mmap(NULL, umem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (umem_area == MAP_FAILED) {
		perror("FAIL: mmap");
		return 1;
	}
	for (d = 0; d < NUM_DEVS; d++) {
		devs[d].seen = calloc(count, 1);
		if (!devs[d].seen) {
			perror("FAIL: calloc");
			goto out;
		}
		for (q = 0; q < num_queues; q++)
			devs[d].ports[q].first_addr =
				((__u64)d * num_queues + q) * FRAMES_PER_PORT * FRAME_SIZE;
	}

	printf("seed scenario: one UMEM (%zu MiB, created in the root namespace), "
	       "%u queues on %s (root) and %s (%s), same ifindex %u\n",
	       umem_size >> 20, num_queues, outer, inner, inner_ns, if_nametoindex(outer));

	/* The UMEM's own rings serve the first socket: outer queue 0. */
	err = xsk_umem__create(&umem, umem_area, umem_size, &devs[OUTER].ports[0].fill,
			       &devs[OUTER].ports[0].comp, &ucfg);
	if (err) {
		umem = NULL;
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		goto out;
	}
	if (create_sockets(umem, &devs[OUTER]) || create_sockets(umem, &devs[INNER]))
		goto out;
	printf("created %u sockets on one UMEM (copy mode, native XDP, default program)\n",
	       NUM_DEVS * num_queues);
	test_checkpoint("sockets");
	if (check_cookies() || fill_rings())
		goto out;

	/* Into outer: sent on inner from inside its namespace; into inner: the other way. */
	devs[OUTER].sender = packet_sender_open(inner_ns, inner);
	devs[INNER].sender = packet_sender_open(NULL, outer);
	for (d = 0; d < NUM_DEVS; d++) {
		if (devs[d].sender < 0) {
			fprintf(stderr, "FAIL: AF_PACKET sender into %s: %s\n", devs[d].name,
				strerror(-devs[d].sender));
			goto out;
		}
	}
	if (send_all())
		goto out;
	ret = report() ? 1 : 0;

out:
	for (d = 0; d < NUM_DEVS; d++)
		if (devs[d].sender >= 0)
			close(devs[d].sender);
	/* Inner first, from inside its namespace; then outer; then the UMEM. */
	delete_sockets(&devs[INNER]);
	delete_sockets(&devs[OUTER]);
	if (umem) {
		err = xsk_umem__delete(umem);
		if (err) {
			fprintf(stderr, "FAIL: xsk_umem__delete: %s\n", strerror(-err));
			ret = 1;
		}
	}
	if (check_detached())
		ret = 1;
	munmap(umem_area, umem_size);
	for (d = 0; d < NUM_DEVS; d++)
		free(devs[d].seen);
	printf("%s: seed scenario\n", ret ? "FAIL" : "PASS");
	return ret;
}
