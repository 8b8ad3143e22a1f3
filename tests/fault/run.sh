#!/usr/bin/env bash
# Systematic fault injection into libxdp's AF_XDP lifecycle, pristine v1.6.3 against patched.
#
#   tests/fault/run.sh BUILD
#
# BUILD holds out/ + src/ (patched) and out-pristine/ + pristine/ (make BUILD=... lib pristine-lib).
# The scenario (scenario.c) is built against each, as fault_scenario-so (libxdp.so.1) and
# fault_scenario-asan (libxdp.a with ASan+UBSan+LSan, allocation failures through --wrap).
# For every function, variant (base, xdel, shared), library and binary, the N-th call of the
# function is failed for N = 1, 2, ... until the scenario completes without reaching it, each in a
# child process of its own; then rows without injection. Results and the logs of failing runs go
# to BUILD/logs (results.txt, one RESULT line per run), the tables to stdout.
# Exit status 1 when patched has any failure.
#
# Environment: FAULT_FUNCS (default: all), FAULT_VARIANTS (base xdel shared), FAULT_BINS (so asan),
# FAULT_LIBS (pristine patched), FAULT_WORKERS (8: parallel topologies), FAULT_MANY (80).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
topo=$top/tests/topology.sh
build=$(cd "${1:?usage: run.sh BUILD}" && pwd)
logs=$build/logs
funcs=(${FAULT_FUNCS:-bpf socket setsockopt getsockopt mmap bind ioctl setns open fstat flock send recv malloc calloc realloc strdup})
variants=(${FAULT_VARIANTS:-base xdel shared})
bins=(${FAULT_BINS:-so asan})
libs=(${FAULT_LIBS:-pristine patched})
workers=${FAULT_WORKERS:-8}
many=${FAULT_MANY:-80}
declare -A lib_out=([pristine]=$build/out-pristine [patched]=$build/out)
declare -A lib_src=([pristine]=$build/pristine [patched]=$build/src)

[ "$(id -u)" = 0 ] || { echo "SKIP: fault injection needs root"; exit 77; }
start=$(date +%s)
rm -rf "$logs"
mkdir -p "$logs"

for lib in "${libs[@]}"; do
	make --no-print-directory -C "$here" BUILD="$build" LIBXDP_OUT="${lib_out[$lib]}" \
		LIBXDP_SRC="${lib_src[$lib]}" >"$logs/build-$lib.log" 2>&1 ||
		{ cat "$logs/build-$lib.log"; echo "FAIL: building the scenario against $lib"; exit 1; }
done
bin_of() { echo "$build/fault-bin/$(basename "${lib_out[$1]}")/fault_scenario-$2"; }

