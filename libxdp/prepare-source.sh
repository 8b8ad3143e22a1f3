#!/usr/bin/env bash
# Lay out upstream xdp-tools as a git tree at DEST and apply our series.
#
#   prepare-source.sh [--pristine] [--series DIR] DEST
#
# DEST gets one commit with the pristine release, tagged v$XDP_TOOLS_VERSION, and
# the series from patches/ applied on top with `git am` (skipped with --pristine).
# Running it again is cheap: nothing happens while the series is unchanged. A tree
# with commits or edits of its own is never reset; regenerate patches/ first.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=upstream.conf
. "$here/upstream.conf"

series_dir=$here/../patches
pristine=0
while [ $# -gt 1 ]; do
	case $1 in
	--pristine) pristine=1; shift ;;
	--series) series_dir=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--pristine] [--series DIR] DEST" >&2; exit 2; }
dest=$1
tag=v$XDP_TOOLS_VERSION

die() {
	printf 'prepare-source: %s\n' "$@" >&2
	exit 1
}

command -v git >/dev/null || die "git is required to apply patches/ (apt-get install git)."

# The fixed identity and dates make the pristine commit the same everywhere.
export GIT_AUTHOR_NAME="xdp-netns build" GIT_AUTHOR_EMAIL="build@xdp-netns.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
g() { git -C "$dest" -c advice.detachedHead=false -c init.defaultBranch=main "$@"; }

series=()
if [ "$pristine" = 0 ] && [ -d "$series_dir" ]; then
	for p in "$series_dir"/*.patch; do
		[ -f "$p" ] || continue
		case $(basename "$p") in 0000-*) continue ;; esac
		series+=("$p")
	done
fi
if [ ${#series[@]} -gt 0 ]; then
	series_id=$(cat "${series[@]}" | sha256sum | cut -d' ' -f1)
else
	series_id=empty
fi
stamp=$dest/.git/xdp-netns-series

if [ -f "$stamp" ]; then
	read -r applied_id applied_head < "$stamp"
	if [ "$applied_id" = "$series_id" ]; then
		exit 0
	fi
	if [ "$(g rev-parse HEAD)" != "$applied_head" ] || [ -n "$(g status --porcelain)" ]; then
		die "$dest has commits or edits that patches/ does not hold." \
			"Regenerate the series (make patches) or remove $dest."
	fi
	g reset -q --hard "$tag"
else
	[ ! -e "$dest" ] || [ -z "$(ls -A "$dest")" ] || die "$dest exists and is not a tree made by this script; remove it."
	tarball=$("$here/fetch-upstream.sh")
	mkdir -p "$dest"
	tar -xzf "$tarball" -C "$dest" --strip-components=1 "$TARBALL_TOPDIR"
	g init -q
	g add -A
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		g commit -q -m "xdp-tools $XDP_TOOLS_VERSION ($TARBALL_NAME, sha256 $TARBALL_SHA256)"
	g tag "$tag"
fi

if [ ${#series[@]} -gt 0 ]; then
	g am -q --keep-cr "${series[@]}" ||
		{ g am --abort || true; die "the series in $series_dir does not apply to $tag."; }
fi

# Guard: never build a base without the netns-cookie context lookup (commit 7c457b5).
sed -n '/^static struct xsk_ctx \*xsk_get_ctx(/,/^}/p' "$dest/lib/libxdp/xsk.c" |
	grep -q 'ctx->netns_cookie == netns_cookie' ||
	die "$dest/lib/libxdp/xsk.c: xsk_get_ctx() does not compare the netns cookie;" \
		"this base lacks upstream commit 7c457b5 and is not namespace safe."

echo "$series_id $(g rev-parse HEAD)" > "$stamp"
