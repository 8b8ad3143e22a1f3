// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static const uint8_t frame_src[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

int ns_enter(const char *name, struct ns_saved *saved)
{
	char path[PATH_MAX];
	int fd, err;

	saved->fd = -1;
	if (!name || !*name)
		return 0;

	saved->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved->fd < 0)
		return -errno;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto err_saved;
	}
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(fd);
		goto err_saved;
	}
	close(fd);
	return 0;

err_saved:
	close(saved->fd);
	saved->fd = -1;
	return err;
}

int ns_return(struct ns_saved *saved)
{
	int err = 0;

	if (saved->fd < 0)
		return 0;
	if (setns(saved->fd, CLONE_NEWNET))
		err = -errno;
	close(saved->fd);
	saved->fd = -1;
	return err;
}

uint64_t netns_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		return 0;
	return cookie;
}

int packet_sender_open(const char *ns, const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ns_saved saved;
	int fd = -1, err, one = 1;

	err = ns_enter(ns, &saved);
	if (err)
		return err;

	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex) {
		err = -errno;
		goto out;
	}
	/* Protocol 0: the socket only sends, it receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* Bypassing the qdisc makes the TX queue follow the sending CPU. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		fd = -1;
	}
out:
	if (ns_return(&saved) && fd >= 0) {
		/* Stuck in the wrong namespace: nothing sensible can follow. */
		fprintf(stderr, "FATAL: cannot return from namespace %s\n", ns);
		_exit(2);
	}
	return fd >= 0 ? fd : err;
}

size_t frame_build(uint8_t *buf, size_t size, uint8_t tag, uint32_t seq)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	uint8_t *p = buf + sizeof(*eth);
	uint32_t v;

	if (size < TEST_FRAME_LEN)
		return 0;
	memset(buf, 0, TEST_FRAME_LEN);
	memset(eth->h_dest, 0xff, ETH_ALEN);
	memcpy(eth->h_source, frame_src, ETH_ALEN);
	eth->h_proto = htons(TEST_ETHERTYPE);

	v = htonl(TEST_MAGIC);
	memcpy(p, &v, sizeof(v));
	p[4] = tag;
	v = htonl(seq);
	memcpy(p + 5, &v, sizeof(v));
	return TEST_FRAME_LEN;
}

bool frame_parse(const uint8_t *buf, size_t len, struct test_frame *out)
{
	const struct ethhdr *eth = (const struct ethhdr *)buf;
	const uint8_t *p = buf + sizeof(*eth);
	uint32_t v;

	if (len < sizeof(*eth) + 9 || eth->h_proto != htons(TEST_ETHERTYPE))
		return false;
	memcpy(&v, p, sizeof(v));
	if (ntohl(v) != TEST_MAGIC)
		return false;
	out->tag = p[4];
	memcpy(&v, p + 5, sizeof(v));
	out->seq = ntohl(v);
	return true;
}

/* Offsets 256 apart differ too, so that buffers put together in the wrong order show. */
static uint8_t payload_byte(uint32_t seq, size_t off)
{
	return (uint8_t)(seq ^ off ^ (off >> 8));
}

bool frame_payload_intact(const uint8_t *buf, size_t len, uint32_t seq)
{
	size_t off;

	for (off = TEST_FRAME_LEN; off < len; off++)
		if (buf[off] != payload_byte(seq, off))
			return false;
	return true;
}

int packet_send_frames(int fd, uint8_t tag, uint32_t first, unsigned int count, size_t len)
{
	uint8_t buf[TEST_FRAME_MAX];
	unsigned int i;
	size_t off;

	if (len < TEST_FRAME_LEN || len > sizeof(buf))
		return -EINVAL;
	for (i = 0; i < count; i++) {
		frame_build(buf, sizeof(buf), tag, first + i);
		for (off = TEST_FRAME_LEN; off < len; off++)
			buf[off] = payload_byte(first + i, off);
		if (send(fd, buf, len, 0) != (ssize_t)len)
			return i ? (int)i : -errno;
	}
	return count;
}

int packet_send_burst(int fd, uint8_t tag, uint32_t first, unsigned int count)
{
	return packet_send_frames(fd, tag, first, count, TEST_FRAME_LEN);
}

int pin_for_tx_queue(unsigned int queue, unsigned int nqueues)
{
	static cpu_set_t allowed;
	static bool have_allowed;
	cpu_set_t set;
	int cpu;

	if (!have_allowed) {
		if (sched_getaffinity(0, sizeof(allowed), &allowed))
			return -1;
		have_allowed = true;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || (unsigned int)cpu % nqueues != queue)
			continue;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		return sched_setaffinity(0, sizeof(set), &set) ? -1 : 0;
	}
	return -1;
}

bool is_root(void)
{
	return geteuid() == 0;
}

int test_start(int argc, char **argv, int nargs, const char *usage)
{
	if (argc != nargs + 1) {
		fprintf(stderr, "usage: %s %s\n", argv[0], usage);
		return 2;
	}
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	return 0;
}

void test_checkpoint(const char *name)
{
	const char *stop_at = getenv("TESTLIB_STOP_AT");

	if (!stop_at || strcmp(stop_at, name))
		return;
	printf("checkpoint %s: pid %d stops\n", name, (int)getpid());
	fflush(stdout);
	raise(SIGSTOP);
	printf("checkpoint %s: continued\n", name);
}
