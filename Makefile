# Switchyard - one non-recursive Makefile.
#
#   make                 build everything into build/bin (MODE=debug)
#   make MODE=release    optimised build into build/release/bin
#   make MODE=asan       address+undefined sanitizers into build/asan/bin
#   make test            unit tests (cmocka) + integration tests on loopback
#   make run             local demo cluster (controlplane, mock, dataplane)
#   make screenshot      docs/console-overview.png from the console's browser test
#   make fuzz            libFuzzer targets (clang), each run FUZZ_SECONDS (default 60)
#   make bench           load benchmark: switchyard vs nginx vs direct (not a test)
#   make deps            install the Debian packages the build needs (as root)
#   make check-fmt       clang-format check

MODE ?= debug
# MODE=fuzz is internal to `make fuzz`: libFuzzer needs clang.
ifeq ($(MODE),fuzz)
CC := clang
endif
ifeq ($(MODE),debug)
OUT := build
else
OUT := build/$(MODE)
endif
BIN := $(OUT)/bin
OBJ := $(OUT)/obj
GEN := build/gen

PKGS := libmicrohttpd libcurl libzmq libprotobuf-c lmdb jansson libsodium
# Debian 12 packages, by who needs them. deploy/deps.sh installs what is missing (as root).
# Building and `make run`:
BUILD_DEBS := build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev libzmq3-dev \
	libprotobuf-c-dev protobuf-c-compiler liblmdb-dev libjansson-dev libsodium-dev \
	python3 curl git libjs-chart.js
# `make test` (and CI): cmocka for the unit tests; what the integration tests drive besides
# our binaries: haproxy (cluster), docker-compose, promtool and shellcheck (deploy file
# validation), node + npm (the openai and OpenRouter SDKs), chromium and firefox-esr (the
# console's browser tests, driven by puppeteer-core), iproute2 (the network namespaces of test_zmq_netns),
# clang and libclang-rt-14-dev (the libFuzzer targets, make fuzz), clang-format (check-fmt).
# kubectl is not in Debian: the Kubernetes check uses it only when it is installed.
TEST_DEBS := libcmocka-dev haproxy docker-compose prometheus nodejs npm python3-yaml \
	shellcheck clang-format chromium firefox-esr iproute2 clang libclang-rt-14-dev
FMT_DEBS := clang-format

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
	-Wno-unused-parameter
CFLAGS_debug := -O0 -g
CFLAGS_release := -O2 -g -DNDEBUG
# -fno-sanitize-recover: an undefined-behaviour report ends the process like an address error
# does, so the tests see it (a non-zero exit status) instead of a line in a log.
CFLAGS_asan := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_asan := -fsanitize=address,undefined -fno-sanitize-recover=all
# Everything is instrumented for libFuzzer's coverage; only the fuzz targets link its main.
CFLAGS_fuzz := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

# pkg-config is only consulted once the deps are present (see the deps stamp below).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS_$(MODE)) -MMD -MP \
	-Icommon -Icontrolplane -Idataplane -I$(GEN) $(PKG_CFLAGS)
override LDFLAGS += $(LDFLAGS_$(MODE))
LDLIBS = $(PKG_LIBS) -lm

DEPS_STAMP := build/.deps-ok
TEST_DEPS_STAMP := build/.test-deps-ok
# Debian's python3 (stdlib only) runs the integration tests.
PYTHON := /usr/bin/python3

.SECONDARY:
.PHONY: FORCE all deps test-deps fmt-deps help test unit integration run bench clean check-fmt check-includes fmt cluster screenshot fuzz fuzz-targets bench-map bench-streams bench-cluster bench-flat
all: $(BIN)/switchyard-controlplane $(BIN)/switchyard-dataplane $(BIN)/switchyard-mock

help:
	@echo "Switchyard make targets:"
	@echo "  make                  debug build into build/bin (MODE=release|asan for the others)"
	@echo "  make deps             install the Debian packages the build needs (as root)"
	@echo "  make test-deps        install the Debian packages the tests need (make test does it)"
	@echo "  make test             unit + integration tests (TESTS=name narrows the integration ones)"
	@echo "  make unit             unit tests (cmocka) only"
	@echo "  make integration      integration tests only (TESTS=name)"
	@echo "  make run              local demo cluster: mock provider, controlplane, dataplane"
	@echo "  make cluster          controlplane, mock and 3 dataplanes behind haproxy"
	@echo "  make bench            benchmark: switchyard vs nginx vs the floor vs direct"
	@echo "  make bench-streams    N streams held open through one dataplane worker (BENCH_STREAMS=...)"
	@echo "  make bench-cluster    usage records/s one controlplane commits, 1 -> 64 synthetic workers"
	@echo "  make bench-flat       c=64 with 1 key/10 models against 1M keys/10k models"
	@echo "  make bench-map        sy_map's lookup cost against the tables it replaced"
	@echo "  make screenshot       regenerate docs/console-overview.png from the console test"
	@echo "  make check-fmt, fmt   clang-format check / rewrite"
	@echo "  make check-includes   no new include cycle between the modules of a directory"
	@echo "  make clean            remove build/"

