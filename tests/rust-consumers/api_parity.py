#!/usr/bin/env python3
"""The public items of bindgen output, compared between two crates; and libxdp-sys' libbpf enums.

    api_parity.py compare --published P.rs --ours A.rs [A2.rs ...] --allow FILE
        Every item of P.rs (the published libxdp-sys' generated bindings) must exist among the
        items of the A files (what our crate root re-exports: our bindings, libbpf-sys' bindings,
        src/libbpf_enums.rs) under the same name, as the same kind of item, with a compatible
        type: type aliases are resolved on both sides (Rust aliases are transparent, so `__u32`,
        `c_uint` and `u32` are one type), and constants have the same value. A difference fails
        unless FILE lists it with a reason. An entry that matches no difference fails too, so
        the list cannot go stale. A name defined by two of the A files fails as well: two glob
        re-exports of one name make it unusable at the crate root.

    api_parity.py enums LIBBPF_SYS_BINDINGS
        Print src/libbpf_enums.rs: for each named C enum of libbpf-sys (which bindgen gives it as
        an integer type alias with unprefixed constants, `BPF_PROG_TYPE_XDP: bpf_prog_type`), the
        constant under the name bindgen gives it by default, `bpf_prog_type_BPF_PROG_TYPE_XDP`,
        as the published libxdp-sys has them, defined as libbpf-sys' own constant.

Only what bindgen writes at the top level and in `extern "C"` blocks is read: `pub const`,
`pub type`, `pub struct`, `pub union`, `pub fn`, `pub static`. Methods of `impl` blocks
(bitfield accessors) and layout tests are not items of the crate root and are skipped.
"""

