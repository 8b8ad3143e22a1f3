#!/usr/bin/env bash
# Stage what the vendored build needs into libxdp-sys/upstream/ so that `cargo package`
# yields a crate that builds offline (like libbpf-sys packages libbpf):
#   upstream/xdp-tools_<version>.orig.tar.gz   the pristine, pinned upstream tarball
#   upstream/libxdp/{*.sh,upstream.conf,config.defs}
#   upstream/patches/*.patch
#
#   libxdp-sys/stage-upstream.sh            stage (replaces an earlier staging)
#   libxdp-sys/stage-upstream.sh --clean    remove upstream/ again
#
# build.rs prefers upstream/ when it exists, so remove it (--clean) after packaging, or stage
# again after changing libxdp/ or patches/. upstream/ is git-ignored.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
stage=$here/upstream

rm -rf "$stage"
[ "${1:-}" = --clean ] && exit 0

# shellcheck source=../libxdp/upstream.conf
. "$repo/libxdp/upstream.conf"
tarball=$("$repo/libxdp/fetch-upstream.sh")

tmp=$(mktemp -d "$here/.upstream.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/libxdp" "$tmp/patches"
cp "$tarball" "$tmp/$TARBALL_NAME"
cp "$repo"/libxdp/*.sh "$repo/libxdp/upstream.conf" "$repo/libxdp/config.defs" "$tmp/libxdp/"
for p in "$repo"/patches/*.patch; do
	[ -f "$p" ] && cp "$p" "$tmp/patches/"
done
mv "$tmp" "$stage"
trap - EXIT
echo "staged $(find "$stage" -type f | wc -l) files in $stage" >&2
