#!/usr/bin/env bash
# Cross-namespace scenarios written against xsk-rs' public API (tests/rust-consumers/xsk-rs-netns/),
# run on the published libxdp-sys and on ours, side by side:
#
#   tests/rust-consumers/xsk-rs-netns.sh
#
# xsk-rs.sh shows that xsk-rs' own suite passes on our libxdp-sys; its tests never leave one
# namespace, so they cannot show what the patches fix. This does, the way an application on
# xsk-rs meets the bugs: xsk-rs has no namespace API, so the test crate enters namespaces on its
# thread with setns(2) around xsk-rs' calls (see its src/main.rs for the scenarios).
#
# xsk-rs 0.8.0 comes from crates.io at build time (nothing of it is committed). The crate is
# built twice from scratch copies under build/rust-consumers/: "published" resolves libxdp-sys
# from crates.io (the latest 0.2.x), "ours" gets `[patch.crates-io] libxdp-sys = { path =
# libxdp-sys }`; `cargo tree` must show each using the one it should. Each scenario gets a fresh
# topology (tests/topology.sh, one queue; both devices in test namespaces of their own, so the
# test's frames never cross a device of the host's) that is removed after it, also on failure.
#
# Prints a table, scenario x (published, ours), and fails when ours fails any scenario or when
# the published crate passes them all (the test would then not tell the two apart). Root; says
# SKIP and succeeds otherwise. XSK_RS_NETNS_COUNT frames per device (default 1000).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/tests/rust-consumers/xsk-rs-netns
cargo=${CARGO:-cargo}
count=${XSK_RS_NETNS_COUNT:-1000}
topo=$repo/tests/topology.sh
work=$repo/build/rust-consumers

die() {
	echo "xsk-rs-netns: $*" >&2
	exit 1
}
# shellcheck source-path=SCRIPTDIR source=libxdp-sys-patch.sh
. "$repo/tests/rust-consumers/libxdp-sys-patch.sh"
if [ "$(id -u)" != 0 ]; then
	echo "xsk-rs-netns: SKIP: needs root (network namespaces, veth pairs, XDP programs)"
	exit 0
fi

# Both devices in namespaces of the test's own, none in the host's root namespace.
export TOPOLOGY_OUTER_NS=1
# topology.sh wants at most 10 of [a-z0-9]; the pid keeps parallel runs apart.
topo_id=xn$(($$ % 100000))
cleanup() {
	"$topo" down "$topo_id"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build MODE: builds the test crate on the libxdp-sys of MODE into $work/target-netns-MODE (kept
# between runs: only the test crate is rebuilt then); prints what libxdp-sys resolved to.
build() {
	local mode=$1
	local crate=$work/xsk-rs-netns-$mode log=$work/xsk-rs-netns-$mode.build.log
	local harness="path = \"$repo/tests/harness\""
	# A fresh copy each time: cargo update rewrites its Cargo.lock, which in the repository
	# pins xsk-rs' dependencies for both modes and must stay as committed.
	rm -rf "$crate"
	mkdir -p "$crate"
	cp -r "$here/src" "$here/Cargo.lock" "$crate/"
	# The harness' path is relative to the repository's copy.
	sed "s|path = \"../../harness\"|$harness|" "$here/Cargo.toml" >"$crate/Cargo.toml"
	grep -qF "$harness" "$crate/Cargo.toml" || die "no harness path to rewrite in $here/Cargo.toml"
	(
		export CARGO_TARGET_DIR=$work/target-netns-$mode
		# The lock pins the published libxdp-sys.
		use_libxdp_sys "$mode" "$crate/Cargo.toml"
		cd "$crate"
		"$cargo" build --color never >"$log" 2>&1 || {
			tail -n 30 "$log" >&2
			die "building on the $mode libxdp-sys failed (log: $log)"
		}
		# The crate stays clean (its format is checked by make lint, which cannot build it:
		# xsk-rs is fetched here).
		if [ "$mode" = ours ]; then
			"$cargo" clippy --color never -- -D warnings >>"$log" 2>&1 || {
				tail -n 30 "$log" >&2
				die "clippy warns about $here (log: $log)"
			}
		fi
		resolved_libxdp_sys "$mode" "$log" || die "not the $mode libxdp-sys (above)"
	)
}

scenarios=(
	"shared-umem|shared UMEM, equal ifindex in two namespaces: $count frames into each"
	"teardown|inner's socket dropped from outer's namespace: inner keeps no program (0001)"
	"teardown-reverse|the same, UMEM on inner, outer's socket dropped from inner's (0001)"
	"umem-owner|UMEM's first socket in another namespace: EXDEV or all arrive (0002)"
	"umem-owner-control|UMEM and its first socket in one namespace: all arrive"
)
modes=(published ours)
declare -A result resolved

start=$(date +%s)
for mode in "${modes[@]}"; do
	resolved[$mode]=$(build "$mode")
	echo "xsk-rs-netns: $mode: xsk-rs 0.8.0 on ${resolved[$mode]}"
done

OUTER_DEV='' OUTER_NS='' INNER_DEV='' INNER_NS=''
for mode in "${modes[@]}"; do
	bin=$work/target-netns-$mode/debug/xsk-rs-netns
	for s in "${scenarios[@]}"; do
		name=${s%%|*}
		log=$work/xsk-rs-netns-$mode-$name.log
		vars=$("$topo" up "$topo_id" 1)
		eval "$vars"
		rc=0
		timeout 300 "$bin" "$name" "$OUTER_DEV" "$OUTER_NS" "$INNER_DEV" "$INNER_NS" "$count" \
			>"$log" 2>&1 || rc=$?
		"$topo" down "$topo_id"
		result[$mode/$name]=$([ "$rc" = 0 ] && echo PASS || echo FAIL)
		# The scenario's own account (what arrived, what stayed on a device) and libxdp's
		# warnings; libbpf's notes on every object it opens stay in the log.
		echo "xsk-rs-netns: $mode: $name: ${result[$mode/$name]} (log: $log)"
		grep -v '^libbpf: ' "$log" | sed 's/^/    /'
	done
done
end=$(date +%s)

echo
printf '%-82s %-10s %s\n' "xsk-rs 0.8.0 across namespaces" published ours
ours_failed=0 published_failed=0
for s in "${scenarios[@]}"; do
	name=${s%%|*}
	printf '%-82s %-10s %s\n' "${s#*|}" "${result[published/$name]}" "${result[ours/$name]}"
	[ "${result[ours/$name]}" = PASS ] || ours_failed=$((ours_failed + 1))
	[ "${result[published/$name]}" = PASS ] || published_failed=$((published_failed + 1))
done
echo "published: ${resolved[published]}; ours: ${resolved[ours]}; $((end - start)) s;" \
	"logs: $work/xsk-rs-netns-*.log"
[ "$ours_failed" = 0 ] || die "$ours_failed scenario(s) fail on our libxdp-sys"
[ "$published_failed" -gt 0 ] || die "the published libxdp-sys passes every scenario: the test tells nothing apart"
