#!/bin/sh
# make asan, ubsan, tsan and valgrind rebuild the tests through two levels of
# recursive make; each compile line they run must still carry every flag
# once (-pthread twice: once to compile, once to link). Reads the commands
# from `make -n`, which runs the recursive makes but neither the compiler,
# the tests nor apt-get.
#
# usage: san_flags.sh BUILD MAKE   (from the repository root)
# Ends with "N passed, M failed".
set -u
build=${1:-build}
make=${2:-make}
work=$build/san-flags
passed=0
failed=0

# The outer make's flags (jobserver, BUILD=...) are not for these runs.
unset MAKEFLAGS MFLAGS MAKELEVEL

rm -rf "$work"
mkdir -p "$work"

# A compile line writes a program under .../test/ (the probe that checks
# the sanitizer runtimes writes /dev/null).
compile_line=' -o [^ ]*/test/'

# Prints each flag a compile line repeats, with the line; silent when none.
repeated_flags() {
    awk -v re="$compile_line" '$0 ~ re {
        delete seen
        for (i = 1; i <= NF; i++)
            if ($i ~ /^-/ && $i != "-o")
                seen[$i]++
        for (f in seen)
            if (seen[f] > (f == "-pthread" ? 2 : 1))
                print "    " f " x" seen[f] " in: " $0
    }' "$1"
}

for target in asan ubsan tsan valgrind; do
    out=$work/$target.txt
    "$make" --no-print-directory -n "$target" BUILD="$work/build" > "$out" 2>&1
    rc=$?
    lines=$(grep -c -e "$compile_line" "$out")
    bad=$(repeated_flags "$out")
    if [ "$rc" -eq 0 ] && [ "$lines" -gt 0 ] && [ -z "$bad" ]; then
        echo "ok   make_${target}_passes_each_flag_once ($lines compile lines)"
        passed=$((passed + 1))
    else
        echo "FAIL make_${target}_passes_each_flag_once (exit $rc, $lines compile lines)"
        printf '%s\n' "$bad" | head -n 5
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
