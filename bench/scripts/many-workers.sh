#!/usr/bin/env bash
# Many worker processes on one PostgreSQL whose connection limit they exceed: directly, and through PgBouncer in
# transaction mode. For each: every trial completed exactly once (0 failed, 0 retries used), peak server connections,
# trials/s, worker RSS; then the wake-up latency of idle workers (NOTIFY directly; polling through PgBouncer).
#   bench/scripts/many-workers.sh [WORKERS] [TRIALS] [MAX_CONNECTIONS] [POOL]     (defaults 100 2000 40 20)
# Starts its own throwaway PostgreSQL and PgBouncer (tests/scripts/postgres.sh, pgbouncer.sh); needs pgbouncer installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
workers="${1:-100}"; trials="${2:-2000}"; limit="${3:-40}"; pool="${4:-20}"
# IDLE_WORKERS: how many idle workers wait for each wake-up (directly each holds 2 connections: stay under the limit).
# SKIP_RUNS=1 measures the wake-up latency alone.
idle_workers=(${IDLE_WORKERS:-1 10}); wakeups=${WAKEUPS:-6}
"$root/expt" --version >/dev/null # builds the ReadyToRun CLI once
expt="$root/artifacts/cli/expt"
pgdir=/dev/shm/expt-bench-many-pg; bouncer=/dev/shm/expt-bench-many-bouncer
work="$(mktemp -d)"
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  "$root/tests/scripts/pgbouncer.sh" stop "$bouncer" >/dev/null 2>&1 || true
  "$root/tests/scripts/postgres.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup; work="$(mktemp -d)"
direct="$(PG_MAX_CONNECTIONS=$limit "$root/tests/scripts/postgres.sh" start "$pgdir")"
through="$("$root/tests/scripts/pgbouncer.sh" start "$bouncer" "$pgdir" "$pool")"
pgport="$(cat "$pgdir/port")"
psql_() { PGPASSWORD=xpt-s3cret psql -h 127.0.0.1 -p "$pgport" -U expt -d expt -At "$@"; }
echo "server: max_connections = $limit; PgBouncer: transaction mode, pool $pool; $workers workers (-j 1), $trials trials of 'true'; $(nproc) cores"

