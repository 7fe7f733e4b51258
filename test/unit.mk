# Unit tests of the public API: one program per test/test_*.c, plus the
# two-translation-unit test and every C snippet of the README.

UNIT_SRCS  := $(filter-out test/test_two_units.c,$(wildcard test/test_*.c))
UNIT_PROGS := $(patsubst test/%.c,$(BUILD)/test/%,$(UNIT_SRCS))
TEST_PROGS += $(UNIT_PROGS) $(BUILD)/test/test_two_units test/readme_snippets.sh

# The README's snippets are compiled with the same compiler and flags.
export CC CXX CPPFLAGS CFLAGS LDLIBS BUILD

$(BUILD)/test/%: test/%.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/test/test_two_units: test/test_two_units.c test/two_units_other.c test/two_units.h \
                              test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ test/test_two_units.c test/two_units_other.c $(LDLIBS)
