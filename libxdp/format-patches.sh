#!/usr/bin/env bash
# Regenerate patches/ from the commits on top of the pristine tag in a prepared tree.
#   format-patches.sh SRC PATCHES_DIR
# The series is numbered ([PATCH k/N]). The cover letter (0000-cover-letter.patch) gets a
# fresh shortlog and diffstat but keeps its subject and text, which are written by hand.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=upstream.conf
. "$here/upstream.conf"
src=$1
out=$2
cover=$out/0000-cover-letter.patch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The cover letter is from the series' author (that of its last commit).
git -C "$src" -c user.name="$(git -C "$src" log -1 --format=%an)" \
	-c user.email="$(git -C "$src" log -1 --format=%ae)" \
	format-patch -q --no-signature --zero-commit --cover-letter -o "$tmp" \
	"v$XDP_TOOLS_VERSION..HEAD"
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
		{ print }' "$tmp/0000-cover-letter.patch" >"$tmp/cover"
	mv "$tmp/cover" "$tmp/0000-cover-letter.patch"
	rm "$tmp/subject" "$tmp/blurb"
fi
rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
mv "$tmp"/*.patch "$out"/
ls "$out"

# patches/ now holds exactly the tree's commits: record that, as prepare-source.sh would have
# after applying them, so that the next build takes the tree as it is.
series=()
for p in "$out"/[0-9][0-9][0-9][0-9]-*.patch; do
	case $(basename "$p") in 0000-*) continue ;; esac
	series+=("$p")
done
echo "$(cat "${series[@]}" | sha256sum | cut -d' ' -f1) $(git -C "$src" rev-parse HEAD)" \
	>"$src/.git/xdp-netns-series"
