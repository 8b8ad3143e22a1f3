#!/usr/bin/env bash
# The proof that each bug is real and fixed: every regression test runs against pristine
# upstream v1.6.3 and against the patched build, and a table shows both results.
#
#   regressions.sh BUILD
#
# BUILD holds out/ + src/ (patched) and out-pristine/ + pristine/, and the test binaries that
# tests/Makefile built for each (tests/out, tests/out-pristine). A row of kind "fixed" must fail
# on pristine and pass patched (or be skipped on both, on a kernel without what it needs); a row
# of kind "keep" must pass patched (or be skipped on both) and must not pass on pristine only.
# Upstream's own tests (run-upstream-tests.sh) join the table as "keep" rows. Exit status 0 when
# every row holds.
#
# REGRESS_ONLY=REGEX runs only the rows whose id matches (upstream's tests are the row id
# "upstream"); REGRESS_CYCLES sets the cycle count of the cycles row.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
topo=$here/topology.sh
build=$(cd "${1:?usage: regressions.sh BUILD}" && pwd)
cycles=${REGRESS_CYCLES:-1000}
many_ns=${REGRESS_MANY_NETNS:-80}
logs=${REGRESS_LOGS:-$build/tests/regressions}
mkdir -p "$logs"

declare -A lib_out=([pristine]=$build/out-pristine [patched]=$build/out)
declare -A lib_src=([pristine]=$build/pristine [patched]=$build/src)
declare -A lib_bins=([pristine]=$build/tests/out-pristine [patched]=$build/tests/out)

# id | kind | queues | what it shows (the patch that fixes it)
cases=(
	"seed|keep|2|seed scenario: shared UMEM, equal ifindex in two namespaces"
	"nocookie-shared|fixed|2|seed scenario without SO_NETNS_COOKIE, libxdp.so.1 (0003)"
	"nocookie-static|fixed|2|seed scenario without SO_NETNS_COOKIE, libxdp.a (0003)"
	"nochannels-shared|fixed|2|seed scenario, devices without ETHTOOL_GCHANNELS, libxdp.so.1 (0006)"
	"nochannels-static|fixed|2|seed scenario, devices without ETHTOOL_GCHANNELS, libxdp.a (0006)"
	"linux510|fixed|2|seed scenario as on Linux 5.10: neither of the two (0003, 0006)"
	"teardown|fixed|2|delete a socket from another namespace, both orders (0001)"
	"umem-owner|fixed|1|UMEM's first socket in another namespace: EXDEV or all arrive (0002)"
	"umem-owner-control|keep|1|UMEM and its first socket in one namespace: all arrive"
	"umem-first-again|fixed|1|UMEM's first socket fails to get its program, then works on its queue (0016)"
	"cycles|fixed|4|$cycles setup/teardown cycles in two namespaces: fds, maps, XDP (0004)"
	"missing-objects|fixed|2|default objects without the program: -ENOENT, no crash, libxdp.so.1 (0005)"
	"foreign-prog-shared|fixed|2|foreign xsk_def_prog on the device: -ENOENT, no crash, libxdp.so.1 (0005)"
	"foreign-prog-static|fixed|2|foreign xsk_def_prog on the device: -ENOENT, no crash, libxdp.a (0005)"
	"unheld-prog|fixed|2|default program left with no reference: the next socket removes it (0015)"
	"killed-holder|fixed|2|process killed (SIGKILL) with a socket: the next leaves no program (0017)"
	"many-netns|keep|1|$many_ns namespaces x 2 queues on one UMEM under RLIMIT_NOFILE=1024"
	"same-queue|fixed|1|two sockets on one queue, 100 cycles, ASan+UBSan (0009)"
	"multibuf|fixed|2|multi-buffer socket (XDP_USE_SG), default program, MTU 9000 (0018)"
	"dispatcher|keep|1|dispatchers on equal ifindexes in two namespaces, one bpffs"
	"lone-so|fixed|2|seed scenario, distro-built program, libxdp.so.1 alone in a directory (0019)"
)

