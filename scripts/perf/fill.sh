#!/bin/bash
# fill.sh BIN DIR N [DBURL]: a fresh installation in DIR (PostgreSQL: DBURL, an empty database)
# with N lines (orders of 1,000, due tomorrow) imported, sent through smtp-sink: serve
# --test-clock, the clock advanced a day, waits until every email is sent, stops serve.
set -e
. "$(dirname "$0")"/lib.sh
BIN=$1; D=$2; N=$3
if [ -n "$4" ]; then export DATABASE_URL=$4; else unset DATABASE_URL; fi
install $BIN $D $N "$4"
start_sink
serve $BIN $D smtp://127.0.0.1:2525
advance $D 90000
wait_for '^provisio_email_attempts_total.*result="sent"' $N 5
echo "sent $N"
kill $S; wait $S || true; kill $SINK || true
