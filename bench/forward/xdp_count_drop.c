// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Load xdp_count_drop.bpf.o on a device (native XDP by default), report how
 * many packets it dropped and at what rate, and remove it again.
 *
 *   xdp_count_drop --dev DEV [--dev DEV2 ...] [--netns NS] [--obj FILE]
 *                  [--mode native|skb] [--duration SECS]
 *
 * Prints `ready ...` once attached; stops on SIGINT/SIGTERM or after
 * --duration, then prints
 *   counted N packets in T s (R Mpps while active)
 * where "active" runs from the first to the last 10 ms sample in which the
 * count grew (the same idea as the forwarders' "while active"). On SIGUSR1 it
 * prints the count so far, `count N`, at once: the benchmark reads a live sink
 * between slices of traffic that way.
 *
 * Several --dev (all in one namespace): the program is loaded once per device,
 * each with a counter of its own, and the counts above are their sums; each
 * `count N` line and the summary are preceded by a line per device,
 * `dev DEV count N`. (So one process is the sink of many pairs.)
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
#define MAX_DEVS 256

/* One device's program and counter. */
struct sink {
	const char *dev;
	int ifindex;
	struct bpf_object *obj;
	int map_fd;
	bool attached;
};

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

/* The sum of every sink's count. */
static int read_all(struct sink *sinks, int n, int ncpus, unsigned long long *total)
{
	unsigned long long c;
	int i, err;

	*total = 0;
	for (i = 0; i < n; i++) {
		err = read_count(sinks[i].map_fd, ncpus, &c);
		if (err)
			return err;
		*total += c;
	}
	return 0;
}

static void print_devs(struct sink *sinks, int n, int ncpus)
{
	unsigned long long c;
	int i;

	for (i = 0; n > 1 && i < n; i++)
		if (!read_count(sinks[i].map_fd, ncpus, &c))
			printf("dev %s count %llu\n", sinks[i].dev, c);
}

/* Load the program for sinks[i] and attach it; a message and non-zero on error. */
static int sink_up(struct sink *s, const char *obj_path, __u32 flags)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	s->ifindex = if_nametoindex(s->dev);
	if (!s->ifindex) {
		fprintf(stderr, "xdp_count_drop: no device %s\n", s->dev);
		return 1;
	}
	s->obj = bpf_object__open_file(obj_path, NULL);
	if (!s->obj || libbpf_get_error(s->obj)) {
		s->obj = NULL;
		fprintf(stderr, "xdp_count_drop: cannot open %s\n", obj_path);
		return 1;
	}
	err = bpf_object__load(s->obj);
	if (err) {
		fprintf(stderr, "xdp_count_drop: load: %s\n", strerror(-err));
		return 1;
	}
	prog = bpf_object__find_program_by_name(s->obj, "xdp_count_drop");
	map = bpf_object__find_map_by_name(s->obj, "counts");
	if (!prog || !map) {
		fprintf(stderr, "xdp_count_drop: program or map missing in %s\n", obj_path);
		return 1;
	}
	s->map_fd = bpf_map__fd(map);
	err = bpf_xdp_attach(s->ifindex, bpf_program__fd(prog), flags, NULL);
	if (err) {
		fprintf(stderr, "xdp_count_drop: attach to %s: %s\n", s->dev, strerror(-err));
		return 1;
	}
	s->attached = true;
	return 0;
}

/* Detach and close what sink_up() set up. */
static void sinks_down(struct sink *sinks, int n, __u32 flags)
{
	int i;

	for (i = 0; i < n; i++) {
		if (sinks[i].attached)
			bpf_xdp_detach(sinks[i].ifindex, flags, NULL);
		if (sinks[i].obj)
			bpf_object__close(sinks[i].obj);
	}
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: xdp_count_drop --dev DEV [--dev DEV2 ...] [--netns NS] [--obj FILE]\n"
		"                      [--mode native|skb] [--duration SECS]\n");
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
	static struct sink sinks[MAX_DEVS];
	const char *ns = NULL, *obj_path = NULL;
	__u32 flags = XDP_FLAGS_DRV_MODE;
	double duration = 0, start, first_t = 0, last_t = 0;
	unsigned long long count = 0, first_c = 0, prev = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	char self[PATH_MAX];
	int c, err, ncpus, nsinks = 0, i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (nsinks == MAX_DEVS) {
				fprintf(stderr, "xdp_count_drop: at most %d devices\n", MAX_DEVS);
				return 2;
			}
			sinks[nsinks++].dev = optarg;
			break;
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
	if (!nsinks || optind != argc)
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
	ncpus = libbpf_num_possible_cpus();
	for (i = 0; i < nsinks; i++) {
		if (sink_up(&sinks[i], obj_path, flags)) {
			sinks_down(sinks, i + 1, flags);
			return 1;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready: counting and dropping on %s%s@%s (%s XDP)\n", sinks[0].dev,
	       nsinks > 1 ? " and others" : "", ns ? ns : "current",
	       flags == XDP_FLAGS_DRV_MODE ? "native" : "skb");
	fflush(stdout);

	start = now_s();
	while (!stop && !(duration > 0 && now_s() - start >= duration)) {
		double t;

		usleep(SAMPLE_US);
		t = now_s();
		if (read_all(sinks, nsinks, ncpus, &count))
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
			print_devs(sinks, nsinks, ncpus);
			printf("count %llu\n", count);
			fflush(stdout);
		}
	}
	read_all(sinks, nsinks, ncpus, &count);
	print_devs(sinks, nsinks, ncpus);
	sinks_down(sinks, nsinks, flags);
	printf("counted %llu packets in %.3f s (%.3f Mpps while active)\n", count,
	       last_t - first_t,
	       last_t > first_t ? (prev - first_c) / (last_t - first_t) / 1e6 : 0.0);
	return 0;
}
