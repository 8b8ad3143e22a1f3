// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The traffic generator's XDP program: run by BPF_PROG_RUN in live-frames
 * mode (BPF_F_TEST_XDP_LIVE_FRAMES), it sends every frame it is given out of
 * one device through XDP_REDIRECT, with no socket, skb or syscall per frame.
 *
 * With several devices (config.count > 1) it sends runs of RUN frames to each
 * in turn through a device map, and counts what it handed to each slot: the
 * loader's read-only data makes the single-device path the only one the
 * verifier keeps when there is one device.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Frames in a row to one device: a device map bulk queue's worth. */
#define RUN 16
#define MAX_TARGETS 256

/* Set by the loader before it loads the program (one struct: a fixed layout). */
struct gen_config {
	__u32 ifindex;	/* the device, when there is one */
	__u32 count;	/* devices in `targets` (slots 0..count-1), when more */
};

volatile const struct gen_config config;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, MAX_TARGETS);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

/* Slot 0: frames so far on this CPU; slot 1 + i: frames handed to target i. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_TARGETS + 1);
	__type(key, __u32);
	__type(value, __u64);
} sent SEC(".maps");

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	__u32 key = 0, slot;
	__u64 *n, *per;

	(void)ctx;
	if (config.count <= 1)
		return bpf_redirect(config.ifindex, 0);
	n = bpf_map_lookup_elem(&sent, &key);
	if (!n)
		return XDP_ABORTED;
	slot = (__u32)(*n / RUN) % config.count;
	(*n)++;
	key = slot + 1;
	per = bpf_map_lookup_elem(&sent, &key);
	if (per)
		(*per)++;
	return bpf_redirect_map(&targets, slot, 0);
}

char _license[] SEC("license") = "Dual BSD/GPL";
