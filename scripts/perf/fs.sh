#!/bin/bash
# fs.sh BIN DIR N [perf]: first sends: a fresh SQLite installation in DIR with N lines, served
# into smtp-sink, the clock advanced a day, the time until N initial emails are queued.
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1; D=$2; N=$3
rm -rf $D; "$HERE"/setup.sh $BIN $D > /dev/null
unset DATABASE_URL
python3 "$HERE"/gencsv.py $D/in.csv $N k
$BIN --data-dir $D order import $D/in.csv --as pia@partner.example > /dev/null
PF="${POSTFIX:-$HERE/../../target/postfix}"
LD_LIBRARY_PATH=$PF/usr/lib/postfix $PF/usr/sbin/smtp-sink -u root 127.0.0.1:2525 256 & SINK=$!
PROVISIO_SMTP_URL=smtp://127.0.0.1:2525 $BIN --data-dir $D serve --test-clock --listen 127.0.0.1:8088 > $D/serve.log 2>&1 & S=$!
for i in $(seq 50); do curl -sf localhost:8088/healthz >/dev/null && break; sleep 0.2; done
if [ "$4" = perf ]; then perf record -F 299 --call-graph dwarf,16384 -p $S -o $D/perf.data 2>/dev/null & P=$!; sleep 0.5; fi
t0=$(date +%s.%N)
curl -sf -X POST -H "Authorization: Bearer $(cat $D/admin.key)" -H 'content-type: application/json' -d '{"seconds": 90000}' localhost:8088/api/v1/clock/advance >/dev/null
while true; do
  n=$(curl -s localhost:8088/metrics | grep -E '^provisio_emails_queued_total.*initial' | awk '{s+=$2} END {print s+0}')
  [ "${n%.*}" -ge "$N" ] && break; sleep 0.02
done
t1=$(date +%s.%N); echo "queued $N in $(echo "$t1 - $t0" | bc) s"
if [ "$4" = perf ]; then kill -INT $P; wait $P; fi
kill $S; wait $S 2>/dev/null; kill $SINK
