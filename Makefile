# xdp-netns: patched libxdp (xdp-tools 1.6.3 + patches/) as a drop-in C library and Rust crates.
#
#   make               fetch + patch upstream, build the drop-in library under build/out
#   make demo          build everything and run the demo (root)
#   make test          the whole suite (root for the namespace tests)
#   make install       install the drop-in library (PREFIX=/usr/local DESTDIR=)
#   make patches       regenerate patches/ from the git tree in build/src
#   make patches-check prove the series applies with git am and every prefix compiles

BUILD ?= build
SRC := $(BUILD)/src
OUT := $(BUILD)/out
# Unpatched upstream, built the same way, for the pristine-vs-patched comparison.
PRISTINE_SRC := $(BUILD)/pristine
PRISTINE_OUT := $(BUILD)/out-pristine
PREFIX ?= /usr/local
CARGO ?= cargo
export CARGO_TARGET_DIR ?= $(CURDIR)/target

LIB_MAKE = $(MAKE) --no-print-directory -f libxdp/build.mk

.PHONY: all lib pristine-lib source demo test test-c test-rust lint install patches patches-check clean
all: lib

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

demo: lib
	@$(MAKE) --no-print-directory -C tests demo BUILD=$(abspath $(BUILD))

test: lint patches-check test-c test-rust

test-c: lib
	@$(MAKE) --no-print-directory -C tests test BUILD=$(abspath $(BUILD))

test-rust: source
	$(CARGO) test --workspace --all-targets

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	./tests/actionlint.sh

# Turn the commits on top of the pristine tag in build/src into patches/ (the cover letter
# 0000-cover-letter.patch is written by hand and kept).
patches: source
	@find patches -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' -delete
	@git -C $(SRC) format-patch -q --no-signature --zero-commit -N -o $(CURDIR)/patches \
		v$$(sed -ne 's/^XDP_TOOLS_VERSION=//p' libxdp/upstream.conf)..HEAD
	@ls patches

patches-check:
	@./tests/patches-check.sh $(BUILD)/patches-check

clean:
	rm -rf $(OUT) $(BUILD)/out-* $(BUILD)/patches-check $(BUILD)/tests
