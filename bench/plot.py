#!/usr/bin/env python3
"""Render bench/run.sh results into one PNG chart.

    python3 bench/plot.py [RESULTS.json ...] [-o bench/results/chart.png]

Without files, the newest bench/results/results-*.json is used. Panels, each left out when its
data are missing: ring ops (ns per descriptor per batch size, C vs Rust, median with min..max
whiskers) across the top; ring instructions per descriptor (valgrind, C vs Rust); the
forwarders side by side as a table (Mpps, CPU ns/packet with its 95 % interval, syscalls per
1000 frames at full speed and at the equal load); forwarding Mpps of every contender and the
XDP_DROP ceiling (log scale); CPU ns per packet of every contender (full speed and equal load);
syscalls per 1000 forwarded frames; setup scaling (us per socket against sockets); namespace
scaling (CPU ns per packet and Mpps against M namespace pairs).
Needs matplotlib (Debian: apt-get install python3-matplotlib).
"""

import argparse
import glob
import json
import os
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot.py needs matplotlib: apt-get install python3-matplotlib (or pip install matplotlib)")

HERE = os.path.dirname(os.path.abspath(__file__))
# One color per contender, the same in every panel.
COLORS = {
    "c": "#4c72b0",
    "ours": "#dd8452",
    "xsk-rs": "#8172b3",
    "xdpilone": "#937860",
    "ours+busy-poll": "#da8bc3",
    "rust": "#dd8452",
}


def color(name):
    return COLORS.get(name, "#8c8c8c")


def err(s):
    """Whiskers (below, above) of a {median, min, max} dict."""
    return [s["median"] - s["min"]], [s["max"] - s["median"]]


def contenders_of(res):
    return res.get("method", {}).get("contenders") or list(res.get("forward", {}))


def ring_panel(ax, rings):
    groups = [("batches", "fill/comp (u64)")]
    if rings.get("batches_xdp_desc"):
        groups.append(("batches_xdp_desc", "rx/tx (xdp_desc)"))
    labels, xs, width = [], 0, 0.38
    for key, name in groups:
        for b in rings.get(key) or []:
            for off, lang, label in ((-width / 2, "c", "C"), (width / 2, "rust", "Rust")):
                s = b.get(f"{lang}_ns_per_desc")
                if not s:
                    continue
                lo, hi = err(s)
                ax.bar(xs + off, s["median"], width, yerr=[lo, hi], color=color({"rust": "ours"}.get(lang, lang)),
                       capsize=2, label=label if not labels else None)
            labels.append(f"{name}\nbatch {b['batch']}")
            xs += 1
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("ns per descriptor")
    title = "Ring ops, time"
    if rings.get("ratio_worst") is not None:
        title += f" (worst Rust/C {rings['ratio_worst']:.2f})"
    ax.set_title(title)
    ax.legend()


