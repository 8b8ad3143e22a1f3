#!/usr/bin/env bash
# Run a program on a libxdp.so.1 that is alone in a directory, as a user who copied it there:
# found through LD_LIBRARY_PATH, no LIBXDP_OBJECT_PATH, and no object files at the path built
# into the library either (an empty tmpfs goes over that directory, in a mount namespace of the
# program's own, should a `make install` have put objects there).
#
#   lone-libxdp.sh LIB DIR PROGRAM [ARGS...]
#
# DIR is emptied and gets a copy of LIB as libxdp.so.1; PROGRAM's libxdp.so.1 must resolve to
# it. Exit status: PROGRAM's; 1 when the setup fails; 77 (skipped) when PROGRAM was not built
# (tests/Makefile builds it only where the distribution's libxdp-dev is installed).
set -euo pipefail

lib=$1 dir=$2 prog=$3
shift 2
[ -x "$prog" ] || { echo "SKIP: $prog was not built (needs the distribution's libxdp-dev)"; exit 77; }

rm -rf "$dir"
mkdir -p "$dir"
cp "$(readlink -f "$lib")" "$dir/libxdp.so.1"
resolved=$(LD_LIBRARY_PATH=$dir ldd "$prog" | awk '$1 == "libxdp.so.1" { print $3 }')
if [ "$resolved" != "$dir/libxdp.so.1" ]; then
	echo "FAIL: libxdp.so.1 of $prog resolves to '$resolved', not $dir/libxdp.so.1"
	exit 1
fi
echo "libxdp.so.1 alone in $dir: $(ls "$dir")"

# Where the library looks for objects without LIBXDP_OBJECT_PATH (its BPF_OBJECT_PATH) is one
# of the absolute paths ending in /bpf among its strings; every one of them that exists, but
# the bpffs (/sys/fs/bpf) that libxdp needs, goes under an empty tmpfs.
mapfile -t paths < <(strings -n 6 "$dir/libxdp.so.1" | grep -x '/[[:alnum:]/._-]*/bpf' |
	grep -v '^/sys/' | sort -u)
[ ${#paths[@]} -gt 0 ] || { echo "FAIL: no object path found in $dir/libxdp.so.1"; exit 1; }
hide=()
for p in "${paths[@]}"; do
	[ ! -d "$p" ] || hide+=("$p")
done
echo "object paths in the library: ${paths[*]}; hidden: ${hide[*]:-none (none exists)}"

run=(env -u LIBXDP_OBJECT_PATH LD_LIBRARY_PATH="$dir" "$@")
if [ ${#hide[@]} -gt 0 ]; then
	# sh's $0 and $1..: the number of directories, the directories, then the command.
	# shellcheck disable=SC2016 # expanded by that sh
	exec unshare --mount --propagation private sh -c '
		n=$0
		while [ "$n" -gt 0 ]; do mount -t tmpfs lone "$1" || exit 1; shift; n=$((n - 1)); done
		exec "$@"' "${#hide[@]}" "${hide[@]}" "${run[@]}"
fi
exec "${run[@]}"
