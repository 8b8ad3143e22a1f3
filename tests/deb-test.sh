#!/usr/bin/env bash
# The Debian packages of make deb, installed on this machine over the distribution's
# (make test-deb; root):
#
#   deb-test.sh [BUILD]      (default build; packages in BUILD/deb, binaries in BUILD/tests/deb)
#
# 1. builds the packages (scripts/build-deb.sh; cheap when nothing changed) and runs lintian on
#    them: no errors;
# 2. under an exclusive lock on /run/lock/xdp-netns-system-libxdp.lock, which every test that
#    uses the system's libxdp takes too: records the packages' state (dpkg-query -W, apt-mark),
#    downloads the installed versions' .debs for the way back, builds the compatibility test
#    against the distribution's libxdp-dev, and runs it once with the distribution's library:
#    the /proc/PID/maps check must fail there (it can tell the libraries apart);
# 3. installs ours (apt-get install ./*.deb), builds the seed scenario against our libxdp-dev
#    (pkg-config), and runs both programs against the installed system library (no
#    LD_LIBRARY_PATH, no LIBXDP_OBJECT_PATH): each stops itself once libxdp is in use
#    (testlib's test_checkpoint) while /proc/PID/maps is read: the libxdp.so mapped must be
#    /usr/lib/MULTIARCH/libxdp.so.1.x with the very bytes of our libxdp1 .deb;
# 4. puts the distribution's packages back, also when a step fails or the test is interrupted
#    (trap), and checks that dpkg-query, apt-mark and dpkg --verify say what they said before.
# Prints a table of what ran; exit status 0 when nothing failed. Without root: says SKIP.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-$top/build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
debs_dir=$build/deb
T=$build/tests/deb
lock=/run/lock/xdp-netns-system-libxdp.lock
packages=(libxdp1 libxdp-dev xdp-tools)
seed_count=${SEED_COUNT:-1000}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP debian packages: needs root (installs packages)"
	exit 0
