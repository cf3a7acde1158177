#!/usr/bin/env bash
# Build cairn and run the whole test suite against a throwaway PostgreSQL.
# Extra arguments are passed to ctest (e.g. -R ledger, -V).
# Env: CAIRN_BUILD_DIR (default: build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/build.sh"

BUILD="${CAIRN_BUILD_DIR:-build}"

# shellcheck source=scripts/pg-harness.sh
source "$ROOT/scripts/pg-harness.sh"
trap cairn_pg_stop EXIT
# Turn Ctrl-C / termination into a normal exit so the EXIT trap always runs.
trap 'exit 130' INT
trap 'exit 143' TERM

cairn_pg_start
export CAIRN_REQUIRE_PG=1

status=0
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 600 "$@" || status=$?
exit "$status"
