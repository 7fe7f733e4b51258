# The examples: real programs that show how rpool is meant to be used.
#
#   make examples    build each to $(BUILD)/examples/<name>
#   make run         build and run the game example (the README's first command)
#
# `make test` runs each one to completion and drives the echo server with a
# test client (test/examples_test.sh, test/echo_client.c).

EXAMPLES      := game_entities echo_server work_queue
EXAMPLE_PROGS := $(patsubst %,$(BUILD)/examples/%,$(EXAMPLES))
EXAMPLE_TESTS := $(BUILD)/examples/test

.PHONY: examples run
examples: $(EXAMPLE_PROGS)

run: $(BUILD)/examples/game_entities
	$(BUILD)/examples/game_entities

$(BUILD)/examples/%: examples/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS) -lm

$(EXAMPLE_TESTS)/echo_client: test/echo_client.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

# test/examples_test.sh takes the directory of the programs it runs; this
# wrapper names it, so the suite works under any $(BUILD).
$(EXAMPLE_TESTS)/examples_test: test/examples_test.sh $(EXAMPLE_PROGS) $(EXAMPLE_TESTS)/echo_client
	@mkdir -p $(@D)
	printf '#!/bin/sh\nexec sh test/examples_test.sh %s %s\n' \
	    '$(BUILD)/examples' '$(EXAMPLE_TESTS)' > $@
	chmod +x $@

TEST_PROGS += $(EXAMPLE_TESTS)/examples_test
