#!/usr/bin/env bash
# The kernel matrix: every regression row (pristine against patched, upstream's own libxdp
# tests included), the dispatcher-path rows and the Rust namespace tests, on each pinned Debian
# kernel of kernels.conf, one VM boot per kernel.
#
#   matrix.sh [--no-build]          (make test-kernels; root)
#   matrix.sh --table-only          print the table of the last run again
#
# Environment: KERNELS="5.10 6.12" picks kernels (default: all of kernels.conf); MATRIX_JOBS
# guests at a time (default 1; see below); KERN_BUILD
# (relative to the repository, default build/kern) is the build tree, apart from the default build/ so that a matrix and
# the ordinary suite never share files; VM_ACCEL, VM_MEMORY, VM_TIMEOUT go to run-in-vm.sh;
# REGRESS_CYCLES, XDP_FORWARD_* and XDP_README_LOOP_* to the guest (shortened by default under TCG).
#
# Everything is built on the host first (both libraries, the C tests, upstream's tests, the
# Rust test binaries and examples); the guests only run. Prints one table, row x kernel, each
# cell pristine/patched and a verdict per kernel, also written to build/kernels/matrix.txt,
# with each kernel's wall time. Exit status 0 when every verdict on every kernel is ok or fixed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 2
mkdir -p "$top/${KERN_BUILD:-build/kern}"
B=$(cd "$top/${KERN_BUILD:-build/kern}" && pwd)
case $B in "$top/build/kern" | "$top"/build/kern/*) ;; *)
	echo "matrix: KERN_BUILD must be under build/kern (the guest may write only there)" >&2; exit 2 ;;
esac
kernels_dir=$top/build/kernels
matrix_txt=$kernels_dir/matrix.txt
mkdir -p "$B" "$kernels_dir"

die() {
	printf 'matrix: %s\n' "$@" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (VMs, namespaces, XDP in the guest)"
all_kernels=$(awk '!/^#/ && NF {print $1}' "$here/kernels.conf" | xargs)
kernels=${KERNELS:-$all_kernels}
for k in $kernels; do
	[[ " $all_kernels " == *" $k "* ]] || die "KERNELS: no kernel '$k' in kernels.conf ($all_kernels)"
done

t0=$(date +%s)
# ---- Build on the host --------------------------------------------------------------------
build() {
	local rel=${B#"$top"/} l o s
	echo "matrix: building into $rel" >&2
	make --no-print-directory BUILD="$rel" lib pristine-lib || return 1
	make --no-print-directory -C tests BUILD="$B" all || return 1
	make --no-print-directory -C tests BUILD="$B" regress-bins LIBXDP_OUT="$B/out-pristine" \
		LIBXDP_SRC="$B/pristine" || return 1
	mkdir -p "$B/kernels"
	for l in pristine patched; do
		if [ $l = pristine ]; then s=$B/pristine o=$B/out-pristine; else s=$B/src o=$B/out; fi
		# -k: as run-upstream-tests.sh builds them (a program that fails fails its rows only).
		make -k -j"$(nproc)" --no-print-directory -f tests/upstream.mk SRC="$s" LIBXDP_OUT="$o" \
			T="$B/tests/upstream-$l" >"$B/kernels/upstream-build-$l.log" 2>&1 ||
			echo "matrix: some of upstream's tests did not build against $l (see $B/kernels/upstream-build-$l.log)" >&2
		# shellcheck disable=SC2046
		cc -std=gnu11 -O2 -g -Wall -Wextra -Werror $(pkg-config --cflags libbpf) -I"$o/include" \
			tests/kernels/xsk_hold.c "$o/lib/libxdp.a" $(pkg-config --libs libbpf libelf zlib) \
			-o "$B/kernels/xsk_hold-$l" || return 1
	done
	# The Rust tests that need root and a kernel, libxdp-rs's unit tests among them (they count
	# queues and list AF_XDP sockets): test binaries (cargo prints their paths) and the examples
	# the forwarding test runs.
	export CARGO_TARGET_DIR=$B/target
	cargo test --no-run --message-format=json -p libxdp-sys --test shared_umem_netns \
		-p libxdp-rs --lib --test netns_sockets --test forward --test tx_kick --test netns \
		--test socket_errors --test epoll --test multi_buffer --test logging \
		>"$B/kernels/cargo.json" || return 1
	cargo build --examples -p libxdp-rs || return 1
	echo "$PATH" >"$B/kernels/host-path"
	{ command -v cargo; rustup which cargo 2>/dev/null; } | sort -u >"$B/kernels/host-cargo"
	python3 - "$B/kernels/cargo.json" "$top" >"$B/kernels/rust-tests.list" <<-'EOF' || return 1
		import json, os, sys
		top = sys.argv[2]
		for line in open(sys.argv[1]):
		    try:
		        m = json.loads(line)
		    except ValueError:
		        continue
		    if m.get("reason") == "compiler-artifact" and m.get("executable") \
		            and m["target"]["kind"] in (["test"], ["lib"]):
		        crate = os.path.relpath(os.path.dirname(os.path.dirname(m["target"]["src_path"])), top)
		        # --lib selects libxdp-sys's unit tests too: it has none.
		        if m["target"]["kind"] == ["lib"] and crate != "libxdp-rs":
		            continue
		        print(crate, m["target"]["name"], m["executable"])
	EOF
	[ "$(wc -l <"$B/kernels/rust-tests.list")" = 10 ] || {
		echo "matrix: expected 10 Rust test binaries, cargo gave:" >&2
		cat "$B/kernels/rust-tests.list" >&2
		return 1
	}
}
mode=${1:-}
case $mode in "" | --no-build | --table-only) ;; *) die "usage: matrix.sh [--no-build | --table-only]" ;; esac
if [ -z "$mode" ]; then
	build || die "the host build failed"
fi
t_build=$(($(date +%s) - t0))

# ---- One boot per kernel --------------------------------------------------------------------
# The guests can run side by side, MATRIX_JOBS at a time (default 1: one after the other), each
# with all of the host's CPUs as vCPUs (VM_CPUS). Side by side, the forwarding test failed under
# the load: txonly found the TX ring fuller than it had counted (issue 15, TX accounting). Each guest writes only into its own build/kern/matrix/KERNEL; BUILD is
# shared, read-only.
run_kernel() { # KERNEL VM_CPUS
	local k=$1 out=$B/matrix/$1 t w b
	mkdir -p "$out"
	rm -f "$out/done"
	echo "matrix: kernel $k: booting with $2 vCPU(s) (output in ${out#"$top"/})" >&2
	t=$(date +%s)
	VM_CPUS=$2 "$here/run-in-vm.sh" "$k" -- "$here/guest-matrix.sh" "$B" "$out" \
		>"$out/console.log" 2>&1
	echo "run-in-vm exit: $?" >>"$out/console.log"
	w=$(($(date +%s) - t))
	b=$(sed -n 's/^guest uptime at start: \([0-9]*\).*/\1/p' "$out/env.txt" 2>/dev/null)
	echo "$w ${b:-?}" >"$out/wall.txt"
	echo "matrix: kernel $k: $w s (guest booted in ${b:-?} s)" >&2
}
if [ "$mode" != --table-only ]; then
	# Get ready one kernel at a time (fetch and unpack it; virtme-ng and the KVM probe, once),
	# so that the guests started side by side find everything in place.
	for k in $kernels; do
		"$here/run-in-vm.sh" --setup "$k" || die "getting kernel $k ready failed"
	done
	jobs_max=${MATRIX_JOBS:-1}
	n_kernels=$(wc -w <<<"$kernels")
	[ "$jobs_max" -le "$n_kernels" ] || jobs_max=$n_kernels
	[ "$jobs_max" -ge 1 ] || jobs_max=1
	vm_cpus=${VM_CPUS:-$(nproc)}
	[ "$vm_cpus" -le 4 ] || vm_cpus=4
	for k in $kernels; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
		run_kernel "$k" "$vm_cpus" &
	done
	wait