# ---- dependencies -----------------------------------------------------------------------
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile deploy/deps.sh
	@bash deploy/deps.sh "the build" $(BUILD_DEBS)
	@mkdir -p $(dir $@) && touch $@
test-deps: $(TEST_DEPS_STAMP)
$(TEST_DEPS_STAMP): Makefile deploy/deps.sh | $(DEPS_STAMP)
	@bash deploy/deps.sh "the tests" $(TEST_DEBS)
	@mkdir -p $(dir $@) && touch $@
fmt-deps:
	@bash deploy/deps.sh "the format check" $(FMT_DEBS)

# ---- generated protobuf code ------------------------------------------------------------
$(GEN)/switchyard.pb-c.c $(GEN)/switchyard.pb-c.h: proto/switchyard.proto | $(DEPS_STAMP)
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) proto/switchyard.proto

# ---- version: build/gen/sy_revision.h, rewritten only when the git revision changes -----------
SY_VERSION := 0.3.0
$(GEN)/sy_revision.h: FORCE
	@mkdir -p $(GEN)
	@rev=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	printf '#define SY_VERSION "%s"\n#define SY_REVISION "%s"\n' '$(SY_VERSION)' "$$rev" >$@.tmp; \
	cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(OBJ)/common/sy_version.o: $(GEN)/sy_revision.h
FORCE:

# ---- the admin console: controlplane/console/* and Debian's Chart.js, embedded -------------
CHARTJS := /usr/share/javascript/chart.js/chart.min.js
CONSOLE_FILES := $(filter-out %/embed.sh,$(wildcard controlplane/console/*))
# (Chart.js as a prerequisite only once installed: the deps stamp installs it first.)
$(GEN)/cp_console_files.c: controlplane/console/embed.sh $(CONSOLE_FILES) $(wildcard $(CHARTJS)) \
		| $(DEPS_STAMP)
	@mkdir -p $(GEN)
	sh controlplane/console/embed.sh $@ $(foreach f,$(CONSOLE_FILES),/ui/$(notdir $(f))=$(f)) \
	  /ui/chart.min.js=$(CHARTJS)
$(OBJ)/gen/cp_console_files.o: $(GEN)/cp_console_files.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# ---- sources ------------------------------------------------------------------------------
COMMON_SRC := $(wildcard common/*.c)
CP_SRC := $(filter-out controlplane/cp_main.c,$(wildcard controlplane/*.c))
DP_SRC := $(filter-out dataplane/dp_main.c,$(wildcard dataplane/*.c))
MOCK_SRC := $(filter-out tests/mock/mock_main.c,$(wildcard tests/mock/*.c))

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC)) $(OBJ)/gen/switchyard.pb-c.o
CP_OBJ := $(call obj,$(CP_SRC)) $(OBJ)/gen/cp_console_files.o
DP_OBJ := $(call obj,$(DP_SRC))
MOCK_OBJ := $(call obj,$(MOCK_SRC))

$(OBJ)/gen/switchyard.pb-c.o: $(GEN)/switchyard.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

# Every object needs the generated header first.
$(OBJ)/%.o: %.c $(GEN)/switchyard.pb-c.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/libsycommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^
$(OBJ)/libcp.a: $(CP_OBJ)
	$(AR) rcs $@ $^
$(OBJ)/libdp.a: $(DP_OBJ)
	$(AR) rcs $@ $^
$(OBJ)/libmock.a: $(MOCK_OBJ)
	$(AR) rcs $@ $^

$(BIN)/switchyard-controlplane: $(OBJ)/controlplane/cp_main.o $(OBJ)/libcp.a $(OBJ)/libsycommon.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/switchyard-dataplane: $(OBJ)/dataplane/dp_main.o $(OBJ)/libdp.a $(OBJ)/libsycommon.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/switchyard-mock: $(OBJ)/tests/mock/mock_main.o $(OBJ)/libmock.a $(OBJ)/libsycommon.a
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- unit tests: tests/unit/<dir>/<name>_test.c -> $(OUT)/tests/<name>_test ---------------
UNIT_SRC := $(wildcard tests/unit/*/*_test.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRC))
TEST_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
# The unit tests need cmocka, a test dependency.
$(patsubst %.c,$(OBJ)/%.o,$(UNIT_SRC)): | $(TEST_DEPS_STAMP)

$(OUT)/tests/common/%: $(OBJ)/tests/unit/common/%.o $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)
$(OUT)/tests/controlplane/%: $(OBJ)/tests/unit/controlplane/%.o $(OBJ)/libcp.a $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)
$(OUT)/tests/dataplane/%: $(OBJ)/tests/unit/dataplane/%.o $(OBJ)/libdp.a $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)
$(OUT)/tests/mock/%: $(OBJ)/tests/unit/mock/%.o $(OBJ)/libmock.a $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LIBS)

