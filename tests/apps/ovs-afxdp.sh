#!/usr/bin/env bash
# A real AF_XDP application on the drop-in library: Debian's Open vSwitch (openvswitch-switch,
# unmodified; its ovs-vswitchd links libxdp.so.1) with type=afxdp ports, run once on the
# distribution's libxdp.so.1 and once on ours, results side by side.
#
#   ovs-afxdp.sh [BUILD]   BUILD: the build directory (default: build/ at the top); needs
#                          BUILD/out (make lib) and BUILD/tests/out/xsk_def_prog_foreign.bpf.o
#
# Each run gets namespaces of its own and a private OVS (database, run, log and config dirs,
# userspace datapath, one PMD thread) inside the switch namespace:
#
#   src ns: sa <-> pa [ ovs-vswitchd, bridge br0: pa -> pb ] pb <-> db :dst ns
#                     [ pc <-> pcx, for the foreign-program check      ] (switch ns)
#
# It sends FRAMES (1000) frames into pa and counts what db receives, does CYCLES (20)
# del-port/add-port cycles of pa and pb counting ovs-vswitchd's fds and the XDP programs left on
# the devices, forwards again, and adds a port whose device already runs a foreign program
# named xsk_def_prog (not libxdp's): OVS must get an error on that port, not crash.
# Every row must hold for ours (exit 1 otherwise); the distribution's are only reported.
# OVS_AFXDP_ONLY=ours|distro runs one of the two; OVS_AFXDP_OURS=DIR measures another build
# (a tree like build/out) as "ours". Logs stay in BUILD/tests/apps/ovs-afxdp/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
# The library under test: OVS_AFXDP_OURS=build/out-pristine shows what the checks catch.
ours_out=$(cd "${OVS_AFXDP_OURS:-$build/out}" && pwd)
our_lib_dir=$ours_out/lib
foreign_obj=$build/tests/out/xsk_def_prog_foreign.bpf.o
frames=${OVS_AFXDP_FRAMES:-1000}
cycles=${OVS_AFXDP_CYCLES:-20}
only=${OVS_AFXDP_ONLY:-}
distro_lib=/usr/lib/x86_64-linux-gnu/libxdp.so.1
distro_version_expected=1.3.1
# The Debian-package test swaps the system's libxdp1 while it holds this lock.
system_libxdp_lock=/run/lock/xdp-netns-system-libxdp.lock
logs=$build/tests/apps/ovs-afxdp
ovs_schema=/usr/share/openvswitch/vswitch.ovsschema
vsctl_timeout=20

