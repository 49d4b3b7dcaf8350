#!/usr/bin/env bash
# Issue 11's filter benchmark: 100,000 masters, a `contains` filter matching 1 %: the first
# page's p50 through the API (`metadataMasters(filter:)`, wrk -c1) against the same query
# run by pgbench (-c1), on one fresh PostgreSQL database. Prints a Markdown report and
# writes it to benches/filter/last-run.md (or $OUT).
#
#   MS_BIN=target/release/metadata-synergy benches/filter/run.sh
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MS_BIN=${MS_BIN:-/tmp/ms-release}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${MS_FILTER_DB:-ms_filter}
PORT=${MS_PORT:-4012}
ROWS=${ROWS:-100000}
DURATION=${DURATION:-15}
OUT=${OUT:-$HERE/last-run.md}
URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"

log() { printf '[filter %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
for tool in wrk pgbench psql curl; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x $MS_BIN ]] || die "MS_BIN=$MS_BIN is not an executable (cargo build --release)"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "MS_FILTER_DB must be a plain lower-case identifier"

WORK=$(mktemp -d /tmp/ms-filter.XXXXXX)
MS_PID=""
cleanup() {
  [[ -n $MS_PID ]] && kill "$MS_PID" 2>/dev/null && wait "$MS_PID" 2>/dev/null
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }

log "creating $DB and seeding $ROWS campaigns (1 % in region mars)"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
"$MS_BIN" --database-url "$URL" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log"; die "migrate"; }
q -c "INSERT INTO service_campaign_main (id, name, metadata)
      SELECT gen_random_uuid(), 'campaign ' || i,
             jsonb_build_object('region', CASE WHEN i % 100 = 0 THEN 'mars' ELSE 'earth' END,
                                'n', i, 'tags', jsonb_build_array('t' || (i % 7), 't' || (i % 11)),
                                'copy', jsonb_build_object('title', 'Title ' || i, 'body', repeat('lorem ', 40)))
      FROM generate_series(1, $ROWS) AS i" >/dev/null
q -c "VACUUM (ANALYZE)" >/dev/null
MASTERS=$(q -c "SELECT count(*) FROM _metadata_master")
MATCHES=$(q -c "SELECT count(*) FROM _metadata_master WHERE metadata @> '{\"region\": \"mars\"}'")
log "$MASTERS masters, $MATCHES match"

"$MS_BIN" --database-url "$URL" --listen "127.0.0.1:$PORT" serve --no-worker >"$WORK/ms.log" 2>&1 &
MS_PID=$!
for _ in $(seq 300); do
  curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' \
    "http://127.0.0.1:$PORT/graphql" && break
  kill -0 "$MS_PID" 2>/dev/null || { cat "$WORK/ms.log"; die "server exited"; }
  sleep 0.1
done

# p50 (ms) and req/s of one GraphQL query, wrk -t1 -c1 for DURATION seconds (after a warm-up).
api_p50_and_rate() {
  local body="{\"query\":\"$1\"}" answer
  answer=$(curl -sf -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$PORT/graphql")
  [[ $answer == *"$2"* && $answer != *'"errors"'* ]] || die "unexpected answer: ${answer:0:300}"
  printf '%s' "$body" >"$WORK/body.json"
  wrk -t1 -c1 -d3s -s "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql" >/dev/null
  wrk -t1 -c1 -d"${DURATION}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT/graphql" >"$WORK/wrk.txt"
  grep -q 'Non-2xx' "$WORK/wrk.txt" && die "non-2xx answers: $(cat "$WORK/wrk.txt")"
  awk '$1 == "50%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%s ", v }
       /^Requests\/sec/ { print $2 }' "$WORK/wrk.txt"
}
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
local file = assert(io.open("$WORK/body.json"))
wrk.body = file:read("*a")
file:close()
LUA
cat >"$WORK/page.sql" <<'SQL'
SELECT id, version FROM _metadata_master WHERE metadata @> '{"region": "mars"}' ORDER BY id LIMIT 21;
SQL
pgbench -n -M prepared -c1 -j1 -T3 -f "$WORK/page.sql" "$DB" >/dev/null 2>&1

log "API, wrk -t1 -c1 for ${DURATION}s: masters, then campaigns"
read -r api_p50 api_rate < <(api_p50_and_rate \
  '{ metadataMasters(filter: { contains: { region: \"mars\" } }, first: 20) { edges { node { id version } } pageInfo { hasNextPage } } }' '"edges":[')
# The same filter on an entity table's page (it tests each row's master document).
read -r entity_p50 entity_rate < <(api_p50_and_rate \
  '{ campaigns(filter: { contains: { region: \"mars\" } }, first: 20) { nodes { id } pageInfo { hasNextPage } } }' '"nodes":[')

log "pgbench -c1 for ${DURATION}s"
(cd "$WORK" && pgbench -n -M prepared -c1 -j1 -T"$DURATION" -l --log-prefix=pg -f page.sql "$DB" >pgbench.txt 2>&1)
sql_p50=$(cat "$WORK"/pg.* | awk '{ print $3 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] / 1000 }')
sql_rate=$(awk '/^tps/ { print $3 }' "$WORK/pgbench.txt")
ratio=$(awk -v a="$api_p50" -v s="$sql_p50" 'BEGIN { printf "%.2f", a / s }')
plan=$(q -c "EXPLAIN $(cat "$WORK/page.sql")" | sed 's/^/    /')

{
  echo "# benches/filter — last run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC') · $(nproc) CPUs · $MASTERS masters, $MATCHES match \`{\"region\": \"mars\"}\` · PostgreSQL $(q -c 'SHOW server_version')"
  echo
  echo "| first page (20) of \`contains\` | p50 ms | req/s (one client) |"
  echo "|---|--:|--:|"
  echo "| API: \`metadataMasters(filter: { contains: … }, first: 20) { id version }\` (wrk -t1 -c1) | $api_p50 | $api_rate |"
  echo "| raw SQL: the same page (pgbench -c1, prepared) | $sql_p50 | $sql_rate |"
  echo "| API: \`campaigns(filter: { contains: … }, first: 20) { id }\` (wrk -t1 -c1) | $entity_p50 | $entity_rate |"
  echo "| API / raw SQL | ${ratio}× | |"
  echo
  echo "The plan of the raw query:"
  echo
  echo "$plan"
} | tee "$OUT"
