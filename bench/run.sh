#!/usr/bin/env bash
# The benchmarks, in one invocation, as ratios of runs taken side by side (see bench/README.md).
#
#   bench/run.sh            full run: ring ops (time, and instructions under valgrind), forwarding
#                           (every contender side by side, ROUNDS rounds of interleaved slices,
#                           with syscall counts), XDP_DROP ceiling, setup scaling, namespace
#                           scaling; writes bench/results/results-DATE.json and chart.png
#   bench/run.sh --quick    one short round of each into build/bench/ (the test suite's smoke run)
#
# This script does process control only: it builds, sets up, runs and measures, and appends raw
# measurements as JSON lines to a work directory; bench/summarize.py derives every figure from
# them, prints the summary and writes the results file.
#
# Knobs (environment): CONTENDERS, a comma-separated subset of ours,c,xsk-rs,xdpilone,
# ours+busy-poll (default: all that build here); ROUNDS (default 3, 4 with at most 3 contenders;
# quick 1); SLICES per load and round (default the number of contenders, at least 4; quick 1:
# the order rotates by one per slice group, across rounds too); DURATION seconds of traffic per slice and per ceiling run (default 2, quick 1);
# FIXED_PPS, the generator's rate for the equal-load slices (default 250000, below what any
# forwarder saturates at here); GEN_CPU (0) and FWD_CPU (1), the CPUs the generator and the
# forwarders are pinned to (no pinning with fewer than 2 CPUs); SETTLE seconds between a round's
# set-up and its traffic (default 1); DRAIN seconds after each slice's traffic before the
# forwarder's CPU time, syscalls and the sink's count are read (default 0.2); OUT, the results
# file; NO_PLOT=1; RUST_FORWARDER and C_FORWARDER, other binaries in the `ours` and `c` slots (the
# same one in both measures what the bench cannot tell apart), XSKRS_FORWARDER and
# XDPILONE_FORWARDER likewise for the peers; NO_SYSCALLS=1 (no perf); SPINNING, the contenders
# whose loop never sleeps, stopped outside their own slices (default ours+busy-poll); ONLY, a comma-separated
# subset of rings,instr,forward,setup,scale (the benches to run; default all).
# Needs root (namespaces, veths, XDP); only devices in namespaces created here carry traffic.
set -euo pipefail

# The whole script is one compound command, read in full before it runs: editing this file
# while a benchmark runs cannot derail that run.
{
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bench_name=bench
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
	outdir=$top/build/bench
else
	outdir=$here/results
fi
duration=${DURATION:-$([ "$quick" = 1 ] && echo 1 || echo 2)}
drain=${DRAIN:-0.2}
only=${ONLY:-rings,instr,forward,setup,scale}
want() { [[ ",$only," == *",$1,"* ]]; }
date_tag=$(date -u +%Y-%m-%d)
out=${OUT:-$outdir/results-$date_tag.json}
fixed_pps=${FIXED_PPS:-250000}
settle=${SETTLE:-$([ "$quick" = 1 ] && echo 0.2 || echo 1)}
gen_cpu=${GEN_CPU:-0}
fwd_cpu=${FWD_CPU:-1}
cargo=${CARGO:-cargo}

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces, veths, XDP)" >&2
	exit 1
fi
for tool in python3 taskset ip; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
pin_gen=()
pin_fwd=()
if [ "$(nproc)" -ge 2 ]; then
	pin_gen=(taskset -c "$gen_cpu")
	pin_fwd=(taskset -c "$fwd_cpu")
fi

# Other work on the machine skews every figure; ratios of alternated runs suffer less. Say so.
load_start=$(cut -d' ' -f1 /proc/loadavg)
echo "== load average at start: $load_start (CPUs: $(nproc))"
awk -v l="$load_start" 'BEGIN { exit !(l > 0.5) }' &&
	echo "   warning: the machine is busy; absolute figures will be low and noisy"