die() { echo "ovs-afxdp: $*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (namespaces, XDP)"
for tool in ovs-vswitchd ovsdb-server ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl python3 ip; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
[ -e "$our_lib_dir/libxdp.so.1" ] || die "$our_lib_dir/libxdp.so.1 is missing: make lib"
[ -e "$foreign_obj" ] || die "$foreign_obj is missing: make -C tests BUILD=$build $foreign_obj"
# Not grep -q in a pipe: under pipefail ldd's SIGPIPE would fail it.
[[ $(ldd "$(command -v ovs-vswitchd)") == *libxdp.so.1* ]] ||
	die "ovs-vswitchd does not link libxdp.so.1: it cannot run on our library"

# Namespace names carry our pid: runs of several clones side by side do not collide.
ns_prefix=xovs$$
mkdir -p "$logs"

# ---- topology ---------------------------------------------------------------------------

ns_src='' ns_sw='' ns_dst=''
topology_up() {
	local label=$1 ns
	ns_src=$ns_prefix-$label-src ns_sw=$ns_prefix-$label-sw ns_dst=$ns_prefix-$label-dst
	for ns in "$ns_src" "$ns_sw" "$ns_dst"; do
		ip netns add "$ns"
		# Devices created afterwards inherit "default": no IPv6, so no router solicitations
		# or DAD probes from the kernel land in the counts.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv6.conf.all.disable_ipv6=1
	done
	# One queue each, as OVS is told (n_rxq=1).
	local one=(numtxqueues 1 numrxqueues 1)
	ip -n "$ns_sw" link add pa "${one[@]}" type veth peer name sa netns "$ns_src" "${one[@]}"
	ip -n "$ns_sw" link add pb "${one[@]}" type veth peer name db netns "$ns_dst" "${one[@]}"
	ip -n "$ns_sw" link add pc "${one[@]}" type veth peer name pcx "${one[@]}"
	local pair dev_ns dev
	for pair in "$ns_src sa" "$ns_sw pa" "$ns_sw pb" "$ns_dst db" "$ns_sw pc" "$ns_sw pcx"; do
		read -r dev_ns dev <<<"$pair"
		# XDP on veth sees one frame per packet only without GRO/GSO/TSO aggregation.
		ip netns exec "$dev_ns" ethtool -K "$dev" gro off gso off tso off >/dev/null 2>&1 || true
		ip -n "$dev_ns" link set dev "$dev" up
	done
}

topology_down() {
	local ns
	for ns in "$ns_src" "$ns_sw" "$ns_dst"; do
		[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
	done
}

# ---- OVS in the switch namespace ----------------------------------------------------------

ovs_dir='' db_sock='' vswitchd_pid='' ovsdb_pid='' vswitchd_status=''
lib_env=()

# The environment that gives OVS's programs this run's directories.
ovs_env() {
	ovs_env=(env OVS_RUNDIR="$ovs_dir/run" OVS_LOGDIR="$ovs_dir/log" OVS_DBDIR="$ovs_dir/db"
		OVS_SYSCONFDIR="$ovs_dir/etc")
}
in_sw() { ip netns exec "$ns_sw" "${ovs_env[@]}" "$@"; }
# --timeout: when ovs-vswitchd has died, ovs-vsctl would wait for it forever.
vsctl() { in_sw ovs-vsctl --db="unix:$db_sock" --timeout="$vsctl_timeout" "$@"; }
ofctl() { in_sw ovs-ofctl "$@"; }
# running PID NAME: PID is NAME and not a zombie. A daemon's parent is whatever adopted it
# after --detach, which may be slow to reap a crashed one (kill -0 succeeds on a zombie); the
# name guards against a reused pid.
running() {
	[ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
	[[ $(grep -m1 '^State:' "/proc/$1/status" 2>/dev/null) != *zombie* ]]
}
vswitchd_alive() { running "$vswitchd_pid" ovs-vswitchd; }

ovs_start() {
	local label=$1 last_cpu
	ovs_dir=$logs/$label
	rm -rf "$ovs_dir"
	mkdir -p "$ovs_dir"/{run,log,db,etc}
	db_sock=$ovs_dir/run/db.sock
	ovs_env
	in_sw ovsdb-tool create "$ovs_dir/db/conf.db" "$ovs_schema"
	# The daemons run as our children, not --detach'ed: we reap them, and a crash leaves its
	# signal in their exit status. ip netns exec, env and sh exec, so $! is the daemon.
	ip netns exec "$ns_sw" "${ovs_env[@]}" ovsdb-server "$ovs_dir/db/conf.db" -vconsole:off \
		--remote="punix:$db_sock" --pidfile="$ovs_dir/run/ovsdb-server.pid" --no-chdir \
		--log-file="$ovs_dir/log/ovsdb-server.log" >"$ovs_dir/log/ovsdb-server.out" 2>&1 &
	ovsdb_pid=$!
	for _ in $(seq 100); do [ ! -S "$db_sock" ] || break; sleep 0.1; done
	# The PMD thread polls without pause: pin it to one CPU and let it sleep when idle.
	last_cpu=$(($(nproc) - 1))
	vsctl --no-wait init
	vsctl --no-wait set Open_vSwitch . \
		other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << last_cpu)))" \
		other_config:pmd-maxsleep=1000 other_config:n-handler-threads=1 \
		other_config:n-revalidator-threads=1
	# ip netns exec gives the command a mount namespace of its own (and bind-mounts the
	# root's /sys/fs/bpf into it): a fresh bpffs there keeps libxdp's lock and pins private
	# to this ovs-vswitchd; it goes away with it.
	ip netns exec "$ns_sw" "${ovs_env[@]}" "${lib_env[@]}" \
		sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' sh \
		ovs-vswitchd "unix:$db_sock" -vconsole:off --pidfile="$ovs_dir/run/ovs-vswitchd.pid" \
		--no-chdir --log-file="$ovs_dir/log/ovs-vswitchd.log" >"$ovs_dir/log/ovs-vswitchd.out" 2>&1 &
	vswitchd_pid=$!
	vswitchd_status=''
	# ovs-vsctl waits until ovs-vswitchd has applied the change, so this waits for it to start.
	vsctl add-br br0 -- set bridge br0 datapath_type=netdev
	running "$vswitchd_pid" ovs-vswitchd || die "ovs-vswitchd did not start (pid $vswitchd_pid)"
}

