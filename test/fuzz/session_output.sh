#!/bin/sh
# A fuzzing session (make fuzz-smoke, which CI runs) prints a few lines and
# its count line, not libFuzzer's thousands: those go to the log under
# FUZZ_DIR. Runs two-second sessions, one clean and one that the fuzzer
# fails (-rss_limit_mb=1). Without a libFuzzer runtime for FUZZ_CC both are
# skipped with a note: installing one is `make fuzz-rt`'s job, not a test's.
#
# usage: session_output.sh BUILD MAKE FUZZ_CC   (from the repository root)
# Ends with "N passed, M failed".
set -u
build=${1:-build}
make=${2:-make}
fuzz_cc=${3:-clang}
# Kept between runs, so the fuzzer is only rebuilt when its sources change.
dir=$build/fuzz-output
passed=0
failed=0

# The outer make's flags (jobserver, BUILD=...) are not for these runs.
unset MAKEFLAGS MFLAGS MAKELEVEL

mkdir -p "$dir"
probe='int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }'
if ! echo "$probe" | "$fuzz_cc" -fsanitize=fuzzer -x c - -o "$dir/probe" 2>/dev/null; then
    echo "skip fuzz sessions: $fuzz_cc cannot link -fsanitize=fuzzer (make fuzz-rt installs it)"
    echo "2 passed, 0 failed"
    exit 0
fi

# session NAME WANT_RC WANT_COUNT MAX_LINES [FUZZ_ARGS]: runs fuzz-smoke;
# its output must end with WANT_COUNT within MAX_LINES lines, and the log
# must hold libFuzzer's final "Done" or "SUMMARY" line.
session() {
    name=$1 want_rc=$2 want_count=$3 max_lines=$4 args=${5:-}
    out=$dir/$name.out
    rm -f "$dir/smoke.log"
    "$make" --no-print-directory fuzz-smoke BUILD="$build" FUZZ_DIR="$dir" FUZZ_CC="$fuzz_cc" \
        FUZZ_SMOKE_SECONDS=2 FUZZ_ARGS="$args" > "$out" 2>&1
    rc=$?
    lines=$(wc -l < "$out")
    # make's own "make: *** ... Error 1" comes after the count line.
    last=$(grep -v '^make: \*\*\*' "$out" | tail -n 1)
    if [ $((rc != 0)) -eq "$want_rc" ] && [ "$last" = "$want_count" ] &&
        [ "$lines" -le "$max_lines" ] && grep -qE '^(Done |SUMMARY: )' "$dir/smoke.log"; then
        echo "ok   $name ($lines lines; log $(wc -l < "$dir/smoke.log") lines)"
        passed=$((passed + 1))
    else
        echo "FAIL $name: exit $rc, $lines lines, last: $last"
        head -n 20 "$out" | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

session a_clean_session_prints_its_stats_and_count 0 "1 passed, 0 failed" 12
session a_failed_session_prints_the_report_and_count 1 "0 passed, 1 failed" 60 -rss_limit_mb=1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