run_mode() { # mode store-of-schema schema
  local mode="$1" store="$2" schema="$3"
  psql_ -qc "CREATE SCHEMA $schema"
  cd "$work"
  printf 'name: many\ncommand: "true"\nparams:\n  x: range(%s)\nretries: 0\n' "$trials" > many.yaml
  "$expt" run many.yaml --store "$store" --enqueue-only >/dev/null
  # One session samples the server's client connections every 100 ms (psql sessions, its own and this script's, left out).
  rm -f "$work/fifo"; mkfifo "$work/fifo"
  psql_ -f "$work/fifo" > "$work/samples-$mode" 2>/dev/null &
  local sampler=$!
  exec 3> "$work/fifo"
  (while true; do echo "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> 'psql';" >&3; sleep 0.1; done) &
  local ticker=$!
  sleep 1
  local start; start=$(date +%s.%N)
  local pids=()
  for _ in $(seq 1 "$workers"); do
    "$expt" worker --store "$store" --study many -j 1 -q 2>/dev/null >/dev/null &
    pids+=($!)
  done
  # Half way: the workers' resident memory.
  until [[ $(psql_ -c "SELECT count(*) FROM $schema.trials WHERE status = 'completed'") -ge $((trials / 2)) ]]; do sleep 0.5; done
  local rss; rss=$(for p in "${pids[@]}"; do awk '/VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || true; done | sort -n)
  local failed_exits=0
  for p in "${pids[@]}"; do wait "$p" || failed_exits=$((failed_exits + 1)); done
  local end; end=$(date +%s.%N)
  kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true
  exec 3>&-
  wait "$sampler" 2>/dev/null || true
  local peak; peak=$(sort -n "$work/samples-$mode" | tail -1)
  local counts; counts=$(psql_ -F' ' -c "SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE attempts <> 1), count(DISTINCT key), count(*) FILTER (WHERE history LIKE '%interrupted%') FROM $schema.trials")
  local share; share=$(psql_ -F' ' -c "SELECT count(*), min(c), percentile_disc(0.5) WITHIN GROUP (ORDER BY c), max(c) FROM (SELECT pid, count(*) AS c FROM $schema.trials GROUP BY pid) p")
  local span; span=$(psql_ -c "SELECT round(extract(epoch FROM max(finished) - min(started))::numeric, 2) FROM $schema.trials")
  read -r completed failed retried distinct interrupted <<< "$counts"
  local n; n=$(echo "$rss" | grep -c . || true)
  local median; median=$(echo "$rss" | awk -v n="$n" 'NR == int((n + 1) / 2) {printf "%.0f", $1 / 1024}')
  local max; max=$(echo "$rss" | tail -1 | awk '{printf "%.0f", $1 / 1024}')
  printf '%s: %s completed, %s failed, %s with more than one attempt, %s distinct keys, %s interrupted; workers exiting non-zero: %s\n' "$mode" "$completed" "$failed" "$retried" "$distinct" "$interrupted" "$failed_exits"
  printf '%s: peak server connections %s of %s; %.1f s from launch to the last exit (%.0f trials/s); first start to last finish %s s (%.0f trials/s); worker RSS median %s MB, max %s MB (%s sampled)\n' \
    "$mode" "$peak" "$limit" "$(echo "$end - $start" | bc)" "$(echo "$trials / ($end - $start)" | bc -l)" "$span" "$(echo "$trials / $span" | bc -l)" "$median" "$max" "$n"
  read -r ran least middle most <<< "$share"
  printf '%s: trials ran by %s worker processes: min %s, median %s, max %s each\n' "$mode" "$ran" "$least" "$middle" "$most"
}

wake_mode() { # mode store schema idle
  local mode="$1" store="$2" schema="$3" idle="$4"
  cd "$work"
  printf 'name: wake%s\ncommand: "true"\npoints: []\n' "$idle" > wake.yaml
  "$expt" run wake.yaml --store "$store" --enqueue-only >/dev/null
  local pids=()
  for _ in $(seq 1 "$idle"); do
    "$expt" worker --store "$store" --study "wake$idle" -j 1 -q --idle-exit 10m >/dev/null 2>&1 &
    pids+=($!)
  done
  sleep 40 # long enough for the idle back-off to reach its ceiling
  local latencies=()
  for i in $(seq 1 "$wakeups"); do
    "$expt" add "wake$idle" --set "x=$i" --store "$store" >/dev/null
    until [[ $(psql_ -c "SELECT count(*) FROM $schema.trials t JOIN $schema.studies s ON s.id = t.study_id WHERE s.name = 'wake$idle' AND t.status = 'completed'") -ge $i ]]; do sleep 0.2; done
    sleep "$(awk -v s="$RANDOM" 'BEGIN {srand(s); printf "%.1f", 2 + rand() * 6}')"
  done
  latencies=$(psql_ -c "SELECT round(extract(epoch FROM t.started - t.created)::numeric * 1000) FROM $schema.trials t JOIN $schema.studies s ON s.id = t.study_id WHERE s.name = 'wake$idle' ORDER BY 1" | tr '\n' ' ')
  kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true
  printf '%s, %s idle worker(s): wake-up latency (ms, enqueue to start) %s\n' "$mode" "$idle" "$latencies"
}

if [[ -z "${SKIP_RUNS:-}" ]]; then
  run_mode direct "$direct;Search Path=direct_many" direct_many
  run_mode pgbouncer "$through;Search Path=bouncer_many;PgBouncer=true" bouncer_many
else
  psql_ -qc "CREATE SCHEMA direct_many; CREATE SCHEMA bouncer_many"
fi
for idle in "${idle_workers[@]}"; do
  wake_mode direct "$direct;Search Path=direct_many" direct_many "$idle"
  wake_mode pgbouncer "$through;Search Path=bouncer_many;PgBouncer=true" bouncer_many "$idle"
done
