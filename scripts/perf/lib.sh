# Shared by the scripts here (sourced): an installation with lines imported, the sink, serve,
# the clock, and waiting for a counter of /metrics. Port 8088 (serve) and 2525 (the sink).
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=8088

# install BIN DIR N [DBURL]: setup.sh, then N lines (orders of 1,000, due tomorrow) imported.
install() {
  "$HERE"/setup.sh "$1" "$2" "$4" > /dev/null
  python3 "$HERE"/gencsv.py "$2"/in.csv "$3" k
  "$1" --data-dir "$2" order import "$2"/in.csv --as pia@partner.example > /dev/null
}

# start_sink: smtp-sink on 127.0.0.1:2525, counting and keeping nothing; its pid in SINK.
start_sink() {
  local pf="${POSTFIX:-$HERE/../../target/postfix}"
  LD_LIBRARY_PATH=$pf/usr/lib/postfix $pf/usr/sbin/smtp-sink -u root 127.0.0.1:2525 256 &
  SINK=$!
}

# serve BIN DIR SMTP_URL: serve --test-clock on PORT until /healthz answers; its pid in S.
serve() {
  PROVISIO_SMTP_URL=$3 "$1" --data-dir "$2" serve --test-clock --listen 127.0.0.1:$PORT \
    > "$2"/serve.log 2>&1 &
  S=$!
  for _ in $(seq 50); do curl -sf localhost:$PORT/healthz > /dev/null && break; sleep 0.2; done
}

# serve_copy BIN ORIG DIR: a copy of ORIG (a SQLite dir from fill.sh) in DIR, served with mail
# going nowhere (no SMTP peer: nothing is sent meanwhile), settled for a second.
serve_copy() {
  unset DATABASE_URL
  rm -rf "$3"; cp -r "$2" "$3"
  serve "$1" "$3" smtp://127.0.0.1:9
  sleep 1
}

# advance DIR SECONDS: moves the test clock with the admin's key.
advance() {
  curl -sf -X POST -H "Authorization: Bearer $(cat "$1"/admin.key)" \
    -H 'content-type: application/json' -d "{\"seconds\": $2}" \
    localhost:$PORT/api/v1/clock/advance > /dev/null
}

# metric PATTERN: the sum of the /metrics lines that match PATTERN.
metric() {
  curl -s localhost:$PORT/metrics | grep -E "$1" | awk '{s+=$2} END {print s+0}'
}

# wait_for PATTERN N PAUSE: until metric PATTERN reaches N, looking every PAUSE seconds.
wait_for() {
  while true; do
    local n
    n=$(metric "$1")
    [ "${n%.*}" -ge "$2" ] && break
    sleep "$3"
  done
}

# timed WHAT DIR SECONDS PATTERN N [perf]: advances the clock and prints how long until
# PATTERN reaches N; with `perf`, serve is recorded meanwhile into DIR/perf.data.
timed() {
  local p t0 t1
  if [ "$6" = perf ]; then
    perf record -F 499 --call-graph dwarf,16384 -p $S -o "$2"/perf.data 2> /dev/null &
    p=$!
    sleep 0.5
  fi
  t0=$(date +%s.%N)
  advance "$2" "$3"
  wait_for "$4" "$5" 0.01
  t1=$(date +%s.%N)
  echo "$1 $5 in $(echo "$t1 - $t0" | bc) s"
  if [ "$6" = perf ]; then kill -INT $p; wait $p; fi
}
