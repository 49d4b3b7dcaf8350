#!/usr/bin/env bash
# Side-by-side performance comparison of issue 9: our release build against
# PostGraphile 4.14.1 and against pgbench running the same SQL, on one fresh database.
# See benches/compare/README.md. Prints the Markdown report and writes it to
# benches/compare/last-run.md (or $OUT).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

MS_BIN=${MS_BIN:-/tmp/ms-release}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${MS_COMPARE_DB:-ms_compare}
MS_PORT=${MS_PORT:-4011}
PGL_PORT=${PGL_PORT:-5011}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}          # seconds per measurement
WARMUP=${WARMUP:-3}               # seconds of warm-up per HTTP scenario, before round 1
CAMPAIGNS=${CAMPAIGNS:-10000}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
ENTITIES=50                       # representations per _entities request (sql/c.sql has 50)
NODE_DIR=${MS_COMPARE_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ms-compare-node}
OUT=${OUT:-$HERE/last-run.md}
KEEP_DB=${KEEP_DB:-0}
KEEP_WORK=${KEEP_WORK:-0}
# --dynamic-json: jsonb as JSON objects (as ours answers), not as strings;
# --disable-query-log: no log line per request (ours logs none either).
PGL_FLAGS=(--host 127.0.0.1 --port "$PGL_PORT" --disable-graphiql --dynamic-json --disable-query-log)
if [[ -n ${PGL_EXTRA_FLAGS:-} ]]; then read -r -a extra <<<"$PGL_EXTRA_FLAGS"; PGL_FLAGS+=("${extra[@]}"); fi

URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
MS_URL="http://127.0.0.1:$MS_PORT/graphql"
PGL_URL="http://127.0.0.1:$PGL_PORT/graphql"

