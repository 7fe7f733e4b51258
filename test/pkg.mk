# Packaging: `make install` / `make uninstall`, and the tests that keep every
# way of consuming rpool working.
#
#   make install [PREFIX=/usr/local] [DESTDIR=stage]
#       rpool.h, rpool_impl.h           -> $(INCLUDEDIR)
#       rpool.pc                        -> $(PKGCONFIGDIR)
#       rpoolConfig.cmake, rpoolConfigVersion.cmake -> $(CMAKEDIR)
#   make uninstall [same PREFIX/DESTDIR]   removes exactly those files, and
#                                       the directories install created
#                                       when they are empty
#   make test-install                   installs under $(BUILD)/pkgtest (make
#                                       install and cmake --install) and
#                                       builds consumers via pkg-config and
#                                       CMake (make test runs it too)
#   make pkg-tools                      installs cmake, pkg-config and git
#                                       with apt-get where one is missing
#
# make test skips the consumer tests whose tool is missing, with a note, so
# that it never needs the network; make test-install and CI (.ci/run) run
# pkg-tools first, so they run them all.
#
# make test also builds the standards matrix: test_two_units as C11, C17
# and gnu11 under gcc and clang, cpp_test.cpp as C++17 and C++20 under g++
# and clang++. A compiler that is not installed is skipped with a note.

PREFIX       ?= /usr/local
INCLUDEDIR   ?= $(PREFIX)/include
LIBDIR       ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR     ?= $(LIBDIR)/cmake/rpool

# The version comes from rpool.h alone.
pkg_version_part = $(shell sed -n 's/^.define RPOOL_VERSION_$(1) *\([0-9][0-9]*\).*/\1/p' rpool.h)
RPOOL_VERSION_MAJOR := $(call pkg_version_part,MAJOR)
RPOOL_VERSION_MINOR := $(call pkg_version_part,MINOR)
RPOOL_VERSION_PATCH := $(call pkg_version_part,PATCH)
RPOOL_VERSION := $(RPOOL_VERSION_MAJOR).$(RPOOL_VERSION_MINOR).$(RPOOL_VERSION_PATCH)

PKG_DIRS  = $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
# Which directories install created, for uninstall: an empty directory
# that was there before (/usr/local/include on a new system) must stay.
PKG_CREATED = $(BUILD)/pkg/created-dirs
PKG_FILES = $(INCLUDEDIR)/rpool.h $(INCLUDEDIR)/rpool_impl.h $(PKGCONFIGDIR)/rpool.pc \
            $(CMAKEDIR)/rpoolConfig.cmake $(CMAKEDIR)/rpoolConfigVersion.cmake

# Paths as the generated files spell them: relative to the prefix where they
# lie under it, so that pkg-config's prefix can be redefined and the CMake
# package can be moved (or used from a DESTDIR stage).
pkg_empty :=
pkg_space := $(pkg_empty) $(pkg_empty)
pkg_under_prefix = $(filter $(PREFIX)/%,$(1))
pkg_pc_includedir = $(if $(call pkg_under_prefix,$(INCLUDEDIR)),$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR)),$(INCLUDEDIR))
pkg_cmake_up = $(subst $(pkg_space),/,$(patsubst %,..,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(CMAKEDIR)))))
pkg_cmake_prefix = $(if $(call pkg_under_prefix,$(CMAKEDIR)),$${CMAKE_CURRENT_LIST_DIR}/$(pkg_cmake_up),$(PREFIX))
pkg_cmake_includedir = $(if $(call pkg_under_prefix,$(INCLUDEDIR)),$(patsubst $(PREFIX)/%,$${rpool_prefix_dir}/%,$(INCLUDEDIR)),$(INCLUDEDIR))

PKG_SED = sed -e 's|@VERSION@|$(RPOOL_VERSION)|g' \
              -e 's|@VERSION_MAJOR@|$(RPOOL_VERSION_MAJOR)|g' \
              -e 's|@VERSION_MINOR@|$(RPOOL_VERSION_MINOR)|g' \
              -e 's|@PREFIX@|$(PREFIX)|g' \
              -e 's|@INCLUDEDIR@|$(pkg_pc_includedir)|g' \
              -e 's|@PREFIX_FROM_HERE@|$(pkg_cmake_prefix)|g' \
              -e 's|@INCLUDEDIR_CMAKE@|$(pkg_cmake_includedir)|g'

.PHONY: install uninstall test-install pkg-tools

# The generated files are written on every install, so that they always
# carry this install's PREFIX.
install:
	@test -n "$(RPOOL_VERSION_MAJOR)" -a -n "$(RPOOL_VERSION_MINOR)" -a -n "$(RPOOL_VERSION_PATCH)" \
	    || { echo "install: no RPOOL_VERSION_MAJOR/MINOR/PATCH in rpool.h" >&2; exit 1; }
	@mkdir -p $(BUILD)/pkg
	$(PKG_SED) rpool.pc.in > $(BUILD)/pkg/rpool.pc
	$(PKG_SED) cmake/rpoolConfig.cmake.in > $(BUILD)/pkg/rpoolConfig.cmake
	$(PKG_SED) cmake/rpoolConfigVersion.cmake.in > $(BUILD)/pkg/rpoolConfigVersion.cmake
	@for d in $(PKG_DIRS); do \
	    while [ ! -d "$$d" ]; do echo "$$d"; d=$$(dirname "$$d"); done; \
	done >> $(PKG_CREATED)
	install -d $(PKG_DIRS)
	install -m 644 rpool.h rpool_impl.h $(DESTDIR)$(INCLUDEDIR)
	install -m 644 $(BUILD)/pkg/rpool.pc $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(BUILD)/pkg/rpoolConfig.cmake $(BUILD)/pkg/rpoolConfigVersion.cmake \
	    $(DESTDIR)$(CMAKEDIR)

