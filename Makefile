# meshperf build. Plain make + pkg-config; dependencies are Debian packages
# (see README.md). Targets:
#   make              build/meshperf
#   make check        build, then run the whole suite (tests/run.sh)
#   make SAN=1 check  the same under AddressSanitizer + UBSan (build/san/)
#   make fuzz         libFuzzer targets in build/fuzz/ (clang)
#   make format       clang-format every source file

PKGS     := libcurl jansson openssl cairo
CC       ?= cc
SAN      ?= 0
BUILD    ?= build$(if $(filter 1,$(SAN)),/san,)
FUZZ_BUILD ?= build/fuzz
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, cairo, OpenSSL and jansson are not linked: src/lazy_*.c define the
# functions we call and dlopen the library on first use (idle `serve` RSS,
# issue #3). Their headers still come from pkg-config above; libm is loaded
# on first use too (src/lazy_m.c).
PKG_LIBS   := -ldl

CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wno-unused-parameter \
            -Wstrict-prototypes -Wmissing-prototypes -fno-strict-aliasing -pthread \
            -MMD -MP -Isrc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# math without errno/traps: sqrt, lround and llround compile inline, so only
# charts (pow, log10, fmax, fmin via src/lazy_m.c) ever load libm
CFLAGS   += -fno-math-errno -fno-trapping-math
LDFLAGS  += -pthread $(EXTRA_LDFLAGS)
LDLIBS   += $(PKG_LIBS)

ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

SRC      := $(wildcard src/*.c)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)

.PHONY: all check unit fuzz fuzz-targets format clean
all: $(BUILD)/meshperf

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libmeshperf.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/meshperf: $(BUILD)/obj/main.o $(BUILD)/libmeshperf.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmeshperf.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libmeshperf.a $(LDLIBS) \
	    $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)

check: $(BUILD)/meshperf $(UNIT_BIN)
	MESHPERF=$(abspath $(BUILD)/meshperf) UNIT_DIR=$(abspath $(BUILD)/tests) tests/run.sh

# libFuzzer: the library is rebuilt with clang and coverage instrumentation.
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) SAN=0 CC=clang \
	    EXTRA_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined" fuzz-targets

fuzz-targets: $(FUZZ_SRC:fuzz/%.c=$(BUILD)/%)

$(BUILD)/fuzz_%: fuzz/fuzz_%.c $(BUILD)/libmeshperf.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(BUILD)/libmeshperf.a $(LDLIBS)

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c fuzz/*.c

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d
