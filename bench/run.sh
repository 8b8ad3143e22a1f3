#!/usr/bin/env bash
# The benchmarks, in one invocation, as ratios of runs taken side by side (see bench/README.md).
#
#   bench/run.sh            full run: ring ops, forwarding Rust vs C (alternating, ROUNDS rounds),
#                           XDP_DROP ceiling, setup scaling; writes bench/results/results-DATE.json
#   bench/run.sh --quick    one short round of each into build/bench/ (the test suite's smoke run)
#
# Knobs (environment): ROUNDS (default 8, quick 1), DURATION seconds of traffic per forwarding or
# ceiling run (default 4, quick 1), FIXED_PPS: the generator's rate for the equal-load runs
# (default 250000, below what either forwarder saturates at here), GEN_CPU (0) and FWD_CPU (1):
# the CPUs the generator and the forwarder are pinned to (no pinning with fewer than 2 CPUs),
# SETTLE seconds between a run's set-up and its traffic (default 1), OUT (the results file),
# NO_PLOT=1, RUST_FORWARDER and C_FORWARDER (other binaries in the two slots: the same one in
# both measures what the bench cannot tell apart).
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
	duration=${DURATION:-1}
	outdir=$top/build/bench
else
	rounds=${ROUNDS:-8}
	duration=${DURATION:-4}
	outdir=$here/results
fi
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
id=bn$$
id=${id:0:10}
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$top/tests/topology.sh" down "$id" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

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

if [ -n "$rings_pkg" ]; then
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

topology_up() {
	"$top/tests/topology.sh" down "$id" >/dev/null 2>&1 || true
	eval "$(TOPOLOGY_FORWARD=1 "$top/tests/topology.sh" up "$id" 1)"
}

# The traffic source for one run, for $duration seconds, on the generator's CPU. At full
# speed ($1 = 0): $full_gen, normally xdp_gen (BPF_PROG_RUN live frames: next to no CPU per
# frame, so that it is not what limits a figure). At a fixed rate: txonly paced to $1 frames
# per second (xdp_gen cannot pace). Both print "sent N frames in T s (M Mpps)".
generate() {
	local pps=$1
	if [ "$pps" = 0 ] && [ "$full_gen" = xdp_gen ]; then
		"${pin_gen[@]}" "$cfwd/xdp_gen" --dev "$SRC_DEV" --netns "$SRC_NS" \
			--duration "$duration" --size 64
	else
		local rate=()
		[ "$pps" != 0 ] && rate=(--rate "$pps")
		"${pin_gen[@]}" "$examples/txonly" --dev "$SRC_DEV" --netns "$SRC_NS" --queues 1 \
			--duration "$duration" --size 64 "${rate[@]}"
	fi >"$work/gen" 2>"$work/gen.err"
}

# Can xdp_gen send here (Linux 5.18+, veth redirect)? 10000 frames into XDP_DROP must arrive.
probe_xdp_gen() {
	local pid counted
	topology_up
	"$cfwd/xdp_count_drop" --dev "$OUTER_DEV" >"$work/probe" 2>"$work/probe.err" &
	pid=$!
	pids+=("$pid")
	wait_ready "$work/probe" "$pid" "xdp_count_drop (probe)"
	"$cfwd/xdp_gen" --dev "$SRC_DEV" --netns "$SRC_NS" --count 10000 >"$work/probe.gen" 2>&1 ||
		true
	sleep 0.1
	stop "$pid" probe
	pids=()
	"$top/tests/topology.sh" down "$id" >/dev/null
	counted=$(num probe 's/^counted \([0-9]*\) packets.*/\1/p')
	[ "${counted:-0}" = 10000 ] && return 0
	echo "   xdp_gen cannot send here ($(head -c 300 "$work/probe.gen")); full-speed runs use txonly"
	return 1
}

