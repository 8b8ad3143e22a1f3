#!/usr/bin/env bash
# The benchmarks, in one invocation, as ratios of runs taken side by side (see bench/README.md).
#
#   bench/run.sh            full run: ring ops, forwarding Rust vs C (side by side, ROUNDS rounds
#                           of interleaved slices), XDP_DROP ceiling, setup scaling; writes
#                           bench/results/results-DATE.json
#   bench/run.sh --quick    one short round of each into build/bench/ (the test suite's smoke run)
#
# Knobs (environment): ROUNDS (default 8, quick 1); SLICES per load and round (default 4,
# quick 1; even, so that as many pairs have Rust first as C first); DURATION seconds of traffic
# per slice and per ceiling run (default 2, quick 1); FIXED_PPS, the generator's rate for the equal-load
# slices (default 250000, below what either forwarder saturates at here); GEN_CPU (0) and
# FWD_CPU (1), the CPUs the generator and the forwarders are pinned to (no pinning with fewer
# than 2 CPUs); SETTLE seconds between a round's set-up and its traffic (default 1); DRAIN
# seconds after each slice's traffic before the forwarder's CPU time and the sink's count are
# read (default 0.2); OUT, the results file; NO_PLOT=1; RUST_FORWARDER and C_FORWARDER, other
# binaries in the two slots (the same one in both measures what the bench cannot tell apart);
# ONLY, a comma-separated subset of rings,forward,setup (the benches to run; default all).
# Needs root (namespaces, veths, XDP); only devices in namespaces created here carry traffic.
set -euo pipefail

# The whole script is one compound command, read in full before it runs: editing this file
# while a benchmark runs cannot derail that run.
{
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
quick=0
case "${1:-}" in
--quick) quick=1 ;;
"") ;;
*) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

if [ "$quick" = 1 ]; then
	rounds=${ROUNDS:-1}
	slices=${SLICES:-1}
	outdir=$top/build/bench
else
	rounds=${ROUNDS:-8}
	slices=${SLICES:-4}
	outdir=$here/results
fi
duration=${DURATION:-$([ "$quick" = 1 ] && echo 1 || echo 2)}
drain=${DRAIN:-0.2}
only=${ONLY:-rings,forward,setup}
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
# Topology ids: ${id}a and ${id}b (at most 10 characters each).
id=bn$$
id=${id:0:9}
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$top/tests/topology.sh" down "${id}a" >/dev/null 2>&1 || true
	"$top/tests/topology.sh" down "${id}b" >/dev/null 2>&1 || true
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
target=$(cd "$top" && $cargo metadata --format-version 1 --no-deps 2>/dev/null |
	sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
examples=${target:-$top/target}/release/examples

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
# Ring operations (bench/rings)

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

# ------------------------------------------------------------------------------------------
# Forwarding: generator -> outer (root ns) -> forwarder -> inner (ns) -> sink (XDP_DROP)

# Wait until the program writing $1 prints its "ready" line, or fail.
wait_ready() {
	local out=$1 pid=$2 name=$3
	for _ in $(seq 300); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: $name did not start:" >&2
	cat "$out" "$out.err" >&2 || true
	exit 1
}

# CPU time of a live process, all its threads, in seconds: the scheduler's runtime in ns
# (/proc/PID/task/*/schedstat), not utime + stime, which count whole clock ticks.
cpu_of() {
	cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.4f\n", s / 1e9 }'
}

# Busy and total clock ticks of CPU $1 so far (/proc/stat): "busy total".
cpu_ticks() {
	awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i
		print t - $5 - $6, t }' /proc/stat
}

