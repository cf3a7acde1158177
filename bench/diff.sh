#!/usr/bin/env bash
# Schema introspection and diff benchmark (issue 6): a PostgreSQL database of
# 1,000 tables x 20 columns (primary key, 3 foreign keys, a unique and a check
# constraint, 3 indexes of which one partial and one on an expression, two
# enum types) against a desired schema.sql with a handful of changes
# (bench/gen_schema.py writes both).
#
#   bash bench/diff.sh            # report in bench/out/diff/report.md
#
# Measured, medians over several runs:
#   1. cairn_schema_bench (Google Benchmark, bench/schema_bench.cc):
#      introspection of the live and of the desired database (the catalog
#      queries), the diff (up and down) on the two models, the canonical text,
#      and loading schema.sql into a scratch database the way `cairn diff`
#      does (create, run the file statement by statement, drop).
#   2. hyperfine, interleaved rounds (hf_rounds.py), whole processes:
#      `pg_dump --schema-only` of the live database (the baseline: the plain
#      client reading the same catalogs) against `cairn drift` (connect,
#      read the ledger, introspect, fingerprint); and `cairn diff --schema
#      desired.sql` end to end against its own baseline, psql loading the same
#      file into a fresh database (createdb, psql -f, dropdb).
# Setup, timed once: psql loading live.sql and desired.sql.
# Check (BENCH_DIFF_CHECK=1, default): the up script cairn prints is applied
# to a copy of the live database, after which `cairn diff` must report no
# difference.
#
# Env: BENCH_DIFF_TABLES (1000), BENCH_DIFF_COLUMNS (20), BENCH_DIFF_RUNS (9,
#      repetitions of the in-process benchmarks), BENCH_DIFF_LOAD_RUNS (3),
#      BENCH_DIFF_ROUNDS (5, hyperfine rounds for pg_dump / drift),
#      BENCH_DIFF_E2E_ROUNDS (3, rounds for the end-to-end diff and its load
#      baseline), BENCH_DIFF_CHECK (1), BENCH_SKIP_BUILD=1 (reuse build-bench/).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TABLES="${BENCH_DIFF_TABLES:-1000}"
COLUMNS="${BENCH_DIFF_COLUMNS:-20}"
RUNS="${BENCH_DIFF_RUNS:-9}"
LOAD_RUNS="${BENCH_DIFF_LOAD_RUNS:-3}"
ROUNDS="${BENCH_DIFF_ROUNDS:-5}"
E2E_ROUNDS="${BENCH_DIFF_E2E_ROUNDS:-3}"
CHECK="${BENCH_DIFF_CHECK:-1}"
BUILD="$ROOT/build-bench"
OUT="$ROOT/bench/out/diff"
CAIRN="$BUILD/clients/cairn"
BENCH="$BUILD/bench/cairn_schema_bench"
T0=$SECONDS
log() { printf '[bench-diff %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }

bash "$ROOT/scripts/install-deps.sh" >&2
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building Release cairn and cairn_schema_bench in build-bench/"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target cairn cairn_schema_bench >&2
fi
[[ -x "$BENCH" ]] || { echo "bench: $BENCH missing (is libbenchmark-dev installed?)" >&2; exit 1; }
for tool in hyperfine python3 psql pg_dump; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT"
python3 bench/gen_schema.py --tables "$TABLES" --columns "$COLUMNS" --out "$OUT"
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- nproc: $(nproc); cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "- cairn: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- runner ledger clients bench || echo ' (uncommitted changes)'), Release (build-bench)"
  echo "- schema: $TABLES tables x $COLUMNS columns; $(wc -c <"$OUT/live.sql") bytes of live.sql"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

# shellcheck source=scripts/pg-harness.sh
source "$ROOT/scripts/pg-harness.sh"
trap cairn_pg_stop EXIT
cairn_pg_start >&2
ADMIN="$CAIRN_TEST_PG_URL"
BASE="${ADMIN%/postgres}"
echo "- postgresql: $("$CAIRN_PG_BINDIR/postgres" --version | awk '{print $3}'), throwaway cluster from scripts/pg-harness.sh (fsync=on), TCP 127.0.0.1" >>"$OUT/machine.txt"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

secs() { python3 -c "import sys;print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$@"; }
for db in live desired; do
  log "setup: loading $db.sql with psql (one transaction)"
  "${PSQL[@]}" "$ADMIN" -c "CREATE DATABASE $db"
  t0=$(date +%s.%N)
  "${PSQL[@]}" -1 "$BASE/$db" -f "$OUT/$db.sql"
  echo "- setup: psql -1 -f $db.sql: $(secs "$t0" "$(date +%s.%N)") s" >>"$OUT/machine.txt"
done
"${PSQL[@]}" "$BASE/live" -c "VACUUM ANALYZE" -c "CHECKPOINT"

DIFF_CMD="$CAIRN -q --database $BASE/live diff --schema $OUT/desired.sql"
log "first cairn diff (creates the ledger tables; output kept in up.sql)"
$DIFF_CMD >"$OUT/up.sql"
grep -v '^-- up:' "$OUT/up.sql" | grep -c '^-- ' >"$OUT/up-steps.txt" || true
if [[ "$CHECK" == 1 ]]; then
  log "check: up.sql applied to a copy of live leaves no difference"
  "${PSQL[@]}" "$ADMIN" -c "CREATE DATABASE live_check TEMPLATE live"
  "${PSQL[@]}" -1 "$BASE/live_check" -f "$OUT/up.sql" >/dev/null
  "$CAIRN" -q --database "$BASE/live_check" diff --schema "$OUT/desired.sql" >"$OUT/check.txt"
  grep -q '^no difference' "$OUT/check.txt" || {
    echo "bench: after up.sql, cairn diff still reports:" >&2
    head -20 "$OUT/check.txt" >&2
    exit 1
  }
  "${PSQL[@]}" "$ADMIN" -c "DROP DATABASE live_check WITH (FORCE)"
  echo "- check: up.sql ($(cat "$OUT/up-steps.txt") steps) applied to a copy of live: cairn diff reports no difference" >>"$OUT/machine.txt"
fi

export CAIRN_BENCH_LIVE_URL="$BASE/live" CAIRN_BENCH_DESIRED_URL="$BASE/desired"
export CAIRN_BENCH_SCHEMA="$OUT/desired.sql"
log "in-process: introspection, diff, canonical ($RUNS repetitions)"
"$BENCH" --benchmark_filter='introspect|diff|canonical' --benchmark_repetitions="$RUNS" \
  --benchmark_out="$OUT/inproc.json" --benchmark_out_format=json >&2
log "in-process: loading schema.sql into a scratch database ($LOAD_RUNS repetitions)"
"$BENCH" --benchmark_filter='load' --benchmark_repetitions="$LOAD_RUNS" \
  --benchmark_out="$OUT/load.json" --benchmark_out_format=json >&2

log "hyperfine: pg_dump --schema-only vs cairn drift ($ROUNDS rounds)"
python3 bench/hf_rounds.py --export-json "$OUT/catalog.json" --rounds "$ROUNDS" \
  --runs-per-round 1 --warmup 1 \
  --cmd "pg_dump --schema-only" "" "pg_dump --schema-only $BASE/live >/dev/null" \
  --cmd "cairn drift" "" "$CAIRN -q --database $BASE/live drift >/dev/null || true"
log "hyperfine: cairn diff --schema end to end vs psql loading the file ($E2E_ROUNDS rounds)"
LOAD_BASE="${PSQL[*]} $ADMIN -c 'CREATE DATABASE load_base' && ${PSQL[*]} $BASE/load_base -f $OUT/desired.sql && ${PSQL[*]} $ADMIN -c 'DROP DATABASE load_base WITH (FORCE)'"
python3 bench/hf_rounds.py --export-json "$OUT/e2e.json" --rounds "$E2E_ROUNDS" \
  --runs-per-round 1 \
  --cmd "psql -f desired.sql into a fresh database" "" "$LOAD_BASE" \
  --cmd "cairn diff --schema desired.sql" "" "$DIFF_CMD >/dev/null"

echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
python3 bench/diff_report.py "$OUT" | tee "$OUT/report.md"
