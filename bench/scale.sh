#!/usr/bin/env bash
# Many namespaces, one forwarder (issue #14 item 4): M = 1, 4, 16, 64 pairs, each forwarding
# its own traffic through ONE process, ONE UMEM and ONE thread (libxdp-rs example
# forward_many), and how CPU per packet and memory grow with M.
#
#   bench/scale.sh [--quick] --json FILE     (root; --quick: M = 1 and 4 only)
#
# Per M: a lean topology of its own (below), one sink process counting per pair
# (xdp_count_drop with M devices), the forwarder pinned to FWD_CPU (1), then traffic into all M
# pairs at once from one generator pinned to GEN_CPU (0) (xdp_gen with M devices, runs of 16
# frames to each in turn): DURATION s at full speed, then DURATION s at FIXED_PPS in all
# (xdp_gen paced: bursts at full speed every 100 ms). Read around each phase: the sink's count
# (aggregate Mpps = counted / generator's time), the forwarder's CPU time (all threads'
# schedstat runtime; CPU/packet = CPU time / counted), its VmRSS, and the UMEM size it printed.
# At the end the forwarder's per-pair counts must equal the sink's per device, and every pair
# must have got frames: otherwise the run fails.
#
# Topology per M, for pair i (names carry this run's tag T, so that runs cannot collide):
#   generator namespace xsc-T-gen: T g i  <->  T o i (root namespace, the forwarder's ingress)
#   pair namespace xsc-T-i:        T i i  <->  T d i (sink namespace xsc-T-snk)
# M + 2 namespaces instead of tests/topology.sh's 4 M (and one `ip -batch` for all of it):
# that script took too long for 64 pairs. No addresses, IPv6 off in every namespace before
# its devices exist (and on the root namespace's devices), so the only packets are ours.
#
# Knobs (environment): DURATION (default 2, quick 1), FIXED_PPS (250000), GEN_CPU, FWD_CPU,
# RING (forward_many's ring size, default its own), DRAIN seconds after traffic (0.3),
# SCALE_PAIRS (the list of M, default "1 4 16 64", quick "1 4").
# Prints a line per M and writes {"rows": [...], "cpu_ratio_m64_over_m1": r} to FILE.
set -euo pipefail

