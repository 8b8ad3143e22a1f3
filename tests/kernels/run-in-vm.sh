#!/usr/bin/env bash
# Boot a pinned Debian kernel (kernels.conf) in a VM over the host's root filesystem and run a
# command in it as root.
#
#   run-in-vm.sh NAME -- CMD...
#   run-in-vm.sh --setup NAME     only get ready: the kernel, virtme-ng, the KVM probe (run it
#                                 once before guests that boot side by side)
#
# The guest sees the host's files read-only (virtme-ng; writes elsewhere go to a throw-away
# overlay), with these directories writable and shared with the host: the repository's
# build/kern and build/kernels, plus each directory of VM_RWDIRS (space separated). The
# command starts in the current directory, through tests/kernels/guest-run.sh (bpffs,
# /run/netns, RLIMIT_MEMLOCK, veth). Its output comes back on stdout/stderr and its exit
# status is this script's. The guest's environment has XDP_NETNS_VM_ACCEL=kvm|tcg.
#
# Environment:
#   VM_ACCEL   kvm | tcg | auto (default): auto boots a short probe with KVM once per host
#              kernel (cached in build/kernels/accel) and falls back to TCG when it fails or
#              hangs (VM_PROBE_TIMEOUT seconds, default 30)
#   VM_MEMORY  guest memory (default 2G); VM_CPUS (default: the host's, at most 4)
#   VM_TIMEOUT seconds before the VM is killed (default 3600)
#   VM_APPEND  kernel command line additions (none by default; mitigations=off measured no
#              faster under TCG, where fork and exec dominate: 130-190 ms each on 5.10, 65 on 6.12)
#   VNG        the vng to use (default: a pinned virtme-ng in build/venv-vng, made on demand)
#   VM_ROOTFS  virtiofs (default) | 9p: how the guest sees the host's files. virtiofs comes
#              from virtiofsd, which Debian 12 does not package: a pinned version is built
#              from crates.io once (cargo install --locked, about 80 s) into the cache,
#              ${XDG_CACHE_HOME:-~/.cache}/xdp-netns/virtiofsd-VERSION. With it the guest caches
#              file contents; over 9p (no cache) every exec reads its binary and libraries from
#              the host again: 260 ms for /bin/true on 5.10 under TCG, 65 ms over virtiofs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
VIRTME_NG_VERSION=1.42
venv=$top/build/venv-vng
kernels_dir=$top/build/kernels

die() {
	printf 'run-in-vm: %s\n' "$@" >&2
	exit 2
}

setup_only=0
if [ "${1:-}" = --setup ]; then
	setup_only=1
	shift
fi
name=${1:?usage: run-in-vm.sh [--setup] NAME -- CMD...}
shift
if [ $setup_only = 0 ]; then
	[ "${1:-}" = -- ] || die "usage: run-in-vm.sh NAME -- CMD..."
	shift
	[ $# -gt 0 ] || die "usage: run-in-vm.sh NAME -- CMD..."
fi

[ "$(id -u)" = 0 ] || die "needs root (the guest runs as root over the host's filesystem)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"
for tool in busybox depmod; do
	command -v "$tool" >/dev/null ||
		die "$tool is missing (make deps: busybox-static, kmod)"
done

# virtme-ng, pinned, from PyPI into a venv of its own.
if [ -z "${VNG:-}" ]; then
	VNG=$venv/bin/vng
	if [ ! -x "$VNG" ] || [ "$("$VNG" --version 2>/dev/null)" != "virtme-ng $VIRTME_NG_VERSION" ]; then
		echo "run-in-vm: installing virtme-ng $VIRTME_NG_VERSION into $venv" >&2
		python3 -m venv "$venv" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
		"$venv/bin/pip" install -q "virtme-ng==$VIRTME_NG_VERSION" >&2 ||
			die "pip install virtme-ng==$VIRTME_NG_VERSION failed"
	fi
fi
# vng runs virtme-run from PATH.
PATH=$(dirname "$VNG"):$PATH

# virtiofsd, pinned, for virtme-ng to export the root filesystem over virtio-fs (it finds it
# on PATH, else falls back to 9p).
VIRTIOFSD_VERSION=1.14.0
rootfs=${VM_ROOTFS:-virtiofs}
case $rootfs in
virtiofs)
	vfsd_root=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/xdp-netns/virtiofsd-$VIRTIOFSD_VERSION
	if [ ! -x "$vfsd_root/bin/virtiofsd" ]; then
		echo "run-in-vm: building virtiofsd $VIRTIOFSD_VERSION from crates.io into $vfsd_root" >&2
		cargo install -q --locked --root "$vfsd_root" "virtiofsd@$VIRTIOFSD_VERSION" >&2 ||
			die "building virtiofsd failed (make deps: libcap-ng-dev, libseccomp-dev; or VM_ROOTFS=9p)"
	fi
	PATH=$vfsd_root/bin:$PATH
	;;
