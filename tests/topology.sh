#!/usr/bin/env bash
# The seed's topology, shared by the C and the Rust tests:
#   veth `outer` in the root namespace (or in a test namespace of its own) and its peer
#   `inner` in a test namespace, both created with the same ifindex, QUEUES queues each.
#
#   topology.sh up ID [QUEUES]   create it; prints KEY=VALUE lines (below) on stdout
#   topology.sh down ID          remove it (idempotent; safe after a failed `up`)
#
# ID keeps names apart so tests can run in parallel (at most 10 characters, [a-z0-9]).
# With TOPOLOGY_OUTER_NS=1 `outer` lives in a test namespace too, leaving the root one alone.
# Printed: OUTER_DEV OUTER_NS (empty: root) INNER_DEV INNER_NS IFINDEX QUEUES
#
# With TOPOLOGY_FORWARD=1 outer and inner are not each other's peers but ends of two pairs,
# for a forwarder between them: traffic source -> outer, inner -> traffic sink.
#   src  (namespace xnetns-ID-src)  <-> outer (root)
#   inner (xnetns-ID-in)            <-> sink (namespace xnetns-ID-dst)
# outer and inner still share one ifindex. Also printed: SRC_DEV SRC_NS SINK_DEV SINK_NS.
# Namespaces are files under /run/netns. Devices get no addresses and no IPv6, so the only
# packets on them are the ones a test sends.
set -euo pipefail

cmd=${1:-}
id=${2:-}
queues=${3:-2}
[[ $id =~ ^[a-z0-9]{1,10}$ ]] || { echo "usage: $0 up|down ID [QUEUES] (ID: 1-10 of [a-z0-9])" >&2; exit 2; }

outer_dev=xo$id
inner_dev=xi$id
inner_ns=xnetns-$id-in
src_dev=xs$id
src_ns=xnetns-$id-src
sink_dev=xd$id
sink_ns=xnetns-$id-dst
forward=${TOPOLOGY_FORWARD:-0}
outer_ns=
[ "${TOPOLOGY_OUTER_NS:-0}" = 1 ] && outer_ns=xnetns-$id-out

in_ns() { local ns=$1; shift; if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi; }

down() {
	ip netns del "$inner_ns" 2>/dev/null || true
	ip netns del "xnetns-$id-out" 2>/dev/null || true
	ip netns del "$src_ns" 2>/dev/null || true
	ip netns del "$sink_ns" 2>/dev/null || true
	ip link del "$outer_dev" 2>/dev/null || true
}

quiet_device() {
	local ns=$1 dev=$2
	in_ns "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
	# XDP on veth sees one frame per packet only without GRO/GSO/TSO aggregation.
	in_ns "$ns" ethtool -K "$dev" gro off gso off tso off >/dev/null 2>&1 || true
	in_ns "$ns" ip link set dev "$dev" up
}

up() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	down
	trap 'down' ERR
	ip netns add "$inner_ns"
	[ -z "$outer_ns" ] || ip netns add "$outer_ns"
	local used index
	used=" $(in_ns "$outer_ns" ip -o link show | cut -d: -f1 | tr '\n' ' ') "
	for _ in $(seq 100); do
		index=$((20000 + RANDOM % 40000))
		[[ $used == *" $index "* ]] || break
	done
	local qs=(numtxqueues "$queues" numrxqueues "$queues")
	if [ "$forward" = 1 ]; then
		ip netns add "$src_ns"
		ip netns add "$sink_ns"
		# outer and inner get the same ifindex: unique only inside a namespace.
		in_ns "$outer_ns" ip link add "$outer_dev" index "$index" "${qs[@]}" type veth \
			peer name "$src_dev" netns "$src_ns" "${qs[@]}"
		ip -n "$inner_ns" link add "$inner_dev" index "$index" "${qs[@]}" type veth \
			peer name "$sink_dev" netns "$sink_ns" "${qs[@]}"
		quiet_device "$src_ns" "$src_dev"
		quiet_device "$sink_ns" "$sink_dev"
	else
		# Both ends get the same ifindex: unique only inside a namespace.
		in_ns "$outer_ns" ip link add "$outer_dev" index "$index" "${qs[@]}" type veth \
			peer name "$inner_dev" netns "$inner_ns" index "$index" "${qs[@]}"
	fi
	quiet_device "$outer_ns" "$outer_dev"
	quiet_device "$inner_ns" "$inner_dev"
	trap - ERR
	printf 'OUTER_DEV=%s\nOUTER_NS=%s\nINNER_DEV=%s\nINNER_NS=%s\nIFINDEX=%s\nQUEUES=%s\n' \
		"$outer_dev" "$outer_ns" "$inner_dev" "$inner_ns" "$index" "$queues"
	[ "$forward" = 1 ] && printf 'SRC_DEV=%s\nSRC_NS=%s\nSINK_DEV=%s\nSINK_NS=%s\n' \
		"$src_dev" "$src_ns" "$sink_dev" "$sink_ns"
	return 0
}

case $cmd in
up) up ;;
down) down ;;
*) echo "usage: $0 up|down ID [QUEUES]" >&2; exit 2 ;;
esac
