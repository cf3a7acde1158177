#!/usr/bin/env bash
# cairn side by side with Alembic, sqitch, dbmate and the plain clients, all
# in one invocation on one machine (results: BENCHMARKS.md, "Peers").
#
#   bash bench/peers/run.sh
#
# Workload (bench/peers/gen_peers.py, the same SQL for every tool): per
# migration one table, an index, three rows; a down section that drops them.
# Rows, on SQLite and on PostgreSQL:
#   apply 200      fresh database, every migration, one transaction each
#   apply 1000     the same with 1,000
#   no-op 1000     a run with nothing pending when 1,000 are applied
#   rollback 50    revert the newest 50 of 1,000 applied
# The plain client (sqlite3, psql) runs the same SQL as one script with
# BEGIN/COMMIT around each file: the floor no tool can beat. For "no-op" its
# row is opening the database and running one query (SELECT 1).
#
# Tools and how each is asked (the ordinary way to use it):
#   cairn    cairn migrate | cairn rollback --steps $K
#   dbmate   dbmate --no-dump-schema up | dbmate rollback, 50 times (it
#            rolls back one migration per invocation and has no count option)
#   sqitch   sqitch deploy | sqitch revert -y --to @HEAD^$K
#   alembic  alembic upgrade head | alembic downgrade -$K
#            (transaction_per_migration=True, like the others)
#
# Installs what is missing: Debian python3-alembic, python3-psycopg2, sqitch,
# libdbd-pg-perl, libdbd-sqlite3-perl; npm's dbmate (which ships its binary,
# run directly) into build-bench/npm. Builds a Release cairn in build-bench/ like
# bench/run.sh, starts its own throwaway PostgreSQL (scripts/pg-harness.sh).
# Raw hyperfine JSON and the report go to bench/out/peers/.
#
# Env knobs:
#   PEERS_ROUNDS          interleaved rounds per row (bench/hf_rounds.py)   (3)
#   PEERS_SLOW_ROUNDS     rounds for sqitch and alembic, which take 10-100x
#                         longer; they run as a second group per row       (1)
#   PEERS_NOOP_RUNS       runs per round for the no-op rows                (3)
#   PEERS_SKIP_PG=1       SQLite only
#   PEERS_SKIP_SQLITE=1   PostgreSQL only
#   PEERS_TOOLS           subset, e.g. "cairn dbmate"  (default: all four);
#                         cairn_all adds cairn with --tx all (one transaction
#                         for the whole run), reported in a column of its own
#   PEERS_N1, PEERS_N2    the two sizes (200, 1000): smaller ones for a smoke test
#   BENCH_SKIP_BUILD=1    use build-bench/clients/cairn as it is
#   PEERS_CAIRN=PATH      time this cairn binary instead (no build)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
N1="${PEERS_N1:-200}"   # smaller apply row
N2="${PEERS_N2:-1000}"  # larger apply row; no-op and rollback run at this many applied
K=50                    # migrations rolled back
ROUNDS="${PEERS_ROUNDS:-3}"
SLOW_ROUNDS="${PEERS_SLOW_ROUNDS:-1}"
NOOP_RUNS="${PEERS_NOOP_RUNS:-3}"
TOOLS="${PEERS_TOOLS:-cairn dbmate sqitch alembic}"
BUILD="$ROOT/build-bench"
CAIRN="${PEERS_CAIRN:-$BUILD/clients/cairn}"
OUT="$ROOT/bench/out/peers"
T0=$SECONDS
log() { printf '[peers %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }

# --- install -------------------------------------------------------------------
bash "$ROOT/scripts/install-deps.sh"
missing=()
for p in python3-alembic python3-psycopg2 sqitch libdbd-pg-perl libdbd-sqlite3-perl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [[ "$(id -u)" -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y "${missing[@]}" >&2
fi
if ! compgen -G "$BUILD/npm/node_modules/@dbmate/*/bin/dbmate" >/dev/null; then
  log "installing dbmate from npm into $BUILD/npm"
  mkdir -p "$BUILD/npm"
  npm install --prefix "$BUILD/npm" --no-audit --no-fund dbmate >&2
fi
# The Go binary the package ships, not node_modules/.bin/dbmate: that is a
# Node.js wrapper which adds a Node start-up (about a second here) to every call.
DBMATE="$(compgen -G "$BUILD/npm/node_modules/@dbmate/*/bin/dbmate" | head -n 1)"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 && -z "${PEERS_CAIRN:-}" ]]; then
  log "building Release cairn in build-bench/"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" --target cairn >&2
fi
for tool in hyperfine sqlite3 psql sqitch python3 "$CAIRN" "$DBMATE"; do
  command -v "$tool" >/dev/null || { echo "peers: $tool is missing" >&2; exit 1; }
done
# Debian's python3 (a python3 earlier on PATH may not see Debian's modules).
ALEMBIC="/usr/bin/python3 -m alembic"
$ALEMBIC --version >/dev/null || { echo "peers: $ALEMBIC does not run" >&2; exit 1; }
export SQITCH_FULLNAME=bench SQITCH_EMAIL=bench@cairn.invalid

rm -rf "$OUT"
mkdir -p "$OUT/db"
W="$OUT/work"
log "generating workloads"
python3 bench/peers/gen_peers.py --count "$N1" --out "$W/$N1" --rollback "$K" >&2
python3 bench/peers/gen_peers.py --count "$N2" --out "$W/$N2" --rollback "$K" >&2
printf '{"n1": %d, "n2": %d, "k": %d}\n' "$N1" "$N2" "$K" >"$OUT/rows.json"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc: $(nproc)"
  echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "kernel: $(uname -sr)"
  echo "cairn: $(awk '/^project\(cairn VERSION/ {print $3}' CMakeLists.txt) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), binary $CAIRN"
  echo "dbmate: $("$DBMATE" --version | awk '{print $3}') (npm)"
  echo "sqitch: $(sqitch --version | awk '{print $3}') (Debian), DBD::Pg $(dpkg-query -W -f='${Version}' libdbd-pg-perl), DBD::SQLite $(dpkg-query -W -f='${Version}' libdbd-sqlite3-perl)"
  echo "alembic: $(dpkg-query -W -f='${Version}' python3-alembic) (Debian), SQLAlchemy $(dpkg-query -W -f='${Version}' python3-sqlalchemy), psycopg2 $(dpkg-query -W -f='${Version}' python3-psycopg2)"
  echo "sqlite3: $(sqlite3 --version | awk '{print $1}')"
  echo "hyperfine: $(hyperfine --version | awk '{print $2}')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

rounds() { python3 bench/hf_rounds.py "$@" 2>&1 | tee -a "$OUT/hyperfine.log" >&2; }
# row JSON_BASE EXTRA_OPTS -- --cmd ...: the plain client, cairn and dbmate in
# $ROUNDS interleaved rounds (JSON_BASE.json); sqitch and alembic, far
# slower, in $SLOW_ROUNDS rounds of their own (JSON_BASE-slow.json).
row() {
  local base=$1; shift
  local extra=() fast=() slow=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  while (($#)); do
    if [[ $2 == sqitch || $2 == alembic ]]; then slow+=("$1" "$2" "$3" "$4"); else fast+=("$1" "$2" "$3" "$4"); fi
    shift 4
  done
  rounds --export-json "$base.json" --rounds "$ROUNDS" "${extra[@]}" "${fast[@]}"
  if ((${#slow[@]})); then
    rounds --export-json "$base-slow.json" --rounds "$SLOW_ROUNDS" "${extra[@]}" "${slow[@]}"
  fi
}
has() { [[ " $TOOLS " == *" $1 "* ]]; }

# The command that applies (up) or reverts 50 (down) with TOOL on workload N.
# $1 tool, $2 up|down|noop, $3 workload dir, $4 target (per backend, see below)
tool_cmd() {
  local tool=$1 what=$2 w=$3
  case "$tool:$what" in
    # --stream: the databases are copied under other names between rows, and
    # cairn's default stream is the database's name.
    cairn:up | cairn:noop) echo "'$CAIRN' -q --database '$T_CAIRN' --stream bench --dir '$w/cairn' migrate" ;;
    cairn:down) echo "'$CAIRN' -q --database '$T_CAIRN' --stream bench --dir '$w/cairn' rollback --steps $K" ;;
    # The same files in one transaction for the whole run (docs/transactions.md):
    # what Flyway calls group = true and Alembic transaction_per_migration = False.
    cairn_all:up | cairn_all:noop) echo "'$CAIRN' -q --database '$T_CAIRN' --stream bench --dir '$w/cairn' migrate --tx all" ;;
    cairn_all:down) echo "'$CAIRN' -q --database '$T_CAIRN' --stream bench --dir '$w/cairn' rollback --steps $K --tx all" ;;
    dbmate:up | dbmate:noop) echo "'$DBMATE' --url '$T_DBMATE' --migrations-dir '$w/dbmate' --no-dump-schema up" ;;
    dbmate:down) echo "for i in \$(seq $K); do '$DBMATE' --url '$T_DBMATE' --migrations-dir '$w/dbmate' --no-dump-schema rollback >/dev/null || exit 1; done" ;;
    sqitch:up | sqitch:noop) echo "cd '$w/sqitch' && sqitch --quiet deploy '$T_SQITCH'" ;;
    sqitch:down) echo "cd '$w/sqitch' && sqitch --quiet revert -y --to @HEAD^$K '$T_SQITCH'" ;;
    alembic:up | alembic:noop) echo "$ALEMBIC -c '$w/alembic/alembic.ini' -x url='$T_ALEMBIC' upgrade head" ;;
    alembic:down) echo "$ALEMBIC -c '$w/alembic/alembic.ini' -x url='$T_ALEMBIC' downgrade -$K" ;;
  esac
}

# expect_tables BACKEND WHERE COUNT WHAT: the database of one tool holds COUNT
# benchmark tables (what was timed did the work).
expect_tables() {
  local t
  if [[ $1 == sqlite ]]; then
    t="$(sqlite3 "$2" "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name GLOB 't_[0-9]*'")"
  else
    t="$(psql -X -At "$2" -c "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t_[0-9]+$'")"
  fi
  [[ "$t" == "$3" ]] || { echo "peers: $4 left $t tables, expected $3 ($1)" >&2; exit 1; }
}

# --- SQLite --------------------------------------------------------------------
# Each tool's database lives in its own directory (sqitch keeps its registry
# in a second file beside the target).
sqlite_targets() {  # $1 tool, $2 dir
  T_CAIRN="sqlite:$2/target.db"; T_DBMATE="sqlite:$2/target.db"
  T_SQITCH="db:sqlite:$2/target.db"; T_ALEMBIC="sqlite:///$2/target.db"
}
bench_sqlite() {
  local n args tool d
  for n in "$N1" "$N2"; do
    log "SQLite: apply $n"
    args=(--cmd "sqlite3 (plain)" "rm -rf '$OUT/db/plain'; mkdir -p '$OUT/db/plain'"
      "sqlite3 '$OUT/db/plain/target.db' < '$W/$n/plain-up.sql'")
    for tool in $TOOLS; do
      d="$OUT/db/$tool"; sqlite_targets "$tool" "$d"
      args+=(--cmd "$tool" "rm -rf '$d'; mkdir -p '$d'" "$(tool_cmd "$tool" up "$W/$n")")
    done
    row "$OUT/sqlite-apply-$([[ $n == "$N1" ]] && echo n1 || echo n2)" -- "${args[@]}"
  done
  # The last timed run of the larger apply row left each tool's database with
  # N2 applied: saved for the no-op and rollback rows (checked, not re-applied).
  log "SQLite: keeping each tool's database with $N2 applied"
  for tool in plain $TOOLS; do
    expect_tables sqlite "$OUT/db/$tool/target.db" "$N2" "$tool (apply)"
    rm -rf "$OUT/db/saved-$tool"; cp -r "$OUT/db/$tool" "$OUT/db/saved-$tool"
  done
  log "SQLite: no-op at $N2 applied"
  args=(--cmd "sqlite3 (plain)" "" "sqlite3 '$OUT/db/saved-plain/target.db' 'SELECT 1'")
  for tool in $TOOLS; do
    sqlite_targets "$tool" "$OUT/db/saved-$tool"
    args+=(--cmd "$tool" "" "$(tool_cmd "$tool" noop "$W/$N2")")
  done
  row "$OUT/sqlite-noop" --runs-per-round "$NOOP_RUNS" --warmup 1 -- "${args[@]}"
  log "SQLite: roll back $K of $N2"
  args=(--cmd "sqlite3 (plain)" "rm -rf '$OUT/db/rb-plain'; cp -r '$OUT/db/saved-plain' '$OUT/db/rb-plain'"
    "sqlite3 '$OUT/db/rb-plain/target.db' < '$W/$N2/plain-down-$K.sql'")
  for tool in $TOOLS; do
    d="$OUT/db/rb-$tool"; sqlite_targets "$tool" "$d"
    args+=(--cmd "$tool" "rm -rf '$d'; cp -r '$OUT/db/saved-$tool' '$d'" "$(tool_cmd "$tool" down "$W/$N2")")
  done
  row "$OUT/sqlite-rollback" -- "${args[@]}"
  for tool in plain $TOOLS; do
    expect_tables sqlite "$OUT/db/rb-$tool/target.db" $((N2 - K)) "$tool (rollback)"
  done
}

# --- PostgreSQL ------------------------------------------------------------------
pg_targets() {  # $1 database
  T_CAIRN="$BASE/$1"; T_DBMATE="$BASE/$1?sslmode=disable"
  T_SQITCH="db:pg:${BASE#postgresql:}/$1"; T_ALEMBIC="$BASE/$1"
}
recreate() {  # $1 database [$2 template]
  echo "psql -X -q -v ON_ERROR_STOP=1 '$ADMIN' -c 'DROP DATABASE IF EXISTS $1 WITH (FORCE)' -c 'CREATE DATABASE $1${2:+ TEMPLATE $2}'"
}
bench_pg() {
  source "$ROOT/scripts/pg-harness.sh"
  trap cairn_pg_stop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cairn_pg_start >&2
  ADMIN="$CAIRN_TEST_PG_URL"
  BASE="${ADMIN%/postgres}"
  echo "postgresql: $("$CAIRN_PG_BINDIR/postgres" --version | awk '{print $3}'), throwaway cluster (scripts/pg-harness.sh, fsync=on), TCP 127.0.0.1" >>"$OUT/machine.txt"
  local n args tool
  for n in "$N1" "$N2"; do
    log "PostgreSQL: apply $n"
    args=(--cmd "psql (plain)" "$(recreate p_plain)"
      "psql -X -q -v ON_ERROR_STOP=1 -f '$W/$n/plain-up.sql' '$BASE/p_plain'")
    for tool in $TOOLS; do
      pg_targets "p_$tool"
      args+=(--cmd "$tool" "$(recreate "p_$tool")" "$(tool_cmd "$tool" up "$W/$n")")
    done
    row "$OUT/postgres-apply-$([[ $n == "$N1" ]] && echo n1 || echo n2)" -- "${args[@]}"
  done
  log "PostgreSQL: keeping each tool's database with $N2 applied"
  for tool in plain $TOOLS; do
    expect_tables postgres "$BASE/p_$tool" "$N2" "$tool (apply)"
    bash -c "$(recreate "s_$tool" "p_$tool")"
  done
  log "PostgreSQL: no-op at $N2 applied"
  args=(--cmd "psql (plain)" "" "psql -X -q -At -c 'SELECT 1' '$BASE/s_plain'")
  for tool in $TOOLS; do
    pg_targets "s_$tool"
    args+=(--cmd "$tool" "" "$(tool_cmd "$tool" noop "$W/$N2")")
  done
  row "$OUT/postgres-noop" --runs-per-round "$NOOP_RUNS" --warmup 1 -- "${args[@]}"
  log "PostgreSQL: roll back $K of $N2"
  args=(--cmd "psql (plain)" "$(recreate r_plain s_plain)"
    "psql -X -q -v ON_ERROR_STOP=1 -f '$W/$N2/plain-down-$K.sql' '$BASE/r_plain'")
  for tool in $TOOLS; do
    pg_targets "r_$tool"
    args+=(--cmd "$tool" "$(recreate "r_$tool" "s_$tool")" "$(tool_cmd "$tool" down "$W/$N2")")
  done
  row "$OUT/postgres-rollback" -- "${args[@]}"
  for tool in plain $TOOLS; do
    expect_tables postgres "$BASE/r_$tool" $((N2 - K)) "$tool (rollback)"
  done
  cairn_pg_stop
  trap - EXIT
}

[[ "${PEERS_SKIP_SQLITE:-0}" == 1 ]] || bench_sqlite
[[ "${PEERS_SKIP_PG:-0}" == 1 ]] || bench_pg
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
python3 bench/peers/report.py "$OUT" >"$OUT/report.md"
log "done: $OUT/report.md"
cat "$OUT/report.md"
