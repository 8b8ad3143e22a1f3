// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The fault-injection scenario and its driver.
 *
 * The scenario is the seed's: one UMEM, sockets on queues 0 and 1 of `outer`
 * (this namespace) and of `inner` (another namespace, equal ifindex; its
 * sockets are created with the thread in inner's namespace), packets from
 * each peer counted on the sockets, then everything deleted. Variants:
 *   base    inner's sockets are deleted from inside inner's namespace;
 *   xdel    inner's sockets are deleted from the root namespace;
 *   shared  a second socket on outer queue 0 (same device and queue).
 * Every libxdp call runs armed (inject.h); between calls the scenario
 * disarms and checks: the thread's namespace, fds 0-2 and a sentinel, the
 * return value, the program refcount of each device. After teardown: the fd
 * table equals the one before, no BPF map or program fd is left, neither
 * device has an XDP program.
 *
 *   fault_scenario sweep -o OUTER -i INNER -n NS -V VARIANT -f FN -L LOGDIR -t TAG [-m MAXN]
 *       fails the N-th call of FN for N = 1, 2, ... (a child process each) until
 *       the scenario completes without reaching it; one RESULT line per run
 *   fault_scenario run -o OUTER -i INNER -n NS -V VARIANT [-f FN -N N]
 *       one scenario in this process; prints the CHECK line and the call counts
 *   fault_scenario objpath -o OUTER        xsk_socket__create() without BPF objects
 *   fault_scenario foreign -o OUTER -p PROG.o   a foreign xsk_def_prog on the device
 *   fault_scenario many -d DEV -P NSPREFIX -k COUNT   COUNT namespaces x 2 queues
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <execinfo.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "inject.h"
#include "testlib.h"

#define FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define RING_SIZE 256
#define FRAMES_PER_PORT 128
#define MAX_SOCKS 8
#define PACKETS 16
#define MAX_FDS 1024

enum { OUTER, INNER, NUM_DEVS };

/* Outcome flags of one run, most severe first (the first set one is the outcome). */
enum {
	O_CRASH,	/* signal or abnormal exit without a CHECK line */
	O_SANITIZER,	/* ASan, LSan or UBSan report */
	O_FOREIGN_FD,	/* an fd libxdp did not open was closed or replaced */
	O_NETNS,	/* the thread was left in another namespace */
	O_BAD_RETURN,	/* an error returned as a positive value, or a bogus one */
	O_XDP_LEFT,	/* a device keeps an XDP program after teardown */
	O_BPF_LEAK,	/* a BPF map or program fd is left after teardown */
	O_FD_LEAK,	/* another fd is left after teardown */
	O_REFCNT,	/* program refcount differs from the live sockets on the device */
	O_TRAFFIC,	/* all sockets created but packets did not arrive */
	O_NUM,
};

static const char *const outcome_names[O_NUM] = {
	"crash", "sanitizer", "foreign-fd-closed", "wrong-netns", "bad-return",
	"xdp-left", "bpf-leak", "fd-leak", "refcount", "traffic",
};

struct dev {
	const char *name;
	const char *ns;		/* NULL: the root (the process's) namespace */
	int ns_fd;
	int ifindex;
	int sender;
	unsigned int received;
};

struct sock {
	int dev;
	unsigned int queue;
	bool live;
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_prod *fillp; /* the rings this socket was created with */
	struct xsk_ring_cons *compp;
	__u64 first_addr;
};

static struct dev devs[NUM_DEVS];
static struct sock socks[MAX_SOCKS];
static unsigned int nsocks;
static const char *variant = "base";
static unsigned int flags;
static char detail[1024];
static void *umem_area;
static size_t umem_size;
static struct stat std_st[3], sentinel_st;
static int sentinel_fd = -1;

static void note(unsigned int outcome, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(unsigned int outcome, const char *fmt, ...)
{
	size_t off = strlen(detail);
	va_list ap;

	flags |= 1u << outcome;
	fprintf(stderr, "CHECK-FAIL %s: ", outcome_names[outcome]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (off < sizeof(detail) - 2) {
		va_start(ap, fmt);
		snprintf(detail + off, sizeof(detail) - off, "%s%s:", off ? "; " : "",
			 outcome_names[outcome]);
		off = strlen(detail);
		vsnprintf(detail + off, sizeof(detail) - off, fmt, ap);
		va_end(ap);
	}
}

static void die(const char *what)
{
	fprintf(stderr, "FATAL: %s: %s\n", what, strerror(errno));
	exit(2);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_rdev == b->st_rdev;
}

static int open_ns(const char *name)
{
	char path[128];
	int fd;

	if (name)
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/ns/net");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	return fd;
}

static void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns");
}

static void thread_ns(struct stat *st)
{
	if (stat("/proc/thread-self/ns/net", st))
		die("stat /proc/thread-self/ns/net");
}

/* ---- checks between libxdp calls ---- */

static int prog_refcnt(__u32 prog_id, char *name, size_t name_size)
{
	__u32 map_ids[16], len, i;
	struct bpf_prog_info info;
	int fd, map_fd, ret = -ENOENT;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 16;
	info.map_ids = (__u64)(unsigned long)map_ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return -errno;
	}
	close(fd);
	snprintf(name, name_size, "%s", info.name);
	for (i = 0; i < info.nr_map_ids && i < 16; i++) {
		struct bpf_map_info minfo;
		__u32 mlen = sizeof(minfo), key = 0;
		int value[16];

		map_fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (map_fd < 0)
			continue;
		memset(&minfo, 0, sizeof(minfo));
		if (!bpf_obj_get_info_by_fd(map_fd, &minfo, &mlen) &&
		    !strcmp(minfo.name, "xsk_def_.data") && minfo.value_size <= sizeof(value) &&
		    !bpf_map_lookup_elem(map_fd, &key, value))
			ret = value[0];
		close(map_fd);
	}
	return ret;
}

/* The XDP program on DEV (in its namespace; the thread returns to CUR_NS). */
static __u32 dev_prog(const struct dev *d, int cur_ns)
{
	__u32 id = 0;

	enter_ns(d->ns_fd);
	if (bpf_xdp_query_id(d->ifindex, 0, &id))
		id = 0;
	enter_ns(cur_ns);
	return id;
}

static void check_refcounts(const char *label, int cur_ns)
{
	unsigned int d, i, live;
	char name[BPF_OBJ_NAME_LEN];
	__u32 id;
	int ref;

	for (d = 0; d < NUM_DEVS; d++) {
		for (live = 0, i = 0; i < nsocks; i++)
			live += socks[i].live && socks[i].dev == (int)d;
		if (!live)
			continue; /* a program left behind is judged after teardown */
		id = dev_prog(&devs[d], cur_ns);
		if (!id) {
			note(O_REFCNT, "after %s: %u sockets on %s but no XDP program", label,
			     live, devs[d].name);
			continue;
		}
		name[0] = 0;
		ref = prog_refcnt(id, name, sizeof(name));
		if (strcmp(name, "xsk_def_prog"))
			continue; /* a dispatcher: not ours to count */
		if (ref != (int)live)
			note(O_REFCNT, "after %s: program %u on %s has refcount %d, %u sockets",
			     label, id, devs[d].name, ref, live);
	}
}

static bool checked_std(const char *label)
{
	struct stat st;
	bool ok = true;
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fstat(fd, &st) || !same_file(&st, &std_st[fd])) {
			note(O_FOREIGN_FD, "after %s: fd %d is no longer what it was", label, fd);
			ok = false;
		}
	}
	if (fstat(sentinel_fd, &st) || !same_file(&st, &sentinel_st)) {
		note(O_FOREIGN_FD, "after %s: sentinel fd %d was closed or replaced", label,
		     sentinel_fd);
		ok = false;
	}
	return ok;
}