# ---- test tools: tests/tools/<name>.c -> $(OUT)/tools/<name> (linked with common) ------
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRC))
$(OUT)/tools/%: $(OBJ)/tests/tools/%.o $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench/floor.c: the bare libmicrohttpd + libcurl proxy `make bench` measures beside the rest.
# Linked with those two libraries only: the floor must use nothing else.
$(OUT)/tools/switchyard-bench-floor: $(OBJ)/bench/floor.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libmicrohttpd libcurl 2>/dev/null)

# bench/streams.c: the client of `make bench-streams` (libcurl's multi socket API only).
$(OUT)/tools/switchyard-bench-streams: $(OBJ)/bench/streams.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libcurl 2>/dev/null)

# bench/seed.c: writes N keys into a stopped controlplane's store (make bench-flat).
$(OUT)/tools/switchyard-bench-seed: $(OBJ)/bench/seed.o $(OBJ)/libcp.a $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench/map_bench.c: sy_map's lookup cost against the table it replaced (make bench-map).
$(OUT)/tools/switchyard-bench-map: $(OBJ)/bench/map_bench.o $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- fuzz targets: tests/fuzz/<name>_fuzz.c -> build/fuzz/fuzz/<name>_fuzz (MODE=fuzz) ------
FUZZ_SRC := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRC))
$(OUT)/fuzz/%: $(OBJ)/tests/fuzz/%.o $(OBJ)/libcp.a $(OBJ)/libdp.a $(OBJ)/libsycommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)
fuzz-targets: $(FUZZ_BIN)

# ---- running tests ---------------------------------------------------------------------------
# TESTS=pattern narrows the integration tests (e.g. make integration TESTS=test_sync).
test: all $(UNIT_BIN) $(TOOL_BIN) | $(TEST_DEPS_STAMP)
	@$(PYTHON) tests/run_tests.py --bin $(BIN) --tools $(OUT)/tools --unit $(OUT)/tests $(if $(TESTS),--only $(TESTS))
unit: all $(UNIT_BIN) | $(TEST_DEPS_STAMP)
	@$(PYTHON) tests/run_tests.py --bin $(BIN) --unit $(OUT)/tests --no-integration
integration: all $(TOOL_BIN) | $(TEST_DEPS_STAMP)
	@$(PYTHON) tests/run_tests.py --bin $(BIN) --tools $(OUT)/tools --no-unit $(if $(TESTS),--only $(TESTS))

# docs/console-overview.png: the console's overview with a month of data (10 000 generations),
# taken by the first-paint browser test.
screenshot: all $(TOOL_BIN) | $(TEST_DEPS_STAMP)
	@$(PYTHON) tests/run_tests.py --bin $(BIN) --tools $(OUT)/tools --no-unit --only test_console_first_paint
	cp build/console/overview-10k.png docs/console-overview.png

run: all
	@bash deploy/run-local.sh $(BIN)

cluster: all
	@bash deploy/local-cluster.sh $(BIN)

# Each target runs FUZZ_SECONDS from its committed seeds (tests/fuzz/corpus/<name>); what it
# finds goes to build/fuzz/corpus and crashes to build/fuzz/crashes. FUZZ=name narrows.
FUZZ_SECONDS ?= 60
fuzz: | $(TEST_DEPS_STAMP)
	@$(MAKE) --no-print-directory MODE=fuzz fuzz-targets
	@$(PYTHON) tests/fuzz/run_fuzz.py --bin build/fuzz/fuzz --seconds $(FUZZ_SECONDS) $(if $(FUZZ),--only $(FUZZ))

bench:
	@$(MAKE) --no-print-directory MODE=release all build/release/tools/switchyard-bench-floor
	@bash bench/run.sh build/release/bin

bench-streams:
	@$(MAKE) --no-print-directory MODE=release all build/release/tools/switchyard-bench-streams
	@bash bench/streams.sh build/release/bin

bench-cluster:
	@$(MAKE) --no-print-directory MODE=release all build/release/tools/usage_client
	@bash bench/cluster.sh build/release/bin

bench-flat:
	@$(MAKE) --no-print-directory MODE=release all build/release/tools/switchyard-bench-seed
	@bash bench/flat.sh build/release/bin

bench-map:
	@$(MAKE) --no-print-directory MODE=release build/release/tools/switchyard-bench-map
	@build/release/tools/switchyard-bench-map

# ---- formatting -------------------------------------------------------------------------
FMT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
# modules of one directory including each other (tests/include_cycles.py; the known ones are
# listed in tests/integration/test_include_cycles.py, which `make test` runs)
check-includes:
	@$(PYTHON) tests/integration/test_include_cycles.py

check-fmt: fmt-deps
	@clang-format --dry-run --Werror $(FMT_SRC) && echo "format ok"
fmt: fmt-deps
	@clang-format -i $(FMT_SRC)

clean:
	rm -rf build

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)
