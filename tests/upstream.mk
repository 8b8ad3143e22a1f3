# Build upstream's own libxdp test programs (lib/libxdp/tests of the fetched xdp-tools tree)
# against one build of the library.
#
#   make -f tests/upstream.mk SRC=/abs/prepared/tree LIBXDP_OUT=/abs/out T=/abs/output/dir
#
# SRC is a tree made by libxdp/prepare-source.sh (build/src or build/pristine): the test
# sources are compiled from there and never copied into this repository. LIBXDP_OUT is a
# tree made by libxdp/build.mk. Everything is written below T. tests/run-upstream-tests.sh
# builds with this file and runs the programs.
#
# Every program is linked against LIBXDP_OUT/lib/libxdp.a, as upstream's tests Makefile does
# by default (DYNAMIC_LIBXDP unset): check_kern_compat and test_dispatcher_versions call
# internal functions (libxdp_check_kern_compat, xdp_attach_fd) that libxdp.so does not
# export, and the static library carries libxdp's own BPF objects (xdp-dispatcher.o,
# xsk_def_xdp_prog*.o) inside, so what runs is exactly the library under test whatever
# LD_LIBRARY_PATH or installed libxdp says. The tests' own BPF objects (xdp_pass.o,
# xdp_dispatcher_v1.o, xdp_dispatcher_v2.o) are built into T and found through
# LIBXDP_OBJECT_PATH=T, as upstream's test-libxdp.sh sets it to the tests directory.
#
# Upstream code, so no -Werror (upstream's own build uses it; a newer compiler must not
# turn a warning in their tests into a failure of ours).

SRC ?=
LIBXDP_OUT ?=
T ?=

CC ?= cc
CLANG ?= clang
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g

HERE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TOP := $(abspath $(HERE)/..)
TESTS_SRC := $(SRC)/lib/libxdp/tests

ifneq ($(MAKECMDGOALS),clean)
ifeq ($(and $(SRC),$(LIBXDP_OUT),$(T)),)
$(error usage: make -f tests/upstream.mk SRC=<prepared tree> LIBXDP_OUT=<built lib dir> T=<output dir>)
endif
ifeq ($(wildcard $(TESTS_SRC)/test_xsk_refcnt.c),)
$(error $(SRC) holds no upstream lib/libxdp/tests; run libxdp/prepare-source.sh first)
endif
endif

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf libelf zlib)
LIBBPF_VERSION := $(shell $(PKG_CONFIG) --modversion libbpf)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
ARCH_INCLUDES := $(if $(MULTIARCH),$(if $(wildcard /usr/include/$(MULTIARCH)),-I/usr/include/$(MULTIARCH)))

# The defines libxdp itself is built with (libxdp/build.mk), except that the tests' fallback
# object path (test_utils.c) is T, where their BPF objects are.
DEFINES := $(foreach d,$(shell sed -e '/^\#/d' -e '/^$$/d' $(TOP)/libxdp/config.defs),-D'$(d)') \
	-DBPF_OBJECT_PATH='"$(T)"' -DLIBBPF_VERSION='"$(LIBBPF_VERSION)"' -DLIBBPF_DYNAMIC

# test_xsk_non_privileged drops its capabilities with libcap-ng; as upstream, it is built only
# when libcap-ng-dev is installed (run-upstream-tests.sh skips it otherwise).
CAP_NG_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcap-ng 2>/dev/null)
CAP_NG_LIBS := $(shell $(PKG_CONFIG) --libs libcap-ng 2>/dev/null)

# The library's installed headers come first: the tests see the API under test.
TEST_CFLAGS := -std=gnu11 $(CFLAGS) -Wall -Wextra $(DEFINES) -I$(LIBXDP_OUT)/include \
	-I$(SRC)/headers $(LIBBPF_CFLAGS) $(ARCH_INCLUDES)
TEST_LIBS := $(LIBXDP_OUT)/lib/libxdp.a $(LIBBPF_LIBS) -lpthread
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wno-unused-value -Wno-pointer-sign \
	-Wno-compare-distinct-pointer-types -Wno-visibility -fno-stack-protector \
	$(DEFINES) -I$(SRC)/headers $(LIBBPF_CFLAGS) $(ARCH_INCLUDES)

# Upstream's USER_TARGETS and STATIC_LINK_TARGETS (all static here, see above).
PROGS := test_xsk_refcnt test_xdp_frags test_link_detach test_xsk_umem_flags \
	test_xdp_devbound check_kern_compat test_dispatcher_versions test_xsk_non_privileged
BPF_PROGS := xdp_dispatcher_v1 xdp_dispatcher_v2 xdp_pass

DEPS := $(TESTS_SRC)/test_utils.c $(TESTS_SRC)/test_utils.h $(TESTS_SRC)/xdp_dispatcher.h \
	$(wildcard $(SRC)/lib/libxdp/*.h) $(wildcard $(LIBXDP_OUT)/include/xdp/*.h) \
	$(LIBXDP_OUT)/lib/libxdp.a $(TOP)/libxdp/config.defs $(HERE)/upstream.mk

.PHONY: all clean
all: $(PROGS:%=$(T)/%) $(BPF_PROGS:%=$(T)/%.o) $(T)/memlock_clamp.so

$(LIBXDP_OUT)/lib/libxdp.a:
	@echo "$@ is missing: build the library first (make lib / make pristine-lib)" >&2; exit 1

$(T)/test_xsk_non_privileged: $(TESTS_SRC)/test_xsk_non_privileged.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(CAP_NG_CFLAGS) -o $@ $< $(TESTS_SRC)/test_utils.c \
		$(TEST_LIBS) $(CAP_NG_LIBS)

$(T)/%: $(TESTS_SRC)/%.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TESTS_SRC)/test_utils.c $(TEST_LIBS)

$(T)/%.o: $(TESTS_SRC)/%.c $(TESTS_SRC)/xdp_dispatcher.h $(HERE)/upstream.mk
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Ours, not upstream's: preloaded by run-upstream-tests.sh where root cannot raise
# RLIMIT_MEMLOCK (see tests/upstream/memlock_clamp.c).
$(T)/memlock_clamp.so: $(HERE)/upstream/memlock_clamp.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Wextra -shared -fPIC $< -ldl -o $@

clean:
	rm -f $(PROGS:%=$(T)/%) $(BPF_PROGS:%=$(T)/%.o) $(T)/memlock_clamp.so
