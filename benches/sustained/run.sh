#!/usr/bin/env bash
# Issue 9's decay figure: raw UPDATE throughput (triggers on, pgbench -c8) over a long run
# while our server runs with its workers (events and deliveries are consumed as they are
# written). Prints tps per minute and the ratio of the last minute to the first.
#   MS_BIN=target/release/metadata-synergy bash benches/sustained/run.sh
# MINUTES (default 11), CAMPAIGNS (10000), MS_SUSTAINED_DB (ms_sustained); SERVE_ARGS
# (e.g. --no-worker: no consumer registered, so writes record events but no deliveries).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMPARE="$HERE/../compare"
MS_BIN=${MS_BIN:-target/release/metadata-synergy}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${MS_SUSTAINED_DB:-ms_sustained}
MINUTES=${MINUTES:-11}
CAMPAIGNS=${CAMPAIGNS:-10000}
PORT=${MS_PORT:-4012}
read -r -a SERVE_ARGS <<<"${SERVE_ARGS:-}"
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"

log() { printf '[sustained %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
MS_PID=""
cleanup() {
  [[ -n $MS_PID ]] && kill "$MS_PID" 2>/dev/null || true
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
"$MS_BIN" --database-url "$URL" migrate >/dev/null
log "seeding $CAMPAIGNS campaigns"
q -v n="$CAMPAIGNS" -f "$COMPARE/seed.sql" >/dev/null
q -c "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM service_campaign_main" \
  -c "ALTER TABLE bench_ids ADD PRIMARY KEY (n)" -c "VACUUM (ANALYZE)" -c "CHECKPOINT" >/dev/null

# The server with its workers, as deployed: every event gets its deliveries and is consumed.
"$MS_BIN" --database-url "$URL" --listen "127.0.0.1:$PORT" serve "${SERVE_ARGS[@]}" >/tmp/ms-sustained.log 2>&1 &
MS_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.2; done
consumers=$(q -c "SELECT string_agg(name, ', ' ORDER BY name) FROM _metadata_consumers")
log "server up; consumers: ${consumers:-none}"

log "pgbench for $MINUTES minutes"
pgbench -n -M prepared -c 8 -j 2 -T $((MINUTES * 60)) -P 60 -D ncamp="$CAMPAIGNS" \
  -f "$COMPARE/sql/update.sql" "$DB" 2>&1 | tee /tmp/ms-sustained-pgbench.out |
  sed -n 's/^progress: \([0-9.]*\) s, \([0-9.]*\) tps.*/\1 \2/p' >/tmp/ms-sustained-tps.txt

pending=$(q -c "SELECT count(*) FROM _metadata_deliveries WHERE state = 'pending'")
events=$(q -c "SELECT count(*) FROM _metadata_events")
echo "| minute | tps |"
echo "|--:|--:|"
awk '{ printf "| %d | %.0f |\n", $1 / 60, $2 }' /tmp/ms-sustained-tps.txt
awk -v pending="$pending" -v events="$events" '
  NR == 1 { first = $2 } { last = $2 }
  END { printf "\nlast minute / first minute: %.2f (events %d, deliveries still pending %d)\n",
        last / first, events, pending }' /tmp/ms-sustained-tps.txt
