#!/usr/bin/env bash
# Benchmark of `cairn report` over 10,000 migrations (see bench/README.md):
#
#   bash bench/report.sh
#
# Setup (not timed): 10,000 tiny migrations applied to a SQLite database in
# one run, 100 of them rolled back and re-applied, then one more migration
# that fails: 10,001 migrations in the table, 4 runs, one failure.
#
# Measured:
#   - the report's size in bytes (target < 5 MB);
#   - `cairn report` (read, verify, render, write) against `cairn history --json`
#     (reading and printing the same ledger) as the baseline;
#   - the page's load time in headless Chromium: `chromium --dump-dom` of the
#     report against the same command on a trivial page (browser start-up,
#     the baseline), interleaved rounds (bench/hf_rounds.py). Load time is the
#     difference of the medians (target < 2 s).
#
# Output: bench/out/report/ (gitignored): raw hyperfine JSON, the report,
# and report.md with the tables for BENCHMARKS.md.
#
# Env knobs: BENCH_REPORT_ROUNDS (5), BENCH_REPORT_RUNS_PER_ROUND (2),
# BENCH_SKIP_BUILD=1 (use the existing build-bench/clients/cairn).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ROUNDS="${BENCH_REPORT_ROUNDS:-5}"
PER_ROUND="${BENCH_REPORT_RUNS_PER_ROUND:-2}"
OUT="$ROOT/bench/out/report"
BUILD="$ROOT/build-bench"
CAIRN="$BUILD/clients/cairn"
T0=$SECONDS
log() { printf '[bench-report %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }

bash "$ROOT/scripts/install-deps.sh"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building Release cairn in build-bench/"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target cairn
fi
CHROMIUM="$(command -v chromium || command -v chromium-browser || true)"
[[ -n "$CHROMIUM" ]] || { echo "bench: chromium is missing" >&2; exit 1; }
for tool in hyperfine python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT"
DB="$OUT/report-10k.db"
MIG="$OUT/migrations"

log "setup: applying 10,000 tiny migrations (SQLite), rollback 100, re-apply, one failure"
python3 bench/gen_migrations.py --kind small --count 10000 --out "$MIG" >&2
"$CAIRN" -q --database "sqlite:$DB" --dir "$MIG" migrate >/dev/null
"$CAIRN" -q --database "sqlite:$DB" --dir "$MIG" rollback --steps 100 >/dev/null
"$CAIRN" -q --database "sqlite:$DB" --dir "$MIG" migrate >/dev/null
printf -- '-- cairn:up\nINSERT INTO no_such_table VALUES (1);\n-- cairn:down\n' >"$MIG/10001_broken.sql"
"$CAIRN" -q --database "sqlite:$DB" --dir "$MIG" migrate >/dev/null 2>&1 || true

REPORT="$OUT/report-10k.html"
"$CAIRN" --database "sqlite:$DB" --dir "$MIG" report --out "$REPORT" >&2
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><p>trivial</p></body></html>\n' >"$OUT/trivial.html"

# Chromium with every network request refused, as in the tests.
chrome() {
  printf "%q " timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --disable-extensions --disable-background-networking \
    --proxy-server=127.0.0.1:9 "--host-resolver-rules=MAP * ~NOTFOUND" \
    "--user-data-dir=$OUT/profile-$1" --dump-dom "file://$2"
}
# Sanity check (not timed): the page loaded and its script ran.
eval "$(chrome check "$REPORT")" >"$OUT/dom.html" 2>/dev/null
grep -q "10001 of 10001 migrations shown" "$OUT/dom.html" ||
  { echo "bench: the report did not load fully in chromium (see $OUT/dom.html)" >&2; exit 1; }

log "timing: chromium --dump-dom, trivial page vs the 10,000-migration report"
python3 bench/hf_rounds.py --export-json "$OUT/report-load.json" --warmup 1 \
  --rounds "$ROUNDS" --runs-per-round "$PER_ROUND" \
  --cmd "chromium --dump-dom: trivial page (baseline)" "" "$(chrome trivial "$OUT/trivial.html") >/dev/null 2>&1" \
  --cmd "chromium --dump-dom: report of 10,001 migrations" "" "$(chrome report "$REPORT") >/dev/null 2>&1" \
  2>&1 | tee "$OUT/hyperfine.log" >&2

log "timing: cairn report vs cairn history --json on the same ledger"
python3 bench/hf_rounds.py --export-json "$OUT/report-write.json" --warmup 1 --no-shell \
  --rounds "$ROUNDS" --runs-per-round "$PER_ROUND" \
  --cmd "cairn history --json (baseline)" "" "'$CAIRN' --database 'sqlite:$DB' --dir '$MIG' --quiet history --json" \
  --cmd "cairn report" "" "'$CAIRN' --database 'sqlite:$DB' --dir '$MIG' --quiet report --out '$OUT/timed.html'" \
  2>&1 | tee -a "$OUT/hyperfine.log" >&2

python3 - "$OUT" "$REPORT" "$CHROMIUM" >"$OUT/report.md" <<'EOF'
import json, os, statistics, subprocess, sys
out, report, chromium = sys.argv[1:4]
def med(path):
    res = json.load(open(os.path.join(out, path)))["results"]
    return [(r["command"], statistics.median(r["times"]), len(r["times"])) for r in res]
size = os.path.getsize(report)
load = med("report-load.json")
write = med("report-write.json")
version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
print(f"- machine: {os.cpu_count()} cores; {version}")
print(f"- report: {size:,} bytes ({size / 1e6:.2f} MB) for 10,001 migrations (target < 5 MB): "
      f"{'met' if size < 5e6 else 'MISSED'}")
print()
print("| command | runs | median | ratio to baseline |")
print("| --- | --- | --- | --- |")
for rows in (load, write):
    base = rows[0][1]
    for name, m, n in rows:
        print(f"| {name} | {n} | {m * 1000:.0f} ms | {m / base:.2f}x |")
delta = load[1][1] - load[0][1]
print()
print(f"- page load (report minus trivial page, medians): {delta * 1000:.0f} ms "
      f"(target < 2 s): {'met' if delta < 2 else 'MISSED'}")
EOF
log "done: $OUT/report.md"
cat "$OUT/report.md"