log() { printf '[compare %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

WORK=""
MS_PID=""
PGL_PID=""
DB_CREATED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $MS_PID $PGL_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [[ $rc -ne 0 && -n $WORK ]]; then
    for f in ms.log pgl.log; do
      [[ -s $WORK/$f ]] && { log "last lines of $f:"; tail -n 20 "$WORK/$f" >&2; }
    done
  fi
  if [[ $DB_CREATED == 1 && $KEEP_DB != 1 ]]; then
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 \
      || log "could not drop database $DB"
  fi
  if [[ -n $WORK ]]; then
    if [[ $KEEP_WORK == 1 || $rc -ne 0 ]]; then log "work files kept in $WORK"; else rm -rf "$WORK"; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
for tool in wrk pgbench psql node npm curl sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed (wrk: apt-get install -y wrk)"
done
[[ -x $MS_BIN ]] || die "MS_BIN=$MS_BIN is not an executable (build with cargo build --release)"
[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || die "MS_COMPARE_DB must be a plain lower-case identifier"
psql -X -q -d postgres -c 'SELECT 1' >/dev/null || die "cannot reach PostgreSQL at $PGHOST:$PGPORT as $PGUSER"
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_busy "$MS_PORT" && die "port $MS_PORT is already in use"
port_busy "$PGL_PORT" && die "port $PGL_PORT is already in use"

WORK=$(mktemp -d /tmp/ms-compare.XXXXXX)
RESULTS=$WORK/results.tsv
META=$WORK/meta.env
: >"$RESULTS"
: >"$META"
meta() { printf '%s=%s\n' "$1" "$2" >>"$META"; }

# PostGraphile, pinned by package-lock.json, installed into a cache directory.
mkdir -p "$NODE_DIR"
if ! cmp -s "$HERE/package-lock.json" "$NODE_DIR/package-lock.json" \
  || [[ ! -f $NODE_DIR/node_modules/postgraphile/cli.js ]]; then
  log "installing PostGraphile into $NODE_DIR (npm ci)"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >"$WORK/npm.log" 2>&1) \
    || { cat "$WORK/npm.log" >&2; die "npm ci failed"; }
fi
PGL_VERSION=$(node -p "require('$NODE_DIR/node_modules/postgraphile/package.json').version")
[[ $PGL_VERSION == 4.14.1 ]] || die "PostGraphile $PGL_VERSION installed, expected 4.14.1"

# ---------------------------------------------------------------- database
log "creating database $DB"
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
DB_CREATED=1
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$DB" "$@"; }

log "migrating with $MS_BIN"
"$MS_BIN" --database-url "$URL" migrate >"$WORK/migrate.log" 2>&1 \
  || { tail -n 30 "$WORK/migrate.log" >&2; die "migrate failed"; }

log "seeding $CAMPAIGNS campaigns"
q -v n="$CAMPAIGNS" -f "$HERE/seed.sql" >/dev/null
q -c "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM service_campaign_main" \
  -c "ALTER TABLE bench_ids ADD PRIMARY KEY (n)" >/dev/null
q -c "VACUUM (ANALYZE)" >/dev/null
[[ $(q -c "SELECT count(*) FROM service_campaign_main") == "$CAMPAIGNS" ]] || die "seeding did not create $CAMPAIGNS campaigns"
[[ $(q -c "SELECT count(*) FROM _metadata_master WHERE entity_type = 'campaign'") == "$CAMPAIGNS" ]] \
  || die "the triggers did not create one master row per campaign"
q -c "SELECT id FROM bench_ids ORDER BY n" >"$WORK/ids.txt"
DOC_BYTES=$(q -c "SELECT round(avg(length(metadata::text))) FROM service_campaign_main")

# Keeps the pairs in sync after a triggers-off run: copies the entity documents to
# their masters without the master's triggers (no version bump, no events).
resync() {
  q -c "ALTER TABLE _metadata_master DISABLE TRIGGER USER" \
    -c "UPDATE _metadata_master m SET metadata = c.metadata FROM service_campaign_main c
          WHERE m.id = c.metadata_master_id AND m.metadata IS DISTINCT FROM c.metadata" \
    -c "ALTER TABLE _metadata_master ENABLE TRIGGER USER" >/dev/null
}
# autovacuum may be off: after every write run, vacuum what the writes touched.
vacuum() {
  q -c "VACUUM (ANALYZE) service_campaign_main, _metadata_master, _metadata_events, _metadata_deliveries" >/dev/null
}

# ---------------------------------------------------------------- servers
wait_http() { # name pid url
  local i
  for i in $(seq 600); do
    kill -0 "$2" 2>/dev/null || die "$1 exited while starting"
    if curl -sf -o /dev/null -H 'content-type: application/json' -d '{"query":"{ __typename }"}' "$3"; then
      return 0
    fi
    sleep 0.1
  done
  die "$1 did not answer on $3 within 60 s"
}

log "starting ours on :$MS_PORT"
"$MS_BIN" --database-url "$URL" --listen "127.0.0.1:$MS_PORT" serve --no-worker >"$WORK/ms.log" 2>&1 &
MS_PID=$!
log "starting PostGraphile $PGL_VERSION on :$PGL_PORT"
NODE_ENV=production node "$NODE_DIR/node_modules/postgraphile/cli.js" -c "$URL" "${PGL_FLAGS[@]}" >"$WORK/pgl.log" 2>&1 &
PGL_PID=$!
wait_http ours "$MS_PID" "$MS_URL"
wait_http PostGraphile "$PGL_PID" "$PGL_URL"

log "checking that both answer the same data"
node "$HERE/check.js" "$MS_URL" "$PGL_URL" "$WORK/ids.txt" "$HERE/queries.txt" >&2 || die "equivalence check failed"

# ---------------------------------------------------------------- CPU accounting
TICK_US=$((1000000 / $(getconf CLK_TCK)))
proc_ticks() { # utime+stime of a process, in clock ticks (0 when gone)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  set -- $s
  echo $((${12} + ${13}))
}
PM_PID=""
DATA_DIR=$(psql -X -At -d postgres -c "SHOW data_directory" 2>/dev/null || true)
if [[ -n $DATA_DIR && -r $DATA_DIR/postmaster.pid ]]; then
  PM_PID=$(head -n 1 "$DATA_DIR/postmaster.pid")
  [[ -r /proc/$PM_PID/stat ]] || PM_PID=""
fi
[[ -n $PM_PID ]] || log "PostgreSQL's processes are not readable here: no PostgreSQL CPU figures"
pg_ticks() { # the whole instance: postmaster, its live children, and the children it reaped
  [[ -n $PM_PID ]] || { echo 0; return; }
  local s total child
  s=$(cat "/proc/$PM_PID/stat"); s=${s##*) }
  set -- $s
  total=$((${12} + ${13} + ${14} + ${15}))
  for child in $(ps -o pid= --ppid "$PM_PID"); do
    total=$((total + $(proc_ticks "$child")))
  done
  echo "$total"
}
snapshot() { echo "$(proc_ticks "$MS_PID") $(proc_ticks "$PGL_PID") $(pg_ticks)"; }

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
# record_cpu round job count "before" "after": CPU per request/transaction, in µs
record_cpu() {
  local round=$1 job=$2 n=$3
  read -r ms0 pgl0 pg0 <<<"$4"
  read -r ms1 pgl1 pg1 <<<"$5"
  record "$round" "$job" ms_cpu_us "$(awk -v d=$((ms1 - ms0)) -v t=$TICK_US -v n="$n" 'BEGIN { printf "%.2f", d * t / n }')"
  record "$round" "$job" pgl_cpu_us "$(awk -v d=$((pgl1 - pgl0)) -v t=$TICK_US -v n="$n" 'BEGIN { printf "%.2f", d * t / n }')"
  if [[ -n $PM_PID ]]; then
    record "$round" "$job" pg_cpu_us "$(awk -v d=$((pg1 - pg0)) -v t=$TICK_US -v n="$n" 'BEGIN { printf "%.2f", d * t / n }')"
  fi
}

# ---------------------------------------------------------------- one measurement
# http_job round job seconds: wrk against ours (ours_*) or PostGraphile (pgl_*)
http_job() {
  local round=$1 job=$2 secs=$3 url=$MS_URL before after line
  [[ $job == pgl_* ]] && url=$PGL_URL
  before=$(snapshot)
  SCENARIO=$job IDS_FILE=$WORK/ids.txt QUERIES_FILE=$HERE/queries.txt ENTITIES=$ENTITIES \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --timeout 10s -s "$HERE/wrk.lua" "$url" >"$WORK/wrk.out" 2>&1 \
    || { cat "$WORK/wrk.out" >&2; die "wrk failed for $job"; }
  after=$(snapshot)
  line=$(grep '^WRKRESULT ' "$WORK/wrk.out") || { cat "$WORK/wrk.out" >&2; die "no result from wrk for $job"; }
  local requests duration_us bad socket_errors non2xx timeouts p50_us p99_us
  eval "$(sed 's/^WRKRESULT //' <<<"$line")"
  if ((bad > 0 || non2xx > 0 || requests == 0)); then
    grep '^WRKBAD' "$WORK/wrk.out" >&2 || true
    die "$job: $bad of $requests responses were errors"
  fi
  ((socket_errors + timeouts > requests / 100)) && die "$job: $socket_errors socket errors, $timeouts timeouts"
  [[ $round == warmup ]] && { log "  warm-up $job: $requests requests"; return 0; }
  local rate
  rate=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN { printf "%.2f", n / (d / 1e6) }')
  record "$round" "$job" rate "$rate"
  record "$round" "$job" n "$requests"
  record "$round" "$job" p50_ms "$(awk -v x="$p50_us" 'BEGIN { printf "%.2f", x / 1000 }')"
  record "$round" "$job" p99_ms "$(awk -v x="$p99_us" 'BEGIN { printf "%.2f", x / 1000 }')"
  record_cpu "$round" "$job" "$requests" "$before" "$after"
  log "  $job: $rate req/s"
}

# sql_job round job script seconds: pgbench -M prepared with the same SQL
sql_job() {
  local round=$1 job=$2 script=$3 secs=$4 before after
  before=$(snapshot)
  pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$secs" -D ncamp="$CAMPAIGNS" \
    -f "$HERE/sql/$script" "$DB" >"$WORK/pgbench.out" 2>&1 \
    || { cat "$WORK/pgbench.out" >&2; die "pgbench failed for $job"; }
  after=$(snapshot)
  local n tps failed lat
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$WORK/pgbench.out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/pgbench.out")
  [[ -n $n && -n $tps && $n -gt 0 ]] || { cat "$WORK/pgbench.out" >&2; die "cannot read pgbench's result for $job"; }
  [[ ${failed:-0} == 0 ]] || { cat "$WORK/pgbench.out" >&2; die "$job: $failed failed transactions"; }
  [[ $round == warmup ]] && { log "  warm-up $job: $n transactions"; return 0; }
  record "$round" "$job" rate "$tps"
  record "$round" "$job" n "$n"
  record "$round" "$job" lat_ms "${lat:-nan}"
  record_cpu "$round" "$job" "$n" "$before" "$after"
  log "  $job: $tps tps"
}

job() { # round system scenario
  local round=$1 system=$2 sc=$3 secs=$DURATION
  [[ $round == warmup ]] && secs=$WARMUP
  case $system in
    ours | pgl) http_job "$round" "${system}_$sc" "$secs" ;;
    raw) sql_job "$round" "raw_$sc" "$sc.sql" "$secs" ;;
    rawon) sql_job "$round" raw_upd_on update.sql "$secs" ;;
    rawoff)
      q -c "ALTER TABLE service_campaign_main DISABLE TRIGGER USER" >/dev/null
      sql_job "$round" raw_upd_off update.sql "$secs"
      q -c "ALTER TABLE service_campaign_main ENABLE TRIGGER USER" >/dev/null
      resync
      ;;
  esac
  if [[ $sc == d ]]; then vacuum; fi
}

