/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Helpers shared by the xdp-netns C tests: network namespaces entered per
 * thread, AF_PACKET senders living in a namespace, and the test frame format.
 */
#ifndef XDP_NETNS_TESTLIB_H
#define XDP_NETNS_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit code of a skipped test (automake convention). */
#define TEST_SKIP 77

/* Frames carry this EtherType (IEEE 802 local experimental 1). */
#define TEST_ETHERTYPE 0x88B5
#define TEST_MAGIC 0x584e4e53u /* "XNNS" */
/* Ethernet header + magic + tag + sequence number, padded to the minimum. */
#define TEST_FRAME_LEN 60
/* The longest frame packet_send_frames() sends: a 9000-byte MTU and its Ethernet header. */
#define TEST_FRAME_MAX 9014

struct test_frame {
	uint8_t tag;
	uint32_t seq;
};

/*
 * A saved network namespace of the calling thread. ns_enter() switches the
 * calling thread (only) to /run/netns/NAME, or leaves it where it is when
 * NAME is NULL or empty; ns_return() switches back. Both return 0 or -errno.
 */
struct ns_saved {
	int fd;
};

int ns_enter(const char *name, struct ns_saved *saved);
int ns_return(struct ns_saved *saved);

/* The netns cookie of the namespace fd's socket lives in; 0 on error. */
uint64_t netns_cookie(int fd);

/*
 * An AF_PACKET socket that sends on IFNAME, created while the calling thread
 * is in namespace NS (NULL or "" for the current one). The thread is back in
 * its namespace when this returns. Returns the fd or -errno.
 */
int packet_sender_open(const char *ns, const char *ifname);

/*
 * Send COUNT frames tagged TAG with sequence numbers FIRST.. on FD.
 * Returns the number sent or -errno.
 */
int packet_send_burst(int fd, uint8_t tag, uint32_t first, unsigned int count);

/*
 * The same with frames of LEN bytes (TEST_FRAME_LEN .. TEST_FRAME_MAX): past
 * the test frame, each byte depends on its offset and the sequence number
 * (frame_payload_intact() checks them).
 */
int packet_send_frames(int fd, uint8_t tag, uint32_t first, unsigned int count, size_t len);

/* Whether the bytes past the test frame in BUF (LEN long) are those of SEQ. */
bool frame_payload_intact(const uint8_t *buf, size_t len, uint32_t seq);

/* Build a test frame into BUF (at least TEST_FRAME_LEN); returns its length. */
size_t frame_build(uint8_t *buf, size_t size, uint8_t tag, uint32_t seq);

/* Parse a test frame; returns true and fills OUT if it is one of ours. */
bool frame_parse(const uint8_t *buf, size_t len, struct test_frame *out);

/*
 * Pin the calling thread to a CPU that makes AF_PACKET (PACKET_QDISC_BYPASS)
 * pick TX queue QUEUE of NQUEUES (the queue is cpu % nqueues there).
 * Returns 0, or -1 when no allowed CPU fits (the thread stays as it was).
 */
int pin_for_tx_queue(unsigned int queue, unsigned int nqueues);

bool is_root(void);

/*
 * The start of the main() of a test that takes exactly NARGS arguments
 * (USAGE names them): 0 to go on, or the status to exit with once it has
 * said why (2: wrong arguments; TEST_SKIP: not root).
 */
int test_start(int argc, char **argv, int nargs, const char *usage);

/*
 * A point where a test driver may look at the running process from outside
 * (its /proc/PID/maps, say): with TESTLIB_STOP_AT=NAME in the environment the
 * process says "checkpoint NAME: pid PID stops" on stdout and stops itself
 * (SIGSTOP) until the driver sends SIGCONT. Does nothing otherwise.
 */
void test_checkpoint(const char *name);

#endif
