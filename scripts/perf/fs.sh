#!/bin/bash
# fs.sh BIN DIR N [perf]: first sends: a fresh SQLite installation in DIR with N lines, served
# into smtp-sink, the clock advanced a day, the time until N initial emails are queued.
. "$(dirname "$0")"/lib.sh
BIN=$1; D=$2; N=$3
unset DATABASE_URL
rm -rf $D; install $BIN $D $N
start_sink
serve $BIN $D smtp://127.0.0.1:2525
timed queued $D 90000 '^provisio_emails_queued_total.*initial' $N "$4"
kill $S; wait $S 2> /dev/null; kill $SINK
