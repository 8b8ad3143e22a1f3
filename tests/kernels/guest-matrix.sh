#!/usr/bin/env bash
# The matrix's work inside one guest (run-in-vm.sh), everything prebuilt by matrix.sh:
#
#   guest-matrix.sh BUILD OUTDIR
#
# Writes into OUTDIR: env.txt (kernel, what it offers), regressions.txt (tests/regressions.sh
# BUILD: pristine against patched, upstream's libxdp tests included), xdp-path.txt
# (xdp-path.sh), rust-CRATE-TEST.txt for each Rust test binary in BUILD/kernels/rust-tests.list,
# and done when it got to the end. MATRIX_PARTS picks what runs (default
# "env regressions xdp-path rust"). Under TCG (XDP_NETNS_VM_ACCEL=tcg) the long rows are
# shortened: REGRESS_CYCLES 100, REGRESS_MANY_NETNS 20 and the Rust forwarding test 2 runs of 20,000 frames at 10 kpps,
# unless the environment sets them.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: guest-matrix.sh BUILD OUTDIR}" && pwd)
out=${2:?usage: guest-matrix.sh BUILD OUTDIR}
parts=" ${MATRIX_PARTS:-env regressions xdp-path rust} "
mkdir -p "$out"
rm -f "$out/done"
cd "$top" || exit 2
# The host's PATH, for the Rust forwarding test's `cargo build --examples` (a no-op: matrix.sh
# built them) and the rustc it asks.
[ -f "$build/kernels/host-path" ] && PATH=$(cat "$build/kernels/host-path"):$PATH

if [ "${XDP_NETNS_VM_ACCEL:-}" = tcg ]; then
	export REGRESS_CYCLES=${REGRESS_CYCLES:-100}
	export REGRESS_MANY_NETNS=${REGRESS_MANY_NETNS:-20}
	export XDP_FORWARD_COUNT=${XDP_FORWARD_COUNT:-20000}
	export XDP_FORWARD_RATE=${XDP_FORWARD_RATE:-10000}
	export XDP_FORWARD_RUNS=${XDP_FORWARD_RUNS:-2}
	export XDP_README_LOOP_COUNT=${XDP_README_LOOP_COUNT:-50000}
	# The loop's 2048 frames cover a stall of the emulated CPUs of 2048/RATE s. At 10 kpps a
	# 5.10 guest lost 4 of 50000 frames while the host ran Open vSwitch's test, a Debian
	# package build and cargo beside it; 5 kpps covers stalls twice as long.
	export XDP_README_LOOP_RATE=${XDP_README_LOOP_RATE:-5000}
	# The busy-polling forwarder spins on one of the guest's two emulated CPUs: at 25 kpps a
	# 6.12 guest lost 5875 of 100000 frames (its RX ring covers 8192/RATE s of the sink's and
	# the generator's stalls); 5 kpps covers five times as long.
	export XDP_BUSY_POLL_COUNT=${XDP_BUSY_POLL_COUNT:-20000}
	export XDP_BUSY_POLL_RATE=${XDP_BUSY_POLL_RATE:-5000}
fi

stamp() { echo "$(date +%s) $(cut -d' ' -f1 /proc/uptime) $*" >>"$out/times.txt"; }
: >"$out/times.txt"
stamp start

