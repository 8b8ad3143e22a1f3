#!/usr/bin/env bash
# Build and run upstream's own libxdp tests (lib/libxdp/tests of the fetched xdp-tools tree)
# against one build of the library.
#
#   run-upstream-tests.sh SRC LIBXDP_OUT T
#
# SRC: a tree made by libxdp/prepare-source.sh (build/src or build/pristine); the test
# sources, upstream's test-libxdp.sh included, are used from there and never copied here.
# LIBXDP_OUT: the library under test (made by libxdp/build.mk). T: output directory.
#
# The programs are built by tests/upstream.mk into T. Every test named in upstream's
# ALL_TESTS is then run the way upstream's test_runner.sh runs it: its function from
# test-libxdp.sh, as root, in a network and mount namespace of its own (upstream's runner
# does `unshare -n -m` too), so the veth pairs it creates under upstream's fixed names are
# private to it and vanish with it. Each namespace gets a fresh bpffs on /sys/fs/bpf.
# Exit 249 from a test means skipped, as in upstream's runner.
#
# Prints exactly one line per test on stdout:
#   RESULT <name> PASS|FAIL|SKIP <short reason>
# Everything else goes to UPSTREAM_LOGS (default T/logs)/<name>.log (build output: build.log there).
# Exit status 0 whatever the results; 2 when the script itself could not work.
#
# Environment: UPSTREAM_TEST_TIMEOUT (seconds per test, default 30).
set -uo pipefail

SKIPPED_TEST=249
self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
here=$(dirname "$self")

# ---- Inside a test's namespaces: `run-upstream-tests.sh --in-ns NAME` -------------------
# Runs upstream's test function NAME; SRC, T and (maybe) MEMLOCK_PRELOAD come from the
# environment.
if [ "${1:-}" = --in-ns ]; then
	name=$2
	# A bpffs of this namespace's own: pins made by one test are invisible to the host and
	# to the other tests. (test_xsk_prog_refcnt_legacy unmounts it again, by design.)
	mount -t bpf bpf /sys/fs/bpf || echo "could not mount a bpffs on /sys/fs/bpf"
	unset LIBXDP_OBJECT_PATH
	[ -z "${MEMLOCK_PRELOAD:-}" ] || export LD_PRELOAD=$MEMLOCK_PRELOAD
	export VERBOSE_TESTS=1
	# What upstream's test_runner.sh provides to the test definitions.
	check_run() {
		local ret
		echo "+ $*"
		"$@"
		ret=$?
		[ "$ret" -eq 0 ] || exit "$ret"
	}
	# shellcheck source=/dev/null
	source "$SRC/lib/libxdp/tests/test-libxdp.sh" || exit 2
	TESTS_DIR=$T
	"$name"
	exit $?
fi