# Stop a program with SIGINT and wait for it; fail if it fails.
stop() {
	local pid=$1 name=$2 rc=0
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench: $name exited with $rc:" >&2
		cat "$work/$name" "$work/$name.err" >&2 || true
		exit 1
	fi
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

# What sink $1 (a pid, writing to file $2) has counted so far: it prints `count N` on SIGUSR1.
sink_count() {
	local pid=$1 file=$2 before
	before=$(grep -c '^count ' "$file" || true)
	kill -USR1 "$pid"
	for _ in $(seq 500); do
		if [ "$(grep -c '^count ' "$file" || true)" -gt "$before" ]; then
			sed -n 's/^count //p' "$file" | tail -1
			return 0
		fi
		sleep 0.01
	done
	echo "bench: the sink writing $file does not answer" >&2
	return 1
}

# One slice: forwarder $1 (rust|c), which runs as pid $6 on topology $5 (A|B) with its sink
# at pid $7, gets traffic for $duration s, at full speed ($4 = 0) or at $4 packets per second,
# in round $2, slice $3. Appends a JSON line. The forwarder's CPU time and the sink's count
# are read before the traffic and after the forwarder has drained.
slice_run() {
	local impl=$1 round=$2 slice=$3 pps=$4 slot=$5 fwd_pid=$6 sink_pid=$7 sink_file=$8
	local load label c0 c1 cpu0 cpu1 ticks0 ticks1
	if [ "$pps" = 0 ]; then load=full label=$impl; else load=fixed label="$impl@$pps"; fi
	c0=$(sink_count "$sink_pid" "$sink_file")
	cpu0=$(cpu_of "$fwd_pid")
	ticks0=$(cpu_ticks "$fwd_cpu")
	generate "$pps" "$(var "$slot" SRC_DEV)" "$(var "$slot" SRC_NS)"
	ticks1=$(cpu_ticks "$fwd_cpu")
	# Let the forwarder finish what is in flight (it idles in poll meanwhile).
	sleep "$drain"
	cpu1=$(cpu_of "$fwd_pid")
	c1=$(sink_count "$sink_pid" "$sink_file")
	local sent gen_s gen_mpps
	sent=$(num gen 's/^sent \([0-9]*\) frames.*/\1/p')
	gen_s=$(num gen 's/^sent [0-9]* frames in \([0-9.]*\) s.*/\1/p')
	gen_mpps=$(num gen 's/^sent [0-9]* frames in [0-9.]* s (\([0-9.]*\) Mpps).*/\1/p')
	awk -v impl="$impl" -v load="$load" -v pps="$pps" -v round="$round" -v slice="$slice" \
		-v slot="$slot" -v sent="${sent:-0}" -v gen_s="${gen_s:-0}" -v gen_mpps="${gen_mpps:-0}" \
		-v c0="$c0" -v c1="$c1" -v cpu0="$cpu0" -v cpu1="$cpu1" -v t0="$ticks0" -v t1="$ticks1" \
		-v gen="$([ "$pps" = 0 ] && echo "$full_gen" || echo txonly)" 'BEGIN {
		split(t0, a, " "); split(t1, b, " ")
		fwd = c1 - c0
		lost = sent - fwd; if (lost < 0) lost = 0
		busy = (b[2] > a[2]) ? (b[1] - a[1]) / (b[2] - a[2]) : 0
		mpps = (gen_s > 0) ? fwd / gen_s / 1e6 : 0
		printf "{\"kind\":\"forward\",\"impl\":\"%s\",\"load\":\"%s\",\"rate_pps\":%d,", impl, load, pps
		printf "\"round\":%d,\"slice\":%d,\"topology\":\"%s\",", round, slice, slot
		printf "\"sent\":%d,\"gen_s\":%.3f,\"gen_mpps\":%.3f,\"forwarded\":%d,", sent, gen_s, gen_mpps, fwd
		printf "\"active_s\":%.3f,\"mpps\":%.4f,\"ingress_drops\":%d,\"sink_count\":%d,", gen_s, mpps, lost, fwd
		# How busy the forwarder'"'"'s CPU was while the generator ran, whoever kept it busy (the
		# forwarder, or softirq work for the sink run by ksoftirqd).
		printf "\"cpu_s\":%.4f,\"fwd_cpu_busy\":%.4f,\"generator\":\"%s\"}\n", cpu1 - cpu0, busy, gen
	}' >>"$work/forward.jsonl"
	printf '  round %d slice %d %-13s sent %8s (%s Mpps)  forwarded %8s  cpu %s s\n' \
		"$round" "$slice" "$label" "${sent:-?}" "${gen_mpps:-?}" "$((c1 - c0))" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')"
}