/*
 * After the armed libxdp call LABEL, run with the thread in the namespace
 * EXPECT_NS (an fd): disarm, and check. RV is the call's int result
 * (ERR_RV_NONE for a void call).
 */
#define ERR_RV_NONE 1
static void after_call(const char *label, int expect_ns, const struct stat *expect_st, int rv)
{
	struct stat st;

	fault_disarm();
	thread_ns(&st);
	if (!same_file(&st, expect_st)) {
		note(O_NETNS, "after %s: thread left in net:[%lu], was in net:[%lu]", label,
		     (unsigned long)st.st_ino, (unsigned long)expect_st->st_ino);
		enter_ns(expect_ns);
	}
	checked_std(label);
	if (rv != ERR_RV_NONE && (rv > 0 || rv < -4095))
		note(O_BAD_RETURN, "%s returned %d", label, rv);
	if (rv < 0)
		fprintf(stderr, "note: %s: %s%s\n", label, strerror(-rv),
			fault_injected_now() ? " (injected)" : "");
	/* Before any injection, EBUSY from bind() is the kernel still releasing
	 * the previous run's queues (deferred work): the driver runs it again.
	 */
	if (rv == -EBUSY && !fault_injected() && !strncmp(label, "xsk_socket__create", 18))
		fprintf(stderr, "EBUSY-NOT-INJECTED %s\n", label);
	check_refcounts(label, expect_ns);
}

