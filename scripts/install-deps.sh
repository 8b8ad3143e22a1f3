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
	# make test-kernels (tests/kernels/): the VM, its initramfs, modules.dep, the guest's ports,
	# and what virtiofsd (built from crates.io for the guest's root filesystem) links
	qemu-system-x86 busybox-static kmod udev libseccomp-dev
	# make deb (scripts/build-deb.sh): what Debian's xdp-tools source package builds with on
	# bookworm (any bpftool: build-deb.sh relaxes its version), and lintian for make test-deb
	dpkg-dev debhelper dh-package-notes bpftool libpcap-dev lintian
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
[ ${#missing[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${missing[@]}"
