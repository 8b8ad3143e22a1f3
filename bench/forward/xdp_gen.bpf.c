// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The traffic generator's XDP program: run by BPF_PROG_RUN in live-frames
 * mode (BPF_F_TEST_XDP_LIVE_FRAMES), it sends every frame it is given out of
 * one device through XDP_REDIRECT, with no socket, skb or syscall per frame.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set by the loader before it loads the program. */
volatile const __u32 target_ifindex;

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect(target_ifindex, 0);
}

char _license[] SEC("license") = "Dual BSD/GPL";
