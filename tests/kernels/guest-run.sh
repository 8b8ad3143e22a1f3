#!/usr/bin/env bash
# Inside a guest booted by run-in-vm.sh: prepare what the tests expect of a machine, then run
# the command as root and leave its exit status in $GUEST_RC_FILE (when set) for the host.
#
#   guest-run.sh CMD...
#
# - a bpffs on /sys/fs/bpf (libxdp pins there);
# - /run/netns for `ip netns add` (the guest's /run is a fresh tmpfs);
# - RLIMIT_MEMLOCK unlimited (Linux < 5.11 charges BPF maps to it);
# - the modules the tests need loaded (veth), from /lib/modules/$(uname -r), which virtme-ng
#   points at the kernel's unpacked modules.
set -u

note() { echo "guest-run: $*" >&2; }

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || note "could not mount bpffs on /sys/fs/bpf"
mkdir -p /run/netns
ulimit -l unlimited || note "could not raise RLIMIT_MEMLOCK"
[ -d "/lib/modules/$(uname -r)" ] || note "/lib/modules/$(uname -r) is missing: modules will not load"
modprobe veth 2>/dev/null || note "modprobe veth failed"
# Where the tests look for tools (the guest inherits the host's root filesystem).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}

"$@"
rc=$?
if [ -n "${GUEST_RC_FILE:-}" ]; then
	echo "$rc" >"$GUEST_RC_FILE"
	sync
fi
exit $rc