9p) ;;
*) die "VM_ROOTFS=$rootfs: use virtiofs or 9p" ;;
esac

kdir=$("$here/fetch-kernel.sh" "$name")
kimg=$(find "$kdir/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
[ -n "$kimg" ] || die "no boot/vmlinuz-* in $kdir"

mkdir -p "$top/build/kern" "$kernels_dir"
rwdirs=("$top/build/kern" "$kernels_dir")
for d in ${VM_RWDIRS:-}; do rwdirs+=("$(cd "$d" && pwd)"); done

memory=${VM_MEMORY:-2G}
cpus=${VM_CPUS:-$(nproc)}
[ "$cpus" -le 4 ] || cpus=4

vng_args=(--run "$kimg" --user root --memory "$memory" --cpus "$cpus")
[ "$rootfs" = virtiofs ] || vng_args+=(--force-9p)
for d in "${rwdirs[@]}"; do vng_args+=(--rwdir "$d"); done

# KVM or TCG. Some hosts expose /dev/kvm but a guest never boots (it hangs, or qemu fails to
# set an MSR): a short probe decides, once per host kernel.
accel=${VM_ACCEL:-auto}
if [ "$accel" = auto ]; then
	cache=$kernels_dir/accel
	key="$(uname -r) $(id -un)"
	if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$key" ]; then
		accel=$(sed -n 2p "$cache")
	else
		accel=tcg
		if [ -w /dev/kvm ]; then
			probe_log=$kernels_dir/kvm-probe.log
			echo "run-in-vm: probing KVM (${VM_PROBE_TIMEOUT:-30} s at most)" >&2
			if timeout -k 5 "${VM_PROBE_TIMEOUT:-30}" "$VNG" "${vng_args[@]}" \
				--exec 'echo XDP_NETNS_KVM_PROBE_OK' </dev/null >"$probe_log" 2>&1 &&
				grep -q XDP_NETNS_KVM_PROBE_OK "$probe_log"; then
				accel=kvm
			fi
		fi
		echo "run-in-vm: using $accel" >&2
		printf '%s\n%s\n' "$key" "$accel" >"$cache"
	fi
fi
case $accel in
kvm) ;;
tcg) vng_args+=(--disable-kvm) ;;
*) die "VM_ACCEL=$accel: use kvm, tcg or auto" ;;
esac
[ -z "${VM_APPEND:-}" ] || vng_args+=(--append "$VM_APPEND")
[ $setup_only = 0 ] || exit 0

# The exit status also comes back through a file, in case the guest's script port fails.
rc_file=$(mktemp "$top/build/kern/vm-rc.XXXXXX")
trap 'rm -f "$rc_file"' EXIT
guest_cmd="XDP_NETNS_VM_ACCEL=$accel GUEST_RC_FILE=$(printf %q "$rc_file") $(printf %q "$here/guest-run.sh")"
guest_cmd+=$(printf ' %q' "$@")

# qemu reopens /proc/self/fd/1 and 2 for the guest's ports: on a regular file that starts at
# offset 0 and two ports overwrite each other, so hand it pipes.
set +e
timeout -k 10 "${VM_TIMEOUT:-3600}" "$VNG" "${vng_args[@]}" --cwd "$PWD" --exec "$guest_cmd" \
	</dev/null > >(cat) 2> >(cat >&2)
rc=$?
wait
set -e
guest_rc=$(cat "$rc_file" 2>/dev/null || true)
if [ -n "$guest_rc" ]; then
	exit "$guest_rc"
fi
echo "run-in-vm: the command left no exit status (vng exit $rc): the guest did not boot or was killed" >&2
[ "$rc" = 0 ] && rc=1
exit "$rc"
