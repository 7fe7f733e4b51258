# report.awk - turns the raw lines of run.sh into the tables of RESULTS.md.
#
#   R WORKLOAD METRIC SYSTEM SIZE MEDIAN MIN MAX UNIT   a timed figure
#   M WORKLOAD METRIC SYSTEM SIZE VALUE                 a count or a size
#   I VARIANT SYSTEM SIZE IR_N IR_2N N                  callgrind totals
#
# run.sh passes the parameters of each workload (-v w1="REPS N", ...; w11
# "N", w12 "CYCLES N"), and w8threads and w8pairs, the counts W8 ran at.

BEGIN {
    nsys = split("rpool rpool-owned glibc jemalloc mimalloc tcmalloc freelist vcheck", sys, " ")
    npeer = split("glibc jemalloc mimalloc tcmalloc", peer, " ")
    nsz = split("16 128 1024", sz, " ")
    split("16 128", w9sz, " ")
    split("100 50", w9pct, " ")
    ntrim = split("rpool glibc jemalloc mimalloc tcmalloc", trimmer, " ")
    split("16 128", trimsz, " ")
    for (i = 1; i <= npeer; i++)
        ispeer[peer[i]] = 1
}

$1 == "R" {
    k = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5
    med[k] = $6; lo[k] = $7; hi[k] = $8
    unit[$2 SUBSEP $3] = $9
}
$1 == "M" { val[$2 SUBSEP $3 SUBSEP $4 SUBSEP $5] = $6; mseen[$2] = 1 }
$1 == "I" { ir[$2 SUBSEP $3 SUBSEP $4] = ($6 - $5) / $7 }

function num(x) {
    if (x >= 100) return sprintf("%.0f", x)
    if (x >= 10) return sprintf("%.1f", x)
    return sprintf("%.2f", x)
}

function has(w, m, s, z) { return (w SUBSEP m SUBSEP s SUBSEP z) in med }
function get(w, m, s, z) { return med[w SUBSEP m SUBSEP s SUBSEP z] }

function cell(w, m, s, z,    k) {
    k = w SUBSEP m SUBSEP s SUBSEP z
    if (!(k in med)) return "n/a"
    return num(med[k]) " (" num(lo[k]) "–" num(hi[k]) ")"
}

# The highest median among the malloc peers, for rates; 0 when none ran.
function best_rate(w, m, z,    i, b, v) {
    b = 0
    for (i = 1; i <= npeer; i++)
        if (has(w, m, peer[i], z)) {
            v = get(w, m, peer[i], z)
            if (v > b) b = v
        }
    return b
}

# The lowest median among the malloc peers; 0 when none ran.
function best(w, m, z,    i, b, v) {
    b = 0
    for (i = 1; i <= npeer; i++)
        if (has(w, m, peer[i], z)) {
            v = get(w, m, peer[i], z)
            if (b == 0 || v < b) b = v
        }
    return b
}

# "10M", "200k": the count of a "REPS COUNT" parameter pair.
function count(param,    a, n) {
    split(param, a, " ")
    n = a[2] + 0
    if (n >= 1000000 && n % 1000000 == 0) return (n / 1000000) "M"
    if (n >= 1000 && n % 1000 == 0) return (n / 1000) "k"
    return n
}

function reps(param,    a) {
    split(param, a, " ")
    return a[1]
}

function ratio(x, y) { return y > 0 ? sprintf("%.2f×", x / y) : "n/a" }

# One table: a row per system, for each size the median with the spread
# over repetitions and the ratio to the best malloc peer.
function timed(w, m, title, text,    i, j, s, line, b) {
    if (!((w SUBSEP m) in unit)) return
    print "### " title
    print ""
    print text " Median (min–max) in " unit[w SUBSEP m] "; ×best: median ÷ the best median among glibc, jemalloc, mimalloc and tcmalloc in this run."
    print ""
    line = "| system |"
    for (j = 1; j <= nsz; j++) line = line " " sz[j] " B | ×best |"
    print line
    line = "|---|"
    for (j = 1; j <= nsz; j++) line = line "---:|---:|"
    print line
    for (i = 1; i <= nsys; i++) {
        s = sys[i]
        line = "| " s " |"
        for (j = 1; j <= nsz; j++) {
            b = best(w, m, sz[j])
            line = line " " cell(w, m, s, sz[j]) " | " \
                   (has(w, m, s, sz[j]) ? ratio(get(w, m, s, sz[j]), b) : "") " |"
        }
        print line
    }
    print ""
}

function verdict(ok) { return ok ? "met" : "**missed**" }

function key(w, m, s, z) { return w SUBSEP m SUBSEP s SUBSEP z }

# Whether the spreads agree with the medians on "a ≤ t × b": the worst
# case (max a ÷ min b) when the medians meet it, the best case (min a ÷
# max b) when they miss it.
function settles(ka, kb, t) {
    if (med[ka] / med[kb] <= t) return hi[ka] / lo[kb] <= t
    return lo[ka] / hi[kb] > t
}

function timed_verdict(ok, settled) {
    return verdict(ok) (settled ? "" : " (spreads overlap: not settled)")
}