usage() {
	echo "usage: $0 SRC LIBXDP_OUT T   (prepared tree, built library, output directory)" >&2
	exit 2
}
[ $# -eq 3 ] || usage
SRC=$(cd "$1" 2>/dev/null && pwd) || usage
OUT=$(cd "$2" 2>/dev/null && pwd) || usage
mkdir -p "$3" || exit 2
T=$(cd "$3" && pwd) || exit 2
logs=${UPSTREAM_LOGS:-$T/logs}
mkdir -p "$logs" || exit 2
tests_src=$SRC/lib/libxdp/tests
definitions=$tests_src/test-libxdp.sh
[ -f "$definitions" ] || { echo "$0: $definitions not found" >&2; exit 2; }
timeout_s=${UPSTREAM_TEST_TIMEOUT:-30}

result() { # name status reason...
	local name=$1 status=$2
	shift 2
	echo "RESULT $name $status $*"
}

# ---- Build -------------------------------------------------------------------------------
# -k: a program that does not build fails its own tests only.
make -k -j"$(nproc 2>/dev/null || echo 2)" --no-print-directory -f "$here/upstream.mk" \
	SRC="$SRC" LIBXDP_OUT="$OUT" T="$T" >"$logs/build.log" 2>&1
build_rc=$?

# The programs (and objects) each test of upstream's ALL_TESTS runs; absolute paths are the
# library's own files (without them the link tests would quietly use an installed libxdp).
declare -A needs=(
	[test_link_so]="$OUT/include/xdp/libxdp.h $OUT/lib/libxdp.so"
	[test_link_a]="$OUT/include/xdp/libxdp.h $OUT/lib/libxdp.a"
	[test_old_dispatcher]="check_kern_compat test_dispatcher_versions xdp_dispatcher_v1.o xdp_dispatcher_v2.o xdp_pass.o"
	[test_xdp_devbound]="check_kern_compat test_xdp_devbound"
	[test_xdp_frags]="check_kern_compat test_xdp_frags"
	[test_xsk_prog_refcnt_bpffs]="test_xsk_refcnt"
	[test_xsk_prog_refcnt_legacy]="test_xsk_refcnt"
	[test_xsk_non_privileged]="test_xsk_non_privileged"
	[test_link_detach]="test_link_detach xdp_pass.o"
	[test_xsk_umem_flags]="test_xsk_umem_flags"
)

all_tests=$(sed -n 's/^ALL_TESTS="\(.*\)"/\1/p' "$definitions")
[ -n "$all_tests" ] || { echo "$0: no ALL_TESTS in $definitions" >&2; exit 2; }

# ---- What this machine allows ------------------------------------------------------------
is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# Upstream's programs raise RLIMIT_MEMLOCK (to infinity, or to 32 MiB for their UMEMs) and
# give up when that fails. Where even root cannot (no CAP_SYS_RESOURCE, as in some
# containers), a preloaded setrlimit() sets the hard limit instead (tests/upstream/
# memlock_clamp.c); on kernels >= 5.11 BPF memory is not charged to the limit and root's
# CAP_IPC_LOCK exempts its UMEMs, so the tests do not need more.
cap_eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
has_sys_resource=$(( (0x${cap_eff:-0} >> 24) & 1 ))
memlock_hard=$(ulimit -H -l)  # KiB or "unlimited"
memlock_ok() { # KiB: can this process get RLIMIT_MEMLOCK that high?
	[ "$has_sys_resource" = 1 ] || [ "$memlock_hard" = unlimited ] || [ "$memlock_hard" -ge "$1" ]
}
MEMLOCK_PRELOAD=
if ! memlock_ok 9999999999 && [ -f "$T/memlock_clamp.so" ]; then
	MEMLOCK_PRELOAD=$T/memlock_clamp.so
fi

# Does libxdp's multiprog dispatcher load here? Asked once, for the skip reasons; each test
# asks again itself, as upstream's skip_if_missing_libxdp_compat does.
compat_note=
if [ "$is_root" = 1 ] && [ -x "$T/check_kern_compat" ]; then
	timeout -k 5 "$timeout_s" unshare --net --mount sh -c \
		'mount -t bpf bpf /sys/fs/bpf; exec "$1"' sh "$T/check_kern_compat" \
		>"$logs/check_kern_compat.log" 2>&1
	compat_rc=$?
	[ "$compat_rc" = 0 ] ||
		compat_note="kernel cannot run libxdp's multiprog dispatcher (check_kern_compat exit $compat_rc)"
fi

# ---- Run ---------------------------------------------------------------------------------
summary() { # log: "N subtests passed[, M skipped]" from the programs' own lines
	local log=$1 p s
	p=$(grep -cE '(:[[:space:]]*PASSED$)' "$log")
	s=$(grep -cE '(:[[:space:]]*SKIPPED$)' "$log")
	if [ "$p" -gt 0 ] || [ "$s" -gt 0 ]; then
		printf '%s subtests passed' "$p"
		[ "$s" = 0 ] || printf ', %s skipped' "$s"
	else
		printf 'ok'
	fi
	if grep -q '^memlock_clamp:' "$log"; then printf ' (RLIMIT_MEMLOCK clamped)'; fi
}

last_error() { # log: the last line worth quoting, shortened
	grep -vE '^\+ |^memlock_clamp:|^[[:space:]]*$' "$1" | tail -n 1 | cut -c1-100
}

skip_reason() { # name log
	case $1 in
	test_old_dispatcher|test_xdp_frags|test_xdp_devbound)
		echo "${compat_note:-check_kern_compat failed}" ;;
	test_link_detach)
		echo "kernel refused an XDP bpf_link: $(last_error "$2")" ;;
	test_link_so|test_link_a)
		echo "no C compiler" ;;
	*)
		echo "skipped by the test: $(last_error "$2")" ;;
	esac
}

