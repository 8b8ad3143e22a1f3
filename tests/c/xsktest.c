// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "testlib.h"
#include "xsktest.h"

void *xt_umem_area(unsigned int frames)
{
	void *area = mmap(NULL, (size_t)frames * XT_FRAME_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return area == MAP_FAILED ? NULL : area;
}

static void enter_or_die(const char *ns, struct ns_saved *saved)
{
	int err = ns_enter(ns, saved);

	if (err) {
		fprintf(stderr, "FATAL: cannot enter namespace %s: %s\n", ns, strerror(-err));
		exit(1);
	}
}

static void return_or_die(struct ns_saved *saved)
{
	int err = ns_return(saved);

	if (err) {
		fprintf(stderr, "FATAL: cannot return to the test's namespace: %s\n",
			strerror(-err));
		exit(1);
	}
}

int xt_socket_create(const char *ns, const char *ifname, __u32 queue, struct xsk_umem *umem,
		     struct xt_port *port, bool rx, bool tx)
{
	struct xsk_socket_config cfg = {
		.rx_size = XT_RING_SIZE,
		.tx_size = XT_RING_SIZE,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };
	struct ns_saved saved;
	int err, tries = 500;

	enter_or_die(ns, &saved);
	do {
		err = xsk_socket__create_shared(&port->xsk, ifname, queue, umem,
						rx ? &port->rx : NULL, tx ? &port->tx : NULL,
						&port->fill, &port->comp, &cfg);
	} while (err == -EBUSY && --tries && !nanosleep(&pause, NULL));
	if (err)
		port->xsk = NULL;
	return_or_die(&saved);
	return err;
}

void xt_socket_delete(const char *ns, struct xt_port *port)
{
	struct ns_saved saved;

	enter_or_die(ns, &saved);
	xsk_socket__delete(port->xsk);
	port->xsk = NULL;
	return_or_die(&saved);
}

long xt_xdp_prog_id(const char *ns, const char *ifname)
{
	struct ns_saved saved;
	__u32 prog_id = 0;
	int ifindex, err;

	enter_or_die(ns, &saved);
	ifindex = if_nametoindex(ifname);
	err = ifindex ? bpf_xdp_query_id(ifindex, 0, &prog_id) : -errno;
	return_or_die(&saved);
	return err ? err : (long)prog_id;
}

int xt_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int n = 0;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own fd */
}

static int count_ids(int (*next_id)(__u32, __u32 *))
{
	__u32 id = 0;
	int n = 0;

	while (!next_id(id, &id))
		n++;
	return errno == ENOENT ? n : -errno;
}

int xt_count_bpf_maps(void)
{
	return count_ids(bpf_map_get_next_id);
}

int xt_count_bpf_progs(void)
{
	return count_ids(bpf_prog_get_next_id);
}

void xt_take_counts(struct xt_counts *c)
{
	c->fds = xt_count_fds();
	c->maps = xt_count_bpf_maps();
	c->progs = xt_count_bpf_progs();
}

void xt_settle_counts(const struct xt_counts *start, struct xt_counts *end)
{
	struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited < 5000; waited += 50) {
		xt_take_counts(end);
		if (end->maps <= start->maps && end->progs <= start->progs)
			return;
		nanosleep(&pause, NULL);
	}
}

static unsigned int warnings;

static int count_warnings(enum libxdp_print_level level, const char *fmt, va_list args)
{
	if (level == LIBXDP_WARN) {
		warnings++;
		fprintf(stderr, "warning: ");
		return vfprintf(stderr, fmt, args);
	}
	return 0;
}

void xt_capture_libxdp_warnings(void)
{
	libxdp_set_print(count_warnings);
}

unsigned int xt_warnings(void)
{
	return warnings;
}