fi
declare -A wall boot
for k in $kernels; do
	read -r wall[$k] boot[$k] <"$B/matrix/$k/wall.txt"
done

# ---- The table ------------------------------------------------------------------------------
# rows KERNEL: "what|pristine|patched|verdict" lines from that kernel's results.
table_rows() { # FILE: regressions.sh's table format (%-76s %-9s %-9s verdict)
	awk '
		/^-----------/ { body = 1; next }
		body && /^$/ { exit }
		body {
			what = substr($0, 1, 76); rest = substr($0, 78)
			sub(/ +$/, "", what)
			p = substr(rest, 1, 9); q = substr(rest, 11, 9); v = substr(rest, 21)
			gsub(/ /, "", p); gsub(/ /, "", q)
			print what "|" p "|" q "|" v
		}' "$1"
}
xdp_rows() { # FILE: rows without a header
	awk '{
		what = substr($0, 1, 76); rest = substr($0, 78)
		sub(/ +$/, "", what)
		p = substr(rest, 1, 9); q = substr(rest, 11, 9); v = substr(rest, 21)
		gsub(/ /, "", p); gsub(/ /, "", q)
		print what "|" p "|" q "|" v
	}' "$1"
}
rust_rows() { # FILE CRATE TEST: one row per Rust test
	local f=$1 crate=$2 test=$3
	if grep -q '^RESULT ' "$f" 2>/dev/null; then
		sed -n 's/^RESULT \([^ ]*\) \([A-Z]*\).*/\1|\2/p' "$f" | while IFS='|' read -r name res; do
			case $res in
			PASS) echo "rust $crate/$test: $name|-|PASS|ok" ;;
			IGNORED) echo "rust $crate/$test: $name|-|IGNORED|ok (ignored)" ;;
			SKIPPED) echo "rust $crate/$test: $name|-|SKIP|ok (skipped)" ;;
			*) echo "rust $crate/$test: $name|-|FAIL|FAIL" ;;
			esac
		done
		return
	fi
	if ! grep -q '^test result:' "$f" 2>/dev/null; then
		echo "rust $crate/$test: (did not finish)|-|FAIL|FAIL"
		return
	fi
	sed -n 's/^test \(.*\) \.\.\. \([a-zA-Z]*\)$/\1|\2/p' "$f" | while IFS='|' read -r name res; do
		case $res in
		ok) echo "rust $crate/$test: $name|-|PASS|ok" ;;
		ignored) echo "rust $crate/$test: $name|-|IGNORED|ok (ignored)" ;;
		*) echo "rust $crate/$test: $name|-|FAIL|FAIL" ;;
		esac
	done
}
rows() {
	local k=$1 out=$B/matrix/$1 crate test bin
	if [ -f "$out/done" ]; then
		echo "the guest finished its work|-|PASS|ok"
	else
		echo "the guest finished its work|-|FAIL|DID NOT FINISH"
	fi
	# (a row on every kernel, so that one without the table does not make the others MISSING)
	if [ -s "$out/regression-logs/rows.psv" ]; then
		echo "regressions.sh printed its table|-|PASS|ok"
		cat "$out/regression-logs/rows.psv"
	elif grep -q '^-----------' "$out/regressions.txt" 2>/dev/null; then
		echo "regressions.sh printed its table|-|PASS|ok"
		table_rows "$out/regressions.txt"
	else
		echo "regressions.sh printed its table|-|FAIL|NO TABLE"
	fi
	if [ -s "$out/xdp-path.txt" ]; then
		echo "xdp-path.sh|-|PASS|ok"
		xdp_rows "$out/xdp-path.txt"
	else
		echo "xdp-path.sh|-|FAIL|NO RESULT"
	fi
	while read -r crate test bin; do
		rust_rows "$out/rust-$crate-$test.txt" "$crate" "$test"
	done <"$B/kernels/rust-tests.list"
}

