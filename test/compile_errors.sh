#!/bin/sh
# What must not compile, and what must: small programs built with $CC (C11)
# and $CXX (C++17, C++20), each expected either to fail with a given message
# or to build clean under -Wall -Wextra -Wpedantic -Werror. Reads CC, CXX,
# CPPFLAGS and BUILD from the environment (make exports them).
: "${CC:=cc}" "${CXX:=c++}" "${BUILD:=build}" "${CPPFLAGS:=-I.}"
dir="$BUILD/compile_errors"
rm -rf "$dir" && mkdir -p "$dir"
passed=0
failed=0
n=0

# Every program starts with this; `item` and `other` are two object types.
prelude='#include "rpool.h"
typedef struct item { int a; } item;
typedef struct other { long b; } other;'

# build LANG FLAGS: compiles stdin as LANG (c, c++17, c++20) with FLAGS
# into an object file; prints the compiler's output, returns its status.
# Runs in a subshell: the caller numbers the program (n).
build() {
    case "$1" in
    c) src="$dir/t$n.c" cc="$CC -std=c11" ;;
    *) src="$dir/t$n.cpp" cc="$CXX -std=$1" ;;
    esac
    { printf '%s\n' "$prelude"; cat; } > "$src"
    # shellcheck disable=SC2086
    $cc $CPPFLAGS -Wall -Wextra -Wpedantic -Werror $2 -c -o "${src%.*}.o" "$src" 2>&1
}

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1"
    [ -n "$2" ] && printf '%s\n' "$2" | sed 's/^/    /' | head -n 20
    failed=$((failed + 1))
}

# fails NAME LANG FLAGS REGEX < program: the build fails, and its output
# matches REGEX (grep -E).
fails() {
    n=$((n + 1))
    [ -n "$4" ] || { fail "$1: no message to expect"; return; }
    if out=$(build "$2" "$3"); then
        fail "$1 ($2 $3): compiled" "$out"
    elif printf '%s\n' "$out" | grep -Eq -- "$4"; then
        pass "$1 ($2 $3)"
    else
        fail "$1 ($2 $3): no '$4' in" "$out"
    fi
}

# builds NAME LANG FLAGS < program: the build succeeds without a warning.
builds() {
    n=$((n + 1))
    if out=$(build "$2" "$3"); then
        pass "$1 ($2 $3)"
    else
        fail "$1 ($2 $3)" "$out"
    fi
}

# ---- A. degenerate types and configurations ------------------------------

# What the message for each field says (grep -E).
vb='version_bits must be 0 \(default\) or 2\.\.63'
bi='block_items must be at most 65536'
ci='chunk_items must be at most 1048576'
pb='a pool with pins needs version_bits of at most 32'
at='auto_trim must be 0 \(off\) or a percent, 1\.\.100'

# C cannot assert on a config; the compiler folds it at -O1 and above.
for opt in -O1 -O2 -Os; do
    fails version_bits_1_is_an_error c $opt "$vb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .version_bits = 1);
EOF
    fails version_bits_64_is_an_error c $opt "$vb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .version_bits = 64);
EOF
    fails block_items_65537_is_an_error c $opt "$bi" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .block_items = 65537);
EOF
    fails chunk_items_past_2_20_is_an_error c $opt "$ci" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .chunk_items = (1 << 20) + 1);
EOF
    fails pins_with_40_version_bits_is_an_error c $opt "$pb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .version_bits = 40, .pins = 1);
EOF
    fails auto_trim_101_is_an_error c $opt "$at" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .auto_trim = 101);
EOF
done
fails pins_with_a_wide_default_is_an_error c '-O2 -DRPOOL_VERSION_BITS=40' "$pb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .pins = 1);
EOF
fails a_bad_declare_fails_in_the_unit_that_defines_it c -O2 "$vb" <<'EOF'
RPOOL_DECLARE_EX(items, item, .block_items = 16, .version_bits = 70);
RPOOL_DEFINE(items, item);
EOF
# At -O0 nothing is folded: it compiles, and the pool refuses at run time
# (test/bad_config.c).
builds bad_config_compiles_at_O0_and_is_refused_at_run_time c -O0 <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .version_bits = 64, .block_items = 1 << 17);
RPOOL_DEFINE_STATIC_EX(trims, item, .auto_trim = 101);
EOF
for opt in -O0 -O2; do
    builds limits_themselves_are_accepted c $opt <<'EOF'
