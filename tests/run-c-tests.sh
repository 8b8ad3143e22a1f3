#!/usr/bin/env bash
# Run the C tests (built by tests/Makefile) against one build of the library.
#
#   T=DIR LIBXDP_OUT=DIR [LIBXDP_SRC=DIR] [SEED_COUNT=1000] [SEED_QUEUES=2] [SEED_REPEAT=1] run-c-tests.sh
#
# T holds the test binaries, LIBXDP_OUT the library under test (lib/, lib/bpf/).
# Prints one line per test (PASS/FAIL/SKIP name) and closes with "N passed, M failed[, K skipped]".
# Logs of every test are kept in $T/logs. Exit status: 0 when nothing failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
topo=$here/topology.sh
: "${T:?T (test binary directory) must be set}"
: "${LIBXDP_OUT:?LIBXDP_OUT (library under test) must be set}"
count=${SEED_COUNT:-1000}
queues=${SEED_QUEUES:-2}
repeat=${SEED_REPEAT:-1}
LIBXDP_OUT=$(cd "$LIBXDP_OUT" && pwd)
logs=$T/logs
mkdir -p "$logs"

passed=0 failed=0 skipped=0
ids=()
n=0

cleanup() {
	local id
	for id in "${ids[@]}"; do "$topo" down "$id"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Environment that makes a dynamically linked program use the library under test.
our_lib_env=(env LD_LIBRARY_PATH="$LIBXDP_OUT/lib" LIBXDP_OBJECT_PATH="$LIBXDP_OUT/lib/bpf")

# topo_up: a fresh topology for the next test; sets OUTER_DEV INNER_DEV INNER_NS ... .
topo_up() {
	local id out
	n=$((n + 1))
	id=c$n$(($$ % 100000))
	ids+=("$id")
	out=$("$topo" up "$id" "$queues") || { echo "FAIL: topology.sh up $id failed"; return 1; }
	eval "$out"
	TOPO_ID=$id
	echo "topology $id: $OUTER_DEV (root) <-> $INNER_DEV ($INNER_NS), ifindex $IFINDEX, $QUEUES queues"
}

topo_down() {
	"$topo" down "$TOPO_ID"
}

# The dynamic loader must resolve libxdp.so.1 to the library under test.
check_resolves_to_ours() {
	local bin=$1 line
	line=$("${our_lib_env[@]}" ldd "$bin" | grep 'libxdp\.so') || {
		echo "FAIL: $bin does not link libxdp.so dynamically"; return 1; }
	echo "ldd: $line"
	case $line in
	*"=> $LIBXDP_OUT/lib/"*) return 0 ;;
	*) echo "FAIL: libxdp.so.1 of $bin does not resolve into $LIBXDP_OUT/lib"; return 1 ;;
	esac
}

seed() {
	local variant=$1 bin=$T/seed_netns-$1 i rc
	local -a run
	case $variant in
	shared)
		check_resolves_to_ours "$bin" || return 1
		run=("${our_lib_env[@]}") ;;
	static)
		# BPF objects come from inside the binary: no object path at all.
		run=(env -u LIBXDP_OBJECT_PATH) ;;
	asan)
		run=(env -u LIBXDP_OBJECT_PATH ASAN_OPTIONS=detect_leaks=1
		     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1) ;;
	esac
	# A fresh topology each run: the kernel releases an XSK's hold on a (device, queue) in
	# deferred work, so binding the same queue again right after exit can fail with EBUSY.
	for i in $(seq "$repeat"); do
		[ "$repeat" = 1 ] || echo "--- run $i of $repeat"
		topo_up || return 1
		"${run[@]}" timeout 60 "$bin" -o "$OUTER_DEV" -i "$INNER_DEV" -n "$INNER_NS" \
			-q "$queues" -c "$count"
		rc=$?
		topo_down
		[ $rc = 0 ] || return $rc
	done
}

compat() {
	local bin=$T/compat_drop_in
	if [ ! -x "$bin" ]; then
		echo "SKIP: the distribution's libxdp headers (/usr/include/xdp, libxdp-dev) are not installed"
		return 77
	fi
	# Built against the distribution: no RUNPATH of ours, just libxdp.so.1.
	if readelf -d "$bin" | grep -Eq 'RPATH|RUNPATH'; then
		echo "FAIL: $bin carries an RPATH/RUNPATH"; return 1
	fi
	echo "without LD_LIBRARY_PATH: $(ldd "$bin" | grep 'libxdp\.so')"
	check_resolves_to_ours "$bin" || return 1
	# The library check must notice the distribution's libxdp.so.1 when it is the one loaded.
	if env -u LD_LIBRARY_PATH "$bin" -l "$LIBXDP_OUT/lib" -p /dev/null -d lo; then
		echo "FAIL: the loaded-library check passed with the distribution's libxdp.so.1"
		return 1
	fi
	echo "(expected) the check fails with the distribution's library; now with ours:"
	topo_up || return 1
	"${our_lib_env[@]}" timeout 60 "$bin" -l "$LIBXDP_OUT/lib" -p "$T/xdp_pass.bpf.o" \
		-d "$INNER_DEV" -n "$INNER_NS"
	local rc=$?
	topo_down
	return $rc
}

