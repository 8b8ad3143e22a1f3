// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The C twin of libxdp-rs/examples/forward.rs, against the drop-in libxdp:
 * forward frames from one device to another, possibly in another network
 * namespace, through ONE shared UMEM and without copying.
 *
 *   forward --ingress xo1 --egress xi1 --egress-netns xnetns-1-in --queues 1
 *
 * Same structure, options, defaults and output as the Rust example, so that the
 * benchmark compares the two languages and nothing else:
 *   - one UMEM of 2048-byte frames, created in the ingress namespace, fill and
 *     completion rings of --ring entries;
 *   - per queue q a socket on ingress queue q (RX only, libxdp's default
 *     program) and one on egress queue q (TX only, no program), each with its
 *     own fill/completion ring pair, and one thread;
 *   - the loop: egress completions straight into the ingress fill ring, as
 *     CompletionQueue::recycle_to does; RX descriptors straight onto the
 *     egress TX ring (up to --batch, never more than surely fits), as
 *     RxQueue::forward_to does; kick TX when the kernel asks; poll RX when
 *     idle, or sleep 50 us while the TX ring is full.
 *
 * Prints `ready ...` once every socket is up, a line per second (unless
 * --quiet) and a summary starting with `forwarded N` at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <xdp/xsk.h>

#define FRAME_SIZE 2048
#define MAX_QUEUES 64
#define DRAIN_NS (2ULL * 1000 * 1000 * 1000)

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

struct config {
	const char *ingress;
	const char *ingress_ns;
	const char *egress;
	const char *egress_ns;
	unsigned int queues;
	double duration;	/* seconds; 0: until stopped */
	uint64_t count;		/* 0: no limit */
	unsigned int batch;
	unsigned int ring;
	unsigned int frames;	/* per queue */
	uint32_t xdp_flags;
	uint16_t bind_flags;
	bool quiet;
};

/* Everything one queue's thread owns. */
struct queue_loop {
	unsigned int queue;
	struct xsk_socket *in_xsk;
	struct xsk_socket *out_xsk;
	struct xsk_ring_cons rx;	/* ingress RX */
	struct xsk_ring_prod fill;	/* ingress fill */
	struct xsk_ring_cons in_comp;	/* ingress completion: kept, unused */
	struct xsk_ring_prod tx;	/* egress TX */
	struct xsk_ring_prod out_fill;	/* egress fill: kept, unused */
	struct xsk_ring_cons comp;	/* egress completion */
	/* Free frames the fill ring had no room for yet (a stack). */
	uint64_t *free;
	unsigned int nfree;
	/* Frames submitted to TX whose completion has not been consumed yet. */
	uint64_t outstanding;
	/* Live counters, read by the main thread. */
	uint64_t rx_count;
	uint64_t tx_count;
	/* Report. */
	uint64_t first_rx_ns;	/* 0: none */
	uint64_t last_tx_ns;
	int err;
	pthread_t thread;
};

static struct config cfg = {
	.queues = 1,
	.batch = 64,
	.ring = 4096,
	.bind_flags = XDP_USE_NEED_WAKEUP,
};
static struct queue_loop loops[MAX_QUEUES];
static volatile sig_atomic_t stop_signal;
static int stop_flag;
static uint64_t forwarded;

static bool stop_requested(void)
{
	return stop_signal || __atomic_load_n(&stop_flag, __ATOMIC_RELAXED);
}

static void request_stop(void)
{
	__atomic_store_n(&stop_flag, 1, __ATOMIC_SEQ_CST);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_signal = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Enter the namespace named NS (a path when it has a '/', else under /run/netns). */
static int ns_enter(const char *ns, int *saved)
{
	char path[256];
	int fd;

	*saved = -1;
	if (!ns || !*ns || !strcmp(ns, "current"))
		return 0;
	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		int err = -errno;

		if (fd >= 0)
			close(fd);
		close(*saved);
		*saved = -1;
		return err;
	}
	close(fd);
	return 0;
}

static void ns_return(int saved)
{
	if (saved < 0)
		return;
	if (setns(saved, CLONE_NEWNET)) {
		perror("forward: cannot return to the original namespace");
		exit(1);
	}
	close(saved);
}

