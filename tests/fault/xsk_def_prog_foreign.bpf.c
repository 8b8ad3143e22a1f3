// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* A program named like libxdp's default AF_XDP program, without its version. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xsk_def_prog(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