# The table's first column is 76 wide, and tests/kernels/matrix.sh reads the table.
for c in "${cases[@]}"; do
	IFS='|' read -r _ _ _ what <<<"$c"
	[ ${#what} -le 76 ] || { echo "regressions.sh: row text over 76 characters: $what" >&2; exit 2; }
done

# What tests/c/oldkernel.c refuses in each of the rows that emulate an older kernel.
declare -A refuse=([nocookie-shared]=netns_cookie [nocookie-static]=netns_cookie
	[nochannels-shared]=channels [nochannels-static]=channels [linux510]=netns_cookie,channels)

topo_ids=()
cleanup() {
	local id
	for id in "${topo_ids[@]}"; do "$topo" down "$id"; done
	ip netns list | awk '{ print $1 }' | grep -E "^xnetns-r[0-9]+x$(($$ % 10000))-m[0-9]+$" |
		xargs -r -n1 ip netns del
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# new_topo_id: a fresh topology name, recorded here so that cleanup finds it (run_case runs
# in a subshell).
new_topo_id() {
	topo_id=r${#topo_ids[@]}x$(($$ % 10000))
	topo_ids+=("$topo_id")
}

# many_netns up|down TOPO_ID: namespaces xnetns-TOPO_ID-m1.. each with a veth pair mv0/mv1 of
# two queues (equal names and, mostly, equal ifindexes in all of them), for the many-netns row.
many_netns() {
	local k ns
	for k in $(seq "$many_ns"); do
		ns=xnetns-$2-m$k
		if [ "$1" = up ]; then
			ip netns add "$ns" &&
				ip -n "$ns" link add mv0 numrxqueues 2 numtxqueues 2 type veth peer name mv1 \
					numrxqueues 2 numtxqueues 2 &&
				ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
				ip -n "$ns" link set mv0 up && ip -n "$ns" link set mv1 up
		else
			ip netns del "$ns" 2>/dev/null
		fi
	done
	return 0
}

# run_case ID LIB QUEUES TOPO_ID: runs one case on a fresh topology; prints PASS, FAIL or SKIP.
run_case() {
	local id=$1 lib=$2 queues=$3 topo_id=$4 bins=${lib_bins[$2]} out=${lib_out[$2]} rc
	local log=$logs/$id-$lib.log
	local -a cmd shared_env
	eval "$("$topo" up "$topo_id" "$queues")" || { echo FAIL; return; }
	shared_env=(env LD_LIBRARY_PATH="$out/lib" LIBXDP_OBJECT_PATH="$out/lib/bpf")
	local seed_args=(-o "$OUTER_DEV" -i "$INNER_DEV" -n "$INNER_NS" -q "$QUEUES")
	case $id in
	seed) cmd=("${shared_env[@]}" "$bins/seed_netns-shared" "${seed_args[@]}") ;;
	nocookie-shared | nochannels-shared | linux510)
		cmd=("${shared_env[@]}" OLDKERNEL_REFUSE="${refuse[$id]}" LD_PRELOAD="$bins/oldkernel.so"
			"$bins/seed_netns-shared" "${seed_args[@]}") ;;
	nocookie-static | nochannels-static)
		cmd=(env OLDKERNEL_REFUSE="${refuse[$id]}" "$bins/seed_netns-static-oldkernel"
			"${seed_args[@]}") ;;
	teardown) cmd=("$bins/regress_teardown" "$OUTER_DEV" "$INNER_DEV" "$INNER_NS") ;;
	umem-owner) cmd=("$bins/regress_umem_owner" "$OUTER_DEV" "$INNER_DEV" "$INNER_NS") ;;
	umem-owner-control)
		cmd=("$bins/regress_umem_owner" "$OUTER_DEV" "$INNER_DEV" "$INNER_NS" 1000 control) ;;
	umem-first-again)
		cmd=("$bins/regress_umem_owner" "$OUTER_DEV" "$INNER_DEV" "$INNER_NS" 1000 again
			"$bins/xsk_def_prog_foreign.bpf.o") ;;
	cycles)
		cmd=("$bins/regress_cycles" namespaces "$OUTER_DEV" "$INNER_DEV" "$INNER_NS"
			"$QUEUES" "$cycles") ;;
	missing-objects)
		# Objects that are missing altogether no longer fail libxdp.so.1: it falls back on its
		# embedded copies (0019). Found on the path, these hold no program.
		local objs=$logs/no-default-prog-$lib
		mkdir -p "$objs"
		ln -sf "$bins/no_programs.bpf.o" "$objs/xsk_def_xdp_prog.o"
		ln -sf "$bins/no_programs.bpf.o" "$objs/xsk_def_xdp_prog_5.3.o"
		cmd=(env LD_LIBRARY_PATH="$out/lib" LIBXDP_OBJECT_PATH="$objs"
			"$bins/regress_setup_errors-shared" missing-objects "$OUTER_DEV") ;;
	foreign-prog-shared)
		cmd=("${shared_env[@]}" "$bins/regress_setup_errors-shared" foreign-prog "$OUTER_DEV"
			"$bins/xsk_def_prog_foreign.bpf.o") ;;
	foreign-prog-static)
		cmd=("$bins/regress_setup_errors" foreign-prog "$OUTER_DEV"
			"$bins/xsk_def_prog_foreign.bpf.o") ;;
	unheld-prog)
		cmd=("$bins/regress_setup_errors" unheld-prog "$OUTER_DEV") ;;
	killed-holder)
		cmd=("$bins/regress_setup_errors" killed-holder "$OUTER_DEV") ;;
	many-netns)
		many_netns up "$topo_id"
		cmd=("$bins/regress_setup_errors" many-netns "$OUTER_DEV" "xnetns-$topo_id-m"
			"$many_ns" mv0) ;;
	same-queue)
		cmd=(env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
			"$bins/regress_cycles-asan" same-queue "$OUTER_DEV" 100) ;;
	dispatcher)
		cmd=("$bins/regress_dispatcher" "$OUTER_DEV" "$INNER_DEV" "$INNER_NS"
			"$bins/xdp_pass.bpf.o") ;;
	lone-so)
		cmd=("$here/lone-libxdp.sh" "$out/lib/libxdp.so.1" "$logs/lone-$lib"
			"$bins/seed_netns-distro" "${seed_args[@]}") ;;
	multibuf)
		# More than a page: veth takes only programs with frags support.
		ip link set dev "$OUTER_DEV" mtu 9000
		ip -n "$INNER_NS" link set dev "$INNER_DEV" mtu 9000
		cmd=("$bins/regress_multibuf" "$INNER_DEV" "$INNER_NS" "$OUTER_DEV") ;;
	esac
	timeout 600 "${cmd[@]}" >"$log" 2>&1
	rc=$?
	"$topo" down "$topo_id"
	[ "$id" != many-netns ] || many_netns down "$topo_id"
	if [ $rc = 0 ] && grep -q 'ERROR: AddressSanitizer\|runtime error:' "$log"; then
		rc=1
	fi
	case $rc in
	0) echo PASS ;;
	77) echo SKIP ;;
	*) echo FAIL ;;
	esac
}