# rpool's own CMake directory goes when it is empty; so do the directories
# install recorded as created (deepest first) that lead to rpool's, and
# that record keeps only those still there. Without the record (another
# BUILD, make clean) the others stay.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(PKG_FILES))
	@if [ -d $(DESTDIR)$(CMAKEDIR) ]; then rmdir $(DESTDIR)$(CMAKEDIR) 2>/dev/null || true; fi
	@if [ -f $(PKG_CREATED) ]; then \
	    LC_ALL=C sort -ru $(PKG_CREATED) | while IFS= read -r d; do \
	        for t in $(PKG_DIRS); do \
	            case "$$t/" in "$$d"/*) rmdir "$$d" 2>/dev/null && echo "rmdir $$d"; break ;; esac; \
	        done; \
	    done; \
	    LC_ALL=C sort -u $(PKG_CREATED) | while IFS= read -r d; do \
	        if [ -d "$$d" ]; then echo "$$d"; fi; \
	    done > $(PKG_CREATED).new; \
	    mv $(PKG_CREATED).new $(PKG_CREATED); \
	fi

# ---- consumer tests --------------------------------------------------------

# make test gives BUILD as an absolute path with a trailing slash, as shell
# completion writes one: the consumer tests must not depend on its spelling.
$(eval $(call script_test,test-install,sh test/pkg/test_install.sh "$(abspath $(BUILD))/" "$(CC)" \
    "$(MAKE)"))

test-install: pkg-tools
	sh test/pkg/test_install.sh '$(BUILD)' '$(CC)' '$(MAKE)'

PKG_TOOLS := cmake pkg-config git
pkg-tools:
	@missing=; for t in $(PKG_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; apt-get update -q && apt-get install -y -q $$missing; \
	fi

# ---- standards matrix -------------------------------------------------------

PKG_C_STDS   := c11 c17 gnu11
PKG_CXX_STDS := c++17 c++20
PKG_MATRIX_FLAGS := -Wall -Wextra -Wpedantic -Werror -pthread
# -O1 for C++: it keeps the flow-based warnings, and <thread> and <vector>
# already make those compiles the slowest part of the matrix.
PKG_MATRIX_C_OPT := -O2
PKG_MATRIX_CXX_OPT := -O1
pkg_have = $(shell command -v $(1) >/dev/null 2>&1 && echo yes)

# $(1): C compiler, $(2): standard. test_two_units: two units, one pool.
define pkg_c_matrix
$(BUILD)/std/$(1)-$(2): test/test_two_units.c test/two_units_other.c test/two_units.h \
                        test/test.h $(HEADERS)
	@mkdir -p $$(@D)
	$(1) -I. -std=$(2) $(PKG_MATRIX_FLAGS) $(PKG_MATRIX_C_OPT) -o $$@ test/test_two_units.c \
	    test/two_units_other.c -pthread
TEST_PROGS += $(BUILD)/std/$(1)-$(2)
endef

# $(1): C++ compiler, $(2): its C compiler, $(3): standard. cpp_test with
# its C unit, compiled by the matching C compiler.
define pkg_cxx_matrix
$(BUILD)/std/$(1)-$(3): test/cpp_test.cpp test/cpp_c_unit.c test/cpp_c_unit.h \
                        test/test.h $(HEADERS)
	@mkdir -p $$(@D)
	$(2) -I. -std=c11 $(PKG_MATRIX_FLAGS) $(PKG_MATRIX_C_OPT) -c -o $$@-c.o test/cpp_c_unit.c
	$(1) -I. -std=$(3) $(PKG_MATRIX_FLAGS) $(PKG_MATRIX_CXX_OPT) -o $$@ test/cpp_test.cpp \
	    $$@-c.o -pthread
TEST_PROGS += $(BUILD)/std/$(1)-$(3)
endef

# A stand-in for a missing compiler's part: prints why, counts as a pass.
$(BUILD)/std/skip-%:
	@mkdir -p $(@D)
	printf '#!/bin/sh\necho "skip %s: not installed; its part of the standards matrix is not run"\n' \
	    '$*' > $@
	chmod +x $@

$(foreach cc,gcc clang,$(if $(call pkg_have,$(cc)), \
    $(foreach std,$(PKG_C_STDS),$(eval $(call pkg_c_matrix,$(cc),$(std)))), \
    $(eval TEST_PROGS += $(BUILD)/std/skip-$(cc))))
$(foreach pair,g++:gcc clang++:clang,$(if $(call pkg_have,$(word 1,$(subst :, ,$(pair)))), \
    $(foreach std,$(PKG_CXX_STDS), \
        $(eval $(call pkg_cxx_matrix,$(word 1,$(subst :, ,$(pair))),$(word 2,$(subst :, ,$(pair))),$(std)))), \
    $(eval TEST_PROGS += $(BUILD)/std/skip-$(word 1,$(subst :, ,$(pair))))))
