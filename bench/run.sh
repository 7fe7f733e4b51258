#!/bin/sh
# run.sh MODE BINDIR OUTDIR - runs the benchmark suite and writes
# OUTDIR/RESULTS.md and OUTDIR/results.svg. Called by `make bench`
# (MODE full, OUTDIR bench) and `make bench-quick` (MODE quick, OUTDIR
# $(BUILD)/bench/quick). BINDIR holds bench_SYSTEM_SIZE for every system and
# size, BINDIR/bench_rpool-auto_SIZE (rpool with .auto_trim = 50, for W1
# and W12), and BINDIR/clang/bench_rpool_SIZE for W9's second compiler
# (bench.mk builds them); the raw figures go to BINDIR/raw-MODE.txt.
#
# Environment (bench.mk sets the first five): BENCH_CC and BENCH_CLANG, the
# compilers; BENCH_BUILD_LINE and BENCH_BUILD_SYSTEMS, how the programs
# were built, and BENCH_CLANG_LINE, how the clang programs were;
# BENCH_NOTE, an optional line about the conditions, copied into RESULTS.md;
# BENCH_REPORT_ONLY=1 writes RESULTS.md and the chart again from the raw
# figures of the last run (after editing bench/analysis.md, say).
set -eu

mode=${1:?usage: run.sh full|quick BINDIR OUTDIR}
bin=${2:?BINDIR}
out=${3:?OUTDIR}
here=$(dirname "$0")

systems="rpool rpool-owned glibc jemalloc mimalloc tcmalloc freelist vcheck"
sizes="16 128 1024"
w8threads="1 2 4 8 16 32"
w8pairs="1 2 3 4"
# W11 and W12 (issue 11, trim): the systems with a call that gives memory
# back (rpool-owned is rpool's pool again); W12 also rpool-auto.
trimmers="rpool glibc jemalloc mimalloc tcmalloc"

case $mode in
full)
    w1="11 10000000"; w1x2=$w1; w2="5 1000000"; w3="7 10000000"; w4="9 2000000"
    w5="7 5000000"; w6="7 2000000"; w7_runs=10; cg_n=500000; cg_sizes=$sizes
    w8own="5 8000000"; w8pc="5 2000000"; w9="11 1000000"; w10="7 5000000"; w12="4 1000000" ;;
quick)
    w1="3 1000000"; w1x2=$w1; w2="2 200000"; w3="3 1000000"; w4="3 200000"
    w5="3 500000"; w6="3 500000"; w7_runs=3; cg_n=100000; cg_sizes=16
    w8own="2 1000000"; w8pc="2 200000"; w9="3 1000000"; w10="3 500000"; w12="2 1000000" ;;
*)
    echo "run.sh: MODE is full or quick" >&2; exit 2 ;;
esac
w7_threads=1000
mem_n=1000000
w11=1000000

mkdir -p "$out"
raw=$bin/raw-$mode.txt
cmds=$bin/commands-$mode.txt

load() { cut -d' ' -f1-3 /proc/loadavg; }

# Runs one benchmark command, keeping its result lines; stops on a failure.
run() {
    echo "$*" >> "$cmds"
    echo "+ $*" >&2
    if ! "$@" > "$bin/last.out"; then
        echo "run.sh: failed: $*" >&2
        exit 1
    fi
    cat "$bin/last.out" >&2
    cat "$bin/last.out" >> "$raw"
}

