#!/usr/bin/env bash
# Export benchmark: `cairn export` of a 1,000,000-event SQLite ledger in each
# format. Events per second from hyperfine's median; peak memory (maximum
# resident set size) from /usr/bin/time -v; and the same export of a
# 100,000-event ledger, to show that memory does not grow with history.
# Baseline in the same invocation: the sqlite3 CLI dumping the same rows
# (position, hex of record and hash) to /dev/null.
#
#   bash bench/export.sh            # results in bench/out-export/report.md
#
# Env: BENCH_EXPORT_EVENTS (1000000), BENCH_EXPORT_RUNS (3),
#      BENCH_SKIP_BUILD=1 to use build-bench/ as is,
#      BENCH_REUSE_LEDGERS=1 to keep the generated ledgers of a previous run.
# On a loaded machine wall time includes waiting for a CPU: the report gives
# events/s by wall time (median) and by CPU time (user + system, hyperfine's mean).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
EVENTS="${BENCH_EXPORT_EVENTS:-1000000}"
SMALL=$((EVENTS / 10))
RUNS="${BENCH_EXPORT_RUNS:-3}"
BUILD="$ROOT/build-bench"
OUT="$ROOT/bench/out-export"
log() { printf '[export-bench] %s\n' "$*" >&2; }

bash "$ROOT/scripts/install-deps.sh" >&2
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  log "building Release cairn and cairn_gen_ledger in build-bench/"
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCAIRN_BUILD_TESTS=OFF >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target cairn cairn_gen_ledger >&2
fi
CAIRN="$BUILD/clients/cairn"
GEN="$BUILD/bench/cairn_gen_ledger"
if [[ "${BENCH_REUSE_LEDGERS:-0}" != 1 ]]; then
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
rm -f "$OUT/key" "$OUT/key.pub" "$OUT/b.bundle"

for n in "$EVENTS" "$SMALL"; do
  [[ -f "$OUT/ledger-$n.db" && "${BENCH_REUSE_LEDGERS:-0}" == 1 ]] && continue
  log "generating $n events"
  t0=$(date +%s.%N)
  "$GEN" "sqlite:$OUT/ledger-$n.db" bench "$n"
  t1=$(date +%s.%N)
  echo "generate $n: $(python3 -c "print(round($t1 - $t0, 1))") s" >>"$OUT/gen.txt"
done
"$CAIRN" keygen --out "$OUT/key" >/dev/null

peak_kib() {  # command... -> peak RSS in KiB
  /usr/bin/time -v "$@" 2>"$OUT/time.txt" >/dev/null
  awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt"
}

{
  echo "| format | events | median wall s | events/s (wall) | mean CPU s | events/s (CPU) | peak RSS MiB ($EVENTS) | peak RSS MiB ($SMALL) |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$OUT/report.md"
DB="$OUT/ledger-$EVENTS.db"
SDB="$OUT/ledger-$SMALL.db"
for fmt in baseline jsonl cloudevents csv bundle; do
  if [[ $fmt == baseline ]]; then
    cmd=(sqlite3 "$DB" "SELECT position, hex(record), hex(prev_hash), hex(hash) FROM cairn_ledger ORDER BY stream, position")
    scmd=(sqlite3 "$SDB" "SELECT position, hex(record), hex(prev_hash), hex(hash) FROM cairn_ledger ORDER BY stream, position")
  else
    cmd=("$CAIRN" --database "sqlite:$DB" --stream bench export --format "$fmt" --key "$OUT/key")
    scmd=("$CAIRN" --database "sqlite:$SDB" --stream bench export --format "$fmt" --key "$OUT/key")
  fi
  log "timing $fmt"
  hyperfine --runs "$RUNS" --warmup 1 --export-json "$OUT/$fmt.json" --output null \
    "$(printf '%q ' "${cmd[@]}")" >&2
  median=$(python3 -c "import json,statistics;print(statistics.median(json.load(open('$OUT/$fmt.json'))['results'][0]['times']))")
  cpu=$(python3 -c "import json,statistics;r=json.load(open('$OUT/$fmt.json'))['results'][0];print(r['user']+r['system'])")
  big=$(peak_kib "${cmd[@]}")
  small=$(peak_kib "${scmd[@]}")
  python3 - "$fmt" "$EVENTS" "$median" "$cpu" "$big" "$small" >>"$OUT/report.md" <<'PY'
import sys
fmt, n, med, cpu = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
big, small = int(sys.argv[5]), int(sys.argv[6])
print(f"| {fmt} | {n:,} | {med:.2f} | {n / med:,.0f} | {cpu:.2f} | {n / cpu:,.0f} | {big / 1024:.1f} | {small / 1024:.1f} |")
PY
done
"$CAIRN" -q --database "sqlite:$DB" --stream bench export --format bundle --key "$OUT/key" --out "$OUT/b.bundle"
ls -l "$OUT/b.bundle" | awk '{print "bundle size: " $5 " bytes"}' >>"$OUT/gen.txt"
log "verifying the bundle"
t0=$(date +%s.%N)
verify_kib=$(peak_kib "$CAIRN" verify --bundle "$OUT/b.bundle" --pubkey "$OUT/key.pub")
t1=$(date +%s.%N)
echo "verify --bundle of $EVENTS: $(python3 -c "print(round($t1 - $t0, 2))") s, peak RSS $((verify_kib / 1024)) MiB" >>"$OUT/gen.txt"
{
  echo
  echo "machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
  cat "$OUT/gen.txt"
} >>"$OUT/report.md"
cat "$OUT/report.md"
