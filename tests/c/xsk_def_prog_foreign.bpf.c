// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Not libxdp's default AF_XDP program, but named like it: it has none of the
 * metadata (version, refcount, XSKMAP) libxdp looks for in a program of that
 * name, so xsk_socket__create() must fail on a device that runs it, cleanly.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xsk_def_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
