# Stress, fault-injection and debug-build tests, and the targets that run the
# C tests under sanitizers and valgrind:
#
#   make asan       AddressSanitizer + UndefinedBehaviorSanitizer + leak checks
#   make ubsan      UndefinedBehaviorSanitizer alone
#   make tsan       ThreadSanitizer
#   make valgrind   memcheck: no error, no definite leak
#
# Each one builds the test programs made from test/*.c (and the fuzz corpus
# replay) again, with its flags
# in OPT, under $(BUILD)/<target> (a recursive make, so the Makefile's own
# CFLAGS stay), runs them through test/run.sh and ends with its
# "N passed, M failed" line. The sanitizers also run the stress tests built
# with RPOOL_DEBUG=1. A runtime the compiler cannot link, or a missing
# valgrind, is installed with apt-get first.
#
# make test checks (test/san_flags.sh) that these recursive builds pass each
# flag to the compiler once.

TEST_PROGS += $(BUILD)/test/stress $(BUILD)/test/stress_pins $(BUILD)/test/stress_trim \
              $(BUILD)/test/faults $(BUILD)/test/debug

$(BUILD)/test/debug: CPPFLAGS += -DRPOOL_DEBUG=1

comma := ,
SAN_OPT := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_RUNTIMES := libasan8 liblsan0 libubsan1 libtsan2 libclang-rt-dev

# The programs made from test/*.c, and the fuzz corpus replay; evaluated in
# the sub-make, when every fragment has added its TEST_PROGS.
SAN_PROGS = $(filter $(patsubst test/%.c,$(BUILD)/test/%,$(wildcard test/*.c)) \
                     $(BUILD)/test/fuzz_replay,$(TEST_PROGS))

# $(1): flags $(CC) must link a program with, else the runtimes are installed.
san_need = @echo 'int main(void) { return 0; }' | $(CC) $(1) -x c -o /dev/null - 2>/dev/null || \
    { echo "$(CC) $(1) cannot link: installing $(SAN_RUNTIMES)"; \
      apt-get update -q && apt-get install -y -q $(SAN_RUNTIMES); }

.PHONY: asan ubsan tsan valgrind san-run valgrind-run

asan:
	$(call san_need,-fsanitize=address$(comma)undefined)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) --no-print-directory san-run BUILD=$(BUILD)/asan \
	    OPT="$(SAN_OPT) -fsanitize=address,undefined"

ubsan:
	$(call san_need,-fsanitize=undefined)
	@UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) --no-print-directory san-run BUILD=$(BUILD)/ubsan \
	    OPT="$(SAN_OPT) -fsanitize=undefined"

tsan:
	$(call san_need,-fsanitize=thread)
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	$(MAKE) --no-print-directory san-run BUILD=$(BUILD)/tsan OPT="$(SAN_OPT) -fsanitize=thread"

# The sanitizer runs add the stress tests built with RPOOL_DEBUG's checks and
# poisoning (make test runs them once, without them, to stay short).
SAN_DEBUG_PROGS := $(BUILD)/test/stress_debug $(BUILD)/test/stress_pins_debug \
                   $(BUILD)/test/stress_trim_debug

$(BUILD)/test/%_debug: test/%.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DRPOOL_DEBUG=1 $(CFLAGS) -o $@ $< $(LDLIBS)

san-run:
	@$(MAKE) --no-print-directory $(SAN_PROGS) $(SAN_DEBUG_PROGS)
	@sh test/run.sh $(SAN_PROGS) $(SAN_DEBUG_PROGS)

# Each program runs through a two-line wrapper, since test/run.sh runs
# programs, not command lines.
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite

valgrind:
	@command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
	@$(MAKE) --no-print-directory valgrind-run BUILD=$(BUILD)/valgrind OPT="-O1 -g"

valgrind-run:
	@$(MAKE) --no-print-directory $(SAN_PROGS)
	@mkdir -p $(BUILD)/vg
	@for p in $(SAN_PROGS); do \
	    printf '#!/bin/sh\nexec %s %s\n' '$(VALGRIND)' "$$p" > $(BUILD)/vg/$${p##*/}; \
	    chmod +x $(BUILD)/vg/$${p##*/}; \
	done
	@sh test/run.sh $(addprefix $(BUILD)/vg/,$(notdir $(SAN_PROGS)))

$(eval $(call script_test,san-flags,sh test/san_flags.sh "$(BUILD)" "$(MAKE)"))