END {
    print "## Results"
    print ""
    print "Figures are medians over repetitions in one process (W2: over fresh"
    print "child processes), with the spread (min–max) in brackets. Ratios are"
    print "taken within this run. The chart `results.svg` shows the medians:"
    print ""
    print "![ns per operation per system per workload](results.svg)"
    print ""
    headline()

    timed("W1", "pair", "W1 hot pair", "Get one object, write a word of it, put it back; " count(w1) " times, " reps(w1) " repetitions; nothing else live.")
    if (has("W1", "pair-pins", "rpool", 16) && has("W1", "pair", "rpool", 16)) {
        print "W1 on a pool with `.pins = 1` (16 B, `w1p`): " cell("W1", "pair-pins", "rpool", 16) " ns per pair, " \
              ratio(get("W1", "pair-pins", "rpool", 16), get("W1", "pair", "rpool", 16)) " the plain pool's W1" \
              ((("w1p" SUBSEP "rpool" SUBSEP 16) in ir) && (("w1" SUBSEP "rpool" SUBSEP 16) in ir) ? \
               sprintf("; %.1f instructions per pair against %.1f", ir["w1p", "rpool", 16], ir["w1", "rpool", 16]) : "") "."
        print ""
    }
    if (has("W1", "pair", "rpool-auto", 16) && has("W1", "pair", "rpool", 16)) {
        print "W1 on a pool with `.auto_trim = 50` (16 B, rpool-auto): " cell("W1", "pair", "rpool-auto", 16) " ns per pair, " \
              ratio(get("W1", "pair", "rpool-auto", 16), get("W1", "pair", "rpool", 16)) " the plain pool's W1" \
              ((("w1" SUBSEP "rpool-auto" SUBSEP 16) in ir) && (("w1" SUBSEP "rpool" SUBSEP 16) in ir) ? \
               sprintf("; %.1f instructions per pair against %.1f", ir["w1", "rpool-auto", 16], ir["w1", "rpool", 16]) : "") "."
        print ""
    }
    timed("W1", "pair-x2", "W1 with two pairs in flight (diagnosis)", "The same pairs two at a time: get a, get b, touch both, put a, put b (`w1x2`); ns per pair. Not a target: it shows whether a pair is bound by the latency of one chain of dependent loads and stores (then this is much faster than W1) or by the work itself (then it is not).")
    timed("W2", "acquire-cold", "W2 batch: acquire, round 1 (cold)", "Get " count(w2) " objects and keep them, then put them all back; 5 rounds in each of " reps(w2) " fresh child processes. This table: the gets of round 1.")
    timed("W2", "acquire-warm", "W2 batch: acquire, rounds 2–5", "The gets of rounds 2–5, after round 1 put everything back.")
    timed("W2", "release-cold", "W2 batch: release, round 1 (cold)", "The puts of round 1, in the order the objects were got.")
    timed("W2", "release-warm", "W2 batch: release, rounds 2–5", "The puts of rounds 2–5.")
    timed("W3", "pair-per-thread", "W3 two threads, each W1", "Two threads at once, each doing " count(w3) " W1 pairs; wall time ÷ pairs per thread (equal to W1 if it scales perfectly on two free cores); " reps(w3) " repetitions. vcheck is single-threaded: n/a.")
    timed("W4", "object", "W4 cross-thread", "A producer gets and touches " count(w4) " objects and passes them through a 1024-slot ring to a consumer that puts them (rpool: handles; malloc: pointers); wall time ÷ objects; " reps(w4) " repetitions. The freelist and vcheck are single-threaded: n/a.")
    timed("W5", "op", "W5 random churn", "200k slots, 100k live; each op picks a slot at random and puts its object if live, else gets one into it; " count(w5) " ops, " reps(w5) " repetitions.")

    # W6: the checked lookups against the pointer array of the same objects.
    if (("W6" SUBSEP "pointer") in unit) {
        print "### W6 random lookup of 1M live objects"
        print ""
        print count(w6) " reads of a word of a random one of 1M live objects, " reps(w6) " repetitions. rpool lookup: `objs_lookup(handles[i])`, NULL-checked; vcheck lookup: the version-check floor's own, NULL-checked; pointer array: `pointers[i]->w[0]`, the unchecked floor, over each system's own objects. Median (min–max) in " unit["W6" SUBSEP "pointer"] "; ×pointer: the lookup ÷ the pointer array of the same objects, same process."
        print ""
        line = "| reads through |"
        for (j = 1; j <= nsz; j++) line = line " " sz[j] " B | ×pointer |"
        print line
        line = "|---|"
        for (j = 1; j <= nsz; j++) line = line "---:|---:|"
        print line
        n2 = split("rpool vcheck", chk, " ")
        for (i = 1; i <= n2; i++) {
            s = chk[i]
            line = "| " s " lookup |"
            for (j = 1; j <= nsz; j++)
                line = line " " cell("W6", "lookup", s, sz[j]) " | " \
                       (has("W6", "lookup", s, sz[j]) && has("W6", "pointer", s, sz[j]) ? \
                        ratio(get("W6", "lookup", s, sz[j]), get("W6", "pointer", s, sz[j])) : "n/a") " |"
            print line
        }
        for (i = 1; i <= nsys; i++) {
            s = sys[i]
            if (s == "rpool-owned") continue
            line = "| pointer array, " s " objects |"
            for (j = 1; j <= nsz; j++) line = line " " cell("W6", "pointer", s, sz[j]) " | |"
            print line
        }
        print ""
    }

    checks_cost()
    iteration()
    scaling("own", "wall", w8threads, "W8 own pairs, M pairs per wall-second", "Each of T threads (the columns) gets 64 objects, touching each, then puts them all back, in rounds; " count(w8own) " pairs in all, split evenly over the threads, new threads for each of " reps(w8own) " repetitions; 16-byte objects. Millions of pairs ÷ wall time from the start line to the last join, median (min–max); ×best: ÷ the best (highest) malloc peer, so above 1× is faster. The machine has " ncores " cores: beyond " ncores " threads they are oversubscribed and take turns. vcheck is single-threaded: n/a.")
    scaling("own", "cpu", w8threads, "W8 own pairs, M pairs per CPU-second", "The same runs: pairs ÷ the CPU time of the whole process (`CLOCK_PROCESS_CPUTIME_ID`) over the same span, thread exit included.")
    scaling("pc", "wall", w8pairs, "W8 producer/consumer pairs, M objects per wall-second", "P pairs (the columns) at once, each a W4: a producer gets and touches objects and passes them through its own 1024-slot ring to its consumer, which puts them (rpool: `release` or `release_owned`); " count(w8pc) " objects in all, split evenly over the pairs, " reps(w8pc) " repetitions; 16-byte objects. Millions of objects ÷ wall time, median (min–max); ×best as above. 2 P threads on " ncores " cores: oversubscribed from " (int(ncores / 2) + 1) " pairs. The freelist and vcheck are single-threaded: n/a.")
    scaling("pc", "cpu", w8pairs, "W8 producer/consumer pairs, M objects per CPU-second", "The same runs: objects ÷ the CPU time of the whole process. A thread waiting on its ring spins 64 pauses, then yields; its waiting counts.")

    # W10: reads under a pin against the same reads under a lock.
    if (("W10" SUBSEP "pin-1") in unit) {
        print "### W10 pinned reads of one hot object"
        print ""
        print "Read a word of one live 16-byte object " count(w10) " times, " reps(w10) " repetitions, each read under its own guard: `pobjs_pin` then `pobjs_unpin` of its handle (a pool with `.pins = 1`), a `pthread_mutex_t` lock and unlock, or a `pthread_rwlock_t` read lock and unlock. Two threads: both read the same object at once; wall time ÷ reads per thread (as W3). Median (min–max) in " unit["W10" SUBSEP "pin-1"] "."
        print ""
        print "| guard | 1 thread | 2 threads, one object |"
        print "|---|---:|---:|"
        print "| pin + unpin | " cell("W10", "pin-1", "rpool", 16) " | " cell("W10", "pin-2", "rpool", 16) " |"
        print "| pthread_mutex | " cell("W10", "mutex-1", "rpool", 16) " | " cell("W10", "mutex-2", "rpool", 16) " |"
        print "| pthread_rwlock, read side | " cell("W10", "rwlock-1", "rpool", 16) " | " cell("W10", "rwlock-2", "rpool", 16) " |"
        print ""
    }

    print "### W7 thread churn"
    print ""
    print w7 " threads, one at a time, each gets one object, keeps it and exits. blocks and pool bytes: rpool's `objs_stats` afterwards; RSS growth: VmRSS after − before (every system; includes thread stacks the C library caches); time: the whole process under hyperfine, median (min–max). The freelist and vcheck are single-threaded: n/a."
    print ""
    print "| system | size | blocks | pool bytes | RSS growth KiB | process ms |"
    print "|---|---:|---:|---:|---:|---:|"
    for (j = 1; j <= nsz; j++)
        for (i = 1; i <= nsys; i++) {
            s = sys[i]; z = sz[j]
            if (!(("W7" SUBSEP "rss-growth-kib" SUBSEP s SUBSEP z) in val)) continue
            print "| " s " | " z " | " \
                  ((("W7" SUBSEP "blocks" SUBSEP s SUBSEP z) in val) ? val["W7", "blocks", s, z] : "") " | " \
                  ((("W7" SUBSEP "bytes" SUBSEP s SUBSEP z) in val) ? val["W7", "bytes", s, z] : "") " | " \
                  val["W7", "rss-growth-kib", s, z] " | " cell("W7", "process", s, z) " |"
        }
    print ""

    print "### Memory per live object"
    print ""
    print "Peak RSS growth (VmHWM after − VmRSS before) ÷ " count("1 " mem) " objects got and kept, in bytes per object; the caller's handle array is faulted in before. rpool (stats.bytes): the pool's own count of what it holds ÷ " count("1 " mem) ". ×best: ÷ the best malloc peer."
    print ""
    line = "| system |"
    for (j = 1; j <= nsz; j++) line = line " " sz[j] " B | ×best |"
    print line
    line = "|---|"
    for (j = 1; j <= nsz; j++) line = line "---:|---:|"
    print line
    for (j = 1; j <= nsz; j++) {
        mb[j] = 0
        for (i = 1; i <= npeer; i++) {
            k = "MEM" SUBSEP "rss-bytes-per-object" SUBSEP peer[i] SUBSEP sz[j]
            if ((k in val) && (mb[j] == 0 || val[k] < mb[j])) mb[j] = val[k]
        }
    }
    for (i = 1; i <= nsys; i++) {
        s = sys[i]
        line = "| " s " |"
        for (j = 1; j <= nsz; j++) {
            k = "MEM" SUBSEP "rss-bytes-per-object" SUBSEP s SUBSEP sz[j]
            line = line " " ((k in val) ? val[k] " | " ratio(val[k], mb[j]) : "n/a | ") " |"
        }
        print line
        if (s == "rpool") {
            line = "| rpool (stats.bytes) |"
            for (j = 1; j <= nsz; j++) {
                k = "MEM" SUBSEP "pool-bytes-per-object" SUBSEP s SUBSEP sz[j]
                line = line " " ((k in val) ? val[k] " | " ratio(val[k], mb[j]) : "n/a | ") " |"
            }
            print line
        }
    }
    print ""

    trim_tables()

    print "### Instructions per W1 pair (callgrind)"
    print ""
    print "Instructions executed per get-touch-put pair, the whole W1 loop included: (Ir of a run with 2N pairs − Ir of a run with N pairs) ÷ N, so start-up, warm-up and exit cancel. W1: nothing else live; +1 live: one other object kept live throughout (`w1k`), which keeps mimalloc off the path it takes when a page empties. Exact and independent of load."
    print ""
    line = "| system |"
    for (j = 1; j <= nsz; j++) line = line " " sz[j] " B W1 | " sz[j] " B +1 live |"
    print line
    line = "|---|"
    for (j = 1; j <= nsz; j++) line = line "---:|---:|"
    print line
    for (i = 1; i <= nsys; i++) {
        s = sys[i]
        line = "| " s " |"
        for (j = 1; j <= nsz; j++) {
            k1 = "w1" SUBSEP s SUBSEP sz[j]; k2 = "w1k" SUBSEP s SUBSEP sz[j]
            line = line " " ((k1 in ir) ? sprintf("%.1f", ir[k1]) : "n/a") " | " \
                   ((k2 in ir) ? sprintf("%.1f", ir[k2]) : "n/a") " |"
        }
        print line
    }
    print ""

    # Targets of issue 4, checked against this run's figures.
    print "## Targets (issue 4)"
    print ""
    print "Checked against the figures above (16-byte objects unless said). A time verdict is taken on medians; \"not settled\" means the min–max spreads allow the other verdict."
    print ""
    print "| target | measured | |"
    print "|---|---|---|"
    z = 16
    if (("w1" SUBSEP "rpool" SUBSEP z) in ir) {
        x = ir["w1", "rpool", z]
        print "| W1 instructions per pair, `release` ≤ 40 | " sprintf("%.1f", x) " | " verdict(x <= 40) " |"
    }
    if (("w1" SUBSEP "rpool-owned" SUBSEP z) in ir) {
        x = ir["w1", "rpool-owned", z]
        print "| W1 instructions per pair, `release_owned` ≤ 36 | " sprintf("%.1f", x) " | " verdict(x <= 36) " |"
    }
    if (("w1" SUBSEP "rpool" SUBSEP z) in ir) {
        ok = 1
        for (i = 1; i <= npeer; i++)
            for (v = 1; v <= 2; v++) {
                k = (v == 1 ? "w1" : "w1k") SUBSEP peer[i] SUBSEP z
                if ((k in ir) && ir[k] <= ir["w1", "rpool", z]) ok = 0
            }
        print "| W1 instructions: fewer than every peer (both W1 columns) | rpool " sprintf("%.1f", ir["w1", "rpool", z]) \
              "; lowest peer " lowest_peer_ir(z) " | " verdict(ok) " |"
    }
    if (has("W1", "pair", "rpool-owned", z)) {
        f = ""; ok = 1; st = 1
        n3 = split("glibc jemalloc mimalloc", p3, " ")
        for (i = 1; i <= n3; i++)
            if (has("W1", "pair", p3[i], z)) {
                x = get("W1", "pair", "rpool-owned", z) / get("W1", "pair", p3[i], z)
                f = f (f == "" ? "" : ", ") sprintf("%.2f× %s", x, p3[i])
                if (x > 0.70) ok = 0
                if (!settles(key("W1", "pair", "rpool-owned", z), key("W1", "pair", p3[i], z), 0.70)) st = 0
            }
        print "| W1 time, `release_owned` ≤ 0.70× glibc, jemalloc, mimalloc | " f " | " timed_verdict(ok, st) " |"
    }
    if (has("W1", "pair", "rpool", z) && has("W1", "pair", "glibc", z)) {
        x = get("W1", "pair", "rpool", z) / get("W1", "pair", "glibc", z)
        st = settles(key("W1", "pair", "rpool", z), key("W1", "pair", "glibc", z), 1.0)
        print "| W1 time, `release` ≤ 1.0× glibc | " sprintf("%.2f×", x) " | " timed_verdict(x <= 1.0, st) " |"
    }
    if (has("W4", "object", "rpool", z) && has("W4", "object", "jemalloc", z)) {
        x = get("W4", "object", "rpool", z) / get("W4", "object", "jemalloc", z)
        y = has("W4", "object", "rpool-owned", z) ? get("W4", "object", "rpool-owned", z) / get("W4", "object", "jemalloc", z) : 0
        st = settles(key("W4", "object", "rpool", z), key("W4", "object", "jemalloc", z), 0.5)
        print "| W4 time ≤ 0.5× jemalloc | " sprintf("%.2f× (`release`), %.2f× (`release_owned`)", x, y) " | " timed_verdict(x <= 0.5, st) " |"
    }
    if (("W7" SUBSEP "blocks" SUBSEP "rpool" SUBSEP z) in val) {
        x = val["W7", "blocks", "rpool", z]
        print "| W7: ≤ 8 blocks after 1000 threads | " x " blocks | " verdict(x <= 8) " |"
    }
    if (("MEM" SUBSEP "rss-bytes-per-object" SUBSEP "rpool" SUBSEP z) in val) {
        x = val["MEM", "rss-bytes-per-object", "rpool", z]
        print "| Memory ≤ 21 bytes per live object at 1M live | " x " B (RSS), " \
              val["MEM", "pool-bytes-per-object", "rpool", z] " B (stats.bytes) | " verdict(x <= 21) " |"
    }
    w6target(1.3)
    print ""
    pins_targets()
    trim_targets()
    speed_targets()
}

