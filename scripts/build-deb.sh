#!/usr/bin/env bash
# Build Debian packages of the patched libxdp from Debian's own source package (make deb).
#
#   build-deb.sh [OUTDIR]        (default build/deb)
#
# Debian's xdp-tools $DEBIAN_SOURCE_VERSION (libxdp/upstream.conf): its orig tarball is our pinned
# upstream one, its debian/ tarball is pinned the same way (fetch-upstream.sh --debian). Both are
# unpacked under build/deb-src/, our series (patches/*.patch but the cover letter) is added to
# the end of debian/patches/series, a changelog entry gives the version
# $DEBIAN_SOURCE_VERSION+netns1, and dpkg-buildpackage -us -uc -b builds it. OUTDIR gets
# libxdp1, libxdp-dev and xdp-tools (the packages a system with Debian's libxdp has; xdp-tests
# and the -dbgsym packages stay in build/deb-src/). Nothing of Debian's is in this repository.
#
# Running it again is cheap: nothing happens while the tarballs' sums, the series and this
# script are unchanged (stamp in OUTDIR). Missing build dependencies are installed as root with
# apt-get build-dep on the unpacked tree (no equivs package is left behind); make deps installs
# them beforehand.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../libxdp/upstream.conf
. "$top/libxdp/upstream.conf"

out=${1:-$top/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$top/build/deb-src
# Above the distribution's $DEBIAN_SOURCE_VERSION (dpkg --compare-versions: 1.6.3-1 < 1.6.3-1+netns1
# < 1.6.3-2), saying where it comes from.
version=$DEBIAN_SOURCE_VERSION+netns1
# Who the packages say they come from: DEBFULLNAME and DEBEMAIL, as dch takes them, else the
# project's placeholder.
maintainer="${DEBFULLNAME:-xdp-netns build} <${DEBEMAIL:-build@xdp-netns.invalid}>"
# The binary packages that replace the distribution's.
packages=(libxdp1 libxdp-dev xdp-tools)

die() {
	printf 'build-deb: %s\n' "$@" >&2
	exit 1
}

for tool in dpkg-buildpackage dpkg-checkbuilddeps; do
	command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev, or make deps)."
done

series=()
for p in "$top"/patches/*.patch; do
	[ -f "$p" ] || continue
	case $(basename "$p") in 0000-*) continue ;; esac
	series+=("$p")
done
[ ${#series[@]} -gt 0 ] || die "no patches in $top/patches"

# Everything the packages are made of, and the libbpf they are built against.
stamp_id=$({
	echo "$TARBALL_SHA256 $DEBIAN_TARBALL_SHA256 $version"
	for p in "${series[@]}"; do basename "$p"; done
	cat "${series[@]}" "$0"
	dpkg-query -W libbpf-dev 2>/dev/null || true
} | sha256sum | cut -d' ' -f1)
stamp=$out/.build-deb-stamp
debs=()
for pkg in "${packages[@]}"; do debs+=("$out/${pkg}_${version}_$(dpkg --print-architecture).deb"); done
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_id" ]; then
	all_there=1
	for deb in "${debs[@]}"; do [ -f "$deb" ] || all_there=0; done
	if [ $all_there = 1 ]; then
		echo "build-deb: ${out#"$top"/} is up to date ($version)"
		exit 0
	fi
fi

orig=$("$top/libxdp/fetch-upstream.sh")
debian_tarball=$("$top/libxdp/fetch-upstream.sh" --debian)

rm -rf "$work"
src=$work/$TARBALL_TOPDIR
mkdir -p "$src"
tar -xzf "$orig" -C "$work" "$TARBALL_TOPDIR"
tar -xJf "$debian_tarball" -C "$src" debian
[ -f "$src/debian/control" ] || die "$debian_tarball holds no debian/control"

# Our series after Debian's own patches (if any), in a directory of its own so that names
# cannot clash; dpkg-source applies debian/patches/series in order before the build.
mkdir -p "$src/debian/patches/xdp-netns"
debian_patches=$(grep -cEv '^[[:space:]]*(#|$)' "$src/debian/patches/series" 2>/dev/null || true)
for p in "${series[@]}"; do
	cp "$p" "$src/debian/patches/xdp-netns/"
	echo "xdp-netns/$(basename "$p")" >>"$src/debian/patches/series"
done

# Debian's control asks for bpftool >= 7.5.0~ (trixie's); bookworm has 7.1.0, which generates
# the tools' BPF skeletons (all the build asks of it) as well. Any bpftool will do.
grep -q 'bpftool (>= ' "$src/debian/control" ||
	die "debian/control no longer names 'bpftool (>= ...)'; review the bpftool change in $0"
sed -i -E 's/bpftool \(>= [^)]*\)/bpftool/' "$src/debian/control"

# Packages built here are not Debian's: their maintainer is whoever builds them; the changelog
# names Debian's (an Original-Maintainer field is Ubuntu's, unknown to Debian's lintian).
debian_maintainer=$(sed -n 's/^Maintainer: *//p' "$src/debian/control")
[ -n "$debian_maintainer" ] || die "debian/control names no Maintainer"
sed -i -e "s/^Maintainer: .*/Maintainer: $maintainer/" "$src/debian/control"

# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-unstable}")
{
	echo "xdp-tools ($version) $codename; urgency=medium"
	echo
	echo "  * xdp-netns: libxdp patched to be safe across network namespaces, built"
	echo "    from Debian's xdp-tools $DEBIAN_SOURCE_VERSION by scripts/build-deb.sh (make deb)."
	echo "    Not a Debian upload; Debian's package is maintained by"
	echo "    $debian_maintainer."
	echo "  * Add the xdp-netns series (debian/patches/xdp-netns/) after Debian's"
	echo "    own patches (${debian_patches:-0} in $DEBIAN_SOURCE_VERSION):"
	for p in "${series[@]}"; do echo "    - $(basename "$p")"; done
	echo "  * Build-Depends: any bpftool (bookworm's 7.1.0 generates the skeletons)."
	echo
	echo " -- $maintainer  $(date -R)"
	echo
	cat "$src/debian/changelog"
} >"$src/debian/changelog.new"
mv "$src/debian/changelog.new" "$src/debian/changelog"

log=$work/build.log
cd "$src"
# Apply the whole series first, so that a patch that does not apply says so on its own.
if ! dpkg-source --before-build . >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "the series does not apply after Debian's patches (log: $log)"
fi
if ! dpkg-checkbuilddeps >>"$log" 2>&1; then
	[ "$(id -u)" = 0 ] || die "build dependencies are missing (make deps as root): $(tail -n 1 "$log")"
	echo "build-deb: installing the missing build dependencies (apt-get build-dep)"
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q --no-install-recommends "$src" >>"$log" 2>&1 ||
		{ tail -n 20 "$log" >&2; die "apt-get build-dep failed (log: $log)"; }
fi
echo "build-deb: dpkg-buildpackage -us -uc -b ($version, log ${log#"$top"/})"
if ! DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "dpkg-buildpackage failed (log: $log)"
fi

rm -f "$stamp" "$out"/*.deb
for deb in "${debs[@]}"; do
	cp "$work/$(basename "$deb")" "$out/" || die "dpkg-buildpackage made no $(basename "$deb")"
done
echo "$stamp_id" >"$stamp"
echo "build-deb: built in ${out#"$top"/}:"
for deb in "${debs[@]}"; do echo "  $(basename "$deb")"; done
