#!/usr/bin/env bash
# Server instructions per request of issue 9's scenarios (a), (b), (c) and (d), counted by
# valgrind's callgrind: unlike requests per second on a shared 2-core host, the count is
# the same from run to run for the same binary and requests (within ~1 %), so a change of a
# few percent shows. It measures only our process; PostgreSQL's work is not in it.
#
#   MS_BIN=target/release/metadata-synergy bash benches/instructions/run.sh
#   MS_BIN=<before> bash benches/instructions/run.sh; MS_BIN=<after> bash benches/instructions/run.sh
#
# N requests per scenario (default 100, after 20 unmeasured ones), the same request
# bodies for every binary ((d)'s writes each set a new value); SCENARIOS (default
# "a b c d") picks some; one database seeded like benches/compare (dropped at
# the end). Needs valgrind (callgrind_control), psql, curl, python3. KEEP_PROFILES=<dir>
# keeps each scenario's callgrind profile there (callgrind_annotate reads it).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPARE="$HERE/../compare"
MS_BIN=${MS_BIN:-target/release/metadata-synergy}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${MS_INSTRUCTIONS_DB:-ms_instructions}
PORT=${MS_PORT:-4013}
N=${N:-100}
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"

log() { printf '[instructions %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
WORK=$(mktemp -d /tmp/ms-instructions.XXXXXX)
VG_PID=""
cleanup() {
  [[ -n $VG_PID ]] && kill "$VG_PID" 2>/dev/null && wait "$VG_PID" 2>/dev/null || true
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in valgrind callgrind_control psql curl python3; do
  command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
"$MS_BIN" --database-url "$URL" migrate >/dev/null
log "seeding 10000 campaigns"
q -v n=10000 -f "$COMPARE/seed.sql" >/dev/null
# Ids are random per seeding: the bodies pick campaigns by their rank in id order.
q -c "SELECT id FROM service_campaign_main ORDER BY id" >"$WORK/ids.txt"

python3 - "$WORK" "$COMPARE/queries.txt" "$((N + 20))" <<'PY'
import json, sys
work, queries_file, writes = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = [line.strip() for line in open(f"{work}/ids.txt") if line.strip()]
queries = dict(line.split(": ", 1) for line in open(queries_file) if line[:1].isalpha())
bodies = {
    "a": {"query": queries["ours_a"].strip(), "variables": {"id": ids[4321]}},
    "b": {"query": queries["ours_b"].strip(), "variables": {}},
    "c": {"query": queries["ours_c"].strip(), "variables": {"r": [
        {"__typename": "Campaign", "id": ids[(i * 197) % len(ids)]} for i in range(50)]}},
}
for name, body in bodies.items():
    json.dump(body, open(f"{work}/{name}.json", "w"))
# (d): every write sets a new value, so each one changes the document (a new version).
for k in range(writes):
    json.dump({"query": queries["ours_d"].strip(), "variables": {
        "id": ids[(k * 31) % len(ids)], "patch": {"counter": k}}}, open(f"{work}/d.{k}.json", "w"))
PY

# post <scenario> <k>: the k-th request of the scenario.
post() {
  local body="$WORK/$1.json"
  [[ $1 == d ]] && body="$WORK/d.$2.json"
  curl -sf -o /dev/null -H 'content-type: application/json' \
    --data-binary @"$body" "http://127.0.0.1:$PORT/graphql"
}
printf '| binary | scenario | instructions per request |\n|---|---|--:|\n'
for scenario in ${SCENARIOS:-a b c d}; do
  valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.%p" \
    "$MS_BIN" --database-url "$URL" --listen "127.0.0.1:$PORT" serve --no-worker \
    >"$WORK/server.log" 2>&1 &
  VG_PID=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
  for k in $(seq 0 19); do post "$scenario" "$k"; done
  callgrind_control -z "$VG_PID" >/dev/null 2>&1
  for k in $(seq 20 $((N + 19))); do post "$scenario" "$k"; done
  callgrind_control -d "$VG_PID" >/dev/null 2>&1
  kill "$VG_PID"; wait "$VG_PID" 2>/dev/null || true; VG_PID=""
  total=$(grep -h -m1 -E '^(summary|totals):' "$WORK"/cg.*.1 | awk '{print $2}')
  printf '| %s | (%s) | %s |\n' "$(basename "$MS_BIN")" "$scenario" "$((total / N))"
  [[ -n ${KEEP_PROFILES:-} ]] && mkdir -p "$KEEP_PROFILES" &&
    cp "$WORK"/cg.*.1 "$KEEP_PROFILES/$(basename "$MS_BIN").$scenario.callgrind"
  rm -f "$WORK"/cg.*
done