# The target row "W6 lookup ≤ t× the pointer array", every size.
function w6target(t,    f, ok, any, st, j, x) {
    f = ""; ok = 1; any = 0; st = 1
    for (j = 1; j <= nsz; j++)
        if (has("W6", "lookup", "rpool", sz[j]) && has("W6", "pointer", "rpool", sz[j])) {
            x = get("W6", "lookup", "rpool", sz[j]) / get("W6", "pointer", "rpool", sz[j])
            f = f (f == "" ? "" : ", ") sprintf("%.2f× (%d B)", x, sz[j])
            if (x > t) ok = 0
            if (!settles(key("W6", "lookup", "rpool", sz[j]), key("W6", "pointer", "rpool", sz[j]), t)) st = 0
            any = 1
        }
    if (any)
        print "| W6 lookup ≤ " t "× the pointer array | " f " | " timed_verdict(ok, st) " |"
}

# Targets of issue 12 (speed), checked against this run's figures. Its
# producer/consumer target (3x the engine it was filed against) needs that
# engine, which make bench does not build: see "What is left".
function speed_targets(    v, s, x, y, ok, f, j, st, c, nc, k1, kt, r) {
    if (!(("w1" SUBSEP "rpool" SUBSEP 16) in ir)) return
    print "## Targets (issue 12, speed)"
    print ""
    print "| target | measured | |"
    print "|---|---|---|"
    for (v = 1; v <= 2; v++) {
        s = v == 1 ? "rpool" : "rpool-owned"
        if (!((("w1" SUBSEP s SUBSEP 16) in ir) && (("w1" SUBSEP s "-clang" SUBSEP 16) in ir))) continue
        x = ir["w1", s, 16]; y = ir["w1", s "-clang", 16]
        print "| W1 instructions per pair, `" (v == 1 ? "release" : "release_owned") "` ≤ 40, gcc and clang | " \
              sprintf("gcc %.1f, clang %.1f", x, y) " | " verdict(x <= 40 && y <= 40) " |"
    }
    w6target(1.5)
    nc = split(w8threads, c, " ")
    for (v = 1; v <= 2; v++) {
        s = v == 1 ? "rpool" : "rpool-owned"
        k1 = key("W8", "own-" c[1] "-cpu", s, 16)
        if (nc < 2 || !(k1 in med)) continue
        f = ""; ok = 1; st = 1
        for (j = 2; j <= nc; j++) {
            kt = key("W8", "own-" c[j] "-cpu", s, 16)
            if (!(kt in med)) continue
            r = med[kt] / med[k1]
            f = f (f == "" ? "" : ", ") sprintf("%s: %.2f×", c[j], r)
            if (r < 1) ok = 0
            if (!settles(k1, kt, 1.0)) st = 0
        }
        print "| W8 own pairs per CPU-second (" s ") at T threads ≥ at " c[1] " (T ÷ " c[1] ") | " f " | " timed_verdict(ok, st) " |"
    }
    k1 = key("W8", "own-" c[1] "-cpu", "mimalloc", 16)
    if (nc >= 2 && (k1 in med)) {
        f = ""
        for (j = 2; j <= nc; j++) {
            kt = key("W8", "own-" c[j] "-cpu", "mimalloc", 16)
            if (kt in med) f = f (f == "" ? "" : ", ") sprintf("%s: %.2f×", c[j], med[kt] / med[k1])
        }
        print "| (the same for mimalloc, the best peer, for scale) | " f " | |"
    }
    print ""
}

