/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Fault injection for the libxdp error-path harness.
 *
 * inject.c defines the libc functions below in the test executable, so its
 * definitions preempt libc's for the whole process (libbpf.so, libxdp.so.1 or
 * a statically linked libxdp.a, libelf); each calls the real one through
 * dlsym(RTLD_NEXT), which under ASan is ASan's interceptor. Allocation is
 * counted only for calls made by libxdp's own code: in a binary linked with
 * libxdp.a through -Wl,--wrap=malloc,... (FAULT_WRAP_ALLOC, which leaves
 * ASan's allocator alone), in one using libxdp.so.1 by interposing malloc and
 * friends and counting only callers inside libxdp.so.1's text.
 *
 * Calls are counted, and the target failed, only while armed: the scenario
 * arms around each libxdp call and disarms for its own setup and checks.
 */
#ifndef XDP_NETNS_FAULT_INJECT_H
#define XDP_NETNS_FAULT_INJECT_H

#include <stdbool.h>
#include <stdio.h>

enum fault_fn {
	FAULT_BPF,
	FAULT_SOCKET,
	FAULT_SETSOCKOPT,
	FAULT_GETSOCKOPT,
	FAULT_MMAP,
	FAULT_BIND,
	FAULT_IOCTL,
	FAULT_SETNS,
	FAULT_OPEN,	/* open, open64, openat, openat64, __open_2, ... */
	FAULT_FSTAT,	/* fstat, fstat64 */
	FAULT_FLOCK,
	FAULT_SEND,	/* send, sendto, sendmsg */
	FAULT_RECV,	/* recv, recvfrom, recvmsg */
	FAULT_MALLOC,
	FAULT_CALLOC,
	FAULT_REALLOC,
	FAULT_STRDUP,
	FAULT_NUM_FN,
};

/* Function names as the driver spells them; "bpf:CMD" targets one bpf command. */
const char *fault_fn_name(enum fault_fn fn);

/*
 * Fail the NTH counted call of FN ("bpf", "bpf:MAP_UPDATE_ELEM", "open",
 * "malloc", ...) with ERR (0: the function's default errno). Returns 0, or
 * -EINVAL for an unknown name. NTH 0 injects nothing (counting run).
 */
int fault_target(const char *fn, long nth, int err);

/* Start counting (and injecting) for the libxdp call LABEL; stop again. */
void fault_arm(const char *label);
void fault_disarm(void);

/* Whether the target was failed since the last fault_arm(), and at all. */
bool fault_injected_now(void);
bool fault_injected(void);

/* Counted calls of FN so far (over all armed windows). */
long fault_count(enum fault_fn fn);

/* "fn=count ..." of every counted function, and of bpf per command. */
void fault_print_counts(FILE *f);

/* Where the injection happened: "symbol call-label", or "" when none did. */
const char *fault_where(void);

/* Load the unwinder and find libxdp.so.1 before anything is armed. */
void fault_init(void);

#endif
