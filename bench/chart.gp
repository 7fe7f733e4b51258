# chart.gp - ns per operation per system per workload, one panel per object
# size. run.sh passes datafile (from chartdata.awk), outfile, sizes and nsys
# (the number of systems, one data column each).
set terminal svg size 1100,1400 dynamic enhanced font "sans,11" background "white"
set output outfile
set datafile missing "?"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%g"
set ylabel "ns per operation, median (log scale)"
set grid ytics
set key outside right top
set xtics nomirror
set multiplot layout 3,1 title "rpool and its peers: ns per operation, lower is better (W2: rounds 2-5; W3: per thread; W6: rpool and vcheck look up, the others read through a pointer array)"
do for [i = 0:words(sizes) - 1] {
    set title sprintf("%s-byte objects", word(sizes, i + 1))
    plot for [c = 2:nsys + 1] datafile index i using c:xtic(1) title columnheader(c)
}
unset multiplot
