#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Reproduce the AF_XDP bugs this series fixes, one line per bug, with the test programs it
# adds to lib/libxdp/tests (built with the library: ./configure && make libxdp).
#
#   repro.sh [XDP_TOOLS_TREE]      (default: the current directory)
#
# Needs root and iproute2, nothing else. Everything happens in two network namespaces
# made for the purpose (xsk_repro_a, xsk_repro_b), which are removed afterwards; IPv6 is
# off on every device. Exit status: the number of bugs seen.
# On a tree without the fixes but with the test programs (the test commits applied alone),
# each line says BUG; with the series, each says fixed.
# shellcheck disable=SC2317 # the setup functions are called through case_
tests=${1:-.}/lib/libxdp/tests
A=xsk_repro_a
B=xsk_repro_b
bugs=0

if [ "$(id -u)" != 0 ]; then
	echo "repro.sh: run as root" >&2
	exit 126
fi
for prog in test_xsk_netns test_xsk_setup_xdp_prog; do
	[ -x "$tests/$prog" ] || { echo "repro.sh: no $tests/$prog: build the tree first" >&2; exit 126; }
done

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
no_ipv6() { # NETNS DEV
	ip netns exec "$1" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$2/disable_ipv6" 2>/dev/null
}
namespaces() {
	cleanup
	ip netns add "$A" && ip netns add "$B"
}
# xsk_outer in A and xsk_inner in B: a veth pair whose ends have the same ifindex.
veth_across() {
	namespaces &&
		ip -n "$A" link add xsk_outer index 4242 type veth peer name xsk_inner netns "$B" index 4242 &&
		no_ipv6 "$A" xsk_outer && no_ipv6 "$B" xsk_inner &&
		ip -n "$A" link set xsk_outer up && ip -n "$B" link set xsk_inner up
}
# The same names and ifindex, but two-queue devices without ETHTOOL_GCHANNELS: dummy, or
# ifb where the kernel has no dummy.
no_channels_dev() { # NETNS NAME
	ip -n "$1" link add "$2" index 4242 numrxqueues 2 numtxqueues 2 type dummy 2>/dev/null ||
		ip -n "$1" link add "$2" index 4242 numrxqueues 2 numtxqueues 2 type ifb
}
no_channels_across() {
	namespaces &&
		no_channels_dev "$A" xsk_outer && no_channels_dev "$B" xsk_inner &&
		no_ipv6 "$A" xsk_outer && no_ipv6 "$B" xsk_inner &&
		ip -n "$A" link set xsk_outer up && ip -n "$B" link set xsk_inner up
}
# xdp_veth0 and its peer in A; with two or three queues, or an MTU of 9000.
veth_in_a() { # [QUEUES [MTU]]
	namespaces &&
		ip -n "$A" link add xdp_veth0 numrxqueues "${1:-1}" mtu "${2:-1500}" type veth \
			peer name xdp_veth1 mtu "${2:-1500}" &&
		no_ipv6 "$A" xdp_veth0 && no_ipv6 "$A" xdp_veth1
}
veth_in_a_2q() { veth_in_a 2; }
veth_in_a_3q() { veth_in_a 3; }
veth_in_a_jumbo() { veth_in_a 1 9000; }

# case SETUP WHAT -- CMD...: CMD runs in namespace A; its exit status tells.
case_() {
	setup=$1 what=$2
	shift 3
	if ! $setup; then
		echo "SETUP FAILED  $what"
		bugs=$((bugs + 1))
	elif ip netns exec "$A" "$@" >/tmp/xsk_repro.log 2>&1; then
		echo "fixed         $what"
	elif [ $? = 249 ]; then
		echo "skipped       $what: $(tail -n 1 /tmp/xsk_repro.log)"
	else
		echo "BUG           $what: $(grep -m1 -E 'FAIL|ERROR' /tmp/xsk_repro.log ||
			tail -n 1 /tmp/xsk_repro.log)"
		bugs=$((bugs + 1))
	fi
	cleanup
}

case_ veth_across "deleting a socket from another namespace detaches its own device's program" \
	-- "$tests/test_xsk_netns" delete xsk_outer xsk_inner "$B"
case_ veth_across "a UMEM's first socket in another namespace: EXDEV, or the frames arrive" \
	-- "$tests/test_xsk_netns" umem-owner xsk_outer xsk_inner "$B"
case_ veth_across "shared UMEM on equal ifindexes in two namespaces without SO_NETNS_COOKIE" \
	-- "$tests/test_xsk_netns" no-cookie xsk_outer xsk_inner "$B"
case_ veth_in_a "xsk_setup_xdp_prog() leaks no fd (10 calls)" \
	-- "$tests/test_xsk_setup_xdp_prog" fd-leak xdp_veth0
case_ veth_in_a "a foreign xsk_def_prog on the device: an error, no crash" \
	-- "$tests/test_xsk_setup_xdp_prog" foreign-prog xdp_veth0 "$tests/xsk_def_prog_foreign.o"
case_ no_channels_across "queue 1 of a device without ETHTOOL_GCHANNELS in another namespace" \
	-- "$tests/test_xsk_netns" no-channels xsk_outer xsk_inner "$B"
case_ veth_in_a_2q "a UMEM's socket that fails in socket() gives its UMEM reference back" \
	-- "$tests/test_xsk_setup_xdp_prog" umem-ref xdp_veth0
case_ veth_in_a "two sockets on one queue: no double free, the program goes with the last" \
	-- "$tests/test_xsk_setup_xdp_prog" same-queue xdp_veth0
case_ veth_in_a_2q "a default program that nobody holds is replaced, not EBUSY" \
	-- "$tests/test_xsk_setup_xdp_prog" unheld-prog xdp_veth0
case_ veth_in_a "a UMEM's first socket works on its queue after a failed program setup" \
	-- "$tests/test_xsk_setup_xdp_prog" umem-first-again xdp_veth0 "$tests/xsk_def_prog_foreign.o"
case_ veth_in_a_3q "the program reference of a killed process is dropped by the next socket" \
	-- "$tests/test_xsk_setup_xdp_prog" killed-holder xdp_veth0
case_ veth_in_a_jumbo "an XDP_USE_SG socket on a 9000-byte MTU gets a frags-capable program" \
	-- "$tests/test_xsk_setup_xdp_prog" frags xdp_veth0
rm -f /tmp/xsk_repro.log
echo "$bugs bug(s) seen"
exit "$bugs"
