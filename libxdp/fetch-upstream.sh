#!/usr/bin/env bash
# Print the path of a verified copy of the pinned upstream tarball, or with --debian of the
# pinned Debian packaging tarball (debian/ of the same source package, for scripts/build-deb.sh).
#
#   fetch-upstream.sh [--debian] [CACHE_DIR]
#
# Sources, tried in order:
#   1. $LIBXDP_UPSTREAM_TARBALL, or $LIBXDP_DEBIAN_TARBALL with --debian (a path the user
#      gives; never downloaded over)
#   2. the cache: CACHE_DIR if given, else ${XDG_CACHE_HOME:-~/.cache}/xdp-netns
#   3. `apt-get source --download-only` with a private apt configuration
#      (its own sources list, lists and cache; the system's apt setup is untouched)
# A checksum mismatch is a hard error that prints both sums.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=upstream.conf
. "$here/upstream.conf"

# Which file: both come from the one source package, so they share every source below.
wanted_name=$TARBALL_NAME wanted_sha256=$TARBALL_SHA256
user_path=${LIBXDP_UPSTREAM_TARBALL:-} user_var=LIBXDP_UPSTREAM_TARBALL
what="xdp-tools $XDP_TOOLS_VERSION"
if [ "${1:-}" = --debian ]; then
	shift
	wanted_name=$DEBIAN_TARBALL_NAME wanted_sha256=$DEBIAN_TARBALL_SHA256
	user_path=${LIBXDP_DEBIAN_TARBALL:-} user_var=LIBXDP_DEBIAN_TARBALL
	what="Debian's packaging of xdp-tools $DEBIAN_SOURCE_VERSION"
fi

cache_dir=${1:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xdp-netns}

die() {
	printf 'fetch-upstream: %s\n' "$@" >&2
	exit 1
}

verify() {
	local file=$1 sum
	sum=$(sha256sum "$file" | cut -d' ' -f1)
	[ "$sum" = "$wanted_sha256" ] && return 0
	die "checksum mismatch for $file" \
		"  expected sha256 $wanted_sha256" \
		"  actual   sha256 $sum" \
		"Provide the genuine $wanted_name ($what)."
}

if [ -n "$user_path" ]; then
	[ -f "$user_path" ] || die "$user_var=$user_path: no such file"
	verify "$user_path"
	echo "$user_path"
	exit 0
fi

cached=$cache_dir/$wanted_name
if [ -f "$cached" ]; then
	verify "$cached"
	echo "$cached"
	exit 0
fi

how_to_fix="Either set $user_var=/path/to/$wanted_name (sha256 $wanted_sha256),
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
[ -f "$apt_root/download/$wanted_name" ] ||
	die "apt-get source did not produce $wanted_name." "$how_to_fix"
verify "$apt_root/download/$wanted_name"
mkdir -p "$cache_dir"
mv "$apt_root/download/$wanted_name" "$cached.tmp.$$"
mv "$cached.tmp.$$" "$cached"
echo "$cached"
