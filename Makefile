# xdp-netns: patched libxdp (xdp-tools 1.6.3 + patches/) as a drop-in C library and Rust crates.
#
#   make               fetch + patch upstream, build the drop-in library under build/out
#   make demo          build everything and run the demo (root): txonly -> forward -> rxdrop
#   make demo-seed     the seed scenario in C: sockets on equal-ifindex devices, one UMEM
#   make test          the whole suite (root for the namespace tests)
#   make regressions   each patch's regression test, pristine v1.6.3 against patched, as a table
#   make bench         benchmarks, Rust against C against the kernel (root; see bench/README.md)
#   make install       install the drop-in library (PREFIX=/usr/local DESTDIR=)
#   make deb           Debian packages libxdp1, libxdp-dev, xdp-tools 1.6.3-1+netns1 in build/deb
#                      (from Debian's own xdp-tools 1.6.3-1 source package and patches/)
#   make test-deb      install them over the distribution's, run the compatibility and seed tests
#                      against the system library, put the distribution's back (root)
#   make patches       regenerate patches/ from the git tree in build/src
#   make patches-check prove the series applies with git am and every prefix compiles
#   make source-main UPSTREAM_MAIN=TREE   build/src-main: upstream main + patches/upstream-main
#   make patches-main  regenerate patches/upstream-main/ from build/src-main
#   make patches-check-main UPSTREAM_MAIN=TREE  the series for upstream main: git am, every
#                      prefix builds (-Werror), upstream's libxdp tests, checkpatch
#   make test-kernels-main  after patches-check-main: repro.sh and upstream's libxdp tests,
#                      without the fixes and with the series, on kernels in VMs (KERNELS=)
#   make test-fault    fault injection: the N-th call of each function fails, pristine against patched
#   make test-apps     real AF_XDP applications (Debian's Open vSwitch, afxdp ports) on the
#                      distribution's libxdp and on ours, as a table (root)
#   make test-rust-noop  a second cargo build compiles nothing and runs no build script
#   make test-xsk-rs   xsk-rs' own test suite (from crates.io) on our libxdp-sys, and
#                      test-xsk-rs-netns (root)
#   make test-xsk-rs-netns  xsk-rs 0.8 across namespaces, published libxdp-sys against ours (root)
#   make test-rust-api the root of libxdp-sys has every item of the published libxdp-sys 0.2.4, but
#                      those tests/rust-consumers/api-parity.allow lists with a reason
#   make test-rust-package  the shipped bindings are bindgen's; docs build as on docs.rs; cargo
#                      package and publish --dry-run of both crates offline; the MSRV builds them
#   make test-kernels  the regression table and the Rust namespace tests on pinned Debian kernels
#                      in VMs (root; KERNELS="5.10 6.12" picks; see tests/kernels/matrix.sh)

BUILD ?= build
SRC := $(BUILD)/src
OUT := $(BUILD)/out
# Unpatched upstream, built the same way, for the pristine-vs-patched comparison.
PRISTINE_SRC := $(BUILD)/pristine
PRISTINE_OUT := $(BUILD)/out-pristine
PREFIX ?= /usr/local
CARGO ?= cargo

LIB_MAKE = $(MAKE) --no-print-directory -f libxdp/build.mk

.PHONY: all deps lib pristine-lib source demo demo-seed test test-c test-rust test-rust-noop test-xsk-rs \
	test-rust-api test-rust-package test-xsk-rs-netns \
	regressions lint install patches patches-check clean deb test-deb
all: lib

# The Debian packages the build and the tests need (installs the missing ones as root).
deps:
	@./scripts/install-deps.sh

# prepare-source.sh is cheap when nothing changed, so it runs every time.
source:
	@./libxdp/prepare-source.sh $(SRC)

lib: source
	@$(LIB_MAKE) SRC=$(SRC) OUT=$(OUT) PREFIX=$(PREFIX)

pristine-lib:
	@./libxdp/prepare-source.sh --pristine $(PRISTINE_SRC)
	@$(LIB_MAKE) SRC=$(PRISTINE_SRC) OUT=$(PRISTINE_OUT) PREFIX=$(PREFIX)

install: source
	@$(LIB_MAKE) SRC=$(SRC) OUT=$(OUT) PREFIX=$(PREFIX) install

demo: deps
	@$(MAKE) --no-print-directory lib
	@./tests/demo-forward.sh

demo-seed: lib
	@$(TESTS_MAKE) demo

test: deps
	@$(MAKE) --no-print-directory lint patches-check test-c test-deb regressions test-fault bench-smoke \
		test-rust test-rust-noop test-rust-api test-rust-package test-xsk-rs test-apps

test-c: lib
	@$(TESTS_MAKE) test

TESTS_MAKE = $(MAKE) --no-print-directory -C tests BUILD=$(abspath $(BUILD))

# scripts/build-deb.sh is cheap when nothing changed (a stamp on the tarballs and the series).
deb:
	@./scripts/build-deb.sh $(BUILD)/deb

# Builds the packages itself, as root only (without root it says SKIP).
test-deb:
	@./tests/deb-test.sh $(BUILD)

