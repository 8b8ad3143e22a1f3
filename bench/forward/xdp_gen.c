// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A traffic generator that costs next to nothing per frame: BPF_PROG_RUN in
 * live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES, Linux 5.18+) runs
 * xdp_gen.bpf.o over one template frame many times, and the program sends
 * each copy out of --dev with XDP_REDIRECT. On a veth the frames arrive on
 * the peer, through its XDP program, on this CPU.
 *
 *   xdp_gen --dev DEV [--dev DEV2 ...] [--netns NS] [--obj FILE]
 *           [--size BYTES] [--duration SECS] [--count N] [--rate PPS]
 *
 * Frames: broadcast destination, the device's address as source, EtherType
 * 0x88B5 (local experimental), zero filler; --size 64 by default. The peer
 * needs an XDP program (veth takes redirected frames only then). Prints
 * `ready ...` once loaded, then on SIGINT/SIGTERM, after --duration or --count:
 *   sent N frames in T s (R Mpps)
 * counting the frames handed to the program (each one it redirected; veth
 * drops what its peer's ring has no room for, which the receiver's count
 * shows).
 *
 * Several --dev (all in one namespace, at most MAX_DEVS): the frames go to
 * them in turn, runs of 16 frames each (a device map), and the summary is
 * preceded by a line per device, `dev DEV sent N`.
 *
 * Full speed by default: every BPF_PROG_RUN call also costs a fixed ~20 ms of
 * waiting in the kernel here (the live-frames set-up and tear-down), so a
 * call runs many frames. --rate PPS paces by calls of PACE_NS worth of frames
 * each: the average rate is PPS, but the frames come as bursts at full speed,
 * one per PACE_NS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_tool.h"

/* Frames in the first BPF_PROG_RUN call; later calls aim at CALL_NS each, and
 * never past --duration. Long against the fixed cost of a call: no frames
 * flow during that ~20 ms, so the receiver idles, and with 250 ms calls a
 * forwarder spent ~8 % of a run waiting for frames; still short enough to
 * stop on a signal in time. */
#define FIRST_CALL_FRAMES (1 << 16)
#define MAX_CALL_FRAMES (1 << 24)
#define CALL_NS 1000000000ULL
#define MAX_FRAME 1500
#define MAX_DEVS 256
#define PACE_NS 100000000ULL

/* The program's read-only configuration (xdp_gen.bpf.c). */
struct gen_config {
	__u32 ifindex;
	__u32 count;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The device's MAC address into mac[6]. */
static int dev_mac(const char *dev, unsigned char *mac)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/* Run the program over the template `n` times; returns 0 or a negative errno. */
static int run_frames(int prog_fd, void *frame, __u32 size, __u32 n)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = size,
		.repeat = n,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	);

	return bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
}

