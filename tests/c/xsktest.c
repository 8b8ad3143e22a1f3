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
#include <sys/socket.h>
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
	return xt_socket_create_flags(ns, ifname, queue, umem, port, rx, tx, XDP_COPY);
}

int xt_socket_create_flags(const char *ns, const char *ifname, __u32 queue,
			   struct xsk_umem *umem, struct xt_port *port, bool rx, bool tx,
			   __u16 bind_flags)
{
	struct xsk_socket_config cfg = {
		.rx_size = XT_RING_SIZE,
		.tx_size = XT_RING_SIZE,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = bind_flags,
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

void xt_fill_frames(struct xt_port *port, unsigned int frames)
{
	__u32 idx = 0, i;

	xsk_ring_prod__reserve(&port->fill, frames, &idx);
	for (i = 0; i < frames; i++)
		*xsk_ring_prod__fill_addr(&port->fill, idx + i) = (__u64)i * XT_FRAME_SIZE;
	xsk_ring_prod__submit(&port->fill, frames);
}

int xt_kernel_has_use_sg(void)
{
	/* No device has ifindex 0: a kernel that knows the flag gets as far
	 * as looking the device up (ENODEV); an older one refuses the
	 * unknown flag first (EINVAL).
	 */
	struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_USE_SG };
	int fd, err;

	fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) ? errno : 0;
	close(fd);
	switch (err) {
	case ENODEV:
		return 1;
	case EINVAL:
		return 0;
	default:
		return err ? -err : -EEXIST;
	}
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

/* The fd of the xsk_def_prog that ifindex runs, alone or in a dispatcher. */
static int def_prog_fd(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog = NULL;
	int fd = -ENOENT;

	if (libxdp_get_error(mp))
		return libxdp_get_error(mp);
	if (xdp_multiprog__is_legacy(mp))
		prog = xdp_multiprog__main_prog(mp);
	else
		while ((prog = xdp_multiprog__next_prog(prog, mp)))
			if (!strcmp(xdp_program__name(prog), "xsk_def_prog"))
				break;
	if (prog && !strcmp(xdp_program__name(prog), "xsk_def_prog"))
		fd = dup(xdp_program__fd(prog));
	xdp_multiprog__close(mp);
	return fd;
}

/* Read, and with SET also write, the refcount in the .data map of FD's program. */
static int def_prog_refcnt(int prog_fd, bool set, int value)
{
	struct bpf_prog_info info = {};
	__u32 map_ids[16], len = sizeof(info), key = 0, i;
	int err = -ENOENT;

	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (i = 0; err == -ENOENT && i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info map = {};
		__u32 map_len = sizeof(map);
		int map_fd = bpf_map_get_fd_by_id(map_ids[i]), data[16] = {};

		if (map_fd < 0)
			continue;
		/* libbpf names the object's .data map after its first 8 chars. */
		if (!bpf_obj_get_info_by_fd(map_fd, &map, &map_len) &&
		    !strcmp(map.name, "xsk_def_.data") && map.value_size <= sizeof(data) &&
		    !bpf_map_lookup_elem(map_fd, &key, data)) {
			err = data[0];
			if (set) {
				data[0] = value;
				err = bpf_map_update_elem(map_fd, &key, data, 0);
			}
		}
		close(map_fd);
	}
	return err;
}

static int def_prog_refcnt_in(const char *ns, const char *ifname, bool set, int value)
{
	struct ns_saved saved;
	int prog_fd, ret;

	enter_or_die(ns, &saved);
	prog_fd = def_prog_fd(if_nametoindex(ifname));
	return_or_die(&saved);
	if (prog_fd < 0)
		return prog_fd;
	ret = def_prog_refcnt(prog_fd, set, value);
	close(prog_fd);
	return ret;
}

int xt_set_def_prog_refcnt(const char *ns, const char *ifname, int value)
{
	return def_prog_refcnt_in(ns, ifname, true, value);
}

int xt_def_prog_refcnt(const char *ns, const char *ifname)
{
	return def_prog_refcnt_in(ns, ifname, false, 0);
}

__u32 xt_attach_xdp_obj(const char *ifname, const char *obj_path, const char *prog_name,
			struct bpf_object **obj)
{
	struct bpf_prog_info info = {};
	struct bpf_program *prog;
	__u32 len = sizeof(info);
	int fd;

	*obj = bpf_object__open_file(obj_path, NULL);
	if (libbpf_get_error(*obj)) {
		*obj = NULL;
		return 0;
	}
	if (bpf_object__load(*obj))
		goto err;
	prog = bpf_object__find_program_by_name(*obj, prog_name);
	fd = prog ? bpf_program__fd(prog) : -1;
	if (fd < 0 || bpf_xdp_attach(if_nametoindex(ifname), fd, XDP_FLAGS_DRV_MODE, NULL) ||
	    bpf_obj_get_info_by_fd(fd, &info, &len))
		goto err;
	return info.id;
err:
	bpf_object__close(*obj);
	*obj = NULL;
	return 0;
}