# One forwarding round: two copies of the topology (A and B) side by side, a sink on each, the
# Rust forwarder on one and the C forwarder on the other (A for Rust in odd rounds, B in even
# ones), both pinned to the forwarder's CPU and alive together. Then $slices slices at full
# speed and $slices at the equal load, each a Rust slice and a C slice back to back (who goes
# first alternates): the idle forwarder waits in poll and costs nothing, and a slice pair is a
# few seconds apart, so what this VM's speed does over minutes lands on both alike.
forward_round() {
	local r=$1 rust_slot c_slot
	if [ $((r % 2)) = 1 ]; then rust_slot=A c_slot=B; else rust_slot=B c_slot=A; fi
	topology_up "${id}a" A
	topology_up "${id}b" B
	local slot
	for slot in A B; do
		"$cfwd/xdp_count_drop" --dev "$(var $slot SINK_DEV)" --netns "$(var $slot SINK_NS)" \
			>"$work/sink$slot" 2>"$work/sink$slot.err" &
		printf -v "sink_$slot" %s "$!"
		pids+=("$!")
		wait_ready "$work/sink$slot" "$!" "sink $slot"
	done
	# The forwarder on A starts first, so each contender starts first in every other round.
	local impl bin starts
	if [ "$rust_slot" = A ]; then starts=(rust c); else starts=(c rust); fi
	for impl in "${starts[@]}"; do
		case $impl in
		rust) bin=${RUST_FORWARDER:-$examples/forward} slot=$rust_slot ;;
		c) bin=${C_FORWARDER:-$cfwd/forward} slot=$c_slot ;;
		esac
		"${pin_fwd[@]}" "$bin" --ingress "$(var $slot OUTER_DEV)" --egress "$(var $slot INNER_DEV)" \
			--egress-netns "$(var $slot INNER_NS)" --queues 1 --quiet \
			>"$work/fwd_$impl" 2>"$work/fwd_$impl.err" &
		printf -v "fwd_$impl" %s "$!"
		pids+=("$!")
		wait_ready "$work/fwd_$impl" "$!" "forward ($impl)"
	done
	sleep "$settle"
	local pps s order who fwd_pid_of sink_pid_of n
	for pps in 0 "$fixed_pps"; do
		for s in $(seq 1 "$slices"); do
			if [ $(((r + s) % 2)) = 0 ]; then order=(rust c); else order=(c rust); fi
			for who in "${order[@]}"; do
				if [ "$who" = rust ]; then slot=$rust_slot; else slot=$c_slot; fi
				fwd_pid_of="fwd_$who" sink_pid_of="sink_$slot"
				slice_run "$who" "$r" "$s" "$pps" "$slot" "${!fwd_pid_of}" "${!sink_pid_of}" \
					"$work/sink$slot"
			done
		done
	done
	# Each forwarder's own summary, and its sink's final count: the same frames.
	for impl in rust c; do
		n=fwd_$impl
		stop "${!n}" "fwd_$impl"
	done
	for slot in A B; do
		n=sink_$slot
		stop "${!n}" "sink$slot"
	done
	pids=()
	"$top/tests/topology.sh" down "${id}a" >/dev/null
	"$top/tests/topology.sh" down "${id}b" >/dev/null
	local fr fc sr sc
	fr=$(num fwd_rust 's/^forwarded \([0-9]*\) frames.*/\1/p')
	fc=$(num fwd_c 's/^forwarded \([0-9]*\) frames.*/\1/p')
	sr=$(num "sink$rust_slot" 's/^counted \([0-9]*\) packets.*/\1/p')
	sc=$(num "sink$c_slot" 's/^counted \([0-9]*\) packets.*/\1/p')
	printf '{"kind":"round","round":%d,"rust_topology":"%s","rust_forwarded":%s,"rust_sink":%s,' \
		"$r" "$rust_slot" "${fr:-0}" "${sr:-0}" >>"$work/forward.jsonl"
	printf '"c_forwarded":%s,"c_sink":%s}\n' "${fc:-0}" "${sc:-0}" >>"$work/forward.jsonl"
	if [ "${fr:-0}" != "${sr:-1}" ] || [ "${fc:-0}" != "${sc:-1}" ]; then
		echo "bench: round $r: forwarded and counted at the sink differ" \
			"(Rust $fr / $sr, C $fc / $sc)" >&2
		exit 1
	fi
}

