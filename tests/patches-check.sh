#!/usr/bin/env bash
# Prove that patches/ applies to pristine upstream with `git am`, and that after every prefix
# of the series the library builds warning-free (-Wall -Wextra -Werror) and passes the C suite
# (tests/run-c-tests.sh: the seed scenario shared, static and under ASan+UBSan, and the drop-in
# tests), so each patch can be bisected and mailed on its own.
#   patches-check.sh WORKDIR         (PATCHES_CHECK_TESTS=0: build only)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(realpath -m "$1")
rm -rf "$work"
mkdir -p "$work"
tree=$work/src

"$top/libxdp/prepare-source.sh" --pristine "$tree"
mapfile -t series < <(find "$top/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)

build_prefix() {
	make --no-print-directory -s -f "$top/libxdp/build.mk" SRC="$tree" OUT="$work/out" \
		EXTRA_CFLAGS=-Werror all >"$work/build.log" 2>&1 ||
		{ cat "$work/build.log"; echo "patches-check: FAIL: build after $1" >&2; exit 1; }
	if [ "${PATCHES_CHECK_TESTS:-1}" = 1 ]; then
		make --no-print-directory -s -C "$top/tests" test BUILD="$work" LIBXDP_OUT="$work/out" \
			LIBXDP_SRC="$tree" >"$work/test.log" 2>&1 ||
			{ cat "$work/test.log"; echo "patches-check: FAIL: C suite after $1" >&2; exit 1; }
		echo "patches-check: ok: builds and passes the C suite after $1"
	else
		echo "patches-check: ok: builds after $1"
	fi
	rm -rf "$work/out" "$work/out-asan" "$work/tests"
}

build_prefix "pristine v1.6.3"
for p in "${series[@]}"; do
	git -C "$tree" -c user.name=patches-check -c user.email=check@xdp-netns.invalid am -q "$p" ||
		{ echo "patches-check: FAIL: $(basename "$p") does not apply with git am" >&2; exit 1; }
	build_prefix "$(basename "$p")"
done
echo "patches-check: ${#series[@]} patch(es) apply and build one by one"
rm -rf "$work"