/*
 * Egress completions straight into the ingress fill ring, as many as it has
 * room for (the rest waits in the completion ring), as
 * CompletionQueue::recycle_to does; returns how many.
 */
static unsigned int recycle_completions(struct queue_loop *l)
{
	__u32 comp_idx, fill_idx;
	unsigned int n, i;

	n = xsk_ring_cons__peek(&l->comp, xsk_prod_nb_free(&l->fill, cfg.ring), &comp_idx);
	if (!n)
		return 0;
	if (xsk_ring_prod__reserve(&l->fill, n, &fill_idx) != n) {
		xsk_ring_cons__cancel(&l->comp, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&l->fill, fill_idx + i) =
			*xsk_ring_cons__comp_addr(&l->comp, comp_idx + i) &
			~(uint64_t)(FRAME_SIZE - 1);
	xsk_ring_prod__submit(&l->fill, n);
	xsk_ring_cons__release(&l->comp, n);
	return n;
}

/* The egress completions left (no room in the fill ring) onto the free stack. */
static unsigned int consume_completions(struct queue_loop *l)
{
	unsigned int n, i;
	__u32 idx;

	n = xsk_ring_cons__peek(&l->comp, cfg.ring, &idx);
	for (i = 0; i < n; i++)
		l->free[l->nfree++] = *xsk_ring_cons__comp_addr(&l->comp, idx + i) &
				      ~(uint64_t)(FRAME_SIZE - 1);
	if (n)
		xsk_ring_cons__release(&l->comp, n);
	return n;
}

/* Free frames (top of the stack first) into the fill ring, as many as fit. */
static unsigned int produce_fill(struct queue_loop *l)
{
	unsigned int n, i;
	__u32 idx;

	n = xsk_prod_nb_free(&l->fill, l->nfree);
	if (n > l->nfree)
		n = l->nfree;
	if (!n || xsk_ring_prod__reserve(&l->fill, n, &idx) != n)
		return 0;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&l->fill, idx + i) = l->free[l->nfree - n + i];
	xsk_ring_prod__submit(&l->fill, n);
	l->nfree -= n;
	return n;
}