def instr_panel(ax, instr):
    batches = sorted((instr.get("batches") or {}).items(), key=lambda kv: int(kv[0]))
    batches = [(b, v) for b, v in batches if isinstance(v, dict)]
    if not batches:
        return False
    width = 0.38
    for i, (b, v) in enumerate(batches):
        for off, lang, label in ((-width / 2, "c", "C"), (width / 2, "rust", "Rust")):
            if v.get(lang) is not None:
                ax.bar(i + off, v[lang], width, color=color({"rust": "ours"}.get(lang, lang)),
                       label=label if i == 0 else None)
        if v.get("ratio") is not None:
            top = max(v.get("c") or 0, v.get("rust") or 0)
            ax.text(i, top * 1.03, f"{v['ratio']:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(batches)))
    ax.set_xticklabels([f"batch {b}" for b, _ in batches], fontsize=8)
    ax.set_ylabel("instructions per descriptor")
    title = "Ring ops, instructions (valgrind)"
    if instr.get("ratio_worst") is not None:
        if instr.get("ratio_worst_judged") is not None:
            title += (f"\nworst Rust/C {instr['ratio_worst_judged']:.2f} at 1, 16, 64, 256; "
                      f"{instr['ratio_worst_other']:.2f} at 2-8")
        else:
            title += f"\nworst Rust/C {instr['ratio_worst']:.2f}"
    ax.set_title(title)
    ax.legend(fontsize=7)
    ax.margins(y=0.15)
    return True


def table_panel(ax, res):
    """The peer table: what summarize.py prints, as a table."""
    fwd, eq = res["forward"], res.get("forward_equal_load") or {}
    pps = res.get("headline", {}).get("equal_load_pps") or 0
    rows, colors = [], []
    for c in contenders_of(res):
        s = fwd.get(c) or {}
        if not s.get("runs"):
            continue
        cpu, ci = s.get("cpu_ns_per_pkt"), s.get("cpu_ns_per_pkt_ci95")
        cpu_text = "-" if not cpu else f"{cpu['median']:.0f}" + (f" [{ci[0]:.0f}..{ci[1]:.0f}]" if ci else "")
        sys_full = s.get("syscalls_per_kpkt_pooled")
        sys_eq = (eq.get(c) or {}).get("syscalls_per_kpkt_pooled")
        rows.append([c, f"{s['mpps']['median']:.3f}" if s.get("mpps") else "-", cpu_text,
                     "-" if sys_full is None else f"{sys_full:.1f}",
                     "-" if sys_eq is None else f"{sys_eq:.1f}"])
        colors.append(color(c))
    for c, why in (res.get("method", {}).get("skipped") or {}).items():
        rows.append([c, "skipped", why[:40], "", ""])
        colors.append("#ffffff")
    ax.axis("off")
    if not rows:
        return
    t = ax.table(cellText=rows, colLabels=["contender", "Mpps", "CPU ns/pkt [95%]", "syscalls/kpkt",
                                           f"@{pps / 1000:.0f} kpps"],
                 loc="center", cellLoc="center")
    t.auto_set_font_size(False)
    t.set_fontsize(8)
    t.auto_set_column_width(col=list(range(5)))
    t.scale(1, 1.5)
    for i, c in enumerate(colors):
        t[i + 1, 0].set_facecolor(c)
        t[i + 1, 0].set_alpha(0.6)
    h = res.get("headline", {})
    lines = []
    if h.get("forward_cpu_per_pkt_ours_over_best_peer") is not None:
        lines.append(f"CPU/pkt ours/best peer ({h.get('best_peer')}): "
                     f"{h['forward_cpu_per_pkt_ours_over_best_peer']:.2f}")
    if h.get("forward_cpu_per_pkt_rust_over_c") is not None:
        lines.append(f"CPU/pkt ours/C: {h['forward_cpu_per_pkt_rust_over_c']:.2f}")
    if h.get("syscalls_per_kpkt_ours_over_c") is not None:
        lines.append(f"syscalls/kpkt ours/C: {h['syscalls_per_kpkt_ours_over_c']:.2f}")
    ax.set_title("Forwarders side by side (full speed)\n" + "; ".join(lines), fontsize=9)


def forward_panel(ax, res):
    fwd, ceil = res["forward"], res["ceiling"]
    bars = [(c, fwd[c], color(c)) for c in contenders_of(res) if fwd.get(c, {}).get("mpps")]
    bars.append(("XDP_DROP\nceiling", ceil, "#55a868"))
    for i, (name, s, col) in enumerate(bars):
        m = s.get("mpps")
        if not m:
            continue
        lo, hi = err(m)
        ax.bar(i, m["median"], 0.6, yerr=[lo, hi], color=col, capsize=4)
        ax.text(i, m["max"] * 1.05, f"{m['median']:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([b[0] for b in bars], fontsize=7, rotation=20)
    # The ceiling can be ten times the forwarders' rate.
    ax.set_yscale("log")
    ax.set_ylabel("Mpps at full speed (median, min..max)")
    ax.set_title("Cross-namespace forwarding")
    ax.margins(y=0.3)


def grouped_panel(ax, res, key, ylabel, title, ci_key=None):
    """Per contender, at full speed and at the equal load: bars of figure `key`."""
    h = res.get("headline", {})
    pps = h.get("equal_load_pps")
    groups = [("full speed", res["forward"])]
    if res.get("forward_equal_load"):
        groups.append((f"{pps / 1000:.0f} kpps" if pps else "equal load", res["forward_equal_load"]))
    names = [c for c in contenders_of(res) if any((g.get(c) or {}).get("runs") for _, g in groups)]
    if not names:
        return False
    width = 0.8 / len(names)
    for gi, (_, f) in enumerate(groups):
        for ci, c in enumerate(names):
            s = (f.get(c) or {}).get(key)
            if s is None:
                continue
            x = gi - 0.4 + width * (ci + 0.5)
            if isinstance(s, dict):
                yerr = None
                iv = (f.get(c) or {}).get(ci_key) if ci_key else None
                if iv:
                    yerr = [[s["median"] - iv[0]], [iv[1] - s["median"]]]
                ax.bar(x, s["median"], width, yerr=yerr, color=color(c), capsize=2,
                       label=c if gi == 0 else None)
            else:
                ax.bar(x, s, width, color=color(c), label=c if gi == 0 else None)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g[0] for g in groups])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left")
    ax.margins(y=0.15)
    return True


def setup_panel(ax, setup):
    pts = [p for p in setup.get("points") or [] if p.get("create_us_per_socket") is not None]
    if not pts:
        return False
    # One series per namespace count M (points with other M would zigzag on the same line).
    for m in sorted({p.get("namespaces") for p in pts}, key=lambda v: v or 0):
        ser = sorted((p for p in pts if p.get("namespaces") == m), key=lambda p: p["sockets"])
        x = [p["sockets"] for p in ser]
        tag = f" (M={m} netns)" if m is not None else ""
        ax.plot(x, [p["create_us_per_socket"] for p in ser], "o-", label="create" + tag)
        if all(p.get("delete_us_per_socket") is not None for p in ser):
            ax.plot(x, [p["delete_us_per_socket"] for p in ser], "s--", label="delete" + tag)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("sockets on one UMEM")
    ax.set_ylabel("us per socket")
    title = "Setup scaling"
    if setup.get("growth_1024_over_64") is not None:
        title += f" (1024/64: {setup['growth_1024_over_64']:.2f})"
    ax.set_title(title)
    ax.legend(fontsize=7)
    return True