{
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bench_name=scale
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
quick=0
json=
usage() { echo "usage: $0 [--quick] --json FILE" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--json) [ $# -ge 2 ] || usage; json=$2; shift ;;
	*) usage ;;
	esac
	shift
done
[ -n "$json" ] || usage
if [ "$(id -u)" != 0 ]; then
	echo "scale: needs root (network namespaces, veths, XDP)" >&2
	exit 1
fi

if [ "$quick" = 1 ]; then
	pair_counts=${SCALE_PAIRS:-1 4}
	duration=${DURATION:-1}
else
	pair_counts=${SCALE_PAIRS:-1 4 16 64}
	duration=${DURATION:-2}
fi
fixed_pps=${FIXED_PPS:-250000}
drain=${DRAIN:-0.3}
gen_cpu=${GEN_CPU:-0}
fwd_cpu=${FWD_CPU:-1}
cargo=${CARGO:-cargo}
pin_gen=()
pin_fwd=()
if [ "$(nproc)" -ge 2 ]; then
	pin_gen=(taskset -c "$gen_cpu")
	pin_fwd=(taskset -c "$fwd_cpu")
fi
ring_arg=()
[ -n "${RING:-}" ] && ring_arg=(--ring "$RING")

work=$(mktemp -d)
tag=s$(($$ % 100000))
pids=()
namespaces=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	topology_down
	rm -rf "$work"
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------
# Build: the sink and the generator (libbpf only), the forwarder.

echo "== scale: building (bench/forward sink and generator; forward_many)"
bf=$top/build/bench/forward
make -C "$here/forward" --no-print-directory BUILD="$top/build" \
	"$bf/xdp_count_drop" "$bf/xdp_count_drop.bpf.o" "$bf/xdp_gen" "$bf/xdp_gen.bpf.o" \
	>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
(cd "$top" && $cargo build --release --quiet -p libxdp-rs --example forward_many)
target=$(cd "$top" && $cargo metadata --format-version 1 --no-deps 2>/dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
forwarder=${target:-$top/target}/release/examples/forward_many

# ------------------------------------------------------------------------------------------
# Topology

gen_ns=xsc-$tag-gen
sink_ns=xsc-$tag-snk

# M pairs up, all in one `ip -batch`; IPv6 is off in a namespace before devices appear in it.
topology_up() {
	local m=$1 i ns
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	namespaces=("$gen_ns" "$sink_ns")
	for i in $(seq 1 "$m"); do namespaces+=("xsc-$tag-$i"); done
	for ns in "${namespaces[@]}"; do echo "netns add $ns"; done >"$work/ns.batch"
	ip -batch "$work/ns.batch"
	for ns in "${namespaces[@]}"; do
		ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6;
			echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6'
	done
	: >"$work/pairs"
	for i in $(seq 1 "$m"); do
		ns=xsc-$tag-$i
		echo "link add ${tag}o$i numtxqueues 1 numrxqueues 1 type veth peer name ${tag}g$i netns $gen_ns numtxqueues 1 numrxqueues 1"
		echo "link add ${tag}i$i netns $ns numtxqueues 1 numrxqueues 1 type veth peer name ${tag}d$i netns $sink_ns numtxqueues 1 numrxqueues 1"
		echo "${tag}o$i,${tag}i$i,$ns" >>"$work/pairs"
	done >"$work/links.batch"
	ip -batch "$work/links.batch"
	for i in $(seq 1 "$m"); do
		echo 1 >"/proc/sys/net/ipv6/conf/${tag}o$i/disable_ipv6"
		echo "link set dev ${tag}o$i up"
	done >"$work/up.batch"
	ip -batch "$work/up.batch"
	for i in $(seq 1 "$m"); do echo "link set dev ${tag}g$i up"; done >"$work/gen.batch"
	ip -n "$gen_ns" -batch "$work/gen.batch"
	for i in $(seq 1 "$m"); do echo "link set dev ${tag}d$i up"; done >"$work/sink.batch"
	ip -n "$sink_ns" -batch "$work/sink.batch"
	for i in $(seq 1 "$m"); do ip -n "xsc-$tag-$i" link set dev "${tag}i$i" up; done
}

# Everything topology_up made goes (deleting a namespace deletes its veths and their peers).
topology_down() {
	local ns
	[ "${#namespaces[@]}" -gt 0 ] || return 0
	for ns in "${namespaces[@]}"; do echo "netns del $ns"; done >"$work/del.batch"
	ip -force -batch "$work/del.batch" >/dev/null 2>&1 || true
	namespaces=()
}

# ------------------------------------------------------------------------------------------
# Processes

# CPU time of a live process, all its threads, in ns (scheduler runtime).
cpu_ns() {
	cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# Traffic into every pair for $duration s, at full speed ($1 = 0) or $1 frames/s in all.
generate() {
	local pps=$1 m=$2 i devs=() rate=()
	for i in $(seq 1 "$m"); do devs+=(--dev "${tag}g$i"); done
	[ "$pps" != 0 ] && rate=(--rate "$pps")
	"${pin_gen[@]}" "$bf/xdp_gen" --netns "$gen_ns" "${devs[@]}" --duration "$duration" \
		--size 64 "${rate[@]}" >"$work/gen" 2>"$work/gen.err" ||
		{ echo "scale: xdp_gen failed:" >&2; cat "$work/gen.err" >&2; exit 1; }
}

# User and system clock ticks of a live process: "utime stime".
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }

# The forwarder's syscalls while a phase runs, counted by tracepoints (perf stat; no hardware
# counters needed): where its CPU goes as M grows (a sendto() per kick, a poll() per empty
# pass). Absent perf, or where it cannot attach, the counts are -1.
syscall_events=raw_syscalls:sys_enter,syscalls:sys_enter_sendto,syscalls:sys_enter_poll,syscalls:sys_enter_ppoll
perf_start() {
	perf_pid=
	command -v perf >/dev/null || return 0
	perf stat -e "$syscall_events" -x, -o "$work/perf" -p "$1" >/dev/null 2>&1 &
	perf_pid=$!
	pids+=("$perf_pid")
	sleep 0.2
}
# Sets sys=(syscalls sendto poll) (-1 each when not counted). Not in a subshell: it waits
# for perf, a child of this shell.
perf_stop() {
	sys=(-1 -1 -1)
	[ -n "$perf_pid" ] || return 0
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" 2>/dev/null || true
	local counts
	counts=$(awk -F, 'BEGIN { n["raw_syscalls:sys_enter"] = -1; n["syscalls:sys_enter_sendto"] = -1
			 p = -1 }
		$3 ~ /sys_enter/ && $1 ~ /^[0-9]+$/ {
			if ($3 ~ /poll$/) p = (p < 0 ? 0 : p) + $1; else n[$3] = $1 }
		END { print n["raw_syscalls:sys_enter"], n["syscalls:sys_enter_sendto"], p }' \
		"$work/perf" 2>/dev/null) || true
	[ -z "${SCALE_DEBUG:-}" ] || cat "$work/perf" >&2
	[ -z "$counts" ] || read -r -a sys <<<"$counts"
}

# One phase (full speed or fixed rate) on M pairs: sets
# result=(sent counted cpu_ns gen_s syscalls sendto poll utime_ticks stime_ticks).
phase() {
	local pps=$1 m=$2 c0 c1 cpu0 cpu1 sent gen_s t0 t1
	perf_start "$fwd_pid"
	c0=$(sink_count "$sink_pid" "$work/sink")
	cpu0=$(cpu_ns "$fwd_pid")
	read -r -a t0 <<<"$(cpu_ticks "$fwd_pid")"
	generate "$pps" "$m"
	cat "$work/gen" >>"$work/gen.all"
	sleep "$drain"
	cpu1=$(cpu_ns "$fwd_pid")
	read -r -a t1 <<<"$(cpu_ticks "$fwd_pid")"
	c1=$(sink_count "$sink_pid" "$work/sink")
	perf_stop
	sent=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' "$work/gen")
	gen_s=$(sed -n 's/^sent [0-9]* frames in \([0-9.]*\) s.*/\1/p' "$work/gen")
	result=("${sent:-0}" "$((c1 - c0))" "$((cpu1 - cpu0))" "${gen_s:-0}" "${sys[@]}"
		"$((t1[0] - t0[0]))" "$((t1[1] - t0[1]))")
}

# The last `dev NAME count N` line of each sink device, as "NAME N" lines.
sink_devs() { awk '$1 == "dev" && $3 == "count" { n[$2] = $4 } END { for (d in n) print d, n[d] }' "$1"; }

# ------------------------------------------------------------------------------------------
# One M

: >"$work/rows"
run_m() {
	local m=$1 t0 t1 setup_s devs=() i
	t0=$(date +%s.%N)
	topology_up "$m"
	t1=$(date +%s.%N)
	setup_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

	for i in $(seq 1 "$m"); do devs+=(--dev "${tag}d$i"); done
	"$bf/xdp_count_drop" --netns "$sink_ns" "${devs[@]}" >"$work/sink" 2>"$work/sink.err" &
	sink_pid=$!
	pids+=("$sink_pid")
	wait_ready "$work/sink" "$sink_pid" sink
	"${pin_fwd[@]}" "$forwarder" --pairs-file "$work/pairs" --quiet "${ring_arg[@]}" \
		>"$work/fwd" 2>"$work/fwd.err" &
	fwd_pid=$!
	pids+=("$fwd_pid")
	wait_ready "$work/fwd" "$fwd_pid" forward_many
	sleep 0.5

	local full fixed rss umem_bytes
	: >"$work/gen.all"
	phase 0 "$m"
	full=("${result[@]}")
	phase "$fixed_pps" "$m"
	fixed=("${result[@]}")
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$fwd_pid/status")
	umem_bytes=$(sed -n 's/^ready.*umem_bytes=\([0-9]*\).*/\1/p' "$work/fwd")

	stop "$fwd_pid" fwd
	stop "$sink_pid" sink
	pids=()
	topology_down

	# Per pair: the forwarder's count against the sink's, and the full-speed phase's sent.
	local fwd_total sink_total
	fwd_total=$(sed -n 's/^forwarded \([0-9]*\) frames.*/\1/p' "$work/fwd")
	sink_total=$(sed -n 's/^counted \([0-9]*\) packets.*/\1/p' "$work/sink")
	sed -n 's/^pair [0-9]* \([^-]*\)->\([^@]*\)@.*: forwarded \([0-9]*\)$/\2 \3/p' "$work/fwd" |
		sed "s/^${tag}i/${tag}d/" | sort >"$work/fwd.pairs"
	sink_devs "$work/sink" | sort >"$work/sink.pairs"
	if [ "$m" = 1 ]; then echo "${tag}d1 $sink_total" >"$work/sink.pairs"; fi
	if [ "${fwd_total:-x}" != "${sink_total:-y}" ] || ! cmp -s "$work/fwd.pairs" "$work/sink.pairs"
	then
		echo "scale: M=$m: the forwarder's counts differ from the sink's" \
			"(forwarded ${fwd_total:-?}, counted ${sink_total:-?}):" >&2
		diff "$work/fwd.pairs" "$work/sink.pairs" >&2 || true
		exit 1
	fi
	if [ "$(wc -l <"$work/fwd.pairs")" != "$m" ] || awk '$2 == 0 { bad = 1 } END { exit !bad }' \
		"$work/fwd.pairs"; then
		echo "scale: M=$m: a pair forwarded nothing:" >&2
		cat "$work/fwd.pairs" >&2
		exit 1
	fi

	# Per pair i (1..M): sent (both phases; M=1: the generator's total), forwarded, counted.
	local per_pair
	per_pair=$(awk -v m="$m" -v tag="$tag" '
		FILENAME ~ /gen.all$/ && $1 == "dev" { sent[substr($2, length(tag) + 2)] += $4 }
		FILENAME ~ /gen.all$/ && $1 == "sent" && m == 1 { sent[1] += $2 }
		FILENAME ~ /fwd.pairs$/ { fwd[substr($1, length(tag) + 2)] = $2 }
		FILENAME ~ /sink.pairs$/ { cnt[substr($1, length(tag) + 2)] = $2 }
		END { for (i = 1; i <= m; i++)
			printf "%s{\"sent\":%d,\"forwarded\":%d,\"counted\":%d}", (i > 1 ? "," : ""),
				sent[i], fwd[i], cnt[i] }' "$work/gen.all" "$work/fwd.pairs" "$work/sink.pairs")

	# min_pair_share: the smallest pair's count over the mean pair's (1: all equal), overall.
	local share kernel
	# The ingress sockets' drop counters: why sent and forwarded differ.
	kernel=$(sed -n 's/^kernel: ingress rx_dropped \([0-9]*\) rx_ring_full \([0-9]*\) fill_ring_empty \([0-9]*\).*/\1 \2 \3/p' "$work/fwd")
	read -r -a kernel <<<"${kernel:-0 0 0}"
	share=$(awk -v m="$m" '{ s += $2; if (min == "" || $2 < min) min = $2 }
		END { printf "%.3f", (s > 0) ? min * m / s : 0 }' "$work/fwd.pairs")
	awk -v m="$m" -v sent="${full[0]}" -v cnt="${full[1]}" -v cpu="${full[2]}" \
		-v gs="${full[3]}" -v fsent="${fixed[0]}" -v fcnt="${fixed[1]}" -v fcpu="${fixed[2]}" \
		-v fgs="${fixed[3]}" -v rss="$rss" -v umem="${umem_bytes:-0}" -v share="$share" \
		-v fwd="$fwd_total" -v pps="$fixed_pps" -v setup="$setup_s" -v kd="${kernel[0]}" \
		-v kr="${kernel[1]}" -v kf="${kernel[2]}" -v sc="${full[4]}" -v st="${full[5]}" \
		-v po="${full[6]}" -v ut="${full[7]}" -v kt="${full[8]}" -v fsc="${fixed[4]}" \
		-v fst="${fixed[5]}" -v fpo="${fixed[6]}" -v per_pair="$per_pair" '
		# Per 1000 packets counted at the sink; -1 where perf did not count.
		function per_k(n, pkts) { return (n >= 0 && pkts > 0) ? n * 1000 / pkts : -1 }
		BEGIN {
		printf "{\"pairs\":%d,\"mpps\":%.4f,\"cpu_ns_per_pkt\":%.1f,", m,
			(gs > 0) ? cnt / gs / 1e6 : 0, (cnt > 0) ? cpu / cnt : 0
		printf "\"rss_kib\":%d,\"umem_bytes\":%d,\"sent\":%d,\"forwarded\":%d,", rss, umem, sent, cnt
		printf "\"min_pair_share\":%s,\"fixed_rate_pps\":%d,\"fixed_mpps\":%.4f,", share, pps,
			(fgs > 0) ? fcnt / fgs / 1e6 : 0
		printf "\"fixed_cpu_ns_per_pkt\":%.1f,\"fixed_sent\":%d,\"fixed_forwarded\":%d,",
			(fcnt > 0) ? fcpu / fcnt : 0, fsent, fcnt
		printf "\"forwarder_total\":%d,\"rx_dropped\":%d,\"rx_ring_full\":%d,", fwd, kd, kr
		printf "\"fill_ring_empty\":%d,\"syscalls_per_kpkt\":%.1f,", kf, per_k(sc, cnt)
		printf "\"sendto_per_kpkt\":%.1f,\"poll_per_kpkt\":%.1f,", per_k(st, cnt), per_k(po, cnt)
		printf "\"fixed_syscalls_per_kpkt\":%.1f,", per_k(fsc, fcnt)
		printf "\"fixed_sendto_per_kpkt\":%.1f,", per_k(fst, fcnt)
		printf "\"fixed_poll_per_kpkt\":%.1f,", per_k(fpo, fcnt)
		# Share of the full-speed phase CPU ticks spent in user space (coarse: 10 ms ticks).
		printf "\"user_tick_share\":%.3f,", (ut + kt > 0) ? ut / (ut + kt) : 0
		printf "\"topology_setup_s\":%s,\"per_pair\":[%s]}\n", setup, per_pair
	}' >>"$work/rows"
	tail -1 "$work/rows" | sed 's/,"per_pair".*/}/' | awk -F'[:,}]' '{
		for (i = 1; i < NF; i += 2) { gsub(/[{"]/, "", $i); v[$i] = $(i + 1) }
		printf "  M=%-3s %7.3f Mpps  %7.1f ns/pkt  at %s pps: %7.1f ns/pkt  rss %s KiB  umem %s B  sent %s  forwarded %s  min share %s  syscalls/kpkt %s (sendto %s, poll %s), at %s pps %s (sendto %s, poll %s)  (ring full %s, fill empty %s; set-up %s s)\n",
			v["pairs"], v["mpps"], v["cpu_ns_per_pkt"], v["fixed_rate_pps"],
			v["fixed_cpu_ns_per_pkt"], v["rss_kib"], v["umem_bytes"], v["sent"],
			v["forwarded"], v["min_pair_share"], v["syscalls_per_kpkt"], v["sendto_per_kpkt"],
			v["poll_per_kpkt"], v["fixed_rate_pps"], v["fixed_syscalls_per_kpkt"],
			v["fixed_sendto_per_kpkt"], v["fixed_poll_per_kpkt"],
			v["rx_ring_full"], v["fill_ring_empty"],
			v["topology_setup_s"] }'
}

echo "== scale: M in ($pair_counts) pairs, one forwarder thread (CPU $fwd_cpu), generator on CPU $gen_cpu;" \
	"${duration}s at full speed, ${duration}s at $fixed_pps pps in all"
for m in $pair_counts; do
	run_m "$m"
done

# The rows, and the CPU/packet at the largest M over M=1 (named for M=64, null without it).
ratio() {
	awk -F'[:,}]' -v key="$1" -v want="$2" '{
		for (i = 1; i < NF; i += 2) { gsub(/[{"]/, "", $i); v[$i] = $(i + 1) }
		if (v["pairs"] == 1) a = v[key]; if (v["pairs"] == want) b = v[key] }
		END { if (a > 0 && b != "") printf "%.3f", b / a; else printf "null" }' \
		< <(sed 's/,"per_pair".*/}/' "$work/rows")
}
largest=$(echo "$pair_counts" | tr ' ' '\n' | sort -n | tail -1)
mkdir -p "$(dirname "$json")"
{
	printf '{"rows": [\n'
	sed '$!s/$/,/' "$work/rows"
	printf '], "cpu_ratio_m64_over_m1": %s, "fixed_cpu_ratio_m64_over_m1": %s,\n' \
		"$(ratio cpu_ns_per_pkt 64)" "$(ratio fixed_cpu_ns_per_pkt 64)"
	printf ' "largest_pairs": %s, "cpu_ratio_largest_over_m1": %s, "duration_s": %s}\n' \
		"$largest" "$(ratio cpu_ns_per_pkt "$largest")" "$duration"
} >"$json"
echo "   CPU/pkt M=$largest over M=1: $(ratio cpu_ns_per_pkt "$largest") at full speed," \
	"$(ratio fixed_cpu_ns_per_pkt "$largest") at $fixed_pps pps; results in $json"
}