# stop_daemon PID NAME: end one of the daemons this run started, by its pid, and reap it.
stop_daemon() {
	local pid=$1 name=$2
	[ -n "$pid" ] || return 0
	# The daemon may end between a check and a kill (bash reaps it meanwhile): a kill that
	# finds no process is fine. ovs-vswitchd took over 5 s to end on SIGTERM beside a VM.
	if running "$pid" "$name"; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 200); do running "$pid" "$name" || break; sleep 0.1; done
		! running "$pid" "$name" || kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# How ovs-vswitchd ended, once it is not running: "signal N (NAME)" or "exit N". Reaps it.
vswitchd_end() {
	local status=0
	[ -n "$vswitchd_status" ] || {
		wait "$vswitchd_pid" 2>/dev/null || status=$?
		if [ $status -gt 128 ]; then
			vswitchd_status="signal $((status - 128)) (SIG$(kill -l $((status - 128))))"
		else
			vswitchd_status="exit $status"
		fi
	}
	echo "$vswitchd_status"
}

ovs_stop() {
	stop_daemon "$vswitchd_pid" ovs-vswitchd
	stop_daemon "$ovsdb_pid" ovsdb-server
	vswitchd_pid='' ovsdb_pid=''
}

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	ovs_stop
	topology_down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The libxdp.so.1 file ovs-vswitchd mapped (resolved), from /proc/PID/maps.
mapped_libxdp() {
	local path
	path=$(awk '$6 ~ /\/libxdp\.so/ { print $6; exit }' "/proc/$vswitchd_pid/maps")
	[ -n "$path" ] || { echo "none"; return; }
	readlink -f "$path"
}

