# Benchmarks, never part of `make test`.
#
#   make bench         builds one program per system and object size, runs
#                      the whole suite and writes bench/RESULTS.md and
#                      bench/results.svg: 6 minutes on 2 cores (the
#                      2026-12-02 run, every workload); RESULTS.md records
#                      how long each run took
#   make bench-quick   the same suite, short, into $(BUILD)/bench/quick/
#                      (72 s on 2 busy cores)
#
# Both install what they need with apt when it is missing (needs root).

BENCH_DIR     := $(BUILD)/bench
BENCH_SIZES   := 16 128 1024
BENCH_SYSTEMS := rpool rpool-owned glibc jemalloc mimalloc tcmalloc freelist vcheck
# rpool on a pool with .auto_trim = 50: W1 (its cost on the fast path) and
# W12; built beside the others, not one of the systems of every table.
BENCH_EXTRA   := rpool-auto
BENCH_PKGS    := hyperfine gnuplot-nox valgrind libjemalloc-dev libmimalloc-dev \
                 libgoogle-perftools-dev clang
# W9 (iteration) also runs rpool built with this second compiler.
BENCH_CLANG   ?= clang

# Every system is the same bench/bench.c; these pick the system and link
# the allocator. The allocator library comes first on the link line so that
# its malloc is the one the program binds to (bench.c checks at run time).
bench_defs_rpool       := -DBENCH_RPOOL
bench_defs_rpool-owned := -DBENCH_RPOOL -DBENCH_OWNED
bench_defs_rpool-auto  := -DBENCH_RPOOL -DBENCH_AUTO_TRIM
bench_defs_glibc       := -DBENCH_MALLOC -DBENCH_GLIBC
bench_defs_jemalloc    := -DBENCH_MALLOC -DBENCH_JEMALLOC
bench_defs_mimalloc    := -DBENCH_MALLOC -DBENCH_MIMALLOC
bench_defs_tcmalloc    := -DBENCH_MALLOC -DBENCH_TCMALLOC
bench_defs_freelist    := -DBENCH_FREELIST
bench_defs_vcheck      := -DBENCH_VCHECK
bench_libs_jemalloc    := -ljemalloc
bench_libs_mimalloc    := -lmimalloc
bench_libs_tcmalloc    := -ltcmalloc_minimal

BENCH_PROGS := $(foreach s,$(BENCH_SYSTEMS) $(BENCH_EXTRA),$(foreach z,$(BENCH_SIZES),$(BENCH_DIR)/bench_$(s)_$(z))) \
               $(BENCH_DIR)/clang/bench_rpool_16 $(BENCH_DIR)/clang/bench_rpool_128 \
               $(BENCH_DIR)/clang/bench_rpool-owned_16

# The build line of each system, for RESULTS.md.
BENCH_BUILD_LINE := $(CC) $(CPPFLAGS) $(CFLAGS) -DOBJ_SIZE=SIZE DEFS -o $(BENCH_DIR)/bench_SYSTEM_SIZE \
                    bench/bench.c LIBS $(LDLIBS)
bench_empty :=
bench_space := $(bench_empty) $(bench_empty)
BENCH_BUILD_SYSTEMS := $(foreach s,$(BENCH_SYSTEMS) $(BENCH_EXTRA),$(s):$(subst $(bench_space),+,$(strip \
                       $(bench_defs_$(s)))):$(subst $(bench_space),+,$(bench_libs_$(s))))
BENCH_CLANG_LINE := $(BENCH_CLANG) $(CPPFLAGS) $(CFLAGS) -DOBJ_SIZE=SIZE $(bench_defs_rpool) \
                    -o $(BENCH_DIR)/clang/bench_rpool_SIZE bench/bench.c $(LDLIBS)

.PHONY: bench bench-quick bench-deps

bench-deps:
	@missing=; for p in $(BENCH_PKGS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

$(BENCH_DIR)/bench_%: bench/bench.c bench/bench_sys.h $(HEADERS) | bench-deps
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DOBJ_SIZE=$(word 2,$(subst _, ,$*)) \
	    $(bench_defs_$(word 1,$(subst _, ,$*))) -o $@ bench/bench.c \
	    $(bench_libs_$(word 1,$(subst _, ,$*))) $(LDLIBS)

$(BENCH_DIR)/clang/bench_rpool_%: bench/bench.c bench/bench_sys.h $(HEADERS) | bench-deps
	@mkdir -p $(@D)
	$(BENCH_CLANG) $(CPPFLAGS) $(CFLAGS) -DOBJ_SIZE=$* $(bench_defs_rpool) -o $@ bench/bench.c \
	    $(LDLIBS)

$(BENCH_DIR)/clang/bench_rpool-owned_%: bench/bench.c bench/bench_sys.h $(HEADERS) | bench-deps
	@mkdir -p $(@D)
	$(BENCH_CLANG) $(CPPFLAGS) $(CFLAGS) -DOBJ_SIZE=$* $(bench_defs_rpool-owned) -o $@ bench/bench.c \
	    $(LDLIBS)

BENCH_ENV := BENCH_CC="$(CC)" BENCH_CLANG="$(BENCH_CLANG)" BENCH_BUILD_LINE="$(BENCH_BUILD_LINE)" \
             BENCH_BUILD_SYSTEMS="$(BENCH_BUILD_SYSTEMS)" BENCH_CLANG_LINE="$(BENCH_CLANG_LINE)"

bench: $(BENCH_PROGS)
	$(BENCH_ENV) sh bench/run.sh full $(BENCH_DIR) bench

bench-quick: $(BENCH_PROGS)
	$(BENCH_ENV) sh bench/run.sh quick $(BENCH_DIR) $(BENCH_DIR)/quick