work=$(mktemp -d)
# Topology ids: ${id}a, ${id}b, ... one per contender (at most 10 characters each).
id=bn$$
id=${id:0:9}
letters=(a b c d e f g h)
pids=()
cleanup() {
	local p l
	for p in "${pids[@]}" $perf_pid; do kill "$p" 2>/dev/null && kill -CONT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for l in "${letters[@]}"; do
		"$top/tests/topology.sh" down "${id}$l" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
: >"$work/forward.jsonl"

# ------------------------------------------------------------------------------------------
# Build

echo "== building (make lib; bench/forward; cargo build --release)"
make -C "$top" --no-print-directory lib >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
make -C "$here/forward" --no-print-directory BUILD="$top/build" >>"$work/build.log" 2>&1 ||
	{ cat "$work/build.log" >&2; exit 1; }
cfwd=$top/build/bench/forward
(cd "$top" && $cargo build --release --quiet --examples -p libxdp-rs)
# The target directory of manifest $1 (cargo metadata), or $2 when cargo does not say.
target_dir() {
	local t
	t=$($cargo metadata --format-version 1 --no-deps --manifest-path "$1" 2>/dev/null |
		sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
	printf '%s\n' "${t:-$2}"
}
root_target=$(target_dir "$top/Cargo.toml" "$top/target")
examples=$root_target/release/examples

# The other benchmark crates: their package names come from their Cargo.toml.
crate_name() {
	[ -f "$1/Cargo.toml" ] || return 0
	sed -n '/^\[package\]/,/^\[/s/^name *= *"\([^"]*\)".*/\1/p' "$1/Cargo.toml" | head -1
}
rings_pkg=$(crate_name "$here/rings")
setup_pkg=$(crate_name "$here/setup")
for pkg in $rings_pkg $setup_pkg; do
	(cd "$top" && $cargo build --release --quiet -p "$pkg")
done

qflag=()
[ "$quick" = 1 ] && qflag=(--quick)

# ------------------------------------------------------------------------------------------
# The forwarding contenders: name, binary and extra flags. Optional ones are skipped with the
# reason, which also goes into the results file.

contender_names=()
declare -A contender_bin contender_flags
: >"$work/skipped.jsonl"
skip() {
	echo "   contender $1 skipped: $2"
	printf '{"kind":"skipped","contender":"%s","reason":"%s"}\n' "$1" "${2//\"/\'}" \
		>>"$work/skipped.jsonl"
}
add_contender() { contender_names+=("$1"); contender_bin[$1]=$2; contender_flags[$1]=${3:-}; }
# Contenders whose loop never sleeps (busy polling spins on its CPU even without traffic): alive
# beside the others they would take the forwarder's CPU from every other contender's slices, so
# they are stopped (SIGSTOP) outside their own slices.
spinning=${SPINNING:-ours+busy-poll}
spins() { [[ ",$spinning," == *",$1,"* ]]; }
wanted=${CONTENDERS:-ours,c,xsk-rs,xdpilone,ours+busy-poll}
wants() { [[ ",$wanted," == *",$1,"* ]]; }

if want forward; then
	echo "== forwarding contenders"
	wants ours && add_contender ours "${RUST_FORWARDER:-$examples/forward}"
	wants c && add_contender c "${C_FORWARDER:-$cfwd/forward}"
	# The peers (bench/peers): one crate, two binaries.
	peers_dir=
	peers_missing=
	need_peers=0
	{ wants xsk-rs && [ -z "${XSKRS_FORWARDER:-}" ]; } && need_peers=1
	{ wants xdpilone && [ -z "${XDPILONE_FORWARDER:-}" ]; } && need_peers=1
	if [ "$need_peers" = 0 ]; then
		:
	elif [ ! -f "$here/peers/Cargo.toml" ]; then
		peers_missing="bench/peers is missing"
	# In the root workspace's target directory: the peers' libbpf-sys (the same version) is
	# then built once for both, which saves minutes on a fresh machine.
	elif ! (cd "$top" && CARGO_TARGET_DIR=$root_target nice -n 5 "$cargo" build --release \
		--locked --quiet --manifest-path "$here/peers/Cargo.toml") >"$work/peers-build.log" 2>&1; then
		tail -5 "$work/peers-build.log" | sed 's/^/   | /'
		peers_missing="bench/peers does not build (cargo build --release --manifest-path bench/peers/Cargo.toml)"
	else
		peers_dir=$root_target/release
	fi
	for peer in xsk-rs:xskrs-forward:XSKRS_FORWARDER xdpilone:xdpilone-forward:XDPILONE_FORWARDER; do
		IFS=: read -r name bin var <<<"$peer"
		wants "$name" || continue
		if [ -n "${!var:-}" ]; then
			add_contender "$name" "${!var}"
		elif [ -n "$peers_dir" ] && [ -x "$peers_dir/$bin" ]; then
			add_contender "$name" "$peers_dir/$bin"
		elif [ -n "$peers_dir" ]; then
			skip "$name" "bench/peers built no $bin"
		else
			skip "$name" "$peers_missing"
		fi
	done
	if wants ours+busy-poll; then
		if "${RUST_FORWARDER:-$examples/forward}" --help 2>/dev/null | grep -q -- '--busy-poll'; then
			add_contender ours+busy-poll "${RUST_FORWARDER:-$examples/forward}" --busy-poll
		else
			skip ours+busy-poll "examples/forward has no --busy-poll yet"
		fi
	fi
	for name in "${contender_names[@]}"; do
		echo "   $name: ${contender_bin[$name]} ${contender_flags[$name]}"
	done
	[ ${#contender_names[@]} -ge 1 ] || { echo "bench: no forwarding contender" >&2; exit 1; }
	[ ${#contender_names[@]} -le ${#letters[@]} ] || { echo "bench: at most ${#letters[@]} contenders" >&2; exit 1; }
fi
ncontenders=${#contender_names[@]}
# A slice costs ~1-1.5 s beyond its traffic here (perf, the sinks, txonly's set-up): with five
# contenders, 3 rounds of 5 groups per load keep `make bench` under ~15 minutes.
if [ "$quick" = 1 ]; then
	rounds=${ROUNDS:-1}
	slices=${SLICES:-1}
else
	rounds=${ROUNDS:-$((ncontenders > 3 ? 3 : 4))}
	slices=${SLICES:-$((ncontenders > 4 ? ncontenders : 4))}
fi

# Syscall counting: perf's raw_syscalls:sys_enter tracepoint (software: no hardware counters
# needed), counted for the forwarder's process (all threads) while a slice runs.
count_syscalls=0
if want forward && [ "${NO_SYSCALLS:-0}" != 1 ]; then
	if ! command -v perf >/dev/null; then
		echo "   syscalls: perf is missing (Debian: linux-perf), not counted"
	elif ! perf stat -e raw_syscalls:sys_enter -x, -o /dev/null -- true 2>"$work/perf-probe.err"; then
		echo "   syscalls: perf cannot count raw_syscalls:sys_enter here, not counted:" \
			"$(head -c 200 "$work/perf-probe.err")"
	else
		count_syscalls=1
		# Which calls they are: a tracepoint per system call the forwarders make in their
		# loops (where the kernel has them; the total counts every call regardless).
		syscall_events=(raw_syscalls:sys_enter)
		for call in sendto poll ppoll recvfrom clock_nanosleep nanosleep getsockopt futex; do
			perf stat -e "syscalls:sys_enter_$call" -x, -o /dev/null -- true 2>/dev/null &&
				syscall_events+=("syscalls:sys_enter_$call")
		done
	fi
fi

# ------------------------------------------------------------------------------------------
# Ring operations (bench/rings): time per descriptor, then instructions per descriptor

if ! want rings; then
	echo "== ring ops: not in ONLY=$only, skipped"
elif [ -n "$rings_pkg" ]; then
	echo "== ring ops: $rings_pkg"
	# On the forwarder's CPU, as the rings run there in the forwarding bench.
	rings_cpu=()
	[ "${#pin_fwd[@]}" -gt 0 ] && rings_cpu=(--cpu "$fwd_cpu")
	(cd "$top" && $cargo run --release --quiet -p "$rings_pkg" -- "${qflag[@]}" \
		"${rings_cpu[@]}" --rounds "$rounds" --json "$work/rings.json")
else
	echo "== ring ops: bench/rings is missing, skipped"
fi

if ! want instr; then
	echo "== ring instructions: not in ONLY=$only, skipped"
elif [ -z "$rings_pkg" ]; then
	echo "== ring instructions: bench/rings is missing, skipped"
elif ! (cd "$top" && $cargo run --release --quiet -p "$rings_pkg" -- --help 2>/dev/null) |
	grep -q -- '--instr'; then
	echo "== ring instructions: bench/rings has no --instr yet, skipped"
else
	echo "== ring instructions (valgrind): $rings_pkg --instr"
	rc=0
	# The issue's batches (1, 16, 64, 256), and 2, 4, 8, where a light load's polls land and
	# where Rust loses (bench/README.md).
	instr_batches=()
	for b in 1 2 4 8 16 64 256; do instr_batches+=(--batch "$b"); done
	(cd "$top" && $cargo run --release --quiet -p "$rings_pkg" -- --instr "${qflag[@]}" \
		"${instr_batches[@]}" --json "$work/rings-instr.json") || rc=$?
	# 3: valgrind is not installed; the rest of the benchmarks still run.
	if [ "$rc" = 3 ]; then
		echo "   ring instructions skipped: valgrind is missing (Debian: valgrind)"
	elif [ "$rc" != 0 ]; then
		echo "bench: bench/rings --instr failed ($rc)" >&2
		exit 1
	fi
fi

# ------------------------------------------------------------------------------------------
# Forwarding: generator -> outer (root ns) -> forwarder -> inner (ns) -> sink (XDP_DROP)

# The scheduler's runtime so far of each thread of live process $1, in ns, as a JSON list
# (/proc/PID/task/*/schedstat; utime + stime count whole clock ticks).
cpu_ns_of() {
	local t list=
	for t in /proc/"$1"/task/*/schedstat; do
		list+=${list:+,}$(cut -d' ' -f1 "$t" 2>/dev/null || echo 0)
	done
	printf '[%s]' "$list"
}

# The clock tick counters of CPU $1 so far (/proc/stat: user nice system idle iowait irq
# softirq steal), as a JSON list.
cpu_ticks() {
	local name u n s i w q sq st _
	while read -r name u n s i w q sq st _; do
		[ "$name" = "cpu$1" ] && { printf '[%s,%s,%s,%s,%s,%s,%s,%s]' "$u" "$n" "$s" "$i" "$w" "$q" "$sq" "$st"; return; }
	done </proc/stat
	printf '[]'
}

num() { sed -n "$2" "$work/$1" | tail -1; }

# Bring topology $1 (an id for tests/topology.sh) up and set its variables with prefix $2:
# ${2}_SRC_DEV, ${2}_OUTER_DEV, ...
topology_up() {
	local tid=$1 pre=$2
	"$top/tests/topology.sh" down "$tid" >/dev/null 2>&1 || true
	eval "$(TOPOLOGY_FORWARD=1 "$top/tests/topology.sh" up "$tid" 1 | sed "s/^/${pre}_/")"
}

# The value of variable $1_$2 (topology_up's), e.g. var A SRC_DEV.
var() { local n="$1_$2"; printf '%s' "${!n}"; }

# The traffic source for $duration seconds from device $2 in namespace $3, on the generator's
# CPU. At full speed ($1 = 0): $full_gen, normally xdp_gen (BPF_PROG_RUN live frames: next to
# no CPU per frame, so that it is not what limits a figure). At a fixed rate: txonly paced to
# $1 frames per second (xdp_gen cannot pace). Both print "sent N frames in T s (M Mpps)".
generate() {
	local pps=$1 dev=$2 ns=$3
	if [ "$pps" = 0 ] && [ "$full_gen" = xdp_gen ]; then
		"${pin_gen[@]}" "$cfwd/xdp_gen" --dev "$dev" --netns "$ns" --duration "$duration" --size 64
	else
		local rate=()
		[ "$pps" != 0 ] && rate=(--rate "$pps")
		"${pin_gen[@]}" "$examples/txonly" --dev "$dev" --netns "$ns" --queues 1 \
			--duration "$duration" --size 64 "${rate[@]}"
	fi >"$work/gen" 2>"$work/gen.err"
}

# Can xdp_gen send here (Linux 5.18+, veth redirect)? 10000 frames into XDP_DROP must arrive.
probe_xdp_gen() {
	local pid counted
	topology_up "${id}a" A
	"$cfwd/xdp_count_drop" --dev "$A_OUTER_DEV" >"$work/probe" 2>"$work/probe.err" &
	pid=$!
	pids+=("$pid")
	wait_ready "$work/probe" "$pid" "xdp_count_drop (probe)"
	"$cfwd/xdp_gen" --dev "$A_SRC_DEV" --netns "$A_SRC_NS" --count 10000 >"$work/probe.gen" 2>&1 ||
		true
	sleep 0.1
	stop "$pid" probe
	pids=()
	"$top/tests/topology.sh" down "${id}a" >/dev/null
	counted=$(num probe 's/^counted \([0-9]*\) packets.*/\1/p')
	[ "${counted:-0}" = 10000 ] && return 0
	echo "   xdp_gen cannot send here ($(head -c 300 "$work/probe.gen")); full-speed runs use txonly"
	return 1
}

# Wait until every thread of process $1 is stopped (SIGSTOP takes effect asynchronously).
wait_stopped() {
	local t state
	for _ in $(seq 200); do
		state=T
		for t in /proc/"$1"/task/*/stat; do
			# The state is the field after the parenthesised name.
			[[ "$(cat "$t" 2>/dev/null)" =~ \)\ ([A-Za-z]) ]] || continue
			[ "${BASH_REMATCH[1]}" = T ] || state=${BASH_REMATCH[1]}
		done
		[ "$state" = T ] && return 0
		sleep 0.005
	done
	echo "bench: process $1 does not stop" >&2
	exit 1
}

# Syscall counting around a slice: perf stat on the forwarder (pid $1, all its threads), started
# with its events disabled and enabled through a control FIFO, so that the window is exactly
# from syscalls_on's acknowledged "enable" to syscalls_off's acknowledged "disable"; perf's own
# start and stop are in another process and outside the window. syscalls_off prints the count.
perf_pid=
syscalls_on() {
	[ "$count_syscalls" = 1 ] || return 0
	rm -f "$work/perf.ctl" "$work/perf.ack" "$work/perf.out"
	mkfifo "$work/perf.ctl" "$work/perf.ack"
	exec {perf_ctl}<>"$work/perf.ctl" {perf_ack}<>"$work/perf.ack"
	"${pin_gen[@]}" perf stat -e "$(IFS=,; echo "${syscall_events[*]}")" -x, -D -1 -p "$1" -o "$work/perf.out" \
		--control "fifo:$work/perf.ctl,$work/perf.ack" >/dev/null 2>"$work/perf.err" &
	perf_pid=$!
	perf_command enable
}
perf_command() {
	local answer=
	echo "$1" >&"$perf_ctl"
	read -r -t 10 answer <&"$perf_ack" || true
	if [ "$answer" != ack ]; then
		echo "bench: perf stat did not acknowledge '$1':" >&2
		cat "$work/perf.err" >&2 || true
		exit 1
	fi
}
# Sets $syscalls to the count (null when not counted) and $syscalls_by_call to a JSON object of
# the counts per call. Not in a subshell: perf is this shell's child, and only this shell can
# wait for it to write its count.
syscalls_off() {
	syscalls=null
	syscalls_by_call=null
	[ "$count_syscalls" = 1 ] || return 0
	perf_command disable
	kill -INT "$perf_pid" 2>/dev/null || true
	wait "$perf_pid" || true
	perf_pid=
	exec {perf_ctl}>&- {perf_ack}>&-
	# CSV: count,unit,event,...; "<not counted>" when the events never fired.
	syscalls=$(sed -n 's/^\([0-9]*\),[^,]*,raw_syscalls:sys_enter,.*/\1/p' "$work/perf.out" | tail -1)
	if [ -z "$syscalls" ] && grep -q '^<not counted>,.*raw_syscalls:sys_enter' "$work/perf.out"; then
		syscalls=0
	fi
	if [ -z "$syscalls" ]; then
		echo "bench: perf stat gave no count:" >&2
		cat "$work/perf.out" "$work/perf.err" >&2 || true
		exit 1
	fi
	local n call by=
	while IFS=, read -r n _ call _; do
		[[ $call == syscalls:sys_enter_* ]] || continue
		[[ $n =~ ^[0-9]+$ ]] || n=0
		by+=${by:+,}"\"${call#syscalls:sys_enter_}\":$n"
	done <"$work/perf.out"
	syscalls_by_call="{$by}"
}

# One slice: contender $1, which runs as pid $6 on topology $5 with its sink at pid $7 (writing
# to $8), gets traffic for $duration s, at full speed ($4 = 0) or at $4 packets per second, in
# round $2, slice $3, as the $9-th of the slice group. Appends a JSON line of raw readings: the
# forwarder's CPU time (per thread), its CPU's tick counters, and the sink's count are read
# before the traffic and after the forwarder has drained; its syscalls are counted in between.
slice_run() {
	local name=$1 round=$2 slice=$3 pps=$4 slot=$5 fwd_pid=$6 sink_pid=$7 sink_file=$8 pos=$9
	local load label c0 c1 cpu0 cpu1 ticks0 ticks1
	if [ "$pps" = 0 ]; then load=full label=$name; else load=fixed label="$name@$pps"; fi
	c0=$(sink_count "$sink_pid" "$sink_file")
	syscalls_on "$fwd_pid"
	cpu0=$(cpu_ns_of "$fwd_pid")
	ticks0=$(cpu_ticks "$fwd_cpu")
	if spins "$name"; then kill -CONT "$fwd_pid"; fi
	generate "$pps" "$(var "$slot" SRC_DEV)" "$(var "$slot" SRC_NS)"
	ticks1=$(cpu_ticks "$fwd_cpu")
	# Let the forwarder finish what is in flight (it idles in poll meanwhile).
	sleep "$drain"
	if spins "$name"; then
		kill -STOP "$fwd_pid"
		wait_stopped "$fwd_pid"
	fi
	cpu1=$(cpu_ns_of "$fwd_pid")
	syscalls_off
	c1=$(sink_count "$sink_pid" "$sink_file")
	local sent gen_s gen_mpps gen
	sent=$(num gen 's/^sent \([0-9]*\) frames.*/\1/p')
	gen_s=$(num gen 's/^sent [0-9]* frames in \([0-9.]*\) s.*/\1/p')
	gen_mpps=$(num gen 's/^sent [0-9]* frames in [0-9.]* s (\([0-9.]*\) Mpps).*/\1/p')
	if [ "$pps" = 0 ]; then gen=$full_gen; else gen=txonly; fi
	{
	printf '{"kind":"slice","contender":"%s","load":"%s","rate_pps":%s,"round":%s,"slice":%s,' \
		"$name" "$load" "$pps" "$round" "$slice"
	printf '"position":%s,"topology":"%s","generator":"%s","sent":%s,"gen_s":%s,"gen_mpps":%s,' \
		"$pos" "$slot" "$gen" "${sent:-0}" "${gen_s:-0}" "${gen_mpps:-0}"
	printf '"sink_before":%s,"sink_after":%s,"cpu_ns_before":%s,"cpu_ns_after":%s,' \
		"$c0" "$c1" "$cpu0" "$cpu1"
	printf '"fwd_cpu_ticks_before":%s,"fwd_cpu_ticks_after":%s,"syscalls":%s,"syscalls_by_call":%s}\n' \
		"$ticks0" "$ticks1" "$syscalls" "$syscalls_by_call"
	} >>"$work/forward.jsonl"
	printf '  round %d slice %d %-24s sent %8s (%s Mpps)  forwarded %8s  syscalls %s\n' \
		"$round" "$slice" "$label" "${sent:-?}" "${gen_mpps:-?}" "$((c1 - c0))" "$syscalls"
}

# One forwarding round: a copy of the topology per contender (A, B, ...), a sink on each, every
# contender's forwarder on its own copy (contender i on copy i + round, so that which copy each
# gets rotates), all pinned to the forwarder's CPU and alive together. Then $slices slice groups
# at full speed and $slices at the equal load; in a group every contender gets a slice, back to
# back, in an order that rotates by one from group to group (a Latin square: over N groups each
# goes first, second, ... once). The idle forwarders wait in poll and cost next to nothing, and a
# group is seconds long, so what this VM's speed does over minutes lands on all alike.
forward_round() {
	local r=$1 n=$ncontenders i slot name
	declare -A slot_of
	for i in $(seq 0 $((n - 1))); do
		slot=${letters[$(((i + r - 1) % n))]}
		slot_of[${contender_names[$i]}]=$slot
		topology_up "${id}$slot" "$slot"
		"$cfwd/xdp_count_drop" --dev "$(var "$slot" SINK_DEV)" --netns "$(var "$slot" SINK_NS)" \
			>"$work/sink$slot" 2>"$work/sink$slot.err" &
		printf -v "sink_$slot" %s "$!"
		pids+=("$!")
		wait_ready "$work/sink$slot" "$!" "sink $slot"
	done
	# The forwarders start in topology order (a, b, ...): which contender starts first rotates.
	local by_slot=() k
	for k in $(seq 0 $((n - 1))); do
		for name in "${contender_names[@]}"; do
			[ "${slot_of[$name]}" = "${letters[$k]}" ] && by_slot+=("$name")
		done
	done
	declare -A fwd_pid_of
	for name in "${by_slot[@]}"; do
		slot=${slot_of[$name]}
		local flags=()
		read -r -a flags <<<"${contender_flags[$name]}"
		"${pin_fwd[@]}" "${contender_bin[$name]}" --ingress "$(var "$slot" OUTER_DEV)" \
			--egress "$(var "$slot" INNER_DEV)" --egress-netns "$(var "$slot" INNER_NS)" \
			--queues 1 --quiet "${flags[@]}" >"$work/fwd_$slot" 2>"$work/fwd_$slot.err" &
		fwd_pid_of[$name]=$!
		pids+=("$!")
		wait_ready "$work/fwd_$slot" "$!" "forward ($name)"
		if spins "$name"; then
			kill -STOP "${fwd_pid_of[$name]}"
			wait_stopped "${fwd_pid_of[$name]}"
		fi
	done
	sleep "$settle"
	local pps s pos sink_pid
	for pps in 0 "$fixed_pps"; do
		for s in $(seq 1 "$slices"); do
			# Rotation by the group's number in the run, so that the square continues across
			# rounds when $slices is not a multiple of the contender count.
			local shift=$((((r - 1) * slices + s - 1) % n))
			for pos in $(seq 0 $((n - 1))); do
				name=${contender_names[$(((pos + shift) % n))]}
				slot=${slot_of[$name]}
				sink_pid=sink_$slot
				slice_run "$name" "$r" "$s" "$pps" "$slot" "${fwd_pid_of[$name]}" \
					"${!sink_pid}" "$work/sink$slot" "$((pos + 1))"
			done
		done
	done
	# Each forwarder's own summary, and its sink's final count: the same frames.
	for name in "${by_slot[@]}"; do
		stop "${fwd_pid_of[$name]}" "fwd_${slot_of[$name]}"
	done
	for name in "${by_slot[@]}"; do
		sink_pid=sink_${slot_of[$name]}
		stop "${!sink_pid}" "sink${slot_of[$name]}"
	done
	pids=()
	local bad=0 fwd sink
	for name in "${contender_names[@]}"; do
		slot=${slot_of[$name]}
		"$top/tests/topology.sh" down "${id}$slot" >/dev/null
		fwd=$(num "fwd_$slot" 's/^forwarded \([0-9]*\) frames.*/\1/p')
		sink=$(num "sink$slot" 's/^counted \([0-9]*\) packets.*/\1/p')
		printf '{"kind":"round","round":%d,"contender":"%s","topology":"%s","forwarded":%s,"sink":%s}\n' \
			"$r" "$name" "$slot" "${fwd:-0}" "${sink:-0}" >>"$work/forward.jsonl"
		if [ "${fwd:-0}" != "${sink:-1}" ]; then
			echo "bench: round $r: $name forwarded $fwd, its sink counted $sink" >&2
			bad=1
		fi
	done
	[ "$bad" = 0 ] || exit 1
}

# One ceiling run: the generator into our XDP_DROP program on outer.
ceiling_run() {
	local round=$1
	topology_up "${id}a" a
	"${pin_fwd[@]}" "$cfwd/xdp_count_drop" --dev "$(var a OUTER_DEV)" >"$work/ceil" 2>"$work/ceil.err" &
	local ceil_pid=$!
	pids+=("$ceil_pid")
	wait_ready "$work/ceil" "$ceil_pid" ceiling
	sleep "$settle"
	generate 0 "$(var a SRC_DEV)" "$(var a SRC_NS)"
	sleep 0.1
	stop "$ceil_pid" ceil
	pids=()
	"$top/tests/topology.sh" down "${id}a" >/dev/null
	local sent gen_mpps count mpps
	sent=$(num gen 's/^sent \([0-9]*\) frames.*/\1/p')
	gen_mpps=$(num gen 's/^sent [0-9]* frames in [0-9.]* s (\([0-9.]*\) Mpps).*/\1/p')
	count=$(num ceil 's/^counted \([0-9]*\) packets.*/\1/p')
	mpps=$(num ceil 's/^counted .*(\([0-9.]*\) Mpps while active.*/\1/p')
	printf '{"kind":"ceiling","round":%d,"sent":%s,"gen_mpps":%s,"count":%s,"mpps":%s}\n' \
		"$round" "${sent:-0}" "${gen_mpps:-0}" "${count:-0}" "${mpps:-0}" >>"$work/forward.jsonl"
	printf '  round %d ceiling                         sent %8s (%s Mpps)  dropped  %8s (%s Mpps)\n' \
		"$round" "${sent:-?}" "${gen_mpps:-?}" "${count:-?}" "${mpps:-?}"
}

full_gen=none
if want forward; then
	echo "== forwarding: $rounds round(s) of $ncontenders contender(s) side by side," \
		"$slices slice group(s) of ${duration}s slices"
	echo "   at full speed and at $fixed_pps pps (the order rotates), then the ceiling"
	if [ ${#pin_gen[@]} -gt 0 ]; then
		echo "   generator pinned to CPU $gen_cpu, every forwarder to CPU $fwd_cpu"
	fi
	[ "$count_syscalls" = 1 ] &&
		echo "   syscalls: perf stat -e raw_syscalls:sys_enter -p PID around each slice"
	full_gen=txonly
	probe_xdp_gen && full_gen=xdp_gen
	echo "   generator: $full_gen at full speed, txonly at $fixed_pps pps"
	for r in $(seq 1 "$rounds"); do
		forward_round "$r"
		ceiling_run "$r"
	done
else
	echo "== forwarding: not in ONLY=$only, skipped"
fi

# ------------------------------------------------------------------------------------------
# Setup scaling (bench/setup)

if ! want setup; then
	echo "== setup scaling: not in ONLY=$only, skipped"
elif [ -n "$setup_pkg" ]; then
	echo "== setup scaling: $setup_pkg"
	(cd "$top" && $cargo run --release --quiet -p "$setup_pkg" -- "${qflag[@]}" \
		--json "$work/setup.json")
else
	echo "== setup scaling: bench/setup is missing, skipped"
fi

# ------------------------------------------------------------------------------------------
# Namespace scaling (bench/scale.sh): one forwarding thread serving M namespace pairs

if ! want scale; then
	echo "== namespace scaling: not in ONLY=$only, skipped"
elif [ -x "$here/scale.sh" ]; then
	echo "== namespace scaling: bench/scale.sh"
	"$here/scale.sh" "${qflag[@]}" --json "$work/scale.json"
else
	echo "== namespace scaling: bench/scale.sh is missing, skipped"
fi

# ------------------------------------------------------------------------------------------
# Summary and results file (bench/summarize.py derives every figure from the raw readings)

mkdir -p "$(dirname "$out")"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$top" status --porcelain 2>/dev/null | head -1)
[ -n "$dirty" ] && dirty=1 || dirty=0
binaries=()
for name in "${contender_names[@]}"; do
	binaries+=("binary:$name" "${contender_bin[$name]} ${contender_flags[$name]}")
done
python3 -c 'import json, sys; a = sys.argv[2:]; json.dump(dict(zip(a[::2], a[1::2])), open(sys.argv[1], "w"), indent=1)' \
	"$work/meta.json" \
	date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" kernel "$(uname -r)" \
	cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
	cpus "$(nproc)" git_commit "$commit" dirty "$dirty" quick "$quick" \
	loadavg_start "$load_start" loadavg_end "$(cut -d' ' -f1 /proc/loadavg)" \
	rounds "$rounds" slices "$slices" duration_s "$duration" settle_s "$settle" drain_s "$drain" \
	fixed_pps "$fixed_pps" gen_cpu "$gen_cpu" fwd_cpu "$fwd_cpu" pinned "${#pin_fwd[@]}" \
	full_gen "$full_gen" contenders "$(IFS=,; echo "${contender_names[*]}")" \
	syscalls_counted "$count_syscalls" "${binaries[@]}"
python3 "$here/summarize.py" --work "$work" --meta "$work/meta.json" --out "$out"

if [ "$quick" = 0 ] && [ "${NO_PLOT:-0}" != 1 ]; then
	# Debian's python3-matplotlib belongs to /usr/bin/python3, which a pyenv or venv python3
	# first in PATH does not see.
	plot_py=
	for py in python3 /usr/bin/python3; do
		if "$py" -c 'import matplotlib' 2>/dev/null; then plot_py=$py; break; fi
	done
	if [ -n "$plot_py" ]; then
		"$plot_py" "$here/plot.py" "$out" -o "$outdir/chart.png"
	else
		echo "plot skipped: matplotlib is missing (apt-get install python3-matplotlib," \
			"or pip install matplotlib), then: python3 bench/plot.py $out"
	fi
fi
exit 0
}