topo_ids=()
cleanup() {
	local id
	for id in "${topo_ids[@]}"; do "$topo" down "$id" >/dev/null 2>&1; done
	[ -n "${many_prefix:-}" ] && many_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export ASAN_OPTIONS=detect_leaks=1:exitcode=66
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=exitcode=67

# Jobs, longest first (bpf has the most calls), dealt round-robin to the workers.
jobs=()
for fn in none "${funcs[@]}"; do
	for v in "${variants[@]}"; do
		for b in "${bins[@]}"; do
			for lib in "${libs[@]}"; do jobs+=("$lib $b $v $fn"); done
		done
	done
done
mapfile -t jobs < <(printf '%s\n' "${jobs[@]}" | awk '{print ($4=="bpf" ? 0 : 1), $0}' | sort -s -k1,1n | cut -d' ' -f2-)

worker() {
	local k=$1 id=$2 i lib b v fn out vars
	# eval of an empty string succeeds: check topology.sh itself, and try once more, since
	# eight of them start at once.
	vars=$("$topo" up "$id" 2) || vars=$("$topo" up "$id" 2) ||
		{ echo "FAIL: topology $id" >&2; return 1; }
	eval "$vars"
	for ((i = k; i < ${#jobs[@]}; i += workers)); do
		read -r lib b v fn <<<"${jobs[$i]}"
		out=${lib_out[$lib]}
		args=(sweep -o "$OUTER_DEV" -i "$INNER_DEV" -n "$INNER_NS" -V "$v" -L "$logs" -t "$b-$lib")
		[ "$fn" = none ] || args+=(-f "$fn")
		LIBXDP_OBJECT_PATH=$out/lib/bpf timeout 900 "$(bin_of "$lib" "$b")" "${args[@]}" \
			>>"$logs/results-$k.txt" 2>>"$logs/worker-$k.err"
	done
	return 0
}

echo "fault injection: ${#funcs[@]} functions x ${#variants[@]} variants x ${#bins[@]} binaries x ${#libs[@]} libraries, $workers workers"
pids=()
for ((k = 0; k < workers; k++)); do
	id=f${k}x$(($$ % 10000))
	topo_ids+=("$id")
	worker "$k" "$id" &
	pids+=($!)
done
workers_failed=0
for pid in "${pids[@]}"; do wait "$pid" || workers_failed=$((workers_failed + 1)); done
[ "$workers_failed" = 0 ] || { echo "FAIL: $workers_failed worker(s) could not run their jobs"; exit 1; }
cat "$logs"/results-*.txt >"$logs/results.txt"
sweep_end=$(date +%s)

# ---- rows without injection ----
rows=()
row() { # what lib result
	rows+=("$1|$2|$3")
}
eval "$("$topo" up "r$(($$ % 10000))" 2)"
topo_ids+=("r$(($$ % 10000))")
for lib in "${libs[@]}"; do
	out=${lib_out[$lib]}
	dir=$build/fault-bin/$(basename "$out")
	for b in so a; do
		log=$logs/objpath-$b-$lib.log
		# Both libraries carry the objects: libxdp.a uses them first, patched libxdp.so.1
		# when none are on the path (0019). Pristine libxdp.so.1 has no such fallback.
		want=(-N 0)
		[ "$b:$lib" != so:pristine ] || want=() # the scenario's default: -ENOENT
		LIBXDP_OBJECT_PATH=/nonexistent timeout 60 "$dir/fault_scenario-$b" objpath \
			-o "$OUTER_DEV" "${want[@]}" >"$log" 2>&1
		rc=$?
		row "LIBXDP_OBJECT_PATH=/nonexistent: xsk_socket__create() $([ $b = so ] && echo "0, libxdp.so.1 (0019)" || echo "0, libxdp.a")" \
			"$lib" "$([ $rc = 0 ] && echo PASS || echo "FAIL($(sed -n 's/.*xsk_socket__create() = \([-0-9]*\).*/\1/p' "$log" | head -1) rc=$rc)")"
		ip link set dev "$OUTER_DEV" xdp off 2>/dev/null
	done
	log=$logs/foreign-$lib.log
	LIBXDP_OBJECT_PATH=$out/lib/bpf timeout 60 "$dir/fault_scenario-so" foreign -o "$OUTER_DEV" \
		-p "$dir/xsk_def_prog_foreign.bpf.o" >"$log" 2>&1
	rc=$?
	row "foreign xsk_def_prog attached: xsk_socket__create() fails, no crash" "$lib" \
		"$([ $rc = 0 ] && echo PASS || echo "FAIL(rc=$rc)")"
	ip link set dev "$OUTER_DEV" xdp off 2>/dev/null
done

# $many namespaces, each with a veth pair of 2 queues and equal ifindexes, for one UMEM.
many_prefix=xfm$(($$ % 1000))-
many_down() {
	local i
	for ((i = 0; i < many; i++)); do echo "netns del $many_prefix$i"; done | ip -force -batch - 2>/dev/null
}
many_up() {
	local i
	for ((i = 0; i < many; i++)); do echo "netns add $many_prefix$i"; done | ip -batch - || return 1
	for ((i = 0; i < many; i++)); do
		ip -n "$many_prefix$i" link add xm index 7 numtxqueues 2 numrxqueues 2 type veth \
			peer name xmp index 8 numtxqueues 2 numrxqueues 2 &&
			ip -n "$many_prefix$i" link set xm up && ip -n "$many_prefix$i" link set xmp up ||
			return 1
	done
}
if many_up; then
	for lib in "${libs[@]}"; do
		out=${lib_out[$lib]}
		log=$logs/many-$lib.log
		(ulimit -n 1024 && LIBXDP_OBJECT_PATH=$out/lib/bpf timeout 300 \
			"$build/fault-bin/$(basename "$out")/fault_scenario-so" many -d xm \
			-P "$many_prefix" -k "$many") >"$log" 2>&1
		rc=$?
		created=$(sed -n 's/.*: \([0-9]* of [0-9]*\) sockets created.*/\1/p' "$log")
		row "$many namespaces x 2 queues on one UMEM, RLIMIT_NOFILE=1024" "$lib" \
			"$([ $rc = 0 ] && echo "PASS ($created)" || echo "FAIL($created, rc=$rc)")"
		for ((i = 0; i < many; i++)); do ip -n "$many_prefix$i" link set xm xdp off 2>/dev/null; done
	done
else
	row "$many namespaces x 2 queues on one UMEM, RLIMIT_NOFILE=1024" all "FAIL(topology)"
fi
many_down
many_prefix=
end=$(date +%s)

printf '%s\n' "${rows[@]}" >"$logs/rows.txt"
python3 "$here/summarize.py" "$logs" "$build" "$((sweep_end - start))" "$((end - start))"
