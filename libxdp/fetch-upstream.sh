#!/usr/bin/env bash
# Print the path of a verified copy of the pinned upstream tarball.
#
# Sources, tried in order:
#   1. $LIBXDP_UPSTREAM_TARBALL (a path the user gives; never downloaded over)
#   2. the cache: $1 if given, else ${XDG_CACHE_HOME:-~/.cache}/xdp-netns
#   3. `apt-get source --download-only` with a private apt configuration
#      (its own sources list, lists and cache; the system's apt setup is untouched)
# A checksum mismatch is a hard error that prints both sums.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=upstream.conf
. "$here/upstream.conf"

cache_dir=${1:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xdp-netns}

die() {
	printf 'fetch-upstream: %s\n' "$@" >&2
	exit 1
}

verify() {
	local file=$1 sum
	sum=$(sha256sum "$file" | cut -d' ' -f1)
	[ "$sum" = "$TARBALL_SHA256" ] && return 0
	die "checksum mismatch for $file" \
		"  expected sha256 $TARBALL_SHA256" \
		"  actual   sha256 $sum" \
		"Provide the genuine $TARBALL_NAME (xdp-tools $XDP_TOOLS_VERSION)."
}

if [ -n "${LIBXDP_UPSTREAM_TARBALL:-}" ]; then
	[ -f "$LIBXDP_UPSTREAM_TARBALL" ] || die "LIBXDP_UPSTREAM_TARBALL=$LIBXDP_UPSTREAM_TARBALL: no such file"
	verify "$LIBXDP_UPSTREAM_TARBALL"
	echo "$LIBXDP_UPSTREAM_TARBALL"
	exit 0
fi

cached=$cache_dir/$TARBALL_NAME
if [ -f "$cached" ]; then
	verify "$cached"
	echo "$cached"
	exit 0
fi

how_to_fix="Either set LIBXDP_UPSTREAM_TARBALL=/path/to/$TARBALL_NAME (sha256 $TARBALL_SHA256),
or place that file at $cached,
or install apt (apt-get, with Debian's archive keyring) and allow access to $DEBIAN_MIRROR."

command -v apt-get >/dev/null || die "no tarball given and apt-get is not available." "$how_to_fix"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || die "no tarball given and $keyring is missing (apt-get install debian-archive-keyring)." "$how_to_fix"

apt_root=$(mktemp -d "${TMPDIR:-/tmp}/xdp-netns-apt.XXXXXX")
trap 'rm -rf "$apt_root"' EXIT
mkdir -p "$apt_root"/lists/partial "$apt_root"/cache/archives/partial "$apt_root"/download
for suite in ${DEBIAN_SUITES//,/ }; do
	echo "deb-src [signed-by=$keyring] $DEBIAN_MIRROR $suite main"
done > "$apt_root/sources.list"
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_root/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::State::Lists=$apt_root/lists"
	-o "Dir::Cache=$apt_root/cache"
	-o "Debug::NoLocking=1"
	-o "APT::Sandbox::User=$(id -un)"
)
echo "fetch-upstream: downloading xdp-tools $DEBIAN_SOURCE_VERSION source with a private apt configuration" >&2
apt-get -q "${apt_opts[@]}" update >&2 ||
	die "apt-get update with the private configuration failed." "$how_to_fix"
(cd "$apt_root/download" &&
	apt-get -q "${apt_opts[@]}" source --download-only "xdp-tools=$DEBIAN_SOURCE_VERSION" >&2) ||
	die "apt-get source xdp-tools=$DEBIAN_SOURCE_VERSION failed." "$how_to_fix"
[ -f "$apt_root/download/$TARBALL_NAME" ] ||
	die "apt-get source did not produce $TARBALL_NAME." "$how_to_fix"
verify "$apt_root/download/$TARBALL_NAME"
mkdir -p "$cache_dir"
mv "$apt_root/download/$TARBALL_NAME" "$cached.tmp.$$"
mv "$cached.tmp.$$" "$cached"
echo "$cached"