# One forwarding run with forwarder $1 (rust|c) in round $2, the generator at full speed
# ($3 = 0) or at $3 packets per second; appends a JSON line.
forward_run() {
	local impl=$1 round=$2 pps=$3 bin cpu0 cpu1 ticks0 ticks1 load label
	if [ "$pps" = 0 ]; then
		load=full label=$impl
	else
		load=fixed label="$impl@$pps"
	fi
	case $impl in
	rust) bin=${RUST_FORWARDER:-$examples/forward} ;;
	c) bin=${C_FORWARDER:-$cfwd/forward} ;;
	esac
	topology_up
	"$cfwd/xdp_count_drop" --dev "$SINK_DEV" --netns "$SINK_NS" >"$work/sink" 2>"$work/sink.err" &
	local sink_pid=$!
	pids+=("$sink_pid")
	wait_ready "$work/sink" "$sink_pid" sink
	"${pin_fwd[@]}" "$bin" --ingress "$OUTER_DEV" --egress "$INNER_DEV" --egress-netns "$INNER_NS" \
		--queues 1 --quiet >"$work/fwd" 2>"$work/fwd.err" &
	local fwd_pid=$!
	pids+=("$fwd_pid")
	wait_ready "$work/fwd" "$fwd_pid" "forward ($impl)"
	sleep "$settle"
	cpu0=$(cpu_of "$fwd_pid")
	ticks0=$(cpu_ticks "$fwd_cpu")
	generate "$pps"
	ticks1=$(cpu_ticks "$fwd_cpu")
	# Let the forwarder finish what is in flight (it idles in poll meanwhile).
	sleep 0.3
	cpu1=$(cpu_of "$fwd_pid")
	stop "$fwd_pid" fwd
	stop "$sink_pid" sink
	pids=()
	"$top/tests/topology.sh" down "$id" >/dev/null
	local sent gen_mpps fwd fwd_s fwd_mpps drops sunk
	sent=$(num gen 's/^sent \([0-9]*\) frames.*/\1/p')
	gen_mpps=$(num gen 's/^sent [0-9]* frames in [0-9.]* s (\([0-9.]*\) Mpps).*/\1/p')
	fwd=$(num fwd 's/^forwarded \([0-9]*\) frames.*/\1/p')
	fwd_s=$(num fwd 's/^forwarded [0-9]* frames in \([0-9.]*\) s.*/\1/p')
	fwd_mpps=$(num fwd 's/^forwarded .*(\([0-9.]*\) Mpps while active.*/\1/p')
	drops=$(num fwd 's/.* dropped \([0-9]*\), unfinished.*/\1/p')
	sunk=$(num sink 's/^counted \([0-9]*\) packets.*/\1/p')
	printf '{"kind":"forward","impl":"%s","load":"%s","rate_pps":%s,"round":%d,' \
		"$impl" "$load" "$pps" "$round" >>"$work/forward.jsonl"
	printf '"sent":%s,"gen_mpps":%s,"forwarded":%s,' \
		"${sent:-0}" "${gen_mpps:-0}" "${fwd:-0}" >>"$work/forward.jsonl"
	printf '"active_s":%s,"mpps":%s,"ingress_drops":%s,"sink_count":%s,"cpu_s":%s,' \
		"${fwd_s:-0}" "${fwd_mpps:-0}" "${drops:-0}" "${sunk:-0}" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.4f", b - a }')" >>"$work/forward.jsonl"
	# How busy the forwarder's CPU was while the generator ran, whoever kept it busy (the
	# forwarder, or softirq work for the sink run by ksoftirqd).
	printf '"fwd_cpu_busy":%s,"generator":"%s"}\n' \
		"$(echo "$ticks0 $ticks1" | awk '{ printf "%.4f", ($4 > $2) ? ($3 - $1) / ($4 - $2) : 0 }')" \
		"$([ "$pps" = 0 ] && echo "$full_gen" || echo txonly)" >>"$work/forward.jsonl"
	printf '  round %d %-12s sent %8s (%s Mpps)  forwarded %8s (%s Mpps)  cpu %s s  sink %s\n' \
		"$round" "$label" "${sent:-?}" "${gen_mpps:-?}" "${fwd:-?}" "${fwd_mpps:-?}" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" "${sunk:-?}"
}

# One ceiling run: the generator into our XDP_DROP program on outer.
ceiling_run() {
	local round=$1
	topology_up
	"${pin_fwd[@]}" "$cfwd/xdp_count_drop" --dev "$OUTER_DEV" >"$work/ceil" 2>"$work/ceil.err" &
	local ceil_pid=$!
	pids+=("$ceil_pid")
	wait_ready "$work/ceil" "$ceil_pid" ceiling
	sleep "$settle"
	generate 0
	sleep 0.1
	stop "$ceil_pid" ceil
	pids=()
	"$top/tests/topology.sh" down "$id" >/dev/null
	local sent gen_mpps count mpps
	sent=$(num gen 's/^sent \([0-9]*\) frames.*/\1/p')
	gen_mpps=$(num gen 's/^sent [0-9]* frames in [0-9.]* s (\([0-9.]*\) Mpps).*/\1/p')
	count=$(num ceil 's/^counted \([0-9]*\) packets.*/\1/p')
	mpps=$(num ceil 's/^counted .*(\([0-9.]*\) Mpps while active.*/\1/p')
	printf '{"kind":"ceiling","round":%d,"sent":%s,"gen_mpps":%s,"count":%s,"mpps":%s}\n' \
		"$round" "${sent:-0}" "${gen_mpps:-0}" "${count:-0}" "${mpps:-0}" >>"$work/forward.jsonl"
	printf '  round %d %-12s sent %8s (%s Mpps)  dropped  %8s (%s Mpps)\n' \
		"$round" ceiling "${sent:-?}" "${gen_mpps:-?}" "${count:-?}" "${mpps:-?}"
}

