#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
"""Tables of a fault-injection run (tests/fault/run.sh): summarize.py LOGS BUILD SWEEP_S TOTAL_S.

Reads LOGS/results.txt (RESULT lines of fault_scenario sweep) and LOGS/rows.txt; prints the
per-function table, the same grouped by outcome, every patched failure with the call that was
failed, and the distinct patched failures with a resolved stack. Exit status 1 when patched has
a failure."""
import collections
import os
import re
import shlex
import subprocess
import sys

OUTCOMES = ["crash", "sanitizer", "foreign-fd-closed", "wrong-netns", "bad-return", "xdp-left",
            "bpf-leak", "fd-leak", "refcount", "traffic", "ok"]
LIBS = ["pristine", "patched"]

logs, build, sweep_s, total_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def parse(line):
    if not line.startswith("RESULT "):
        return None
    parts = shlex.split(line)
    tag, variant, fn, n, outcome = parts[1:6]
    kv = dict(p.split("=", 1) for p in parts[6:] if "=" in p)
    binary, lib = tag.split("-", 1)
    return dict(bin=binary, lib=lib, variant=variant, fn=fn, n=int(n), outcome=outcome,
                flags=kv.get("flags", "-"), status=kv.get("status", ""),
                where=kv.get("where", ""), log=kv.get("log", ""))


results = []
with open(os.path.join(logs, "results.txt")) as f:
    for line in f:
        r = parse(line)
        if r:
            results.append(r)
inj = [r for r in results if r["fn"] != "none"]
base = [r for r in results if r["fn"] == "none"]
funcs = []
for r in inj:
    if r["fn"] not in funcs:
        funcs.append(r["fn"])

count = collections.Counter()
fails = collections.Counter()
by_outcome = collections.Counter()
for r in inj:
    count[r["fn"], r["lib"]] += 1
    by_outcome[r["outcome"], r["fn"], r["lib"]] += 1
    if r["outcome"] != "ok":
        fails[r["fn"], r["lib"]] += 1

print()
print("Fault injection: every (function, N) x variant (base, xdel, shared) x binary "
      "(libxdp.so.1, libxdp.a+ASan)")
print(f"{'function':<12} {'injections':>18} {'failures pristine':>18} {'failures patched':>17}")
print("-" * 68)
tot = collections.Counter()
for fn in funcs:
    c = f"{count[fn, 'pristine']}/{count[fn, 'patched']}"
    print(f"{fn:<12} {c:>18} {fails[fn, 'pristine']:>18} {fails[fn, 'patched']:>17}")
    for lib in LIBS:
        tot["n", lib] += count[fn, lib]
        tot["f", lib] += fails[fn, lib]
print("-" * 68)
c = f"{tot['n', 'pristine']}/{tot['n', 'patched']}"
print(f"{'all':<12} {c:>18} {tot['f', 'pristine']:>18} {tot['f', 'patched']:>17}")
print("(injections: runs on pristine/patched; each run fails one call)")

print()
print("Grouped by outcome (a run counts under its most severe outcome)")
print(f"{'outcome':<18} {'function':<12} {'pristine':>9} {'patched':>8}")
print("-" * 50)
for o in OUTCOMES:
    for fn in funcs:
        p, q = by_outcome[o, fn, "pristine"], by_outcome[o, fn, "patched"]
        if p or q:
            print(f"{o:<18} {fn:<12} {p:>9} {q:>8}")
    p = sum(by_outcome[o, fn, "pristine"] for fn in funcs)
    q = sum(by_outcome[o, fn, "patched"] for fn in funcs)
    print(f"{o:<18} {'(all)':<12} {p:>9} {q:>8}")
    print()

print("Without injection (the scenario itself)")
print(f"{'variant':<8} {'binary':<6} {'pristine':<22} {'patched':<22}")
clean = {(r["variant"], r["bin"], r["lib"]): r for r in base}
for v in ["base", "xdel", "shared"]:
    for b in ["so", "asan"]:
        p, q = clean.get((v, b, "pristine")), clean.get((v, b, "patched"))
        if not p and not q:
            continue
        fmt = lambda r: "-" if not r else (r["outcome"] if r["flags"] == "-" else r["flags"])
        print(f"{v:<8} {b:<6} {fmt(p):<22} {fmt(q):<22}")

