#!/usr/bin/env bash
# Newcomer demo: build cairn, then apply the example Campus migrations in
# migrations/ to an embedded SQLite database and inspect the ledger.
# Safe to run repeatedly (the second migrate finds nothing pending).
# Env: CAIRN_DEMO_DB (default: build/campus.db), CAIRN_BUILD_DIR (default: build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# Only what the demo runs: the packages to build (no PostgreSQL, no Chromium:
# those are the tests'; scripts/test.sh installs them) and one executable.
# The test targets are not even configured (GoogleTest is not needed).
CAIRN_DEPS=demo CAIRN_BUILD_TESTS=OFF bash "$ROOT/scripts/build.sh" campus_migrate

BUILD="${CAIRN_BUILD_DIR:-build}"
# campus_migrate is the cairn CLI plus the example's C++ data migration (0010);
# the SQL files, including the batched backfill 0009, run the same either way.
CAIRN="$BUILD/migrations/campus_migrate"
DB="${CAIRN_DEMO_DB:-build/campus.db}"

if [[ ! -x "$CAIRN" ]]; then
  echo "demo: $CAIRN was not built" >&2
  exit 1
fi
mkdir -p "$(dirname "$DB")"

for step in migrate status history verify; do
  echo "== cairn $step"
  "$CAIRN" --database "sqlite:$DB" --dir migrations "$step"
done
echo "== demo finished OK (database: $DB)"
