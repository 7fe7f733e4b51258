# Unit tests of the public API: one program per test/test_*.c, plus the
# two-translation-unit test and the README's example.

UNIT_SRCS  := $(filter-out test/test_two_units.c,$(wildcard test/test_*.c))
UNIT_PROGS := $(patsubst test/%.c,$(BUILD)/test/%,$(UNIT_SRCS))
TEST_PROGS += $(UNIT_PROGS) $(BUILD)/test/test_two_units $(BUILD)/test/readme_example

$(BUILD)/test/%: test/%.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/test/test_two_units: test/test_two_units.c test/two_units_other.c test/two_units.h \
                              test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ test/test_two_units.c test/two_units_other.c $(LDLIBS)

# The README's first C block, compiled and run so that it cannot drift.
$(BUILD)/test/readme_example.c: README.md
	@mkdir -p $(@D)
	awk '/^```c/ { if (!done) on = 1; next } /^```/ { if (on) done = 1; on = 0 } on' $< > $@

$(BUILD)/test/readme_example: $(BUILD)/test/readme_example.c $(HEADERS)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)
