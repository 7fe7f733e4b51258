# Unit tests of the public API: one program per test/test_*.c, plus the
# two-translation-unit test and every C snippet of the README.

UNIT_SRCS  := $(filter-out test/test_two_units.c,$(wildcard test/test_*.c))
UNIT_PROGS := $(patsubst test/%.c,$(BUILD)/test/%,$(UNIT_SRCS))
TEST_PROGS += $(UNIT_PROGS) $(BUILD)/test/test_two_units

# The README's snippets are compiled with the same compiler and flags. They
# reach the script in its environment, not through `export`, which would
# hand the flags to every recursive make to append to once more.
$(eval $(call script_test,readme-snippets,env CC="$(CC)" CXX="$(CXX)" CPPFLAGS="$(CPPFLAGS)" \
    CFLAGS="$(CFLAGS)" LDLIBS="$(LDLIBS)" BUILD="$(BUILD)" sh test/readme_snippets.sh))

$(BUILD)/test/%: test/%.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDLIBS)

$(BUILD)/test/test_two_units: test/test_two_units.c test/two_units_other.c test/two_units.h \
                              test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ test/test_two_units.c test/two_units_other.c $(LDLIBS)

# test_locking watches the pool's lock (see its header).
$(BUILD)/test/test_locking: LDLIBS += -Wl,--wrap=pthread_mutex_lock,--wrap=pthread_mutex_unlock