/* Up to `room` received descriptors straight onto the TX ring, in order. */
static unsigned int forward_rx_to_tx(struct queue_loop *l, unsigned int room)
{
	__u32 rx_idx, tx_idx;
	unsigned int n, i;

	n = xsk_ring_cons__peek(&l->rx, room, &rx_idx);
	if (!n)
		return 0;
	if (xsk_ring_prod__reserve(&l->tx, n, &tx_idx) != n) {
		xsk_ring_cons__cancel(&l->rx, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *in = xsk_ring_cons__rx_desc(&l->rx, rx_idx + i);
		struct xdp_desc *out = xsk_ring_prod__tx_desc(&l->tx, tx_idx + i);

		out->addr = xsk_umem__add_offset_to_addr(in->addr);
		out->len = in->len;
		out->options = 0;
	}
	xsk_ring_prod__submit(&l->tx, n);
	xsk_ring_cons__release(&l->rx, n);
	l->outstanding += n;
	return n;
}

static int kick_tx(struct queue_loop *l)
{
	if (!l->outstanding || !xsk_ring_prod__needs_wakeup(&l->tx))
		return 0;
	if (sendto(xsk_socket__fd(l->out_xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EBUSY || errno == ENOBUFS || errno == ENETDOWN)
		return 0;
	return -errno;
}

static void *queue_run(void *arg)
{
	struct queue_loop *l = arg;
	uint64_t total = 0, deadline = 0;

	for (;;) {
		bool stopping = stop_requested();
		bool progress = false;
		uint64_t room;
		unsigned int n;

		if (stopping) {
			uint64_t t = now_ns();

			if (!deadline)
				deadline = t + DRAIN_NS;
			if (!l->outstanding || t > deadline)
				break;
		}

		/*
		 * Egress completions straight back into the ingress fill ring;
		 * those it has no room for join the free frames, which go in as
		 * room appears.
		 */
		n = recycle_completions(l);
		n += consume_completions(l);
		l->outstanding = l->outstanding > n ? l->outstanding - n : 0;
		progress |= n > 0;
		if (l->nfree)
			progress |= produce_fill(l) > 0;

		/*
		 * Forward by descriptor, straight from the RX ring onto the TX ring:
		 * a batch at most, never more than surely fits, so that a full TX
		 * ring pushes back to the RX ring.
		 */
		room = cfg.ring > l->outstanding ? cfg.ring - l->outstanding : 0;
		if (room > cfg.batch)
			room = cfg.batch;
		if (!stopping && room) {
			n = forward_rx_to_tx(l, room);
			if (n) {
				uint64_t all, t = now_ns();

				progress = true;
				if (!l->first_rx_ns)
					l->first_rx_ns = t;
				l->last_tx_ns = t;
				total += n;
				__atomic_store_n(&l->rx_count, total, __ATOMIC_RELAXED);
				__atomic_store_n(&l->tx_count, total, __ATOMIC_RELAXED);
				all = __atomic_add_fetch(&forwarded, n, __ATOMIC_RELAXED);
				if (cfg.count && all >= cfg.count)
					request_stop();
			}
		}
		l->err = kick_tx(l);
		if (l->err) {
			fprintf(stderr, "forward: queue %u: sendto: %s\n", l->queue,
				strerror(-l->err));
			break;
		}

		if (!progress) {
			/* Idle: wait for frames, briefly when completions are still due. */
			int timeout = l->outstanding ? 1 : 100;

			if (room && !stopping) {
				struct pollfd pfd = {
					.fd = xsk_socket__fd(l->in_xsk),
					.events = POLLIN,
				};

				if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
					fprintf(stderr, "forward: queue %u: poll: %s\n", l->queue,
						strerror(errno));
			} else {
				usleep(50);
			}
		}
	}
	return NULL;
}

static int create_socket(struct xsk_socket **xsk, const char *dev, const char *ns,
			 unsigned int q, struct xsk_umem *umem, struct xsk_ring_cons *rx,
			 struct xsk_ring_prod *tx, struct xsk_ring_prod *fill,
			 struct xsk_ring_cons *comp)
{
	struct xsk_socket_config sc = {
		.rx_size = rx ? cfg.ring : 0,
		.tx_size = tx ? cfg.ring : 0,
		.libxdp_flags = rx ? 0 : XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = cfg.xdp_flags,
		.bind_flags = cfg.bind_flags,
	};
	int saved, err;

	err = ns_enter(ns, &saved);
	if (err) {
		fprintf(stderr, "forward: cannot enter namespace %s: %s\n", ns, strerror(-err));
		return err;
	}
	err = xsk_socket__create_shared(xsk, dev, q, umem, rx, tx, fill, comp, &sc);
	ns_return(saved);
	if (err) {
		*xsk = NULL;
		fprintf(stderr, "forward: socket on %s queue %u (namespace %s): %s\n", dev, q,
			ns ? ns : "current", strerror(-err));
	}
	return err;
}

static void read_stats(struct xdp_statistics *sum)
{
	unsigned int q;

	memset(sum, 0, sizeof(*sum));
	for (q = 0; q < cfg.queues; q++) {
		struct xsk_socket *socks[2] = { loops[q].in_xsk, loops[q].out_xsk };
		unsigned int i;

		for (i = 0; i < 2; i++) {
			struct xdp_statistics s;
			socklen_t len = sizeof(s);

			if (!socks[i] || getsockopt(xsk_socket__fd(socks[i]), SOL_XDP,
						    XDP_STATISTICS, &s, &len))
				continue;
			sum->rx_dropped += s.rx_dropped;
			sum->rx_invalid_descs += s.rx_invalid_descs;
			sum->tx_invalid_descs += s.tx_invalid_descs;
			sum->rx_ring_full += s.rx_ring_full;
			sum->rx_fill_ring_empty_descs += s.rx_fill_ring_empty_descs;
			sum->tx_ring_empty_descs += s.tx_ring_empty_descs;
		}
	}
}

static uint64_t rx_drops(const struct xdp_statistics *s)
{
	return s->rx_dropped + s->rx_ring_full;
}

static double mpps(uint64_t frames, double secs)
{
	return secs > 0 ? frames / secs / 1e6 : 0.0;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"Forward frames from --ingress to --egress (possibly in other network namespaces)\n"
		"over AF_XDP, through one shared UMEM, without copying.\n\n"
		"Usage: forward [OPTIONS]\n\n"
		"  --ingress DEV        device to receive on (required)\n"
		"  --ingress-netns NS   its namespace: /run/netns name or path (default: current)\n"
		"  --egress DEV         device to send on (required)\n"
		"  --egress-netns NS    its namespace (default: current)\n"
		"  --queues N           queues 0..N on both devices, one thread each (default 1)\n"
		"  --duration SECS      stop after this long (default: run until Ctrl-C)\n"
		"  --count N            stop after forwarding N frames (default: no limit)\n"
		"  --batch N            frames per ring operation (default 64)\n"
		"  --ring N             size of every ring, a power of two (default 4096)\n"
		"  --frames N           UMEM frames per queue (default 2 x ring)\n"
		"  --xdp-mode MODE      XDP attach mode of the ingress program: default, skb or native\n"
		"  --copy               force copy mode\n"
		"  --zero-copy          force zero-copy mode\n"
		"  --quiet              no per-second lines\n"
		"  --help               print this help\n");
	exit(status);
}

static uint64_t parse_count(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'm': case 'M': v *= 1e6; end++; break;
	case 'g': case 'G': v *= 1e9; end++; break;
	}
	if (*end || v < (double)min || v > (double)max)
		goto bad;
	return (uint64_t)v;
bad:
	fprintf(stderr, "forward: --%s %s: expected a count in %llu..=%llu\n", opt, s,
		(unsigned long long)min, (unsigned long long)max);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	enum { O_INGRESS = 256, O_INGRESS_NS, O_EGRESS, O_EGRESS_NS, O_QUEUES, O_DURATION,
	       O_COUNT, O_BATCH, O_RING, O_FRAMES, O_MODE, O_COPY, O_ZC, O_QUIET, O_HELP };
	static const struct option opts[] = {
		{ "ingress", required_argument, NULL, O_INGRESS },
		{ "ingress-netns", required_argument, NULL, O_INGRESS_NS },
		{ "egress", required_argument, NULL, O_EGRESS },
		{ "egress-netns", required_argument, NULL, O_EGRESS_NS },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "count", required_argument, NULL, O_COUNT },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "ring", required_argument, NULL, O_RING },
		{ "frames", required_argument, NULL, O_FRAMES },
		{ "xdp-mode", required_argument, NULL, O_MODE },
		{ "copy", no_argument, NULL, O_COPY },
		{ "zero-copy", no_argument, NULL, O_ZC },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int batch = 0, frames = 0;
	bool copy = false, zc = false;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_INGRESS: cfg.ingress = optarg; break;
		case O_INGRESS_NS: cfg.ingress_ns = optarg; break;
		case O_EGRESS: cfg.egress = optarg; break;
		case O_EGRESS_NS: cfg.egress_ns = optarg; break;
		case O_QUEUES: cfg.queues = parse_count("queues", optarg, 1, MAX_QUEUES); break;
		case O_DURATION:
			cfg.duration = strtod(optarg, &end);
			if (*end || cfg.duration < 0) {
				fprintf(stderr, "forward: --duration %s: expected seconds\n", optarg);
				exit(2);
			}
			break;
		case O_COUNT: cfg.count = parse_count("count", optarg, 0, UINT64_MAX / 2); break;
		case O_BATCH: batch = parse_count("batch", optarg, 1, 1 << 16); break;
		case O_RING: cfg.ring = parse_count("ring", optarg, 64, 1 << 16); break;
		case O_FRAMES: frames = parse_count("frames", optarg, 64, 1 << 20); break;
		case O_MODE:
			if (!strcmp(optarg, "default"))
				cfg.xdp_flags = 0;
			else if (!strcmp(optarg, "skb") || !strcmp(optarg, "generic"))
				cfg.xdp_flags = XDP_FLAGS_SKB_MODE;
			else if (!strcmp(optarg, "native") || !strcmp(optarg, "driver") ||
				 !strcmp(optarg, "drv"))
				cfg.xdp_flags = XDP_FLAGS_DRV_MODE;
			else
				usage(2);
			break;
		case O_COPY: copy = true; break;
		case O_ZC: zc = true; break;
		case O_QUIET: cfg.quiet = true; break;
		case O_HELP: case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc || !cfg.ingress || !cfg.egress)
		usage(2);
	if (cfg.ring & (cfg.ring - 1)) {
		fprintf(stderr, "forward: --ring %u is not a power of two\n", cfg.ring);
		exit(2);
	}
	if (copy && zc) {
		fprintf(stderr, "forward: --copy and --zero-copy exclude each other\n");
		exit(2);
	}
	cfg.bind_flags |= (copy ? XDP_COPY : 0) | (zc ? XDP_ZEROCOPY : 0);
	if (batch > cfg.ring) {
		fprintf(stderr, "forward: --batch %u is larger than the ring\n", batch);
		exit(2);
	}
	cfg.batch = batch ? batch : 64;
	cfg.frames = frames ? frames : 2 * cfg.ring;
}