# rotate k a b c…: the list rotated by k, so that no system always runs first
rotate() { local k=$1; shift; local a=("$@") i; for ((i = 0; i < $#; i++)); do echo "${a[$(((i + k) % $#))]}"; done; }

# ---------------------------------------------------------------- runs
IDLE_SECS=3
log "measuring the idle baseline ($IDLE_SECS s)"
before=$(snapshot); sleep "$IDLE_SECS"; after=$(snapshot)
read -r ms0 pgl0 pg0 <<<"$before"; read -r ms1 pgl1 pg1 <<<"$after"
per_s() { awk -v d="$1" -v t=$TICK_US -v s=$IDLE_SECS 'BEGIN { printf "%.1f", d * t / 1000 / s }'; }
meta idle_secs "$IDLE_SECS"
meta idle_ms_ms_per_s "$(per_s $((ms1 - ms0)))"
meta idle_pgl_ms_per_s "$(per_s $((pgl1 - pgl0)))"
if [[ -n $PM_PID ]]; then meta idle_pg_ms_per_s "$(per_s $((pg1 - pg0)))"; fi

meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta host_cpus "$(nproc)"
meta cpu_model "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
meta loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

log "warming up ($WARMUP s per scenario)"
for s in "ours a" "pgl a" "ours b" "pgl b" "ours c" "ours d"; do
  job warmup $s
done
for s in a b c; do job warmup raw "$s"; done

for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round of $ROUNDS"
  k=$((round - 1))
  for sc in a b; do
    for system in $(rotate $k ours pgl raw); do job "$round" "$system" "$sc"; done
  done
  for system in $(rotate $k ours raw); do job "$round" "$system" c; done
  for system in $(rotate $k ours rawon rawoff); do job "$round" "$system" d; done
done

out_of_sync=$(q -c "SELECT count(*) FROM service_campaign_main c JOIN _metadata_master m ON m.id = c.metadata_master_id
                    WHERE m.metadata IS DISTINCT FROM c.metadata")
[[ $out_of_sync == 0 ]] || die "$out_of_sync campaigns are out of sync with their master after the runs"

rss_mib() { awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
meta ms_rss_mib "$(rss_mib "$MS_PID")"
meta pgl_rss_mib "$(rss_mib "$PGL_PID")"
meta loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta ms_bin "$MS_BIN"
meta ms_sha256 "$(sha256sum "$MS_BIN" | cut -d' ' -f1)"
meta ms_mtime "$(date -u -r "$MS_BIN" '+%Y-%m-%d %H:%M UTC')"
meta git_rev "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet HEAD -- src migration entity 2>/dev/null || echo ' (+ uncommitted changes)')"
meta pgl_version "$PGL_VERSION"
meta pgl_flags "-c postgres://…/$DB ${PGL_FLAGS[*]}"
meta node_version "$(node --version)"
meta pg_version "$(q -c "SELECT split_part(version(), ' on ', 1)")"
meta wrk_version "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)"
meta pgbench_version "$(pgbench --version)"
meta campaigns "$CAMPAIGNS"
meta doc_bytes "$DOC_BYTES"
meta rounds "$ROUNDS"
meta duration "$DURATION"
meta threads "$THREADS"
meta connections "$CONNECTIONS"

node "$HERE/report.js" "$RESULTS" "$META" >"$WORK/report.md" || die "report.js failed"
cp "$WORK/report.md" "$OUT"
cat "$WORK/report.md"
log "written to $OUT"
