# Compile-time checks: test/compile_errors.sh builds small programs that
# must fail (degenerate types and configurations, a DEFINE of another type,
# ignored results, mixed pools) or must build clean, with $(CC) and $(CXX).
# A C build at -O0 cannot see a bad configuration: test/bad_config.c, built
# at -O0 with and without NDEBUG, shows that such a pool refuses every
# acquire instead.

TEST_PROGS += test/compile_errors.sh $(BUILD)/test/bad_config_O0 \
              $(BUILD)/test/bad_config_O0_ndebug

$(BUILD)/test/bad_config_O0: test/bad_config.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O0 -o $@ $< $(LDLIBS)

$(BUILD)/test/bad_config_O0_ndebug: test/bad_config.c test/test.h $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DNDEBUG $(CFLAGS) -O0 -o $@ $< $(LDLIBS)
