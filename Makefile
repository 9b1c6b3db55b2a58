# mlgate — GNU make + pkg-config. `make run`, `make test`, `make bench`, `make fuzz`.
# SANITIZE=address,undefined builds an instrumented copy under build/san/.
# WERROR=1 (the default when CI=true) turns warnings into errors.

CC      ?= cc
PKGS    := libuv openssl libfyaml jansson apr-util-1 apr-1 libcrypt sqlite3 libpq zlib
SRCDIRS := src/core src/config src/http src/tls src/authn src/authz src/store src/audit src/cli
SRCS    := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))
LIBSRCS := $(filter-out src/main.c,$(SRCS))

ifdef SANITIZE
BUILD   ?= build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     ?= -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     ?= -O2 -g
endif
ifeq ($(CI),true)
WERROR  ?= 1
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wno-unused-parameter -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN    += -Werror
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lpthread
LDFLAGS += $(SANFLAGS)

OBJS    := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIBSRCS))
MAINOBJ := $(BUILD)/obj/src/main.o
LIB     := $(BUILD)/libmlgate.a
BIN     := $(BUILD)/mlgate

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz-replay/%,$(FUZZ_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))

PYTEST  := /usr/bin/python3 -m pytest

.PHONY: all deps test-deps fuzz-deps run test unit fuzz-replay integration fuzz bench clean
all: deps $(BIN)

deps:
	@scripts/install-deps build
test-deps:
	@scripts/install-deps test
fuzz-deps:
	@scripts/install-deps fuzz

# the packages first, also under make -j (their headers are needed to compile)
$(OBJS) $(MAINOBJ): | deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(MAINOBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(LIB) $(LDFLAGS) $(LDLIBS)

# The binary `make run` starts: optimised, no sanitizers.
run: deps $(BIN)
	$(BIN) serve

# `make test`: the sanitizer build, then unit tests, fuzz-corpus replay, integration tests.
test: test-deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined unit fuzz-replay integration

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do n=$$(basename $$t); \
	  $$t tests/fuzz/corpus/$$n; done

NPM_DIR := tests/integration/npm
$(NPM_DIR)/node_modules/.package-lock.json: $(NPM_DIR)/package-lock.json
	cd $(NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error

integration: $(BIN) $(NPM_DIR)/node_modules/.package-lock.json
	MLGATE_BIN=$(abspath $(BIN)) $(PYTEST) -q -p no:cacheprovider tests/integration

# libFuzzer builds (clang); `make fuzz FUZZ_SECONDS=60` runs each target.
FUZZ_SECONDS ?= 30
$(FUZZ_BINS): | fuzz-deps
build/fuzz/%: tests/fuzz/%.c $(LIBSRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	  -o $@ $< $(LIBSRCS) $(PKG_LIBS) -lpthread
fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_BINS); do n=$$(basename $$t); mkdir -p build/fuzz/work-$$n; \
	  $$t -max_total_time=$(FUZZ_SECONDS) build/fuzz/work-$$n tests/fuzz/corpus/$$n; done

bench: $(BIN)
	@scripts/install-deps bench
	bench/run

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(MAINOBJ:.o=.d)