declare -A cell verdict
order=()
declare -A seen
for k in $kernels; do
	while IFS='|' read -r what p q v; do
		[ -n "$what" ] || continue
		if [ -z "${seen[$what]:-}" ]; then
			seen[$what]=1
			order+=("$what")
		fi
		cell[$what:$k]="$p/$q"
		verdict[$what:$k]=$v
	done < <(rows "$k")
done

w=20
for what in "${order[@]}"; do [ ${#what} -le $w ] || w=${#what}; done
declare -A vw
for k in $kernels; do
	vw[$k]=8
	for what in "${order[@]}"; do
		v=${verdict[$what:$k]:-MISSING}
		[ ${#v} -le "${vw[$k]}" ] || vw[$k]=${#v}
	done
done

bad=0
declare -A kbad
{
	printf '%-*s' "$w" "kernel"
	for k in $kernels; do printf '  %-17s %-*s' "$k" "${vw[$k]}" ""; done
	printf '\n%-*s' "$w" "row"
	for k in $kernels; do printf '  %-17s %-*s' "pristine/patched" "${vw[$k]}" verdict; done
	printf '\n'
	for what in "${order[@]}"; do
		printf '%-*s' "$w" "$what"
		for k in $kernels; do
			v=${verdict[$what:$k]:-MISSING}
			printf '  %-17s %-*s' "${cell[$what:$k]:--/-}" "${vw[$k]}" "$v"
			case $v in ok* | fixed) ;; *) kbad[$k]=$((${kbad[$k]:-0} + 1)) ;; esac
		done
		printf '\n'
	done
	echo
	for k in $kernels; do
		printf 'kernel %s (%s): %s rows not ok; %s s in the VM, of which %s s to boot; root over %s\n' \
			"$k" "$(awk -v n="$k" '$1 == n {print $3 "=" $4}' "$here/kernels.conf")" \
			"${kbad[$k]:-0}" "${wall[$k]}" "${boot[$k]:-?}" \
			"$(sed -n 's/^root filesystem: //p' "$B/matrix/$k/env.txt" 2>/dev/null)"
		[ "${kbad[$k]:-0}" = 0 ] || bad=$((bad + 1))
	done
	echo "host build: ${t_build} s; whole matrix: $(($(date +%s) - t0)) s; accel: $(sed -n 2p "$kernels_dir/accel" 2>/dev/null)"
	echo "logs: ${B#"$top"/}/matrix/KERNEL/ (env.txt, regressions.txt, regression-logs/, xdp-path.log, rust-*.txt, console.log)"
} | tee "$matrix_txt"
# (the subshell of the pipe counted for itself: count again)
bad=0
for k in $kernels; do
	for what in "${order[@]}"; do
		case ${verdict[$what:$k]:-MISSING} in ok* | fixed) ;; *) bad=$((bad + 1)); break ;; esac
	done
