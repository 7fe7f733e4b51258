# Fuzzing (test/fuzz/): one libFuzzer target, fuzz_ops.c, that decodes its
# input into pool operations and checks each result against a model.
#
#   make test          replays the seed corpus test/fuzz/corpus through the
#                      target with a plain main() (replay.c), any compiler
#   make fuzz          libFuzzer + ASan + UBSan for FUZZ_SECONDS (600) on a
#                      copy of the seed corpus in $(FUZZ_DIR)/corpus, which
#                      grows across runs; crashes land in $(FUZZ_DIR)/artifacts
#   make fuzz-smoke    the same for FUZZ_SMOKE_SECONDS (45) on a fresh copy (CI)
#   FUZZ_DEBUG=1       fuzz the engine built with RPOOL_DEBUG=1 instead
#
# libFuzzer's own output (a line per new input: thousands) goes to
# $(FUZZ_DIR)/fuzz.log or smoke.log. The session prints its final stats, or,
# when the fuzzer failed, the first 40 lines of the report and the input's
# file; then its count line.
#
# The repo corpus is only read; to fuzz straight into it, pass
# FUZZ_CORPUS=test/fuzz/corpus. Needs clang with its libFuzzer runtime,
# which `fuzz-rt` installs (Debian: libclang-rt-N-dev) when it is missing.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 45
FUZZ_DIR     ?= $(BUILD)/fuzz
FUZZ_CORPUS  ?= $(FUZZ_DIR)/corpus
FUZZ_ARGS    ?=
FUZZ_DEBUG   ?= 0
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_ops$(if $(filter 1,$(FUZZ_DEBUG)),_debug)
FUZZ_SRCS    := test/fuzz/fuzz_ops.c
FUZZ_CFLAGS  := $(STD) $(WARN) -O1 -g -fno-omit-frame-pointer -pthread \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -DRPOOL_DEBUG=$(FUZZ_DEBUG)

# The seeds replay against the engine as built by default and with its
# debug aids (RPOOL_DEBUG=1: filled released objects, extra checks).
TEST_PROGS += $(BUILD)/test/fuzz_replay $(BUILD)/test/fuzz_replay_debug

$(BUILD)/test/fuzz_replay: $(FUZZ_SRCS) test/fuzz/replay.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $(FUZZ_SRCS) test/fuzz/replay.c $(LDLIBS)

$(BUILD)/test/fuzz_replay_debug: $(FUZZ_SRCS) test/fuzz/replay.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DRPOOL_DEBUG=1 $(CFLAGS) -o $@ $(FUZZ_SRCS) test/fuzz/replay.c $(LDLIBS)

.PHONY: fuzz fuzz-smoke fuzz-rt

# Links a do-nothing fuzzer; when that fails, installs clang's runtime.
fuzz-rt:
	@mkdir -p $(FUZZ_DIR)
	@probe='int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }'; \
	link() { echo "$$probe" | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o $(FUZZ_DIR)/probe 2>/dev/null; }; \
	link && exit 0; \
	ver=$$($(FUZZ_CC) -dumpversion | cut -d. -f1); \
	echo "fuzz: no libFuzzer runtime for $(FUZZ_CC); installing libclang-rt-$$ver-dev"; \
	(apt-get update && apt-get install -y libclang-rt-$$ver-dev) >/dev/null && link || \
	{ echo "fuzz: cannot link -fsanitize=fuzzer with $(FUZZ_CC)"; exit 1; }

$(FUZZ_BIN): $(FUZZ_SRCS) $(HEADERS) | fuzz-rt
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRCS)

# $(call fuzz_run,corpus dir,seconds,log): seeds the corpus dir, then
# fuzzes. The session counts as one test: it passes when the fuzzer finds
# nothing.
define fuzz_run
	@mkdir -p $(1) $(FUZZ_DIR)/artifacts
	@if [ "$(1)" != test/fuzz/corpus ]; then cp test/fuzz/corpus/* $(1)/; fi
	@echo "fuzz: $(2) s on $(1); libFuzzer's output: $(3)"
	@if $(FUZZ_BIN) -max_total_time=$(2) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_ARGS) $(1) > $(3) 2>&1; \
	then grep -E '^(Done |stat::)' $(3); echo "1 passed, 0 failed"; \
	else awk '/ERROR|runtime error|^fuzz_ops\.c:/ { on = 1 } on && shown++ < 40' $(3); \
	    grep 'Test unit written to' $(3); echo "0 passed, 1 failed"; exit 1; fi
endef

fuzz: $(FUZZ_BIN)
	$(call fuzz_run,$(FUZZ_CORPUS),$(FUZZ_SECONDS),$(FUZZ_DIR)/fuzz.log)

fuzz-smoke: $(FUZZ_BIN)
	@rm -rf $(FUZZ_DIR)/smoke
	$(call fuzz_run,$(FUZZ_DIR)/smoke,$(FUZZ_SMOKE_SECONDS),$(FUZZ_DIR)/smoke.log)

$(eval $(call script_test,fuzz-output,sh test/fuzz/session_output.sh "$(BUILD)" "$(MAKE)" "$(FUZZ_CC)"))