fd_count() { find "/proc/$vswitchd_pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# What ovs-vswitchd's fds are, one "KIND" a line (socket:[123] -> socket), for a diff.
fd_kinds() {
	find "/proc/$vswitchd_pid/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' | sed 's/:\[[0-9]*\]$//' | sort
}

# fd_growth BEFORE AFTER: the kinds of which AFTER has more, as "N KIND, ...".
fd_growth() {
	diff <(uniq -c <<<"$1" | awk '{ print $2, $1 }') <(uniq -c <<<"$2" | awk '{ print $2, $1 }') |
		awk '/^>/ { now[$2] = $3 } /^</ { was[$2] = $3 }
			END { for (k in now) if (now[k] > was[k]) { printf "%s+%d %s", sep, now[k] - was[k], k; sep = ", " } }'
}

# XDP state of a switch-namespace device, from ip's JSON: "none" or MODE:NAME#ID.
xdp_state() {
	ip -n "$ns_sw" -j -d link show dev "$1" | python3 -c '
import json, sys
xdp = json.load(sys.stdin)[0].get("xdp")
modes = {1: "native", 2: "generic", 3: "offload"}
if not xdp or "prog" not in xdp:
    print("none")
else:
    print("%s:%s#%d" % (modes.get(xdp["mode"], xdp["mode"]), xdp["prog"]["name"], xdp["prog"]["id"]))'
}

afxdp_port() {
	# xdp-mode=native: veth runs XDP in its driver; copy mode (veth has no zero-copy).
	echo -- add-port br0 "$1" -- set interface "$1" type=afxdp options:xdp-mode=native \
		options:n_rxq=1 ofport_request="$2"
}

# add_ports: pa (OpenFlow port 1) and pb (2) as afxdp ports; fails unless both came up.
add_ports() {
	# shellcheck disable=SC2046 # afxdp_port prints words for ovs-vsctl
	vsctl $(afxdp_port pa 1) $(afxdp_port pb 2) || return 1
	local dev err
	for dev in pa pb; do
		err=$(vsctl get interface "$dev" error)
		[ "$err" = "[]" ] || { echo "port $dev: $err"; return 1; }
	done
}
del_ports() { vsctl del-port br0 pa -- del-port br0 pb; }

rx_packets() {
	ip -n "$1" -s -j link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# forward: send $frames frames from sa into pa, print how many db received.
forward() {
	local before now last stable=0
	before=$(rx_packets "$ns_dst" db)
	# A raw AF_PACKET sender, paced at about 10 kpps: OVS's one PMD thread shares the CPUs
	# with other work, and the test is about the library, not about OVS's peak rate.
	ip netns exec "$ns_src" python3 - "$frames" <<-'EOF'
	import socket, struct, sys, time
	count = int(sys.argv[1])
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind(("sa", 0))
	# Locally administered MACs, an experimental EtherType: nothing in the kernel answers it.
	head = bytes.fromhex("020000000002" "020000000001" "88b5")
	for seq in range(count):
	    s.send(head + b"xdp-netns" + struct.pack("!I", seq) + bytes(47))
	    if seq % 10 == 9:
	        time.sleep(0.001)
	EOF
	# Wait until the far end's counter reaches the count or stops moving for a second.
	last=-1
	for _ in $(seq 100); do
		now=$(($(rx_packets "$ns_dst" db) - before))
		[ "$now" -lt "$frames" ] || break
		if [ "$now" = "$last" ]; then
			stable=$((stable + 1))
			[ $stable -lt 10 ] || break
		else
			stable=0
		fi
		last=$now
		sleep 0.1
	done
	# Late duplicates would show up here.
	sleep 0.3
	echo $(($(rx_packets "$ns_dst" db) - before))
}

# ---- one run --------------------------------------------------------------------------------

declare -A result
# record KEY VALUE: one cell of this run's column.
record() { result[$label.$1]=$2; }

# ERR lines in ovs-vswitchd's log. Every add-port logs that RLIMIT_MEMLOCK cannot be raised
# here (a container); the kernel accounts AF_XDP memory to the cgroup anyway: left out.
log_errors() {
	grep '|ERR|' "$ovs_dir/log/ovs-vswitchd.log" | grep -vc 'RLIMIT_MEMLOCK' || true
}

crash_note() {
	local log=$ovs_dir/log/ovs-vswitchd.log
	# OVS logs fatal signals (and a backtrace when built with libunwind) before dying.
	grep -E 'signal|backtrace|EMER' "$log" | tail -n 3 | sed 's/^/    /' || true
}

# measure LABEL: run the whole scenario with lib_env set; fills result[LABEL.*].
measure() {
	label=$1
	local phase fd_before fd_after devs dev state err errno foreign_before foreign_after cycle
	local xdp_pa xdp_pb fd_kinds_before=""
	echo "=== $label: ${lib_env[*]}"
	topology_up "$label"
	ovs_start "$label"

	record library "$(mapped_libxdp)"
	echo "ovs-vswitchd (pid $vswitchd_pid) mapped ${result[$label.library]}"

	phase="first add-port"
	if add_ports; then
		xdp_pa=$(xdp_state pa | cut -d'#' -f1) xdp_pb=$(xdp_state pb | cut -d'#' -f1)
		if [ "$xdp_pa" = "$xdp_pb" ]; then
			record xdp_with_ports "$xdp_pa on both"
		else
			record xdp_with_ports "pa $xdp_pa, pb $xdp_pb"
		fi
		ofctl del-flows br0
		ofctl add-flow br0 in_port=1,actions=output:2
		phase="forwarding"
		record forwarded "$(forward)"
		echo "forwarded ${result[$label.forwarded]}/$frames; XDP: ${result[$label.xdp_with_ports]}"
	else
		record forwarded "add-port failed"
	fi

	# One del-port first: what the first add-port set up for good (libraries, netlink
	# sockets) is in the baseline.
	phase="del-port"
	fd_before=''
	if vswitchd_alive; then
		del_ports || true
		# ovs-vsctl returns once ovs-vswitchd has reconfigured; give deferred closes a moment.
		sleep 0.5
		fd_before=$(fd_count)
		fd_kinds_before=$(fd_kinds)
	fi
	local failed_cycles=0 wrong_xdp=0 fd_series="" with_ports without_ports
	for cycle in $(seq "$cycles"); do
		vswitchd_alive || break
		phase="add-port/del-port cycle $cycle"
		add_ports || failed_cycles=$((failed_cycles + 1))
		vswitchd_alive || break
		# With the ports libxdp's default program on both devices, without them none.
		with_ports="$(xdp_state pa | cut -d'#' -f1) $(xdp_state pb | cut -d'#' -f1)"
		del_ports || failed_cycles=$((failed_cycles + 1))
		vswitchd_alive || break
		without_ports="$(xdp_state pa) $(xdp_state pb)"
		if [ "$with_ports" != "native:xsk_def_prog native:xsk_def_prog" ] ||
			[ "$without_ports" != "none none" ]; then
			wrong_xdp=$((wrong_xdp + 1))
			echo "cycle $cycle: XDP with the ports: $with_ports; without: $without_ports"
		fi
		fd_series="$fd_series $(fd_count)"
	done
	record failed_cycles "$failed_cycles"
	record wrong_xdp "$wrong_xdp"
	echo "fds after each cycle:$fd_series"
	if vswitchd_alive; then
		sleep 0.5
		fd_after=$(fd_count)
		[ "$fd_after" = "$fd_before" ] ||
			echo "fds that came: $(fd_growth "$fd_kinds_before" "$(fd_kinds)")"
		record fds "$fd_before -> $fd_after"
		devs=""
		for dev in pa pb; do
			state=$(xdp_state "$dev")
			[ "$state" = none ] || devs="$devs $dev=$state"
		done
		devs=${devs# }
		record xdp_left "${devs:-none}"
		echo "after $cycles cycles ($failed_cycles failed, $wrong_xdp with a wrong XDP state):" \
			"fds $fd_before -> $fd_after, XDP left: ${result[$label.xdp_left]}"
		phase="forwarding after the cycles"
		if add_ports; then
			record forwarded_again "$(forward)"
		else
			record forwarded_again "add-port failed"
		fi
		echo "forwarded after the cycles: ${result[$label.forwarded_again]}"
		del_ports || true
	fi

	record log_errors "$(log_errors)"

	# A program named like libxdp's default one, but not libxdp's, already on the device.
	if vswitchd_alive; then
		phase="add-port on a foreign xsk_def_prog"
		ip -n "$ns_sw" link set dev pc xdpgeneric obj "$foreign_obj" sec xdp
		foreign_before=$(xdp_state pc)
		# ovs-vsctl reports the port's error on stderr but exits 0; the error column tells.
		vsctl add-port br0 pc -- set interface pc type=afxdp options:xdp-mode=native \
			options:n_rxq=1 2>>"$ovs_dir/log/ovs-vsctl.log" || true
		if vswitchd_alive; then
			err=$(vsctl get interface pc error)
			foreign_after=$(xdp_state pc)
			if [ "$err" = "[]" ]; then
				record foreign "no error (port came up)"
			else
				# pa and pb never failed: OVS's first such line is about pc.
				errno=$(grep -o -m1 'xsk_socket__create failed ([^)]*)' \
					"$ovs_dir/log/ovs-vswitchd.log" | sed 's/.*(\(.*\))/\1/' || true)
				record foreign "port error${errno:+ ($errno)}"
			fi
			echo "foreign xsk_def_prog: error column $err; pc before $foreign_before, after $foreign_after"
			if [ "$foreign_after" = "$foreign_before" ]; then
				record foreign_prog "still attached"
			else
				record foreign_prog "${foreign_after/none/removed}"
			fi
			vsctl del-port br0 pc || true
		fi
	fi

	if vswitchd_alive; then
		record alive yes
	else
		record alive "no: $(vswitchd_end) in $phase"
		echo "ovs-vswitchd died ($(vswitchd_end)) in $phase; its log ends:"
		tail -n 5 "$ovs_dir/log/ovs-vswitchd.log" | sed 's/^/    /'
		crash_note
	fi
	ovs_stop
	topology_down
	ns_src='' ns_sw='' ns_dst=''
}

# ---- the two runs ---------------------------------------------------------------------------

our_lib=$(readlink -f "$our_lib_dir/libxdp.so.1")
distro_version=

if [ "$only" != distro ]; then
	# As a user would drop it in: LD_LIBRARY_PATH alone. Our libxdp.so.1 carries its BPF
	# objects (0019); no LIBXDP_OBJECT_PATH points at the ones in the build tree.
	lib_env=(env -u LIBXDP_OBJECT_PATH LD_LIBRARY_PATH="$our_lib_dir")
	measure ours
fi

if [ "$only" != ours ]; then
	lib_env=(env -u LD_LIBRARY_PATH -u LIBXDP_OBJECT_PATH)
	# Hold the lock while the system's libxdp1 is measured, so the package test cannot swap
	# it under us (it takes the same lock).
	exec {lock_fd}>"$system_libxdp_lock"
	flock -x -w 1800 "$lock_fd" || die "no lock on $system_libxdp_lock within 30 minutes"
	distro_file=$(readlink -f "$distro_lib")
	distro_version=$(dpkg-query -W -f='${Version}' "$(dpkg -S "$distro_file" | cut -d: -f1)")
	echo "distribution's library: $distro_file, package version $distro_version"
	measure distro
	exec {lock_fd}>&-
fi

# ---- table and verdict ----------------------------------------------------------------------

fail=0
# check KEY WANT: ours must have exactly WANT in row KEY.
check() {
	if [ "${result[ours.$1]:-}" != "$2" ]; then
		echo "FAIL (ours) $1: '${result[ours.$1]:-missing}', expected '$2'"
		fail=1
	fi
}

row() { printf '%-50s %-40s %s\n' "$1" "${result[distro.$2]:--}" "${result[ours.$2]:--}"; }
echo
printf '%-50s %-40s %s\n' "Open vSwitch $(ovs-vswitchd --version | awk 'NR == 1 { print $NF }'), afxdp ports" \
	"distribution (${distro_version:-not run})" "ours"
row "XDP on the devices with the ports added" xdp_with_ports
row "frames forwarded pa -> pb (of $frames)" forwarded
row "fds of ovs-vswitchd before -> after $cycles cycles" fds
row "add-port/del-port steps that failed" failed_cycles
row "cycles with other XDP than that, then none" wrong_xdp
row "XDP programs left on pa, pb after the cycles" xdp_left
row "frames forwarded after the cycles (of $frames)" forwarded_again
row "add-port onto a foreign xsk_def_prog" foreign
row "the foreign program afterwards" foreign_prog
row "ovs-vswitchd alive at the end" alive
row "|ERR| lines in its log before the foreign program" log_errors
echo "libxdp mapped: distribution ${result[distro.library]:--}; ours ${result[ours.library]:--}"

if [ "$only" != distro ]; then
	check library "$our_lib"
	check xdp_with_ports "native:xsk_def_prog on both"
	check forwarded "$frames"
	check failed_cycles 0
	check wrong_xdp 0
	fds=${result[ours.fds]:-missing}
	if [[ ! $fds =~ ^([0-9]+)\ -\>\ ([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ]; then
		echo "FAIL (ours) fds: $fds, expected the same count before and after"
		fail=1
	fi
	check xdp_left none
	check forwarded_again "$frames"
	check log_errors 0
	[[ ${result[ours.foreign]:-} == "port error"* ]] || {
		echo "FAIL (ours) foreign: '${result[ours.foreign]:-missing}', expected an error on the port"
		fail=1
	}
	check foreign_prog "still attached"
	check alive yes
fi
if [ "$only" != ours ]; then
	# The file found under the lock: the package test may swap it once the lock is gone.
	[ "${result[distro.library]:-}" = "$distro_file" ] ||
		echo "NOTE: the distribution run mapped ${result[distro.library]:-nothing}, not $distro_lib"
	[[ $distro_version == "$distro_version_expected"-* ]] ||
		echo "NOTE: the distribution's libxdp1 is $distro_version, not $distro_version_expected"
fi
[ $fail = 0 ] && echo "PASS: every row holds for ours" || echo "FAIL: see above"
exit $fail
