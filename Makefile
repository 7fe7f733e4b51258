# rpool is header-only: this Makefile builds and runs its tests, examples
# and benchmarks. Each area keeps its rules in a fragment next to its code
# (test/*.mk, examples/*.mk, bench/*.mk), included below.
#
#   make test                 build and run every test (CC=clang works too)
#   make run                  build and run the game example
#   make clean

BUILD   ?= build
OPT     ?= -O2 -g
STD     ?= -std=c11
WARN    := -Wall -Wextra -Wpedantic -Werror
CPPFLAGS += -I.
CFLAGS  += $(STD) $(WARN) $(OPT) -pthread
LDLIBS  += -pthread
HEADERS := rpool.h rpool_impl.h

# Programs `make test` runs, in order; every fragment appends to it. Each
# prints "N passed, M failed" last, or counts as one test by exit status.
TEST_PROGS :=

# $(call script_test,NAME,COMMAND): a test that is a script needing this
# run's settings. test/run.sh passes no arguments, so $(BUILD)/test/NAME is a
# wrapper that runs COMMAND from the repository root; it is written anew on
# every run, so it always carries this run's settings. COMMAND's values are
# in double quotes.
define script_test
.PHONY: $(BUILD)/test/$(1)
$(BUILD)/test/$(1):
	@mkdir -p $$(@D)
	@printf '#!/bin/sh\ncd "%s" && exec %s\n' '$$(CURDIR)' '$(2)' > $$@
	@chmod +x $$@
TEST_PROGS += $(BUILD)/test/$(1)
endef

.PHONY: all test clean
all: tests

include $(sort $(wildcard test/*.mk examples/*.mk bench/*.mk))

tests: $(TEST_PROGS)

test: $(TEST_PROGS)
	@sh test/run.sh $(TEST_PROGS)

clean:
	rm -rf $(BUILD)
