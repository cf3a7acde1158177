#!/usr/bin/env bash
# Interrupted-run acceptance at scale (issue 17, docs/transactions.md,
# "Interrupted runs"): the seeded SIGKILL loop of
# tests/faults/recovery_kill_test.cc with many kills per case, on SQLite and
# PostgreSQL, in the modes per-migration, all, none, batched up and batched
# down: one runner per trial (NextOrdinaryCommandFinishesEveryKilledRun),
# and 8 racing runners with the Yapper bridge alongside, runners and bridge
# SIGKILLed at seeded moments (RacingRunnersAndTheBridgeFinishEveryKilledRun).
# After every trial the next ordinary command must finish the work, the
# ledger and the database must agree, every batch and statement must have
# applied exactly once, and (racing) every Yapper client must hold every
# event once; any failure names the trial and the seed.
#
#   bash bench/recovery_kills.sh                 # 100 kills per case
#   RECOVERY_KILLS=300 CAIRN_FAULT_SEED=42 bash bench/recovery_kills.sh
#
# Env: RECOVERY_KILLS (100: trials of the one-runner test, runner kills of
#      the racing one), CAIRN_FAULT_SEED (each case's own default),
#      BUILD_DIR (build), RECOVERY_FILTER (a gtest filter, default all cases:
#      '*Racing*' for the racing test only).
# PostgreSQL: uses $CAIRN_TEST_PG_URL, or starts a throwaway server with
# scripts/pg-harness.sh. Prints one line per case and a total.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD_DIR:-build}"
KILLS="${RECOVERY_KILLS:-100}"
FILTER="${RECOVERY_FILTER:-*}"
BIN="$BUILD/tests/faults/fault_recovery_kill_test"
log() { printf '[recovery-kills] %s\n' "$*" >&2; }

if [[ ! -x "$BIN" ]]; then
  log "building $BIN"
  cmake --build "$BUILD" -j2 --target fault_recovery_kill_test cairn >&2
fi
started_pg=0
if [[ -z "${CAIRN_TEST_PG_URL:-}" ]]; then
  # shellcheck source=/dev/null
  source scripts/pg-harness.sh
  cairn_pg_start >&2
  started_pg=1
fi
trap '[[ $started_pg == 1 ]] && cairn_pg_stop >&2 || true' EXIT
export CAIRN_REQUIRE_PG=1 CAIRN_RECOVERY_KILLS="$KILLS"

log "$KILLS kills per case, filter $FILTER"
t0=$(date +%s)
set +e
"$BIN" --gtest_filter="$FILTER" | tee /tmp/recovery_kills.$$.log |
  grep -E '^\[ +(OK|FAILED) +\]|kills hit|kills sent|seed:|Failure'
rc=${PIPESTATUS[0]}
set -e
landed=$(grep -o '^[0-9]* of [0-9]* kills hit' /tmp/recovery_kills.$$.log | awk '{s += $1; t += $3} END {print s " of " t}')
# "N trials: S runner kills sent, L hit a running cairn (H the lock holder); B bridge kills; ..."
raced=$(grep -E '^[0-9]+ trials: ' /tmp/recovery_kills.$$.log | tr -d '(;' |
  awk '{t += $1; s += $3; l += $7; h += $12; b += $16} END {print t " trials, " s " runner kills sent, " l " landed (" h " in the lock holder), " b " bridge kills"}')
log "one runner: kills that hit a running cairn: $landed"
log "8 racing runners and the bridge: $raced"
log "$(($(date +%s) - t0)) s; exit $rc"
rm -f /tmp/recovery_kills.$$.log
exit "$rc"
