#!/bin/bash
# pgdisp.sh BIN N [DB]: dispatch alone on PostgreSQL. A fresh database DB (default
# provisio_pgdisp, dropped first) with N lines due tomorrow, serve --test-clock, the clock
# advanced a day: prints how long until every email was sent and how the delivery's results
# were committed (results per commit, seconds per commit); with pg_stat_statements loaded
# (shared_preload_libraries, CREATE EXTENSION in postgres), the run's costliest statements.
set -e
. "$(dirname "$0")"/lib.sh
BIN=$1; N=$2; DB=${3:-provisio_pgdisp}; D=$(mktemp -d)
ADMIN="psql -h 127.0.0.1 -U postgres -d postgres -q"
$ADMIN -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
URL=postgres://postgres@127.0.0.1:5432/$DB
export DATABASE_URL=$URL
install "$BIN" "$D" "$N" "$URL"
start_sink
serve "$BIN" "$D" smtp://127.0.0.1:2525
trap 'kill $S $SINK 2> /dev/null || true' EXIT
STATS=$($ADMIN -Atc "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'
  AND current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%'")
if [ "$STATS" = 1 ]; then $ADMIN -c "SELECT pg_stat_statements_reset()" > /dev/null; fi
T0=$(date +%s.%N)
advance "$D" 90000
wait_for '^provisio_email_attempts_total.*result="sent"' "$N" 0.2
T1=$(date +%s.%N)
echo "sent $N in $(echo "$T1 - $T0" | bc) s"
curl -s localhost:$PORT/metrics | grep -E '^provisio_results_(per_commit|commit_seconds)_(sum|count)'
kill $S; wait $S || true; kill $SINK || true
if [ "$STATS" = 1 ]; then
  $ADMIN -c "SELECT calls, rows, round(total_exec_time::numeric) AS ms,
      round((total_exec_time / calls)::numeric, 3) AS ms_per_call, wal_records,
      left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS statement
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$DB')
    ORDER BY total_exec_time DESC LIMIT 15"
fi
$ADMIN -c "DROP DATABASE $DB WITH (FORCE)"
rm -rf "$D"
