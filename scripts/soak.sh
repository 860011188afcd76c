#!/usr/bin/env bash
# A longer load soak than CI's five seconds: against the real binary on a
# seeded SQLite database, on loopback only, four clients mix reads, writes
# (events, RSVPs), sign-ins (a password hash each), pages, the public feed
# (full and If-None-Match) and a private feed. Prints requests, errors by
# kind and the server's memory; fails on any error besides rate limiting or
# on memory growth past the bound stated in tests/faults.rs.
#
# The server's memory is sampled every 10 seconds into
# target/soak/soak-<time>.csv (seconds, RSS in KiB, requests so far) and,
# where gnuplot is installed (Debian's gnuplot-nox), plotted beside it as a
# PNG: memory should climb while caches warm and then run flat; a line that
# keeps rising is a leak.
#
#   scripts/soak.sh                  # 60 seconds
#   scripts/soak.sh 3600 --release   # an hour, on a release build
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
mkdir -p target/soak
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=target/soak/soak-$stamp.csv
png=target/soak/soak-$stamp.png

# The plot is drawn whatever the verdict: a failed run is the one to look at.
status=0
MUSTER_SOAK_SECS=$secs MUSTER_SOAK_CSV=$PWD/$csv cargo test "$@" --test faults soak -- --nocapture || status=$?

if command -v gnuplot >/dev/null; then
    gnuplot <<PLOT
set terminal pngcairo size 1000,500 font ",11"
set output "$png"
set datafile separator ","
set key top left
set title "muster soak, $secs s: server memory (RSS) and requests served"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set y2label "requests"
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
plot "$csv" using 1:(\$2/1024) skip 1 with lines lw 2 title "RSS (MiB)", \
     "$csv" using 1:3 skip 1 axes x1y2 with lines dt 2 title "requests (right axis)"
PLOT
    echo "memory samples: $csv, plot: $png"
else
    echo "memory samples: $csv (install gnuplot-nox to plot them as a PNG)"
fi
exit "$status"