fi
"$top/scripts/build-deb.sh" "$debs_dir"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch
our_debs=("$debs_dir"/*.deb)
our_version=$(dpkg-deb -f "$debs_dir"/libxdp1_*.deb Version)
# The shared library in our libxdp1 (libxdp.so.1.MINOR.PATCH) and its bytes.
our_lib=$(dpkg-deb -c "$debs_dir"/libxdp1_*.deb | awk '$1 ~ /^-/ && $6 ~ /\/libxdp\.so\.1\.[0-9.]*$/ {print substr($6, 2)}')
if [ -z "$our_lib" ] || [ "$(wc -l <<<"$our_lib")" != 1 ]; then
	echo "deb-test: no single libxdp.so.1.x in our libxdp1" >&2
	exit 1
fi
our_lib_sha=$(dpkg-deb --fsys-tarfile "$debs_dir"/libxdp1_*.deb | tar -xO ".$our_lib" | sha256sum | cut -d' ' -f1)

rm -rf "$T"
mkdir -p "$T/restore/partial"
export DEBIAN_FRONTEND=noninteractive
# apt-get in a session of its own: a Ctrl-C or a CI's cancel (signals to the whole process
# group) must not stop dpkg half way; this script's trap runs once apt-get is done.
apt_get() { setsid -w apt-get -y -q -o DPkg::Lock::Timeout=600 "$@"; }

rows=()
failed=0
row() { # NAME RESULT
	rows+=("$(printf '%-80s %s' "$1" "$2")")
	case $2 in FAIL*) failed=$((failed + 1)) ;; esac
}

print_table() {
	echo
	printf '%-80s %s\n' "debian packages ($our_version) on this machine" result
	printf '%s\n' "${rows[@]}"
}

# ---- lintian ------------------------------------------------------------------------------
lintian_out=$T/lintian.txt
lintian_rc=0
lintian "${our_debs[@]}" >"$lintian_out" 2>&1 || lintian_rc=$?
sed -i '/^running with root privileges is not recommended!$/d' "$lintian_out"
n_err=$(grep -c '^E: ' "$lintian_out" || true)
n_warn=$(grep -c '^W: ' "$lintian_out" || true)
sed 's/^/lintian: /' "$lintian_out"
if [ "$lintian_rc" = 0 ] && [ "$n_err" = 0 ]; then
	row "lintian on libxdp1, libxdp-dev, xdp-tools: no errors" "PASS ($n_warn warnings)"
else
	row "lintian on libxdp1, libxdp-dev, xdp-tools: no errors" "FAIL ($n_err errors, exit $lintian_rc)"
fi

# ---- state, and the way back ----------------------------------------------------------------
state() { # one line per package dpkg knows: name, status, version
	{ dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' "${packages[@]}" 2>/dev/null || true; } | sort
}
marks() { apt-mark showauto "${packages[@]}" | sort | xargs; }

running_pid=
topo_id=
ours_installed=0
cleanup() {
	# The way back must not be interrupted half way.
	trap '' INT TERM
	[ -z "$running_pid" ] || { kill -CONT "$running_pid" 2>/dev/null; kill "$running_pid" 2>/dev/null; wait "$running_pid" 2>/dev/null; }
	[ -z "$topo_id" ] || "$here/topology.sh" down "$topo_id"
	if [ "$ours_installed" = 1 ]; then
		restore || true
		check_restored || true
	fi
	print_table
}
trap cleanup EXIT
trap 'row "(interrupted by a signal; what ran is above)" FAIL; exit 130' INT TERM

echo "deb-test: taking $lock (exclusive: the system's libxdp is about to change)"
exec {lock_fd}>>"$lock"
if ! flock -n "$lock_fd"; then
	echo "deb-test: waiting for $lock (another test uses the system's libxdp)"
	flock -w 3600 "$lock_fd" || { echo "deb-test: $lock still held after an hour" >&2; exit 1; }
fi

state_before=$(state)
marks_before=$(marks)
verify_before=$(dpkg --verify "${packages[@]}" 2>&1 || true)
echo "deb-test: before: $(echo "$state_before" | xargs) (auto: ${marks_before:-none})"
if grep -q "$our_version" <<<"$state_before"; then
	row "the distribution's libxdp installed before" "FAIL (ours already is: $(echo "$state_before" | xargs))"
	exit 1
fi
installed_before=$(awk '$2 == "ii" {print $1 "=" $3}' <<<"$state_before" | xargs)
absent_before=()
for pkg in "${packages[@]}"; do
	awk -v p="$pkg" '$1 == p && $2 == "ii" {found = 1} END {exit !found}' <<<"$state_before" || absent_before+=("$pkg")
done
# The installed versions' .debs, fetched now: the way back then needs no network.
# shellcheck disable=SC2086 # one word per package=version
if ! (cd "$T/restore" && apt-get -q -o APT::Sandbox::User=root download $installed_before) >"$T/restore.log" 2>&1; then
	cat "$T/restore.log"
	row "download the installed packages for the way back ($installed_before)" FAIL
	exit 1
fi

restore() {
	echo "deb-test: putting back: ${installed_before:-nothing}${absent_before[*]:+; removing ${absent_before[*]}}"
	local rc=0 i out
	# A dpkg stopped half way (killed) must finish first; wait for its lock as apt-get would.
	for ((i = 0; i < 600; i++)); do
		out=$(dpkg --configure -a 2>&1) && break
		grep -q lock <<<"$out" || { echo "$out"; rc=1; break; }
		sleep 1
	done
	# The README's command, served from the .debs fetched before (apt's archive cache pointed
	# there): nothing to download.
	# shellcheck disable=SC2086 # one word per package=version
	[ -z "$installed_before" ] ||
		apt_get install -o Dir::Cache::archives="$T/restore/" --allow-downgrades $installed_before ||
			rc=1
	[ ${#absent_before[@]} = 0 ] || apt_get purge "${absent_before[@]}" || rc=1
	# apt-get install marks what it installs by hand; give each package its mark back.
	local pkg
	for pkg in "${packages[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null | grep -q '^ii' || continue
		if [[ " $marks_before " == *" $pkg "* ]]; then apt-mark -q auto "$pkg"; else apt-mark -q manual "$pkg"; fi
	done >/dev/null || rc=1
	ours_installed=0
	if [ $rc != 0 ]; then
		echo "deb-test: PUTTING BACK FAILED; by hand: apt-get install --allow-downgrades $installed_before" >&2
	fi
	return $rc
}

check_restored() {
	local after marks_after verify
	after=$(state)
	marks_after=$(marks)
	verify=$(dpkg --verify "${packages[@]}" 2>&1 || true)
	echo "deb-test: after: $(echo "$after" | xargs) (auto: ${marks_after:-none})"
	[ -z "$verify" ] || echo "dpkg --verify: $verify"
	if [ "$after" = "$state_before" ] && [ "$marks_after" = "$marks_before" ] &&
		[ "$verify" = "$verify_before" ]; then
		row "distribution's packages back: dpkg-query, apt-mark, dpkg --verify as before" PASS
	else
		diff <(echo "$state_before") <(echo "$after") || true
		row "distribution's packages back: dpkg-query, apt-mark, dpkg --verify as before" FAIL
	fi
}

# ---- running against the system library -----------------------------------------------------
# maps_check PID: the one libxdp.so mapped into PID is $libdir/libxdp.so.1.x of our libxdp1
# .deb, byte for byte (read through /proc/PID/map_files: the very file mapped).
maps_check() {
	local pid=$1 lines files range sha
	lines=$(grep -E '/libxdp\.so' "/proc/$pid/maps") || { echo "maps: no libxdp.so mapped into $pid"; return 1; }
	printf 'maps: %s\n' "${lines//$'\n'/$'\n'maps: }"
	files=$(awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' <<<"$lines" | sort -u)
	if [ "$(wc -l <<<"$files")" != 1 ]; then
		echo "maps: more than one libxdp file mapped"; return 1
	fi
	if [ "$files" != "$our_lib" ]; then
		echo "maps: the libxdp mapped is $files, not our package's $our_lib"; return 1
	fi
	range=$(awk 'NR == 1 {print $1}' <<<"$lines")
	sha=$(sha256sum <"/proc/$pid/map_files/$range" | cut -d' ' -f1)
	if [ "$sha" != "$our_lib_sha" ]; then
		echo "maps: $files mapped has sha256 $sha, our package's has $our_lib_sha"; return 1
	fi
	echo "maps: $files is our package's ($(dpkg -S "$files" | cut -d: -f1) $(dpkg-query -W -f='${Version}' libxdp1), sha256 ${sha:0:16}...)"
}

# run_checked CHECKPOINT CMD...: CMD against the system's library, stopped at its CHECKPOINT for
# maps_check. Sets maps_ok (0/1) and returns CMD's exit status.
run_checked() {
	local checkpoint=$1 out=$T/run.out pid='' state i rc
	shift
	maps_ok=0
	env -u LD_LIBRARY_PATH -u LIBXDP_OBJECT_PATH TESTLIB_STOP_AT="$checkpoint" timeout 120 "$@" \
		>"$out" 2>&1 &
	running_pid=$!
	for ((i = 0; i < 600; i++)); do
		pid=$(sed -n "s/^checkpoint $checkpoint: pid \([0-9]*\) stops$/\1/p" "$out")
		[ -n "$pid" ] && break
		kill -0 "$running_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -n "$pid" ]; then
		for ((i = 0; i < 100; i++)); do
			state=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
			[ "$state" != T ] || break
			sleep 0.1
		done
		if maps_check "$pid"; then maps_ok=1; fi
		kill -CONT "$pid"
	else
		echo "run: $1 never reached checkpoint $checkpoint"
	fi
	rc=0
	wait "$running_pid" || rc=$?
	running_pid=
	sed 's/^/  /' "$out"
	return $rc
}

topo_up() {
	local out
	topo_id=deb$(($$ % 100000))
	out=$("$here/topology.sh" up "$topo_id" 2) || return 1
	eval "$out"
}
topo_down() {
	"$here/topology.sh" down "$topo_id"
	topo_id=
}

make_tests() { # TARGET...: built by tests/Makefile, which must not take the lock we hold
	make --no-print-directory -C "$here" BUILD="$build" T="$T" SYSTEM_LIBXDP_LOCK= "${@/#/$T/}"
}

# The compatibility test as a distribution-built program: against the distribution's headers.
make_tests compat_drop_in xdp_pass.bpf.o
compat_args=(-l "$libdir" -p "$T/xdp_pass.bpf.o")

echo "deb-test: control: the distribution's library, whose mapping the check must refuse"
topo_up
run_checked attached "$T/compat_drop_in" "${compat_args[@]}" -d "$INNER_DEV" -n "$INNER_NS" || true
topo_down
if [ $maps_ok = 0 ]; then
	row "maps check refuses the distribution's libxdp.so.1 (control)" PASS
else
	row "maps check refuses the distribution's libxdp.so.1 (control)" "FAIL (it took it for ours)"
fi

echo "deb-test: apt-get install ${our_debs[*]#"$top"/}"
ours_installed=1
install_rc=0
apt_get install "${our_debs[@]}" || install_rc=$?
state_ours=$(state)
echo "deb-test: installed: $(echo "$state_ours" | xargs)"
if [ $install_rc = 0 ] && [ "$(grep -c " ii  $our_version\$" <<<"$state_ours")" = ${#packages[@]} ]; then
	row "apt-get install ./*.deb over ${installed_before:-nothing}" PASS
	rm -f "$T/seed_netns-system"
	if make_tests seed_netns-system; then
		row "seed_netns built against the installed libxdp-dev (pkg-config libxdp)" PASS
	else
		row "seed_netns built against the installed libxdp-dev (pkg-config libxdp)" FAIL
	fi

	topo_up
	compat_rc=0
	run_checked attached "$T/compat_drop_in" "${compat_args[@]}" -d "$INNER_DEV" -n "$INNER_NS" ||
		compat_rc=$?
	topo_down
	[ $compat_rc = 0 ] && r=PASS || r="FAIL (exit $compat_rc)"
	row "compat drop-in: distribution-built program, installed library" "$r"
	[ $maps_ok = 1 ] && r=PASS || r=FAIL
	row "  /proc/PID/maps: $our_lib of our libxdp1" "$r"

	if [ -x "$T/seed_netns-system" ]; then
		topo_up
		seed_rc=0
		run_checked sockets "$T/seed_netns-system" -o "$OUTER_DEV" -i "$INNER_DEV" -n "$INNER_NS" \
			-q "$QUEUES" -c "$seed_count" || seed_rc=$?
		topo_down
		[ $seed_rc = 0 ] && r=PASS || r="FAIL (exit $seed_rc)"
		row "seed scenario: one UMEM, equal ifindex in two namespaces, installed library" "$r"
		[ $maps_ok = 1 ] && r=PASS || r=FAIL
		row "  /proc/PID/maps: $our_lib of our libxdp1" "$r"
	fi
else
	row "apt-get install ./*.deb over ${installed_before:-nothing}" "FAIL (exit $install_rc)"
fi

# The way back (the trap does it too, should anything above have stopped the script).
trap '' INT TERM
restore || true
check_restored
trap - EXIT
print_table
[ $failed = 0 ]