# Runs every benchmark, appending the figures to $raw.
measure() {
    : > "$raw"
    : > "$cmds"
    echo "X started $(date -u '+%Y-%m-%d %H:%M UTC')" >> "$raw"
    echo "X load_start $(load)" >> "$raw"
    echo "X commit $(git -C "$here/.." rev-parse --short HEAD 2>/dev/null || echo unknown)$(
        git -C "$here/.." diff --quiet HEAD -- rpool.h rpool_impl.h 2>/dev/null ||
        echo ' with uncommitted changes to rpool.h/rpool_impl.h')" >> "$raw"
    for p in w1 w2 w3 w4 w5 w6 w8own w8pc w9 w10; do
        eval "echo \"X $p \$$p\"" >> "$raw"
    done
    echo "X w7 $w7_threads" >> "$raw"
    echo "X mem $mem_n" >> "$raw"
    echo "X w11 $w11" >> "$raw"
    echo "X w12 $w12" >> "$raw"
    echo "X w8threads $w8threads" >> "$raw"
    echo "X w8pairs $w8pairs" >> "$raw"
    echo "X cores $(nproc)" >> "$raw"
    echo "X compiler $(${BENCH_CC:-cc} --version | head -n 1)" >> "$raw"
    echo "X compiler_clang $(${BENCH_CLANG:-clang} --version | head -n 1)" >> "$raw"
    echo "X build_line ${BENCH_BUILD_LINE:-}" >> "$raw"
    echo "X build_line_clang ${BENCH_CLANG_LINE:-}" >> "$raw"
    echo "X build_systems ${BENCH_BUILD_SYSTEMS:-}" >> "$raw"
    echo "X note ${BENCH_NOTE:-}" >> "$raw"
    echo "X machine $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores online ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread per core), $(uname -sr)" >> "$raw"
    echo "X libc $(ldd --version 2>&1 | head -n 1)" >> "$raw"
    for p in libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 hyperfine valgrind; do
        echo "X package $p $(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo "not found")" >> "$raw"
    done
    t_start=$(date +%s)

    # The timed workloads, every system in turn for each size, so that a change
    # in the machine's load spreads over all systems rather than one.
    for w in w1 w1x2 w2 w3 w4 w5 w6; do
        eval "args=\$$w"
        for z in $sizes; do
            for s in $systems; do
                case $s-$w in
                freelist-w4|vcheck-w3|vcheck-w4) continue ;; # single-threaded
                rpool-owned-w6) continue ;; # the same lookup as rpool
                esac
                # shellcheck disable=SC2086
                run "$bin/bench_${s}_$z" $w $args
            done
        done
    done

    # W8 thread scaling, 16-byte objects: one process per system and count.
    for t in $w8threads; do
        for s in $systems; do
            [ "$s" = vcheck ] && continue # single-threaded
            # shellcheck disable=SC2086
            run "$bin/bench_${s}_16" w8own $w8own "$t"
        done
    done
    for p in $w8pairs; do
        for s in $systems; do
            case $s in freelist|vcheck) continue ;; esac # no cross-thread put
            # shellcheck disable=SC2086
            run "$bin/bench_${s}_16" w8pc $w8pc "$p"
        done
    done

    # W9 iteration: the systems with handles, and rpool built with clang.
    for z in 16 128; do
        for b in "$bin/bench_rpool_$z" "$bin/clang/bench_rpool_$z" "$bin/bench_vcheck_$z"; do
            # shellcheck disable=SC2086
            run "$b" w9 $w9
        done
    done

    # W10 (pinned reads against a mutex and an rwlock) and W1 on a pool with
    # .pins: rpool's own, 16-byte objects.
    # shellcheck disable=SC2086
    run "$bin/bench_rpool_16" w10 $w10
    # shellcheck disable=SC2086
    run "$bin/bench_rpool_16" w1p $w1
    # W1 on a pool with .auto_trim = 50: the policy's cost on the fast path.
    # shellcheck disable=SC2086
    run "$bin/bench_rpool-auto_16" w1 $w1

    # Memory per live object: one process per system and size.
    for z in $sizes; do
        for s in $systems; do
            run "$bin/bench_${s}_$z" mem $mem_n
        done
    done

    # W11 trim after a burst, and W12 sawtooth: RSS, one process per system
    # and size.
    for z in 16 128; do
        for s in $trimmers; do
            run "$bin/bench_${s}_$z" w11 $w11
        done
    done
    for z in 16 128; do
        for s in $trimmers rpool-auto; do
            # shellcheck disable=SC2086
            run "$bin/bench_${s}_$z" w12 $w12
        done
    done

    # W7 thread churn: what is held afterwards, then the whole process timed by
    # hyperfine.
    for z in $sizes; do
        set --
        for s in $systems; do
            case $s in freelist|vcheck) continue ;; esac # single-threaded
            run "$bin/bench_${s}_$z" w7 $w7_threads
            set -- "$@" -n "$s" "$bin/bench_${s}_$z w7 $w7_threads"
        done
        csv=$bin/w7-$z-$mode.csv
        echo "hyperfine -N --warmup 2 --runs $w7_runs --export-csv $csv $*" >> "$cmds"
        hyperfine -N --warmup 2 --runs "$w7_runs" --style basic --export-csv "$csv" "$@" >&2
        awk -F, -v z="$z" 'NR > 1 { printf "R W7 process %s %s %.3f %.3f %.3f ms\n",
                                            $1, z, $4 * 1e3, $7 * 1e3, $8 * 1e3 }' "$csv" >> "$raw"
    done

    # Instructions per W1 pair under callgrind: (Ir(2N pairs) - Ir(N pairs)) / N,
    # so that start-up, warm-up and exit cancel out. w1k keeps one other object
    # live.
    ir() {
        echo "valgrind --tool=callgrind --callgrind-out-file=/dev/null $*" >> "$cmds"
        if ! valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" \
                > /dev/null 2> "$bin/last.err"; then
            cat "$bin/last.err" >&2
            echo "run.sh: failed under callgrind: $*" >&2
            exit 1
        fi
        sed -n 's/.*Collected : *\([0-9][0-9]*\).*/\1/p' "$bin/last.err"
    }
    # One I line: the counts of program $1 running $2 for N and 2N pairs,
    # as system $3 and size $4.
    ir_line() {
        a=$(ir "$1" "$2" 1 $cg_n) || exit 1
        b=$(ir "$1" "$2" 1 $((2 * cg_n))) || exit 1
        if [ -z "$a" ] || [ -z "$b" ]; then
            echo "run.sh: callgrind gave no count for $1 $2" >&2
            exit 1
        fi
        echo "I $2 $3 $4 $a $b $cg_n" | tee -a "$raw" >&2
    }
    for z in $cg_sizes; do
        for s in $systems; do
            for w in w1 w1k; do
                ir_line "$bin/bench_${s}_$z" $w "$s" "$z"
            done
        done
        ir_line "$bin/bench_rpool_$z" w1p rpool "$z"
        ir_line "$bin/bench_rpool-auto_$z" w1 rpool-auto "$z"
    done
    # W1 built with the second compiler (issue 12's targets are for both).
    for s in rpool rpool-owned; do
        ir_line "$bin/clang/bench_${s}_16" w1 "$s-clang" 16
    done

    echo "X load_end $(load)" >> "$raw"
    echo "X minutes $(( ($(date +%s) - t_start + 59) / 60 ))" >> "$raw"
}

