# chartdata.awk - the medians of run.sh's raw lines as gnuplot blocks: one
# block per object size (for `index`), a row per workload, a column per
# system; "?" where a system does not run a workload.
#
#   awk -v systems="rpool ..." -v sizes="16 128 1024" -f chartdata.awk RAW

$1 == "R" { med[$2 SUBSEP $3 SUBSEP $4 SUBSEP $5] = $6 }

function v(w, m, s, z,    k) {
    k = w SUBSEP m SUBSEP s SUBSEP z
    return (k in med) ? med[k] : "?"
}

END {
    nsys = split(systems, sys, " ")
    nsz = split(sizes, sz, " ")
    nw = split("W1 W2 W2 W3 W4 W5 W6", wl, " ")
    split("pair acquire-warm release-warm pair-per-thread object op lookup", ml, " ")
    split("W1-pair W2-get W2-put W3-2-threads W4-cross-thread W5-churn W6-lookup", label, " ")
    for (j = 1; j <= nsz; j++) {
        line = "workload"
        for (i = 1; i <= nsys; i++) line = line " " sys[i]
        print line
        for (w = 1; w <= nw; w++) {
            line = label[w]
            for (i = 1; i <= nsys; i++) {
                # W6: the systems with handles look up; the others read
                # through pointers.
                m = ml[w]
                if (wl[w] == "W6" && !((wl[w] SUBSEP m SUBSEP sys[i] SUBSEP sz[j]) in med)) m = "pointer"
                line = line " " v(wl[w], m, sys[i], sz[j])
            }
            print line
        }
        print ""
        print ""
    }
}
