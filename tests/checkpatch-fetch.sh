#!/usr/bin/env bash
# Print the directory of a verified checkpatch.pl (with the spelling.txt and
# const_structs.checkpatch it reads from its own directory), taken from Debian's
# linux-source package: nothing of the kernel is committed here, and GitHub is not needed.
#
#   checkpatch-fetch.sh CACHE_DIR
#
# The .deb is pinned by version and sha256 (below), downloaded once from Debian's archive,
# verified, and only those three files are kept, in CACHE_DIR/linux-source-VERSION/scripts
# (about 0.3 MB; the 139 MB .deb is removed once they are out). $CHECKPATCH_DEB may name a
# copy of the same .deb to use instead of downloading it (verified all the same).
set -euo pipefail

# Debian 12's kernel source, from the security archive, which keeps several versions.
DEB_VERSION=6.1.192-3
DEB_NAME=linux-source-6.1_${DEB_VERSION}_all.deb
DEB_SHA256=5259c57ca92092da39bd2ea803046da0e3c28f2b6a11ea20f6297468188ceb67
DEB_URLS=(
	"http://deb.debian.org/debian-security/pool/updates/main/l/linux/$DEB_NAME"
	"http://security.debian.org/debian-security/pool/updates/main/l/linux/$DEB_NAME"
)
FILES=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)

die() {
	printf 'checkpatch-fetch: %s\n' "$@" >&2
	exit 1
}

[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
cache=$(realpath -m "$1")
dest=$cache/linux-source-$DEB_VERSION
stamp=$dest/.sha256

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$DEB_SHA256" ]; then
	echo "$dest/scripts"
	exit 0
fi

for tool in dpkg-deb xz tar sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is needed to unpack $DEB_NAME"
done
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

deb=${CHECKPATCH_DEB:-}
if [ -z "$deb" ]; then
	command -v curl >/dev/null || die "curl is needed to download $DEB_NAME"
	deb=$tmp/$DEB_NAME
	for url in "${DEB_URLS[@]}"; do
		echo "checkpatch-fetch: downloading $url" >&2
		curl -fsSL --retry 2 -o "$deb" "$url" && break
		rm -f "$deb"
	done
	[ -f "$deb" ] || die "could not download $DEB_NAME (tried: ${DEB_URLS[*]})"
fi
sum=$(sha256sum "$deb" | cut -d' ' -f1)
[ "$sum" = "$DEB_SHA256" ] ||
	die "checksum mismatch for $deb" "  expected sha256 $DEB_SHA256" "  actual   sha256 $sum"

# The package holds one tarball of the whole tree; take the three files out of it.
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
	xz -dc | tar -x -C "$tmp" "${FILES[@]/#/linux-source-6.1/}"
rm -rf "$dest"
mkdir -p "$dest/scripts"
for f in "${FILES[@]}"; do
	mv "$tmp/linux-source-6.1/$f" "$dest/$f"
done
echo "$DEB_SHA256" >"$stamp"
echo "$dest/scripts"