rows = []
if os.path.exists(os.path.join(logs, "rows.txt")):
    with open(os.path.join(logs, "rows.txt")) as f:
        rows = [line.rstrip("\n").split("|") for line in f if "|" in line]
print()
print("Rows without injection")
table = collections.OrderedDict()
for what, lib, res in rows:
    table.setdefault(what, {})[lib] = res
print(f"{'row':<78} {'pristine':<24} {'patched':<24}")
for what, res in table.items():
    print(f"{what:<78} {res.get('pristine', res.get('all', '-')):<24} "
          f"{res.get('patched', res.get('all', '-')):<24}")

# ---- stacks ----
nm_cache = {}
resolved = {}


def sym_addr(path, sym):
    if path not in nm_cache:
        out = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True,
                             text=True).stdout
        out += subprocess.run(["nm", "--defined-only", path], capture_output=True,
                              text=True).stdout
        nm_cache[path] = {}
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3:
                nm_cache[path].setdefault(p[2].split("@")[0], int(p[0], 16))
    return nm_cache[path].get(sym)


FRAME = re.compile(r"^(\S+?)\(([^)+]*)\+0x([0-9a-f]+)\)\[0x[0-9a-f]+\]$")


def resolve(line):
    if line not in resolved:
        resolved[line] = resolve1(line)
    return resolved[line]


def resolve1(line):
    m = FRAME.match(line.strip())
    if not m:
        return line.strip()
    path, sym, off = m.group(1), m.group(2), int(m.group(3), 16)
    if "libbpf.so" in path or "libc.so" in path or "libasan" in path:
        # No debug information here: the nearest exported symbol is all there is.
        return f"{os.path.basename(path)}:{sym or '?'}+{off:#x}"
    addr = off
    if sym:
        a = sym_addr(path, sym)
        if a is None:
            return f"{sym}+{off:#x} ({os.path.basename(path)})"
        addr = a + off
    out = subprocess.run(["addr2line", "-f", "-i", "-e", path, hex(addr - 1)], capture_output=True,
                         text=True).stdout.split("\n")
    out = [o for o in out if o]
    pairs = [f"{out[i]} {os.path.relpath(out[i + 1], os.path.dirname(os.path.dirname(build)))}"
             for i in range(0, len(out) - 1, 2)]
    return " <- ".join(pairs) if pairs else line.strip()


