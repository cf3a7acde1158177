#!/usr/bin/env bash
# cairn benchmarks, all in one invocation on one machine (see bench/README.md).
#
#   bench/run.sh
#
# 1. apply 1,000 generated migrations: cairn vs sqlite3 (SQLite) and
#    cairn vs psql (PostgreSQL), one transaction per file on both sides;
# 2. `cairn status` with 1,000 vs 10,000 applied migrations (SQLite, PostgreSQL);
# 3. `cairn migrate` with nothing pending at 1,000 applied (SQLite).
#
# Raw hyperfine JSON, logs and the generated report go to bench/out/
# (gitignored, recreated on every run). bench/report.py turns the JSON into the
# markdown tables of BENCHMARKS.md; run.sh writes them to bench/out/report.md.
#
# Installs nothing itself beyond scripts/install-deps.sh; builds its own
# Release binary in build-bench/; starts and stops its own throwaway
# PostgreSQL with scripts/pg-harness.sh.
#
# Comparisons run in interleaved rounds (bench/hf_rounds.py drives hyperfine
# once per round, alternating the order of the commands), so that foreign load
# on a shared machine hits both sides alike.
#
# Env knobs (defaults: about 4.5 minutes on a quiet 2-core machine, more under load):
#   BENCH_APPLY_RUNS_SQLITE       runs per command, benchmark 1 on SQLite    (15)
#   BENCH_APPLY_RUNS_PG           runs per command, benchmark 1 on Postgres   (5)
#   BENCH_STATUS_ROUNDS           rounds for benchmarks 2 and 3               (4)
#   BENCH_STATUS_RUNS_PER_ROUND   runs per command per round, 2 and 3         (5)
#   BENCH_SKIP_PG=1          skip every PostgreSQL benchmark
#   BENCH_SKIP_BUILD=1       use the existing build-bench/clients/cairn as is
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

APPLY_RUNS_SQLITE="${BENCH_APPLY_RUNS_SQLITE:-15}"
APPLY_RUNS_PG="${BENCH_APPLY_RUNS_PG:-5}"
STATUS_ROUNDS="${BENCH_STATUS_ROUNDS:-4}"
STATUS_RUNS_PER_ROUND="${BENCH_STATUS_RUNS_PER_ROUND:-5}"
SKIP_PG="${BENCH_SKIP_PG:-0}"

OUT="$ROOT/bench/out"
BUILD="$ROOT/build-bench"
CAIRN="$BUILD/clients/cairn"
T0=$SECONDS

