#!/usr/bin/env bash
# The seed scenario as a demo: build the topology, run the C seed program verbosely, tear down.
#
#   T=DIR LIBXDP_OUT=DIR [SEED_COUNT=1000] [SEED_QUEUES=2] demo.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${T:?T (test binary directory) must be set}"
: "${LIBXDP_OUT:?LIBXDP_OUT (library under test) must be set}"
count=${SEED_COUNT:-1000}
queues=${SEED_QUEUES:-2}
id=demo$$
id=${id:0:10}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the demo needs root (namespaces, veths, XDP)"
	exit 77
fi
trap '"$here/topology.sh" down "$id"' EXIT
eval "$("$here/topology.sh" up "$id" "$queues")"

cat <<TXT
== xdp-netns demo: one AF_XDP UMEM serving two devices with the same ifindex in two namespaces ==
A veth pair: $OUTER_DEV in the root namespace and its peer $INNER_DEV in namespace $INNER_NS,
both with ifindex $IFINDEX and $QUEUES queues. The program creates one UMEM in the root namespace
and one AF_XDP socket per (device, queue) on it ($OUTER_DEV's from the root namespace, $INNER_DEV's
from inside $INNER_NS), each with its own fill/completion rings; libxdp loads its default XDP
program on both devices. Then $count frames go into each device (sent on its peer with AF_PACKET)
and are counted on the sockets' RX rings. Each frame names the device it is meant for, so a frame
showing up on the other device's sockets would be caught.
Library: $LIBXDP_OUT/lib/libxdp.so.1 (libxdp's warnings about the dispatcher, if any, are hidden:
without kernel BTF it loads the single default program instead).

TXT
rc=0
env LD_LIBRARY_PATH="$LIBXDP_OUT/lib" LIBXDP_OBJECT_PATH="$LIBXDP_OUT/lib/bpf" \
	"$T/seed_netns-shared" -v -o "$OUTER_DEV" -i "$INNER_DEV" -n "$INNER_NS" -q "$queues" \
	-c "$count" 2> >(grep -v -e '^libbpf: ' -e '^libxdp: ' >&2) || rc=$?
cat <<TXT

"sent" counts frames sent into a device, "received" those read from its sockets, "per queue" how
they spread over the RX queues (AF_PACKET picks the TX queue from the sending CPU here). The
sockets were deleted from the namespaces they were created in, then the UMEM; the topology is
removed on exit.
TXT
exit $rc
