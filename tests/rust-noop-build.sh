#!/usr/bin/env bash
# A second `cargo build` with nothing changed must do nothing: no build script runs again and no
# crate is compiled again. A build script that reruns every time (a rerun-if-changed path that
# does not exist, a watched file it rewrites itself) makes every build, test and clippy of every
# dependent start over from libxdp-sys, and nobody notices but the clock.
#
#   tests/rust-noop-build.sh [CARGO BUILD ARGS...]   (default: --workspace --all-targets)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo=${CARGO:-cargo}
args=(--workspace --all-targets)
[ $# -eq 0 ] || args=("$@")

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The first build starts libxdp-sys' build script afresh, on an empty OUT_DIR: what it creates
# there during its first run is newer than that run, and would rerun it if cargo watched it.
"$cargo" clean --color never -p libxdp-sys
"$cargo" build --color never "${args[@]}"

start=$(date +%s%N)
"$cargo" build -v --color never "${args[@]}" >"$log" 2>&1 || { cat "$log"; exit 1; }
end=$(date +%s%N)
ms=$(((end - start) / 1000000))
printf 'rust-noop-build: the second "cargo build %s" took %d.%03d s\n' \
	"${args[*]}" $((ms / 1000)) $((ms % 1000))

# -v names each rerun build script (Running `.../build-script-build`) and each compiled crate,
# and says why it was out of date (Dirty ...: the file ... is missing).
# shellcheck disable=SC2016 # the backquotes are cargo's, not a command substitution
if grep -E '^ *(Compiling |Dirty |Running `[^`]*build-script-build)' "$log"; then
	echo "rust-noop-build: FAIL: the second build was not a no-op (above: what ran and why)" >&2
	exit 1
fi
echo "rust-noop-build: PASS: nothing was compiled and no build script ran"