# One ceiling run: the generator into our XDP_DROP program on outer.
ceiling_run() {
	local round=$1
	topology_up "${id}a" A
	"${pin_fwd[@]}" "$cfwd/xdp_count_drop" --dev "$A_OUTER_DEV" >"$work/ceil" 2>"$work/ceil.err" &
	local ceil_pid=$!
	pids+=("$ceil_pid")
	wait_ready "$work/ceil" "$ceil_pid" ceiling
	sleep "$settle"
	generate 0 "$A_SRC_DEV" "$A_SRC_NS"
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
	printf '  round %d ceiling              sent %8s (%s Mpps)  dropped  %8s (%s Mpps)\n' \
		"$round" "${sent:-?}" "${gen_mpps:-?}" "${count:-?}" "${mpps:-?}"
}

if want forward; then
	echo "== forwarding: $rounds round(s) of Rust and C side by side, $slices slice(s) of" \
		"${duration}s each"
	echo "   at full speed and at $fixed_pps pps (who goes first alternates), then the ceiling"
	if [ ${#pin_gen[@]} -gt 0 ]; then
		echo "   generator pinned to CPU $gen_cpu, both forwarders to CPU $fwd_cpu"
	fi
	full_gen=txonly
	probe_xdp_gen && full_gen=xdp_gen
	echo "   generator: $full_gen at full speed, txonly at $fixed_pps pps"
	for r in $(seq 1 "$rounds"); do
		forward_round "$r"
		ceiling_run "$r"
	done
else
	echo "== forwarding: not in ONLY=$only, skipped"
	full_gen=none
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
# Summary and results file

mkdir -p "$(dirname "$out")"
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$top" status --porcelain 2>/dev/null | head -1)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
python3 - "$work" "$out" <<PY
import json, os, random, statistics, sys

work, out = sys.argv[1], sys.argv[2]

def load(name):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)

runs = [json.loads(l) for l in open(os.path.join(work, "forward.jsonl")) if l.strip()]

def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}

def forwarders(load):
    fwd = {}
    for impl in ("rust", "c"):
        rs = [r for r in runs
              if r["kind"] == "forward" and r["impl"] == impl and r.get("load", "full") == load]
        for r in rs:
            r["cpu_ns_per_pkt"] = r["cpu_s"] * 1e9 / r["forwarded"] if r["forwarded"] else None
            r["cpu_util"] = r["cpu_s"] / r["active_s"] if r["active_s"] else None
        fwd[impl] = {
            "runs": rs,
            "mpps": stats([r["mpps"] for r in rs]),
            "gen_mpps": stats([r["gen_mpps"] for r in rs]),
            "cpu_ns_per_pkt": stats([r["cpu_ns_per_pkt"] for r in rs]),
            "cpu_util": stats([r["cpu_util"] for r in rs]),
            "fwd_cpu_busy": stats([r.get("fwd_cpu_busy") for r in rs]),
        }
    return fwd

fwd = forwarders("full")
fwd_fixed = forwarders("fixed")
ceil_runs = [r for r in runs if r["kind"] == "ceiling"]
ceiling = {"runs": ceil_runs, "mpps": stats([r["mpps"] for r in ceil_runs]),
           "gen_mpps": stats([r["gen_mpps"] for r in ceil_runs])}

