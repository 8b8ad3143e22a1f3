# Process control shared by bench/run.sh and bench/scale.sh (sourced). They set $bench_name
# (the prefix of their messages) and $work (where a program NAME writes NAME and NAME.err).
# shellcheck shell=bash disable=SC2154 # bench_name and work come from the sourcing script

# Wait until the program writing $1 (pid $2, called $3) prints its "ready" line, or fail.
wait_ready() {
	local out=$1 pid=$2 name=$3
	for _ in $(seq 600); do
		grep -q '^ready' "$out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "$bench_name: $name did not start:" >&2
	cat "$out" "$out.err" >&2 || true
	exit 1
}

# Stop program $2 (pid $1; continued first, in case it was stopped) with SIGINT and wait for
# it; fail if it fails.
stop() {
	local pid=$1 name=$2 rc=0
	kill -CONT "$pid" 2>/dev/null || true
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "$bench_name: $name exited with $rc:" >&2
		cat "$work/$name" "$work/$name.err" >&2 || true
		exit 1
	fi
}

# What sink $1 (a pid, writing to file $2) has counted so far: it prints `count N` on SIGUSR1.
sink_count() {
	local pid=$1 file=$2 before
	before=$(grep -c '^count ' "$file" || true)
	kill -USR1 "$pid"
	for _ in $(seq 500); do
		if [ "$(grep -c '^count ' "$file" || true)" -gt "$before" ]; then
			sed -n 's/^count //p' "$file" | tail -1
			return 0
		fi
		sleep 0.01
	done
	echo "$bench_name: the sink writing $file does not answer" >&2
	return 1
}