def stack_of(log, which):
    lines, on = [], False
    try:
        with open(log, errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return []
    for line in text:
        if line == f"{which}-STACK-BEGIN":
            on = True
            continue
        if line == f"{which}-STACK-END":
            break
        if on:
            lines.append(line)
    return lines


def libxdp_frames(log, which):
    """Frames of the stack that are in libxdp (and not the interposer or the test)."""
    frames = [resolve(line) for line in stack_of(log, which)]
    keep = []
    for fr in frames:
        if any(s in fr for s in ("inject.c", "scenario.c", "testlib.c", "libc.so", "_start",
                                 "sanitizer_common", "libasan")):
            continue
        keep.append(fr)
    return keep


def sanitizer_head(log):
    try:
        with open(log, errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return []
    for i, line in enumerate(text):
        if "ERROR: AddressSanitizer" in line or "ERROR: LeakSanitizer" in line or \
                "runtime error:" in line:
            out = [line.strip()]
            for l2 in text[i + 1:i + 40]:
                if re.match(r"\s+#\d+ ", l2) and len(out) < 9:
                    out.append(l2.strip())
            return out
    return []


def call_of(where):
    m = re.search(r" in (xsk_\w+)", where)
    return m.group(1) if m else "?"


def brief_stack(r):
    """The innermost frame in libxdp's own source: where it called what failed."""
    s = [fr for fr in libxdp_frames(r["log"], "FAULT") if "lib/libxdp/" in fr]
    return s[0].split(" <- ")[0] if s else "?"


print()
for lib in LIBS:
    bad = [r for r in results if r["lib"] == lib and r["outcome"] != "ok"]
    path = os.path.join(logs, f"failures-{lib}.txt")
    with open(path, "w") as f:
        for r in bad:
            f.write(f"{r['fn']} #{r['n']} {r['variant']} {r['bin']}: {r['outcome']} "
                    f"[{r['flags']}] {r['status']}; failed: {r['where'] or '(none)'}; "
                    f"{r['log']}\n")
    print(f"{lib}: {len(bad)} failing runs, listed in {os.path.relpath(path)}")

bad = [r for r in results if r["lib"] == "patched" and r["outcome"] != "ok"]
if bad:
    print()
    print("Every patched failure: function #N variant binary: outcome [all flags]; the call failed")
    for r in bad:
        print(f"  {r['fn']} #{r['n']} {r['variant']} {r['bin']}: {r['outcome']} [{r['flags']}] "
              f"{r['status']}; {r['where'] or '(no injection)'}")
    # Distinct: outcome, the libxdp call, the call site of the failed function.
    distinct = collections.OrderedDict()
    for r in bad:
        site = brief_stack(r) if r["where"] else "-"
        # The same site in both builds, whatever line inlining gives it.
        key = (r["outcome"], call_of(r["where"]), re.sub(r":\d+$", "", site))
        distinct.setdefault(key, []).append(r)
    print()
    print(f"Distinct patched failures ({len(distinct)}): outcome, libxdp call, where the failed "
          "function was called; example runs; stack of the first")
    for (o, call, _), rs in distinct.items():
        site = brief_stack(rs[0]) if rs[0]["where"] else "-"
        ex = ", ".join(f"{r['fn']}#{r['n']}/{r['variant']}/{r['bin']}" for r in rs[:6])
        more = f" (+{len(rs) - 6} more)" if len(rs) > 6 else ""
        print(f"* {o} in {call}: failed call at {site}")
        print(f"    runs: {ex}{more}")
        r = rs[0]
        print(f"    log: {os.path.relpath(r['log'])}")
        with open(r["log"], errors="replace") as f:
            checks = [line.strip() for line in f if line.startswith("CHECK-FAIL")]
        for c in checks[:3]:
            print(f"    {c}")
        for fr in libxdp_frames(r["log"], "FAULT")[:5]:
            print(f"    fault at: {fr}")
        for fr in libxdp_frames(r["log"], "CRASH")[:5]:
            print(f"    crash at: {fr}")
        for fr in sanitizer_head(r["log"])[:6]:
            print(f"    {fr}")

# Known and open (known-open.txt): counted and shown, but they do not fail the run.
known = []
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "known-open.txt")) as f:
    for line in f:
        if line.strip() and not line.startswith("#"):
            outcome, call, site = line.split()[:3]
            known.append((outcome, call, site))


def is_known(r):
    site = brief_stack(r) if r["where"] else "-"
    return any(r["outcome"] == o and call_of(r["where"]) == c and (s == "*" or f"{s} " in site)
               for o, c, s in known)


open_known = [r for r in bad if is_known(r)]
unknown = [r for r in bad if not is_known(r)]
print()
print(f"patched: {len(bad)} failing runs: {len(open_known)} known and open "
      f"(tests/fault/known-open.txt), {len(unknown)} not")
for r in unknown:
    print(f"  NOT KNOWN: {r['fn']} #{r['n']} {r['variant']} {r['bin']}: {r['outcome']}; "
          f"{r['where'] or '(no injection)'}")
print()
print(f"time: sweep {sweep_s} s, all {total_s} s")
patched_rows_bad = any(res.get("patched", "PASS").startswith("FAIL") for res in table.values())
patched_runs = sum(1 for r in results if r["lib"] == "patched")
print(f"patched: {patched_runs - len(bad)} runs ok, {len(open_known)} known-open, "
      f"{len(unknown)} failing")
sys.exit(1 if unknown or patched_rows_bad else 0)
