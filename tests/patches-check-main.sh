#!/usr/bin/env bash
# Prove that patches/upstream-main/ is ready for upstream's main branch:
#   - it applies with `git am` to (a clone of) an xdp-tools tree, at its HEAD;
#   - after every patch, the tree builds with upstream's own build (./configure; make) and
#     flags, plus -Werror;
#   - upstream's `make test` of lib/libxdp (its libxdp tests, ours among them) passes after
#     the last patch as it did after the first (no regression), every test the series adds
#     passes, and each of those fails on the tree without the fixes (the first patch, which
#     only makes main build, plus the test patches);
#   - checkpatch.pl --no-tree finds no error in any patch, and no warning that
#     patches/upstream-main/checkpatch-explained.txt does not explain.
#
#   patches-check-main.sh WORKDIR UPSTREAM_MAIN
#
# UPSTREAM_MAIN: a git tree (path or anything `git clone` takes) of xdp-tools with main
# checked out; empty: the check says why it skips and exits 0. UPSTREAM_REF picks another
# commit of it. libbpf: the system's (Debian's libbpf-dev, found by upstream's configure) or
# the tree's lib/libbpf submodule if it is checked out; nothing is fetched from GitHub.
# Root is needed for upstream's tests (network namespaces, XDP); without it they are skipped
# and said to be.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
series_dir=$top/patches/upstream-main
explained=$series_dir/checkpatch-explained.txt
upstream=${2:-}

say() { echo "patches-check-main: $*"; }
fail() {
	echo "patches-check-main: FAIL: $*" >&2
	exit 1
}

if [ -z "$upstream" ]; then
	say "SKIP: UPSTREAM_MAIN is not set. Give a git tree of xdp-tools main (GitHub is not" \
		"reachable from here), e.g. make patches-check-main UPSTREAM_MAIN=/path/to/xdp-tools"
	exit 0
fi

work=$(realpath -m "$1")
rm -rf "$work"
mkdir -p "$work"
tree=$work/src
logs=$work/logs
mkdir -p "$logs"

mapfile -t series < <(find "$series_dir" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
	! -name '0000-*' | sort)
