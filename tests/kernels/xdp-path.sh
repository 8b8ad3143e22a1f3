#!/usr/bin/env bash
# Which path libxdp's AF_XDP default program took on this kernel, and whether deleting the
# sockets from another namespace leaves the devices clean; pristine and patched, as rows in
# regressions.sh's table format.
#
#   xdp-path.sh BUILD
#
# BUILD is the build tree matrix.sh prepared (out/, out-pristine/, tests/out*/, tests/upstream-*/,
# kernels/xsk_hold-{pristine,patched}). Root; runs in a guest of run-in-vm.sh, or on the host.
#
# For each library: the seed topology (outer in the root namespace, inner in another, equal
# ifindex, 2 queues), xsk_hold's sockets on every queue of both; then the program on each device:
# `ip -d link show` names what is attached (xdp_dispatcher or xsk_def_prog) and upstream's
# xdp-loader status lists the dispatcher's components. Upstream's check_kern_compat says
# whether the multi-program dispatcher can load on this kernel. The path row holds when both
# devices run xsk_def_prog inside a dispatcher where the dispatcher loads, and xsk_def_prog on
# its own where it does not. Then xsk_hold deletes every socket from the root namespace (inner's
# from another namespace) and neither device may keep a program, nor bpffs a dispatcher pin.
# Details go to BUILD/tests/kernels-xdp-path.log.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: xdp-path.sh BUILD}" && pwd)
topo=$top/tests/topology.sh
log=${XDP_PATH_LOG:-$build/tests/kernels-xdp-path.log}
mkdir -p "$(dirname "$log")"
: >"$log"
say() { echo "$*" >>"$log"; }

declare -A lib_out=([pristine]=$build/out-pristine [patched]=$build/out)
declare -A upstream_t=([pristine]=$build/tests/upstream-pristine [patched]=$build/tests/upstream-patched)
loader=$build/tests/out/xdp-loader

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

# Can libxdp's dispatcher load here? Upstream's own probe, in a mount namespace with a bpffs
# of its own as run-upstream-tests.sh runs it.
compat() {
	timeout -k 5 120 unshare --net --mount sh -c \
		'mount -t bpf bpf /sys/fs/bpf; exec "$1"' sh "${upstream_t[$1]}/check_kern_compat" >>"$log" 2>&1
}

in_ns() { local ns=$1; shift; if [ -n "$ns" ]; then nsenter --net="/run/netns/$ns" "$@"; else "$@"; fi; }

# attached NS DEV: the name of the XDP program on DEV, or "none".
attached() {
	local out
	out=$(in_ns "$1" ip -d link show dev "$2" 2>&1)
	say "ip -d link show dev $2 (${1:-root}):"
	say "$out"
	sed -n 's/.*prog\/xdp id [0-9]* name \([^ ]*\).*/\1/p' <<<"$out" | head -n1 | grep . || echo none
}

# components NS DEV: the programs xdp-loader status lists inside DEV's dispatcher.
components() {
	local out
	# nsenter keeps this mount namespace's /sys/fs/bpf (ip netns exec would remount /sys).
	out=$(in_ns "$1" env LD_LIBRARY_PATH="$build/out/lib" "$loader" status "$2" 2>&1)
	say "xdp-loader status $2 (${1:-root}):"
	say "$out"
	awk '$1 == "=>" {print $3}' <<<"$out" | xargs
}

# path NS DEV: dispatcher | single | none | other:NAME | dispatcher-without-xsk
path() {
	local name comps
	name=$(attached "$1" "$2")
	case $name in
	xdp_dispatcher)
		comps=$(components "$1" "$2")
		if [[ " $comps " == *" xsk_def_prog "* ]]; then echo dispatcher; else echo "dispatcher-without-xsk($comps)"; fi ;;
	xsk_def_prog) echo single ;;
	none) echo none ;;
	*) echo "other:$name" ;;
	esac
}

declare -A path_result teardown_result
expect=
for lib in pristine patched; do
	id=kp$lib
	id=${id:0:8}
	if compat "$lib"; then e=dispatcher; else e=single; fi
	say "== $lib: check_kern_compat says: $e"
	[ -n "$expect" ] || expect=$e
	[ "$e" = "$expect" ] || say "check_kern_compat of pristine and patched disagree ($expect, $e)"
	if ! eval "$("$topo" up "$id" 2)"; then
		path_result[$lib]=FAIL teardown_result[$lib]=FAIL
		continue
	fi
	coproc HOLD { exec timeout -k 5 600 "$build/kernels/xsk_hold-$lib" "$OUTER_DEV" "$INNER_DEV" \
		"/run/netns/$INNER_NS" "$QUEUES" 2>>"$log"; }
	hold_in=${HOLD[1]} hold_out=${HOLD[0]} hold_pid=$HOLD_PID
	line=
	read -r -t 300 line <&"$hold_out"
	if [ "$line" != READY ]; then
		say "$lib: xsk_hold did not get ready (read '$line')"
		path_result[$lib]=FAIL
	else
		po=$(path "" "$OUTER_DEV")
		pi=$(path "$INNER_NS" "$INNER_DEV")
		say "$lib: outer: $po, inner: $pi (expected $e)"
		if [ "$po" = "$e" ] && [ "$pi" = "$e" ]; then
			# (the table's cells are 9 wide)
			path_result[$lib]=${e/dispatcher/dispatch}
		else
			path_result[$lib]=FAIL
		fi
	fi
	echo >&"$hold_in"
	read -r -t 300 line <&"$hold_out"
	if [ "$line" != DELETED ]; then
		say "$lib: xsk_hold did not delete (read '$line')"
		teardown_result[$lib]=FAIL
	else
		po=$(attached "" "$OUTER_DEV")
		pi=$(attached "$INNER_NS" "$INNER_DEV")
		pins=$(ls /sys/fs/bpf/xdp 2>/dev/null | grep "^dispatch-$IFINDEX-" | xargs)
		say "$lib: after deleting from the root namespace: outer: $po, inner: $pi, pins: ${pins:-none}"
		if [ "$po" = none ] && [ "$pi" = none ] && [ -z "$pins" ]; then
			teardown_result[$lib]=PASS
		else
			teardown_result[$lib]=FAIL
		fi
	fi
	exec {hold_in}>&-
	wait "$hold_pid"
	rc=$?
	say "$lib: xsk_hold exit $rc"
	[ $rc = 0 ] || { path_result[$lib]=FAIL; [ "${teardown_result[$lib]}" = PASS ] && teardown_result[$lib]=FAIL; }
	# A program left behind stays with the device; the topology's removal takes both away.
	"$topo" down "$id"
	rm -rf /sys/fs/bpf/xdp/dispatch-"$IFINDEX"-* 2>/dev/null
done

case $expect in dispatcher) word=dispatcher ;; *) word="single program" ;; esac
p=${path_result[pristine]} q=${path_result[patched]}
if [ "$q" = "${expect/dispatcher/dispatch}" ]; then
	v="ok ($word)"
else
	v="WRONG PATH (check_kern_compat: $word)"
fi
printf '%-76s %-9s %-9s %s\n' "AF_XDP default program: in the dispatcher iff it loads" "$p" "$q" "$v"
p=${teardown_result[pristine]} q=${teardown_result[patched]}
case $p:$q in
FAIL:PASS) v=fixed ;;
PASS:PASS) v="NOT SHOWN (passes on pristine)" ;;
*) v="NOT FIXED" ;;
esac
printf '%-76s %-9s %-9s %s\n' "delete from another namespace: no program or dispatcher left (0001)" "$p" "$q" "$v"