done
# Why, at the end of the output (a CI run shows its end): each row that does not hold, with
# what its log says.
for k in $kernels; do
	out=$B/matrix/$k
	for what in "${order[@]}"; do
		v=${verdict[$what:$k]:-MISSING}
		case $v in ok* | fixed) continue ;; esac
		echo "not ok on $k: $what: $v"
		case $what in
		"the guest finished its work")
			tail -n 5 "$out/console.log" 2>/dev/null | sed 's/^/    /' ;;
		"rust "*)
			f=$out/rust-$(sed 's|^rust \([^/]*\)/\([^:]*\):.*|\1-\2|' <<<"$what").txt
			grep -E 'panicked|assert|left:|right:|Error|error:' "$f" 2>/dev/null |
				grep -v '^libbpf: ' | head -n 8 | sed 's/^/    /' ;;
		esac
	done
	sed -n '/^not holding: /,/^$/p' "$out/regressions.txt" 2>/dev/null | head -n 40
	grep -h 'FAIL\|not ok' "$out/xdp-path.txt" 2>/dev/null | grep -v '^AF_XDP\|^delete' | head -n 5
done
if [ $bad = 0 ]; then
	echo "matrix: every row holds on every kernel ($kernels)"
else
	echo "matrix: $bad kernel(s) with rows that do not hold"
fi
[ $bad = 0 ]
