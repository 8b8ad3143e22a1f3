# shellcheck shell=bash
# Sourced by the scripts that build a crate of others on this repository's libxdp-sys and on
# the published one (xsk-rs.sh, xsk-rs-netns.sh). Runs $CARGO (default cargo).

libxdp_sys_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# use_libxdp_sys MODE MANIFEST: with MODE "ours", a [patch.crates-io] in MANIFEST makes its
# libxdp-sys this repository's; with "published", MANIFEST stays as it is. Then `cargo update
# libxdp-sys` in MANIFEST's directory: a Cargo.lock that pins a published version leaves a patch
# unused, so this takes ours, or for the comparison the latest published one.
use_libxdp_sys() {
	local mode=$1 manifest=$2
	if [ "$mode" = ours ]; then
		cat >>"$manifest" <<TOML

[patch.crates-io]
libxdp-sys = { path = "$libxdp_sys_repo/libxdp-sys" }
TOML
	fi
	(cd "$(dirname "$manifest")" && "${CARGO:-cargo}" update --quiet libxdp-sys)
}

# resolved_libxdp_sys MODE BUILD_LOG: prints what libxdp-sys resolves to (cargo tree, in the
# current directory) and fails unless it is this repository's (MODE ours), or a published one.
# A patch cargo cannot use (a version outside the crate's requirement, a feature it lacks) is
# only a warning in BUILD_LOG, and the test would then run on the published crate.
resolved_libxdp_sys() {
	local mode=$1 log=$2 tree
	tree=$("${CARGO:-cargo}" tree --offline --color never -e normal -i libxdp-sys --depth 0) || return 1
	echo "$tree"
	if [ "$mode" = ours ]; then
		if grep -q 'was not used in the crate graph' "$log"; then
			echo "cargo did not use the patch of libxdp-sys (log: $log)" >&2
			return 1
		fi
		if [[ $tree != *"($libxdp_sys_repo/libxdp-sys)"* ]]; then
			echo "libxdp-sys is not $libxdp_sys_repo/libxdp-sys: $tree" >&2
			return 1
		fi
	elif [[ $tree == *"($libxdp_sys_repo/"* ]]; then
		echo "libxdp-sys is ours, not the published one: $tree" >&2
		return 1
	fi
}
