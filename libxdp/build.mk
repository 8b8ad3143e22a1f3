# Rules that build the drop-in libxdp from a prepared upstream tree.
#
#   make -f libxdp/build.mk SRC=build/src OUT=build/out [PREFIX=/usr/local] [EXTRA_CFLAGS=...]
#
# SRC is a tree made by libxdp/prepare-source.sh; everything is written below OUT:
#   OUT/lib/libxdp.so.1 (+ the full version and libxdp.so links), OUT/lib/libxdp.a
#   OUT/include/xdp/*.h, OUT/lib/pkgconfig/libxdp.pc, OUT/lib/bpf/*.o
# `install` copies them to DESTDIR/PREFIX the way a distribution lays them out.

SRC ?= build/src
OUT ?= build/out
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BPF_OBJECT_DIR ?= $(LIBDIR)/bpf
DESTDIR ?=

CC ?= cc
CLANG ?= clang
M4 ?= m4
PKG_CONFIG ?= pkg-config
AR ?= ar
CFLAGS ?= -O2 -g
EXTRA_CFLAGS ?=
EXTRA_LDFLAGS ?=

HERE := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
include $(HERE)/quiet.mk
UPSTREAM_LIBXDP_DIR := $(SRC)/lib/libxdp
OBJ := $(OUT)/obj

ifneq ($(MAKECMDGOALS),clean)
ifeq ($(wildcard $(UPSTREAM_LIBXDP_DIR)/xsk.c),)
$(error $(SRC) holds no prepared upstream tree; run libxdp/prepare-source.sh $(SRC))
endif
ifneq ($(shell $(PKG_CONFIG) --atleast-version=1.0 libbpf && echo ok),ok)
$(error libbpf >= 1.0 development files not found by $(PKG_CONFIG) (apt-get install libbpf-dev))
endif
endif

# Upstream's symbol versions: the newest LIBXDP_x.y.z node names the library version.
LIBXDP_VERSION := $(shell sed -ne 's/^LIBXDP_\([0-9.]*\) {.*/\1/p' $(UPSTREAM_LIBXDP_DIR)/libxdp.map 2>/dev/null | tail -n 1)
LIBXDP_MAJOR := $(firstword $(subst ., ,$(LIBXDP_VERSION)))
TOOLS_VERSION := $(shell sed -ne 's/^XDP_TOOLS_VERSION=//p' $(HERE)/upstream.conf)

LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf)
LIBBPF_LIBS := $(shell $(PKG_CONFIG) --libs libbpf libelf zlib)
LIBBPF_VERSION := $(shell $(PKG_CONFIG) --modversion libbpf)
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
ARCH_INCLUDES := $(if $(MULTIARCH),$(if $(wildcard /usr/include/$(MULTIARCH)),-I/usr/include/$(MULTIARCH)))

DEFINES := $(foreach d,$(shell sed -e '/^\#/d' -e '/^$$/d' $(HERE)/config.defs),-D'$(d)') \
	-DBPF_OBJECT_PATH='"$(BPF_OBJECT_DIR)"' -DLIBBPF_VERSION='"$(LIBBPF_VERSION)"' \
	-DLIBBPF_DYNAMIC

LIB_CFLAGS := -std=gnu11 $(CFLAGS) -Wall -Wextra $(DEFINES) -I$(SRC)/headers $(LIBBPF_CFLAGS) $(EXTRA_CFLAGS)
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wno-unused-value -Wno-pointer-sign \
	-Wno-compare-distinct-pointer-types -Wno-visibility -Werror -fno-stack-protector \
	$(DEFINES) -I$(SRC)/headers -I$(UPSTREAM_LIBXDP_DIR) $(LIBBPF_CFLAGS) $(ARCH_INCLUDES)