log() { printf '[bench %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }

# --- build -------------------------------------------------------------------
bash "$ROOT/scripts/install-deps.sh"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building Release cairn in build-bench/"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target cairn
fi
[[ -x "$CAIRN" ]] || { echo "bench: $CAIRN was not built" >&2; exit 1; }
for tool in hyperfine sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT/db" "$OUT/gen/empty"
DB="$OUT/db"
GEN="$OUT/gen"

# --- migration sets (deterministic) ------------------------------------------
log "generating migrations"
python3 bench/gen_migrations.py --kind full --count 1000 --out "$GEN/full-1k" \
  --combined "$GEN/full-1k.sql" >&2
python3 bench/gen_migrations.py --kind small --count 1000 --out "$GEN/small-1k" \
  --combined "$GEN/small-1k.sql" >&2
python3 bench/gen_migrations.py --kind small --count 10000 --out "$GEN/small-10k" \
  --combined "$GEN/small-10k.sql" >&2
python3 bench/gen_migrations.py --kind rows --count 1000 --out "$GEN/rows-1k" >&2
python3 bench/gen_migrations.py --kind rows --count 10000 --out "$GEN/rows-10k" >&2
# cairn's file checksum cache (docs/caches.md) lives with the results.
export CAIRN_CACHE_DIR="$OUT/cache"

# --- machine description ------------------------------------------------------
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  # shellcheck disable=SC1091
  echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "filesystem of bench/out: $(findmnt -n -o FSTYPE -T "$OUT" 2>/dev/null || stat -f -c %T "$OUT") ($(df -P "$OUT" | awk 'NR==2 {print $1}'))"
  echo "cairn: $(awk '/^project\(cairn VERSION/ {print $3}' CMakeLists.txt) at $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- ledger runner clients proto CMakeLists.txt 2>/dev/null || echo ' + uncommitted changes in ledger/runner/clients'), Release build (build-bench)"
  echo "compiler: $(c++ --version | head -n 1)"
  echo "sqlite3 (CLI and library): $(sqlite3 --version | awk '{print $1}')"
  echo "hyperfine: $(hyperfine --version | awk '{print $2}')"
  echo "load average at start (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"
if git diff --quiet HEAD -- ledger runner clients proto CMakeLists.txt 2>/dev/null; then :; else
  git diff HEAD -- ledger runner clients proto CMakeLists.txt >"$OUT/uncommitted.diff" || true
  echo "uncommitted source changes benchmarked: bench/out/uncommitted.diff (sha256 $(sha256sum "$OUT/uncommitted.diff" | cut -c1-12))" >>"$OUT/machine.txt"
fi

# --- helpers -------------------------------------------------------------------
hf() { hyperfine --style basic "$@" 2>&1 | tee -a "$OUT/hyperfine.log" >&2; }
# Interleaved rounds (see bench/hf_rounds.py): both sides of a comparison
# sample the same periods of foreign load.
rounds() { python3 bench/hf_rounds.py "$@" 2>&1 | tee -a "$OUT/hyperfine.log" >&2; }

# 1. Apply 1,000 migrations: SQLite
log "benchmark 1 (SQLite): cairn migrate vs sqlite3, $APPLY_RUNS_SQLITE runs each"
APPLY_DB="$DB/apply.db"
PREP_SQLITE="rm -f '$APPLY_DB' '$APPLY_DB-journal' '$APPLY_DB-wal' '$APPLY_DB-shm'; sync"
rounds --export-json "$OUT/apply-sqlite.json" --rounds "$APPLY_RUNS_SQLITE" --warmup 1 \
  --cmd "sqlite3 (1 transaction per file)" "$PREP_SQLITE" "sqlite3 '$APPLY_DB' < '$GEN/full-1k.sql'" \
  --cmd "cairn migrate" "$PREP_SQLITE" "'$CAIRN' --database 'sqlite:$APPLY_DB' --dir '$GEN/full-1k' migrate"
# Sanity check of what was timed, plus syscall counts of one run of each side
# when strace is there (diagnostics only, not timed).
STRACE=()
command -v strace >/dev/null && STRACE=(strace -f -c -o "$OUT/strace-apply-cairn.txt")
rm -f "$APPLY_DB"; sync
"${STRACE[@]}" "$CAIRN" --database "sqlite:$APPLY_DB" --dir "$GEN/full-1k" migrate >/dev/null
"$CAIRN" --database "sqlite:$APPLY_DB" --dir "$GEN/full-1k" verify >&2
tables="$(sqlite3 "$APPLY_DB" "SELECT count(*) FROM sqlite_schema WHERE name GLOB 't_[0-9]*' AND type = 'table'")"
[[ "$tables" == 1000 ]] || { echo "bench: cairn left $tables tables, expected 1000" >&2; exit 1; }
rm -f "$APPLY_DB"; sync
[[ ${#STRACE[@]} -gt 0 ]] && STRACE=(strace -f -c -o "$OUT/strace-apply-sqlite3.txt")
"${STRACE[@]}" sqlite3 "$APPLY_DB" <"$GEN/full-1k.sql"
tables="$(sqlite3 "$APPLY_DB" "SELECT count(*) FROM sqlite_schema WHERE name GLOB 't_[0-9]*' AND type = 'table'")"
[[ "$tables" == 1000 ]] || { echo "bench: sqlite3 left $tables tables, expected 1000" >&2; exit 1; }

# 3. No-op migrate at 1,000 applied: SQLite
log "benchmark 3 (SQLite): cairn migrate with nothing pending at 1,000 applied"
NOOP_DB="$DB/noop.db"
"$CAIRN" --quiet --database "sqlite:$NOOP_DB" --dir "$GEN/full-1k" migrate >/dev/null
rounds --export-json "$OUT/noop-sqlite.json" --no-shell --warmup 3 \
  --rounds "$STATUS_ROUNDS" --runs-per-round "$STATUS_RUNS_PER_ROUND" \
  --cmd "sqlite3: open + count ledger rows (floor)" "" \
  "sqlite3 '$NOOP_DB' 'SELECT count(*) FROM cairn_ledger'" \
  --cmd "cairn migrate (no-op, 1,000 applied)" "" \
  "'$CAIRN' --database 'sqlite:$NOOP_DB' --dir '$GEN/full-1k' migrate" \
  --cmd "cairn status (1,000 applied)" "" \
  "'$CAIRN' --database 'sqlite:$NOOP_DB' --dir '$GEN/full-1k' status"

# 2. Status as history grows: SQLite. The setup applies 1k and 10k tiny
# migrations once each, timed (single run) with the plain-client equivalent.
log "benchmark 2 setup (SQLite): applying 1,000 and 10,000 tiny migrations (single timed runs)"
for n in 1k 10k; do
  d="$DB/status-$n.db" p="$DB/plain-$n.db"
  hf --runs 1 --export-json "$OUT/setup-sqlite-$n.json" \
    --prepare "rm -f '$p'; sync" -n "sqlite3 (1 transaction per file)" \
    "sqlite3 '$p' < '$GEN/small-$n.sql'" \
    --prepare "rm -f '$d'; sync" -n "cairn migrate" \
    "'$CAIRN' --database 'sqlite:$d' --dir '$GEN/small-$n' migrate"
done
rm -f "$DB"/plain-*.db
log "benchmark 2 setup (SQLite): 1,000 and 10,000 row-inserting migrations over one table"
for n in 1k 10k; do
  "$CAIRN" --quiet --database "sqlite:$DB/rows-$n.db" --dir "$GEN/rows-$n" migrate >/dev/null
done
log "benchmark 2 (SQLite): cairn status at 1,000 vs 10,000 applied"
rounds --export-json "$OUT/status-sqlite.json" --no-shell --warmup 3 \
  --rounds "$STATUS_ROUNDS" --runs-per-round "$STATUS_RUNS_PER_ROUND" \
  --cmd "cairn status (1,000 applied)" "" \
  "'$CAIRN' --database 'sqlite:$DB/status-1k.db' --dir '$GEN/small-1k' status" \
  --cmd "cairn status (10,000 applied)" "" \
  "'$CAIRN' --database 'sqlite:$DB/status-10k.db' --dir '$GEN/small-10k' status" \
  --cmd "cairn migrate (no-op, 10,000 applied)" "" \
  "'$CAIRN' --database 'sqlite:$DB/status-10k.db' --dir '$GEN/small-10k' migrate" \
  --cmd "cairn status (1,000 applied, one table)" "" \
  "'$CAIRN' --database 'sqlite:$DB/rows-1k.db' --dir '$GEN/rows-1k' status" \
  --cmd "cairn status (10,000 applied, one table)" "" \
  "'$CAIRN' --database 'sqlite:$DB/rows-10k.db' --dir '$GEN/rows-10k' status" \
  --cmd "sqlite3: open + count ledger rows, 10,000 applied (floor)" "" \
  "sqlite3 '$DB/status-10k.db' 'SELECT count(*) FROM cairn_ledger'" \
  --cmd "phase: files only (10,000 files, empty database)" "" \
  "'$CAIRN' --database 'sqlite:$DB/empty.db' --dir '$GEN/small-10k' status" \
  --cmd "phase: ledger only (10,000 applied, empty directory)" "" \
  "'$CAIRN' --database 'sqlite:$DB/status-10k.db' --dir '$GEN/empty' status"

# --- PostgreSQL ---------------------------------------------------------------
if [[ "$SKIP_PG" != 1 ]]; then
  # shellcheck source=scripts/pg-harness.sh
  source "$ROOT/scripts/pg-harness.sh"
  trap cairn_pg_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cairn_pg_start >&2
  ADMIN="$CAIRN_TEST_PG_URL"
  BASE="${ADMIN%/postgres}"
  echo "postgresql (server and psql): $("$CAIRN_PG_BINDIR/postgres" --version | awk '{print $3}'), throwaway cluster from scripts/pg-harness.sh (fsync=on, defaults otherwise), over TCP 127.0.0.1" >>"$OUT/machine.txt"
  psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN" "$@"; }

  # 1. Apply 1,000 migrations: PostgreSQL
  log "benchmark 1 (PostgreSQL): cairn migrate vs psql, $APPLY_RUNS_PG runs each"
  PREP_PG="psql -X -q -v ON_ERROR_STOP=1 '$ADMIN' -c 'DROP DATABASE IF EXISTS bench_apply WITH (FORCE)' -c 'CREATE DATABASE bench_apply' -c 'CHECKPOINT'; sync"
  rounds --export-json "$OUT/apply-postgres.json" --rounds "$APPLY_RUNS_PG" --warmup 1 \
    --cmd "psql -f (1 transaction per file)" "$PREP_PG" \
    "psql -X -q -v ON_ERROR_STOP=1 -f '$GEN/full-1k.sql' '$BASE/bench_apply'" \
    --cmd "cairn migrate" "$PREP_PG" \
    "'$CAIRN' --database '$BASE/bench_apply' --dir '$GEN/full-1k' migrate"
  # Sanity check of what was timed (not timed).
  bash -c "$PREP_PG"
  "$CAIRN" --database "$BASE/bench_apply" --dir "$GEN/full-1k" migrate >/dev/null
  "$CAIRN" --database "$BASE/bench_apply" --dir "$GEN/full-1k" verify >&2
  tables="$(psql -X -At "$BASE/bench_apply" -c "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t_[0-9]+$'")"
  [[ "$tables" == 1000 ]] || { echo "bench: cairn left $tables tables on PostgreSQL" >&2; exit 1; }
  psql_admin -c "DROP DATABASE bench_apply WITH (FORCE)"

  # 2. Status as history grows: PostgreSQL
  log "benchmark 2 setup (PostgreSQL): applying 1,000 and 10,000 tiny migrations (single timed runs)"
  for n in 1k 10k; do
    hf --runs 1 --export-json "$OUT/setup-postgres-$n.json" \
      --prepare "psql -X -q -v ON_ERROR_STOP=1 '$ADMIN' -c 'DROP DATABASE IF EXISTS bench_plain_$n WITH (FORCE)' -c 'CREATE DATABASE bench_plain_$n' -c CHECKPOINT" \
      -n "psql -f (1 transaction per file)" \
      "psql -X -q -v ON_ERROR_STOP=1 -f '$GEN/small-$n.sql' '$BASE/bench_plain_$n'" \
      --prepare "psql -X -q -v ON_ERROR_STOP=1 '$ADMIN' -c 'DROP DATABASE IF EXISTS bench_status_$n WITH (FORCE)' -c 'CREATE DATABASE bench_status_$n' -c CHECKPOINT" \
      -n "cairn migrate" \
      "'$CAIRN' --database '$BASE/bench_status_$n' --dir '$GEN/small-$n' migrate"
    psql_admin -c "DROP DATABASE bench_plain_$n"
  done
  log "benchmark 2 (PostgreSQL): cairn status at 1,000 vs 10,000 applied"
  rounds --export-json "$OUT/status-postgres.json" --no-shell --warmup 3 \
    --rounds "$STATUS_ROUNDS" --runs-per-round "$STATUS_RUNS_PER_ROUND" \
    --cmd "cairn status (1,000 applied)" "" \
    "'$CAIRN' --database '$BASE/bench_status_1k' --dir '$GEN/small-1k' status" \
    --cmd "cairn status (10,000 applied)" "" \
    "'$CAIRN' --database '$BASE/bench_status_10k' --dir '$GEN/small-10k' status" \
    --cmd "cairn migrate (no-op, 10,000 applied)" "" \
    "'$CAIRN' --database '$BASE/bench_status_10k' --dir '$GEN/small-10k' migrate" \
    --cmd "psql: connect + count ledger rows, 10,000 applied (floor)" "" \
    "psql -X -q -At -c 'SELECT count(*) FROM cairn_ledger' '$BASE/bench_status_10k'"

  cairn_pg_stop
  trap - EXIT
fi

# --- report ---------------------------------------------------------------------
echo "load average at end (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
python3 bench/report.py "$OUT" >"$OUT/report.md"
log "done: $OUT/report.md"
cat "$OUT/report.md"