# What this kernel offers, for reading the rows: the netns cookie, veth's channel count through
# ethtool (libxdp sizes the XSKMAP from it) and what sysfs says about a device in another
# namespace when only the thread's network namespace changed (nsenter: no remount of /sys).
[[ $parts == *" env "* ]] && {
	echo "kernel: $(uname -r)"
	echo "accel: ${XDP_NETNS_VM_ACCEL:-unknown}"
	echo "guest uptime at start: $(cut -d' ' -f1 /proc/uptime) s"
	echo "root filesystem: $(awk '$2 == "/" { print $3 }' /proc/mounts | tail -n 1)"
	echo "REGRESS_CYCLES=${REGRESS_CYCLES:-1000}"
	ns=xnetns-kenv
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns"
	ip link add xkenvo numtxqueues 2 numrxqueues 2 type veth peer name xkenvi netns "$ns" \
		numtxqueues 2 numrxqueues 2
	echo "--- ethtool -l on a veth with 2 queues, root namespace:"
	ethtool -l xkenvo 2>&1
	echo "--- ethtool -l on its peer, in $ns:"
	ip netns exec "$ns" ethtool -l xkenvi 2>&1
	echo "--- /sys/class/net/xkenvi/queues, thread in $ns, /sys as mounted by the root namespace:"
	nsenter --net="/run/netns/$ns" ls /sys/class/net/xkenvi/queues 2>&1
	echo "--- /sys/class/net/xkenvo/queues (root's device), thread in $ns, same /sys:"
	nsenter --net="/run/netns/$ns" ls /sys/class/net/xkenvo/queues 2>&1
	echo "--- the same with /sys remounted in $ns (ip netns exec):"
	ip netns exec "$ns" ls /sys/class/net/xkenvi/queues 2>&1
	ip link del xkenvo
	ip netns del "$ns"
	echo "--- check_kern_compat (patched):"
	timeout 120 unshare --net --mount sh -c 'mount -t bpf bpf /sys/fs/bpf; exec "$1"' sh \
		"$build/tests/upstream-patched/check_kern_compat" 2>&1 | tail -n 3
	echo "check_kern_compat exit: ${PIPESTATUS[0]}"
} >"$out/env.txt" 2>&1

if [[ $parts == *" regressions "* ]]; then
	stamp regressions
	# Logs go to OUTDIR, not BUILD: guests of other kernels may share BUILD at the same time.
	rm -rf "$out/regression-logs"
	REGRESS_LOGS=$out/regression-logs "$top/tests/regressions.sh" "$build" \
		>"$out/regressions.txt" 2>&1
	echo "regressions.sh exit: $?" >>"$out/regressions.txt"
fi

if [[ $parts == *" xdp-path "* ]]; then
	stamp xdp-path
	XDP_PATH_LOG=$out/xdp-path.log "$here/xdp-path.sh" "$build" >"$out/xdp-path.txt" 2>&1
fi

# Rust test binaries, run as cargo test runs them (from the crate's directory), one test per
# run so that each gets its own result line: RESULT NAME PASS|FAIL|IGNORED.
if [[ $parts == *" rust "* ]]; then
	# The forwarding test calls cargo build --examples (by the path cargo had when it built the
	# test): a no-op here, the examples are built (this guest's mounts are its own).
	while read -r cargo; do
		[ -f "$cargo" ] && mount --bind "$here/cargo-in-guest.sh" "$cargo"
	done <"$build/kernels/host-cargo"
	while read -r crate test bin; do
		[ -n "$crate" ] || continue
		stamp "rust $crate $test"
		f=$out/rust-$crate-$test.txt
		: >"$f"
		names=$("$bin" --list 2>/dev/null | sed -n 's/: test$//p')
		[ -n "$names" ] || echo "RESULT (no tests listed) FAIL" >>"$f"
		ignored=" $("$bin" --list --ignored 2>/dev/null | sed -n 's/: test$//p' | xargs) "
		for name in $names; do
			if [[ $ignored == *" $name "* ]]; then
				echo "RESULT $name IGNORED" >>"$f"
				continue
			fi
			(cd "$top/$crate" && timeout -k 10 1800 "$bin" --exact "$name" --test-threads=1) \
				>"$f.one" 2>&1
			rc=$?
			cat "$f.one" >>"$f"
			if [ $rc = 0 ] && grep -q '^test result: ok. 1 passed' "$f.one"; then
				# A test that could not run says so (xdp_netns_harness::skip).
				if grep -q 'SKIPPED: ' "$f.one"; then
					echo "RESULT $name SKIPPED" >>"$f"
				else
					echo "RESULT $name PASS" >>"$f"
				fi
			else
				echo "RESULT $name FAIL (exit $rc)" >>"$f"
			fi
			rm -f "$f.one"
		done
	done <"$build/kernels/rust-tests.list"
fi

stamp end
touch "$out/done"