# ---- W11 and W12 (issue 11, trim) ------------------------------------------

# Bytes per object of a W11 figure, or "n/a".
function w11cell(m, s, z,    k) {
    k = "W11" SUBSEP m SUBSEP s SUBSEP z
    return (k in val) ? val[k] : "n/a"
}

function mib(kib) { return num(kib / 1024) }

# A W12 figure in MiB, or "n/a".
function w12cell(m, s, z,    k) {
    k = "W12" SUBSEP m SUBSEP s SUBSEP z
    return (k in val) ? mib(val[k]) : "n/a"
}

# The highest W12 peak of s, in KiB; -1 when it did not run.
function w12peak(s, z, cycles,    c, k, b) {
    b = -1
    for (c = 1; c <= cycles; c++) {
        k = "W12" SUBSEP "peak-" c "-kib" SUBSEP s SUBSEP z
        if ((k in val) && val[k] > b) b = val[k]
    }
    return b
}

function w12row(label, m, s, z, cycles,    c, line, p) {
    if (!(("W12" SUBSEP m "-1-kib" SUBSEP s SUBSEP z) in val)) return
    p = w12peak(s, z, cycles)
    line = "| " label " | " (p < 0 ? "n/a" : mib(p)) " |"
    for (c = 1; c <= cycles; c++) line = line " " w12cell(m "-" c "-kib", s, z) " |"
    print line
}

