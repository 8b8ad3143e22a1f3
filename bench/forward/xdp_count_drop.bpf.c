// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Count every packet in a per-CPU array and drop it: the cheapest possible
 * consumer of a device, for the ceiling of the veth path and as the traffic
 * sink of the forwarding benchmark.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int xdp_count_drop(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n;

	(void)ctx;
	n = bpf_map_lookup_elem(&counts, &key);
	if (n)
		(*n)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "Dual BSD/GPL";
