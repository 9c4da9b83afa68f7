#!/bin/bash
# mv.sh BIN ORIG: an offer-policy change's stored deadlines (SQLite): a copy of ORIG (a dir from
# fill.sh) served, A-FLEX 7 -> 14 days through the API as the admin, the time until no policy
# is still moving its lines' deadlines (`offer_policies.moving_after`, read with sqlite3).
. "$(dirname "$0")"/lib.sh
BIN=$1; D=${WORK:-/tmp}/provisio-move
serve_copy $BIN $2 $D
t0=$(date +%s.%N)
curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $(cat $D/admin.key)" \
  -H 'content-type: application/json' -d '{"window_days": 14}' \
  localhost:$PORT/api/v1/offer-policies/A-FLEX || { echo "the change was refused"; kill $S; exit 1; }
while true; do
  n=$(sqlite3 -readonly $D/provisio.sqlite \
    "SELECT count(*) FROM offer_policies WHERE moving_after IS NOT NULL" 2> /dev/null)
  [ "$n" = "0" ] && break
  sleep 0.05
done
t1=$(date +%s.%N)
echo "stored in $(echo "$t1 - $t0" | bc) s"
kill $S; wait $S 2> /dev/null