function trim_tables(    a, cycles, i, j, s, z, line, c) {
    if (mseen["W11"]) {
        print "### W11 trim after a burst"
        print ""
        print count("1 " w11) " objects got and kept (each touched), all put back by the thread that got them, then the system's call to give memory back: rpool `objs_thread_flush()` then `objs_trim()`; glibc `malloc_trim(0)`; jemalloc `mallctl(\"thread.tcache.flush\")` then `mallctl(\"arena.4096.purge\")` (4096 is `MALLCTL_ARENAS_ALL`); mimalloc `mi_collect(true)`; tcmalloc `MallocExtension_MarkThreadIdle()` then `MallocExtension_ReleaseFreeMemory()`. The thread-cache calls hand a thread's cache back first, as `objs_thread_flush` does for rpool. RSS (`Rss` of `/proc/self/smaps_rollup`) growth over a sample taken before the first get (the handle array mapped apart from the allocator and faulted in before it) ÷ " count("1 " w11) ", in bytes: live, at " count("1 " w11) " live; put back, after the puts; given back, after the call. rpool (stats.bytes): the pool's own count after the trim. One process per system and size. The freelist and vcheck have no such call: not run."
        print ""
        line = "| system |"
        for (j = 1; j <= 2; j++) line = line " " trimsz[j] " B live | put back | given back |"
        print line
        line = "|---|"
        for (j = 1; j <= 2; j++) line = line "---:|---:|---:|"
        print line
        for (i = 1; i <= ntrim; i++) {
            s = trimmer[i]
            line = "| " s " |"
            for (j = 1; j <= 2; j++)
                line = line " " w11cell("live-bytes-per-object", s, trimsz[j]) " | " \
                       w11cell("released-bytes-per-slot", s, trimsz[j]) " | " \
                       w11cell("trimmed-bytes-per-slot", s, trimsz[j]) " |"
            print line
            if (s == "rpool") {
                line = "| rpool (stats.bytes) |"
                for (j = 1; j <= 2; j++)
                    line = line " | | " w11cell("pool-bytes-per-slot", s, trimsz[j]) " |"
                print line
            }
        }
        print ""
    }
    if (mseen["W12"]) {
        split(w12, a, " ")
        cycles = a[1] + 0
        print "### W12 sawtooth"
        print ""
        print "Live count 0 → " count("1 " a[2]) " → " count("1 " int(a[2] / 100)) " → " count("1 " a[2]) " → …, " cycles " drops. Each drop keeps a new random 1 % of the live objects (a fixed seed; spread over the whole heap, so that no trim can give back whole ranges), puts the rest back and makes the system's call to give memory back (as in W11; rpool-auto: no call at all, its `.auto_trim = 50` policy trims during the puts); each refill gets objects again up to " count("1 " a[2]) ". RSS growth over the sample before the first get, in MiB: the highest peak, then after each drop's call. rpool, before trim: after the puts of each drop, before `objs_thread_flush` and `objs_trim`."
        print ""
        for (j = 1; j <= 2; j++) {
            z = trimsz[j]
            print "**" z "-byte objects**"
            print ""
            line = "| system | peak |"
            for (c = 1; c <= cycles; c++) line = line " drop " c " |"
            print line
            line = "|---|---:|"
            for (c = 1; c <= cycles; c++) line = line "---:|"
            print line
            w12row("rpool, flush + trim", "drop", "rpool", z, cycles)
            w12row("rpool, before trim", "held", "rpool", z, cycles)
            w12row("rpool-auto (`.auto_trim = 50`)", "drop", "rpool-auto", z, cycles)
            for (i = 2; i <= ntrim; i++)
                w12row(trimmer[i], "drop", trimmer[i], z, cycles)
            print ""
        }
    }
}

