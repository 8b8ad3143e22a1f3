#!/usr/bin/env bash
# xsk-rs' own test suite on this repository's libxdp-sys.
#
#   tests/rust-consumers/xsk-rs.sh              xsk-rs with [patch.crates-io] libxdp-sys = ours
#   tests/rust-consumers/xsk-rs.sh --published  the same, on the published libxdp-sys (comparison)
#
# xsk-rs is the main user of the libxdp-sys published on crates.io; anyone adopting ours does so
# through a [patch.crates-io]. So its suite is run unchanged with that patch: it is fetched from
# the registry at test time (nothing of it is committed) into build/rust-consumers/. Its
# integration tests create a veth pair (xsk_test_dev1/xsk_test_dev2, 192.168.69.0/24) in the
# namespace they run in, so they run in a network namespace of their own (unshare --net): the
# devices and their traffic never reach the host's, and go away with the namespace. Root.
#
# XSK_RS_VERSION picks the version (default 0.8.0; it asks for libxdp-sys "0.2.2"; `make
# test-xsk-rs` runs 0.11.0 too).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cargo=${CARGO:-cargo}
version=${XSK_RS_VERSION:-0.8.0}
mode=ours
case ${1:-} in
'') ;;
--published) mode=published ;;
*) echo "usage: $0 [--published]" >&2; exit 2 ;;
esac

die() {
	echo "xsk-rs: $*" >&2
	exit 1
}
# shellcheck source-path=SCRIPTDIR source=libxdp-sys-patch.sh
. "$repo/tests/rust-consumers/libxdp-sys-patch.sh"
[ "$(id -u)" = 0 ] || die "needs root: its tests create a veth pair and AF_XDP sockets"

work=$repo/build/rust-consumers
fetcher=$work/fetch-xsk-rs-$version
crate=$work/xsk-rs-$version-$mode
# A target directory per mode, kept between runs: only xsk-rs itself is rebuilt then.
export CARGO_TARGET_DIR=$work/target-$mode

# A scratch crate that depends on exactly this version lets cargo fetch and verify it (checksum
# from the index) into its registry cache, where cargo metadata says it is.
mkdir -p "$fetcher/src"
cat >"$fetcher/Cargo.toml" <<TOML
[package]
name = "fetch-xsk-rs"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
xsk-rs = "=$version"

[workspace]
TOML
: >"$fetcher/src/lib.rs"
"$cargo" fetch --manifest-path "$fetcher/Cargo.toml" --quiet
manifest=$("$cargo" metadata --format-version 1 --manifest-path "$fetcher/Cargo.toml" |
	python3 -c 'import json, sys
print(*[p["manifest_path"] for p in json.load(sys.stdin)["packages"]
	if p["name"] == "xsk-rs" and p["version"] == sys.argv[1]])' "$version")
[ -f "$manifest" ] || die "cargo fetched no xsk-rs $version"

# A fresh copy each time: the registry's must stay pristine, and the copy gets our patch and an
# updated lock file.
rm -rf "$crate"
cp -r "$(dirname "$manifest")" "$crate"
# build/ is inside the repository's workspace: an empty [workspace] keeps the copy out of it.
printf '\n[workspace]\n' >>"$crate/Cargo.toml"
# Its Cargo.lock pins the libxdp-sys it was released with (0.2.2+1.5.5 for 0.8.0).
use_libxdp_sys "$mode" "$crate/Cargo.toml"
cd "$crate"

# Build everything the tests need first, online, so that the run in the namespace (no network)
# only runs.
log=$work/xsk-rs-$version-$mode.build.log
"$cargo" test --no-run --color never 2>&1 | tee "$log"

# The patch must be what libxdp-sys resolves to, or the suite would test the published crate.
tree=$(resolved_libxdp_sys "$mode" "$log") || die "not the libxdp-sys to test (above)"
echo "xsk-rs: libxdp-sys resolves to: $tree"

# All its tests. 0.8's doc-test, the README's example, does not compile on any libxdp-sys (it
# calls the unsafe Socket::new outside an unsafe block; 0.11 fixed it): there, the unit and
# integration tests only.
targets=()
case $version in
0.8.*) targets=(--lib --tests) ;;
esac
log=$work/xsk-rs-$version-$mode.test.log
start=$(date +%s)
status=0
unshare --net -- "$cargo" test --offline --color never "${targets[@]}" 2>&1 | tee "$log" ||
	status=$?
end=$(date +%s)
# The sum of the "test result:" lines of the test binaries.
read -r passed failed ignored < <(
	sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$log" |
		awk '{p += $1; f += $2; i += $3} END {print p + 0, f + 0, i + 0}'
)
echo "xsk-rs $version on $tree: $passed passed, $failed failed, $ignored ignored" \
	"($((end - start)) s; log: $log)"
[ "$status" = 0 ] || die "cargo test failed (status $status)"
[ "$passed" -gt 0 ] || die "no test ran"