# verdict KIND PRISTINE PATCHED
verdict() {
	case $1:$2:$3 in
	fixed:FAIL:PASS) echo "fixed" ;;
	fixed:SKIP:SKIP) echo "ok (skipped on both)" ;;
	fixed:PASS:PASS) echo "NOT SHOWN (passes on pristine)" ;;
	fixed:*) echo "NOT FIXED" ;;
	keep:*:PASS) echo "ok" ;;
	keep:SKIP:SKIP) echo "ok (skipped on both)" ;;
	keep:FAIL:FAIL) echo "ok (fails on pristine too)" ;;
	keep:*) echo "REGRESSION" ;;
	esac
}

rows=()
add_row() { # WHAT PRISTINE PATCHED KIND [ID]
	rows+=("$1|$2|$3|$(verdict "$4" "$2" "$3")|${5:-}")
}

only=${REGRESS_ONLY:-.*}
for c in "${cases[@]}"; do
	IFS='|' read -r id kind queues what <<<"$c"
	[[ $id =~ ^($only)$ ]] || continue
	new_topo_id
	p=$(run_case "$id" pristine "$queues" "$topo_id")
	new_topo_id
	q=$(run_case "$id" patched "$queues" "$topo_id")
	add_row "$what" "$p" "$q" "$kind" "$id"
done

# Upstream's own libxdp tests, built from each tree: nothing may get worse.
if [ -x "$here/run-upstream-tests.sh" ] && [[ upstream =~ ^($only)$ ]]; then
	declare -A upstream
	upstream_names=()
	for lib in pristine patched; do
		while read -r tag name result _; do
			[ "$tag" = RESULT ] || continue
			upstream[$name:$lib]=$result
			[ $lib = pristine ] && upstream_names+=("$name")
		done < <(UPSTREAM_LOGS=$logs/upstream-$lib \
			"$here/run-upstream-tests.sh" "${lib_src[$lib]}" "${lib_out[$lib]}" \
			"$build/tests/upstream-$lib" 2>>"$logs/upstream.log" |
			tee "$logs/upstream-$lib.results")
	done
	for name in "${upstream_names[@]}"; do
		add_row "upstream: $name" "${upstream[$name:pristine]}" \
			"${upstream[$name:patched]:-MISSING}" keep
	done
fi

bad=0
printf '\n%-76s %-9s %-9s %s\n' "regression test" pristine patched verdict
printf '%s\n' "$(printf '%.0s-' {1..110})"
failed_ids=()
for r in "${rows[@]}"; do
	IFS='|' read -r what p q v id <<<"$r"
	printf '%-76s %-9s %-9s %s\n' "$what" "$p" "$q" "$v"
	case $v in fixed | ok*) ;; *) bad=$((bad + 1)); failed_ids+=("${id:-upstream}") ;; esac
done
# The rows for tests/kernels/matrix.sh: what|pristine|patched|verdict.
printf '%s\n' "${rows[@]}" | cut -d'|' -f1-4 >"$logs/rows.psv"
# Why a row does not hold, here and not only in its log: a CI run shows the end of its output.
for id in "${failed_ids[@]}"; do
	for lib in pristine patched; do
		log=$logs/$id-$lib.log
		[ "$id" != upstream ] || log=$logs/upstream-$lib.results
		[ -f "$log" ] || continue
		echo "not holding: $id, $lib: the end of ${log#"$build"/}:"
		grep -v '^libbpf: ' "$log" | tail -n 8 | sed 's/^/    /'
	done
done
for c in "${cases[@]}"; do
	IFS='|' read -r id _ <<<"$c"
	grep -h -m1 '^SKIP:' "$logs/$id-patched.log" 2>/dev/null | sed "s/^/note: $id: /"
done
sed -n 's/^RESULT \([^ ]*\) SKIP /note: upstream \1: skipped: /p' "$logs/upstream-patched.results" 2>/dev/null
echo
echo "Logs: $logs"
echo "regressions: $((${#rows[@]} - bad)) rows hold, $bad do not"
[ ${#rows[@]} -gt 0 ] || { echo "regressions: no row matched REGRESS_ONLY=$only" >&2; exit 1; }
[ $bad = 0 ]
