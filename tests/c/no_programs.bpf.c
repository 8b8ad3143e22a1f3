// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A BPF object without a program. Found on LIBXDP_OBJECT_PATH under the
 * names of libxdp's default objects, it leaves the default program
 * impossible to find (-ENOENT) even for a libxdp.so.1 that would fall back
 * on its embedded copies when no file is there at all.
 */
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";