def scale_panel(ax, scale):
    rows = sorted((r for r in scale.get("rows") or [] if r.get("pairs")), key=lambda r: r["pairs"])
    if not rows:
        return False
    x = [r["pairs"] for r in rows]
    ax.plot(x, [r.get("cpu_ns_per_pkt") for r in rows], "o-", color="#dd8452", label="CPU ns/pkt")
    if all(r.get("fixed_cpu_ns_per_pkt") for r in rows):
        pps = rows[0].get("fixed_rate_pps")
        ax.plot(x, [r["fixed_cpu_ns_per_pkt"] for r in rows], "o:", color="#c44e52",
                label=f"CPU ns/pkt at {pps / 1000:.0f} kpps" if pps else "CPU ns/pkt, equal load")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("M namespace pairs (one thread, one UMEM)")
    ax.set_ylabel("CPU ns per packet")
    ax.set_ylim(bottom=0)
    right = ax.twinx()
    right.plot(x, [r.get("mpps") for r in rows], "s--", color="#4c72b0", label="Mpps")
    right.set_ylabel("aggregate Mpps")
    right.set_ylim(bottom=0)
    for r in rows:
        mem = (r.get("rss_kib") or 0) / 1024 + (r.get("umem_bytes") or 0) / 2**20
        ax.annotate(f"{mem:.0f} MiB", (r["pairs"], r.get("cpu_ns_per_pkt") or 0), fontsize=6,
                    textcoords="offset points", xytext=(0, 6), ha="center")
    title = "Namespace scaling (RSS + UMEM annotated)"
    if scale.get("cpu_ratio_m64_over_m1") is not None:
        title += f"\nCPU/pkt M=64/M=1: {scale['cpu_ratio_m64_over_m1']:.2f}"
    ax.set_title(title, fontsize=9)
    lines = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="lower right")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "results", "chart.png"))
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, "results", "results-*.json")))[-1:]
    if not files:
        sys.exit("plot.py: no results file (run bench/run.sh first)")
    with open(files[-1]) as f:
        res = json.load(f)

    wide, panels = None, []
    if res.get("ring_ops"):
        wide = lambda ax: ring_panel(ax, res["ring_ops"])
    if res.get("ring_instr") and (res["ring_instr"].get("batches") or {}):
        panels.append(lambda ax: instr_panel(ax, res["ring_instr"]))
    if res.get("forward") and any(v.get("runs") for v in res["forward"].values()):
        panels.append(lambda ax: table_panel(ax, res))
        panels.append(lambda ax: forward_panel(ax, res))
        panels.append(lambda ax: grouped_panel(ax, res, "cpu_ns_per_pkt", "forwarder CPU ns per packet "
                                               "(median, 95% interval)", "Forwarder CPU per packet",
                                               "cpu_ns_per_pkt_ci95"))
        if any(v.get("syscalls_per_kpkt_pooled") is not None for v in res["forward"].values()):
            panels.append(lambda ax: grouped_panel(ax, res, "syscalls_per_kpkt_pooled",
                                                   "syscalls per 1000 forwarded frames",
                                                   "Forwarder syscalls (perf tracepoint)"))
    if res.get("setup_scaling") and any(
        p.get("create_us_per_socket") is not None for p in res["setup_scaling"].get("points") or []
    ):
        panels.append(lambda ax: setup_panel(ax, res["setup_scaling"]))
    if res.get("namespace_scaling") and res["namespace_scaling"].get("rows"):
        panels.append(lambda ax: scale_panel(ax, res["namespace_scaling"]))
    if not panels and not wide:
        sys.exit("plot.py: nothing to plot")
    # Ring ops across the top (eight bar pairs), the other panels three to a row below.
    cols = min(3, max(1, len(panels)))
    prow = (len(panels) + cols - 1) // cols
    rows = (1 if wide else 0) + prow
    fig = plt.figure(figsize=(6 * cols, 4.8 * rows))
    grid = fig.add_gridspec(rows, cols)
    if wide:
        wide(fig.add_subplot(grid[0, :]))
    first = 1 if wide else 0
    for i, p in enumerate(panels):
        p(fig.add_subplot(grid[first + i // cols, i % cols]))
    fig.suptitle(f"xdp-netns benchmarks {(res.get('date') or '')[:10]}: kernel {res.get('kernel', '?')}, "
                 f"{res.get('cpu_model', '?')} ({res.get('cpus', '?')} CPUs), commit {res.get('git_commit', '?')}"
                 + (" (quick run: figures mean nothing)" if res.get("quick") else ""),
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    fig.savefig(a.output, dpi=100)
    print(f"chart: {a.output}")


if __name__ == "__main__":
    main()
