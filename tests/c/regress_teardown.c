// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xsk_socket__delete() must release the default XDP program on the device
 * the socket was created on, whatever namespace the calling thread is in.
 *
 * Two devices with the same ifindex, outer in the root namespace and inner
 * in NS, one socket each on a shared UMEM. Round 1 deletes the inner socket
 * with the thread in the root namespace; round 2 reverses the roles and the
 * order: the UMEM and the first socket are inner's, and the outer socket is
 * deleted with the thread in NS. Each time the deleted socket's device must
 * have no program left, the other device must keep its program, and libxdp
 * must not warn. Round 2 uses queue 1, so it never waits for the kernel to
 * release round 1's queue.
 *
 *   regress_teardown OUTER INNER NS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xdp/xsk.h>

#include "testlib.h"
#include "xsktest.h"

#define FRAMES 4096

struct side {
	const char *dev;
	const char *ns; /* NULL: root */
	struct xt_port port;
};

static const char *label(const struct side *s)
{
	return s->ns ? s->ns : "the root namespace";
}

/*
 * first: the side whose namespace holds the UMEM and its first socket.
 * victim: the side whose socket is deleted from the other side's namespace.
 */
static int delete_across(struct side *first, struct side *second, struct side *victim, __u32 queue)
{
	struct side *other = victim == first ? second : first;
	struct xsk_umem *umem = NULL;
	struct ns_saved saved;
	long victim_prog, other_prog, after;
	unsigned int warned;
	void *area;
	int err, ret = -1;

	area = xt_umem_area(FRAMES);
	if (!area || ns_enter(first->ns, &saved))
		return -1;
	err = xsk_umem__create(&umem, area, (__u64)FRAMES * XT_FRAME_SIZE, &first->port.fill,
			       &first->port.comp, NULL);
	if (ns_return(&saved) || err) {
		fprintf(stderr, "FAIL: xsk_umem__create in %s: %s\n", label(first), strerror(-err));
		return -1;
	}
	err = xt_socket_create(first->ns, first->dev, queue, umem, &first->port, true, false);
	if (!err)
		err = xt_socket_create(second->ns, second->dev, queue, umem, &second->port, true,
				       false);
	if (err) {
		fprintf(stderr, "FAIL: creating the sockets: %s\n", strerror(-err));
		goto out;
	}

	victim_prog = xt_xdp_prog_id(victim->ns, victim->dev);
	other_prog = xt_xdp_prog_id(other->ns, other->dev);
	printf("queue %u: program %ld on %s (%s), %ld on %s (%s)\n", queue, victim_prog,
	       victim->dev, label(victim), other_prog, other->dev, label(other));
	if (victim_prog <= 0 || other_prog <= 0) {
		fprintf(stderr, "FAIL: libxdp attached no program\n");
		goto out;
	}

	/* Delete the victim's socket with the thread in the other side's namespace. */
	warned = xt_warnings();
	xt_socket_delete(other->ns, &victim->port);
	ret = 0;
	after = xt_xdp_prog_id(victim->ns, victim->dev);
	if (after) {
		fprintf(stderr, "FAIL: deleted %s's last socket from %s: program %ld still on %s\n",
			victim->dev, label(other), after, victim->dev);
		ret = -1;
	}
	after = xt_xdp_prog_id(other->ns, other->dev);
	if (after != other_prog) {
		fprintf(stderr, "FAIL: %s's program changed from %ld to %ld\n", other->dev,
			other_prog, after);
		ret = -1;
	}
	if (xt_warnings() != warned) {
		fprintf(stderr, "FAIL: libxdp warned while deleting the socket\n");
		ret = -1;
	}
	if (!ret)
		printf("PASS: deleted %s's socket from %s: %s has no program, %s keeps %ld\n",
		       victim->dev, label(other), victim->dev, other->dev, other_prog);
out:
	/* The rest is torn down from the namespaces the sockets were created in. */
	if (first->port.xsk)
		xt_socket_delete(first->ns, &first->port);
	if (second->port.xsk)
		xt_socket_delete(second->ns, &second->port);
	xsk_umem__delete(umem);
	return ret;
}

int main(int argc, char **argv)
{
	struct side outer = { .dev = argv[1] }, inner = { .dev = argv[2], .ns = argv[3] };
	int ret = test_start(argc, argv, 3, "OUTER INNER NS");

	if (ret)
		return ret;
	xt_capture_libxdp_warnings();

	ret = delete_across(&outer, &inner, &inner, 0);
	ret |= delete_across(&inner, &outer, &outer, 1);
	return ret ? 1 : 0;
}