cc_for_link_tests=${CC:-cc}
libbpf_cflags=$(pkg-config --cflags libbpf 2>/dev/null)
libbpf_libs=$(pkg-config --libs libbpf libelf zlib 2>/dev/null)

for name in $all_tests; do
	log=$logs/$name.log
	: >"$log"
	if [ -z "${needs[$name]+set}" ]; then
		result "$name" SKIP "not known to run-upstream-tests.sh"
		continue
	fi
	missing=
	for f in ${needs[$name]}; do
		case $f in /*) ;; *) f=$T/$f ;; esac
		[ -e "$f" ] || missing+=" ${f#"$T"/}"
	done
	if [ -n "$missing" ] && [ "$name" = test_xsk_non_privileged ] &&
		! pkg-config --exists libcap-ng; then
		result "$name" SKIP "libcap-ng-dev is not installed (upstream builds it only with libcap-ng)"
		continue
	fi
	if [ -n "$missing" ]; then
		echo "not built:$missing (make exit $build_rc)" >"$log"
		result "$name" FAIL "missing:$missing (see logs/build.log)"
		continue
	fi

	case $name in
	test_link_so|test_link_a)
		# Compile and link upstream's snippet against the library under test: the shared
		# one (-lxdp) or the static one (-l:libxdp.a). Needs no root.
		(
			SKIPPED_TEST=$SKIPPED_TEST
			# shellcheck source=/dev/null
			source "$definitions"
			CC=$cc_for_link_tests
			CFLAGS="-I$OUT/include $libbpf_cflags -L$OUT/lib"
			CPPFLAGS=
			LDLIBS=$libbpf_libs
			echo "+ $name with CC=$CC CFLAGS=$CFLAGS LDLIBS=$LDLIBS"
			"$name"
		) >"$log" 2>&1
		rc=$? ;;
	*)
		if [ "$is_root" != 1 ]; then
			result "$name" SKIP "needs root (namespaces, veth, XDP)"
			continue
		fi
		# Its unprivileged UMEM (32 MiB) is charged to RLIMIT_MEMLOCK once the program has
		# dropped CAP_IPC_LOCK; a lower limit that cannot be raised makes it fail with ENOBUFS.
		if [ "$name" = test_xsk_non_privileged ] && ! memlock_ok 32768; then
			echo "RLIMIT_MEMLOCK hard limit ${memlock_hard} KiB, no CAP_SYS_RESOURCE" >"$log"
			result "$name" SKIP "needs RLIMIT_MEMLOCK >= 32 MiB; hard limit here ${memlock_hard} KiB and no CAP_SYS_RESOURCE"
			continue
		fi
		SRC=$SRC T=$T MEMLOCK_PRELOAD=$MEMLOCK_PRELOAD \
			timeout -k 5 "$timeout_s" unshare --net --mount "$self" --in-ns "$name" \
			>"$log" 2>&1
		rc=$? ;;
	esac
	echo "exit status: $rc" >>"$log"

	case $rc in
	0) result "$name" PASS "$(summary "$log")" ;;
	"$SKIPPED_TEST") result "$name" SKIP "$(skip_reason "$name" "$log")" ;;
	124|137) result "$name" FAIL "timed out after ${timeout_s}s" ;;
	*) result "$name" FAIL "exit $rc: $(last_error "$log")" ;;
	esac
done
exit 0