/* ---- fd table ---- */

struct fdent {
	int fd;
	struct stat st;
};

static int fd_table(struct fdent *t, int max)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0, fd;

	if (!dir)
		die("opendir /proc/self/fd");
	while ((de = readdir(dir)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(dir))
			continue;
		t[n].fd = fd;
		if (fstat(fd, &t[n].st))
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

static void fd_describe(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, buf, size - 1);
	buf[len < 0 ? 0 : len] = 0;
}

static void compare_fd_tables(const struct fdent *a, int na, const struct fdent *b, int nb)
{
	char what[128];
	int i, j;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (b[j].fd == a[i].fd)
				break;
		if (j == nb || !same_file(&a[i].st, &b[j].st))
			note(O_FOREIGN_FD, "fd %d of the test was closed or replaced", a[i].fd);
	}
	for (j = 0; j < nb; j++) {
		for (i = 0; i < na; i++)
			if (a[i].fd == b[j].fd)
				break;
		if (i < na)
			continue;
		fd_describe(b[j].fd, what, sizeof(what));
		if (strstr(what, "bpf-map") || strstr(what, "bpf-prog") || strstr(what, "bpf_link"))
			note(O_BPF_LEAK, "fd %d left open: %s", b[j].fd, what);
		else
			note(O_FD_LEAK, "fd %d left open: %s", b[j].fd, what);
	}
}

/* ---- traffic ---- */

static void fill_ring(struct sock *s)
{
	__u32 idx, i;

	if (xsk_ring_prod__reserve(s->fillp, FRAMES_PER_PORT, &idx) != FRAMES_PER_PORT)
		return;
	for (i = 0; i < FRAMES_PER_PORT; i++)
		*xsk_ring_prod__fill_addr(s->fillp, idx++) = s->first_addr + (__u64)i * FRAME_SIZE;
	xsk_ring_prod__submit(s->fillp, FRAMES_PER_PORT);
}

static void drain(void)
{
	unsigned int i, n, k;
	__u32 idx = 0;

	for (i = 0; i < nsocks; i++) {
		struct sock *s = &socks[i];
		struct test_frame f;

		n = xsk_ring_cons__peek(&s->rx, 64, &idx);
		for (k = 0; k < n; k++) {
			const struct xdp_desc *desc = xsk_ring_cons__rx_desc(&s->rx, idx + k);

			if (frame_parse(xsk_umem__get_data(umem_area, desc->addr), desc->len, &f) &&
			    f.tag == (s->dev == OUTER ? 'O' : 'I'))
				devs[s->dev].received++;
		}
		if (n)
			xsk_ring_cons__release(&s->rx, n);
	}
}

static void traffic(void)
{
	struct timespec t0, t;
	unsigned int i, d;
	int n;

	for (i = 0; i < nsocks; i++)
		if (socks[i].fillp == &socks[i].fill)
			fill_ring(&socks[i]);
	/* Into outer from its peer inner (in inner's namespace), and back. */
	devs[OUTER].sender = packet_sender_open(devs[INNER].ns, devs[INNER].name);
	devs[INNER].sender = packet_sender_open(NULL, devs[OUTER].name);
	for (d = 0; d < NUM_DEVS; d++) {
		if (devs[d].sender < 0) {
			errno = -devs[d].sender;
			die("AF_PACKET sender");
		}
		n = packet_send_burst(devs[d].sender, d == OUTER ? 'O' : 'I', 0, PACKETS);
		if (n != PACKETS)
			fprintf(stderr, "note: sent %d of %d into %s\n", n, PACKETS, devs[d].name);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		drain();
		if (devs[OUTER].received >= PACKETS && devs[INNER].received >= PACKETS)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 1000)
			break;
		poll(NULL, 0, 1);
	}
	for (d = 0; d < NUM_DEVS; d++) {
		close(devs[d].sender);
		devs[d].sender = -1;
		if (devs[d].received < PACKETS)
			note(O_TRAFFIC, "%s received %u of %d packets", devs[d].name,
			     devs[d].received, PACKETS);
	}
}

/* ---- the scenario ---- */

static struct xsk_umem *umem;

