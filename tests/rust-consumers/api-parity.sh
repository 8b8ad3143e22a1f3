#!/usr/bin/env bash
# Every item at the root of the published libxdp-sys (0.2.4+1.6.0, crates.io) exists at the root of
# ours, under the same name, with a compatible type and the same value; what differs is listed,
# each with its reason, in api-parity.allow (api_parity.py says how items are compared).
#
#   tests/rust-consumers/api-parity.sh
#
# Someone moving from the published crate to ours (xsk-rs users, through [patch.crates-io]) needs
# their code to compile unchanged. The published crate generates its bindings when it builds, so
# it is fetched from the registry at test time (nothing of it is committed) and built in a
# scratch crate under build/api-parity/, whose target directory is kept: only the first run
# builds it (about a minute; later runs take seconds). Its OUT_DIR/bindings.rs is compared with
# what our root re-exports: our shipped src/bindings.rs, libbpf-sys' (the version in Cargo.lock) and
# src/libbpf_enums.rs, which is checked to be what api_parity.py generates from the bindings of
# libbpf-sys 1.5.1 (the version the published crate pins, our lower bound).
#
# Last, the comparison runs once more with one item taken out of ours, and must fail then: a
# test that cannot fail proves nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cargo=${CARGO:-cargo}
published_version=0.2.4
libbpf_sys_floor=1.5.1

die() {
	echo "api-parity: $*" >&2
	exit 1
}

work=$repo/build/api-parity
scratch=$work/published
mkdir -p "$scratch/src"
# An empty [workspace]: build/ is inside the repository's workspace.
cat >"$scratch/Cargo.toml" <<TOML
[package]
name = "api-parity-published"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
libxdp-sys = "=$published_version"

[workspace]
TOML
: >"$scratch/src/lib.rs"

# The OUT_DIR of the build script of NAME@VERSION-PREFIX, from the JSON messages of a cargo check
# (cargo reports fresh build scripts too). A package id ends in `#NAME@VERSION`, or in
# `/NAME#VERSION` for a path package in a directory of its name.
out_dir_of() {
	python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") != "build-script-executed":
        continue
    url, _, frag = m["package_id"].rpartition("#")
    if "@" not in frag:
        frag = url.rstrip("/").rsplit("/", 1)[-1] + "@" + frag
    if frag.startswith(sys.argv[1]):
        print(m["out_dir"])' "$1"
}

# The directory of a package's manifest, from cargo metadata.
src_dir_of() {
	python3 -c 'import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1] and p["version"].startswith(sys.argv[2]):
        print(os.path.dirname(p["manifest_path"]))' "$1" "$2"
}

# The published crate: its build runs its bindgen (and builds its libxdp and libbpf-sys 1.5.1).
published_out=$(CARGO_TARGET_DIR=$work/target "$cargo" check --quiet --message-format json \
	--manifest-path "$scratch/Cargo.toml" | out_dir_of "libxdp-sys@$published_version")
[ -f "$published_out/bindings.rs" ] ||
	die "no bindings.rs from the published libxdp-sys $published_version"
floor_src=$("$cargo" metadata --format-version 1 --manifest-path "$scratch/Cargo.toml" |
	src_dir_of libbpf-sys "$libbpf_sys_floor")
[ -f "$floor_src/src/bindings.rs" ] || die "no bindings of libbpf-sys $libbpf_sys_floor"

# Ours: the shipped bindings (make test-rust-package checks they are what bindgen generates),
# and libbpf-sys as Cargo.lock has it.
cd "$repo"
our_bindings=$repo/libxdp-sys/src/bindings.rs
libbpf_sys_src=$("$cargo" metadata --format-version 1 | src_dir_of libbpf-sys "")
[ -f "$libbpf_sys_src/src/bindings.rs" ] || die "no bindings of libbpf-sys in Cargo.lock"

# src/libbpf_enums.rs is generated; it must be what the generator makes now.
enums=$repo/libxdp-sys/src/libbpf_enums.rs
if ! python3 "$here/api_parity.py" enums "$floor_src/src/bindings.rs" | diff -u "$enums" -; then
	die "FAIL: $enums is stale; regenerate it:" \
		"python3 $here/api_parity.py enums $floor_src/src/bindings.rs >$enums"
fi

ours=("$our_bindings" "$libbpf_sys_src/src/bindings.rs" "$enums")
python3 "$here/api_parity.py" compare --published "$published_out/bindings.rs" \
	--ours "${ours[@]}" --allow "$here/api-parity.allow"

# The same with MAX_DISPATCHER_ACTIONS taken out of ours: it must fail, and say so.
mutant=$work/bindings-without-MAX_DISPATCHER_ACTIONS.rs
sed 's/^pub const MAX_DISPATCHER_ACTIONS:/pub const MAX_DISPATCHER_ACTIONS_REMOVED:/' \
	"$our_bindings" >"$mutant"
if out=$(python3 "$here/api_parity.py" compare --published "$published_out/bindings.rs" \
	--ours "$mutant" "${ours[@]:1}" --allow "$here/api-parity.allow"); then
	die "FAIL: the comparison passed with MAX_DISPATCHER_ACTIONS removed"
fi
grep -q 'FAIL: MAX_DISPATCHER_ACTIONS missing' <<<"$out" ||
	die "FAIL: with MAX_DISPATCHER_ACTIONS removed, the comparison failed otherwise: $out"
echo "api-parity: and it fails when an item is removed (MAX_DISPATCHER_ACTIONS: missing)"