RPOOL_DEFINE_STATIC_EX(lo, item, .version_bits = 2, .block_items = 65536, .chunk_items = 1 << 20);
RPOOL_DEFINE_STATIC_EX(hi, item, .version_bits = 63);
RPOOL_DEFINE_STATIC_EX(pinned, item, .version_bits = 32, .pins = 1);
RPOOL_DEFINE_STATIC_EX(trims, item, .auto_trim = 100);
RPOOL_DEFINE_STATIC_EX(trims1, item, .auto_trim = 1);
EOF
done

for std in c++17 c++20; do
    # C++17 fields go positionally: block_bytes, block_items, chunk_items,
    # max_items, version_bits, init, pins, auto_trim.
    fails version_bits_64_is_an_error "$std" -O0 "$vb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, 0, 0, 0, 0, 64);
EOF
    fails version_bits_1_in_a_declare_is_an_error "$std" -O0 "$vb" <<'EOF'
RPOOL_DECLARE_EX(items, item, 0, 0, 0, 0, 1);
EOF
    fails block_items_65537_is_an_error "$std" -O0 "$bi" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, 0, 65537);
EOF
    fails chunk_items_past_2_20_is_an_error "$std" -O0 "$ci" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, 0, 0, (1 << 20) + 1);
EOF
    fails pins_with_40_version_bits_is_an_error "$std" -O0 "$pb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, 0, 0, 0, 0, 40, 0, 1);
EOF
    fails auto_trim_101_is_an_error "$std" -O0 "$at" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, 0, 0, 0, 0, 0, 0, 0, 101);
EOF
    fails auto_trim_101_in_a_declare_is_an_error "$std" -O0 "$at" <<'EOF'
RPOOL_DECLARE_EX(items, item, 0, 0, 0, 0, 0, 0, 0, 101);
EOF
    builds limits_themselves_are_accepted "$std" -O0 <<'EOF'
RPOOL_DEFINE_STATIC_EX(lo, item, 0, 65536, 1 << 20, 0, 2, 0, 0, 1);
RPOOL_DEFINE_STATIC_EX(hi, item, 0, 0, 0, 0, 63);
RPOOL_DEFINE_STATIC_EX(trims, item, 0, 0, 0, 0, 0, 0, 1, 100);
EOF
    # GNU zero-length array: sizeof 0 in C++ too (an empty struct is 1).
    fails zero_size_type_is_an_error "$std" -O0 'sizeof\(T\) is 0' <<'EOF'
struct nothing { char none[0]; };
RPOOL_DEFINE_STATIC(nothings, nothing);
EOF
done
fails designated_version_bits_64_is_an_error c++20 -O0 "$vb" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .block_items = 16, .version_bits = 64);
EOF
fails designated_auto_trim_101_is_an_error c++20 -O0 "$at" <<'EOF'
RPOOL_DEFINE_STATIC_EX(items, item, .block_items = 16, .auto_trim = 101);
EOF

# The GNU empty struct has size 0 in C (-Wpedantic already refuses it, so
# these build without it).
fails empty_struct_is_an_error c '-O0 -std=gnu11 -Wno-pedantic' 'sizeof\(T\) is 0' <<'EOF'
struct nothing {};
RPOOL_DEFINE_STATIC(nothings, struct nothing);
EOF
fails zero_length_array_is_an_error c '-O2 -std=gnu11 -Wno-pedantic' 'sizeof\(T\) is 0' <<'EOF'
typedef struct nothing { char none[0]; } nothing;
RPOOL_DECLARE(nothings, nothing);
EOF

# The knobs: an #error wherever rpool.h is included.
fails version_bits_knob_64_is_an_error c -DRPOOL_VERSION_BITS=64 \
    'RPOOL_VERSION_BITS must be 2\.\.63' </dev/null
fails version_bits_knob_1_is_an_error c++17 -DRPOOL_VERSION_BITS=1 \
    'RPOOL_VERSION_BITS must be 2\.\.63' </dev/null
fails block_items_knob_65537_is_an_error c -DRPOOL_BLOCK_ITEMS=65537 \
    'RPOOL_BLOCK_ITEMS must be at most 65536' </dev/null

