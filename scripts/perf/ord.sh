#!/bin/bash
# ord.sh BIN DIR [stat|perf]: serve DIR (DBURL: its PostgreSQL), GET /api/v1/orders/B1 600 times
# with one keep-alive client as Pia; p50 / p90 and the server CPU (ticks of 10 ms) they took.
. "$(dirname "$0")"/lib.sh
PORT=8089
BIN=$1; D=$2
if [ -n "$DBURL" ]; then export DATABASE_URL=$DBURL; else unset DATABASE_URL; fi
serve $BIN $D smtp://127.0.0.1:9
K=$(cat $D/pia.key)
for i in $(seq 20); do curl -s -o /dev/null -H "Authorization: Bearer $K" localhost:8089/api/v1/orders/B1; done
t0=$(awk '{print $14+$15}' /proc/$S/stat)
if [ "$3" = stat ]; then perf stat -e instructions,task-clock -p $S -o $D/stat.txt & P=$!; sleep 0.3; fi
if [ "$3" = perf ]; then perf record -F 499 --call-graph dwarf,16384 -p $S -o $D/perf.data 2>/dev/null & P=$!; sleep 0.5; fi
python3 - $K <<'PY'
import sys, time, http.client
k = sys.argv[1]; N = 600
c = http.client.HTTPConnection("127.0.0.1", 8089)
ts = []; size = 0
for i in range(N):
    t = time.perf_counter()
    c.request("GET", "/api/v1/orders/B1", headers={"Authorization": "Bearer " + k})
    r = c.getresponse(); b = r.read(); size = len(b)
    assert r.status == 200, r.status
    ts.append(time.perf_counter() - t)
ts.sort()
print(f"p50 {ts[N//2]*1000:.2f} ms p90 {ts[N*9//10]*1000:.2f} ms size {size}")
PY
t1=$(awk '{print $14+$15}' /proc/$S/stat)
echo "cpu/request $(( (t1 - t0) * 10 / 600 )) ms (ticks $((t1-t0)))"
if [ "$3" = perf ]; then kill -INT $P; wait $P; fi
if [ "$3" = stat ]; then kill -INT $P; wait $P; awk '/instructions|task-clock/ {printf "%s %s  ", $1, $2} END {print ""}' $D/stat.txt; fi
kill $S; wait $S 2>/dev/null