/* Slot `key` of the per-CPU `sent` map, summed over CPUs (0 when unreadable). */
static unsigned long long slot_count(struct bpf_map *map, __u32 key)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	unsigned long long total = 0;

	if (ncpus <= 0)
		return 0;
	{
		unsigned long long vals[ncpus];

		if (bpf_map_lookup_elem(bpf_map__fd(map), &key, vals))
			return 0;
		for (i = 0; i < ncpus; i++)
			total += vals[i];
	}
	return total;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: xdp_gen --dev DEV [--dev DEV2 ...] [--netns NS] [--obj FILE]\n"
		"               [--size BYTES] [--duration SECS] [--count N] [--rate PPS]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "obj", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *devs[MAX_DEVS], *ns = NULL, *obj_path = NULL;
	unsigned long long count = 0, sent = 0, n = FIRST_CALL_FRAMES, start, end;
	unsigned long long rate = 0;
	__u32 ifindexes[MAX_DEVS];
	struct gen_config config = {};
	int ndevs = 0, i;
	unsigned char frame[MAX_FRAME] = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *rodata, *targets, *sent_map;
	double duration = 0;
	long size = 64;
	char self[PATH_MAX];
	int c, err, prog_fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (ndevs == MAX_DEVS) {
				fprintf(stderr, "xdp_gen: at most %d devices\n", MAX_DEVS);
				return 2;
			}
			devs[ndevs++] = optarg;
			break;
		case 'n': ns = optarg; break;
		case 'o': obj_path = optarg; break;
		case 's': size = atol(optarg); break;
		case 't': duration = atof(optarg); break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'r': rate = strtoull(optarg, NULL, 0); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!ndevs || optind != argc)
		usage(2);
	if (size < ETH_ZLEN || size > MAX_FRAME) {
		fprintf(stderr, "xdp_gen: --size %ld: must be in %d..%d\n", size, ETH_ZLEN,
			MAX_FRAME);
		return 2;
	}
	if (!obj_path) {
		obj_path = next_to_binary(self, sizeof(self), "xdp_gen.bpf.o");
		if (!obj_path) {
			perror("xdp_gen: /proc/self/exe");
			return 1;
		}
	}
	err = enter_netns(ns);
	if (err) {
		fprintf(stderr, "xdp_gen: namespace %s: %s\n", ns, strerror(-err));
		return 1;
	}
	for (i = 0; i < ndevs; i++) {
		ifindexes[i] = if_nametoindex(devs[i]);
		if (!ifindexes[i]) {
			fprintf(stderr, "xdp_gen: no device %s in namespace %s\n", devs[i],
				ns ? ns : "(current)");
			return 1;
		}
	}
	config.ifindex = ifindexes[0];
	config.count = ndevs;
	memset(frame, 0xff, ETH_ALEN);
	/* The first device's address as the source of all (broadcast) frames. */
	err = dev_mac(devs[0], frame + ETH_ALEN);
	if (err) {
		fprintf(stderr, "xdp_gen: address of %s: %s\n", devs[0], strerror(-err));
		return 1;
	}
	frame[12] = 0x88;
	frame[13] = 0xb5;

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "xdp_gen: cannot open %s\n", obj_path);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_gen");
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	targets = bpf_object__find_map_by_name(obj, "targets");
	sent_map = bpf_object__find_map_by_name(obj, "sent");
	if (!prog || !rodata || !targets || !sent_map ||
	    bpf_map__set_initial_value(rodata, &config, sizeof(config))) {
		fprintf(stderr, "xdp_gen: program, its maps or its config missing in %s\n",
			obj_path);
		bpf_object__close(obj);
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "xdp_gen: load %s: %s\n", obj_path, strerror(-err));
		bpf_object__close(obj);
		return 1;
	}
	prog_fd = bpf_program__fd(prog);
	for (i = 0; ndevs > 1 && i < ndevs; i++) {
		__u32 key = i;

		if (bpf_map_update_elem(bpf_map__fd(targets), &key, &ifindexes[i], 0)) {
			err = -errno;
			fprintf(stderr, "xdp_gen: device map slot for %s: %s\n", devs[i],
				strerror(-err));
			bpf_object__close(obj);
			return 1;
		}
	}
	/* One frame first: says at once whether this kernel and device can do it. */
	err = run_frames(prog_fd, frame, size, 1);
	if (err) {
		fprintf(stderr, "xdp_gen: BPF_PROG_RUN live frames on %s: %s%s\n", devs[0],
			strerror(-err),
			err == -EINVAL ? " (needs Linux 5.18 or later)" : "");
		bpf_object__close(obj);
		return 1;
	}
	sent = 1;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (rate)
		printf("ready: sending %ld-byte frames on %s%s@%s at %llu frames/s\n", size,
		       devs[0], ndevs > 1 ? " and others" : "", ns ? ns : "current", rate);
	else
		printf("ready: sending %ld-byte frames on %s%s@%s at full speed\n", size,
		       devs[0], ndevs > 1 ? " and others" : "", ns ? ns : "current");
	fflush(stdout);

	start = now_ns();
	end = duration > 0 ? start + (unsigned long long)(duration * 1e9) : 0;
	while (!stop && (!count || sent < count)) {
		unsigned long long t = now_ns(), took;

		if (end && t >= end)
			break;
		if (rate) {
			/* Catch up with the rate since the start, one tick's worth at least. */
			unsigned long long due = (t - start) * rate / 1000000000ULL;

			n = due > sent ? due - sent : 0;
			if (n < rate * PACE_NS / 1000000000ULL)
				n = rate * PACE_NS / 1000000000ULL;
			if (!n)
				n = 1;
		}
		if (end && sent > 1) {
			/* No further than the end: at the rate so far. */
			unsigned long long left = (end - t) * sent / (t - start);

			if (n > left)
				n = left ? left : 1;
		}
		if (count && n > count - sent)
			n = count - sent;
		err = run_frames(prog_fd, frame, size, n);
		if (err) {
			fprintf(stderr, "xdp_gen: BPF_PROG_RUN: %s\n", strerror(-err));
			break;
		}
		sent += n;
		took = now_ns() - t;
		if (rate) {
			/* Wait for the next tick (or the end). */
			unsigned long long next = t + PACE_NS, now = now_ns();
			struct timespec ts;

			if (end && next > end)
				next = end;
			if (next > now) {
				ts.tv_sec = (next - now) / 1000000000ULL;
				ts.tv_nsec = (next - now) % 1000000000ULL;
				nanosleep(&ts, NULL);
			}
			continue;
		}
		n = took ? n * CALL_NS / took : MAX_CALL_FRAMES;
		if (n < 1)
			n = 1;
		if (n > MAX_CALL_FRAMES)
			n = MAX_CALL_FRAMES;
	}
	end = now_ns();
	for (i = 0; ndevs > 1 && i < ndevs; i++)
		printf("dev %s sent %llu\n", devs[i], slot_count(sent_map, i + 1));
	bpf_object__close(obj);
	printf("sent %llu frames in %.3f s (%.3f Mpps)\n", sent, (end - start) / 1e9,
	       sent / ((end - start) / 1e3));
	return err ? 1 : 0;
}