# Targets of issue 11 (trim), checked against this run's figures.
function trim_targets(    a, cycles, j, z, x, k, f, ok, any, c, i, b, who, low, n, lo, hi, r) {
    if (!mseen["W11"] && !mseen["W12"] && !(("w1" SUBSEP "rpool-auto" SUBSEP 16) in ir)) return
    print "## Targets (issue 11, trim)"
    print ""
    print "| target | measured | |"
    print "|---|---|---|"
    for (j = 1; j <= 2; j++) {
        z = trimsz[j]
        k = "W11" SUBSEP "trimmed-bytes-per-slot" SUBSEP "rpool" SUBSEP z
        if (!(k in val)) continue
        x = val[k]
        print "| W11, " z " B: after 1M are put back, flush and `objs_trim`, RSS ≤ 6 bytes per slot carved | " \
              x " B (RSS), " w11cell("pool-bytes-per-slot", "rpool", z) " B (stats.bytes); " \
              w11cell("released-bytes-per-slot", "rpool", z) " B before the trim | " verdict(x <= 6) " |"
    }
    k = "W11" SUBSEP "live-bytes-per-object" SUBSEP "rpool" SUBSEP 16
    if (k in val)
        print "| Steady state ≤ 21 bytes per live 16-byte object at 1M live (W11) | " val[k] " B | " verdict(val[k] <= 21) " |"
    f = ""; ok = 1; any = 0
    for (j = 1; j <= nsz; j++) {
        k = "w1" SUBSEP "rpool-auto" SUBSEP sz[j]
        if (!(k in ir) || !(("w1" SUBSEP "rpool" SUBSEP sz[j]) in ir)) continue
        f = f (f == "" ? "" : ", ") sprintf("%.1f against %.1f (%d B)", ir[k], ir["w1", "rpool", sz[j]], sz[j])
        if (ir[k] > ir["w1", "rpool", sz[j]] + 0.5) ok = 0
        any = 1
    }
    if (any)
        print "| W1 instructions per pair on a pool with `.auto_trim = 50` ≤ the plain pool's (within 0.5): nothing on the fast path | " f " | " verdict(ok) " |"
    split(w12, a, " ")
    cycles = a[1] + 0
    for (j = 1; j <= 2; j++) {
        z = trimsz[j]
        if (!(("W12" SUBSEP "drop-1-kib" SUBSEP "rpool" SUBSEP z) in val)) continue
        n = 0; lo = -1; hi = -1; low = -1; who = ""
        for (c = 1; c <= cycles; c++) {
            r = val["W12", "drop-" c "-kib", "rpool", z]
            if (lo < 0 || r < lo) lo = r
            if (r > hi) hi = r
            b = -1
            for (i = 2; i <= ntrim; i++) {
                k = "W12" SUBSEP "drop-" c "-kib" SUBSEP trimmer[i] SUBSEP z
                if ((k in val) && (b < 0 || val[k] < b)) b = val[k]
                if ((k in val) && (low < 0 || val[k] < low)) { low = val[k]; who = trimmer[i] }
            }
            if (b < 0 || r <= b) n++
        }
        print "| W12, " z " B: RSS after each drop, rpool trimmed ≤ glibc, jemalloc, mimalloc, tcmalloc after their own calls | rpool " \
              mib(lo) "–" mib(hi) " MiB; lowest peer " (low < 0 ? "n/a" : mib(low) " MiB (" who ")") \
              "; rpool at or below every peer after " n " of " cycles " drops | " verdict(n == cycles) " |"
    }
    print ""
}

