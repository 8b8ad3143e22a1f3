// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * When libxdp cannot set up its default XDP program, socket creation must
 * fail with an errno, and nothing may be left behind or closed that libxdp
 * did not open. And a process with the default fd limit must be able to
 * serve as many namespaces as before.
 *
 *   regress_setup_errors missing-objects DEV
 *	run against libxdp.so.1 with LIBXDP_OBJECT_PATH at objects named as
 *	libxdp's default ones that hold no program (no_programs.bpf.o): the
 *	default program cannot be found.
 *   regress_setup_errors foreign-prog DEV OBJ
 *	a program named xsk_def_prog from OBJ, not libxdp's, runs on DEV.
 *	DEV needs 2 queues. In both: xsk_socket__create() on queue 0 fails
 *	with -ENOENT; a socket on queue 1 made with
 *	XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, then a default one on its queue
 *	(which fails), then deleting the first, crashes nothing and closes no
 *	fd of ours; xsk_setup_xdp_prog() fails with -ENOENT; the fds, BPF
 *	maps and programs and DEV's XDP program are as before.
 *   regress_setup_errors unheld-prog DEV
 *	a child process leaves DEV's default program attached with no
 *	reference, as a last socket whose detach failed does, and exits
 *	without deleting its socket; then a socket on DEV is created and
 *	deleted, and DEV runs no program after.
 *   regress_setup_errors killed-holder DEV
 *	a child process holds a socket on DEV queue 0. While it lives, a
 *	socket on queue 1 is created and deleted: DEV keeps its program, with
 *	the child's reference. Then the child is killed (SIGKILL), and a
 *	socket on queue 0 is created and deleted: DEV runs no program after.
 *	DEV needs 2 queues.
 *   regress_setup_errors many-netns OUTER NS_PREFIX COUNT DEV
 *	under RLIMIT_NOFILE=1024: one UMEM, its first socket on OUTER (this
 *	namespace), then sockets on queues 0 and 1 of DEV in each of the
 *	namespaces NS_PREFIX1 .. NS_PREFIXCOUNT; all are created, deleted
 *	from their own namespaces, and nothing is left.
 *
 * Exit status: 0 pass, 1 fail, 2 usage, 77 skipped (not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/xsk.h>

#include "testlib.h"
#include "xsktest.h"

#define FRAMES 4096
#define MANY_NOFILE 1024

static int failures;

static void fail(const char *fmt, const char *arg, int err)
{
	fprintf(stderr, "FAIL: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s\n", err ? strerror(-err) : "succeeded");
	failures++;
}

static struct xsk_umem *umem_create(void *area, struct xt_port *owner)
{
	struct xsk_umem *umem;
	int err = xsk_umem__create(&umem, area, (__u64)FRAMES * XT_FRAME_SIZE, &owner->fill,
				   &owner->comp, NULL);

	if (err) {
		fail("xsk_umem__create%s", "", err);
		return NULL;
	}
	return umem;
}

/* A sentinel: an fd of ours whose identity must not change under libxdp. */
struct sentinel {
	int fd;
	struct stat st;
};

static bool sentinel_intact(const struct sentinel *s)
{
	struct stat now;

	return !fstat(s->fd, &now) && now.st_dev == s->st.st_dev && now.st_ino == s->st.st_ino;
}

static int setup_errors(const char *dev)
{
	struct xsk_socket_config inhibit = {
		.rx_size = XT_RING_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = XDP_FLAGS_DRV_MODE,
		.bind_flags = XDP_COPY,
	};
	struct sentinel stdin_fd = { .fd = 0 }, pipe_fd;
	struct xt_port a = {}, b = {};
	struct xsk_umem *umem;
	int pipefd[2], err, map_fd = -1;
	void *area;

	area = xt_umem_area(FRAMES);
	if (!area || pipe(pipefd) || fstat(0, &stdin_fd.st))
		return -1;
	pipe_fd.fd = pipefd[0];
	fstat(pipe_fd.fd, &pipe_fd.st);

	umem = umem_create(area, &a);
	if (!umem)
		return -1;
	err = xt_socket_create(NULL, dev, 0, umem, &a, true, false);
	if (err != -ENOENT)
		fail("xsk_socket__create(%s queue 0) without the default program, want -ENOENT",
		     dev, err);
	if (!err)
		xt_socket_delete(NULL, &a);
	/* Before 0016 the failed socket, the UMEM's first, stays bound (an
	 * AF_XDP socket cannot be unbound), and the kernel frees the queue
	 * in deferred work after the UMEM is gone; so that this test holds
	 * at every patch of the series, go on with another UMEM on another
	 * queue (regress_umem_owner "again" retries the same one).
	 */
	err = xsk_umem__delete(umem);
	if (err)
		fail("xsk_umem__delete%s", "", err);

	/* A socket that needs no program, and one on its queue that does. */
	umem = umem_create(area, &a);
	if (!umem)
		return -1;
	err = xsk_socket__create_shared(&a.xsk, dev, 1, umem, &a.rx, NULL, &a.fill, &a.comp,
					&inhibit);
	if (err) {
		fail("xsk_socket__create(%s queue 1, INHIBIT_PROG_LOAD)", dev, err);
	} else {
		b.fill = a.fill;
		b.comp = a.comp;
		err = xt_socket_create(NULL, dev, 1, umem, &b, true, false);
		if (err != -ENOENT)
			fail("a second socket on %s queue 1 without the default program, want -ENOENT",
			     dev, err);
		if (!err)
			xt_socket_delete(NULL, &b);
		xsk_socket__delete(a.xsk);
	}
	err = xsk_umem__delete(umem);
	if (err)
		fail("xsk_umem__delete%s", "", err);

	err = xsk_setup_xdp_prog(if_nametoindex(dev), &map_fd);
	if (err != -ENOENT)
		fail("xsk_setup_xdp_prog(%s), want -ENOENT", dev, err);
	if (!err)
		close(map_fd);

	if (!sentinel_intact(&stdin_fd) || !sentinel_intact(&pipe_fd))
		fail("libxdp closed an fd it did not open%s", "", 0);
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(area, (size_t)FRAMES * XT_FRAME_SIZE);
	return 0;
}

/* The child's half of unheld_prog(): exits without deleting its socket. */
static void leave_unheld_prog(const char *dev)
{
	struct xt_port port = {};
	struct xsk_umem *umem;
	void *area = xt_umem_area(FRAMES);
	int err;

	umem = area ? umem_create(area, &port) : NULL;
	if (!umem)
		_exit(1);
	err = xt_socket_create(NULL, dev, 0, umem, &port, true, false);
	if (err) {
		fail("xsk_socket__create(%s queue 0)", dev, err);
		_exit(1);
	}
	err = xt_set_def_prog_refcnt(NULL, dev, 0);
	if (err) {
		fail("setting the refcount of %s's program to 0", dev, err);
		_exit(1);
	}
	_exit(0);
}

static int unheld_prog(const char *dev)
{
	struct xt_port port = {};
	struct xsk_umem *umem;
	int status, err;
	void *area;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		leave_unheld_prog(dev);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	if (xt_xdp_prog_id(NULL, dev) <= 0) {
		fail("no program left on %s to start from", dev, 0);
		return -1;
	}
	printf("%s keeps program %ld with refcount 0\n", dev, xt_xdp_prog_id(NULL, dev));

	area = xt_umem_area(FRAMES);
	umem = area ? umem_create(area, &port) : NULL;
	if (!umem)
		return -1;
	err = xt_socket_create(NULL, dev, 0, umem, &port, true, false);
	if (err)
		fail("xsk_socket__create(%s queue 0) over an unused program", dev, err);
	else
		xt_socket_delete(NULL, &port);
	err = xsk_umem__delete(umem);
	if (err)
		fail("xsk_umem__delete%s", "", err);
	munmap(area, (size_t)FRAMES * XT_FRAME_SIZE);
	return 0;
}

/* Create a socket on DEV QUEUE with a UMEM of its own, and delete both. */
static int socket_cycle(const char *dev, __u32 queue)
{
	struct xt_port port = {};
	struct xsk_umem *umem;
	void *area;
	int err;

	area = xt_umem_area(FRAMES);
	umem = area ? umem_create(area, &port) : NULL;
	if (!umem)
		return -1;
	err = xt_socket_create(NULL, dev, queue, umem, &port, true, false);
	if (err)
		fail("xsk_socket__create(%s) beside the holder, or after it", dev, err);
	else
		xt_socket_delete(NULL, &port);
	if (xsk_umem__delete(umem))
		fail("xsk_umem__delete%s", "", 0);
	munmap(area, (size_t)FRAMES * XT_FRAME_SIZE);
	return err;
}

static int killed_holder(const char *dev)
{
	struct xt_port port = {};
	struct xsk_umem *umem;
	int ready[2], status, ref;
	void *area;
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		area = xt_umem_area(FRAMES);
		umem = area ? umem_create(area, &port) : NULL;
		c = umem && !xt_socket_create(NULL, dev, 0, umem, &port, true, false) ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1 || c != 'y') {
		fail("the holding process could not create its socket on %s", dev, 0);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}

	/* While the holder lives, its reference stays. */
	socket_cycle(dev, 1);
	ref = xt_def_prog_refcnt(NULL, dev);
	if (xt_xdp_prog_id(NULL, dev) <= 0 || ref != 1)
		fail("%s lost its program, or its refcount is not 1, while a socket holds it", dev, 0);
	printf("holder alive: %s keeps program %ld, refcount %d\n", dev, xt_xdp_prog_id(NULL, dev),
	       ref);

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	printf("holder killed: %s keeps program %ld, refcount %d\n", dev, xt_xdp_prog_id(NULL, dev),
	       xt_def_prog_refcnt(NULL, dev));

	/* The next process's last socket takes the program with it. */
	socket_cycle(dev, 0);
	close(ready[0]);
	return 0;
}