static void add_sock(int dev, unsigned int queue)
{
	struct sock *s = &socks[nsocks];

	s->dev = dev;
	s->queue = queue;
	s->first_addr = (__u64)nsocks * FRAMES_PER_PORT * FRAME_SIZE;
	s->fillp = &s->fill;
	s->compp = &s->comp;
	nsocks++;
}

static char *label_of(char *buf, size_t size, const char *call, const struct sock *s,
		      const char *extra)
{
	snprintf(buf, size, "%s(%s q%u%s)", call, devs[s->dev].name, s->queue, extra);
	return buf;
}

static void create_sock(struct sock *s, int root_ns)
{
	struct xsk_socket_config cfg = {
		.rx_size = RING_SIZE,
		.tx_size = RING_SIZE,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct dev *d = &devs[s->dev];
	char label[96];
	struct stat ns_st;
	int err;

	if (d->ns)
		enter_ns(d->ns_fd);
	thread_ns(&ns_st);
	label_of(label, sizeof(label), "xsk_socket__create_shared", s, "");
	fault_arm(label);
	err = xsk_socket__create_shared(&s->xsk, d->name, s->queue, umem, &s->rx, NULL,
					s->fillp, s->compp, &cfg);
	fault_disarm();
	s->live = !err;
	if (err)
		s->xsk = NULL;
	after_call(label, d->ns ? d->ns_fd : root_ns, &ns_st, err);
	if (d->ns)
		enter_ns(root_ns);
}

static void delete_sock(struct sock *s, bool from_root, int root_ns)
{
	struct dev *d = &devs[s->dev];
	bool enter = d->ns && !from_root;
	char label[96];
	struct stat ns_st;

	if (!s->xsk)
		return;
	if (enter)
		enter_ns(d->ns_fd);
	thread_ns(&ns_st);
	label_of(label, sizeof(label), "xsk_socket__delete", s,
		 d->ns && from_root ? " from root" : "");
	s->live = false;
	fault_arm(label);
	xsk_socket__delete(s->xsk);
	after_call(label, enter ? d->ns_fd : root_ns, &ns_st, ERR_RV_NONE);
	s->xsk = NULL;
	if (enter)
		enter_ns(root_ns);
}

static int count_pins(int ifindex)
{
	char prefix[32];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	dir = opendir("/sys/fs/bpf/xdp");
	if (!dir)
		return 0;
	snprintf(prefix, sizeof(prefix), "dispatch-%d-", ifindex);
	while ((de = readdir(dir)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(dir);
	return n;
}

/* One scenario run in this process; returns the exit status (0: all checks hold). */
static int scenario(const char *fn, long nth)
{
	struct xsk_umem_config ucfg = {
		.fill_size = RING_SIZE,
		.comp_size = RING_SIZE,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	static struct fdent before[MAX_FDS], after[MAX_FDS];
	int nbefore, nafter, root_ns, pins, err;
	bool all_created = true;
	struct stat root_st;
	unsigned int i, d;
	__u32 id;

	fault_init();
	if (fn && fault_target(fn, nth, 0)) {
		fprintf(stderr, "unknown function %s\n", fn);
		exit(2);
	}
	for (i = 0; i < 3; i++)
		if (fstat(i, &std_st[i]))
			die("fstat of fd 0-2");
	sentinel_fd = memfd_create("fault-sentinel", MFD_CLOEXEC);
	if (sentinel_fd < 0 || fstat(sentinel_fd, &sentinel_st))
		die("memfd_create");
	root_ns = open_ns(NULL);
	thread_ns(&root_st);
	for (d = 0; d < NUM_DEVS; d++) {
		devs[d].ns_fd = devs[d].ns ? open_ns(devs[d].ns) : root_ns;
		if (devs[d].ns)
			enter_ns(devs[d].ns_fd);
		devs[d].ifindex = if_nametoindex(devs[d].name);
		if (!devs[d].ifindex)
			die(devs[d].name);
		if (devs[d].ns)
			enter_ns(root_ns);
	}
	add_sock(OUTER, 0);
	add_sock(OUTER, 1);
	if (!strcmp(variant, "shared")) {
		/* Same device and queue: the context, and its rings, are socket 0's. */
		add_sock(OUTER, 0);
		socks[nsocks - 1].fillp = &socks[0].fill;
		socks[nsocks - 1].compp = &socks[0].comp;
	}
	add_sock(INNER, 0);
	add_sock(INNER, 1);
	umem_size = (size_t)nsocks * FRAMES_PER_PORT * FRAME_SIZE;
	umem_area = mmap(NULL, umem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (umem_area == MAP_FAILED)
		die("mmap");
	for (d = 0; d < NUM_DEVS; d++) {
		if (dev_prog(&devs[d], root_ns)) {
			fprintf(stderr, "FATAL: %s has an XDP program before the scenario\n",
				devs[d].name);
			exit(2);
		}
	}
	pins = count_pins(devs[OUTER].ifindex);
	nbefore = fd_table(before, MAX_FDS);

	/* The UMEM's own rings serve its first socket, outer queue 0. */
	fault_arm("xsk_umem__create");
	err = xsk_umem__create(&umem, umem_area, umem_size, &socks[0].fill, &socks[0].comp,
			       &ucfg);
	after_call("xsk_umem__create", root_ns, &root_st, err);
	if (err) {
		umem = NULL;
		all_created = false;
	} else {
		for (i = 0; i < nsocks; i++)
			create_sock(&socks[i], root_ns);
	}
	for (i = 0; i < nsocks; i++)
		all_created &= socks[i].live;
	if (all_created)
		traffic();

	/* Inner first (from its namespace, or the root one in xdel), then outer. */
	for (i = 0; i < nsocks; i++)
		if (socks[i].dev == INNER)
			delete_sock(&socks[i], !strcmp(variant, "xdel"), root_ns);
	for (i = nsocks; i-- > 0;)
		if (socks[i].dev == OUTER)
			delete_sock(&socks[i], false, root_ns);
	if (umem) {
		fault_arm("xsk_umem__delete");
		err = xsk_umem__delete(umem);
		after_call("xsk_umem__delete", root_ns, &root_st, err);
		if (err)
			fprintf(stderr, "note: xsk_umem__delete: %s: the UMEM stays\n",
				strerror(-err));
	}
	fault_disarm();

	nafter = fd_table(after, MAX_FDS);
	compare_fd_tables(before, nbefore, after, nafter);
	for (d = 0; d < NUM_DEVS; d++) {
		id = dev_prog(&devs[d], root_ns);
		if (id) {
			char name[BPF_OBJ_NAME_LEN] = "";
			int ref = prog_refcnt(id, name, sizeof(name));

			note(O_XDP_LEFT, "%s%s%s keeps XDP program %u (%s, refcount %d)",
			     devs[d].name, devs[d].ns ? " in " : "", devs[d].ns ? devs[d].ns : "",
			     id, name, ref);
		}
	}
	if (count_pins(devs[OUTER].ifindex) != pins)
		note(O_BPF_LEAK, "dispatcher pins of ifindex %d changed", devs[OUTER].ifindex);

	/* On a line of its own, whatever libxdp printed last. */
	fflush(stderr);
	printf("\nCHECK reached=%d flags=", fault_injected());
	for (i = 0; i < O_NUM; i++)
		if (flags & (1u << i))
			printf("%s%s", flags & ((1u << i) - 1) ? "," : "", outcome_names[i]);
	printf(" where=\"%s\" detail=\"%s\"\n", fault_where(), detail);
	printf("COUNTS ");
	fault_print_counts(stdout);
	fflush(stdout);
	return flags ? 1 : 0;
}

/* ---- the sweep: one child per injection ---- */

#ifndef __SANITIZE_ADDRESS__
/* Without ASan (which reports these itself) a crash prints its stack. */
static void crash_handler(int sig)
{
	static const char head[] = "CRASH-STACK-BEGIN\n", tail[] = "CRASH-STACK-END\n";
	void *frames[32];
	int depth = backtrace(frames, 32);
	ssize_t r;

	r = write(STDERR_FILENO, head, sizeof(head) - 1);
	backtrace_symbols_fd(frames, depth, STDERR_FILENO);
	r = write(STDERR_FILENO, tail, sizeof(tail) - 1);
	(void)r;
	signal(sig, SIG_DFL);
	raise(sig);
}
#endif

static void on_crash_print_stack(void)
{
#ifndef __SANITIZE_ADDRESS__
	signal(SIGSEGV, crash_handler);
	signal(SIGBUS, crash_handler);
	signal(SIGABRT, crash_handler);
	signal(SIGFPE, crash_handler);
	signal(SIGALRM, crash_handler);
#endif
}

static void detach_all(void)
{
	int root_ns = open_ns(NULL);
	unsigned int d;

	int fd;

	for (d = 0; d < NUM_DEVS; d++) {
		fd = devs[d].ns ? open_ns(devs[d].ns) : -1;
		if (fd >= 0)
			enter_ns(fd);
		bpf_xdp_detach(if_nametoindex(devs[d].name), 0, NULL);
		if (fd >= 0) {
			enter_ns(root_ns);
			close(fd);
		}
	}
	close(root_ns);
}

struct result {
	int outcome;		/* -1: ok */
	bool reached;
	bool ebusy;
	char flags[160];
	char where[256];
	char status[32];
};

static void parse_log(const char *path, struct result *r)
{
	char line[2048], *p, *q;
	bool check = false, san = false;
	FILE *f = fopen(path, "r");
	int i;

	r->flags[0] = r->where[0] = 0;
	r->reached = r->ebusy = false;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "ERROR: LeakSanitizer") ||
		    strstr(line, "runtime error:"))
			san = true;
		if (strstr(line, "EBUSY-NOT-INJECTED"))
			r->ebusy = true;
		if ((p = strstr(line, "FAULT-INJECTED "))) {
			r->reached = true;
			p = strchr(p, ':');
			if (p) {
				snprintf(r->where, sizeof(r->where), "%s", p + 2);
				r->where[strcspn(r->where, "\n")] = 0;
			}
		}
		if (strstr(line, "CHECK reached=")) {
			check = true;
			p = strstr(line, "flags=");
			q = p ? strchr(p, ' ') : NULL;
			if (p && q)
				snprintf(r->flags, sizeof(r->flags), "%.*s", (int)(q - p - 6), p + 6);
		}
	}
	fclose(f);
	r->outcome = -1;
	if (san)
		r->outcome = O_SANITIZER;
	else if (!check)
		r->outcome = O_CRASH;
	else
		for (i = 0; i < O_NUM && r->outcome < 0; i++)
			if (strstr(r->flags, outcome_names[i]))
				r->outcome = i;
	if (san && check && !strstr(r->flags, "sanitizer")) {
		size_t l = strlen(r->flags);

		snprintf(r->flags + l, sizeof(r->flags) - l, "%ssanitizer", l ? "," : "");
	}
}

static void run_child(const char *fn, long nth, const char *log, struct result *r)
{
	int status, fd;
	pid_t pid;

	detach_all();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			_exit(2);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		close(fd);
		setvbuf(stdout, NULL, _IOLBF, 0);
		on_crash_print_stack();
		alarm(30);
		/* exit(), not _exit(): LeakSanitizer checks at exit. */
		exit(scenario(fn, nth));
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (WIFSIGNALED(status))
		snprintf(r->status, sizeof(r->status), "signal %s", sigabbrev_np(WTERMSIG(status)));
	else
		snprintf(r->status, sizeof(r->status), "exit %d", WEXITSTATUS(status));
	parse_log(log, r);
	if (WIFSIGNALED(status) && r->outcome != O_SANITIZER)
		r->outcome = O_CRASH;
	detach_all();
}

static int sweep(const char *fn, long maxn, const char *logdir, const char *tag)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char log[512];
	struct result r;
	long n;
	int tries;

	for (n = fn ? 1 : 0; n <= maxn; n++) {
		snprintf(log, sizeof(log), "%s/%s-%s-%s-%ld.log", logdir, tag, variant,
			 fn ? fn : "none", n);
		for (tries = 0; tries < 10; tries++) {
			run_child(fn, n, log, &r);
			if (!r.ebusy)
				break;
			nanosleep(&pause, NULL);
		}
		if (fn && !r.reached) {
			unlink(log);
			break;
		}
		printf("RESULT %s %s %s %ld %s flags=%s status=\"%s\" where=\"%s\" log=%s%s\n",
		       tag, variant, fn ? fn : "none", n,
		       r.outcome < 0 ? "ok" : outcome_names[r.outcome], r.flags[0] ? r.flags : "-",
		       r.status, r.where, log, r.ebusy ? " ebusy" : "");
		fflush(stdout);
		if (r.outcome < 0)
			unlink(log);
		if (!fn)
			break;
	}
	return 0;
}

/* ---- rows without injection ---- */

static int umem_for(struct xsk_umem **u, struct xsk_ring_prod *fill, struct xsk_ring_cons *comp,
		    unsigned int frames)
{
	struct xsk_umem_config ucfg = {
		.fill_size = 64,
		.comp_size = 64,
		.frame_size = FRAME_SIZE,
	};

	umem_size = (size_t)frames * FRAME_SIZE;
	umem_area = mmap(NULL, umem_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (umem_area == MAP_FAILED)
		die("mmap");
	return xsk_umem__create(u, umem_area, umem_size, fill, comp, &ucfg);
}

/* One socket with xsk_socket__create() on DEV queue 0; EXPECT: the errno wanted (0: success, -1: any error). */
static int single_create(const char *dev, int expect, const char *what)
{
	static struct fdent before[MAX_FDS], after[MAX_FDS];
	struct xsk_socket_config cfg = {
		.rx_size = 64,
		.tx_size = 64,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	struct xsk_socket *xsk = NULL;
	struct xsk_umem *u = NULL;
	int nbefore, nafter, err, tries, ifindex = if_nametoindex(dev);
	__u32 id = 0, id0 = 0;

	bpf_xdp_query_id(ifindex, 0, &id0);
	nbefore = fd_table(before, MAX_FDS);
	err = umem_for(&u, &fill, &comp, 64);
	if (err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}
	/* The kernel frees a queue of a closed socket in deferred work: retry EBUSY. */
	for (tries = 0; tries < 200; tries++) {
		err = xsk_socket__create(&xsk, dev, 0, u, &rx, NULL, &cfg);
		if (err != -EBUSY)
			break;
		poll(NULL, 0, 5);
	}
	printf("%s: xsk_socket__create() = %d (%s)\n", what, err, err ? strerror(-err) : "ok");
	if (!err)
		xsk_socket__delete(xsk);
	err = err ? err : 0;
	if (xsk_umem__delete(u))
		note(O_FD_LEAK, "xsk_umem__delete failed: the UMEM is still referenced");
	nafter = fd_table(after, MAX_FDS);
	compare_fd_tables(before, nbefore, after, nafter);
	bpf_xdp_query_id(ifindex, 0, &id);
	if (id != id0)
		note(O_XDP_LEFT, "%s: XDP program %u, was %u", dev, id, id0);
	if (expect > 0 && err != -expect)
		note(O_BAD_RETURN, "expected -%s, got %d", strerrorname_np(expect), err);
	else if (expect == 0 && err)
		note(O_BAD_RETURN, "expected success, got %d", err);
	else if (expect < 0 && err >= 0)
		note(O_BAD_RETURN, "expected an error, got %d", err);
	printf("%s: %s\n", flags ? "FAIL" : "PASS", what);
	return flags ? 1 : 0;
}

static int foreign(const char *dev, const char *obj_path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int ifindex = if_nametoindex(dev), ret;

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "FATAL: cannot load %s\n", obj_path);
		return 2;
	}
	prog = bpf_object__find_program_by_name(obj, "xsk_def_prog");
	if (!prog || bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "FATAL: cannot attach xsk_def_prog to %s\n", dev);
		return 2;
	}
	printf("a foreign xsk_def_prog (no version) is attached to %s\n", dev);
	ret = single_create(dev, -1, "foreign xsk_def_prog on the device: an error, no crash");
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	bpf_object__close(obj);
	return ret;
}