[ "${BENCH_REPORT_ONLY:-0}" = 1 ] || measure

meta() { sed -n "s/^X $1 //p" "$raw"; }

# ---- RESULTS.md ----------------------------------------------------------

md=$out/RESULTS.md
{
    echo "# rpool benchmark results"
    echo
    if [ "$mode" = quick ]; then
        echo "**Quick run (\`make bench-quick\`): short, a sanity check only; figures are not comparable with \`make bench\`.**"
        echo
    fi
    target=bench
    [ "$mode" = quick ] && target=bench-quick
    echo "Written by \`make $target\` (\`bench/run.sh $mode\`); do not edit by hand."
    echo
    echo "| | |"
    echo "|---|---|"
    echo "| date | $(meta started), run took $(meta minutes) min |"
    echo "| rpool | commit $(meta commit) |"
    echo "| machine | $(meta machine) |"
    echo "| load average (1, 5, 15 min) | $(meta load_start) at the start, $(meta load_end) at the end |"
    if [ -n "$(meta note)" ]; then
        echo "| conditions | $(meta note) |"
    fi
    echo "| compiler | $(meta compiler) |"
    echo "| second compiler (W9) | $(meta compiler_clang) |"
    echo "| libc | $(meta libc) |"
    meta package | while read -r p v; do
        echo "| $p | $v |"
    done
    echo
    echo "## How it was run"
    echo
    echo "Each system and object size is its own program, built from"
    echo "\`bench/bench.c\` (workloads) over \`bench/bench_sys.h\` (one-line"
    echo "get/put/deref per system); rpool's pool is"
    echo "\`RPOOL_DEFINE_STATIC(objs, bench_obj)\` with the default configuration."
    echo "Systems: **rpool** releases with \`objs_release\` (compare-and-swap),"
    echo "**rpool-owned** with \`objs_release_owned\` (no atomic"
    echo "read-modify-write); **glibc**, **jemalloc**, **mimalloc**, **tcmalloc**:"
    echo "\`malloc\`/\`free\` of that allocator, linked in; **freelist**: a naive"
    echo "single-threaded intrusive free list carving 4096-object slabs, the"
    echo "floor; **vcheck**: the version-check floor, a minimal single-threaded"
    echo "pool of versioned handles (\`bench/bench_sys.h\`) that refuses exactly"
    echo "what rpool refuses, so that the cost of rpool's checks shows. The"
    echo "malloc programs name the library their \`malloc\` resolves"
    echo "to (\`dladdr\`), so the system column is what ran, not what was asked."
    echo "**rpool-auto** is rpool on a pool with \`.auto_trim = 50\` (W1 and W12 only)."
    echo "W9 also runs rpool built with a second compiler (the second line),"
    echo "and W1's instruction count is also taken of rpool and rpool-owned"
    echo "(\`-DBENCH_OWNED\` added) built with it."
    echo
    echo '```'
    meta build_line
    for e in $(meta build_systems); do
        echo "$e" | awk -F: '{ gsub(/\+/, " ", $2); gsub(/\+/, " ", $3);
                              printf "  %-12s DEFS=%-30s LIBS=%s\n", $1, $2, $3 }'
    done
    meta build_line_clang
    echo '```'
    echo
    echo "Commands, in the order run (SYS = each system, SIZE = 16, 128, 1024"
    echo "where it applies, T = $(meta w8threads | tr ' ' ,) threads, P = $(meta w8pairs | tr ' ' ,)"
    echo "pairs; the full list below):"
    echo
    echo '```'
    sed -e "s|$bin/\(clang/\)\{0,1\}bench_[a-z-]*_[0-9]*|$bin/\1bench_SYS_SIZE|g" \
        -e 's|\( w8own [0-9]* [0-9]*\) [0-9]*$|\1 T|' \
        -e 's|\( w8pc [0-9]* [0-9]*\) [0-9]*$|\1 P|' \
        -e "s|-[0-9]*-$mode.csv|-SIZE-$mode.csv|" \
        -e "s|-n [a-z-]* ||g" \
        -e ':a' -e 's|\(SYS_SIZE w7 [0-9]*\) [^ ]*bench_SYS_SIZE w7 [0-9]*|\1|' -e 'ta' \
        -e 's|^hyperfine .*|& (one command per SYS)|' \
        "$cmds" | awk '!seen[$0]++'
    echo '```'
    echo
    echo "<details><summary>All $(wc -l < "$cmds") commands</summary>"
    echo
    echo '```'
    cat "$cmds"
    echo '```'
    echo
    echo "</details>"
    echo
    awk -v w1="$(meta w1)" -v w2="$(meta w2)" -v w3="$(meta w3)" -v w4="$(meta w4)" \
        -v w5="$(meta w5)" -v w6="$(meta w6)" -v w7="$(meta w7)" -v mem="$(meta mem)" \
        -v w8own="$(meta w8own)" -v w8pc="$(meta w8pc)" -v w9="$(meta w9)" -v w10="$(meta w10)" \
        -v w11="$(meta w11)" -v w12="$(meta w12)" \
        -v w8threads="$(meta w8threads)" -v w8pairs="$(meta w8pairs)" -v ncores="$(meta cores)" \
        -f "$here/report.awk" "$raw"
    if [ -f "$here/analysis.md" ]; then
        echo
        cat "$here/analysis.md"
    fi
    echo
    cat "$here/external.md"
} > "$md"

# ---- chart ---------------------------------------------------------------

dat=$bin/chart-$mode.dat
awk -v systems="$systems" -v sizes="$sizes" -f "$here/chartdata.awk" "$raw" > "$dat"
gnuplot -e "datafile='$dat'; outfile='$out/results.svg'; sizes='$sizes'; nsys=$(echo "$systems" | wc -w)" \
    "$here/chart.gp"
echo "wrote $md and $out/results.svg" >&2
