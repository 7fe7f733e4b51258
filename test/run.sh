#!/bin/sh
# Runs each test program given, sums the "N passed, M failed" line each one
# ends with, and ends with the same line for the whole suite. A program that
# ends without that line (a crash, a script) counts as one test, by its exit
# status.
passed=0
failed=0
for t in "$@"; do
    echo "== $t"
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    last=$(printf '%s\n' "$out" | tail -n 1)
    p=$(printf '%s\n' "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1/p')
    f=$(printf '%s\n' "$last" | sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\2/p')
    if [ -n "$p" ]; then
        passed=$((passed + p))
        failed=$((failed + f))
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            echo "FAIL $t: exit status $rc"
            failed=$((failed + 1))
        fi
    elif [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
    else
        echo "FAIL $t: exit status $rc"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
