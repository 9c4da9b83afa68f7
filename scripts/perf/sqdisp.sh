#!/bin/bash
# sqdisp.sh BIN N [perf]: dispatch alone on SQLite. A fresh installation with N lines due
# tomorrow, serve --test-clock, the clock advanced a day: prints how long until every email was
# sent and how the delivery's results were committed (results per commit, seconds per commit);
# with `perf`, serve is recorded meanwhile (the data directory, with perf.data, is kept and
# named). PROVISIO_* settings reach serve (e.g. PROVISIO_SENDS_IN_FLIGHT).
set -e
. "$(dirname "$0")"/lib.sh
BIN=$1; N=$2; D=$(mktemp -d)
unset DATABASE_URL
install "$BIN" "$D" "$N"
start_sink
serve "$BIN" "$D" smtp://127.0.0.1:2525
trap 'kill $S $SINK 2> /dev/null || true' EXIT
timed "sent" "$D" 90000 '^provisio_email_attempts_total.*result="sent"' "$N" "$3" || true
curl -s localhost:$PORT/metrics | grep -E '^provisio_results_(per_commit|commit_seconds)_(sum|count)' || true
kill $S; wait $S || true; kill $SINK || true
if [ "$3" = perf ]; then echo "kept $D"; else rm -rf "$D"; fi
