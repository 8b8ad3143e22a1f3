#!/usr/bin/env bash
# Fetch, verify and unpack one pinned Debian kernel of kernels.conf.
#
#   fetch-kernel.sh NAME          unpack kernel NAME into $KERNELS_DIR/NAME (default
#                                 build/kernels/NAME); prints the unpacked directory
#   fetch-kernel.sh --latest NAME print what the archive offers now for NAME's package series
#                                 (to update a pin that the archive dropped)
#
# The .deb comes from the cache, ${XDG_CACHE_HOME:-~/.cache}/xdp-netns/kernels/, or else from
# Debian's archive through `apt-get download` with a private apt configuration (its own sources
# list, lists and cache; the system's apt setup is not touched). Its sha256 must match the pin.
# It is unpacked with dpkg -x: nothing goes to /boot, nothing is installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
conf=${KERNELS_CONF:-$here/kernels.conf}
cache_dir=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xdp-netns/kernels
kernels_dir=${KERNELS_DIR:-$top/build/kernels}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

die() {
	printf 'fetch-kernel: %s\n' "$@" >&2
	exit 1
}

latest=0
if [ "${1:-}" = --latest ]; then
	latest=1
	shift
fi
name=${1:?usage: fetch-kernel.sh [--latest] NAME (a name of $conf)}

# pin NAME: sets suite, package, version, sha256 from kernels.conf.
read -r _ suite package version sha256 < <(awk -v n="$name" '$1 == n && $1 !~ /^#/' "$conf") ||
	die "no kernel named '$name' in $conf; known: $(awk '!/^#/ && NF {print $1}' "$conf" | xargs)"
deb=${package}_${version}_amd64.deb

verify() {
	local sum
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$sum" = "$sha256" ] && return 0
	die "checksum mismatch for $1 (kernel $name)" \
		"  expected sha256 $sha256 (pinned in $conf)" \
		"  actual   sha256 $sum"
}

apt_root=
apt_opts=()
private_apt() {
	command -v apt-get >/dev/null || die "apt-get is needed to download $deb (or place it at $cache_dir/$deb)"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "$keyring is missing (apt-get install debian-archive-keyring)"
	apt_root=$(mktemp -d "${TMPDIR:-/tmp}/xdp-netns-kapt.XXXXXX")
	trap 'rm -rf "$apt_root"' EXIT
	mkdir -p "$apt_root"/lists/partial "$apt_root"/cache/archives/partial "$apt_root"/download
	{
		echo "deb [signed-by=$keyring] $mirror $suite main"
		echo "deb [signed-by=$keyring] $mirror $suite-updates main"
		echo "deb [signed-by=$keyring] $security_mirror $suite-security main"
	} >"$apt_root/sources.list"
	apt_opts=(
		-o "Dir::Etc::SourceList=$apt_root/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$apt_root/lists"
		-o "Dir::Cache=$apt_root/cache"
		-o "Debug::NoLocking=1"
		-o "APT::Architecture=amd64"
		-o "APT::Sandbox::User=$(id -un)"
	)
	echo "fetch-kernel: reading Debian $suite's package index with a private apt configuration" >&2
	apt-get -q "${apt_opts[@]}" update >&2 || die "apt-get update with the private configuration failed"
}

if [ $latest = 1 ]; then
	private_apt
	# The ABI number is part of the package name (linux-image-6.1.0-50-amd64-unsigned), so list
	# every package of the series, newest first.
	series=$(sed -E 's/^linux-image-([0-9]+\.[0-9]+).*-amd64-unsigned$/\1/' <<<"$package")
	apt-cache "${apt_opts[@]}" search --names-only "^linux-image-${series//./\\.}\\.[.0-9a-z+~-]*-amd64-unsigned\$" |
		grep -v -e '-cloud-' -e '-rt-' | cut -d' ' -f1 | while read -r p; do
		apt-cache "${apt_opts[@]}" show "$p" | awk -v p="$p" \
			'/^Version:/ {v=$2} /^SHA256:/ {print p, v, $2}'
	done | sort -V -k2 | tail -5
	exit 0
fi

mkdir -p "$cache_dir"
cached=$cache_dir/$deb
if [ -f "$cached" ]; then
	verify "$cached"
else
	private_apt
	if ! (cd "$apt_root/download" &&
		apt-get -q "${apt_opts[@]}" download "$package=$version" >&2); then
		die "Debian's archive no longer offers $package=$version (pin '$name' in $conf)." \
			"Update that pin: run '$0 --latest $name' and put the package, version and sha256" \
			"it lists into $conf (or place the pinned .deb at $cached)."
	fi
	[ -f "$apt_root/download/$deb" ] || die "apt-get download did not produce $deb"
	verify "$apt_root/download/$deb"
	mv "$apt_root/download/$deb" "$cached.tmp.$$"
	mv "$cached.tmp.$$" "$cached"
fi

dest=$kernels_dir/$name
stamp=$dest/.unpacked
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sha256" ]; then
	rm -rf "$dest"
	mkdir -p "$dest.tmp.$$"
	dpkg -x "$cached" "$dest.tmp.$$"
	mv "$dest.tmp.$$" "$dest"
	echo "$sha256" >"$stamp"
	echo "fetch-kernel: unpacked $deb into $dest" >&2
fi
echo "$dest"