# Ratios of the slices of a pair (the same round and slice: Rust and C back to back), then per
# round their geometric mean: half of a round's pairs have Rust first and half C, so whatever
# going first in a pair costs (the runs before slices saw up to ~10 %) cancels in that mean.
# The headline is the median of the rounds' (half with Rust on each topology).
def ratios(f, key):
    """Rust/C of each slice pair, grouped by round."""
    by_round = []
    for r in sorted({x["round"] for x in runs if x["kind"] == "forward"}):
        in_round = []
        for x in f["rust"]["runs"]:
            if x["round"] != r:
                continue
            c = [y for y in f["c"]["runs"] if y["round"] == r and y["slice"] == x["slice"]]
            if c and x.get(key) and c[0].get(key):
                in_round.append(x[key] / c[0][key])
        if in_round:
            by_round.append(in_round)
    return by_round

def headline_of(by_round):
    return statistics.median([statistics.geometric_mean(p) for p in by_round])

# How sure the headline is: a 95 % interval from resampling the pairs within each round
# (2000 times, fixed seed). This VM moves a 1 s slice's CPU per frame by ~10 % either way, so
# the interval, not the second decimal, says whether Rust and C differ.
def interval(by_round):
    if not by_round or sum(len(p) for p in by_round) < 4:
        return None
    rng = random.Random(1)
    est = sorted(headline_of([rng.choices(p, k=len(p)) for p in by_round]) for _ in range(2000))
    return [est[49], est[1949]]

# CPU per packet: at full speed (the generator offers more than the forwarder can take, so
# the forwarder runs flat out: the headline), and at an equal, lower load (the same frames for
# both, arriving in small bursts that the forwarder wakes up for).
cpu_by_round = ratios(fwd, "cpu_ns_per_pkt")
cpu_by_round_eq = ratios(fwd_fixed, "cpu_ns_per_pkt")
mpps_by_round = ratios(fwd, "mpps")
cpu_ratios = [statistics.geometric_mean(p) for p in cpu_by_round]
cpu_ratios_eq = [statistics.geometric_mean(p) for p in cpu_by_round_eq]
mpps_ratios = [statistics.geometric_mean(p) for p in mpps_by_round]
cpu_pairs = [x for p in cpu_by_round for x in p]
cpu_pairs_eq = [x for p in cpu_by_round_eq for x in p]
mpps_pairs = [x for p in mpps_by_round for x in p]
cpu_ci, cpu_ci_eq = interval(cpu_by_round), interval(cpu_by_round_eq)
round_checks = [r for r in runs if r["kind"] == "round"]
def med(s):
    return s["median"] if s else None
def ratio(xs):
    return statistics.median(xs) if xs else None
def spread(xs):
    return [min(xs), max(xs)] if xs else None
headline = {
    "forward_cpu_per_pkt_rust_over_c": ratio(cpu_ratios),
    "forward_cpu_per_pkt_rust_over_c_spread": spread(cpu_ratios),
    "forward_cpu_per_pkt_rust_over_c_ci95": cpu_ci,
    "forward_cpu_per_pkt_rust_over_c_equal_load": ratio(cpu_ratios_eq),
    "forward_cpu_per_pkt_rust_over_c_equal_load_spread": spread(cpu_ratios_eq),
    "forward_cpu_per_pkt_rust_over_c_equal_load_ci95": cpu_ci_eq,
    "equal_load_pps": $fixed_pps,
    "forward_mpps_rust_over_c": ratio(mpps_ratios),
    "forward_mpps_rust_over_c_spread": spread(mpps_ratios),
    "forward_slice_pairs": len(cpu_pairs),
    "ceiling_mpps": med(ceiling["mpps"]),
}
for impl in ("rust", "c"):
    fr = [x["mpps"] / c["mpps"] for x in fwd[impl]["runs"] for c in ceil_runs
          if c["round"] == x["round"] and c["mpps"]]
    headline[f"forward_{impl}_fraction_of_ceiling"] = statistics.median(fr) if fr else None

