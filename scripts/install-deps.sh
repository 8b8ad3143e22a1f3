#!/usr/bin/env bash
# Install the Debian packages that the build, the demo and the tests need.
#
#   install-deps.sh            install the missing ones (root), or say which are missing
#   install-deps.sh --update   always run apt-get update first (CI on a fresh machine)
#
# make demo and make test run it first, so both work on a fresh Debian machine as root.
set -euo pipefail

packages=(
	ca-certificates debian-archive-keyring git make gcc libc6-dev
	clang llvm m4 libelf-dev zlib1g-dev pkg-config libclang-dev libbpf-dev
	iproute2 ethtool python3 python3-venv
	xdp-tools libxdp-dev libcap-ng-dev
	# make bench: perf counts the forwarders' syscalls (a tracepoint: it works without hardware
	# counters, and with a perf older than the running kernel)
	linux-perf
	# make test-kernels (tests/kernels/): the VM, its initramfs, modules.dep, the guest's ports,
	# and what virtiofsd (built from crates.io for the guest's root filesystem) links
	qemu-system-x86 busybox-static kmod udev libseccomp-dev
	# make deb (scripts/build-deb.sh): what Debian's xdp-tools source package builds with on
	# bookworm (any bpftool: build-deb.sh relaxes its version), and lintian for make test-deb
	dpkg-dev debhelper dh-package-notes bpftool libpcap-dev lintian
	# make test-apps (tests/apps/): Open vSwitch, whose ovs-vswitchd links libxdp.so.1
	openvswitch-switch
	# make bench (bench/rings --instr): instructions per descriptor of the ring operations
	valgrind
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ "${1:-}" = --update ] || [ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "install-deps: missing Debian packages: ${missing[*]}" >&2
	echo "install-deps: as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
[ ${#missing[@]} -gt 0 ] || exit 0

# openvswitch-switch's postinst starts the system's OVS service. The tests run a private OVS
# in a namespace of their own and need no system one: keep it from starting while we install
# (a policy-rc.d that denies, unless the machine has one already) and from starting at boot.
installing_ovs=0
[[ " ${missing[*]} " != *" openvswitch-switch "* ]] || installing_ovs=1
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ $installing_ovs = 1 ] && [ ! -e $policy ]; then
	printf '#!/bin/sh\n# install-deps.sh (xdp-netns): no services start during this install\nexit 101\n' >$policy
	chmod 755 $policy
	own_policy=1
	trap 'rm -f $policy' EXIT
fi
apt-get install -y -q --no-install-recommends "${missing[@]}"
[ $own_policy = 0 ] || { rm -f $policy; trap - EXIT; }
if [ $installing_ovs = 1 ] && [ -d /run/systemd/system ]; then
	systemctl disable --now openvswitch-switch.service ovsdb-server.service ovs-vswitchd.service ||
		echo "install-deps: could not disable the system's Open vSwitch service" >&2
fi
