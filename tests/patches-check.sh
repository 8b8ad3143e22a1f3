#!/usr/bin/env bash
# Prove that patches/ applies to pristine upstream with `git am`, and that the library
# builds warning-free (-Wall -Wextra -Werror) after every prefix of the series, so each
# patch can be bisected and mailed on its own.
#   patches-check.sh WORKDIR
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$1
rm -rf "$work"
mkdir -p "$work"
tree=$work/src

"$top/libxdp/prepare-source.sh" --pristine "$tree"
mapfile -t series < <(find "$top/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)

build_prefix() {
	make --no-print-directory -s -f "$top/libxdp/build.mk" SRC="$tree" OUT="$work/out" \
		EXTRA_CFLAGS=-Werror all >"$work/build.log" 2>&1 ||
		{ cat "$work/build.log"; echo "patches-check: FAIL: build after $1" >&2; exit 1; }
	rm -rf "$work/out"
	echo "patches-check: ok: builds after $1"
}

build_prefix "pristine v1.6.3"
for p in "${series[@]}"; do
	git -C "$tree" -c user.name=patches-check -c user.email=check@xdp-netns.invalid am -q "$p" ||
		{ echo "patches-check: FAIL: $(basename "$p") does not apply with git am" >&2; exit 1; }
	build_prefix "$(basename "$p")"
done
echo "patches-check: ${#series[@]} patch(es) apply and build one by one"
rm -rf "$work"