[ ${#series[@]} -gt 0 ] || fail "no patches in $series_dir"
slug() { basename "$1" .patch | cut -c6-; }
# A test patch touches lib/libxdp/tests/ only.
is_test_patch() {
	! grep -E '^diff --git a/' "$1" | grep -qvE '^diff --git a/lib/libxdp/tests/'
}

# ---- checkpatch, fetched first: a failed download should not cost a build --------------
checkpatch_dir=$("$top/tests/checkpatch-fetch.sh" "${CHECKPATCH_CACHE:-$top/build/checkpatch}") ||
	fail "could not get checkpatch.pl"

# ---- The tree ------------------------------------------------------------------------------
git clone -q "$upstream" "$tree" || fail "cannot clone $upstream"
g() { git -C "$tree" -c user.name=patches-check-main -c user.email=check@xdp-netns.invalid "$@"; }
g checkout -q --detach "${UPSTREAM_REF:-HEAD}"
base=$(g rev-parse HEAD)
recorded=$(cat "$series_dir/BASE" 2>/dev/null || echo none)
say "upstream: $base ($(g log -1 --format='%cs %s' "$base"))"
[ "$base" = "$recorded" ] || say "note: the series was made on $recorded; checking it on $base"

# Upstream's flags (its default CFLAGS, -O2 -g, to which its makefiles add theirs) plus
# -Werror, which its makefiles add too today: said twice, it stays if they ever drop it.
export CFLAGS="-O2 -g -Werror"
(cd "$tree" && ./configure) >"$logs/configure.log" 2>&1 ||
	{ tail -n 20 "$logs/configure.log"; fail "upstream's ./configure (log: $logs/configure.log)"; }
if grep -q '^SYSTEM_LIBBPF:=y' "$tree/config.mk"; then
	say "libbpf: the system's, $(sed -n 's/^LIBBPF_VERSION=//p' "$tree/config.mk")"
else
	say "libbpf: the tree's lib/libbpf submodule"
fi

build() { # log name
	nice -n 10 make -C "$tree" -j"$(nproc)" >"$logs/$1" 2>&1
}
first_error() {
	grep -m1 -E 'error:|Error [0-9]' "$1" || tail -n 1 "$1"
}

if build build-base.log; then
	say "base: builds as it is"
else
	say "base: does not build ($(first_error "$logs/build-base.log"))"
fi

# ---- upstream's libxdp tests ---------------------------------------------------------------
# Upstream's programs raise RLIMIT_MEMLOCK and stop when they cannot; where root lacks
# CAP_SYS_RESOURCE (containers), a preloaded setrlimit() sets the hard limit instead (see
# tests/upstream/memlock_clamp.c).
memlock_preload=
cap_eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
if [ $(((0x${cap_eff:-0} >> 24) & 1)) = 0 ] && [ "$(ulimit -H -l)" != unlimited ]; then
	memlock_preload=$work/memlock_clamp.so
	cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$memlock_preload" \
		"$top/tests/upstream/memlock_clamp.c" -ldl || fail "cannot build memlock_clamp.so"
fi

# run_tests TREE LOG [TESTS...]: upstream's runner; prints "NAME PASS|FAIL|SKIP" lines.
run_tests() {
	local dir=$1 log=$2
	shift 2
	LD_PRELOAD=$memlock_preload nice -n 10 timeout -k 10 900 \
		make -C "$dir/lib/libxdp" test V=1 ${1:+"RUN_TESTS=$*"} >"$log" 2>&1 || true
	sed -nE 's/^[[:space:]]*\[([a-z0-9_]+)\][[:space:]]+(PASS|FAIL|SKIPPED)$/\1 \2/p' "$log" |
		sed 's/ SKIPPED$/ SKIP/'
}
all_tests() { # TREE: upstream's list of libxdp tests, as its runner reads it
	# shellcheck disable=SC2016 # expanded by the inner bash
	bash -c 'source "$1" >/dev/null 2>&1; echo $ALL_TESTS' _ "$1/lib/libxdp/tests/test-libxdp.sh" |
		tr ' ' '\n'
}
is_root=0
[ "$(id -u)" = 0 ] && is_root=1

# ---- Every prefix --------------------------------------------------------------------------
before=
first_commit=
test_commits=()
for p in "${series[@]}"; do
	name=$(basename "$p")
	g am -q "$p" >"$logs/am.log" 2>&1 ||
		{ cat "$logs/am.log"; fail "$name does not apply with git am"; }
	build "build-$name.log" ||
		{ tail -n 30 "$logs/build-$name.log"; fail "the tree does not build after $name (log: $logs/build-$name.log)"; }
	say "ok: applies and builds after $name"
	if [ -z "$first_commit" ]; then
		first_commit=$(g rev-parse HEAD)
		[ "$is_root" = 0 ] || before=$(run_tests "$tree" "$logs/test-first.log")
	fi
	if is_test_patch "$p"; then
		test_commits+=("$(g rev-parse HEAD)")
	fi
done
say "${#series[@]} patches apply with git am and every prefix builds with -Werror"

# ---- Tests after the last patch, against the first ---------------------------------------
problems=0
if [ "$is_root" = 0 ]; then
	say "SKIP: upstream's libxdp tests need root"
else
	after=$(run_tests "$tree" "$logs/test-last.log")
	[ -n "$after" ] || { tail -n 30 "$logs/test-last.log"; fail "upstream's make test ran no test"; }
	new_tests=()
	printf '%-32s %-8s %-8s %s\n' "upstream libxdp test" first last verdict
	for t in $(all_tests "$tree"); do
		a=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$after")
		b=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$before")
		if [ -z "$b" ]; then
			new_tests+=("$t")
			verdict=ok
			[ "$a" = PASS ] || { verdict="NEW TEST DOES NOT PASS"; problems=$((problems + 1)); }
			b=new
		elif [ "$b" = PASS ] && [ "$a" != PASS ]; then
			# Some of upstream's tests look at the whole system (test_xsk_map_leak counts
			# every BPF map on it), so another process's maps can fail them: two more runs
			# tell a flake, which is shown, from a regression, which fails every time.
			verdict=REGRESSION
			for rerun in 1 2; do
				r=$(run_tests "$tree" "$logs/test-last-$t-rerun$rerun.log" "$t" | awk '{ print $2 }')
				if [ "$r" = PASS ]; then
					verdict="ok (FLAKY: failed once, passed on rerun $rerun; $logs/test-last.log)"
					break
				fi
			done
			[ "$verdict" != REGRESSION ] || problems=$((problems + 1))
		elif [ "$a" = PASS ]; then
			verdict=ok
		elif [ "$a" = SKIP ] && [ "$b" = SKIP ]; then
			verdict="skipped before and after"
		else
			verdict="not passing before either, not a regression ($logs/test-last.log)"
		fi
		printf '%-32s %-8s %-8s %s\n' "$t" "$b" "${a:-none}" "$verdict"
	done

	# The new tests on the tree without the fixes: the first patch and the test patches.
	if [ ${#new_tests[@]} -gt 0 ]; then
		without=$work/without-fixes
		git -c advice.detachedHead=false -c init.defaultBranch=main clone -q "$tree" "$without"
		git -C "$without" -c advice.detachedHead=false checkout -q --detach "$first_commit"
		for c in "${test_commits[@]}"; do
			git -C "$without" -c user.name=patches-check-main -c user.email=check@xdp-netns.invalid \
				cherry-pick "$c" >"$logs/cherry-pick.log" 2>&1 ||
				{ cat "$logs/cherry-pick.log"; fail "test commit $(g log -1 --format=%s "$c") does not apply without the fixes"; }
		done
		cp "$tree/config.mk" "$without/config.mk"
		without_results=$(run_tests "$without" "$logs/test-without-fixes.log" "${new_tests[@]}")
		printf '%-32s %-14s %s\n' "new test" "without fixes" verdict
		for t in "${new_tests[@]}"; do
			w=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$without_results")
			if [ "$w" = FAIL ]; then
				verdict="ok (fails without the fixes)"
			else
				verdict="DOES NOT FAIL WITHOUT THE FIXES"
				problems=$((problems + 1))
			fi
			printf '%-32s %-14s %s\n' "$t" "${w:-none}" "$verdict"
		done
	fi
fi

# ---- checkpatch ----------------------------------------------------------------------------
# Run inside the tree, so that commit ids in Fixes: tags and messages are looked up in its
# history. Explained warnings: "SLUG TYPE COUNT reason", SLUG the patch's file name without
# its number and .patch; the count must match exactly.
cp_problems=0
for p in "${series[@]}"; do
	s=$(slug "$p")
	# checkpatch exits 1 on any finding; the findings are judged below.
	out=$(cd "$tree" || exit 2
		perl "$checkpatch_dir/checkpatch.pl" --no-tree --show-types --terse -q "$p" || :)
	errors=$(grep -c ': ERROR:' <<<"$out" || true)
	if [ "$errors" -gt 0 ]; then
		grep ': ERROR:' <<<"$out" >&2
		cp_problems=$((cp_problems + errors))
	fi
	while read -r type count; do
		[ -n "$type" ] || continue
		allowed=$(awk -v s="$s" -v t="$type" '$1 == s && $2 == t { print $3 }' "$explained" 2>/dev/null)
		if [ "${allowed:-0}" != "$count" ]; then
			grep ": WARNING:$type:" <<<"$out" >&2
			echo "checkpatch: $(basename "$p"): $count x WARNING:$type, explained: ${allowed:-0}" >&2
			cp_problems=$((cp_problems + 1))
		fi
	done < <(sed -nE 's/.*: WARNING:([A-Z_0-9]+):.*/\1/p' <<<"$out" | sort | uniq -c | awk '{ print $2, $1 }')
	# An explanation for a warning that no longer occurs is stale.
	while read -r type count; do
		grep -q ": WARNING:$type:" <<<"$out" ||
			{ echo "checkpatch: $explained: $s $type is explained but not reported" >&2; cp_problems=$((cp_problems + 1)); }
	done < <(awk -v s="$s" '$1 == s { print $2, $3 }' "$explained" 2>/dev/null)
done
if [ "$cp_problems" -gt 0 ]; then
	problems=$((problems + cp_problems))
	say "checkpatch: $cp_problems problem(s)"
else
	say "checkpatch: no errors, no unexplained warnings in ${#series[@]} patches"
fi

[ "$problems" = 0 ] || fail "$problems problem(s) above (logs: $logs)"
say "PASS: ${#series[@]} patches on $base"