static int many_netns(const char *outer, const char *prefix, unsigned int count, const char *dev)
{
	struct rlimit nofile = { MANY_NOFILE, MANY_NOFILE };
	struct xt_port owner = {}, *ports;
	struct xsk_umem *umem;
	unsigned int k, q, made = 0;
	char ns[64];
	void *area;
	int err;

	if (setrlimit(RLIMIT_NOFILE, &nofile))
		return -1;
	ports = calloc(2 * count, sizeof(*ports));
	area = xt_umem_area(FRAMES);
	if (!ports || !area)
		return -1;
	umem = umem_create(area, &owner);
	if (!umem)
		return -1;
	err = xt_socket_create(NULL, outer, 0, umem, &owner, true, false);
	if (err) {
		fail("xsk_socket__create(%s queue 0)", outer, err);
		return -1;
	}
	for (k = 0; k < count && !failures; k++) {
		snprintf(ns, sizeof(ns), "%s%u", prefix, k + 1);
		for (q = 0; q < 2 && !failures; q++) {
			err = xt_socket_create(ns, dev, q, umem, &ports[2 * k + q], true, false);
			if (err)
				fail("xsk_socket__create in namespace %s", ns, err);
			else
				made++;
		}
	}
	printf("%u of %u sockets in %u namespaces (RLIMIT_NOFILE %d, %d fds open)\n", made,
	       2 * count, count, MANY_NOFILE, xt_count_fds());
	for (k = 0; k < count; k++) {
		snprintf(ns, sizeof(ns), "%s%u", prefix, k + 1);
		for (q = 0; q < 2; q++)
			if (ports[2 * k + q].xsk)
				xt_socket_delete(ns, &ports[2 * k + q]);
		if (xt_xdp_prog_id(ns, dev))
			fail("an XDP program is left on %s", ns, 0);
	}
	xt_socket_delete(NULL, &owner);
	err = xsk_umem__delete(umem);
	if (err)
		fail("xsk_umem__delete%s", "", err);
	free(ports);
	munmap(area, (size_t)FRAMES * XT_FRAME_SIZE);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct bpf_object *foreign = NULL;
	struct xt_counts start, end;
	__u32 foreign_id = 0;
	const char *dev;
	long id;

	if (!((!strcmp(mode, "missing-objects") && argc == 3) ||
	      (!strcmp(mode, "foreign-prog") && argc == 4) ||
	      (!strcmp(mode, "unheld-prog") && argc == 3) ||
	      (!strcmp(mode, "killed-holder") && argc == 3) ||
	      (!strcmp(mode, "many-netns") && argc == 6))) {
		fprintf(stderr, "usage: %s missing-objects DEV\n"
				"       %s foreign-prog DEV OBJ\n"
				"       %s unheld-prog DEV\n"
				"       %s killed-holder DEV\n"
				"       %s many-netns OUTER NS_PREFIX COUNT DEV\n",
			argv[0], argv[0], argv[0], argv[0], argv[0]);
		return 2;
	}
	if (!is_root()) {
		printf("SKIP: needs root\n");
		return TEST_SKIP;
	}
	dev = argv[2];
	xt_capture_libxdp_warnings();
	if (!strcmp(mode, "foreign-prog")) {
		foreign_id = xt_attach_xdp_obj(dev, argv[3], "xsk_def_prog", &foreign);
		if (!foreign_id) {
			fail("attaching the foreign xsk_def_prog to %s", dev, 0);
			return 1;
		}
	}
	xt_take_counts(&start);

	if (!strcmp(mode, "many-netns")) {
		if (many_netns(argv[2], argv[3], strtoul(argv[4], NULL, 0), argv[5]))
			failures++;
	} else if (!strcmp(mode, "unheld-prog")) {
		if (unheld_prog(dev))
			failures++;
	} else if (!strcmp(mode, "killed-holder")) {
		if (killed_holder(dev))
			failures++;
	} else if (setup_errors(dev)) {
		failures++;
	}

	xt_settle_counts(&start, &end);
	printf("open fds %d -> %d, BPF maps %d -> %d, BPF programs %d -> %d\n", start.fds,
	       end.fds, start.maps, end.maps, start.progs, end.progs);
	if (end.fds != start.fds || end.maps > start.maps || end.progs > start.progs)
		fail("resources leaked%s", "", 0);
	id = xt_xdp_prog_id(NULL, dev);
	if (id != foreign_id)
		fail("%s: the XDP program is not the one it had before", dev, 0);
	if (foreign_id) {
		bpf_xdp_detach(if_nametoindex(dev), XDP_FLAGS_DRV_MODE, NULL);
		bpf_object__close(foreign);
	}
	if (failures)
		return 1;
	printf("PASS\n");
	return 0;
}
