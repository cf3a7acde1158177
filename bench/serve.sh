#!/usr/bin/env bash
# Benchmarks of the Ledger service (BENCHMARKS.md, "Ledger service"):
#  1. append throughput, durable, direct into the store vs through gRPC,
#     on SQLite and PostgreSQL;
#  2. delivery latency p50/p99 to 100 subscribers at 1,000 events/s.
# Builds into build-bench/ (Release), starts a throwaway PostgreSQL.
# Env: EVENTS (default 2000), SUBSCRIBERS (100), RATE (1000), DURATION (5 seconds), ROUNDS (3),
# CAIRN_BENCH_BUILD (an existing, configured build directory to use instead),
# LATENCY_ONLY=1 (skip the append part), MAX_BATCHES (default "0": the
# subscribers' max_batch values to compare; 1 = one record per response,
# 0 = the client's default batches).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/install-deps.sh >/dev/null
BUILD="${CAIRN_BENCH_BUILD:-$ROOT/build-bench}"
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD" --target cairn cairn_serve_bench >/dev/null
CAIRN="$BUILD/clients/cairn"
BENCH="$BUILD/bench/cairn_serve_bench"

# shellcheck source=scripts/pg-harness.sh
source "$ROOT/scripts/pg-harness.sh"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  cairn_pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
cairn_pg_start
chmod 755 "$WORK"

EVENTS="${EVENTS:-2000}"
SUBSCRIBERS="${SUBSCRIBERS:-100}"
RATE="${RATE:-1000}"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
TOKEN="bench-token-0123456789"
printf 'bench reader,writer %s\n' "$TOKEN" > "$WORK/tokens"

new_pg_db() {
  local name="cairn_bench_$1_$RANDOM"
  psql "$CAIRN_TEST_PG_URL" -q -c "CREATE DATABASE $name" >/dev/null
  echo "${CAIRN_TEST_PG_URL%/*}/$name"
}

start_server() {
  rm -f "$WORK/ready"
  "$CAIRN" serve --database "$1" --listen 127.0.0.1:0 --tokens-file "$WORK/tokens" \
    --ready-file "$WORK/ready" >/dev/null 2>"$WORK/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do [[ -f "$WORK/ready" ]] && break; sleep 0.1; done
  PORT="$(cat "$WORK/ready")"
}
stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

for backend in sqlite postgres; do
  [[ "${LATENCY_ONLY:-0}" == 1 ]] && break
  for round in $(seq 1 "$ROUNDS"); do
    if [[ $backend == sqlite ]]; then url="sqlite:$WORK/bench-$round.db"; else url="$(new_pg_db "$round")"; fi
    direct="$("$BENCH" direct --database "$url" --events "$EVENTS")"
    start_server "$url"
    grpc1="$("$BENCH" append --server "127.0.0.1:$PORT" --token "$TOKEN" --events "$EVENTS" --threads 1)"
    grpc8="$("$BENCH" append --server "127.0.0.1:$PORT" --token "$TOKEN" --events "$EVENTS" --threads 8)"
    stop_server
    echo "{\"backend\":\"$backend\",\"round\":$round,\"direct\":$direct,\"grpc_1\":$grpc1,\"grpc_8\":$grpc8}"
  done
done

# Rounds interleave the max_batch values, so load drifts hit each alike.
for backend in postgres sqlite; do
  for round in $(seq 1 "$ROUNDS"); do
    for mb in ${MAX_BATCHES:-0}; do
      if [[ $backend == sqlite ]]; then url="sqlite:$WORK/lat-$mb-$round.db"; else url="$(new_pg_db "lat${mb}_$round")"; fi
      start_server "$url"
      lat="$("$BENCH" latency --server "127.0.0.1:$PORT" --token "$TOKEN" --subscribers "$SUBSCRIBERS" \
        --rate "$RATE" --seconds "$DURATION" --threads 16 --max-batch "$mb")" || true
      stop_server
      echo "{\"backend\":\"$backend\",\"round\":$round,\"max_batch\":$mb,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"latency\":$lat}"
    done
  done
done