/* COUNT namespaces PREFIX0.., each with DEV (2 queues, equal ifindex): 2*COUNT sockets. */
static int many(const char *dev, const char *prefix, unsigned int count)
{
	static struct fdent before[MAX_FDS], after[MAX_FDS];
	struct xsk_socket_config cfg = {
		.rx_size = 64,
		.tx_size = 64,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct {
		struct xsk_socket *xsk;
		struct xsk_ring_cons rx;
		struct xsk_ring_prod fill;
		struct xsk_ring_cons comp;
	} *s;
	int root_ns = open_ns(NULL), nbefore, nafter, err, fd, created = 0, left = 0;
	struct xsk_umem *u = NULL;
	struct rlimit rl;
	unsigned int i, q;
	char ns[64];
	__u32 id;

	s = calloc(count * 2, sizeof(*s));
	if (!s)
		die("calloc");
	getrlimit(RLIMIT_NOFILE, &rl);
	nbefore = fd_table(before, MAX_FDS);
	/* The UMEM is made in the first namespace: its first socket is there. */
	snprintf(ns, sizeof(ns), "%s0", prefix);
	fd = open_ns(ns);
	enter_ns(fd);
	err = umem_for(&u, &s[0].fill, &s[0].comp, 64);
	enter_ns(root_ns);
	close(fd);
	if (err) {
		fprintf(stderr, "FAIL: xsk_umem__create: %s\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < count; i++) {
		snprintf(ns, sizeof(ns), "%s%u", prefix, i);
		fd = open_ns(ns);
		enter_ns(fd);
		for (q = 0; q < 2; q++) {
			err = xsk_socket__create_shared(&s[2 * i + q].xsk, dev, q, u,
							&s[2 * i + q].rx, NULL, &s[2 * i + q].fill,
							&s[2 * i + q].comp, &cfg);
			if (err) {
				s[2 * i + q].xsk = NULL;
				if (created + 1 == (int)(2 * i + q + 1) || err != -EMFILE)
					fprintf(stderr, "socket %u (%s q%u): %s\n", 2 * i + q, ns, q,
						strerror(-err));
			} else {
				created++;
			}
		}
		enter_ns(root_ns);
		close(fd);
	}
	printf("%d namespaces x 2 queues, RLIMIT_NOFILE %lu: %d of %u sockets created, %d fds open\n",
	       count, (unsigned long)rl.rlim_cur, created, 2 * count, fd_table(after, MAX_FDS));
	for (i = 0; i < count; i++) {
		snprintf(ns, sizeof(ns), "%s%u", prefix, i);
		fd = open_ns(ns);
		enter_ns(fd);
		for (q = 0; q < 2; q++)
			xsk_socket__delete(s[2 * i + q].xsk);
		id = 0;
		bpf_xdp_query_id(if_nametoindex(dev), 0, &id);
		left += !!id;
		enter_ns(root_ns);
		close(fd);
	}
	err = xsk_umem__delete(u);
	if (err)
		note(O_FD_LEAK, "xsk_umem__delete: %s", strerror(-err));
	nafter = fd_table(after, MAX_FDS);
	compare_fd_tables(before, nbefore, after, nafter);
	if (left)
		note(O_XDP_LEFT, "%d devices keep an XDP program", left);
	if (created != (int)(2 * count))
		note(O_BAD_RETURN, "%d of %u sockets created", created, 2 * count);
	free(s);
	printf("%s: %u namespaces x 2 queues on one UMEM\n", flags ? "FAIL" : "PASS", count);
	return flags ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fault_scenario sweep|run -o OUTER -i INNER -n NS [-V base|xdel|shared] [-f FN] [-N N] [-m MAXN] [-L LOGDIR] [-t TAG]\n"
		"       fault_scenario objpath|foreign -o DEV [-p PROG.o]\n"
		"       fault_scenario many -d DEV -P NSPREFIX -k COUNT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *fn = NULL, *logdir = ".", *tag = "x", *obj = NULL, *dev = NULL;
	const char *prefix = NULL;
	long nth = 0, maxn = 2000;
	bool nth_set = false;
	unsigned int count = 80;
	int opt;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	devs[OUTER].sender = devs[INNER].sender = -1;
	while ((opt = getopt(argc, argv, "o:i:n:V:f:N:m:L:t:p:d:P:k:")) != -1) {
		switch (opt) {
		case 'o': devs[OUTER].name = optarg; break;
		case 'i': devs[INNER].name = optarg; break;
		case 'n': devs[INNER].ns = optarg; break;
		case 'V': variant = optarg; break;
		case 'f': fn = optarg; break;
		case 'N': nth = strtol(optarg, NULL, 0); nth_set = true; break;
		case 'm': maxn = strtol(optarg, NULL, 0); break;
		case 'L': logdir = optarg; break;
		case 't': tag = optarg; break;
		case 'p': obj = optarg; break;
		case 'd': dev = optarg; break;
		case 'P': prefix = optarg; break;
		case 'k': count = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(variant, "base") && strcmp(variant, "xdel") && strcmp(variant, "shared"))
		usage();
	/* -N ERRNO: the result wanted (default ENOENT; 0: success). */
	if (!strcmp(mode, "objpath") && devs[OUTER].name)
		return single_create(devs[OUTER].name, nth_set ? (int)nth : ENOENT,
				     "LIBXDP_OBJECT_PATH=/nonexistent");
	if (!strcmp(mode, "foreign") && devs[OUTER].name && obj)
		return foreign(devs[OUTER].name, obj);
	if (!strcmp(mode, "many") && dev && prefix)
		return many(dev, prefix, count);
	if (!devs[OUTER].name || !devs[INNER].name || !devs[INNER].ns)
		usage();
	if (!strcmp(mode, "run"))
		return scenario(fn, nth);
	if (!strcmp(mode, "sweep"))
		return sweep(fn, maxn, logdir, tag);
	usage();
	return 2;
}