int main(int argc, char **argv)
{
	struct xsk_umem_config uc = {
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t start, next, last_rx = 0, last_tx = 0, last_drop = 0;
	uint64_t rx = 0, tx = 0, unfinished = 0, first = 0, last = 0;
	struct xdp_statistics st;
	struct xsk_umem *umem = NULL;
	size_t umem_size;
	void *area;
	unsigned int q;
	int saved, err = 0;
	double elapsed, active;

	parse_args(argc, argv);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	umem_size = (size_t)cfg.frames * cfg.queues * FRAME_SIZE;
	area = mmap(NULL, umem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("forward: mmap");
		return 1;
	}

	/* The UMEM lives in the ingress namespace, where its first socket is created. */
	uc.fill_size = cfg.ring;
	uc.comp_size = cfg.ring;
	err = ns_enter(cfg.ingress_ns, &saved);
	if (err) {
		fprintf(stderr, "forward: cannot enter namespace %s: %s\n", cfg.ingress_ns,
			strerror(-err));
		return 1;
	}
	err = xsk_umem__create(&umem, area, umem_size, &loops[0].fill, &loops[0].in_comp, &uc);
	ns_return(saved);
	if (err) {
		fprintf(stderr, "forward: xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}

	for (q = 0; q < cfg.queues; q++) {
		struct queue_loop *l = &loops[q];
		uint64_t base = (uint64_t)(cfg.queues - 1 - q) * cfg.frames * FRAME_SIZE;
		unsigned int i;

		l->queue = q;
		err = create_socket(&l->in_xsk, cfg.ingress, cfg.ingress_ns, q, umem, &l->rx, NULL,
				    &l->fill, &l->in_comp);
		if (err)
			goto out;
		err = create_socket(&l->out_xsk, cfg.egress, cfg.egress_ns, q, umem, NULL, &l->tx,
				    &l->out_fill, &l->comp);
		if (err)
			goto out;
		l->free = calloc(cfg.frames, sizeof(*l->free));
		if (!l->free) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < cfg.frames; i++)
			l->free[i] = base + (uint64_t)i * FRAME_SIZE;
		l->nfree = cfg.frames;
		produce_fill(l);
	}

	start = now_ns();
	for (q = 0; q < cfg.queues; q++) {
		err = -pthread_create(&loops[q].thread, NULL, queue_run, &loops[q]);
		if (err) {
			fprintf(stderr, "forward: pthread_create: %s\n", strerror(-err));
			request_stop();
			cfg.queues = q;
			goto join;
		}
	}
	printf("ready: forwarding %s@%s -> %s@%s, %u queue(s), one UMEM of %u frames\n",
	       cfg.ingress, cfg.ingress_ns ? cfg.ingress_ns : "current", cfg.egress,
	       cfg.egress_ns ? cfg.egress_ns : "current", cfg.queues, cfg.frames * cfg.queues);
	fflush(stdout);

	next = start + 1000000000ULL;
	for (;;) {
		bool all_done = true;
		uint64_t t;

		for (q = 0; q < cfg.queues; q++) {
			/* A thread is done when it can be joined; check without blocking. */
			if (loops[q].thread && pthread_tryjoin_np(loops[q].thread, NULL) == 0)
				loops[q].thread = 0;
			all_done &= !loops[q].thread;
		}
		if (all_done)
			break;
		usleep(20000);
		t = now_ns();
		if (cfg.duration > 0 && (double)(t - start) / 1e9 >= cfg.duration)
			request_stop();
		if (t >= next) {
			uint64_t drops;

			next += 1000000000ULL;
			rx = tx = 0;
			for (q = 0; q < cfg.queues; q++) {
				rx += __atomic_load_n(&loops[q].rx_count, __ATOMIC_RELAXED);
				tx += __atomic_load_n(&loops[q].tx_count, __ATOMIC_RELAXED);
			}
			read_stats(&st);
			drops = rx_drops(&st);
			if (!cfg.quiet)
				printf("%6.1fs  rx %9llu/s  tx %9llu/s  drop %7llu/s  "
				       "(total rx %llu tx %llu drop %llu)\n",
				       (double)(t - start) / 1e9,
				       (unsigned long long)(rx - last_rx),
				       (unsigned long long)(tx - last_tx),
				       (unsigned long long)(drops - last_drop),
				       (unsigned long long)rx, (unsigned long long)tx,
				       (unsigned long long)drops);
			last_rx = rx;
			last_tx = tx;
			last_drop = drops;
		}
	}
join:
	for (q = 0; q < cfg.queues; q++)
		if (loops[q].thread)
			pthread_join(loops[q].thread, NULL);
	elapsed = (double)(now_ns() - start) / 1e9;
	read_stats(&st);

	rx = tx = 0;
	for (q = 0; q < cfg.queues; q++) {
		struct queue_loop *l = &loops[q];

		if (l->err)
			err = l->err;
		rx += l->rx_count;
		tx += l->tx_count;
		unfinished += l->outstanding;
		if (l->first_rx_ns && (!first || l->first_rx_ns < first))
			first = l->first_rx_ns;
		if (l->last_tx_ns > last)
			last = l->last_tx_ns;
		printf("queue %u: rx %llu tx %llu\n", q, (unsigned long long)l->rx_count,
		       (unsigned long long)l->tx_count);
	}
	active = first && last > first ? (double)(last - first) / 1e9 : 0.0;
	printf("kernel: ingress rx_dropped %llu rx_ring_full %llu fill_ring_empty %llu; "
	       "tx_invalid_descs %llu\n",
	       (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
	       (unsigned long long)st.rx_fill_ring_empty_descs,
	       (unsigned long long)st.tx_invalid_descs);
	printf("forwarded %llu frames in %.3f s (%.3f Mpps while active; %.1f s in all); "
	       "rx %llu, tx %llu, dropped %llu, unfinished %llu\n",
	       (unsigned long long)tx, active, mpps(tx, active), elapsed,
	       (unsigned long long)rx, (unsigned long long)tx,
	       (unsigned long long)rx_drops(&st), (unsigned long long)unfinished);
	if (!err && (unfinished || st.tx_invalid_descs))
		err = -EIO;
out:
	for (q = 0; q < MAX_QUEUES; q++) {
		struct queue_loop *l = &loops[q];
		/* Sockets are deleted in the namespace they were created in. */
		if (l->out_xsk) {
			if (!ns_enter(cfg.egress_ns, &saved)) {
				xsk_socket__delete(l->out_xsk);
				ns_return(saved);
			}
		}
		if (l->in_xsk) {
			if (!ns_enter(cfg.ingress_ns, &saved)) {
				xsk_socket__delete(l->in_xsk);
				ns_return(saved);
			}
		}
		free(l->free);
	}
	if (umem && !ns_enter(cfg.ingress_ns, &saved)) {
		xsk_umem__delete(umem);
		ns_return(saved);
	}
	munmap(area, umem_size);
	return err ? 1 : 0;
}
