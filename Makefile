# meshperf build. Plain make + pkg-config; dependencies are Debian packages
# (see README.md). Sources live in one folder per layer under src/ (see
# docs/ARCHITECTURE.md); every src/*/*.c but the two mains goes into
# libmeshperf.a, and each binary links only the libraries it needs:
#   build/meshperf        every command; libcurl, jansson, OpenSSL, cairo
#   build/meshperf-serve  the node service alone; jansson, OpenSSL, libm (idle RSS)
# Targets:
#   make              both binaries
#   make check        build, then run the whole suite (tests/run.sh)
#   make SAN=1 check  the same under AddressSanitizer + UBSan (build/san/)
#   make fuzz         libFuzzer targets in build/fuzz/ (clang)
#   make format       clang-format every source file
#   make format-check list files that clang-format would change (exit 1 if any)
#   make image        the container image from this build (podman, else docker; IMAGE=name:tag)

PKGS       := libcurl jansson openssl cairo fontconfig
SERVE_PKGS := jansson openssl
CC       ?= cc
SAN      ?= 0
BUILD    ?= build$(if $(filter 1,$(SAN)),/san,)
FUZZ_BUILD ?= build/fuzz
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
SERVE_LIBS := $(shell pkg-config --libs $(SERVE_PKGS) 2>/dev/null) -lm

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing -pthread \
            -MMD -MP -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS  += -pthread $(EXTRA_LDFLAGS)
LDLIBS   += $(PKG_LIBS)

ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

MAINS    := src/cmd/main.c src/cmd/main_serve.c
SRC      := $(wildcard src/*/*.c)
LIB_SRC  := $(filter-out $(MAINS),$(SRC))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FMT_SRC   = $(wildcard src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/helpers/*.c fuzz/*.c)

.PHONY: all check unit fuzz fuzz-targets format format-check clean image
all: $(BUILD)/meshperf $(BUILD)/meshperf-serve

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libmeshperf.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/meshperf: $(BUILD)/obj/cmd/main.o $(BUILD)/libmeshperf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only what serve's objects reference is pulled from the archive, so naming
# only jansson and OpenSSL here is checked by the linker.
$(BUILD)/meshperf-serve: $(BUILD)/obj/cmd/main_serve.o $(BUILD)/libmeshperf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(SERVE_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmeshperf.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libmeshperf.a $(LDLIBS) \
	    $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)

check: all $(UNIT_BIN)
	MESHPERF=$(abspath $(BUILD)/meshperf) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh

# libFuzzer: the library is rebuilt with clang and coverage instrumentation.
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) SAN=0 CC=clang \
	    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" fuzz-targets

fuzz-targets: $(FUZZ_SRC:fuzz/%.c=$(BUILD)/%)

$(BUILD)/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libmeshperf.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/libmeshperf.a $(LDLIBS)

format:
	clang-format -i $(FMT_SRC)

format-check:
	@bad=$$(for f in $(FMT_SRC); do clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: clang-format would change:" $$bad; exit 1; fi

# The container image (Dockerfile, FROM scratch): scripts/image-rootfs.sh
# assembles $(BUILD)/image from the binaries and the libraries they load, so
# the build needs no network. IMAGE defaults to render.h's default image.
CONTAINER ?= $(shell command -v podman || command -v docker)
IMAGE     ?= $(or $(shell sed -n 's/^\#define RENDER_DEFAULT_IMAGE *"\(.*\)".*/\1/p' src/platform/render.h),localhost/meshperf:latest)
image: all
	@test -n "$(CONTAINER)" || { echo "make image: neither podman nor docker found (apt-get install podman)" >&2; exit 2; }
	scripts/image-rootfs.sh $(BUILD) $(BUILD)/image
	$(CONTAINER) build -t $(IMAGE) -f Dockerfile $(BUILD)/image

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/cmd/main.d $(BUILD)/obj/cmd/main_serve.d
