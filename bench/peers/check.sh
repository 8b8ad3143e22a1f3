#!/usr/bin/env bash
# Check the peer forwarders (bench/peers): each forwards COUNT frames (default 100000) at RATE
# frames per second (default 250000) from a generator through the forwarder topology
# (tests/topology.sh, TOPOLOGY_FORWARD=1) into an XDP_DROP sink that counts them. Fails unless
# the generator sent COUNT, the forwarder says it forwarded COUNT and the sink counted COUNT,
# the forwarder exits 0 on SIGINT and leaves no XDP program on the ingress device, and the
# topology goes without leaving a namespace behind.
#
# A busy machine can keep the forwarder off the CPU long enough for its RX ring to overflow
# (4096 frames: 16 ms at 250 kpps); the kernel then drops at ingress and counts it. A run that
# lost frames, all of them counted so by the forwarder's `kernel: ingress rx_dropped A
# rx_ring_full B` line, is repeated, up to TRIES runs in all (default 3); a frame lost without
# such a count, or after the forwarder (forwarded != counted), fails at once.
#
#   bench/peers/check.sh [BIN...]   default: both peers (target/release/{xskrs,xdpilone}-forward)
#
# Builds what it runs (make lib, bench/forward, the txonly example, bench/peers). Needs root.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
count=${COUNT:-100000}
rate=${RATE:-250000}
tries=${TRIES:-3}
cargo=${CARGO:-cargo}

if [ "$(id -u)" != 0 ]; then
	echo "peers check: needs root (network namespaces, veths, XDP)" >&2
	exit 1
fi

work=$(mktemp -d)
id=pc$$
id=${id:0:10}
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$top/tests/topology.sh" down "$id" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== building"
make -C "$top" --no-print-directory lib >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
make -C "$top/bench/forward" --no-print-directory BUILD="$top/build" >>"$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; exit 1; }
(cd "$top" && $cargo build --release --quiet -p libxdp-rs --example txonly)
(cd "$here" && $cargo build --release --quiet --locked)
target=$(cd "$top" && $cargo metadata --format-version 1 --no-deps 2>/dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
txonly=${target:-$top/target}/release/examples/txonly
sink_bin=$top/build/bench/forward/xdp_count_drop
peers_target=$(cd "$here" && $cargo metadata --format-version 1 --no-deps 2>/dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
peers_target=${peers_target:-$here/target}

bins=("$@")
[ "${#bins[@]}" -gt 0 ] ||
	bins=("$peers_target/release/xskrs-forward" "$peers_target/release/xdpilone-forward")

# Wait until the program writing file $1 (pid $2) prints its "ready" line, or fail.
wait_ready() {
	local out=$1 pid=$2
	for _ in $(seq 300); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "peers check: $(basename "$out") did not start:" >&2
	cat "$out" "$out.err" >&2 || true
	return 1
}

# Stop pid $1 (output in file $2) with SIGINT; fail unless it exits 0 within 10 s.
stop() {
	local pid=$1 out=$2 rc=0
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "peers check: $(basename "$out") did not stop on SIGINT" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "peers check: $(basename "$out") exited with $rc:" >&2
		cat "$out" "$out.err" >&2 || true
		return 1
	fi
}

# One run of forwarder $1 (named $2): prints a line of counts; returns 0 when every frame
# arrived, 2 when the lost ones were all dropped at ingress by the kernel (a CPU-starved
# forwarder: worth another try), 1 otherwise.
run_once() {
	local bin=$1 name=$2 sink fwd sent forwarded counted leftover namespaces dropped full
	eval "$(TOPOLOGY_FORWARD=1 "$top/tests/topology.sh" up "$id" 1)"
	"$sink_bin" --dev "$SINK_DEV" --netns "$SINK_NS" >"$work/sink" 2>"$work/sink.err" &
	sink=$!
	pids=("$sink")
	wait_ready "$work/sink" "$sink"
	"$bin" --ingress "$OUTER_DEV" --egress "$INNER_DEV" --egress-netns "$INNER_NS" --queues 1 \
		--quiet >"$work/fwd" 2>"$work/fwd.err" &
	fwd=$!
	pids+=("$fwd")
	wait_ready "$work/fwd" "$fwd"
	"$txonly" --dev "$SRC_DEV" --netns "$SRC_NS" --count "$count" --rate "$rate" >"$work/gen" 2>&1
	sleep 0.3
	stop "$fwd" "$work/fwd"
	stop "$sink" "$work/sink"
	pids=()
	sent=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' "$work/gen" | tail -1)
	forwarded=$(sed -n 's/^forwarded \([0-9]*\) frames.*/\1/p' "$work/fwd" | tail -1)
	counted=$(sed -n 's/^counted \([0-9]*\) packets.*/\1/p' "$work/sink" | tail -1)
	dropped=$(sed -n 's/^kernel: ingress rx_dropped \([0-9]*\) .*/\1/p' "$work/fwd" | tail -1)
	full=$(sed -n 's/^kernel: .* rx_ring_full \([0-9]*\) .*/\1/p' "$work/fwd" | tail -1)
	leftover=$(ip link show dev "$OUTER_DEV" | grep -c 'prog/xdp' || true)
	"$top/tests/topology.sh" down "$id" >/dev/null
	namespaces=$(ip netns list | grep -c "^xnetns-$id-" || true)
	echo "$name: sent ${sent:-?}, forwarded ${forwarded:-?}, counted ${counted:-?}," \
		"dropped at ingress $((${dropped:-0} + ${full:-0})); XDP programs left on $OUTER_DEV:" \
		"$leftover; namespaces left: $namespaces"
	if [ "${sent:-}" != "$count" ] || [ -z "${forwarded:-}" ] || [ "${counted:-}" != "$forwarded" ] ||
		[ "$leftover" != 0 ] || [ "$namespaces" != 0 ]; then
		return 1
	fi
	[ "$forwarded" = "$count" ] && return 0
	[ $((forwarded + ${dropped:-0} + ${full:-0})) = "$count" ] && return 2
	return 1
}

failed=0
for bin in "${bins[@]}"; do
	name=$(basename "$bin")
	rc=2
	for try in $(seq "$tries"); do
		rc=0
		run_once "$bin" "$name" || rc=$?
		[ "$rc" = 2 ] || break
		echo "   ($name: frames dropped at ingress for want of CPU, try $try of $tries)"
	done
	if [ "$rc" != 0 ]; then
		echo "peers check: $name FAILED" >&2
		cat "$work/gen" "$work/fwd" "$work/fwd.err" "$work/sink" >&2
		failed=1
	fi
done
[ "$failed" = 0 ] && echo "peers check: all passed"
exit "$failed"