echo "== forwarding: $rounds round(s) of ${duration}s runs: Rust and C at full speed (who goes first"
echo "   alternates), the ceiling, then both at an equal load of $fixed_pps pps"
if [ ${#pin_gen[@]} -gt 0 ]; then
	echo "   generator pinned to CPU $gen_cpu, forwarder to CPU $fwd_cpu"
fi
full_gen=txonly
probe_xdp_gen && full_gen=xdp_gen
echo "   generator: $full_gen at full speed, txonly at $fixed_pps pps"
: >"$work/forward.jsonl"
# Whoever runs first in a round pays for something the previous run left behind (its sockets'
# deferred release, say): in early runs of this bench the first of a pair used ~10 % more CPU
# per frame than the second. So each run starts after a settling pause, and each contender
# goes first in every other round (even ROUNDS balance it exactly).
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then order=(rust c); else order=(c rust); fi
	for who in "${order[@]}"; do forward_run "$who" "$r" 0; done
	ceiling_run "$r"
	for who in "${order[@]}"; do forward_run "$who" "$r" "$fixed_pps"; done
done

# ------------------------------------------------------------------------------------------
# Setup scaling (bench/setup)

if [ -n "$setup_pkg" ]; then
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
import json, os, statistics, sys

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

# Ratios within each round (the contenders of a round ran back to back).
def per_round(f, key):
    out = []
    for r in sorted({x["round"] for x in runs}):
        a = [x for x in f["rust"]["runs"] if x["round"] == r]
        b = [x for x in f["c"]["runs"] if x["round"] == r]
        if a and b and a[0].get(key) and b[0].get(key):
            out.append(a[0][key] / b[0][key])
    return out

# CPU per packet: at full speed (the generator offers more than the forwarder can take, so
# the forwarder runs flat out: the headline), and at an equal, lower load (the same frames for
# both, arriving in small bursts that the forwarder wakes up for).
cpu_ratios = per_round(fwd, "cpu_ns_per_pkt")
cpu_ratios_eq = per_round(fwd_fixed, "cpu_ns_per_pkt")
mpps_ratios = per_round(fwd, "mpps")
def med(s):
    return s["median"] if s else None
def ratio(xs):
    return statistics.median(xs) if xs else None
def spread(xs):
    return [min(xs), max(xs)] if xs else None
headline = {
    "forward_cpu_per_pkt_rust_over_c": ratio(cpu_ratios),
    "forward_cpu_per_pkt_rust_over_c_spread": spread(cpu_ratios),
    "forward_cpu_per_pkt_rust_over_c_equal_load": ratio(cpu_ratios_eq),
    "forward_cpu_per_pkt_rust_over_c_equal_load_spread": spread(cpu_ratios_eq),
    "equal_load_pps": $fixed_pps,
    "forward_mpps_rust_over_c": ratio(mpps_ratios),
    "forward_mpps_rust_over_c_spread": spread(mpps_ratios),
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
        "rounds": $rounds, "duration_s": $duration, "settle_s": $settle,
        "order": "per round: Rust and C at full speed (Rust first in odd rounds, C in even), "
                 "the ceiling, Rust and C at the equal load (same order)",
        "pinning": "generator CPU $gen_cpu, forwarder CPU $fwd_cpu" if $(nproc) >= 2 else "none",
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
print("== results (median [min..max] over rounds)")
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
if cpu_ratios:
    print(f"forward CPU/pkt Rust/C: {headline['forward_cpu_per_pkt_rust_over_c']:.2f} "
          f"(full speed; per-round ratios {min(cpu_ratios):.2f}..{max(cpu_ratios):.2f}, "
          f"n={len(cpu_ratios)})")
if cpu_ratios_eq:
    print(f"forward CPU/pkt Rust/C at {$fixed_pps} pps: "
          f"{headline['forward_cpu_per_pkt_rust_over_c_equal_load']:.2f} (per-round ratios "
          f"{min(cpu_ratios_eq):.2f}..{max(cpu_ratios_eq):.2f})")
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