import argparse
import fnmatch
import re
import sys

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<str>b?"(?:[^"\\]|\\.)*")
  | (?P<char>b?'(?:[^'\\]|\\.)')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<num>[0-9][0-9A-Za-z_.]*)
  | (?P<punct>::|->|.)
    """,
    re.S | re.X,
)

OPEN = {"(": ")", "[": "]", "{": "}", "<": ">"}

# The C types of std::os::raw / core::ffi on x86_64 and aarch64 Linux (LP64); bindgen writes
# either path depending on its options, and they are aliases of these.
C_TYPES = {
    "c_char": "i8",
    "c_schar": "i8",
    "c_uchar": "u8",
    "c_short": "i16",
    "c_ushort": "u16",
    "c_int": "i32",
    "c_uint": "u32",
    "c_long": "i64",
    "c_ulong": "u64",
    "c_longlong": "i64",
    "c_ulonglong": "u64",
    "c_float": "f32",
    "c_double": "f64",
}


def tokenize(text):
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        out.append(m.group())
    return out


def skip_group(toks, i):
    """toks[i] opens a bracket; return the index after its closing one (`<` and `>` are only
    brackets inside types, never in the expressions bindgen writes at the places we skip)."""
    close = OPEN[toks[i]]
    opener = toks[i]
    depth = 0
    while i < len(toks):
        if toks[i] == opener:
            depth += 1
        elif toks[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced " + opener)


def until(toks, i, stops):
    """Tokens from i up to (not including) the first of stops outside (), [], {} and <>;
    `->` is one token, so its `>` closes nothing."""
    depth = 0
    j = i
    while j < len(toks):
        t = toks[j]
        if depth == 0 and t in stops:
            return toks[i:j], j
        if t in "([{<":
            depth += 1
        elif t in ")]}>":
            depth -= 1
        j += 1
    raise ValueError("no %r after token %d" % (stops, i))


def skip_attributes(toks, i):
    while i < len(toks) and toks[i] == "#":
        i += 1
        if toks[i] == "!":
            i += 1
        i = skip_group(toks, i)
    return i


def norm_path(tokens):
    """`::std::os::raw::c_uint` -> `c_uint`, `::core::option::Option` -> `Option`."""
    out = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "::" and i + 1 < len(tokens) and tokens[i + 1] in ("std", "core"):
            i += 1
            continue
        if t in ("std", "core", "os", "raw", "ffi", "option", "mem", "marker", "ptr") and (
            i + 1 < len(tokens) and tokens[i + 1] == "::"
        ):
            i += 2
            continue
        if t == "::" and (not out or out[-1] in ("<", "(", ",", "*", "const", "mut", "[", ";")):
            i += 1
            continue
        out.append(C_TYPES.get(t, t))
        i += 1
    return out


def parse_fields(toks):
    """`{ pub a: T, b: U }` or `(pub T);` -> [(vis, name, type tokens)]."""
    fields = []
    inner = toks[1:-1]
    i = 0
    n = 0
    while i < len(inner):
        i = skip_attributes(inner, i)
        if i >= len(inner):
            break
        vis = "pub" if inner[i] == "pub" else "priv"
        if inner[i] == "pub":
            i += 1
        if i + 1 < len(inner) and inner[i + 1] == ":":
            name = inner[i]
            i += 2
        else:
            name = str(n)
        ty, i = until(inner + [","], i, {","})
        fields.append((vis, name, norm_path(ty)))
        n += 1
        i += 1
    return fields


def parse_fn(toks):
    """`fn name(args) -> ret` -> (name, [arg type tokens], ret tokens, variadic)."""
    name = toks[1]
    end = skip_group(toks, 2)
    args_toks = toks[3 : end - 1]
    args = []
    i = 0
    while i < len(args_toks):
        piece, i = until(args_toks + [","], i, {","})
        i += 1
        if piece == [".", ".", "."]:
            args.append(["..."])
            continue
        # name: type (bindgen always names the arguments, arg1 ... when C does not)
        if len(piece) > 2 and piece[1] == ":":
            piece = piece[2:]
        args.append(norm_path(piece))
    ret = norm_path(toks[end + 1 :]) if end < len(toks) and toks[end] == "->" else ["()"]
    return name, args, ret


def items(path):
    """{(name, namespace): (kind, data)} of one bindgen output file."""
    toks = tokenize(open(path, encoding="utf-8").read())
    found = {}

    def add(name, kind, data):
        # Rust keeps types and values apart: C's `struct bpf_obj_pin_opts` and its function
        # `bpf_obj_pin_opts()` are two items of one name.
        key = (name, "type" if kind in ("struct", "union", "type") else "value")
        if key in found and found[key] != (kind, data):
            raise ValueError("%s: %s defined twice differently" % (path, name))
        found[key] = (kind, data)

    def walk(toks, top):
        i = 0
        while i < len(toks):
            i = skip_attributes(toks, i)
            if i >= len(toks):
                break
            t = toks[i]
            if t in ("unsafe", "extern") and top:
                # unsafe extern "C" { ... }
                j = i
                while toks[j] != "{":
                    j += 1
                end = skip_group(toks, j)
                walk(toks[j + 1 : end - 1], False)
                i = end
                continue
            if t == "impl" or (t == "const" and toks[i + 1] == "_"):
                # impl blocks (methods) and `const _: () = { layout tests };`
                _, j = until(toks, i, {"{", ";"})
                i = skip_group(toks, j) if toks[j] == "{" else j + 1
                if i < len(toks) and toks[i] == ";":
                    i += 1
                continue
            pub = t == "pub"
            if pub:
                i += 1
                if toks[i] == "(":  # pub(crate)
                    i = skip_group(toks, i)
                    pub = False
            kw = toks[i]
            if kw in ("const", "static", "type"):
                body, j = until(toks, i, {";"})
                i = j + 1
                if not pub:
                    continue
                if kw == "static":
                    mut = body[1] == "mut"
                    name = body[2] if mut else body[1]
                    ty = body[body.index(":") + 1 :]
                    add(name, "static mut" if mut else "static", (tuple(norm_path(ty)),))
                elif kw == "const":
                    name = body[1]
                    eq = body.index("=")
                    ty = body[3:eq]
                    add(name, "const", (tuple(norm_path(ty)), " ".join(body[eq + 1 :])))
                else:
                    name = body[1]
                    generics = ()
                    k = 2
                    if body[k] == "<":
                        end = skip_group(body, k)
                        generics = tuple(body[k:end])
                        k = end
                    add(name, "type", (generics, tuple(norm_path(body[k + 1 :]))))
                continue
            if kw in ("struct", "union"):
                name = toks[i + 1]
                head, j = until(toks, i, {"{", ";", "("})
                generics = tuple(head[2:])
                if toks[j] == ";":
                    fields, i = [], j + 1
                else:
                    end = skip_group(toks, j)
                    fields = parse_fields(toks[j:end])
                    i = end
                    if i < len(toks) and toks[i] == ";":
                        i += 1
                if pub:
                    add(name, kw, (generics, tuple((v, n, tuple(t)) for v, n, t in fields)))
                continue
            if kw == "fn":
                sig, j = until(toks, i, {";", "{"})
                i = skip_group(toks, j) if toks[j] == "{" else j + 1
                if pub:
                    name, args, ret = parse_fn(sig)
                    add(name, "fn", (tuple(tuple(a) for a in args), tuple(ret)))
                continue
            if kw in ("use", "mod", "macro_rules", "enum"):
                _, j = until(toks, i, {";", "{"})
                i = skip_group(toks, j) if toks[j] == "{" else j + 1
                if kw == "enum":
                    raise ValueError("%s: Rust enums are not compared (bindgen writes none "
                                     "with the `Consts` enum style)" % path)
                continue
            raise ValueError("%s: cannot read the item at %r" % (path, toks[i : i + 8]))

    walk(toks, True)
    return found


def resolver(table):
    """A function that expands every alias (`pub type X = Y;`) in a token tuple, transitively."""
    aliases = {n: d[1] for (n, _), (k, d) in table.items() if k == "type" and not d[0]}

    consts = {n: d[1] for (n, _), (k, d) in table.items() if k == "const"}

    def expand(tokens, seen=()):
        out = []
        for t in tokens:
            if t in aliases and t not in seen:
                out.extend(expand(aliases[t], seen + (t,)))
            else:
                out.append(t)
        return tuple(out)

    def value(v, seen=()):
        # `= BPF_PROG_TYPE_XDP;` (libbpf_enums.rs) has that constant's value.
        if v in consts and v not in seen:
            return value(consts[v], seen + (v,))
        return v

    expand.value = value
    return expand


def describe(kind, data):
    if kind == "fn":
        return "fn(%s) -> %s" % (", ".join(" ".join(a) for a in data[0]), " ".join(data[1]))
    if kind in ("struct", "union"):
        fields = ("%s %s: %s" % (v, n, " ".join(t)) for v, n, t in data[1])
        return "%s {%s}" % (kind, ", ".join(fields))
    if kind == "const":
        return "const: %s = %s" % (" ".join(data[0]), data[1])
    if kind == "type":
        return "type = %s" % " ".join(data[1])
    return "%s: %s" % (kind, " ".join(data[0]))


def canonical(kind, data, expand):
    if kind == "fn":
        return (kind, tuple(expand(a) for a in data[0]), expand(data[1]))
    if kind in ("struct", "union"):
        return (kind, data[0], tuple((v, n, expand(t)) for v, n, t in data[1]))
    if kind == "const":
        value = expand.value(data[1])
        # A number's suffix and a string's spelling aside, the value must be the same.
        value = re.sub(r"(?<=\d)(u8|u16|u32|u64|usize|i8|i16|i32|i64|isize)\b", "", value)
        return (kind, expand(data[0]), value)
    if kind == "type":
        return (kind, data[0], expand(data[1]))
    return (kind, expand(data[0]))


def read_allow(path):
    """Reasons, `@KEY text...`, and entries, `PATTERN @KEY [@KEY...]` (PATTERN: an item name,
    or a shell glob); `#` comments. Every entry names defined reasons; every reason is used."""
    reasons = {}
    entries = []
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if parts[0].startswith("@"):
            if len(parts) < 2:
                sys.exit("%s:%d: reason %s has no text" % (path, lineno, parts[0]))
            reasons[parts[0]] = [parts[1], 0]
            continue
        keys = parts[1].split() if len(parts) > 1 else []
        if not keys or not all(k.startswith("@") for k in keys):
            sys.exit("%s:%d: %s: give its reasons as @KEY" % (path, lineno, parts[0]))
        entries.append([parts[0], keys, lineno, 0])
    for e in entries:
        for k in e[1]:
            if k not in reasons:
                sys.exit("%s:%d: %s: reason %s is not defined" % (path, e[2], e[0], k))
            reasons[k][1] += 1
    unused = [k for k, (_, n) in reasons.items() if not n]
    if unused:
        sys.exit("%s: reasons no entry names: %s" % (path, " ".join(unused)))
    return entries


def compare(args):
    published = items(args.published)
    ours = {}
    where = {}
    clashes = []
    for path in args.ours:
        for key, item in items(path).items():
            if key in ours:
                clashes.append("%s: defined in both %s and %s" % (key[0], where[key], path))
                continue
            ours[key] = item
            where[key] = path
    pub_expand = resolver(published)
    our_expand = resolver(ours)

    diffs = []
    for key in sorted(published):
        name = key[0]
        kind, data = published[key]
        if key not in ours:
            diffs.append((name, "missing: %s" % describe(kind, data)))
            continue
        okind, odata = ours[key]
        theirs = canonical(kind, data, pub_expand)
        mine = canonical(okind, odata, our_expand)
        if theirs != mine:
            diffs.append((name, "differs: published %s; ours %s (%s)" % (
                describe(kind, data), describe(okind, odata), where[key])))

    allow = read_allow(args.allow)
    failed = []
    allowed = 0
    for name, why in diffs:
        entry = next((e for e in allow if fnmatch.fnmatchcase(name, e[0])), None)
        if entry:
            entry[3] += 1
            allowed += 1
        else:
            failed.append("%s %s" % (name, why))
    stale = ["%s:%d: %s matches no difference" % (args.allow, e[2], e[0])
             for e in allow if not e[3]]

    print("api-parity: published %d items; ours %d (%s); %d differences, %d of them allowed "
          "by %d entries of %s" % (len(published), len(ours), ", ".join(
              "%s %d" % (p.rsplit("/", 1)[-1], sum(1 for w in where.values() if w == p))
              for p in args.ours), len(diffs), allowed, len(allow), args.allow))
    for line in clashes + failed + stale:
        print("api-parity: FAIL: " + line)
    if clashes or failed or stale:
        return 1
    print("api-parity: PASS")
    return 0


def enums(args):
    table = items(args.bindings)
    ints = {"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64"}
    enum_types = {
        n for (n, _), (k, d) in table.items()
        if k == "type" and not d[0] and len(d[1]) == 1 and d[1][0] in ints
        and not n.startswith("_bindgen_ty_")
    }
    out = [
        "// Generated by tests/rust-consumers/api_parity.py enums from libbpf-sys' bindings;",
        "// `make test-rust-api` checks it is current. Do not edit.",
        "//",
        "// libbpf-sys names the constants of a C enum as C does (`BPF_PROG_TYPE_XDP`); bindgen's",
        "// default, and the published libxdp-sys, prefixes the enum's name",
        "// (`bpf_prog_type_BPF_PROG_TYPE_XDP`). These are libbpf-sys' constants under that name.",
        "",
    ]
    for name, ns in sorted(table):
        kind, data = table[(name, ns)]
        if kind == "const" and len(data[0]) == 1 and data[0][0] in enum_types:
            out.append("pub const %s_%s: %s = %s;" % (data[0][0], name, data[0][0], name))
    print("\n".join(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--published", required=True)
    c.add_argument("--ours", required=True, nargs="+")
    c.add_argument("--allow", required=True)
    e = sub.add_parser("enums")
    e.add_argument("bindings")
    a = ap.parse_args()
    return compare(a) if a.cmd == "compare" else enums(a)


if __name__ == "__main__":
    sys.exit(main())
