// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Load xdp_count_drop.bpf.o on a device (native XDP by default), report how
 * many packets it dropped and at what rate, and remove it again.
 *
 *   xdp_count_drop --dev DEV [--netns NS] [--obj FILE] [--mode native|skb]
 *                  [--duration SECS]
 *
 * Prints `ready ...` once attached; stops on SIGINT/SIGTERM or after
 * --duration, then prints
 *   counted N packets in T s (R Mpps while active)
 * where "active" runs from the first to the last 10 ms sample in which the
 * count grew (the same idea as the forwarders' "while active"). On SIGUSR1 it
 * prints the count so far, `count N`, at once: the benchmark reads a live sink
 * between slices of traffic that way.
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
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_tool.h"

#define SAMPLE_US 10000

static volatile sig_atomic_t stop;
static volatile sig_atomic_t report;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_count(int map_fd, int ncpus, unsigned long long *out)
{
	unsigned long long vals[ncpus];
	__u32 key = 0;
	int i;

	if (bpf_map_lookup_elem(map_fd, &key, vals))
		return -errno;
	*out = 0;
	for (i = 0; i < ncpus; i++)
		*out += vals[i];
	return 0;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: xdp_count_drop --dev DEV [--netns NS] [--obj FILE] [--mode native|skb]\n"
		"                      [--duration SECS]\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "netns", required_argument, NULL, 'n' },
		{ "obj", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = NULL, *ns = NULL, *obj_path = NULL;
	__u32 flags = XDP_FLAGS_DRV_MODE;
	double duration = 0, start, first_t = 0, last_t = 0;
	unsigned long long count = 0, first_c = 0, prev = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	char self[PATH_MAX];
	int c, err, ifindex, ncpus, map_fd;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dev = optarg; break;
		case 'n': ns = optarg; break;
		case 'o': obj_path = optarg; break;
		case 'm':
			if (!strcmp(optarg, "native"))
				flags = XDP_FLAGS_DRV_MODE;
			else if (!strcmp(optarg, "skb"))
				flags = XDP_FLAGS_SKB_MODE;
			else
				usage(2);
			break;
		case 't': duration = atof(optarg); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (!dev || optind != argc)
		usage(2);
	if (!obj_path) {
		obj_path = next_to_binary(self, sizeof(self), "xdp_count_drop.bpf.o");
		if (!obj_path) {
			perror("xdp_count_drop: /proc/self/exe");
			return 1;
		}
	}
	err = enter_netns(ns);
	if (err) {
		fprintf(stderr, "xdp_count_drop: namespace %s: %s\n", ns, strerror(-err));
		return 1;
	}
	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "xdp_count_drop: no device %s\n", dev);
		return 1;
	}
	ncpus = libbpf_num_possible_cpus();
	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "xdp_count_drop: cannot open %s\n", obj_path);
		return 1;
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "xdp_count_drop: load: %s\n", strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "xdp_count_drop");
	map = bpf_object__find_map_by_name(obj, "counts");
	if (!prog || !map) {
		fprintf(stderr, "xdp_count_drop: program or map missing in %s\n", obj_path);
		return 1;
	}
	map_fd = bpf_map__fd(map);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), flags, NULL);
	if (err) {
		fprintf(stderr, "xdp_count_drop: attach to %s: %s\n", dev, strerror(-err));
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready: counting and dropping on %s@%s (%s XDP)\n", dev, ns ? ns : "current",
	       flags == XDP_FLAGS_DRV_MODE ? "native" : "skb");
	fflush(stdout);

	start = now_s();
	while (!stop && !(duration > 0 && now_s() - start >= duration)) {
		double t;

		usleep(SAMPLE_US);
		t = now_s();
		if (read_count(map_fd, ncpus, &count))
			break;
		if (count != prev) {
			if (!first_t) {
				first_t = t;
				first_c = count;
			}
			last_t = t;
		}
		prev = count;
		if (report) {
			report = 0;
			printf("count %llu\n", count);
			fflush(stdout);
		}
	}
	read_count(map_fd, ncpus, &count);
	bpf_xdp_detach(ifindex, flags, NULL);
	bpf_object__close(obj);
	printf("counted %llu packets in %.3f s (%.3f Mpps while active)\n", count,
	       last_t - first_t,
	       last_t > first_t ? (prev - first_c) / (last_t - first_t) / 1e6 : 0.0);
	return 0;
}
