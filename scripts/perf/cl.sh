#!/bin/bash
# cl.sh BIN ORIG N [perf]: closure by policy: a copy of ORIG (a SQLite dir from fill.sh) served,
# the clock advanced 700,000 s, the time until provisio_lines_closed_total counts N.
. "$(dirname "$0")"/lib.sh
BIN=$1; D=${WORK:-/tmp}/provisio-closure; N=$3
serve_copy $BIN $2 $D
timed closed $D 700000 '^provisio_lines_closed_total' $N "$4"
kill $S; wait $S 2> /dev/null
