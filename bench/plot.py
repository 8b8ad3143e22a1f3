#!/usr/bin/env python3
"""Render bench/run.sh results into one PNG chart.

    python3 bench/plot.py [RESULTS.json ...] [-o bench/results/chart.png]

Without files, the newest bench/results/results-*.json is used. Four panels: ring ops
(ns per descriptor per batch size, C vs Rust, median with min..max whiskers), forwarding
(Mpps of C, Rust and the XDP_DROP ceiling, log scale), the forwarders' CPU ns per packet (at
full speed and at the equal load), and setup scaling (microseconds per socket against the
number of sockets). Panels whose data are missing are left out. Needs matplotlib (Debian: apt-get install python3-matplotlib).
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


def err(s):
    """Whiskers (below, above) of a {median, min, max} dict."""
    return [s["median"] - s["min"]], [s["max"] - s["median"]]


def ring_panel(ax, rings):
    groups = [("batches", "fill/comp (u64)")]
    if rings.get("batches_xdp_desc"):
        groups.append(("batches_xdp_desc", "rx/tx (xdp_desc)"))
    labels, xs, width = [], 0, 0.38
    for key, name in groups:
        for b in rings.get(key) or []:
            for off, lang, color in ((-width / 2, "c", "#4c72b0"), (width / 2, "rust", "#dd8452")):
                s = b.get(f"{lang}_ns_per_desc")
                if not s:
                    continue
                lo, hi = err(s)
                ax.bar(xs + off, s["median"], width, yerr=[lo, hi], color=color, capsize=2,
                       label={"c": "C", "rust": "Rust"}[lang] if not labels else None)
            labels.append(f"{name}\nbatch {b['batch']}")
            xs += 1
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("ns per descriptor")
    title = "Ring ops"
    if rings.get("ratio_worst") is not None:
        title += f" (worst Rust/C {rings['ratio_worst']:.2f})"
    ax.set_title(title)
    ax.legend()


def forward_panel(ax, res):
    fwd, ceil = res["forward"], res["ceiling"]
    bars = [("C", fwd["c"], "#4c72b0"), ("Rust", fwd["rust"], "#dd8452"),
            ("XDP_DROP\nceiling", ceil, "#55a868")]
    for i, (name, s, color) in enumerate(bars):
        m = s.get("mpps")
        if not m:
            continue
        lo, hi = err(m)
        ax.bar(i, m["median"], 0.6, yerr=[lo, hi], color=color, capsize=4)
        ax.text(i, m["max"] * 1.05, f"{m['median']:.3f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([b[0] for b in bars])
    # The ceiling can be ten times the forwarders' rate.
    ax.set_yscale("log")
    ax.set_ylabel("Mpps at full speed (median, min..max)")
    h = res.get("headline", {})
    title = "Cross-namespace forwarding"
    if h.get("forward_mpps_rust_over_c") is not None:
        title += f"\nMpps Rust/C {h['forward_mpps_rust_over_c']:.2f}"
    ax.set_title(title)
    ax.margins(y=0.3)


def cpu_panel(ax, res):
    """Forwarder CPU ns per packet: at full speed and, when measured, at an equal load."""
    h = res.get("headline", {})
    groups = [("full speed", res["forward"], h.get("forward_cpu_per_pkt_rust_over_c"),
               h.get("forward_cpu_per_pkt_rust_over_c_ci95"))]
    if res.get("forward_equal_load") and res["forward_equal_load"]["c"].get("runs"):
        pps = h.get("equal_load_pps")
        groups.append((f"{pps / 1000:.0f} kpps" if pps else "equal load",
                       res["forward_equal_load"], h.get("forward_cpu_per_pkt_rust_over_c_equal_load"),
                       h.get("forward_cpu_per_pkt_rust_over_c_equal_load_ci95")))
    width = 0.38
    for gi, (name, f, ratio, ci) in enumerate(groups):
        for off, impl, color, label in ((-width / 2, "c", "#4c72b0", "C"),
                                        (width / 2, "rust", "#dd8452", "Rust")):
            s = f[impl].get("cpu_ns_per_pkt")
            if not s:
                continue
            lo, hi = err(s)
            ax.bar(gi + off, s["median"], width, yerr=[lo, hi], color=color, capsize=3,
                   label=label if gi == 0 else None)
        if ratio is not None:
            top = max(f[i]["cpu_ns_per_pkt"]["max"] for i in ("c", "rust") if f[i].get("cpu_ns_per_pkt"))
            text = f"Rust/C {ratio:.2f}"
            if ci:
                text += f"\n(95%: {ci[0]:.2f}..{ci[1]:.2f})"
            ax.text(gi, top * 1.03, text, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g[0] for g in groups])
    ax.set_ylabel("forwarder CPU ns per packet")
    ax.set_title("Forwarder CPU per packet")
    ax.legend(fontsize=7, loc="upper left")
    ax.margins(y=0.15)


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "results", "chart.png"))
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, "results", "results-*.json")))[-1:]
    if not files:
        sys.exit("plot.py: no results file (run bench/run.sh first)")
    res = json.load(open(files[-1]))

    wide, panels = None, []
    if res.get("ring_ops"):
        wide = lambda ax: ring_panel(ax, res["ring_ops"])
    if res.get("forward"):
        panels.append(lambda ax: forward_panel(ax, res))
        panels.append(lambda ax: cpu_panel(ax, res))
    if res.get("setup_scaling") and any(
        p.get("create_us_per_socket") is not None for p in res["setup_scaling"].get("points") or []
    ):
        panels.append(lambda ax: setup_panel(ax, res["setup_scaling"]))
    if not panels and not wide:
        sys.exit("plot.py: nothing to plot")
    # Ring ops across the top (eight bar pairs), the other panels side by side below.
    cols = max(1, len(panels))
    rows = (1 if wide else 0) + (1 if panels else 0)
    fig = plt.figure(figsize=(5 * cols, 4.6 * rows))
    grid = fig.add_gridspec(rows, cols)
    if wide:
        wide(fig.add_subplot(grid[0, :]))
    for i, p in enumerate(panels):
        p(fig.add_subplot(grid[rows - 1, i]))
    fig.suptitle(f"xdp-netns benchmarks {res.get('date', '')[:10]}: kernel {res.get('kernel', '?')}, "
                 f"{res.get('cpu_model', '?')} ({res.get('cpus', '?')} CPUs), commit {res.get('git_commit', '?')}",
                 fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.output)), exist_ok=True)
    fig.savefig(a.output, dpi=110)
    print(f"chart: {a.output}")


if __name__ == "__main__":
    main()