# Targets of issue 10 (pins), checked against this run's figures.
function pins_targets(    x, st, z) {
    z = 16
    if (!has("W1", "pair-pins", "rpool", z) || !has("W1", "pair", "rpool", z)) return
    print "## Targets (issue 10, pins)"
    print ""
    print "| target | measured | |"
    print "|---|---|---|"
    x = get("W1", "pair-pins", "rpool", z) / get("W1", "pair", "rpool", z)
    st = settles(key("W1", "pair-pins", "rpool", z), key("W1", "pair", "rpool", z), 1.3)
    print "| W1 time on a pins pool ≤ 1.3× a plain pool | " sprintf("%.2f×", x) " | " timed_verdict(x <= 1.3, st) " |"
    if ((("w1p" SUBSEP "rpool" SUBSEP z) in ir) && (("w1" SUBSEP "rpool" SUBSEP z) in ir)) {
        x = ir["w1p", "rpool", z] / ir["w1", "rpool", z]
        print "| W1 instructions on a pins pool ≤ 1.3× a plain pool | " sprintf("%.1f against %.1f: %.2f×", ir["w1p", "rpool", z], ir["w1", "rpool", z], x) " | " verdict(x <= 1.3) " |"
    }
    print ""
}

# What rpool's checks and structure cost over the version-check floor,
# which refuses the same handles with the least machinery.
function checks_cost(    i, j, n2, own, line, k1, k2) {
    if (!has("W1", "pair", "vcheck", 16) && !(("w1" SUBSEP "vcheck" SUBSEP 16) in ir)) return
    print "### rpool against the version-check floor"
    print ""
    print "vcheck refuses exactly the handles rpool refuses (0, an even version, an id never carved, stale, released twice; a slot retires before its version wraps) with the least machinery: one thread, flat arrays of objects and 32-bit versions, a stack of free slots. What rpool costs on top is its checks against a forged id (block table), its thread caches and its thread safety. Ratios of medians from the tables above; instructions from callgrind."
    print ""
    line = "| |"
    for (j = 1; j <= nsz; j++) line = line " " sz[j] " B |"
    print line
    line = "|---|"
    for (j = 1; j <= nsz; j++) line = line "---:|"
    print line
    n2 = split("rpool rpool-owned", own, " ")
    for (i = 1; i <= n2; i++) {
        line = "| W1 time, " own[i] " ÷ vcheck |"
        for (j = 1; j <= nsz; j++)
            line = line " " (has("W1", "pair", own[i], sz[j]) && has("W1", "pair", "vcheck", sz[j]) ? \
                             ratio(get("W1", "pair", own[i], sz[j]), get("W1", "pair", "vcheck", sz[j])) : "n/a") " |"
        print line
    }
    for (i = 1; i <= n2; i++) {
        line = "| W1 instructions per pair, " own[i] " − vcheck |"
        for (j = 1; j <= nsz; j++) {
            k1 = "w1" SUBSEP own[i] SUBSEP sz[j]; k2 = "w1" SUBSEP "vcheck" SUBSEP sz[j]
            line = line " " ((k1 in ir) && (k2 in ir) ? \
                             sprintf("%.1f − %.1f = %+.1f", ir[k1], ir[k2], ir[k1] - ir[k2]) : "n/a") " |"
        }
        print line
    }
    line = "| W6 lookup time, rpool ÷ vcheck |"
    for (j = 1; j <= nsz; j++)
        line = line " " (has("W6", "lookup", "rpool", sz[j]) && has("W6", "lookup", "vcheck", sz[j]) ? \
                         ratio(get("W6", "lookup", "rpool", sz[j]), get("W6", "lookup", "vcheck", sz[j])) : "n/a") " |"
    print line
    print ""
}

# W9: one row per loop and compiler, a column pair per size and share of
# live slots: ns per live object, and ÷ the array loop of the same program.
function iteration(    j, p, line) {
    if (!(("W9" SUBSEP "array-100-gcc") in unit) && !(("W9" SUBSEP "array-100-clang") in unit)) return
    print "### W9 iteration"
    print ""
    print count(w9) " objects got in order, all live (100 %), then every second one put back (50 %); each of " reps(w9) " repetitions makes one pass of each loop, adding a velocity word to a position word of every live object. for_each: `objs_for_each` with a callback that is a static function of the same file; lookup: `objs_lookup` (vcheck: its own) of each live handle in the order got, NULL-checked; array: a plain array of " count(w9) " objects of the same size, updating the elements at the indices of the live objects. In every loop an empty `asm` statement taking the object's address, with a memory clobber, follows each update: no instruction, but it keeps the compiler from vectorising or merging passes, so each loop updates one object at a time. Built with `$(CC)` and, rpool only, with `$(BENCH_CLANG)`; the compiler column says which compiled the program (from its predefined macros). Median (min–max) in ns per live object; ×array: ÷ the array loop of the same program."
    print ""
    line = "| loop | compiler |"
    for (j = 1; j <= 2; j++)
        for (p = 1; p <= 2; p++) line = line " " w9sz[j] " B, " w9pct[p] " % | ×array |"
    print line
    print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    w9row("array", "rpool", "array", "gcc")
    w9row("rpool for_each", "rpool", "for_each", "gcc")
    w9row("rpool lookup", "rpool", "lookup", "gcc")
    w9row("vcheck lookup", "vcheck", "lookup", "gcc")
    w9row("array", "rpool", "array", "clang")
    w9row("rpool for_each", "rpool", "for_each", "clang")
    w9row("rpool lookup", "rpool", "lookup", "clang")
    print ""
    w9target()
}

