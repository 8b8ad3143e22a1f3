#!/usr/bin/env bash
# The series for upstream main (patches/upstream-main/) on pinned Debian kernels in VMs: the
# PR's reproduction (repro.sh) and upstream's libxdp tests (make -C lib/libxdp test), each on
# the tree without the fixes (the build fix and the test patches only) and on the whole
# series; one summary line per kernel and tree. This is what PULL_REQUEST.md's kernel table
# comes from.
#
#   upstream-main.sh             (KERNELS="5.10 6.12" by default; names from kernels.conf)
#
# It runs on the two trees `make patches-check-main UPSTREAM_MAIN=...` leaves built in
# build/patches-check-main (src: the series; without-fixes). Logs: build/kernels/upstream-main-K.log.
# Root; each kernel boots once (run-in-vm.sh; under TCG a kernel takes ~10-20 minutes).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${PATCHES_CHECK_MAIN_DIR:-$top/build/patches-check-main}
kernels=${KERNELS:-5.10 6.12}
logs=$top/build/kernels
mkdir -p "$logs"

for t in src without-fixes; do
	[ -x "$work/$t/lib/libxdp/tests/test_xsk_netns" ] || {
		echo "upstream-main: $work/$t is not built: run make patches-check-main UPSTREAM_MAIN=TREE first" >&2
		exit 2
	}
done

# In the guest: repro.sh and upstream's libxdp tests on both trees; a line per tree for each,
# read back by the host below. upstream's tests write their logs into the trees, so both are
# writable in the guest (VM_RWDIRS).
guest=$work/upstream-main-guest.sh
cat >"$guest" <<'EOF'
#!/bin/sh
work=$1
series_dir=$2
for t in without-fixes src; do
	out=$(sh "$series_dir/repro.sh" "$work/$t" 2>&1)
	echo "$out" | sed "s|^|repro $t: |"
	make -C "$work/$t/lib/libxdp" test V=1 2>&1 |
		sed -nE 's/^[[:space:]]*\[([a-z0-9_]+)\][[:space:]]+(PASS|FAIL|SKIPPED)$/\1 \2/p' |
		sed "s|^|suite $t: |"
done
EOF

rc=0
for k in $kernels; do
	log=$logs/upstream-main-$k.log
	echo "== kernel $k (log: $log)"
	VM_RWDIRS="$work" "$here/run-in-vm.sh" "$k" -- sh "$guest" "$work" "$top/patches/upstream-main" \
		>"$log" 2>&1 || { echo "   the VM failed (exit $?); see the log"; rc=1; continue; }
	for t in without-fixes src; do
		bugs=$(grep -c "^repro $t: BUG " "$log" || true)
		fixed=$(grep -c "^repro $t: fixed " "$log" || true)
		pass=$(grep -c "^suite $t: .* PASS$" "$log" || true)
		fail=$(grep -c "^suite $t: .* FAIL$" "$log" || true)
		skip=$(grep -c "^suite $t: .* SKIPPED$" "$log" || true)
		printf '   %-14s repro.sh: %2s BUG %2s fixed   libxdp tests: %2s PASS %2s FAIL %2s SKIPPED\n' \
			"$t" "$bugs" "$fixed" "$pass" "$fail" "$skip"
		grep "^suite $t: .* FAIL$" "$log" | sed 's/^/      /' || true
	done
	# With the series: no bug left and no test failing.
	if grep -q "^repro src: BUG " "$log" || grep -q "^suite src: .* FAIL$" "$log" ||
		! grep -q "^suite src: .* PASS$" "$log"; then
		echo "   FAIL: the series leaves a bug or a failing test on $k"
		rc=1
	fi
done
exit $rc
