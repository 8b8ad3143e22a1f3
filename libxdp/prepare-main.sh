#!/usr/bin/env bash
# Lay out the series for upstream's main branch as a git tree to work on:
#
#   prepare-main.sh UPSTREAM_MAIN DEST
#
# DEST: a clone of UPSTREAM_MAIN (a git tree of xdp-tools; GitHub is not reachable from
# here) at the commit patches/upstream-main/BASE names, tagged upstream-main, with the series
# applied on branch netns-fixes by `git am`. Edit the commits there, then `make patches-main`.
# To move the series to a newer main: fetch it into DEST, `git rebase --onto NEW upstream-main`
# and `git tag -f upstream-main NEW`. An existing DEST is left as it is.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
series_dir=$top/patches/upstream-main

die() {
	printf 'prepare-main: %s\n' "$@" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: $0 UPSTREAM_MAIN DEST"
upstream=$1
dest=$2
[ -n "$upstream" ] || die "UPSTREAM_MAIN is not set: give a git tree of xdp-tools main"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
	echo "prepare-main: $dest exists (HEAD $(git -C "$dest" log -1 --format='%h %s')); remove it to start again"
	exit 0
fi
base=$(cat "$series_dir/BASE") || die "no $series_dir/BASE"
git clone -q "$upstream" "$dest" || die "cannot clone $upstream"
git -C "$dest" cat-file -e "$base^{commit}" 2>/dev/null ||
	die "$upstream does not have the series' base $base; fetch upstream's main into it"
git -C "$dest" checkout -q -b netns-fixes "$base"
git -C "$dest" tag -f upstream-main "$base" >/dev/null
mapfile -t series < <(find "$series_dir" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-*' | sort)
# The committer is whoever runs this; without a git identity, the project's placeholder.
ident=()
git -C "$dest" config user.email >/dev/null ||
	ident=(-c user.name="xdp-netns developer" -c user.email=dev@xdp-netns.invalid)
git -C "$dest" "${ident[@]}" am -q "${series[@]}" ||
	{ git -C "$dest" am --abort || true; die "the series does not apply to $base"; }
echo "prepare-main: $dest: ${#series[@]} patches on $(git -C "$dest" log -1 --format='%h %s' "$base")"
