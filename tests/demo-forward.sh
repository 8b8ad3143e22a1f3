#!/usr/bin/env bash
# The README's forward demo: the seed's daemon in miniature, with the Rust examples.
#
#   txonly on src (ns src) -> outer (root ns) == forward ==> inner (ns in) -> sink (ns dst): rxdrop
#
# Builds the forward topology (topology.sh with TOPOLOGY_FORWARD=1: outer and inner share one
# ifindex), runs `forward` from outer to inner over one shared UMEM, sends COUNT frames from
# `txonly` into outer and verifies them with `rxdrop` on the far side, then prints
# "sent N, forwarded N, received N intact". The topology is removed on exit.
#
#   demo-forward.sh                 (root; knobs: COUNT=100000 RATE=300000 QUEUES=2 SIZE=64)
#   EXAMPLES=DIR demo-forward.sh    use prebuilt examples instead of building them
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
count=${COUNT:-100000}
rate=${RATE:-300000}
queues=${QUEUES:-2}
size=${SIZE:-64}
id=fwd$$
id=${id:0:10}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the forward demo needs root (namespaces, veths, XDP)"
	exit 77
fi

if [ -z "${EXAMPLES:-}" ]; then
	echo "== building the examples (cargo build --release --examples -p libxdp-rs)"
	(cd "$top" && cargo build --release --quiet --examples -p libxdp-rs)
	target=$(cd "$top" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
		sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
	EXAMPLES=${target:-$top/target}/release/examples
fi
for e in forward txonly rxdrop; do
	[ -x "$EXAMPLES/$e" ] || { echo "missing $EXAMPLES/$e" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$here/topology.sh" down "$id"
	rm -rf "$work"
}
trap cleanup EXIT
eval "$(TOPOLOGY_FORWARD=1 "$here/topology.sh" up "$id" "$queues")"

cat <<TXT
== xdp-netns forward demo: one shared UMEM, two devices with the same ifindex in two namespaces
  $SRC_DEV ($SRC_NS) -> $OUTER_DEV (root namespace, ifindex $IFINDEX)
     == forward: AF_XDP, one UMEM, frames move by descriptor, no copy ==>
  $INNER_DEV ($INNER_NS, ifindex $IFINDEX) -> $SINK_DEV ($SINK_NS)
$queues queues: txonly sends $count frames of $size bytes at up to $rate pps spread over them; every
frame carries its queue, a sequence number and a checksum, which rxdrop verifies.

TXT

# Wait until the program writing $1 prints its "ready" line (it has its sockets), or fail.
wait_ready() {
	local out=$1 pid=$2 name=$3
	for _ in $(seq 200); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "$name did not start:" >&2
	cat "$out" "$out.err" >&2 || true
	exit 1
}

"$EXAMPLES/rxdrop" --dev "$SINK_DEV" --netns "$SINK_NS" --queues "$queues" --expect "$count" \
	--timeout 60 --ring 16384 --quiet >"$work/rxdrop" 2>"$work/rxdrop.err" &
rx_pid=$!
pids+=("$rx_pid")
wait_ready "$work/rxdrop" "$rx_pid" rxdrop

"$EXAMPLES/forward" --ingress "$OUTER_DEV" --egress "$INNER_DEV" --egress-netns "$INNER_NS" \
	--queues "$queues" --count "$count" --duration 60 --ring 8192 \
	>"$work/forward" 2>"$work/forward.err" &
fwd_pid=$!
pids+=("$fwd_pid")
wait_ready "$work/forward" "$fwd_pid" forward

tx_rc=0
"$EXAMPLES/txonly" --dev "$SRC_DEV" --netns "$SRC_NS" --queues "$queues" --count "$count" \
	--rate "$rate" --size "$size" >"$work/txonly" 2>"$work/txonly.err" || tx_rc=$?

# forward stops once it has forwarded COUNT frames, rxdrop once all arrived; if frames were
# lost they would wait for their time limits, so give them a few seconds and then stop them.
finish() {
	local pid=$1
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill "$pid" 2>/dev/null || true
	local rc=0
	wait "$pid" || rc=$?
	return $rc
}
fwd_rc=0
finish "$fwd_pid" || fwd_rc=$?
rx_rc=0
finish "$rx_pid" || rx_rc=$?
pids=()

show() {
	echo "-- $1"
	grep -v -e '^ready' "$work/$1" | sed 's/^/   /'
	grep -v -e '^libbpf: ' -e '^libxdp: ' "$work/$1.err" | sed 's/^/   /' || true
}
show txonly
show forward
show rxdrop

num() { sed -n "s/^$2 \([0-9]*\).*/\1/p" "$work/$1" | tail -1; }
sent=$(num txonly sent)
forwarded=$(num forward forwarded)
received=$(num rxdrop received)
echo
echo "sent ${sent:-?}, forwarded ${forwarded:-?}, received ${received:-?} intact"
rate_line=$(sed -n 's/^forwarded [0-9]* frames in \([0-9.]*\) s (\([0-9.]*\) Mpps.*/forward: \2 Mpps over \1 s/p' "$work/forward")
[ -z "$rate_line" ] || echo "$rate_line"
if [ "$tx_rc" = 0 ] && [ "$fwd_rc" = 0 ] && [ "$rx_rc" = 0 ] && [ "${received:-}" = "$count" ]; then
	echo "OK: every frame arrived intact, once, in order"
	exit 0
fi
echo "FAILED (txonly $tx_rc, forward $fwd_rc, rxdrop $rx_rc)"
exit 1
