#!/bin/bash
# cl.sh BIN ORIG N [perf]: closure by policy: a copy of ORIG (a SQLite dir from fill.sh) served,
# the clock advanced 700,000 s, the time until provisio_lines_closed_total counts N.
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1; D=${WORK:-/tmp}/provisio-closure; N=$3
rm -rf $D; cp -r $2 $D
unset DATABASE_URL
PROVISIO_SMTP_URL=smtp://127.0.0.1:9 $BIN --data-dir $D serve --test-clock --listen 127.0.0.1:8088 > $D/serve.log 2>&1 & S=$!
for i in $(seq 50); do curl -sf localhost:8088/healthz >/dev/null && break; sleep 0.2; done
sleep 1
if [ "$4" = perf ]; then perf record -F 499 --call-graph dwarf,16384 -p $S -o $D/perf.data 2>/dev/null & P=$!; sleep 0.5; fi
t0=$(date +%s.%N)
curl -sf -X POST -H "Authorization: Bearer $(cat $D/admin.key)" -H 'content-type: application/json' -d '{"seconds": 700000}' localhost:8088/api/v1/clock/advance >/dev/null
while true; do
  n=$(curl -s localhost:8088/metrics | grep -E '^provisio_lines_closed_total' | awk '{s+=$2} END {print s+0}')
  [ "${n%.*}" -ge "$N" ] && break; sleep 0.01
done
t1=$(date +%s.%N); echo "closed $N in $(echo "$t1 - $t0" | bc) s"
if [ "$4" = perf ]; then kill -INT $P; wait $P; fi
kill $S; wait $S 2>/dev/null