# ---- B, F. handles --------------------------------------------------------

for lang in c c++17; do
    builds null_handle_initializes_handles_anywhere "$lang" -O2 <<'EOF'
RPOOL_DECLARE(items, item);
RPOOL_DECLARE(others, other);
static items_handle first = RPOOL_NULL_HANDLE;
typedef struct holder { items_handle h; others_handle o; } holder;
static holder pair = { RPOOL_NULL_HANDLE, RPOOL_NULL_HANDLE };
int is_empty(void);
int is_empty(void)
{
    items_handle stored = { 42 }; /* a handle back from its .value */
    return items_is_null(first) && others_is_null(pair.o) && !items_equal(stored, pair.h);
}
EOF
    fails another_pools_handle_is_refused_by_the_compiler "$lang" -O0 \
        'incompatible type|convert|conversion' <<'EOF'
RPOOL_DECLARE(items, item);
RPOOL_DECLARE(more_items, item);
item *peek(more_items_handle h);
item *peek(more_items_handle h) { return items_lookup(h); }
EOF
    fails handles_of_two_pools_do_not_compare "$lang" -O0 \
        'incompatible type|convert|conversion' <<'EOF'
RPOOL_DECLARE(items, item);
RPOOL_DECLARE(more_items, item);
int same(items_handle a, more_items_handle b);
int same(items_handle a, more_items_handle b) { return items_equal(a, b); }
EOF
done

# ---- C. every public macro takes a semicolon; none goes without ---------

for lang in c c++17; do
    builds every_macro_takes_a_semicolon "$lang" -O2 <<'EOF'
RPOOL_DECLARE(d1, item);
RPOOL_DECLARE_EX(d2, item, 0, 16);
RPOOL_HANDLE(d3);
typedef struct node { d3_handle next; } node;
RPOOL_DECLARE_POOL(d3, node);
RPOOL_HANDLE(d4);
RPOOL_DECLARE_POOL_EX(d4, item, 0, 16);
RPOOL_DEFINE(d1, item);
RPOOL_DEFINE(d2, item);
RPOOL_DEFINE(d3, node);
RPOOL_DEFINE(d4, item);
RPOOL_DEFINE_STATIC(s1, item);
RPOOL_DEFINE_STATIC_EX(s2, item, 0, 16);
RPOOL_HANDLE(s3);
RPOOL_DEFINE_STATIC_POOL(s3, item);
RPOOL_HANDLE(s4);
RPOOL_DEFINE_STATIC_POOL_EX(s4, item, 0, 16);
EOF
    fails the_semicolon_is_required "$lang" -O0 'error' <<'EOF'
RPOOL_DEFINE_STATIC(s1, item)
RPOOL_DEFINE_STATIC(s2, item);
EOF
done

# ---- D. RPOOL_DEFINE's T must be the DECLARE's ---------------------------

for lang in c c++17; do
    fails define_with_another_type_is_an_error "$lang" -O0 \
        'RPOOL_DEFINE must name the same T as RPOOL_DECLARE' <<'EOF'
RPOOL_DECLARE(items, item);
RPOOL_DEFINE(items, other);
EOF
    builds define_with_the_same_type_under_another_name "$lang" -O0 <<'EOF'
typedef item same_item;
RPOOL_DECLARE(items, item);
RPOOL_DEFINE(items, same_item);
EOF
done

# ---- E. results that must be used -----------------------------------------

for lang in c c++17; do
    for call in 'items_acquire(&h)' 'items_acquire_n(&h, NULL, 1)' 'items_lookup(h)' \
                'items_id(h)' 'items_address(0)' 'items_is_null(h)' 'items_equal(h, h)'; do
        fails "ignoring_${call%%(*}_is_an_error" "$lang" -O0 'unused-result' <<EOF
RPOOL_DEFINE_STATIC(items, item);
void drop(void);
void drop(void)
{
    items_handle h = RPOOL_NULL_HANDLE;
    $call;
}
EOF
    done
    builds releases_may_be_ignored "$lang" -O0 <<'EOF'
RPOOL_DEFINE_STATIC(items, item);
void drop(items_handle h);
void drop(items_handle h)
{
    items_release(h);
    items_release_owned(h);
    items_release_n(&h, 1);
}
EOF
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
