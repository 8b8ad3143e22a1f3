/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * AF_XDP helpers shared by the regression tests: sockets made in a given
 * namespace, XDP attachment queries, and counts of the resources a process
 * or the system holds, to tell a leak from a clean teardown.
 */
#ifndef XDP_NETNS_XSKTEST_H
#define XDP_NETNS_XSKTEST_H

#include <stdbool.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

/* Multi-buffer AF_XDP (Linux 6.6), newer than the system's headers may be. */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif

#define XT_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XT_RING_SIZE 2048

/* Rings of one socket with its own fill/completion pair. */
struct xt_port {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
};

/* Page-aligned anonymous memory for a UMEM of FRAMES frames; NULL on error. */
void *xt_umem_area(unsigned int frames);

/*
 * xsk_socket__create_shared() on IFNAME QUEUE with the thread in namespace NS
 * (NULL: the current one), copy mode, native XDP, libxdp's default program.
 * RX and TX select the rings the socket gets. The kernel releases a deleted
 * socket's (device, queue) in deferred work, so EBUSY is retried for up to
 * a second. Returns 0 or the negative errno of the last attempt.
 */
int xt_socket_create(const char *ns, const char *ifname, __u32 queue, struct xsk_umem *umem,
		     struct xt_port *port, bool rx, bool tx);

/* The same with BIND_FLAGS (XDP_COPY in xt_socket_create()). */
int xt_socket_create_flags(const char *ns, const char *ifname, __u32 queue,
			   struct xsk_umem *umem, struct xt_port *port, bool rx, bool tx,
			   __u16 bind_flags);

/* Give the kernel the first FRAMES frames of the UMEM through PORT's fill ring. */
void xt_fill_frames(struct xt_port *port, unsigned int frames);

/*
 * Whether bind() of an AF_XDP socket knows XDP_USE_SG (Linux 6.6): 1 or 0,
 * or a negative errno when the probe cannot tell. Binds nothing.
 */
int xt_kernel_has_use_sg(void);

/* xsk_socket__delete() with the thread in namespace NS. */
void xt_socket_delete(const char *ns, struct xt_port *port);

/* The id of the XDP program attached to IFNAME in NS (0: none); -errno on error. */
long xt_xdp_prog_id(const char *ns, const char *ifname);

/*
 * Set the reference count of the xsk_def_prog on IFNAME in NS (alone or in
 * a dispatcher) to VALUE, as a teardown that failed half way leaves it.
 * Returns 0 or a negative errno.
 */
int xt_set_def_prog_refcnt(const char *ns, const char *ifname, int value);

/* That reference count, or a negative errno. */
int xt_def_prog_refcnt(const char *ns, const char *ifname);

/*
 * Load OBJ_PATH and attach its program PROG_NAME to IFNAME (native mode,
 * the current namespace). Returns the program's id, or 0 on error; *OBJ
 * holds the object until bpf_object__close().
 */
__u32 xt_attach_xdp_obj(const char *ifname, const char *obj_path, const char *prog_name,
			struct bpf_object **obj);

/* Open fds of this process, and BPF maps and programs of the whole system. */
int xt_count_fds(void);
int xt_count_bpf_maps(void);
int xt_count_bpf_progs(void);

/* All three at once, to compare a start with an end. */
struct xt_counts {
	int fds, maps, progs;
};

void xt_take_counts(struct xt_counts *c);

/*
 * Counts into END, waiting up to 5 s for the BPF maps and programs to fall
 * back to START: the kernel frees them after an RCU grace period.
 */
void xt_settle_counts(const struct xt_counts *start, struct xt_counts *end);

/*
 * Route libxdp's messages through a printer that counts warnings (and shows
 * them); xt_warnings() returns the count so far.
 */
void xt_capture_libxdp_warnings(void);
unsigned int xt_warnings(void);

#endif