# xdp-loader from the distribution when it links libxdp.so.1, else upstream's built by tests/Makefile.
pick_loader() {
	local distro=/usr/sbin/xdp-loader
	if [ -x $distro ] && readelf -d $distro | grep -q 'NEEDED.*libxdp\.so'; then
		LOADER=$distro
		LOADER_NAME="xdp-loader (distro $distro)"
	else
		LOADER=$T/xdp-loader
		LOADER_NAME="xdp-loader (upstream, built against our libxdp.so.1)"
		if [ -x $distro ]; then
			echo "NOTE: $distro links libxdp statically (no libxdp.so.1 in readelf -d), so it" \
				"cannot exercise our library; using upstream's xdp-loader built from the" \
				"prepared tree instead: $LOADER"
		else
			echo "NOTE: no $distro; using upstream's xdp-loader built from the prepared tree: $LOADER"
		fi
	fi
}

loader() {
	local out rc=0
	check_resolves_to_ours "$LOADER" || return 1
	topo_up || return 1
	xl() {
		echo "+ xdp-loader $*"
		ip netns exec "$INNER_NS" "${our_lib_env[@]}" timeout 30 "$LOADER" "$@"
	}
	if ! xl load -m native "$INNER_DEV" "$T/xdp_pass.bpf.o"; then
		echo "FAIL: xdp-loader load"; rc=1
	elif ! out=$(xl status "$INNER_DEV"); then
		echo "$out"; echo "FAIL: xdp-loader status"; rc=1
	elif echo "$out" && ! grep -q 'xdp_netns_pass.*native' <<<"$out"; then
		echo "FAIL: status does not show xdp_netns_pass in native mode"; rc=1
	elif ! xl unload --all "$INNER_DEV"; then
		echo "FAIL: xdp-loader unload --all"; rc=1
	else
		out=$(xl status "$INNER_DEV"); echo "$out"
		if grep -q 'xdp_netns_pass' <<<"$out" || ip -n "$INNER_NS" link show dev "$INNER_DEV" | grep -q xdp; then
			echo "FAIL: an XDP program is still attached after unload --all"; rc=1
		fi
	fi
	topo_down
	return $rc
}

leftovers() {
	local id bad=0
	cleanup
	for id in "${ids[@]}"; do
		if [ -e "/run/netns/xnetns-$id-in" ] || ip link show "xo$id" >/dev/null 2>&1; then
			echo "FAIL: namespace or veth of topology $id left behind"; bad=1
		fi
	done
	echo "checked ${#ids[@]} topologies"
	return $bad
}

# run NAME COMMAND...: one test, output to its log, a one-line result.
run() {
	local name=$1 log rc
	shift
	log=$logs/$(tr -c 'a-zA-Z0-9_.-' '_' <<<"$name" | sed 's/_*$//').log
	"$@" >"$log" 2>&1
	rc=$?
	# Sanitizer reports fail a test whatever its exit status.
	if [ $rc = 0 ] && grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
		echo "FAIL: sanitizer report" >>"$log"
		rc=1
	fi
	case $rc in
	0)
		passed=$((passed + 1))
		echo "PASS $name" ;;
	77)
		skipped=$((skipped + 1))
		echo "SKIP $name: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: *//')" ;;
	*)
		failed=$((failed + 1))
		echo "FAIL $name (exit $rc, log $log)"
		grep -v '^libbpf: elf: skipping unrecognized data section' "$log" | tail -n 25 | sed 's/^/    /' ;;
	esac
}

echo "C tests against $LIBXDP_OUT (binaries in $T)"
if [ "$(id -u)" != 0 ]; then
	for t in "seed-netns (shared)" "seed-netns (static)" "seed-netns (asan)" \
		"compat drop-in (distro-built program)" "xdp-loader"; do
		echo "SKIP $t: needs root"
		skipped=$((skipped + 1))
	done
else
	run "seed-netns (shared)" seed shared
	run "seed-netns (static)" seed static
	run "seed-netns (asan)" seed asan
	run "compat drop-in (distro-built program)" compat
	pick_loader
	run "$LOADER_NAME" loader
	run "no leftover namespaces or veths" leftovers
fi

summary="$passed passed, $failed failed"
[ $skipped = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ $failed = 0 ]