rings = load("rings.json")
setup = load("setup.json")
if rings:
    headline["ring_ops_rust_over_c_worst"] = rings.get("ratio_worst")
if setup:
    headline["setup_growth_1024_over_64"] = setup.get("growth_1024_over_64")

result = {
    "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "kernel": "$(uname -r)",
    "cpu_model": """$cpu_model""",
    "cpus": $(nproc),
    "git_commit": "$commit" + (" (dirty)" if "$dirty" else ""),
    "quick": bool($quick),
    "loadavg_start": float("$load_start"),
    "loadavg_end": float("$(cut -d' ' -f1 /proc/loadavg)"),
    "method": {
        "rounds": $rounds, "slices": $slices, "duration_s": $duration, "settle_s": $settle,
        "drain_s": $drain,
        "order": "per round: two copies of the topology, the Rust forwarder on one (A in odd "
                 "rounds, B in even) and the C forwarder on the other, both alive; $slices "
                 "slice pair(s) at full speed then $slices at the equal load, Rust first when "
                 "round + slice is even; then the ceiling",
        "ratio": "per slice pair Rust/C; per round the geometric mean of its pairs (as many "
                 "with Rust first as with C first); headline the median of the rounds, spread "
                 "their min..max",
        "pinning": "generator CPU $gen_cpu, forwarders CPU $fwd_cpu" if $(nproc) >= 2 else "none",
        "generator": ("bench/forward/xdp_gen (BPF_PROG_RUN live frames)" if "$full_gen" == "xdp_gen"
                      else "libxdp-rs/examples/txonly") + ", 64-byte frames, full speed (forward, ceiling); "
                     "libxdp-rs/examples/txonly at $fixed_pps pps, 1 queue (forward_equal_load)",
        "full_speed_generator": "$full_gen",
        "equal_load_pps": $fixed_pps,
        "sink": "bench/forward/xdp_count_drop (native XDP_DROP) on the sink device",
        "forwarders": "libxdp-rs/examples/forward (release) vs bench/forward/forward.c (-O2, libxdp.a), "
                      "1 queue, ring 4096, batch 64",
        "forwarder_binaries": {"rust": "${RUST_FORWARDER:-$examples/forward}",
                               "c": "${C_FORWARDER:-$cfwd/forward}"},
    },
    "headline": headline,
    "ring_ops": rings,
    "forward": fwd,
    "forward_equal_load": fwd_fixed,
    "forward_round_checks": round_checks,
    "forward_pair_ratios": {"cpu_full": cpu_pairs, "cpu_equal_load": cpu_pairs_eq,
                            "mpps_full": mpps_pairs},
    "ceiling": ceiling,
    "setup_scaling": setup,
}
with open(out, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")

def fmt(s, scale=1.0, prec=3):
    if not s:
        return "-"
    return f"{s['median']*scale:.{prec}f} [{s['min']*scale:.{prec}f}..{s['max']*scale:.{prec}f}]"

print()
print("== results (median [min..max] over slices)")
print(f"{'':18}{'Mpps':>26}{'CPU ns/pkt':>26}{'CPU busy':>22}{'generator Mpps':>26}")
for impl, label in (("c", "forward C"), ("rust", "forward Rust")):
    s = fwd[impl]
    print(f"{label:18}{fmt(s['mpps']):>26}{fmt(s['cpu_ns_per_pkt'], 1, 0):>26}"
          f"{fmt(s['cpu_util'], 100, 0):>22}{fmt(s['gen_mpps']):>26}")
print(f"{'ceiling XDP_DROP':18}{fmt(ceiling['mpps']):>26}{'-':>26}{'-':>22}{fmt(ceiling['gen_mpps']):>26}")
for impl, label in (("c", f"C @{$fixed_pps}"), ("rust", f"Rust @{$fixed_pps}")):
    s = fwd_fixed[impl]
    if s["runs"]:
        print(f"{label:18}{fmt(s['mpps']):>26}{fmt(s['cpu_ns_per_pkt'], 1, 0):>26}"
              f"{fmt(s['cpu_util'], 100, 0):>22}{fmt(s['gen_mpps']):>26}")
print()
if rings and rings.get("ratio_worst") is not None:
    print(f"ring ops Rust/C: {rings['ratio_worst']:.2f} (worst batch)")
def ci_text(ci):
    return f"95% interval {ci[0]:.2f}..{ci[1]:.2f}; " if ci else ""
if cpu_ratios:
    print(f"forward CPU/pkt Rust/C: {headline['forward_cpu_per_pkt_rust_over_c']:.2f} "
          f"(full speed; {ci_text(cpu_ci)}per-round ratios "
          f"{min(cpu_ratios):.2f}..{max(cpu_ratios):.2f}, n={len(cpu_ratios)} rounds of "
          f"{len(cpu_pairs)} slice pairs)")
if cpu_ratios_eq:
    print(f"forward CPU/pkt Rust/C at {$fixed_pps} pps: "
          f"{headline['forward_cpu_per_pkt_rust_over_c_equal_load']:.2f} ({ci_text(cpu_ci_eq)}"
          f"per-round ratios {min(cpu_ratios_eq):.2f}..{max(cpu_ratios_eq):.2f})")
if mpps_ratios:
    print(f"forward Mpps Rust/C: {headline['forward_mpps_rust_over_c']:.2f} "
          f"(per-round ratios {min(mpps_ratios):.2f}..{max(mpps_ratios):.2f})")
for impl in ("c", "rust"):
    f = headline[f"forward_{impl}_fraction_of_ceiling"]
    if f is not None:
        print(f"forward {impl} / ceiling: {f:.2f}")
# What limits the figures.
for impl in ("c", "rust"):
    s = fwd[impl]
    if not (s["cpu_util"] and s["gen_mpps"] and s["mpps"]):
        continue
    lost = sum(r["ingress_drops"] for r in s["runs"]) / max(1, sum(r["sent"] for r in s["runs"]))
    busy = s["cpu_util"]["median"]
    cpu = s["fwd_cpu_busy"]["median"] if s["fwd_cpu_busy"] else busy
    head = (f"note: forward {impl} at full speed: forwarder {busy*100:.0f}% of the active time, "
            f"its CPU {cpu*100:.0f}% busy, {lost*100:.1f}% of sent frames dropped at ingress: ")
    if cpu >= 0.9 and lost >= 0.01:
        print(head + "the forwarder's CPU limits this figure (the forwarder itself, and the "
              "sink's softirq work that its transmissions cause on that CPU)")
    elif lost < 0.01:
        print(head + "the generator limits this figure")
    else:
        print(head + "the forwarder does not keep up without saturating its CPU: it waits "
              "(copy-mode TX takes <= 32 frames per kick; the loop sleeps 50 us on a full TX "
              "ring) or other load preempts it")
if ceiling["mpps"] and ceiling["gen_mpps"]:
    c, g = ceiling["mpps"]["median"], ceiling["gen_mpps"]["median"]
    if "$full_gen" == "xdp_gen":
        print(f"note: ceiling {c:.3f} Mpps (generator offered {g:.3f}): xdp_gen costs next to "
              "nothing per frame, so this is what one CPU can push through veth into XDP")
    else:
        print(f"note: ceiling {c:.3f} Mpps vs generator send rate {g:.3f} Mpps: XDP_DROP takes "
              "all the generator sends, so the ceiling is the generator's (one CPU: txonly + "
              "veth + XDP_DROP)")
if setup and setup.get("growth_1024_over_64") is not None:
    print(f"setup growth 1024/64: {setup['growth_1024_over_64']:.2f}")
print(f"results: {out}")
PY

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