LIB_OBJS := libxdp xsk
BPF_PROGS := xdp-dispatcher xsk_def_xdp_prog xsk_def_xdp_prog_5.3
BPF_OBJS := $(BPF_PROGS:%=$(OUT)/lib/bpf/%.o)
HEADERS := $(wildcard $(SRC)/headers/xdp/*.h)
# Anything baked into the objects (paths, compiler, flags) is recorded here, so changing
# it (say PREFIX between `make` and `make install`) rebuilds what depends on it.
CONFIG_STAMP := $(OBJ)/config
CONFIG_LINE := $(PREFIX)|$(LIBDIR)|$(INCLUDEDIR)|$(BPF_OBJECT_DIR)|$(CC)|$(CLANG)|$(CFLAGS)|$(EXTRA_CFLAGS)|$(EXTRA_LDFLAGS)|$(LIBBPF_VERSION)
ifneq ($(MAKECMDGOALS),clean)
$(shell mkdir -p $(OBJ) && { [ "$$(cat $(CONFIG_STAMP) 2>/dev/null)" = '$(CONFIG_LINE)' ] || echo '$(CONFIG_LINE)' > $(CONFIG_STAMP); })
endif
LIB_DEPS := $(wildcard $(UPSTREAM_LIBXDP_DIR)/*.h) $(HEADERS) $(HERE)/config.defs $(CONFIG_STAMP)

SHARED_LIB := $(OUT)/lib/libxdp.so.$(LIBXDP_VERSION)
STATIC_LIB := $(OUT)/lib/libxdp.a
PC_FILE := $(OUT)/lib/pkgconfig/libxdp.pc
INSTALLED_HEADERS := $(HEADERS:$(SRC)/headers/xdp/%=$(OUT)/include/xdp/%)

.PHONY: all clean install
all: $(SHARED_LIB) $(OUT)/lib/libxdp.so.$(LIBXDP_MAJOR) $(OUT)/lib/libxdp.so \
	$(STATIC_LIB) $(BPF_OBJS) $(PC_FILE) $(INSTALLED_HEADERS)

$(OBJ)/shared/%.o: $(UPSTREAM_LIBXDP_DIR)/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -fPIC -DSHARED -c $< -o $@

$(OBJ)/static/%.o: $(UPSTREAM_LIBXDP_DIR)/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(LIB_CFLAGS) -DLIBXDP_STATIC=1 -c $< -o $@

$(SHARED_LIB): $(LIB_OBJS:%=$(OBJ)/shared/%.o) $(OBJ)/embedded-bpf.o $(UPSTREAM_LIBXDP_DIR)/libxdp.map \
		$(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared -Wl,-soname,libxdp.so.$(LIBXDP_MAJOR) \
		-Wl,--version-script=$(UPSTREAM_LIBXDP_DIR)/libxdp.map \
		$(filter %.o,$^) $(EXTRA_CFLAGS) $(EXTRA_LDFLAGS) $(LIBBPF_LIBS) -lpthread -o $@

$(OUT)/lib/libxdp.so.$(LIBXDP_MAJOR): $(SHARED_LIB)
	$(Q)ln -sf $(<F) $@

$(OUT)/lib/libxdp.so: $(OUT)/lib/libxdp.so.$(LIBXDP_MAJOR)
	$(Q)ln -sf $(<F) $@

# Both libraries carry the BPF objects inside: libxdp.a uses them first, libxdp.so.1 when
# none are found on the search path (patches/0019), so neither needs files at run time. The
# symbols stay inside libxdp.so.1: upstream's version script makes everything else local.
$(OBJ)/embedded-bpf.S: $(BPF_OBJS) $(HERE)/embed-bpf.sh
	@mkdir -p $(@D)
	$(Q)$(HERE)/embed-bpf.sh $@ $(BPF_OBJS)

$(OBJ)/embedded-bpf.o: $(OBJ)/embedded-bpf.S
	$(call msg,AS,$@)
	$(Q)$(CC) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS:%=$(OBJ)/static/%.o) $(OBJ)/embedded-bpf.o
	@mkdir -p $(@D)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OBJ)/xdp-dispatcher.c: $(UPSTREAM_LIBXDP_DIR)/xdp-dispatcher.c.in $(HERE)/config.defs
	@mkdir -p $(@D)
	$(call msg,M4,$@)
	$(Q)$(M4) $(DEFINES) $< > $@ || { rm -f $@; exit 1; }

$(OUT)/lib/bpf/xdp-dispatcher.o: $(OBJ)/xdp-dispatcher.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/lib/bpf/%.o: $(UPSTREAM_LIBXDP_DIR)/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(PC_FILE): $(UPSTREAM_LIBXDP_DIR)/libxdp.pc.template $(HERE)/upstream.conf $(CONFIG_STAMP)
	@mkdir -p $(@D)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(TOOLS_VERSION)|' \
		-e 's|^includedir=.*|includedir=$(INCLUDEDIR)|' $< > $@

$(OUT)/include/xdp/%.h: $(SRC)/headers/xdp/%.h
	@mkdir -p $(@D)
	$(Q)cp $< $@

install: all
	install -d -m 0755 $(DESTDIR)$(INCLUDEDIR)/xdp $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BPF_OBJECT_DIR)
	install -m 0644 $(INSTALLED_HEADERS) $(DESTDIR)$(INCLUDEDIR)/xdp/
	install -m 0644 $(PC_FILE) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SHARED_LIB)) $(DESTDIR)$(LIBDIR)/libxdp.so.$(LIBXDP_MAJOR)
	ln -sf libxdp.so.$(LIBXDP_MAJOR) $(DESTDIR)$(LIBDIR)/libxdp.so
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPF_OBJECT_DIR)/

clean:
	rm -rf $(OUT)