# Issue 13's target, from the W9 table: for_each at most 1.3× the array
# loop in every column, under each compiler.
function w9target(    c, j, p, cc, k, b, x, f, ok, st, any) {
    split("gcc clang", cc, " ")
    f = ""; ok = 1; st = 1; any = 0
    for (c = 1; c <= 2; c++)
        for (j = 1; j <= 2; j++)
            for (p = 1; p <= 2; p++) {
                k = "for_each-" w9pct[p] "-" cc[c]
                b = "array-" w9pct[p] "-" cc[c]
                if (!has("W9", k, "rpool", w9sz[j]) || !has("W9", b, "rpool", w9sz[j])) continue
                x = get("W9", k, "rpool", w9sz[j]) / get("W9", b, "rpool", w9sz[j])
                f = f (f == "" ? "" : ", ") sprintf("%.2f× (%s, %d B, %d %%)", x, cc[c], w9sz[j], w9pct[p])
                if (x > 1.3) ok = 0
                if (!settles(key("W9", k, "rpool", w9sz[j]), key("W9", b, "rpool", w9sz[j]), 1.3)) st = 0
                any = 1
            }
    if (!any) return
    print "| target (issue 13) | measured | |"
    print "|---|---|---|"
    print "| W9 for_each ≤ 1.3× the array loop | " f " | " timed_verdict(ok, st) " |"
    print ""
}

function w9row(label, s, m, cc,    j, p, line, k, b, any) {
    line = "| " label " | " cc " |"
    any = 0
    for (j = 1; j <= 2; j++)
        for (p = 1; p <= 2; p++) {
            k = m "-" w9pct[p] "-" cc
            b = "array-" w9pct[p] "-" cc
            if (has("W9", k, s, w9sz[j])) any = 1
            line = line " " cell("W9", k, s, w9sz[j]) " | " \
                   (has("W9", k, s, w9sz[j]) && has("W9", b, s, w9sz[j]) ? \
                    ratio(get("W9", k, s, w9sz[j]), get("W9", b, s, w9sz[j])) : "") " |"
        }
    if (any) print line
}

# W8 (16-byte objects): a row per system that ran, for each count of
# threads or pairs the median rate and its ratio to the best malloc peer.
function scaling(kind, per, counts, title, text,    nc, c, i, j, s, line, m, b, any) {
    nc = split(counts, c, " ")
    if (!nc || !(("W8" SUBSEP kind "-" c[1] "-" per) in unit)) return
    print "### " title
    print ""
    print text
    print ""
    line = "| system |"
    for (j = 1; j <= nc; j++) line = line " " c[j] " | ×best |"
    print line
    line = "|---|"
    for (j = 1; j <= nc; j++) line = line "---:|---:|"
    print line
    for (i = 1; i <= nsys; i++) {
        s = sys[i]
        any = 0
        line = "| " s " |"
        for (j = 1; j <= nc; j++) {
            m = kind "-" c[j] "-" per
            b = best_rate("W8", m, 16)
            if (has("W8", m, s, 16)) any = 1
            line = line " " cell("W8", m, s, 16) " | " \
                   (has("W8", m, s, 16) ? ratio(get("W8", m, s, 16), b) : "") " |"
        }
        if (any) print line
    }
    print ""
}

function lowest_peer_ir(z,    i, v, k, b, who) {
    b = -1
    for (i = 1; i <= npeer; i++)
        for (v = 1; v <= 2; v++) {
            k = (v == 1 ? "w1" : "w1k") SUBSEP peer[i] SUBSEP z
            if ((k in ir) && (b < 0 || ir[k] < b)) {
                b = ir[k]
                who = peer[i] (v == 1 ? "" : " +1 live")
            }
        }
    return b < 0 ? "n/a" : sprintf("%.1f (%s)", b, who)
}

# The figures a reader looks for first, 16-byte objects, one column per
# system; the README copies this table.
function headline(    i, s, line, z, k) {
    z = 16
    print "### Headline (16-byte objects)"
    print ""
    line = "| |"
    for (i = 1; i <= nsys; i++) line = line " " sys[i] " |"
    print line
    line = "|---|"
    for (i = 1; i <= nsys; i++) line = line "---:|"
    print line
    line = "| W1 hot pair, ns |"
    for (i = 1; i <= nsys; i++) line = line " " (has("W1", "pair", sys[i], z) ? num(get("W1", "pair", sys[i], z)) : "n/a") " |"
    print line
    line = "| W1 instructions per pair |"
    for (i = 1; i <= nsys; i++) {
        k = "w1" SUBSEP sys[i] SUBSEP z
        line = line " " ((k in ir) ? sprintf("%.0f", ir[k]) : "n/a") " |"
    }
    print line
    line = "| W4 cross-thread, ns/object |"
    for (i = 1; i <= nsys; i++) line = line " " (has("W4", "object", sys[i], z) ? num(get("W4", "object", sys[i], z)) : "n/a") " |"
    print line
    line = "| W5 random churn, ns/op |"
    for (i = 1; i <= nsys; i++) line = line " " (has("W5", "op", sys[i], z) ? num(get("W5", "op", sys[i], z)) : "n/a") " |"
    print line
    line = "| memory at 1M live, bytes/object |"
    for (i = 1; i <= nsys; i++) {
        k = "MEM" SUBSEP "rss-bytes-per-object" SUBSEP sys[i] SUBSEP z
        line = line " " ((k in val) ? sprintf("%.1f", val[k]) : "n/a") " |"
    }
    print line
    print ""
    if (has("W6", "lookup", "rpool", z) && has("W6", "pointer", "rpool", z))
        print "W6: `objs_lookup` of a random one of 1M live handles costs " \
              sprintf("%.2f×", get("W6", "lookup", "rpool", z) / get("W6", "pointer", "rpool", z)) \
              " an unchecked read through a pointer array. W7: after 1000 short-lived threads each keeping one object, the pool holds " \
              val["W7", "blocks", "rpool", z] " blocks."
    print ""
}
