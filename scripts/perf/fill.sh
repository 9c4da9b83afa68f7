#!/bin/bash
# fill.sh BIN DIR N [DBURL]: a fresh installation in DIR (PostgreSQL: DBURL, an empty database)
# with N lines (orders of 1,000, due tomorrow) imported, sent through smtp-sink: serve
# --test-clock, the clock advanced a day, waits until every email is sent, stops serve.
HERE=$(cd "$(dirname "$0")" && pwd)
set -e
BIN=$1; D=$2; N=$3
"$HERE"/setup.sh $BIN $D $4
if [ -n "$4" ]; then export DATABASE_URL=$4; else unset DATABASE_URL; fi
python3 "$HERE"/gencsv.py $D/in.csv $N k
$BIN --data-dir $D order import $D/in.csv --as pia@partner.example > /dev/null
PF="${POSTFIX:-$HERE/../../target/postfix}"
LD_LIBRARY_PATH=$PF/usr/lib/postfix $PF/usr/sbin/smtp-sink -u root 127.0.0.1:2525 256 & SINK=$!
PROVISIO_SMTP_URL=smtp://127.0.0.1:2525 $BIN --data-dir $D serve --test-clock --listen 127.0.0.1:8088 > $D/serve.log 2>&1 & S=$!
for i in $(seq 50); do curl -sf localhost:8088/healthz >/dev/null && break; sleep 0.2; done
curl -sf -X POST -H "Authorization: Bearer $(cat $D/admin.key)" -H 'content-type: application/json' -d '{"seconds": 90000}' localhost:8088/api/v1/clock/advance; echo
while true; do
  n=$(curl -s localhost:8088/metrics | grep -E '^provisio_email_attempts_total.*result="sent"' | awk '{s+=$2} END {print s+0}')
  echo "sent $n"; [ "${n%.*}" -ge "$N" ] && break; sleep 5
done
kill $S; wait $S || true; kill $SINK || true