regressions: lib pristine-lib
	@$(TESTS_MAKE) regress-bins
	@$(TESTS_MAKE) regress-bins LIBXDP_OUT=$(abspath $(PRISTINE_OUT)) \
		LIBXDP_SRC=$(abspath $(PRISTINE_SRC))
	@./tests/regressions.sh $(BUILD)

test-rust: source
	$(CARGO) test --workspace --all-targets

# With nothing changed, a second cargo build compiles nothing and runs no build script.
test-rust-noop:
	@CARGO=$(CARGO) ./tests/rust-noop-build.sh

# The published libxdp-sys (fetched and built at test time into build/api-parity: a minute the
# first time, seconds after) against ours, item by item; fails on a difference the allow-list
# does not give a reason for, and checks that it fails with an item removed.
test-rust-api:
	@CARGO=$(CARGO) ./tests/rust-consumers/api-parity.sh

# libxdp-sys' shipped bindings against bindgen's, the docs as docs.rs builds them, cargo package
# and publish --dry-run of both crates (offline, each built from its .crate), and a build with
# the workspace's rust-version (rustup installs it). Own target directories in
# build/package-check: 2.5 minutes the first time, 10-25 s after.
test-rust-package:
	@CARGO=$(CARGO) ./tests/rust-consumers/package-check.sh

# xsk-rs' own suite (fetched from crates.io at test time) on our libxdp-sys via [patch.crates-io]
# (root; its tests make a veth pair, in a network namespace of their own): 0.8 asks for
# libxdp-sys 0.2.2, 0.11 (the latest) for 0.2.4 and has the most tests.
XSK_RS_VERSIONS ?= 0.8.0 0.11.0
test-xsk-rs: test-xsk-rs-netns
	@for v in $(XSK_RS_VERSIONS); do \
		CARGO=$(CARGO) XSK_RS_VERSION=$$v ./tests/rust-consumers/xsk-rs.sh || exit 1; \
	done

# Cross-namespace scenarios written against xsk-rs 0.8's API (tests/rust-consumers/xsk-rs-netns/),
# on the published libxdp-sys and on ours, as a table: must fail on the published one and pass
# on ours (root; SKIP otherwise).
test-xsk-rs-netns:
	@CARGO=$(CARGO) ./tests/rust-consumers/xsk-rs-netns.sh

lint:
	$(CARGO) fmt --all --check
	rustfmt --check --edition 2021 tests/rust-consumers/xsk-rs-netns/src/main.rs
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	./tests/actionlint.sh

# Turn the commits on top of the pristine tag in build/src into patches/ (the cover letter's
# subject and text are written by hand and kept; its shortlog and diffstat are refreshed).
patches:
	@./libxdp/format-patches.sh $(SRC) patches

patches-check:
	@./tests/patches-check.sh $(BUILD)/patches-check

# The series for upstream's main branch (patches/upstream-main/, see its PULL_REQUEST.md).
# UPSTREAM_MAIN: a git tree of xdp-tools main (no GitHub at run time); without it the check
# says so and skips. Patches are from whoever runs patches-main (git config user.name/email;
# PATCH_IDENT="Name <email>" overrides), as for `make patches`.
UPSTREAM_MAIN ?=
SRC_MAIN := $(BUILD)/src-main
.PHONY: source-main patches-main patches-check-main test-kernels-main
source-main:
	@./libxdp/prepare-main.sh "$(UPSTREAM_MAIN)" $(SRC_MAIN)

patches-main:
	@./libxdp/format-patches.sh --base upstream-main $(SRC_MAIN) patches/upstream-main

patches-check-main:
	@./tests/patches-check-main.sh $(BUILD)/patches-check-main "$(UPSTREAM_MAIN)"

test-kernels-main:
	@PATCHES_CHECK_MAIN_DIR=$(abspath $(BUILD))/patches-check-main ./tests/kernels/upstream-main.sh

clean:
	rm -rf $(OUT) $(BUILD)/out-* $(BUILD)/patches-check $(BUILD)/tests

# Benchmarks (root; not part of `make test`): bench/run.sh builds what it needs. `bench` writes
# bench/results/results-DATE.json and chart.png; `bench-smoke` runs one short round of each into
# build/bench/ (checks that the benchmarks build and run; its figures mean nothing).
.PHONY: bench bench-smoke test-kernels test-fault test-apps
bench:
	@./bench/run.sh

bench-smoke:
	@./bench/run.sh --quick

# The kernel matrix (root): builds into build/kern, boots each kernel of tests/kernels/kernels.conf
# once; table in build/kernels/matrix.txt.
test-kernels: deps
	@./tests/kernels/matrix.sh

# The fault-injection table (tests/fault/run.sh): every function x N x variant, pristine and patched.
test-fault: lib pristine-lib
	@./tests/fault/run.sh $(BUILD)

# Unmodified applications of others on the drop-in library (root; tests/apps/): Open vSwitch's
# ovs-vswitchd with afxdp ports, once on the distribution's libxdp.so.1 and once on ours.
test-apps: lib
	@$(TESTS_MAKE) apps-bins
	@./tests/apps/ovs-afxdp.sh $(BUILD)
