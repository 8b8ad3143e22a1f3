#!/usr/bin/env python3
"""Derive bench/run.sh's figures from its raw readings, print the summary, write the results file.

    python3 bench/summarize.py --work DIR --meta DIR/meta.json --out results.json

DIR is run.sh's work directory: `forward.jsonl` (one line per slice, round check and ceiling
run, raw readings only: sink counts, per-thread CPU time in ns, the forwarder CPU's tick counters,
syscall counts), `skipped.jsonl` (contenders not run, and why), and the components' own files
when they ran: `rings.json` (bench/rings, time), `rings-instr.json` (bench/rings --instr,
instructions under valgrind), `setup.json` (bench/setup), `scale.json` (bench/scale.sh).
meta.json holds run.sh's plain values (strings). Nothing here runs a benchmark.
"""

import argparse
import json
import os
import random
import statistics

PEERS = ("xsk-rs", "xdpilone")
LOADS = ("full", "fixed")


def load_json(work, name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def load_lines(work, name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def median_ci(xs, seed=1):
    """95 % interval of the median of xs from 2000 resamples (fixed seed)."""
    xs = [x for x in xs if x is not None]
    if len(xs) < 4:
        return None
    rng = random.Random(seed)
    est = sorted(statistics.median(rng.choices(xs, k=len(xs))) for _ in range(2000))
    return [est[49], est[1949]]


def derive(s):
    """A slice's figures from its raw readings (in place)."""
    fwd = s["sink_after"] - s["sink_before"]
    cpu_s = (sum(s["cpu_ns_after"]) - sum(s["cpu_ns_before"])) / 1e9
    t0, t1 = s["fwd_cpu_ticks_before"], s["fwd_cpu_ticks_after"]
    busy = None
    if len(t0) == 8 and len(t1) == 8 and sum(t1) > sum(t0):
        # user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        d = [b - a for a, b in zip(t0, t1)]
        busy = (sum(d) - d[3] - d[4]) / sum(d)
    s["forwarded"] = fwd
    s["cpu_s"] = cpu_s
    s["active_s"] = s["gen_s"]
    s["mpps"] = fwd / s["gen_s"] / 1e6 if s["gen_s"] > 0 else 0.0
    s["ingress_drops"] = max(0, s["sent"] - fwd)
    s["fwd_cpu_busy"] = busy
    s["cpu_ns_per_pkt"] = cpu_s * 1e9 / fwd if fwd else None
    s["cpu_util"] = cpu_s / s["gen_s"] if s["gen_s"] else None
    sc = s.get("syscalls")
    s["syscalls_per_kpkt"] = sc * 1000 / fwd if sc is not None and fwd else None
    return s


def contender_figures(slices):
    """Per contender and load: every slice and the statistics over them."""
    sc = [s["syscalls"] for s in slices if s.get("syscalls") is not None]
    fwd = sum(s["forwarded"] for s in slices if s.get("syscalls") is not None)
    by_call = {}
    for s in slices:
        for call, n in (s.get("syscalls_by_call") or {}).items():
            by_call[call] = by_call.get(call, 0) + n
    return {
        "runs": slices,
        "mpps": stats([s["mpps"] for s in slices]),
        "gen_mpps": stats([s["gen_mpps"] for s in slices]),
        "cpu_ns_per_pkt": stats([s["cpu_ns_per_pkt"] for s in slices]),
        "cpu_ns_per_pkt_ci95": median_ci([s["cpu_ns_per_pkt"] for s in slices]),
        "cpu_util": stats([s["cpu_util"] for s in slices]),
        "fwd_cpu_busy": stats([s["fwd_cpu_busy"] for s in slices]),
        "syscalls_per_kpkt": stats([s["syscalls_per_kpkt"] for s in slices]),
        # All slices pooled: syscalls over frames, the figure the lines use.
        "syscalls_per_kpkt_pooled": sum(sc) * 1000 / fwd if sc and fwd else None,
        # The same, per system call (those with a tracepoint here; the rest is "other").
        "syscalls_per_kpkt_by_call": {k: v * 1000 / fwd for k, v in sorted(by_call.items())}
        if by_call and fwd
        else None,
    }


class Ratios:
    """X/Y of slices in the same group (round, load, slice: every contender back to back).

    Per round the geometric mean of its groups' ratios: the order rotates within a round, so
    whatever going first costs cancels in that mean. The headline is the median of the rounds'
    (the topology each contender gets rotates per round), its interval from resampling the
    groups within each round (2000 times, fixed seed)."""

    def __init__(self, slices, x, y, load, key):
        by = {}
        for s in slices:
            if s["load"] == load:
                by[(s["round"], s["slice"], s["contender"])] = s
        self.by_round = []
        for r in sorted({k[0] for k in by}):
            vals = []
            for sl in sorted({k[1] for k in by if k[0] == r}):
                a, b = by.get((r, sl, x)), by.get((r, sl, y))
                if a and b and a.get(key) and b.get(key):
                    vals.append(a[key] / b[key])
            if vals:
                self.by_round.append(vals)
        self.per_round = [statistics.geometric_mean(v) for v in self.by_round]
        self.pairs = [v for p in self.by_round for v in p]

    def headline(self):
        return statistics.median(self.per_round) if self.per_round else None

    def spread(self):
        return [min(self.per_round), max(self.per_round)] if self.per_round else None

    def interval(self):
        if sum(len(p) for p in self.by_round) < 4:
            return None
        rng = random.Random(1)
        est = sorted(
            statistics.median(
                [statistics.geometric_mean(rng.choices(p, k=len(p))) for p in self.by_round]
            )
            for _ in range(2000)
        )
        return [est[49], est[1949]]

    def as_dict(self):
        return {
            "ratio": self.headline(),
            "ci95": self.interval(),
            "per_round_spread": self.spread(),
            "rounds": len(self.per_round),
            "groups": len(self.pairs),
            "pairs": self.pairs,
        }


def fmt(s, scale=1.0, prec=3):
    if not s:
        return "-"
    return f"{s['median']*scale:.{prec}f} [{s['min']*scale:.{prec}f}..{s['max']*scale:.{prec}f}]"


def ci_text(ci):
    return f"95% interval {ci[0]:.2f}..{ci[1]:.2f}; " if ci else ""


def num(x, prec=2):
    return "-" if x is None else f"{x:.{prec}f}"


# The batches the Rust/C instruction target is judged at (issue #14); other batches the bench
# runs are reported beside them, not hidden.
JUDGED_BATCHES = (1, 16, 64, 256)


def instr_verdict(instr):
    """Worst Rust/C instructions per descriptor per batch over both rings (fill/completion and
    RX/TX), the worst over the judged batches, and the worst over the others."""
    worst = {}
    for ring in ("batches", "batches_xdp_desc"):
        for b, v in (instr.get(ring) or {}).items():
            if isinstance(v, dict) and v.get("ratio") is not None:
                worst[int(b)] = max(worst.get(int(b), 0.0), v["ratio"])
    by_batch = sorted(worst.items())
    judged = [r for b, r in by_batch if b in JUDGED_BATCHES]
    other = [r for b, r in by_batch if b not in JUDGED_BATCHES]
    return {
        "worst_by_batch": by_batch,
        "ratio_worst_judged": max(judged) if judged else None,
        "ratio_worst_other": max(other) if other else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True, help="run.sh's work directory")
    ap.add_argument("--meta", required=True, help="run.sh's metadata (JSON object of strings)")
    ap.add_argument("--out", required=True, help="the results file to write")
    a = ap.parse_args()
    with open(a.meta) as f:
        meta = json.load(f)
    work = a.work
    fixed_pps = int(meta.get("fixed_pps", 250000))
    contenders = [c for c in meta.get("contenders", "").split(",") if c]
    full_gen = meta.get("full_gen", "none")

    lines = load_lines(work, "forward.jsonl")
    slices = [derive(x) for x in lines if x["kind"] == "slice"]
    skipped = {x["contender"]: x["reason"] for x in load_lines(work, "skipped.jsonl")}
    fwd = {load: {} for load in LOADS}
    for load in LOADS:
        for c in contenders:
            fwd[load][c] = contender_figures(
                [s for s in slices if s["contender"] == c and s["load"] == load]
            )
    ceil_runs = [x for x in lines if x["kind"] == "ceiling"]
    ceiling = {
        "runs": ceil_runs,
        "mpps": stats([r["mpps"] for r in ceil_runs]),
        "gen_mpps": stats([r["gen_mpps"] for r in ceil_runs]),
    }
    round_checks = [x for x in lines if x["kind"] == "round"]

    def ratio(x, y, load, key):
        if x not in contenders or y not in contenders:
            return None
        return Ratios(slices, x, y, load, key)

    def pooled(c, load):
        f = fwd[load].get(c)
        return f["syscalls_per_kpkt_pooled"] if f else None

    def pooled_ratio(x, y, load):
        px, py = pooled(x, load), pooled(y, load)
        return px / py if px is not None and py else None

    # Every contender against C, and ours against the best peer (the peer with the lowest
    # median CPU per packet at full speed).
    vs_c = {}
    for c in contenders:
        if c == "c":
            continue
        vs_c[c] = {
            "cpu_full": ratio(c, "c", "full", "cpu_ns_per_pkt"),
            "cpu_fixed": ratio(c, "c", "fixed", "cpu_ns_per_pkt"),
            "mpps_full": ratio(c, "c", "full", "mpps"),
        }
    peers = [p for p in PEERS if p in contenders and fwd["full"][p]["cpu_ns_per_pkt"]]
    best_peer = min(peers, key=lambda p: fwd["full"][p]["cpu_ns_per_pkt"]["median"]) if peers else None
    vs_peer = None
    if best_peer and "ours" in contenders:
        vs_peer = {
            "cpu_full": ratio("ours", best_peer, "full", "cpu_ns_per_pkt"),
            "cpu_fixed": ratio("ours", best_peer, "fixed", "cpu_ns_per_pkt"),
            "mpps_full": ratio("ours", best_peer, "full", "mpps"),
        }
    busy = None
    if "ours+busy-poll" in contenders and "ours" in contenders:
        busy = {
            "cpu_full": ratio("ours+busy-poll", "ours", "full", "cpu_ns_per_pkt"),
            "cpu_fixed": ratio("ours+busy-poll", "ours", "fixed", "cpu_ns_per_pkt"),
            "mpps_full": ratio("ours+busy-poll", "ours", "full", "mpps"),
            "mpps_fixed": ratio("ours+busy-poll", "ours", "fixed", "mpps"),
        }
    sys_ours_c = {load: pooled_ratio("ours", "c", load) for load in LOADS}
    # The same per slice group, for its interval: at the equal load the count is a matter of
    # timing (how many frames a wake-up finds), not of policy; the interval shows how much.
    sys_groups = {load: ratio("ours", "c", load, "syscalls_per_kpkt") for load in LOADS}
    sys_worst = max((v for v in sys_ours_c.values() if v is not None), default=None)

    rings = load_json(work, "rings.json")
    instr = load_json(work, "rings-instr.json")
    setup = load_json(work, "setup.json")
    scale = load_json(work, "scale.json")

    def h(r, what):
        if r is None:
            return None
        return {"ratio": r.headline, "spread": r.spread, "ci": r.interval}[what]()

    oc = vs_c.get("ours", {})
    headline = {
        "forward_cpu_per_pkt_rust_over_c": h(oc.get("cpu_full"), "ratio"),
        "forward_cpu_per_pkt_rust_over_c_spread": h(oc.get("cpu_full"), "spread"),
        "forward_cpu_per_pkt_rust_over_c_ci95": h(oc.get("cpu_full"), "ci"),
        "forward_cpu_per_pkt_rust_over_c_equal_load": h(oc.get("cpu_fixed"), "ratio"),
        "forward_cpu_per_pkt_rust_over_c_equal_load_spread": h(oc.get("cpu_fixed"), "spread"),
        "forward_cpu_per_pkt_rust_over_c_equal_load_ci95": h(oc.get("cpu_fixed"), "ci"),
        "equal_load_pps": fixed_pps,
        "forward_mpps_rust_over_c": h(oc.get("mpps_full"), "ratio"),
        "forward_mpps_rust_over_c_spread": h(oc.get("mpps_full"), "spread"),
        "forward_slice_pairs": len(oc["cpu_full"].pairs) if oc.get("cpu_full") else 0,
        "ceiling_mpps": ceiling["mpps"]["median"] if ceiling["mpps"] else None,
        "best_peer": best_peer,
        "forward_cpu_per_pkt_ours_over_best_peer": h((vs_peer or {}).get("cpu_full"), "ratio"),
        "forward_cpu_per_pkt_ours_over_best_peer_ci95": h((vs_peer or {}).get("cpu_full"), "ci"),
        "syscalls_per_kpkt_ours_over_c": sys_worst,
        "syscalls_per_kpkt_ours_over_c_full": sys_ours_c["full"],
        "syscalls_per_kpkt_ours_over_c_equal_load": sys_ours_c["fixed"],
        "syscalls_per_kpkt_ours_over_c_equal_load_groups": h(sys_groups["fixed"], "ratio"),
        "syscalls_per_kpkt_ours_over_c_equal_load_ci95": h(sys_groups["fixed"], "ci"),
        "syscalls_per_kpkt_ours_over_c_equal_load_spread": h(sys_groups["fixed"], "spread"),
    }
    for c in contenders:
        fr = [
            x["mpps"] / r["mpps"]
            for x in fwd["full"][c]["runs"]
            for r in ceil_runs
            if r["round"] == x["round"] and r["mpps"]
        ]
        key = {"ours": "rust"}.get(c, c)
        headline[f"forward_{key}_fraction_of_ceiling"] = statistics.median(fr) if fr else None
    if busy:
        headline["busy_poll_mpps_over_ours"] = h(busy["mpps_full"], "ratio")
        headline["busy_poll_cpu_per_pkt_over_ours"] = h(busy["cpu_full"], "ratio")
        headline["busy_poll_cpu_per_pkt_over_ours_equal_load"] = h(busy["cpu_fixed"], "ratio")
        headline["busy_poll_syscalls_per_pkt_over_ours"] = pooled_ratio("ours+busy-poll", "ours", "full")
        headline["busy_poll_syscalls_per_pkt_over_ours_equal_load"] = pooled_ratio(
            "ours+busy-poll", "ours", "fixed"
        )
    if rings:
        headline["ring_ops_rust_over_c_worst"] = rings.get("ratio_worst")
    if instr:
        instr.update(instr_verdict(instr))
        headline["ring_instr_per_desc_rust_over_c_worst"] = instr["ratio_worst_judged"]
        headline["ring_instr_per_desc_rust_over_c_worst_other_batches"] = instr["ratio_worst_other"]
    if setup:
        headline["setup_growth_1024_over_64"] = setup.get("growth_1024_over_64")
    if scale:
        headline["scale_cpu_ratio_m64_over_m1"] = scale.get("cpu_ratio_m64_over_m1")
        headline["scale_cpu_ratio_m64_over_m1_equal_load"] = scale.get("fixed_cpu_ratio_m64_over_m1")

    rounds, slices_n = meta.get("rounds"), meta.get("slices")
    pinned = meta.get("pinned", "0") not in ("0", "")
    result = {
        "date": meta.get("date"),
        "kernel": meta.get("kernel"),
        "cpu_model": meta.get("cpu_model"),
        "cpus": int(meta.get("cpus", 0)),
        "git_commit": meta.get("git_commit", "unknown") + (" (dirty)" if meta.get("dirty") == "1" else ""),
        "quick": meta.get("quick") == "1",
        "loadavg_start": float(meta.get("loadavg_start", 0)),
        "loadavg_end": float(meta.get("loadavg_end", 0)),
        "method": {
            "rounds": int(rounds or 0),
            "slices": int(slices_n or 0),
            "duration_s": float(meta.get("duration_s", 0)),
            "settle_s": float(meta.get("settle_s", 0)),
            "drain_s": float(meta.get("drain_s", 0)),
            "contenders": contenders,
            "skipped": skipped,
            "order": f"per round: a copy of the topology per contender (contender i on copy "
            f"i + round), all forwarders alive; {slices_n} slice group(s) at full speed then "
            f"{slices_n} at the equal load; in a group every contender gets a slice back to "
            "back, in an order that rotates by one from group to group (Latin square); then "
            "the ceiling",
            "ratio": "per slice group X/Y; per round the geometric mean of its groups; headline "
            "the median of the rounds, spread their min..max, 95 % interval from resampling "
            "the groups within each round",
            "syscalls": "perf stat -e raw_syscalls:sys_enter -p PID (all threads), enabled "
            "through a control FIFO from just before a slice's traffic to the end of its drain; "
            "per 1000 frames counted at the sink, pooled over a contender's slices"
            if meta.get("syscalls_counted") == "1"
            else "not counted",
            "pinning": f"generator CPU {meta.get('gen_cpu')}, forwarders CPU {meta.get('fwd_cpu')}"
            if pinned
            else "none",
            "generator": (
                "bench/forward/xdp_gen (BPF_PROG_RUN live frames)"
                if full_gen == "xdp_gen"
                else "libxdp-rs/examples/txonly"
            )
            + f", 64-byte frames, full speed (forward, ceiling); libxdp-rs/examples/txonly at "
            f"{fixed_pps} pps, 1 queue (forward_equal_load)",
            "full_speed_generator": full_gen,
            "equal_load_pps": fixed_pps,
            "sink": "bench/forward/xdp_count_drop (native XDP_DROP) on the sink device",
            "forwarders": "ours: libxdp-rs/examples/forward (release); c: bench/forward/forward.c "
            "(-O2, libxdp.a); xsk-rs, xdpilone: bench/peers; ours+busy-poll: examples/forward "
            "--busy-poll; 1 queue, ring 4096, batch 64",
            "forwarder_binaries": {
                k[len("binary:"):]: v for k, v in meta.items() if k.startswith("binary:")
            },
        },
        "headline": headline,
        "ring_ops": rings,
        "ring_instr": instr,
        "forward": fwd["full"],
        "forward_equal_load": fwd["fixed"],
        "forward_ratios": {
            "vs_c": {c: {k: r.as_dict() for k, r in v.items() if r} for c, v in vs_c.items()},
            "ours_vs_best_peer": {k: r.as_dict() for k, r in vs_peer.items() if r} if vs_peer else None,
            "busy_poll_vs_ours": {k: r.as_dict() for k, r in busy.items() if r} if busy else None,
        },
        "forward_round_checks": round_checks,
        "ceiling": ceiling,
        "setup_scaling": setup,
        "namespace_scaling": scale,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

    report(result, fwd, vs_c, vs_peer, busy, ceiling, skipped, fixed_pps, full_gen, sys_ours_c)
    print(f"results: {a.out}")


def report(res, fwd, vs_c, vs_peer, busy, ceiling, skipped, fixed_pps, full_gen, sys_ours_c):
    head = res["headline"]
    contenders = res["method"]["contenders"]
    rings, instr, setup, scale = res["ring_ops"], res["ring_instr"], res["setup_scaling"], res["namespace_scaling"]
    print()
    if contenders:
        print("== results (median [min..max] over slices)")
        print(f"{'':24}{'Mpps':>26}{'CPU ns/pkt':>26}{'CPU busy':>22}{'generator Mpps':>26}")
        for load in LOADS:
            for c in contenders:
                s = fwd[load][c]
                if not s["runs"]:
                    continue
                label = f"forward {c}" if load == "full" else f"{c} @{fixed_pps}"
                print(f"{label:24}{fmt(s['mpps']):>26}{fmt(s['cpu_ns_per_pkt'], 1, 0):>26}"
                      f"{fmt(s['cpu_util'], 100, 0):>22}{fmt(s['gen_mpps']):>26}")
            if load == "full":
                print(f"{'ceiling XDP_DROP':24}{fmt(ceiling['mpps']):>26}{'-':>26}{'-':>22}"
                      f"{fmt(ceiling['gen_mpps']):>26}")
        print()
        # The peer table.
        print("== forwarders side by side (CPU ns/pkt: median [95% interval]; syscalls per 1000 "
              "forwarded frames)")
        kp = f"@{fixed_pps // 1000} kpps"
        print(f"{'contender':16}{'Mpps':>8}{'CPU ns/pkt':>24}{'syscalls/kpkt':>15}{kp:>12}")
        for c in contenders:
            s = fwd["full"][c]
            if not s["runs"]:
                continue
            cpu = s["cpu_ns_per_pkt"]
            ci = s["cpu_ns_per_pkt_ci95"]
            cpu_text = "-" if not cpu else f"{cpu['median']:.0f}" + (f" [{ci[0]:.0f}..{ci[1]:.0f}]" if ci else "")
            mpps = s["mpps"]["median"] if s["mpps"] else None
            print(f"{c:16}{num(mpps, 3):>8}{cpu_text:>24}{num(s['syscalls_per_kpkt_pooled'], 1):>15}"
                  f"{num(fwd['fixed'][c]['syscalls_per_kpkt_pooled'], 1):>12}")
        for c, why in skipped.items():
            print(f"{c:16}skipped: {why}")
        print()
        # Which calls: per 1000 forwarded frames, by system call.
        calls = sorted({k for load in LOADS for c in contenders
                        for k, v in (fwd[load][c]["syscalls_per_kpkt_by_call"] or {}).items() if v})
        if calls:
            print("== syscalls per 1000 forwarded frames, by call")
            print(f"{'contender':24}" + "".join(f"{k:>16}" for k in calls) + f"{'other':>10}")
            for load in LOADS:
                for c in contenders:
                    f = fwd[load][c]
                    by = f["syscalls_per_kpkt_by_call"]
                    if not by:
                        continue
                    other = max(0.0, (f["syscalls_per_kpkt_pooled"] or 0) - sum(by.values()))
                    label = c if load == "full" else f"{c} @{fixed_pps // 1000}k"
                    print(f"{label:24}" + "".join(f"{by.get(k, 0):>16.2f}" for k in calls)
                          + f"{other:>10.2f}")
            print()
    if rings and rings.get("ratio_worst") is not None:
        print(f"ring ops Rust/C: {rings['ratio_worst']:.2f} (worst batch)")
    if instr and instr.get("ratio_worst_judged") is not None:
        per = ", ".join(f"{b}: {r:.2f}" for b, r in instr["worst_by_batch"] if b in JUDGED_BATCHES)
        print(f"ring instr/desc Rust/C: {instr['ratio_worst_judged']:.2f} (worst of both rings at "
              f"batches 1, 16, 64, 256; valgrind; per batch {per})")
        other = [(b, r) for b, r in instr["worst_by_batch"] if b not in JUDGED_BATCHES]
        if other:
            print("ring instr/desc Rust/C at other batches: "
                  + ", ".join(f"{b}: {r:.2f}" for b, r in other)
                  + (" (where Rust loses: LLVM's unrolled, vectorised loop costs ~20 "
                     "instructions per call before its first descriptor; gcc -O2's plain "
                     "masked loop does not; see bench/README.md)"
                     if any(r > 1.0 for _, r in other) else ""))
    oc = vs_c.get("ours", {})
    cpu = oc.get("cpu_full")
    if cpu and cpu.per_round:
        print(f"forward CPU/pkt Rust/C: {cpu.headline():.2f} "
              f"(full speed; {ci_text(cpu.interval())}per-round ratios "
              f"{min(cpu.per_round):.2f}..{max(cpu.per_round):.2f}, n={len(cpu.per_round)} rounds of "
              f"{len(cpu.pairs)} slice pairs)")
    eq = oc.get("cpu_fixed")
    if eq and eq.per_round:
        print(f"forward CPU/pkt Rust/C at {fixed_pps} pps: {eq.headline():.2f} ({ci_text(eq.interval())}"
              f"per-round ratios {min(eq.per_round):.2f}..{max(eq.per_round):.2f})")
    mp = oc.get("mpps_full")
    if mp and mp.per_round:
        print(f"forward Mpps Rust/C: {mp.headline():.2f} "
              f"(per-round ratios {min(mp.per_round):.2f}..{max(mp.per_round):.2f})")
    if vs_peer and vs_peer["cpu_full"] and vs_peer["cpu_full"].per_round:
        r = vs_peer["cpu_full"]
        eqp = vs_peer["cpu_fixed"]
        extra = f"; at {fixed_pps} pps {eqp.headline():.2f}" if eqp and eqp.per_round else ""
        print(f"forward CPU/pkt ours/best-peer: {r.headline():.2f} (best peer {head['best_peer']}; "
              f"full speed; {ci_text(r.interval())}n={len(r.per_round)} rounds{extra})")
    for c in contenders:
        if c in ("ours", "c", "ours+busy-poll") or c not in vs_c or not vs_c[c]["cpu_full"]:
            continue
        r = vs_c[c]["cpu_full"]
        if r.per_round:
            print(f"forward CPU/pkt {c}/C: {r.headline():.2f} (full speed; {ci_text(r.interval())}"
                  f"n={len(r.per_round)} rounds)")
    if head.get("syscalls_per_kpkt_ours_over_c") is not None:
        ci = head.get("syscalls_per_kpkt_ours_over_c_equal_load_ci95")
        spread = head.get("syscalls_per_kpkt_ours_over_c_equal_load_spread")
        print(f"syscalls/kpkt ours/C: {head['syscalls_per_kpkt_ours_over_c']:.2f} (worse of full "
              f"speed {num(sys_ours_c['full'])} and {fixed_pps} pps {num(sys_ours_c['fixed'])})")
        if ci and spread:
            print(f"note: syscalls/kpkt ours/C at {fixed_pps} pps per slice group: "
                  f"{ci_text(ci)}per-round {spread[0]:.2f}..{spread[1]:.2f}. Not a deterministic "
                  "count: copy-mode TX sends <= 32 frames per sendto(), and at this load the "
                  "frames reach the RX ring a few at a time, so sendto()s per frame follow how "
                  "many frames each turn of a loop finds (timing), not the library; at full "
                  "speed every contender makes one sendto() per 32 frames (exact). By policy "
                  "ours kicks only while the kernel has TX descriptors pending, C whenever "
                  "frames are in flight (bench/README.md)")
    if busy:
        for load, name in (("full", "full speed"), ("fixed", f"{fixed_pps} pps")):
            m, c = busy.get(f"mpps_{load}"), busy.get(f"cpu_{load}")
            sp = fwd[load]["ours+busy-poll"]["syscalls_per_kpkt_pooled"]
            so = fwd[load]["ours"]["syscalls_per_kpkt_pooled"]
            sr = sp / so if sp is not None and so else None
            if not (m and m.per_round):
                continue
            print(f"busy-poll/ours at {name}: Mpps {m.headline():.2f}, CPU/pkt "
                  f"{num(c.headline() if c else None)} ({ci_text(c.interval() if c else None)}"
                  f"n={len(m.per_round)} rounds), syscalls/pkt {num(sr)}")
    for c in contenders:
        f = head.get(f"forward_{ {'ours': 'rust'}.get(c, c) }_fraction_of_ceiling")
        if f is not None:
            print(f"forward {c} / ceiling: {f:.2f}")
    # What limits the figures.
    for c in contenders:
        s = fwd["full"][c]
        if not (s["cpu_util"] and s["gen_mpps"] and s["mpps"]):
            continue
        lost = sum(r["ingress_drops"] for r in s["runs"]) / max(1, sum(r["sent"] for r in s["runs"]))
        util = s["cpu_util"]["median"]
        cpu_busy = s["fwd_cpu_busy"]["median"] if s["fwd_cpu_busy"] else util
        text = (f"note: forward {c} at full speed: forwarder {util*100:.0f}% of the active time, "
                f"its CPU {cpu_busy*100:.0f}% busy, {lost*100:.1f}% of sent frames dropped at ingress: ")
        if cpu_busy >= 0.9 and lost >= 0.01:
            print(text + "the forwarder's CPU limits this figure (the forwarder itself, and the "
                  "sink's softirq work that its transmissions cause on that CPU)")
        elif lost < 0.01:
            print(text + "the generator limits this figure")
        else:
            print(text + "the forwarder does not keep up without saturating its CPU: it waits "
                  "(copy-mode TX takes <= 32 frames per kick; the loop sleeps 50 us on a full TX "
                  "ring) or other load preempts it")
    if ceiling["mpps"] and ceiling["gen_mpps"]:
        c, g = ceiling["mpps"]["median"], ceiling["gen_mpps"]["median"]
        if full_gen == "xdp_gen":
            print(f"note: ceiling {c:.3f} Mpps (generator offered {g:.3f}): xdp_gen costs next to "
                  "nothing per frame, so this is what one CPU can push through veth into XDP")
        else:
            print(f"note: ceiling {c:.3f} Mpps vs generator send rate {g:.3f} Mpps: XDP_DROP takes "
                  "all the generator sends, so the ceiling is the generator's (one CPU: txonly + "
                  "veth + XDP_DROP)")
    if setup and setup.get("growth_1024_over_64") is not None:
        print(f"setup growth 1024/64: {setup['growth_1024_over_64']:.2f}")
    if scale and scale.get("rows"):
        print()
        print("== namespace scaling: one forwarding thread, one UMEM, M namespace pairs")
        rows = scale["rows"]
        # Columns beyond the agreed ones (rows, pairs, mpps, cpu_ns_per_pkt, rss_kib, umem_bytes,
        # sent, forwarded) are shown when bench/scale.sh writes them.
        has_fixed = any(r.get("fixed_cpu_ns_per_pkt") is not None for r in rows)
        has_sys = any(r.get("syscalls_per_kpkt") is not None for r in rows)
        pps = next((r.get("fixed_rate_pps") for r in rows if r.get("fixed_rate_pps")), None)
        print(f"{'M pairs':>8}{'Mpps':>9}{'CPU ns/pkt':>12}"
              + (f"{'@' + str(pps // 1000 if pps else '?') + 'k ns/pkt':>14}" if has_fixed else "")
              + (f"{'syscalls/kpkt':>15}" if has_sys else "")
              + f"{'RSS KiB':>10}{'UMEM KiB':>10}{'sent':>12}{'forwarded':>12}")
        for row in rows:
            umem = row.get("umem_bytes")
            line = (f"{row.get('pairs', '-'):>8}{num(row.get('mpps'), 3):>9}"
                    f"{num(row.get('cpu_ns_per_pkt'), 0):>12}")
            if has_fixed:
                line += f"{num(row.get('fixed_cpu_ns_per_pkt'), 0):>14}"
            if has_sys:
                sc = row.get("syscalls_per_kpkt")
                line += f"{num(sc if sc is None or sc >= 0 else None, 1):>15}"
            line += (f"{row.get('rss_kib', '-'):>10}"
                     f"{'-' if umem is None else umem // 1024:>10}{row.get('sent', '-'):>12}"
                     f"{row.get('forwarded', '-'):>12}")
            print(line)
        if scale.get("cpu_ratio_m64_over_m1") is not None:
            fixed = scale.get("fixed_cpu_ratio_m64_over_m1")
            print(f"namespace scaling CPU/pkt M=64/M=1: {scale['cpu_ratio_m64_over_m1']:.2f} "
                  "(full speed; target <= 1.2"
                  + (f"; at {pps} pps {fixed:.2f}" if fixed is not None and pps else "") + ")")
        elif scale.get("cpu_ratio_largest_over_m1") is not None:
            print(f"namespace scaling CPU/pkt M={scale.get('largest_pairs')}/M=1: "
                  f"{scale['cpu_ratio_largest_over_m1']:.2f} (M=64 not run)")


if __name__ == "__main__":
    main()
