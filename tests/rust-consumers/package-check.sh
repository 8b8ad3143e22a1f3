#!/usr/bin/env bash
# The crates as crates.io and docs.rs would get them:
#
#   1. bindings: libxdp-sys ships src/bindings.rs and src/xsk_inline.c (so that neither its users
#      nor docs.rs need libclang); they must be what feature `bindgen` generates now, and
#      feature `system` must build with them against the system's older libxdp headers.
#   2. docs as docs.rs builds them: DOCS_RS=1, offline, no network at all (an empty network
#      namespace, when unshare can make one), neither clang nor libclang, rustdoc -D warnings.
#   3. cargo package of both crates, offline, and cargo publish --dry-run (which cannot be
#      offline, see below): libxdp-sys' crate carries the pinned tarball and the patches in
#      upstream/ (libxdp-sys/stage-upstream.sh), and cargo builds each packaged crate from its
#      .crate alone (libxdp-rs against the packaged libxdp-sys, not yet on crates.io).
#   4. MSRV: the workspace's rust-version builds both crates (rustup installs that toolchain,
#      minimal profile; SKIP when it cannot).
#
#   tests/rust-consumers/package-check.sh            all four
#   tests/rust-consumers/package-check.sh --update   write the generated bindings into src/
#
# Target directories are kept under build/package-check/ (the workspace's own target/ is left
# alone, so a no-op build stays one): the first run builds everything (2.5 minutes here), later
# ones 10-25 s.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cargo=${CARGO:-cargo}
update=0
case ${1:-} in
'') ;;
--update) update=1 ;;
*) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

die() {
	echo "package-check: $*" >&2
	exit 1
}
step() {
	echo "package-check: $*"
}

cd "$repo"
work=$repo/build/package-check
mkdir -p "$work"
sys=$repo/libxdp-sys

# 1. The shipped bindings against bindgen's. (cargo reports the OUT_DIR of fresh build scripts
# too.)
step "bindings: src/bindings.rs and src/xsk_inline.c against feature bindgen's"
out=$(CARGO_TARGET_DIR=$work/target-bindgen "$cargo" build --quiet --message-format json \
	-p libxdp-sys --features bindgen | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "build-script-executed" and "libxdp-sys" in m["package_id"]:
        print(m["out_dir"])')
if [ ! -f "$out/bindings.rs" ] || [ ! -f "$out/xsk_inline.c" ]; then
	die "feature bindgen generated nothing"
fi
# bindgen starts the wrappers with an #include of the header by its path in OUT_DIR; the shipped
# copy starts at the wrappers (build.rs adds the #include).
sed -n '/^\/\/ Static wrappers/,$p' "$out/xsk_inline.c" >"$work/xsk_inline.c"
if [ "$update" = 1 ]; then
	cp "$out/bindings.rs" "$sys/src/bindings.rs"
	cp "$work/xsk_inline.c" "$sys/src/xsk_inline.c"
	step "wrote $sys/src/bindings.rs and $sys/src/xsk_inline.c"
	exit 0
fi
stale=0
diff -u "$sys/src/bindings.rs" "$out/bindings.rs" || stale=1
diff -u "$sys/src/xsk_inline.c" "$work/xsk_inline.c" || stale=1
[ "$stale" = 0 ] || die "FAIL: the shipped bindings are stale (above); regenerate them: $0 --update"

# 2. docs.rs: build.rs builds nothing under DOCS_RS, so a clang or libclang that is not there
# must not matter. (libbpf-sys still builds libbpf with the C compiler, as on docs.rs.)
step "docs as docs.rs builds them (DOCS_RS=1, offline, no clang, no libclang)"
isolate=()
if unshare --net true 2>/dev/null; then
	isolate=(unshare --net --)
fi
DOCS_RS=1 CLANG=/nonexistent/clang LIBCLANG_PATH=/nonexistent M4=/nonexistent/m4 \
	RUSTDOCFLAGS="-D warnings --cfg docsrs" CARGO_TARGET_DIR=$work/target-docs \
	"${isolate[@]}" "$cargo" doc --offline --quiet --no-deps -p libxdp-sys -p libxdp-rs
[ -f "$work/target-docs/doc/libxdp_sys/index.html" ] || die "FAIL: no docs for libxdp-sys"

# The shipped bindings are libxdp 1.6.3's, and feature `system` uses them with the system's
# libxdp: its headers must compile the ring helpers' wrappers (Debian 12 has libxdp 1.3.1).
if pkg-config --exists libxdp; then
	step "feature system: the shipped wrappers build against libxdp $(pkg-config --modversion libxdp)"
	CARGO_TARGET_DIR=$work/target-system LIBCLANG_PATH=/nonexistent \
		"$cargo" build --offline --quiet -p libxdp-sys --features system 2>&1 |
		{ grep -v 'lacks the network namespace fixes' || true; }
else
	step "SKIP feature system: no system libxdp (pkg-config libxdp)"
fi

# 3. Packaging. upstream/ is staged for it and removed again however this ends: build.rs prefers
# it to ../libxdp. --allow-dirty lets a working tree with changes be checked before committing.
step "cargo package (offline) and cargo publish --dry-run of libxdp-sys and libxdp-rs"
trap '"$sys/stage-upstream.sh" --clean' EXIT
"$sys/stage-upstream.sh"
export CARGO_TARGET_DIR=$work/target-package
"$cargo" package --offline --quiet --allow-dirty -p libxdp-sys -p libxdp-rs
# cargo publish reads the registry's config.json (its API address) even for a dry run, and
# refuses to under --offline ("attempting to make an HTTP request"): this one step goes online.
# It packages and verifies again (from the cache: seconds), then stops before uploading.
"$cargo" publish --quiet --allow-dirty --dry-run -p libxdp-sys -p libxdp-rs
crate=$CARGO_TARGET_DIR/package/libxdp-sys-0.2.5+1.6.3.crate
tar -tzf "$crate" | grep -q '/upstream/xdp-tools_.*\.orig\.tar\.gz$' ||
	die "FAIL: $crate lacks the upstream tarball"
"$sys/stage-upstream.sh" --clean
trap - EXIT
unset CARGO_TARGET_DIR

# 4. MSRV.
msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$msrv" ] || die "no rust-version in Cargo.toml"
step "MSRV: rust $msrv builds libxdp-sys and libxdp-rs"
if ! command -v rustup >/dev/null || ! rustup toolchain install "$msrv" --profile minimal \
	>"$work/rustup.log" 2>&1; then
	step "SKIP: rustup cannot install rust $msrv (log: $work/rustup.log)"
	exit 0
fi
CARGO_TARGET_DIR=$work/target-msrv "$cargo" "+$msrv" build --locked --quiet \
	-p libxdp-sys -p libxdp-rs --lib
step "PASS"
