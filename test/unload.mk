# test_unload (built by unit.mk's rule, like every test/test_*.c) loads two
# copies of the plugin test/unload_plugin.c, each a shared object of its
# own, from the directory it is told at build time.

UNLOAD_DIR := $(abspath $(BUILD)/test)
UNLOAD_LIBS := $(BUILD)/test/unload_a.so $(BUILD)/test/unload_b.so

$(BUILD)/test/test_unload: $(UNLOAD_LIBS)
$(BUILD)/test/test_unload: private CPPFLAGS += -DUNLOAD_DIR='"$(UNLOAD_DIR)"'
$(BUILD)/test/test_unload: private LDLIBS += -ldl

$(UNLOAD_LIBS): test/unload_plugin.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared -o $@ $< $(LDLIBS)
