#!/usr/bin/env bash
# Regenerate a patch series from the commits on top of its base in a git tree.
#   format-patches.sh [--base REV] SRC PATCHES_DIR
# Without --base: the commits on top of the pristine tag v$XDP_TOOLS_VERSION (patches/, made
# from build/src). With --base: the commits on top of REV, for another base such as
# upstream's main branch (patches/upstream-main/, made from build/src-main); REV's commit is
# written to PATCHES_DIR/BASE and named in the cover letter (base-commit:).
#
# The series is numbered ([PATCH k/N]). The cover letter (0000-cover-letter.patch) gets a
# fresh shortlog and diffstat but keeps its subject and text, which are written by hand.
#
# Identity: every patch is written as from whoever runs this, with their Signed-off-by:
# the author is `git config user.name` <`git config user.email`> (asked where this is run),
# or PATCH_IDENT="Name <email>" when set. A Signed-off-by: of the commit's own author gives
# way to it; other trailers stay. The commits in SRC are not changed (the rewritten copies
# are loose objects that no ref holds).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=upstream.conf
. "$here/upstream.conf"
base=v$XDP_TOOLS_VERSION
custom_base=0
if [ "${1:-}" = --base ]; then
	base=$2
	custom_base=1
	shift 2
fi
[ $# -eq 2 ] || { echo "usage: $0 [--base REV] SRC PATCHES_DIR" >&2; exit 2; }
src=$1
out=$2
cover=$out/0000-cover-letter.patch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

die() {
	printf 'format-patches: %s\n' "$@" >&2
	exit 1
}

if [ -n "${PATCH_IDENT:-}" ]; then
	ident=$PATCH_IDENT
else
	name=$(git config user.name || true)
	email=$(git config user.email || true)
	if [ -z "$name" ] || [ -z "$email" ]; then
		die "no git identity: set git config user.name and user.email (the patches are from you)," \
			"or PATCH_IDENT=\"Name <email>\""
	fi
	ident="$name <$email>"
fi
[[ $ident =~ ^([^<>]*[^<> ])\ \<([^<>]+@[^<>]+)\>$ ]] ||
	die "identity \"$ident\" is not of the form: Name <email>"
ident_name=${BASH_REMATCH[1]}
ident_email=${BASH_REMATCH[2]}

s() { git -C "$src" "$@"; }
base_commit=$(s rev-parse --verify "$base^{commit}") || die "$src has no $base"
[ -z "$(s rev-list --merges "$base_commit..HEAD")" ] || die "$src: merges on top of $base"

# Re-author each commit (same tree, same author date) on a chain of copies.
export GIT_AUTHOR_NAME=$ident_name GIT_AUTHOR_EMAIL=$ident_email
export GIT_COMMITTER_NAME=$ident_name GIT_COMMITTER_EMAIL=$ident_email
tip=$base_commit
while read -r c; do
	own="$(s log -1 --format='%an <%ae>' "$c")"
	s log -1 --format=%B "$c" |
		awk -v own="Signed-off-by: $own" '$0 != own' |
		s interpret-trailers --if-exists addIfDifferent --trailer "Signed-off-by: $ident" \
			>"$tmp/msg"
	tip=$(GIT_AUTHOR_DATE=$(s log -1 --format=%aI "$c") \
		s commit-tree "$c^{tree}" -p "$tip" -F "$tmp/msg")
done < <(s rev-list --reverse "$base_commit..HEAD")

base_opt=()
[ "$custom_base" = 0 ] || base_opt=(--base="$base_commit")
mkdir -p "$tmp/out"
s format-patch -q --no-signature --zero-commit --cover-letter "${base_opt[@]}" \
	-o "$tmp/out" "$base_commit..$tip"
if [ -f "$cover" ]; then
	# Subject: one line after "[PATCH 0/N] ". Text: from the first blank line after the
	# headers up to the shortlog ("Author Name (N):").
	sed -n 's/^Subject: \[PATCH [0-9]*\/[0-9]*\] //p' "$cover" >"$tmp/subject"
	awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { lines[n++] = $0; if ($0 != "") last = n }
		/^$/ { body = 1 }
		END { for (i = 0; i < last; i++) print lines[i] }' "$cover" >"$tmp/blurb"
	awk -v subject="$(cat "$tmp/subject")" -v blurbfile="$tmp/blurb" '
		/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subject) }
		/\*\*\* BLURB HERE \*\*\*/ {
			while ((getline line < blurbfile) > 0) print line
			next
		}
		{ print }' "$tmp/out/0000-cover-letter.patch" >"$tmp/cover"
	mv "$tmp/cover" "$tmp/out/0000-cover-letter.patch"
fi
mkdir -p "$out"
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
mv "$tmp/out"/*.patch "$out"/
ls "$out"

if [ "$custom_base" = 1 ]; then
	echo "$base_commit" >"$out/BASE"
	exit 0
fi
# patches/ now holds exactly the tree's commits: record that, as prepare-source.sh would have
# after applying them, so that the next build takes the tree as it is.
series=()
for p in "$out"/[0-9][0-9][0-9][0-9]-*.patch; do
	case $(basename "$p") in 0000-*) continue ;; esac
	series+=("$p")
done
echo "$(cat "${series[@]}" | sha256sum | cut -d' ' -f1) $(s rev-parse HEAD)" \
	>"$src/.git/xdp-netns-series"
